//! Journal append cost per record: fsync every_ms vs never vs no journal (`dir = "none"`).
//!
//! Two parts: a per-call percentile table (each append timed alone, into an HdrHistogram:
//! p50/p99/p99.9/max, what the loop sees), then criterion's mean over batches. Run with
//! `cargo bench --bench journal`; segments are large so rotation (once per segment) stays out.

use criterion::{Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};
use v9bridge::journal::{FsyncPolicy, Journal, JournalConfig, JournalWriter, Record, Source};
use v9bridge::metrics::LatencyHist;

/// A typical broadcast signal line (what the journal stores per signal).
const LINE: &[u8] = b"LONG|MES|1|TP:4700.25|SL:4650|ID:1234567\n";

struct Mode {
    name: &'static str,
    policy: Option<FsyncPolicy>,
}

const MODES: [Mode; 4] = [
    Mode { name: "no journal", policy: None },
    Mode { name: "fsync never", policy: Some(FsyncPolicy::Never) },
    Mode { name: "fsync every_ms (5)", policy: Some(FsyncPolicy::EveryMs) },
    Mode { name: "fsync always", policy: Some(FsyncPolicy::Always) },
];

fn writer(mode: &Mode, dir: &std::path::Path) -> JournalWriter {
    let Some(fsync) = mode.policy else {
        return Journal::open(std::path::Path::new("none"), &JournalConfig::default()).unwrap().0;
    };
    let cfg = JournalConfig {
        fsync,
        segment_bytes: 256 << 20,
        retain_segments: 2,
        ..JournalConfig::default()
    };
    Journal::open(dir, &cfg).unwrap().0
}

fn append(w: &mut JournalWriter, id: u64) {
    let rec = Record::Signal { id, source: Source::Publisher("sc-es"), bytes: LINE };
    black_box(w.append(black_box(&rec), id as i64).unwrap());
}

/// Each append timed alone; `n` of them after a warm-up.
fn percentiles(n: u64) {
    println!("journal append, per call ({n} signals of {} bytes each):", LINE.len());
    let mut hists = Vec::new();
    for mode in &MODES {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = writer(mode, tmp.path());
        let mut h = LatencyHist::new(mode.name);
        let mut id = 0;
        for _ in 0..n / 10 {
            id += 1;
            append(&mut w, id);
        }
        for _ in 0..n {
            id += 1;
            let t = Instant::now();
            append(&mut w, id);
            h.record(t.elapsed());
        }
        w.close().unwrap();
        hists.push(h);
    }
    println!("| mode | p50 ns | p99 ns | p99.9 ns | max ns |\n|---|---:|---:|---:|---:|");
    for h in &hists {
        let q = |q| h.quantile_ns(q);
        println!("| {} | {} | {} | {} | {} |", h.name(), q(0.5), q(0.99), q(0.999), h.hist().max());
    }
}

fn criterion_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("journal_append");
    g.throughput(Throughput::Elements(1));
    for mode in &MODES[..3] {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = writer(mode, tmp.path());
        let mut id = 0;
        g.bench_function(mode.name, |b| {
            b.iter(|| {
                id += 1;
                append(&mut w, id);
            })
        });
        w.close().unwrap();
    }
    g.finish();
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: then a quick smoke run.
    let bench = std::env::args().any(|a| a == "--bench");
    percentiles(if bench { 1_000_000 } else { 1_000 });
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
