//! The loop side of the operator surface: publishes snapshots on the engine's ops timer,
//! with the signals written and summaries back since the last one, and owns the ops thread.

use super::fill::{fill, fill_events, FillCtx};
use super::server::Server;
use super::snapshot::{LinkCounters, Snapshot};
use crate::config::Config;
use crate::engine::{Endpoints, EngineHandle};
use crate::market::MarketState;
use crate::metrics::LatencyHist;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Snapshots in circulation at most: one being filled, one in flight, one the ops thread shows.
const POOL: usize = 3;
/// With nothing changed, a snapshot still goes out this often (ages, and the dashboard's clock).
const REFRESH: Duration = Duration::from_secs(1);

/// What the loop and the ops thread share besides the channels.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Origin of `heartbeat_ns`.
    pub epoch: Instant,
    /// When the loop last ran the ops timer, ns since `epoch` (the health check reads it).
    pub heartbeat_ns: AtomicU64,
    /// Set to stop the ops thread.
    pub stop: AtomicBool,
    /// Wakes the ops thread (a snapshot arrived, or stop).
    pub waker: mio::Waker,
}

/// The engine's end of the operator surface.
pub struct OpsLink {
    addr: SocketAddr,
    period: Duration,
    max_positions: usize,
    snaps: Sender<Box<Snapshot>>,
    back: Receiver<Box<Snapshot>>,
    spare: Option<Box<Snapshot>>,
    made: usize,
    /// Signals written and answers recorded by the V9 server that the ops thread has been sent.
    seen: (u64, u64),
    shared: Arc<Shared>,
    seq: u64,
    counters: LinkCounters,
    thread: Option<JoinHandle<()>>,
    /// Fingerprint and time of the last fill.
    last: Option<(u64, Instant)>,
}

impl std::fmt::Debug for OpsLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpsLink").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl OpsLink {
    /// Binds `[ops] listen` and starts the ops thread; `None` when the listen address is `none`.
    pub fn start(cfg: &Config, handle: EngineHandle) -> io::Result<Option<OpsLink>> {
        let Some(listen) = cfg.ops.listen.0 else { return Ok(None) };
        let (snaps_tx, snaps_rx) = crossbeam_channel::bounded(1);
        let (back_tx, back_rx) = crossbeam_channel::bounded(POOL);
        let (server, waker, addr) = Server::bind(listen, cfg, handle, snaps_rx, back_tx)?;
        let shared = Arc::new(Shared {
            epoch: Instant::now(),
            heartbeat_ns: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            waker,
        });
        let thread_shared = shared.clone();
        let pin = cfg.engine.pin;
        let thread = std::thread::Builder::new().name("v9bridge-ops".into()).spawn(move || {
            crate::sys::keep_off_core(crate::sys::loop_core(pin), "ops");
            server.run(thread_shared)
        })?;
        log::info!("ops: dashboard and API on http://{addr}/");
        Ok(Some(OpsLink {
            addr,
            period: Duration::from_millis(cfg.ops.publish_ms),
            max_positions: cfg.ops.max_positions,
            snaps: snaps_tx,
            back: back_rx,
            spare: None,
            made: 0,
            seen: (0, 0),
            shared,
            seq: 0,
            counters: LinkCounters::default(),
            thread: Some(thread),
            last: None,
        }))
    }

    /// The bound address (port 0 resolved).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Snapshots filled so far (sent or not).
    pub fn published(&self) -> u64 {
        self.seq
    }

    /// Runs on the engine's ops timer: stores the heartbeat, and unless nothing changed since the
    /// last fill (under a second ago) fills a spare snapshot and sends it (skipped when the ops
    /// thread has not returned one). Returns when to run next.
    pub fn on_timer(
        &mut self,
        eps: &Endpoints,
        market: &MarketState,
        loop_turn: &LatencyHist,
        now: Instant,
        wall_ns: i64,
    ) -> Instant {
        let since = now.saturating_duration_since(self.shared.epoch).as_nanos() as u64;
        self.shared.heartbeat_ns.store(since.max(1), Ordering::Relaxed);
        let fp = super::fill::fingerprint(eps, market);
        if self.last.is_some_and(|(f, at)| f == fp && now.saturating_duration_since(at) < REFRESH) {
            self.counters.unchanged += 1;
            return now + self.period;
        }
        if self.spare.is_none() {
            self.spare = self.back.try_recv().ok();
        }
        if self.spare.is_none() && self.made < POOL {
            self.made += 1;
            self.spare = Some(Box::default());
        }
        let Some(mut snap) = self.spare.take() else {
            self.counters.skipped += 1;
            return now + self.period;
        };
        let cx = FillCtx {
            now,
            wall_ns,
            max_positions: self.max_positions,
            loop_turn,
            latency: self.seq % super::snapshot::LATENCY_EVERY == 0,
        };
        let t0 = Instant::now();
        fill(&mut snap, eps, market, &cx);
        let seen = fill_events(&mut snap, eps, self.seen, &cx);
        let lost = snap.events_lost;
        self.counters.fill_ns = t0.elapsed().as_nanos() as u64;
        self.counters.fill_max_ns = self.counters.fill_max_ns.max(self.counters.fill_ns);
        self.seq += 1;
        snap.seq = self.seq;
        snap.link = self.counters;
        match self.snaps.try_send(snap) {
            Ok(()) => {
                // Only what went out counts as shown: a failed send is retried next run.
                self.last = Some((fp, now));
                self.seen = seen;
                self.counters.events_dropped += lost;
                self.counters.snapshots += 1;
                let _ = self.shared.waker.wake();
            }
            Err(TrySendError::Full(s) | TrySendError::Disconnected(s)) => {
                self.counters.skipped += 1;
                self.spare = Some(s);
            }
        }
        now + self.period
    }
}

impl Drop for OpsLink {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = self.shared.waker.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
