//! An engine restarted on the same journal: ids continue, the epoch moves on, replay still
//! works, a torn tail is cut and reported, corruption refuses to start (naming file and offset).

mod support;
use std::io::Write;
use support::replay::*;
use v9bridge::engine::Engine;

fn last_segment(dir: &std::path::Path) -> std::path::PathBuf {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "v9j"))
        .collect();
    v.sort();
    v.pop().expect("a segment")
}

#[test]
fn ids_continue_and_replay_works_across_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let e = Running::start(&cfg);
    let (mut a, ready) = Client::hello(e.addr, "A", "");
    let first_epoch = field(&ready, "Epoch");
    let mut p = Client::publisher(e.addr);
    for line in ["LONG|MES|2", "SHORT|ES|1", "CLOSE_ONE|MES|0"] {
        p.signal(line);
    }
    assert_eq!(a.line(), "LONG|MES|2|ID:1");
    drop((a, p));
    e.stop();

    let e = Running::start(&cfg);
    let rec = e.recovered.clone().unwrap();
    assert_eq!((rec.last_id, rec.epoch), (3, first_epoch + 1));
    let (mut a, ready) = Client::hello(e.addr, "A", "|Last_ID:2");
    assert_eq!((field(&ready, "Epoch"), field(&ready, "Last_ID")), (first_epoch + 1, 3));
    let got: Vec<String> = (0..3).map(|_| a.line()).collect();
    assert_eq!(
        got,
        ["SHORT|ES|1|Replay:1|ID:2", "CLOSE_ONE|MES|0|Replay:1|ID:3", "CAUGHT_UP|REPLAY|2|ID:3"],
        "the restarted engine replays from its journal"
    );
    let mut p = Client::publisher(e.addr);
    assert_eq!(p.signal("LONG|NQ|1"), 4, "ids continue: never reused");
    assert_eq!(a.line(), "LONG|NQ|1|ID:4");
    // A receiver of the previous run gets targets rebuilt from the journal.
    let (mut b, _) = Client::hello(e.addr, "B", &format!("|Last_ID:3|Epoch:{first_epoch}"));
    let got: Vec<String> = (0..4).map(|_| b.line()).collect();
    assert_eq!(
        got,
        [
            "SYNC|ES|SHORT|1|ID:4",
            "SYNC|MES|LONG|1|ID:4",
            "SYNC|NQ|LONG|1|ID:4",
            "CAUGHT_UP|SYNC|3|ID:4"
        ]
    );
    drop((a, b, p));
    e.stop();
    // Every accepted signal is in the journal, in order, with its broadcast bytes.
    let text = support::journal::journal_cat(tmp.path());
    for id in 1..=4 {
        assert!(text.contains(&format!("ID:{id}")), "signal {id} missing:\n{text}");
    }
    assert!(text.contains("CONNECTED") && text.contains("DISCONNECTED"), "{text}");
}

#[test]
fn a_torn_tail_is_cut_and_reported_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let e = Running::start(&cfg);
    let mut p = Client::publisher(e.addr);
    p.signal("LONG|MES|1");
    p.signal("LONG|MES|1");
    drop(p);
    e.stop();
    let seg = last_segment(tmp.path());
    let len = std::fs::metadata(&seg).unwrap().len();
    // Half a frame: a length promising more bytes than follow (a write cut by a crash).
    std::fs::OpenOptions::new()
        .append(true)
        .open(&seg)
        .unwrap()
        .write_all(&[40, 0, 0, 0, 9])
        .unwrap();
    let engine = Engine::new(&cfg).unwrap();
    let torn = engine.recovered().and_then(|r| r.torn.clone()).expect("the cut is reported");
    assert_eq!((torn.segment, torn.offset, torn.bytes), (seg.clone(), len, 5));
    assert_eq!(engine.recovered().unwrap().last_id, 2);
}

#[test]
fn a_corrupt_journal_refuses_to_start_unless_fresh_segment() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(tmp.path());
    let e = Running::start(&cfg);
    let mut p = Client::publisher(e.addr);
    for _ in 0..3 {
        p.signal("LONG|MES|1");
    }
    drop(p);
    e.stop();
    let seg = last_segment(tmp.path());
    let mut bytes = std::fs::read(&seg).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&seg, &bytes).unwrap();
    let err = Engine::new(&cfg).expect_err("refused");
    let msg = err.to_string();
    assert!(msg.contains(&seg.display().to_string()) && msg.contains("offset"), "{msg}");
    cfg.journal.fresh_segment = true;
    let e = Running::start(&cfg);
    assert_eq!(e.recovered.as_ref().unwrap().quarantined.len(), 1);
    let mut p = Client::publisher(e.addr);
    assert!(p.signal("LONG|MES|1") >= 4, "no id reused after the damage");
}
