// Stand-in for the part of NinjaTrader 8's NinjaTrader.Cbi namespace that V9_CopyReceiver uses,
// so CI can compile and run the strategy without NinjaTrader. NOT for NinjaTrader itself: there
// the real NinjaTrader.Core.dll provides these types.
//
// Names and signatures follow NinjaTrader's public documentation. "help guide X" below means
// https://ninjatrader.com/support/helpGuides/nt8/X.htm (mirrored as Markdown in
// westmarkdev/NinjaScript-Documentation-Migration, docs/references/Language Reference/);
// "autodocs T" means the reflection listing matdev83/ninjatrader-autodocs docs/Core/T.md.
// Public members are only what the real API has; everything the simulation needs is internal,
// visible to the host program alone (InternalsVisibleTo in NinjaScript.cs), so the strategy
// cannot compile against anything NinjaTrader lacks.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace NinjaTrader.Cbi
{
    // help guide createorder (orderAction values); autodocs NinjaTrader.Cbi.OrderAction
    public enum OrderAction { Buy, BuyToCover, Sell, SellShort }

    // help guide createorder (orderType values); autodocs NinjaTrader.Cbi.OrderType
    public enum OrderType { Limit, Market, MIT, StopLimit, StopMarket, Unknown }

    // help guide createorder (orderEntry values)
    public enum OrderEntry { Automated, Manual }

    // help guide createorder (timeInForce values); autodocs NinjaTrader.Cbi.TimeInForce
    public enum TimeInForce { Day, Gtc, Ioc, Opg, Gtd }

    // help guide order ("OrderState Values"); autodocs NinjaTrader.Cbi.OrderState
    public enum OrderState
    {
        Accepted, Cancelled, Filled, Initialized, PartFilled, CancelSubmitted, ChangeSubmitted, Submitted,
        TriggerPending, Rejected, Working, CancelPending, ChangePending, Suspended, AcceptedByRisk, Unknown
    }

    // help guide position (MarketPosition values); autodocs NinjaTrader.Cbi.MarketPosition
    public enum MarketPosition { Long, Short, Flat }

    // help guide onorderupdate (error values); autodocs NinjaTrader.Cbi.ErrorCode
    public enum ErrorCode
    {
        NoError, LogOnFailed, OrderRejected, UnableToCancelOrder, UnableToChangeOrder, UnableToSubmitOrder,
        UserAbort, OrderRejectedByRisk, LoginExpired, Panic
    }

    // help guide positionupdate (Operation.Remove / Update); autodocs NinjaTrader.Cbi.Operation
    public enum Operation { Add, Update, Remove }

    // help guide getunrealizedprofitloss (unit values); autodocs NinjaTrader.Cbi.PerformanceUnit
    public enum PerformanceUnit { Currency, Percent, Pips, Points, Ticks }

    // help guide log (logLevel values); autodocs NinjaTrader.Cbi.LogLevel
    public enum LogLevel { Alert, Information, Warning, Error }

    // help guide createorder (customOrder parameter); autodocs NinjaTrader.Cbi.CustomOrder
    public class CustomOrder
    {
    }

    // help guide masterinstrument; autodocs NinjaTrader.Cbi.MasterInstrument
    public class MasterInstrument
    {
        internal MasterInstrument(string name, double tickSize, double pointValue)
        {
            Name = name;
            TickSize = tickSize;
            PointValue = pointValue;
        }

        // help guide masterinstrument (Name)
        public string Name { get; private set; }
        // help guide ticksize
        public double TickSize { get; private set; }
        // help guide pointvalue
        public double PointValue { get; private set; }

        // help guide roundtoticksize
        public double RoundToTickSize(double price)
        {
            return Math.Round(price / TickSize) * TickSize;
        }
    }

    // help guide instrument; autodocs NinjaTrader.Cbi.Instrument
    public class Instrument
    {
        static readonly Dictionary<string, Instrument> known = new Dictionary<string, Instrument>();

        internal Instrument(string fullName, MasterInstrument master, DateTime expiry)
        {
            FullName = fullName;
            MasterInstrument = master;
            Expiry = expiry;
        }

        // help guide instrument (FullName)
        public string FullName { get; private set; }
        // help guide instrument (MasterInstrument)
        public MasterInstrument MasterInstrument { get; private set; }
        // help guide expiry
        public DateTime Expiry { get; private set; }

        // help guide getinstrument: Instrument.GetInstrument(string instrumentName). The stub's
        // database holds the futures of SimExchange's price table, named "ROOT MM-YY".
        public static Instrument GetInstrument(string instrumentName)
        {
            lock (known)
            {
                Instrument i;
                if (known.TryGetValue(instrumentName ?? "", out i))
                    return i;
                string[] parts = (instrumentName ?? "").Split(' ');
                DateTime month;
                MasterInstrument master;
                if (parts.Length != 2 || !DateTime.TryParseExact(parts[1], "MM-yy", CultureInfo.InvariantCulture, DateTimeStyles.None, out month)
                    || (master = SimExchange.Master(parts[0])) == null)
                    return null;
                i = new Instrument(instrumentName, master, month);
                known[instrumentName] = i;
                return i;
            }
        }

        public override string ToString() { return FullName; }
    }

    // help guide order; autodocs NinjaTrader.Cbi.Order. Read-only to scripts.
    public class Order
    {
        // help guide order (Account)
        public Account Account { get; internal set; }
        // help guide order (Instrument)
        public Instrument Instrument { get; internal set; }
        // help guide order (OrderAction)
        public OrderAction OrderAction { get; internal set; }
        // help guide order (OrderType)
        public OrderType OrderType { get; internal set; }
        // help guide order (OrderState)
        public OrderState OrderState { get; internal set; }
        // help guide order (TimeInForce)
        public TimeInForce TimeInForce { get; internal set; }
        // help guide order (Quantity)
        public int Quantity { get; internal set; }
        // help guide order (Filled)
        public int Filled { get; internal set; }
        // help guide order (AverageFillPrice)
        public double AverageFillPrice { get; internal set; }
        // help guide order (LimitPrice)
        public double LimitPrice { get; internal set; }
        // help guide order (StopPrice)
        public double StopPrice { get; internal set; }
        // help guide order (Oco)
        public string Oco { get; internal set; }
        // help guide order (Name)
        public string Name { get; internal set; }
        // help guide order (OrderId)
        public string OrderId { get; internal set; }
        // help guide order (Gtd)
        public DateTime Gtd { get; internal set; }
        // help guide order (Time)
        public DateTime Time { get; internal set; }

        // help guide isterminalstate: Order.IsTerminalState(OrderState orderState)
        public static bool IsTerminalState(OrderState orderState)
        {
            return orderState == OrderState.Filled || orderState == OrderState.Cancelled || orderState == OrderState.Rejected;
        }

        internal bool IsBuy { get { return OrderAction == OrderAction.Buy || OrderAction == OrderAction.BuyToCover; } }

        public override string ToString()
        {
            return Name + " " + OrderAction + " " + Quantity + " " + Instrument + " " + OrderType + " " + OrderState;
        }
    }

    // help guide execution; autodocs NinjaTrader.Cbi.Execution
    public class Execution
    {
        // help guide execution (Account)
        public Account Account { get; internal set; }
        // help guide execution (Instrument)
        public Instrument Instrument { get; internal set; }
        // help guide execution (Order)
        public Order Order { get; internal set; }
        // help guide execution (ExecutionId)
        public string ExecutionId { get; internal set; }
        // help guide execution (OrderId)
        public string OrderId { get; internal set; }
        // help guide execution (Name)
        public string Name { get; internal set; }
        // help guide execution (Price)
        public double Price { get; internal set; }
        // help guide execution (Quantity)
        public int Quantity { get; internal set; }
        // help guide execution (MarketPosition)
        public MarketPosition MarketPosition { get; internal set; }
        // help guide execution (Time)
        public DateTime Time { get; internal set; }
    }

    // help guide position; autodocs NinjaTrader.Cbi.Position
    public class Position
    {
        // help guide position (Account)
        public Account Account { get; internal set; }
        // help guide position (Instrument)
        public Instrument Instrument { get; internal set; }
        // help guide position (MarketPosition)
        public MarketPosition MarketPosition { get; internal set; }
        // help guide position (Quantity)
        public int Quantity { get; internal set; }
        // help guide position (AveragePrice)
        public double AveragePrice { get; internal set; }

        // help guide getunrealizedprofitloss: GetUnrealizedProfitLoss(PerformanceUnit unit, [double price]);
        // without a price NinjaTrader uses the real-time last price (here: the simulated one).
        public double GetUnrealizedProfitLoss(PerformanceUnit unit, double price = 0)
        {
            double last = price > 0 ? price : SimExchange.Last(Instrument.MasterInstrument.Name);
            int signed = MarketPosition == MarketPosition.Long ? Quantity : MarketPosition == MarketPosition.Short ? -Quantity : 0;
            double points = (last - AveragePrice) * signed;
            return unit == PerformanceUnit.Currency ? points * Instrument.MasterInstrument.PointValue : points;
        }
    }

    // autodocs NinjaTrader.Cbi.OrderEventArgs
    public class OrderEventArgs : EventArgs
    {
        // autodocs NinjaTrader.Cbi.OrderEventArgs (Order)
        public Order Order { get; internal set; }
        // autodocs NinjaTrader.Cbi.OrderEventArgs (OrderId)
        public string OrderId { get; internal set; }
        // autodocs NinjaTrader.Cbi.OrderEventArgs (OrderState)
        public OrderState OrderState { get; internal set; }
        // autodocs NinjaTrader.Cbi.OrderEventArgs (Quantity)
        public int Quantity { get; internal set; }
        // autodocs NinjaTrader.Cbi.OrderEventArgs (Filled)
        public int Filled { get; internal set; }
        // autodocs NinjaTrader.Cbi.OrderEventArgs (AverageFillPrice)
        public double AverageFillPrice { get; internal set; }
        // autodocs NinjaTrader.Cbi.OrderEventArgs (LimitPrice)
        public double LimitPrice { get; internal set; }
        // autodocs NinjaTrader.Cbi.OrderEventArgs (StopPrice)
        public double StopPrice { get; internal set; }
        // autodocs NinjaTrader.Cbi.OrderEventArgs (Time)
        public DateTime Time { get; internal set; }
        // autodocs NinjaTrader.Cbi.OrderEventArgs (Error)
        public ErrorCode Error { get; internal set; }
        // autodocs NinjaTrader.Cbi.OrderEventArgs (Comment)
        public string Comment { get; internal set; }
    }

    // autodocs NinjaTrader.Cbi.ExecutionEventArgs
    public class ExecutionEventArgs : EventArgs
    {
        // autodocs NinjaTrader.Cbi.ExecutionEventArgs (Execution)
        public Execution Execution { get; internal set; }
        // autodocs NinjaTrader.Cbi.ExecutionEventArgs (ExecutionId)
        public string ExecutionId { get; internal set; }
        // autodocs NinjaTrader.Cbi.ExecutionEventArgs (OrderId)
        public string OrderId { get; internal set; }
        // autodocs NinjaTrader.Cbi.ExecutionEventArgs (Price)
        public double Price { get; internal set; }
        // autodocs NinjaTrader.Cbi.ExecutionEventArgs (Quantity)
        public int Quantity { get; internal set; }
        // autodocs NinjaTrader.Cbi.ExecutionEventArgs (MarketPosition)
        public MarketPosition MarketPosition { get; internal set; }
        // autodocs NinjaTrader.Cbi.ExecutionEventArgs (Operation)
        public Operation Operation { get; internal set; }
        // autodocs NinjaTrader.Cbi.ExecutionEventArgs (Time)
        public DateTime Time { get; internal set; }
    }

    // autodocs NinjaTrader.Cbi.PositionEventArgs
    public class PositionEventArgs : EventArgs
    {
        // autodocs NinjaTrader.Cbi.PositionEventArgs (Position)
        public Position Position { get; internal set; }
        // autodocs NinjaTrader.Cbi.PositionEventArgs (MarketPosition)
        public MarketPosition MarketPosition { get; internal set; }
        // autodocs NinjaTrader.Cbi.PositionEventArgs (Quantity)
        public int Quantity { get; internal set; }
        // autodocs NinjaTrader.Cbi.PositionEventArgs (AveragePrice)
        public double AveragePrice { get; internal set; }
        // autodocs NinjaTrader.Cbi.PositionEventArgs (Operation)
        public Operation Operation { get; internal set; }
    }
}
