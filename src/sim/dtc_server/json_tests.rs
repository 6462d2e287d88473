//! The simulator's JSON as a Sierra Chart JSON client sees it: no unset markers, no types the
//! 2020-header WebSocket clients cannot parse (unless asked for with flags).

use super::{spawn, DtcServerArgs};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a python-ws-dtc-client style session sends: logon, one subscription, a market order.
const SESSION: [&str; 3] = [
    r#"{"ClientName":"DTC Client","HeartbeatIntervalInSeconds":60,"ProtocolVersion":8,"Type":1}"#,
    r#"{"RequestAction":1,"Symbol":"ESZ6_FUT_CME","SymbolID":7,"Type":101}"#,
    r#"{"BuySell":1,"ClientOrderID":"py1","OrderType":1,"Quantity":1,"Symbol":"XAUUSD","TradeAccount":"Sim1","Type":208}"#,
];

/// Runs a session against a simulator with `args`; returns every message received as text,
/// once an ORDER_UPDATE and at least `md` market-data messages (types 106..=146) arrived.
fn session(args: DtcServerArgs, ws: bool, md: usize) -> Vec<String> {
    let stop = Arc::new(AtomicBool::new(false));
    let args = DtcServerArgs { tick_ms: 2, ..args };
    let (addr, h) = spawn(&args, stop.clone()).unwrap();
    let got = if ws { ws_session(addr, md) } else { tcp_session(addr, md) };
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap().unwrap();
    got
}

fn done(got: &[String], md: usize) -> bool {
    let types: Vec<u64> = got.iter().map(|t| type_of(t)).collect();
    types.contains(&301) && types.iter().filter(|&&t| (106..=146).contains(&t)).count() >= md
}

fn type_of(text: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    v["Type"].as_u64().unwrap()
}

fn tcp_session(addr: SocketAddr, md: usize) -> Vec<String> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    for m in SESSION {
        s.write_all(m.as_bytes()).unwrap();
        s.write_all(&[0]).unwrap();
    }
    let (mut buf, mut got) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&got, md) && Instant::now() < deadline {
        let mut chunk = [0u8; 4096];
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => continue,
        }
        while let Some(end) = buf.iter().position(|&b| b == 0) {
            got.push(String::from_utf8(buf[..end].to_vec()).unwrap());
            buf.drain(..=end);
        }
    }
    got
}

fn ws_session(addr: SocketAddr, md: usize) -> Vec<String> {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://{addr}/"), s).unwrap();
    for m in SESSION {
        ws.send(tungstenite::Message::text(format!("{m}\0"))).unwrap();
    }
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&got, md) && Instant::now() < deadline {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => got.push(t.as_str().to_string()),
            Ok(_) => {}
            Err(tungstenite::Error::Io(_)) => continue,
            Err(e) => panic!("{e}"),
        }
    }
    got
}

/// The markers as our JSON writer prints them: DBL_MAX, FLT_MAX, UINT_MAX.
const MARKERS: [&str; 3] = ["1.7976931348623157e308", "3.4028235e38", "4294967295"];

fn markers_in(got: &[String]) -> Vec<&str> {
    got.iter().flat_map(|t| MARKERS.iter().filter(|m| t.contains(*m)).map(|_| t.as_str())).collect()
}

#[test]
fn json_sends_unset_fields_as_zero() {
    for (ws, encoding) in [(false, "json"), (false, "compact"), (true, "json")] {
        let args = DtcServerArgs { encoding: encoding.into(), ..Default::default() };
        let got = session(args, ws, 20);
        assert!(done(&got, 20), "ws {ws} {encoding}: {got:?}");
        assert_eq!(markers_in(&got), Vec::<&str>::new(), "ws {ws} {encoding}");
        // The snapshot's unset session fields and the market order's Price1 are there, as 0.
        let snap = got.iter().find(|t| type_of(t) == 104).unwrap();
        let order = got.iter().find(|t| type_of(t) == 301).unwrap();
        if encoding == "json" {
            assert!(snap.contains(r#""SessionSettlementPrice":0,"#), "{snap}");
            assert!(snap.contains(r#""SessionNumTrades":0,"#), "{snap}");
            assert!(order.contains(r#""Price1":0,"#), "{order}");
        }
    }
    let old = DtcServerArgs { json_unset_markers: true, ..Default::default() };
    let got = session(old, false, 1);
    assert!(!markers_in(&got).is_empty(), "--json-unset-markers keeps them: {got:?}");
}

#[test]
fn websocket_clients_get_no_types_143_or_146() {
    // Three rounds of the eight market-data variants.
    let got = session(DtcServerArgs::default(), true, 24);
    let types: Vec<u64> = got.iter().map(|t| type_of(t)).collect();
    assert!(types.contains(&108) && types.contains(&137), "stand-ins sent: {types:?}");
    assert!(!types.contains(&143) && !types.contains(&146), "{types:?}");
    let all = DtcServerArgs { ws_all_variants: true, ..Default::default() };
    let types: Vec<u64> = session(all, true, 24).iter().map(|t| type_of(t)).collect();
    assert!(types.contains(&143) && types.contains(&146), "--ws-all-variants: {types:?}");
    // TCP JSON clients get every variant by default.
    let tcp = DtcServerArgs { encoding: "json".into(), ..Default::default() };
    let types: Vec<u64> = session(tcp, false, 24).iter().map(|t| type_of(t)).collect();
    assert!(types.contains(&143) && types.contains(&146), "TCP: {types:?}");
}
