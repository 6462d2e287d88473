//! The one place that reads the endpoints for the operator surface: fills a [`Snapshot`] in
//! place from `&Endpoints` and `&MarketState`, on the loop thread, on the ops timer.
//!
//! Every row is overwritten where it stands (`clear` + `push_str`, `clone_from`, `truncate`), so
//! once the vectors have grown to the size of the book a fill allocates nothing but what the
//! endpoints' own accessors do (`Endpoints::histograms` builds a `Vec` from each endpoint's
//! `Vec`; `DtcClient::rejected_symbols` returns one per DTC connection with symbols):
//! tests/ops_alloc.rs holds it to that. When the endpoints gain typed snapshots, only this file
//! changes.

use super::snapshot::*;
use crate::endpoint::Endpoint;
use crate::engine::Endpoints;
use crate::market::{Feed, MarketState};
use crate::metrics::{human_name, LatencyHist};
use crate::v9::client::{Role, State};
use std::fmt::Write as _;
use std::time::Instant;

/// What a fill needs besides the endpoints.
#[derive(Clone, Copy, Debug)]
pub struct FillCtx<'a> {
    /// Engine clock, now.
    pub now: Instant,
    /// Wall clock, now, Unix ns.
    pub wall_ns: i64,
    /// Position rows at most.
    pub max_positions: usize,
    /// Per DTC connection (in configuration order): its subscribe symbols as (DTC name, market
    /// name), from the configuration (the client does not list them).
    pub dtc_symbols: &'a [Vec<(String, String)>],
    /// The engine's own histogram (the loop turn).
    pub loop_turn: &'a LatencyHist,
    /// Compute the latency percentiles this time (see [`LATENCY_EVERY`]).
    pub latency: bool,
}

/// Overwrites `snap` with the state of `eps` and `market` (keeps `seq` and `link`).
pub fn fill(snap: &mut Snapshot, eps: &Endpoints, market: &MarketState, cx: &FillCtx<'_>) {
    snap.wall_ns = cx.wall_ns;
    snap.taken = Some(cx.now);
    fill_v9(snap, eps, cx);
    fill_quotes(snap, eps, market, cx);
    fill_pipe(snap, eps);
    fill_dtc(snap, eps, cx);
    snap.latency_fresh = cx.latency;
    if cx.latency {
        fill_latency(snap, eps, cx.loop_turn);
    }
}

/// A cheap summary of the counters that move with every event (messages in, signals, ticks,
/// DTC messages, quote updates, connections): equal values mean a fill would show the same
/// state, but for ages. O(clients + symbols + connections), no allocation.
pub fn fingerprint(eps: &Endpoints, market: &MarketState) -> u64 {
    let mut h = 0u64;
    let mut mix = |v: u64| h = h.rotate_left(5) ^ v.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    if let Some(v9) = &eps.v9 {
        let s = v9.stats();
        [s.accepted, s.signals, s.rejected_signals, s.bad_messages, s.overflows]
            .into_iter()
            .for_each(&mut mix);
        for c in v9.clients() {
            mix(c.msgs_in ^ (c.state as u64) << 60 ^ (c.sent.len() as u64) << 40);
            // A FLATTEN check concludes on a timer, with no message.
            let b = &c.book;
            mix(b.out_of_sync().len() as u64 ^ (b.pending_flatten().is_some() as u64) << 32);
        }
    }
    if let Some(p) = &eps.pipe {
        let s = p.stats();
        [s.messages, s.bytes, s.bad_total()].into_iter().for_each(&mut mix);
    }
    for d in &eps.dtc {
        let s = d.stats();
        [s.messages, s.bad, d.reconnects(), d.synced() as u64, d.is_logged_on() as u64]
            .into_iter()
            .for_each(&mut mix);
    }
    let (mut updates, mut stale) = (0u64, 0u64);
    for (_, q) in market.iter() {
        updates = updates.wrapping_add(q.updates);
        stale += q.stale_warned as u64;
    }
    [updates, stale, market.len() as u64].into_iter().for_each(&mut mix);
    h
}

/// The row at `i`, pushed when the vector is that short (reuses the allocation otherwise).
fn slot<T: Default>(v: &mut Vec<T>, i: usize) -> &mut T {
    if i == v.len() {
        v.push(T::default());
    }
    &mut v[i]
}

fn set(s: &mut String, v: &str) {
    s.clear();
    s.push_str(v);
}

fn age_ms(now: Instant, then: Instant) -> u64 {
    now.saturating_duration_since(then).as_millis() as u64
}

fn wall_of(cx: &FillCtx<'_>, then: Instant) -> i64 {
    cx.wall_ns - cx.now.saturating_duration_since(then).as_nanos() as i64
}

fn fill_v9(snap: &mut Snapshot, eps: &Endpoints, cx: &FillCtx<'_>) {
    let Some(v9) = eps.v9.as_ref() else {
        snap.v9 = None;
        snap.receivers.clear();
        snap.positions.clear();
        snap.positions_left_out = 0;
        return;
    };
    let s = v9.stats();
    let row = snap.v9.get_or_insert_with(V9Row::default);
    row.listen.clear();
    let _ = write!(row.listen, "{}", v9.local_addr());
    row.accepted = s.accepted;
    row.refused = s.refused;
    row.signals = s.signals;
    row.rejected_signals = s.rejected_signals;
    row.bad_messages = s.bad_messages;
    row.overflows = s.overflows;
    row.timeouts = s.timeouts;
    row.summaries_with_id = s.summaries_with_id;
    row.queued_bytes = 0;
    let (mut n, mut np) = (0, 0);
    snap.positions_left_out = 0;
    for c in v9.clients() {
        row.queued_bytes += c.queued() as u64;
        let r = slot(&mut snap.receivers, n);
        n += 1;
        r.key = c.token.0;
        set(&mut r.name, &c.name);
        r.peer.clear();
        let _ = write!(r.peer, "{}", c.peer);
        r.role = if c.role == Role::Receiver { "receiver" } else { "publisher" };
        r.state = match c.state {
            State::AwaitConnect => "await_connect",
            State::Ready => "ready",
            State::Closing => "closing",
        };
        r.accounts = c.accounts;
        r.connected_since_ns = 0; // the ops thread knows when it first saw the key
        r.last_heartbeat_ns = wall_of(cx, c.last_rx);
        r.last_heartbeat_age_ms = age_ms(cx.now, c.last_rx);
        r.msgs_in = c.msgs_in;
        r.bad_in = c.bad_in;
        r.queued_bytes = c.queued() as u64;
        r.pending_summaries = c.sent.len() as u32;
        r.oldest_pending_ms = c.sent.front().map_or(0, |&(_, at)| age_ms(cx.now, at));
        let book = &c.book;
        (r.holding, r.qty, r.long, r.short) = book.totals();
        r.pnl = book.positions().iter().map(|p| p.pnl).sum();
        r.summary = book.summary().map(|s| SummaryRow {
            accounts: s.accounts,
            qty: s.qty,
            pnl: s.pnl,
            signal_id: s.signal_id,
        });
        r.summary_mismatch = book.summary().is_some_and(|s| {
            let mine = book.totals();
            let (l, sh) = s.breakdown.map_or((mine.2, mine.3), |(l, s)| (l as u64, s as u64));
            mine != (s.accounts as u64, s.qty as u64, l, sh)
        });
        r.pending_flatten = book.pending_flatten();
        let oos = book.out_of_sync();
        r.out_of_sync.truncate(oos.len());
        for (i, o) in oos.iter().enumerate() {
            set(slot(&mut r.out_of_sync, i), o);
        }
        for p in book.positions() {
            if np >= cx.max_positions {
                snap.positions_left_out += 1;
                continue;
            }
            let row = slot(&mut snap.positions, np);
            np += 1;
            set(&mut row.receiver, &c.name);
            row.receiver_key = c.token.0;
            set(&mut row.account, &p.account);
            set(&mut row.symbol, &p.symbol);
            row.direction = p.direction.as_str();
            row.qty = p.qty;
            row.signed_qty = p.signed_qty();
            row.entry = p.entry;
            row.pnl = p.pnl;
            row.age_ms = age_ms(cx.now, p.updated);
            row.pending_flat = p.needs_flat;
            row.why.clear();
            let late = oos.iter().find(|o| names_position(o, &p.account, &p.symbol));
            row.out_of_sync = late.is_some();
            if let Some(o) = late {
                let at_check = o.split_once(' ').map_or("", |(_, rest)| rest);
                let _ = write!(
                    row.why,
                    "not FLAT after the FLATTEN check (held {at_check}; now {} {})",
                    p.direction.as_str(),
                    p.qty
                );
            }
        }
    }
    snap.receivers.truncate(n);
    snap.positions.truncate(np);
}

/// True when an out-of-sync entry (`ACCOUNT/SYMBOL DIR QTY` or `ACCOUNT DIR QTY`) names it.
fn names_position(entry: &str, account: &str, symbol: &str) -> bool {
    let Some(rest) = entry.strip_prefix(account) else { return false };
    let rest = if symbol.is_empty() {
        Some(rest)
    } else {
        rest.strip_prefix('/').and_then(|r| r.strip_prefix(symbol))
    };
    rest.is_some_and(|r| r.starts_with(' '))
}

fn fill_quotes(snap: &mut Snapshot, eps: &Endpoints, market: &MarketState, cx: &FillCtx<'_>) {
    let mut n = 0;
    for (sym, q) in market.iter() {
        let r = slot(&mut snap.quotes, n);
        n += 1;
        set(&mut r.symbol, sym);
        r.feed = match q.feed {
            Feed::Pipe => "pipe",
            Feed::Dtc => "dtc",
        };
        (r.bid, r.ask, r.last, r.volume) = (q.bid, q.ask, q.last, q.volume);
        (r.bid_size, r.ask_size, r.ts_ns) = (q.bid_size, q.ask_size, q.ts_ns);
        r.age_ms = age_ms(cx.now, q.updated);
        (r.updates, r.seq_gaps, r.stale) = (q.updates, q.seq_gaps, q.stale_warned);
        r.symbol_id = 0;
        r.dtc.clear();
        r.session = None;
        // A DTC symbol is keyed by its market name; its SymbolID is its index + 1.
        for (d, syms) in eps.dtc.iter().zip(cx.dtc_symbols) {
            let Some(i) = syms.iter().position(|(_, m)| m == sym) else { continue };
            r.symbol_id = i as u32 + 1;
            set(&mut r.dtc, d.name());
            r.session = d.session_stats(&syms[i].0).map(|s| SessionRow {
                open: s.open,
                high: s.high,
                low: s.low,
                settlement: s.settlement,
                volume: s.volume,
            });
            break;
        }
    }
    snap.quotes.truncate(n);
    snap.quotes.sort_unstable_by(|a, b| a.symbol.cmp(&b.symbol));
}

fn fill_pipe(snap: &mut Snapshot, eps: &Endpoints) {
    let Some(p) = eps.pipe.as_ref() else {
        snap.pipe = None;
        return;
    };
    let s = p.stats();
    let row = snap.pipe.get_or_insert_with(PipeRow::default);
    (row.bytes, row.messages, row.ticks) = (s.bytes, s.messages, s.ticks);
    (row.signals, row.signals_refused) = (s.signals, s.signals_refused);
    row.writer_connects = s.writer_connects;
    row.bad.clear();
    row.bad.extend(crate::pipe::reason::BadInput::ALL.iter().map(|r| (r.as_str(), s.bad(*r))));
}

fn fill_dtc(snap: &mut Snapshot, eps: &Endpoints, cx: &FillCtx<'_>) {
    snap.dtc.truncate(eps.dtc.len());
    for (i, d) in eps.dtc.iter().enumerate() {
        let r = slot(&mut snap.dtc, i);
        set(&mut r.name, d.name());
        set(&mut r.short, d.name().strip_prefix("dtc.").unwrap_or(d.name()));
        r.phase.clear();
        let _ = write!(r.phase, "{:?}", d.phase());
        r.logged_on = d.is_logged_on();
        r.synced = d.synced();
        r.encoding.clear();
        let _ = write!(r.encoding, "{:?}", d.encoding());
        set(&mut r.last_error, d.last_error().unwrap_or(""));
        r.reconnects = d.reconnects();
        let s = d.stats();
        (r.messages, r.market_data, r.bad, r.resets) = (s.messages, s.market_data, s.bad, s.resets);
        r.heartbeats = s.heartbeats;
        r.awaiting_order_updates = d.awaiting_order_updates();
        let syms = cx.dtc_symbols.get(i).map_or(&[][..], |v| &v[..]);
        let rejected = if syms.is_empty() { Vec::new() } else { d.rejected_symbols() };
        r.symbols.truncate(syms.len());
        for (k, (name, market_name)) in syms.iter().enumerate() {
            let row = slot(&mut r.symbols, k);
            set(&mut row.name, name);
            set(&mut row.market_name, market_name);
            row.id = k as u32 + 1;
            row.multiplier = d.multiplier(name).unwrap_or(1.0);
            let why = rejected.iter().find(|(s, _)| s == name).map_or("", |(_, w)| w);
            set(&mut row.rejected, why);
        }
        fill_trading(r, d.trading_book());
    }
}

/// DTC orders, fills, positions and balances copied per fill at most, each (a book that big is
/// shown in part; the counts stay exact).
const MAX_DTC_ROWS: usize = 2000;

fn fill_trading(r: &mut DtcRow, book: &crate::dtc::book::TradingBook) {
    use crate::dtc::types::consts::ORDER_STATUS_FILLED;
    r.accounts.truncate(book.account_order.len());
    for (i, a) in book.account_order.iter().enumerate() {
        set(slot(&mut r.accounts, i), a);
    }
    let raw = &mut r.raw;
    raw.balances.clear();
    raw.positions.clear();
    raw.orders.clear();
    raw.fills.clear();
    let room = |n: usize| MAX_DTC_ROWS.saturating_sub(n);
    let working =
        |o: &crate::dtc::book::OrderState| (1..ORDER_STATUS_FILLED).contains(&o.last.order_status);
    (r.orders, r.open_orders, r.fills) = (0, 0, 0);
    for a in book.accounts.values() {
        raw.balances.extend(a.balance.into_iter().take(room(raw.balances.len())));
        raw.positions.extend(a.positions.values().copied().take(room(raw.positions.len())));
        raw.orders.extend(a.orders.values().map(|o| o.last).take(room(raw.orders.len())));
        raw.fills.extend(a.fills.values().copied().take(room(raw.fills.len())));
        r.orders += a.orders.len() as u64;
        r.open_orders += a.orders.values().filter(|o| working(o)).count() as u64;
        r.fills += a.fills.len() as u64;
    }
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

fn fill_latency(snap: &mut Snapshot, eps: &Endpoints, loop_turn: &LatencyHist) {
    let hists = eps.histograms();
    let all = std::iter::once(loop_turn).chain(hists.iter().copied());
    let mut n = 0;
    for h in all {
        let r = slot(&mut snap.latency, n);
        n += 1;
        if r.name != h.name() {
            set(&mut r.name, h.name());
            r.human = human_name(h.name());
        }
        r.count = h.len();
        r.mean_ns = if h.is_empty() { 0.0 } else { h.hist().mean() };
        r.percentiles_ns = [0; QUANTILES.len()];
        if !h.is_empty() {
            // One pass over the counts for every quantile (not one per quantile).
            let values = h.hist().value_at_quantiles(QUANTILES);
            for (v, x) in r.percentiles_ns.iter_mut().zip(values) {
                *v = x;
            }
        }
    }
    snap.latency.truncate(n);
}

#[cfg(test)]
mod tests {
    use super::names_position;

    #[test]
    fn out_of_sync_entries_name_their_position() {
        assert!(names_position("A0/ES LONG 2", "A0", "ES"));
        assert!(!names_position("A0/ES LONG 2", "A0", "NQ"));
        assert!(!names_position("A01/ES LONG 2", "A0", "ES"));
        assert!(names_position("A0 SHORT 1", "A0", ""));
        assert!(!names_position("A0/ES LONG 2", "A0", ""));
    }
}
