//! `v9bridge sim receiver --state-file` killed with SIGKILL mid-stream and started again,
//! against a scripted server: it resumes from its last snapshot (Last_ID/Epoch in its first
//! CONNECT), the replay from that id brings it forward, and at the end its accounts equal the
//! model with every id executed exactly once, across both lives.
#![cfg(unix)]

mod support;

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};
use support::fault::{Proc, WAIT};
use support::nt::FakeServer;
use v9bridge::signal::{Action, Signal};
use v9bridge::sim::model::Book;
use v9bridge::sim::receiver::saved::Saved;
use v9bridge::sim::receiver::XorShift;
use v9bridge::v9::encode;

const SIGNALS: u64 = 400;

fn random_signal(rng: &mut XorShift) -> Signal<'static> {
    let symbol = ["MES", "ES", "NQ"][(rng.next_u64() % 3) as usize];
    let qty = 1 + (rng.next_u64() % 3) as u32;
    match rng.next_u64() % 10 {
        0..=3 => Signal::new(Action::Long, symbol, qty),
        4..=7 => Signal::new(Action::Short, symbol, qty),
        8 => Signal::new(Action::CloseHalf, symbol, 0),
        _ => Signal::new(Action::Reverse, symbol, 0),
    }
}

/// The wire bytes of signal `id`, with `Replay:1` when replayed.
fn line(sig: &Signal<'_>, id: u64, replay: bool) -> Vec<u8> {
    let mut s = *sig;
    if replay {
        s.push_extra("Replay:1");
    }
    let mut out = Vec::new();
    encode::signal(&mut out, &s, Some(id));
    out
}

/// Polls the state file until `done` holds for it.
fn wait_saved(path: &Path, done: impl Fn(&Saved) -> bool) -> Saved {
    let until = Instant::now() + WAIT;
    loop {
        if let Ok(Some(s)) = Saved::load(path) {
            if done(&s) {
                return s;
            }
        }
        assert!(Instant::now() < until, "state file {} never got there", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_killed_receiver_resumes_from_its_state_file_and_executes_each_id_once() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let state_arg = state.to_string_lossy().into_owned();
    let args = ["sim", "receiver", "--connect", &addr, "--accounts", "3", "--name", "K"];
    let args: Vec<&str> = args.into_iter().chain(["--state-file", &state_arg]).collect();
    let mut rng = XorShift(0xC0FF_EE00_1234_5678);
    let signals: Vec<Signal<'static>> = (0..SIGNALS).map(|_| random_signal(&mut rng)).collect();
    let mut model = Book::with_accounts(3);
    for s in &signals {
        model.apply(s, |_| 0.0);
    }

    let mut rx = Proc::spawn("receiver", &args);
    let mut c = FakeServer::accept(&listener, WAIT).unwrap();
    let connect = c.line(WAIT).unwrap().unwrap();
    assert!(!connect.contains("Last_ID"), "a first start is fresh: {connect}");
    c.send(b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:4|Last_ID:0\n").unwrap();
    c.send(&line(&signals[0], 1, false)).unwrap();
    c.answer(1).unwrap();
    wait_saved(&state, |s| s.high >= 1);
    // The rest back to back, then SIGKILL as soon as the last is answered: the snapshot on
    // disk is then anywhere between id 1 and the last.
    let rest: Vec<u8> =
        (2..=SIGNALS).flat_map(|id| line(&signals[id as usize - 1], id, false)).collect();
    c.send(&rest).unwrap();
    c.answer(SIGNALS).unwrap();
    rx.kill9();
    drop(c);

    let mut rx = Proc::spawn("receiver again", &args);
    let mut c = FakeServer::accept(&listener, WAIT).unwrap();
    let connect = c.line(WAIT).unwrap().unwrap();
    let k: u64 = connect
        .split('|')
        .find_map(|f| f.strip_prefix("Last_ID:"))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("the restarted process resumes: {connect}"));
    assert!((1..=SIGNALS).contains(&k) && connect.contains("|Epoch:4|"), "{connect}");
    eprintln!("resumed from the snapshot at id {k} of {SIGNALS}");
    // The server replays from k (inclusive), ends the catch-up, then one live signal.
    let mut replay = b"READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:4|Last_ID:400\n".to_vec();
    for id in k..=SIGNALS {
        replay.extend(line(&signals[id as usize - 1], id, true));
    }
    replay.extend(format!("CAUGHT_UP|REPLAY|{}|ID:{SIGNALS}\n", SIGNALS - k + 1).as_bytes());
    let live = Signal::new(Action::Flatten, "NQ", 0);
    replay.extend(line(&live, SIGNALS + 1, false));
    model.apply(&live, |_| 0.0);
    c.send(&replay).unwrap();
    c.answer(SIGNALS + 1).unwrap();
    let saved = wait_saved(&state, |s| s.high > SIGNALS);
    rx.kill9();

    for (a, account) in model.accounts.iter().enumerate() {
        for sym in ["MES", "ES", "NQ"] {
            assert_eq!(saved.book.qty(a, sym), model.qty(a, sym), "{account} {sym}");
        }
    }
    // Every id executed once, on all three accounts, across both lives.
    let ids: Vec<u64> = saved.executions.iter().map(|e| e.0).collect();
    assert_eq!(ids, (1..=SIGNALS + 1).collect::<Vec<_>>(), "each id once, in order");
    assert!(saved.executions.iter().all(|e| e.1 == 3), "on every account");
    assert_eq!(saved.duplicate_signals, 1, "id {k} (the snapshot's last) was skipped");
    assert_eq!(saved.replayed, SIGNALS - k + 1);
}
