//! DTC server simulator: TCP and WebSocket on one port, logon, market data, orders, SC quirks.

mod conn;
mod feed;
#[cfg(test)]
mod json_tests;
mod peer;
mod state;

pub use peer::SimPeer;

use state::SimState;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `v9bridge sim dtc-server` arguments.
#[derive(clap::Args, Clone)]
pub struct DtcServerArgs {
    /// Listen address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:11099")]
    pub listen: String,
    /// `auto` (honour ENCODING_REQUEST / detect JSON), or a fixed `binary`, `json`, `compact`.
    #[arg(long, default_value = "auto")]
    pub encoding: String,
    /// Simulated symbols (comma-separated); `ES…` ones use DisplayPriceMultiplier 0.01.
    #[arg(long, value_delimiter = ',', default_value = "ESZ6_FUT_CME,NQZ6_FUT_CME,XAUUSD")]
    pub symbols: Vec<String>,
    /// Require this username at logon.
    #[arg(long)]
    pub username: Option<String>,
    /// Require this password at logon (visible on argv; prefer `--password-env`).
    #[arg(long)]
    pub password: Option<String>,
    /// Require the password held in this environment variable (wins over `--password`).
    #[arg(long, value_name = "NAME")]
    pub password_env: Option<String>,
    /// Quirk: refuse market data for CME symbols, as Sierra Chart's DTC server does.
    #[arg(long)]
    pub reject_cme_market_data: bool,
    /// The header's JSON-compact field order for types 112/117 (SymbolID last). Default:
    /// Sierra Chart's order (SymbolID first), which is what the client expects by default.
    #[arg(long)]
    pub compact_header_order: bool,
    /// JSON encodings carry the binary "unset" markers (DBL_MAX, FLT_MAX, UINT_MAX) too.
    /// Default: unset fields are sent as 0, as Sierra Chart's JSON does.
    #[arg(long)]
    pub json_unset_markers: bool,
    /// WebSocket clients also get types 143 and 146. Default: 108 and 137 in their place, which
    /// JSON WebSocket clients generated from the 2020 header (python-ws-dtc-client) can parse.
    #[arg(long)]
    pub ws_all_variants: bool,
    /// Quirk: send heartbeats at 3x the interval the client asked for.
    #[arg(long)]
    pub slow_heartbeats: bool,
    /// Quirk: drop each connection after sending N messages.
    #[arg(long)]
    pub drop_after: Option<u64>,
    /// Order prices in wire units (real / DisplayPriceMultiplier, like market data), for clients
    /// with `order_prices_scaled`; default: order, position and fill prices are real prices.
    #[arg(long)]
    pub order_prices_scaled: bool,
    /// Milliseconds between market-data rounds.
    #[arg(long, default_value_t = 20)]
    pub tick_ms: u64,
}

impl Default for DtcServerArgs {
    fn default() -> Self {
        DtcServerArgs {
            listen: "127.0.0.1:0".into(),
            encoding: "auto".into(),
            symbols: vec!["ESZ6_FUT_CME".into(), "NQZ6_FUT_CME".into(), "XAUUSD".into()],
            username: None,
            password: None,
            password_env: None,
            reject_cme_market_data: false,
            compact_header_order: false,
            json_unset_markers: false,
            ws_all_variants: false,
            slow_heartbeats: false,
            drop_after: None,
            order_prices_scaled: false,
            tick_ms: 20,
        }
    }
}

/// Debug output masks the password, so logged arguments never leak it.
impl std::fmt::Debug for DtcServerArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DtcServerArgs")
            .field("listen", &self.listen)
            .field("encoding", &self.encoding)
            .field("symbols", &self.symbols)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("password_env", &self.password_env)
            .field("reject_cme_market_data", &self.reject_cme_market_data)
            .field("compact_header_order", &self.compact_header_order)
            .field("json_unset_markers", &self.json_unset_markers)
            .field("ws_all_variants", &self.ws_all_variants)
            .field("slow_heartbeats", &self.slow_heartbeats)
            .field("drop_after", &self.drop_after)
            .field("order_prices_scaled", &self.order_prices_scaled)
            .field("tick_ms", &self.tick_ms)
            .finish()
    }
}

impl DtcServerArgs {
    /// The required password: from `password_env` when set, else `password`.
    fn resolved(&self) -> Result<DtcServerArgs, String> {
        let mut a = self.clone();
        if let Some(var) = &self.password_env {
            let p = std::env::var(var)
                .map_err(|_| format!("--password-env {var}: variable not set or not UTF-8"))?;
            a.password = Some(p);
        }
        Ok(a)
    }
}

/// Binds, then serves on a thread until `stop`; returns the bound address (port 0 works).
pub fn spawn(
    args: &DtcServerArgs,
    stop: Arc<AtomicBool>,
) -> io::Result<(SocketAddr, JoinHandle<Result<(), String>>)> {
    if !args.encoding.eq_ignore_ascii_case("auto")
        && crate::dtc::Encoding::parse(&args.encoding).is_none()
    {
        let msg = format!("--encoding {:?}: expected auto, binary, json or compact", args.encoding);
        return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
    }
    let args = &args.resolved().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let listener = TcpListener::bind(&args.listen)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let seed =
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
    let state = Arc::new(Mutex::new(SimState::new(&args.symbols, seed)));
    let args = args.clone();
    log::info!(
        "dtc-sim listening on {addr} (encoding {}, symbols {:?})",
        args.encoding,
        args.symbols
    );
    let h = std::thread::Builder::new()
        .name("dtc-sim".into())
        .spawn(move || accept_loop(listener, args, state, stop))?;
    Ok((addr, h))
}

fn accept_loop(
    listener: TcpListener,
    args: DtcServerArgs,
    state: Arc<Mutex<SimState>>,
    stop: Arc<AtomicBool>,
) -> Result<(), String> {
    let mut conns: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, peer)) => {
                log::info!("dtc-sim: connection from {peer}");
                let _ = stream.set_nonblocking(false);
                let (a, s, st) = (args.clone(), state.clone(), stop.clone());
                match std::thread::Builder::new()
                    .name("dtc-sim-conn".into())
                    .spawn(move || conn::serve(stream, a, s, st))
                {
                    Ok(h) => conns.push(h),
                    Err(e) => log::warn!("dtc-sim: cannot spawn a connection thread: {e}"),
                }
                conns.retain(|h| !h.is_finished());
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => {
                log::warn!("dtc-sim: accept failed: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    drop(listener);
    for h in conns {
        let _ = h.join();
    }
    Ok(())
}

/// Runs the simulator until `stop` is set.
pub fn run(args: &DtcServerArgs, stop: Arc<AtomicBool>) -> Result<(), String> {
    let (_addr, h) =
        spawn(args, stop).map_err(|e| format!("dtc-sim: cannot listen on {}: {e}", args.listen))?;
    h.join().map_err(|_| "dtc-sim thread panicked".to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Top {
        #[command(flatten)]
        sim: DtcServerArgs,
    }

    #[test]
    fn parses_quirk_flags_and_rejects_bad_encoding() {
        let t = Top::try_parse_from([
            "x",
            "--listen",
            "127.0.0.1:0",
            "--symbols",
            "ESZ6,CLZ6",
            "--reject-cme-market-data",
            "--compact-header-order",
            "--slow-heartbeats",
            "--drop-after",
            "5",
            "--json-unset-markers",
            "--ws-all-variants",
        ])
        .unwrap();
        assert_eq!(t.sim.symbols, ["ESZ6", "CLZ6"]);
        assert!(
            t.sim.reject_cme_market_data && t.sim.compact_header_order && t.sim.slow_heartbeats
        );
        assert_eq!(t.sim.drop_after, Some(5));
        assert!(t.sim.json_unset_markers && t.sim.ws_all_variants);
        let bad = DtcServerArgs { encoding: "xml".into(), ..Default::default() };
        assert!(spawn(&bad, Arc::new(AtomicBool::new(true))).is_err());
    }

    #[test]
    fn password_from_env_and_masked_in_debug() {
        let t = Top::try_parse_from(["x", "--password-env", "V9B_TEST_SIM_PW_UNSET_XYZ"]).unwrap();
        assert_eq!(t.sim.password_env.as_deref(), Some("V9B_TEST_SIM_PW_UNSET_XYZ"));
        assert!(t.sim.resolved().is_err(), "unset variable is an error");
        let a = DtcServerArgs { password: Some("s3cr3tpw".into()), ..Default::default() };
        assert!(!format!("{a:?}").contains("s3cr3tpw"));
        // PATH is always set: it stands in for a password variable without touching the env.
        let e = DtcServerArgs { password_env: Some("PATH".into()), ..Default::default() };
        assert_eq!(e.resolved().unwrap().password, std::env::var("PATH").ok());
    }
}
