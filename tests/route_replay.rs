//! A routed signal replayed after a reconnect goes through the same route for that receiver;
//! SYNC carries `Accounts:` when its accounts' targets differ.

mod support;

use support::engine::*;
use v9bridge::config::Config;

const ROUTED: &str = "[groups]\nmicro = ['A1', 'A2']\nfull = ['B1']\n\
    [mapping.micro]\nmultipliers = { A2 = 1.5 }\nsymbols = { ES = { to = 'MES', ratio = 10 } }\n";

fn routed_config() -> Config {
    let mut c = test_config();
    let r = Config::from_toml(ROUTED).unwrap();
    (c.risk, c.groups, c.mapping) = (r.risk, r.groups, r.mapping);
    c
}

/// Connects `name` declaring `accounts` with the extra CONNECT keys `keys`; returns it and
/// its READY.
fn rx(e: &Running, name: &str, accounts: &str, keys: &str) -> (Raw, String) {
    let mut r = Raw::connect(e.addr);
    let decl = if accounts.is_empty() { String::new() } else { format!("|Accounts:{accounts}") };
    r.send(&format!("CONNECT|{name}|Account_Count:2|Version:1.0{keys}{decl}"));
    let l = r.line();
    assert!(l.starts_with("READY|1.0|"), "{l}");
    (r, l)
}

/// Lines up to and including `CAUGHT_UP`.
fn catch_up(r: &mut Raw) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        let l = r.line();
        let end = l.starts_with("CAUGHT_UP|");
        got.push(l);
        if end {
            return got;
        }
    }
}

#[test]
fn replay_routes_again_and_sync_lists_accounts() {
    let e = start(routed_config());
    let (mut a, ready) = rx(&e, "rxA", "A1+A2", "");
    let epoch = ready.split('|').find_map(|f| f.strip_prefix("Epoch:")).unwrap().to_string();
    let mut p = Raw::publisher(e.addr, None);
    for sig in ["LONG|ES|1|Accounts:A1", "LONG|ES|1|Group:full", "LONG|ES|1"] {
        p.send(sig);
        assert!(p.line().starts_with("SIGNAL_ACK|"), "{sig}");
    }
    assert_eq!(a.line(), "LONG|MES|10|Accounts:A1|ID:1");
    assert_eq!(a.line(), "LONG|MES|10|Accounts:A1=10+A2=15|ID:3");
    drop(a);

    // Same epoch, Last_ID:0: every signal again, routed for this receiver (id 2 is not its).
    let keys = format!("|Last_ID:0|Epoch:{epoch}");
    let (mut a, _) = rx(&e, "rxA", "A1+A2", &keys);
    assert_eq!(
        catch_up(&mut a),
        [
            "LONG|MES|10|Accounts:A1|Replay:1|ID:1",
            "LONG|MES|10|Accounts:A1=10+A2=15|Replay:1|ID:3",
            "CAUGHT_UP|REPLAY|2|ID:3"
        ]
    );
    drop(a);

    // Another epoch: targets per account; A1 holds 20 MES, A2 15, neither trades ES.
    let (mut a, _) = rx(&e, "rxA", "A1+A2", "|Last_ID:3|Epoch:1");
    assert_eq!(
        catch_up(&mut a),
        [
            "SYNC|ES|FLAT|0|ID:3",
            "SYNC|MES|LONG|20|Accounts:A1|ID:3",
            "SYNC|MES|LONG|15|Accounts:A2|ID:3",
            "CAUGHT_UP|SYNC|3|ID:3"
        ]
    );
    // B1 got the whole ES signals: one target, no Accounts:. A base receiver: the unrouted one.
    let (mut b, _) = rx(&e, "rxB", "B1", "|Last_ID:3|Epoch:1");
    assert_eq!(catch_up(&mut b), ["SYNC|ES|LONG|2|ID:3", "CAUGHT_UP|SYNC|1|ID:3"]);
    let (mut base, _) = rx(&e, "base", "", "|Last_ID:3|Epoch:1");
    assert_eq!(catch_up(&mut base), ["SYNC|ES|LONG|1|ID:3", "CAUGHT_UP|SYNC|1|ID:3"]);
    e.stop();
}
