//! The route step over loopback: Group:/Accounts: reach only their accounts, receivers holding
//! none of them get nothing, mapping and sizing per account, inversion, closes never sized.

mod support;

use support::engine::*;
use v9bridge::config::Config;

/// Two groups: `micro` (A1, A2) trades ES as MES x10 (A2 x1.5), `full` (B1) ES as is,
/// `inv` (C1) inverted.
const ROUTED: &str = "[groups]\nmicro = ['A1', 'A2']\nfull = ['B1']\ninv = ['C1']\n\
    [mapping.micro]\nallow_hedge = true\nmultipliers = { A2 = 1.5 }\nsymbols = { ES = { to = 'MES', ratio = 10 } }\n\
    [mapping.inv]\ninvert = true\nallow_hedge = true\n[risk]\nallow_hedge = true\n";

pub fn routed_config() -> Config {
    let mut c = test_config();
    let r = Config::from_toml(ROUTED).unwrap();
    (c.risk, c.groups, c.mapping) = (r.risk, r.groups, r.mapping);
    c
}

/// A receiver declaring `accounts` (empty: none, a base receiver).
fn rx(e: &Running, name: &str, accounts: &str) -> Raw {
    let mut r = Raw::connect(e.addr);
    let decl = if accounts.is_empty() { String::new() } else { format!("|Accounts:{accounts}") };
    r.send(&format!("CONNECT|{name}|Account_Count:2|Version:1.0{decl}"));
    let l = r.line();
    assert!(l.starts_with("READY|1.0|"), "{l}");
    r
}

/// Sends `sig`; returns the publisher's answer.
fn send(p: &mut Raw, sig: &str) -> String {
    p.send(sig);
    p.line()
}

/// Every receiver's next lines until the unrouted marker signal everyone gets: what it got
/// before the marker is exactly what it was sent (no timing involved).
fn until_marker(p: &mut Raw, rxs: &mut [&mut Raw]) -> Vec<Vec<String>> {
    assert!(send(p, "FLATTEN|ZZZ|0").starts_with("SIGNAL_ACK|"));
    rxs.iter_mut()
        .map(|r| {
            let mut got = Vec::new();
            loop {
                let l = r.line();
                if l.starts_with("FLATTEN|ZZZ|0|") {
                    return got;
                }
                got.push(l);
            }
        })
        .collect()
}

#[test]
fn routed_signals_reach_only_their_accounts_mapped_and_sized() {
    let e = start(routed_config());
    let mut a = rx(&e, "rxA", "A1+A2");
    let mut b = rx(&e, "rxB", "B1");
    let mut base = rx(&e, "base", "");
    let mut other = rx(&e, "other", "Sim101");
    let mut p = Raw::publisher(e.addr, None);
    assert_eq!(send(&mut p, "LONG|ES|1|Group:full"), "SIGNAL_ACK|1|1");
    assert_eq!(send(&mut p, "LONG|ES|1|TP:4700|Accounts:A1"), "SIGNAL_ACK|2|1");
    assert_eq!(send(&mut p, "LONG|ES|2"), "SIGNAL_ACK|3|4");
    let got = until_marker(&mut p, &mut [&mut a, &mut b, &mut base, &mut other]);
    assert_eq!(
        got[0],
        ["LONG|MES|10|TP:4700|Accounts:A1|ID:2", "LONG|MES|20|Accounts:A1=20+A2=30|ID:3"],
        "mapped x10, A2 x1.5, one line per signal; the publisher's option is not re-broadcast"
    );
    assert_eq!(
        got[1],
        ["LONG|ES|1|ID:1", "LONG|ES|2|ID:3"],
        "every account of B: the shared bytes"
    );
    assert_eq!(got[2], ["LONG|ES|2|ID:3"], "declared nothing: unrouted signals only");
    assert_eq!(got[3], ["LONG|ES|2|ID:3"], "holds none of the targets: nothing routed");
    e.stop();
}

#[test]
fn unknown_targets_are_refused_and_trade_nothing() {
    let e = start(routed_config());
    let mut a = rx(&e, "rxA", "A1+A2");
    let mut p = Raw::publisher(e.addr, None);
    let rows = [
        ("LONG|ES|1|Group:nope", "ERROR|INVALID_SIGNAL|Unknown group|Group: nope"),
        ("LONG|ES|1|Accounts:A1+Ghost", "ERROR|INVALID_SIGNAL|Unknown account|Account: Ghost"),
        (
            "LONG|ES|1|Accounts:A1=3",
            "ERROR|INVALID_SIGNAL|Invalid routing option|One Group:<name> or Accounts:<a>+<b>",
        ),
        (
            "LONG|ES|1|Group:micro|Accounts:A1",
            "ERROR|INVALID_SIGNAL|Invalid routing option|One Group:<name> or Accounts:<a>+<b>",
        ),
    ];
    for (sig, want) in rows {
        assert_eq!(send(&mut p, sig), want, "{sig}");
    }
    assert_eq!(until_marker(&mut p, &mut [&mut a])[0], Vec::<String>::new());
    e.stop();
}

#[test]
fn inversion_and_closes_follow_the_mapping_and_are_never_sized() {
    let e = start(routed_config());
    let mut a = rx(&e, "rxA", "A1+A2");
    let mut c = rx(&e, "rxC", "C1+B1");
    let mut p = Raw::publisher(e.addr, None);
    for sig in [
        "LONG|ES|1|Group:inv",
        "CLOSE_HALF|ES|0",
        "FLATTEN|ES|0|Group:micro",
        "REVERSE|ES|1|Accounts:A2",
    ] {
        assert!(send(&mut p, sig).starts_with("SIGNAL_ACK|"), "{sig}");
    }
    let got = until_marker(&mut p, &mut [&mut a, &mut c]);
    assert_eq!(
        got[0],
        [
            "CLOSE_HALF|MES|0|Accounts:A1+A2|ID:2",
            "FLATTEN|MES|0|Accounts:A1+A2|ID:3",
            "REVERSE|MES|15|Accounts:A2|ID:4"
        ],
        "closes keep 0 (the receiver closes what it holds) on the mapped symbol"
    );
    assert_eq!(got[1], ["SHORT|ES|1|Accounts:C1|ID:1", "CLOSE_HALF|ES|0|ID:2"]);
    e.stop();
}

#[test]
fn max_position_reads_each_account_in_its_mapped_symbol() {
    let mut c = routed_config();
    let r = Config::from_toml("[risk.symbols.MES]\nmax_position = 25\n").unwrap();
    c.risk.symbols = r.risk.symbols;
    let e = start(c);
    let mut a = rx(&e, "rxA", "A1+A2");
    let mut p = Raw::publisher(e.addr, None);
    // A1 +10 MES, A2 +15: within 25.
    assert!(send(&mut p, "LONG|ES|1|Group:micro").starts_with("SIGNAL_ACK|1|"));
    // A2 would hold 30 MES: refused before an id, nothing traded.
    assert_eq!(
        send(&mut p, "LONG|ES|1|Group:micro"),
        "ERROR|RISK_REJECTED|MAX_POSITION|Account: A2,Symbol: MES,After: 30,Max: 25"
    );
    // A1 alone may add: 20 MES.
    assert!(send(&mut p, "LONG|ES|1|Accounts:A1").starts_with("SIGNAL_ACK|2|"));
    let got = until_marker(&mut p, &mut [&mut a]);
    assert_eq!(got[0], ["LONG|MES|10|Accounts:A1=10+A2=15|ID:1", "LONG|MES|10|Accounts:A1|ID:2"]);
    e.stop();
}
