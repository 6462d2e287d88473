//! Bad input in both directions: skipped and counted, or the connection is reset; never a panic.
//! Client-side protocol cases run on an in-memory pair with a fake clock (no sockets, no sleeps).

mod dtc_common;
use dtc_common::pair::*;
use dtc_common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use v9bridge::dtc::cli::MiniLoop;
use v9bridge::dtc::messages::*;
use v9bridge::dtc::session::Phase;
use v9bridge::dtc::{DtcEndpoint, DtcEvent, Encoding, Message, OrderRequest};

const WAIT: Duration = Duration::from_secs(10);

fn json_msg(m: impl Into<Message>) -> Vec<u8> {
    let mut v = Vec::new();
    v9bridge::dtc::json::encode(&m.into(), &mut v);
    v.push(0);
    v
}

fn last_error(p: &Pair) -> String {
    p.client.last_error().map(|e| e.to_string()).unwrap_or_default()
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
    conf.encoding = "json".into();
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

fn redirect_to(a: &str) -> Vec<Out> {
    vec![Out::Msg(
        LogonResponse { result: 4, reconnect_address: a.into(), ..Default::default() }.into(),
    )]
}

#[test]
fn logon_redirect_and_do_not_reconnect() {
    init_log();
    let mut p = Pair::new("redir", &pair_cfg(1));
    let b = addr(2).to_string();
    p.serve(1, Encoding::Binary, answers_logon(move |_| redirect_to(&b)));
    p.serve(2, Encoding::Binary, answers_logon(|_| vec![logon_ok()]));
    assert!(p.run_until(WAIT, |p| p.client.synced()), "{}", last_error(&p));
    assert_eq!((p.accepted(1), p.accepted(2)), (1, 1));
    assert_eq!(p.client.reconnects(), 1, "the first redirect is followed at once");

    let refuse =
        LogonResponse { result: 3, result_text: "account disabled".into(), ..Default::default() };
    let mut p = Pair::new("refused", &pair_cfg(1));
    p.serve(1, Encoding::Binary, answers_logon(move |_| vec![Out::Msg(refuse.into())]));
    assert!(p.run_until(WAIT, |p| p.client.phase() == Phase::Stopped));
    assert!(last_error(&p).contains("account disabled"), "{}", last_error(&p));
    p.advance(Duration::from_secs(60));
    assert_eq!(p.accepted(1), 1, "no reconnect after LOGON_ERROR_NO_RECONNECT");
    assert_eq!(p.client.poll_timeout(), None, "nothing left to do");
}

#[test]
fn market_data_waits_for_security_definitions_then_falls_back() {
    init_log();
    let mut p = Pair::new("secdef", &pair_cfg(1));
    let resp = LogonResponse { result: 1, security_definitions_supported: 1, ..Default::default() };
    // Never answers the security-definition requests.
    p.serve(1, Encoding::Binary, answers_logon(move |_| vec![Out::Msg(resp.into())]));
    p.drive();
    assert!(p.client.is_logged_on());
    assert_eq!(p.sent_types(1), [6, 1, 506, 506], "definitions first, no market data yet");
    p.advance(Duration::from_millis(4_900));
    assert!(!p.sent_types(1).contains(&101), "still waiting");
    p.advance(Duration::from_millis(100));
    let types: Vec<u16> = p.sent_types(1).into_iter().filter(|&t| t != 3).collect();
    assert_eq!(types, [6, 1, 506, 506, 101, 101], "subscribed after the 5 s wait");
}

#[test]
fn a_security_definition_scales_prices_from_the_first_update() {
    init_log();
    let mut p = Pair::new("secdef2", &pair_cfg(1));
    p.serve(
        1,
        Encoding::Binary,
        Box::new(|_, m| match m {
            Message::EncodingRequest(_) => vec![Out::Msg(EncodingResponse::default().into())],
            Message::LogonRequest(_) => {
                let ok = LogonResponse {
                    result: 1,
                    security_definitions_supported: 1,
                    ..Default::default()
                };
                vec![Out::Msg(ok.into())]
            }
            Message::SecurityDefinitionForSymbolRequest(r) => {
                let d = SecurityDefinitionResponse {
                    request_id: r.request_id,
                    symbol: r.symbol,
                    display_price_multiplier: 0.01,
                    ..Default::default()
                };
                vec![Out::Msg(d.into())]
            }
            Message::MarketDataRequest(r) if r.symbol.as_str() == "ESZ6_FUT_CME" => {
                let t = MarketDataUpdateTrade {
                    symbol_id: r.symbol_id,
                    price: 450_025.0,
                    ..Default::default()
                };
                vec![Out::Msg(t.into())]
            }
            _ => vec![],
        }),
    );
    p.drive();
    assert_eq!(p.market.get("ESZ6_FUT_CME").map(|q| q.last), Some(4500.25));
    assert_eq!(
        p.client.poll_timeout().map(|t| t > p.now + Duration::from_secs(4)),
        Some(true),
        "no wait left"
    );
}

#[test]
fn redirects_are_capped_and_fall_back_to_the_configured_address() {
    init_log();
    // B always redirects to itself; A redirects to B.
    let mut p = Pair::new("loop", &pair_cfg(1));
    let b = addr(2).to_string();
    let b2 = b.clone();
    p.serve(1, Encoding::Binary, answers_logon(move |_| redirect_to(&b)));
    p.serve(2, Encoding::Binary, answers_logon(move |_| redirect_to(&b2)));
    assert!(p.run_until(WAIT, |p| p.accepted(1) >= 2), "fell back to the configured address");
    let at_b = p.accepted(2);
    assert!((2..=4).contains(&at_b), "3 redirects per logon at most: {at_b} connects at B");
}

#[test]
fn non_literal_or_unreachable_redirects_are_not_followed() {
    init_log();
    let mut p = Pair::new("nolit", &pair_cfg(1));
    // Nothing listens on port 9.
    let dead = addr(9).to_string();
    p.serve(
        1,
        Encoding::Binary,
        answers_logon(
            move |n| if n == 0 { redirect_to("localhost:11099") } else { redirect_to(&dead) },
        ),
    );
    // 0: non-literal -> A again; 1: dead port -> connect fails -> A again.
    assert!(p.run_until(WAIT, |p| p.accepted(1) >= 3), "{}", last_error(&p));
    let connects: Vec<_> = p
        .events
        .iter()
        .filter_map(|e| match e {
            DtcEvent::Connect(a) => Some(*a),
            _ => None,
        })
        .collect();
    assert_eq!(&connects[..4], &[addr(1), addr(1), addr(9), addr(1)], "{connects:?}");
}

#[test]
fn second_logon_response_does_not_duplicate_subscriptions() {
    init_log();
    let mut p = Pair::new("twice", &pair_cfg(1));
    p.serve(1, Encoding::Binary, answers_logon(|_| vec![logon_ok(), logon_ok()]));
    p.advance(Duration::from_secs(1));
    assert!(p.client.is_logged_on());
    let md = p.sent_types(1).iter().filter(|&&t| t == 101).count();
    assert_eq!(md, 2, "one MARKET_DATA_REQUEST per symbol");
}

#[test]
fn unsupported_encoding_gives_up() {
    init_log();
    let mut p = Pair::new("vls", &pair_cfg(1));
    // 1 = binary with variable-length strings, 4 = protobuf: both unsupported.
    let vls = EncodingResponse { encoding: 4, ..Default::default() };
    p.serve(1, Encoding::Binary, Box::new(move |_, _| vec![Out::Msg(vls.into())]));
    assert!(p.run_until(WAIT, |p| p.client.phase() == Phase::Stopped));
    assert!(last_error(&p).contains("encoding 4"), "{}", last_error(&p));
    p.advance(Duration::from_secs(60));
    assert_eq!(p.accepted(1), 1);
}

#[test]
fn json_zero_prices_are_unset_not_quotes() {
    init_log();
    let mut conf = pair_cfg(1);
    conf.encoding = "json".into();
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
fn depth_snapshot_batch_replaces_the_book_and_rejections_reset_on_reconnect() {
    init_log();
    let mut conf = pair_cfg(1);
    conf.depth_levels = 5;
    let mut p = Pair::new("depth", &conf);
    let lvl = |side: u8, price: f32, fin: u8| {
        Out::Msg(
            MarketDepthSnapshotLevelFloat {
                symbol_id: 2,
                price,
                quantity: 1.0,
                side,
                final_update_in_batch: fin,
                ..Default::default()
            }
            .into(),
        )
    };
    p.serve(
        1,
        Encoding::Binary,
        answers_logon(move |n| {
            if n > 0 {
                return vec![logon_ok()];
            }
            let reject = MarketDataReject { symbol_id: 1, reject_text: "no CME".into() };
            // Batch 1, then batch 2 (BEGIN_BATCH 3, FALSE 2, TRUE 1).
            vec![
                logon_ok(),
                Out::Msg(reject.into()),
                lvl(1, 100.0, 3),
                lvl(1, 99.0, 2),
                lvl(2, 101.0, 1),
                lvl(1, 98.0, 3),
                lvl(2, 102.0, 1),
            ]
        }),
    );
    p.drive();
    let book = |p: &Pair| p.client.symbols().get("XAUUSD").unwrap().depth.top();
    let (bid, ask) = book(&p);
    assert_eq!(bid.map(|b| b.0), Some(98.0), "batch 2 replaced batch 1");
    assert_eq!(ask.map(|a| a.0), Some(102.0));
    let rejected = |p: &Pair| p.client.symbols().iter().filter(|s| s.rejected.is_some()).count();
    assert_eq!(rejected(&p), 1);
    // Dropped: the client reconnects, and this time nothing is rejected.
    p.client.handle_closed(
        p.now,
        v9bridge::dtc::CloseReason::transport(v9bridge::dtc::TransportOp::Read, &"reset"),
    );
    assert!(p.run_until(WAIT, |p| p.client.reconnects() > 0 && p.client.is_logged_on()));
    assert_eq!(rejected(&p), 0);
}

#[test]
fn heartbeats_and_liveness_run_on_the_fake_clock() {
    init_log();
    let mut conf = pair_cfg(1);
    conf.heartbeat_s = 2;
    let mut p = Pair::new("hb", &conf);
    p.serve(1, Encoding::Binary, answers_logon(|_| vec![logon_ok()]));
    p.advance(Duration::from_millis(3_900));
    let hb = p.sent_types(1).iter().filter(|&&t| t == 3).count();
    assert_eq!(hb, 1, "one HEARTBEAT after 2 s");
    // The server sends nothing: dead after 2 x 2 s without bytes.
    p.advance(Duration::from_millis(200));
    let dead = v9bridge::dtc::CloseReason::HeartbeatTimeout;
    assert!(p
        .events
        .iter()
        .any(|e| matches!(e, DtcEvent::Close { reason, .. } if *reason == dead)));
    assert!(p.run_until(WAIT, |p| p.client.is_logged_on()), "logs on again");
    let Some((_, Message::Heartbeat(h))) = p.sent.iter().find(|(_, m)| m.type_num() == 3) else {
        panic!()
    };
    assert_eq!(h.current_date_time, 1_767_225_602, "wall time of the turn, not the clock");
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
fn is_automated_order_follows_the_request() {
    init_log();
    let mut conf = pair_cfg(1);
    conf.trade_account = Some("Sim1".into());
    let mut p = Pair::new("auto", &conf);
    let ok = LogonResponse {
        result: 1,
        bracket_orders_supported: 1,
        oco_orders_supported: 1,
        ..Default::default()
    };
    p.serve(1, Encoding::Binary, answers_logon(move |_| vec![Out::Msg(ok.into())]));
    p.drive();
    let (now, base) =
        (p.now, OrderRequest { symbol: "XAUUSD".into(), qty: 1.0, ..Default::default() });
    let manual =
        OrderRequest { automated: false, target: Some(2.0), stop: Some(0.5), ..base.clone() };
    let a = p.client.submit(&base, now).unwrap();
    let m = p.client.submit(&manual, now).unwrap();
    assert_ne!(a, m);
    p.drive();
    let flags: Vec<(String, u8)> = p
        .sent
        .iter()
        .filter_map(|(_, msg)| match msg {
            Message::SubmitNewSingleOrder(o) => {
                Some((o.client_order_id.to_string(), o.is_automated_order))
            }
            Message::SubmitNewOcoOrder(o) => {
                Some((o.client_order_id_1.to_string(), o.is_automated_order))
            }
            _ => None,
        })
        .collect();
    let (a, m) = (a.to_string(), m.to_string());
    assert_eq!(flags, [(a, 1), (m.clone(), 0), (format!("{m}T"), 0)]);
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

#[test]
fn order_answers_and_fills_come_back_as_typed_events() {
    init_log();
    let mut conf = pair_cfg(1);
    conf.trade_account = Some("Sim1".into());
    let mut p = Pair::new("events", &conf);
    p.serve(
        1,
        Encoding::Binary,
        Box::new(|_, m| match m {
            Message::EncodingRequest(_) => vec![Out::Msg(EncodingResponse::default().into())],
            Message::LogonRequest(_) => vec![logon_ok()],
            Message::SubmitNewSingleOrder(o) => {
                let u = |reason: i32, status: i32, fill: f64| OrderUpdate {
                    server_order_id: "S1".into(),
                    client_order_id: o.client_order_id,
                    trade_account: o.trade_account,
                    symbol: o.symbol,
                    buy_sell: o.buy_sell,
                    order_status: status,
                    order_update_reason: reason,
                    last_fill_quantity: fill,
                    last_fill_price: 101.5,
                    ..Default::default()
                };
                vec![Out::Msg(u(2, 4, f64::MAX).into()), Out::Msg(u(4, 7, 1.0).into())]
            }
            Message::CancelOrder(c) => {
                let r = OrderUpdate {
                    client_order_id: c.client_order_id,
                    order_update_reason: 9,
                    info_text: "order not open".into(),
                    ..Default::default()
                };
                vec![Out::Msg(r.into())]
            }
            _ => vec![],
        }),
    );
    p.drive();
    let r = OrderRequest { symbol: "XAUUSD".into(), qty: 1.0, ..Default::default() };
    let sent_at = p.now;
    let cid = p.client.submit(&r, sent_at).unwrap();
    p.advance(Duration::from_millis(3));
    assert!(!p.client.awaiting_order_updates());
    let orders: Vec<&DtcEvent> = p
        .events
        .iter()
        .filter(|e| matches!(e, DtcEvent::Order { .. } | DtcEvent::Fill(_)))
        .collect();
    let DtcEvent::Order { cid: c, status, refused: false, first_update_after, .. } = orders[0]
    else {
        panic!("{orders:?}")
    };
    assert_eq!(
        (*c, *status, *first_update_after),
        (cid, v9bridge::dtc::OrderStatus::Open, Some(Duration::ZERO))
    );
    let DtcEvent::Fill(f) = orders[2] else { panic!("{orders:?}") };
    assert_eq!((f.cid, f.qty, f.price, f.buy), (cid, 1.0, 101.5, true));
    // A refused cancel is an event too (the CLI exits non-zero on it).
    p.client.cancel(cid.as_str(), p.now).unwrap();
    p.drive();
    let last = p.events.iter().rev().find(|e| matches!(e, DtcEvent::Order { .. })).unwrap();
    assert!(matches!(last, DtcEvent::Order { refused: true, .. }), "{last:?}");
    assert!(!p.client.awaiting_order_updates());
}
