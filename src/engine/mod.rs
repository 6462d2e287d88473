//! The engine: one mio loop that owns every endpoint, dispatches by token, runs timers, control
//! calls and reports.

mod control;
mod endpoints;
mod journal;
mod report;
mod turn;

pub use control::{CallCtx, CallError, EngineHandle};
pub use endpoints::Endpoints;
pub use report::{AccountRisk, PipeReport, PipelineReport, Report, RiskReport, V9Report};

use crate::config::{Config, Pin};
use crate::endpoint::ReadOn;
use crate::market::MarketState;
use crate::metrics::{percentile_table, LatencyHist};
use crate::timer::TimerTable;
use control::Job;
use crossbeam_channel::{Receiver, Sender};
use endpoints::{Drive, Slot, Turn, WAKER};
use log::{info, warn};
use mio::{Events, Poll, Token, Waker};
use report::Reporter;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use turn::{stale_period, EngineTimer};

/// At shutdown, how long to keep flushing goodbyes to slow clients.
const SHUTDOWN_FLUSH: Duration = Duration::from_secs(1);
/// Control calls waiting for the loop; a caller blocks (never the loop) when it is full.
const MAX_QUEUED_CALLS: usize = 1024;

/// (account, symbol, signed quantity) as a receiver last reported it.
pub type PositionRow = (String, String, i64);

/// What a finished run leaves behind.
#[derive(Debug)]
pub struct EngineOutcome {
    /// Every histogram, final.
    pub histograms: Vec<LatencyHist>,
    /// The state at the stop, as the last periodic report would show it.
    pub report: Report,
    /// Per receiver name: (account, symbol, signed qty) as last reported.
    pub positions: Vec<(String, Vec<PositionRow>)>,
}

/// The engine loop and its endpoints.
pub struct Engine {
    poll: Poll,
    events: Events,
    eps: Endpoints,
    market: MarketState,
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    job_tx: Sender<Job>,
    job_rx: Receiver<Job>,
    loop_turn: LatencyHist,
    /// Sources whose read budget ran out, read on next turn ([`crate::endpoint::ReadBudget`]).
    reads: ReadOn,
    /// Last turn's such sources, being read on this turn (swapped with `reads`' set).
    read_due: Vec<Token>,
    report_every: Option<Duration>,
    stale_after: Duration,
    timers: TimerTable<EngineTimer, 3>,
    reporter: Option<Reporter>,
    busy_poll: bool,
    pin: Pin,
    hgrm_dir: Option<PathBuf>,
    table_at_stop: bool,
    recovered: Option<crate::journal::Recovered>,
    /// The operator surface (its thread stops when the engine is dropped).
    ops: Option<crate::ops::OpsLink>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("endpoints", &self.eps).finish_non_exhaustive()
    }
}

impl Engine {
    /// Builds every configured endpoint and registers it (sockets bound, nothing runs yet).
    pub fn new(cfg: &Config) -> io::Result<Engine> {
        Self::build(cfg, true)
    }

    /// Like [`Engine::new`] but without a V9 server (the one-shot DTC CLI): pipe signals then go
    /// nowhere, and are counted as accepted.
    pub fn without_v9(cfg: &Config) -> io::Result<Engine> {
        Self::build(cfg, false)
    }

    fn build(cfg: &Config, with_v9: bool) -> io::Result<Engine> {
        crate::sys::raise_fd_limit();
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let now = Instant::now();
        let mut recovered = None;
        let v9 = if with_v9 {
            let (pipeline, rec) = journal::open_pipeline(&cfg.journal, cfg.engine.pin, |rec| {
                journal::start_risk(cfg, rec, now)
            })?;
            recovered = Some(rec);
            let bound = crate::v9::server::V9Server::bind_with(&cfg.v9, pipeline);
            Some(bound.map_err(|e| named(e, format!("V9 listen address {}", cfg.v9.listen)))?)
        } else {
            None
        };
        let pipe = match &cfg.pipe {
            Some(p) => Some(
                crate::pipe::PipeEndpoint::new(p)
                    .map_err(|e| named(e, format!("pipe {}", p.path)))?,
            ),
            None => None,
        };
        let mut dtc = Vec::with_capacity(cfg.dtc.len());
        for (name, d) in &cfg.dtc {
            let ep = crate::dtc::DtcEndpoint::new(name, d).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidInput, format!("dtc.{name}: {e}"))
            })?;
            dtc.push(ep);
        }
        let mut eps = Endpoints { v9, pipe, dtc };
        // Every source may wait at once: V9 clients and listener, the pipe, each DTC connection.
        let sources = if with_v9 { cfg.v9.max_clients + 1 } else { 0 } + 1 + eps.dtc.len();
        eps.register(poll.registry(), now)?;
        let (job_tx, job_rx) = crossbeam_channel::bounded(MAX_QUEUED_CALLS);
        let report_every = (cfg.engine.report_interval_s > 0)
            .then(|| Duration::from_secs(cfg.engine.report_interval_s));
        let stale_after = Duration::from_millis(cfg.market.stale_after_ms);
        let mut timers = TimerTable::default();
        if let Some(every) = report_every {
            timers.set(EngineTimer::Report, now + every);
        }
        timers.set(EngineTimer::StaleCheck, now + stale_period(stale_after));
        Ok(Engine {
            poll,
            events: Events::with_capacity(1024),
            eps,
            market: MarketState::new(),
            stop: Arc::new(AtomicBool::new(false)),
            waker,
            job_tx,
            job_rx,
            loop_turn: LatencyHist::new("engine.loop_turn"),
            reads: ReadOn::with_capacity(sources),
            read_due: Vec::with_capacity(sources),
            report_every,
            stale_after,
            timers,
            reporter: None,
            busy_poll: cfg.engine.busy_poll,
            pin: cfg.engine.pin,
            hgrm_dir: cfg.engine.hgrm_dir.clone(),
            table_at_stop: true,
            recovered,
            ops: None,
        })
    }

    /// What opening the journal found (torn tail cut, quarantined segments, last id, epoch);
    /// `None` without a V9 server (no pipeline).
    pub fn recovered(&self) -> Option<&crate::journal::Recovered> {
        self.recovered.as_ref()
    }

    /// Leaves the latency table out of the stop log line (the demo prints its own, with more rows).
    pub fn without_stop_table(mut self) -> Engine {
        self.table_at_stop = false;
        self
    }

    /// The endpoints before the loop runs (set-up in tests and tools; afterwards use
    /// [`EngineHandle::call`]).
    pub fn endpoints_mut(&mut self) -> &mut Endpoints {
        &mut self.eps
    }

    /// Starts the operator surface on `[ops] listen` (no-op for `none`); its thread publishes
    /// from the loop's ops timer and calls into the loop like any other handle.
    pub fn with_ops(mut self, cfg: &Config) -> io::Result<Engine> {
        self.ops = crate::ops::OpsLink::start(cfg, self.handle())?;
        if self.ops.is_some() {
            self.timers.set(EngineTimer::Ops, Instant::now());
        }
        Ok(self)
    }

    /// The operator surface's link when it runs: its address, and where signal events go.
    pub fn ops(&mut self) -> Option<&mut crate::ops::OpsLink> {
        self.ops.as_mut()
    }

    /// A handle to stop or call into the engine from another thread.
    pub fn handle(&self) -> EngineHandle {
        EngineHandle {
            stop: self.stop.clone(),
            waker: self.waker.clone(),
            jobs: self.job_tx.clone(),
            v9_addr: self.eps.v9.as_ref().map(|v| v.local_addr()),
        }
    }

    /// Runs on the current thread (pinned as configured) until stopped.
    pub fn run(mut self) -> io::Result<EngineOutcome> {
        // Spawned before pinning, so the report thread does not inherit the loop's core.
        self.reporter = self.report_every.and_then(|_| Reporter::spawn());
        crate::sys::pin_current_thread(self.pin);
        let result = self.run_loop();
        let now = Instant::now();
        // Snapshot the book while every receiver is still connected.
        let before = self.outcome(now);
        self.eps.shutdown(now);
        // The goodbyes were queued; the one writer sends them.
        self.eps.flush(self.poll.registry());
        self.flush_goodbyes();
        let outcome = EngineOutcome { histograms: self.all_histograms(), ..before };
        if self.table_at_stop {
            info!("engine: stopped\n{}", percentile_table(&outcome.histograms));
        } else {
            info!("engine: stopped");
        }
        if let Some(dir) = &self.hgrm_dir {
            for h in &outcome.histograms {
                match h.save_hgrm(dir) {
                    Ok(p) => info!("engine: wrote {}", p.display()),
                    Err(e) => warn!("engine: cannot write .hgrm into {}: {e}", dir.display()),
                }
            }
        }
        if let Some(reporter) = self.reporter.take() {
            reporter.finish();
        }
        result.map(|_| outcome)
    }

    fn run_loop(&mut self) -> io::Result<()> {
        while self.turn(None)? {}
        Ok(())
    }

    fn all_histograms(&self) -> Vec<LatencyHist> {
        let mut v = vec![self.loop_turn.clone()];
        v.extend(self.eps.histograms().into_iter().cloned());
        v
    }

    fn report(&self, now: Instant) -> Report {
        let mut r = Report::collect(&self.eps, &self.market, now);
        r.histograms.insert(0, self.loop_turn.clone());
        r
    }

    fn flush_goodbyes(&mut self) {
        let until = Instant::now() + SHUTDOWN_FLUSH;
        while self.eps.v9.as_ref().is_some_and(|v| v.flushing() > 0) && Instant::now() < until {
            if self.poll.poll(&mut self.events, Some(Duration::from_millis(20))).is_err() {
                break;
            }
            self.reads.begin_turn(&mut self.read_due);
            let mut t = Turn {
                now: Instant::now(),
                wall_ns: crate::clock::unix_nanos(),
                registry: self.poll.registry(),
                market: &mut self.market,
                reads: &mut self.reads,
            };
            for event in self.events.iter() {
                if let slot @ Slot::V9(_) = Slot::of(event.token()) {
                    self.eps.dispatch(slot, Drive::Event(event), &mut t);
                }
            }
            for &token in &self.read_due {
                if let slot @ Slot::V9(_) = Slot::of(token) {
                    self.eps.dispatch(slot, Drive::ReadOn, &mut t);
                }
            }
        }
    }

    fn outcome(&self, now: Instant) -> EngineOutcome {
        let positions = self.eps.v9.as_ref().map(receiver_positions).unwrap_or_default();
        EngineOutcome { histograms: self.all_histograms(), report: self.report(now), positions }
    }
}

/// Per receiver: every (account, symbol, signed qty) its book holds.
pub fn receiver_positions(v9: &crate::v9::server::V9Server) -> Vec<(String, Vec<PositionRow>)> {
    v9.receivers()
        .into_iter()
        .map(|r| {
            let list = r
                .positions
                .iter()
                .map(|p| (p.account.clone(), p.symbol.clone(), p.signed_qty()))
                .collect();
            (r.name, list)
        })
        .collect()
}

/// Prefixes an I/O error with its subject ("V9 listen address 127.0.0.1:5000: Address in use"),
/// unless the error already names it.
fn named(e: io::Error, subject: String) -> io::Error {
    let text = e.to_string();
    if text.contains(&subject) {
        return e;
    }
    io::Error::new(e.kind(), format!("{subject}: {text}"))
}
