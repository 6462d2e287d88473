//! Market state: last quote per symbol, fed by pipe ticks and DTC market data alike.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Which feed produced an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// ACSIL study through the pipe.
    Pipe,
    /// A DTC connection.
    Dtc,
}

/// One market-data update, borrowed; every field but the symbol is optional.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TickUpdate<'a> {
    /// Symbol as the feed names it.
    pub symbol: &'a str,
    /// Last trade price.
    pub last: Option<f64>,
    /// Best bid.
    pub bid: Option<f64>,
    /// Best ask.
    pub ask: Option<f64>,
    /// Last trade size / volume.
    pub volume: Option<f64>,
    /// Best bid size.
    pub bid_size: Option<f64>,
    /// Best ask size.
    pub ask_size: Option<f64>,
    /// Source timestamp, Unix nanoseconds (0 = unknown).
    pub ts_ns: i64,
    /// Feed sequence number, when the feed numbers its messages.
    pub seq: Option<u64>,
}

/// The latest state of one symbol.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    /// Best bid (NaN until known).
    pub bid: f64,
    /// Best ask (NaN until known).
    pub ask: f64,
    /// Last trade (NaN until known).
    pub last: f64,
    /// Last trade size / volume (0 until known).
    pub volume: f64,
    /// Bid size.
    pub bid_size: f64,
    /// Ask size.
    pub ask_size: f64,
    /// Source timestamp of the last update, Unix ns (0 = unknown).
    pub ts_ns: i64,
    /// Engine time of the last update.
    pub updated: Instant,
    /// Last sequence number seen.
    pub last_seq: Option<u64>,
    /// Sequence gaps seen (a jump forward counts the missing numbers; a step back counts 1).
    pub seq_gaps: u64,
    /// Updates applied.
    pub updates: u64,
    /// Feed of the last update.
    pub feed: Feed,
    /// Set while the stale warning for this symbol has been given and not yet cleared.
    pub stale_warned: bool,
}

/// Last quote per symbol. Allocates only the first time a symbol is seen.
#[derive(Debug, Default)]
pub struct MarketState {
    /// foldhash, not SipHash: two lookups per tick, SipHash was ~330 instructions of a tick's
    /// ~6,000 (callgrind); foldhash is seeded per process, so chosen symbols still cannot
    /// aim at one bucket.
    quotes: HashMap<Box<str>, Quote, foldhash::fast::RandomState>,
}

impl MarketState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies an update; returns the quote after it.
    pub fn apply(&mut self, t: &TickUpdate<'_>, feed: Feed, now: Instant) -> &Quote {
        if !self.quotes.contains_key(t.symbol) {
            let fresh = Quote {
                bid: f64::NAN,
                ask: f64::NAN,
                last: f64::NAN,
                volume: 0.0,
                bid_size: 0.0,
                ask_size: 0.0,
                ts_ns: 0,
                updated: now,
                last_seq: None,
                seq_gaps: 0,
                updates: 0,
                feed,
                stale_warned: false,
            };
            self.quotes.insert(t.symbol.into(), fresh);
        }
        let Some(q) = self.quotes.get_mut(t.symbol) else { unreachable!("inserted above") };
        if let Some(v) = t.bid {
            q.bid = v;
        }
        if let Some(v) = t.ask {
            q.ask = v;
        }
        if let Some(v) = t.last {
            q.last = v;
        }
        if let Some(v) = t.volume {
            q.volume = v;
        }
        if let Some(v) = t.bid_size {
            q.bid_size = v;
        }
        if let Some(v) = t.ask_size {
            q.ask_size = v;
        }
        if t.ts_ns != 0 {
            q.ts_ns = t.ts_ns;
        }
        if let Some(s) = t.seq {
            if let Some(prev) = q.last_seq {
                // Saturating: seq comes from the feed and may be anything, u64::MAX included.
                if s > prev.saturating_add(1) {
                    q.seq_gaps = q.seq_gaps.saturating_add(s - prev - 1);
                } else if s <= prev {
                    q.seq_gaps = q.seq_gaps.saturating_add(1);
                }
            }
            q.last_seq = Some(s);
        }
        q.updated = now;
        q.updates += 1;
        q.feed = feed;
        q.stale_warned = false;
        q
    }

    /// The quote of `symbol`, if any update was seen.
    pub fn get(&self, symbol: &str) -> Option<&Quote> {
        self.quotes.get(symbol)
    }

    /// Number of symbols seen.
    pub fn len(&self) -> usize {
        self.quotes.len()
    }

    /// True before the first update.
    pub fn is_empty(&self) -> bool {
        self.quotes.is_empty()
    }

    /// Iterates symbols and quotes (unordered).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Quote)> {
        self.quotes.iter().map(|(k, v)| (&**k, v))
    }

    /// Symbols silent for longer than `after` that were not yet reported; marks them reported.
    /// Called from a timer, not per message, so it may allocate.
    pub fn take_newly_stale(&mut self, now: Instant, after: Duration) -> Vec<(String, Duration)> {
        let mut out = Vec::new();
        for (sym, q) in self.quotes.iter_mut() {
            let age = now.saturating_duration_since(q.updated);
            if age > after && !q.stale_warned {
                q.stale_warned = true;
                out.push((sym.to_string(), age));
            }
        }
        out
    }

    /// Logs one warning per symbol that went silent for longer than `after` (once until it
    /// updates again). Runs on the engine's timer, whichever feed the symbol comes from.
    pub fn warn_newly_stale(&mut self, now: Instant, after: Duration) {
        for (sym, age) in self.take_newly_stale(now, after) {
            let feed = self.get(&sym).map(|q| q.feed);
            log::warn!(
                "stale feed: {sym} silent for {:.1}s (last update from {feed:?})",
                age.as_secs_f64()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_partial_updates_and_counts_gaps() {
        let mut m = MarketState::new();
        let now = Instant::now();
        let t = TickUpdate {
            symbol: "ES",
            bid: Some(1.0),
            ask: Some(1.25),
            seq: Some(1),
            ..Default::default()
        };
        m.apply(&t, Feed::Pipe, now);
        let t = TickUpdate { symbol: "ES", last: Some(1.25), seq: Some(5), ..Default::default() };
        let q = m.apply(&t, Feed::Pipe, now);
        assert_eq!((q.bid, q.ask, q.last), (1.0, 1.25, 1.25));
        assert_eq!(q.seq_gaps, 3);
        let t = TickUpdate { symbol: "ES", seq: Some(u64::MAX), ..Default::default() };
        m.apply(&t, Feed::Pipe, now);
        let t = TickUpdate { symbol: "ES", seq: Some(u64::MAX), ..Default::default() };
        assert!(
            m.apply(&t, Feed::Pipe, now).seq_gaps > 3,
            "hostile sequence numbers do not overflow"
        );

        let stale = m.take_newly_stale(now + Duration::from_secs(10), Duration::from_secs(5));
        assert_eq!(stale.len(), 1);
        assert!(m
            .take_newly_stale(now + Duration::from_secs(11), Duration::from_secs(5))
            .is_empty());
    }
}
