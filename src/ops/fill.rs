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
use crate::ops::events::{AckEvent, ShortText, SignalEvent};
use crate::v9::book::AccountPosition;
use crate::v9::peer::Peer;
use crate::v9::reply::{Role, State};
use crate::v9::snapshot::{Ring, Written, RECENT};
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
    super::fill_dtc::fill_dtc(snap, eps);
    super::risk::fill_risk(snap, eps);
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
        for (key, p, queued) in v9.peers() {
            let c = p.counters();
            mix(c.messages ^ (key as u64) << 48 ^ (p.state().as_str().len() as u64) << 56);
            mix(queued as u64);
            // A FLATTEN check concludes on a timer, with no message.
            let b = p.book();
            mix(b.out_of_sync().len() as u64 ^ (b.pending_flatten().is_some() as u64) << 32);
            // So does reconciliation (a difference flagged once its grace period is over).
            mix(b.expected().diffs().iter().filter(|d| d.flagged).count() as u64);
        }
        mix(v9.recent().answers.total());
    }
    if let Some(p) = &eps.pipe {
        let s = p.stats();
        [s.messages, s.bytes, s.bad_total()].into_iter().for_each(&mut mix);
    }
    for d in &eps.dtc {
        let (s, c) = (d.stats(), d.connection());
        [s.messages, s.bad, c.reconnects(), c.synced() as u64, c.is_logged_on() as u64]
            .into_iter()
            .for_each(&mut mix);
    }
    let (mut updates, mut stale) = (0u64, 0u64);
    for (_, q) in market.iter() {
        updates = updates.wrapping_add(q.updates);
        stale += q.stale_warned as u64;
    }
    [updates, stale, market.len() as u64].into_iter().for_each(&mut mix);
    mix(super::risk::fingerprint(eps));
    h
}

/// The row at `i`, pushed when the vector is that short (reuses the allocation otherwise).
pub(super) fn slot<T: Default>(v: &mut Vec<T>, i: usize) -> &mut T {
    if i == v.len() {
        v.push(T::default());
    }
    &mut v[i]
}

pub(super) fn set(s: &mut String, v: &str) {
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
    row.route_skipped_receivers = s.route_skipped_receivers;
    row.bad_messages = s.bad_messages;
    row.overflows = s.overflows;
    row.timeouts = s.timeouts;
    row.summaries_with_id = s.summaries_with_id;
    row.auth_failures = s.auth_failures;
    row.positions_refused = s.positions_refused;
    let written = &v9.recent().written;
    let (mut n, mut np, mut queued_total) = (0, 0, 0u64);
    snap.positions_left_out = 0;
    for (key, peer, queued) in v9.peers() {
        queued_total += queued as u64;
        let r = slot(&mut snap.receivers, n);
        n += 1;
        fill_receiver(r, key, peer, queued, written, cx);
        for p in peer.book().positions() {
            if np >= cx.max_positions {
                snap.positions_left_out += 1;
                continue;
            }
            let row = slot(&mut snap.positions, np);
            np += 1;
            fill_position(row, key, peer, p, cx);
        }
    }
    row.queued_bytes = queued_total;
    snap.receivers.truncate(n);
    snap.positions.truncate(np);
}

/// One connection's row: identity, liveness, what it owes, its book's totals.
fn fill_receiver(
    r: &mut ReceiverRow,
    key: usize,
    peer: &Peer,
    queued: usize,
    written: &Ring<Written>,
    cx: &FillCtx<'_>,
) {
    r.key = key;
    set(&mut r.name, peer.name());
    if r.peer_addr != Some(peer.addr()) {
        // Formatted only when the row's connection changes, not on every snapshot.
        r.peer_addr = Some(peer.addr());
        r.peer.clear();
        let _ = write!(r.peer, "{}", peer.addr());
    }
    r.role = if peer.role() == Role::Receiver { "receiver" } else { "publisher" };
    r.state = match peer.state() {
        State::AwaitConnect => "await_connect",
        State::Ready => "ready",
        State::Closing { .. } => "closing",
    };
    r.accounts = peer.accounts();
    r.connected_since_ns = peer.connected_ns();
    r.last_heartbeat_ns = peer.last_heartbeat_ns();
    r.last_heartbeat_age_ms =
        r.last_heartbeat_ns.map(|at| (cx.wall_ns.saturating_sub(at)).max(0) as u64 / 1_000_000);
    r.last_message_age_ms = age_ms(cx.now, peer.last_message());
    let c = peer.counters();
    (r.msgs_in, r.bad_in) = (c.messages, c.bad);
    r.queued_bytes = queued as u64;
    let book = peer.book();
    // Signals written to it (ids are consecutive, every READY receiver gets each) that no
    // POSITION_SUMMARY of it answers yet; the oldest one's age when the ring still has it.
    let next = peer.next_answer();
    let last = written.since(0).next_back().map_or(0, |w| w.record.id);
    (r.pending_summaries, r.oldest_pending_ms) = (0, 0);
    if peer.receives() && next <= last {
        r.pending_summaries = (last - next + 1) as u32;
        let oldest = written.since(0).rev().take_while(|w| w.record.id >= next).last();
        r.oldest_pending_ms = oldest.map_or(0, |w| age_ms(cx.now, w.at));
    }
    (r.holding, r.qty, r.long, r.short) = book.totals();
    r.pnl = book.positions().iter().map(|p| p.pnl).sum();
    r.summary = book.summary().map(|s| SummaryRow {
        accounts: s.accounts,
        qty: s.qty,
        pnl: s.pnl,
        signal_id: s.signal_id,
    });
    r.summary_mismatch = book.summary_mismatch();
    r.pending_flatten = book.pending_flatten();
    let oos = book.out_of_sync();
    r.out_of_sync.truncate(oos.len());
    for (i, o) in oos.iter().enumerate() {
        set(slot(&mut r.out_of_sync, i), o);
    }
}

fn fill_position(
    row: &mut PositionRow,
    key: usize,
    peer: &Peer,
    p: &AccountPosition,
    cx: &FillCtx<'_>,
) {
    set(&mut row.receiver, peer.name());
    row.receiver_key = key;
    set(&mut row.account, &p.account);
    set(&mut row.symbol, &p.symbol);
    row.direction = p.direction.as_str();
    row.qty = p.qty;
    row.signed_qty = p.signed_qty();
    row.entry = p.entry;
    row.pnl = p.pnl;
    row.age_ms = age_ms(cx.now, p.updated);
    row.pending_flat = p.needs_flat;
    let oos = peer.book().out_of_sync();
    let late = oos.iter().find(|o| names_position(o, &p.account, &p.symbol));
    row.out_of_sync = late.is_some();
    if let Some(o) = late {
        let at_check = o.split_once(' ').map_or("", |(_, rest)| rest);
        let (direction, qty) = (p.direction.as_str(), p.qty);
        // The kept String is overwritten in place: no allocation once it has grown.
        match &mut row.why {
            Why::NotFlat { at_check: kept, direction: d, qty: q } => {
                set(kept, at_check);
                (*d, *q) = (direction, qty);
            }
            why => *why = Why::NotFlat { at_check: at_check.into(), direction, qty },
        }
        return;
    }
    // Reconciliation: what the engine sent adds up to another position than the one reported.
    // Values only: the text is formatted when the ops thread serializes the snapshot.
    let expected = peer.book().expected();
    let drift = expected.diffs().iter().find(|d| {
        d.flagged
            && expected.account_of(d) == &*p.account
            && d.symbol.as_bytes() == p.symbol.as_bytes()
    });
    row.why = match drift {
        Some(d) => {
            row.out_of_sync = true;
            let for_s = cx.now.saturating_duration_since(d.since).as_secs_f64();
            Why::Drift { expected: d.expected, reported: d.reported, for_s }
        }
        None => Why::InSync,
    };
}

/// Copies the signals written and summaries back since `seen` (written, answers) into `snap`
/// (`Copy` rows into kept capacity); returns the totals to mark as seen once it is sent.
pub fn fill_events(
    snap: &mut Snapshot,
    eps: &Endpoints,
    seen: (u64, u64),
    cx: &FillCtx<'_>,
) -> (u64, u64) {
    snap.signals.clear();
    snap.acks.clear();
    // Room for a whole ring once per snapshot, then never again (snapshots are reused).
    snap.signals.reserve(RECENT);
    snap.acks.reserve(RECENT);
    let Some(v9) = eps.v9.as_ref() else { return seen };
    let recent = v9.recent();
    let (w, a) = (&recent.written, &recent.answers);
    snap.events_lost = (w.total() - seen.0).saturating_sub(RECENT as u64)
        + (a.total() - seen.1).saturating_sub(RECENT as u64);
    for x in w.since(seen.0) {
        snap.signals.push(SignalEvent::written(&x.record, x.at, wall_of(cx, x.at)));
    }
    for x in a.since(seen.1) {
        let name = v9.peers().find(|(k, _, _)| *k == x.key).map_or("", |(_, p, _)| p.name());
        let latency_ns = x.latency.map_or(0, |l| l.as_nanos() as u64);
        snap.acks.push(AckEvent { id: x.id, receiver: ShortText::new(name), latency_ns });
    }
    (w.total(), a.total())
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
        // A DTC symbol is keyed by its market name.
        for d in &eps.dtc {
            let Some(info) = d.connection().symbols().iter().find(|i| i.market_name == sym) else {
                continue;
            };
            r.symbol_id = info.id;
            set(&mut r.dtc, d.name());
            let st = info.session;
            r.session = Some(SessionRow {
                open: st.open,
                high: st.high,
                low: st.low,
                settlement: st.settlement,
                volume: st.volume,
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
        r.mean_ns = h.mean_ns();
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
