//! The demo's traffic: the spec's example session, a pipe signal, a paced random burst, and the
//! DTC round trip, each waited for through typed engine calls.

use super::{DemoArgs, WAIT};
use crate::dtc::{DtcEvent, OrderRequest};
use crate::engine::{CallCtx, Endpoints, EngineHandle};
use crate::market::Feed;
use crate::metrics::LatencyHist;
use crate::signal::{Action, Signal};
use crate::sim::model::Book;
use crate::sim::receiver::XorShift;
use crate::v9::publisher::Publisher;
use crate::v9::snapshot::ReceiverRow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What `drive` did: the expected final book, every publisher signal's (id, send time), the
/// burst rate, the demo-side histograms, signals sent by any path, and problems seen so far.
pub(super) struct Driven {
    pub(super) expected: Book,
    /// `--groups`: the model of receiver 1's mapped group (`expected` is receiver 2's).
    pub(super) mapped: Option<Book>,
    pub(super) sent: Vec<(u64, Instant)>,
    pub(super) burst_rate: f64,
    pub(super) hists: Vec<LatencyHist>,
    pub(super) total_signals: u64,
    pub(super) problems: Vec<String>,
}

impl Driven {
    /// Every model follows `sig` (the mapped group's as its mapping trades it).
    fn apply(&mut self, sig: &Signal<'_>) {
        self.expected.apply(sig, |_| 0.0);
        if let Some(m) = self.mapped.as_mut() {
            let (to, ratio) = (super::MICRO_TO, super::MICRO_RATIO);
            m.apply(&crate::sim::model::mapped(sig, "ES", to, ratio), |_| 0.0);
        }
    }

    /// The model of receiver `i` (in start order).
    pub(super) fn model(&self, i: usize) -> &Book {
        match (&self.mapped, i) {
            (Some(m), 0) => m,
            _ => &self.expected,
        }
    }
}

pub(super) fn drive(
    args: &DemoArgs,
    handle: &EngineHandle,
    addr: &str,
    ready: &AtomicUsize,
    verbose: bool,
    inject: Option<&crossbeam_channel::Sender<Vec<u8>>>,
) -> Result<Driven, String> {
    wait_until(Duration::from_secs(10), || ready.load(Ordering::SeqCst) >= args.receivers)
        .map_err(|_| {
            format!("only {} of {} receivers READY", ready.load(Ordering::SeqCst), args.receivers)
        })?;
    let mut publisher = Publisher::connect(addr, "v9bridge-demo", None, Duration::from_secs(5))?;
    let mut d = Driven {
        expected: Book::with_named_accounts(super::account_prefix(args, 1), args.accounts),
        mapped: args
            .groups
            .then(|| Book::with_named_accounts(super::GROUP_PREFIXES[0], args.accounts)),
        sent: Vec::with_capacity(args.signals as usize + 3),
        burst_rate: 0.0,
        hists: Vec::new(),
        total_signals: 0,
        problems: Vec::new(),
    };
    let per_signal = args.receivers as u64;
    example_session(&mut d, &mut publisher, handle, per_signal, verbose)?;
    if let Some(tx) = inject {
        pipe_signal(&mut d, tx, handle, per_signal, verbose)?;
    }
    let ack = burst(args, &mut d, &mut publisher, verbose)?;
    wait_summaries(handle, d.total_signals * per_signal)?;
    d.hists.push(ack);
    Ok(d)
}

/// The spec's example session, each signal waited for until every receiver has answered it.
fn example_session(
    d: &mut Driven,
    publisher: &mut Publisher,
    handle: &EngineHandle,
    per_signal: u64,
    verbose: bool,
) -> Result<(), String> {
    if verbose {
        println!("== example session (spec) ==");
    }
    for (action, symbol, qty) in
        [(Action::Long, "MES", 1), (Action::Short, "ES", 2), (Action::Flatten, "ALL", 0)]
    {
        let sig = Signal::new(action, symbol, qty);
        let t = Instant::now();
        let (id, n) = publisher.send(&sig)?;
        d.sent.push((id, t));
        d.total_signals += 1;
        d.apply(&sig);
        wait_summaries(handle, id * per_signal)?;
        if verbose {
            println!(
                "Server→Client  {action}|{symbol}|{qty}|ID:{id}   (written to {n} receiver(s))"
            );
            println!("Client→Server  POSITIONs + POSITION_SUMMARY →{}", receivers_line(handle)?);
            if action == Action::Flatten {
                println!("               (after FLATTEN nothing is held; the P&L shown is what the closed trades realised at the simulated fills)");
            }
        }
    }
    Ok(())
}

/// A signal from the ACSIL study through the pipe: same validation and broadcast path.
fn pipe_signal(
    d: &mut Driven,
    tx: &crossbeam_channel::Sender<Vec<u8>>,
    handle: &EngineHandle,
    per_signal: u64,
    verbose: bool,
) -> Result<(), String> {
    let sig = Signal::new(Action::Long, "NQ", 2);
    tx.send(br#"{"signal":"LONG","symbol":"NQ","qty":2,"tp":16100,"sl":15900}"#.iter().chain(b"\n").copied().collect())
        .map_err(|_| "pipe feed stopped".to_string())?;
    d.total_signals += 1;
    d.apply(&sig);
    let id = d.total_signals;
    wait_summaries(handle, id * per_signal).map_err(|e| format!("pipe signal: {e}"))?;
    if verbose {
        println!("Pipe (ACSIL)   {{\"signal\":\"LONG\",\"symbol\":\"NQ\",\"qty\":2,...}} → LONG|NQ|2|TP:16100|SL:15900|ID:{id} to every receiver");
        println!("Client→Server  POSITIONs + POSITION_SUMMARY →{}", receivers_line(handle)?);
    }
    Ok(())
}

/// The paced random burst; returns the send-to-ack histogram (corrected for the pacing).
fn burst(
    args: &DemoArgs,
    d: &mut Driven,
    publisher: &mut Publisher,
    verbose: bool,
) -> Result<LatencyHist, String> {
    let mut ack = LatencyHist::new("demo.publisher_send_to_ack");
    let interval = Duration::from_secs_f64(1.0 / args.rate.max(1.0));
    let symbols = ["MES", "ES", "NQ"];
    let mut rng = XorShift(0x5EED_1234_ABCD_0001);
    let t0 = Instant::now();
    let mut next_progress = t0 + Duration::from_secs(1);
    if verbose && args.signals > 0 {
        println!("== burst: {} random signals at {}/s ==", args.signals, args.rate);
    }
    for i in 0..args.signals {
        pace_until(t0 + interval.mul_f64(i as f64));
        if verbose && Instant::now() >= next_progress {
            next_progress += Duration::from_secs(1);
            println!("burst: {i} of {} signals sent", args.signals);
        }
        let sig = random_signal(&mut rng, &symbols);
        let t = Instant::now();
        let (id, _) = publisher.send(&sig)?;
        ack.record_corrected_ns(t.elapsed().as_nanos() as u64, interval.as_nanos() as u64);
        d.sent.push((id, t));
        d.total_signals += 1;
        d.apply(&sig);
    }
    d.burst_rate = args.signals as f64 / t0.elapsed().as_secs_f64().max(1e-9);
    Ok(ack)
}

/// Every receiver's line, as the engine's book sees it.
fn receivers_line(handle: &EngineHandle) -> Result<String, String> {
    let rows = handle
        .call(|e, _| e.v9.as_ref().map(|v| v.receivers()).unwrap_or_default(), WAIT)
        .map_err(|e| e.to_string())?;
    Ok(rows.iter().map(receiver_line).collect())
}

/// One receiver as the engine's book sees it, every number labelled.
fn receiver_line(r: &ReceiverRow) -> String {
    let (holding, contracts, long, short) = r.totals;
    let pnl: f64 = r.positions.iter().map(|p| p.pnl).sum();
    let summary = r.summary.as_ref().map_or(String::new(), |s| {
        format!(
            " | its POSITION_SUMMARY: {} accounts, {} contracts, P&L {:+.2}",
            s.accounts, s.qty, s.pnl
        )
    });
    format!(
        "\n    {}: {} accounts; {holding} holding a position, {contracts} contracts ({long} long, {short} short positions); P&L {pnl:+.2}{summary}",
        r.name, r.accounts
    )
}

/// DTC through the engine loop: market data from the simulated Sierra Chart must be in the market
/// state, and a market order must come back filled with a position.
pub(super) fn dtc_round_trip(handle: &EngineHandle) -> Result<String, String> {
    let dtc_quote = || {
        handle
            .call(|_, c| c.market.get("ESZ6_FUT_CME").is_some_and(|q| q.feed == Feed::Dtc), WAIT)
            .unwrap_or(false)
    };
    wait_until(Duration::from_secs(15), dtc_quote)
        .map_err(|_| "no DTC market data reached the market state".to_string())?;
    let order = OrderRequest { symbol: "ESZ6_FUT_CME".into(), qty: 1.0, ..Default::default() };
    let submit = move |e: &mut Endpoints, c: &mut CallCtx<'_>| match e.dtc_mut("sim") {
        Some(d) => d.submit(&order, c.now).map_err(|e| e.to_string()),
        None => Err("no DTC connection named sim".to_string()),
    };
    let cid = handle.call(submit, WAIT).map_err(|e| e.to_string())??;
    // The fill comes back as a typed event, not as text to search.
    let mut fill = None;
    let filled = wait_until(Duration::from_secs(10), || {
        let next = |e: &mut Endpoints, _: &mut CallCtx<'_>| {
            let d = e.dtc_mut("sim")?;
            std::iter::from_fn(|| d.take_order_event()).find_map(|ev| match ev {
                DtcEvent::Fill(f) => Some(f),
                _ => None,
            })
        };
        fill = fill.take().or_else(|| handle.call(next, WAIT).ok().flatten());
        fill.as_ref().is_some_and(|f| f.cid == cid)
    });
    filled.map_err(|_| format!("order {cid} not filled"))?;
    let positions = handle
        .call(|e, _| e.dtc("sim").map(|d| d.snapshot().positions).unwrap_or_default(), WAIT)
        .unwrap_or_default();
    let positions: Vec<String> = positions
        .iter()
        .map(|(acc, p)| format!("{acc} {}: qty {} avg {}", p.symbol, p.quantity, p.average_price))
        .collect();
    let market: Vec<String> = handle
        .call(
            |_, c| {
                let dtc = c.market.iter().filter(|(_, q)| q.feed == Feed::Dtc);
                dtc.map(|(s, q)| format!("{s} bid {} ask {} last {}", q.bid, q.ask, q.last))
                    .collect()
            },
            WAIT,
        )
        .unwrap_or_default();
    let f =
        fill.as_ref().map_or(String::new(), |f| format!("{} {} @ {}", f.qty, f.symbol, f.price));
    Ok(format!(
        "dtc (simulated Sierra Chart): market data {}\n  order {cid}: market buy, filled {f}\n  positions: {}",
        market.join(" | "),
        positions.join(" | ")
    ))
}

pub(super) fn random_signal(rng: &mut XorShift, symbols: &[&'static str]) -> Signal<'static> {
    let symbol = symbols[(rng.next_u64() % symbols.len() as u64) as usize];
    let qty = 1 + (rng.next_u64() % 3) as u32;
    match rng.next_u64() % 20 {
        0..=5 => Signal::new(Action::Long, symbol, qty),
        6..=11 => Signal::new(Action::Short, symbol, qty),
        12..=13 => Signal::new(Action::CloseHalf, symbol, 0),
        14..=15 => Signal::new(Action::CloseOne, symbol, 0),
        16..=17 => Signal::new(Action::Reverse, symbol, 0),
        18 => Signal::new(Action::Flatten, symbol, 0),
        _ => Signal::new(Action::Flatten, "ALL", 0),
    }
}

/// Sleeps most of the way, then spins: `sleep` alone overshoots by ~60 µs on Linux.
pub(super) fn pace_until(due: Instant) {
    loop {
        let left = due.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        if left > Duration::from_micros(200) {
            std::thread::sleep(left - Duration::from_micros(150));
        } else {
            std::hint::spin_loop();
        }
    }
}

pub(super) fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> Result<(), ()> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if cond() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if cond() {
        Ok(())
    } else {
        Err(())
    }
}

fn wait_summaries(handle: &EngineHandle, want: u64) -> Result<(), String> {
    let mut last = 0;
    let r = wait_until(Duration::from_secs(30), || {
        last = handle
            .call(|e, _| e.v9.as_ref().map_or(0, |v| v.stats().summaries_with_id), WAIT)
            .unwrap_or(0);
        last >= want
    });
    r.map_err(|_| format!("receivers answered {last} of {want} signals with a POSITION_SUMMARY"))
}
