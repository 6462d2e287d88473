//! Broadcasting at steady state allocates nothing on the engine thread (counting allocator).

mod support;
use std::time::Duration;
use support::alloc::{measured_phase, Counting};
use support::engine::*;
use v9bridge::engine::Engine;

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn steady_state_broadcast_allocates_nothing() {
    broadcast_allocates_nothing(test_config());
}

#[test]
fn steady_state_broadcast_allocates_nothing_with_the_journal_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config();
    cfg.journal.dir = dir.path().to_path_buf();
    broadcast_allocates_nothing(cfg);
}

/// Every risk gate configured, none refusing; the 20 receivers' accounts have loss limits, so
/// every POSITION's P&L goes through the loss book.
#[test]
fn steady_state_broadcast_allocates_nothing_with_every_risk_gate_on() {
    let accounts: Vec<String> = (0..20).map(|k| format!("'Account{k}'")).collect();
    let gates = format!(
        "[risk]\nmax_qty = 10\nmax_position = 1000000\nmax_signals_per_s = 1000000\n\
         max_signals_per_s_per_publisher = 1000000\nallowed_symbols = ['MES', 'ES']\n\
         daily_loss = 1000000.0\ntrailing_drawdown = 1000000.0\n\
         [risk.symbols.ES]\nmax_qty = 5\ntz = 'America/Chicago'\nhours = ['00:00-24:00']\n\
         [risk.accounts.Account3]\ndaily_loss = 500000.0\n\
         [groups]\ndesk = [{}]\n",
        accounts.join(", ")
    );
    let r = v9bridge::config::Config::from_toml(&gates).unwrap();
    let mut cfg = test_config();
    (cfg.risk, cfg.groups) = (r.risk, r.groups);
    broadcast_allocates_nothing(cfg);
}

fn broadcast_allocates_nothing(mut cfg: v9bridge::config::Config) {
    use std::sync::atomic::{AtomicU8, Ordering::SeqCst};
    use std::sync::Arc;
    // Reconciliation sweeps every 50 ms instead of every second, so that the warm-up round
    // already ran a few (their first run sizes each receiver's tables: a one-time cost).
    cfg.journal.reconcile_grace_ms = 100;
    let mut engine = Engine::new(&cfg).unwrap();
    let addr = engine.handle().v9_addr();
    // 0 = warming up, 1 = warm-up done (peers wait), 2 = counter snapshot taken, 3 = measured run
    // done, 4 = final count taken (peers may disconnect).
    let phase = Arc::new(AtomicU8::new(0));
    let ph = phase.clone();
    // Peers run on another thread; only this (the engine) thread's allocations are counted.
    let peers = std::thread::spawn(move || {
        let mut receivers: Vec<Raw> =
            (0..20).map(|i| Raw::receiver(addr, &format!("r{i}"))).collect();
        // One peer that sends no line endings: each message reaches it in a write of its own.
        let mut bare = Raw::connect(addr);
        bare.send_raw(b"CONNECT|bare|Account_Count:1");
        assert!(bare.read_chunk(WAIT).starts_with(b"READY|"));
        let mut p = Raw::publisher(addr, None);
        let mut last_ack = String::new();
        for round in 0..2u64 {
            if round == 1 {
                ph.store(1, SeqCst);
                while ph.load(SeqCst) != 2 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            for i in 0..500u64 {
                let line = ["LONG|MES|1|TP:4700.25", "SHORT|ES|2|SL:4650", "FLATTEN|ALL|0"]
                    [i as usize % 3];
                p.send(line);
                last_ack = p.line();
                assert!(last_ack.starts_with("SIGNAL_ACK|"));
                let mut got = String::new();
                for r in &mut receivers {
                    got = r.line();
                }
                let chunk = bare.read_chunk(WAIT);
                assert!(chunk.starts_with(&line.as_bytes()[..4]) && !chunk.contains(&b'\n'));
                // Well-behaved receivers: FLAT after FLATTEN (an out-of-sync alarm is a slow path).
                let pos = if got.starts_with("FLATTEN") { "FLAT|0|0.00" } else { "LONG|1|4520.50" };
                for (k, r) in receivers.iter_mut().enumerate() {
                    r.send(&format!(
                        "POSITION|Account{k}|{pos}|{:+.2}|2026-01-27T18:05:11Z|Symbol:MES",
                        // A P&L that moves, so the loss limits see every report.
                        ((i % 7) as f64 - 3.0) * 12.5
                    ));
                    r.send(&format!(
                        "POSITION_SUMMARY|1|1|+1.00|4520.50|LONG:1,SHORT:0|ID:{}",
                        round * 500 + i + 1
                    ));
                    r.send("HEARTBEAT|r|ok");
                    assert!(r.line().starts_with("HEARTBEAT_ACK|"));
                }
            }
        }
        ph.store(3, SeqCst);
        // Keep the sockets open until the engine has taken its count: disconnects (which file
        // the receivers' books for their reconnection) are not steady state.
        while ph.load(SeqCst) != 4 {
            std::thread::sleep(Duration::from_millis(1));
        }
        last_ack
    });
    let (during, last_ack) = measured_phase(&mut engine, &phase, peers);
    // The measured phase really ran: 500 more signals to 21 receivers, with positions and acks.
    assert_eq!(last_ack, "SIGNAL_ACK|1000|21");
    assert_eq!(during, 0, "engine thread allocated {during} times at steady state");
}
