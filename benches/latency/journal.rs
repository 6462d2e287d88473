//! Broadcast to 20 with the journal on (fsync every_ms, temp dir) beside the same run with it off.

use super::peers::{Peers, Source};
use super::report::Row;
use super::{hist, Bench, ENGINE_ALLOCS};
use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;
use v9bridge::journal::FsyncPolicy;
use v9bridge::metrics::LatencyHist;

/// One engine run: (read → written, send → last read, engine-thread allocations).
struct Run {
    written: LatencyHist,
    last_read: LatencyHist,
    allocs: u64,
}

impl Bench {
    fn journal_run(&self, dir: Option<&std::path::Path>, tag: &str, count: u64) -> io::Result<Run> {
        let (n, rate) = (20, 2000.0);
        let msg = b"LONG|MES|1|TP:4700.25|SL:4650\n";
        let mut cfg = self.config();
        if let Some(d) = dir {
            cfg.journal.dir = d.to_path_buf();
            cfg.journal.fsync = FsyncPolicy::EveryMs;
        }
        let e = self.start(cfg)?;
        let addr = e.handle.v9_addr();
        let recv = Peers::receivers(addr, n, true)?;
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

    /// Journal off, on, off, on (alternated so that drift hits both); rows compare the merged
    /// "on" runs with the merged "off" runs (the ratio columns are on / off).
    pub(super) fn journal(&mut self) -> io::Result<()> {
        let count = self.n(20_000);
        let tmp = tempfile::tempdir()?;
        let mut off: Option<Run> = None;
        let mut on: Option<Run> = None;
        for round in 0..2 {
            let a = self.journal_run(None, "journal_off", count)?;
            let dir = tmp.path().join(format!("j{round}"));
            let b = self.journal_run(Some(&dir), "journal_on", count)?;
            merge(&mut off, a);
            merge(&mut on, b);
            std::thread::sleep(Duration::from_millis(20));
        }
        let (Some(off), Some(on)) = (off, on) else { return Ok(()) };
        self.notes.push(format!(
            "journal on (fsync every_ms) vs off, broadcast to 20 at 2000/s, {} signals each: allocations on the engine thread {} on, {} off",
            2 * count,
            on.allocs,
            off.allocs
        ));
        self.rows.push(Row {
            hop: "publisher read → written to 20, journal on (vs off)".into(),
            engine: on.written,
            baseline: Some(off.written),
        });
        self.rows.push(Row {
            hop: "publisher send → last of 20 read, journal on (vs off)".into(),
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
