//! Publishing snapshots to the operator surface allocates (almost) nothing on the engine
//! thread at steady state: rows are overwritten in place and snapshots come back for reuse,
//! signals and their acknowledgements included.

mod support;
use std::time::{Duration, Instant};
use support::alloc::{allocs, Counting};
use support::engine::*;
use v9bridge::engine::Engine;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn turn_until(engine: &mut Engine, mut done: impl FnMut(&mut Engine) -> bool) {
    let until = Instant::now() + WAIT;
    while !done(engine) {
        assert!(Instant::now() < until, "timed out");
        engine.turn(Some(Duration::from_millis(2))).unwrap();
    }
}

#[test]
fn publishing_snapshots_reuses_every_row_and_string() {
    let mut cfg = test_config();
    cfg.ops.listen = "127.0.0.1:0".parse().unwrap();
    cfg.ops.publish_ms = 10;
    let mut engine = Engine::new(&cfg).unwrap().with_ops(&cfg).unwrap();
    let addr = engine.handle().v9_addr();
    let ops = engine.ops().unwrap().local_addr();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let peers = spawn_peers(addr, stop.clone(), ready_tx);
    let until = Instant::now() + WAIT;
    while ready_rx.try_recv().is_err() && Instant::now() < until {
        engine.turn(Some(Duration::from_millis(2))).unwrap();
    }
    // A dashboard stream open the whole time (the ops thread renders; not counted here).
    let mut sse = std::net::TcpStream::connect(ops).unwrap();
    std::io::Write::write_all(&mut sse, b"GET /api/v1/events HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    fills_reuse_their_rows(&mut engine);
    drop(sse);
    signals_reached_the_ops_thread(ops);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let until = Instant::now() + WAIT;
    while !peers.is_finished() && Instant::now() < until {
        engine.turn(Some(Duration::from_millis(2))).unwrap();
    }
    peers.join().unwrap();
}

/// 20 receivers with 20 positions each, connected from another thread; then one keeps
/// updating its P&L (so every publish has something new to show), a publisher sends a
/// signal every few turns and that receiver answers each with a numbered summary.
fn spawn_peers(
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ready_tx: std::sync::mpsc::Sender<()>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut rs: Vec<Raw> = (0..20).map(|i| Raw::receiver(addr, &format!("r{i}"))).collect();
        for r in &mut rs {
            for a in 0..20 {
                r.send(&format!("POSITION|Account{a}|LONG|1|4520.50|+1.00|Symbol:MES"));
            }
        }
        let mut publisher = Raw::publisher(addr, None);
        let _ = ready_tx.send(());
        let mut i = 0u64;
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            i += 1;
            rs[0].send(&format!("POSITION|Account0|LONG|1|4520.50|+{}.00|Symbol:MES", i % 100));
            if i % 4 == 0 {
                publisher.send("LONG|MES|1");
                // Answer the signal once it has arrived, as a receiver does: a summary read
                // before its signal (a busy loop reads this socket first) answers nothing.
                let Some(line) = rs[0].try_line(WAIT) else { break };
                let id = line.rsplit_once("ID:").and_then(|(_, n)| n.parse::<u64>().ok());
                let id = id.unwrap_or(i / 4);
                rs[0].send(&format!("POSITION_SUMMARY|20|20|+20.00|4520.50|ID:{id}"));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    })
}

/// Per turn: a snapshot's first fill allocates its rows (at most 4 snapshots ever circulate:
/// the pool of 3 and the ops thread's initial one), every later fill reuses them.
fn fills_reuse_their_rows(engine: &mut Engine) {
    let published = |e: &mut Engine| e.ops().unwrap().published();
    let p = published(engine);
    turn_until(engine, |e| published(e) >= p + 30);
    let p0 = published(engine);
    let (mut small, mut cold) = (0u64, 0u32);
    let until = Instant::now() + WAIT;
    while published(engine) < p0 + 100 {
        assert!(Instant::now() < until, "timed out");
        let a = allocs();
        engine.turn(Some(Duration::from_millis(2))).unwrap();
        match allocs() - a {
            d if d > 400 => cold += 1,
            d => small += d,
        }
    }
    let n = published(engine) - p0;
    assert!(cold <= 4, "{cold} fills allocated their rows anew");
    // Endpoints::histograms builds a Vec from each endpoint's Vec (here V9's): two per publish.
    assert!(small <= 2 * n + 5, "{small} allocations over {n} publishes");
}

/// What was published reached the ops thread: the signals, with the receiver's answers.
fn signals_reached_the_ops_thread(ops: std::net::SocketAddr) {
    let mut c = std::net::TcpStream::connect(ops).unwrap();
    c.set_read_timeout(Some(WAIT)).unwrap();
    let req = b"GET /api/v1/signals HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    std::io::Write::write_all(&mut c, req).unwrap();
    let mut text = String::new();
    let _ = std::io::Read::read_to_string(&mut c, &mut text);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    let signals = v["signals"].as_array().unwrap();
    assert!(signals.len() > 10, "{v}");
    assert!(signals.iter().any(|s| s["acks"][0]["receiver"] == "r0"), "{v}");
}
