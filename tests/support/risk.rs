//! Shared helpers of the risk tests: a Risk from TOML, wall clocks from local times, positions.
#![allow(dead_code)]

use std::time::Instant;
use v9bridge::config::Config;
use v9bridge::risk::{ExpectedPositions, Risk};
use v9bridge::signal::{Action, Signal};

/// Unix ns of a zoned local time such as `2026-12-01T10:00[America/Chicago]`.
pub fn wall(zoned: &str) -> i64 {
    let z: jiff::Zoned = zoned.parse().expect("a zoned time");
    i64::try_from(z.timestamp().as_nanosecond()).unwrap()
}

/// A Monday, 10:00 in Chicago (CME open).
pub fn monday_open() -> i64 {
    wall("2026-11-30T10:00[America/Chicago]")
}

/// A risk layer from a config text, checked by `Config::from_toml` first.
pub fn risk(toml: &str, now: Instant) -> Risk {
    let cfg = Config::from_toml(toml).unwrap_or_else(|e| panic!("config: {e}\n{toml}"));
    Risk::new(cfg.risk_sections(), 4, now, monday_open()).expect("risk")
}

/// A signal with options.
pub fn sig<'a>(action: Action, symbol: &'a str, qty: u32, opts: &[&'a str]) -> Signal<'a> {
    let mut s = Signal::new(action, symbol, qty);
    for o in opts {
        assert!(s.push_extra(o));
    }
    s.validate().expect("a valid signal");
    s
}

/// Expected positions by (account, symbol); looked up without allocating.
#[derive(Default)]
pub struct Book(pub Vec<(String, String, i64)>);

impl Book {
    pub fn with(mut self, account: &str, symbol: &str, qty: i64) -> Self {
        self.0.push((account.into(), symbol.into(), qty));
        self
    }
}

impl ExpectedPositions for Book {
    fn net(&self, account: &str, symbol: &str) -> i64 {
        self.0.iter().find(|(a, s, _)| a == account && s == symbol).map_or(0, |e| e.2)
    }
}
