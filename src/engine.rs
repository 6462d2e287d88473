//! The engine: one mio loop that owns every endpoint, dispatches by token, runs timers and reports.

use crate::config::{parse_pin, Config};
use crate::endpoint::{split_token, Ctx, Endpoint, TOKEN_SPACE};
use crate::market::MarketState;
use crate::metrics::{percentile_table, LatencyHist};
use crate::signal::CountingSink;
use crate::v9::server::V9Server;
use crossbeam_channel::{Receiver, Sender};
use log::{info, warn};
use mio::{Events, Poll, Token, Waker};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const WAKER: Token = Token(0);
const V9_INDEX: usize = 1;
const FIRST_EXTRA: usize = 2;
/// At shutdown, how long to keep flushing goodbyes to slow clients.
const SHUTDOWN_FLUSH: Duration = Duration::from_secs(1);

/// A text command for an endpoint, answered on `reply` (off the hot path).
#[derive(Debug)]
pub struct Command {
    /// Endpoint name (`v9`, `pipe`, `dtc.es`) or `engine`.
    pub target: String,
    /// The command text, interpreted by the endpoint.
    pub text: String,
    /// Where the answer goes.
    pub reply: Sender<Result<String, String>>,
}

/// Controls a running engine from other threads.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    commands: Sender<Command>,
    v9_addr: SocketAddr,
}

impl EngineHandle {
    /// Asks the loop to shut down (safe from a signal handler thread).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.waker.wake();
    }

    /// The V9 server's bound address.
    pub fn v9_addr(&self) -> SocketAddr {
        self.v9_addr
    }

    /// Runs a command on the loop and waits up to `timeout` for the answer.
    pub fn command(&self, target: &str, text: &str, timeout: Duration) -> Result<String, String> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let cmd = Command { target: target.into(), text: text.into(), reply: tx };
        self.commands.send(cmd).map_err(|_| "engine stopped".to_string())?;
        let _ = self.waker.wake();
        rx.recv_timeout(timeout).map_err(|_| "no answer from the engine".to_string())?
    }
}

/// (account, symbol, signed quantity) as a receiver last reported it.
pub type PositionRow = (String, String, i64);

/// What a finished run leaves behind.
#[derive(Debug)]
pub struct EngineOutcome {
    /// Every histogram, final.
    pub histograms: Vec<LatencyHist>,
    /// The last status report.
    pub status: String,
    /// Per receiver name: (account, symbol, signed qty) as last reported.
    pub positions: Vec<(String, Vec<PositionRow>)>,
}

/// The engine loop and its endpoints.
pub struct Engine {
    poll: Poll,
    events: Events,
    v9: V9Server,
    extras: Vec<Box<dyn Endpoint + Send>>,
    market: MarketState,
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    cmd_tx: Sender<Command>,
    cmd_rx: Receiver<Command>,
    loop_turn: LatencyHist,
    report_every: Option<Duration>,
    next_report: Instant,
    reporter: Option<(Sender<String>, JoinHandle<()>)>,
    busy_poll: bool,
    pin: crate::config::Pin,
    hgrm_dir: Option<PathBuf>,
}

impl Engine {
    /// Builds every configured endpoint and registers it (sockets bound, nothing runs yet).
    pub fn new(cfg: &Config) -> io::Result<Engine> {
        crate::sys::raise_fd_limit();
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let now = Instant::now();
        let mut v9 = V9Server::bind(&cfg.v9)?;
        v9.register(poll.registry(), V9_INDEX * TOKEN_SPACE, now)?;
        let mut extras = crate::endpoints_from_config(cfg)?;
        for (i, ep) in extras.iter_mut().enumerate() {
            ep.register(poll.registry(), (FIRST_EXTRA + i) * TOKEN_SPACE, now)?;
        }
        let (cmd_tx, cmd_rx) = crossbeam_channel::unbounded();
        let report_every = (cfg.engine.report_interval_s > 0)
            .then(|| Duration::from_secs(cfg.engine.report_interval_s));
        let pin = parse_pin(&cfg.engine.pin)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        Ok(Engine {
            poll,
            events: Events::with_capacity(1024),
            v9,
            extras,
            market: MarketState::new(),
            stop: Arc::new(AtomicBool::new(false)),
            waker,
            cmd_tx,
            cmd_rx,
            loop_turn: LatencyHist::new("engine.loop_turn"),
            report_every,
            next_report: now + report_every.unwrap_or(Duration::from_secs(3600)),
            reporter: None,
            busy_poll: cfg.engine.busy_poll,
            pin,
            hgrm_dir: cfg.engine.hgrm_dir.clone(),
        })
    }

    /// A handle to stop or command the engine from another thread.
    pub fn handle(&self) -> EngineHandle {
        EngineHandle {
            stop: self.stop.clone(),
            waker: self.waker.clone(),
            commands: self.cmd_tx.clone(),
            v9_addr: self.v9.local_addr(),
        }
    }

    /// Runs on the current thread (pinned as configured) until stopped.
    pub fn run(mut self) -> io::Result<EngineOutcome> {
        // Spawned before pinning, so the report thread does not inherit the loop's core.
        self.reporter = self.report_every.and_then(|_| spawn_reporter());
        crate::sys::pin_current_thread(self.pin);
        let result = self.run_loop();
        let now = Instant::now();
        // Snapshot the book while every receiver is still connected.
        let before = self.outcome(now);
        self.v9.shutdown(now);
        self.v9.flush_dirty(self.poll.registry());
        for ep in &mut self.extras {
            ep.shutdown(now);
        }
        self.flush_goodbyes();
        let outcome = EngineOutcome {
            histograms: self.all_histograms().into_iter().cloned().collect(),
            ..before
        };
        info!("engine: stopped\n{}", percentile_table(&outcome.histograms));
        if let Some(dir) = &self.hgrm_dir {
            for h in &outcome.histograms {
                match h.save_hgrm(dir) {
                    Ok(p) => info!("engine: wrote {}", p.display()),
                    Err(e) => warn!("engine: cannot write .hgrm into {}: {e}", dir.display()),
                }
            }
        }
        if let Some((tx, join)) = self.reporter.take() {
            drop(tx);
            let _ = join.join();
        }
        result.map(|_| outcome)
    }

    fn run_loop(&mut self) -> io::Result<()> {
        while self.turn(None)? {}
        Ok(())
    }

    /// One loop turn: poll (up to the next deadline, or `max_wait`), dispatch, timers, commands.
    /// Returns false once a stop was requested. Public so tests can drive the loop on their own
    /// thread (e.g. to count allocations there).
    pub fn turn(&mut self, max_wait: Option<Duration>) -> io::Result<bool> {
        let now = Instant::now();
        let deadline = self.next_deadline();
        let mut timeout =
            if self.busy_poll { Duration::ZERO } else { deadline.saturating_duration_since(now) };
        if let Some(m) = max_wait {
            timeout = timeout.min(m);
        }
        if let Err(e) = self.poll.poll(&mut self.events, Some(timeout)) {
            return if e.kind() == io::ErrorKind::Interrupted { Ok(true) } else { Err(e) };
        }
        let now = Instant::now();
        let wall_ns = crate::clock::unix_nanos();
        let mut woken = false;
        // Moved out while dispatching (dispatch needs &mut self); an empty Events allocates nothing.
        let events = std::mem::replace(&mut self.events, Events::with_capacity(0));
        for event in events.iter() {
            let (index, sub) = split_token(event.token());
            if event.token() == WAKER {
                woken = true;
            } else if index == V9_INDEX {
                let mut sink = CountingSink::default();
                let mut ctx = Ctx {
                    now,
                    wall_ns,
                    registry: self.poll.registry(),
                    market: &mut self.market,
                    signals: &mut sink,
                };
                self.v9.handle_event(sub, event, &mut ctx);
            } else if let Some(ep) = self.extras.get_mut(index.wrapping_sub(FIRST_EXTRA)) {
                let mut ctx = Ctx {
                    now,
                    wall_ns,
                    registry: self.poll.registry(),
                    market: &mut self.market,
                    signals: &mut self.v9,
                };
                ep.handle_event(sub, event, &mut ctx);
            }
        }
        self.events = events;
        // Signals published by other endpoints this turn leave now, one write per receiver.
        self.v9.flush_dirty(self.poll.registry());
        if !self.events.is_empty() {
            self.loop_turn.record(now.elapsed());
        }
        self.run_timers(Instant::now(), crate::clock::unix_nanos());
        if woken {
            if self.stop.load(Ordering::SeqCst) {
                return Ok(false);
            }
            self.run_commands();
        }
        Ok(true)
    }

    fn next_deadline(&self) -> Instant {
        let mut d = self.next_report;
        if let Some(t) = self.v9.next_deadline() {
            d = d.min(t);
        }
        for ep in &self.extras {
            if let Some(t) = ep.next_deadline() {
                d = d.min(t);
            }
        }
        d
    }

    fn run_timers(&mut self, now: Instant, wall_ns: i64) {
        if self.v9.next_deadline().is_some_and(|t| t <= now) {
            let mut sink = CountingSink::default();
            let mut ctx = Ctx {
                now,
                wall_ns,
                registry: self.poll.registry(),
                market: &mut self.market,
                signals: &mut sink,
            };
            self.v9.handle_timeout(&mut ctx);
        }
        for ep in &mut self.extras {
            if ep.next_deadline().is_some_and(|t| t <= now) {
                let mut ctx = Ctx {
                    now,
                    wall_ns,
                    registry: self.poll.registry(),
                    market: &mut self.market,
                    signals: &mut self.v9,
                };
                ep.handle_timeout(&mut ctx);
            }
        }
        self.v9.flush_dirty(self.poll.registry());
        if now >= self.next_report {
            if let Some(every) = self.report_every {
                self.next_report = now + every;
                let text = self.report_text(now);
                if let Some((tx, _)) = &self.reporter {
                    let _ = tx.try_send(text);
                }
            } else {
                self.next_report = now + Duration::from_secs(3600);
            }
        }
    }

    fn run_commands(&mut self) {
        while let Ok(cmd) = self.cmd_rx.try_recv() {
            let now = Instant::now();
            let wall_ns = crate::clock::unix_nanos();
            let answer = match cmd.target.as_str() {
                "engine" | "v9" if cmd.text == "status" => Ok(self.report_text(now)),
                "v9" if cmd.text == "counters" => {
                    let s = self.v9.stats();
                    Ok(format!(
                        "signals={} summaries_with_id={} bad_messages={} overflows={} timeouts={}",
                        s.signals, s.summaries_with_id, s.bad_messages, s.overflows, s.timeouts
                    ))
                }
                "engine" if cmd.text == "reset-histograms" => {
                    self.loop_turn.reset();
                    self.v9.reset_histograms();
                    self.extras.iter_mut().for_each(|e| e.reset_histograms());
                    Ok("histograms reset".into())
                }
                target => match self.extras.iter_mut().find(|e| e.name() == target) {
                    Some(ep) => {
                        let mut ctx = Ctx {
                            now,
                            wall_ns,
                            registry: self.poll.registry(),
                            market: &mut self.market,
                            signals: &mut self.v9,
                        };
                        ep.command(&cmd.text, &mut ctx).unwrap_or_else(|| {
                            Err(format!("{target}: unknown command {:?}", cmd.text))
                        })
                    }
                    None => Err(format!("no endpoint named {target:?}")),
                },
            };
            let _ = cmd.reply.send(answer);
        }
    }

    fn all_histograms(&self) -> Vec<&LatencyHist> {
        let mut v = vec![&self.loop_turn];
        v.extend(self.v9.histograms());
        for ep in &self.extras {
            v.extend(ep.histograms());
        }
        v
    }

    fn report_text(&self, now: Instant) -> String {
        let mut s = String::from("report\n");
        for h in self.all_histograms().into_iter().filter(|h| !h.is_empty()) {
            s.push_str("  ");
            s.push_str(&h.summary_line());
            s.push('\n');
        }
        s.push_str(&self.v9.status(now));
        for ep in &self.extras {
            s.push_str(&ep.status(now));
        }
        if !self.market.is_empty() {
            s.push_str("market:\n");
            s.push_str(&self.market.report(now));
        }
        s
    }

    fn flush_goodbyes(&mut self) {
        let until = Instant::now() + SHUTDOWN_FLUSH;
        while self.v9.flushing() > 0 && Instant::now() < until {
            if self.poll.poll(&mut self.events, Some(Duration::from_millis(20))).is_err() {
                break;
            }
            let now = Instant::now();
            let wall_ns = crate::clock::unix_nanos();
            let events: Vec<_> = self.events.iter().cloned().collect();
            for event in events {
                let (index, sub) = split_token(event.token());
                if index == V9_INDEX {
                    let mut sink = CountingSink::default();
                    let mut ctx = Ctx {
                        now,
                        wall_ns,
                        registry: self.poll.registry(),
                        market: &mut self.market,
                        signals: &mut sink,
                    };
                    self.v9.handle_event(sub, &event, &mut ctx);
                }
            }
        }
    }

    fn outcome(&self, now: Instant) -> EngineOutcome {
        let positions = self
            .v9
            .receivers()
            .into_iter()
            .map(|r| {
                let list = r
                    .positions
                    .iter()
                    .map(|p| (p.account.clone(), p.symbol.clone(), p.signed_qty()))
                    .collect();
                (r.name, list)
            })
            .collect();
        EngineOutcome {
            histograms: self.all_histograms().into_iter().cloned().collect(),
            status: self.report_text(now),
            positions,
        }
    }
}

fn spawn_reporter() -> Option<(Sender<String>, JoinHandle<()>)> {
    // Bounded: if logging ever stalls, reports are dropped rather than queued without limit.
    let (tx, rx) = crossbeam_channel::bounded::<String>(4);
    let spawned = std::thread::Builder::new().name("v9bridge-report".into()).spawn(move || {
        for text in rx {
            info!("{text}");
        }
    });
    match spawned {
        Ok(join) => Some((tx, join)),
        Err(e) => {
            warn!("engine: cannot spawn the report thread ({e}); periodic reports are off");
            None
        }
    }
}
