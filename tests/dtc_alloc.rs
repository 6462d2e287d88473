//! The TCP market-data path does not allocate per message (counted on the client's thread).

mod support;
use std::time::Duration;
use support::alloc::Counting;
use support::dtc::miniloop::MiniLoop;
use support::dtc::*;
use v9bridge::dtc::DtcEndpoint;

#[global_allocator]
static A: Counting = Counting;

fn steady_state_allocations(encoding: &str, sierra: bool) -> (u64, u64) {
    let mut a = args();
    a.compact_header_order = !sierra;
    a.tick_ms = 2;
    let sim = Sim::start(a);
    let mut l = MiniLoop::new().unwrap();
    let mut cfg = cfg(sim.addr, "tcp", encoding, sierra);
    cfg.trading = false;
    let mut c = DtcEndpoint::new("alloc", &cfg).unwrap();
    l.register(&mut c, 0).unwrap();
    // Warm up: logon, definitions, first sight of each symbol, buffers at their working size.
    assert!(l.run_until(&mut [&mut c], Duration::from_secs(10), |cs, m| {
        cs[0].connection().synced()
            && m.get("ESZ6_FUT_CME").is_some_and(|q| q.updates > 200)
            && m.get("XAUUSD").is_some()
    }));
    let before = c.stats().market_data;
    support::alloc::start();
    l.run_until(&mut [&mut c], Duration::from_millis(700), |_, _| false);
    let n = support::alloc::stop();
    let msgs = c.stats().market_data - before;
    (n, msgs)
}

#[test]
fn no_allocation_per_market_data_message() {
    for (enc, sierra) in [("binary", false), ("json", false), ("compact", true)] {
        let t0 = std::time::Instant::now();
        let (allocs, msgs) = steady_state_allocations(enc, sierra);
        assert!(msgs > 100, "{enc}: {msgs} messages");
        assert_eq!(allocs, 0, "{enc}: {allocs} allocations for {msgs} market-data messages");
        eprintln!("{enc}: {msgs} messages, 0 allocations, {:?}", t0.elapsed());
    }
}
