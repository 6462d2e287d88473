// Stand-in for the NinjaScript base classes a strategy derives from (see Cbi.cs for the sources
// cited). The host program (Host.cs) plays NinjaTrader's part: it creates the strategy, sets its
// properties and moves it through its states.
using System;
using System.Runtime.CompilerServices;
using NinjaTrader.Cbi;

[assembly: InternalsVisibleTo("V9Host")]

namespace NinjaTrader.Core
{
    // help guide createorder ("gtd ... for all other cases you can pass in Core.Globals.MaxDate")
    public static class Globals
    {
        public static DateTime MaxDate { get { return new DateTime(2099, 12, 1); } }

        // help guide reference sample "Using StreamWriter to write to a text file"
        // (path = NinjaTrader.Core.Globals.UserDataDir + "MyTestFile.txt"): the user's
        // "Documents\NinjaTrader 8\" folder, ending with a separator (NinjaTrader's trace file
        // logs it at start as UserDataDir='C:\Users\...\Documents\NinjaTrader 8\'). The host
        // points it at a folder of its own (--user-data, else a fresh temp folder).
        public static string UserDataDir { get; internal set; }
    }
}

namespace NinjaTrader.NinjaScript
{
    // help guide state; autodocs NinjaTrader.NinjaScript.State
    public enum State { Undefined, SetDefaults, Configure, Active, DataLoaded, Historical, Transition, Realtime, Terminated, Finalized }

    // help guide calculate; autodocs NinjaTrader.NinjaScript.Calculate
    public enum Calculate { OnBarClose, OnEachTick, OnPriceChange }

    // help guide ninjascriptpropertyattribute: [NinjaScriptProperty]
    [AttributeUsage(AttributeTargets.Property)]
    public class NinjaScriptPropertyAttribute : Attribute
    {
    }

    // The members every NinjaScript object has (NinjaTrader's NinjaScriptBase).
    public abstract class NinjaScriptBase
    {
        // help guide name
        public string Name { get; set; }
        // help guide description
        public string Description { get; set; }
        // help guide calculate
        public Calculate Calculate { get; set; }
        // help guide state
        public State State { get; private set; }
        // help guide instrument (the instrument the script runs on)
        public Instrument Instrument { get; internal set; }

        // help guide onstatechange: protected override void OnStateChange()
        protected virtual void OnStateChange()
        {
        }

        // help guide onbarupdate: protected override void OnBarUpdate()
        protected virtual void OnBarUpdate()
        {
        }

        // help guide print: Print(object value). The host writes it to stderr, keeping stdout for
        // its own machine-readable output.
        public void Print(object value)
        {
            Console.Error.WriteLine("[print] " + value);
        }

        // help guide log: Log(string message, LogLevel logLevel)
        public void Log(string message, LogLevel logLevel)
        {
            Console.Error.WriteLine("[log " + logLevel + "] " + message);
        }

        /// <summary>Host only: what NinjaTrader does when the script advances to state.</summary>
        internal void EnterState(State state)
        {
            State = state;
            OnStateChange();
        }
    }

    // NinjaTrader's StrategyBase: the members this strategy's names could collide with.
    public abstract class StrategyBase : NinjaScriptBase
    {
        protected StrategyBase()
        {
            TimeInForce = TimeInForce.Gtc; // help guide timeinforce: "Default value is set to TimeInForce.Gtc"
        }

        // autodocs NinjaTrader.NinjaScript.StrategyBase (Account: the account the strategy runs on)
        public Account Account { get; internal set; }
        // help guide timeinforce
        public TimeInForce TimeInForce { get; set; }
        // help guide position
        public Position Position { get; internal set; }
    }
}

namespace NinjaTrader.NinjaScript.Strategies
{
    // A strategy derives from Strategy in this namespace (help guide onstatechange examples).
    public class Strategy : StrategyBase
    {
    }
}
