//! Broadcast to 20 with every risk gate configured beside the same run with no `[risk]`.

use super::peers::{Peers, Source};
use super::report::Row;
use super::{hist, Bench, ENGINE_ALLOCS};
use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;
use v9bridge::config::Config;
use v9bridge::metrics::LatencyHist;

/// Every gate on, none refusing the bench's `LONG|MES|1`: quantity and position limits above
/// it, rate limits far above 2000/s, hours always open, an allow-list with MES, loss limits
/// on configured accounts (the accounts' P&L never breaches them).
const GATES: &str = "[risk]
max_qty = 10
max_position = 10000000
max_signals_per_s = 1000000
max_signals_per_s_per_publisher = 1000000
allowed_symbols = ['MES', 'ES']
daily_loss = 1000000000.0
trailing_drawdown = 1000000000.0
[risk.symbols.MES]
max_qty = 5
max_position = 10000000
tz = 'America/Chicago'
hours = ['00:00-24:00']
[risk.accounts.Sim1]
daily_loss = 1000000000.0
[groups]
bench = ['Sim1', 'Sim2', 'Sim3']
";

struct Run {
    written: LatencyHist,
    last_read: LatencyHist,
    allocs: u64,
}

impl Bench {
    fn risk_run(&self, gates: bool, tag: &str, count: u64) -> io::Result<Run> {
        let (n, rate) = (20, 2000.0);
        let msg = b"LONG|MES|1|TP:4700.25|SL:4650\n";
        let mut cfg = self.config();
        if gates {
            let r = Config::from_toml(GATES).map_err(io::Error::other)?;
            (cfg.risk, cfg.groups) = (r.risk, r.groups);
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

    /// Gates off, on, off, on (alternated so that drift hits both); the ratio columns are
    /// on / off over the merged runs.
    pub(super) fn risk(&mut self) -> io::Result<()> {
        let count = self.n(20_000);
        let (mut off, mut on): (Option<Run>, Option<Run>) = (None, None);
        for _ in 0..2 {
            merge(&mut off, self.risk_run(false, "risk_off", count)?);
            merge(&mut on, self.risk_run(true, "risk_on", count)?);
            std::thread::sleep(Duration::from_millis(20));
        }
        let (Some(off), Some(on)) = (off, on) else { return Ok(()) };
        self.notes.push(format!(
            "every risk gate on vs no [risk], broadcast to 20 at 2000/s, {} signals each: allocations on the engine thread {} on, {} off",
            2 * count,
            on.allocs,
            off.allocs
        ));
        self.rows.push(Row {
            hop: "publisher read → written to 20, every risk gate on (vs off)".into(),
            engine: on.written,
            baseline: Some(off.written),
        });
        self.rows.push(Row {
            hop: "publisher send → last of 20 read, every risk gate on (vs off)".into(),
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
