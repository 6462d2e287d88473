// Stand-in for NinjaTrader.Cbi.Account (see Cbi.cs for the sources cited). Orders go to the
// simulated exchange (SimExchange.cs), which works them on its own thread and raises the
// account events there, as a NinjaTrader connection adapter does.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Threading;

namespace NinjaTrader.Cbi
{
    // help guide account_class; autodocs NinjaTrader.Cbi.Account
    public class Account
    {
        static readonly Collection<Account> all = new Collection<Account>();
        static long nextOrderId;

        readonly Collection<Position> positions = new Collection<Position>();
        readonly Collection<Order> orders = new Collection<Order>();
        readonly Collection<Execution> executions = new Collection<Execution>();

        internal Account(string name, bool rejectOrders)
        {
            Name = name;
            RejectOrders = rejectOrders;
        }

        // help guide account_class (All: "A collection of Account objects"; scripts lock it)
        public static Collection<Account> All { get { return all; } }

        // help guide name_account
        public string Name { get; private set; }

        // help guide positions_account (scripts lock it while iterating)
        public Collection<Position> Positions { get { return positions; } }

        // help guide orders_account
        public Collection<Order> Orders { get { return orders; } }

        // help guide executions
        public Collection<Execution> Executions { get { return executions; } }

        // help guide orderupdate
        public event EventHandler<OrderEventArgs> OrderUpdate;

        // help guide executionupdate
        public event EventHandler<ExecutionEventArgs> ExecutionUpdate;

        // help guide positionupdate
        public event EventHandler<PositionEventArgs> PositionUpdate;

        /// <summary>Test knob: every order this account receives is rejected by the simulator.</summary>
        internal bool RejectOrders;

        // help guide createorder: CreateOrder(Instrument, OrderAction, OrderType, OrderEntry,
        // TimeInForce, int quantity, double limitPrice, double stopPrice, string oco, string name,
        // DateTime gtd, CustomOrder customOrder)
        public Order CreateOrder(Instrument instrument, OrderAction action, OrderType orderType, OrderEntry orderEntry,
            TimeInForce timeInForce, int quantity, double limitPrice, double stopPrice, string oco, string name,
            DateTime gtd, CustomOrder customOrder)
        {
            if (instrument == null)
                throw new ArgumentNullException("instrument");
            if (quantity <= 0)
                throw new ArgumentOutOfRangeException("quantity");
            return new Order
            {
                Account = this,
                Instrument = instrument,
                OrderAction = action,
                OrderType = orderType,
                TimeInForce = timeInForce,
                Quantity = quantity,
                LimitPrice = limitPrice,
                StopPrice = stopPrice,
                Oco = oco ?? "",
                Name = name ?? "",
                Gtd = gtd,
                OrderId = "SIM" + Interlocked.Increment(ref nextOrderId),
                OrderState = OrderState.Initialized,
                Time = DateTime.Now,
            };
        }

        // help guide submit: Submit(IEnumerable<Order> orders)
        public void Submit(IEnumerable<Order> orders)
        {
            foreach (Order o in orders)
            {
                if (o.Account != this)
                    throw new ArgumentException("order of another account");
                lock (this.orders)
                    this.orders.Add(o);
                SimExchange.Submit(o);
            }
        }

        // help guide cancel: Cancel(IEnumerable<Order> orders)
        public void Cancel(IEnumerable<Order> orders)
        {
            foreach (Order o in orders)
                SimExchange.Cancel(o);
        }

        // help guide flatten: Flatten(ICollection<Instrument> instruments): "A collection of
        // Instruments for orders to be cancelled and positions closed"
        public void Flatten(ICollection<Instrument> instruments)
        {
            SimExchange.Flatten(this, new List<Instrument>(instruments));
        }

        public override string ToString() { return Name; }

        // ---- simulation side (SimExchange thread) ----

        internal static Account AddForHost(string name, bool rejectOrders)
        {
            var a = new Account(name, rejectOrders);
            lock (all)
                all.Add(a);
            return a;
        }

        internal Position Find(Instrument instrument)
        {
            lock (positions)
                foreach (Position p in positions)
                    if (p.Instrument == instrument)
                        return p;
            return null;
        }

        internal int SignedQuantity(Instrument instrument)
        {
            Position p = Find(instrument);
            if (p == null)
                return 0;
            return p.MarketPosition == MarketPosition.Long ? p.Quantity : -p.Quantity;
        }

        /// <summary>Books a fill: average price on adds, unchanged on partial closes, new on a flip;
        /// a position that goes flat leaves the collection (Operation.Remove), like NinjaTrader's.</summary>
        internal void Book(Order o, int qty, double price)
        {
            int delta = o.IsBuy ? qty : -qty;
            int before, after;
            Position p;
            Operation op;
            lock (positions)
            {
                p = Find(o.Instrument);
                before = p == null ? 0 : (p.MarketPosition == MarketPosition.Long ? p.Quantity : -p.Quantity);
                after = before + delta;
                op = p == null ? Operation.Add : after == 0 ? Operation.Remove : Operation.Update;
                if (p == null)
                {
                    p = new Position { Account = this, Instrument = o.Instrument };
                    positions.Add(p);
                }
                if (after == 0)
                    positions.Remove(p);
                if (before == 0 || Math.Sign(after) != Math.Sign(before))
                    p.AveragePrice = after == 0 ? 0 : price;
                else if (Math.Abs(after) > Math.Abs(before))
                    p.AveragePrice = (p.AveragePrice * Math.Abs(before) + price * qty) / Math.Abs(after);
                p.Quantity = Math.Abs(after);
                p.MarketPosition = after > 0 ? MarketPosition.Long : after < 0 ? MarketPosition.Short : MarketPosition.Flat;
            }
            var ex = new Execution
            {
                Account = this, Instrument = o.Instrument, Order = o, ExecutionId = o.OrderId + "-X", OrderId = o.OrderId,
                Name = o.Name, Price = price, Quantity = qty, Time = DateTime.Now,
                MarketPosition = o.IsBuy ? MarketPosition.Long : MarketPosition.Short,
            };
            lock (executions)
                executions.Add(ex);
            Raise(ExecutionUpdate, new ExecutionEventArgs
            {
                Execution = ex, ExecutionId = ex.ExecutionId, OrderId = ex.OrderId, Price = price, Quantity = qty,
                MarketPosition = ex.MarketPosition, Operation = Operation.Add, Time = ex.Time,
            });
            Raise(PositionUpdate, new PositionEventArgs
            {
                Position = p, MarketPosition = p.MarketPosition, Quantity = p.Quantity, AveragePrice = p.AveragePrice, Operation = op,
            });
        }

        internal void RaiseOrder(Order o, ErrorCode error, string comment)
        {
            Raise(OrderUpdate, new OrderEventArgs
            {
                Order = o, OrderId = o.OrderId, OrderState = o.OrderState, Quantity = o.Quantity, Filled = o.Filled,
                AverageFillPrice = o.AverageFillPrice, LimitPrice = o.LimitPrice, StopPrice = o.StopPrice,
                Time = o.Time, Error = error, Comment = comment ?? "",
            });
        }

        void Raise<T>(EventHandler<T> handlers, T args) where T : EventArgs
        {
            if (handlers == null)
                return;
            foreach (EventHandler<T> h in handlers.GetInvocationList())
            {
                try
                {
                    h(this, args);
                }
                catch (Exception e)
                {
                    // One subscriber's bug must not stop the others or the exchange thread.
                    Console.Error.WriteLine("stub: event handler threw: " + e);
                }
            }
        }
    }
}
