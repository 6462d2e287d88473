//! The engine itself: typed control calls, engine-wide timers.

mod support;
use support::engine::*;
use v9bridge::market::{Feed, TickUpdate};

#[test]
fn stale_feeds_are_flagged_without_a_pipe() {
    let mut cfg = test_config();
    cfg.market.stale_after_ms = 100;
    assert!(cfg.pipe.is_none());
    let e = start(cfg);
    let applied = e.handle.call(
        |_, c| {
            let t =
                TickUpdate { symbol: "ESZ6_FUT_CME", last: Some(5000.25), ..Default::default() };
            c.market.apply(&t, Feed::Dtc, c.now).updates
        },
        WAIT,
    );
    assert_eq!(applied, Ok(1));
    let stale = || {
        e.handle
            .call(|_, c| c.market.get("ESZ6_FUT_CME").is_some_and(|q| q.stale_warned), WAIT)
            .unwrap()
    };
    wait_for("the stale flag from the engine's own timer", stale);
}

#[test]
fn calls_after_the_engine_stopped_say_so() {
    let e = start(test_config());
    let handle = e.handle.clone();
    assert_eq!(handle.call(|eps, _| eps.dtc.len(), WAIT), Ok(0));
    e.stop();
    assert_eq!(
        handle.call(|eps, _| eps.dtc.len(), WAIT),
        Err(v9bridge::engine::CallError::EngineGone)
    );
}
