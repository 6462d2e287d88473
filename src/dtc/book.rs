//! The trading book of one connection: per-account orders, positions, balances and fills.

use super::messages::*;
use super::types::consts::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use super::symbols::{DepthBook, PriceScale, SessionStats, SymbolInfo, SymbolTable};

/// The latest state of one order.
#[derive(Debug, Clone)]
pub struct OrderState {
    /// Last ORDER_UPDATE.
    pub last: OrderUpdate,
    /// Updates seen.
    pub updates: u32,
}

/// Orders, positions and balance of one trade account.
#[derive(Debug, Default, Clone)]
pub struct AccountBook {
    /// Last balance update.
    pub balance: Option<AccountBalanceUpdate>,
    /// Position per symbol.
    pub positions: BTreeMap<String, PositionUpdate>,
    /// Orders by ServerOrderID (or ClientOrderID until the server assigns one).
    pub orders: BTreeMap<String, OrderState>,
    /// Fills by execution ID.
    pub fills: BTreeMap<String, HistoricalOrderFillResponse>,
}

/// All accounts of one connection.
#[derive(Debug, Default)]
pub struct TradingBook {
    /// Accounts by name, in server order of first sight.
    pub accounts: BTreeMap<String, AccountBook>,
    /// Account names in the order TRADE_ACCOUNT_RESPONSE listed them.
    pub account_order: Vec<String>,
}

impl TradingBook {
    fn account(&mut self, name: &str) -> &mut AccountBook {
        self.accounts.entry(name.to_string()).or_default()
    }

    /// Records a listed trade account.
    pub fn on_account(&mut self, name: &str) {
        if name.is_empty() {
            return;
        }
        self.account(name);
        if !self.account_order.iter().any(|a| a == name) {
            self.account_order.push(name.to_string());
        }
    }

    /// Applies a balance update.
    pub fn on_balance(&mut self, b: &AccountBalanceUpdate) {
        if b.no_account_balances == 0 && !b.trade_account.is_empty() {
            self.account(b.trade_account.as_str()).balance = Some(*b);
        }
    }

    /// Applies a position update (zero quantity removes the position).
    pub fn on_position(&mut self, p: &PositionUpdate) {
        if p.no_positions != 0 || p.symbol.is_empty() {
            return;
        }
        let acct = self.account(p.trade_account.as_str());
        if p.quantity == 0.0 {
            acct.positions.remove(p.symbol.as_str());
        } else {
            acct.positions.insert(p.symbol.as_str().to_string(), *p);
        }
    }

    /// Applies an order update; an order first known by ClientOrderID is re-keyed by ServerOrderID.
    pub fn on_order(&mut self, u: &OrderUpdate) {
        if u.no_orders != 0 {
            return;
        }
        let acct = self.account(u.trade_account.as_str());
        let key = if u.server_order_id.is_empty() {
            u.client_order_id.as_str()
        } else {
            u.server_order_id.as_str()
        };
        if key.is_empty() {
            return;
        }
        let prev = if !u.client_order_id.is_empty() && key != u.client_order_id.as_str() {
            acct.orders.remove(u.client_order_id.as_str())
        } else {
            None
        };
        let e = acct
            .orders
            .entry(key.to_string())
            .or_insert(OrderState { last: *u, updates: prev.map_or(0, |p| p.updates) });
        e.last = *u;
        e.updates += 1;
    }

    /// Applies a historical fill.
    pub fn on_fill(&mut self, f: &HistoricalOrderFillResponse) {
        if f.no_order_fills != 0 {
            return;
        }
        let key = if f.unique_execution_id.is_empty() {
            format!("{}-{}", f.server_order_id, f.date_time)
        } else {
            f.unique_execution_id.as_str().to_string()
        };
        self.account(f.trade_account.as_str()).fills.insert(key, *f);
    }

    /// The symbol of an order, by server or client order ID.
    pub fn order_symbol(&self, id: &str) -> Option<String> {
        self.accounts.values().flat_map(|b| b.orders.values()).find_map(|st| {
            (st.last.server_order_id.as_str() == id || st.last.client_order_id.as_str() == id)
                .then(|| st.last.symbol.as_str().to_string())
        })
    }

    /// Finds an order by server or client ID: (account, server ID, client ID).
    pub fn find_order(&self, id: &str) -> Option<(String, String, String)> {
        for (a, book) in &self.accounts {
            for st in book.orders.values() {
                if st.last.server_order_id.as_str() == id || st.last.client_order_id.as_str() == id
                {
                    return Some((
                        a.clone(),
                        st.last.server_order_id.as_str().to_string(),
                        st.last.client_order_id.as_str().to_string(),
                    ));
                }
            }
        }
        None
    }

    /// `accounts` command text.
    pub fn accounts_text(&self) -> String {
        let mut s = String::new();
        for name in self.names() {
            let b = &self.accounts[name];
            match &b.balance {
                Some(x) => {
                    let _ = writeln!(
                        s,
                        "{name}: cash {} available {} {}",
                        fmt_px(x.cash_balance),
                        fmt_px(x.balance_available_for_new_positions),
                        x.account_currency
                    );
                }
                None => {
                    let _ = writeln!(s, "{name}: (no balance yet)");
                }
            }
        }
        if s.is_empty() {
            s.push_str("(no trade accounts)\n");
        }
        s
    }

    /// `positions` command text.
    pub fn positions_text(&self) -> String {
        let mut s = String::new();
        for name in self.names() {
            for (sym, p) in &self.accounts[name].positions {
                let _ =
                    writeln!(s, "{name} {sym}: qty {} avg {}", p.quantity, fmt_px(p.average_price));
            }
        }
        if s.is_empty() {
            s.push_str("(no positions)\n");
        }
        s
    }

    /// `orders` command text.
    pub fn orders_text(&self) -> String {
        let mut s = String::new();
        for name in self.names() {
            for (id, o) in &self.accounts[name].orders {
                let u = &o.last;
                let _ = writeln!(
                    s,
                    "{name} {id} client {} {} {} {} qty {} filled {} px {} avg {} status {} ({}) {}",
                    u.client_order_id,
                    if u.buy_sell == BUY { "buy" } else { "sell" },
                    u.symbol,
                    order_type_name(u.order_type),
                    fmt_px(u.order_quantity),
                    fmt_px(u.filled_quantity),
                    fmt_px(u.price1),
                    fmt_px(u.average_fill_price),
                    order_status_name(u.order_status),
                    u.order_status,
                    u.info_text
                );
            }
        }
        if s.is_empty() {
            s.push_str("(no orders)\n");
        }
        s
    }

    /// `fills` command text.
    pub fn fills_text(&self) -> String {
        let mut s = String::new();
        for name in self.names() {
            for (id, f) in &self.accounts[name].fills {
                let _ = writeln!(
                    s,
                    "{name} {id} order {} {} {} qty {} px {}",
                    f.server_order_id,
                    if f.buy_sell == BUY { "buy" } else { "sell" },
                    f.symbol,
                    f.quantity,
                    fmt_px(f.price)
                );
            }
        }
        if s.is_empty() {
            s.push_str("(no fills)\n");
        }
        s
    }

    /// Account names: listed ones in server order, then any others.
    pub(crate) fn names(&self) -> impl Iterator<Item = &String> {
        let extra = self.accounts.keys().filter(|k| !self.account_order.contains(k));
        self.account_order.iter().filter(|a| self.accounts.contains_key(*a)).chain(extra)
    }
}

/// Formats a price, `-` when unset (DBL_MAX).
pub fn fmt_px(p: f64) -> String {
    if p == f64::MAX || !p.is_finite() {
        "-".into()
    } else {
        format!("{p}")
    }
}

/// Short order-type name.
pub fn order_type_name(t: i32) -> &'static str {
    match t {
        ORDER_TYPE_MARKET => "market",
        ORDER_TYPE_LIMIT => "limit",
        ORDER_TYPE_STOP => "stop",
        ORDER_TYPE_STOP_LIMIT => "stop-limit",
        _ => "?",
    }
}

/// Short order-status name.
pub fn order_status_name(s: i32) -> &'static str {
    match s {
        1 => "sent",
        2 => "pending-open",
        3 => "pending-child",
        4 => "open",
        5 => "pending-replace",
        6 => "pending-cancel",
        7 => "filled",
        8 => "canceled",
        9 => "rejected",
        10 => "partially-filled",
        _ => "unspecified",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_rekeyed_by_server_id() {
        let mut b = TradingBook::default();
        b.on_order(&OrderUpdate {
            client_order_id: "c1".into(),
            trade_account: "A".into(),
            ..Default::default()
        });
        b.on_order(&OrderUpdate {
            client_order_id: "c1".into(),
            server_order_id: "S1".into(),
            trade_account: "A".into(),
            order_status: 7,
            ..Default::default()
        });
        assert_eq!(b.accounts["A"].orders.len(), 1);
        assert_eq!(b.accounts["A"].orders["S1"].updates, 2);
        assert_eq!(b.find_order("c1").map(|x| x.1), Some("S1".to_string()));
        b.on_position(&PositionUpdate {
            symbol: "ES".into(),
            trade_account: "A".into(),
            quantity: 2.0,
            ..Default::default()
        });
        assert!(b.positions_text().contains("qty 2"));
        b.on_position(&PositionUpdate {
            symbol: "ES".into(),
            trade_account: "A".into(),
            quantity: 0.0,
            ..Default::default()
        });
        assert!(b.positions_text().contains("no positions"));
    }
}
