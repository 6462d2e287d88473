//! Pipe tick decode + apply per core: hand fast path vs simd-json tape vs serde_json, and the
//! whole read path (framer + decode + apply) over a batch. Run: `cargo bench --bench pipe_parse`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde::Deserialize;
use std::hint::black_box;
use std::time::Instant;
use v9bridge::market::{Feed, MarketState, TickUpdate};
use v9bridge::pipe::{Framer, Message, Parser};

const PRECISE: &[u8] = br#"{"symbol":"ES","price":4700.25,"bid":4700,"ask":4700.5,"ts_ns":1769537130123456789,"seq":1}"#;
const SEED: &[u8] =
    br#"{"symbol":"ES","price":4700.25,"bid":4700,"ask":4700.5,"timestamp":46115.7539421296}"#;

/// The same tick through serde_json into a borrowed struct (the ~220 ns baseline).
#[derive(Deserialize)]
struct SerdeTick<'a> {
    #[serde(borrow)]
    symbol: &'a str,
    price: Option<f64>,
    bid: Option<f64>,
    ask: Option<f64>,
    ts_ns: Option<i64>,
    timestamp: Option<f64>,
    seq: Option<u64>,
}

fn parse_apply(p: &mut Parser, m: &mut MarketState, now: Instant, input: &[u8]) {
    if let Ok(Message::Tick(t)) = p.parse(input) {
        black_box(m.apply(&t.update, Feed::Pipe, now));
    }
}

fn decoders(c: &mut Criterion) {
    let now = Instant::now();
    for (name, input) in [("precise", PRECISE), ("seed", SEED)] {
        let mut g = c.benchmark_group(format!("tick_parse_apply/{name}"));
        g.throughput(Throughput::Elements(1));
        let mut m = MarketState::new();
        let mut fast = Parser::new(0);
        g.bench_function("fast_path", |b| {
            b.iter(|| parse_apply(&mut fast, &mut m, now, black_box(input)))
        });
        let mut simd = Parser::new(0);
        simd.set_fast_path(false);
        g.bench_function("simd_json_tape", |b| {
            b.iter(|| parse_apply(&mut simd, &mut m, now, black_box(input)))
        });
        g.bench_function("serde_json", |b| {
            b.iter(|| {
                if let Ok(t) = serde_json::from_slice::<SerdeTick<'_>>(black_box(input)) {
                    let u = TickUpdate {
                        symbol: t.symbol,
                        last: t.price,
                        bid: t.bid,
                        ask: t.ask,
                        ts_ns: t.ts_ns.unwrap_or(t.timestamp.map_or(0, |d| d as i64)),
                        seq: t.seq,
                        ..TickUpdate::default()
                    };
                    black_box(m.apply(&u, Feed::Pipe, now));
                }
            })
        });
        g.finish();
    }
}

/// Where a tick's time goes: decode alone (each decoder) and apply alone.
fn breakdown(c: &mut Criterion) {
    let now = Instant::now();
    let mut g = c.benchmark_group("breakdown/precise");
    g.throughput(Throughput::Elements(1));
    let mut fast = Parser::new(0);
    g.bench_function("decode_fast_path", |b| {
        b.iter(|| black_box(fast.parse(black_box(PRECISE)).is_ok()))
    });
    let mut simd = Parser::new(0);
    simd.set_fast_path(false);
    g.bench_function("decode_simd_json_tape", |b| {
        b.iter(|| black_box(simd.parse(black_box(PRECISE)).is_ok()))
    });
    let mut m = MarketState::new();
    let u = TickUpdate {
        symbol: "ES",
        last: Some(1.0),
        bid: Some(1.0),
        ask: Some(1.25),
        seq: Some(1),
        ..TickUpdate::default()
    };
    g.bench_function("market_apply", |b| {
        b.iter(|| black_box(m.apply(black_box(&u), Feed::Pipe, now).updates))
    });
    g.finish();
}

/// 1000 LF-framed ticks per read, as the endpoint sees them under load.
fn read_path(c: &mut Criterion) {
    const N: u64 = 1000;
    let mut batch = Vec::new();
    for i in 0..N {
        let sym = if i % 2 == 0 { "ES" } else { "NQ" };
        let line = format!(
            "{{\"symbol\":\"{sym}\",\"price\":4700.25,\"bid\":4700,\"ask\":4700.5,\"ts_ns\":1769537130123456789,\"seq\":{i}}}\n"
        );
        batch.extend_from_slice(line.as_bytes());
    }
    let now = Instant::now();
    let mut g = c.benchmark_group("read_path_1000_ticks");
    g.throughput(Throughput::Elements(N));
    for fast in [true, false] {
        let mut framer = Framer::new(batch.len());
        let mut parser = Parser::new(0);
        parser.set_fast_path(fast);
        let mut m = MarketState::new();
        let name = if fast { "framer+fast_path+apply" } else { "framer+simd_json+apply" };
        g.bench_function(name, |b| {
            b.iter(|| {
                framer.push(&batch);
                while let Some(f) = framer.next_frame() {
                    if let v9bridge::pipe::Frame::Object(o) = f {
                        parse_apply(&mut parser, &mut m, now, o);
                    }
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, decoders, breakdown, read_path);
criterion_main!(benches);
