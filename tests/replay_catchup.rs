//! Catch-up after CONNECT over loopback: replay with `Replay:1`, SYNC, errors, `CAUGHT_UP`.

mod support;
use std::path::Path;
use support::replay::*;

fn engine() -> Running {
    Running::start(&config(Path::new("none")))
}

#[test]
fn a_receiver_that_reconnects_gets_exactly_what_it_missed_then_live() {
    let e = engine();
    let mut p = Client::publisher(e.addr);
    let (mut a, ready) = Client::hello(e.addr, "A", "");
    let epoch = field(&ready, "Epoch");
    assert_eq!(field(&ready, "Last_ID"), 0);
    for line in ["LONG|MES|1|TP:4700", "SHORT|ES|2", "LONG|MES|1"] {
        p.signal(line);
    }
    let got: Vec<String> = (0..3).map(|_| a.line()).collect();
    assert_eq!(got, ["LONG|MES|1|TP:4700|ID:1", "SHORT|ES|2|ID:2", "LONG|MES|1|ID:3"]);
    drop(a);
    assert_eq!((p.signal("CLOSE_ONE|MES|0"), p.signal("FLATTEN|ALL|0")), (4, 5));
    let (mut a, ready) = Client::hello(e.addr, "A", &format!("|Last_ID:3|Epoch:{epoch}"));
    assert_eq!((field(&ready, "Epoch"), field(&ready, "Last_ID")), (epoch, 5), "{ready}");
    let got: Vec<String> = (0..4).map(|_| a.line()).collect();
    assert_eq!(
        got,
        [
            "LONG|MES|1|Replay:1|ID:3",
            "CLOSE_ONE|MES|0|Replay:1|ID:4",
            "FLATTEN|ALL|0|Replay:1|ID:5",
            "CAUGHT_UP|REPLAY|3|ID:5"
        ],
        "id 3 again (inclusive: receivers dedupe), in order, then the end marker"
    );
    p.signal("LONG|NQ|1");
    assert_eq!(a.line(), "LONG|NQ|1|ID:6", "live after CAUGHT_UP, unmarked");
    // Nothing missed: NONE.
    let (mut b, _) = Client::hello(e.addr, "B", &format!("|Last_ID:6|Epoch:{epoch}"));
    assert_eq!(b.line(), "CAUGHT_UP|NONE|0|ID:6");
    // A base receiver (no Last_ID) gets no catch-up at all: its first line is live.
    let (mut c, _) = Client::hello(e.addr, "C", "");
    p.signal("SHORT|NQ|1");
    assert_eq!(c.line(), "SHORT|NQ|1|ID:7");
}

#[test]
fn a_last_id_in_the_future_or_not_a_number_is_a_protocol_error() {
    let e = engine();
    let mut p = Client::publisher(e.addr);
    p.signal("LONG|MES|1");
    p.signal("LONG|MES|1");
    let (mut a, l) = Client::hello(e.addr, "A", "|Last_ID:9");
    assert_eq!(l, "ERROR|PROTOCOL_ERROR|Last_ID in the future|Last_ID:9,Server_Last_ID:2");
    assert!(a.closed());
    for bad in ["abc", "-1", "", "1.5", "99999999999999999999999"] {
        let (mut a, l) = Client::hello(e.addr, "A", &format!("|Last_ID:{bad}"));
        assert_eq!(l, "ERROR|PROTOCOL_ERROR|Invalid field|Field: LAST_ID", "Last_ID:{bad}");
        assert!(a.closed());
    }
    // Keys in any case, like the others.
    let (mut a, l) = Client::hello(e.addr, "A", "|last_id:2");
    assert!(l.starts_with("READY|"), "{l}");
    assert_eq!(a.line(), "CAUGHT_UP|NONE|0|ID:2");
}

#[test]
fn another_epoch_gets_the_target_positions() {
    let e = engine();
    let mut p = Client::publisher(e.addr);
    let (_, ready) = Client::hello(e.addr, "probe", "");
    let epoch = field(&ready, "Epoch");
    for line in ["LONG|MES|1", "LONG|mes|1", "SHORT|ES|2", "LONG|NQ|3", "FLATTEN|NQ|0"] {
        p.signal(line);
    }
    // Whatever n is (even one above ours): a receiver of another run gets targets.
    let (mut a, l) = Client::hello(e.addr, "A", &format!("|Last_ID:99|Epoch:{}", epoch - 1));
    assert!(l.starts_with("READY|"), "{l}");
    let got: Vec<String> = (0..4).map(|_| a.line()).collect();
    assert_eq!(
        got,
        [
            "SYNC|ES|SHORT|2|ID:5",
            "SYNC|MES|LONG|2|ID:5",
            "SYNC|NQ|FLAT|0|ID:5",
            "CAUGHT_UP|SYNC|3|ID:5"
        ],
        "flat symbols included, so a receiver closes what it should not hold"
    );
}

#[test]
fn beyond_the_replay_window_a_receiver_gets_targets() {
    let mut cfg = config(Path::new("none"));
    cfg.journal.replay_max_signals = 3;
    let e = Running::start(&cfg);
    let mut p = Client::publisher(e.addr);
    for _ in 0..5 {
        p.signal("LONG|MES|1");
    }
    let (mut a, _) = Client::hello(e.addr, "A", "|Last_ID:2");
    assert_eq!(a.line(), "SYNC|MES|LONG|5|ID:5", "signal 2 left the window");
    assert_eq!(a.line(), "CAUGHT_UP|SYNC|1|ID:5");
    let (mut b, _) = Client::hello(e.addr, "B", "|Last_ID:3");
    let got: Vec<String> = (0..4).map(|_| b.line()).collect();
    assert_eq!(got[0], "LONG|MES|1|Replay:1|ID:3", "3..5 still held: {got:?}");
    assert_eq!(got[3], "CAUGHT_UP|REPLAY|3|ID:5");
}

#[test]
fn a_replay_that_would_overflow_the_output_queue_falls_back_to_sync() {
    let mut cfg = config(Path::new("none"));
    cfg.v9.max_output_bytes = 4096;
    let e = Running::start(&cfg);
    let mut p = Client::publisher(e.addr);
    let opts = "|TP:4700.25|SL:4650.75|TIF:GTC|Note:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for _ in 0..100 {
        p.signal(&format!("LONG|MES|1{opts}"));
    }
    let (mut a, _) = Client::hello(e.addr, "A", "|Last_ID:1");
    assert_eq!(a.line(), "SYNC|MES|LONG|100|ID:100");
    assert_eq!(a.line(), "CAUGHT_UP|SYNC|1|ID:100");
}
