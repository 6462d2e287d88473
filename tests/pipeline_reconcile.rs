//! Reconciliation over loopback: a receiver reporting a wrong position past the grace period is
//! flagged (snapshot rows, report, journal) and cleared once it reports the expected one.

mod support;
use support::replay::*;
use v9bridge::v9::snapshot::ReceiverRow;

fn rows(e: &Running) -> Vec<ReceiverRow> {
    e.handle.call(|eps, _| eps.v9.as_ref().unwrap().receivers(), WAIT).unwrap()
}

fn row(e: &Running, name: &str) -> ReceiverRow {
    rows(e).into_iter().find(|r| r.name == name).unwrap()
}

/// The periodic report's text, as the reporter thread would log it now.
fn status(e: &Running) -> String {
    use v9bridge::engine::Report;
    e.handle.call(|eps, c| Report::collect(eps, c.market, c.now).to_string(), WAIT).unwrap()
}

#[test]
fn a_wrong_position_is_flagged_past_the_grace_and_cleared_when_fixed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(tmp.path());
    cfg.journal.reconcile_grace_ms = 300;
    let e = Running::start(&cfg);
    let (mut bad, _) = Client::hello(e.addr, "Bad", "|Accounts:A1+A2");
    let (mut good, _) = Client::hello(e.addr, "Good", "|Accounts:G1");
    let mut p = Client::publisher(e.addr);
    p.signal("LONG|MES|2");
    p.signal("SHORT|ES|1");
    assert_eq!(bad.line(), "LONG|MES|2|ID:1");
    assert_eq!(good.line(), "LONG|MES|2|ID:1");
    let pos = |acct: &str, side: &str, q: u32, sym: &str| {
        format!("POSITION|{acct}|{side}|{q}|4500.00|+0.00|2026-01-27T18:05:11Z|Symbol:{sym}")
    };
    for (c, acct, mes) in [(&mut bad, "A1", 2), (&mut good, "G1", 2)] {
        c.send(&pos(acct, "LONG", mes, "MES"));
        c.send(&pos(acct, "SHORT", 1, "ES"));
    }
    bad.send(&pos("A2", "LONG", 1, "MES"));
    bad.send(&pos("A2", "SHORT", 1, "ES"));
    wait_for("the flag", || row(&e, "Bad").mismatches.iter().any(|m| m.flagged));
    let r = row(&e, "Bad");
    assert_eq!(r.mismatches.len(), 1, "{:?}", r.mismatches);
    let m = &r.mismatches[0];
    assert_eq!(
        (m.account.as_str(), m.symbol.as_str(), m.expected, m.reported),
        ("A2", "MES", 2, 1)
    );
    assert!(row(&e, "Good").mismatches.is_empty(), "a receiver in sync is never flagged");
    let mut expected = r.expected.clone();
    expected.sort();
    assert_eq!(expected, [("ES".to_string(), -1), ("MES".to_string(), 2)]);
    assert!(status(&e).contains("OUT OF SYNC: A2/MES expected 2 reported 1"), "{}", status(&e));
    bad.send(&pos("A2", "LONG", 2, "MES"));
    wait_for("the clearing", || row(&e, "Bad").mismatches.is_empty());
    assert!(!status(&e).contains("OUT OF SYNC"));
    drop((bad, good, p));
    e.stop();
    let text = support::journal::journal_cat(tmp.path());
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("RECONCILE")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("account=A2 symbol=MES expected=2 reported=1 OUT_OF_SYNC"), "{text}");
    assert!(lines[1].contains("account=A2 symbol=MES expected=2 reported=2 IN_SYNC"), "{text}");
}

#[test]
fn a_declared_account_that_never_reports_is_flagged_and_sync_resets_expectations() {
    let mut cfg = config(std::path::Path::new("none"));
    cfg.journal.reconcile_grace_ms = 100;
    let e = Running::start(&cfg);
    let (_probe, ready) = Client::hello(e.addr, "probe", "");
    let epoch = field(&ready, "Epoch");
    let mut p = Client::publisher(e.addr);
    p.signal("LONG|NQ|3");
    let (mut a, _) =
        Client::hello(e.addr, "A", &format!("|Last_ID:0|Epoch:{}|Accounts:X", epoch + 1));
    assert_eq!(a.line(), "SYNC|NQ|LONG|3|ID:1");
    assert_eq!(a.line(), "CAUGHT_UP|SYNC|1|ID:1");
    assert_eq!(row(&e, "A").expected, [("NQ".to_string(), 3)], "expected follows the SYNC");
    wait_for("the flag", || row(&e, "A").mismatches.iter().any(|m| m.flagged));
    let m = &row(&e, "A").mismatches[0];
    assert_eq!((m.account.as_str(), m.expected, m.reported), ("X", 3, 0));
}
