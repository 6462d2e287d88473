//! Splitting routed lines over 1024 bytes allocates nothing on the engine thread at steady
//! state: two receivers of 60 long-named accounts sized per account, each signal written to
//! them as two lines or more (counting allocator).

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

const ACCOUNTS: usize = 60;

fn names() -> Vec<String> {
    (1..=ACCOUNTS).map(|i| format!("APEX-98765-P{i}")).collect()
}

fn config() -> Config {
    let quoted: Vec<String> = names().iter().map(|a| format!("'{a}'")).collect();
    let toml = format!(
        "[groups]\nwide = [{}]\n[mapping.wide]\nallow_hedge = true\n\
         multipliers = {{ APEX-98765-P1 = 2.0 }}\nsymbols = {{ ES = {{ to = 'MES', ratio = 10 }} }}\n",
        quoted.join(", ")
    );
    let r = Config::from_toml(&toml).unwrap();
    let mut c = test_config();
    (c.risk, c.groups, c.mapping) = (r.risk, r.groups, r.mapping);
    c.journal.reconcile_grace_ms = 100;
    c
}

fn receiver(addr: std::net::SocketAddr, name: &str) -> Raw {
    let mut r = Raw::connect(addr);
    r.send(&format!("CONNECT|{name}|Version:1.0|Accounts:{}", names().join("+")));
    assert!(r.line().starts_with("READY|"));
    r
}

/// Reads one signal's lines (until they name every account); returns how many there were.
fn lines_of_one_signal(r: &mut Raw) -> usize {
    let (mut accounts, mut lines) = (0, 0);
    while accounts < ACCOUNTS {
        let l = r.line();
        assert!(l.len() <= 1024, "{} bytes: {l}", l.len());
        // No Accounts: the signal unchanged for every account (FLATTEN|ALL).
        let list = l.split('|').find_map(|f| f.strip_prefix("Accounts:"));
        accounts += list.map_or(ACCOUNTS, |l| l.split('+').count());
        lines += 1;
    }
    assert_eq!(accounts, ACCOUNTS);
    lines
}

#[test]
fn steady_state_split_lines_allocate_nothing() {
    let mut engine = Engine::new(&config()).unwrap();
    let addr = engine.handle().v9_addr();
    let opts = format!("Note:{}|Tag:{}", "n".repeat(59), "t".repeat(60));
    let cycle = [
        format!("LONG|ES|1|TP:4700.25|SL:4650.5|TIF:GTC|{opts}|Group:wide"),
        format!("SHORT|ES|2|{opts}"),
        "CLOSE_HALF|ES|0|Group:wide".to_string(),
        "FLATTEN|ALL|0".to_string(),
    ];
    let phase = Arc::new(AtomicU8::new(0));
    let ph = phase.clone();
    let peers = std::thread::spawn(move || {
        let mut rx: Vec<Raw> = (0..2).map(|k| receiver(addr, &format!("rx{k}"))).collect();
        let mut p = Raw::publisher(addr, None);
        let mut split = 0;
        for round in 0..2u64 {
            if round == 1 {
                // Reconciliation sweeps size their tables once in the warm-up.
                std::thread::sleep(Duration::from_millis(300));
                ph.store(1, SeqCst);
                while ph.load(SeqCst) != 2 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            let n = if round == 0 { 1000 } else { 400 };
            for i in 0..n {
                p.send(&cycle[i % cycle.len()]);
                let ack = p.line();
                assert!(ack.ends_with("|2"), "{ack}");
                for r in rx.iter_mut() {
                    split += usize::from(lines_of_one_signal(r) > 1);
                }
            }
        }
        ph.store(3, SeqCst);
        while ph.load(SeqCst) != 4 {
            std::thread::sleep(Duration::from_millis(1));
        }
        split
    });
    let (during, split) = measured_phase(&mut engine, &phase, peers);
    // Both receivers got the first two signals of each cycle split (1400 cycles / 4 x 2 x 2).
    assert_eq!(split, 1400);
    assert_eq!(during, 0, "engine thread allocated {during} times while splitting");
}
