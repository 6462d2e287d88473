//! The V9 server as an engine endpoint: events, timers, reports and shutdown.

use super::V9Server;
use crate::endpoint::{token, Ctx, Endpoint};
use crate::metrics::LatencyHist;
use crate::v9::codec::ErrorCode;
use crate::v9::reply::{CloseReason, Details, Outgoing, Time};
use log::info;
use mio::event::Event;
use mio::Registry;
use std::io;
use std::time::Instant;

impl Endpoint for V9Server {
    fn name(&self) -> &str {
        "v9"
    }

    fn register(&mut self, registry: &Registry, base: usize, _now: Instant) -> io::Result<()> {
        self.listener.register(registry, token(base, 0))?;
        self.base = base;
        info!("v9: listening on {}", self.local_addr());
        Ok(())
    }

    fn handle_event(&mut self, sub: usize, event: &Event, ctx: &mut Ctx<'_>) {
        let t = Time { now: ctx.now, wall_ns: ctx.wall_ns };
        self.set_turn(ctx.now, ctx.wall_ns);
        if sub == 0 {
            return self.accept(t, ctx.registry);
        }
        let key = sub - 1;
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            self.on_readable(key, t, ctx.registry, ctx.reads);
        }
        if event.is_writable() {
            self.conns.flush_one(key, ctx.registry);
        }
        self.after_read(event.is_writable(), ctx.registry);
    }

    fn read_on(&mut self, sub: usize, ctx: &mut Ctx<'_>) {
        // The listener keeps its own retry timer; only connections spend read budgets.
        if sub == 0 {
            return;
        }
        self.set_turn(ctx.now, ctx.wall_ns);
        let t = Time { now: ctx.now, wall_ns: ctx.wall_ns };
        self.on_readable(sub - 1, t, ctx.registry, ctx.reads);
        self.after_read(false, ctx.registry);
    }

    fn next_deadline(&self) -> Option<Instant> {
        let sweep = Some(self.reconcile_at).filter(|_| self.conns.len() > 0);
        [self.timers.next(), sweep].into_iter().flatten().min()
    }

    fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
        let t = Time { now: ctx.now, wall_ns: ctx.wall_ns };
        self.set_turn(ctx.now, ctx.wall_ns);
        self.on_timers(t, ctx.registry);
    }

    fn histograms(&self) -> Vec<&LatencyHist> {
        self.hub.histograms().to_vec()
    }

    fn reset_histograms(&mut self) {
        self.hub.reset_histograms();
    }

    fn shutdown(&mut self, now: Instant) {
        let keys: Vec<usize> = self.conns.keys().collect();
        for key in keys {
            let Some(peer) = self.peers.get_mut(key).filter(|p| !p.is_closing()) else { continue };
            peer.start_closing(now, CloseReason::Shutdown);
            let msg = Outgoing::Error {
                code: ErrorCode::ServerShutdown,
                message: "Server shutting down",
                details: Details::Text("Reconnect later"),
            };
            self.conns.finish(key, msg, false);
        }
        // The engine flushes (it holds the registry) and then waits for `flushing() == 0`.
    }
}

impl V9Server {
    /// A publisher's signals leave at the end of its read batch, not after the other events of
    /// this turn (the engine's own flush then finds nothing to do).
    fn after_read(&mut self, wrote: bool, registry: &Registry) {
        if self.hub.pending() || wrote {
            self.flush_dirty(registry);
        } else {
            self.close_pending(registry);
        }
    }
}
