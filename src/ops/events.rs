//! Fixed-size, `Copy` events the loop hands to the ops thread: a signal sent, a summary back.
//! No allocation to build or send one; they are dropped (and counted) when the channel is full.

use crate::signal::{Action, Origin, Signal};
use std::fmt;
use std::time::Instant;

/// Up to 48 bytes of text, inline (symbols, receiver names); longer text is cut at a char boundary.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ShortText {
    len: u8,
    bytes: [u8; 48],
}

impl ShortText {
    /// Copies `s` (cut to 48 bytes).
    pub fn new(s: &str) -> ShortText {
        let mut n = s.len().min(48);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        let mut bytes = [0u8; 48];
        bytes[..n].copy_from_slice(&s.as_bytes()[..n]);
        ShortText { len: n as u8, bytes }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }
}

impl Default for ShortText {
    fn default() -> Self {
        ShortText::new("")
    }
}

impl fmt::Debug for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A signal the V9 server numbered and broadcast.
#[derive(Clone, Copy, Debug)]
pub struct SignalEvent {
    /// Its id.
    pub id: u64,
    /// Where it came from.
    pub origin: Origin,
    /// What it asks.
    pub action: Action,
    /// Its symbol.
    pub symbol: ShortText,
    /// Contracts per account.
    pub qty: u32,
    /// Receivers it was written to.
    pub receivers: u32,
    /// READY receivers the route step skipped (none of its target accounts).
    pub receivers_skipped: u32,
    /// When it was written, Unix ns.
    pub wall_ns: i64,
    /// When it was written, engine clock.
    pub at: Instant,
}

impl SignalEvent {
    /// The event of `sig`, numbered `id`, written to `receivers` receivers at `at` / `wall_ns`.
    pub fn new(
        id: u64,
        sig: &Signal<'_>,
        origin: Origin,
        receivers: u32,
        at: Instant,
        wall_ns: i64,
    ) -> SignalEvent {
        SignalEvent {
            id,
            origin,
            action: sig.action,
            symbol: ShortText::new(sig.symbol),
            qty: sig.qty,
            receivers,
            receivers_skipped: 0,
            wall_ns,
            at,
        }
    }
}

impl SignalEvent {
    /// The event of a signal the V9 server wrote at `at` / `wall_ns`.
    pub fn written(r: &crate::v9::broadcast::Record, at: Instant, wall_ns: i64) -> SignalEvent {
        SignalEvent {
            id: r.id,
            origin: r.origin,
            action: r.action,
            symbol: ShortText::new(r.symbol.as_str()),
            qty: r.qty,
            receivers: r.receivers,
            receivers_skipped: r.skipped,
            wall_ns,
            at,
        }
    }
}

/// A receiver's POSITION_SUMMARY answering signal `id`.
#[derive(Clone, Copy, Debug)]
pub struct AckEvent {
    /// The signal answered.
    pub id: u64,
    /// The receiver's name (from its CONNECT).
    pub receiver: ShortText,
    /// Signal written → summary read, ns.
    pub latency_ns: u64,
}

/// What goes over the event channel.
#[derive(Clone, Copy, Debug)]
pub(crate) enum OpsEvent {
    /// A signal went out.
    Signal(SignalEvent),
    /// A summary came back.
    Ack(AckEvent),
}

/// Where a signal came from, for JSON.
pub(crate) fn origin_name(o: Origin) -> &'static str {
    match o {
        Origin::Publisher => "publisher",
        Origin::Pipe => "pipe",
        Origin::Engine => "engine",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_cuts_at_a_char_boundary() {
        assert_eq!(ShortText::new("ES").as_str(), "ES");
        let long = "é".repeat(30); // 60 bytes
        let t = ShortText::new(&long);
        assert_eq!(t.as_str().len(), 48);
        assert!(t.as_str().chars().all(|c| c == 'é'));
    }
}
