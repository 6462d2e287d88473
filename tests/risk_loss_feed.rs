//! Loss limits fed from POSITION over loopback: receivers' P&L reaches the risk layer on the
//! loop, the headroom follows it, a breach excludes the account until it is re-armed.

mod support;

use support::engine::*;
use v9bridge::config::Config;
use v9bridge::risk::{Headroom, LossRule};

const LOSS: &str = "[risk]\ndaily_loss = 500.0\ntrailing_drawdown = 0.0\n\
    [risk.accounts.A2]\ndaily_loss = 2000.0\n[groups]\napex = ['A1', 'A2']\n";

fn loss_config() -> Config {
    let mut c = test_config();
    let r = Config::from_toml(LOSS).unwrap();
    (c.risk, c.groups) = (r.risk, r.groups);
    c
}

fn headroom(e: &Running, account: &'static str) -> Option<Headroom> {
    let f = move |eps: &mut v9bridge::engine::Endpoints| {
        eps.v9.as_ref()?.pipeline().risk()?.headroom(account)
    };
    e.handle.call(move |eps, _| f(eps), WAIT).unwrap()
}

fn position(rx: &mut Raw, account: &str, symbol: &str, pnl: f64) {
    rx.send(&format!("POSITION|{account}|LONG|1|4500.00|{pnl:+.2}|Symbol:{symbol}"));
}

#[test]
fn position_pnl_moves_the_headroom_and_a_breach_excludes_until_armed() {
    let e = start(loss_config());
    let mut rx = Raw::receiver(e.addr, "rx");
    position(&mut rx, "A1", "ES", 0.0); // the session's baseline
    position(&mut rx, "A2", "ES", 100.0);
    position(&mut rx, "Unknown", "ES", -9999.0); // not configured: not tracked
    position(&mut rx, "A1", "ES", -120.0);
    position(&mut rx, "A1", "NQ", -80.0); // equity -200 over two symbols
    wait_for("A1's headroom", || headroom(&e, "A1").is_some_and(|h| h.loss_left == Some(300.0)));
    let h = headroom(&e, "A1").unwrap();
    assert_eq!((h.session_pnl, h.equity, h.excluded), (-200.0, -200.0, false));
    assert_eq!(h.drawdown_left, None, "trailing_drawdown = 0: no limit");
    assert_eq!(headroom(&e, "A2").unwrap().loss_left, Some(2000.0));

    // Past the daily loss: A1 is breached and excluded; A2 is not.
    position(&mut rx, "A1", "ES", -450.0);
    wait_for("A1 breached", || headroom(&e, "A1").is_some_and(|h| h.excluded));
    let h = headroom(&e, "A1").unwrap();
    assert_eq!((h.loss_left, h.breached), (Some(0.0), Some(LossRule::DailyLoss)));
    assert!(!headroom(&e, "A2").unwrap().excluded);

    // Re-armed by the engine call the ops API and the CLI use.
    let arm = |name: &'static str| {
        let f = move |eps: &mut v9bridge::engine::Endpoints, now, wall_ns| {
            eps.v9.as_mut()?.arm_account(name, now, wall_ns)
        };
        e.handle.call(move |eps, c| f(eps, c.now, c.wall_ns), WAIT).unwrap()
    };
    assert_eq!(arm("A1"), Some(true));
    assert_eq!(arm("A1"), Some(false), "already armed");
    assert_eq!(arm("Ghost"), None);
    assert!(!headroom(&e, "A1").unwrap().excluded);
    e.stop();
}

/// A receiver declaring its accounts (`Accounts:` in CONNECT), so routed signals reach it.
fn routed_receiver(e: &Running, name: &str, accounts: &[&str]) -> Raw {
    let mut r = Raw::connect(e.addr);
    let n = accounts.len();
    r.send(&format!(
        "CONNECT|{name}|Account_Count:{n}|Version:1.0|Accounts:{}",
        accounts.join("+")
    ));
    let l = r.line();
    assert!(l.starts_with("READY|1.0|"), "{l}");
    r
}

fn silent(rx: &mut Raw) -> bool {
    rx.try_line(std::time::Duration::from_millis(200)).is_none()
}

#[test]
fn a_breach_flattens_only_that_account_and_its_next_opening_signals_skip_it_until_armed() {
    let mut cfg = loss_config();
    let r = Config::from_toml(&format!("{LOSS}[risk.accounts.B1]\ndaily_loss = 300.0\n")).unwrap();
    (cfg.risk, cfg.groups) = (r.risk, r.groups);
    let e = start(cfg);
    let mut ra = routed_receiver(&e, "rxA", &["A1", "A2"]);
    let mut rb = routed_receiver(&e, "rxB", &["B1"]);
    let mut publ = Raw::publisher(e.addr, None);
    publ.send("LONG|ES|1");
    assert!(publ.line().starts_with("SIGNAL_ACK|1|2"));
    assert_eq!(ra.line(), "LONG|ES|1|ID:1");
    assert_eq!(rb.line(), "LONG|ES|1|ID:1");
    // The simulated receivers report P&L: A1 loses past its 500 daily limit, the others do not.
    position(&mut ra, "A1", "ES", 0.0);
    position(&mut ra, "A2", "ES", 0.0);
    position(&mut rb, "B1", "ES", 0.0);
    position(&mut rb, "B1", "ES", -250.0);
    position(&mut ra, "A2", "ES", -400.0);
    position(&mut ra, "A1", "ES", -510.0);
    // Only A1 is flattened: a routed FLATTEN to the receiver holding it, nothing to the other.
    assert_eq!(ra.line(), "FLATTEN|ALL|0|Accounts:A1|ID:2");
    assert!(silent(&mut rb), "rxB holds no breached account");
    assert!(headroom(&e, "A1").unwrap().excluded);
    assert!(!headroom(&e, "A2").unwrap().excluded && !headroom(&e, "B1").unwrap().excluded);

    // Its next opening signals skip it; the others still trade; closes still reach it.
    publ.send("SHORT|ES|2");
    assert!(publ.line().starts_with("SIGNAL_ACK|3|"));
    assert_eq!(ra.line(), "SHORT|ES|2|Accounts:A2|ID:3");
    assert_eq!(rb.line(), "SHORT|ES|2|ID:3");
    publ.send("LONG|ES|1|Accounts:A1");
    assert_eq!(
        publ.line(),
        "ERROR|RISK_REJECTED|LOSS_LIMIT|Every target account is past its loss limit"
    );
    publ.send("FLATTEN|ES|0");
    assert!(publ.line().starts_with("SIGNAL_ACK|4|"));
    assert_eq!(ra.line(), "FLATTEN|ES|0|ID:4");
    assert_eq!(rb.line(), "FLATTEN|ES|0|ID:4");

    // Re-armed (the engine call behind POST /api/v1/arm): it trades again.
    let arm = |eps: &mut v9bridge::engine::Endpoints, c: &mut v9bridge::engine::CallCtx<'_>| {
        eps.v9.as_mut()?.arm_account("A1", c.now, c.wall_ns)
    };
    assert_eq!(e.handle.call(arm, WAIT).unwrap(), Some(true));
    publ.send("LONG|ES|1");
    assert!(publ.line().starts_with("SIGNAL_ACK|5|2"));
    assert_eq!(ra.line(), "LONG|ES|1|ID:5");
    assert_eq!(rb.line(), "LONG|ES|1|ID:5");
    e.stop();
}

#[test]
fn a_breached_account_stays_excluded_across_a_restart_until_armed() {
    let dir = tempfile::tempdir().unwrap();
    let with_journal = || {
        let mut c = loss_config();
        c.journal.dir = dir.path().to_str().unwrap().into();
        c
    };
    let e = start(with_journal());
    let mut rx = Raw::receiver(e.addr, "rx");
    position(&mut rx, "A1", "ES", 0.0);
    position(&mut rx, "A1", "ES", -600.0);
    wait_for("A1 breached", || headroom(&e, "A1").is_some_and(|h| h.excluded));
    drop(rx);
    e.stop();

    // The restarted engine reads the exclusion back (its P&L baseline starts afresh).
    let e = start(with_journal());
    let h = headroom(&e, "A1").unwrap();
    assert_eq!((h.excluded, h.breached), (true, Some(LossRule::DailyLoss)));
    assert!(!headroom(&e, "A2").unwrap().excluded);
    let arm = |eps: &mut v9bridge::engine::Endpoints, c: &mut v9bridge::engine::CallCtx<'_>| {
        eps.v9.as_mut()?.arm_account("A1", c.now, c.wall_ns)
    };
    assert_eq!(e.handle.call(arm, WAIT).unwrap(), Some(true));
    e.stop();

    // Re-arming is journalled too.
    let e = start(with_journal());
    assert!(!headroom(&e, "A1").unwrap().excluded);
    e.stop();
}
