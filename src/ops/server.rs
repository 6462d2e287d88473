//! The ops thread: one mio loop serving HTTP/1.1, server-sent events and WebSockets.
//!
//! Bounded everywhere: connections (`[ops] max_connections`), header bytes (16 KiB), bodies
//! (`[ops] max_body_bytes`, 413 before the body is read), and each streaming client's output
//! (`[ops] max_client_queue_bytes`): a streaming client that is not keeping up gets only the
//! newest state once it drains (conflated), and is dropped when its queue passes the bound or
//! stays unread for [`STUCK`]. Nothing here blocks: requests that need the engine are calls
//! whose answers come back over a channel, and the connection waits in [`Mode::Waiting`].

use super::http::{self, Parsed};
use super::link::Shared;
use super::routes::{Outcome, Pending};
use super::snapshot::Snapshot;
use super::view::View;
use super::OpsConfig;
use crate::config::Config;
use crate::engine::EngineHandle;
use crossbeam_channel::{Receiver, Sender};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};
use serde::Serialize;
use slab::Slab;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const LISTENER: Token = Token(0);
const WAKE: Token = Token(1);
const FIRST_CONN: usize = 2;
/// Longest poll: deadlines are checked at least this often.
const TICK: Duration = Duration::from_millis(100);
/// A keep-alive connection idle this long is closed.
const IDLE: Duration = Duration::from_secs(60);
/// A request must arrive whole within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A streaming client whose output has not drained for this long is dropped.
pub(crate) const STUCK: Duration = Duration::from_secs(10);
/// How long a refused request's connection keeps reading (and discarding) before it closes, so
/// the client reads our answer instead of a reset.
const DRAIN: Duration = Duration::from_secs(2);
/// Least time between two dashboard pushes.
const LIVE_EVERY: Duration = Duration::from_millis(250);
/// Kernel send buffer of a streaming client (the kernel would otherwise autotune it to MiBs, and
/// a client that stops reading would reach our own bound only after minutes).
const STREAM_SNDBUF: usize = 64 * 1024;

/// An answer from the engine loop to a call the ops thread made.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The connection that waits.
    pub key: usize,
    /// Its generation (slab keys are reused).
    pub gen: u64,
    /// The answer.
    pub body: super::routes::ReplyBody,
}

/// What the ops thread itself counts.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub(crate) struct ServerStats {
    /// Connections accepted.
    pub connections: u64,
    /// Connections refused (over `max_connections`).
    pub refused: u64,
    /// Requests answered.
    pub requests: u64,
    /// Answers with a 4xx status.
    pub client_errors: u64,
    /// Answers with a 5xx status.
    pub server_errors: u64,
    /// Streaming clients dropped for not reading (slow consumers).
    pub dropped_slow: u64,
    /// Pushes replaced by a newer one while a client was behind.
    pub conflated: u64,
    /// WebSocket messages received.
    pub ws_messages: u64,
}

/// How a connection is being used.
pub(crate) enum Mode {
    /// Request/response.
    Http,
    /// A request waits for the engine (a call's answer or a later snapshot).
    Waiting(Pending),
    /// `/api/v1/events`: the dashboard's live stream; `dirty` = a newer push is due.
    Sse {
        /// A push was skipped while the client was behind.
        dirty: bool,
    },
    /// `/api/v1/marketdata`.
    Ws(Box<super::market_ws::WsClient>),
    /// Answered and half-closed: input is read and discarded until the deadline.
    Draining(Instant),
}

/// One client connection.
pub(crate) struct Conn {
    stream: TcpStream,
    pub(crate) gen: u64,
    inbuf: Vec<u8>,
    pub(crate) out: Vec<u8>,
    out_pos: usize,
    pub(crate) mode: Mode,
    last_active: Instant,
    request_started: Option<Instant>,
    stuck_since: Option<Instant>,
    close_after: bool,
    writable: bool,
    throttled: bool,
}

impl Conn {
    /// Output bytes not yet written.
    pub(crate) fn pending(&self) -> usize {
        self.out.len() - self.out_pos
    }
}

/// The ops thread's state.
pub(crate) struct Server {
    pub(crate) cfg: OpsConfig,
    poll: Poll,
    listener: TcpListener,
    pub(crate) conns: Slab<Conn>,
    next_gen: u64,
    pub(crate) handle: EngineHandle,
    snaps: Receiver<Box<Snapshot>>,
    back: Sender<Box<Snapshot>>,
    pub(crate) reply_tx: Sender<Reply>,
    reply_rx: Receiver<Reply>,
    pub(crate) view: View,
    pub(crate) shared: Option<Arc<Shared>>,
    pub(crate) stats: ServerStats,
    pub(crate) market: super::market_ws::MarketFeed,
    live: Vec<u8>,
    live_at: Option<Instant>,
}

impl Server {
    /// Binds the listener; returns the server (to run on its thread), its waker and address.
    pub(crate) fn bind(
        listen: SocketAddr,
        cfg: &Config,
        handle: EngineHandle,
        snaps: Receiver<Box<Snapshot>>,
        back: Sender<Box<Snapshot>>,
    ) -> io::Result<(Server, Waker, SocketAddr)> {
        let named = |e: io::Error| io::Error::new(e.kind(), format!("ops listen {listen}: {e}"));
        let mut listener = TcpListener::bind(listen).map_err(named)?;
        let addr = listener.local_addr()?;
        let poll = Poll::new()?;
        poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
        let waker = Waker::new(poll.registry(), WAKE)?;
        let (reply_tx, reply_rx) = crossbeam_channel::bounded(1024);
        let server = Server {
            cfg: cfg.ops.clone(),
            poll,
            listener,
            conns: Slab::with_capacity(cfg.ops.max_connections),
            next_gen: 0,
            handle,
            snaps,
            back,
            reply_tx,
            reply_rx,
            view: View::default(),
            shared: None,
            stats: ServerStats::default(),
            market: Default::default(),
            live: Vec::new(),
            live_at: None,
        };
        Ok((server, waker, addr))
    }

    /// Serves until the link asks it to stop.
    pub(crate) fn run(mut self, shared: Arc<Shared>) {
        self.shared = Some(shared.clone());
        let mut events = Events::with_capacity(256);
        while !shared.stop.load(Ordering::SeqCst) {
            if let Err(e) = self.poll.poll(&mut events, Some(TICK)) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                log::warn!("ops: poll failed: {e}; the operator surface stops");
                return;
            }
            for ev in events.iter() {
                match ev.token() {
                    LISTENER => self.accept(),
                    WAKE => {}
                    Token(t) => self.on_event(t - FIRST_CONN, ev),
                }
            }
            self.drain_channels();
            self.tick(Instant::now());
        }
    }

    fn drain_channels(&mut self) {
        let mut newest = None;
        while let Ok(s) = self.snaps.try_recv() {
            // Each snapshot carries the signals since the one before: list them all, even
            // from a snapshot whose state is superseded at once.
            self.view.take_events(&s);
            if let Some(old) = newest.replace(s) {
                let _ = self.back.try_send(old);
            }
        }
        if let Some(s) = newest {
            let now = Instant::now();
            let old = self.view.replace(s, now);
            let _ = self.back.try_send(old);
            self.on_snapshot(now);
        }
        while let Ok(r) = self.reply_rx.try_recv() {
            self.on_reply(r);
        }
    }

    fn on_snapshot(&mut self, now: Instant) {
        self.market_updates();
        let keys: Vec<usize> = self.waiting_keys();
        for key in keys {
            self.try_resolve(key, now);
        }
        if self.live_at.is_none_or(|t| now.saturating_duration_since(t) >= LIVE_EVERY) {
            self.push_live(now);
        }
    }

    fn waiting_keys(&self) -> Vec<usize> {
        self.conns
            .iter()
            .filter(|(_, c)| matches!(c.mode, Mode::Waiting(_)))
            .map(|(k, _)| k)
            .collect()
    }

    fn accept(&mut self) {
        loop {
            let (mut stream, _peer) = match self.listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // EMFILE and the like: the listener stays usable; try again on the next event.
                Err(e) => {
                    log::warn!("ops: accept failed: {e}");
                    return;
                }
            };
            if self.conns.len() >= self.cfg.max_connections {
                self.stats.refused += 1;
                let mut msg = Vec::new();
                http::respond(
                    &mut msg,
                    503,
                    http::JSON,
                    &http::error_body("too many connections"),
                    true,
                );
                let _ = stream.write(&msg);
                continue;
            }
            let _ = stream.set_nodelay(true);
            let entry = self.conns.vacant_entry();
            let token = Token(entry.key() + FIRST_CONN);
            if let Err(e) = self.poll.registry().register(&mut stream, token, Interest::READABLE) {
                log::warn!("ops: cannot register a connection: {e}");
                continue;
            }
            self.next_gen += 1;
            let now = Instant::now();
            entry.insert(Conn {
                stream,
                gen: self.next_gen,
                inbuf: Vec::new(),
                out: Vec::new(),
                out_pos: 0,
                mode: Mode::Http,
                last_active: now,
                request_started: None,
                stuck_since: None,
                close_after: false,
                writable: false,
                throttled: false,
            });
            self.stats.connections += 1;
        }
    }

    fn on_event(&mut self, key: usize, ev: &mio::event::Event) {
        if !self.conns.contains(key) {
            return; // closed earlier in this batch
        }
        if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
            loop {
                match self.read(key) {
                    Ok(eof) => {
                        self.process(key);
                        if eof && self.conns.get(key).is_some_and(|c| c.pending() == 0) {
                            return self.close(key);
                        }
                    }
                    Err(_) => return self.close(key),
                }
                // Edge-triggered: a read stopped early (full inbox) must go on by itself.
                match self.conns.get_mut(key) {
                    Some(c) if c.throttled => c.throttled = false,
                    _ => break,
                }
            }
        }
        if ev.is_writable() {
            self.flush(key);
        }
    }

    /// Reads what the socket has (bounded); Ok(true) at EOF.
    fn read(&mut self, key: usize) -> io::Result<bool> {
        let cap = http::MAX_HEADER_BYTES + self.cfg.max_body_bytes;
        let Some(c) = self.conns.get_mut(key) else { return Ok(true) };
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let room = match c.mode {
                // Discarded anyway; and a WebSocket client's frames are bounded by tungstenite.
                Mode::Draining(_) | Mode::Sse { .. } | Mode::Ws(_) => chunk.len(),
                _ => chunk.len().min(cap.saturating_sub(c.inbuf.len())),
            };
            if room == 0 {
                return Ok(false); // full: the parser answers 431 or 413
            }
            match c.stream.read(&mut chunk[..room]) {
                Ok(0) => return Ok(true),
                Ok(n) => {
                    c.last_active = Instant::now();
                    match &mut c.mode {
                        Mode::Draining(_) | Mode::Sse { .. } => {} // nothing more is asked
                        Mode::Ws(ws) => {
                            ws.received(&chunk[..n]);
                            if ws.inbox_full() {
                                c.throttled = true;
                                return Ok(false); // handled first, then read on
                            }
                        }
                        _ => {
                            if c.inbuf.is_empty() {
                                c.request_started = Some(c.last_active);
                            }
                            c.inbuf.extend_from_slice(&chunk[..n]);
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Handles whatever complete requests (or WebSocket messages) the input holds.
    fn process(&mut self, key: usize) {
        loop {
            let Some(c) = self.conns.get_mut(key) else { return };
            match c.mode {
                Mode::Http => {}
                Mode::Ws(_) => return self.ws_process(key),
                _ => return,
            }
            let buf = std::mem::take(&mut c.inbuf);
            let (outcome, used, close) = match http::parse(&buf, self.cfg.max_body_bytes) {
                Parsed::Partial => {
                    if let Some(c) = self.conns.get_mut(key) {
                        c.inbuf = buf;
                    }
                    return;
                }
                Parsed::Refuse(status, why) => {
                    (Outcome::json(status, http::error_body(why)), buf.len(), true)
                }
                Parsed::Complete(req, used) => {
                    self.stats.requests += 1;
                    let close = req.close;
                    (self.route(key, &req), used, close)
                }
            };
            let Some(c) = self.conns.get_mut(key) else { return };
            let mut buf = buf;
            buf.drain(..used.min(buf.len()));
            c.request_started = (!buf.is_empty()).then(Instant::now);
            c.inbuf = buf;
            self.apply(key, outcome, close);
        }
    }

    /// Carries out a route's outcome on connection `key`.
    pub(crate) fn apply(&mut self, key: usize, outcome: Outcome, close: bool) {
        let Some(c) = self.conns.get_mut(key) else { return };
        match outcome {
            Outcome::Reply { status, ctype, body } => {
                match status {
                    400..=499 => self.stats.client_errors += 1,
                    500..=599 => self.stats.server_errors += 1,
                    _ => {}
                }
                let refused = matches!(status, 400 | 411 | 413 | 431);
                let close = close || refused;
                http::respond(&mut c.out, status, ctype, &body, close);
                c.close_after = close;
                if matches!(c.mode, Mode::Waiting(_)) {
                    c.mode = Mode::Http;
                }
            }
            Outcome::Wait(p) => c.mode = Mode::Waiting(p),
            Outcome::Sse => {
                cap_send_buffer(&c.stream, STREAM_SNDBUF);
                http::sse_head(&mut c.out);
                c.mode = Mode::Sse { dirty: true };
                c.inbuf.clear();
            }
            Outcome::Ws { key: ws_key } => {
                cap_send_buffer(&c.stream, STREAM_SNDBUF);
                http::ws_accept(&mut c.out, &ws_key);
                let leftover = std::mem::take(&mut c.inbuf);
                let mut ws = super::market_ws::WsClient::new();
                ws.received(&leftover);
                c.mode = Mode::Ws(Box::new(ws));
            }
        }
        self.flush(key);
        // An SSE client gets the current state at once.
        if matches!(self.conns.get(key).map(|c| &c.mode), Some(Mode::Sse { .. })) {
            self.live_to(key);
        }
        if matches!(self.conns.get(key).map(|c| &c.mode), Some(Mode::Http)) {
            self.process(key); // pipelined requests behind this one
        }
    }

    /// Writes queued output; keeps WRITABLE interest only while some is left.
    pub(crate) fn flush(&mut self, key: usize) {
        let Some(c) = self.conns.get_mut(key) else { return };
        while c.out_pos < c.out.len() {
            match c.stream.write(&c.out[c.out_pos..]) {
                Ok(0) => return self.close(key),
                Ok(n) => c.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return self.close(key),
            }
        }
        let drained = c.out_pos == c.out.len();
        if drained {
            c.out.clear();
            c.out_pos = 0;
            c.stuck_since = None;
        } else if c.out_pos > 64 * 1024 {
            c.out.drain(..c.out_pos);
            c.out_pos = 0;
        }
        if !drained {
            c.stuck_since.get_or_insert_with(Instant::now);
        }
        let want = !drained;
        if want != c.writable {
            let interest =
                if want { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
            let token = Token(key + FIRST_CONN);
            if self.poll.registry().reregister(&mut c.stream, token, interest).is_err() {
                return self.close(key);
            }
            c.writable = want;
        }
        if !drained {
            return;
        }
        if c.close_after {
            c.close_after = false;
            let _ = c.stream.shutdown(std::net::Shutdown::Write);
            c.mode = Mode::Draining(Instant::now() + DRAIN);
            c.inbuf = Vec::new();
            return;
        }
        match &c.mode {
            Mode::Sse { dirty: true } => self.live_to(key),
            Mode::Ws(_) => self.ws_drained(key),
            _ => {}
        }
    }

    pub(crate) fn close(&mut self, key: usize) {
        if let Some(mut c) = self.conns.try_remove(key) {
            let _ = self.poll.registry().deregister(&mut c.stream);
        }
    }

    /// Drops a streaming client that is not keeping up.
    pub(crate) fn drop_slow(&mut self, key: usize) {
        self.stats.dropped_slow += 1;
        self.close(key);
    }

    fn tick(&mut self, now: Instant) {
        let mut expired = Vec::new();
        let mut waiting = Vec::new();
        for (k, c) in self.conns.iter() {
            let idle = now.saturating_duration_since(c.last_active);
            let slow_request = c
                .request_started
                .is_some_and(|t| now.saturating_duration_since(t) > REQUEST_TIMEOUT);
            let stuck = c.stuck_since.is_some_and(|t| now.saturating_duration_since(t) > STUCK);
            let gone = match &c.mode {
                Mode::Http => slow_request || (idle > IDLE && c.pending() == 0) || stuck,
                Mode::Draining(until) => now >= *until,
                Mode::Waiting(p) => {
                    if now >= p.deadline {
                        waiting.push(k);
                    }
                    false
                }
                Mode::Sse { .. } | Mode::Ws(_) => stuck,
            };
            if gone {
                expired.push((k, stuck));
            }
        }
        for (k, stuck) in expired {
            if stuck {
                self.drop_slow(k);
            } else {
                self.close(k);
            }
        }
        for k in waiting {
            self.timeout_pending(k);
        }
        if self.live_at.is_some_and(|t| now.saturating_duration_since(t) >= Duration::from_secs(1))
        {
            self.push_live(now); // keeps SSE clients' connections warm when nothing changes
        }
    }

    /// Renders the dashboard state once and sends it to every SSE client that keeps up.
    fn push_live(&mut self, now: Instant) {
        self.live_at = Some(now);
        let has_sse = self.conns.iter().any(|(_, c)| matches!(c.mode, Mode::Sse { .. }));
        if !has_sse {
            return;
        }
        self.live.clear();
        self.live.extend_from_slice(b"data: ");
        let state = self.state_json();
        self.live.extend_from_slice(&state);
        self.live.extend_from_slice(b"\n\n");
        let keys: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(c.mode, Mode::Sse { .. }))
            .map(|(k, _)| k)
            .collect();
        for k in keys {
            self.live_to(k);
        }
    }

    /// The latest push to one SSE client, or marks it dirty while it is behind.
    fn live_to(&mut self, key: usize) {
        if self.live.is_empty() {
            self.live.extend_from_slice(b"data: ");
            let state = self.state_json();
            self.live.extend_from_slice(&state);
            self.live.extend_from_slice(b"\n\n");
        }
        let max = self.cfg.max_client_queue_bytes;
        let Some(c) = self.conns.get_mut(key) else { return };
        let Mode::Sse { dirty } = &mut c.mode else { return };
        if c.out.len() - c.out_pos > 0 {
            if !*dirty {
                self.stats.conflated += 1;
            }
            *dirty = true;
            if c.out.len() - c.out_pos > max {
                self.drop_slow(key);
            }
            return;
        }
        *dirty = false;
        c.out.extend_from_slice(&self.live);
        self.flush(key);
    }

    fn on_reply(&mut self, r: Reply) {
        if self
            .conns
            .get(r.key)
            .is_some_and(|c| c.gen == r.gen && matches!(c.mode, Mode::Waiting(_)))
        {
            self.reply_arrived(r.key, r.body, Instant::now());
        }
    }

    /// Sends `f` to the engine loop; its result comes back as a [`Reply`] for `key`.
    pub(crate) fn call_engine<F>(&self, key: usize, f: F) -> Result<(), String>
    where
        F: FnOnce(
                &mut crate::engine::Endpoints,
                &mut crate::engine::CallCtx<'_>,
            ) -> super::routes::ReplyBody
            + Send
            + 'static,
    {
        let gen = self.conns.get(key).map_or(0, |c| c.gen);
        let tx = self.reply_tx.clone();
        let shared = self.shared.clone();
        let r = self.handle.call(
            move |eps, c| {
                let body = f(eps, c);
                if tx.try_send(Reply { key, gen, body }).is_ok() {
                    if let Some(s) = shared {
                        let _ = s.waker.wake();
                    }
                }
            },
            Duration::ZERO,
        );
        match r {
            // The call was queued; its answer comes over the reply channel.
            Ok(()) | Err(crate::engine::CallError::Timeout) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Milliseconds since the loop last ran the ops timer (None before the first run).
    pub(crate) fn loop_age(&self) -> Option<Duration> {
        let s = self.shared.as_ref()?;
        let at = s.heartbeat_ns.load(Ordering::Relaxed);
        if at == 0 {
            return None;
        }
        let now = s.epoch.elapsed().as_nanos() as u64;
        Some(Duration::from_nanos(now.saturating_sub(at)))
    }
}

/// Caps the kernel's send buffer of `s` (Unix; elsewhere the OS default stays).
fn cap_send_buffer(s: &TcpStream, bytes: usize) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let v = bytes as libc::c_int;
        let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: setsockopt reads `len` bytes from `&v`, an int on our stack; the descriptor is
        // open for as long as `s` lives, and we hold it.
        let r = unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&v as *const libc::c_int).cast(),
                len,
            )
        };
        if r != 0 {
            log::debug!("ops: cannot set SO_SNDBUF: {}", io::Error::last_os_error());
        }
    }
    #[cfg(not(unix))]
    let _ = (s, bytes);
}
