//! The TCP market-data path does not allocate per message (counted on the client's thread).

mod support;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;
use support::dtc::miniloop::MiniLoop;
use support::dtc::*;
use v9bridge::dtc::DtcEndpoint;

struct Counting;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if ON.with(|o| o.get()) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if ON.with(|o| o.get()) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        System.realloc(p, l, n)
    }
}

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
    COUNT.with(|x| x.set(0));
    ON.with(|o| o.set(true));
    l.run_until(&mut [&mut c], Duration::from_millis(700), |_, _| false);
    ON.with(|o| o.set(false));
    let msgs = c.stats().market_data - before;
    (COUNT.with(|x| x.get()), msgs)
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
