//! Typed state of a DTC connection for callers: counters, symbols, accounts, orders, fills.

use super::book::TradingBook;
use super::connection::Connection;
use super::events::CloseReason;
pub use super::health::DtcStats;
use super::messages::{
    AccountBalanceUpdate, HistoricalOrderFillResponse, OrderUpdate, PositionUpdate,
};
use super::session::Phase;
use super::types::Encoding;

/// One configured symbol.
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolSnapshot {
    /// As the server names it.
    pub name: String,
    /// Key in the market state.
    pub market_name: String,
    /// Our SymbolID.
    pub id: u32,
    /// DisplayPriceMultiplier (1 until the definition arrived).
    pub multiplier: f64,
    /// Market-data messages applied.
    pub updates: u64,
    /// The server's reject text, when it refused market data.
    pub rejected: Option<String>,
}

/// An order: its account, book key (ServerOrderID, else ClientOrderID) and last ORDER_UPDATE
/// (prices in display units).
#[derive(Clone, Debug, PartialEq)]
pub struct OrderSnapshot {
    /// Trade account.
    pub account: String,
    /// ServerOrderID, or ClientOrderID until the server assigned one.
    pub key: String,
    /// The last update.
    pub last: OrderUpdate,
    /// Updates seen.
    pub updates: u32,
}

/// Everything a caller may want to know about one connection, by value.
#[derive(Clone, Debug, PartialEq)]
pub struct DtcSnapshot {
    /// `dtc.<name>`.
    pub label: String,
    /// Where the connection stands.
    pub phase: Phase,
    /// Logged on with every request answered.
    pub synced: bool,
    /// The encoding in use.
    pub encoding: Encoding,
    /// LOGON_RESPONSE.ServerName.
    pub server: String,
    /// Counters.
    pub stats: DtcStats,
    /// Reconnects so far.
    pub reconnects: u64,
    /// Why the last connection ended.
    pub last_error: Option<CloseReason>,
    /// The configured symbols.
    pub symbols: Vec<SymbolSnapshot>,
    /// Trade accounts in the server's order, with their last balance.
    pub accounts: Vec<(String, Option<AccountBalanceUpdate>)>,
    /// Open positions: (account, position).
    pub positions: Vec<(String, PositionUpdate)>,
    /// Known orders.
    pub orders: Vec<OrderSnapshot>,
    /// Known fills: (account, fill).
    pub fills: Vec<(String, HistoricalOrderFillResponse)>,
}

impl DtcSnapshot {
    /// The state of `c` now.
    pub fn of(c: &Connection) -> DtcSnapshot {
        let book: &TradingBook = c.trading_book();
        let mut accounts = Vec::new();
        let (mut positions, mut orders, mut fills) = (Vec::new(), Vec::new(), Vec::new());
        for name in book.names() {
            let Some(a) = book.get(name) else { continue };
            accounts.push((name.clone(), a.balance));
            positions.extend(a.positions.values().map(|p| (name.clone(), *p)));
            orders.extend(a.orders.iter().map(|(key, o)| OrderSnapshot {
                account: name.clone(),
                key: key.clone(),
                last: o.last,
                updates: o.updates,
            }));
            fills.extend(a.fills.values().map(|f| (name.clone(), *f)));
        }
        let symbols = c
            .symbols()
            .iter()
            .map(|s| SymbolSnapshot {
                name: s.name.clone(),
                market_name: s.market_name.clone(),
                id: s.id,
                multiplier: s.scale.mult,
                updates: s.updates,
                rejected: s.rejected.clone(),
            })
            .collect();
        DtcSnapshot {
            label: c.label().to_string(),
            phase: c.phase(),
            synced: c.synced(),
            encoding: c.encoding(),
            server: c.server_name().to_string(),
            stats: c.stats(),
            reconnects: c.reconnects(),
            last_error: c.last_error().cloned(),
            symbols,
            accounts,
            positions,
            orders,
            fills,
        }
    }

    /// The one-line status of the periodic report.
    pub fn status_line(&self) -> String {
        let st = self.stats;
        let rejected = self.symbols.iter().filter(|s| s.rejected.is_some()).count();
        format!(
            "{} {:?} {:?} server {:?} msgs {} md {} bad {} resets {} reconnects {} symbols {} (rejected {}) accounts {}{}",
            self.label,
            self.phase,
            self.encoding,
            self.server,
            st.messages,
            st.market_data,
            st.bad,
            st.resets,
            self.reconnects,
            self.symbols.len(),
            rejected,
            self.accounts.len(),
            self.last_error.as_ref().map(|e| format!(" last error: {e}")).unwrap_or_default()
        )
    }
}
