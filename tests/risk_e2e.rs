//! The risk layer in the engine over loopback: refusals answered to the publisher and not
//! broadcast, the kill switch across a restart (journal), `[mapping]` checked at start.

mod support;

use std::time::Duration;
use support::engine::*;
use v9bridge::config::Config;
use v9bridge::engine::Engine;

const RISK: &str =
    "[risk]\nmax_qty = 2\nallowed_symbols = ['ES', 'MES']\n[groups]\napex = ['Apex1']\n";

fn risk_config(journal: &str) -> Config {
    let mut c = test_config();
    let r = Config::from_toml(RISK).unwrap();
    (c.risk, c.groups) = (r.risk, r.groups);
    c.journal.dir = journal.into();
    c
}

/// The receiver got nothing within a short bound.
fn silent(rx: &mut Raw) -> bool {
    rx.try_line(Duration::from_millis(200)).is_none()
}

#[test]
fn refusals_reach_the_publisher_only() {
    let e = start(risk_config("none"));
    let mut rx = Raw::receiver(e.addr, "rx");
    let mut publ = Raw::publisher(e.addr, None);
    let rows = [
        ("LONG|ES|3", "ERROR|RISK_REJECTED|MAX_QTY|Symbol: ES,Qty: 3,Max: 2"),
        ("SHORT|CL|1", "ERROR|RISK_REJECTED|SYMBOL_NOT_ALLOWED|Symbol: CL"),
        ("LONG|ES|1|Group:nope", "ERROR|INVALID_SIGNAL|Unknown group|Group: nope"),
        ("LONG|ES|1|Accounts:Ghost", "ERROR|INVALID_SIGNAL|Unknown account|Account: Ghost"),
    ];
    for (sig, want) in rows {
        publ.send(sig);
        assert_eq!(publ.line(), want, "{sig}");
    }
    assert!(silent(&mut rx), "a refused signal is not broadcast");
    // Closes pass the growth limits; a signal within them is broadcast.
    publ.send("FLATTEN|CL|0");
    assert!(publ.line().starts_with("SIGNAL_ACK|"));
    assert_eq!(rx.line(), "FLATTEN|CL|0|ID:1");
    publ.send("LONG|es|2");
    assert!(publ.line().starts_with("SIGNAL_ACK|"));
    assert_eq!(rx.line(), "LONG|ES|2|ID:2");
    e.stop();
}

fn kill(e: &Running) {
    let r = e.handle.call(|eps, c| eps.v9.as_mut().unwrap().kill("test", c.now, c.wall_ns), WAIT);
    assert!(r.unwrap().is_ok());
}

#[test]
fn the_kill_switch_flattens_everyone_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().to_str().unwrap().to_string();
    let e = start(risk_config(&journal));
    let mut rx = Raw::receiver(e.addr, "rx");
    let mut publ = Raw::publisher(e.addr, None);
    publ.send("LONG|ES|1");
    assert!(publ.line().starts_with("SIGNAL_ACK|"));
    assert_eq!(rx.line(), "LONG|ES|1|ID:1");
    kill(&e);
    assert_eq!(rx.line(), "FLATTEN|ALL|0|ID:2");
    let refused = "ERROR|RISK_REJECTED|KILL_SWITCH|Kill switch on; arm to trade";
    publ.send("LONG|ES|1");
    assert_eq!(publ.line(), refused);
    publ.send("CLOSE_ONE|ES|0");
    assert!(publ.line().starts_with("SIGNAL_ACK|"), "closes pass");
    e.stop();

    // A restart reads the kill switch back from the journal: still killed, no new FLATTEN.
    let e = start(risk_config(&journal));
    let mut rx = Raw::receiver(e.addr, "rx");
    let mut publ = Raw::publisher(e.addr, None);
    publ.send("REVERSE|ES|1");
    assert_eq!(publ.line(), refused);
    assert!(silent(&mut rx));
    let armed =
        e.handle.call(|eps, c| eps.v9.as_mut().unwrap().arm("test", c.now, c.wall_ns), WAIT);
    assert!(armed.unwrap());
    publ.send("LONG|ES|1");
    assert!(publ.line().starts_with("SIGNAL_ACK|"));
    assert_eq!(rx.line(), "LONG|ES|1|ID:4");
    e.stop();

    // Armed is journaled too.
    let e = start(risk_config(&journal));
    let mut publ = Raw::publisher(e.addr, None);
    publ.send("LONG|ES|1");
    assert!(publ.line().starts_with("SIGNAL_ACK|"));
    e.stop();
}

#[test]
fn an_engine_with_mapping_starts_and_a_bad_mapping_does_not() {
    let mut c = risk_config("none");
    c.mapping.insert("apex".into(), Default::default());
    Engine::new(&c).expect("an engine with [mapping] starts: the route step applies it");
    c.mapping.insert("nope".into(), Default::default());
    let Err(err) = Engine::new(&c) else { panic!("an engine with an unknown group started") };
    assert!(err.to_string().contains("mapping.nope: unknown group"), "{err}");
}

#[test]
fn publishers_and_the_cli_kill_and_arm() {
    let e = start(risk_config("none"));
    let mut rx = Raw::receiver(e.addr, "rx");
    let mut publ = Raw::publisher(e.addr, None);
    // A receiver may not.
    rx.send("KILL|oops");
    assert_eq!(
        rx.line(),
        "ERROR|INVALID_SIGNAL|Not a publisher (CONNECT with Role:Publisher)|Role:Publisher required"
    );
    publ.send("KILL|desk says stop");
    assert_eq!(publ.line(), "SIGNAL_ACK|1|1");
    assert_eq!(rx.line(), "FLATTEN|ALL|0|ID:1");
    publ.send("LONG|ES|1");
    assert!(publ.line().starts_with("ERROR|RISK_REJECTED|KILL_SWITCH|"));
    publ.send("ARM");
    assert_eq!(publ.line(), "SIGNAL_ACK|1|0");
    publ.send("LONG|ES|1");
    assert_eq!(publ.line(), "SIGNAL_ACK|2|1");
    assert_eq!(rx.line(), "LONG|ES|1|ID:2");

    // `v9bridge kill` and `v9bridge arm` connect as a publisher and do the same.
    let bin = env!("CARGO_BIN_EXE_v9bridge");
    let server = e.addr.to_string();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let said = run(&["kill", "--server", &server, "--reason", "from the cli"]);
    assert!(said.contains("kill switch on: FLATTEN|ALL|0 #3 written to 1 receiver(s)"), "{said}");
    assert_eq!(rx.line(), "FLATTEN|ALL|0|ID:3");
    publ.send("SHORT|ES|1");
    assert!(publ.line().starts_with("ERROR|RISK_REJECTED|KILL_SWITCH|"));
    assert!(run(&["arm", "--server", &server]).contains("kill switch off"));
    publ.send("SHORT|ES|1");
    assert!(publ.line().starts_with("SIGNAL_ACK|4|"));
    let bad = std::process::Command::new(bin)
        .args(["kill", "--server", &server, "--reason", "a|b"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    e.stop();
}
