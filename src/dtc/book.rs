//! Client-side books: symbols (IDs, multipliers, depth) and per-account orders, positions, balances.

use super::messages::*;
use super::types::consts::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Levels kept per side (preallocated so depth updates do not allocate).
const DEPTH_CAP: usize = 64;

/// DisplayPriceMultiplier as exact as a float32 field allows: 0.01f32 is 0.0099999998, so the
/// multiplier is taken from its shortest decimal form and, when its inverse is a whole number
/// (100), prices are divided by that instead, which is exact for tick prices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceScale {
    /// Multiplier (wire price × mult = display price).
    pub mult: f64,
    /// `1 / mult` when that is a whole number > 1, else 0.
    inv: f64,
}

impl Default for PriceScale {
    fn default() -> Self {
        PriceScale { mult: 1.0, inv: 0.0 }
    }
}

impl PriceScale {
    /// From SECURITY_DEFINITION_RESPONSE.DisplayPriceMultiplier (invalid values mean 1).
    pub fn new(display_price_multiplier: f32) -> Self {
        let m = display_price_multiplier;
        if !(m.is_finite() && m > 0.0) {
            return PriceScale::default();
        }
        let mult = format!("{m}").parse::<f64>().unwrap_or(m as f64);
        let inv = (1.0 / mult).round();
        let inv = if inv > 1.0 && ((1.0 / mult) - inv).abs() < 1e-9 * inv { inv } else { 0.0 };
        PriceScale { mult, inv }
    }

    /// Wire price to display price.
    #[inline]
    pub fn display(&self, wire: f64) -> f64 {
        if self.inv > 0.0 {
            wire / self.inv
        } else {
            wire * self.mult
        }
    }

    /// Display price to wire price.
    #[inline]
    pub fn wire(&self, display: f64) -> f64 {
        if self.inv > 0.0 {
            display * self.inv
        } else {
            display / self.mult
        }
    }
}

/// One side-sorted price ladder.
#[derive(Debug, Default, Clone)]
pub struct DepthBook {
    /// Bids, best (highest) first: (price, quantity).
    pub bids: Vec<(f64, f64)>,
    /// Asks, best (lowest) first.
    pub asks: Vec<(f64, f64)>,
}

impl DepthBook {
    fn with_capacity() -> Self {
        DepthBook { bids: Vec::with_capacity(DEPTH_CAP), asks: Vec::with_capacity(DEPTH_CAP) }
    }

    /// Clears both sides (a new snapshot).
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// Inserts, updates or (with `delete` or zero quantity) removes the level at `price`.
    pub fn update(&mut self, side: u16, price: f64, qty: f64, delete: bool) {
        if !price.is_finite() || price == f64::MAX {
            return;
        }
        let bid = side == AT_BID;
        let levels = if bid { &mut self.bids } else { &mut self.asks };
        let pos = levels.iter().position(|&(p, _)| if bid { p <= price } else { p >= price });
        match pos {
            Some(i) if levels[i].0 == price => {
                if delete || qty <= 0.0 {
                    levels.remove(i);
                } else {
                    levels[i].1 = qty;
                }
            }
            _ if delete || qty <= 0.0 => {}
            Some(i) if levels.len() < DEPTH_CAP => levels.insert(i, (price, qty)),
            None if levels.len() < DEPTH_CAP => levels.push((price, qty)),
            // Full: a level better than the worst replaces it.
            Some(i) => {
                levels.pop();
                levels.insert(i, (price, qty));
            }
            None => {}
        }
    }
}

/// One subscribed symbol.
#[derive(Debug, Clone)]
pub struct SymbolInfo {
    /// Symbol as the DTC server names it.
    pub name: String,
    /// Key in the market state (the `market_symbols` alias, else `name`).
    pub market_name: String,
    /// The SymbolID we chose (index + 1: small, < 2^31).
    pub id: u32,
    /// DisplayPriceMultiplier from the security definition (1 until known).
    pub scale: PriceScale,
    /// Security definition received.
    pub has_definition: bool,
    /// RequestID of our last security-definition request for it.
    pub secdef_request_id: i32,
    /// Market data requested on the current connection.
    pub subscribed: bool,
    /// Market data was rejected (reported once).
    pub rejected: Option<String>,
    /// Depth book.
    pub depth: DepthBook,
    /// A float depth-snapshot batch (type 145) is being received; the next batch clears the book.
    pub(crate) depth_batch_open: bool,
    /// Market-data messages applied.
    pub updates: u64,
    /// Session open/high/low/settlement/volume.
    pub session: super::client::SessionStats,
}

/// Symbols by SymbolID (index = id - 1).
#[derive(Debug, Default)]
pub struct SymbolTable {
    /// The symbols.
    pub list: Vec<SymbolInfo>,
}

impl SymbolTable {
    /// From the configured symbols.
    pub fn new(symbols: &[String], aliases: &std::collections::BTreeMap<String, String>) -> Self {
        SymbolTable {
            list: symbols
                .iter()
                .enumerate()
                .map(|(i, s)| SymbolInfo {
                    name: s.clone(),
                    market_name: aliases.get(s).cloned().unwrap_or_else(|| s.clone()),
                    id: i as u32 + 1,
                    scale: PriceScale::default(),
                    has_definition: false,
                    secdef_request_id: 0,
                    subscribed: false,
                    rejected: None,
                    depth: DepthBook::with_capacity(),
                    depth_batch_open: false,
                    updates: 0,
                    session: Default::default(),
                })
                .collect(),
        }
    }

    /// By SymbolID, without allocation.
    #[inline]
    pub fn by_id(&mut self, id: u32) -> Option<&mut SymbolInfo> {
        self.list.get_mut((id as usize).checked_sub(1)?)
    }

    /// By name.
    pub fn by_name(&mut self, name: &str) -> Option<&mut SymbolInfo> {
        self.list.iter_mut().find(|s| s.name == name)
    }

    /// Resolves a short name (`ES`) to a configured symbol (`ESZ6_FUT_CME`); else itself.
    pub fn resolve(&self, short: &str) -> String {
        if let Some(s) = self.list.iter().find(|s| s.name.eq_ignore_ascii_case(short)) {
            return s.name.clone();
        }
        let up = short.to_ascii_uppercase();
        match self.list.iter().find(|s| s.name.to_ascii_uppercase().starts_with(&up)) {
            Some(s) => s.name.clone(),
            None => short.to_string(),
        }
    }
}

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

    fn names(&self) -> impl Iterator<Item = &String> {
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
    fn price_scale_is_exact_for_tick_prices() {
        let s = PriceScale::new(0.01);
        assert_eq!(s.mult, 0.01);
        assert_eq!(s.display(450_025.0), 4500.25);
        assert_eq!(s.wire(4500.25), 450_025.0);
        let q = PriceScale::new(0.25);
        assert_eq!(q.display(4.0), 1.0);
        let odd = PriceScale::new(0.3);
        assert!((odd.display(10.0) - 3.0).abs() < 1e-12);
        assert_eq!(PriceScale::new(f32::NAN), PriceScale::default());
        assert_eq!(PriceScale::new(0.0).display(5.0), 5.0);
    }

    #[test]
    fn depth_book_orders_levels() {
        let mut d = DepthBook::with_capacity();
        d.update(AT_BID, 10.0, 1.0, false);
        d.update(AT_BID, 10.5, 2.0, false);
        d.update(AT_BID, 9.5, 3.0, false);
        d.update(AT_BID, 10.0, 4.0, false);
        assert_eq!(d.bids, vec![(10.5, 2.0), (10.0, 4.0), (9.5, 3.0)]);
        d.update(AT_BID, 10.0, 0.0, true);
        assert_eq!(d.bids, vec![(10.5, 2.0), (9.5, 3.0)]);
        d.update(AT_ASK, 11.0, 1.0, false);
        d.update(AT_ASK, 10.75, 1.0, false);
        assert_eq!(d.asks[0].0, 10.75);
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
