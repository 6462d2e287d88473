//! `DtcEndpoint`: the I/O shell of one DTC connection on the engine loop (socket ↔ `Connection`).

use super::connection::Connection;
use super::events::{CloseReason, DtcEvent, TransportKind, TransportOp};
use super::framing::RecvBuf;
use super::orders::{ClientOrderId, OrderError, OrderRequest};
use super::snapshot::{DtcSnapshot, DtcStats};
use super::transport::{Progress, Transport};
use super::{DtcConfig, StartError};
use crate::endpoint::{token, Ctx, Endpoint, ReadBudget};
use crate::metrics::LatencyHist;
use mio::{event::Event, Registry, Token};
use std::collections::VecDeque;
use std::io;
use std::time::Instant;

/// Bytes read and handled per loop turn before yielding to the other endpoints.
pub const DEFAULT_READ_BUDGET: usize = 1 << 20;

/// Order events kept for callers (oldest dropped first).
const ORDER_EVENTS_KEPT: usize = 1024;

/// A latency stamp (precise, unlike the turn's `now`): only for histograms and order round trips.
#[inline]
fn latency_stamp() -> Instant {
    Instant::now()
}

/// One named DTC connection as an engine endpoint. Owns the socket and the receive buffer;
/// every protocol decision is the [`Connection`]'s.
#[derive(Debug)]
pub struct DtcEndpoint {
    conn: Connection,
    /// WebSocket request path (`None`: plain TCP).
    ws_path: Option<String>,
    transport: Option<Transport>,
    /// Connected (and upgraded): bytes may be written.
    ready: bool,
    rbuf: RecvBuf,
    token: Token,
    /// Most bytes read per loop turn; a spent budget reads on next turn (the engine's concept).
    budget: ReadBudget,
    /// Output left after a write outside an event (no registry to ask for WRITABLE): the
    /// timeout path registers the interest.
    flush_at: Option<Instant>,
    hist_read: LatencyHist,
    hist_order: LatencyHist,
    order_events: VecDeque<DtcEvent>,
    /// The address of the last connect, so that a failed connect is logged with it.
    target: Option<std::net::SocketAddr>,
}

impl DtcEndpoint {
    /// The endpoint of `[dtc.<name>]`; it connects on its first timeout after registration.
    pub fn new(name: &str, cfg: &DtcConfig) -> Result<DtcEndpoint, StartError> {
        let password = cfg.resolve_password()?;
        // Built before the loop runs, so no turn's `now` exists yet: the start instant (first
        // connect due at once) and the start tag of ClientOrderIDs (wall time and pid).
        let (now, wall_ns) = (Instant::now(), crate::clock::unix_nanos());
        let conn = Connection::new(name, cfg, password, now, wall_ns, std::process::id());
        let ws = cfg.transport == TransportKind::WebSocket;
        Ok(DtcEndpoint {
            ws_path: ws.then(|| cfg.ws_path.clone()),
            transport: None,
            ready: false,
            rbuf: RecvBuf::new(64 * 1024, 1 << 20),
            token: token(0, 0),
            budget: ReadBudget::new(DEFAULT_READ_BUDGET),
            flush_at: None,
            hist_read: LatencyHist::new(format!("{}.read_to_handled", conn.label())),
            hist_order: LatencyHist::new(format!("{}.order_to_first_update", conn.label())),
            order_events: VecDeque::new(),
            target: None,
            conn,
        })
    }

    /// `what`, prefixed with the address being connected to (connect errors name it).
    fn to(&self, what: &dyn std::fmt::Display) -> String {
        match self.target {
            Some(a) => format!("{a}: {what}"),
            None => what.to_string(),
        }
    }

    /// The protocol state (phase, books, counters).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Counters.
    pub fn stats(&self) -> DtcStats {
        self.conn.stats()
    }

    /// Everything about the connection, by value.
    pub fn snapshot(&self) -> DtcSnapshot {
        DtcSnapshot::of(&self.conn)
    }

    /// The oldest order or fill event not yet taken.
    pub fn take_order_event(&mut self) -> Option<DtcEvent> {
        self.order_events.pop_front()
    }

    /// Sends a new order; see [`Connection::submit`].
    pub fn submit(&mut self, r: &OrderRequest, now: Instant) -> Result<ClientOrderId, OrderError> {
        self.act(now, |c, stamp| c.submit(r, stamp))
    }

    /// Runs `f` on the connection (cancel, replace, refresh, ...), then sends what it queued.
    /// `f` gets a latency stamp as its `now`, so answers to orders are timed from here.
    pub fn act<T>(&mut self, now: Instant, f: impl FnOnce(&mut Connection, Instant) -> T) -> T {
        let r = f(&mut self.conn, latency_stamp());
        self.pump(None, now);
        r
    }

    /// Sets the most bytes read per loop turn (at least 1; tests use tiny ones).
    pub fn set_read_budget(&mut self, bytes: usize) {
        self.budget = ReadBudget::new(bytes);
    }

    /// Writes what the connection queued, then acts on its events.
    fn pump(&mut self, registry: Option<&Registry>, now: Instant) {
        self.flush(registry, now);
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                DtcEvent::Connect(addr) => {
                    self.rbuf.clear();
                    self.target = Some(addr);
                    let url = self.ws_path.as_ref().map(|p| format!("ws://{addr}{p}"));
                    let res = match registry {
                        Some(r) => Transport::connect(addr, url, r, self.token),
                        // Connects come from timeouts, which always have the registry.
                        None => Err(io::Error::other("no registry to register the socket")),
                    };
                    match res {
                        Ok(t) => self.transport = Some(t),
                        Err(e) => {
                            let why = CloseReason::transport(TransportOp::Connect, &self.to(&e));
                            self.conn.handle_closed(now, why)
                        }
                    }
                }
                DtcEvent::Close { .. } => {
                    if let Some(t) = self.transport.take() {
                        t.close(registry);
                    }
                    (self.ready, self.flush_at) = (false, None);
                    self.rbuf.clear();
                }
                DtcEvent::LoggedOn => {}
                ev @ (DtcEvent::Order { .. } | DtcEvent::Fill(_)) => {
                    if let DtcEvent::Order { first_update_after: Some(d), .. } = ev {
                        self.hist_order.record(d);
                    }
                    if self.order_events.len() == ORDER_EVENTS_KEPT {
                        self.order_events.pop_front();
                    }
                    self.order_events.push_back(ev);
                }
            }
        }
    }

    fn flush(&mut self, registry: Option<&Registry>, now: Instant) {
        let Some(t) = self.transport.as_mut().filter(|_| self.ready) else { return };
        let out = self.conn.poll_transmit();
        let res = t.write(out).and_then(|()| {
            let want = !out.is_empty() || t.pending();
            match registry {
                Some(r) => t.want_writable(r, self.token, want),
                None => {
                    if want {
                        self.flush_at = Some(now);
                    }
                    Ok(())
                }
            }
        });
        if let Err(e) = res {
            self.conn.handle_closed(now, CloseReason::transport(TransportOp::Write, &e));
        }
    }

    /// Reads and handles what is available, at most its budget per loop turn, so one busy
    /// server cannot starve the loop (a spent budget reads on next turn).
    fn on_readable(&mut self, ctx: &mut Ctx<'_>) {
        while let Some(t) = self.transport.as_mut() {
            let Some(room) = self.budget.next_read(ctx.reads, self.token) else { break };
            let got = t.read(&mut self.rbuf, room);
            let t_read = latency_stamp();
            let hist = &mut self.hist_read;
            self.conn.handle_frames(&mut self.rbuf, ctx.now, ctx.market, || {
                hist.record(t_read.elapsed())
            });
            match got {
                Ok(0) => break,
                Ok(n) => self.budget.spend(n),
                Err(e) => {
                    self.conn.handle_closed(ctx.now, CloseReason::transport(TransportOp::Read, &e));
                    break;
                }
            }
            if !self.conn.phase().is_open() {
                break;
            }
        }
        self.pump(Some(ctx.registry), ctx.now);
    }

    /// Drives the connect and the WebSocket upgrade; true once bytes may flow.
    fn progress(&mut self, event: &Event, now: Instant) -> bool {
        let Some(t) = self.transport.as_mut() else { return false };
        match t.progress() {
            Ok(Progress::Ready) => {
                self.ready = true;
                let kind = if t.is_ws() { TransportKind::WebSocket } else { TransportKind::Tcp };
                self.conn.handle_transport_ready(kind, now);
                true
            }
            Ok(Progress::Pending) => {
                if t.is_ws() {
                    self.conn.handle_handshake_started(now);
                }
                if event.is_error() || event.is_read_closed() {
                    self.conn.handle_closed(
                        now,
                        CloseReason::transport(TransportOp::Connect, &self.to(&"connect failed")),
                    );
                }
                false
            }
            Err(e) => {
                let why = CloseReason::transport(TransportOp::Connect, &self.to(&e));
                self.conn.handle_closed(now, why);
                false
            }
        }
    }
}

impl Endpoint for DtcEndpoint {
    fn name(&self) -> &str {
        self.conn.label()
    }

    fn register(&mut self, _registry: &Registry, base: usize, _now: Instant) -> io::Result<()> {
        // The first connect happens on the first timeout (its deadline is the creation time).
        self.token = token(base, 0);
        Ok(())
    }

    fn handle_event(&mut self, sub: usize, event: &Event, ctx: &mut Ctx<'_>) {
        if sub != 0 || self.transport.is_none() {
            return;
        }
        if !self.ready && !self.progress(event, ctx.now) {
            self.pump(Some(ctx.registry), ctx.now);
            return;
        }
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            self.on_readable(ctx);
        } else {
            self.pump(Some(ctx.registry), ctx.now);
        }
    }

    fn read_on(&mut self, sub: usize, ctx: &mut Ctx<'_>) {
        // Only a transport that was reading can have spent its budget.
        if sub == 0 && self.ready && self.transport.is_some() {
            self.on_readable(ctx);
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        match self.flush_at.filter(|_| self.transport.is_some()) {
            Some(t) => Some(t),
            None => self.conn.poll_timeout(),
        }
    }

    fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
        self.flush_at = None;
        self.conn.handle_timeout(ctx.now, ctx.wall_ns);
        self.pump(Some(ctx.registry), ctx.now);
    }

    fn histograms(&self) -> Vec<&LatencyHist> {
        vec![&self.hist_read, &self.hist_order]
    }

    fn reset_histograms(&mut self) {
        self.hist_read.reset();
        self.hist_order.reset();
    }

    fn command(&mut self, cmd: &str, ctx: &mut Ctx<'_>) -> Option<Result<String, String>> {
        // Commands from the engine handle come from programs: automated orders.
        let r = super::commands::run(&mut self.conn, cmd, true, latency_stamp());
        self.pump(Some(ctx.registry), ctx.now);
        r
    }

    fn shutdown(&mut self, now: Instant) {
        self.conn.shutdown();
        self.pump(None, now);
    }
}
