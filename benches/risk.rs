//! Risk layer cost per signal: `check` + `route` to 20 receivers, every gate on vs off.
//!
//! "Off" is the empty configuration (receivers declare no accounts: every one gets the shared
//! bytes). "On" is every gate (rates, allow-list, trading hours, max qty, max position on 20
//! accounts, hedge check) plus two groups, one mapped ES -> MES x10 with a multiplier, and each
//! receiver declaring its account, so every signal is routed into parts and `Accounts:` is
//! written. Both run interleaved in one process (same machine state). Run with
//! `cargo bench --bench risk`; `cargo test --benches` runs a short smoke pass.

use criterion::{Criterion, Throughput};
use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};
use v9bridge::config::Config;
use v9bridge::metrics::LatencyHist;
use v9bridge::risk::{ExpectedPositions, ReceiverAccounts, Risk, RouteBuf, Routed, Source};
use v9bridge::signal::{Action, Signal};

const RECEIVERS: usize = 20;

fn on_config() -> String {
    let names =
        |r: std::ops::Range<usize>| r.map(|i| format!("'Acct{i}'")).collect::<Vec<_>>().join(", ");
    format!(
        "[risk]\nmax_qty = 50\nmax_position = 100\nmax_signals_per_s = 100000000\n\
         max_signals_per_s_per_publisher = 100000000\nallowed_symbols = ['ES', 'NQ']\n\
         daily_loss = 1000.0\ntrailing_drawdown = 500.0\n\
         [risk.symbols.ES]\nmax_qty = 20\nmax_position = 40\ntz = 'America/Chicago'\n\
         hours = ['00:00-24:00']\n\
         [groups]\nfull = [{}]\nmicro = [{}]\n\
         [mapping.micro]\nmultipliers = {{ Acct15 = 2.0 }}\n\
         symbols = {{ ES = {{ to = 'MES', ratio = 10 }} }}\n",
        names(0..10),
        names(10..RECEIVERS)
    )
}

/// Positions by account (hashed, looked up by `&str` without allocating), then symbol.
struct Positions(HashMap<String, Vec<(String, i64)>>);

impl ExpectedPositions for Positions {
    fn net(&self, account: &str, symbol: &str) -> i64 {
        let Some(held) = self.0.get(account) else { return 0 };
        held.iter().find(|(s, _)| s == symbol).map_or(0, |e| e.1)
    }
}

struct Setup {
    name: &'static str,
    risk: Risk,
    receivers: Vec<ReceiverAccounts>,
    buf: RouteBuf,
    out: Vec<u8>,
    positions: Positions,
}

fn setup(name: &'static str, on: bool, now: Instant, wall: i64) -> Setup {
    let text = if on { on_config() } else { String::new() };
    let cfg = Config::from_toml(&text).unwrap();
    let risk = Risk::new(cfg.risk_sections(), 8, now, wall).unwrap();
    let receivers = (0..RECEIVERS)
        .map(|i| {
            let n = format!("Acct{i}");
            if on {
                risk.bind(&[n.as_str()])
            } else {
                risk.bind(&[])
            }
        })
        .collect();
    let positions = Positions(
        (0..RECEIVERS)
            .map(|i| (format!("Acct{i}"), vec![("ES".to_string(), (i % 3) as i64)]))
            .collect(),
    );
    Setup {
        name,
        risk,
        receivers,
        buf: RouteBuf::default(),
        out: Vec::with_capacity(4096),
        positions,
    }
}

/// One signal through the gates and the router for every receiver; returns bytes "written".
fn one(s: &mut Setup, sig: &Signal<'_>, now: Instant, wall: i64) -> usize {
    let Ok(t) = s.risk.check(sig, Source::Publisher(0), &s.positions, now, wall) else {
        return 0;
    };
    let mut n = 0;
    for rx in &s.receivers {
        match s.risk.route(sig, &t, rx, &mut s.buf) {
            Routed::Skip => {}
            Routed::Whole => n += 1,
            Routed::Parts(p) => {
                for part in p.iter() {
                    s.out.clear();
                    part.write_accounts(&mut s.out);
                    n += s.out.len();
                }
            }
        }
    }
    n
}

fn signals() -> [Signal<'static>; 4] {
    [
        Signal::new(Action::Long, "ES", 1),
        Signal::new(Action::Short, "ES", 2),
        Signal::new(Action::Flatten, "ES", 0),
        Signal::new(Action::Long, "NQ", 1),
    ]
}

fn percentiles(n: usize) {
    let t0 = Instant::now();
    let wall = 1_764_600_000_000_000_000; // 2025-12-01, a Monday
    let mut setups = [setup("gates off", false, t0, wall), setup("gates on", true, t0, wall)];
    let mut hists = [LatencyHist::new("gates off"), LatencyHist::new("gates on")];
    let sigs = signals();
    for i in 0..n {
        // Interleaved: off, on, off, on... so both see the same machine state.
        for (k, s) in setups.iter_mut().enumerate() {
            let sig = &sigs[i % sigs.len()];
            let t = Instant::now();
            black_box(one(s, black_box(sig), t, wall + i as i64));
            hists[k].record(t.elapsed());
        }
    }
    println!("risk check + route to {RECEIVERS} receivers, per signal ({n} signals each):");
    println!("| mode | p50 ns | p99 ns | p99.9 ns | max ns |\n|---|---:|---:|---:|---:|");
    for h in &hists {
        let q = |q| h.quantile_ns(q);
        println!("| {} | {} | {} | {} | {} |", h.name(), q(0.5), q(0.99), q(0.999), h.hist().max());
    }
    let ratio = |q| hists[1].quantile_ns(q) as f64 / hists[0].quantile_ns(q).max(1) as f64;
    println!("on/off: p50 {:.2}x, p99 {:.2}x", ratio(0.5), ratio(0.99));
}

fn criterion_benches(c: &mut Criterion) {
    let t0 = Instant::now();
    let wall = 1_764_600_000_000_000_000;
    let mut g = c.benchmark_group("risk_check_route_20");
    g.throughput(Throughput::Elements(1));
    let sigs = signals();
    for on in [false, true] {
        let mut s = setup(if on { "gates on" } else { "gates off" }, on, t0, wall);
        let mut i = 0usize;
        g.bench_function(s.name, |b| {
            b.iter(|| {
                i += 1;
                black_box(one(&mut s, &sigs[i % sigs.len()], Instant::now(), wall));
            })
        });
    }
    g.finish();
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: then a quick smoke run.
    let bench = std::env::args().any(|a| a == "--bench");
    percentiles(if bench { 1_000_000 } else { 1_000 });
    if !bench {
        return;
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
