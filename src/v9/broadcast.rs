//! Signal output bookkeeping (no I/O): what was queued this turn, and when each signal was written.

// Numbering and encoding belong to the pipeline (`crate::pipeline`): the V9 server only queues
// the bytes it is handed and remembers, per signal, what its flush has to log and time.

use crate::pipeline::{Delta, Sent};
use crate::signal::{Action, Origin, Symbol};
use std::time::Instant;

/// Signals remembered for the signal → POSITION_SUMMARY latency (older answers are not timed).
const SENT_LOG: usize = 4096;

/// When each recent signal was written, shared by every receiver (each keeps only a cursor).
#[derive(Debug)]
pub struct SentLog {
    ring: Box<[(u64, Option<Instant>)]>,
}

impl Default for SentLog {
    fn default() -> Self {
        SentLog { ring: vec![(0, None); SENT_LOG].into_boxed_slice() }
    }
}

impl SentLog {
    /// Records that signal `id` was written at `at`.
    pub fn note(&mut self, id: u64, at: Instant) {
        self.ring[(id % SENT_LOG as u64) as usize] = (id, Some(at));
    }

    /// When signal `id` was written, if it is still remembered.
    pub fn written_at(&self, id: u64) -> Option<Instant> {
        match self.ring[(id % SENT_LOG as u64) as usize] {
            (sid, at) if sid == id => at,
            _ => None,
        }
    }
}

/// One signal queued this turn, handled once its bytes are written.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    /// Its id.
    pub id: u64,
    /// Where it came from.
    pub origin: Origin,
    /// When the bytes carrying it were read (start of the latency hop).
    pub read_at: Instant,
    /// Its action.
    pub action: Action,
    /// Its symbol.
    pub symbol: Symbol,
    /// Its quantity.
    pub qty: u32,
    /// Receivers it was queued for.
    pub receivers: u32,
    /// READY receivers the route step skipped: they hold none of its target accounts.
    pub skipped: u32,
    /// Routed per receiver: its changes to expected positions are in [`Broadcast::deltas`]
    /// (otherwise every receiver got it whole).
    pub routed: bool,
    deltas: (u32, u32),
}

/// Remembers what is waiting to be written, and when each signal was.
#[derive(Debug)]
pub struct Broadcast {
    log: SentLog,
    queued: Vec<Record>,
    next: usize,
    /// The routed signals' per-receiver changes, (key, change), until their flush.
    deltas: Vec<(u32, Delta)>,
}

impl Default for Broadcast {
    fn default() -> Self {
        Broadcast {
            log: SentLog::default(),
            queued: Vec::with_capacity(1024),
            next: 0,
            deltas: Vec::with_capacity(64 * 1024),
        }
    }
}

impl Broadcast {
    /// Notes a signal the pipeline just fanned out to `receivers` receivers.
    pub fn queued(&mut self, s: &Sent, receivers: u32) {
        let Sent { id, origin, read_at, action, symbol, qty } = *s;
        let (routed, deltas, skipped) = (false, (0, 0), 0);
        let r =
            Record { id, origin, read_at, action, symbol, qty, receivers, skipped, routed, deltas };
        self.queued.push(r);
    }

    /// Notes a routed signal, the receivers it was queued for and skipped, and what each
    /// receiver was sent of it (`deltas`, by key).
    pub fn queued_routed(
        &mut self,
        s: &Sent,
        (receivers, skipped): (u32, u32),
        deltas: &[(u32, Delta)],
    ) {
        let Sent { id, origin, read_at, action, symbol, qty } = *s;
        let d = (self.deltas.len() as u32, deltas.len() as u32);
        self.deltas.extend_from_slice(deltas);
        let routed = true;
        let r = Record {
            id,
            origin,
            read_at,
            action,
            symbol,
            qty,
            receivers,
            skipped,
            routed,
            deltas: d,
        };
        self.queued.push(r);
    }

    /// What each receiver was sent of routed signal `r`: (key, change), grouped by key.
    pub fn deltas(&self, r: &Record) -> &[(u32, Delta)] {
        let (start, len) = (r.deltas.0 as usize, r.deltas.1 as usize);
        self.deltas.get(start..start + len).unwrap_or(&[])
    }

    /// The next signal whose bytes were just written (call after the flush, until `None`);
    /// notes it in the sent log as written at `at`.
    pub fn next_written(&mut self, at: Instant) -> Option<Record> {
        let Some(&r) = self.queued.get(self.next) else {
            self.queued.clear();
            self.deltas.clear();
            self.next = 0;
            return None;
        };
        self.next += 1;
        self.log.note(r.id, at);
        Some(r)
    }

    /// True when signals wait for the flush.
    pub fn pending(&self) -> bool {
        self.next < self.queued.len()
    }

    /// The sent log.
    pub fn log(&self) -> &SentLog {
        &self.log
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sent_log_forgets_what_it_overwrote() {
        let mut l = SentLog::default();
        let t = Instant::now();
        l.note(7, t);
        assert_eq!(l.written_at(7), Some(t));
        assert_eq!(l.written_at(8), None);
        l.note(7 + SENT_LOG as u64, t);
        assert_eq!(l.written_at(7), None);
    }
}
