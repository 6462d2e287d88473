// V9Host: plays NinjaTrader's part for V9_CopyReceiver in CI (under mono): creates the stub
// accounts, sets the strategy's [NinjaScriptProperty] settings like the strategy dialog does,
// moves it through SetDefaults .. Realtime, then takes commands on stdin, one per line:
//   price ROOT P   move the simulated last price (working brackets may fill)
//   session-end    cancel every DAY order (the trading session closed)
//   dump           print every account's positions and working orders
//   restart        disable and enable the strategy: terminate it, then a new instance with the
//                  same settings (its state file is all it keeps), like unticking Enabled and back
//   quit           (or end of input) terminate the strategy, dump, exit 0
// Each command is answered on stdout once the simulated exchange has worked everything it
// caused, so a test can go step by step. Strategy output (Print/Log) goes to stderr.
//
// usage: mono V9Host.exe [--accounts N] [--account-prefix P] [--reject NAME]... [--connect HOST:PORT] [--user-data DIR]
//                        [--set PROPERTY=VALUE]...
//   --accounts N   Account1..AccountN (default 20)
//   --account-prefix P  name them P1..PN instead (long names, as prop firms give them)
//   --user-data D  NinjaTrader's user data folder (Globals.UserDataDir, where the state file goes
//                  by default); without it a fresh temp folder, removed at exit
//   --reject NAME  that account rejects every order (added when it is not one of Account1..N)
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Reflection;
using NinjaTrader.Cbi;
using NinjaTrader.NinjaScript;
using NinjaTrader.NinjaScript.Strategies;

namespace V9Host
{
    static class Program
    {
        static int Main(string[] args)
        {
            try
            {
                return Run(args);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine("host: " + e);
                return 2;
            }
        }

        static int Run(string[] args)
        {
            int accounts = 20;
            string prefix = "Account";
            var reject = new List<string>();
            settings = new List<string>();
            string userData = null;
            for (int i = 0; i < args.Length; i++)
            {
                string v = i + 1 < args.Length ? args[i + 1] : null;
                if (v == null)
                    throw new ArgumentException(args[i] + " needs a value");
                if (args[i] == "--accounts")
                    accounts = int.Parse(v, CultureInfo.InvariantCulture);
                else if (args[i] == "--account-prefix")
                    prefix = v;
                else if (args[i] == "--reject")
                    reject.Add(v);
                else if (args[i] == "--set")
                    settings.Add(v);
                else if (args[i] == "--user-data")
                    userData = v;
                else if (args[i] == "--connect")
                {
                    int colon = v.LastIndexOf(':');
                    settings.Add("ServerHost=" + v.Substring(0, colon));
                    settings.Add("ServerPort=" + v.Substring(colon + 1));
                }
                else
                    throw new ArgumentException("unknown option " + args[i]);
                i++;
            }
            for (int i = 1; i <= accounts; i++)
                Account.AddForHost(prefix + i, reject.Contains(prefix + i));
            foreach (string name in reject)
                if (!name.StartsWith(prefix, StringComparison.Ordinal) || !IsGenerated(name, prefix, accounts))
                    Account.AddForHost(name, true);

            bool tempData = userData == null;
            if (tempData)
                userData = Path.Combine(Path.GetTempPath(), "v9host-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(userData);
            NinjaTrader.Core.Globals.UserDataDir = userData.EndsWith(Path.DirectorySeparatorChar.ToString()) ? userData : userData + Path.DirectorySeparatorChar;
            try
            {
                strategy = Enable();
                Say("HOST|started|" + Account.All.Count);
                string line;
                while ((line = Console.In.ReadLine()) != null && Command(line.Trim()))
                {
                }
                strategy.EnterState(State.Terminated);
                SimExchange.Drain();
                Dump();
                Say("HOST|exit");
                return 0;
            }
            finally
            {
                if (tempData)
                    try
                    {
                        Directory.Delete(userData, true);
                    }
                    catch (IOException)
                    {
                        // A temp folder left behind is harmless.
                    }
            }
        }

        static List<string> settings;
        static V9_CopyReceiver strategy;

        /// <summary>A new instance with the settings, moved to Realtime, as ticking Enabled does.</summary>
        static V9_CopyReceiver Enable()
        {
            var s = new V9_CopyReceiver();
            s.EnterState(State.SetDefaults);
            foreach (string setting in settings)
                Apply(s, setting);
            s.Account = Account.All[0];
            foreach (State st in new[] { State.Configure, State.DataLoaded, State.Historical, State.Transition, State.Realtime })
                s.EnterState(st);
            return s;
        }

        static bool IsGenerated(string name, string prefix, int accounts)
        {
            int n;
            return int.TryParse(name.Substring(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out n) && n >= 1 && n <= accounts;
        }

        /// <summary>Sets one [NinjaScriptProperty] setting, the way the strategy dialog would.</summary>
        static void Apply(V9_CopyReceiver strategy, string setting)
        {
            int eq = setting.IndexOf('=');
            string key = eq < 0 ? setting : setting.Substring(0, eq);
            PropertyInfo p = typeof(V9_CopyReceiver).GetProperty(key);
            if (eq < 0 || p == null || p.GetCustomAttributes(typeof(NinjaScriptPropertyAttribute), true).Length == 0)
                throw new ArgumentException("--set " + setting + ": no such strategy setting");
            p.SetValue(strategy, Convert.ChangeType(setting.Substring(eq + 1), p.PropertyType, CultureInfo.InvariantCulture), null);
        }

        static bool Command(string cmd)
        {
            string[] w = cmd.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            if (w.Length == 0)
                return true;
            switch (w[0])
            {
                case "quit":
                    return false;
                case "price":
                    SimExchange.SetPrice(w[1], double.Parse(w[2], CultureInfo.InvariantCulture));
                    SimExchange.Drain();
                    Say("OK|price");
                    return true;
                case "restart":
                    strategy.EnterState(State.Terminated);
                    SimExchange.Drain();
                    strategy = Enable();
                    Say("OK|restart");
                    return true;
                case "session-end":
                    SimExchange.SessionEnd();
                    SimExchange.Drain();
                    Say("OK|session-end");
                    return true;
                case "dump":
                    SimExchange.Drain();
                    Dump();
                    return true;
            }
            Say("ERR|unknown command " + cmd);
            return true;
        }

        /// <summary>POS|account|root|instrument|signed qty|avg price, ORD|account|root|action|type|
        /// qty|limit|stop|tif|state per working order, then END|positions|orders.</summary>
        static void Dump()
        {
            int npos = 0, nord = 0;
            var inv = CultureInfo.InvariantCulture;
            var all = new List<Account>();
            lock (Account.All)
                all.AddRange(Account.All);
            foreach (Account a in all)
            {
                lock (a.Positions)
                    foreach (Position p in a.Positions)
                    {
                        int q = p.MarketPosition == MarketPosition.Long ? p.Quantity : -p.Quantity;
                        Say("POS|" + a.Name + "|" + p.Instrument.MasterInstrument.Name + "|" + p.Instrument.FullName + "|"
                            + q.ToString(inv) + "|" + p.AveragePrice.ToString("0.00", inv));
                        npos++;
                    }
                foreach (Order o in SimExchange.Open(a, null))
                {
                    Say("ORD|" + a.Name + "|" + o.Instrument.MasterInstrument.Name + "|" + o.OrderAction + "|" + o.OrderType + "|"
                        + o.Quantity.ToString(inv) + "|" + o.LimitPrice.ToString(inv) + "|" + o.StopPrice.ToString(inv) + "|"
                        + o.TimeInForce + "|" + o.OrderState);
                    nord++;
                }
            }
            Say("END|" + npos + "|" + nord);
        }

        static void Say(string line)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }
}
