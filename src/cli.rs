//! Command line: argv → subcommand; `run` loads config, applies overrides and starts the engine.

use crate::config::Config;
use crate::engine::Engine;
use crate::signal::{Action, Signal};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// v9bridge: Sierra Chart → NinjaTrader copy receivers, measured in microseconds.
#[derive(Parser, Debug)]
#[command(name = "v9bridge", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the engine (V9 server, pipe ingest, DTC connections) until SIGINT/SIGTERM.
    Run(RunArgs),
    /// Publish one signal to a running engine and print its id.
    Signal(SignalArgs),
    /// Kill switch on: FLATTEN|ALL|0 to every receiver, opening signals refused until `arm`.
    Kill(KillArgs),
    /// Kill switch off: opening signals accepted again.
    Arm(ArmArgs),
    /// Run a simulated peer.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Run the whole system in one process, verify every account, print a latency report.
    Demo(crate::demo::DemoArgs),
    /// One-shot DTC client: accounts, positions, orders, fills, order, cancel, replace.
    Dtc(crate::dtc::cli::DtcCliArgs),
    /// Configuration help: `--example` prints a commented config with every key.
    Config(ConfigArgs),
    /// Read the signal journal: `cat`, `tail` (`--follow`), `verify`.
    Journal(crate::journal::cli::JournalArgs),
}

/// `v9bridge config` options.
#[derive(clap::Args, Debug)]
pub struct ConfigArgs {
    /// Print a fully commented configuration file with every key and its default.
    #[arg(long)]
    pub example: bool,
    /// Check this config file (with the environment applied) and print the effective values.
    #[arg(long)]
    pub check: Option<PathBuf>,
}

/// `v9bridge run` options; flags override the config file.
#[derive(clap::Args, Debug, Default)]
pub struct RunArgs {
    /// TOML config file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// V9 listen address, IP:port (default 127.0.0.1:5000).
    #[arg(long)]
    pub v9_listen: Option<std::net::SocketAddr>,
    /// Core for the loop thread: a core index, `last` (default) or `none`.
    #[arg(long)]
    pub pin: Option<crate::config::Pin>,
    /// Write HdrHistogram .hgrm files into this directory at shutdown.
    #[arg(long)]
    pub hgrm: Option<PathBuf>,
    /// Seconds between periodic reports (0 = off).
    #[arg(long)]
    pub report_s: Option<u64>,
    /// V9 client idle timeout in seconds (spec: 30).
    #[arg(long)]
    pub client_timeout_s: Option<f64>,
    /// Pipe/FIFO path for the ACSIL study's feed (enables pipe ingest).
    #[arg(long)]
    pub pipe: Option<String>,
    /// Overrides `journal.dir` ("none" disables the journal).
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Start even though a journal segment is corrupt: set it aside (`*.corrupt`) and start a
    /// fresh segment after the last good record (`journal.fresh_segment` for this start).
    #[arg(long)]
    pub journal_fresh_segment: bool,
    /// Operator surface (dashboard, API, /metrics) address, IP:port, or `none` (default
    /// 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR|none")]
    pub ops_listen: Option<crate::ops::OpsListen>,
    /// Print the effective configuration (secrets masked) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// `v9bridge signal` options.
#[derive(clap::Args, Debug)]
pub struct SignalArgs {
    /// LONG, SHORT, FLATTEN, CLOSE_HALF, CLOSE_ONE or REVERSE.
    pub action: String,
    /// Symbol (root such as MES, or ALL for closing actions).
    pub symbol: String,
    /// Contracts per account (0 for closing actions).
    pub qty: u32,
    /// Take-profit price.
    #[arg(long)]
    pub tp: Option<f64>,
    /// Stop-loss price.
    #[arg(long)]
    pub sl: Option<f64>,
    /// Time in force / order type, passed through as TIF:.
    #[arg(long)]
    pub tif: Option<String>,
    /// Engine's V9 address.
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub server: String,
    /// Publisher token (or env V9BRIDGE_PUBLISHER_TOKEN).
    #[arg(long)]
    pub token: Option<String>,
}

/// `v9bridge kill` options.
#[derive(clap::Args, Debug)]
pub struct KillArgs {
    /// Why (printable ASCII without '|', logged by the engine).
    #[arg(long, default_value = "cli")]
    pub reason: String,
    /// Engine's V9 address.
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub server: String,
    /// Publisher token (or env V9BRIDGE_PUBLISHER_TOKEN).
    #[arg(long)]
    pub token: Option<String>,
}

/// `v9bridge arm` options.
#[derive(clap::Args, Debug)]
pub struct ArmArgs {
    /// Re-arm only this account after a loss-limit breach (through the ops API, `--ops`).
    #[arg(long)]
    pub account: Option<String>,
    /// The ops API's address, for `--account`.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub ops: String,
    /// The ops API's Bearer token, for `--account` (or env V9BRIDGE_OPS_TOKEN).
    #[arg(long)]
    pub ops_token: Option<String>,
    /// Engine's V9 address.
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub server: String,
    /// Publisher token (or env V9BRIDGE_PUBLISHER_TOKEN).
    #[arg(long)]
    pub token: Option<String>,
}

/// `v9bridge sim ...`
#[derive(Subcommand, Debug)]
pub enum SimCommand {
    /// A NinjaTrader V9_CopyReceiver stand-in trading N simulated accounts.
    Receiver(crate::sim::receiver::ReceiverArgs),
    /// The ACSIL study stand-in: writes ticks (and signals) into the pipe at a fixed rate.
    PipeFeed(crate::sim::pipe_feed::PipeFeedArgs),
    /// A Sierra Chart DTC server stand-in (TCP with encoding negotiation, WebSocket JSON).
    DtcServer(crate::sim::dtc_server::DtcServerArgs),
}

/// `v9bridge arm --account NAME`: `POST /api/v1/arm {"account": NAME}` on the ops API.
fn arm_account(a: &ArmArgs) -> Result<(), String> {
    let account = a.account.as_deref().unwrap_or_default();
    let token = a.ops_token.clone().or_else(|| std::env::var("V9BRIDGE_OPS_TOKEN").ok());
    let token = token.ok_or("--account needs the ops token (--ops-token or V9BRIDGE_OPS_TOKEN)")?;
    let body = serde_json::json!({ "account": account }).to_string();
    let answer = crate::ops::client::post(&a.ops, "/api/v1/arm", &token, body.as_bytes())?;
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    match v["changed"].as_bool() {
        Some(true) => eprintln!("account {account} re-armed: it trades again"),
        _ => eprintln!("account {account} was not excluded"),
    }
    Ok(())
}

/// Parses argv and runs; the binary's whole `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Run(a) => run(a),
        Command::Signal(a) => signal(a),
        Command::Kill(a) => kill(a),
        Command::Arm(a) if a.account.is_some() => arm_account(&a),
        Command::Arm(a) => control(&a.server, a.token, "ARM").map(|_| {
            eprintln!("kill switch off: opening signals accepted");
        }),
        Command::Sim(SimCommand::Receiver(a)) => {
            let stop = stop_on_ctrl_c();
            crate::sim::receiver::run(&a, &stop, None).map(|r| {
                println!(
                    "receiver {}: {} signals, {} id gaps, {} connections",
                    a.name, r.signals, r.id_gaps, r.connections
                );
            })
        }
        Command::Sim(SimCommand::PipeFeed(a)) => {
            let stop = stop_on_ctrl_c();
            crate::sim::pipe_feed::run(&a, &stop).map(|s| {
                println!(
                    "pipe-feed {}: {} ticks, {} signals, {} bytes, {} connects",
                    a.pipe, s.ticks, s.signals, s.bytes, s.connects
                );
            })
        }
        Command::Sim(SimCommand::DtcServer(a)) => crate::sim::dtc_server::run(&a, stop_on_ctrl_c()),
        Command::Demo(a) => crate::demo::run(&a),
        Command::Dtc(a) => crate::dtc::cli::run(&a),
        Command::Config(a) => config(&a),
        Command::Journal(a) => crate::journal::cli::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("v9bridge: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let env = env_logger::Env::default().default_filter_or("info");
    let mut b = env_logger::Builder::from_env(env);
    // Third-party crates that log frame payloads at debug/trace (tungstenite logs the DTC
    // LOGON frame, password included) stay at warn whatever RUST_LOG says: our own code logs
    // frames itself, masked.
    for noisy in PAYLOAD_LOGGING_CRATES {
        b.filter_module(noisy, log::LevelFilter::Warn);
    }
    let _ = b.format_timestamp_micros().try_init();
}

/// Crates whose debug and trace output contains message payloads.
const PAYLOAD_LOGGING_CRATES: [&str; 2] = ["tungstenite", "mio"];

/// Builds the effective configuration from file + flags + environment.
pub fn effective_config(a: &RunArgs) -> Result<Config, String> {
    let mut cfg = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    if let Some(v) = a.v9_listen {
        cfg.v9.listen = v;
    }
    if let Some(v) = a.pin {
        cfg.engine.pin = v;
    }
    if let Some(v) = &a.hgrm {
        cfg.engine.hgrm_dir = Some(v.clone());
    }
    if let Some(v) = a.report_s {
        cfg.engine.report_interval_s = v;
    }
    if let Some(v) = a.client_timeout_s {
        cfg.v9.client_timeout_s = v;
    }
    if let Some(d) = &a.journal {
        cfg.journal.dir = d.clone();
    }
    if a.journal_fresh_segment {
        cfg.journal.fresh_segment = true;
    }
    if let Some(v) = a.ops_listen {
        cfg.ops.listen = v;
    }
    if let Some(p) = &a.pipe {
        let mut pipe = cfg.pipe.take().unwrap_or_default();
        pipe.path = p.clone();
        cfg.pipe = Some(pipe);
    }
    cfg.apply_env();
    cfg.validate()?;
    Ok(cfg)
}

fn run(a: RunArgs) -> Result<(), String> {
    let cfg = effective_config(&a)?;
    if a.print_config {
        print!("{}", cfg.to_masked_toml());
        return Ok(());
    }
    let engine = Engine::new(&cfg)
        .and_then(|e| e.with_ops(&cfg))
        .map_err(|e| format!("cannot start: {e}"))?;
    let handle = engine.handle();
    ctrlc::set_handler(move || handle.stop())
        .map_err(|e| format!("cannot install the signal handler: {e}"))?;
    engine.run().map(|_| ()).map_err(|e| format!("engine failed: {e}"))
}

fn config(a: &ConfigArgs) -> Result<(), String> {
    if a.example {
        print!("{}", crate::config::EXAMPLE);
        return Ok(());
    }
    let Some(path) = &a.check else {
        return Err("say --example (print a commented config) or --check FILE".into());
    };
    let args = RunArgs { config: Some(path.clone()), ..Default::default() };
    let cfg = effective_config(&args)?;
    print!("{}", cfg.to_masked_toml());
    Ok(())
}

fn signal(a: SignalArgs) -> Result<(), String> {
    let action = Action::parse(&a.action.to_ascii_uppercase())
        .ok_or_else(|| format!("unknown action {:?}", a.action))?;
    // Upper case here too, so what is printed is what receivers get.
    let symbol = a.symbol.to_ascii_uppercase();
    let mut sig = Signal::new(action, &symbol, a.qty);
    sig.tp = a.tp;
    sig.sl = a.sl;
    sig.tif = a.tif.as_deref();
    sig.validate().map_err(|e| e.to_string())?;
    let token = a.token.clone().or_else(|| std::env::var("V9BRIDGE_PUBLISHER_TOKEN").ok());
    let mut p = crate::v9::publisher::Publisher::connect(
        &a.server,
        "v9bridge-signal",
        token.as_deref(),
        Duration::from_secs(5),
    )
    .map_err(|e| token_hint(e, token.is_some()))?;
    let (id, receivers) = p.send(&sig)?;
    println!("{id}");
    eprintln!(
        "signal #{id} {} {} {} written to {receivers} receiver(s)",
        sig.action, sig.symbol, sig.qty
    );
    Ok(())
}

/// `v9bridge kill`: the kill switch on, through the V9 server as a publisher.
fn kill(a: KillArgs) -> Result<(), String> {
    if !a.reason.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'|') {
        return Err("--reason: printable ASCII without '|'".into());
    }
    let (id, n) = control(&a.server, a.token, &format!("KILL|{}", a.reason))?;
    eprintln!("kill switch on: FLATTEN|ALL|0 #{id} written to {n} receiver(s)");
    Ok(())
}

/// Connects as a publisher and sends one control line (`KILL|...`, `ARM`).
fn control(server: &str, token: Option<String>, line: &str) -> Result<(u64, u32), String> {
    let token = token.or_else(|| std::env::var("V9BRIDGE_PUBLISHER_TOKEN").ok());
    let mut p = crate::v9::publisher::Publisher::connect(
        server,
        "v9bridge-control",
        token.as_deref(),
        Duration::from_secs(5),
    )
    .map_err(|e| token_hint(e, token.is_some()))?;
    p.control(line)
}

/// An UNAUTHORIZED refusal says how to give the token (the README's config sets one).
fn token_hint(e: String, had_token: bool) -> String {
    if !e.starts_with("UNAUTHORIZED") {
        return e;
    }
    if had_token {
        format!("{e}\n  the server refused the token given (--token or V9BRIDGE_PUBLISHER_TOKEN); check it matches v9.publisher_token")
    } else {
        format!("{e}\n  the server requires a publisher token: pass --token <secret> or set V9BRIDGE_PUBLISHER_TOKEN")
    }
}

/// A flag set by SIGINT/SIGTERM (for simulators; the engine uses its own handle).
pub fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    if let Err(e) = ctrlc::set_handler(move || s.store(true, std::sync::atomic::Ordering::SeqCst)) {
        log::warn!("cannot install the signal handler: {e}");
    }
    stop
}
