//! DTC helpers: the simulator on port 0, client configs, a mini mio loop, in-memory pairs.

pub mod miniloop;
pub mod pair;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use v9bridge::dtc::DtcConfig;
use v9bridge::sim::dtc_server::{spawn, DtcServerArgs};

pub struct Sim {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    h: Option<JoinHandle<Result<(), String>>>,
}

impl Sim {
    pub fn start(args: DtcServerArgs) -> Sim {
        let stop = Arc::new(AtomicBool::new(false));
        let (addr, h) = spawn(&args, stop.clone()).expect("sim binds");
        Sim { addr, stop, h: Some(h) }
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.h.take() {
            h.join().expect("sim thread").expect("sim ok");
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn args() -> DtcServerArgs {
    DtcServerArgs {
        symbols: vec!["ESZ6_FUT_CME".into(), "XAUUSD".into()],
        tick_ms: 10,
        ..Default::default()
    }
}

pub fn cfg(addr: SocketAddr, transport: &str, encoding: &str, sierra: bool) -> DtcConfig {
    DtcConfig {
        addr: addr.to_string(),
        transport: match transport {
            "tcp" => v9bridge::dtc::TransportKind::Tcp,
            "ws" => v9bridge::dtc::TransportKind::WebSocket,
            other => panic!("test transport {other:?}"),
        },
        encoding: v9bridge::dtc::Encoding::parse(encoding).expect("a test encoding"),
        compact_sierra_order: sierra,
        symbols: vec!["ESZ6_FUT_CME".into(), "XAUUSD".into()],
        heartbeat_s: 5,
        reconnect_min_ms: 50,
        reconnect_max_ms: 300,
        depth_levels: 5,
        ..Default::default()
    }
}

pub fn init_log() {
    let _ = env_logger::builder().is_test(true).try_init();
}

use v9bridge::dtc::symbols::{SessionStats, TopOfBook};
use v9bridge::dtc::DtcEndpoint;

/// The last close reason as text ("" when none).
pub fn err(c: &DtcEndpoint) -> String {
    c.connection().last_error().map(|e| e.to_string()).unwrap_or_default()
}

/// DisplayPriceMultiplier of a symbol.
pub fn multiplier(c: &DtcEndpoint, symbol: &str) -> Option<f64> {
    c.connection().symbols().get(symbol).map(|s| s.scale.mult)
}

/// Best bid and ask of a symbol's depth book.
pub fn depth_top(c: &DtcEndpoint, symbol: &str) -> Option<TopOfBook> {
    c.connection().symbols().get(symbol).map(|s| s.depth.top())
}

/// Symbols whose market data the server rejected, with its text.
pub fn rejected(c: &DtcEndpoint) -> Vec<(String, String)> {
    c.snapshot().symbols.into_iter().filter_map(|s| s.rejected.map(|r| (s.name, r))).collect()
}

/// Session statistics of a symbol.
pub fn session_stats(c: &DtcEndpoint, symbol: &str) -> Option<SessionStats> {
    c.connection().symbols().get(symbol).map(|s| s.session)
}
