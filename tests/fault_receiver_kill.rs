//! Fault injection on V9 receivers: a receiver process killed with SIGKILL mid-burst, then
//! restarted under the same strategy name.
#![cfg(unix)]

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use support::fault::{engine, is_run, Burst, Collector, Conn, Proc, WAIT};

/// Two receivers stay connected, a third (`sim receiver`, answering every signal with its
/// POSITIONs) is killed with SIGKILL while a publisher sends signals back to back, and
/// restarts as `victim` again. What is lost, exactly:
/// - the survivors lose nothing: they read every id from 1 to the last, once, in order;
/// - the killed strategy loses every signal published while it was away, and only those: after
///   its READY it reads one unbroken run of ids up to the last, starting no later than the
///   first signal sent after its READY, and no earlier than the first signal sent after it
///   started to connect (signals are not replayed to a returning receiver);
/// - the publisher gets an ack for every signal, and the engine keeps running.
#[test]
fn a_receiver_killed_mid_burst_loses_only_what_was_sent_while_it_was_away() {
    let (mut eng, addr) = engine(&["--client-timeout-s", "120"]);
    let until = Arc::new(AtomicU64::new(0));
    let survivors: Vec<Collector> = ["s1", "s2"]
        .iter()
        .map(|n| Collector::start(Conn::receiver(addr, n), until.clone()))
        .collect();
    let a = addr.to_string();
    let mut victim = Proc::spawn(
        "victim",
        &["sim", "receiver", "--connect", &a, "--name", "victim", "--accounts", "5"],
    );
    eng.wait_line("victim READY", WAIT);

    let burst = Burst::start(addr);
    burst.wait("500 signals to 3 receivers", |a| {
        a.iter().filter(|a| a.receivers == 3).count() >= 500
    });
    victim.kill9();
    burst.wait("the engine to notice the killed receiver", |a| {
        a.last().is_some_and(|a| a.receivers == 2)
    });
    let before_connect = burst.acks().last().unwrap().id;

    let back = Conn::receiver(addr, "victim");
    burst.mark.store(true, Ordering::Release);
    let back = Collector::start(back, until.clone());
    burst.wait("500 signals after the restart", |a| {
        a.iter().filter(|a| a.after_mark).count() >= 500
    });
    let acks = burst.finish();
    let last = acks.last().unwrap().id;
    until.store(last, Ordering::Release);

    assert!(is_run(&acks.iter().map(|a| a.id).collect::<Vec<_>>(), 1, last), "every signal acked");
    for (i, s) in survivors.into_iter().enumerate() {
        let ids = s.join();
        assert!(is_run(&ids, 1, last), "survivor {i} read {} ids, not 1..={last}", ids.len());
    }
    let ids = back.join();
    let first = *ids.first().expect("the restarted receiver read signals");
    let first_after_ready = acks.iter().find(|a| a.after_mark).unwrap().id;
    assert!(is_run(&ids, first, last), "restarted receiver: an unbroken run up to {last}");
    assert!(
        before_connect < first && first <= first_after_ready,
        "first id {first}: not replayed (> {before_connect}), nothing missed after READY (<= {first_after_ready})"
    );
    assert!(acks.iter().filter(|a| a.after_mark).all(|a| a.receivers == 3));
    assert!(eng.alive(), "the engine survives");
    assert!(eng.stop(libc::SIGTERM).success());
}
