//! The pipe endpoint as a Windows named-pipe server (runs under Wine in CI): connects,
//! reconnects, ticks in order and signals, with the simulator as the study's stand-in.
#![cfg(windows)]

mod support;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use support::pipe::Harness;
use v9bridge::pipe::{PipeConfig, PipeEndpoint};
use v9bridge::sim::pipe_feed::{self, FeedFormat, PipeFeedArgs};

fn feed(h: &Harness, count: u64, signals: bool, format: FeedFormat) -> PipeFeedArgs {
    PipeFeedArgs {
        pipe: h.path.clone(),
        rate: 0.0,
        symbols: vec!["ES".into(), "NQ".into()],
        signals,
        format,
        count,
        duration_s: Some(120.0),
        inject: None,
    }
}

#[test]
fn study_connects_reconnects_and_every_tick_arrives_in_order() {
    let mut h = Harness::new();
    let stop = Arc::new(AtomicBool::new(false));
    for round in 1..=3u64 {
        let writer =
            pipe_feed::spawn(feed(&h, 20_000, round == 2, FeedFormat::Precise), stop.clone());
        h.run_until(Duration::from_secs(120), |h| {
            h.updates("ES") + h.updates("NQ") >= round * 20_000
        });
        let fs = writer.join().unwrap().unwrap();
        assert_eq!((fs.ticks, fs.connects), (20_000, 1));
        // The next round's writer retries (ERROR_PIPE_BUSY) until the loop has seen this one
        // leave and listens again: no explicit wait here.
    }
    let st = h.ep.stats();
    assert_eq!(st.writer_connects, Some(3));
    assert_eq!((st.ticks, st.signals, st.bad_total()), (60_000, 39, 0));
    for sym in ["ES", "NQ"] {
        // Each round restarts seq at 1: two step-backs, no other gap.
        let q = h.market.get(sym).unwrap();
        assert_eq!((q.updates, q.last_seq, q.seq_gaps), (30_000, Some(10_000), 2), "{sym}");
    }
    assert_eq!(h.sink.0.len(), 39);
}

#[test]
fn seed_format_without_separators_decodes() {
    let mut h = Harness::new();
    let writer = pipe_feed::spawn(
        feed(&h, 1_000, false, FeedFormat::Seed),
        Arc::new(AtomicBool::new(false)),
    );
    h.run_until(Duration::from_secs(60), |h| h.updates("ES") + h.updates("NQ") >= 1_000);
    writer.join().unwrap().unwrap();
    assert_eq!(h.ep.stats().bad_total(), 0);
    assert!(h.market.get("ES").unwrap().ts_ns > 0);
}

#[test]
fn a_second_server_on_the_same_name_is_refused() {
    let h = Harness::new();
    let cfg = PipeConfig { path: h.path.clone(), ..PipeConfig::default() };
    assert!(PipeEndpoint::new(&cfg).is_err());
}

/// The real study code (built by scripts/build-acsil.sh with the stand-in header and a driver
/// that calls it like Sierra Chart) writing to the endpoint. Skipped unless
/// `V9BRIDGE_ACSIL_DRIVER` names the driver (scripts/ci-windows.sh sets it).
#[test]
fn the_acsil_study_feeds_the_endpoint_without_breaking_framing() {
    let Ok(driver) = std::env::var("V9BRIDGE_ACSIL_DRIVER") else {
        eprintln!("skipped: set V9BRIDGE_ACSIL_DRIVER (scripts/ci-windows.sh does)");
        return;
    };
    const UPDATES: u64 = 20_000;
    let mut h = Harness::new();
    let mut child =
        std::process::Command::new(driver).args([h.path.as_str(), "20000"]).spawn().unwrap();
    let end = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        h.turn(Duration::from_millis(10));
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < end, "driver still running");
    };
    assert!(status.success(), "{status}");
    // The driver closed its handle: whatever it wrote is readable before the disconnect.
    h.run_until(Duration::from_secs(10), |h| {
        h.ep.stats().writer_connects == Some(1) && h.sink.0.len() == 1
    });
    for _ in 0..10 {
        h.turn(Duration::from_millis(10));
    }
    let st = h.ep.stats();
    assert_eq!(st.bad_total(), 0, "framing broken: {st:?}");
    assert_eq!(h.sink.0, vec!["LONG|MES|1".to_string()]);
    let q = h.market.get("ESZ25_FUT_CME").unwrap();
    // The study may drop when the pipe is full (seq still counts), but never reorders: every
    // number up to the last one seen is either received or counted as missing.
    assert_eq!(q.updates + q.seq_gaps, q.last_seq.unwrap(), "{q:?}");
    assert!(q.updates > UPDATES / 2, "only {} of {UPDATES} ticks arrived", q.updates);
    eprintln!(
        "study → endpoint: {} of {UPDATES} ticks, {} dropped by the study",
        q.updates, q.seq_gaps
    );
}

/// The engine stalls (does not read) for the whole run: the study must drop and count instead
/// of blocking, and what it did write must still frame cleanly (partial writes completed).
#[test]
fn the_acsil_study_drops_instead_of_blocking_when_the_engine_stalls() {
    let Ok(driver) = std::env::var("V9BRIDGE_ACSIL_DRIVER") else {
        eprintln!("skipped: set V9BRIDGE_ACSIL_DRIVER (scripts/ci-windows.sh does)");
        return;
    };
    let mut h = Harness::new();
    let mut child =
        std::process::Command::new(driver).args([h.path.as_str(), "20000"]).spawn().unwrap();
    let end = std::time::Instant::now() + Duration::from_secs(120);
    // No loop turns at all while the study runs: a blocking study would never finish.
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < end, "the study blocked");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    h.run_until(Duration::from_secs(20), |h| {
        h.ep.stats().writer_connects == Some(1) && h.updates("ESZ25_FUT_CME") > 0
    });
    let mut idle = 0;
    while idle < 20 {
        let before = h.ep.stats().bytes;
        h.turn(Duration::from_millis(10));
        idle = if h.ep.stats().bytes == before { idle + 1 } else { 0 };
    }
    let st = h.ep.stats();
    assert_eq!(st.bad_total(), 0, "framing broken: {st:?}");
    let q = h.market.get("ESZ25_FUT_CME").unwrap();
    assert_eq!(q.updates + q.seq_gaps, q.last_seq.unwrap(), "{q:?}");
    // Every update changes the price, so each was one message: the rest were dropped.
    let last = q.last_seq.unwrap();
    assert!(last < 20_000, "the pipe never filled: {q:?}");
    eprintln!("stalled engine: {} of 20000 ticks arrived, the study dropped the rest", q.updates);
}
