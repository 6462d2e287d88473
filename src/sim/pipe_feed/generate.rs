//! The simulated study's messages: random-walk ticks per symbol and an occasional signal.

use super::FeedFormat;
use crate::pipe::scdatetime;
use crate::signal::Action;
use std::io::Write;

/// Random-walk prices per symbol and the message text.
pub(super) struct Generator {
    syms: Vec<(String, f64, u64)>,
    next: usize,
    rng: u64,
    format: FeedFormat,
    /// A signal is due after the next tick (the run loop sets and clears it).
    pub(super) pending_signal: bool,
}

impl Generator {
    pub(super) fn new(symbols: &[String], format: FeedFormat) -> Self {
        let syms = symbols
            .iter()
            .map(|s| {
                let base = match s.as_str() {
                    "ES" | "MES" => 4700.0,
                    "NQ" | "MNQ" => 16_000.0,
                    _ => 100.0,
                };
                (s.clone(), base, 0)
            })
            .collect();
        Generator { syms, next: 0, rng: 0x9E37_79B9_7F4A_7C15, format, pending_signal: false }
    }

    /// xorshift64: plenty for a random walk, and no extra crate.
    pub(super) fn rand(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    pub(super) fn tick(&mut self, out: &mut Vec<u8>) {
        let r = self.rand();
        let i = self.next;
        self.next = (self.next + 1) % self.syms.len();
        let (sym, price, seq) = &mut self.syms[i];
        let step = match r % 3 {
            0 => -0.25,
            1 => 0.0,
            _ => 0.25,
        };
        *price = (*price + step).max(1.0);
        *seq += 1;
        let (bid, ask) =
            (*price - 0.25 * ((r >> 8) % 2) as f64, *price + 0.25 * ((r >> 9) % 2 + 1) as f64);
        let bid = bid.max(0.25);
        let now_ns = crate::clock::unix_nanos();
        let _ = match self.format {
            FeedFormat::Seed => write!(
                out,
                r#"{{"symbol":"{sym}","price":{price},"bid":{bid},"ask":{ask},"timestamp":{:.10}}}"#,
                scdatetime::from_unix_ns(now_ns)
            ),
            FeedFormat::Precise => writeln!(
                out,
                r#"{{"symbol":"{sym}","price":{price},"bid":{bid},"ask":{ask},"volume":{},"ts_ns":{now_ns},"seq":{seq}}}"#,
                1 + (r >> 16) % 5
            ),
        };
    }

    pub(super) fn signal(&mut self, out: &mut Vec<u8>) {
        let r = self.rand();
        let action = Action::ALL[(r % Action::ALL.len() as u64) as usize];
        let (sym, price, _) = &self.syms[(r >> 8) as usize % self.syms.len()];
        let qty = u32::from(action.opens());
        let _ = write!(out, r#"{{"signal":"{action}","symbol":"{sym}","qty":{qty}"#);
        if action.opens() {
            let _ = write!(out, r#","tp":{},"sl":{}"#, price + 10.0, (price - 10.0).max(0.25));
        }
        out.push(b'}');
        if self.format == FeedFormat::Precise {
            out.push(b'\n');
        }
    }
}
