//! The simulator's book: symbols with random-walk prices, accounts, orders, positions, fills.

mod accounts;
pub(crate) use accounts::exchange_list;
mod orders;

pub(crate) use orders::order_update;

use crate::dtc::messages::*;
use crate::dtc::types::consts::*;
use std::collections::BTreeMap;

/// Cash each simulated account opens with.
pub(crate) const OPENING_DEPOSIT: f64 = 100_000.0;

/// A simulated instrument.
#[derive(Clone, Debug)]
pub(crate) struct SimSymbol {
    pub name: String,
    /// Real (display) price of the last trade.
    pub last: f64,
    pub tick: f64,
    /// Wire prices are `real / display_mult` (SC sends ES ×100 with multiplier 0.01).
    pub display_mult: f32,
    scale: crate::dtc::book::PriceScale,
    pub volume: f64,
    pub high: f64,
    pub low: f64,
    pub open: f64,
}

impl SimSymbol {
    fn new(name: &str, i: usize) -> Self {
        let upper = name.to_ascii_uppercase();
        let (last, tick, mult) = if upper.starts_with("ES") {
            (4500.0, 0.25, 0.01)
        } else if upper.starts_with("NQ") {
            (15000.0, 0.25, 1.0)
        } else {
            (100.0 + 10.0 * i as f64, 0.01, 1.0)
        };
        SimSymbol {
            name: name.to_string(),
            last,
            tick,
            display_mult: mult,
            scale: crate::dtc::book::PriceScale::new(mult),
            volume: 0.0,
            high: last,
            low: last,
            open: last,
        }
    }

    /// Best bid/ask around the last trade (one tick spread).
    pub(super) fn bid_ask(&self) -> (f64, f64) {
        // On the price grid, like a real book: bid at the last trade, ask one tick above.
        (self.last, self.last + self.tick)
    }

    /// Real price to wire price.
    pub(super) fn wire(&self, p: f64) -> f64 {
        self.scale.wire(p)
    }

    /// Wire price to real price.
    pub(super) fn real(&self, p: f64) -> f64 {
        self.scale.display(p)
    }
}

/// One order known to the server.
#[derive(Clone, Debug)]
pub(crate) struct SimOrder {
    pub server_id: String,
    pub client_id: String,
    pub account: String,
    pub symbol: String,
    pub order_type: i32,
    pub buy_sell: i32,
    pub price1: f64,
    pub price2: f64,
    pub qty: f64,
    pub filled: f64,
    pub avg: f64,
    pub status: i32,
    pub tif: i32,
    /// ClientOrderID of the parent this (bracket child) order waits for; empty if none.
    pub parent: String,
    /// ServerOrderID of the OCO sibling; empty if none.
    pub sibling: String,
}

/// Shared simulator state (behind a mutex; connections are threads).
#[derive(Debug)]
pub(crate) struct SimState {
    pub symbols: Vec<SimSymbol>,
    pub accounts: Vec<String>,
    pub balances: BTreeMap<String, f64>,
    /// (account, symbol) -> (quantity, average price)
    pub positions: BTreeMap<(String, String), (f64, f64)>,
    pub orders: Vec<SimOrder>,
    pub fills: Vec<HistoricalOrderFillResponse>,
    /// Unix seconds of the first request (the accounts' opening deposit in their history).
    pub opened_s: Option<f64>,
    next_order: u64,
    rng: u64,
}

impl SimState {
    pub(super) fn new(symbols: &[String], seed: u64) -> Self {
        let accounts = vec!["Sim1".to_string(), "Sim2".to_string()];
        let balances = accounts.iter().map(|a| (a.clone(), OPENING_DEPOSIT)).collect();
        SimState {
            symbols: symbols.iter().enumerate().map(|(i, s)| SimSymbol::new(s, i)).collect(),
            accounts,
            balances,
            positions: BTreeMap::new(),
            orders: Vec::new(),
            fills: Vec::new(),
            opened_s: None,
            next_order: 1,
            rng: seed | 1,
        }
    }

    pub(super) fn rand(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    pub(super) fn symbol_index(&self, name: &str) -> Option<usize> {
        self.symbols.iter().position(|s| s.name == name)
    }

    /// `--order-prices-scaled`: order prices arrive in wire units (real / multiplier); the
    /// book works in real prices, so incoming orders are converted here.
    pub(super) fn order_from_wire(&self, m: &mut Message) {
        let sym = match m {
            Message::SubmitNewSingleOrder(o) => o.symbol.as_str().to_string(),
            Message::SubmitNewOcoOrder(o) => o.symbol.as_str().to_string(),
            Message::CancelReplaceOrder(c) => match self.orders.iter().find(|o| {
                o.server_id == c.server_order_id.as_str()
                    || o.client_id == c.client_order_id.as_str()
            }) {
                Some(o) => o.symbol.clone(),
                None => return,
            },
            _ => return,
        };
        let Some(i) = self.symbol_index(&sym) else { return };
        let s = &self.symbols[i];
        let f = |v: &mut f64| convert_set(v, |x| s.real(x));
        match m {
            Message::SubmitNewSingleOrder(o) => {
                f(&mut o.price1);
                f(&mut o.price2);
            }
            Message::SubmitNewOcoOrder(o) => {
                f(&mut o.price1_1);
                f(&mut o.price2_1);
                f(&mut o.price1_2);
                f(&mut o.price2_2);
            }
            Message::CancelReplaceOrder(c) => {
                f(&mut c.price1);
                f(&mut c.price2);
            }
            _ => {}
        }
    }

    /// `--order-prices-scaled`: order, position and fill prices leave in wire units.
    pub(super) fn trading_to_wire(&self, m: &mut Message) {
        let sym = match m {
            Message::OrderUpdate(u) => u.symbol.as_str().to_string(),
            Message::PositionUpdate(p) => p.symbol.as_str().to_string(),
            Message::HistoricalOrderFillResponse(h) => h.symbol.as_str().to_string(),
            _ => return,
        };
        let Some(i) = self.symbol_index(&sym) else { return };
        let s = &self.symbols[i];
        let f = |v: &mut f64| convert_set(v, |x| s.wire(x));
        match m {
            Message::OrderUpdate(u) => {
                f(&mut u.price1);
                f(&mut u.price2);
                f(&mut u.average_fill_price);
                f(&mut u.last_fill_price);
            }
            Message::PositionUpdate(p) => f(&mut p.average_price),
            Message::HistoricalOrderFillResponse(h) => f(&mut h.price),
            _ => {}
        }
    }

    /// One random-walk step; returns the traded volume.
    pub(super) fn step(&mut self, i: usize) -> f64 {
        let r = self.rand();
        let vol = 1.0 + (r >> 8) as f64 % 5.0;
        let s = &mut self.symbols[i];
        match r % 3 {
            0 => s.last += s.tick,
            1 => s.last = (s.last - s.tick).max(s.tick),
            _ => {}
        }
        s.volume += vol;
        s.high = s.high.max(s.last);
        s.low = s.low.min(s.last);
        vol
    }

    pub(super) fn security_definition(
        &self,
        i: usize,
        request_id: i32,
    ) -> SecurityDefinitionResponse {
        let s = &self.symbols[i];
        SecurityDefinitionResponse {
            request_id,
            symbol: s.name.as_str().into(),
            exchange: if s.name.contains("_CME") { "CME".into() } else { "SIM".into() },
            security_type: SECURITY_TYPE_FUTURES,
            description: format!("{} (simulated)", s.name).as_str().into(),
            min_price_increment: s.tick as f32,
            price_display_format: 2,
            currency_value_per_increment: 12.5,
            is_final_message: 1,
            display_price_multiplier: s.display_mult,
            currency: "USD".into(),
            contract_size: 50.0,
            ..Default::default()
        }
    }

    pub(super) fn snapshot(&self, i: usize, symbol_id: u32) -> MarketDataSnapshot {
        let s = &self.symbols[i];
        let (bid, ask) = s.bid_ask();
        MarketDataSnapshot {
            symbol_id,
            session_open_price: s.wire(s.open),
            session_high_price: s.wire(s.high),
            session_low_price: s.wire(s.low),
            session_volume: s.volume,
            bid_price: s.wire(bid),
            ask_price: s.wire(ask),
            bid_quantity: 10.0,
            ask_quantity: 12.0,
            last_trade_price: s.wire(s.last),
            last_trade_volume: 1.0,
            trading_status: 2,
            ..Default::default()
        }
    }
}

/// Converts a price unless it is one of DTC's "unset" values (0, f64::MAX, non-finite).
fn convert_set(v: &mut f64, convert: impl Fn(f64) -> f64) {
    if *v != 0.0 && *v != f64::MAX && v.is_finite() {
        *v = convert(*v);
    }
}

#[cfg(test)]
mod tests {
    use super::SimSymbol;

    #[test]
    fn quotes_stay_on_the_tick_grid() {
        let mut s = SimSymbol::new("ESZ6_FUT_CME", 0);
        for step in 0..50 {
            s.last += if step % 3 == 0 { -s.tick } else { s.tick };
            let (bid, ask) = s.bid_ask();
            for p in [bid, ask] {
                let ticks = p / s.tick;
                assert!((ticks - ticks.round()).abs() < 1e-9, "{p} is off the {} grid", s.tick);
            }
            assert!(ask > bid);
        }
    }
}
