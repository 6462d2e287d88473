//! Signal output (no I/O): numbering, encoding once, fan-out into the queues, the sent log.

// Numbering is separate from the fan-out on purpose: a signal pipeline that assigns ids
// itself (validate → risk → id → journal → route) calls [`Broadcast::send`] with its own id.

use super::codec::MAX_MESSAGE;
use super::conn::Conns;
use super::encode;
use crate::signal::{Action, Origin, Signal, SignalError, MAX_SYMBOL_LEN};
use std::time::Instant;

/// Signal ids: consecutive from 1, a new series per server start.
#[derive(Clone, Copy, Debug, Default)]
pub struct SignalIds {
    last: u64,
}

impl SignalIds {
    /// The id the next signal will get.
    pub fn peek(&self) -> u64 {
        self.last + 1
    }

    /// Takes the id returned by [`SignalIds::peek`].
    pub fn commit(&mut self) -> u64 {
        self.last += 1;
        self.last
    }

    /// The last id given (0 = none yet).
    pub fn last(&self) -> u64 {
        self.last
    }
}

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

/// A signal's symbol, copied (at most [`MAX_SYMBOL_LEN`] bytes) so its record outlives the line.
#[derive(Clone, Copy, Debug)]
pub struct Symbol {
    bytes: [u8; MAX_SYMBOL_LEN],
    len: u8,
}

impl Symbol {
    fn upper(s: &str) -> Symbol {
        let mut bytes = [0u8; MAX_SYMBOL_LEN];
        let len = s.len().min(MAX_SYMBOL_LEN);
        for (d, b) in bytes.iter_mut().zip(s.bytes()) {
            *d = b.to_ascii_uppercase();
        }
        Symbol { bytes, len: len as u8 }
    }

    /// The symbol, upper case.
    pub fn as_str(&self) -> &str {
        // Validated symbols are ASCII, so any prefix is valid UTF-8.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
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
}

/// Encodes each signal once and fans it out; remembers what is waiting to be written.
#[derive(Debug)]
pub struct Broadcast {
    encoded: Vec<u8>,
    log: SentLog,
    queued: Vec<Record>,
    next: usize,
}

impl Default for Broadcast {
    fn default() -> Self {
        Broadcast {
            encoded: Vec::with_capacity(2048),
            log: SentLog::default(),
            queued: Vec::with_capacity(1024),
            next: 0,
        }
    }
}

impl Broadcast {
    /// Encodes `sig` numbered `id` (symbol upper-cased); refuses a signal that would break the
    /// 1024-byte limit, before anything is queued (so the caller need not spend the id).
    pub fn encode(&mut self, sig: &Signal<'_>, id: u64) -> Result<(), SignalError> {
        self.encoded.clear();
        encode::signal(&mut self.encoded, sig, Some(id));
        if self.encoded.len() > MAX_MESSAGE + 1 {
            return Err(SignalError::TooLong);
        }
        Ok(())
    }

    /// Fans the signal last [`Broadcast::encode`]d out to every READY receiver (no I/O) and
    /// records it; returns how many receivers it was queued for.
    pub fn send(
        &mut self,
        conns: &mut Conns,
        sig: &Signal<'_>,
        id: u64,
        read_at: Instant,
        origin: Origin,
    ) -> u32 {
        let receivers = conns.fan_out(&self.encoded);
        self.queued.push(Record {
            id,
            origin,
            read_at,
            action: sig.action,
            symbol: Symbol::upper(sig.symbol),
            qty: sig.qty,
            receivers,
        });
        receivers
    }

    /// The next signal whose bytes were just written (call after the flush, until `None`);
    /// notes it in the sent log as written at `at`.
    pub fn next_written(&mut self, at: Instant) -> Option<Record> {
        let Some(&r) = self.queued.get(self.next) else {
            self.queued.clear();
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

    #[test]
    fn ids_are_only_spent_on_commit() {
        let mut ids = SignalIds::default();
        assert_eq!(ids.peek(), 1);
        assert_eq!(ids.peek(), 1);
        assert_eq!(ids.commit(), 1);
        assert_eq!((ids.peek(), ids.last()), (2, 1));
    }

    #[test]
    fn symbols_leave_upper_case() {
        let mut b = Broadcast::default();
        b.encode(&Signal::new(Action::Long, "mes", 1), 3).unwrap();
        assert_eq!(b.encoded, b"LONG|MES|1|ID:3\n");
        assert_eq!(Symbol::upper("nq").as_str(), "NQ");
    }
}
