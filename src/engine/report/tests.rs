//! Report tests: every section on its own lines, escaped peer strings, a full queue drops.

use super::*;
use crate::market::Feed;
use crate::v9::codec::Summary;
use crate::v9::reply::{Role, State};
use crate::v9::snapshot::BookRow;
use std::time::Duration;

fn sample(at: Instant) -> Report {
    let mut hist = LatencyHist::new("engine.loop_turn");
    hist.record(Duration::from_micros(3));
    let book = BookRow {
        accounts: 2,
        totals: (2, 2, 2, 0),
        pnl: 74.5,
        summary: Some(Summary {
            accounts: 2,
            qty: 3,
            pnl: 74.5,
            avg_entry: 4520.5,
            breakdown: None,
            signal_id: None,
        }),
        mismatch: true,
        out_of_sync: vec!["Acc\u{2028}2".into()],
        last_update: Some(at - Duration::from_secs(2)),
        mismatches: vec![crate::v9::snapshot::PositionMismatch {
            account: "Acc\n3".into(),
            symbol: "MES".into(),
            expected: 2,
            reported: -1,
            since: at,
            flagged: true,
        }],
    };
    let peer = PeerRow {
        addr: "127.0.0.1:4000".parse().unwrap(),
        name: "Desk\nFAKE LOG LINE".into(),
        role: Role::Receiver,
        state: State::Ready,
        book: Some(book),
    };
    let mut stats = PipeStats::default();
    stats.bad[BadInput::Oversized.index()] = 1;
    let quote = Quote {
        bid: 1.0,
        ask: 1.25,
        last: f64::NAN,
        volume: 0.0,
        bid_size: 0.0,
        ask_size: 0.0,
        ts_ns: 0,
        updated: at - Duration::from_secs(1),
        last_seq: None,
        seq_gaps: 0,
        updates: 7,
        feed: Feed::Pipe,
        stale_warned: false,
    };
    Report {
        at,
        histograms: vec![hist, LatencyHist::new("v9.empty")],
        v9: Some(V9Report {
            addr: "127.0.0.1:5000".parse().unwrap(),
            stats: V9Stats { clients: 1, signals: 4, ..V9Stats::default() },
            peers: vec![peer],
            pipeline: PipelineReport {
                epoch: 7,
                last_id: 4,
                stats: crate::pipeline::PipelineStats {
                    accepted: 4,
                    refused: 1,
                    journal_failures: 0,
                },
                replay_window: 4,
            },
            risk: Some(risk_sample()),
        }),
        pipe: Some(PipeReport { path: "/tmp/feed".into(), stats }),
        dtc: Vec::new(),
        market: vec![("ES".into(), quote)],
    }
}

fn risk_sample() -> RiskReport {
    let h = crate::risk::Headroom {
        loss_left: Some(350.0),
        drawdown_left: None,
        session_pnl: -150.0,
        equity: -150.0,
        excluded: false,
        breached: None,
    };
    let bad = crate::risk::Headroom {
        loss_left: Some(0.0),
        drawdown_left: Some(0.0),
        session_pnl: -520.0,
        excluded: true,
        breached: Some(crate::risk::LossRule::DailyLoss),
        ..h
    };
    RiskReport {
        kill_switch: crate::risk::KillSwitch::Trading,
        accounts: vec![
            AccountRisk { name: "A1".into(), headroom: h },
            AccountRisk { name: "A\n2".into(), headroom: bad },
        ],
        refused: 2,
    }
}

#[test]
fn report_text_has_every_section_on_its_own_lines() {
    let text = sample(Instant::now()).to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "report");
    assert!(lines[1].starts_with("  engine.loop_turn n=1 "), "{text}");
    assert!(!text.contains("v9.empty"), "empty histograms are left out: {text}");
    assert!(lines[2].starts_with("v9 127.0.0.1:5000: 1 clients, signals 4"), "{text}");
    assert!(lines[3].contains(
        "Receiver/Ready accounts 2 holding 2 qty 2 long 2 short 0 pnl +74.50 | summary 2 3 +74.50 MISMATCH"
    ));
    assert!(lines[3].ends_with("| last update 2.0s ago"), "{text}");
    assert_eq!(
        lines[4],
        "pipeline: epoch 7 last id 4, accepted 4 refused 1 journal failures 0, \
         replay window 4 signal(s)"
    );
    assert_eq!(lines[5], "risk: kill switch off (trading), refused 2, accounts 2 (1 excluded)");
    assert_eq!(lines[6], "  account A1: session pnl -150.00 loss left 350.00 drawdown left -");
    assert_eq!(
        lines[7],
        "  account A\\n2: session pnl -520.00 loss left 0.00 drawdown left 0.00 \
         EXCLUDED (DAILY_LOSS; arm to trade)"
    );
    assert!(
        lines[8].starts_with("pipe /tmp/feed: messages 0") && lines[8].ends_with("oversized=1")
    );
    assert_eq!(lines[9], "market:");
    assert!(lines[10].starts_with("  ES ") && lines[10].contains("age 1.0s (Pipe)"), "{text}");
    assert_eq!(lines.len(), 11, "{text}");
}

#[test]
fn peer_strings_cannot_forge_report_lines() {
    let text = sample(Instant::now()).to_string();
    assert!(text.contains("Desk\\u{a}FAKE LOG LINE"), "{text}");
    assert!(text.contains("OUT OF SYNC after FLATTEN: Acc\\u{2028}2"), "{text}");
    assert!(text.contains("OUT OF SYNC: Acc\\u{a}3/MES expected 2 reported -1"), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("FAKE")));
}

#[test]
fn a_full_queue_drops_reports_instead_of_blocking() {
    let (tx, rx) = crossbeam_channel::bounded(REPORTS_IN_FLIGHT);
    let join = std::thread::spawn(|| {});
    let mut r = Reporter { tx, join, dropped: 0 };
    let at = Instant::now();
    for _ in 0..REPORTS_IN_FLIGHT + 3 {
        r.send(sample(at));
    }
    assert_eq!(r.dropped, 3);
    assert_eq!(rx.len(), REPORTS_IN_FLIGHT);
    r.finish();
    assert_eq!(rx.iter().count(), REPORTS_IN_FLIGHT, "the queued ones stay deliverable");
}
