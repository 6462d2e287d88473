//! The on/off A/B rows (journal, risk, routing): one engine run per mode, rounds alternated.

use super::peers::{Peers, Source};
use super::report::Row;
use super::{hist, Bench, ENGINE_ALLOCS};
use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;
use v9bridge::config::Config;
use v9bridge::metrics::LatencyHist;

/// One engine run: read → written, send → last read, engine-thread allocations.
pub(super) struct Run {
    written: LatencyHist,
    last_read: LatencyHist,
    allocs: u64,
}

/// What an A/B row compares, for its note and its two rows.
pub(super) struct Ab<'a> {
    /// The note, given `count`, on's and off's allocations.
    pub note: &'a dyn Fn(u64, u64, u64) -> String,
    /// The suffix of both rows' hop names, e.g. "journal on (vs off)".
    pub label: &'a str,
}

impl Bench {
    /// Broadcast to 20 at 2000/s on an engine started with `cfg`, receiver `i` adding
    /// `extra(i)` to its CONNECT: a warm-up, then `count` signals timed.
    pub(super) fn ab_run(
        &self,
        cfg: Config,
        tag: &str,
        count: u64,
        extra: &dyn Fn(usize) -> String,
    ) -> io::Result<Run> {
        let (n, rate) = (20, 2000.0);
        let msg = b"LONG|MES|1|TP:4700.25|SL:4650\n";
        let e = self.start(cfg)?;
        let addr = e.handle.v9_addr();
        let recv = Peers::receivers_with(addr, n, true, extra)?;
        let src = Peers::publisher(addr, true)?;
        let mut peers = Peers::new(Source::Tcp(src), recv)?;
        let warm = (count / 10).max(100);
        peers.run("warmup", msg, rate, warm, warm)?;
        e.reset();
        let before = ENGINE_ALLOCS.load(Ordering::Relaxed);
        let r = peers.run(&format!("engine.send_to_last_of_20_read_{tag}"), msg, rate, count, 0)?;
        let allocs = ENGINE_ALLOCS.load(Ordering::Relaxed) - before;
        let o = e.stop()?;
        let mut written = LatencyHist::new(format!("v9.publisher_read_to_broadcast_written_{tag}"));
        written.merge(&hist(&o, "v9.publisher_read_to_broadcast_written"));
        Ok(Run { written, last_read: r.to_last_read, allocs })
    }

    /// Off, on, off, on, ... (`V9B_BENCH_ROUNDS` pairs, default 2; alternated so that drift
    /// hits both; `run(bench, on, round)`), then the notes and two rows whose ratio columns
    /// are the merged on runs over the merged off. The notes give each round's on/off ratios
    /// and the spread between the off rounds themselves: the same build twice, the noise floor
    /// a ratio must be read against on this machine.
    pub(super) fn ab(
        &mut self,
        count: u64,
        run: &dyn Fn(&Bench, bool, usize) -> io::Result<Run>,
        ab: Ab<'_>,
    ) -> io::Result<()> {
        let rounds = super::suite::knob("V9B_BENCH_ROUNDS").unwrap_or(2usize).max(1);
        let (mut off, mut on): (Option<Run>, Option<Run>) = (None, None);
        let (mut per_round, mut off_p) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let (a, b) = (run(self, false, round)?, run(self, true, round)?);
            let q = |r: &Run, x: f64| r.written.quantile_ns(x) as f64;
            per_round.push(format!(
                "{:.2}/{:.2}",
                q(&b, 0.5) / q(&a, 0.5).max(1.0),
                q(&b, 0.99) / q(&a, 0.99).max(1.0)
            ));
            off_p.push((q(&a, 0.5), q(&a, 0.99)));
            merge(&mut off, a);
            merge(&mut on, b);
            std::thread::sleep(Duration::from_millis(20));
        }
        let (Some(off), Some(on)) = (off, on) else { return Ok(()) };
        self.notes.push((ab.note)(rounds as u64 * count, on.allocs, off.allocs));
        let spread = |f: fn(&(f64, f64)) -> f64| {
            let v: Vec<f64> = off_p.iter().map(f).collect();
            v.iter().cloned().fold(0.0, f64::max) / v.iter().cloned().fold(f64::MAX, f64::min)
        };
        self.notes.push(format!(
            "{}: read → written on/off per round (p50/p99): {}; off rounds among themselves \
             (max/min, the noise floor): p50 {:.2}×, p99 {:.2}×",
            ab.label,
            per_round.join(", "),
            spread(|p| p.0),
            spread(|p| p.1)
        ));
        self.rows.push(Row {
            hop: format!("publisher read → written to 20, {}", ab.label),
            engine: on.written,
            baseline: Some(off.written),
        });
        self.rows.push(Row {
            hop: format!("publisher send → last of 20 read, {}", ab.label),
            engine: on.last_read,
            baseline: Some(off.last_read),
        });
        Ok(())
    }
}

fn merge(into: &mut Option<Run>, r: Run) {
    match into {
        None => *into = Some(r),
        Some(acc) => {
            acc.written.merge(&r.written);
            acc.last_read.merge(&r.last_read);
            acc.allocs += r.allocs;
        }
    }
}
