//! Bad input in both directions: skipped and counted, or the connection is reset; never a panic.

mod dtc_common;
use dtc_common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use v9bridge::dtc::cli::MiniLoop;
use v9bridge::dtc::messages::*;
use v9bridge::dtc::{binary, DtcEndpoint, Message};

const WAIT: Duration = Duration::from_secs(10);

fn bin(m: impl Into<Message>) -> Vec<u8> {
    let mut v = Vec::new();
    binary::encode(&m.into(), &mut v);
    v
}

fn read_binary_frame(s: &mut TcpStream) -> Vec<u8> {
    let mut h = [0u8; 4];
    s.read_exact(&mut h).unwrap();
    let size = u16::from_le_bytes([h[0], h[1]]) as usize;
    let mut rest = vec![0u8; size - 4];
    s.read_exact(&mut rest).unwrap();
    [h.to_vec(), rest].concat()
}

fn read_until_nul(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    while s.read(&mut b).unwrap_or(0) == 1 && b[0] != 0 {
        out.push(b[0]);
    }
    out
}

#[test]
fn client_skips_bad_binary_messages_and_resets_on_unframeable_stream() {
    init_log();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let acc = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let n = acc.fetch_add(1, Ordering::SeqCst);
            if n > 0 {
                continue; // the reconnect is all we need to see
            }
            let req = read_binary_frame(&mut s);
            assert_eq!(&req[..4], &[16, 0, 6, 0]);
            s.write_all(&bin(EncodingResponse { encoding: 0, ..Default::default() })).unwrap();
            let logon = read_binary_frame(&mut s);
            assert_eq!(u16::from_le_bytes([logon[2], logon[3]]), 1);
            s.write_all(&bin(LogonResponse { result: 1, ..Default::default() })).unwrap();
            let mut junk = vec![8u8, 0, 0x0f, 0x27, 1, 2, 3, 4]; // unknown type 9999
            junk.extend(bin(MarketDataUpdateTrade {
                symbol_id: 99,
                price: 1.0,
                ..Default::default()
            })); // unknown SymbolID
            junk.extend(bin(MarketDataUpdateTrade {
                symbol_id: 2,
                price: 7.25,
                volume: 1.0,
                ..Default::default()
            }));
            junk.extend([2u8, 0, 3, 0]); // Size 2: cannot be framed
            s.write_all(&junk).unwrap();
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("junk", &cfg(addr, "tcp", "binary", false)).unwrap();
    l.register(&mut c, 0).unwrap();
    let ok = l.run_until(&mut [&mut c], WAIT, |cs, _| {
        cs[0].stats().resets >= 1 && accepted.load(Ordering::SeqCst) >= 2
    });
    assert!(ok, "{:?} accepted {}", c.stats(), accepted.load(Ordering::SeqCst));
    assert!(c.stats().bad >= 2, "{:?}", c.stats());
    assert_eq!(
        l.market.get("XAUUSD").map(|q| q.last),
        Some(7.25),
        "good message between bad ones applied"
    );
}

#[test]
fn client_skips_bad_json_and_resets_on_oversized_message() {
    init_log();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let acc = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            if acc.fetch_add(1, Ordering::SeqCst) > 0 {
                continue;
            }
            let logon = read_until_nul(&mut s);
            assert!(logon.starts_with(b"{\"Type\":1,"), "{}", String::from_utf8_lossy(&logon));
            let mut out: Vec<u8> = Vec::new();
            out.extend(b"{\"Type\":2,\"Result\":1}\0");
            out.extend(b"{\"Type\":3,\"NumDroppedMessages\":\"x\"}\0");
            out.extend(b"not json at all\0");
            out.extend(b"{\"Type\":4242}\0\0\0");
            // Split across writes: the framer must buffer the tail.
            out.extend(b"{\"Type\":107,\"SymbolID\":2,\"Pri");
            s.write_all(&out).unwrap();
            std::thread::sleep(Duration::from_millis(50));
            s.write_all(b"ce\":5.5,\"Volume\":2}\0").unwrap();
            s.write_all(&vec![b' '; 70_000]).unwrap();
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    let mut conf = cfg(addr, "tcp", "json", false);
    conf.negotiate = false;
    conf.password = Some("hunter2".into());
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("jjunk", &conf).unwrap();
    l.register(&mut c, 0).unwrap();
    let ok = l.run_until(&mut [&mut c], WAIT, |cs, _| {
        cs[0].stats().resets >= 1 && accepted.load(Ordering::SeqCst) >= 2
    });
    assert!(ok, "{:?}", c.stats());
    assert_eq!(c.stats().bad, 3, "{:?}", c.stats());
    assert_eq!(l.market.get("XAUUSD").map(|q| q.last), Some(5.5));
}

#[test]
fn simulator_survives_garbage_and_keeps_serving() {
    init_log();
    let sim = Sim::start(args());
    // Size < 4 on a binary stream: the simulator closes that connection.
    let mut raw = TcpStream::connect(sim.addr).unwrap();
    raw.write_all(&[2, 0, 1, 0, 9, 9, 9]).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(raw.read(&mut buf).unwrap_or(0), 0, "closed");
    // Bad JSON after a JSON logon is skipped; the connection stays up.
    let mut j = TcpStream::connect(sim.addr).unwrap();
    j.write_all(b"{\"Type\":1,\"HeartbeatIntervalInSeconds\":5}\0{oops}\0{\"Type\":400,\"RequestID\":\"x\"}\0{\"Type\":400,\"RequestID\":7}\0")
        .unwrap();
    j.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains("\"Type\":401") {
        let n = j.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend(&buf[..n]);
    }
    // A WebSocket upgrade with garbage after it, then a normal client still works.
    let mut w = TcpStream::connect(sim.addr).unwrap();
    w.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\xff\xff").unwrap();
    drop(w);
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("ok", &cfg(sim.addr, "tcp", "binary", false)).unwrap();
    l.register(&mut c, 0).unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0].connection().synced()));
}

/// A raw server that answers the first logon with `resp`, counting connections.
fn logon_answering_server(resp: LogonResponse) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let acc = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            acc.fetch_add(1, Ordering::SeqCst);
            let _req = read_binary_frame(&mut s);
            s.write_all(&bin(EncodingResponse { encoding: 0, ..Default::default() })).unwrap();
            let _logon = read_binary_frame(&mut s);
            s.write_all(&bin(resp)).unwrap();
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    (addr, accepted)
}

#[test]
fn logon_redirect_and_do_not_reconnect() {
    init_log();
    let sim = Sim::start(args());
    let redirect = LogonResponse {
        result: 4,
        reconnect_address: sim.addr.to_string().as_str().into(),
        ..Default::default()
    };
    let (addr, n) = logon_answering_server(redirect);
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("redir", &cfg(addr, "tcp", "binary", false)).unwrap();
    l.register(&mut c, 0).unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0].connection().synced()), "{:?}", err(&c));
    assert_eq!(n.load(Ordering::SeqCst), 1);

    let refuse =
        LogonResponse { result: 3, result_text: "account disabled".into(), ..Default::default() };
    let (addr, n) = logon_answering_server(refuse);
    let mut c = DtcEndpoint::new("refused", &cfg(addr, "tcp", "binary", false)).unwrap();
    let mut l = MiniLoop::new().unwrap();
    l.register(&mut c, 0).unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0].connection().phase()
        == v9bridge::dtc::session::Phase::Stopped));
    assert!(err(&c).contains("account disabled"));
    l.run_until(&mut [&mut c], Duration::from_millis(500), |_, _| false);
    assert_eq!(n.load(Ordering::SeqCst), 1, "no reconnect after LOGON_ERROR_NO_RECONNECT");
}

#[test]
fn market_data_waits_for_security_definitions_then_falls_back() {
    init_log();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::<u16>::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else { return };
        let _req = read_binary_frame(&mut s);
        s.write_all(&bin(EncodingResponse { encoding: 0, ..Default::default() })).unwrap();
        let _logon = read_binary_frame(&mut s);
        let resp =
            LogonResponse { result: 1, security_definitions_supported: 1, ..Default::default() };
        s.write_all(&bin(resp)).unwrap();
        // Never answers the security-definition requests.
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        loop {
            let mut h = [0u8; 4];
            if s.read_exact(&mut h).is_err() {
                return;
            }
            let size = u16::from_le_bytes([h[0], h[1]]) as usize;
            let mut rest = vec![0u8; size.saturating_sub(4)];
            if s.read_exact(&mut rest).is_err() {
                return;
            }
            log.lock().unwrap().push(u16::from_le_bytes([h[2], h[3]]));
        }
    });
    let mut conf = cfg(addr, "tcp", "binary", false);
    conf.trading = false;
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("secdef", &conf).unwrap();
    l.register(&mut c, 0).unwrap();
    let ok = l.run_until(&mut [&mut c], Duration::from_secs(12), |_, _| {
        seen.lock().unwrap().contains(&101)
    });
    assert!(ok, "subscribed after the wait");
    let seen = seen.lock().unwrap();
    let first_secdef = seen.iter().position(|&t| t == 506).unwrap();
    let first_md = seen.iter().position(|&t| t == 101).unwrap();
    assert!(first_secdef < first_md);
}

/// A raw server answering every logon with `resp(n)` (n = connection index), then idling.
fn scripted_server(
    resp: impl Fn(usize) -> Vec<u8> + Send + 'static,
) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let acc = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let n = acc.fetch_add(1, Ordering::SeqCst);
            let _req = read_binary_frame(&mut s);
            let _ = s.write_all(&bin(EncodingResponse { encoding: 0, ..Default::default() }));
            let _logon = read_binary_frame(&mut s);
            let _ = s.write_all(&resp(n));
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    (addr, accepted)
}

fn redirect_to(a: &str) -> Vec<u8> {
    bin(LogonResponse { result: 4, reconnect_address: a.into(), ..Default::default() })
}

#[test]
fn redirects_are_capped_and_fall_back_to_the_configured_address() {
    init_log();
    // B always redirects to itself; A redirects to B.
    let nb = Arc::new(AtomicUsize::new(0));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = listener.local_addr().unwrap();
    let nb2 = nb.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            nb2.fetch_add(1, Ordering::SeqCst);
            let _req = read_binary_frame(&mut s);
            let _ = s.write_all(&bin(EncodingResponse { encoding: 0, ..Default::default() }));
            let _logon = read_binary_frame(&mut s);
            let _ = s.write_all(&redirect_to(&b.to_string()));
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let bs = b.to_string();
    let (a, na) = scripted_server(move |_| redirect_to(&bs));
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("loop", &cfg(a, "tcp", "binary", false)).unwrap();
    l.register(&mut c, 0).unwrap();
    let ok = l.run_until(&mut [&mut c], WAIT, |_, _| na.load(Ordering::SeqCst) >= 2);
    assert!(ok, "fell back to the configured address");
    let at_b = nb.load(Ordering::SeqCst);
    assert!((2..=4).contains(&at_b), "3 redirects per logon at most: {at_b} connects at B");
}

#[test]
fn non_literal_or_unreachable_redirects_are_not_followed() {
    init_log();
    // A dead port: bind, note, drop.
    let dead = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let (a, na) =
        scripted_server(
            move |n| {
                if n == 0 {
                    redirect_to("localhost:11099")
                } else {
                    redirect_to(&dead)
                }
            },
        );
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("nolit", &cfg(a, "tcp", "binary", false)).unwrap();
    l.register(&mut c, 0).unwrap();
    // 0: non-literal -> A again; 1: dead port -> connect fails -> A again.
    let ok = l.run_until(&mut [&mut c], WAIT, |_, _| na.load(Ordering::SeqCst) >= 3);
    assert!(ok, "back at the configured address each time: {:?}", err(&c));
}

#[test]
fn second_logon_response_does_not_duplicate_subscriptions() {
    init_log();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::<u16>::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else { return };
        let _req = read_binary_frame(&mut s);
        s.write_all(&bin(EncodingResponse { encoding: 0, ..Default::default() })).unwrap();
        let _logon = read_binary_frame(&mut s);
        let ok = bin(LogonResponse { result: 1, ..Default::default() });
        s.write_all(&ok).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        s.write_all(&ok).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        loop {
            let mut h = [0u8; 4];
            if s.read_exact(&mut h).is_err() {
                return;
            }
            let size = u16::from_le_bytes([h[0], h[1]]) as usize;
            let mut rest = vec![0u8; size.saturating_sub(4)];
            if s.read_exact(&mut rest).is_err() {
                return;
            }
            log.lock().unwrap().push(u16::from_le_bytes([h[2], h[3]]));
        }
    });
    let mut conf = cfg(addr, "tcp", "binary", false);
    conf.trading = false;
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("twice", &conf).unwrap();
    l.register(&mut c, 0).unwrap();
    l.run_until(&mut [&mut c], Duration::from_millis(1000), |_, _| false);
    assert!(c.connection().is_logged_on());
    let md = seen.lock().unwrap().iter().filter(|&&t| t == 101).count();
    assert_eq!(md, 2, "one MARKET_DATA_REQUEST per symbol");
}

#[test]
fn unsupported_encoding_gives_up() {
    init_log();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            n2.fetch_add(1, Ordering::SeqCst);
            let _req = read_binary_frame(&mut s);
            // 1 = binary with variable-length strings, 4 = protobuf: both unsupported.
            let _ = s.write_all(&bin(EncodingResponse { encoding: 4, ..Default::default() }));
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("vls", &cfg(addr, "tcp", "binary", false)).unwrap();
    l.register(&mut c, 0).unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0].connection().phase()
        == v9bridge::dtc::session::Phase::Stopped));
    assert!(err(&c).contains("encoding 4"), "{:?}", err(&c));
    l.run_until(&mut [&mut c], Duration::from_millis(500), |_, _| false);
    assert_eq!(n.load(Ordering::SeqCst), 1);
}

fn json_msg(m: impl Into<Message>) -> Vec<u8> {
    let mut v = Vec::new();
    v9bridge::dtc::json::encode(&m.into(), &mut v);
    v.push(0);
    v
}

#[test]
fn json_zero_prices_are_unset_not_quotes() {
    init_log();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else { return };
        let _logon = read_until_nul(&mut s);
        s.write_all(&json_msg(LogonResponse { result: 1, ..Default::default() })).unwrap();
        let real = MarketDataSnapshot {
            symbol_id: 2,
            bid_price: 100.0,
            ask_price: 101.0,
            bid_quantity: 5.0,
            ask_quantity: 6.0,
            last_trade_price: 100.5,
            last_trade_volume: 2.0,
            session_high_price: 110.0,
            ..Default::default()
        };
        // Sierra Chart style: every unset field is 0.
        let zeros = MarketDataSnapshot {
            symbol_id: 2,
            bid_price: 0.0,
            ask_price: 102.0,
            bid_quantity: 0.0,
            ask_quantity: 0.0,
            last_trade_price: 0.0,
            last_trade_volume: 0.0,
            session_high_price: 0.0,
            session_low_price: 0.0,
            session_open_price: 0.0,
            session_settlement_price: 0.0,
            session_volume: 0.0,
            ..Default::default()
        };
        let ba = MarketDataUpdateBidAsk {
            symbol_id: 2,
            bid_price: 0.0,
            bid_quantity: 0.0,
            ask_price: 103.0,
            ask_quantity: 7.0,
            ..Default::default()
        };
        let trade =
            MarketDataUpdateTrade { symbol_id: 2, price: 0.0, volume: 0.0, ..Default::default() };
        let mut all = json_msg(real);
        all.extend(json_msg(zeros));
        all.extend(json_msg(ba));
        all.extend(json_msg(trade));
        s.write_all(&all).unwrap();
        std::thread::sleep(Duration::from_secs(3));
    });
    let mut conf = cfg(addr, "tcp", "json", false);
    conf.negotiate = false;
    conf.trading = false;
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("zeros", &conf).unwrap();
    l.register(&mut c, 0).unwrap();
    let ok =
        l.run_until(&mut [&mut c], WAIT, |_, m| m.get("XAUUSD").is_some_and(|q| q.ask == 103.0));
    assert!(ok, "{:?}", err(&c));
    l.run_until(&mut [&mut c], Duration::from_millis(200), |_, _| false);
    let q = l.market.get("XAUUSD").unwrap();
    assert_eq!((q.bid, q.ask, q.last), (100.0, 103.0, 100.5));
    assert_eq!((q.bid_size, q.ask_size, q.volume), (5.0, 7.0, 2.0));
    // The later snapshot has no session high: unset, never 0.
    assert_eq!(session_stats(&c, "XAUUSD").unwrap().high, None);
}

#[test]
fn depth_snapshot_batch_replaces_the_book_and_rejections_reset_on_reconnect() {
    init_log();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut s) = stream else { return };
            let _req = read_binary_frame(&mut s);
            let _ = s.write_all(&bin(EncodingResponse { encoding: 0, ..Default::default() }));
            let _logon = read_binary_frame(&mut s);
            let _ = s.write_all(&bin(LogonResponse { result: 1, ..Default::default() }));
            let lvl = |side: u8, price: f32, fin: u8| {
                bin(MarketDepthSnapshotLevelFloat {
                    symbol_id: 2,
                    price,
                    quantity: 1.0,
                    side,
                    final_update_in_batch: fin,
                    ..Default::default()
                })
            };
            if n == 0 {
                let mut all = bin(MarketDataReject { symbol_id: 1, reject_text: "no CME".into() });
                // Batch 1, then batch 2 (BEGIN_BATCH 3, FALSE 2, TRUE 1).
                for m in [lvl(1, 100.0, 3), lvl(1, 99.0, 2), lvl(2, 101.0, 1)] {
                    all.extend(m);
                }
                for m in [lvl(1, 98.0, 3), lvl(2, 102.0, 1)] {
                    all.extend(m);
                }
                let _ = s.write_all(&all);
                std::thread::sleep(Duration::from_millis(700));
                // Dropped: the client reconnects, and this time nothing is rejected.
            } else {
                std::thread::sleep(Duration::from_secs(5));
            }
        }
    });
    let mut conf = cfg(addr, "tcp", "binary", false);
    conf.trading = false;
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("depth", &conf).unwrap();
    l.register(&mut c, 0).unwrap();
    let ok = l.run_until(&mut [&mut c], WAIT, |cs, _| {
        depth_top(cs[0], "XAUUSD").is_some_and(|t| t.1.is_some_and(|a| a.0 == 102.0))
    });
    assert!(ok, "{:?}", err(&c));
    let (bid, ask) = depth_top(&c, "XAUUSD").unwrap();
    assert_eq!(bid.map(|b| b.0), Some(98.0), "batch 2 replaced batch 1");
    assert_eq!(ask.map(|a| a.0), Some(102.0));
    assert_eq!(rejected(&c).len(), 1);
    let ok = l.run_until(&mut [&mut c], WAIT, |cs, _| {
        cs[0].connection().reconnects() > 0 && cs[0].connection().is_logged_on()
    });
    assert!(ok);
    assert!(rejected(&c).is_empty(), "{:?}", rejected(&c));
}
