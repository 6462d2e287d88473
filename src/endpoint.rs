//! The contract between the engine loop and its endpoints (V9 server, pipe ingest, DTC clients).

use crate::market::MarketState;
use crate::metrics::LatencyHist;
use crate::signal::SignalSink;
use mio::{event::Event, Registry, Token};
use std::io;
use std::time::Instant;

mod budget;
pub use budget::{ReadBudget, ReadOn};

/// Tokens per endpoint: endpoint `i` owns tokens `i * TOKEN_SPACE .. (i + 1) * TOKEN_SPACE`.
pub const TOKEN_SPACE: usize = 1 << 24;

/// Builds the token of sub-source `sub` of the endpoint whose base is `base`.
#[inline]
pub fn token(base: usize, sub: usize) -> Token {
    debug_assert!(sub < TOKEN_SPACE);
    Token(base + sub)
}

/// Splits a token into (endpoint index, sub-source).
#[inline]
pub fn split_token(t: Token) -> (usize, usize) {
    (t.0 / TOKEN_SPACE, t.0 % TOKEN_SPACE)
}

/// What an endpoint may touch while handling an event or a timer: the registry (to change its
/// own interest), the shared market state and the signal sink (the V9 server). `now` and
/// `wall_ns` are read once per loop turn: protocol time comes from here, never from the clock.
pub struct Ctx<'a> {
    /// Monotonic time of this loop turn.
    pub now: Instant,
    /// Wall-clock time of this loop turn, Unix nanoseconds (heartbeat times, ISO stamps).
    pub wall_ns: i64,
    /// The loop's registry, for (re)registering the endpoint's own sources.
    pub registry: &'a Registry,
    /// Last quote per symbol (pipe and DTC feed it).
    pub market: &'a mut MarketState,
    /// Where validated signals go (broadcast to V9 receivers).
    pub signals: &'a mut dyn SignalSink,
    /// This turn's number and the sources to read again next turn (see [`ReadBudget`]).
    pub reads: &'a mut ReadOn,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The registry and the sink say nothing useful; the turn's times and the market do.
        f.debug_struct("Ctx")
            .field("now", &self.now)
            .field("wall_ns", &self.wall_ns)
            .field("symbols", &self.market.len())
            .field("turn", &self.reads.turn())
            .finish_non_exhaustive()
    }
}

/// One I/O shell on the engine loop: owns its sockets/fds and buffers, drives a pure codec.
///
/// Rules: never block; read until `WouldBlock` or until the source's [`ReadBudget`] for this
/// turn is spent (it then queues itself in [`Ctx::reads`] and is called again next turn through
/// [`Endpoint::read_on`]); register WRITABLE only while output is queued; no allocation or
/// info-level logging per message; bad input is logged (peer + reason) and dropped, never a
/// panic.
pub trait Endpoint {
    /// Short name for logs and reports (`v9`, `pipe`, `dtc.es`).
    fn name(&self) -> &str;

    /// Registers its sources. `base` is its token base (see [`token`]); keep
    /// `registry.try_clone()` to re-register later (reconnects, WRITABLE interest).
    fn register(&mut self, registry: &Registry, base: usize, now: Instant) -> io::Result<()>;

    /// A readiness event for one of its tokens; `sub` is the token minus `base`.
    fn handle_event(&mut self, sub: usize, event: &Event, ctx: &mut Ctx<'_>);

    /// Reads on for source `sub`, whose read budget ran out last turn: mio is edge-triggered,
    /// so no event comes for the bytes it left in the kernel.
    fn read_on(&mut self, _sub: usize, _ctx: &mut Ctx<'_>) {}

    /// Earliest instant at which [`Endpoint::handle_timeout`] must run, if any.
    fn next_deadline(&self) -> Option<Instant>;

    /// Runs due timers (heartbeats, reconnects, stale checks). Called when `now >= next_deadline`.
    fn handle_timeout(&mut self, ctx: &mut Ctx<'_>);

    /// Its latency histograms, for reports and .hgrm files.
    fn histograms(&self) -> Vec<&LatencyHist>;

    /// Clears its histograms (after a periodic report when configured to, or after a warm-up).
    fn reset_histograms(&mut self) {}

    /// A text command from outside the loop (CLI/admin/demo); `None` if not understood.
    fn command(&mut self, _cmd: &str, _ctx: &mut Ctx<'_>) -> Option<Result<String, String>> {
        None
    }

    /// Orderly stop: say goodbye to peers, flush what can be flushed without blocking.
    fn shutdown(&mut self, _now: Instant) {}
}
