//! Client protocol behaviour on an in-memory pair with a fake clock: logon and redirects, the
//! security-definition wait, heartbeats, depth batches, order events (no sockets, no sleeps).

mod support;
use std::time::Duration;
use support::dtc::pair::*;
use support::dtc::*;
use v9bridge::dtc::messages::*;
use v9bridge::dtc::session::Phase;
use v9bridge::dtc::{DtcEvent, Encoding, Message, OrderRequest};

const WAIT: Duration = Duration::from_secs(10);

fn last_error(p: &Pair) -> String {
    p.client.last_error().map(|e| e.to_string()).unwrap_or_default()
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
