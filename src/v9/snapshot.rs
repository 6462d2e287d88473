//! Typed views of the V9 server (counters, receivers, connections) and the report text made from them.

use super::accept::Listener;
use super::broadcast::Record;
use super::codec::{Direction, Summary};
use super::escape::Esc;
use super::hub::Hub;
use super::peer::Peer;
use super::reply::{Role, State};
use slab::Slab;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The V9 server's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct V9Stats {
    /// Connections open now.
    pub clients: usize,
    /// Connections accepted.
    pub accepted: u64,
    /// Connections refused (server full, out of file descriptors).
    pub refused: u64,
    /// Accept calls that failed (out of file descriptors and the like).
    pub accept_failures: u64,
    /// Signals broadcast.
    pub signals: u64,
    /// Signals refused (validation, length, not a publisher).
    pub rejected_signals: u64,
    /// READY receivers routed signals skipped (none of the target accounts), summed.
    pub route_skipped_receivers: u64,
    /// Bad messages received.
    pub bad_messages: u64,
    /// Receivers disconnected for a full output queue.
    pub overflows: u64,
    /// Clients closed for silence (no complete message within the timeout).
    pub timeouts: u64,
    /// POSITION_SUMMARY messages answering a numbered signal (`ID:`).
    pub summaries_with_id: u64,
    /// POSITIONs not recorded (book full, names too long).
    pub positions_refused: u64,
    /// Publisher CONNECTs refused (bad token, throttled, not loopback).
    pub auth_failures: u64,
    /// Books of departed receivers kept for their reconnection.
    pub retired_books: usize,
    /// Heap bytes those books hold (bounded, see the README's abuse limits).
    pub retired_bytes: usize,
    /// Retired books evicted (oldest first) to stay within their bounds.
    pub evicted_books: u64,
}

/// One account position as a receiver last reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionRow {
    /// Account name.
    pub account: String,
    /// Instrument (empty when the receiver does not send `Symbol:`).
    pub symbol: String,
    /// Direction.
    pub direction: Direction,
    /// Contracts.
    pub qty: u32,
    /// Average entry price.
    pub entry: f64,
    /// P&L.
    pub pnl: f64,
}

impl PositionRow {
    /// Signed quantity (+long, -short).
    pub fn signed_qty(&self) -> i64 {
        match self.direction {
            Direction::Long => self.qty as i64,
            Direction::Short => -(self.qty as i64),
            Direction::Flat => 0,
        }
    }
}

/// A reported position that differs from the expected one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionMismatch {
    /// Account name.
    pub account: String,
    /// Symbol.
    pub symbol: String,
    /// Expected signed position.
    pub expected: i64,
    /// Reported signed position (0 when it reported none).
    pub reported: i64,
    /// Since when they differ.
    pub since: Instant,
    /// Past the grace period: out of sync.
    pub flagged: bool,
}

/// One READY receiver.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiverRow {
    /// Strategy name from CONNECT.
    pub name: String,
    /// Remote address.
    pub peer: SocketAddr,
    /// `Account_Count` from CONNECT.
    pub accounts: u32,
    /// When it connected, Unix ns.
    pub connected_at_ns: i64,
    /// Its last HEARTBEAT, Unix ns.
    pub last_heartbeat_ns: Option<i64>,
    /// Its last complete message.
    pub last_message: Instant,
    /// It sends no terminators.
    pub unterminated: bool,
    /// (accounts holding a position, total contracts, long positions, short positions).
    pub totals: (u64, u64, u64, u64),
    /// Its last POSITION_SUMMARY.
    pub summary: Option<Summary>,
    /// Accounts found not flat at the last FLATTEN check.
    pub out_of_sync: Vec<String>,
    /// Reported positions that differ from the expected ones (flagged: past the grace).
    pub mismatches: Vec<PositionMismatch>,
    /// Expected signed position per symbol, from the signals queued to it.
    pub expected: Vec<(String, i64)>,
    /// Its positions.
    pub positions: Vec<PositionRow>,
}

impl ReceiverRow {
    /// The row of `p`.
    pub fn of(p: &Peer) -> ReceiverRow {
        let book = p.book();
        ReceiverRow {
            name: p.name().to_string(),
            peer: p.addr(),
            accounts: p.accounts(),
            connected_at_ns: p.connected_ns(),
            last_heartbeat_ns: p.last_heartbeat_ns(),
            last_message: p.last_message(),
            unterminated: p.unterminated(),
            totals: book.totals(),
            summary: book.summary().copied(),
            out_of_sync: book.out_of_sync().to_vec(),
            mismatches: mismatches(book),
            expected: book.expected().symbols().map(|(s, p)| (s.as_str().to_string(), p)).collect(),
            positions: book
                .positions()
                .iter()
                .map(|a| PositionRow {
                    account: a.account.to_string(),
                    symbol: a.symbol.to_string(),
                    direction: a.direction,
                    qty: a.qty,
                    entry: a.entry,
                    pnl: a.pnl,
                })
                .collect(),
        }
    }
}

/// Entries each [`Recent`] ring keeps (older ones are overwritten).
pub const RECENT: usize = 512;

/// A signal the flush wrote, and when.
#[derive(Clone, Copy, Debug)]
pub struct Written {
    /// The signal.
    pub record: Record,
    /// When its bytes were written.
    pub at: Instant,
}

/// A POSITION_SUMMARY answering signal `id` from the connection under `key`.
#[derive(Clone, Copy, Debug)]
pub struct Answer {
    /// The signal answered.
    pub id: u64,
    /// The connection (see [`V9Server::peers`](super::server::V9Server::peers)).
    pub key: usize,
    /// Signal written → summary read (None when the signal is no longer in the sent log).
    pub latency: Option<Duration>,
}

/// The last [`RECENT`] entries, for observers that read between turns (the operator surface):
/// allocated once, overwritten in place, so recording one costs no allocation.
#[derive(Clone, Debug)]
pub struct Ring<T> {
    items: Vec<T>,
    total: u64,
}

impl<T: Copy> Default for Ring<T> {
    fn default() -> Self {
        Ring { items: Vec::with_capacity(RECENT), total: 0 }
    }
}

impl<T: Copy> Ring<T> {
    pub(super) fn push(&mut self, t: T) {
        if self.items.len() < RECENT {
            self.items.push(t);
        } else {
            self.items[(self.total % RECENT as u64) as usize] = t;
        }
        self.total += 1;
    }

    /// Entries recorded so far (also those overwritten).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The entries recorded after the first `seen`, oldest first (at most the last [`RECENT`]).
    pub fn since(&self, seen: u64) -> impl DoubleEndedIterator<Item = &T> + '_ {
        let from = seen.max(self.total.saturating_sub(self.items.len() as u64));
        (from..self.total).map(move |i| &self.items[(i % RECENT as u64) as usize])
    }
}

/// The signals written and the summaries answering them, most recent [`RECENT`] of each.
#[derive(Clone, Debug, Default)]
pub struct Recent {
    /// Signals written.
    pub written: Ring<Written>,
    /// Summaries with `ID:`.
    pub answers: Ring<Answer>,
}

/// The counters of the server made of these parts.
pub(super) fn stats(hub: &Hub, listener: &Listener, peers: &Slab<Peer>) -> V9Stats {
    let t = hub.totals();
    let mut s = V9Stats {
        clients: peers.len(),
        accepted: t.accepted,
        refused: listener.refused(),
        accept_failures: listener.failures(),
        signals: t.signals,
        rejected_signals: t.rejected,
        route_skipped_receivers: hub.receivers().skipped_total(),
        overflows: t.overflows,
        auth_failures: t.auth_failures,
        retired_books: hub.retired().len(),
        retired_bytes: hub.retired().bytes(),
        evicted_books: t.evicted_books,
        ..V9Stats::default()
    };
    let live = peers.iter().map(|(_, p)| p.counters());
    for c in std::iter::once(t.departed).chain(live) {
        s.rejected_signals += c.rejected;
        s.bad_messages += c.bad;
        s.timeouts += c.timeouts;
        s.summaries_with_id += c.summaries_with_id;
        s.positions_refused += c.positions_refused;
    }
    s
}

/// One connection as the periodic report lists it (built on the loop, formatted elsewhere).
#[derive(Clone, Debug, PartialEq)]
pub struct PeerRow {
    /// Remote address.
    pub addr: SocketAddr,
    /// Name from CONNECT (peer input: escape it before logging).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Where its handshake stands.
    pub state: State,
    /// Receivers only: their book.
    pub book: Option<BookRow>,
}

/// A receiver's book as the report shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct BookRow {
    /// Accounts in the book.
    pub accounts: usize,
    /// (accounts holding a position, total contracts, long positions, short positions).
    pub totals: (u64, u64, u64, u64),
    /// Sum of the accounts' P&L.
    pub pnl: f64,
    /// Its last POSITION_SUMMARY.
    pub summary: Option<Summary>,
    /// The last summary disagrees with the per-account positions.
    pub mismatch: bool,
    /// Accounts found not flat at the last FLATTEN check.
    pub out_of_sync: Vec<String>,
    /// When a position last changed.
    pub last_update: Option<Instant>,
    /// Reported positions that differ from the expected ones.
    pub mismatches: Vec<PositionMismatch>,
}

impl PeerRow {
    /// The row of `p`.
    pub fn of(p: &Peer) -> PeerRow {
        let book = (p.role() == Role::Receiver).then(|| {
            let b = p.book();
            BookRow {
                accounts: b.account_count(),
                totals: b.totals(),
                pnl: b.positions().iter().map(|p| p.pnl).sum(),
                summary: b.summary().copied(),
                mismatch: b.summary_mismatch(),
                out_of_sync: b.out_of_sync().to_vec(),
                last_update: b.positions().iter().map(|p| p.updated).max(),
                mismatches: mismatches(b),
            }
        });
        PeerRow {
            addr: p.addr(),
            name: p.name().to_string(),
            role: p.role(),
            state: p.state(),
            book,
        }
    }
}

/// The report's V9 section: the counters, then one line per connection (peer strings escaped).
pub fn write_status(
    out: &mut String,
    addr: SocketAddr,
    s: &V9Stats,
    rows: &[PeerRow],
    now: Instant,
) {
    let _ = writeln!(
        out,
        "v9 {addr}: {} clients, signals {} (rejected {}), bad messages {}, overflows {}, timeouts {}, refused {}",
        s.clients, s.signals, s.rejected_signals, s.bad_messages, s.overflows, s.timeouts, s.refused
    );
    for p in rows {
        let _ = write!(out, "  {} {} {:?}/{} ", p.addr, Esc(&p.name), p.role, p.state.as_str());
        if let Some(b) = &p.book {
            book_line(b, now, out);
        }
        out.push('\n');
    }
}

fn book_line(b: &BookRow, now: Instant, out: &mut String) {
    let (holding, qty, long, short) = b.totals;
    let _ = write!(
        out,
        "accounts {} holding {holding} qty {qty} long {long} short {short} pnl {:+.2}",
        b.accounts, b.pnl
    );
    if let Some(s) = &b.summary {
        let _ = write!(out, " | summary {} {} {:+.2}", s.accounts, s.qty, s.pnl);
        if b.mismatch {
            out.push_str(" MISMATCH");
        }
    }
    if !b.out_of_sync.is_empty() {
        out.push_str(" | OUT OF SYNC after FLATTEN: ");
        for (i, s) in b.out_of_sync.iter().enumerate() {
            let _ = write!(out, "{}{}", if i > 0 { ", " } else { "" }, Esc(s));
        }
    }
    let flagged = b.mismatches.iter().filter(|d| d.flagged);
    for (i, d) in flagged.enumerate() {
        let _ = write!(
            out,
            "{}{}/{} expected {} reported {}",
            if i == 0 { " | OUT OF SYNC: " } else { ", " },
            Esc(&d.account),
            d.symbol,
            d.expected,
            d.reported
        );
    }
    if let Some(t) = b.last_update {
        let ago = now.saturating_duration_since(t).as_secs_f64();
        let _ = write!(out, " | last update {ago:.1}s ago");
    }
}

/// A book's expected-vs-reported differences, as rows.
fn mismatches(book: &super::book::ReceiverBook) -> Vec<PositionMismatch> {
    let e = book.expected();
    e.diffs()
        .iter()
        .map(|d| PositionMismatch {
            account: e.account_of(d).to_string(),
            symbol: d.symbol.as_str().to_string(),
            expected: d.expected,
            reported: d.reported,
            since: d.since,
            flagged: d.flagged,
        })
        .collect()
}
