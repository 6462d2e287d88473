//! Every source goes through the one pipeline: publishers and engine calls share ids, the
//! journal records each with its source, refusals with their reason, and SIGNAL_ACK/ERROR stay.

mod support;
use support::replay::*;
use v9bridge::pipeline::{Accepted, Refusal, Source};
use v9bridge::signal::{Action, Signal, SignalError};

#[test]
fn publishers_and_engine_calls_share_one_numbering_and_one_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let e = Running::start(&config(tmp.path()));
    let (mut r, _) = Client::hello(e.addr, "R", "");
    let mut p = Client::publisher(e.addr);
    assert_eq!(p.signal("LONG|MES|1"), 1);
    let call = |action, qty| {
        e.handle
            .call(
                move |eps, ctx| {
                    let sig = Signal::new(action, "es", qty);
                    eps.submit_signal(&sig, Source::Ops, ctx)
                },
                WAIT,
            )
            .unwrap()
    };
    assert_eq!(call(Action::Short, 2), Ok(Accepted { id: 2, receivers: 1 }));
    assert_eq!(call(Action::Short, 0), Err(Refusal::Invalid(SignalError::ZeroQuantity)));
    p.send("LONG|MES|5000");
    assert_eq!(p.line(), "ERROR|INVALID_SIGNAL|Quantity above limit|Action: LONG", "as before");
    assert_eq!(p.signal("FLATTEN|ALL|0"), 3, "refusals spend no id");
    let got: Vec<String> = (0..3).map(|_| r.line()).collect();
    assert_eq!(got, ["LONG|MES|1|ID:1", "SHORT|ES|2|ID:2", "FLATTEN|ALL|0|ID:3"]);
    r.send("POSITION_SUMMARY|1|1|+1.00|4520.50|LONG:1,SHORT:0|ID:3");
    r.send("HEARTBEAT|R|ok");
    assert!(r.line().starts_with("HEARTBEAT_ACK|"));
    let stats = e.handle.call(|eps, _| eps.v9.as_ref().unwrap().stats(), WAIT).unwrap();
    assert_eq!((stats.signals, stats.rejected_signals), (3, 2), "each refusal counted once");
    drop((r, p));
    e.stop();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_v9bridge"))
        .args(["journal", "cat"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let has = |kind: &str, what: &str| text.lines().any(|l| l.contains(kind) && l.contains(what));
    assert!(has("SIGNAL", "source=publisher:pub") && has("SIGNAL", "source=ops"), "{text}");
    assert!(
        has("REFUSED", "reason=ZERO_QUANTITY") && has("REFUSED", "QUANTITY_TOO_LARGE"),
        "{text}"
    );
    assert!(has("SUMMARY", "receiver=R id=3 accounts=1 qty=1"), "{text}");
    assert!(has("CONNECTED", "receiver=R") && has("DISCONNECTED", "receiver=R"), "{text}");
}
