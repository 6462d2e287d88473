//! No allocation per message: decode (both decoders) and the whole FIFO read path, counted by a
//! global allocator that only watches the test's own thread.
#![cfg(unix)]

mod support;
use support::alloc::{allocations, Counting};

use std::fs::OpenOptions;
use std::io::Write;
use std::time::{Duration, Instant};
use support::pipe::{tick, Harness};
use v9bridge::market::{Feed, MarketState};
use v9bridge::pipe::{Message, Parser};

#[global_allocator]
static A: Counting = Counting;

#[test]
fn decoding_and_applying_allocates_nothing_after_warm_up() {
    assert_eq!(allocations(|| drop(std::hint::black_box(vec![0u8; 16]))), 1, "the counter works");
    let inputs: [&[u8]; 3] = [
        br#"{"symbol":"ES","price":4700.25,"bid":4700,"ask":4700.5,"ts_ns":1769537130123456789,"seq":1}"#,
        br#"{"symbol":"ES","price":4700.25,"bid":4700,"ask":4700.5,"timestamp":46115.7539421296}"#,
        br#"{"symbol":"E\u0053","price":1,"meta":{"nested":[1,2,3]}}"#, // simd-json path
    ];
    for fast in [true, false] {
        let mut p = Parser::new(0);
        p.set_fast_path(fast);
        let mut m = MarketState::new();
        let now = Instant::now();
        let mut run = |n| {
            for _ in 0..n {
                for i in inputs {
                    if let Ok(Message::Tick(t)) = p.parse(i) {
                        m.apply(&t.update, Feed::Pipe, now);
                    }
                }
            }
        };
        run(10); // first sight of a symbol and buffer growth may allocate
        assert_eq!(allocations(|| run(10_000)), 0, "fast path {fast}");
    }
}

#[test]
fn the_fifo_read_path_allocates_nothing_per_message() {
    let mut h = Harness::new();
    let mut w = OpenOptions::new().write(true).open(&h.path).unwrap();
    let mut batch = String::new();
    for seq in 1..=400 {
        batch.push_str(&tick("ES", seq));
    }
    w.write_all(batch.as_bytes()).unwrap();
    h.run_until(Duration::from_secs(10), |h| h.updates("ES") == 400);
    let mut batch = String::new();
    for seq in 401..=800 {
        batch.push_str(&tick("ES", seq));
    }
    let n = allocations(|| {
        w.write_all(batch.as_bytes()).unwrap();
        let end = Instant::now() + Duration::from_secs(10);
        while h.updates("ES") < 800 && Instant::now() < end {
            h.turn(Duration::from_millis(20));
        }
    });
    assert_eq!(h.updates("ES"), 800);
    assert_eq!(n, 0, "allocations while reading 400 ticks");
}
