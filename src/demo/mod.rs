//! `v9bridge demo`: engine + simulated peers in one process, the spec's example session, a
//! fixed-rate burst, verification of every account, and a latency report.

use crate::config::Config;
use crate::engine::Engine;
use crate::metrics::{percentile_table, LatencyHist};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub mod chaos;
mod drive;
pub mod external;
mod peers;
mod verify;
use peers::Peers;

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
    /// Verify this external receiver instead of the simulated ones, e.g. the NinjaTrader strategy
    /// under mono (tools/ninjatrader/README.md). `{addr}` in it becomes the engine's V9 address
    /// (also in $V9BRIDGE_ADDR); it must print its accounts' positions when it reads `quit`.
    #[arg(long)]
    pub receiver_cmd: Option<String>,
    /// Serve the operator surface (dashboard, API) on this address while the demo runs.
    #[arg(long, value_name = "ADDR|none")]
    pub ops_listen: Option<crate::ops::OpsListen>,
    /// Keep everything running this many seconds after the burst (to look at the dashboard).
    #[arg(long, default_value_t = 0)]
    pub hold_s: u64,
    /// Write the model's expected positions here (JSON) once the burst is done.
    #[arg(long, value_name = "FILE")]
    pub expect_json: Option<std::path::PathBuf>,
    /// Two account groups on two receivers: receiver 1's accounts (`Micro1..`) in group
    /// `micro`, mapped ES -> MES x10; receiver 2's (`Full1..`) in `full`, trading ES as is.
    /// The model check verifies every account's position per mapped symbol.
    #[arg(long)]
    pub groups: bool,
    /// Run the faults instead: kill -9 a receiver, then the engine, mid-burst,
    /// each restarted; PASS or FAIL per fault. Uses --signals, --rate and --accounts (the
    /// engine and receivers run as child processes of this binary).
    #[arg(long)]
    pub chaos: bool,
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
            receiver_cmd: None,
            ops_listen: None,
            hold_s: 0,
            expect_json: None,
            groups: false,
            chaos: false,
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
    if args.chaos {
        let bin = std::env::current_exe().map_err(|e| format!("chaos: this binary: {e}"))?;
        let opts = chaos::ChaosOpts {
            bin,
            signals: args.signals,
            rate: args.rate,
            accounts: args.accounts,
        };
        return chaos::run(&opts);
    }
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
    let mut one = args.clone();
    if args.receiver_cmd.is_some() {
        // The external process is the one receiver; its accounts are verified like a simulated one's.
        (one.receivers, one.unterminated_receivers) = (1, 0);
    }
    if args.groups {
        one.receivers = 2; // one per group
    }
    let args = &one;
    let (cfg, dtc_sim) = demo_config(args)?;
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
    let mut peers = Peers::start(args, &cfg, &addr, &handle)?;
    let mut outcome = drive::drive(args, &handle, &addr, &peers.ready, verbose, peers.inject());
    let dtc_report = dtc_sim.as_ref().map(|_| drive::dtc_round_trip(&handle));
    if let (Ok(d), Some(path)) = (&outcome, &args.expect_json) {
        std::fs::write(path, verify::expected_json(&d.expected, args))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if args.hold_s > 0 {
        println!("holding for {} s (the engine, receivers and feeds keep running)", args.hold_s);
        std::thread::sleep(Duration::from_secs(args.hold_s));
    }
    // The demo injects no bad input: any counted is a defect (a codec or a simulator disagreeing).
    let bad_input = handle.call(|e, _| verify::bad_input_counts(e), WAIT).unwrap_or_default();
    let pipe_line = peers.stop_feed(&handle, &mut outcome)?;
    if let Some(p) = &cfg.pipe {
        remove_fifo(&p.path);
    }
    // Engine first, so its book still holds every connected receiver when it reports.
    handle.stop();
    let engine_outcome = engine_thread
        .join()
        .map_err(|_| "engine thread panicked".to_string())?
        .map_err(|e| e.to_string())?;
    let (reports, external_problem) = peers.finish(args);
    if let Some(sim) = dtc_sim {
        sim.stop();
    }
    let mut d = outcome?;
    d.problems.extend(external_problem);
    let mut r = verify::verify(args, &d, &reports, engine_outcome);
    for (endpoint, n) in bad_input.into_iter().filter(|(_, n)| *n > 0) {
        r.ok = false;
        r.problems.push(format!("{endpoint} counted {n} bad input(s) the demo did not send"));
    }
    r.pipe = pipe_line;
    match dtc_report {
        Some(Ok(text)) => r.dtc = Some(text),
        Some(Err(e)) => {
            r.ok = false;
            r.problems.push(format!("dtc: {e}"));
        }
        None => {}
    }
    Ok(r)
}

/// `--groups`: account name prefixes of receiver 1 (group `micro`) and receiver 2 (`full`).
pub const GROUP_PREFIXES: [&str; 2] = ["Micro", "Full"];
/// `--groups`: the `micro` group trades ES as this symbol ...
pub const MICRO_TO: &str = "MES";
/// ... at this ratio.
pub const MICRO_RATIO: u32 = 10;

/// The account name prefix of simulated receiver `i`.
pub(crate) fn account_prefix(args: &DemoArgs, i: usize) -> &'static str {
    match (args.groups, i) {
        (true, 0) => GROUP_PREFIXES[0],
        (true, _) => GROUP_PREFIXES[1],
        _ => "Account",
    }
}

/// The engine's configuration for the demo, and the simulated Sierra Chart it connects to.
fn demo_config(args: &DemoArgs) -> Result<(Config, Option<DtcSim>), String> {
    let mut cfg = Config::default();
    cfg.v9.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    cfg.engine.pin = args.pin;
    cfg.engine.report_interval_s = 0;
    cfg.journal.dir = "none".into();
    if args.pipe_rate > 0.0 {
        let path = demo_pipe_path();
        cfg.pipe = Some(crate::pipe::PipeConfig { path, ..Default::default() });
    }
    let dtc_sim = if args.dtc != "none" {
        let encoding = crate::dtc::Encoding::parse(&args.dtc).ok_or_else(|| {
            format!("--dtc {:?}: expected none, binary, json or json_compact", args.dtc)
        })?;
        let sim = DtcSim::start()?;
        let d = crate::dtc::DtcConfig {
            addr: sim.addr.to_string(),
            encoding,
            symbols: vec!["ESZ6_FUT_CME".into(), "NQZ6_FUT_CME".into()],
            heartbeat_s: 2,
            ..Default::default()
        };
        cfg.dtc.insert("sim".into(), d);
        Some(sim)
    } else {
        None
    };
    if args.groups {
        let names = |prefix: &str| {
            let n: Vec<String> = (1..=args.accounts).map(|i| format!("'{prefix}{i}'")).collect();
            n.join(", ")
        };
        let toml = format!(
            "[groups]\nmicro = [{}]\nfull = [{}]\n[mapping.micro]\n\
             symbols = {{ ES = {{ to = '{MICRO_TO}', ratio = {MICRO_RATIO} }} }}\n",
            names(GROUP_PREFIXES[0]),
            names(GROUP_PREFIXES[1])
        );
        let g = Config::from_toml(&toml)?;
        (cfg.groups, cfg.mapping) = (g.groups, g.mapping);
    }
    cfg.ops.listen = args.ops_listen.unwrap_or(crate::ops::OpsListen(None));
    cfg.ops.apply_env();
    cfg.validate()?;
    Ok((cfg, dtc_sim))
}

/// The simulated Sierra Chart DTC server on its own threads.
struct DtcSim {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    join: JoinHandle<Result<(), String>>,
}

impl DtcSim {
    fn start() -> Result<DtcSim, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let sim = crate::sim::dtc_server::DtcServerArgs {
            listen: "127.0.0.1:0".into(),
            tick_ms: 5,
            ..Default::default()
        };
        let (addr, join) = crate::sim::dtc_server::spawn(&sim, stop.clone())
            .map_err(|e| format!("dtc sim: {e}"))?;
        Ok(DtcSim { addr, stop, join })
    }

    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.join.join();
    }
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
