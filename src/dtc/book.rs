//! The trading book of one connection: per-account orders, positions, balances and fills.

use super::messages::*;
use super::types::consts::*;
use std::collections::{BTreeMap, VecDeque};

pub use super::symbols::{DepthBook, PriceScale, SessionStats, SymbolInfo, SymbolTable};

/// Orders kept per connection: past it a finished order (filled, canceled, rejected) makes
/// room, oldest first; with none finished, new orders are not tracked.
pub const MAX_ORDERS: usize = 10_000;
/// Fills kept per connection (the oldest goes first).
pub const MAX_FILLS: usize = 10_000;
/// Positions kept per connection.
pub const MAX_POSITIONS: usize = 4_096;
/// Trade accounts kept per connection.
pub const MAX_ACCOUNTS: usize = 256;

/// The latest state of one order.
#[derive(Debug, Clone)]
pub struct OrderState {
    /// Last ORDER_UPDATE.
    pub last: OrderUpdate,
    /// Updates seen.
    pub updates: u32,
}

impl OrderState {
    fn finished(&self) -> bool {
        matches!(
            self.last.order_status,
            ORDER_STATUS_FILLED | ORDER_STATUS_CANCELED | ORDER_STATUS_REJECTED
        )
    }
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

/// All accounts of one connection, bounded in memory whatever a server sends.
#[derive(Debug, Default)]
pub struct TradingBook {
    accounts: BTreeMap<String, AccountBook>,
    /// Account names in the order TRADE_ACCOUNT_RESPONSE listed them.
    account_order: Vec<String>,
    /// (account, key) of orders as they finished, for eviction (entries may be stale).
    finished: VecDeque<(String, String)>,
    /// (account, key) of fills in arrival order, for eviction.
    fill_order: VecDeque<(String, String)>,
    orders: usize,
    positions: usize,
    /// Updates not kept because a cap was reached.
    dropped: u64,
}

impl TradingBook {
    /// The account `name`, created unless [`MAX_ACCOUNTS`] are known.
    fn account(&mut self, name: &str) -> Option<&mut AccountBook> {
        if !self.accounts.contains_key(name) && self.accounts.len() >= MAX_ACCOUNTS {
            self.dropped += 1;
            return None;
        }
        Some(self.accounts.entry(name.to_string()).or_default())
    }

    /// An account by name.
    pub fn get(&self, name: &str) -> Option<&AccountBook> {
        self.accounts.get(name)
    }

    /// The first account the server listed.
    pub fn first_account(&self) -> Option<&str> {
        self.account_order.first().map(String::as_str)
    }

    /// Updates not kept because a cap was reached (accounts, positions, orders).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Orders kept.
    pub fn order_count(&self) -> usize {
        self.orders
    }

    /// Records a listed trade account.
    pub fn on_account(&mut self, name: &str) {
        if name.is_empty() || self.account(name).is_none() {
            return;
        }
        if !self.account_order.iter().any(|a| a == name) {
            self.account_order.push(name.to_string());
        }
    }

    /// Applies a balance update.
    pub fn on_balance(&mut self, b: &AccountBalanceUpdate) {
        if b.no_account_balances == 0 && !b.trade_account.is_empty() {
            if let Some(a) = self.account(b.trade_account.as_str()) {
                a.balance = Some(*b);
            }
        }
    }

    /// Applies a position update (zero quantity removes the position).
    pub fn on_position(&mut self, p: &PositionUpdate) {
        if p.no_positions != 0 || p.symbol.is_empty() {
            return;
        }
        let full = self.positions >= MAX_POSITIONS;
        let Some(acct) = self.account(p.trade_account.as_str()) else { return };
        let sym = p.symbol.as_str();
        if p.quantity == 0.0 {
            if acct.positions.remove(sym).is_some() {
                self.positions -= 1;
            }
        } else if let Some(e) = acct.positions.get_mut(sym) {
            *e = *p;
        } else if full {
            self.dropped += 1;
        } else {
            acct.positions.insert(sym.to_string(), *p);
            self.positions += 1;
        }
    }

    /// Applies an order update; an order first known by ClientOrderID is re-keyed by ServerOrderID.
    pub fn on_order(&mut self, u: &OrderUpdate) {
        let key = if u.server_order_id.is_empty() { u.client_order_id } else { u.server_order_id };
        if u.no_orders != 0 || key.is_empty() {
            return;
        }
        let (name, key) = (u.trade_account.as_str(), key.as_str());
        let Some(acct) = self.account(name) else { return };
        let cid = u.client_order_id.as_str();
        let prev = if !cid.is_empty() && key != cid { acct.orders.remove(cid) } else { None };
        let known = prev.is_some() || acct.orders.contains_key(key);
        if !known && !self.make_room() {
            self.dropped += 1;
            return;
        }
        let Some(acct) = self.accounts.get_mut(name) else { return };
        let e = acct
            .orders
            .entry(key.to_string())
            .or_insert(OrderState { last: *u, updates: prev.map_or(0, |p| p.updates) });
        let was_finished = known && e.finished();
        e.last = *u;
        e.updates += 1;
        if e.finished() && !was_finished {
            self.finished.push_back((name.to_string(), key.to_string()));
        }
        if !known {
            self.orders += 1;
        }
        if self.finished.len() > 2 * MAX_ORDERS {
            self.compact_finished();
        }
    }

    /// Room for one more order: true when below the cap, or a finished order was evicted.
    fn make_room(&mut self) -> bool {
        if self.orders < MAX_ORDERS {
            return true;
        }
        while let Some((a, k)) = self.finished.pop_front() {
            let Some(book) = self.accounts.get_mut(&a) else { continue };
            // Stale entries: the order was re-keyed, evicted, or is working again.
            if book.orders.get(&k).is_some_and(OrderState::finished) {
                book.orders.remove(&k);
                self.orders -= 1;
                return true;
            }
        }
        false
    }

    /// Drops stale eviction entries (an order flapping between open and finished).
    fn compact_finished(&mut self) {
        let mut seen = std::collections::HashSet::new();
        let accounts = &self.accounts;
        self.finished.retain(|(a, k)| {
            accounts.get(a).and_then(|b| b.orders.get(k)).is_some_and(OrderState::finished)
                && seen.insert((a.clone(), k.clone()))
        });
    }

    /// Applies a historical fill (the oldest goes past [`MAX_FILLS`]).
    pub fn on_fill(&mut self, f: &HistoricalOrderFillResponse) {
        if f.no_order_fills != 0 {
            return;
        }
        let key = if f.unique_execution_id.is_empty() {
            format!("{}-{}", f.server_order_id, f.date_time)
        } else {
            f.unique_execution_id.as_str().to_string()
        };
        let name = f.trade_account.as_str();
        let Some(acct) = self.account(name) else { return };
        if acct.fills.insert(key.clone(), *f).is_none() {
            self.fill_order.push_back((name.to_string(), key));
        }
        if self.fill_order.len() > MAX_FILLS {
            if let Some((a, k)) = self.fill_order.pop_front() {
                self.accounts.get_mut(&a).map(|b| b.fills.remove(&k));
            }
        }
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

    /// Account names: listed ones in server order, then any others.
    pub(crate) fn names(&self) -> impl Iterator<Item = &String> {
        let extra = self.accounts.keys().filter(|k| !self.account_order.contains(k));
        self.account_order.iter().filter(|a| self.accounts.contains_key(*a)).chain(extra)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtc::text::BookText;

    fn order(id: usize, status: i32) -> OrderUpdate {
        OrderUpdate {
            server_order_id: format!("S{id}").as_str().into(),
            trade_account: "A".into(),
            order_status: status,
            ..Default::default()
        }
    }

    #[test]
    fn the_books_are_bounded_and_finished_orders_make_room_first() {
        let mut b = TradingBook::default();
        for i in 0..MAX_ORDERS {
            b.on_order(&order(i, if i % 2 == 0 { ORDER_STATUS_FILLED } else { ORDER_STATUS_OPEN }));
        }
        assert_eq!(b.order_count(), MAX_ORDERS);
        // New orders push out finished ones, oldest first; working orders stay.
        b.on_order(&order(MAX_ORDERS, ORDER_STATUS_OPEN));
        let orders = &b.accounts["A"].orders;
        assert!(
            !orders.contains_key("S0") && orders.contains_key("S1") && orders.contains_key("S2")
        );
        for i in 1..=MAX_ORDERS {
            b.on_order(&order(MAX_ORDERS + i, ORDER_STATUS_OPEN));
        }
        assert_eq!(b.order_count(), MAX_ORDERS);
        assert_eq!(b.accounts["A"].orders.len(), MAX_ORDERS, "count and map agree");
        assert!(
            b.accounts["A"].orders.values().all(|o| !o.finished()),
            "every finished one evicted"
        );
        // 5,000 finished made room for 5,000 of the 10,001 new ones; the rest are not kept.
        assert_eq!(b.dropped(), MAX_ORDERS as u64 / 2 + 1);
        b.on_order(&order(1, ORDER_STATUS_CANCELED));
        b.on_order(&order(3 * MAX_ORDERS, ORDER_STATUS_OPEN));
        assert!(b.accounts["A"].orders.contains_key(&format!("S{}", 3 * MAX_ORDERS)));
        // Fills: the oldest goes; accounts: capped.
        for i in 0..MAX_FILLS + 10 {
            let f = HistoricalOrderFillResponse {
                unique_execution_id: format!("E{i}").as_str().into(),
                trade_account: "A".into(),
                ..Default::default()
            };
            b.on_fill(&f);
        }
        let fills = &b.accounts["A"].fills;
        assert_eq!(fills.len(), MAX_FILLS);
        assert!(!fills.contains_key("E9") && fills.contains_key("E10"));
        for i in 0..MAX_ACCOUNTS + 5 {
            b.on_account(&format!("acct{i}"));
        }
        assert_eq!(b.accounts.len(), MAX_ACCOUNTS);
    }

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
