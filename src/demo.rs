//! `v9bridge demo`: engine + simulated peers in one process, the spec's example session, a
//! fixed-rate burst, verification of every account, and a latency report.

use crate::config::Config;
use crate::endpoint::Endpoint;
use crate::engine::{Engine, EngineHandle, EngineOutcome};
use crate::market::Feed;
use crate::metrics::{percentile_table, LatencyHist};
use crate::signal::{Action, Signal};
use crate::sim::model::Book;
use crate::sim::pipe_feed::{self, PipeFeedArgs};
use crate::sim::receiver::{self, ReceiverArgs, ReceiverReport, XorShift};
use crate::v9::publisher::Publisher;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Upper bound for one control call into the engine.
const WAIT: Duration = Duration::from_secs(5);

/// `v9bridge demo` options.
#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Simulated copy receivers.
    #[arg(long, default_value_t = 1)]
    pub receivers: usize,
    /// Accounts per receiver.
    #[arg(long, default_value_t = 20)]
    pub accounts: usize,
    /// Signals in the burst after the example session.
    #[arg(long, default_value_t = 10_000)]
    pub signals: u64,
    /// Burst rate in signals per second.
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// How many of the receivers send messages without line endings (the spec's wording).
    #[arg(long, default_value_t = 0)]
    pub unterminated_receivers: usize,
    /// Core for the engine loop: index, `last` or `none`.
    #[arg(long, default_value = "last")]
    pub pin: crate::config::Pin,
    /// Write .hgrm files here.
    #[arg(long)]
    pub hgrm: Option<std::path::PathBuf>,
    /// Ticks per second written into the pipe by the simulated ACSIL study (0 = no pipe feed).
    #[arg(long, default_value_t = 1000.0)]
    pub pipe_rate: f64,
    /// DTC encoding to the simulated Sierra Chart server: binary, json or compact (none = no DTC).
    #[arg(long, default_value = "compact")]
    pub dtc: String,
    /// Serve the operator surface (dashboard, API) on this address while the demo runs.
    #[arg(long, value_name = "ADDR|none")]
    pub ops_listen: Option<crate::ops::OpsListen>,
    /// Keep everything running this many seconds after the burst (to look at the dashboard).
    #[arg(long, default_value_t = 0)]
    pub hold_s: u64,
    /// Write the model's expected positions here (JSON) once the burst is done.
    #[arg(long, value_name = "FILE")]
    pub expect_json: Option<std::path::PathBuf>,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            receivers: 1,
            accounts: 20,
            signals: 10_000,
            rate: 1000.0,
            unterminated_receivers: 0,
            pin: crate::config::Pin::Last,
            hgrm: None,
            pipe_rate: 1000.0,
            dtc: "compact".into(),
            ops_listen: None,
            hold_s: 0,
            expect_json: None,
        }
    }
}

/// The demo's verdict and figures (returned for tests; printed by `run`).
#[derive(Debug)]
pub struct DemoResult {
    /// Every account of every receiver ended as the model says, and nothing was lost.
    pub ok: bool,
    /// Problems found (empty when ok).
    pub problems: Vec<String>,
    /// Signals sent in total (example session + burst).
    pub signals_sent: u64,
    /// Achieved burst rate (signals/s).
    pub burst_rate: f64,
    /// Engine and demo histograms.
    pub histograms: Vec<LatencyHist>,
    /// What the pipe feed wrote and the engine applied, when it ran.
    pub pipe: Option<String>,
    /// The DTC part: market data from the simulated Sierra Chart and an order round trip.
    pub dtc: Option<String>,
}

/// Runs the demo and prints its report; Err unless every account matched.
pub fn run(args: &DemoArgs) -> Result<(), String> {
    let r = execute(args, true)?;
    println!("\n== latency ==\n{}", percentile_table(&r.histograms));
    if let Some(dir) = &args.hgrm {
        for h in &r.histograms {
            h.save_hgrm(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        println!(".hgrm files written to {}", dir.display());
    }
    println!("burst: {} signals at {:.0}/s achieved", args.signals, r.burst_rate);
    if let Some(p) = &r.pipe {
        println!("{p}");
    }
    if let Some(d) = &r.dtc {
        println!("{d}");
    }
    if r.ok {
        println!("RESULT: OK: {} signals, {} receivers x {} accounts, every account in its expected position, no signal lost", r.signals_sent, args.receivers, args.accounts);
        Ok(())
    } else {
        for p in &r.problems {
            println!("  problem: {p}");
        }
        Err(format!("demo FAILED: {} problem(s)", r.problems.len()))
    }
}

/// Runs the demo; `verbose` prints the example session as it goes.
pub fn execute(args: &DemoArgs, verbose: bool) -> Result<DemoResult, String> {
    let mut cfg = Config::default();
    cfg.v9.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    cfg.engine.pin = args.pin;
    cfg.engine.report_interval_s = 0;
    let pipe_path = (args.pipe_rate > 0.0).then(demo_pipe_path);
    if let Some(p) = &pipe_path {
        cfg.pipe = Some(crate::pipe::PipeConfig { path: p.clone(), ..Default::default() });
    }
    let dtc_stop = Arc::new(AtomicBool::new(false));
    let dtc_sim = if args.dtc != "none" {
        let sim = crate::sim::dtc_server::DtcServerArgs {
            listen: "127.0.0.1:0".into(),
            tick_ms: 5,
            ..Default::default()
        };
        let (addr, join) = crate::sim::dtc_server::spawn(&sim, dtc_stop.clone())
            .map_err(|e| format!("dtc sim: {e}"))?;
        let d = crate::dtc::DtcConfig {
            addr: addr.to_string(),
            encoding: args.dtc.clone(),
            symbols: vec!["ESZ6_FUT_CME".into(), "NQZ6_FUT_CME".into()],
            heartbeat_s: 2,
            ..Default::default()
        };
        cfg.dtc.insert("sim".into(), d);
        Some(join)
    } else {
        None
    };
    cfg.ops.listen = args.ops_listen.unwrap_or(crate::ops::OpsListen(None));
    cfg.ops.apply_env();
    cfg.validate()?;
    let engine = Engine::new(&cfg)
        .and_then(|e| e.with_ops(&cfg))
        .map_err(|e| format!("engine: {e}"))?
        .without_stop_table();
    let handle = engine.handle();
    let addr = handle.v9_addr().to_string();
    let engine_thread = std::thread::Builder::new()
        .name("v9bridge-engine".into())
        .spawn(move || engine.run())
        .map_err(|e| e.to_string())?;

    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(AtomicUsize::new(0));
    let peer_cores = peer_cores(&cfg);
    let receivers: Vec<JoinHandle<Result<ReceiverReport, String>>> = (0..args.receivers)
        .map(|i| {
            let a = ReceiverArgs {
                connect: addr.clone(),
                accounts: args.accounts,
                name: format!("V9_CopyReceiver-{}", i + 1),
                no_terminator: i < args.unterminated_receivers,
                record_arrivals: true,
                ..Default::default()
            };
            let (stop, ready, cores) = (stop.clone(), ready.clone(), peer_cores.clone());
            std::thread::spawn(move || {
                pin_to_any(&cores);
                receiver::run(&a, &stop, Some(&ready))
            })
        })
        .collect();
    let feed_stop = Arc::new(AtomicBool::new(false));
    let (inject_tx, inject_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
    let feed = pipe_path.as_ref().map(|p| {
        let a = PipeFeedArgs {
            pipe: p.clone(),
            rate: args.pipe_rate,
            symbols: vec!["MES".into(), "ES".into(), "NQ".into()],
            inject: Some(inject_rx),
            ..Default::default()
        };
        let (stop, cores) = (feed_stop.clone(), peer_cores.clone());
        std::thread::spawn(move || {
            pin_to_any(&cores);
            pipe_feed::run(&a, &stop)
        })
    });
    pin_to_any(&peer_cores);
    let inject = feed.as_ref().map(|_| &inject_tx);
    let mut outcome = drive(args, &handle, &addr, &ready, verbose, inject);
    let dtc_report = if dtc_sim.is_some() { Some(dtc_round_trip(&handle)) } else { None };
    if let (Ok(d), Some(path)) = (&outcome, &args.expect_json) {
        std::fs::write(path, expected_json(&d.expected, args))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if args.hold_s > 0 {
        println!("holding for {} s (the engine, receivers and feeds keep running)", args.hold_s);
        std::thread::sleep(Duration::from_secs(args.hold_s));
    }
    // The demo injects no bad input: any counted is a defect (a codec or a simulator disagreeing).
    let bad_input = handle.call(|e, _| bad_input_counts(e), WAIT).unwrap_or_default();
    feed_stop.store(true, Ordering::SeqCst);
    let mut pipe_line = None;
    if let Some(f) = feed {
        let written = f.join().map_err(|_| "pipe feed panicked".to_string())??;
        // Lose nothing: every tick written must have been applied by the engine.
        let applied = || -> u64 {
            handle.call(|e, _| e.pipe.as_ref().map_or(0, |p| p.stats().ticks), WAIT).unwrap_or(0)
        };
        let all = wait_until(Duration::from_secs(10), || applied() >= written.ticks).is_ok();
        let got = applied();
        pipe_line = Some(format!(
            "pipe: {} ticks written by the simulated study, {got} applied to the market state",
            written.ticks
        ));
        if !all || got != written.ticks {
            if let Ok(o) = outcome.as_mut() {
                o.problems.push(format!("pipe: {} ticks written but {got} applied", written.ticks));
            }
        }
    }
    if let Some(p) = &pipe_path {
        remove_fifo(p);
    }
    // Engine first, so its book still holds every connected receiver when it reports.
    handle.stop();
    let engine_outcome = engine_thread
        .join()
        .map_err(|_| "engine thread panicked".to_string())?
        .map_err(|e| e.to_string())?;
    stop.store(true, Ordering::SeqCst);
    let reports: Vec<ReceiverReport> =
        receivers.into_iter().filter_map(|j| j.join().ok().and_then(Result::ok)).collect();
    dtc_stop.store(true, Ordering::SeqCst);
    if let Some(j) = dtc_sim {
        let _ = j.join();
    }
    let d = outcome?;
    let mut r = verify(args, &d, &reports, engine_outcome);
    for (endpoint, n) in bad_input.into_iter().filter(|(_, n)| *n > 0) {
        r.ok = false;
        r.problems.push(format!("{endpoint} counted {n} bad input(s) the demo did not send"));
    }
    r.pipe = pipe_line;
    if let Some(rep) = dtc_report {
        match rep {
            Ok(text) => r.dtc = Some(text),
            Err(e) => {
                r.ok = false;
                r.problems.push(format!("dtc: {e}"));
            }
        }
    }
    Ok(r)
}

/// Cores other than the engine's, for the simulated peers (empty = no pinning).
fn peer_cores(cfg: &Config) -> Vec<core_affinity::CoreId> {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let engine = match cfg.engine.pin {
        crate::config::Pin::Last => cores.last().map(|c| c.id),
        crate::config::Pin::Core(n) => Some(n),
        _ => None,
    };
    match engine {
        Some(e) if cores.len() > 1 => cores.into_iter().filter(|c| c.id != e).collect(),
        _ => Vec::new(),
    }
}

/// Restricts the current thread to `cores` (a no-op when empty). On Linux a thread may be
/// allowed several cores; core_affinity pins to one, so spread threads by thread id.
fn pin_to_any(cores: &[core_affinity::CoreId]) {
    if cores.is_empty() {
        return;
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    let _ = core_affinity::set_for_current(cores[(h.finish() % cores.len() as u64) as usize]);
}

/// What `drive` did: the expected final book, every publisher signal's (id, send time), the
/// burst rate, the demo-side histograms, signals sent by any path, and problems seen so far.
struct Driven {
    expected: Book,
    sent: Vec<(u64, Instant)>,
    burst_rate: f64,
    hists: Vec<LatencyHist>,
    total_signals: u64,
    problems: Vec<String>,
}

/// A FIFO path (Unix) or pipe name (Windows) unique to this run.
fn demo_pipe_path() -> String {
    let id = std::process::id();
    if cfg!(windows) {
        format!(r"\\.\pipe\v9bridge-demo-{id}")
    } else {
        std::env::temp_dir().join(format!("v9bridge-demo-{id}.fifo")).to_string_lossy().into_owned()
    }
}

fn remove_fifo(path: &str) {
    if cfg!(unix) {
        let _ = std::fs::remove_file(path);
    }
}

fn drive(
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
        expected: Book::with_accounts(args.accounts),
        sent: Vec::with_capacity(args.signals as usize + 3),
        burst_rate: 0.0,
        hists: Vec::new(),
        total_signals: 0,
        problems: Vec::new(),
    };
    let mut ack = LatencyHist::new("demo.publisher_send_to_ack");
    let per_signal = args.receivers as u64;
    let receivers_line = |handle: &EngineHandle| -> Result<String, String> {
        let status = handle
            .call(|e, c| e.v9.as_ref().map(|v| v.status(c.now)).unwrap_or_default(), WAIT)
            .map_err(|e| e.to_string())?;
        Ok(status.lines().filter(|l| l.contains("Receiver/Ready")).collect::<Vec<_>>().join("\n"))
    };

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
        d.expected.apply(&sig, |_| 0.0);
        wait_summaries(handle, id * per_signal)?;
        if verbose {
            println!(
                "Server→Client  {action}|{symbol}|{qty}|ID:{id}   (written to {n} receiver(s))"
            );
            println!("Client→Server  POSITIONs + POSITION_SUMMARY →{}", receivers_line(handle)?);
        }
    }

    if let Some(tx) = inject {
        // A signal from the ACSIL study through the pipe: same validation and broadcast path.
        let sig = Signal::new(Action::Long, "NQ", 2);
        tx.send(br#"{"signal":"LONG","symbol":"NQ","qty":2,"tp":16100,"sl":15900}"#.iter().chain(b"\n").copied().collect())
            .map_err(|_| "pipe feed stopped".to_string())?;
        d.total_signals += 1;
        d.expected.apply(&sig, |_| 0.0);
        let id = d.total_signals;
        wait_summaries(handle, id * per_signal).map_err(|e| format!("pipe signal: {e}"))?;
        if verbose {
            println!("Pipe (ACSIL)   {{\"signal\":\"LONG\",\"symbol\":\"NQ\",\"qty\":2,...}} → LONG|NQ|2|TP:16100|SL:15900|ID:{id} to every receiver");
            println!("Client→Server  POSITIONs + POSITION_SUMMARY →{}", receivers_line(handle)?);
        }
    }

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
        d.expected.apply(&sig, |_| 0.0);
    }
    d.burst_rate = args.signals as f64 / t0.elapsed().as_secs_f64().max(1e-9);
    wait_summaries(handle, d.total_signals * per_signal)?;
    d.hists.push(ack);
    Ok(d)
}

/// DTC through the engine loop: market data from the simulated Sierra Chart must be in the market
/// state, and a market order must come back filled with a position.
fn dtc_round_trip(handle: &EngineHandle) -> Result<String, String> {
    let dtc_quote = || {
        handle
            .call(|_, c| c.market.get("ESZ6_FUT_CME").is_some_and(|q| q.feed == Feed::Dtc), WAIT)
            .unwrap_or(false)
    };
    wait_until(Duration::from_secs(15), dtc_quote)
        .map_err(|_| "no DTC market data reached the market state".to_string())?;
    let dtc = |text: &'static str| {
        handle
            .call(move |e, c| e.dtc_command("sim", text, c), WAIT)
            .map_err(|e| e.to_string())
            .and_then(|r| r)
    };
    let submitted = dtc("order buy ES 1 market")?;
    let positions = || dtc("positions").unwrap_or_default();
    wait_until(Duration::from_secs(10), || positions().contains("ESZ6_FUT_CME"))
        .map_err(|_| format!("order not filled: {submitted}; positions: {}", positions()))?;
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
    Ok(format!(
        "dtc (simulated Sierra Chart): market data {}\n  order: {}\n  positions: {}",
        market.join(" | "),
        submitted.trim(),
        positions().trim().replace('\n', " | ")
    ))
}

/// The model's final book as JSON: what every receiver's accounts must hold (non-zero only).
fn expected_json(book: &Book, args: &DemoArgs) -> String {
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

/// Bad input counted per endpoint, to tell the demo's clean run from a silent data loss.
fn bad_input_counts(e: &mut crate::engine::Endpoints) -> Vec<(String, u64)> {
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

fn random_signal(rng: &mut XorShift, symbols: &[&'static str]) -> Signal<'static> {
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
fn pace_until(due: Instant) {
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

fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> Result<(), ()> {
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

fn verify(
    args: &DemoArgs,
    d: &Driven,
    reports: &[ReceiverReport],
    outcome: EngineOutcome,
) -> DemoResult {
    let (expected, sent) = (&d.expected, &d.sent);
    let mut problems = d.problems.clone();
    if reports.len() != args.receivers {
        problems.push(format!(
            "{} of {} receivers returned a report",
            reports.len(),
            args.receivers
        ));
    }
    let mut e2e = LatencyHist::new("demo.publisher_send_to_last_receiver_read");
    for (id, t) in sent {
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
    for r in reports {
        if r.id_gaps > 0 || r.signals != d.total_signals {
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
    }
    if outcome.positions.len() != args.receivers {
        problems.push(format!(
            "engine saw {} receivers, expected {}",
            outcome.positions.len(),
            args.receivers
        ));
    }
    for (name, positions) in &outcome.positions {
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
