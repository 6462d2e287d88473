//! The V9 server endpoint (I/O shell): accepts, reads into pure peers, carries out their replies.

// Per connection the same slab key names a hot `Conn` (socket, output queue) and a cold
// [`Peer`] (protocol state, input). Replies only queue bytes; [`V9Server::flush_dirty`], which
// the engine calls once per turn, writes them (one write per connection per turn).

use super::accept::Listener;
use super::conn::{Conn, Conns};
use super::hub::Hub;
use super::peer::{Cue, Due, Peer};
use super::reply::Time;
use super::reply::{CloseReason, Outgoing, Reply};
use super::timers::Deadlines;

mod api;
mod close;
mod endpoint;
mod loss;
mod outlet;
// Being reworked beside this file (routing); its items are narrowed after that lands.
#[allow(unreachable_pub)]
pub(crate) mod route;
mod written;
use crate::clock;
use crate::config::V9Config;
use crate::endpoint::{token, ReadBudget, ReadOn};
use crate::journal::Receiver;
use crate::pipeline::{Pipeline, Source};
use log::info;
use mio::{Interest, Registry};
use outlet::{catch_up, control, refusal_error};
use slab::Slab;
use std::io;
use std::time::Instant;

/// The V9 server: one listener, and per connection a `Conn` and a [`Peer`] under one key.
#[derive(Debug)]
pub struct V9Server {
    listener: Listener,
    conns: Conns,
    peers: Slab<Peer>,
    hub: Hub,
    timers: Deadlines,
    base: usize,
    due: Vec<usize>,
    /// The time of the turn last seen (closes started from the flush happen "now").
    now: Instant,
    /// Its wall clock, Unix ns (journal stamps of work started outside an event).
    wall_ns: i64,
    /// The one entry of every signal; this server is its output (see [`V9Server::submit`]).
    pipeline: Pipeline,
    /// Catch-up lines for one receiver, reused.
    catch_up: Vec<u8>,
    /// The next reconciliation sweep.
    reconcile_at: Instant,
    /// Each new connection's read budget per loop turn.
    read_budget: ReadBudget,
}

impl V9Server {
    /// Binds the listener (port 0 allowed; see [`V9Server::local_addr`]), with a pipeline
    /// without journal (epoch: the start time in Unix nanoseconds).
    pub fn bind(cfg: &V9Config) -> io::Result<V9Server> {
        let epoch = crate::pipeline::epoch_without_journal(clock::unix_nanos());
        V9Server::bind_with(cfg, Pipeline::in_memory(epoch))
    }

    /// Binds the listener; every signal goes through `pipeline`.
    pub fn bind_with(cfg: &V9Config, pipeline: Pipeline) -> io::Result<V9Server> {
        let addr = cfg.listen;
        Ok(V9Server {
            listener: Listener::bind(addr)?,
            conns: Conns::new(cfg.max_output_bytes, &cfg.server_version),
            peers: Slab::with_capacity(1024),
            hub: Hub::new(cfg),
            timers: Deadlines::default(),
            base: 0,
            due: Vec::with_capacity(1024),
            now: Instant::now(),
            wall_ns: clock::unix_nanos(),
            pipeline,
            catch_up: Vec::with_capacity(64 * 1024),
            reconcile_at: Instant::now(),
            read_budget: ReadBudget::new(super::peer::READ_BUDGET),
        })
    }

    fn accept(&mut self, t: Time, registry: &Registry) {
        while let Some((mut stream, addr)) = self.listener.accept(t.now) {
            if self.conns.len() >= self.hub.settings().max_clients {
                self.listener.refuse(stream, addr, self.conns.len(), t.now);
                continue;
            }
            let key = self.conns.next_key();
            // Conns and peers are inserted and removed together, so their keys agree.
            if self.peers.vacant_key() != key {
                log::error!("v9: connection tables out of step; refusing {addr}");
                continue;
            }
            let _ = stream.set_nodelay(true);
            // A reused key may still get the old connection's events of this turn: harmless,
            // every handler tolerates spurious readiness (reads stop at WouldBlock).
            let tok = token(self.base, key + 1);
            if let Err(e) = registry.register(&mut stream, tok, Interest::READABLE) {
                log::warn!("v9: cannot register {addr}: {e}");
                continue;
            }
            self.conns.insert(Conn::new(stream, tok));
            let mut peer = Peer::new(addr, t);
            *peer.budget_mut() = self.read_budget;
            let s = self.hub.settings();
            self.timers.arm(key, peer.deadline(s.timeout, s.grace));
            self.peers.insert(peer);
            self.hub.accepted();
            info!("v9: {addr} connected ({} clients)", self.conns.len());
        }
        self.timers.arm_listener(self.listener.retry_at());
    }

    /// Reads until `WouldBlock` or until the connection's budget for this turn is spent (then
    /// it reads on next turn), handling every message as it is framed.
    fn on_readable(&mut self, key: usize, t: Time, registry: &Registry, reads: &mut ReadOn) {
        let tok = token(self.base, key + 1);
        loop {
            let (Some(peer), Some(conn)) = (self.peers.get_mut(key), self.conns.get_mut(key))
            else {
                return;
            };
            if peer.spare().is_empty() {
                self.drain(key, Cue::Full, t, t.now, registry);
                let Some(peer) = self.peers.get_mut(key) else { return };
                if peer.spare().is_empty() {
                    // One message longer than the whole buffer: cannot be framed.
                    let reply = peer.too_long(t.now);
                    self.hub.apply(&mut self.conns, key, reply, t.now);
                    break;
                }
                continue;
            }
            // Spent: no Pause cue (the socket is not drained) and no event will come for the
            // rest; the engine reads on next turn.
            let Some(room) = peer.budget_mut().next_read(reads, tok) else { break };
            let spare = peer.spare();
            let len = spare.len().min(room);
            match conn.read(&mut spare[..len]) {
                Ok(0) => {
                    // EOF: the last message may have no terminator; handle it, then close.
                    self.drain(key, Cue::Eof, t, t.now, registry);
                    self.conns.close_later(key, CloseReason::PeerClosed);
                    break;
                }
                Ok(n) => {
                    peer.budget_mut().spend(n);
                    peer.filled(n);
                    // Start of the latency hops: when the bytes left the kernel, not the turn.
                    self.drain(key, Cue::Data, t, clock::stamp(), registry);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.drain(key, Cue::Pause, t, t.now, registry);
                    break;
                }
                Err(_) => {
                    self.conns.close_later(key, CloseReason::ReadError);
                    break;
                }
            }
        }
        self.rearm(key);
    }

    /// Handles every message complete for `cue`.
    fn drain(&mut self, key: usize, cue: Cue, t: Time, read_at: Instant, registry: &Registry) {
        let Some(peer) = self.peers.get_mut(key) else { return };
        loop {
            // Loss limits: the P&L of the POSITION just handled, one message at a time (so a
            // session's first report and a peak are never folded into a later value).
            loss::feed(&mut self.pipeline, &mut self.hub, &mut self.conns, peer, t);
            let polled = {
                let policy = self.hub.policy(self.pipeline.last_id(), self.pipeline.epoch());
                peer.poll_named(cue, t, &policy)
            };
            let Some((reply, name)) = polled else { break };
            match reply {
                Reply::Connected(_, req) => {
                    let ready = (self.pipeline.epoch(), self.pipeline.last_id());
                    self.hub.connected(&mut self.conns, key, peer, ready);
                    if peer.receives() {
                        bind_receiver(&mut self.pipeline, &mut self.hub, key, peer, t);
                    }
                    if let Some(req) = req {
                        catch_up(
                            &self.pipeline,
                            (&mut self.conns, self.hub.receivers_mut()),
                            &mut self.catch_up,
                            (key, peer),
                            req,
                            t,
                        );
                    }
                    // Signals before now never reached it (or came with the catch-up).
                    peer.book_mut().expected_mut().through(self.pipeline.last_id());
                }
                Reply::Fail(msg, reason @ (CloseReason::Unauthorized | CloseReason::Throttled)) => {
                    self.conns.finish(key, msg, false);
                    self.hub.auth_refused(peer, reason, t.now);
                }
                Reply::Publish(sig) => {
                    let mut out = self.hub.output(&mut self.conns);
                    let source = Source::Publisher(name);
                    let r = self.pipeline.submit(&sig, source, read_at, t.wall_ns, &mut out);
                    self.hub.counted(r.is_ok());
                    let msg = match &r {
                        Ok(a) => Outgoing::SignalAck { id: a.id, receivers: a.receivers },
                        Err(e) => refusal_error(e),
                    };
                    self.conns.queue(key, msg);
                    if self.conns.take_pressure() {
                        self.conns.flush_dirty(registry);
                    }
                }
                Reply::Kill | Reply::Arm => {
                    let kill = reply == Reply::Kill;
                    let msg =
                        control(&mut self.pipeline, &mut self.hub, &mut self.conns, kill, name, t);
                    self.conns.queue(key, msg);
                    if self.conns.take_pressure() {
                        self.conns.flush_dirty(registry);
                    }
                }
                reply => {
                    if let Reply::Answered(id, summary) = reply {
                        self.pipeline.summary(name, id, summary, (t.now, t.wall_ns));
                    }
                    if let Reply::Refused { reason, line, .. } = reply {
                        let source = Source::Publisher(name);
                        // Counted in the peer's `rejected` already; journalled here.
                        self.pipeline.refused(source, reason, line, (t.now, t.wall_ns));
                    }
                    self.hub.apply(&mut self.conns, key, reply, read_at);
                    if self.conns.take_pressure() {
                        self.conns.flush_dirty(registry);
                    }
                }
            }
        }
        if let Some(c) = self.conns.get_mut(key) {
            c.set_mode(peer.receives(), peer.unterminated());
        }
    }

    fn rearm(&mut self, key: usize) {
        if let Some(p) = self.peers.get(key) {
            let s = self.hub.settings();
            self.timers.arm(key, p.deadline(s.timeout, s.grace));
        }
    }

    fn on_timers(&mut self, t: Time, registry: &Registry) {
        if self.timers.listener_due(t.now) {
            self.accept(t, registry);
        }
        if t.now >= self.reconcile_at {
            self.reconcile(t);
            self.pipeline.tick_risk(t.wall_ns); // the loss limits' session reset
        }
        let mut due = std::mem::take(&mut self.due);
        self.timers.take_due(t.now, &mut due);
        let s = self.hub.settings();
        let (timeout, grace) = (s.timeout, s.grace);
        for &key in &due {
            let Some(peer) = self.peers.get_mut(key) else { continue };
            match peer.handle_timeout(t.now, timeout, grace) {
                Due::Nothing => {}
                Due::Frame => self.drain(key, Cue::Pause, t, t.now, registry),
                Due::Expire(reply) => self.hub.apply(&mut self.conns, key, reply, t.now),
                Due::Remove(reason) => {
                    self.remove(key, reason, registry);
                    continue;
                }
            }
            self.rearm(key);
        }
        self.due = due;
        self.flush_dirty(registry);
    }
}

/// A receiver just became READY: its declared accounts are bound once (routing a signal then
/// reads indices, not names) and its arrival is journalled.
fn bind_receiver(pipeline: &mut Pipeline, hub: &mut Hub, key: usize, peer: &Peer, t: Time) {
    let names: Vec<&str> = peer.declared().iter().map(|a| &**a).collect();
    let accounts = pipeline.risk().map(|r| r.bind(&names)).unwrap_or_default();
    hub.receivers_mut().bind(key, peer.name(), accounts);
    let r = Receiver { name: peer.name(), peer: Some(peer.addr()), accounts: peer.accounts() };
    pipeline.receiver(true, r, t.now, t.wall_ns);
}
