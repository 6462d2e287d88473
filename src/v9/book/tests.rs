//! Receiver book tests: summary agreement, the FLATTEN check, the P&L queue.

use super::*;

fn pos(account: &str, direction: Direction, qty: u32, symbol: &str) -> Position<'static> {
    let account: &'static str = Box::leak(account.to_string().into_boxed_str());
    let symbol: &'static str = Box::leak(symbol.to_string().into_boxed_str());
    Position { account, direction, qty, entry: 1.0, pnl: 1.0, time: None, symbol }
}

#[test]
fn summary_agreement_and_flatten_check() {
    let now = Instant::now();
    let mut b = ReceiverBook::default();
    for i in 0..3 {
        b.apply_position(&pos(&format!("A{i}"), Direction::Long, 2, "ES"), now);
    }
    b.apply_position(&pos("A0", Direction::Short, 1, "NQ"), now);
    assert_eq!(b.totals(), (3, 7, 3, 1));
    let s = Summary {
        accounts: 3,
        qty: 7,
        pnl: 0.0,
        avg_entry: 1.0,
        breakdown: Some((3, 1)),
        signal_id: None,
    };
    assert_eq!(b.apply_summary(&s), None);
    let bad = Summary { qty: 8, ..s };
    assert!(b.apply_summary(&bad).is_some());
    assert!(b.apply_summary(&bad).is_none(), "warned once");

    b.expect_flat(5, "ES", now + Duration::from_secs(1));
    assert!(b.check_flatten(now).is_none(), "not due yet");
    b.apply_position(&pos("A1", Direction::Flat, 0, "ES"), now);
    // A1 then reopens (a later LONG): it did flatten, so it is in sync.
    b.apply_position(&pos("A1", Direction::Long, 1, "ES"), now);
    let (id, late) = b.check_flatten(now + Duration::from_secs(2)).unwrap();
    assert_eq!(id, 5);
    assert_eq!(late, ["A0/ES LONG 2", "A2/ES LONG 2"]);
    assert_eq!(b.positions().len(), 4);
    // A1/ES... A0 reports flat after the check: dropped from the out-of-sync list.
    b.apply_position(&pos("A0", Direction::Flat, 0, "ES"), now);
    assert_eq!(b.out_of_sync(), ["A2/ES LONG 2"]);
}

#[test]
fn pnl_queue_hands_each_changed_entry_once_with_its_latest_value() {
    let now = Instant::now();
    let mut b = ReceiverBook::default();
    let p = |a, pnl, s| Position { pnl, ..pos(a, Direction::Long, 1, s) };
    b.apply_position(&p("A", -10.0, "ES"), now);
    b.apply_position(&p("A", -20.0, "ES"), now);
    b.apply_position(&p("B", 0.0, ""), now);
    let mut got = Vec::new();
    b.drain_pnl(|a, s, v| got.push((a.to_string(), s.to_string(), v)));
    assert_eq!(got, [("A".into(), "ES".into(), -20.0), ("B".into(), String::new(), 0.0)]);
    assert!(!b.pnl_pending());
    b.apply_position(&p("B", 0.0, ""), now);
    assert!(!b.pnl_pending(), "an unchanged P&L is not queued again");
    b.apply_position(&p("A", -5.0, "ES"), now);
    got.clear();
    b.drain_pnl(|a, _, v| got.push((a.to_string(), String::new(), v)));
    assert_eq!(got, [("A".into(), String::new(), -5.0)]);
}
