//! A counting global allocator for the allocation tests: allocations per thread, windowed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static WATCH: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
    static TOTAL: Cell<u64> = const { Cell::new(0) };
}

/// Forwards to the system allocator and counts this thread's allocations while watched.
/// Each test binary installs it: `#[global_allocator] static A: Counting = Counting;`.
pub struct Counting;

// SAFETY: forwards every call to the system allocator; the thread-local counters are const
// initialised, so counting allocates nothing itself.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(p, l, n) }
    }
}

fn note() {
    // `try_with`: a thread being torn down has no counters left, and is not watched.
    let _ = TOTAL.try_with(|t| t.set(t.get() + 1));
    let _ = WATCH.try_with(|w| {
        if w.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

/// Allocations this thread made while running `f`.
pub fn allocations(f: impl FnOnce()) -> u64 {
    start();
    f();
    stop()
}

/// Starts counting this thread's allocations from 0.
pub fn start() {
    COUNT.with(|c| c.set(0));
    WATCH.with(|w| w.set(true));
}

/// Stops counting; returns the count since [`start`].
pub fn stop() -> u64 {
    WATCH.with(|w| w.set(false));
    COUNT.with(Cell::get)
}

/// Allocations this thread has made since it started (watched or not).
pub fn allocs() -> u64 {
    TOTAL.with(Cell::get)
}

/// Drives `engine` through a peers thread's phases on `phase`: turns until the peers set 1
/// (warmed up), sets 2 and counts the engine thread's allocations until they set 3 (the
/// measured burst is over), sets 4 and turns until `peers` finishes. Returns the count and
/// what the peers thread returned. Every wait is bounded (120 s in all).
pub fn measured_phase<T>(
    engine: &mut v9bridge::engine::Engine,
    phase: &std::sync::atomic::AtomicU8,
    peers: std::thread::JoinHandle<T>,
) -> (u64, T) {
    use std::sync::atomic::Ordering::SeqCst;
    use std::time::{Duration, Instant};
    let limit = Instant::now() + Duration::from_secs(120);
    let mut turn_until = |done: &dyn Fn() -> bool| {
        while !done() && Instant::now() < limit {
            engine.turn(Some(Duration::from_millis(10))).unwrap();
        }
    };
    turn_until(&|| phase.load(SeqCst) == 1);
    let before = allocs();
    phase.store(2, SeqCst);
    turn_until(&|| phase.load(SeqCst) == 3);
    let during = allocs() - before;
    phase.store(4, SeqCst);
    turn_until(&|| peers.is_finished());
    (during, peers.join().unwrap())
}
