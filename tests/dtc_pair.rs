//! Whole client sessions in memory against the simulator's exchange, with a fake clock: logon,
//! definitions, market data, orders, fills, in every encoding, without a socket or a sleep.

mod support;
use std::time::Duration;
use support::dtc::pair::*;
use v9bridge::dtc::text::BookText;
use v9bridge::dtc::types::consts::*;
use v9bridge::dtc::{DtcEvent, Encoding, OrderRequest, OrderStatus};

const WAIT: Duration = Duration::from_secs(10);

fn session(encoding: &str) -> Pair {
    let mut conf = pair_cfg(1);
    conf.encoding = Encoding::parse(encoding).expect("a test encoding");
    conf.trading = true;
    let mut p = Pair::new("sim", &conf);
    p.serve(1, Encoding::Binary, simulated_exchange(&["ESZ6_FUT_CME", "XAUUSD"]));
    assert!(p.run_until(WAIT, |p| p.client.synced()), "{encoding}: {:?}", p.client.last_error());
    p
}

#[test]
fn a_full_trading_session_in_every_encoding() {
    support::dtc::init_log();
    for (name, enc) in
        [("binary", Encoding::Binary), ("json", Encoding::Json), ("compact", Encoding::JsonCompact)]
    {
        let mut p = session(name);
        assert_eq!(p.client.encoding(), enc);
        // The definition arrived before market data: ES in display units from the first update.
        assert_eq!(p.client.symbols().get("ESZ6_FUT_CME").map(|s| s.scale.mult), Some(0.01));
        let es = p.market.get("ESZ6_FUT_CME").expect("snapshot applied");
        assert!(es.last > 3000.0 && es.last < 6000.0, "{name}: {}", es.last);

        let now = p.now;
        let buy = OrderRequest { symbol: "ESZ6_FUT_CME".into(), qty: 2.0, ..Default::default() };
        let cid = p.client.submit(&buy, now).unwrap();
        p.drive();
        assert!(p.client.trading_book().positions_text().contains("ESZ6_FUT_CME: qty 2"), "{name}");
        let filled = p.events.iter().any(|e| matches!(e, DtcEvent::Order { cid: c, status: OrderStatus::Filled, .. } if *c == cid));
        let fill =
            p.events.iter().any(|e| matches!(e, DtcEvent::Fill(f) if f.cid == cid && f.qty == 2.0));
        assert!(filled && fill, "{name}: {:?}", p.events);

        // A resting limit order, replaced, then cancelled.
        let sell = OrderRequest {
            buy: false,
            symbol: "XAUUSD".into(),
            qty: 1.0,
            order_type: ORDER_TYPE_LIMIT,
            price1: 99_999.0,
            ..Default::default()
        };
        let rest = p.client.submit(&sell, now).unwrap();
        p.drive();
        assert!(p.client.trading_book().orders_text().contains("status open"), "{name}");
        p.client.replace(rest.as_str(), 99_998.0, None, now).unwrap();
        p.drive();
        assert!(p.client.trading_book().orders_text().contains("px 99998"), "{name}");
        p.client.cancel(rest.as_str(), now).unwrap();
        p.drive();
        assert!(p.client.trading_book().orders_text().contains("status canceled"), "{name}");

        p.client.request_fills(30).unwrap();
        p.drive();
        assert!(p.client.trading_book().fills_text().contains("ESZ6_FUT_CME qty 2"), "{name}");
        assert!(p.client.trading_book().accounts_text().contains("Sim1: cash 100000"), "{name}");
        assert_eq!(p.client.stats().bad, 0, "{name}");
    }
}

#[test]
fn a_bracket_sends_its_oco_exits_and_refusals_are_events() {
    support::dtc::init_log();
    let mut p = session("binary");
    let now = p.now;
    let half =
        OrderRequest { symbol: "XAUUSD".into(), qty: 1.0, target: Some(5.0), ..Default::default() };
    assert_eq!(p.client.submit(&half, now), Err(v9bridge::dtc::OrderError::BracketNeedsBothLegs));
    let br = OrderRequest { stop: Some(0.5), ..half };
    let cid = p.client.submit(&br, now).unwrap();
    p.drive();
    let text = p.client.trading_book().orders_text();
    assert!(
        text.contains(&format!("client {cid}T")) && text.contains(&format!("client {cid}S")),
        "{text}"
    );
    let unknown = OrderRequest { symbol: "NOPE".into(), qty: 1.0, ..Default::default() };
    let bad = p.client.submit(&unknown, now).unwrap();
    p.drive();
    let refused = p.events.iter().any(|e| matches!(e, DtcEvent::Order { cid, refused: true, status: OrderStatus::Rejected, .. } if *cid == bad));
    assert!(refused, "{:?}", p.events);
    assert_eq!(
        p.client.cancel("nothing", now).map(|_| ()),
        Err(v9bridge::dtc::OrderError::UnknownOrder("nothing".into()))
    );
}
