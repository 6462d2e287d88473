//! The pipe endpoint on real FIFOs, driven by a small mio loop: reconnects, volume, signals.
#![cfg(unix)]

mod support;

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::pipe::{tick, Harness};
use v9bridge::endpoint::Endpoint;
use v9bridge::pipe::{BadInput, PipeConfig, PipeEndpoint};
use v9bridge::sim::pipe_feed::{self, FeedFormat, PipeFeedArgs};

#[test]
fn survives_writer_close_and_reopen_without_busy_looping() {
    let mut h = Harness::new();
    for round in 0..3u64 {
        {
            // Blocking open is fine: the endpoint is a reader already.
            let mut w = OpenOptions::new().write(true).open(&h.path).unwrap();
            for i in 1..=10 {
                w.write_all(tick("ES", round * 10 + i).as_bytes()).unwrap();
            }
        } // writer closes here
        h.run_until(Duration::from_secs(10), |h| h.updates("ES") == (round + 1) * 10);

        // No writer now. A FIFO at EOF is readable forever; with our write end held it is not,
        // so the loop must sleep: count wake-ups over ~300 ms of idle polling.
        let before = h.wakeups;
        let idle_end = Instant::now() + Duration::from_millis(300);
        while Instant::now() < idle_end {
            h.turn(Duration::from_millis(50));
        }
        assert!(
            h.wakeups - before <= 2,
            "busy loop: {} wake-ups while no writer",
            h.wakeups - before
        );
    }
    let q = h.market.get("ES").unwrap();
    assert_eq!((q.last_seq, q.seq_gaps), (Some(30), 0));
    assert_eq!(h.ep.stats().bad_total(), 0);
    assert!(h.ep.histograms().iter().any(|x| x.name() == "pipe.writer_to_read" && x.len() == 30));
}

#[test]
fn refuses_a_path_that_is_not_a_fifo_and_reuses_an_existing_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, b"x").unwrap();
    let cfg = PipeConfig { path: file.to_string_lossy().into_owned(), ..PipeConfig::default() };
    assert!(PipeEndpoint::new(&cfg).is_err());
    let fifo = dir.path().join("fifo").to_string_lossy().into_owned();
    let cfg = PipeConfig { path: fifo, ..PipeConfig::default() };
    drop(PipeEndpoint::new(&cfg).unwrap());
    PipeEndpoint::new(&cfg).unwrap();
}

#[test]
fn a_million_ticks_arrive_in_order_without_loss() {
    const N: u64 = 1_000_000;
    let mut h = Harness::new();
    let args = PipeFeedArgs {
        pipe: h.path.clone(),
        rate: 0.0,
        symbols: vec!["ES".into(), "NQ".into()],
        format: FeedFormat::Precise,
        count: N,
        duration_s: Some(300.0),
        ..PipeFeedArgs::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let feed = pipe_feed::spawn(args, stop.clone());
    h.run_until(Duration::from_secs(300), |h| h.updates("ES") + h.updates("NQ") >= N);
    let fs = feed.join().unwrap().unwrap();
    assert_eq!(fs.ticks, N);
    for sym in ["ES", "NQ"] {
        let q = h.market.get(sym).unwrap();
        // Per-symbol seq counts up by one: any loss or reordering shows as a gap.
        assert_eq!((q.updates, q.last_seq, q.seq_gaps), (N / 2, Some(N / 2), 0), "{sym}");
    }
    let st = h.ep.stats();
    assert_eq!((st.ticks, st.messages, st.bad_total(), st.bytes), (N, N, 0, fs.bytes));
}

#[test]
fn signals_arrive_and_refusals_are_counted() {
    let mut h = Harness::new();
    let args = PipeFeedArgs {
        pipe: h.path.clone(),
        rate: 0.0,
        signals: true,
        count: 2_000,
        duration_s: Some(60.0),
        ..PipeFeedArgs::default()
    };
    let feed = pipe_feed::spawn(args, Arc::new(AtomicBool::new(false)));
    h.run_until(Duration::from_secs(60), |h| h.ep.stats().messages == 2_003);
    let fs = feed.join().unwrap().unwrap();
    assert_eq!(fs.signals, 3); // after ticks 500, 1000 and 1500
    assert_eq!(h.sink.0.len(), 3);

    let mut w = OpenOptions::new().write(true).open(&h.path).unwrap();
    w.write_all(b"{\"signal\":\"LONG\",\"symbol\":\"MES\",\"qty\":0}\n").unwrap();
    w.write_all(b"{\"signal\":\"SHORT\",\"symbol\":\"MES\",\"qty\":2,\"tp\":4600,\"sl\":4720,\"tif\":\"DAY\"}").unwrap();
    h.run_until(Duration::from_secs(10), |h| h.ep.stats().signals == 5);
    assert_eq!(h.ep.stats().signals_refused, 1);
    assert_eq!(h.sink.0.last().map(String::as_str), Some("SHORT|MES|2"));
}

#[test]
fn bad_input_is_counted_and_skipped_without_disturbing_good_ticks() {
    let mut h = Harness::new();
    let mut w = OpenOptions::new().write(true).open(&h.path).unwrap();
    let mut stream = Vec::new();
    stream.extend_from_slice(tick("ES", 1).as_bytes());
    stream.extend_from_slice(b"hello\n");
    stream.extend_from_slice(b"{\"symbol\":\"ES\",\"price\":}\n");
    stream.extend_from_slice(b"{\"symbol\":\"ES\",\"bid\":2,\"ask\":1}\n");
    stream.extend_from_slice(b"{\"symbol\":\"\xfe\",\"price\":1}\n");
    stream.extend_from_slice(format!("{{\"pad\":\"{}\"}}\n", "z".repeat(5000)).as_bytes());
    stream.extend_from_slice(tick("ES", 2).as_bytes());
    w.write_all(&stream).unwrap();
    h.run_until(Duration::from_secs(10), |h| h.updates("ES") == 2);
    let st = h.ep.stats();
    for r in [
        BadInput::Garbage,
        BadInput::Malformed,
        BadInput::CrossedQuote,
        BadInput::NonUtf8,
        BadInput::Oversized,
    ] {
        assert_eq!(st.bad(r), 1, "{r}");
    }
    assert_eq!(st.bad_total(), 5);
    assert_eq!(h.market.get("ES").unwrap().seq_gaps, 0);
    assert_eq!((st.bad(BadInput::Oversized), st.ticks), (1, 2), "{st:?}");
}

#[test]
fn seed_format_back_to_back_objects_decode() {
    let mut h = Harness::new();
    let args = PipeFeedArgs {
        pipe: h.path.clone(),
        rate: 0.0,
        format: FeedFormat::Seed,
        count: 5_000,
        duration_s: Some(60.0),
        ..PipeFeedArgs::default()
    };
    let feed = pipe_feed::spawn(args, Arc::new(AtomicBool::new(false)));
    h.run_until(Duration::from_secs(60), |h| h.updates("ES") + h.updates("NQ") == 5_000);
    feed.join().unwrap().unwrap();
    assert_eq!(h.ep.stats().bad_total(), 0);
    // SCDateTime stamps are converted, but are not precise enough for the latency histogram.
    assert!(h.market.get("ES").unwrap().ts_ns > 1_700_000_000_000_000_000);
    assert!(h.ep.histograms().iter().all(|x| x.name() != "pipe.writer_to_read" || x.is_empty()));
}

#[test]
fn tick_symbols_are_checked_and_capped() {
    use v9bridge::pipe::endpoint::MAX_SYMBOLS;
    let mut h = Harness::new();
    let mut w = OpenOptions::new().write(true).open(&h.path).unwrap();
    w.write_all(b"{\"symbol\":\"E|S\",\"price\":1}\n").unwrap();
    let mut stream = String::new();
    for i in 0..MAX_SYMBOLS + 10 {
        stream.push_str(&tick(&format!("S{i}"), 1));
    }
    // More than the FIFO holds: write from another thread while the loop reads.
    let mut w2 = w.try_clone().unwrap();
    let writer = std::thread::spawn(move || w2.write_all(stream.as_bytes()).unwrap());
    h.run_until(Duration::from_secs(10), |h| h.ep.stats().bad(BadInput::TooManySymbols) == 10);
    writer.join().unwrap();
    // Known symbols keep updating past the cap.
    w.write_all(tick("S0", 2).as_bytes()).unwrap();
    h.run_until(Duration::from_secs(10), |h| h.updates("S0") == 2);
    let st = h.ep.stats();
    assert_eq!(st.bad(BadInput::BadSymbol), 1);
    assert_eq!(h.market.len(), MAX_SYMBOLS);
    assert_eq!(h.ep.stats().bad(BadInput::TooManySymbols), 10);
}

#[test]
fn refuses_a_fifo_open_to_others_or_behind_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let path = fifo.to_string_lossy().into_owned();
    let cfg = PipeConfig { path: path.clone(), ..PipeConfig::default() };
    drop(PipeEndpoint::new(&cfg).unwrap());
    let mode = std::fs::metadata(&fifo).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    std::fs::set_permissions(&fifo, std::fs::Permissions::from_mode(0o666)).unwrap();
    let e = PipeEndpoint::new(&cfg).unwrap_err();
    assert!(e.to_string().contains(&path), "{e}");
    std::fs::set_permissions(&fifo, std::fs::Permissions::from_mode(0o600)).unwrap();

    let link = dir.path().join("link").to_string_lossy().into_owned();
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    assert!(PipeEndpoint::new(&PipeConfig { path: link, ..PipeConfig::default() }).is_err());

    // Owned by someone else (needs root to arrange; skipped otherwise).
    let c = std::ffi::CString::new(path.as_bytes()).unwrap();
    // SAFETY: valid NUL-terminated path.
    if unsafe { libc::chown(c.as_ptr(), 12345, 12345) } == 0 {
        assert!(PipeEndpoint::new(&cfg).is_err());
    }
}

#[test]
fn a_spent_read_budget_leaves_the_rest_to_the_next_turns() {
    let mut h = Harness::new();
    h.ep.set_read_budget(100);
    let mut w = OpenOptions::new().write(true).open(&h.path).unwrap();
    let stream: String = (1..=50).map(|i| tick("ES", i)).collect();
    w.write_all(stream.as_bytes()).unwrap();
    h.run_until(Duration::from_secs(10), |h| h.ep.stats().bytes > 0);
    assert!(h.updates("ES") < 50);
    assert_eq!(h.ep.stats().bytes, 100, "one turn reads at most the budget");
    assert!(!h.reads.is_empty(), "the endpoint waits to read on");
    // No new event comes for data already in the pipe (edge-triggered): each following turn
    // reads on, one budget per turn, until the pipe is empty.
    let events_before = h.wakeups;
    let mut turns = 0;
    while !h.reads.is_empty() {
        let before = h.ep.stats().bytes;
        h.turn(Duration::from_secs(10));
        assert!(h.ep.stats().bytes - before <= 100, "at most the budget per turn");
        turns += 1;
        assert!(turns < 1000);
    }
    assert_eq!(h.updates("ES"), 50);
    assert_eq!(h.ep.stats().bytes, stream.len() as u64);
    assert_eq!(h.wakeups, events_before, "read on without any event");
    // 100 bytes per turn after the first; a last full budget takes one more turn to see
    // WouldBlock.
    assert_eq!(turns as usize, (stream.len() - 100) / 100 + 1, "one budget per turn");
    assert_eq!(h.market.get("ES").unwrap().seq_gaps, 0);
}
