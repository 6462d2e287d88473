//! The V9 server endpoint (I/O shell): accepts, reads into pure peers, carries out their replies.

// Per connection the same slab key names a hot `Conn` (socket, output queue) and a cold
// [`Peer`] (protocol state, input). Replies only queue bytes; [`V9Server::flush_dirty`], which
// the engine calls once per turn, writes them (one write per connection per turn).

use super::accept::Listener;
use super::codec::ErrorCode;
use super::conn::{Conn, Conns};
use super::escape::Esc;
use super::hub::Hub;
use super::peer::{Cue, Due, Peer};
use super::reply::{CloseReason, Details, Outgoing, Reply, Role};
use super::reply::{State, Time};
use super::timers::Deadlines;

mod api;
mod endpoint;
mod loss;
mod outlet;
pub(crate) mod route;
use crate::clock;
use crate::config::V9Config;
use crate::endpoint::token;
use crate::journal::Receiver;
use crate::pipeline::{Pipeline, Source};
use crate::signal::Action;
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
            let peer = Peer::new(addr, t);
            let s = self.hub.settings();
            self.timers.arm(key, peer.deadline(s.timeout, s.grace));
            self.peers.insert(peer);
            self.hub.accepted();
            info!("v9: {addr} connected ({} clients)", self.conns.len());
        }
        self.timers.arm_listener(self.listener.retry_at());
    }

    /// Reads until `WouldBlock`, handling every message as it is framed.
    fn on_readable(&mut self, key: usize, t: Time, registry: &Registry) {
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
            match conn.read(peer.spare()) {
                Ok(0) => {
                    // EOF: the last message may have no terminator; handle it, then close.
                    self.drain(key, Cue::Eof, t, t.now, registry);
                    self.conns.close_later(key, CloseReason::PeerClosed);
                    break;
                }
                Ok(n) => {
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
                        // Bound once: routing a signal reads indices, not names.
                        let names: Vec<&str> = peer.declared().iter().map(|a| &**a).collect();
                        let accounts =
                            self.pipeline.risk().map(|r| r.bind(&names)).unwrap_or_default();
                        self.hub.receivers_mut().bind(key, peer.name(), accounts);
                        let r = Receiver {
                            name: peer.name(),
                            peer: Some(peer.addr()),
                            accounts: peer.accounts(),
                        };
                        self.pipeline.receiver(true, r, t.now, t.wall_ns);
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

    /// Writes every connection's queued output, then handles what was written: latencies,
    /// one log line per signal, FLATTEN checks. The engine calls it once per loop turn.
    pub fn flush_dirty(&mut self, registry: &Registry) {
        self.conns.flush_dirty(registry);
        if self.hub.pending() {
            let written = clock::stamp();
            while let Some(r) = self.hub.next_written(written) {
                info!(
                    "v9: signal #{} from {:?}: {} {} {} written to {} receiver(s){}",
                    r.id,
                    r.origin,
                    r.action,
                    r.symbol.as_str(),
                    r.qty,
                    r.receivers,
                    route::Skipped(r.skipped)
                );
                if r.routed {
                    apply_routed(r.id, self.hub.deltas(&r), self.hub.receivers(), &mut self.peers);
                } else {
                    for (_, p) in self.peers.iter_mut().filter(|(_, p)| p.receives()) {
                        p.book_mut().expected_mut().apply(r.id, r.action, &r.symbol, r.qty);
                    }
                }
                if r.action == Action::Flatten {
                    self.hub.expect_flat(&r, &mut self.peers, &mut self.timers);
                }
            }
        }
        self.close_pending(registry);
    }

    /// Carries out the closes listed since the last call.
    fn close_pending(&mut self, registry: &Registry) {
        let now = self.now;
        while let Some((key, why)) = self.conns.next_close() {
            let Some(peer) = self.peers.get_mut(key) else { continue };
            if why == CloseReason::Overflow {
                if peer.is_closing() {
                    continue;
                }
                // The error goes after the message being written (a message boundary); the
                // receiver gets it if it ever reads, and is reset after CLOSE_GRACE otherwise.
                self.hub.overflowed();
                log::warn!(
                    "v9 {} ({}): disconnecting: output queue over its bound (slow or stuck receiver)",
                    peer.addr(),
                    Esc(peer.name())
                );
                peer.start_closing(now, why);
                let msg = Outgoing::Error {
                    code: ErrorCode::Overflow,
                    message: "Output queue full",
                    details: Details::Text("Slow consumer"),
                };
                self.conns.finish(key, msg, true);
                self.rearm(key);
                continue;
            }
            self.remove(key, why, registry);
        }
    }

    /// Drops the connection under `key`.
    fn remove(&mut self, key: usize, why: CloseReason, registry: &Registry) {
        let (Some(mut conn), Some(peer)) = (self.conns.remove(key), self.peers.try_remove(key))
        else {
            return;
        };
        conn.deregister(registry);
        self.timers.clear(key);
        self.hub.receivers_mut().unbind(key);
        let (why, note) = match peer.state() {
            State::Closing { reason, .. } if conn.half_closed() => {
                (reason, ", after its final message")
            }
            State::Closing { reason, .. } => (reason, ", its final message unread"),
            _ => (why, ""),
        };
        info!(
            "v9 {} ({}): disconnected: {why}{note} ({} clients)",
            peer.addr(),
            Esc(peer.name()),
            self.conns.len()
        );
        drop(conn); // resets instead of FIN when it stopped inside a message (see Conn)
        if peer.role() == Role::Receiver && !peer.name().is_empty() {
            let r =
                Receiver { name: peer.name(), peer: Some(peer.addr()), accounts: peer.accounts() };
            self.pipeline.receiver(false, r, self.now, self.wall_ns);
        }
        self.hub.departed(peer);
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

/// A routed signal's changes to the expected positions of the receivers it reached: each
/// receiver's parts (grouped by key), by account name, once per id.
fn apply_routed(
    id: u64,
    deltas: &[(u32, crate::pipeline::Delta)],
    rx: &route::Receivers,
    peers: &mut Slab<Peer>,
) {
    let mut rest = deltas;
    while let Some(&(key, _)) = rest.first() {
        let n = rest.iter().take_while(|d| d.0 == key).count();
        let (mine, next) = rest.split_at(n);
        rest = next;
        let key = key as usize;
        let (Some(p), Some(acc)) = (peers.get_mut(key), rx.accounts(key)) else { continue };
        let e = p.book_mut().expected_mut();
        if !e.begin(id) {
            continue;
        }
        for (_, d) in mine {
            match d.account.and_then(|i| acc.names().get(i as usize)) {
                Some(name) => e.apply_account(name, d.action, &d.symbol, d.qty),
                None => e.apply_every(d.action, &d.symbol, d.qty),
            }
        }
    }
}
