//! No allocation per signal in the risk layer: check, route, render a refusal, a P&L report,
//! with every gate on, counted by a global allocator that only watches the test's own thread.

mod support;
use support::alloc::{allocations, Counting};

use std::io::Write;
use std::time::{Duration, Instant};
use support::risk::*;
use v9bridge::risk::{RouteBuf, Routed, Source};
use v9bridge::signal::Action::*;

#[global_allocator]
static A: Counting = Counting;

/// Every gate on, a mapped group, loss limits.
pub const ALL_ON: &str = "[risk]\nmax_qty = 50\nmax_position = 100\nmax_signals_per_s = 1000000\n\
    max_signals_per_s_per_publisher = 1000000\nallowed_symbols = ['ES', 'NQ']\n\
    daily_loss = 1000.0\ntrailing_drawdown = 500.0\n\
    [risk.symbols.ES]\nmax_qty = 20\nmax_position = 40\ntz = 'America/Chicago'\n\
    hours = ['17:00-16:00']\ndays = ['sun', 'mon', 'tue', 'wed', 'thu']\n\
    [groups]\napex = ['Apex1', 'Apex2', 'Apex3']\nown = ['Own1', 'Own2']\n\
    [mapping.apex]\nmultipliers = { Apex2 = 2.0 }\nsymbols = { ES = { to = 'MES', ratio = 10 } }\n";

#[test]
fn check_route_and_refusals_allocate_nothing() {
    let t0 = Instant::now();
    let mut r = risk(ALL_ON, t0);
    let book = Book::default().with("Own1", "ES", 2).with("Apex1", "MES", 20);
    let receivers = [r.bind(&["Own1", "Apex1", "Apex2"]), r.bind(&["Own2", "Apex3"]), r.bind(&[])];
    let mut buf = RouteBuf::default();
    let mut out = Vec::with_capacity(4096);
    let mut line = [0u8; 256];
    let signals = [
        sig(Long, "ES", 1, &[]),
        sig(Short, "ES", 2, &["Group:apex"]),
        sig(Long, "NQ", 1, &["Accounts:Own1+Apex2"]),
        sig(Flatten, "ALL", 0, &[]),
        sig(Long, "ES", 30, &[]),                 // MAX_QTY
        sig(Long, "CL", 1, &[]),                  // SYMBOL_NOT_ALLOWED
        sig(Long, "ES", 1, &["Group:nope"]),      // INVALID_SIGNAL
        sig(Long, "ES", 10, &["Accounts:Apex1"]), // MAX_POSITION (20 + 100 MES > 40)
    ];
    let mut run = |r: &mut v9bridge::risk::Risk, k: u64| {
        // A minute per round: the trading-hours cache misses and reads the zone database.
        let wall = monday_open() + (k as i64) * 60_000_000_000;
        let now = t0 + Duration::from_micros(k);
        for (i, s) in signals.iter().enumerate() {
            match r.check(s, Source::Publisher(i % 3), &book, now, wall) {
                Ok(t) => {
                    for rx in &receivers {
                        if let Routed::Parts(p) = r.route(s, &t, rx, &mut buf) {
                            for part in p.iter() {
                                out.clear();
                                part.write_accounts(&mut out);
                            }
                        }
                    }
                }
                Err(e) => {
                    let mut w = &mut line[..];
                    write!(w, "{e}").unwrap();
                }
            }
        }
        let _ = r.on_position("Own1", "ES", -(k as f64), wall);
        let _ = r.on_position("Apex2", "MES", k as f64, wall);
        let _ = r.headroom("Apex2");
    };
    for k in 0..3 {
        run(&mut r, k);
    }
    let n = allocations(|| {
        for k in 3..200 {
            run(&mut r, k);
        }
    });
    assert_eq!(n, 0, "allocations in 197 rounds of {} signals", signals.len());
    assert!(
        r.refused(v9bridge::risk::Rule::MaxQty) > 0
            && r.refused(v9bridge::risk::Rule::MaxPosition) > 0
    );
}
