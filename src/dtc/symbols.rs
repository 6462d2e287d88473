//! Subscribed symbols: SymbolIDs, price scale (DisplayPriceMultiplier), depth books, session stats.

use super::types::consts::AT_BID;

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

/// Best bid and best ask levels `(price, quantity)` of a depth book.
pub type TopOfBook = (Option<(f64, f64)>, Option<(f64, f64)>);

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

    /// Best bid and best ask `(price, quantity)`.
    pub fn top(&self) -> TopOfBook {
        (self.bids.first().copied(), self.asks.first().copied())
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
    pub session: SessionStats,
}

/// Symbols by SymbolID (index = id - 1).
#[derive(Debug, Default)]
pub struct SymbolTable {
    list: Vec<SymbolInfo>,
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

    /// The symbols, in SymbolID order.
    pub fn iter(&self) -> std::slice::Iter<'_, SymbolInfo> {
        self.list.iter()
    }

    /// The symbols, to change (subscriptions).
    pub(crate) fn all_mut(&mut self) -> &mut [SymbolInfo] {
        &mut self.list
    }

    /// By name.
    pub fn get(&self, name: &str) -> Option<&SymbolInfo> {
        self.list.iter().find(|s| s.name == name)
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

/// Session statistics per symbol (session open/high/low/settlement/volume).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct SessionStats {
    /// Session open.
    pub open: Option<f64>,
    /// Session high.
    pub high: Option<f64>,
    /// Session low.
    pub low: Option<f64>,
    /// Settlement.
    pub settlement: Option<f64>,
    /// Session volume.
    pub volume: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtc::types::consts::AT_ASK;

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
}
