//! The typed state the loop publishes to the ops thread: the contract between them.
//!
//! Every field is owned (no borrows into the loop) and serde-serializable, so the ops thread
//! renders JSON from it without asking the loop. A snapshot is filled in place by
//! [`crate::ops::fill::fill`] and travels back and forth between the two threads, so its
//! vectors and strings keep their capacity: steady-state publishing allocates (almost) nothing.
//! Times are Unix nanoseconds (`*_ns`) or ages in milliseconds (`*_age_ms`) at `wall_ns`.

use super::events::{AckEvent, SignalEvent};
use serde::Serialize;
use std::time::Instant;

mod dtc;
pub use dtc::{DtcBalanceRow, DtcPositionRow, DtcRaw, DtcRow, DtcSymbolRow};

/// Latency percentiles are computed on every this many fills (each costs a pass over every
/// histogram's counts, on the loop).
pub const LATENCY_EVERY: u64 = 5;

/// Quantiles every [`HistRow`] reports, in `percentiles_ns` order.
pub const QUANTILES: [f64; 8] = [0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 0.99999, 1.0];

/// Everything the operator surface shows, as of `wall_ns`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Snapshot {
    /// Publish sequence number (1, 2, ...).
    pub seq: u64,
    /// When it was filled, Unix ns.
    pub wall_ns: i64,
    /// When it was filled, engine clock (not serialized).
    #[serde(skip)]
    pub taken: Option<Instant>,
    /// `latency` was computed in this fill (it is every [`LATENCY_EVERY`]th; the ops thread keeps
    /// the last computed rows in between).
    #[serde(skip)]
    pub latency_fresh: bool,
    /// The V9 server, when the engine has one.
    pub v9: Option<V9Row>,
    /// Every V9 connection (receivers and publishers).
    pub receivers: Vec<ReceiverRow>,
    /// Every (receiver, account, symbol) position, receivers in `receivers` order.
    pub positions: Vec<PositionRow>,
    /// Positions left out past `[ops] max_positions`.
    pub positions_left_out: u64,
    /// Last quote per symbol, sorted by symbol.
    pub quotes: Vec<QuoteRow>,
    /// The pipe ingest, when configured.
    pub pipe: Option<PipeRow>,
    /// DTC connections, in configuration order.
    pub dtc: Vec<DtcRow>,
    /// Every latency histogram.
    pub latency: Vec<HistRow>,
    /// The risk layer: kill switch and loss-limit headroom per account (None: not configured).
    pub risk: Option<super::risk::RiskRow>,
    /// The loop side of the ops link.
    pub link: LinkCounters,
    /// Signals written since the last snapshot sent (the ops thread lists them).
    #[serde(skip)]
    pub signals: Vec<SignalEvent>,
    /// POSITION_SUMMARY answers since the last snapshot sent.
    #[serde(skip)]
    pub acks: Vec<AckEvent>,
    /// Signals and answers that came and went between two snapshots sent (conflated away).
    #[serde(skip)]
    pub events_lost: u64,
}

/// The V9 server's counters.
#[derive(Clone, Debug, Default, Serialize)]
pub struct V9Row {
    /// Listen address.
    pub listen: String,
    /// Connections accepted.
    pub accepted: u64,
    /// Connections refused (server full).
    pub refused: u64,
    /// Signals broadcast.
    pub signals: u64,
    /// Signals refused (validation, not a publisher).
    pub rejected_signals: u64,
    /// READY receivers routed signals skipped (none of the target accounts), summed.
    pub route_skipped_receivers: u64,
    /// Bad messages received.
    pub bad_messages: u64,
    /// Receivers dropped for a full output queue.
    pub overflows: u64,
    /// Clients closed for silence.
    pub timeouts: u64,
    /// POSITION_SUMMARY messages answering a numbered signal.
    pub summaries_with_id: u64,
    /// Publisher CONNECTs refused (bad token, throttled, not loopback).
    pub auth_failures: u64,
    /// POSITIONs not recorded (book full, names too long).
    pub positions_refused: u64,
    /// Output bytes queued over every client (queue depth).
    pub queued_bytes: u64,
}

/// One V9 connection.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReceiverRow {
    /// The server's key for it (stable while connected).
    pub key: usize,
    /// Strategy name from CONNECT (empty before).
    pub name: String,
    /// Remote address.
    pub peer: String,
    /// The address `peer` was formatted from (the loop formats it only when it changes).
    #[serde(skip)]
    pub peer_addr: Option<std::net::SocketAddr>,
    /// `receiver` or `publisher`.
    pub role: &'static str,
    /// `await_connect`, `ready` or `closing`.
    pub state: &'static str,
    /// `Account_Count` from CONNECT.
    pub accounts: u32,
    /// When it connected, Unix ns.
    pub connected_since_ns: i64,
    /// Its last HEARTBEAT, Unix ns (null before the first).
    pub last_heartbeat_ns: Option<i64>,
    /// Age of that, ms.
    pub last_heartbeat_age_ms: Option<u64>,
    /// Age of its last complete message (any kind), ms.
    pub last_message_age_ms: u64,
    /// Messages received.
    pub msgs_in: u64,
    /// Bad messages received.
    pub bad_in: u64,
    /// Output bytes queued for it.
    pub queued_bytes: u64,
    /// Signals written to it and not yet answered by a POSITION_SUMMARY.
    pub pending_summaries: u32,
    /// Age of the oldest of those, ms.
    pub oldest_pending_ms: u64,
    /// Accounts holding a position (from its POSITION lines).
    pub holding: u64,
    /// Contracts over every account.
    pub qty: u64,
    /// Long positions.
    pub long: u64,
    /// Short positions.
    pub short: u64,
    /// P&L over every account.
    pub pnl: f64,
    /// Its last POSITION_SUMMARY.
    pub summary: Option<SummaryRow>,
    /// The summary disagrees with the per-account positions.
    pub summary_mismatch: bool,
    /// FLATTEN signal id whose check is pending.
    pub pending_flatten: Option<u64>,
    /// Accounts found not flat at the last FLATTEN check (`ACCOUNT/SYMBOL DIR QTY`).
    pub out_of_sync: Vec<String>,
}

/// A POSITION_SUMMARY.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct SummaryRow {
    /// Accounts holding a position.
    pub accounts: u32,
    /// Contracts.
    pub qty: u32,
    /// P&L.
    pub pnl: f64,
    /// The signal it answers (`ID:`).
    pub signal_id: Option<u64>,
}

/// One account's position as a receiver reported it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PositionRow {
    /// Receiver name.
    pub receiver: String,
    /// The receiver's key (see [`ReceiverRow::key`]).
    pub receiver_key: usize,
    /// Account.
    pub account: String,
    /// Symbol (empty when the receiver does not send it).
    pub symbol: String,
    /// `LONG`, `SHORT` or `FLAT`.
    pub direction: &'static str,
    /// Contracts.
    pub qty: u32,
    /// +long, -short.
    pub signed_qty: i64,
    /// Average entry.
    pub entry: f64,
    /// P&L.
    pub pnl: f64,
    /// Age of the report, ms.
    pub age_ms: u64,
    /// Held a position when a FLATTEN went out and has not reported FLAT since.
    pub pending_flat: bool,
    /// Out of sync (see `why`).
    pub out_of_sync: bool,
    /// Why it is out of sync; empty when in sync (serialized as text, see [`Why`]).
    pub why: Why,
}

/// Why a position is out of sync, as values: the loop copies them, and the text the API shows
/// (`why`) is formatted when the snapshot is serialized, on the ops thread (formatting 400 of
/// these per snapshot on the loop was most of a snapshot's cost there: callgrind).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Why {
    /// In sync.
    #[default]
    InSync,
    /// Not FLAT after the FLATTEN check: what it held at the check, what it holds now.
    NotFlat {
        /// `DIR QTY` held at the check (from the book's out-of-sync entry).
        at_check: String,
        /// Direction now.
        direction: &'static str,
        /// Contracts now.
        qty: u32,
    },
    /// The signals sent add up to another position than the one reported, for `for_s`.
    Drift {
        /// From the signals sent.
        expected: i64,
        /// As reported.
        reported: i64,
        /// Seconds the difference has lasted.
        for_s: f64,
    },
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::InSync => Ok(()),
            Why::NotFlat { at_check, direction, qty } => write!(
                f,
                "not FLAT after the FLATTEN check (held {at_check}; now {direction} {qty})"
            ),
            Why::Drift { expected, reported, for_s } => write!(
                f,
                "expected {expected} from the signals sent, reported {reported} (for {for_s:.1}s)"
            ),
        }
    }
}

#[cfg(test)]
#[test]
fn why_serializes_as_the_text_it_always_was() {
    let drift = Why::Drift { expected: 3, reported: 1, for_s: 2.25 };
    let text = "expected 3 from the signals sent, reported 1 (for 2.2s)";
    assert_eq!(serde_json::to_string(&drift).ok(), Some(format!("\"{text}\"")));
    let late = Why::NotFlat { at_check: "LONG 2".into(), direction: "SHORT", qty: 1 };
    let text = "not FLAT after the FLATTEN check (held LONG 2; now SHORT 1)";
    assert_eq!(late.to_string(), text);
    assert_eq!(serde_json::to_string(&Why::InSync).ok(), Some("\"\"".into()));
}

impl Serialize for Why {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The last quote of one symbol.
#[derive(Clone, Debug, Default, Serialize)]
pub struct QuoteRow {
    /// Symbol (market-state key).
    pub symbol: String,
    /// `pipe` or `dtc` (feed of the last update).
    pub feed: &'static str,
    /// DTC SymbolID when a DTC connection subscribes it (else 0).
    pub symbol_id: u32,
    /// The DTC connection that subscribes it (empty for pipe-only symbols).
    pub dtc: String,
    /// Best bid (null until known).
    pub bid: f64,
    /// Best ask (null until known).
    pub ask: f64,
    /// Last trade (null until known).
    pub last: f64,
    /// Last trade size.
    pub volume: f64,
    /// Bid size.
    pub bid_size: f64,
    /// Ask size.
    pub ask_size: f64,
    /// Source timestamp of the last update, Unix ns (0 = unknown).
    pub ts_ns: i64,
    /// Age of the last update, ms.
    pub age_ms: u64,
    /// Updates applied.
    pub updates: u64,
    /// Sequence gaps seen.
    pub seq_gaps: u64,
    /// Silent longer than `[market] stale_after_ms`, warned.
    pub stale: bool,
    /// Session statistics from DTC, when known.
    pub session: Option<SessionRow>,
}

/// DTC session statistics of a symbol.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct SessionRow {
    /// Open.
    pub open: Option<f64>,
    /// High.
    pub high: Option<f64>,
    /// Low.
    pub low: Option<f64>,
    /// Settlement.
    pub settlement: Option<f64>,
    /// Volume.
    pub volume: Option<f64>,
}

/// The pipe ingest's counters.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PipeRow {
    /// Bytes read.
    pub bytes: u64,
    /// Messages decoded.
    pub messages: u64,
    /// Ticks applied.
    pub ticks: u64,
    /// Signals handed to the V9 server.
    pub signals: u64,
    /// Signals it refused.
    pub signals_refused: u64,
    /// Input dropped, per reason (`crate::pipe::BadInput` names), zeros included.
    pub bad: Vec<(&'static str, u64)>,
    /// Writer connections (unknown on a Unix FIFO).
    pub writer_connects: Option<u64>,
}

/// One latency histogram's percentiles.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HistRow {
    /// Internal name (`v9.signal_sent_to_summary_back`).
    pub name: String,
    /// What it measures, in words.
    pub human: String,
    /// Samples.
    pub count: u64,
    /// Mean, ns.
    pub mean_ns: f64,
    /// Value at each of [`QUANTILES`], ns.
    pub percentiles_ns: [u64; QUANTILES.len()],
}

/// The loop side of the link: what it published and what it had to drop.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct LinkCounters {
    /// Snapshots sent.
    pub snapshots: u64,
    /// Publishes skipped because the ops thread had not returned a snapshot (conflated).
    pub skipped: u64,
    /// Publishes skipped because nothing changed (one still goes out every second).
    pub unchanged: u64,
    /// Signal/ack events dropped on a full channel.
    pub events_dropped: u64,
    /// Time the last fill took on the loop, ns.
    pub fill_ns: u64,
    /// The longest fill so far, ns.
    pub fill_max_ns: u64,
}

impl HistRow {
    /// The value at quantile `q` (one of [`QUANTILES`]; else the nearest above).
    pub fn at(&self, q: f64) -> u64 {
        let i = QUANTILES.iter().position(|&x| x >= q).unwrap_or(QUANTILES.len() - 1);
        self.percentiles_ns[i]
    }
}
