//! The demo's verdict: every account of every receiver, and the engine's book, against the model.

use super::drive::Driven;
use super::{DemoArgs, DemoResult};
use crate::endpoint::Endpoint;
use crate::engine::EngineOutcome;
use crate::metrics::LatencyHist;
use crate::sim::model::Book;
use crate::sim::receiver::ReceiverReport;

/// Bad input counted per endpoint, to tell the demo's clean run from a silent data loss.
pub(super) fn bad_input_counts(e: &mut crate::engine::Endpoints) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    if let Some(v9) = &e.v9 {
        out.push(("v9".to_string(), v9.stats().bad_messages));
    }
    if let Some(p) = &e.pipe {
        out.push(("pipe".to_string(), p.stats().bad_total()));
    }
    for d in &e.dtc {
        out.push((d.name().to_string(), d.stats().bad));
    }
    out
}

/// The model's final book as JSON: what every receiver's accounts must hold (non-zero only).
pub(super) fn expected_json(book: &Book, args: &DemoArgs) -> String {
    let positions: Vec<serde_json::Value> = book
        .accounts
        .iter()
        .zip(&book.holdings)
        .flat_map(|(a, hs)| {
            hs.iter()
                .filter(|h| h.qty != 0)
                .map(move |h| serde_json::json!({ "account": a, "symbol": h.symbol, "qty": h.qty }))
        })
        .collect();
    let receivers: Vec<String> =
        (1..=args.receivers).map(|i| format!("V9_CopyReceiver-{i}")).collect();
    serde_json::json!({ "receivers": receivers, "positions": positions }).to_string()
}

/// Checks every receiver's and the engine's book against the model.
pub(super) fn verify(
    args: &DemoArgs,
    d: &Driven,
    reports: &[ReceiverReport],
    outcome: EngineOutcome,
) -> DemoResult {
    let mut problems = d.problems.clone();
    if reports.len() != args.receivers {
        problems.push(format!(
            "{} of {} receivers returned a report",
            reports.len(),
            args.receivers
        ));
    }
    // An external receiver reports no arrival times or counts: that every signal was answered is
    // shown by wait_summaries, and its accounts are checked below like a simulated receiver's.
    let external = args.receiver_cmd.is_some();
    let e2e = arrivals(d, reports, external, &mut problems);
    for (i, r) in reports.iter().enumerate() {
        check_receiver(d, i, r, external, &mut problems);
    }
    if outcome.positions.len() != args.receivers {
        problems.push(format!(
            "engine saw {} receivers, expected {}",
            outcome.positions.len(),
            args.receivers
        ));
    }
    for (name, positions) in &outcome.positions {
        check_engine_book(d, name, positions, &mut problems);
    }
    problems.truncate(20);
    let mut all = outcome.histograms;
    all.extend(d.hists.iter().cloned());
    all.push(e2e);
    all.retain(|h| !h.is_empty());
    DemoResult {
        ok: problems.is_empty(),
        problems,
        signals_sent: d.total_signals,
        burst_rate: d.burst_rate,
        histograms: all,
        pipe: None,
        dtc: None,
    }
}

/// Send to last receiver read per signal; a signal some receiver never read is a problem.
fn arrivals(
    d: &Driven,
    reports: &[ReceiverReport],
    external: bool,
    problems: &mut Vec<String>,
) -> LatencyHist {
    let mut e2e = LatencyHist::new("demo.publisher_send_to_last_receiver_read");
    for (id, t) in d.sent.iter().filter(|_| !external) {
        let last = reports
            .iter()
            .filter_map(|r| r.arrivals.iter().find(|(i, _)| i == id).map(|a| a.1))
            .max();
        match last {
            Some(at) if reports.iter().all(|r| r.arrivals.iter().any(|(i, _)| i == id)) => {
                e2e.record(at.saturating_duration_since(*t))
            }
            _ => problems.push(format!("signal #{id} did not reach every receiver")),
        }
    }
    e2e
}

/// Receiver `i`'s own count and book against its model, both ways (missing and extra holdings).
fn check_receiver(
    d: &Driven,
    i: usize,
    r: &ReceiverReport,
    external: bool,
    problems: &mut Vec<String>,
) {
    let expected = d.model(i);
    if !external && (r.id_gaps > 0 || r.signals != d.total_signals) {
        problems.push(format!(
            "a receiver executed {} of {} signals ({} id gaps)",
            r.signals, d.total_signals, r.id_gaps
        ));
    }
    for (a, account) in expected.accounts.iter().enumerate() {
        for h in &expected.holdings[a] {
            if r.book.qty(a, &h.symbol) != h.qty {
                problems.push(format!(
                    "a receiver's own {account} {} holds {}, expected {}",
                    h.symbol,
                    r.book.qty(a, &h.symbol),
                    h.qty
                ));
            }
        }
    }
    for (a, held) in r.book.holdings.iter().enumerate() {
        for h in held.iter().filter(|h| h.qty != expected.qty(a, &h.symbol)) {
            problems.push(format!(
                "a receiver's own account #{} holds {} {}, the model {}",
                a + 1,
                h.qty,
                h.symbol,
                expected.qty(a, &h.symbol)
            ));
        }
    }
}

/// One receiver's positions in the engine's book against its model.
fn check_engine_book(
    d: &Driven,
    name: &str,
    positions: &[crate::engine::PositionRow],
    problems: &mut Vec<String>,
) {
    // Receivers are named V9_CopyReceiver-<n>, n from 1 in start order.
    let i = name.rsplit('-').next().and_then(|n| n.parse::<usize>().ok()).unwrap_or(1);
    let expected = d.model(i.saturating_sub(1));
    let mut checked = 0;
    for (a, account) in expected.accounts.iter().enumerate() {
        for h in &expected.holdings[a] {
            let got = positions
                .iter()
                .find(|(acc, sym, _)| acc == account && *sym == h.symbol)
                .map(|p| p.2);
            if got != Some(h.qty) {
                problems.push(format!(
                    "{name}: {account} {} expected {} but engine book has {got:?}",
                    h.symbol, h.qty
                ));
            }
            checked += 1;
        }
    }
    if checked != positions.len() {
        problems.push(format!(
            "{name}: engine book has {} positions, model {checked}",
            positions.len()
        ));
    }
}
