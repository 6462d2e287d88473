//! Which scenarios a run takes (`V9B_BENCH_ONLY`) and the report it leaves behind.

use super::{report, Bench};
use std::io;
use std::path::Path;
use v9bridge::metrics::LatencyHist;

impl Bench {
    /// Every scenario `V9B_BENCH_ONLY` names, in a fixed order, after the baselines.
    pub(super) fn run_selected(
        &mut self,
        fifo: Option<&LatencyHist>,
        tcp: &LatencyHist,
    ) -> io::Result<()> {
        #[cfg(not(unix))]
        let _ = fifo; // only the FIFO scenarios compare against it
                      // V9B_BENCH_ONLY=pipe,broadcast,ops,journal,risk,routing,pipe_signal,throughput,ticks (default: all; baselines always run)
        let only = std::env::var("V9B_BENCH_ONLY").unwrap_or_default();
        let run = |s: &str| only.is_empty() || only.split(',').any(|o| o == s);
        #[cfg(unix)]
        if run("pipe") {
            self.pipe_ticks(fifo.cloned())?;
        }
        if run("rebase") {
            let (f2, t2) = self.baselines()?;
            for h in f2.iter().chain(std::iter::once(&t2)) {
                self.notes.push(format!("baseline again {}", h.summary_line()));
            }
        }
        if run("broadcast") {
            for (n, rate, count) in [
                (1, 2000.0, 20_000),
                (20, 2000.0, 20_000),
                (100, 1000.0, 5_000),
                (1000, 200.0, 1_000),
            ] {
                if !knob_lists("V9B_BENCH_FANOUT", n) {
                    continue;
                }
                let rate = knob("V9B_BENCH_RATE").unwrap_or(rate);
                let count = knob("V9B_BENCH_COUNT").unwrap_or(self.n(count));
                self.broadcast(n, rate, count)?;
            }
        }
        if run("ops") {
            self.broadcast_ops()?;
        }
        if run("journal") {
            self.journal()?;
        }
        if run("risk") {
            self.risk()?;
        }
        if run("routing") {
            self.routing()?;
        }
        #[cfg(unix)]
        if run("pipe_signal") {
            self.pipe_signal()?;
        }
        if run("dtc") {
            self.dtc(tcp)?;
        }
        if run("throughput") {
            self.signal_throughput()?;
        }
        #[cfg(unix)]
        if run("ticks") {
            self.tick_throughput()?;
        }
        Ok(())
    }
}

/// The table and notes (stdout and results.md), the .hgrm files and latency.svg.
pub(super) fn write_report(b: &Bench, out: &Path, fifo: Option<&LatencyHist>) -> io::Result<()> {
    let table = report::table(&b.rows);
    let mut text = format!("{table}\n");
    for n in &b.notes {
        text.push_str(&format!("- {n}\n"));
    }
    println!("\n{text}");
    let mut all: Vec<&LatencyHist> = b.rows.iter().map(|r| &r.engine).collect();
    all.extend(b.rows.iter().filter_map(|r| r.baseline.as_ref()));
    all.extend(b.extra.iter());
    report::hgrm(out, &all);
    let plot: Vec<&LatencyHist> = b
        .rows
        .iter()
        .filter(|r| r.hop.contains("20") || r.hop.starts_with("pipe write"))
        .map(|r| &r.engine)
        .chain(fifo)
        .collect();
    report::svg(&out.join("latency.svg"), &plot)?;
    std::fs::write(out.join("results.md"), &text)?;
    eprintln!("wrote {}/results.md, latency.svg and .hgrm files", out.display());
    Ok(())
}

/// A number from the environment (`V9B_BENCH_RATE=100`, `V9B_BENCH_COUNT=2000`: e.g. a slow run
/// under callgrind, whose instruction counts per signal do not depend on the machine's noise).
pub(super) fn knob<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// True when `name` is unset or lists `n` (`V9B_BENCH_FANOUT=1,20`: only those fan-outs).
fn knob_lists(name: &str, n: usize) -> bool {
    let v = std::env::var(name).unwrap_or_default();
    v.is_empty() || v.split(',').any(|f| f.trim() == n.to_string())
}
