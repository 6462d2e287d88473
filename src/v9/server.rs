//! The V9 server endpoint: accepts receivers and publishers, broadcasts signals, tracks positions.

use super::client::{Client, Role, Sent, State, INBUF};
use super::codec::{self, ErrorCode, Message, ParseError, MAX_MESSAGE};
use super::encode;
use super::frame::{next_frame, split_unterminated, Frame};
use crate::config::V9Config;
use crate::endpoint::{token, Ctx, Endpoint};
use crate::metrics::LatencyHist;
use crate::signal::{Action, Origin, Signal, SignalError, SignalSink};
use log::{debug, info, warn};
use mio::event::Event;
use mio::net::TcpListener;
use mio::{Interest, Registry};
use slab::Slab;
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long a closing connection may take to flush its last error.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

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
    cfg: V9Config,
    timeout: Duration,
    listener: TcpListener,
    addr: SocketAddr,
    registry: Option<Registry>,
    base: usize,
    clients: Slab<Client>,
    next_id: u64,
    line: Box<[u8]>,
    reply: Vec<u8>,
    bcast: Vec<u8>,
    to_close: Vec<(usize, &'static str)>,
    sweep_keys: Vec<usize>,
    dirty: Vec<usize>,
    unflushed: Vec<(Instant, Origin)>,
    next_sweep: Instant,
    stats: Stats,
    h_read_to_bcast: LatencyHist,
    h_pipe_to_bcast: LatencyHist,
    h_to_summary: LatencyHist,
}

impl V9Server {
    /// Binds the listener (port 0 allowed; see [`V9Server::local_addr`]).
    pub fn bind(cfg: &V9Config) -> io::Result<V9Server> {
        let addr: SocketAddr = cfg
            .listen
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("v9.listen: {e}")))?;
        let listener = TcpListener::bind(addr)?;
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

    fn on_readable(&mut self, key: usize, now: Instant) {
        loop {
            let Some(c) = self.clients.get_mut(key) else { return };
            if c.in_len == c.inbuf.len() && c.terminated != Some(true) {
                // An unterminated peer filled the buffer with glued messages: split them now.
                c.partial_since = Some(now - Duration::from_millis(self.cfg.unterminated_grace_ms));
                self.drain_unterminated(key, now);
            }
            let Some(c) = self.clients.get_mut(key) else { return };
            if c.in_len == c.inbuf.len() {
                // Terminated peers cannot get here (frames over MAX_MESSAGE are refused first).
                self.fail(key, ErrorCode::ProtocolError, ParseError::TooLong.message(), "", now);
                return;
            }
            match c.read_some() {
                Ok(0) => {
                    self.to_close.push((key, "peer closed"));
                    break;
                }
                Ok(n) => {
                    c.in_len += n;
                    c.last_rx = now;
                    // Start of the latency hops: when the bytes left the kernel, not the turn start.
                    let read_at = Instant::now();
                    if !self.drain_frames(key, read_at) {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.drain_unterminated(key, now);
                    break;
                }
                Err(_) => {
                    self.to_close.push((key, "read error"));
                    break;
                }
            }
        }
        self.flush_dirty();
    }

    /// Handles every complete frame in the input buffer; false once the client is gone/closing.
    fn drain_frames(&mut self, key: usize, now: Instant) -> bool {
        loop {
            let Some(c) = self.clients.get_mut(key) else { return false };
            if c.state == State::Closing {
                c.in_len = 0; // a closing peer's input is discarded
                return false;
            }
            match next_frame(&c.inbuf[..c.in_len]) {
                Frame::Complete { len, consumed } => {
                    c.terminated = Some(true);
                    c.partial_since = None;
                    self.line[..len].copy_from_slice(&c.inbuf[..len]);
                    c.consume(consumed);
                    self.handle_line(key, len, now);
                }
                Frame::Partial => return true,
                // No terminator yet from a peer that may send none: split at the read pause.
                Frame::Oversized if c.terminated != Some(true) => return true,
                Frame::Oversized => {
                    self.stats.bad_messages += 1;
                    self.fail(
                        key,
                        ErrorCode::ProtocolError,
                        ParseError::TooLong.message(),
                        "Max_Size:1024",
                        now,
                    );
                    return false;
                }
            }
        }
    }

    /// After a read pause: an unterminated peer's bytes are messages (see `frame`).
    fn drain_unterminated(&mut self, key: usize, now: Instant) {
        let grace = Duration::from_millis(self.cfg.unterminated_grace_ms);
        loop {
            let Some(c) = self.clients.get_mut(key) else { return };
            if c.in_len == 0 || c.terminated == Some(true) || c.state == State::Closing {
                return;
            }
            let n = split_unterminated(&c.inbuf[..c.in_len]);
            let complete = codec::parse(&c.inbuf[..n]).is_ok();
            let waited = c.partial_since.is_some_and(|t| now.saturating_duration_since(t) >= grace);
            if !complete && !waited {
                // Possibly the first half of a message split by TCP: give it the grace period.
                c.partial_since.get_or_insert(now);
                return;
            }
            c.terminated = Some(false);
            c.partial_since = None;
            self.line[..n].copy_from_slice(&c.inbuf[..n]);
            c.consume(n);
            self.handle_line(key, n, now);
        }
    }

    fn handle_line(&mut self, key: usize, len: usize, now: Instant) {
        let line = std::mem::take(&mut self.line);
        match codec::parse(&line[..len]) {
            Ok(msg) => self.handle_message(key, msg, now),
            Err(e) => self.bad_input(key, e, &line[..len], now),
        }
        self.line = line;
    }

    fn bad_input(&mut self, key: usize, e: ParseError, raw: &[u8], now: Instant) {
        self.stats.bad_messages += 1;
        let Some(c) = self.clients.get_mut(key) else { return };
        c.bad_in += 1;
        if c.bad_in <= 3 || c.bad_in.is_power_of_two() {
            let sample = String::from_utf8_lossy(&raw[..raw.len().min(80)]);
            warn!(
                "v9 {} ({}): {} [{}], bad #{}: {:?}",
                c.peer,
                c.name,
                e.message(),
                e.field().unwrap_or("-"),
                c.bad_in,
                sample
            );
        }
        let kind = raw.split(|&b| b == b'|').next().unwrap_or(b"");
        let mut details = String::new();
        if let Some(f) = e.field() {
            let _ = write!(details, "Field: {f}");
        } else if e.is_invalid_signal() {
            let _ =
                write!(details, "Action: {}", String::from_utf8_lossy(&kind[..kind.len().min(40)]));
        }
        if e.is_invalid_signal() && c.state == State::Ready {
            self.stats.rejected_signals += 1;
            self.reply_error(key, ErrorCode::InvalidSignal, e.message(), &details);
        } else {
            self.fail(key, ErrorCode::ProtocolError, e.message(), &details, now);
        }
    }

    fn handle_message(&mut self, key: usize, msg: Message<'_>, now: Instant) {
        let Some(c) = self.clients.get_mut(key) else { return };
        c.msgs_in += 1;
        if c.state == State::AwaitConnect && !matches!(msg, Message::Connect(_)) {
            self.stats.bad_messages += 1;
            return self.fail(key, ErrorCode::ProtocolError, "CONNECT expected first", "", now);
        }
        match msg {
            Message::Connect(m) => self.on_connect(key, &m, now),
            Message::Heartbeat { .. } => {
                self.reply.clear();
                encode::heartbeat_ack(
                    &mut self.reply,
                    crate::clock::unix_nanos() / 1_000_000_000,
                    "All_Systems_OK",
                );
                self.send_reply(key);
            }
            Message::Position(p) => c.book.apply_position(&p, now),
            Message::Summary(s) => {
                self.stats.summaries_with_id += s.signal_id.is_some() as u64;
                if let Some(sent) = c.take_sent(s.signal_id) {
                    self.h_to_summary.record(now.saturating_duration_since(sent));
                }
                if let Some(m) = c.book.apply_summary(&s) {
                    warn!("v9 {} ({}): POSITION_SUMMARY disagrees with its accounts: summary (accounts, qty, long, short) = {:?}, accounts say {:?}", c.peer, c.name, m.summary, m.accounts);
                }
            }
            Message::Signal(s) => {
                if c.role != Role::Publisher {
                    self.stats.rejected_signals += 1;
                    return self.reply_error(
                        key,
                        ErrorCode::InvalidSignal,
                        SignalError::NotPublisher.message(),
                        "Role:Publisher required",
                    );
                }
                let (id, receivers) = self.broadcast(&s.signal, now, Origin::Publisher);
                self.reply.clear();
                encode::signal_ack(&mut self.reply, id, receivers);
                self.send_reply(key);
            }
            Message::Error(e) => warn!(
                "v9 {} ({}): peer reported ERROR {} {} {}",
                c.peer, c.name, e.code, e.message, e.details
            ),
            // Server-to-client messages echoed back: harmless, ignored.
            Message::Ready { .. } | Message::HeartbeatAck { .. } | Message::SignalAck { .. } => {
                debug!("v9 {}: ignoring server-side message from client", c.peer)
            }
        }
    }

    fn on_connect(&mut self, key: usize, m: &codec::Connect<'_>, now: Instant) {
        let Some(c) = self.clients.get_mut(key) else { return };
        if let Some(v) = m.meta("Version") {
            if v.split('.').next() != Some("1") {
                return self.fail(
                    key,
                    ErrorCode::VersionMismatch,
                    "Protocol version incompatible",
                    "Server_Version:1.0",
                    now,
                );
            }
        }
        let publisher = m.meta("Role").is_some_and(|r| r.eq_ignore_ascii_case("Publisher"));
        if publisher {
            let allowed = match &self.cfg.publisher_token {
                Some(t) => m
                    .meta("Token")
                    .is_some_and(|given| constant_time_eq(given.as_bytes(), t.as_bytes())),
                None => c.peer.ip().is_loopback(),
            };
            if !allowed {
                // The token itself is never logged.
                warn!(
                    "v9 {}: publisher refused ({})",
                    c.peer,
                    if self.cfg.publisher_token.is_some() {
                        "bad or missing token"
                    } else {
                        "not loopback and no token configured"
                    }
                );
                return self.fail(key, ErrorCode::Unauthorized, "Publisher not allowed", "", now);
            }
        }
        c.name = m.name.into();
        c.accounts = m.account_count.unwrap_or(0);
        c.role = if publisher { Role::Publisher } else { Role::Receiver };
        c.state = State::Ready;
        info!("v9 {}: {} READY as {:?} with {} accounts", c.peer, c.name, c.role, c.accounts);
        self.reply.clear();
        encode::ready(
            &mut self.reply,
            &self.cfg.server_version,
            if publisher { "Publisher" } else { "Receiver" },
        );
        self.send_reply(key);
    }

    /// Numbers, formats once and queues `sig` for every ready receiver; returns (id, receivers).
    /// The bytes leave at the end of the read batch or loop turn ([`V9Server::flush_dirty`]).
    fn broadcast(&mut self, sig: &Signal<'_>, read_at: Instant, origin: Origin) -> (u64, u32) {
        self.next_id += 1;
        let id = self.next_id;
        self.bcast.clear();
        encode::signal(&mut self.bcast, sig, Some(id));
        let flatten_deadline = Instant::now() + Duration::from_millis(self.cfg.flatten_check_ms);
        let mut receivers = 0;
        let queued_at = Instant::now();
        let Some(registry) = self.registry.as_ref() else { return (id, 0) };
        for (key, c) in self.clients.iter_mut() {
            if c.state != State::Ready || c.role != Role::Receiver {
                continue;
            }
            // Peers that send no terminator get none (same bytes otherwise).
            let bytes = if c.terminated == Some(false) {
                &self.bcast[..self.bcast.len() - 1]
            } else {
                &self.bcast[..]
            };
            match c.queue(bytes, self.cfg.max_output_bytes, registry) {
                Sent::Ok => {
                    receivers += 1;
                    c.note_sent(id, queued_at);
                    if !c.dirty {
                        c.dirty = true;
                        self.dirty.push(key);
                    }
                    if sig.action == Action::Flatten {
                        c.book.expect_flat(id, sig.symbol, flatten_deadline);
                    }
                }
                Sent::Overflow => self.to_close.push((key, "overflow")),
                Sent::Failed => self.to_close.push((key, "write error")),
            }
        }
        self.unflushed.push((read_at, origin));
        self.stats.signals += 1;
        (id, receivers)
    }

    /// Writes every client's queued output (one write per client however many messages were
    /// queued), then records the broadcast latencies. Called after each read batch and at the
    /// end of every loop turn; cheap when nothing is queued.
    pub fn flush_dirty(&mut self) {
        if self.dirty.is_empty() && self.unflushed.is_empty() {
            return;
        }
        if let Some(registry) = self.registry.as_ref() {
            for &key in &self.dirty {
                let Some(c) = self.clients.get_mut(key) else { continue };
                c.dirty = false;
                match c.flush(registry) {
                    Ok(()) if c.state == State::Closing && c.queued() == 0 => {
                        self.to_close.push((key, "closed after error"))
                    }
                    Ok(()) => {}
                    Err(_) => self.to_close.push((key, "write error")),
                }
            }
        }
        self.dirty.clear();
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
        self.close_pending();
    }

    fn send_reply(&mut self, key: usize) {
        let (Some(registry), Some(c)) = (self.registry.as_ref(), self.clients.get_mut(key)) else {
            return;
        };
        let bytes = if c.terminated == Some(false) {
            &self.reply[..self.reply.len() - 1]
        } else {
            &self.reply[..]
        };
        match c.queue(bytes, self.cfg.max_output_bytes, registry) {
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

    fn reply_error(&mut self, key: usize, code: ErrorCode, message: &str, details: &str) {
        self.reply.clear();
        encode::error(&mut self.reply, code, message, details);
        self.send_reply(key);
    }

    /// Sends an error and closes once it is flushed.
    fn fail(&mut self, key: usize, code: ErrorCode, message: &str, details: &str, now: Instant) {
        self.reply_error(key, code, message, details);
        let Some(c) = self.clients.get_mut(key) else { return };
        info!("v9 {} ({}): closing: {} {message}", c.peer, c.name, code.as_str());
        c.state = State::Closing;
        c.closing_since = Some(now);
        if c.queued() == 0 && !c.dirty {
            self.to_close.push((key, code.as_str()));
        }
    }

    fn close_pending(&mut self) {
        while let Some((key, why)) = self.to_close.pop() {
            if !self.clients.contains(key) {
                continue;
            }
            let mut c = self.clients.remove(key);
            if why == "overflow" {
                self.stats.overflows += 1;
                warn!(
                    "v9 {} ({}): disconnected: output queue over {} bytes (slow or stuck receiver)",
                    c.peer, c.name, self.cfg.max_output_bytes
                );
                let mut msg = Vec::new();
                encode::error(&mut msg, ErrorCode::Overflow, "Output queue full", "Slow consumer");
                let _ = io::Write::write(&mut c.stream, &msg);
            } else {
                info!(
                    "v9 {} ({}): disconnected: {why} ({} clients)",
                    c.peer,
                    c.name,
                    self.clients.len()
                );
            }
            if let Some(r) = self.registry.as_ref() {
                let _ = r.deregister(&mut c.stream);
            }
        }
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
                    self.to_close.push((key, "close timeout"));
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
                self.drain_unterminated(key, now);
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
        if let Err(e) = signal.validate() {
            self.stats.rejected_signals += 1;
            return Err(e);
        }
        Ok(self.broadcast(signal, read_at, origin).0)
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
                Ok(()) if c.state == State::Closing && c.queued() == 0 => {
                    self.to_close.push((key, "closed after error"))
                }
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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const _: () = assert!(INBUF > 2 * MAX_MESSAGE);
