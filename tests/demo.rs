//! `v9bridge demo` end to end in a small configuration: example session, burst, verification.

use v9bridge::demo::{execute, DemoArgs};

#[test]
fn demo_verifies_every_account_with_mixed_framing_receivers() {
    let args = DemoArgs {
        dtc: "binary".into(),
        pipe_rate: 2000.0,
        receivers: 3,
        accounts: 5,
        signals: 400,
        rate: 2000.0,
        unterminated_receivers: 1,
        pin: v9bridge::config::Pin::None,
        hgrm: None,
        receiver_cmd: None,
        ..Default::default()
    };
    let r = execute(&args, false).expect("demo runs");
    assert!(r.ok, "problems: {:?}", r.problems);
    assert_eq!(r.signals_sent, 404, "3 example + 1 pipe + 400 burst");
    let pipe = r.pipe.as_deref().expect("pipe feed ran");
    assert!(pipe.contains("applied"), "{pipe}");
    let dtc = r.dtc.as_deref().expect("dtc part ran");
    assert!(dtc.contains("positions: Sim1 ESZ6_FUT_CME: qty 1"), "{dtc}");
    let names: Vec<&str> = r.histograms.iter().map(|h| h.name()).collect();
    for want in [
        "v9.publisher_read_to_broadcast_written",
        "v9.signal_sent_to_summary_back",
        "demo.publisher_send_to_last_receiver_read",
        "v9.pipe_signal_to_broadcast_written",
        "pipe.read_to_applied",
    ] {
        assert!(names.contains(&want), "{names:?}");
    }
    let e2e = r
        .histograms
        .iter()
        .find(|h| h.name() == "demo.publisher_send_to_last_receiver_read")
        .unwrap();
    assert_eq!(e2e.len(), 403, "one sample per signal");
}
