//! The throughput rows and the pipe-signal hop: highest signal rate under 1 ms p99, ticks/s through the FIFO.

use super::peers::{Peers, Source};
#[cfg(unix)]
use super::report::Row;
use super::Bench;
use std::io;
// The pipe rows run only where the bench has a FIFO.
#[cfg(unix)]
use {
    super::hist,
    std::io::Write as _,
    std::time::{Duration, Instant},
    v9bridge::engine::{CallCtx, Endpoints},
};

impl Bench {
    /// Pipe signal (intended write time) → last of 20 receivers has read the broadcast.
    #[cfg(unix)]
    pub(super) fn pipe_signal(&mut self) -> io::Result<()> {
        let (e, w) = self.start_with_fifo("signal.fifo")?;
        let recv = Peers::receivers(e.handle.v9_addr(), 20, true)?;
        let mut peers = Peers::new(Source::Fifo(w), recv)?;
        let msg = b"{\"signal\":\"LONG\",\"symbol\":\"MES\",\"qty\":1}\n";
        peers.run("warmup", msg, 1000.0, 200, 200)?;
        e.reset();
        let r = peers.run("engine.pipe_signal_to_last_of_20_read", msg, 1000.0, self.n(5000), 0)?;
        let o = e.stop()?;
        self.extra.push(hist(&o, "v9.pipe_signal_to_broadcast_written"));
        let base = self
            .rows
            .iter()
            .find(|r| r.hop.starts_with("publisher send → last of 20"))
            .and_then(|r| r.baseline.clone());
        self.rows.push(Row {
            hop: "pipe signal → last of 20 receivers read (1 kHz)".into(),
            engine: r.to_last_read,
            baseline: base,
        });
        Ok(())
    }

    /// Highest offered rate to 20 receivers whose p99 (send → last read) stays under 1 ms.
    pub(super) fn signal_throughput(&mut self) -> io::Result<()> {
        let e = self.start(self.config())?;
        let addr = e.handle.v9_addr();
        let recv = Peers::receivers(addr, 20, true)?;
        let src = Peers::publisher(addr, true)?;
        let mut peers = Peers::new(Source::Tcp(src), recv)?;
        let msg = b"LONG|MES|1\n";
        let mut best = 0.0;
        for rate in [10_000.0, 25_000.0, 50_000.0, 100_000.0, 150_000.0, 200_000.0, 300_000.0] {
            let count = (rate * if self.quick { 0.2 } else { 1.0 }) as u64;
            let r = peers.run(&format!("throughput.{rate:.0}"), msg, rate, count, count / 10)?;
            let p99 = r.to_last_read.quantile_ns(0.99);
            self.notes.push(format!("signals to 20 receivers at {rate:.0}/s offered ({:.0}/s achieved): p50 {:.1} µs, p99 {:.1} µs", r.achieved_rate, r.to_last_read.quantile_ns(0.5) as f64 / 1e3, p99 as f64 / 1e3));
            if p99 >= 1_000_000 || r.achieved_rate < rate * 0.95 {
                if std::env::var("V9B_BENCH_ALL_RATES").is_err() {
                    break;
                }
                continue;
            }
            best = rate;
        }
        e.stop()?;
        self.notes
            .push(format!("**throughput: {best:.0} signals/s to 20 receivers with p99 < 1 ms**"));
        Ok(())
    }

    /// Sustained pipe ticks/s parsed and applied (writer as fast as the FIFO takes them).
    #[cfg(unix)]
    pub(super) fn tick_throughput(&mut self) -> io::Result<()> {
        let (e, mut w) = self.start_with_fifo("tput.fifo")?;
        let count = if self.quick { 400_000 } else { 4_000_000u64 };
        // One pre-formatted 64 KiB batch sent again and again: the writer costs only syscalls, so
        // the figure is the FIFO's and the engine's, not this thread's formatting.
        let mut batch = Vec::with_capacity(1 << 16);
        let mut per_batch = 0u64;
        while batch.len() < 60_000 {
            per_batch += 1;
            writeln!(batch, "{{\"symbol\":\"ES\",\"price\":4700.25,\"bid\":4700.0,\"ask\":4700.5,\"volume\":3,\"ts_ns\":{},\"seq\":{per_batch}}}", 1_700_000_000_000_000_000u64 + per_batch)?;
        }
        let batches = count.div_ceil(per_batch);
        let count = batches * per_batch;
        let t0 = Instant::now();
        for _ in 0..batches {
            let mut b = &batch[..];
            while !b.is_empty() {
                match w.write(b) {
                    Ok(n) => b = &b[n..],
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                    Err(e) => return Err(e),
                }
            }
        }
        let ticks = || -> u64 {
            let ticks = |e: &mut Endpoints, _: &mut CallCtx<'_>| {
                e.pipe.as_ref().map_or(0, |p| p.stats().ticks)
            };
            e.handle.call(ticks, Duration::from_secs(5)).unwrap_or(0)
        };
        let limit = Instant::now() + Duration::from_secs(60);
        while ticks() < count && Instant::now() < limit {
            std::thread::sleep(Duration::from_millis(1));
        }
        let el = t0.elapsed().as_secs_f64();
        let got = ticks();
        e.stop()?;
        self.notes.push(format!("**pipe ingest: {got} of {count} ticks applied in {el:.2} s = {:.0} ticks/s on one pinned core** (writer, FIFO and engine included)", got as f64 / el));
        Ok(())
    }
}
