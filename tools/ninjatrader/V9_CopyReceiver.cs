// V9_CopyReceiver: a NinjaTrader 8 strategy that receives V9 signals from the v9bridge engine
// (or any V9 server) over TCP and executes each one on every selected account.
//
// Install: copy this file and the eight V9Copy*.cs files next to it into
// Documents\NinjaTrader 8\bin\Custom\Strategies, compile with F5 in the NinjaScript Editor, then
// add the strategy to a chart or the Strategies tab (see tools/ninjatrader/README.md).
//
// What each signal does on every selected account (the engine's model, src/sim/model.rs), for a
// signed position p in the signal's instrument and the account's multiplier m:
//   LONG q        short p: close it, then buy q*m; flat or long: buy q*m (adds)
//   SHORT q       the mirror of LONG
//   FLATTEN       Account.Flatten on the instrument (ALL = every instrument this strategy
//                 reports): working orders cancelled, position closed
//   CLOSE_HALF    close ceil(|p|/2): 3 -> 1 left, 2 -> 1, 1 -> flat
//   CLOSE_ONE     close m contracts (one signal contract), never past flat
//   REVERSE q     long p -> short q*m (or p when q = 0), and vice versa; flat stays flat
// TP:/SL: become an OCO bracket (V9CopyOrders.cs has the rules), TIF:DAY / TIF:GTC set the time
// in force (default: this strategy's Time in force setting). Accounts:a+b runs a signal on those
// accounts only, Accounts:a=2+b=1 also sizes it per account (before the multiplier).
// Reconnects resume (V9CopyCatchUp.cs): CONNECT declares the accounts and, from the second
// connect on, Last_ID (highest id received) and Epoch; an id runs at most once per account
// (replayed ones included); SYNC sets each targeted account to the target position; CAUGHT_UP
// is answered with the positions SYNC changed and a POSITION_SUMMARY carrying its ID.
// Restarts resume too (V9CopyState.cs): the epoch and the last id executed per account are kept
// in the State file, so the first CONNECT after a restart carries Last_ID/Epoch and no id runs
// twice on an account.
// After each signal every selected account's POSITION (with the engine's Symbol: extension) and
// a POSITION_SUMMARY carrying the signal's ID go back, read from NinjaTrader's own
// Account.Positions; all positions are sent again every heartbeat and after every (re)connect.
// Errors go back as ERROR|ORDER_REJECTED (per account; the others carry on),
// ERROR|ACCOUNT_NOT_FOUND (a listed account that does not exist) and ERROR|INVALID_SIGNAL
// (unmapped symbol, unknown action, bad fields). Malformed, unknown or oversized lines are
// logged and skipped.
//
// Threads: NinjaTrader's threads only run OnStateChange and the account event handlers, which
// record and return. The network runs on the link threads (V9CopyLink.cs) and orders are
// placed by the executor thread (V9CopyExecutor.cs), so nothing here blocks NinjaTrader.
#region Using declarations
using System;
using System.ComponentModel.DataAnnotations;
using System.Threading;
using NinjaTrader.Cbi;
using NinjaTrader.NinjaScript;
#endregion

namespace NinjaTrader.NinjaScript.Strategies
{
    public class V9_CopyReceiver : Strategy
    {
        // One copier per NinjaTrader: a second instance would execute every signal twice.
        static int activeCopiers;

        V9CopyLink link;
        V9CopyExecutor executor;
        bool counted;

        protected override void OnStateChange()
        {
            try
            {
                if (State == State.SetDefaults)
                    ApplyDefaults();
                else if (State == State.Configure)
                {
                    // Nothing to open here: NinjaTrader also configures instances it never runs
                    // (property grid, strategy analyzer), which must not connect or trade.
                }
                else if (State == State.Realtime)
                    StartCopying();
                else if (State == State.Terminated)
                    StopCopying();
            }
            catch (Exception e)
            {
                Say("error in state " + State + ": " + e);
                Log("V9_CopyReceiver: error in state " + State + ": " + e.Message, LogLevel.Error);
            }
        }

        protected override void OnBarUpdate()
        {
            // Signals come from the V9 server, not from bars.
        }

        void ApplyDefaults()
        {
            Name = "V9_CopyReceiver";
            Description = "Copies V9 signals (v9bridge) to every selected account.";
            Calculate = Calculate.OnBarClose;
            ServerHost = "127.0.0.1";
            ServerPort = 5000;
            ReceiverName = "V9_CopyReceiver";
            AccountsToTrade = "*";
            QuantityMultipliers = "";
            SymbolMap = "MES,ES,NQ,MNQ,YM,MYM,RTY,M2K";
            RollDaysBeforeExpiry = 8;
            HeartbeatSeconds = 5;
            AckTimeoutSeconds = 30;
            SettleTimeoutSeconds = 10;
            StateFile = DefaultStateFile();
        }

        /// <summary>Documents\NinjaTrader 8\v9bridge\V9_CopyReceiver.state: NinjaTrader's user
        /// data folder, which survives NinjaTrader updates and is the user's to back up.</summary>
        static string DefaultStateFile()
        {
            try
            {
                return System.IO.Path.Combine(System.IO.Path.Combine(Core.Globals.UserDataDir, "v9bridge"), "V9_CopyReceiver.state");
            }
            catch (Exception)
            {
                return ""; // no user data folder: ids are kept in memory only
            }
        }

        void StartCopying()
        {
            if (link != null)
                return;
            if (Interlocked.Increment(ref activeCopiers) > 1)
            {
                Interlocked.Decrement(ref activeCopiers);
                Say("another V9_CopyReceiver is already running in this NinjaTrader: this one stays idle");
                Log("V9_CopyReceiver: another instance is already running; this one stays idle", LogLevel.Warning);
                return;
            }
            counted = true;
            Action<string> say = Say;
            var cfg = new V9CopyConfig
            {
                AccountsSpec = AccountsToTrade,
                Multipliers = V9CopyAccounts.Multipliers(QuantityMultipliers, say),
                Symbols = new V9CopySymbolMap(SymbolMap, RollDaysBeforeExpiry, say),
                DefaultTif = TimeInForce,
                SettleTimeout = TimeSpan.FromSeconds(SettleTimeoutSeconds),
                State = new V9CopyStateFile(StateFile, say),
            };
            if (cfg.State.Path == null)
                Say("no state file set: a restart of this strategy connects like a first start (live signals only)");
            executor = new V9CopyExecutor(cfg, SendLine, say);
            executor.Start();
            V9CopyExecutor ex = executor;
            string name = ReceiverName;
            link = new V9CopyLink(ServerHost, ServerPort, ReceiverName, () => ex.AccountCount, () => ex.ConnectLine(name),
                HeartbeatSeconds, AckTimeoutSeconds, ex.OnReady, ex.OnLine, ex.OnHeartbeat, say);
            link.Start();
            Say("copying to " + executor.AccountCount + " account(s) from " + ServerHost + ":" + ServerPort
                + ", symbols " + SymbolMap);
        }

        void SendLine(string line)
        {
            V9CopyLink l = link;
            if (l != null)
                l.Send(line);
        }

        void StopCopying()
        {
            if (link != null)
                link.Stop();
            if (executor != null)
            {
                executor.Stop();
                Say("stopped: " + executor.Executed + " signals executed, " + executor.Duplicates
                    + " duplicates skipped, " + executor.Syncs + " SYNC applied, "
                    + (link != null ? link.Connections : 0) + " connections");
            }
            link = null;
            executor = null;
            if (counted)
                Interlocked.Decrement(ref activeCopiers);
            counted = false;
        }

        void Say(string message)
        {
            try
            {
                Print(DateTime.Now.ToString("HH:mm:ss.fff") + " V9_CopyReceiver: " + message);
            }
            catch (Exception)
            {
                // The output window is gone (NinjaTrader shutting down): nothing left to tell.
            }
        }

        #region Properties
        [NinjaScriptProperty]
        [Display(Name = "Server host", Description = "V9 server address (the v9bridge engine)", Order = 1, GroupName = "V9 server")]
        public string ServerHost { get; set; }

        [NinjaScriptProperty]
        [Range(1, 65535)]
        [Display(Name = "Server port", Order = 2, GroupName = "V9 server")]
        public int ServerPort { get; set; }

        [NinjaScriptProperty]
        [Display(Name = "Strategy name", Description = "Name sent in CONNECT and HEARTBEAT; the server keeps positions per name", Order = 3, GroupName = "V9 server")]
        public string ReceiverName { get; set; }

        [NinjaScriptProperty]
        [Range(1, 60)]
        [Display(Name = "Heartbeat (s)", Description = "HEARTBEAT and full position report interval", Order = 4, GroupName = "V9 server")]
        public double HeartbeatSeconds { get; set; }

        [NinjaScriptProperty]
        [Range(5, 600)]
        [Display(Name = "Reconnect after no ack (s)", Description = "Reconnect when no HEARTBEAT_ACK arrives this long", Order = 5, GroupName = "V9 server")]
        public double AckTimeoutSeconds { get; set; }

        [NinjaScriptProperty]
        [Display(Name = "Accounts to trade", Description = "* = all accounts; PREFIX* = names starting with PREFIX; or a list: Acc1,Acc2", Order = 1, GroupName = "Accounts")]
        public string AccountsToTrade { get; set; }

        [NinjaScriptProperty]
        [Display(Name = "Quantity multipliers", Description = "ACCOUNT=N list, e.g. Acc1=2,Acc5=3; others trade 1x", Order = 2, GroupName = "Accounts")]
        public string QuantityMultipliers { get; set; }

        [NinjaScriptProperty]
        [Display(Name = "Symbol map", Description = "MES = front quarterly contract (rolled automatically); CL=CL 02-27 = that exact instrument", Order = 1, GroupName = "Instruments")]
        public string SymbolMap { get; set; }

        [NinjaScriptProperty]
        [Range(0, 60)]
        [Display(Name = "Roll days before expiry", Description = "Front quarterly contract rolls this many days before its third-Friday expiry (8 = NinjaTrader's CME index rollover)", Order = 2, GroupName = "Instruments")]
        public int RollDaysBeforeExpiry { get; set; }

        [NinjaScriptProperty]
        [Range(1, 120)]
        [Display(Name = "Fill wait (s)", Description = "Longest wait for a signal's orders to fill before reporting", Order = 1, GroupName = "Orders")]
        public double SettleTimeoutSeconds { get; set; }

        [NinjaScriptProperty]
        [Display(Name = "State file", Description = "Where the last executed id per account and the server epoch are kept, so a restart never runs an id twice; empty = in memory only", Order = 1, GroupName = "Restart")]
        public string StateFile { get; set; }
        #endregion
    }
}
