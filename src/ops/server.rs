//! The ops thread: one mio loop serving HTTP/1.1, server-sent events and WebSockets.
//!
//! Bounded everywhere: connections (`[ops] max_connections`), header bytes (16 KiB), bodies
//! (`[ops] max_body_bytes`, 413 before the body is read), and each streaming client's output
//! (`[ops] max_client_queue_bytes`): a streaming client that is not keeping up gets only the
//! newest state once it drains (conflated), and is dropped when its queue passes the bound or
//! stays unread for [`STUCK`]. Nothing here blocks: requests that need the engine are calls
//! whose answers come back over a channel, and the connection waits in [`Mode::Waiting`].

use super::http;
use super::link::Shared;
use super::routes::Pending;
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
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const LISTENER: Token = Token(0);
const WAKE: Token = Token(1);
pub(crate) const FIRST_CONN: usize = 2;
/// Longest poll: deadlines are checked at least this often.
const TICK: Duration = Duration::from_millis(100);
/// A keep-alive connection idle this long is closed.
pub(crate) const IDLE: Duration = Duration::from_secs(60);
/// A request must arrive whole within this.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A streaming client whose output has not drained for this long is dropped.
pub(crate) const STUCK: Duration = Duration::from_secs(10);
/// How long a refused request's connection keeps reading (and discarding) before it closes, so
/// the client reads our answer instead of a reset.
pub(crate) const DRAIN: Duration = Duration::from_secs(2);
/// Least time between two dashboard pushes.
pub(crate) const LIVE_EVERY: Duration = Duration::from_millis(250);
/// Kernel send buffer of a streaming client (the kernel would otherwise autotune it to MiBs, and
/// a client that stops reading would reach our own bound only after minutes).
pub(crate) const STREAM_SNDBUF: usize = 64 * 1024;

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
    pub(crate) stream: TcpStream,
    pub(crate) gen: u64,
    pub(crate) inbuf: Vec<u8>,
    pub(crate) out: Vec<u8>,
    pub(crate) out_pos: usize,
    pub(crate) mode: Mode,
    pub(crate) last_active: Instant,
    pub(crate) request_started: Option<Instant>,
    pub(crate) stuck_since: Option<Instant>,
    pub(crate) close_after: bool,
    pub(crate) writable: bool,
    pub(crate) throttled: bool,
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
    pub(crate) poll: Poll,
    pub(crate) listener: TcpListener,
    pub(crate) conns: Slab<Conn>,
    pub(crate) next_gen: u64,
    pub(crate) handle: EngineHandle,
    pub(crate) snaps: Receiver<Box<Snapshot>>,
    pub(crate) back: Sender<Box<Snapshot>>,
    pub(crate) reply_tx: Sender<Reply>,
    pub(crate) reply_rx: Receiver<Reply>,
    pub(crate) view: View,
    pub(crate) shared: Option<Arc<Shared>>,
    pub(crate) stats: ServerStats,
    pub(crate) market: super::market_ws::MarketFeed,
    pub(crate) live: Vec<u8>,
    pub(crate) live_at: Option<Instant>,
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
pub(crate) fn cap_send_buffer(s: &TcpStream, bytes: usize) {
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
