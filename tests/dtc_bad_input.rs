//! Bad input in both directions: skipped and counted, or the connection is reset; never a panic.
//! Client-side cases run on an in-memory pair with a fake clock (no sockets, no sleeps).

mod support;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::dtc::miniloop::MiniLoop;
use support::dtc::pair::*;
use support::dtc::*;
use v9bridge::dtc::messages::*;
use v9bridge::dtc::{DtcEndpoint, Encoding, Message};

const WAIT: Duration = Duration::from_secs(10);

fn json_msg(m: impl Into<Message>) -> Vec<u8> {
    let mut v = Vec::new();
    v9bridge::dtc::json::encode(&m.into(), &mut v);
    v.push(0);
    v
}

#[test]
fn client_skips_bad_binary_messages_and_resets_on_unframeable_stream() {
    init_log();
    let mut p = Pair::new("junk", &pair_cfg(1));
    p.serve(
        1,
        Encoding::Binary,
        answers_logon(|n| {
            if n > 0 {
                return vec![logon_ok()]; // the reconnect is all we need to see
            }
            let mut junk = vec![8u8, 0, 0x0f, 0x27, 1, 2, 3, 4]; // unknown type 9999
                                                                 // Unknown SymbolID.
            junk.extend(bin(MarketDataUpdateTrade {
                symbol_id: 99,
                price: 1.0,
                ..Default::default()
            }));
            let good = MarketDataUpdateTrade {
                symbol_id: 2,
                price: 7.25,
                volume: 1.0,
                ..Default::default()
            };
            junk.extend(bin(good));
            junk.extend([2u8, 0, 3, 0]); // Size 2: cannot be framed
            vec![logon_ok(), Out::Bytes(junk)]
        }),
    );
    assert!(p.run_until(WAIT, |p| p.client.stats().resets >= 1 && p.accepted(1) >= 2));
    let st = p.client.stats();
    assert!(st.bad >= 2, "{st:?}");
    assert_eq!(p.market.get("XAUUSD").map(|q| q.last), Some(7.25), "good message between bad ones");
    assert!(p.sent_types(1).starts_with(&[6, 1]), "binary ENCODING_REQUEST, then LOGON_REQUEST");
}

#[test]
fn client_skips_bad_json_and_resets_on_oversized_message() {
    init_log();
    let mut conf = pair_cfg(1);
    conf.encoding = v9bridge::dtc::Encoding::Json;
    conf.negotiate = false;
    conf.password = Some("hunter2".into());
    let mut p = Pair::new("jjunk", &conf);
    p.serve(
        1,
        Encoding::Json,
        Box::new(|n, m| {
            if !matches!(m, Message::LogonRequest(_)) || n > 0 {
                return if n > 0 { vec![logon_ok()] } else { vec![] };
            }
            let mut out: Vec<u8> = Vec::new();
            out.extend(b"{\"Type\":2,\"Result\":1}\0");
            out.extend(b"{\"Type\":3,\"NumDroppedMessages\":\"x\"}\0");
            out.extend(b"not json at all\0");
            out.extend(b"{\"Type\":4242}\0\0\0");
            // Split across reads: the framer must buffer the tail.
            out.extend(b"{\"Type\":107,\"SymbolID\":2,\"Pri");
            let tail = b"ce\":5.5,\"Volume\":2}\0".to_vec();
            vec![Out::Bytes(out), Out::Bytes(tail), Out::Bytes(vec![b' '; 70_000])]
        }),
    );
    assert!(p.run_until(WAIT, |p| p.client.stats().resets >= 1 && p.accepted(1) >= 2));
    assert_eq!(p.client.stats().bad, 3, "{:?}", p.client.stats());
    assert_eq!(p.market.get("XAUUSD").map(|q| q.last), Some(5.5));
    let Some((_, Message::LogonRequest(r))) = p.sent.first() else { panic!("{:?}", p.sent) };
    assert_eq!(r.password.as_str(), "hunter2", "sent in JSON from the first byte");
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

#[test]
fn json_zero_prices_are_unset_not_quotes() {
    init_log();
    let mut conf = pair_cfg(1);
    conf.encoding = v9bridge::dtc::Encoding::Json;
    conf.negotiate = false;
    let mut p = Pair::new("zeros", &conf);
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
        ask_price: 103.0,
        ask_quantity: 7.0,
        bid_price: 0.0,
        ..Default::default()
    };
    let trade =
        MarketDataUpdateTrade { symbol_id: 2, price: 0.0, volume: 0.0, ..Default::default() };
    let mut all = json_msg(LogonResponse { result: 1, ..Default::default() });
    let ms: [Message; 4] = [real.into(), zeros.into(), ba.into(), trade.into()];
    for m in ms {
        all.extend(json_msg(m));
    }
    p.serve(1, Encoding::Json, answers_logon(move |_| vec![Out::Bytes(all.clone())]));
    p.drive();
    let q = p.market.get("XAUUSD").expect("quotes");
    assert_eq!((q.bid, q.ask, q.last), (100.0, 103.0, 100.5));
    assert_eq!((q.bid_size, q.ask_size, q.volume), (5.0, 7.0, 2.0));
    // The later snapshot has no session high: unset, never 0.
    let s = p.client.symbols().get("XAUUSD").unwrap().session;
    assert_eq!(s.high, None);
}

#[test]
fn alert_messages_are_decoded_and_logged_not_counted_as_bad() {
    init_log();
    let mut p = Pair::new("alert", &pair_cfg(1));
    // Built by hand at the current header's offsets: MessageText @4, TradeAccount @132, 164 bytes.
    let mut raw = vec![0u8; 164];
    raw[..4].copy_from_slice(&[164, 0, 0xbe, 0x02]);
    raw[4..4 + 14].copy_from_slice(b"margin call!\n\x07");
    raw[132..136].copy_from_slice(b"Sim1");
    let flood: Vec<Out> = (0..50).map(|_| Out::Bytes(raw.clone())).collect();
    p.serve(
        1,
        Encoding::Binary,
        answers_logon(move |_| {
            let mut v = vec![logon_ok()];
            v.extend(flood.iter().map(|o| match o {
                Out::Bytes(b) => Out::Bytes(b.clone()),
                _ => unreachable!(),
            }));
            v
        }),
    );
    p.drive();
    let st = p.client.stats();
    assert_eq!((st.alerts, st.bad), (50, 0), "{st:?}");
    let m = v9bridge::dtc::binary::decode(&raw).unwrap();
    let Message::AlertMessage(a) = m else { panic!("{m:?}") };
    assert_eq!((a.message_text.as_str(), a.trade_account.as_str()), ("margin call!\n\x07", "Sim1"));
}

#[test]
fn a_high_share_of_bad_input_is_warned_about_rate_limited() {
    init_log();
    let trade = |i: u32| {
        Out::Msg(
            MarketDataUpdateTrade {
                symbol_id: 2,
                price: 1.0 + i as f64,
                volume: 1.0,
                ..Default::default()
            }
            .into(),
        )
    };
    let junk = || Out::Bytes(vec![8u8, 0, 0x0f, 0x27, 1, 2, 3, 4]); // unknown type 9999
    let run = |good: u32, bad: u32, secs: u64| {
        let mut p = Pair::new("ratio", &pair_cfg(1));
        p.serve(
            1,
            Encoding::Binary,
            Box::new(move |_, m| match m {
                Message::EncodingRequest(_) => vec![Out::Msg(EncodingResponse::default().into())],
                Message::LogonRequest(_) => {
                    let mut v = vec![logon_ok()];
                    v.extend((0..good).map(trade));
                    v.extend((0..bad).map(|_| junk()));
                    v
                }
                // Every client heartbeat (5 s) is answered with more junk.
                Message::Heartbeat(_) => (0..bad).map(|_| junk()).collect(),
                _ => vec![],
            }),
        );
        p.advance(Duration::from_secs(secs));
        p.client.stats()
    };
    let st = run(1000, 5, 1);
    assert_eq!((st.bad, st.bad_ratio_warnings), (5, 0), "0.5 % is noise: {st:?}");
    let st = run(100, 30, 1);
    assert_eq!(st.bad_ratio_warnings, 1, "{st:?}");
    let st = run(100, 30, 50);
    assert_eq!(st.bad_ratio_warnings, 1, "once per minute at most: {st:?}");
    let st = run(100, 30, 65);
    assert_eq!(st.bad_ratio_warnings, 2, "{st:?}");
}

#[test]
fn a_flood_of_order_updates_leaves_the_book_bounded() {
    init_log();
    let mut p = Pair::new("flood", &pair_cfg(1));
    let flood = |n: usize| {
        let mut b = Vec::new();
        for i in 0..n {
            let u = OrderUpdate {
                server_order_id: format!("S{i}").as_str().into(),
                client_order_id: format!("C{i}").as_str().into(),
                trade_account: format!("A{}", i % 1000).as_str().into(),
                order_status: if i % 3 == 0 { 7 } else { 4 },
                ..Default::default()
            };
            b.extend(bin(u));
        }
        b
    };
    let bytes = flood(30_000);
    p.serve(
        1,
        Encoding::Binary,
        answers_logon(move |_| vec![logon_ok(), Out::Bytes(bytes.clone())]),
    );
    p.drive();
    let book = p.client.trading_book();
    assert!(book.order_count() <= v9bridge::dtc::book::MAX_ORDERS, "{}", book.order_count());
    assert!(book.dropped() > 0);
    let accounts = v9bridge::dtc::DtcSnapshot::of(&p.client).accounts.len();
    assert!(accounts <= v9bridge::dtc::book::MAX_ACCOUNTS, "{accounts}");
}
