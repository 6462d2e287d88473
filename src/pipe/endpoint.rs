//! The pipe ingest endpoint: reads the FIFO / named pipe, frames, decodes, applies, publishes.

use super::codec::Parser;
use super::frame::{Frame, Framer};
use super::message::Message;
use super::reason::BadInput;
use super::PipeConfig;
use crate::endpoint::{token, Ctx, Endpoint, ReadBudget};
use crate::market::Feed;
use crate::metrics::LatencyHist;
use crate::signal::{Origin, Signal, SignalError};
use crate::timer::{TimerKind, TimerTable};
use mio::{event::Event, Registry};
use std::io;
use std::time::{Duration, Instant};

#[cfg(unix)]
use super::unix::PipeIo;
#[cfg(windows)]
use super::windows::PipeIo;

/// Most distinct symbols the pipe may add to the market state: a faulty writer inventing
/// symbols must not grow memory without bound.
pub const MAX_SYMBOLS: usize = 1024;

/// Bytes read per loop turn by default: a writer flooding the pipe must not keep the single
/// event loop from its other endpoints.
pub const DEFAULT_READ_BUDGET: usize = 1 << 20;

/// Log lines about one cause of trouble are at most this frequent.
const LOG_EVERY: Duration = Duration::from_secs(1);

/// How often the path is checked to still name the FIFO being read, by default.
pub const DEFAULT_PATH_CHECK: Duration = Duration::from_secs(1);

/// An unchanged refusal of what the path now holds is logged again at most this often.
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(60);

/// Counters of the pipe ingest ([`PipeEndpoint::stats`]), typed for reports, tools and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipeStats {
    /// Bytes read.
    pub bytes: u64,
    /// Messages decoded (ticks + signals).
    pub messages: u64,
    /// Ticks applied to the market state.
    pub ticks: u64,
    /// Signals handed to the sink (accepted or not).
    pub signals: u64,
    /// Signals the sink refused.
    pub signals_refused: u64,
    /// Dropped input per [`BadInput`] (index with [`BadInput::index`]).
    pub bad: [u64; BadInput::COUNT],
    /// Writer connections seen (`None` where the platform cannot tell: a Unix FIFO).
    pub writer_connects: Option<u64>,
    /// Times the path stopped naming the FIFO being read and a new FIFO was opened there.
    pub fifo_reopened: u64,
    /// Checks that found the path changed and refused what it holds now.
    pub fifo_refused: u64,
}

impl PipeStats {
    /// Dropped input of one kind.
    pub fn bad(&self, r: BadInput) -> u64 {
        self.bad[r.index()]
    }

    /// All dropped input.
    pub fn bad_total(&self) -> u64 {
        self.bad.iter().sum()
    }
}

use crate::ratelog::RateLog as LogGate;

/// Reads ticks and signals from the ACSIL study (Windows named pipe) or a FIFO (Linux).
#[derive(Debug)]
pub struct PipeEndpoint {
    path: String,
    io: PipeIo,
    framer: Framer,
    parser: Parser,
    stats: PipeStats,
    bad_gates: [LogGate; BadInput::COUNT],
    refused_gate: LogGate,
    error_gate: LogGate,
    writer_to_read: LatencyHist,
    read_to_applied: LatencyHist,
    writer_to_applied: LatencyHist,
    /// Symbols this endpoint added to the market state.
    symbols_added: usize,
    /// Most bytes read per loop turn; a spent budget reads on next turn (the engine's concept).
    budget: ReadBudget,
    /// `PathCheck`.
    timers: TimerTable<PipeTimer, 1>,
    /// Token base, for registering a recreated FIFO.
    base: usize,
    path_check_every: Duration,
    /// The last refusal to use what the path holds, and when it was logged.
    refusal: Option<(String, Instant)>,
}

impl PipeEndpoint {
    /// Creates (Linux: the FIFO if absent; Windows: the pipe server instance) and opens the pipe.
    pub fn new(cfg: &PipeConfig) -> io::Result<PipeEndpoint> {
        let io = PipeIo::open(&cfg.path)?;
        Ok(PipeEndpoint {
            path: cfg.path.clone(),
            io,
            framer: Framer::new(cfg.read_chunk.max(4096)),
            parser: Parser::new(i64::from(cfg.sc_utc_offset_min) * 60_000_000_000),
            stats: PipeStats::default(),
            bad_gates: [LogGate::new(LOG_EVERY); BadInput::COUNT],
            refused_gate: LogGate::new(LOG_EVERY),
            error_gate: LogGate::new(LOG_EVERY),
            writer_to_read: LatencyHist::new("pipe.writer_to_read"),
            read_to_applied: LatencyHist::new("pipe.read_to_applied"),
            writer_to_applied: LatencyHist::new("pipe.writer_to_applied"),
            symbols_added: 0,
            budget: ReadBudget::new(DEFAULT_READ_BUDGET),
            timers: TimerTable::default(),
            base: 0,
            path_check_every: DEFAULT_PATH_CHECK,
            refusal: None,
        })
    }

    /// Sets how often the path is checked to still name the FIFO being read (tests use short
    /// periods; at least 1 ms).
    pub fn set_path_check_every(&mut self, every: Duration) {
        self.path_check_every = every.max(Duration::from_millis(1));
    }

    /// Sets the most bytes read per loop turn (at least 1; tests use tiny ones).
    pub fn set_read_budget(&mut self, bytes: usize) {
        self.budget = ReadBudget::new(bytes);
    }

    /// The pipe or FIFO path it reads.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The counters so far.
    pub fn stats(&self) -> PipeStats {
        PipeStats { writer_connects: self.io.connects(), ..self.stats.clone() }
    }

    fn drain(&mut self, ctx: &mut Ctx<'_>) {
        loop {
            // Spent: the engine reads on next turn (no event would come for what is left).
            let Some(room) = self.budget.next_read(ctx.reads, token(self.base, 0)) else {
                return;
            };
            let spare = self.framer.spare();
            let len = spare.len().min(room);
            match self.io.read(&mut spare[..len]) {
                Ok(0) => {
                    // The writer left (Windows); re-arm for the next one. Its partial message
                    // will never be finished, so it must not prefix the next writer's bytes.
                    self.framer.reset();
                    if let Err(e) = self.io.writer_left() {
                        self.log_error("re-arming after the writer left", &e, ctx.now);
                    }
                    log::info!("pipe {}: writer disconnected", self.path);
                    return;
                }
                Ok(n) => {
                    let read_at = Instant::now();
                    let read_wall_ns = crate::clock::unix_nanos();
                    self.framer.commit(n);
                    self.stats.bytes += n as u64;
                    self.budget.spend(n);
                    self.on_bytes(read_at, read_wall_ns, ctx);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Not expected on a pipe we own; the next event retries.
                    self.log_error("read", &e, ctx.now);
                    return;
                }
            }
        }
    }

    fn on_bytes(&mut self, read_at: Instant, read_wall_ns: i64, ctx: &mut Ctx<'_>) {
        let PipeEndpoint { framer, parser, stats, .. } = self;
        while let Some(frame) = framer.next_frame() {
            // Writer's precise stamp (ts_us/ts_ns), for writer → applied; 0 when absent.
            let mut stamp_ns = 0i64;
            let bytes = match frame {
                Frame::Object(b) => b,
                Frame::Bad(reason, sample) => {
                    note_bad(&self.path, stats, &mut self.bad_gates, reason, sample, read_at);
                    continue;
                }
            };
            match parser.parse(bytes) {
                Ok(Message::Tick(t)) => {
                    // The extra lookup is only paid once the cap is reached; below it,
                    // growth of the market state tells whether the symbol was new.
                    if self.symbols_added >= MAX_SYMBOLS
                        && ctx.market.get(t.update.symbol).is_none()
                    {
                        let reason = BadInput::TooManySymbols;
                        let sample = &bytes[..bytes.len().min(super::frame::SAMPLE_LEN)];
                        note_bad(&self.path, stats, &mut self.bad_gates, reason, sample, read_at);
                        continue;
                    }
                    let known = ctx.market.len();
                    ctx.market.apply(&t.update, Feed::Pipe, read_at);
                    if ctx.market.len() > known {
                        self.symbols_added += 1;
                    }
                    stats.ticks += 1;
                    if t.ts_kind.precise() {
                        stamp_ns = t.update.ts_ns;
                        self.writer_to_read
                            .record_ns(read_wall_ns.saturating_sub(t.update.ts_ns).max(0) as u64);
                    }
                }
                Ok(Message::Signal(s)) => {
                    stats.signals += 1;
                    if let Err(e) = ctx.signals.publish(&s, Origin::Pipe, read_at) {
                        stats.signals_refused += 1;
                        log_refused(&self.path, &mut self.refused_gate, e, &s, read_at);
                    }
                }
                Err(reason) => {
                    let sample = &bytes[..bytes.len().min(super::frame::SAMPLE_LEN)];
                    note_bad(&self.path, stats, &mut self.bad_gates, reason, sample, read_at);
                    continue;
                }
            }
            stats.messages += 1;
            let took = read_at.elapsed();
            self.read_to_applied.record(took);
            if stamp_ns != 0 {
                let since_write = read_wall_ns.saturating_sub(stamp_ns).max(0) as u64;
                self.writer_to_applied.record_ns(since_write + took.as_nanos() as u64);
            }
        }
    }

    /// When the path no longer names the FIFO being read (removed, or replaced by a planted
    /// file), reads what the old one holds, then opens a FIFO at the path with the same checks
    /// as at start (created 0600 if absent; a symlink or someone else's FIFO is refused).
    /// Writers of the old FIFO get EPIPE once it is closed and reopen the path, as the study
    /// does. Until a usable FIFO is there, the old one is kept, and the refusal is logged.
    fn check_path(&mut self, ctx: &mut Ctx<'_>) {
        let Some(what) = self.io.moved(&self.path) else {
            return;
        };
        self.drain(ctx);
        let opened = PipeIo::open(&self.path).and_then(|mut io| {
            io.register(ctx.registry, token(self.base, 0))?;
            Ok(io)
        });
        match opened {
            Ok(io) => {
                if let Err(e) = self.io.deregister(ctx.registry) {
                    self.log_error("deregistering the old FIFO", &e, ctx.now);
                }
                self.io = io;
                // The old stream's partial message will never be finished.
                self.framer.reset();
                self.refusal = None;
                self.stats.fifo_reopened += 1;
                log::warn!(
                    "pipe {}: the FIFO was {what}; reading a new private FIFO at the path now",
                    self.path
                );
            }
            Err(e) => {
                self.stats.fifo_refused += 1;
                let msg = format!("the FIFO was {what}; refusing the path: {e}");
                let repeat = self.refusal.as_ref().is_some_and(|(m, at)| {
                    *m == msg && ctx.now.saturating_duration_since(*at) < REFUSAL_LOG_EVERY
                });
                if !repeat {
                    log::error!(
                        "pipe {}: {msg}; writers opening the path do not reach the engine",
                        self.path
                    );
                    self.refusal = Some((msg, ctx.now));
                }
            }
        }
    }

    fn log_error(&mut self, what: &str, e: &io::Error, now: Instant) {
        if let Some(held) = self.error_gate.open(now) {
            log::warn!("pipe {}: {what} failed: {e} ({held} similar errors not logged)", self.path);
        }
    }
}

/// The pipe endpoint's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PipeTimer {
    /// Check that the path still names the FIFO being read.
    PathCheck,
}

impl TimerKind for PipeTimer {
    const ALL: &'static [PipeTimer] = &[PipeTimer::PathCheck];
    fn index(self) -> usize {
        self as usize
    }
}

/// Counts dropped input and logs it, at most once per second per reason.
fn note_bad(
    path: &str,
    stats: &mut PipeStats,
    gates: &mut [LogGate; BadInput::COUNT],
    reason: BadInput,
    sample: &[u8],
    now: Instant,
) {
    stats.bad[reason.index()] += 1;
    if let Some(held) = gates[reason.index()].open(now) {
        log::warn!(
            "pipe {path}: dropped {reason} input \"{}\" (+{held} more {reason} since the last line)",
            sample.escape_ascii()
        );
    }
}

fn log_refused(path: &str, gate: &mut LogGate, e: SignalError, s: &Signal<'_>, now: Instant) {
    if let Some(held) = gate.open(now) {
        // The symbol is at most MAX_SYMBOL_LEN bytes (the codec refuses longer ones).
        log::warn!(
            "pipe {path}: signal {} {:?} refused: {e} (+{held} refused since the last line)",
            s.action,
            s.symbol
        );
    }
}

impl Endpoint for PipeEndpoint {
    fn name(&self) -> &str {
        "pipe"
    }

    fn register(&mut self, registry: &Registry, base: usize, now: Instant) -> io::Result<()> {
        self.io.register(registry, token(base, 0))?;
        self.base = base;
        self.timers.set(PipeTimer::PathCheck, now + self.path_check_every);
        log::info!("pipe {}: listening", self.path);
        Ok(())
    }

    fn handle_event(&mut self, _sub: usize, _event: &Event, ctx: &mut Ctx<'_>) {
        match self.io.poll_connect() {
            Ok(true) => {
                // A new writer starts a new byte stream.
                self.framer.reset();
                log::info!("pipe {}: writer connected", self.path);
            }
            Ok(false) => {}
            Err(e) => self.log_error("accepting the writer", &e, ctx.now),
        }
        self.drain(ctx);
    }

    fn read_on(&mut self, _sub: usize, ctx: &mut Ctx<'_>) {
        self.drain(ctx);
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
        if self.timers.is_due(PipeTimer::PathCheck, ctx.now) {
            self.check_path(ctx);
            self.timers.set(PipeTimer::PathCheck, ctx.now + self.path_check_every);
        }
        // Stale symbols are the engine's check over the whole market state ([market]).
    }

    fn histograms(&self) -> Vec<&LatencyHist> {
        vec![&self.writer_to_read, &self.read_to_applied, &self.writer_to_applied]
    }

    fn reset_histograms(&mut self) {
        self.writer_to_read.reset();
        self.read_to_applied.reset();
        self.writer_to_applied.reset();
    }
}
