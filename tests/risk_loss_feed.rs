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
        let f = move |eps: &mut v9bridge::engine::Endpoints| eps.v9.as_mut()?.arm_account(name);
        e.handle.call(move |eps, _| f(eps), WAIT).unwrap()
    };
    assert_eq!(arm("A1"), Some(true));
    assert_eq!(arm("A1"), Some(false), "already armed");
    assert_eq!(arm("Ghost"), None);
    assert!(!headroom(&e, "A1").unwrap().excluded);
    e.stop();
}
