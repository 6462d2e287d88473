// V9_CopyReceiver's executor: one thread that takes signals in order and executes each on every
// selected account through the Account API, waits until NinjaTrader's own executions and
// positions show the result, and reports it. Account events (OrderUpdate, ExecutionUpdate,
// PositionUpdate) arrive on NinjaTrader's threads; their handlers only record under a short
// lock and wake this thread, so they never wait on the network or on orders.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using NinjaTrader.Cbi;

namespace NinjaTrader.NinjaScript.Strategies
{
    /// <summary>Settings the executor needs, parsed once when the strategy starts.</summary>
    internal sealed class V9CopyConfig
    {
        public string AccountsSpec;
        public Dictionary<string, int> Multipliers;
        public V9CopySymbolMap Symbols;
        public TimeInForce DefaultTif;
        public TimeSpan SettleTimeout;
        public V9CopyStateFile State;
    }

    internal sealed partial class V9CopyExecutor
    {
        enum Kind { Signal, Sync, CaughtUp, Ready, Periodic, Dirty }

        sealed class Work
        {
            public Kind Kind;
            public V9CopySignal Signal;
            public V9CopySync Sync;
            public V9CopyCaughtUp CaughtUp;
            public Account Account;
            public Instrument Instrument;
        }

        /// <summary>An (account, instrument) a signal is executing on: what NinjaTrader reported
        /// since the signal started. Guarded by sync.</summary>
        sealed class Track
        {
            public int Start, Target;
            public int Pos;    // last PositionUpdate
            public int Exec;   // sum of ExecutionUpdates
            public int Filled; // sum of the fills our orders reported in OrderUpdate
            public bool Untracked; // Account.Flatten: its orders are NinjaTrader's, so wait for Target
        }

        readonly V9CopyConfig cfg;
        readonly Action<string> send, log;
        readonly BlockingCollection<Work> queue = new BlockingCollection<Work>(100000);
        readonly object sync = new object();
        readonly Dictionary<string, Track> inflight = new Dictionary<string, Track>();
        readonly HashSet<Order> pending = new HashSet<Order>();
        readonly List<Account> subscribed = new List<Account>();
        volatile List<Account> selected = new List<Account>();
        Thread thread;
        volatile bool stopping;
        long savedVersion; // the resume version last written to the state file
        int badLines;

        public V9CopyExecutor(V9CopyConfig cfg, Action<string> send, Action<string> log)
        {
            this.cfg = cfg;
            this.send = send;
            this.log = log;
        }

        public int Executed { get; private set; }
        public int Duplicates { get; private set; }
        public int Syncs { get; private set; }
        public int AccountCount { get { return selected.Count; } }

        public void Start()
        {
            // Before the link starts, so the first CONNECT already resumes from the file.
            V9CopySaved saved = cfg.State.Load();
            if (saved != null)
                resume.Restore(saved);
            savedVersion = resume.Version;
            RefreshAccounts(false);
            foreach (Account a in selected)
                foreach (string root in cfg.Symbols.Roots)
                {
                    Instrument inst = cfg.Symbols.Resolve(root, DateTime.Now);
                    if (inst != null && Snap(a, inst).Qty != 0)
                        Touch(root); // positions held before the strategy started are reported too
                }
            thread = new Thread(Run) { IsBackground = true, Name = "V9CopyReceiver executor" };
            thread.Start();
        }

        public void Stop()
        {
            stopping = true;
            lock (sync)
                Monitor.PulseAll(sync); // a signal waiting for fills gives up now
            if (thread != null && !thread.Join(5000))
                log("executor did not stop within 5 s");
            SaveState();
            cfg.State.Close(TimeSpan.FromSeconds(5));
            lock (subscribed)
            {
                foreach (Account a in subscribed)
                {
                    a.OrderUpdate -= OnOrderUpdate;
                    a.ExecutionUpdate -= OnExecutionUpdate;
                    a.PositionUpdate -= OnPositionUpdate;
                }
                subscribed.Clear();
            }
        }

        // ---- inputs from the link threads (never block) ----

        /// <summary>READY's fields, on the reader thread before any later line is read.</summary>
        public void OnReady(string[] f)
        {
            string note = resume.Ready(V9CopyProtocol.Field(f, 2, "EPOCH"), V9CopyProtocol.Field(f, 2, "LAST_ID"));
            if (note != null)
                log(note);
            Enqueue(new Work { Kind = Kind.Ready });
        }

        public void OnHeartbeat() { Enqueue(new Work { Kind = Kind.Periodic }); }

        public void OnLine(string text, string[] f)
        {
            if (CatchUpLine(text, f))
                return;
            V9CopyAction action;
            if (!V9CopyProtocol.TryParseAction(f[0], out action))
            {
                Bad("unknown message skipped: " + text);
                if (f.Length >= 3) // shaped like a signal: tell the server its action is unknown
                    send(V9CopyProtocol.Error("INVALID_SIGNAL", "Unknown action type", "Action: " + f[0]));
                return;
            }
            V9CopySignal sig;
            string why = V9CopyProtocol.ParseSignal(f, action, out sig);
            if (why != null)
            {
                Bad("invalid signal skipped (" + why + "): " + text);
                send(V9CopyProtocol.Error("INVALID_SIGNAL", why, "Signal: " + text));
                return;
            }
            if (sig.Id >= 0)
                sig.IdsRestarted = resume.Received(sig.Id);
            Enqueue(new Work { Kind = Kind.Signal, Signal = sig });
        }

        void Enqueue(Work w)
        {
            if (!queue.TryAdd(w))
                log("executor queue full: " + w.Kind + " dropped");
        }

        void Bad(string what)
        {
            // Bounded: hostile input must not flood NinjaTrader's output window.
            int n = Interlocked.Increment(ref badLines);
            if (n <= 20 || n % 1000 == 0)
                log(what + (n >= 20 ? " (" + n + " bad lines so far)" : ""));
        }

        // ---- the executor thread ----

        void Run()
        {
            while (!stopping)
            {
                Work w;
                if (!queue.TryTake(out w, 200))
                    continue;
                try
                {
                    Handle(w);
                }
                catch (Exception e)
                {
                    log("error while handling " + w.Kind + ": " + e);
                }
                SaveState();
            }
        }

        void Handle(Work w)
        {
            switch (w.Kind)
            {
                case Kind.Signal:
                    HandleSignal(w.Signal);
                    break;
                case Kind.Sync:
                    HandleSync(w.Sync);
                    break;
                case Kind.CaughtUp:
                    HandleCaughtUp(w.CaughtUp);
                    break;
                case Kind.Ready:
                    RefreshAccounts(true);
                    ReportAll(-1);
                    break;
                case Kind.Periodic:
                    RefreshAccounts(false);
                    ReportAll(-1);
                    break;
                case Kind.Dirty:
                    string root = cfg.Symbols.RootOf(w.Instrument, DateTime.Now);
                    if (root != null && selected.Contains(w.Account))
                        Report(new List<string> { root }, w.Account, -1);
                    break;
            }
        }

        /// <summary>Re-reads the account selection (accounts may connect after the strategy
        /// started) and subscribes to new ones; on READY, names that do not exist are reported.</summary>
        void RefreshAccounts(bool reportMissing)
        {
            List<string> missing;
            List<Account> now = V9CopyAccounts.Select(cfg.AccountsSpec, out missing);
            lock (subscribed)
                foreach (Account a in now)
                    if (!subscribed.Contains(a))
                    {
                        a.OrderUpdate += OnOrderUpdate;
                        a.ExecutionUpdate += OnExecutionUpdate;
                        a.PositionUpdate += OnPositionUpdate;
                        subscribed.Add(a);
                    }
            selected = now;
            if (reportMissing)
                foreach (string name in missing)
                {
                    log("account " + name + " does not exist in NinjaTrader");
                    send(V9CopyProtocol.Error("ACCOUNT_NOT_FOUND", "Account does not exist", "Account: " + name));
                }
        }

        /// <summary>Waits until every order of the signal is final and every position NinjaTrader
        /// reports equals where it started plus the executions it reported, or the timeout.</summary>
        void WaitSettled(List<Leg> legs, long id)
        {
            DateTime deadline = DateTime.UtcNow + cfg.SettleTimeout;
            lock (sync)
            {
                while (!Settled(legs) && !stopping)
                {
                    TimeSpan left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero)
                    {
                        log("signal ID:" + id + ": not settled after " + cfg.SettleTimeout.TotalSeconds + " s ("
                            + pending.Count + " orders still open); reporting what NinjaTrader shows");
                        break;
                    }
                    Monitor.Wait(sync, left);
                }
                foreach (Leg l in legs)
                    inflight.Remove(l.Key);
                pending.Clear();
            }
        }

        /// <summary>OrderUpdate, ExecutionUpdate and PositionUpdate are separate events in no
        /// guaranteed order: done when every order is final, the executions add up to what the
        /// orders say they filled, and the position shows those executions.</summary>
        bool Settled(List<Leg> legs)
        {
            if (pending.Count > 0)
                return false;
            foreach (Leg l in legs)
            {
                Track t = l.Track;
                if (t.Pos != t.Start + t.Exec)
                    return false;
                if (t.Untracked ? t.Pos != t.Target : t.Exec != t.Filled)
                    return false;
            }
            return true;
        }

        // ---- Account events, on NinjaTrader's threads ----

        void OnOrderUpdate(object sender, OrderEventArgs e)
        {
            try
            {
                if (e.OrderState == OrderState.Rejected)
                {
                    // Queued before the executor is woken below, so the server reads the
                    // rejection ahead of the POSITION_SUMMARY of the signal it belongs to.
                    Order o = e.Order;
                    string details = "Account: " + o.Account.Name + ", Symbol: " + o.Instrument.MasterInstrument.Name
                        + ", Order: " + o.Name + ", Reason: " + e.Comment;
                    log("order rejected: " + details);
                    send(V9CopyProtocol.Error("ORDER_REJECTED", "NT rejected order", details));
                }
                if (Order.IsTerminalState(e.OrderState))
                {
                    Order o = e.Order;
                    bool buy = o.OrderAction == OrderAction.Buy || o.OrderAction == OrderAction.BuyToCover;
                    lock (sync)
                        if (pending.Remove(o))
                        {
                            Track t;
                            if (inflight.TryGetValue(Key(o.Account, o.Instrument), out t))
                                t.Filled += buy ? e.Filled : -e.Filled;
                            WakeIfDone();
                        }
                }
            }
            catch (Exception ex)
            {
                log("OrderUpdate handler: " + ex);
            }
        }

        void OnExecutionUpdate(object sender, ExecutionEventArgs e)
        {
            try
            {
                if (e.Operation != Operation.Add)
                    return; // amended or removed by the broker's back office: not a new fill
                string key = Key(e.Execution.Account, e.Execution.Instrument);
                int signedQty = e.MarketPosition == MarketPosition.Long ? e.Quantity : -e.Quantity;
                lock (sync)
                {
                    Track t;
                    if (inflight.TryGetValue(key, out t))
                    {
                        t.Exec += signedQty;
                        WakeIfDone();
                    }
                }
            }
            catch (Exception ex)
            {
                log("ExecutionUpdate handler: " + ex);
            }
        }

        void OnPositionUpdate(object sender, PositionEventArgs e)
        {
            try
            {
                Position p = e.Position;
                int qty = e.Operation == Operation.Remove ? 0 : Signed(e.MarketPosition, e.Quantity);
                bool dirty;
                lock (sync)
                {
                    Track t;
                    dirty = !inflight.TryGetValue(Key(p.Account, p.Instrument), out t);
                    if (!dirty)
                    {
                        t.Pos = qty;
                        WakeIfDone();
                    }
                }
                // Not caused by a signal (a bracket leg filled, a manual trade): report it.
                if (dirty)
                    Enqueue(new Work { Kind = Kind.Dirty, Account = p.Account, Instrument = p.Instrument });
            }
            catch (Exception ex)
            {
                log("PositionUpdate handler: " + ex);
            }
        }

        /// <summary>Under sync. Wakes the executor only once no order is open any more: with 20
        /// accounts a signal raises ~100 events, and a context switch for each costs more than
        /// the checking.</summary>
        void WakeIfDone()
        {
            if (pending.Count == 0)
                Monitor.PulseAll(sync);
        }

        static string Key(Account a, Instrument i)
        {
            return a.Name + "\u0001" + i.FullName;
        }

        static int Signed(MarketPosition mp, int qty)
        {
            return mp == MarketPosition.Long ? qty : mp == MarketPosition.Short ? -qty : 0;
        }
    }
}
