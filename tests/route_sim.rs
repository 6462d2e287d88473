//! Mapping and sizing end to end: two simulated receivers, one group mapped ES->MES x10 (one
//! account x2), one trading ES; every account's final position per mapped symbol is checked
//! in the receivers' own books and in the engine's view of their reports.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use support::engine::*;
use v9bridge::config::Config;
use v9bridge::sim::receiver::{self, ReceiverArgs, ReceiverReport};
use v9bridge::v9::codec::Direction;

const GROUPS: &str = "[groups]\nmicro = ['M1', 'M2']\nfull = ['F1', 'F2']\n\
    [mapping.micro]\nmultipliers = { M2 = 2.0 }\nsymbols = { ES = { to = 'MES', ratio = 10 } }\n";

struct Rx {
    stop: Arc<AtomicBool>,
    join: std::thread::JoinHandle<Result<ReceiverReport, String>>,
}

fn start_rx(e: &Running, name: &str, prefix: &str) -> Rx {
    let args = ReceiverArgs {
        connect: e.addr.to_string(),
        accounts: 2,
        account_prefix: prefix.into(),
        name: name.into(),
        heartbeat_s: 0.5,
        ..Default::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let join = receiver::spawn(args, stop.clone(), Arc::new(AtomicUsize::new(0)));
    Rx { stop, join }
}

/// (account, symbol) -> signed position, flat ones left out.
type Table = BTreeMap<(String, String), i64>;

fn sim_table(r: &ReceiverReport) -> Table {
    let b = &r.book;
    let mut t = Table::new();
    for (a, hs) in b.accounts.iter().zip(&b.holdings) {
        for h in hs.iter().filter(|h| h.qty != 0) {
            t.insert((a.clone(), h.symbol.clone()), h.qty);
        }
    }
    t
}

fn engine_table(e: &Running, name: &str) -> Table {
    let rows = e.handle.call(|eps, _| eps.v9.as_ref().unwrap().receivers(), WAIT).unwrap();
    let mut t = Table::new();
    for r in rows.iter().filter(|r| r.name == name) {
        for p in r.positions.iter().filter(|p| p.qty != 0) {
            let q = i64::from(p.qty);
            let signed = if p.direction == Direction::Short { -q } else { q };
            t.insert((p.account.clone(), p.symbol.clone()), signed);
        }
    }
    t
}

fn table(rows: &[(&str, &str, i64)]) -> Table {
    rows.iter().map(|(a, s, q)| ((a.to_string(), s.to_string()), *q)).collect()
}

#[test]
fn two_groups_one_mapped_converge_per_account_and_symbol() {
    let mut c = test_config();
    let r = Config::from_toml(GROUPS).unwrap();
    (c.risk, c.groups, c.mapping) = (r.risk, r.groups, r.mapping);
    let e = start(c);
    let (m, f) = (start_rx(&e, "rxM", "M"), start_rx(&e, "rxF", "F"));
    wait_for("both receivers READY", || e.book("rxM").is_some() && e.book("rxF").is_some());
    let mut p = Raw::publisher(e.addr, None);
    let signals = [
        "LONG|ES|1",
        "LONG|ES|2|Group:full",
        "SHORT|ES|1|Accounts:M1",
        "CLOSE_HALF|ES|0",
        "LONG|NQ|1|Group:micro",
    ];
    for sig in signals {
        p.send(sig);
        assert!(p.line().starts_with("SIGNAL_ACK|"), "{sig}");
    }
    let want_m = table(&[("M1", "MES", -5), ("M1", "NQ", 1), ("M2", "MES", 10), ("M2", "NQ", 2)]);
    let want_f = table(&[("F1", "ES", 1), ("F2", "ES", 1)]);
    wait_for("the engine's view of rxM's reports", || engine_table(&e, "rxM") == want_m);
    wait_for("the engine's view of rxF's reports", || engine_table(&e, "rxF") == want_f);
    // Expected positions per account (what each was sent) agree with the reports.
    wait_for("no mismatch", || {
        ["rxM", "rxF"].iter().all(|n| e.book(n).is_some_and(|b| b.mismatches.is_empty()))
    });
    for (rx, want) in [(m, want_m), (f, want_f)] {
        rx.stop.store(true, Ordering::SeqCst);
        let report = rx.join.join().expect("receiver thread").expect("receiver report");
        assert_eq!(sim_table(&report), want);
        assert_eq!(report.duplicates, 0);
    }
    e.stop();
}
