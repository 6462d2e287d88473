//! Broadcast to 20 with groups and a mapping configured (every signal routed per receiver:
//! half the receivers get mapped, sized parts) beside the same run unconfigured.

use super::peers::{Peers, Source};
use super::report::Row;
use super::{hist, Bench, ENGINE_ALLOCS};
use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;
use v9bridge::config::Config;
use v9bridge::metrics::LatencyHist;

/// One engine run: (read → written, send → last read, engine-thread allocations).
struct Run {
    written: LatencyHist,
    last_read: LatencyHist,
    allocs: u64,
}

/// `micro` (A0..A9) trades MES as M2K x2; `full` (A10..A19) as is.
fn routed(c: &mut Config) -> io::Result<()> {
    let names =
        |r: std::ops::Range<usize>| r.map(|k| format!("'A{k}'")).collect::<Vec<_>>().join(", ");
    let toml = format!(
        "[groups]\nmicro = [{}]\nfull = [{}]\n[mapping.micro]\nallow_hedge = true\n\
         symbols = {{ MES = {{ to = 'M2K', ratio = 2 }} }}\n[risk]\nallow_hedge = true\n",
        names(0..10),
        names(10..20)
    );
    let r = Config::from_toml(&toml).map_err(io::Error::other)?;
    (c.risk, c.groups, c.mapping) = (r.risk, r.groups, r.mapping);
    Ok(())
}

impl Bench {
    fn routing_run(&self, configured: bool, tag: &str, count: u64) -> io::Result<Run> {
        let (n, rate) = (20, 2000.0);
        let msg = b"LONG|MES|1|TP:4700.25|SL:4650\n";
        let mut cfg = self.config();
        if configured {
            routed(&mut cfg)?;
        }
        let e = self.start(cfg)?;
        let addr = e.handle.v9_addr();
        let recv = Peers::receivers_with(addr, n, true, &|i| format!("|Accounts:A{i}"))?;
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

    /// Unconfigured, routed, unconfigured, routed (alternated so that drift hits both); the
    /// ratio columns are routed / unconfigured.
    pub(super) fn routing(&mut self) -> io::Result<()> {
        let count = self.n(20_000);
        let mut off: Option<Run> = None;
        let mut on: Option<Run> = None;
        for _ in 0..2 {
            let a = self.routing_run(false, "routing_off", count)?;
            let b = self.routing_run(true, "routing_on", count)?;
            merge(&mut off, a);
            merge(&mut on, b);
            std::thread::sleep(Duration::from_millis(20));
        }
        let (Some(off), Some(on)) = (off, on) else { return Ok(()) };
        self.notes.push(format!(
            "groups + mapping configured (10 of 20 receivers get mapped parts) vs unconfigured, broadcast to 20 at 2000/s, {} signals each: allocations on the engine thread {} configured, {} unconfigured",
            2 * count,
            on.allocs,
            off.allocs
        ));
        self.rows.push(Row {
            hop: "publisher read → written to 20, routed + mapped (vs unconfigured)".into(),
            engine: on.written,
            baseline: Some(off.written),
        });
        self.rows.push(Row {
            hop: "publisher send → last of 20 read, routed + mapped (vs unconfigured)".into(),
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
