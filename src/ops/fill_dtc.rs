//! The DTC part of a snapshot fill: each connection's state, symbols and trading book.

use super::fill::{set, slot};
use super::snapshot::{DtcRow, Snapshot};
use crate::dtc::book::{OrderState, TradingBook};
use crate::dtc::connection::Connection;
use crate::dtc::types::consts::ORDER_STATUS_FILLED;
use crate::endpoint::Endpoint;
use crate::engine::Endpoints;
use std::fmt::Write as _;

/// DTC orders, fills, positions and balances copied per fill at most, each (a book that big is
/// shown in part; the counts stay exact).
const MAX_DTC_ROWS: usize = 2000;

/// Overwrites `snap.dtc` with every connection, in configuration order.
pub(super) fn fill_dtc(snap: &mut Snapshot, eps: &Endpoints) {
    snap.dtc.truncate(eps.dtc.len());
    for (i, d) in eps.dtc.iter().enumerate() {
        let r = slot(&mut snap.dtc, i);
        set(&mut r.name, d.name());
        set(&mut r.short, d.name().strip_prefix("dtc.").unwrap_or(d.name()));
        let c = d.connection();
        fill_state(r, c);
        let s = d.stats();
        (r.messages, r.market_data, r.bad, r.resets) = (s.messages, s.market_data, s.bad, s.resets);
        r.heartbeats = s.heartbeats;
        let syms = c.symbols();
        r.symbols.truncate(syms.iter().len());
        for (k, info) in syms.iter().enumerate() {
            let row = slot(&mut r.symbols, k);
            set(&mut row.name, &info.name);
            set(&mut row.market_name, &info.market_name);
            row.id = info.id;
            row.multiplier = info.scale.mult;
            set(&mut row.rejected, info.rejected.as_deref().unwrap_or(""));
        }
        fill_trading(r, c.trading_book());
        // Copied only when a query finished (its rows are Vec: cloning allocates).
        let (gen, done) = c.finished_queries();
        if r.raw.queries_gen != gen {
            r.raw.queries.clear();
            r.raw.queries.extend(done.cloned());
            r.raw.queries_gen = gen;
        }
    }
}

fn fill_state(r: &mut DtcRow, c: &Connection) {
    r.phase.clear();
    let _ = write!(r.phase, "{:?}", c.phase());
    r.logged_on = c.is_logged_on();
    r.synced = c.synced();
    r.encoding.clear();
    let _ = write!(r.encoding, "{:?}", c.encoding());
    r.last_error.clear();
    if let Some(e) = c.last_error() {
        let _ = write!(r.last_error, "{e}");
    }
    r.reconnects = c.reconnects();
    r.awaiting_order_updates = c.awaiting_order_updates();
}

fn fill_trading(r: &mut DtcRow, book: &TradingBook) {
    let mut n = 0;
    let raw = &mut r.raw;
    raw.balances.clear();
    raw.positions.clear();
    raw.orders.clear();
    raw.fills.clear();
    let room = |n: usize| MAX_DTC_ROWS.saturating_sub(n);
    let working = |o: &OrderState| (1..ORDER_STATUS_FILLED).contains(&o.last.order_status);
    (r.orders, r.open_orders, r.fills) = (0, 0, 0);
    for name in book.names() {
        let Some(a) = book.get(name) else { continue };
        set(slot(&mut r.accounts, n), name);
        n += 1;
        raw.balances.extend(a.balance.into_iter().take(room(raw.balances.len())));
        raw.positions.extend(a.positions.values().copied().take(room(raw.positions.len())));
        raw.orders.extend(a.orders.values().map(|o| o.last).take(room(raw.orders.len())));
        raw.fills.extend(a.fills.values().copied().take(room(raw.fills.len())));
        r.orders += a.orders.len() as u64;
        r.open_orders += a.orders.values().filter(|o| working(o)).count() as u64;
        r.fills += a.fills.len() as u64;
    }
    r.accounts.truncate(n);
    r.balances.truncate(raw.balances.len());
    for (i, b) in raw.balances.iter().enumerate() {
        let row = slot(&mut r.balances, i);
        set(&mut row.account, b.trade_account.as_str());
        set(&mut row.currency, b.account_currency.as_str());
        (row.cash, row.available) = (b.cash_balance, b.balance_available_for_new_positions);
        (row.open_pnl, row.daily_pnl) = (b.open_positions_profit_loss, b.daily_profit_loss);
    }
    r.positions.truncate(raw.positions.len());
    for (i, p) in raw.positions.iter().enumerate() {
        let row = slot(&mut r.positions, i);
        set(&mut row.account, p.trade_account.as_str());
        set(&mut row.symbol, p.symbol.as_str());
        (row.quantity, row.average_price, row.open_pnl) =
            (p.quantity, p.average_price, p.open_profit_loss);
    }
}
