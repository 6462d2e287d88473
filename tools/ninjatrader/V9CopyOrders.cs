// V9_CopyReceiver's executor, order side: turning one signal into Account API calls on every
// selected account, the TP/SL bracket rules, and the POSITION / POSITION_SUMMARY reports, which
// are always read back from NinjaTrader's Account.Positions (never from what was sent).
//
// Bracket rules (a bracket is the OCO pair "V9 Target" limit + "V9 Stop" stop-market that
// closes the whole position of one account in one instrument):
// - a signal that changes the position first cancels that position's bracket, so a stop sized
//   for the old position can never fire on the new one;
// - after the orders filled: LONG/SHORT/REVERSE with TP:/SL: place a new bracket at those prices
//   for the whole resulting position; otherwise, when the position kept its side (added to or
//   partly closed), the previous bracket, if still working, is placed again at the new size;
//   flat = no bracket;
// - a bracket leg that fills cancels the other leg (OCO); the position change is reported.
using System;
using System.Collections.Generic;
using NinjaTrader.Cbi;

namespace NinjaTrader.NinjaScript.Strategies
{
    internal sealed partial class V9CopyExecutor
    {
        /// <summary>One signal on one (account, instrument).</summary>
        sealed class Leg
        {
            public Account Account;
            public string Root, Key;
            public Instrument Instrument;
            public Track Track;
            public bool Changed, Flatten;
            public Bracket Previous;
            public readonly List<Order> Submit = new List<Order>(2);
            public readonly List<Order> Cancel = new List<Order>(2);
        }

        sealed class Bracket
        {
            public Order Target, Stop;
            public double Tp, Sl;
            public TimeInForce Tif;

            public List<Order> Live()
            {
                var l = new List<Order>(2);
                foreach (Order o in new[] { Target, Stop })
                    if (o != null && !Order.IsTerminalState(o.OrderState))
                        l.Add(o);
                return l;
            }
        }

        struct Snapshot
        {
            public int Qty;
            public double Avg, Pnl;
        }

        readonly Dictionary<string, Bracket> brackets = new Dictionary<string, Bracket>();
        readonly List<string> touched = new List<string>(); // roots traded or held: always reported

        void Execute(V9CopySignal sig)
        {
            var qty = new Dictionary<string, int>();
            int dups;
            List<Account> accounts = Targets(sig, qty, out dups);
            if (accounts.Count == 0 && dups > 0)
            {
                Duplicates++;
                log("signal ID:" + sig.Id + (sig.Replay ? " (replayed)" : "") + " was already executed: skipped");
                return;
            }
            TimeInForce tif;
            if (!TryTif(sig.Tif, out tif))
            {
                send(V9CopyProtocol.Error("INVALID_SIGNAL", "Unsupported TIF", "TIF: " + sig.Tif + " (DAY or GTC)"));
                SendSummary(sig.Id);
                return;
            }
            var roots = new List<string>();
            if (sig.Symbol == "ALL")
                roots.AddRange(touched);
            else if (cfg.Symbols.Resolve(sig.Symbol.ToUpperInvariant(), DateTime.Now) == null)
            {
                // Nothing is traded for a symbol without an instrument; the server hears why.
                send(V9CopyProtocol.Error("INVALID_SIGNAL", "Unmapped symbol", "Symbol: " + sig.Symbol));
                SendSummary(sig.Id);
                return;
            }
            else
            {
                roots.Add(sig.Symbol.ToUpperInvariant());
                Touch(roots[0]);
            }
            List<Leg> legs = Plan(roots, accounts,
                (a, start) => V9CopyProtocol.Target(sig.Action, start, qty[a.Name], Multiplier(a)),
                sig.Action == V9CopyAction.Flatten, tif);
            SubmitAll(legs);
            WaitSettled(legs, sig.Id);
            PlaceBrackets(legs, sig, tif);
            if (sig.Id >= 0)
                foreach (Account a in accounts)
                    resume.Executed(a.Name, sig.Id);
            Executed++;
            Report(roots, null, sig.Id);
        }

        int Multiplier(Account a)
        {
            int m;
            return cfg.Multipliers.TryGetValue(a.Name, out m) ? m : 1;
        }

        List<Leg> Plan(List<string> roots, List<Account> accounts, Func<Account, int, int> targetOf, bool flatten, TimeInForce tif)
        {
            var legs = new List<Leg>();
            DateTime today = DateTime.Now;
            foreach (Account a in accounts)
                foreach (string root in roots)
                {
                    Instrument inst = cfg.Symbols.Resolve(root, today);
                    if (inst == null)
                        continue;
                    var leg = new Leg { Account = a, Root = root, Instrument = inst, Key = Key(a, inst), Track = new Track() };
                    // Registered before the position is read, so no event in between is missed.
                    lock (sync)
                        inflight[leg.Key] = leg.Track;
                    int start = Snap(a, inst).Qty;
                    int target = targetOf(a, start);
                    leg.Changed = target != start || flatten;
                    Bracket b;
                    if (leg.Changed && brackets.TryGetValue(leg.Key, out b))
                    {
                        brackets.Remove(leg.Key);
                        // A bracket that already ended (filled, DAY expiry, cancelled by hand) is
                        // not brought back by later signals.
                        List<Order> live = b.Live();
                        if (live.Count > 0)
                            leg.Previous = b;
                        leg.Cancel.AddRange(live);
                    }
                    leg.Flatten = flatten && start != 0;
                    if (!leg.Flatten)
                        MarketOrders(leg, start, target, tif);
                    lock (sync)
                    {
                        leg.Track.Start = leg.Track.Pos = start;
                        leg.Track.Target = leg.Flatten || leg.Submit.Count > 0 ? target : start;
                        leg.Track.Untracked = leg.Flatten;
                        foreach (Order o in leg.Submit)
                            pending.Add(o);
                        foreach (Order o in leg.Cancel)
                            pending.Add(o);
                    }
                    legs.Add(leg);
                }
            return legs;
        }

        /// <summary>Market orders from start to target: the closing part (Sell / BuyToCover) and
        /// the opening part (Buy / SellShort) as separate orders, as NinjaTrader books them.</summary>
        void MarketOrders(Leg leg, int start, int target, TimeInForce tif)
        {
            int delta = target - start;
            if (delta == 0)
                return;
            try
            {
                int size = Math.Abs(delta);
                int close = delta > 0 ? (start < 0 ? Math.Min(-start, size) : 0) : (start > 0 ? Math.Min(start, size) : 0);
                if (close > 0)
                    leg.Submit.Add(Market(leg, delta > 0 ? OrderAction.BuyToCover : OrderAction.Sell, close, tif, "V9 Exit"));
                if (size - close > 0)
                    leg.Submit.Add(Market(leg, delta > 0 ? OrderAction.Buy : OrderAction.SellShort, size - close, tif, "V9 Entry"));
            }
            catch (Exception e)
            {
                Rejected(leg.Account, leg.Root, e);
                leg.Submit.Clear();
            }
        }

        Order Market(Leg leg, OrderAction action, int qty, TimeInForce tif, string name)
        {
            return leg.Account.CreateOrder(leg.Instrument, action, OrderType.Market, OrderEntry.Automated, tif, qty,
                0, 0, "", name, Core.Globals.MaxDate, null);
        }

        /// <summary>One Cancel / Flatten / Submit per account; a failure on one account is
        /// reported and the other accounts go on.</summary>
        void SubmitAll(List<Leg> legs)
        {
            for (int i = 0; i < legs.Count; )
            {
                Account a = legs[i].Account;
                var mine = new List<Leg>();
                while (i < legs.Count && legs[i].Account == a)
                    mine.Add(legs[i++]);
                var cancel = new List<Order>();
                var submit = new List<Order>();
                var flatten = new List<Instrument>();
                foreach (Leg l in mine)
                {
                    cancel.AddRange(l.Cancel);
                    submit.AddRange(l.Submit);
                    if (l.Flatten)
                        flatten.Add(l.Instrument);
                }
                try
                {
                    if (cancel.Count > 0)
                        a.Cancel(cancel);
                    if (flatten.Count > 0)
                        a.Flatten(flatten);
                    if (submit.Count > 0)
                        a.Submit(submit);
                }
                catch (Exception e)
                {
                    Rejected(a, mine[0].Root, e);
                    lock (sync)
                        foreach (Leg l in mine)
                        {
                            l.Submit.ForEach(o => pending.Remove(o));
                            l.Cancel.ForEach(o => pending.Remove(o));
                            l.Track.Target = l.Track.Start;
                            l.Track.Untracked = false;
                        }
                }
            }
        }

        void PlaceBrackets(List<Leg> legs, V9CopySignal sig, TimeInForce tif)
        {
            // sig is null for SYNC: it keeps a bracket of the same side, at the new size.
            bool opening = sig != null && (sig.Action == V9CopyAction.Long || sig.Action == V9CopyAction.Short || sig.Action == V9CopyAction.Reverse);
            foreach (Leg l in legs)
            {
                if (!l.Changed)
                    continue;
                int pos = Snap(l.Account, l.Instrument).Qty;
                if (pos == 0)
                    continue;
                var b = new Bracket { Tif = tif };
                if (opening && sig.HasBracket)
                {
                    b.Tp = sig.Tp;
                    b.Sl = sig.Sl;
                }
                else if (l.Previous != null && Math.Sign(pos) == Math.Sign(l.Track.Start))
                {
                    b.Tp = l.Previous.Tp;
                    b.Sl = l.Previous.Sl;
                    b.Tif = l.Previous.Tif;
                }
                else
                    continue;
                try
                {
                    SubmitBracket(l, b, pos);
                    brackets[l.Key] = b;
                }
                catch (Exception e)
                {
                    Rejected(l.Account, l.Root, e);
                }
            }
        }

        void SubmitBracket(Leg l, Bracket b, int pos)
        {
            OrderAction exit = pos > 0 ? OrderAction.Sell : OrderAction.BuyToCover;
            int qty = Math.Abs(pos);
            string oco = b.Tp > 0 && b.Sl > 0 ? "V9" + Guid.NewGuid().ToString("N") : "";
            MasterInstrument mi = l.Instrument.MasterInstrument;
            var orders = new List<Order>(2);
            if (b.Tp > 0)
                orders.Add(b.Target = l.Account.CreateOrder(l.Instrument, exit, OrderType.Limit, OrderEntry.Automated, b.Tif,
                    qty, mi.RoundToTickSize(b.Tp), 0, oco, "V9 Target", Core.Globals.MaxDate, null));
            if (b.Sl > 0)
                orders.Add(b.Stop = l.Account.CreateOrder(l.Instrument, exit, OrderType.StopMarket, OrderEntry.Automated, b.Tif,
                    qty, 0, mi.RoundToTickSize(b.Sl), oco, "V9 Stop", Core.Globals.MaxDate, null));
            l.Account.Submit(orders);
        }

        void Rejected(Account a, string root, Exception e)
        {
            string details = "Account: " + a.Name + ", Symbol: " + root + ", Reason: " + e.Message;
            log("order failed: " + details);
            send(V9CopyProtocol.Error("ORDER_REJECTED", "NT rejected order", details));
        }

        bool TryTif(string s, out TimeInForce tif)
        {
            tif = cfg.DefaultTif;
            if (s == null)
                return true;
            if (s == "DAY")
                tif = TimeInForce.Day;
            else if (s == "GTC")
                tif = TimeInForce.Gtc;
            else
                return false;
            return true;
        }

        void Touch(string root)
        {
            if (!touched.Contains(root))
                touched.Add(root);
        }

        // ---- reports: always what NinjaTrader's Account.Positions says now ----

        void ReportAll(long id)
        {
            Report(touched, null, id);
        }

        /// <summary>POSITION per account (or just only) per root, then POSITION_SUMMARY.</summary>
        void Report(List<string> roots, Account only, long id)
        {
            DateTime now = DateTime.UtcNow, today = DateTime.Now;
            List<Account> accounts = only != null ? new List<Account> { only } : selected;
            foreach (string root in roots)
            {
                Instrument inst = cfg.Symbols.Resolve(root, today);
                if (inst == null)
                    continue;
                foreach (Account a in accounts)
                {
                    Snapshot s = Snap(a, inst);
                    send(V9CopyProtocol.Position(a.Name, s.Qty, s.Avg, s.Pnl, now, root));
                }
            }
            SendSummary(id);
        }

        /// <summary>Totals over every selected account and reported root, counted the way the
        /// engine counts the POSITIONs it holds (so the two agree).</summary>
        void SendSummary(long id)
        {
            int holding = 0, qty = 0, longs = 0, shorts = 0;
            double pnl = 0, notional = 0;
            DateTime today = DateTime.Now;
            foreach (Account a in selected)
            {
                bool holds = false;
                foreach (string root in touched)
                {
                    Instrument inst = cfg.Symbols.Resolve(root, today);
                    if (inst == null)
                        continue;
                    Snapshot s = Snap(a, inst);
                    holds |= s.Qty != 0;
                    qty += Math.Abs(s.Qty);
                    longs += s.Qty > 0 ? 1 : 0;
                    shorts += s.Qty < 0 ? 1 : 0;
                    pnl += s.Pnl;
                    notional += s.Avg * Math.Abs(s.Qty);
                }
                holding += holds ? 1 : 0;
            }
            send(V9CopyProtocol.Summary(holding, qty, pnl, qty > 0 ? notional / qty : 0, longs, shorts, id));
        }

        static Snapshot Snap(Account a, Instrument inst)
        {
            Position found = null;
            lock (a.Positions)
                foreach (Position p in a.Positions)
                    if (p.Instrument.FullName == inst.FullName)
                    {
                        found = p;
                        break;
                    }
            var s = new Snapshot();
            if (found == null)
                return s;
            s.Qty = Signed(found.MarketPosition, found.Quantity);
            s.Avg = found.AveragePrice;
            try
            {
                // Outside the Positions lock: P&L reads market data, which takes its own locks.
                s.Pnl = found.GetUnrealizedProfitLoss(PerformanceUnit.Currency);
            }
            catch (Exception)
            {
                s.Pnl = 0; // no price yet for this instrument: report the position without P&L
            }
            return s;
        }
    }
}
