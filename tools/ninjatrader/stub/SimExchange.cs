// The stub's simulated exchange (no NinjaTrader counterpart; internal, so scripts cannot reach
// it). One thread works every order in submission order, like a connection adapter:
// Submitted -> Accepted -> Filled for market orders at the simulated last price; limit and stop
// orders work until the price (moved by the host's "price" command) reaches them; OCO siblings
// are cancelled when one fills or is cancelled; a stop already through the market is rejected,
// as NinjaTrader rejects it; accounts set to reject refuse every order; "session end" cancels
// DAY orders. Events are raised on this thread.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;

namespace NinjaTrader.Cbi
{
    internal static class SimExchange
    {
        static readonly BlockingCollection<Action> work = new BlockingCollection<Action>();
        static readonly Dictionary<string, double> last = new Dictionary<string, double>();
        static readonly Dictionary<string, MasterInstrument> masters = new Dictionary<string, MasterInstrument>();
        static Thread thread;

        static SimExchange()
        {
            // root, tick size, point value, starting price. NQ starts between the demo's pipe
            // signal TP 16100 and SL 15900 so that bracket is valid.
            Add("MES", 0.25, 5, 4520.50);
            Add("ES", 0.25, 50, 4580.00);
            Add("NQ", 0.25, 20, 16000.00);
            Add("MNQ", 0.25, 2, 16000.00);
            Add("YM", 1, 5, 38000);
            Add("MYM", 1, 0.5, 38000);
            Add("RTY", 0.1, 50, 2000);
            Add("M2K", 0.1, 5, 2000);
            Add("GC", 0.1, 100, 2000);
            Add("CL", 0.01, 1000, 75);
        }

        static void Add(string root, double tick, double pointValue, double price)
        {
            masters[root] = new MasterInstrument(root, tick, pointValue);
            last[root] = price;
        }

        internal static MasterInstrument Master(string root)
        {
            lock (masters)
            {
                MasterInstrument m;
                return masters.TryGetValue(root, out m) ? m : null;
            }
        }

        internal static double Last(string root)
        {
            lock (last)
            {
                double p;
                return last.TryGetValue(root, out p) ? p : 0;
            }
        }

        internal static void Submit(Order o) { Post(() => Work(o)); }

        internal static void Cancel(Order o) { Post(() => CancelNow(o, "")); }

        internal static void Flatten(Account a, List<Instrument> instruments)
        {
            Post(() =>
            {
                foreach (Instrument i in instruments)
                {
                    foreach (Order o in Open(a, i))
                        CancelNow(o, "Flatten");
                    int q = a.SignedQuantity(i);
                    if (q == 0)
                        continue;
                    Order close = a.CreateOrder(i, q > 0 ? OrderAction.Sell : OrderAction.BuyToCover, OrderType.Market,
                        OrderEntry.Manual, TimeInForce.Gtc, Math.Abs(q), 0, 0, "", "Close", Core.Globals.MaxDate, null);
                    lock (a.Orders)
                        a.Orders.Add(close);
                    Work(close);
                }
            });
        }

        /// <summary>Moves the simulated last price; working orders it reaches fill at their price.</summary>
        internal static void SetPrice(string root, double price)
        {
            Post(() =>
            {
                lock (last)
                    last[root] = price;
                var all = new List<Account>();
                lock (Account.All)
                    all.AddRange(Account.All);
                foreach (Account a in all)
                    foreach (Order o in Open(a, null))
                        if (o.Instrument.MasterInstrument.Name == root && Reached(o, price) && o.OrderState == OrderState.Working)
                            Fill(o, o.OrderType == OrderType.Limit ? o.LimitPrice : o.StopPrice);
            });
        }

        /// <summary>End of the trading session: DAY orders are cancelled, GTC ones keep working.</summary>
        internal static void SessionEnd()
        {
            Post(() =>
            {
                var all = new List<Account>();
                lock (Account.All)
                    all.AddRange(Account.All);
                foreach (Account a in all)
                    foreach (Order o in Open(a, null))
                        if (o.TimeInForce == TimeInForce.Day)
                            CancelNow(o, "Day order expired at session end");
            });
        }

        /// <summary>Returns once everything posted so far has been worked (events raised).</summary>
        internal static void Drain()
        {
            var done = new ManualResetEventSlim(false);
            Post(done.Set);
            done.Wait(TimeSpan.FromSeconds(30));
        }

        internal static List<Order> Open(Account a, Instrument i)
        {
            var l = new List<Order>();
            lock (a.Orders)
                foreach (Order o in a.Orders)
                    if (!Order.IsTerminalState(o.OrderState) && (i == null || o.Instrument == i))
                        l.Add(o);
            return l;
        }

        static void Post(Action a)
        {
            lock (work)
                if (thread == null)
                {
                    thread = new Thread(Loop) { IsBackground = true, Name = "stub exchange" };
                    thread.Start();
                }
            work.Add(a);
        }

        static void Loop()
        {
            foreach (Action a in work.GetConsumingEnumerable())
            {
                try
                {
                    a();
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine("stub exchange: " + e);
                }
            }
        }

        static void Work(Order o)
        {
            if (o.OrderState != OrderState.Initialized)
                return; // cancelled (or worked) already
            Set(o, OrderState.Submitted, ErrorCode.NoError, "");
            if (o.Account.RejectOrders)
            {
                Reject(o, "Order rejected by the simulated account (test setting)");
                return;
            }
            double price = Last(o.Instrument.MasterInstrument.Name);
            switch (o.OrderType)
            {
                case OrderType.Market:
                    Set(o, OrderState.Accepted, ErrorCode.NoError, "");
                    Fill(o, price);
                    return;
                case OrderType.Limit:
                    Set(o, OrderState.Accepted, ErrorCode.NoError, "");
                    Set(o, OrderState.Working, ErrorCode.NoError, "");
                    if (Reached(o, price))
                        Fill(o, price); // marketable limit: fills now, at the market
                    return;
                case OrderType.StopMarket:
                    if (Reached(o, price))
                    {
                        Reject(o, (o.IsBuy ? "Buy stop orders can't be placed below the market" : "Sell stop orders can't be placed above the market"));
                        return;
                    }
                    Set(o, OrderState.Accepted, ErrorCode.NoError, "");
                    Set(o, OrderState.Working, ErrorCode.NoError, "");
                    return;
                default:
                    Reject(o, "order type " + o.OrderType + " is not simulated by the stub");
                    return;
            }
        }

        /// <summary>True when price has reached the order: a limit at or better, a stop at or through.</summary>
        static bool Reached(Order o, double price)
        {
            if (o.OrderType == OrderType.Limit)
                return o.IsBuy ? price <= o.LimitPrice : price >= o.LimitPrice;
            if (o.OrderType == OrderType.StopMarket)
                return o.IsBuy ? price >= o.StopPrice : price <= o.StopPrice;
            return false;
        }

        static void Fill(Order o, double price)
        {
            o.Filled = o.Quantity;
            o.AverageFillPrice = price;
            Set(o, OrderState.Filled, ErrorCode.NoError, "");
            o.Account.Book(o, o.Quantity, price);
            CancelOcoSiblings(o);
        }

        static void Reject(Order o, string why)
        {
            Set(o, OrderState.Rejected, ErrorCode.OrderRejected, why);
            CancelOcoSiblings(o);
        }

        static void CancelNow(Order o, string why)
        {
            if (Order.IsTerminalState(o.OrderState))
                return;
            Set(o, OrderState.CancelPending, ErrorCode.NoError, why);
            Set(o, OrderState.Cancelled, ErrorCode.NoError, why);
            CancelOcoSiblings(o);
        }

        static void CancelOcoSiblings(Order o)
        {
            if (string.IsNullOrEmpty(o.Oco))
                return;
            foreach (Order s in Open(o.Account, o.Instrument))
                if (s != o && s.Oco == o.Oco)
                    CancelNow(s, "OCO");
        }

        static void Set(Order o, OrderState state, ErrorCode error, string comment)
        {
            o.OrderState = state;
            o.Time = DateTime.Now;
            o.Account.RaiseOrder(o, error, comment);
        }
    }
}
