//! Risk gates, table-driven: every rule refuses what it guards and lets closes through.

mod support;

use std::time::{Duration, Instant};
use support::risk::*;
use v9bridge::risk::{position_after, Flat, Refusal, Rule, Source, Target};
use v9bridge::signal::Action::{self, *};

const CLOSES: [Action; 3] = [Flatten, CloseHalf, CloseOne];

fn rule_of(r: Result<v9bridge::risk::Ticket, Refusal>) -> Option<Rule> {
    r.err().map(|e| e.rule().expect("a risk refusal"))
}

#[test]
fn max_qty_global_and_per_symbol() {
    let now = Instant::now();
    let mut r = risk("[risk]\nmax_qty = 5\n[risk.symbols.NQ]\nmax_qty = 2\n", now);
    let rows: &[(Action, &str, u32, Option<Rule>)] = &[
        (Long, "ES", 5, None),
        (Long, "ES", 6, Some(Rule::MaxQty)),
        (Short, "es", 6, Some(Rule::MaxQty)),
        (Reverse, "ES", 6, Some(Rule::MaxQty)),
        (Long, "NQ", 2, None),
        (Long, "NQ", 3, Some(Rule::MaxQty)),
        (Short, "nq", 3, Some(Rule::MaxQty)),
        (Reverse, "NQ", 0, None),
        (Long, "CL", 5, None),
    ];
    for &(a, s, q, want) in rows {
        let got = rule_of(r.check(&sig(a, s, q, &[]), Source::Cli, &Flat, now, monday_open()));
        assert_eq!(got, want, "{a} {s} {q}");
    }
    let e = r.check(&sig(Long, "NQ", 3, &[]), Source::Cli, &Flat, now, monday_open()).unwrap_err();
    assert_eq!(e.to_string(), "ERROR|RISK_REJECTED|MAX_QTY|Symbol: NQ,Qty: 3,Max: 2");
    assert_eq!(r.refused(Rule::MaxQty), 6);
}

#[test]
fn closes_pass_every_growth_gate() {
    let now = Instant::now();
    let text = "[risk]\nmax_qty = 1\nmax_position = 1\nallowed_symbols = ['NQ']\n\
                [risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['08:30-15:00']\n\
                [groups]\ng = ['A']\n";
    let mut r = risk(text, now);
    r.kill(0);
    let saturday = wall("2026-12-05T12:00[America/Chicago]");
    let held = Book::default().with("A", "ES", 9);
    for a in CLOSES {
        for s in ["ES", "ALL"] {
            let t = r.check(&sig(a, s, 0, &[]), Source::Pipe, &held, now, saturday);
            assert_eq!(t.map(|t| t.target), Ok(Target::All), "{a} {s}");
        }
    }
    // The same gates refuse an opening signal, the kill switch first.
    let e = r.check(&sig(Long, "ES", 1, &[]), Source::Pipe, &held, now, saturday);
    assert_eq!(rule_of(e), Some(Rule::KillSwitch));
}

#[test]
fn allow_list_compares_symbols_in_any_case() {
    let now = Instant::now();
    let mut r = risk("[risk]\nallowed_symbols = ['es', 'MNQ']\n", now);
    for (s, ok) in [("ES", true), ("es", true), ("MNQ", true), ("NQ", false), ("ESZ6", false)] {
        let got = rule_of(r.check(&sig(Long, s, 1, &[]), Source::Cli, &Flat, now, 0));
        assert_eq!(got, (!ok).then_some(Rule::SymbolNotAllowed), "{s}");
    }
    let e = r.check(&sig(Short, "NQ", 1, &[]), Source::Cli, &Flat, now, 0).unwrap_err();
    assert_eq!(e.to_string(), "ERROR|RISK_REJECTED|SYMBOL_NOT_ALLOWED|Symbol: NQ");
}

#[test]
fn trading_hours_follow_the_exchange_zone_and_dst() {
    let now = Instant::now();
    let text = "[risk.symbols.ES]\ntz = 'America/Chicago'\nhours = ['17:00-16:00']\n\
                days = ['sun', 'mon', 'tue', 'wed', 'thu']\n";
    let mut r = risk(text, now);
    let rows = [
        ("2026-11-30T10:00[America/Chicago]", true),  // Monday
        ("2026-11-30T15:59[America/Chicago]", true),  // Monday, a minute before the break
        ("2026-11-30T16:00[America/Chicago]", false), // daily break
        ("2026-11-30T16:59[America/Chicago]", false),
        ("2026-11-30T17:00[America/Chicago]", true),
        ("2026-12-04T15:59[America/Chicago]", true), // Friday before the close
        ("2026-12-04T16:00[America/Chicago]", false), // weekend
        ("2026-12-05T12:00[America/Chicago]", false), // Saturday
        ("2026-12-06T16:59[America/Chicago]", false), // Sunday before the open
        ("2026-12-06T17:00[America/Chicago]", true), // Sunday open
        // The same local times in summer (CDT, UTC-5) and seen from another zone.
        ("2026-07-06T16:30[America/Chicago]", false),
        ("2026-07-06T17:30[America/Chicago]", true),
        ("2026-07-06T17:30[America/New_York]", false), // 16:30 in Chicago
        ("2026-11-30T22:30[UTC]", false),              // 16:30 CST
        ("2026-11-30T23:00[UTC]", true),               // 17:00 CST
        // DST starts Sunday 2026-03-08 02:00: the Sunday open at 17:00 CDT is 22:00 UTC.
        ("2026-03-08T21:59[UTC]", false),
        ("2026-03-08T22:00[UTC]", true),
    ];
    for (t, open) in rows {
        let got = rule_of(r.check(&sig(Long, "ES", 1, &[]), Source::Cli, &Flat, now, wall(t)));
        assert_eq!(got, (!open).then_some(Rule::TradingHours), "{t}");
    }
    let e = r.check(&sig(Long, "ES", 1, &[]), Source::Cli, &Flat, now, wall(rows[2].0));
    assert_eq!(e.unwrap_err().to_string(), "ERROR|RISK_REJECTED|TRADING_HOURS|Symbol: ES");
    // A symbol without hours trades any time.
    let got = r.check(&sig(Long, "NQ", 1, &[]), Source::Cli, &Flat, now, wall(rows[7].0));
    assert!(got.is_ok());
}

#[test]
fn max_position_uses_the_expected_positions_and_lets_reductions_through() {
    let now = Instant::now();
    let text = "[risk]\nmax_position = 3\n[risk.symbols.MES]\nmax_position = 20\n\
                [groups]\nplain = ['A', 'B']\nmicro = ['M']\n\
                [mapping.micro]\nsymbols = { ES = { to = 'MES', ratio = 10 } }\n";
    let mut r = risk(text, now);
    type Row<'a> = (&'a [(&'a str, &'a str, i64)], Action, u32, Option<(&'a str, i64)>);
    let rows: &[Row<'_>] = &[
        (&[], Long, 2, None),
        (&[("A", "ES", 2)], Long, 1, None),
        (&[("A", "ES", 2)], Long, 2, Some(("A", 4))),
        (&[("B", "ES", -3)], Short, 1, Some(("B", -4))),
        // LONG on a short closes it first: -3 -> +2.
        (&[("B", "ES", -3)], Long, 2, None),
        // Already over the limit (a lowered limit): a reduction passes, growth does not.
        (&[("A", "ES", 5)], Short, 2, None),
        (&[("A", "ES", 5)], Reverse, 4, None),
        (&[("A", "ES", 5)], Reverse, 0, None),
        (&[("A", "ES", 2)], Reverse, 4, Some(("A", -4))),
        // The mapped account is held to MES's own limit: 1 ES = 10 MES.
        (&[("M", "MES", 10)], Long, 1, None),
        (&[("M", "MES", 11)], Long, 1, Some(("M", 21))),
    ];
    for (held, a, q, want) in rows {
        let mut book = Book::default();
        for (acct, s, n) in held.iter() {
            book = book.with(acct, s, *n);
        }
        let got = r.check(&sig(*a, "ES", *q, &[]), Source::Cli, &book, now, 0);
        match (got, want) {
            (Ok(_), None) => {}
            (Err(Refusal::Risk(rr)), Some((acct, after))) => {
                assert_eq!(rr.rule, Rule::MaxPosition);
                let v9bridge::risk::Detail::Position { account, after: got, .. } = rr.detail else {
                    panic!("{rr:?}")
                };
                assert_eq!((account.as_str(), got), (*acct, *after), "{held:?} {a} {q}");
            }
            (got, want) => panic!("{held:?} {a} {q}: got {got:?}, want {want:?}"),
        }
    }
    let book = Book::default().with("A", "ES", 3);
    let e = r.check(&sig(Long, "ES", 1, &[]), Source::Cli, &book, now, 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ERROR|RISK_REJECTED|MAX_POSITION|Account: A,Symbol: ES,After: 4,Max: 3"
    );
}

#[test]
fn rates_per_publisher_and_total_refill_with_time() {
    let t0 = Instant::now();
    let text = "[risk]\nmax_signals_per_s = 5\nmax_signals_per_s_per_publisher = 3\n";
    let mut r = risk(text, t0);
    let s = sig(Long, "ES", 1, &[]);
    let go = |r: &mut v9bridge::risk::Risk, src, at| rule_of(r.check(&s, src, &Flat, at, 0));
    // A burst of one second's worth per publisher, then refused.
    for _ in 0..3 {
        assert_eq!(go(&mut r, Source::Publisher(0), t0), None);
    }
    assert_eq!(go(&mut r, Source::Publisher(0), t0), Some(Rule::RatePublisher));
    // Another publisher has its own bucket, until the total runs out.
    assert_eq!(go(&mut r, Source::Publisher(1), t0), None);
    assert_eq!(go(&mut r, Source::Pipe, t0), None);
    assert_eq!(go(&mut r, Source::Cli, t0), Some(Rule::RateTotal));
    // The engine's own signals are never rate limited.
    assert_eq!(go(&mut r, Source::Engine, t0), None);
    // A refused signal took no token: 1/3 s later publisher 0 has one again, and so has the
    // total (1/5 s per token).
    let later = t0 + Duration::from_millis(334);
    assert_eq!(go(&mut r, Source::Publisher(0), later), None);
    assert_eq!(go(&mut r, Source::Publisher(0), later), Some(Rule::RatePublisher));
    // A new connection in a slot starts with a full bucket (the total has refilled by two of
    // its 200 ms tokens at 600 ms).
    let t600 = t0 + Duration::from_millis(600);
    assert_eq!(go(&mut r, Source::Publisher(0), t600), Some(Rule::RatePublisher));
    r.publisher_connected(0, t600);
    assert_eq!(go(&mut r, Source::Publisher(0), t600), None);
    assert_eq!(go(&mut r, Source::Publisher(1), t600), None);
    let e = r.check(&s, Source::Publisher(1), &Flat, t600, 0).unwrap_err();
    assert_eq!(e.to_string(), "ERROR|RISK_REJECTED|RATE_TOTAL|Max per second: 5");
    // Closes count against the rates too (they are flood protection, not risk growth).
    let flat = sig(Flatten, "ALL", 0, &[]);
    assert_eq!(
        rule_of(r.check(&flat, Source::Publisher(1), &Flat, t600, 0)),
        Some(Rule::RateTotal)
    );
    assert_eq!(go(&mut r, Source::Publisher(1), t0 + Duration::from_secs(5)), None);
}

#[test]
fn the_kill_switch_flattens_refuses_openings_until_armed_and_restores() {
    let now = Instant::now();
    let mut r = risk("", now);
    let long = sig(Long, "ES", 1, &[]);
    assert!(r.check(&long, Source::Cli, &Flat, now, 0).is_ok());
    let k = r.kill(42);
    assert!(k.flatten_all && k.changed);
    assert_eq!(r.kill_switch(), v9bridge::risk::KillSwitch::Killed { since_ns: 42 });
    // Killing again flattens again but changes nothing to journal.
    let k = r.kill(43);
    assert!(k.flatten_all && !k.changed);
    for a in [Long, Short, Reverse] {
        let e = r.check(&sig(a, "ES", 1, &[]), Source::Publisher(0), &Flat, now, 0).unwrap_err();
        assert_eq!(e.to_string(), "ERROR|RISK_REJECTED|KILL_SWITCH|Kill switch on; arm to trade");
    }
    for a in CLOSES {
        assert!(r.check(&sig(a, "ES", 0, &[]), Source::Publisher(0), &Flat, now, 0).is_ok());
    }
    assert!(r.arm());
    assert!(!r.arm(), "arming twice changes nothing");
    assert!(r.check(&long, Source::Cli, &Flat, now, 0).is_ok());
    // A restart reads the journal's last KillSwitch record: armed = killed.
    let mut restarted = risk("", now);
    restarted.restore_kill(true, 7);
    assert_eq!(rule_of(restarted.check(&long, Source::Cli, &Flat, now, 0)), Some(Rule::KillSwitch));
    assert!(restarted.kill_switch().journal_armed());
    restarted.restore_kill(false, 8);
    assert!(restarted.check(&long, Source::Cli, &Flat, now, 0).is_ok());
}

#[test]
fn position_rule_matches_the_simulated_receivers() {
    for a in Action::ALL {
        for held in -3..=3 {
            for q in 0..=3 {
                let want = v9bridge::sim::model::Book::target(a, held, q);
                assert_eq!(position_after(a, held, q), want, "{a} {held} {q}");
            }
        }
    }
}

#[test]
fn the_kill_switch_survives_a_restart_through_the_journal() {
    use v9bridge::journal::{Journal, JournalConfig, Record};
    let tmp = tempfile::tempdir().unwrap();
    let cfg = JournalConfig { dir: tmp.path().into(), ..JournalConfig::default() };
    let now = Instant::now();
    let long = sig(Long, "ES", 1, &[]);
    // Run 1: kill, journaled as the engine would (armed = killed).
    let (mut w, rec) = Journal::open(tmp.path(), &cfg).unwrap();
    let mut r = risk("", now);
    r.restore_journal(&rec);
    assert!(r.check(&long, Source::Cli, &Flat, now, 0).is_ok(), "a new journal: trading");
    let k = r.kill(1_000);
    assert!(k.changed);
    let by = "cli";
    w.append(&Record::KillSwitch { armed: r.kill_switch().journal_armed(), by }, 1_000).unwrap();
    drop(w);
    // Run 2: still killed, until armed.
    let (mut w, rec) = Journal::open(tmp.path(), &cfg).unwrap();
    let mut r = risk("", now);
    r.restore_journal(&rec);
    assert_eq!(r.kill_switch(), v9bridge::risk::KillSwitch::Killed { since_ns: 1_000 });
    assert_eq!(rule_of(r.check(&long, Source::Cli, &Flat, now, 0)), Some(Rule::KillSwitch));
    assert!(r.arm());
    w.append(&Record::KillSwitch { armed: r.kill_switch().journal_armed(), by }, 2_000).unwrap();
    drop(w);
    // Run 3: armed.
    let (_w, rec) = Journal::open(tmp.path(), &cfg).unwrap();
    let mut r = risk("", now);
    r.restore_journal(&rec);
    assert!(r.check(&long, Source::Cli, &Flat, now, 0).is_ok());
}
