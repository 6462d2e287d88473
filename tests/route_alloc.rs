//! Routing at steady state allocates nothing on the engine thread: routed signals with parts
//! (mapped, sized, `Accounts:`), skipped receivers and shared bytes (counting allocator).

mod support;
use std::sync::atomic::{AtomicU8, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;
use support::alloc::{measured_phase, Counting};
use support::engine::*;
use v9bridge::config::Config;
use v9bridge::engine::Engine;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (signal, does a `micro` receiver get it, does a `full` one)
const CYCLE: [(&str, bool, bool); 4] = [
    ("LONG|ES|1|Group:micro", true, false),
    ("SHORT|ES|2|TP:4700.25", true, true),
    ("FLATTEN|ALL|0|Group:full", false, true),
    ("FLATTEN|ALL|0", true, true),
];

fn config() -> Config {
    let micro: Vec<String> = (0..10).map(|k| format!("'M{k}'")).collect();
    let full: Vec<String> = (0..10).map(|k| format!("'F{k}'")).collect();
    let toml = format!(
        "[groups]\nmicro = [{}]\nfull = [{}]\n[mapping.micro]\nallow_hedge = true\n\
         multipliers = {{ M1 = 1.5 }}\nsymbols = {{ ES = {{ to = 'MES', ratio = 10 }} }}\n",
        micro.join(", "),
        full.join(", ")
    );
    let r = Config::from_toml(&toml).unwrap();
    let mut c = test_config();
    (c.risk, c.groups, c.mapping) = (r.risk, r.groups, r.mapping);
    c.journal.reconcile_grace_ms = 100;
    c
}

fn receiver(addr: std::net::SocketAddr, name: &str, account: &str) -> Raw {
    let mut r = Raw::connect(addr);
    r.send(&format!("CONNECT|{name}|Account_Count:1|Version:1.0|Accounts:{account}"));
    assert!(r.line().starts_with("READY|"));
    r
}

#[test]
fn steady_state_routing_with_parts_allocates_nothing() {
    let mut engine = Engine::new(&config()).unwrap();
    let addr = engine.handle().v9_addr();
    let phase = Arc::new(AtomicU8::new(0));
    let ph = phase.clone();
    let peers = std::thread::spawn(move || {
        let mut micro: Vec<Raw> =
            (0..10).map(|k| receiver(addr, &format!("m{k}"), &format!("M{k}"))).collect();
        let mut full: Vec<Raw> =
            (0..10).map(|k| receiver(addr, &format!("f{k}"), &format!("F{k}"))).collect();
        let mut p = Raw::publisher(addr, None);
        let mut last = (String::new(), String::new());
        for round in 0..2u64 {
            if round == 1 {
                // Let a few reconciliation sweeps (every 50 ms) run in the warm-up: the first
                // one sizes each receiver's tables, a one-time cost.
                std::thread::sleep(Duration::from_millis(300));
                ph.store(1, SeqCst);
                while ph.load(SeqCst) != 2 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            // A long warm-up: queues and tables reach their working size before the count.
            let n = if round == 0 { 2000 } else { 400 };
            for i in 0..n {
                let (line, to_micro, to_full) = CYCLE[i % CYCLE.len()];
                p.send(line);
                let ack = p.line();
                assert!(ack.starts_with("SIGNAL_ACK|"), "{ack}");
                for r in micro.iter_mut().filter(|_| to_micro) {
                    last.0 = r.line();
                }
                for r in full.iter_mut().filter(|_| to_full) {
                    last.1 = r.line();
                }
                if i % CYCLE.len() == 1 {
                    assert!(
                        last.0.starts_with("SHORT|MES|20|TP:4700.25|Accounts:M9|ID:"),
                        "{last:?}"
                    );
                    assert!(last.1.starts_with("SHORT|ES|2|TP:4700.25|ID:"), "{last:?}");
                }
                last = (ack, last.1.clone());
            }
        }
        ph.store(3, SeqCst);
        while ph.load(SeqCst) != 4 {
            std::thread::sleep(Duration::from_millis(1));
        }
        last.0
    });
    let (during, last_ack) = measured_phase(&mut engine, &phase, peers);
    // The measured phase ran: the last signal (FLATTEN|ALL|0) reached all 20 receivers.
    assert_eq!(last_ack, "SIGNAL_ACK|2400|20");
    assert_eq!(during, 0, "engine thread allocated {during} times while routing");
}
