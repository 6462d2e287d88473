//! Groups, routing to a subset, symbol mapping, sizing tables and the hedge rule.

mod support;

use std::time::Instant;
use support::risk::*;
use v9bridge::risk::sizing::Sizing;
use v9bridge::risk::{
    is_routing_option, Flat, Refusal, Risk, Rounding, RouteBuf, Routed, Rule, Source, Ticket,
};
use v9bridge::signal::{Action, Action::*, Signal};

const GROUPS: &str = "[groups]\napex = ['Apex1', 'Apex2']\ntopstep = ['TS1']\nown = ['Own1']\n\
    [mapping.apex]\nmultipliers = { Apex2 = 2.0 }\nsymbols = { ES = { to = 'MES', ratio = 10 } }\n";

/// What a receiver gets, rendered as the pipeline would (without the id):
/// `WHOLE`, `SKIP`, or one `ACTION|SYM|QTY|Accounts:...` line per part.
fn render(r: &Risk, s: &Signal<'_>, t: &Ticket, declared: &[&str]) -> Vec<String> {
    let rx = r.bind(declared);
    let mut buf = RouteBuf::default();
    match r.route(s, t, &rx, &mut buf) {
        Routed::Skip => vec!["SKIP".into()],
        Routed::Whole => vec!["WHOLE".into()],
        Routed::Parts(p) => p
            .iter()
            .map(|part| {
                let mut acc = Vec::new();
                part.write_accounts(&mut acc);
                let acc = String::from_utf8(acc).unwrap();
                format!("{}|{}|{}|{acc}", part.action, part.symbol, part.qty())
            })
            .collect(),
    }
}

fn check(r: &mut Risk, s: &Signal<'_>) -> Result<Ticket, Refusal> {
    r.check(s, Source::Cli, &Flat, Instant::now(), 0)
}

#[test]
fn routing_options_resolve_or_are_refused_as_invalid() {
    let mut r = risk(GROUPS, Instant::now());
    let rows: &[(&str, Result<&[&str], &str>)] = &[
        ("Group:apex", Ok(&["Apex1", "Apex2"])),
        ("group:topstep+own", Ok(&["TS1", "Own1"])),
        ("ACCOUNTS:Apex2+TS1", Ok(&["Apex2", "TS1"])),
        ("Group:nope", Err("ERROR|INVALID_SIGNAL|Unknown group|Group: nope")),
        ("Group:Apex", Err("ERROR|INVALID_SIGNAL|Unknown group|Group: Apex")),
        ("Accounts:Apex1+Ghost", Err("ERROR|INVALID_SIGNAL|Unknown account|Account: Ghost")),
        ("Accounts:Apex1=2", Err("ERROR|INVALID_SIGNAL|Invalid routing option|")),
        ("Accounts:Apex1++TS1", Err("ERROR|INVALID_SIGNAL|Invalid routing option|")),
        ("Group:", Err("ERROR|INVALID_SIGNAL|Invalid routing option|")),
    ];
    for (opt, want) in rows {
        let s = sig(Long, "ES", 1, &[opt]);
        match (check(&mut r, &s), want) {
            (Ok(t), Ok(accts)) => {
                let v9bridge::risk::Target::Set(set) = t.target else { panic!("{opt}: all") };
                let got: Vec<&str> = set.iter().map(|i| r.rules().account_name(i)).collect();
                let mut want = accts.to_vec();
                want.sort();
                assert_eq!(got, want, "{opt}");
            }
            (Err(e), Err(text)) => assert!(e.to_string().starts_with(text), "{opt}: {e}"),
            (got, want) => panic!("{opt}: got {got:?}, want {want:?}"),
        }
    }
    let both = sig(Long, "ES", 1, &["Group:apex", "Accounts:TS1"]);
    assert!(matches!(check(&mut r, &both), Err(Refusal::Invalid(_))));
    // Closing signals are checked too: a bad option trades nothing.
    let close = sig(Flatten, "ALL", 0, &["Group:nope"]);
    assert!(matches!(check(&mut r, &close), Err(Refusal::Invalid(_))));
    assert!(is_routing_option("gRoUp:x") && is_routing_option("Accounts:a"));
    assert!(!is_routing_option("TIF:GTC") && !is_routing_option("Grouping:x"));
}

#[test]
fn a_group_reaches_only_its_receivers() {
    let mut r = risk(GROUPS, Instant::now());
    let s = sig(Long, "NQ", 2, &["Group:topstep"]);
    let t = check(&mut r, &s).unwrap();
    assert_eq!(render(&r, &s, &t, &["Apex1", "Apex2"]), ["SKIP"]);
    assert_eq!(render(&r, &s, &t, &["TS1"]), ["WHOLE"], "all of its accounts, unchanged");
    assert_eq!(render(&r, &s, &t, &["TS1", "Sim101"]), ["LONG|NQ|2|Accounts:TS1"]);
    assert_eq!(render(&r, &s, &t, &[]), ["SKIP"], "a receiver that declared nothing");
    // Unrouted: everyone, the undeclared receiver unchanged.
    let all = sig(Long, "NQ", 2, &[]);
    let t = check(&mut r, &all).unwrap();
    assert_eq!(render(&r, &all, &t, &[]), ["WHOLE"]);
    assert_eq!(render(&r, &all, &t, &["TS1", "Sim101"]), ["WHOLE"]);
}

#[test]
fn a_mapped_group_gets_its_symbol_and_sizes() {
    let mut r = risk(GROUPS, Instant::now());
    let rx = ["Own1", "Apex1", "Sim101", "Apex2"];
    let rows: &[(Action, &str, u32, &[&str])] = &[
        (
            Long,
            "ES",
            1,
            &["LONG|ES|1|Accounts:Own1+Sim101", "LONG|MES|10|Accounts:Apex1=10+Apex2=20"],
        ),
        (
            Short,
            "ES",
            3,
            &["SHORT|ES|3|Accounts:Own1+Sim101", "SHORT|MES|30|Accounts:Apex1=30+Apex2=60"],
        ),
        // NQ has no mapping: the multiplier still applies to Apex2 (one message, own sizes).
        (Long, "NQ", 1, &["LONG|NQ|1|Accounts:Own1=1+Apex1=1+Sim101=1+Apex2=2"]),
        // REVERSE with no size flips what each holds; with a size it is sized.
        (
            Reverse,
            "ES",
            0,
            &["REVERSE|ES|0|Accounts:Own1+Sim101", "REVERSE|MES|0|Accounts:Apex1+Apex2"],
        ),
        (
            Reverse,
            "ES",
            2,
            &["REVERSE|ES|2|Accounts:Own1+Sim101", "REVERSE|MES|20|Accounts:Apex1=20+Apex2=40"],
        ),
        // Closes are mapped but never sized: the receiver closes at most what it holds.
        (
            Flatten,
            "ES",
            0,
            &["FLATTEN|ES|0|Accounts:Own1+Sim101", "FLATTEN|MES|0|Accounts:Apex1+Apex2"],
        ),
        (
            CloseHalf,
            "ES",
            0,
            &["CLOSE_HALF|ES|0|Accounts:Own1+Sim101", "CLOSE_HALF|MES|0|Accounts:Apex1+Apex2"],
        ),
        (
            CloseOne,
            "ES",
            0,
            &["CLOSE_ONE|ES|0|Accounts:Own1+Sim101", "CLOSE_ONE|MES|0|Accounts:Apex1+Apex2"],
        ),
        (Flatten, "ALL", 0, &["WHOLE"]),
    ];
    for (a, sym, q, want) in rows {
        let s = sig(*a, sym, *q, &[]);
        let t = check(&mut r, &s).unwrap();
        assert_eq!(render(&r, &s, &t, &rx), *want, "{a} {sym} {q}");
    }
    // Routed to the mapped group only: the plain accounts get nothing.
    let s = sig(Long, "ES", 1, &["Group:apex"]);
    let t = check(&mut r, &s).unwrap();
    assert_eq!(render(&r, &s, &t, &rx), ["LONG|MES|10|Accounts:Apex1=10+Apex2=20"]);
    assert_eq!(render(&r, &s, &t, &["Apex1"]), ["LONG|MES|10|Accounts:Apex1"]);
}

#[test]
fn sizing_table() {
    let s = |rounding, allow_zero, min, max| Sizing { rounding, allow_zero, min, max };
    use Rounding::*;
    let rows: &[(Sizing, u32, f64, u32)] = &[
        (s(Nearest, false, 0, 0), 1, 10.0, 10),
        (s(Nearest, false, 0, 0), 3, 0.5, 2), // 1.5 -> 2 (half away from zero)
        (s(Nearest, false, 0, 0), 1, 0.4, 1), // 0.4 -> 0 -> at least 1
        (s(Nearest, true, 0, 0), 1, 0.4, 0),  // allowed to round to 0: nothing sent
        (s(Down, false, 0, 0), 3, 0.1 * 10.0, 3),
        (s(Down, false, 0, 0), 3, 0.9, 2), // 2.7 -> 2
        (s(Down, false, 0, 0), 1, 0.5, 1), // 0.5 -> 0 -> at least 1
        (s(Down, true, 0, 0), 1, 0.5, 0),
        (s(Up, false, 0, 0), 3, 0.5, 2),             // 1.5 -> 2
        (s(Up, false, 0, 0), 2, 0.35, 1),            // 0.7 -> 1
        (s(Up, false, 0, 0), 10, 0.3, 3),            // 3.0000000000000004 is 3, not 4
        (s(Nearest, false, 2, 0), 1, 1.0, 2),        // min
        (s(Nearest, false, 0, 5), 1, 10.0, 5),       // max
        (s(Nearest, true, 2, 0), 1, 0.2, 0),         // zero allowed: min does not revive it
        (s(Nearest, false, 0, 0), 1000, 10.0, 1000), // never above MAX_QTY
    ];
    for (i, (sz, q, f, want)) in rows.iter().enumerate() {
        assert_eq!(sz.open(*q, *f), *want, "row {i}: {sz:?} {q} x {f}");
    }
}

#[test]
fn group_sizing_rounds_clamps_and_may_skip_an_account() {
    let text =
        "[groups]\nsmall = ['S1', 'S2']\n[mapping.small]\nrounding = 'down'\nallow_zero = true\n\
                max_qty = 3\nmultipliers = { S1 = 0.5 }\n";
    let mut r = risk(text, Instant::now());
    let rx = ["S1", "S2"];
    let rows: &[(u32, &[&str])] = &[
        (1, &["LONG|ES|1|Accounts:S2"]), // S1: 0.5 rounds down to 0 and is left out
        (2, &["LONG|ES|1|Accounts:S1=1+S2=2"]),
        (9, &["LONG|ES|3|Accounts:S1+S2"]), // 4.5 -> 4 -> max 3; 9 -> max 3
    ];
    for (q, want) in rows {
        let s = sig(Long, "ES", *q, &[]);
        let t = check(&mut r, &s).unwrap();
        assert_eq!(render(&r, &s, &t, &rx), *want, "{q}");
    }
    // Routed to S1 alone with a size that rounds to 0: the receiver gets nothing.
    let s = sig(Long, "ES", 1, &["Accounts:S1"]);
    let t = check(&mut r, &s).unwrap();
    assert_eq!(render(&r, &s, &t, &rx), ["SKIP"]);
}

#[test]
fn inversion_is_refused_as_a_hedge_unless_every_side_allows_it() {
    let base = "[groups]\nhedge = ['H1']\nmain = ['M1']\n[mapping.hedge]\ninvert = true\n";
    let mut r = risk(base, Instant::now());
    let hedge_err = "ERROR|RISK_REJECTED|HEDGE|Symbol: ES";
    for opts in [&[][..], &["Accounts:H1+M1"][..]] {
        let e = check(&mut r, &sig(Long, "ES", 1, opts)).unwrap_err();
        assert_eq!(e.to_string(), hedge_err, "{opts:?}");
    }
    // One side alone is no hedge: the inverted group trades the mirror image.
    let s = sig(Long, "ES", 1, &["Group:hedge"]);
    let t = check(&mut r, &s).unwrap();
    assert_eq!(render(&r, &s, &t, &["H1", "M1"]), ["SHORT|ES|1|Accounts:H1"]);
    assert!(check(&mut r, &sig(Short, "ES", 1, &["Group:main"])).is_ok());
    // Closes and REVERSE never hedge.
    assert!(check(&mut r, &sig(Flatten, "ES", 0, &[])).is_ok());
    assert!(check(&mut r, &sig(Reverse, "ES", 0, &[])).is_ok());
    assert_eq!(r.refused(Rule::Hedge), 2);
    // The inverted group allows it, the others do not: still refused.
    let r2 = format!("{base}allow_hedge = true\n");
    let mut r2 = risk(&r2, Instant::now());
    assert!(check(&mut r2, &sig(Long, "ES", 1, &["Accounts:H1+M1"])).is_err());
    // Every side allows it (the plain accounts through [risk] allow_hedge): it passes, and an
    // unrouted signal reaches both sides, mirrored.
    let r3 = format!("[risk]\nallow_hedge = true\n{base}allow_hedge = true\n");
    let mut r3 = risk(&r3, Instant::now());
    let s = sig(Long, "ES", 1, &[]);
    let t = check(&mut r3, &s).unwrap();
    assert_eq!(
        render(&r3, &s, &t, &["H1", "M1"]),
        ["SHORT|ES|1|Accounts:H1", "LONG|ES|1|Accounts:M1"]
    );
}

#[test]
fn an_engine_flatten_reaches_one_account_only() {
    let r = risk(GROUPS, Instant::now());
    let s = Signal::new(Flatten, "ALL", 0);
    let t = Ticket::account(r.rules().account("Apex2").unwrap());
    assert_eq!(render(&r, &s, &t, &["Apex1", "Apex2"]), ["FLATTEN|ALL|0|Accounts:Apex2"]);
    assert_eq!(render(&r, &s, &t, &["Apex2"]), ["WHOLE"]);
    assert_eq!(render(&r, &s, &t, &["TS1"]), ["SKIP"]);
    assert_eq!(render(&r, &s, &t, &[]), ["SKIP"]);
    assert_eq!(render(&r, &s, &Ticket::EVERYONE, &[]), ["WHOLE"]);
    assert_eq!(render(&r, &s, &Ticket::EVERYONE, &["Apex1", "TS1"]), ["WHOLE"]);
}
