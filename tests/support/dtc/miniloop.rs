//! A small mio loop that drives `DtcEndpoint`s outside the engine, for tests that step a
//! connection by hand (the engine itself is tested elsewhere).

use mio::{Events, Poll, Token};
use std::io;
use std::time::{Duration, Instant};
use v9bridge::dtc::DtcEndpoint;
use v9bridge::endpoint::{split_token, Ctx, Endpoint, ReadOn};
use v9bridge::market::MarketState;
use v9bridge::signal::CountingSink;

/// A tiny single-threaded mio loop for DTC endpoints outside the engine.
#[derive(Debug)]
pub struct MiniLoop {
    poll: Poll,
    events: Events,
    /// Market state the endpoints feed.
    pub market: MarketState,
    /// Signal sink (unused by DTC endpoints, required by `Ctx`).
    pub sink: CountingSink,
    /// Sources whose read budget ran out, read on next turn (as the engine does).
    reads: ReadOn,
    due: Vec<Token>,
}

impl MiniLoop {
    /// A new loop.
    pub fn new() -> io::Result<Self> {
        Ok(MiniLoop {
            poll: Poll::new()?,
            events: Events::with_capacity(256),
            market: MarketState::new(),
            sink: CountingSink::default(),
            reads: ReadOn::default(),
            due: Vec::new(),
        })
    }

    /// Registers endpoint `i` of the slice later passed to [`MiniLoop::run_until`].
    pub fn register(&mut self, ep: &mut DtcEndpoint, i: usize) -> io::Result<()> {
        ep.register(self.poll.registry(), i * v9bridge::endpoint::TOKEN_SPACE, Instant::now())
    }

    /// Runs until `done` holds (true) or `timeout` passes (false).
    pub fn run_until(
        &mut self,
        eps: &mut [&mut DtcEndpoint],
        timeout: Duration,
        mut done: impl FnMut(&mut [&mut DtcEndpoint], &MarketState) -> bool,
    ) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if done(eps, &self.market) {
                return true;
            }
            let now = Instant::now();
            if now >= end {
                return false;
            }
            let mut wait = (end - now).min(Duration::from_millis(20));
            if !self.reads.is_empty() {
                wait = Duration::ZERO;
            }
            for c in eps.iter() {
                if let Some(d) = c.next_deadline() {
                    wait = wait.min(d.saturating_duration_since(now));
                }
            }
            if let Err(e) = self.poll.poll(&mut self.events, Some(wait)) {
                if e.kind() != io::ErrorKind::Interrupted {
                    log::warn!("dtc mini loop: poll failed: {e}");
                }
            }
            self.reads.begin_turn(&mut self.due);
            // Read once per turn, as the engine does.
            let (now, wall_ns) = (Instant::now(), v9bridge::clock::unix_nanos());
            let mut ctx = Ctx {
                now,
                wall_ns,
                registry: self.poll.registry(),
                market: &mut self.market,
                signals: &mut self.sink,
                reads: &mut self.reads,
            };
            for ev in self.events.iter() {
                let (i, sub) = split_token(ev.token());
                if let Some(c) = eps.get_mut(i) {
                    c.handle_event(sub, ev, &mut ctx);
                }
            }
            for &token in &self.due {
                let (i, sub) = split_token(token);
                if let Some(c) = eps.get_mut(i) {
                    c.read_on(sub, &mut ctx);
                }
            }
            for c in eps.iter_mut() {
                if c.next_deadline().is_some_and(|d| d <= now) {
                    c.handle_timeout(&mut ctx);
                }
            }
        }
    }

    /// Runs a text command on `ep` (orders flagged automated, as from the engine handle).
    pub fn command(&mut self, ep: &mut DtcEndpoint, cmd: &str) -> Option<Result<String, String>> {
        let mut ctx = Ctx {
            now: Instant::now(),
            wall_ns: v9bridge::clock::unix_nanos(),
            registry: self.poll.registry(),
            market: &mut self.market,
            signals: &mut self.sink,
            reads: &mut self.reads,
        };
        ep.command(cmd, &mut ctx)
    }
}
