//! The ops REST paths that ask the DTC server (`/exchangelist`, `/historicalaccountbalances`)
//! against a real engine and DTC servers over loopback: the simulator answers, a server that
//! logs on and then stays silent gets a clear 504, a refused request a 502.

mod support;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use support::engine::*;
use v9bridge::dtc::messages::*;
use v9bridge::dtc::{Codec, Encoding, Message};
use v9bridge::engine::Engine;

/// A DTC server that logs every client on (binary) and answers nothing else; `reject` answers
/// HISTORICAL_ACCOUNT_BALANCES_REQUEST with a 604 instead.
fn quiet_server(reject: bool) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || serve(s, reject));
        }
    });
    addr
}

fn serve(mut s: TcpStream, reject: bool) {
    let codec = Codec::new(Encoding::Binary, false);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = s.read(&mut chunk) {
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        while let Ok(Some((len, used))) = codec.next_frame(&buf) {
            let m = codec.decode(&buf[..len]);
            buf.drain(..used);
            let reply: Option<Message> = match m {
                Ok(Message::EncodingRequest(_)) => Some(EncodingResponse::default().into()),
                Ok(Message::LogonRequest(_)) => {
                    Some(LogonResponse { result: 1, ..Default::default() }.into())
                }
                Ok(Message::HistoricalAccountBalancesRequest(r)) if reject => Some(
                    HistoricalAccountBalancesReject {
                        request_id: r.request_id,
                        reject_text: "history not kept here".into(),
                    }
                    .into(),
                ),
                _ => None,
            };
            if let Some(r) = reply {
                let mut out = Vec::new();
                codec.encode(&r, &mut out, false);
                if s.write_all(&out).is_err() {
                    return;
                }
            }
        }
    }
}

fn engine_with_dtc(dtc: SocketAddr, wait_ms: u64) -> (Running, SocketAddr) {
    let mut cfg = test_config();
    cfg.ops.listen = "127.0.0.1:0".parse().unwrap();
    cfg.ops.publish_ms = 20;
    cfg.ops.dtc_wait_ms = wait_ms;
    let mut d = support::dtc::cfg(dtc, "tcp", "binary", false);
    d.depth_levels = 0;
    cfg.dtc.insert("q".into(), d);
    let mut engine = Engine::new(&cfg).unwrap().with_ops(&cfg).unwrap();
    let ops = engine.ops().expect("ops on").local_addr();
    let handle = engine.handle();
    let addr = handle.v9_addr();
    let thread = std::thread::spawn(move || engine.run());
    (Running { handle, addr, thread: Some(thread) }, ops)
}

/// GET `path` on a fresh connection: (status, JSON body).
fn get(ops: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let mut s = TcpStream::connect(ops).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}

fn logged_on(ops: SocketAddr) -> bool {
    let (_, v) = get(ops, "/api/v1/dtc");
    v["connections"][0]["logged_on"] == true
}

fn error_of(v: &serde_json::Value) -> String {
    v["error"].as_str().unwrap_or_default().to_string()
}

#[test]
fn a_silent_server_gets_a_clear_timeout_and_the_engine_carries_on() {
    let (e, ops) = engine_with_dtc(quiet_server(false), 300);
    wait_for("the DTC logon", || logged_on(ops));
    for path in ["/api/v1/exchangelist", "/api/v1/historicalaccountbalances?TradeAccount=A1"] {
        let (status, v) = get(ops, path);
        assert_eq!(status, 504, "{path}: {v}");
        assert!(error_of(&v).contains("no answer within 300 ms"), "{path}: {v}");
    }
    // The connection stays up, and other paths still answer.
    assert!(logged_on(ops));
    let (status, _) = get(ops, "/api/v1/health");
    assert_eq!(status, 200);
    e.stop();
}

#[test]
fn a_refused_request_and_bad_parameters_are_clear_errors() {
    let (e, ops) = engine_with_dtc(quiet_server(true), 5000);
    wait_for("the DTC logon", || logged_on(ops));
    let (status, v) = get(ops, "/api/v1/historicalaccountbalances");
    assert_eq!(status, 502, "{v}");
    assert!(error_of(&v).contains("history not kept here"), "{v}");
    let (status, v) = get(ops, "/api/v1/historicalaccountbalances?StartDateTime=soon");
    assert_eq!(status, 400, "{v}");
    let (status, v) = get(ops, "/api/v1/exchangelist?connection=other");
    assert_eq!(status, 404, "{v}");
    assert!(error_of(&v).contains("other"), "{v}");
    e.stop();
}

#[test]
fn the_simulator_answers_both_queries() {
    let mut sim = support::dtc::Sim::start(support::dtc::args());
    let (e, ops) = engine_with_dtc(sim.addr, 5000);
    wait_for("the DTC logon", || logged_on(ops));
    let (status, v) = get(ops, "/api/v1/exchangelist?connection=q");
    assert_eq!(status, 200, "{v}");
    let codes: Vec<&str> =
        v.as_array().unwrap().iter().filter_map(|x| x["Exchange"].as_str()).collect();
    assert_eq!(&codes[..4], ["CME", "CBOT", "NYMEX", "COMEX"]);
    let (status, v) = get(ops, "/api/v1/historicalaccountbalances?TradeAccount=Sim1");
    assert_eq!(status, 200, "{v}");
    let rows = v.as_array().unwrap();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r["TradeAccount"] == "Sim1" && r["Type"] == 606)
    );
    assert_eq!(rows.last().unwrap()["IsFinalResponse"], 1);
    e.stop();
    sim.stop();
}
