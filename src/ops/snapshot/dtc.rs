//! The DTC part of a snapshot: one row per connection, its symbols, balances, positions, raw messages.

use crate::dtc::{AccountBalanceUpdate, HistoricalOrderFillResponse, OrderUpdate, PositionUpdate};
use serde::Serialize;

/// One DTC connection.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DtcRow {
    /// `dtc.NAME`.
    pub name: String,
    /// `NAME` (what `?connection=` takes).
    pub short: String,
    /// Session phase (`Connecting`, `LoggedOn`, ...).
    pub phase: String,
    /// Logged on.
    pub logged_on: bool,
    /// Logged on and every trading request answered.
    pub synced: bool,
    /// Encoding in use.
    pub encoding: String,
    /// Last connection or logon error.
    pub last_error: String,
    /// Reconnects so far.
    pub reconnects: u64,
    /// Messages decoded.
    pub messages: u64,
    /// Market-data messages applied.
    pub market_data: u64,
    /// Undecodable messages skipped.
    pub bad: u64,
    /// Streams reset (unframeable).
    pub resets: u64,
    /// Heartbeats received.
    pub heartbeats: u64,
    /// Orders sent without their first ORDER_UPDATE yet.
    pub awaiting_order_updates: bool,
    /// Subscribed symbols.
    pub symbols: Vec<DtcSymbolRow>,
    /// Trade accounts, in the server's order.
    pub accounts: Vec<String>,
    /// Balance per account.
    pub balances: Vec<DtcBalanceRow>,
    /// Open positions.
    pub positions: Vec<DtcPositionRow>,
    /// Orders known (every state).
    pub orders: u64,
    /// Orders still working (open, pending).
    pub open_orders: u64,
    /// Historical fills known.
    pub fills: u64,
    /// The server's own messages, for python-ws-dtc-client's REST API (DTC field names).
    #[serde(skip)]
    pub raw: DtcRaw,
}

/// A configured DTC symbol.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DtcSymbolRow {
    /// As the server names it.
    pub name: String,
    /// Market-state key (`market_symbols` alias).
    pub market_name: String,
    /// SymbolID the client uses.
    pub id: u32,
    /// DisplayPriceMultiplier (1 until the definition arrives).
    pub multiplier: f64,
    /// The server's market-data rejection, if any.
    pub rejected: String,
}

/// One account's balance.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DtcBalanceRow {
    /// Trade account.
    pub account: String,
    /// Currency.
    pub currency: String,
    /// Cash balance.
    pub cash: f64,
    /// Available for new positions.
    pub available: f64,
    /// Open P&L.
    pub open_pnl: f64,
    /// Daily P&L.
    pub daily_pnl: f64,
}

/// One DTC position.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DtcPositionRow {
    /// Trade account.
    pub account: String,
    /// Symbol.
    pub symbol: String,
    /// Signed quantity.
    pub quantity: f64,
    /// Average price.
    pub average_price: f64,
    /// Open P&L.
    pub open_pnl: f64,
}

/// The DTC messages behind a [`DtcRow`], copied as received (`Copy` structs: no allocation).
#[derive(Clone, Debug, Default)]
pub struct DtcRaw {
    /// ACCOUNT_BALANCE_UPDATE (600), one per account.
    pub balances: Vec<AccountBalanceUpdate>,
    /// POSITION_UPDATE (306), open positions.
    pub positions: Vec<PositionUpdate>,
    /// ORDER_UPDATE (301), latest per order.
    pub orders: Vec<OrderUpdate>,
    /// HISTORICAL_ORDER_FILL_RESPONSE (304).
    pub fills: Vec<HistoricalOrderFillResponse>,
    /// Finished one-off queries (exchange list, balance history), copied when one finishes.
    pub queries: Vec<crate::dtc::QueryAnswer>,
    /// The connection's query generation `queries` was copied at.
    pub queries_gen: u64,
}
