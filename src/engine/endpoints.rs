//! The engine's concrete endpoints and the one place where tokens are encoded and decoded.

use super::control::CallCtx;
use crate::dtc::DtcEndpoint;
use crate::endpoint::{split_token, Ctx, Endpoint, ReadOn, TOKEN_SPACE};
use crate::market::MarketState;
use crate::metrics::LatencyHist;
use crate::pipe::PipeEndpoint;
use crate::pipeline::{Accepted, Refusal, Source};
use crate::signal::{CountingSink, Signal, SignalSink};
use crate::v9::server::V9Server;
use mio::{event::Event, Registry, Token};
use std::io;
use std::time::Instant;

/// The waker's token (control jobs and stop requests).
pub(crate) const WAKER: Token = Token(0);
const V9_BASE: usize = TOKEN_SPACE;
const PIPE_BASE: usize = 2 * TOKEN_SPACE;
const FIRST_DTC_BASE: usize = 3 * TOKEN_SPACE;

/// Which endpoint a token belongs to, and its sub-source there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// The waker.
    Waker,
    /// The V9 server (listener or one of its clients).
    V9(usize),
    /// The pipe ingest.
    Pipe(usize),
    /// DTC connection `index`, sub-source.
    Dtc(usize, usize),
    /// Nothing registered (a stale event after a deregistration).
    Unknown,
}

impl Slot {
    /// Decodes a token (the inverse of the bases handed out in [`Endpoints::register`]).
    pub(crate) fn of(t: Token) -> Slot {
        if t == WAKER {
            return Slot::Waker;
        }
        match split_token(t) {
            (1, sub) => Slot::V9(sub),
            (2, sub) => Slot::Pipe(sub),
            (i, sub) if i >= 3 => Slot::Dtc(i - 3, sub),
            _ => Slot::Unknown,
        }
    }
}

/// Everything the loop drives: the V9 server (absent for the one-shot DTC CLI), the pipe ingest
/// and the DTC connections, in configuration order.
pub struct Endpoints {
    /// The V9 signal server, also the sink of signals from the pipe (and later other sources).
    pub v9: Option<V9Server>,
    /// Pipe ingest from the ACSIL study.
    pub pipe: Option<PipeEndpoint>,
    /// DTC connections (`dtc.<name>`), in configuration order.
    pub dtc: Vec<DtcEndpoint>,
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoints")
            .field("v9", &self.v9.as_ref().map(|v| v.local_addr()))
            .field("pipe", &self.pipe.is_some())
            .field("dtc", &self.dtc.iter().map(|d| d.name().to_string()).collect::<Vec<_>>())
            .finish()
    }
}

/// The loop-turn values every endpoint call shares: the turn's times, the registry, the market
/// state and the read-on set; each endpoint call reborrows them.
#[derive(Debug)]
pub(crate) struct Turn<'a> {
    pub(crate) now: Instant,
    pub(crate) wall_ns: i64,
    pub(crate) registry: &'a Registry,
    pub(crate) market: &'a mut MarketState,
    pub(crate) reads: &'a mut ReadOn,
}

impl Turn<'_> {
    /// The context of one endpoint call (reborrowing the turn's state).
    fn ctx<'s>(&'s mut self, signals: &'s mut dyn SignalSink) -> Ctx<'s> {
        Ctx {
            now: self.now,
            wall_ns: self.wall_ns,
            registry: self.registry,
            market: self.market,
            signals,
            reads: self.reads,
        }
    }
}

/// What an endpoint is driven by: a readiness event, or a read-on (its budget ran out).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Drive<'e> {
    /// A readiness event for one of its tokens.
    Event(&'e Event),
    /// Its source's budget ran out last turn: read on.
    ReadOn,
}

fn drive<E: Endpoint>(ep: &mut E, sub: usize, how: Drive<'_>, ctx: &mut Ctx<'_>) {
    match how {
        Drive::Event(event) => ep.handle_event(sub, event, ctx),
        Drive::ReadOn => ep.read_on(sub, ctx),
    }
}

impl Endpoints {
    /// The DTC connection named `name` (`es` or `dtc.es`).
    pub fn dtc(&self, name: &str) -> Option<&DtcEndpoint> {
        let want = name.strip_prefix("dtc.").unwrap_or(name);
        self.dtc.iter().find(|d| d.name().strip_prefix("dtc.") == Some(want))
    }

    /// The DTC connection named `name`, mutably.
    pub fn dtc_mut(&mut self, name: &str) -> Option<&mut DtcEndpoint> {
        let want = name.strip_prefix("dtc.").unwrap_or(name);
        self.dtc.iter_mut().find(|d| d.name().strip_prefix("dtc.") == Some(want))
    }

    /// Submits a signal from an engine call (CLI, ops, demo) to the pipeline: the typed entry
    /// for sources that are not endpoints. Its bytes leave with the flush after the call.
    pub fn submit_signal(
        &mut self,
        sig: &Signal<'_>,
        source: Source<'_>,
        ctx: &CallCtx<'_>,
    ) -> Result<Accepted, Refusal> {
        match &mut self.v9 {
            Some(v9) => v9.submit(sig, source, ctx.now, ctx.wall_ns),
            // Without a V9 server there is no pipeline (the one-shot DTC CLI): validated only.
            None => {
                sig.validate().map(|()| Accepted { id: 0, receivers: 0 }).map_err(Refusal::Invalid)
            }
        }
    }

    /// Registers every endpoint with its token base.
    pub(crate) fn register(&mut self, registry: &Registry, now: Instant) -> io::Result<()> {
        if let Some(v9) = &mut self.v9 {
            v9.register(registry, V9_BASE, now)?;
        }
        if let Some(p) = &mut self.pipe {
            p.register(registry, PIPE_BASE, now)?;
        }
        for (i, d) in self.dtc.iter_mut().enumerate() {
            d.register(registry, FIRST_DTC_BASE + i * TOKEN_SPACE, now)?;
        }
        Ok(())
    }

    /// Hands one readiness event, or a read-on of a source whose budget ran out last turn, to
    /// its endpoint.
    pub(crate) fn dispatch(&mut self, slot: Slot, how: Drive<'_>, t: &mut Turn<'_>) {
        // The V9 server's own publishers go straight to its broadcast; it never uses the sink.
        let mut unused = CountingSink::default();
        match slot {
            Slot::V9(sub) => {
                if let Some(v9) = &mut self.v9 {
                    drive(v9, sub, how, &mut t.ctx(&mut unused));
                }
            }
            Slot::Pipe(sub) => {
                if let Some(p) = &mut self.pipe {
                    let sink = sink(&mut self.v9, &mut unused, t.now, t.wall_ns);
                    drive(p, sub, how, &mut t.ctx(sink));
                }
            }
            Slot::Dtc(i, sub) => {
                if let Some(d) = self.dtc.get_mut(i) {
                    let sink = sink(&mut self.v9, &mut unused, t.now, t.wall_ns);
                    drive(d, sub, how, &mut t.ctx(sink));
                }
            }
            Slot::Waker | Slot::Unknown => {}
        }
    }

    /// The earliest deadline of any endpoint.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let v9 = self.v9.as_ref().and_then(|v| v.next_deadline());
        let pipe = self.pipe.as_ref().and_then(|p| p.next_deadline());
        let dtc = self.dtc.iter().filter_map(|d| d.next_deadline()).min();
        [v9, pipe, dtc].into_iter().flatten().min()
    }

    /// Runs every endpoint's due timers.
    pub(crate) fn handle_timeouts(&mut self, t: &mut Turn<'_>) {
        let (now, wall_ns) = (t.now, t.wall_ns);
        let due = |d: Option<Instant>| d.is_some_and(|d| d <= now);
        let mut unused = CountingSink::default();
        if let Some(v9) = self.v9.as_mut().filter(|v| due(v.next_deadline())) {
            v9.handle_timeout(&mut t.ctx(&mut unused));
        }
        if let Some(p) = self.pipe.as_mut().filter(|p| due(p.next_deadline())) {
            p.handle_timeout(&mut t.ctx(sink(&mut self.v9, &mut unused, now, wall_ns)));
        }
        for d in self.dtc.iter_mut().filter(|d| due(d.next_deadline())) {
            d.handle_timeout(&mut t.ctx(sink(&mut self.v9, &mut unused, now, wall_ns)));
        }
    }

    /// Signals queued this turn leave now: one write per receiver.
    pub(crate) fn flush(&mut self, registry: &Registry) {
        if let Some(v9) = &mut self.v9 {
            v9.flush_dirty(registry);
        }
    }

    /// Every histogram of every endpoint.
    pub(crate) fn histograms(&self) -> Vec<&LatencyHist> {
        let mut v = Vec::new();
        if let Some(v9) = &self.v9 {
            v.extend(v9.histograms());
        }
        if let Some(p) = &self.pipe {
            v.extend(p.histograms());
        }
        for d in &self.dtc {
            v.extend(d.histograms());
        }
        v
    }

    /// Clears every endpoint's histograms.
    pub(crate) fn reset_histograms(&mut self) {
        if let Some(v9) = &mut self.v9 {
            v9.reset_histograms();
        }
        if let Some(p) = &mut self.pipe {
            p.reset_histograms();
        }
        self.dtc.iter_mut().for_each(|d| d.reset_histograms());
    }

    /// Orderly stop: goodbyes to every peer.
    pub(crate) fn shutdown(&mut self, now: Instant) {
        if let Some(v9) = &mut self.v9 {
            v9.shutdown(now);
        }
        if let Some(p) = &mut self.pipe {
            p.shutdown(now);
        }
        self.dtc.iter_mut().for_each(|d| d.shutdown(now));
    }
}

/// The pipeline's entry for another endpoint's signals: the V9 server (which holds the
/// pipeline, being its output), stamped with this turn; without one, a counter.
fn sink<'a>(
    v9: &'a mut Option<V9Server>,
    none: &'a mut CountingSink,
    now: Instant,
    wall_ns: i64,
) -> &'a mut dyn SignalSink {
    match v9 {
        Some(v) => {
            v.set_turn(now, wall_ns);
            v
        }
        None => none,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_decode_to_the_endpoint_that_registered_them() {
        assert_eq!(Slot::of(WAKER), Slot::Waker);
        assert_eq!(Slot::of(Token(V9_BASE)), Slot::V9(0));
        assert_eq!(Slot::of(Token(V9_BASE + 7)), Slot::V9(7));
        assert_eq!(Slot::of(Token(PIPE_BASE)), Slot::Pipe(0));
        assert_eq!(Slot::of(Token(FIRST_DTC_BASE + 1)), Slot::Dtc(0, 1));
        assert_eq!(Slot::of(Token(FIRST_DTC_BASE + 2 * TOKEN_SPACE)), Slot::Dtc(2, 0));
        assert_eq!(Slot::of(Token(5)), Slot::Unknown);
    }
}
