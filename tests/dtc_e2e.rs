//! Client <-> simulator end to end: every encoding over TCP and WebSocket.

mod support;
use std::time::Duration;
use support::dtc::miniloop::MiniLoop;
use support::dtc::*;
use v9bridge::dtc::text::BookText;
use v9bridge::dtc::{DtcEndpoint, Encoding};

const WAIT: Duration = Duration::from_secs(10);

fn full_cycle(transport: &str, encoding: &str, sierra_quirk: bool, expect: Encoding) {
    full_cycle_with(transport, encoding, sierra_quirk, expect, true);
}

fn full_cycle_with(
    transport: &str,
    encoding: &str,
    sierra_quirk: bool,
    expect: Encoding,
    negotiate: bool,
) {
    init_log();
    let mut a = args();
    a.compact_header_order = !sierra_quirk;
    if !negotiate {
        a.encoding = encoding.into(); // a server set to a fixed encoding
    }
    let sim = Sim::start(a);
    let mut l = MiniLoop::new().unwrap();
    let mut conf = cfg(sim.addr, transport, encoding, sierra_quirk);
    conf.negotiate = negotiate;
    let mut c = DtcEndpoint::new("t", &conf).unwrap();
    l.register(&mut c, 0).unwrap();
    assert!(
        l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0].connection().synced()),
        "logon+sync: {}",
        err(&c)
    );
    assert_eq!(c.connection().encoding(), expect);

    market_data(&mut l, &mut c);
    market_order_fills(&mut l, &mut c);
    limit_order_replaced_then_cancelled(&mut l, &mut c);
    accounts_and_fills(&mut l, &mut c);
    v9bridge::endpoint::Endpoint::shutdown(&mut c, std::time::Instant::now());
}

/// Market data for both symbols reaches MarketState, ES scaled by DisplayPriceMultiplier 0.01.
fn market_data(l: &mut MiniLoop, c: &mut DtcEndpoint) {
    let ok = l.run_until(&mut [c], WAIT, |_, m| {
        let es = m.get("ESZ6_FUT_CME");
        let xau = m.get("XAUUSD");
        es.is_some_and(|q| q.updates > 20 && q.bid.is_finite() && q.last.is_finite())
            && xau.is_some_and(|q| q.updates > 20 && q.ask.is_finite())
    });
    assert!(ok, "market data");
    assert_eq!(multiplier(c, "ESZ6_FUT_CME"), Some(0.01));
    let es = l.market.get("ESZ6_FUT_CME").unwrap();
    assert!(es.last > 3000.0 && es.last < 6000.0, "ES in display units: {}", es.last);
    assert!(es.bid < es.ask, "{} {}", es.bid, es.ask);
    assert_eq!((es.last * 4.0).fract(), 0.0, "ES on its 0.25 grid exactly: {}", es.last);
    let top = depth_top(c, "XAUUSD").unwrap();
    assert!(top.0.is_some() && top.1.is_some(), "depth book filled");
}

/// A market order is filled: ORDER_UPDATE + POSITION_UPDATE.
fn market_order_fills(l: &mut MiniLoop, c: &mut DtcEndpoint) {
    let r = l.command(c, "order buy ES 2 market").unwrap().unwrap();
    assert!(r.contains("ClientOrderID"), "{r}");
    let ok = l.run_until(&mut [c], WAIT, |cs, _| {
        cs[0].connection().trading_book().orders_text().contains("status filled")
            && cs[0].connection().trading_book().positions_text().contains("ESZ6_FUT_CME: qty 2")
    });
    assert!(
        ok,
        "fill: {}\n{}",
        c.connection().trading_book().orders_text(),
        c.connection().trading_book().positions_text()
    );
}

/// A resting limit order, replaced then cancelled.
fn limit_order_replaced_then_cancelled(l: &mut MiniLoop, c: &mut DtcEndpoint) {
    l.command(c, "order sell XAU 1 limit 99999").unwrap().unwrap();
    assert!(l.run_until(&mut [c], WAIT, |cs, _| cs[0]
        .connection()
        .trading_book()
        .orders_text()
        .contains("status open")));
    let orders = c.connection().trading_book().orders_text();
    let id = orders
        .lines()
        .find(|l| l.contains("status open"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .to_string();
    l.command(c, &format!("replace {id} 99998")).unwrap().unwrap();
    assert!(l.run_until(&mut [c], WAIT, |cs, _| cs[0]
        .connection()
        .trading_book()
        .orders_text()
        .contains("px 99998")));
    l.command(c, &format!("cancel {id}")).unwrap().unwrap();
    assert!(l.run_until(&mut [c], WAIT, |cs, _| cs[0]
        .connection()
        .trading_book()
        .orders_text()
        .contains("status canceled")));
}

/// Accounts/balances, fills.
fn accounts_and_fills(l: &mut MiniLoop, c: &mut DtcEndpoint) {
    let acc = l.command(c, "accounts").unwrap().unwrap();
    assert!(acc.contains("Sim1: cash 100000"), "{acc}");
    l.command(c, "fills").unwrap().unwrap();
    assert!(l.run_until(&mut [c], WAIT, |cs, _| cs[0]
        .connection()
        .trading_book()
        .fills_text()
        .contains("ESZ6_FUT_CME qty 2")));
    assert_eq!(c.stats().bad, 0);
    let hs = v9bridge::endpoint::Endpoint::histograms(c);
    assert!(!hs[0].is_empty() && hs[1].len() >= 2, "histograms recorded");
}

#[test]
fn tcp_binary() {
    full_cycle("tcp", "binary", false, Encoding::Binary);
}

#[test]
fn tcp_json() {
    full_cycle("tcp", "json", false, Encoding::Json);
}

#[test]
fn tcp_compact_header_order() {
    full_cycle("tcp", "compact", false, Encoding::JsonCompact);
}

#[test]
fn tcp_compact_sierra_order_quirk() {
    full_cycle("tcp", "compact", true, Encoding::JsonCompact);
}

#[test]
fn tcp_compact_without_negotiation() {
    full_cycle_with("tcp", "compact", true, Encoding::JsonCompact, false);
}

#[test]
fn tcp_binary_without_negotiation() {
    full_cycle_with("tcp", "binary", false, Encoding::Binary, false);
}

#[test]
fn websocket_json() {
    full_cycle("ws", "json", false, Encoding::Json);
}

#[test]
fn websocket_compact() {
    full_cycle("ws", "compact", true, Encoding::JsonCompact);
}

#[test]
fn bracket_order_parent_then_oco_children() {
    init_log();
    let sim = Sim::start(args());
    let mut l = MiniLoop::new().unwrap();
    let mut c = DtcEndpoint::new("br", &cfg(sim.addr, "tcp", "binary", false)).unwrap();
    l.register(&mut c, 0).unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, m| cs[0].connection().synced()
        && m.get("XAUUSD").is_some()));
    assert!(
        l.command(&mut c, "order buy XAU 1 market target=5").unwrap().is_err(),
        "needs both legs"
    );
    // Target far below the market: it fills on the next tick and cancels its stop sibling.
    let r = l.command(&mut c, "order buy XAU 1 market target=1 stop=0.5").unwrap().unwrap();
    let cid = r.rsplit(' ').next().unwrap().to_string();
    let ok = l.run_until(&mut [&mut c], WAIT, |cs, _| {
        let t = cs[0].connection().trading_book().orders_text();
        t.lines().any(|l| l.contains(&format!("client {cid}T")) && l.contains("status filled"))
            && t.lines()
                .any(|l| l.contains(&format!("client {cid}S")) && l.contains("status canceled"))
    });
    assert!(ok, "{}", c.connection().trading_book().orders_text());
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0]
        .connection()
        .trading_book()
        .positions_text()
        .contains("no positions")));
}

/// `order_prices_scaled` on both sides: ES (DisplayPriceMultiplier 0.01) orders go out in wire
/// units and the book shows display prices.
#[test]
fn scaled_order_prices_round_trip_in_display_units() {
    init_log();
    let sim = Sim::start(v9bridge::sim::dtc_server::DtcServerArgs {
        order_prices_scaled: true,
        ..args()
    });
    let mut l = MiniLoop::new().unwrap();
    let mut conf = cfg(sim.addr, "tcp", "binary", false);
    conf.order_prices_scaled = true;
    let mut c = DtcEndpoint::new("scaled", &conf).unwrap();
    l.register(&mut c, 0).unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0].connection().synced()
        && multiplier(cs[0], "ESZ6_FUT_CME") == Some(0.01)));
    l.command(&mut c, "order buy ES 1 market").unwrap().unwrap();
    assert!(l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0]
        .connection()
        .trading_book()
        .positions_text()
        .contains("ESZ6_FUT_CME: qty 1")));
    let pos = c.connection().trading_book().positions_text();
    let avg: f64 = pos
        .lines()
        .find(|l| l.contains("ESZ6_FUT_CME"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(avg > 3000.0 && avg < 6000.0, "display units: {pos}");
    // Far above the market: rests only if the server saw 9999 display, not 99.99.
    l.command(&mut c, "order sell ES 1 limit 9999").unwrap().unwrap();
    assert!(
        l.run_until(&mut [&mut c], WAIT, |cs, _| cs[0]
            .connection()
            .trading_book()
            .orders_text()
            .contains("px 9999")
            && cs[0].connection().trading_book().orders_text().contains("status open")),
        "{}",
        c.connection().trading_book().orders_text()
    );
}

/// Client and simulator each with their defaults (only the address, symbols, transport and
/// encoding set): every encoding decodes everything the simulator sends.
#[test]
fn defaults_on_both_sides_count_no_bad_input() {
    init_log();
    let sim = Sim::start(v9bridge::sim::dtc_server::DtcServerArgs::default());
    use v9bridge::dtc::{Encoding::*, TransportKind::*};
    for (transport, encoding) in [
        (Tcp, Binary),
        (Tcp, Json),
        (Tcp, JsonCompact),
        (WebSocket, Json),
        (WebSocket, JsonCompact),
    ] {
        let conf = v9bridge::dtc::DtcConfig {
            addr: sim.addr.to_string(),
            transport,
            encoding,
            symbols: vec!["ESZ6_FUT_CME".into(), "NQZ6_FUT_CME".into(), "XAUUSD".into()],
            ..Default::default()
        };
        let mut l = MiniLoop::new().unwrap();
        let mut c = DtcEndpoint::new("defaults", &conf).unwrap();
        l.register(&mut c, 0).unwrap();
        // Two full cycles of the simulator's eight market-data variants per symbol, at least.
        let ok = l.run_until(&mut [&mut c], WAIT, |cs, _| {
            cs[0].connection().synced() && cs[0].stats().market_data + cs[0].stats().bad >= 60
        });
        let s = c.stats();
        assert!(ok, "{transport:?} {encoding:?}: {s:?} {}", err(&c));
        assert_eq!(s.bad, 0, "{transport:?} {encoding:?}: {s:?}");
        v9bridge::endpoint::Endpoint::shutdown(&mut c, std::time::Instant::now());
    }
}
