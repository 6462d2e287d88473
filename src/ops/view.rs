//! The ops thread's picture of the engine: the latest snapshot plus what only the ops thread
//! keeps (recent signals with their acknowledgements).

use super::events::{origin_name, OpsEvent};
use super::snapshot::Snapshot;
use serde::Serialize;
use std::collections::VecDeque;
use std::time::Instant;

/// Recent signals kept for `/api/v1/signals` and the dashboard.
pub(crate) const SIGNALS_KEPT: usize = 200;
/// Acknowledgements kept per signal (one per receiver).
const ACKS_KEPT: usize = 64;

/// One recent signal.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct SignalRow {
    /// Its id.
    pub id: u64,
    /// `publisher`, `pipe`, `engine` or `ops` (`POST /api/v1/signals`).
    pub source: &'static str,
    /// Action.
    pub action: &'static str,
    /// Symbol.
    pub symbol: String,
    /// Contracts per account.
    pub qty: u32,
    /// Written, Unix ns.
    pub time_ns: i64,
    /// Receivers written to.
    pub receivers: u32,
    /// READY receivers the route step skipped: they hold none of its target accounts.
    pub receivers_skipped: u32,
    /// POSITION_SUMMARY answers seen.
    pub summaries: u32,
    /// Per receiver: signal written → its summary read, µs.
    pub acks: Vec<AckRow>,
}

/// One receiver's acknowledgement.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct AckRow {
    /// Receiver name.
    pub receiver: String,
    /// Latency, µs.
    pub latency_us: f64,
}

/// The latest state and the ops thread's own bookkeeping.
#[derive(Debug, Default)]
pub(crate) struct View {
    /// The latest snapshot (default until the first one arrives).
    pub snap: Box<Snapshot>,
    /// When it arrived.
    pub arrived: Option<Instant>,
    /// Newest last.
    pub signals: VecDeque<SignalRow>,
    /// Acks for signals no longer (or not yet) listed.
    pub unmatched_acks: u64,
}

impl View {
    /// Takes a new snapshot; returns the previous one (for reuse by the loop).
    pub(super) fn replace(&mut self, mut snap: Box<Snapshot>, now: Instant) -> Box<Snapshot> {
        if !snap.latency_fresh {
            // Keep the last computed rows; the stale ones go back to the loop with the old one.
            std::mem::swap(&mut snap.latency, &mut self.snap.latency);
        }
        // Summaries back, from each receiver's last POSITION_SUMMARY `ID:` (answers come in
        // order): this counts answers even when no ack event reports their latency.
        for row in self.signals.iter_mut().rev().take(64) {
            let answered = snap
                .receivers
                .iter()
                .filter(|r| r.summary.and_then(|s| s.signal_id).is_some_and(|id| id >= row.id))
                .count() as u32;
            row.summaries = row.summaries.max(answered);
        }
        self.arrived = Some(now);
        std::mem::replace(&mut self.snap, snap)
    }

    /// Lists the signals and acknowledgements `snap` carries.
    pub(super) fn take_events(&mut self, snap: &Snapshot) {
        for s in &snap.signals {
            self.apply(OpsEvent::Signal(*s));
        }
        for a in &snap.acks {
            self.apply(OpsEvent::Ack(*a));
        }
    }

    /// Applies a signal or acknowledgement event.
    pub(super) fn apply(&mut self, ev: OpsEvent) {
        match ev {
            OpsEvent::Signal(s) => self.push_signal(SignalRow {
                id: s.id,
                source: origin_name(s.origin),
                action: s.action.as_str(),
                symbol: s.symbol.as_str().to_string(),
                qty: s.qty,
                time_ns: s.wall_ns,
                receivers: s.receivers,
                receivers_skipped: s.receivers_skipped,
                summaries: 0,
                acks: Vec::new(),
            }),
            OpsEvent::Ack(a) => match self.signals.iter_mut().rev().find(|r| r.id == a.id) {
                Some(row) => {
                    row.summaries += 1;
                    if row.acks.len() < ACKS_KEPT {
                        row.acks.push(AckRow {
                            receiver: a.receiver.as_str().to_string(),
                            latency_us: a.latency_ns as f64 / 1e3,
                        });
                    }
                }
                None => self.unmatched_acks += 1,
            },
        }
    }

    /// Lists a signal (newest last; the oldest is forgotten past [`SIGNALS_KEPT`]).
    pub(super) fn push_signal(&mut self, row: SignalRow) {
        if let Some(seen) = self.signals.iter_mut().find(|r| r.id == row.id) {
            // Seen already (published by the ops thread, then reported by the engine, which
            // alone knows what the route step skipped).
            seen.receivers_skipped = seen.receivers_skipped.max(row.receivers_skipped);
            return;
        }
        if self.signals.len() == SIGNALS_KEPT {
            self.signals.pop_front();
        }
        self.signals.push_back(row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::events::{AckEvent, ShortText, SignalEvent};
    use crate::signal::{Action, Origin, Signal};

    #[test]
    fn latency_rows_stay_from_the_last_fill_that_computed_them() {
        use crate::ops::snapshot::HistRow;
        let mut v = View::default();
        let now = Instant::now();
        let fresh = Snapshot {
            latency: vec![HistRow { name: "x".into(), count: 3, ..Default::default() }],
            latency_fresh: true,
            ..Default::default()
        };
        v.replace(Box::new(fresh), now);
        let stale = Snapshot { latency_fresh: false, ..Default::default() };
        let back = v.replace(Box::new(stale), now);
        assert_eq!(v.snap.latency[0].count, 3, "kept");
        assert!(back.latency.is_empty(), "the stale rows go back to the loop");
    }

    #[test]
    fn acks_attach_to_their_signal_and_old_signals_are_forgotten() {
        let mut v = View::default();
        let now = Instant::now();
        for id in 1..=(SIGNALS_KEPT as u64 + 5) {
            let sig = Signal::new(Action::Long, "ES", 1);
            v.apply(OpsEvent::Signal(SignalEvent::new(id, &sig, Origin::Pipe, 2, now, 7)));
        }
        assert_eq!(v.signals.len(), SIGNALS_KEPT);
        assert_eq!(v.signals.front().unwrap().id, 6);
        let ack = |id| AckEvent { id, receiver: ShortText::new("R1"), latency_ns: 12_500 };
        v.apply(OpsEvent::Ack(ack(100)));
        v.apply(OpsEvent::Ack(ack(1)));
        let row = v.signals.iter().find(|r| r.id == 100).unwrap();
        assert_eq!((row.summaries, row.acks[0].latency_us, row.source), (1, 12.5, "pipe"));
        assert_eq!(v.unmatched_acks, 1);
    }
}
