//! The operator surface over loopback: REST JSON, health, metrics, control, bad requests, and
//! the market-data WebSocket, against a real engine (the independent client is tests/ops/*.py).

mod support;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;
use support::engine::*;
use v9bridge::config::Config;
use v9bridge::engine::Engine;
use v9bridge::market::{Feed, TickUpdate};

const TOKEN: &str = "test-token-0123";

fn ops_config(token: Option<&str>) -> Config {
    let mut cfg = test_config();
    cfg.ops.listen = "127.0.0.1:0".parse().unwrap();
    cfg.ops.publish_ms = 20;
    cfg.ops.token = token.map(Into::into);
    cfg
}

/// An engine with its operator surface; (engine, ops address).
fn start_ops(cfg: Config) -> (Running, SocketAddr) {
    let mut engine = Engine::new(&cfg).unwrap().with_ops(&cfg).unwrap();
    let ops = engine.ops().expect("ops on").local_addr();
    let handle = engine.handle();
    let addr = handle.v9_addr();
    let thread = std::thread::spawn(move || engine.run());
    (Running { handle, addr, thread: Some(thread) }, ops)
}

/// One HTTP/1.1 exchange on a fresh connection: (status, body).
fn http(ops: SocketAddr, method: &str, path: &str, headers: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(ops).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

fn get(ops: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let (status, body) = http(ops, "GET", path, "", b"");
    (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
}

#[test]
fn v9_state_health_latency_and_market_as_json() {
    let (e, ops) = start_ops(ops_config(None));
    let mut r = Raw::receiver(e.addr, "Copier-A");
    r.send("HEARTBEAT|Copier-A");
    r.send("POSITION|Acc1|LONG|2|4520.50|+150.00|2026-01-27T18:05:30Z|Symbol:MES");
    r.send("POSITION|Acc2|SHORT|1|4521.00|-12.50|Symbol:MES");
    r.send("POSITION_SUMMARY|2|3|+137.50|4520.66|LONG:1,SHORT:1");
    let tick = |_: &mut _, c: &mut v9bridge::engine::CallCtx<'_>| {
        let t = TickUpdate {
            symbol: "ES",
            bid: Some(5000.0),
            ask: Some(5000.25),
            last: Some(5000.25),
            ..Default::default()
        };
        c.market.apply(&t, Feed::Pipe, c.now);
    };
    e.handle.call(tick, WAIT).unwrap();
    wait_for("two positions in /api/v1/positions", || {
        get(ops, "/api/v1/positions").1["positions"].as_array().is_some_and(|p| p.len() == 2)
    });
    let (status, v) = get(ops, "/api/v1/receivers");
    assert_eq!(status, 200);
    let rec = &v["receivers"][0];
    assert_eq!(rec["name"], "Copier-A");
    assert_eq!(rec["accounts"], 20);
    assert!(rec["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(rec["connected_since_ns"].as_i64().unwrap() > 0);
    assert!(rec["last_heartbeat_ns"].as_i64().unwrap() > 0);
    let (_, v) = get(ops, "/api/v1/positions?account=Acc2");
    let p = &v["positions"][0];
    assert_eq!((p["direction"].as_str(), p["signed_qty"].as_i64()), (Some("SHORT"), Some(-1)));
    assert_eq!((p["symbol"].as_str(), p["out_of_sync"].as_bool()), (Some("MES"), Some(false)));
    let (status, v) = get(ops, "/api/v1/health");
    assert_eq!((status, v["status"].as_str()), (200, Some("ok")), "{v}");
    let (_, v) = get(ops, "/api/v1/latency");
    assert_eq!(v["quantiles"][0], 0.5);
    assert!(v["histograms"].as_array().unwrap().iter().any(|h| h["name"] == "engine.loop_turn"));
    wait_for("the ES quote in /api/v1/market", || {
        get(ops, "/api/v1/market").1["quotes"][0]["symbol"] == "ES"
    });
    let (_, v) = get(ops, "/api/v1/market");
    assert_eq!(
        (v["quotes"][0]["bid"].as_f64(), v["quotes"][0]["feed"].as_str()),
        (Some(5000.0), Some("pipe"))
    );
    let (status, text) = http(ops, "GET", "/metrics", "", b"");
    assert_eq!(status, 200);
    assert!(text.contains("# TYPE v9bridge_latency_seconds summary"), "{text}");
    assert!(text.contains("v9bridge_receivers 1\n"), "{text}");
    let (status, page) = http(ops, "GET", "/", "", b"");
    assert!(status == 200 && page.to_ascii_lowercase().contains("<!doctype html"), "{page}");
}

#[test]
fn bad_requests_are_answered_and_bounded() {
    let (_e, ops) = start_ops(ops_config(Some(TOKEN)));
    assert_eq!(get(ops, "/nope").0, 404);
    assert_eq!(http(ops, "DELETE", "/api/v1/positions", "", b"").0, 405);
    let big = vec![b'x'; 65 * 1024];
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    assert_eq!(http(ops, "POST", "/api/v1/signals", &auth, &big).0, 413);
    let (status, body) = http(ops, "POST", "/api/v1/signals", &auth, b"{not json");
    assert_eq!(status, 400, "{body}");
    let (status, body) =
        http(ops, "POST", "/api/v1/signals", &auth, br#"{"action":"BUY","symbol":"ES","qty":1}"#);
    assert_eq!(status, 422, "{body}");
    let (status, body) =
        http(ops, "POST", "/api/v1/signals", &auth, br#"{"action":"LONG","symbol":"ES","qty":0}"#);
    assert_eq!(status, 422, "{body}");
    let mut s = TcpStream::connect(ops).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(b"\x16\x03\x01 not http at all\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
}

#[test]
fn control_needs_the_token_and_publishes_through_the_v9_server() {
    let (e, ops) = start_ops(ops_config(Some(TOKEN)));
    let mut r = Raw::receiver(e.addr, "Copier-B");
    let body = br#"{"action":"LONG","symbol":"MES","qty":2,"tp":4700.25}"#;
    assert_eq!(http(ops, "POST", "/api/v1/signals", "", body).0, 401);
    let wrong = "Authorization: Bearer not-the-token\r\n";
    let (status, text) = http(ops, "POST", "/api/v1/signals", wrong, body);
    assert_eq!(status, 401);
    assert!(!text.contains(TOKEN));
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    let (status, text) = http(ops, "POST", "/api/v1/signals", &auth, body);
    assert_eq!(status, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!((v["id"].as_u64(), v["receivers"].as_u64()), (Some(1), Some(1)));
    assert_eq!(r.line(), "LONG|MES|2|TP:4700.25|ID:1");
    let (status, text) = http(ops, "POST", "/api/v1/flatten-all", &auth, b"");
    assert_eq!(status, 200, "{text}");
    assert_eq!(r.line(), "FLATTEN|ALL|0|ID:2");
    let (_, v) = get(ops, "/api/v1/signals");
    let ids: Vec<u64> =
        v["signals"].as_array().unwrap().iter().map(|s| s["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [2, 1]);
    assert_eq!(v["signals"][1]["source"], "ops");

    let (e2, ops2) = start_ops(ops_config(None));
    let (status, text) = http(ops2, "POST", "/api/v1/flatten-all", &auth, b"");
    assert_eq!(status, 403, "without a configured token control is off: {text}");
    drop(e2);
    drop(e);
}

#[test]
fn a_posted_signal_passes_the_risk_gates_like_a_publishers() {
    let mut cfg = ops_config(Some(TOKEN));
    cfg.risk.max_qty = 5;
    let (e, ops) = start_ops(cfg);
    let mut r = Raw::receiver(e.addr, "Copier-R");
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    let big = br#"{"action":"LONG","symbol":"MES","qty":9}"#;
    let (status, text) = http(ops, "POST", "/api/v1/signals", &auth, big);
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("RISK_REJECTED|MAX_QTY"), "{text}");
    let ok = br#"{"action":"LONG","symbol":"MES","qty":5}"#;
    let (status, text) = http(ops, "POST", "/api/v1/signals", &auth, ok);
    assert_eq!(status, 200, "{text}");
    // The refused one used no id and reached nobody.
    assert_eq!(r.line(), "LONG|MES|5|ID:1");
    drop(e);
}

#[test]
fn signals_written_are_listed_with_each_receivers_acknowledgement() {
    let (e, ops) = start_ops(ops_config(None));
    let mut a = Raw::receiver(e.addr, "R1");
    let mut b = Raw::receiver(e.addr, "R2");
    let mut p = Raw::publisher(e.addr, None);
    p.send("SHORT|NQ|3");
    assert_eq!(p.line(), "SIGNAL_ACK|1|2");
    for r in [&mut a, &mut b] {
        assert_eq!(r.line(), "SHORT|NQ|3|ID:1");
    }
    a.send("POSITION_SUMMARY|20|60|-15.00|18000.25|LONG:0,SHORT:20|ID:1");
    wait_for("signal 1 with R1's ack", || {
        let v = get(ops, "/api/v1/signals").1;
        v["signals"][0]["acks"].as_array().is_some_and(|a| a.len() == 1)
    });
    let v = get(ops, "/api/v1/receivers").1;
    let r2 = v["receivers"].as_array().unwrap().iter().find(|r| r["name"] == "R2").unwrap();
    assert_eq!(r2["pending_summaries"], 1, "R2 has not answered #1: {r2}");
    b.send("POSITION_SUMMARY|20|60|-15.00|18000.25|LONG:0,SHORT:20|ID:1");
    wait_for("both acks", || {
        let v = get(ops, "/api/v1/signals").1;
        v["signals"][0]["acks"].as_array().is_some_and(|a| a.len() == 2)
    });
    let v = get(ops, "/api/v1/signals").1;
    let s = &v["signals"][0];
    assert_eq!(
        (s["id"].as_u64(), s["action"].as_str(), s["symbol"].as_str(), s["source"].as_str()),
        (Some(1), Some("SHORT"), Some("NQ"), Some("publisher"))
    );
    assert_eq!((s["receivers"].as_u64(), s["summaries"].as_u64()), (Some(2), Some(2)));
    let mut names: Vec<&str> =
        s["acks"].as_array().unwrap().iter().map(|a| a["receiver"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["R1", "R2"]);
    assert!(s["acks"][0]["latency_us"].as_f64().unwrap() > 0.0);
}

#[test]
fn health_says_503_when_the_loop_stalls() {
    let (e, ops) = start_ops(ops_config(None));
    wait_for("health 200", || get(ops, "/api/v1/health").0 == 200);
    // A call that holds the loop for 1.5 s: the ops thread keeps answering, with 503.
    let h = e.handle.clone();
    let stall = std::thread::spawn(move || {
        h.call(|_, _| std::thread::sleep(Duration::from_millis(1500)), WAIT).unwrap()
    });
    wait_for("health 503 while the loop is stuck", || get(ops, "/api/v1/health").0 == 503);
    stall.join().unwrap();
    wait_for("health 200 again", || get(ops, "/api/v1/health").0 == 200);
}

#[test]
fn market_data_websocket_speaks_python_ws_dtc_client() {
    let (e, ops) = start_ops(ops_config(None));
    let tick = |bid: f64| {
        move |_: &mut v9bridge::engine::Endpoints, c: &mut v9bridge::engine::CallCtx<'_>| {
            let t = TickUpdate {
                symbol: "ES",
                bid: Some(bid),
                ask: Some(bid + 0.25),
                ..Default::default()
            };
            c.market.apply(&t, Feed::Pipe, c.now);
        }
    };
    e.handle.call(tick(5000.0), WAIT).unwrap();
    wait_for("ES in the market state", || {
        get(ops, "/api/v1/market").1["quotes"][0]["symbol"] == "ES"
    });
    let s = TcpStream::connect(ops).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://{ops}/api/v1/marketdata"), s).unwrap();
    ws.send(tungstenite::Message::text(r#"{"action": "subscribe", "symbol": "ES"}"#)).unwrap();
    let read = |ws: &mut tungstenite::WebSocket<TcpStream>| -> serde_json::Value {
        serde_json::from_str(ws.read().unwrap().to_text().unwrap()).unwrap()
    };
    // Raw text: the field order is python-ws-dtc-client's.
    assert_eq!(
        ws.read().unwrap().to_text().unwrap(),
        r#"{"action":"subscribe","symbol":"ES","success":true}"#
    );
    let v = read(&mut ws);
    assert_eq!(
        (v["Type"].as_u64(), v["BidPrice"].as_f64(), v["Symbol"].as_str()),
        (Some(104), Some(5000.0), Some("ES"))
    );
    e.handle.call(tick(5001.0), WAIT).unwrap();
    let v = read(&mut ws);
    assert_eq!((v["Type"].as_u64(), v["BidPrice"].as_f64()), (Some(108), Some(5001.0)), "{v}");
    ws.send(tungstenite::Message::text(r#"{"action":"subscribe","symbol":"NOPE"}"#)).unwrap();
    let v = read(&mut ws);
    assert_eq!(
        (v["success"].as_bool(), v["reason"].as_str()),
        (Some(false), Some("unknown symbol"))
    );
    ws.send(tungstenite::Message::text("{oops")).unwrap();
    assert_eq!(read(&mut ws)["success"], false);
    ws.send(tungstenite::Message::text(r#"{"action":"unsubscribe","symbol":"ES"}"#)).unwrap();
    assert_eq!(
        ws.read().unwrap().to_text().unwrap(),
        r#"{"action":"unsubscribe","symbol":"ES","success":true}"#
    );
}

#[test]
fn positions_not_flat_after_a_flatten_check_are_out_of_sync_with_the_reason() {
    let mut cfg = ops_config(None);
    cfg.v9.flatten_check_ms = 100;
    let (e, ops) = start_ops(cfg);
    let mut r = Raw::receiver(e.addr, "Copier-C");
    r.send("POSITION|Acc1|LONG|2|4520.50|+10.00|Symbol:ES");
    r.send("POSITION|Acc2|LONG|1|4520.50|+5.00|Symbol:ES");
    wait_for("two positions", || {
        get(ops, "/api/v1/positions").1["positions"].as_array().is_some_and(|p| p.len() == 2)
    });
    let mut p = Raw::publisher(e.addr, None);
    p.send("FLATTEN|ES|0");
    assert!(r.line().starts_with("FLATTEN|ES|0|ID:"));
    r.send("POSITION|Acc2|FLAT|0|0|0|Symbol:ES"); // Acc1 never goes flat
    wait_for("Acc1 out of sync", || {
        let v = get(ops, "/api/v1/positions?out_of_sync=1").1;
        v["positions"].as_array().is_some_and(|p| p.len() == 1 && p[0]["account"] == "Acc1")
    });
    let v = get(ops, "/api/v1/positions?account=Acc1").1;
    let why = v["positions"][0]["why"].as_str().unwrap().to_string();
    assert!(why.contains("FLATTEN") && why.contains("LONG 2"), "{why}");
    let v = get(ops, "/api/v1/receivers").1;
    assert_eq!(v["receivers"][0]["out_of_sync"][0], "Acc1/ES LONG 2");
    r.send("POSITION|Acc1|FLAT|0|0|0|Symbol:ES");
    wait_for("back in sync", || get(ops, "/api/v1/positions").1["out_of_sync"] == 0);
}

#[test]
fn an_idle_engine_publishes_once_a_second_and_stays_healthy() {
    let (_e, ops) = start_ops(ops_config(None));
    wait_for("health 200", || get(ops, "/api/v1/health").0 == 200);
    // Nothing changes: timer runs (every 20 ms) skip the fill, one still goes out every second.
    let unchanged = || {
        let (_, text) = http(ops, "GET", "/metrics", "", b"");
        text.lines()
            .find_map(|l| l.strip_prefix("v9bridge_ops_unchanged_total "))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    wait_for("publishes skipped as unchanged", || unchanged() >= 20.0);
    assert_eq!(get(ops, "/api/v1/health").0, 200, "the heartbeat is stored on every timer run");
}

#[test]
fn a_position_that_drifts_from_the_signals_sent_is_out_of_sync_with_both_values() {
    let mut cfg = ops_config(None);
    cfg.journal.reconcile_grace_ms = 200;
    let (e, ops) = start_ops(cfg);
    let mut r = Raw::connect(e.addr);
    r.send("CONNECT|Copier-D|Account_Count:1|Version:1.0|Accounts:D1");
    assert!(r.line().starts_with("READY|"));
    let mut p = Raw::publisher(e.addr, None);
    p.send("LONG|MES|2");
    assert_eq!(r.line(), "LONG|MES|2|ID:1");
    r.send("POSITION|D1|LONG|1|4520.50|+0.00|Symbol:MES"); // one contract short of the signal
    wait_for("D1 flagged by reconciliation", || {
        let v = get(ops, "/api/v1/positions?out_of_sync=1").1;
        v["positions"].as_array().is_some_and(|p| p.len() == 1 && p[0]["account"] == "D1")
    });
    let v = get(ops, "/api/v1/positions?account=D1").1;
    let why = v["positions"][0]["why"].as_str().unwrap().to_string();
    assert!(why.contains("expected 2") && why.contains("reported 1"), "{why}");
    r.send("POSITION|D1|LONG|2|4520.50|+0.00|Symbol:MES");
    wait_for("back in sync", || get(ops, "/api/v1/positions").1["out_of_sync"] == 0);
}

#[test]
fn a_loss_breach_shows_in_the_risk_api_and_the_metrics_until_the_account_is_armed() {
    let mut cfg = ops_config(Some(TOKEN));
    let r = Config::from_toml("[risk.accounts.Apex1]\ndaily_loss = 100.0\n").unwrap();
    cfg.risk = r.risk;
    let (e, ops) = start_ops(cfg);
    let mut rx = Raw::receiver(e.addr, "Copier-L");
    rx.send("POSITION|Apex1|LONG|1|4500.00|+0.00|Symbol:ES");
    rx.send("POSITION|Apex1|LONG|1|4500.00|-40.00|Symbol:ES");
    let account = |v: &serde_json::Value| v["risk"]["accounts"][0].clone();
    wait_for("Apex1's headroom", || account(&get(ops, "/api/v1/risk").1)["loss_left"] == 60.0);
    rx.send("POSITION|Apex1|LONG|1|4500.00|-100.00|Symbol:ES");
    wait_for("Apex1 excluded", || account(&get(ops, "/api/v1/risk").1)["excluded"] == true);
    let (_, v) = get(ops, "/api/v1/risk");
    assert_eq!(v["risk"]["excluded"], 1);
    let a = account(&v);
    assert_eq!(
        (a["account"].as_str(), a["breached"].as_str()),
        (Some("Apex1"), Some("DAILY_LOSS"))
    );
    assert_eq!((a["loss_left"].as_f64(), a["session_pnl"].as_f64()), (Some(0.0), Some(-100.0)));
    let (_, metrics) = http(ops, "GET", "/metrics", "", b"");
    assert!(metrics.contains("v9bridge_account_excluded{account=\"Apex1\"} 1\n"), "{metrics}");
    assert!(metrics.contains("v9bridge_account_loss_left{account=\"Apex1\"} 0\n"), "{metrics}");
    assert!(metrics.contains("v9bridge_account_drawdown_left{account=\"Apex1\"} NaN\n"));

    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    assert_eq!(http(ops, "POST", "/api/v1/arm", "", br#"{"account":"Apex1"}"#).0, 401);
    // `v9bridge arm --account` goes through the same route.
    let cli = |token: &str| {
        let args = ["arm", "--account", "Apex1", "--ops", &ops.to_string(), "--ops-token", token];
        std::process::Command::new(env!("CARGO_BIN_EXE_v9bridge")).args(args).output().unwrap()
    };
    let out = cli("wrong-token");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("401"));
    let out = cli(TOKEN);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.contains("account Apex1 re-armed"), "{said}");
    wait_for("Apex1 re-armed", || account(&get(ops, "/api/v1/risk").1)["excluded"] == false);
    let (status, text) = http(ops, "POST", "/api/v1/arm", &auth, br#"{"account":"Apex1"}"#);
    assert_eq!(status, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!((v["action"].as_str(), v["changed"].as_bool()), (Some("arm_account"), Some(false)));
    drop(e);
}
