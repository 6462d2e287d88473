//! The V9 server endpoint: accepts receivers and publishers, broadcasts signals, tracks positions.

use super::client::{Client, Role, Sent, State, INBUF};
use super::codec::{ErrorCode, MAX_MESSAGE};
use super::encode;
use crate::config::V9Config;
use crate::endpoint::{token, Ctx, Endpoint};
use crate::metrics::LatencyHist;
use crate::signal::{Action, Origin, Signal, SignalError, SignalSink};
use log::{info, warn};
use mio::event::Event;
use mio::net::TcpListener;
use mio::{Interest, Registry};
use slab::Slab;
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long a closing connection may take to flush its last error and see the peer's EOF.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// Books of departed receivers kept for their reconnection, at most.
const MAX_RETIRED: usize = 1024;

/// Encodes `sig` with `id` into `out`; refuses signals that would break the 1024-byte limit.
fn signal_fits(out: &mut Vec<u8>, sig: &Signal<'_>, id: u64) -> Result<(), SignalError> {
    sig.validate()?;
    out.clear();
    encode::signal(out, sig, Some(id));
    if out.len() > MAX_MESSAGE + 1 {
        return Err(SignalError::TooLong);
    }
    Ok(())
}

/// Counters shown in the report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub accepted: u64,
    /// Connections refused (server full).
    pub refused: u64,
    /// Signals broadcast.
    pub signals: u64,
    /// Signals refused (validation or not a publisher).
    pub rejected_signals: u64,
    /// Bad messages received.
    pub bad_messages: u64,
    /// Receivers disconnected for a full output queue.
    pub overflows: u64,
    /// Clients closed for silence.
    pub timeouts: u64,
    /// POSITION_SUMMARY messages answering a numbered signal (`ID:`).
    pub summaries_with_id: u64,
}

/// The V9 server: one listener and a slab of clients on the engine loop.
pub struct V9Server {
    pub(super) cfg: V9Config,
    pub(super) timeout: Duration,
    pub(super) listener: TcpListener,
    pub(super) addr: SocketAddr,
    pub(super) registry: Option<Registry>,
    pub(super) base: usize,
    pub(super) clients: Slab<Client>,
    pub(super) next_id: u64,
    pub(super) line: Box<[u8]>,
    pub(super) reply: Vec<u8>,
    pub(super) bcast: Vec<u8>,
    pub(super) to_close: Vec<(usize, &'static str)>,
    pub(super) sweep_keys: Vec<usize>,
    pub(super) dirty: Vec<usize>,
    pub(super) unflushed: Vec<(Instant, Origin)>,
    pub(super) retired: std::collections::HashMap<Box<str>, super::book::ReceiverBook>,
    pub(super) next_sweep: Instant,
    pub(super) stats: Stats,
    pub(super) h_read_to_bcast: LatencyHist,
    pub(super) h_pipe_to_bcast: LatencyHist,
    pub(super) h_to_summary: LatencyHist,
}

impl V9Server {
    /// Binds the listener (port 0 allowed; see [`V9Server::local_addr`]).
    pub fn bind(cfg: &V9Config) -> io::Result<V9Server> {
        let listener = TcpListener::bind(cfg.listen)?;
        let addr = listener.local_addr()?;
        Ok(V9Server {
            cfg: cfg.clone(),
            timeout: Duration::from_secs_f64(cfg.client_timeout_s),
            listener,
            addr,
            registry: None,
            base: 0,
            clients: Slab::with_capacity(1024),
            next_id: 0,
            line: vec![0u8; INBUF].into_boxed_slice(),
            reply: Vec::with_capacity(2048),
            bcast: Vec::with_capacity(2048),
            to_close: Vec::with_capacity(1024),
            sweep_keys: Vec::with_capacity(1024),
            dirty: Vec::with_capacity(1024),
            unflushed: Vec::with_capacity(1024),
            retired: std::collections::HashMap::new(),
            next_sweep: Instant::now(),
            stats: Stats::default(),
            h_read_to_bcast: LatencyHist::new("v9.publisher_read_to_broadcast_written"),
            h_pipe_to_bcast: LatencyHist::new("v9.pipe_signal_to_broadcast_written"),
            h_to_summary: LatencyHist::new("v9.signal_sent_to_summary_back"),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Connected clients: (name, role, state, book) for reports and the demo's verification.
    pub fn clients(&self) -> impl Iterator<Item = &Client> {
        self.clients.iter().map(|(_, c)| c)
    }

    fn sweep_every(&self) -> Duration {
        (self.timeout / 4)
            .min(Duration::from_millis(self.cfg.unterminated_grace_ms.max(10)))
            .min(Duration::from_millis(250))
    }

    fn accept(&mut self, now: Instant) {
        let Some(registry) = self.registry.as_ref() else { return };
        loop {
            let (mut stream, peer) = match self.listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // EMFILE/ECONNABORTED and the like: the listener stays usable, try again later.
                Err(e) => {
                    warn!("v9: accept failed: {e}");
                    return;
                }
            };
            if self.clients.len() >= self.cfg.max_clients {
                self.stats.refused += 1;
                let mut msg = Vec::new();
                encode::error(
                    &mut msg,
                    ErrorCode::ProtocolError,
                    "Server full",
                    "Max_Clients reached",
                );
                let _ = io::Write::write(&mut stream, &msg);
                warn!("v9: refused {peer}: {} clients connected (max_clients)", self.clients.len());
                continue;
            }
            let _ = stream.set_nodelay(true);
            let entry = self.clients.vacant_entry();
            let tok = token(self.base, entry.key() + 1);
            if let Err(e) = registry.register(&mut stream, tok, Interest::READABLE) {
                warn!("v9: cannot register {peer}: {e}");
                continue;
            }
            entry.insert(Client::new(stream, tok, peer, now));
            self.stats.accepted += 1;
            info!("v9: {peer} connected ({} clients)", self.clients.len());
        }
    }

    /// Numbers, formats once and queues `sig` for every ready receiver; returns (id, receivers).
    /// The bytes leave at the end of the read batch or loop turn ([`V9Server::flush_dirty`]),
    /// except to peers that send no line endings, which get each message in its own write.
    pub(super) fn broadcast(
        &mut self,
        sig: &Signal<'_>,
        read_at: Instant,
        origin: Origin,
    ) -> Result<(u64, u32), SignalError> {
        signal_fits(&mut self.bcast, sig, self.next_id + 1)?;
        self.next_id += 1;
        let id = self.next_id;
        let flatten_deadline =
            Instant::now().checked_add(Duration::from_millis(self.cfg.flatten_check_ms));
        let mut receivers = 0;
        let queued_at = Instant::now();
        let Some(registry) = self.registry.as_ref() else { return Ok((id, 0)) };
        for (key, c) in self.clients.iter_mut() {
            if c.state != State::Ready || c.role != Role::Receiver {
                continue;
            }
            // Peers that send no terminator get none (same bytes otherwise).
            let sent = if c.terminated == Some(false) {
                c.write_alone(
                    &self.bcast[..self.bcast.len() - 1],
                    self.cfg.max_output_bytes,
                    registry,
                )
            } else {
                c.queue(&self.bcast, self.cfg.max_output_bytes, registry)
            };
            match sent {
                Sent::Ok => {
                    receivers += 1;
                    c.note_sent(id, queued_at);
                    if !c.dirty && c.queued() > 0 {
                        c.dirty = true;
                        self.dirty.push(key);
                    }
                    if let (Action::Flatten, Some(d)) = (sig.action, flatten_deadline) {
                        c.book.expect_flat(id, sig.symbol, d);
                    }
                }
                Sent::Overflow => self.to_close.push((key, "overflow")),
                Sent::Failed => self.to_close.push((key, "write error")),
            }
        }
        self.unflushed.push((read_at, origin));
        self.stats.signals += 1;
        Ok((id, receivers))
    }

    /// Writes every client's queued output (one write per client however many messages were
    /// queued), then records the broadcast latencies. Called after each read batch and at the
    /// end of every loop turn; cheap when nothing is queued.
    pub fn flush_dirty(&mut self) {
        if let Some(registry) = self.registry.as_ref() {
            for &key in &self.dirty {
                let Some(c) = self.clients.get_mut(key) else { continue };
                c.dirty = false;
                match c.flush(registry) {
                    Ok(()) if c.state == State::Closing && c.queued() == 0 => c.finish_close(),
                    Ok(()) => {}
                    Err(_) => self.to_close.push((key, "write error")),
                }
            }
        }
        self.dirty.clear();
        if !self.unflushed.is_empty() {
            let written = Instant::now();
            for &(read_at, origin) in &self.unflushed {
                let hist = if origin == Origin::Pipe {
                    &mut self.h_pipe_to_bcast
                } else {
                    &mut self.h_read_to_bcast
                };
                hist.record(written.saturating_duration_since(read_at));
            }
            self.unflushed.clear();
        }
        self.close_pending();
    }

    pub(super) fn send_reply(&mut self, key: usize) {
        let (Some(registry), Some(c)) = (self.registry.as_ref(), self.clients.get_mut(key)) else {
            return;
        };
        let sent = if c.terminated == Some(false) {
            c.write_alone(&self.reply[..self.reply.len() - 1], self.cfg.max_output_bytes, registry)
        } else {
            c.queue(&self.reply, self.cfg.max_output_bytes, registry)
        };
        match sent {
            Sent::Ok => {
                if !c.dirty {
                    c.dirty = true;
                    self.dirty.push(key);
                }
            }
            Sent::Overflow => self.to_close.push((key, "overflow")),
            Sent::Failed => self.to_close.push((key, "write error")),
        }
    }

    pub(super) fn reply_error(
        &mut self,
        key: usize,
        code: ErrorCode,
        message: &str,
        details: &str,
    ) {
        self.reply.clear();
        encode::error(&mut self.reply, code, message, details);
        self.send_reply(key);
    }

    /// Sends an error, then half-closes once it is flushed (see [`Client::finish_close`]).
    pub(super) fn fail(
        &mut self,
        key: usize,
        code: ErrorCode,
        message: &str,
        details: &str,
        now: Instant,
    ) {
        self.reply_error(key, code, message, details);
        let Some(c) = self.clients.get_mut(key) else { return };
        info!("v9 {} ({}): closing: {} {message}", c.peer, c.name, code.as_str());
        c.state = State::Closing;
        c.closing_since = Some(now);
        c.in_start = c.in_len; // what follows the bad message is not read
        if !c.dirty {
            c.dirty = true;
            self.dirty.push(key);
        }
    }

    fn close_pending(&mut self) {
        while let Some((key, why)) = self.to_close.pop() {
            let Some(c) = self.clients.get_mut(key) else { continue };
            if why == "overflow" {
                if c.state == State::Closing {
                    continue;
                }
                // The error goes after the queued messages (a message boundary); the receiver
                // gets it if it ever reads, and is dropped after CLOSE_GRACE otherwise.
                self.stats.overflows += 1;
                warn!(
                    "v9 {} ({}): disconnecting: output queue over {} bytes (slow or stuck receiver)",
                    c.peer, c.name, self.cfg.max_output_bytes
                );
                let mut msg = Vec::new();
                encode::error(&mut msg, ErrorCode::Overflow, "Output queue full", "Slow consumer");
                c.queue_final(&msg);
                c.state = State::Closing;
                c.closing_since = Some(Instant::now());
                if !c.dirty {
                    c.dirty = true;
                    self.dirty.push(key);
                }
                continue;
            }
            let mut c = self.clients.remove(key);
            info!(
                "v9 {} ({}): disconnected: {why} ({} clients)",
                c.peer,
                c.name,
                self.clients.len()
            );
            if let Some(r) = self.registry.as_ref() {
                let _ = r.deregister(&mut c.stream);
            }
            self.retire(c);
        }
    }

    /// Keeps a departed receiver's book under its name, for when it reconnects.
    fn retire(&mut self, c: Client) {
        if c.role != Role::Receiver || c.name.is_empty() || c.book.positions().is_empty() {
            return;
        }
        if let Some(id) = c.book.pending_flatten() {
            warn!("v9 {}: disconnected before its FLATTEN #{id} check: flatness unknown", c.name);
        }
        if self.retired.len() >= MAX_RETIRED && !self.retired.contains_key(&c.name) {
            return; // bounded: a flood of names cannot grow this without limit
        }
        self.retired.insert(c.name.clone(), c.book);
    }

    fn sweep(&mut self, now: Instant) {
        let mut keys = std::mem::take(&mut self.sweep_keys);
        keys.clear();
        keys.extend(self.clients.iter().map(|(k, _)| k));
        let grace = Duration::from_millis(self.cfg.unterminated_grace_ms);
        for &key in &keys {
            let Some(c) = self.clients.get_mut(key) else { continue };
            if c.state == State::Closing {
                if c.closing_since.is_some_and(|t| now.saturating_duration_since(t) > CLOSE_GRACE) {
                    self.to_close.push((
                        key,
                        if c.half_closed { "closed after error" } else { "close timeout" },
                    ));
                }
                continue;
            }
            if now.saturating_duration_since(c.last_rx) > self.timeout {
                self.stats.timeouts += 1;
                let details = format!("No message for {:.0}s", self.timeout.as_secs_f64());
                self.fail(key, ErrorCode::Timeout, "No heartbeat within timeout", &details, now);
                continue;
            }
            if c.partial_since.is_some_and(|t| now.saturating_duration_since(t) >= grace) {
                self.drain_unterminated(key, now, super::input::Drain::Pause);
            }
            let Some(c) = self.clients.get_mut(key) else { continue };
            if let Some((id, late)) = c.book.check_flatten(now) {
                if late.is_empty() {
                    info!("v9 {}: FLATTEN #{id}: every account flat", c.name);
                } else {
                    warn!(
                        "v9 {}: FLATTEN #{id}: {} account(s) out of sync: {}",
                        c.name,
                        late.len(),
                        late.join(", ")
                    );
                }
            }
        }
        self.sweep_keys = keys;
        self.close_pending();
    }
}

impl SignalSink for V9Server {
    fn publish(
        &mut self,
        signal: &Signal<'_>,
        origin: Origin,
        read_at: Instant,
    ) -> Result<u64, SignalError> {
        match self.broadcast(signal, read_at, origin) {
            Ok((id, _)) => Ok(id),
            Err(e) => {
                self.stats.rejected_signals += 1;
                Err(e)
            }
        }
    }
}

impl Endpoint for V9Server {
    fn name(&self) -> &str {
        "v9"
    }

    fn register(&mut self, registry: &Registry, base: usize, now: Instant) -> io::Result<()> {
        registry.register(&mut self.listener, token(base, 0), Interest::READABLE)?;
        self.registry = Some(registry.try_clone()?);
        self.base = base;
        self.next_sweep = now + self.sweep_every();
        info!("v9: listening on {}", self.addr);
        Ok(())
    }

    fn handle_event(&mut self, sub: usize, event: &Event, ctx: &mut Ctx<'_>) {
        if sub == 0 {
            return self.accept(ctx.now);
        }
        let key = sub - 1;
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            self.on_readable(key, ctx.now);
        }
        if event.is_writable() {
            let (Some(registry), Some(c)) = (self.registry.as_ref(), self.clients.get_mut(key))
            else {
                return;
            };
            match c.flush(registry) {
                Ok(()) if c.state == State::Closing && c.queued() == 0 => c.finish_close(),
                Ok(()) => {}
                Err(_) => self.to_close.push((key, "write error")),
            }
            self.close_pending();
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        Some(self.next_sweep)
    }

    fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
        if ctx.now >= self.next_sweep {
            self.sweep(ctx.now);
            self.next_sweep = ctx.now + self.sweep_every();
        }
    }

    fn histograms(&self) -> Vec<&LatencyHist> {
        vec![&self.h_read_to_bcast, &self.h_pipe_to_bcast, &self.h_to_summary]
    }

    fn reset_histograms(&mut self) {
        self.h_read_to_bcast.reset();
        self.h_pipe_to_bcast.reset();
        self.h_to_summary.reset();
    }

    fn status(&self, now: Instant) -> String {
        let s = &self.stats;
        let mut out = format!(
            "v9 {}: {} clients, signals {} (rejected {}), bad messages {}, overflows {}, timeouts {}, refused {}\n",
            self.addr,
            self.clients.len(),
            s.signals,
            s.rejected_signals,
            s.bad_messages,
            s.overflows,
            s.timeouts,
            s.refused
        );
        for (_, c) in self.clients.iter() {
            let _ = write!(out, "  {} {} {:?}/{:?} ", c.peer, c.name, c.role, c.state);
            if c.role == Role::Receiver {
                c.book.report(now, &mut out);
            }
            out.push('\n');
        }
        out
    }

    fn shutdown(&mut self, now: Instant) {
        let keys: Vec<usize> = self.clients.iter().map(|(k, _)| k).collect();
        for key in keys {
            if self.clients.get(key).is_some_and(|c| c.state != State::Closing) {
                self.fail(
                    key,
                    ErrorCode::ServerShutdown,
                    "Server shutting down",
                    "Reconnect later",
                    now,
                );
            }
        }
        self.flush_dirty();
        self.close_pending();
    }
}

impl V9Server {
    /// Connections still flushing their last bytes (the engine waits for them at shutdown).
    pub fn flushing(&self) -> usize {
        self.clients.iter().filter(|(_, c)| c.queued() > 0).count()
    }
}

const _: () = assert!(INBUF > 2 * MAX_MESSAGE);
