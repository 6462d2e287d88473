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

/// `v9bridge demo --chaos`: every fault runs against child processes and reports PASS.
#[test]
fn demo_chaos_passes_every_fault() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_v9bridge"))
        .args(["demo", "--chaos", "--signals", "1000", "--rate", "2000", "--accounts", "3"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.lines().filter(|l| l.starts_with("PASS ")).count(), 2, "{text}");
    assert!(!text.contains("FAIL"), "{text}");
}

/// `v9bridge demo --groups`: receiver 1's group trades ES as MES x10, receiver 2's ES as is;
/// the model check verifies every account's position per mapped symbol.
#[test]
fn demo_with_two_groups_one_mapped_verifies_every_account() {
    let args = DemoArgs {
        groups: true,
        dtc: "none".into(),
        pipe_rate: 0.0,
        accounts: 3,
        signals: 300,
        rate: 2000.0,
        pin: v9bridge::config::Pin::None,
        ..Default::default()
    };
    let r = execute(&args, false).expect("demo runs");
    assert!(r.ok, "problems: {:?}", r.problems);
    assert_eq!(r.signals_sent, 303, "3 example + 300 burst");
}
