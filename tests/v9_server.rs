//! V9 server behaviour over loopback: every item of the spec's checklist plus errors and limits.

#[path = "v9_server/framing.rs"]
mod framing;
mod support;
use std::time::Duration;
use support::engine::*;

#[test]
fn connect_ready_and_heartbeat_ack_with_utc_time() {
    let e = start(test_config());
    let mut r = Raw::connect(e.addr);
    r.send("CONNECT|V9_CopyReceiver|Account_Count:20|Version:1.0");
    assert_eq!(
        no_epoch(&r.line()),
        "READY|1.0|Broadcast_Ready:Yes|Role:Receiver|Epoch:E|Last_ID:0"
    );
    r.send("HEARTBEAT|V9_CopyReceiver|Connected:20_Accounts");
    let ack = r.line();
    let f: Vec<&str> = ack.split('|').collect();
    assert_eq!((f[0], f[2]), ("HEARTBEAT_ACK", "All_Systems_OK"), "{ack}");
    let t = v9bridge::clock::parse_iso8601(f[1]).expect("ISO-8601 UTC time");
    assert!(f[1].ends_with('Z'));
    let now = v9bridge::clock::unix_nanos() / 1_000_000_000;
    assert!((t - now).abs() < 60, "server time {t} vs {now}");
}

#[test]
fn crlf_and_nul_terminators_work() {
    let e = start(test_config());
    let mut r = Raw::connect(e.addr);
    r.send_raw(b"CONNECT|a|Account_Count:1\r\n");
    assert!(r.line().starts_with("READY|"));
    r.send_raw(b"HEARTBEAT|a|x\0");
    assert!(r.line().starts_with("HEARTBEAT_ACK|"));
}

#[test]
fn broadcast_reaches_every_receiver_with_increasing_ids_and_same_bytes() {
    let e = start(test_config());
    let mut rs: Vec<Raw> = (0..3).map(|i| Raw::receiver(e.addr, &format!("r{i}"))).collect();
    let mut p = Raw::publisher(e.addr, None);
    p.send("LONG|MES|1");
    assert_eq!(p.line(), "SIGNAL_ACK|1|3");
    p.send("SHORT|NQ|2|TP:4700|SL:4650|TIF:GTC|Custom:x");
    assert_eq!(p.line(), "SIGNAL_ACK|2|3");
    p.send("FLATTEN|ALL|0");
    assert_eq!(p.line(), "SIGNAL_ACK|3|3");
    for r in &mut rs {
        assert_eq!(r.line(), "LONG|MES|1|ID:1");
        assert_eq!(r.line(), "SHORT|NQ|2|TP:4700|SL:4650|TIF:GTC|Custom:x|ID:2");
        assert_eq!(r.line(), "FLATTEN|ALL|0|ID:3");
    }
    // Receivers that read only the first three fields keep working.
    assert_eq!(e.stats().signals, 3);
}

#[test]
fn message_before_connect_is_a_protocol_error_and_closes() {
    let e = start(test_config());
    let mut r = Raw::connect(e.addr);
    r.send("HEARTBEAT|x|y");
    assert!(r.line().starts_with("ERROR|PROTOCOL_ERROR|CONNECT expected first"));
    assert!(r.closed());
}

#[test]
fn unknown_action_is_invalid_signal_and_keeps_the_connection() {
    let e = start(test_config());
    let mut p = Raw::publisher(e.addr, None);
    p.send("INVALID_ACTION|MES|1");
    assert_eq!(p.line(), "ERROR|INVALID_SIGNAL|Unknown action type|Action: INVALID_ACTION");
    p.send("LONG|MES|0");
    assert!(p.line().starts_with("ERROR|INVALID_SIGNAL|Opening signal needs a quantity"));
    p.send("LONG|ALL|1");
    assert!(p.line().starts_with("ERROR|INVALID_SIGNAL|"));
    p.send("HEARTBEAT|pub|ok");
    assert!(p.line().starts_with("HEARTBEAT_ACK|"), "still connected");
    p.send("LONG|MES|1");
    assert_eq!(p.line(), "SIGNAL_ACK|1|0");
}

#[test]
fn receivers_may_not_publish() {
    let e = start(test_config());
    let mut r = Raw::receiver(e.addr, "r");
    r.send("LONG|MES|1");
    assert!(r.line().starts_with("ERROR|INVALID_SIGNAL|Not a publisher"));
    r.send("HEARTBEAT|r|ok");
    assert!(r.line().starts_with("HEARTBEAT_ACK|"));
    assert_eq!(e.stats().signals, 0);
}

#[test]
fn malformed_oversized_and_non_utf8_input_close_with_protocol_error() {
    let e = start(test_config());
    let cases: Vec<Vec<u8>> = vec![
        b"POSITION|Account1|UP|1|4520.50|+1.00\n".to_vec(),
        b"POSITION|Account1|LONG|1|4520.50\n".to_vec(),
        b"HEARTBEAT|\xff\xfe|x\n".to_vec(),
        [vec![b'A'; 2000], b"\n".to_vec()].concat(),
    ];
    for bad in cases {
        let mut r = Raw::receiver(e.addr, "r");
        r.send_raw(&bad);
        let l = r.line();
        assert!(
            l.starts_with("ERROR|PROTOCOL_ERROR|"),
            "{l} for {:?}",
            String::from_utf8_lossy(&bad[..bad.len().min(40)])
        );
        assert!(r.closed());
    }
    // The server is unharmed.
    let mut ok = Raw::receiver(e.addr, "ok");
    ok.send("HEARTBEAT|ok|x");
    assert!(ok.line().starts_with("HEARTBEAT_ACK|"));
    assert!(e.stats().bad_messages >= 4);
}

#[test]
fn version_mismatch_is_refused() {
    let e = start(test_config());
    let mut r = Raw::connect(e.addr);
    r.send("CONNECT|x|Account_Count:1|Version:2.0");
    assert!(r.line().starts_with("ERROR|VERSION_MISMATCH|"));
    assert!(r.closed());
}

#[test]
fn silent_client_times_out() {
    let mut cfg = test_config();
    cfg.v9.client_timeout_s = 0.3;
    let e = start(cfg);
    let mut r = Raw::receiver(e.addr, "quiet");
    let l = r.line();
    assert!(l.starts_with("ERROR|TIMEOUT|"), "{l}");
    assert!(r.closed());
    assert_eq!(e.stats().timeouts, 1);
}

#[test]
fn client_disconnect_is_handled_gracefully() {
    let e = start(test_config());
    let r = Raw::receiver(e.addr, "gone");
    drop(r);
    let mut p = Raw::publisher(e.addr, None);
    wait_for("the closed receiver to be dropped", || !e.has_peer("gone"));
    p.send("LONG|ES|1");
    assert_eq!(p.line(), "SIGNAL_ACK|1|0");
}

#[test]
fn publisher_token_is_required_when_configured_and_never_logged() {
    let mut cfg = test_config();
    cfg.v9.publisher_token = Some("s3cret-token-0123".into());
    let e = start(cfg);
    for bad in [None, Some("wrong")] {
        let mut r = Raw::connect(e.addr);
        let tok = bad.map(|t| format!("|Token:{t}")).unwrap_or_default();
        r.send(&format!("CONNECT|pub|Account_Count:0|Role:Publisher{tok}"));
        assert!(r.line().starts_with("ERROR|UNAUTHORIZED|"));
        assert!(r.closed());
    }
    // Failed attempts throttle the address for a moment (even the right token waits).
    let mut p = publisher_when_allowed(e.addr, "s3cret-token-0123");
    p.send("LONG|MES|1");
    assert_eq!(p.line(), "SIGNAL_ACK|1|0");
    assert!(!e.report().to_string().contains("s3cret"));
}

#[test]
fn unterminated_peer_is_served_without_terminators() {
    let e = start(test_config());
    let mut r = Raw::connect(e.addr);
    r.send_raw(b"CONNECT|NoEol|Account_Count:2");
    let ready = r.read_chunk(WAIT);
    assert!(
        ready.starts_with(b"READY|1.0|") && !ready.contains(&b'\n'),
        "{:?}",
        String::from_utf8_lossy(&ready)
    );
    let mut p = Raw::publisher(e.addr, None);
    p.send("LONG|MES|1");
    assert_eq!(p.line(), "SIGNAL_ACK|1|1");
    assert_eq!(r.read_chunk(WAIT), b"LONG|MES|1|ID:1");
    // Two messages glued by Nagle still count as two.
    r.send_raw(b"POSITION|A1|LONG|1|4520.50|+0.00|2026-01-27T18:05:11Z|Symbol:MESPOSITION_SUMMARY|1|1|+0.00|4520.50|LONG:1,SHORT:0|ID:1");
    wait_for("the summary to be counted", || e.stats().summaries_with_id == 1);
    assert_eq!(e.stats().bad_messages, 0);
}

#[test]
fn positions_summaries_and_flatten_sync_are_tracked() {
    let mut cfg = test_config();
    cfg.v9.flatten_check_ms = 100;
    let e = start(cfg);
    let mut r = Raw::receiver(e.addr, "book");
    r.send("POSITION|Account1|LONG|1|4520.50|+150.00|2026-01-27T18:05:30Z");
    r.send("POSITION|Account2|LONG|1|4520.50|-75.50");
    r.send("POSITION_SUMMARY|2|2|+74.50|4520.50|LONG:2,SHORT:0");
    wait_for("the book", || {
        e.book("book").is_some_and(|b| {
            let s = b.summary.map(|s| (s.accounts, s.qty, s.pnl));
            b.totals == (2, 2, 2, 0) && b.pnl == 74.5 && s == Some((2, 2, 74.5)) && !b.mismatch
        })
    });
    r.send("POSITION_SUMMARY|2|3|+74.50|4520.50|LONG:2,SHORT:0");
    wait_for("the mismatch flag", || e.book("book").is_some_and(|b| b.mismatch));
    let mut p = Raw::publisher(e.addr, None);
    p.send("FLATTEN|ALL|0");
    assert_eq!(p.line(), "SIGNAL_ACK|1|1");
    assert_eq!(r.line(), "FLATTEN|ALL|0|ID:1");
    r.send("POSITION|Account1|FLAT|0|0.00|+150.00");
    // Account2 never goes flat: reported out of sync once the check runs.
    wait_for("the out-of-sync report", || {
        e.book("book").is_some_and(|b| b.out_of_sync == ["Account2 LONG 1"])
    });
}

#[test]
fn thousand_concurrent_clients_all_get_the_signal() {
    let e = start(test_config());
    let mut rs: Vec<Raw> = (0..1000).map(|i| Raw::receiver(e.addr, &format!("r{i}"))).collect();
    let mut p = Raw::publisher(e.addr, None);
    p.send("LONG|MES|1");
    assert_eq!(p.line(), "SIGNAL_ACK|1|1000");
    for r in &mut rs {
        assert_eq!(r.line(), "LONG|MES|1|ID:1");
    }
}

#[test]
fn stuck_receiver_is_dropped_and_others_get_everything() {
    let mut cfg = test_config();
    cfg.v9.max_output_bytes = 64 * 1024;
    let e = start(cfg);
    let mut stuck = Raw::receiver(e.addr, "stuck");
    let mut good = Raw::receiver(e.addr, "good");
    let mut p = Raw::publisher(e.addr, None);
    // ~500-byte signals: eight 60-byte pass-through options.
    let pad: String = (0..8).map(|i| format!("|P{i}:{}", "x".repeat(57))).collect();
    let mut sent = 0u64;
    // Kernel buffers absorb a few MB before our queue fills; bounded by a generous count.
    while e.stats().overflows == 0 {
        for _ in 0..100 {
            p.send(&format!("LONG|MES|1{pad}"));
            sent += 1;
        }
        for _ in 0..100 {
            let l = p.line();
            assert!(l.starts_with("SIGNAL_ACK|"), "{l}");
        }
        for _ in 0..100 {
            let l = good.line();
            assert!(l.starts_with("LONG|MES|1|P0:"), "{}", &l[..l.len().min(120)]);
        }
        assert!(sent < 400_000, "stuck receiver never dropped");
    }
    // If the stuck receiver reads now (within the close grace), the last thing it gets is the
    // error, on its own line, then EOF.
    let mut last = String::new();
    while let Some(l) = stuck.try_line(WAIT) {
        assert!(
            l.starts_with("LONG|MES|1|P0:") || l.starts_with("ERROR|"),
            "{}",
            &l[..l.len().min(80)]
        );
        last = l;
    }
    assert_eq!(last, "ERROR|OVERFLOW|Output queue full|Slow consumer");
    wait_for("the stuck receiver to be dropped", || !e.has_peer("stuck"));
    assert!(e.has_peer("good"));
}

#[test]
fn server_restart_receivers_reconnect() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let e = start(test_config());
    let addr = e.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(AtomicUsize::new(0));
    let args = v9bridge::sim::receiver::ReceiverArgs {
        connect: addr.to_string(),
        accounts: 3,
        ..Default::default()
    };
    let sim = v9bridge::sim::receiver::spawn(args, stop.clone(), ready.clone());
    wait_for("first READY", || ready.load(Ordering::SeqCst) == 1);
    e.stop();
    wait_for("the receiver to notice", || ready.load(Ordering::SeqCst) == 0);
    let mut cfg = test_config();
    cfg.v9.listen = addr;
    let e2 = start(cfg);
    wait_for("READY again on the restarted server", || ready.load(Ordering::SeqCst) == 1);
    let mut p = Raw::publisher(e2.addr, None);
    p.send("LONG|ES|2");
    assert_eq!(p.line(), "SIGNAL_ACK|1|1");
    wait_for("the receiver's positions", || e2.any_book(|b| (b.totals.0, b.totals.1) == (3, 6)));
    stop.store(true, Ordering::SeqCst);
    let report = sim.join().unwrap().unwrap();
    assert!(report.connections >= 2);
    assert!(report.server_errors.iter().any(|e| e.starts_with("SERVER_SHUTDOWN")));
    let _ = Duration::ZERO;
}

/// Connects as a publisher with `token`, retrying while the address is throttled.
fn publisher_when_allowed(addr: std::net::SocketAddr, token: &str) -> Raw {
    let until = std::time::Instant::now() + WAIT;
    loop {
        let mut r = Raw::connect(addr);
        r.send(&format!("CONNECT|pub|Account_Count:0|Role:Publisher|Token:{token}"));
        let l = r.line();
        if l.starts_with("READY|") {
            return r;
        }
        assert!(l.contains("Too many failed attempts"), "{l}");
        assert!(std::time::Instant::now() < until, "still throttled");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A READY line with its epoch (the start time without a journal) replaced by `E`.
fn no_epoch(line: &str) -> String {
    let f: Vec<String> = line
        .split('|')
        .map(|f| if f.starts_with("Epoch:") { "Epoch:E".to_string() } else { f.to_string() })
        .collect();
    f.join("|")
}
