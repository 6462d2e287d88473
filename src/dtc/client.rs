//! `DtcClient`: one named DTC connection as an engine endpoint (I/O shell around the pure parts).

use super::book::{SessionStats, SymbolTable, TradingBook};
use super::framing::RecvBuf;
use super::messages::*;
use super::session::{Phase, Session, TimerAction};
use super::transport::{Progress, Transport};
use super::types::consts::*;
use super::types::{self, Encoding, FStr, PROTOCOL_VERSION};
use super::{Codec, DtcConfig};
use crate::endpoint::{token, Ctx, Endpoint};
use crate::metrics::LatencyHist;
use mio::{event::Event, Registry};
use std::io;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Bytes read and handled per readiness event or timeout before yielding to the other endpoints.
const READ_BUDGET: usize = 1 << 20;

/// How long to wait for security definitions before subscribing with multiplier 1.
const SECDEF_WAIT: Duration = Duration::from_secs(5);

/// Best bid and best ask levels `(price, quantity)` of a depth book.
pub type TopOfBook = (Option<(f64, f64)>, Option<(f64, f64)>);

/// Counters for the periodic report.
#[derive(Debug, Default, Clone, Copy)]
pub struct DtcStats {
    /// Messages decoded.
    pub messages: u64,
    /// Market-data messages applied.
    pub market_data: u64,
    /// Messages skipped as undecodable.
    pub bad: u64,
    /// Connections reset because the stream could not be framed.
    pub resets: u64,
    /// Heartbeats received.
    pub heartbeats: u64,
}

/// A DTC client connection driven by the engine's mio loop.
pub struct DtcClient {
    pub(super) short: String,
    pub(super) label: String,
    pub(super) cfg: DtcConfig,
    pub(super) password: Option<String>,
    pub(super) requested: Encoding,
    pub(super) codec: Codec,
    pub(super) registry: Option<Registry>,
    pub(super) base: usize,
    pub(super) transport: Option<Transport>,
    pub(super) session: Session,
    pub(super) addr_override: Option<String>,
    /// Redirects followed since the last successful logon.
    pub(super) redirects: u32,
    pub(super) rbuf: RecvBuf,
    pub(super) out: Vec<u8>,
    pub(super) symbols: SymbolTable,
    pub(super) book: TradingBook,
    pub(super) next_request_id: i32,
    pub(super) outstanding: Vec<i32>,
    pub(super) order_seq: u64,
    pub(super) session_tag: u64,
    pub(super) pending_orders: Vec<(FStr<32>, Instant)>,
    pub(super) hist_read: LatencyHist,
    pub(super) hist_order: LatencyHist,
    pub(super) stats: DtcStats,
    pub(super) server_name: String,
    pub(super) trading_supported: bool,
    pub(super) resubscribe_on_feed: bool,
    pub(super) bracket_supported: bool,
    pub(super) secdefs_supported: bool,
    /// Subscribe symbols still without a security definition at this instant.
    pub(super) secdef_deadline: Option<Instant>,
    pub(super) last_error: Option<String>,
    /// Bytes handled per turn before yielding (see [`READ_BUDGET`]).
    pub(super) read_budget: usize,
    /// The budget ran out with data possibly still buffered in the socket: mio is
    /// edge-triggered, so no new event will come for it; the timeout path reads on.
    pub(super) read_more_at: Option<Instant>,
}

fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

impl DtcClient {
    /// A client for `[dtc.<name>]`; nothing happens until [`Endpoint::register`].
    pub fn new(name: &str, cfg: &DtcConfig) -> DtcClient {
        let now = Instant::now();
        let requested = Encoding::parse(&cfg.encoding).unwrap_or_else(|| {
            log::warn!("dtc.{name}: unknown encoding {:?}, using binary", cfg.encoding);
            Encoding::Binary
        });
        let tag = unix_now().as_secs();
        let seed = unix_now().as_nanos() as u64 ^ (name.len() as u64) << 32;
        DtcClient {
            short: name.to_string(),
            label: format!("dtc.{name}"),
            password: cfg.resolve_password(),
            requested,
            codec: Codec {
                max_binary: cfg.max_binary_message.clamp(64, types::MAX_BINARY_SIZE),
                ..Codec::new(Encoding::Binary, cfg.compact_sierra_order)
            },
            registry: None,
            base: 0,
            transport: None,
            session: Session::new(
                Duration::from_secs(cfg.heartbeat_s.max(1) as u64),
                Duration::from_millis(cfg.reconnect_min_ms),
                Duration::from_millis(cfg.reconnect_max_ms),
                seed,
                now,
            ),
            addr_override: None,
            redirects: 0,
            rbuf: RecvBuf::new(64 * 1024, 1 << 20),
            out: Vec::with_capacity(4096),
            symbols: SymbolTable::new(&cfg.symbols, &cfg.market_symbols),
            book: TradingBook::default(),
            next_request_id: 1,
            outstanding: Vec::new(),
            order_seq: 0,
            session_tag: tag,
            pending_orders: Vec::new(),
            hist_read: LatencyHist::new(format!("dtc.{name}.read_to_handled")),
            hist_order: LatencyHist::new(format!("dtc.{name}.order_to_first_update")),
            stats: DtcStats::default(),
            server_name: String::new(),
            trading_supported: false,
            resubscribe_on_feed: false,
            bracket_supported: false,
            secdefs_supported: false,
            secdef_deadline: None,
            last_error: None,
            read_budget: READ_BUDGET,
            read_more_at: None,
            cfg: cfg.clone(),
        }
    }

    /// Current phase.
    pub fn phase(&self) -> Phase {
        self.session.phase
    }

    /// Logged on and ready.
    pub fn is_logged_on(&self) -> bool {
        self.session.phase == Phase::LoggedOn
    }

    /// All requests sent after logon (accounts, balances, positions, orders, fills) answered.
    pub fn synced(&self) -> bool {
        self.is_logged_on() && self.outstanding.is_empty()
    }

    /// The encoding in use.
    pub fn encoding(&self) -> Encoding {
        self.codec.encoding
    }

    /// The last logon/connection error, if any.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// Counters.
    pub fn stats(&self) -> DtcStats {
        self.stats
    }

    /// Reconnects so far.
    pub fn reconnects(&self) -> u64 {
        self.session.reconnects
    }

    /// Symbols whose market data the server rejected, with its text.
    pub fn rejected_symbols(&self) -> Vec<(String, String)> {
        self.symbols
            .list
            .iter()
            .filter_map(|s| s.rejected.clone().map(|r| (s.name.clone(), r)))
            .collect()
    }

    /// DisplayPriceMultiplier of a symbol (1 until its definition arrived).
    pub fn multiplier(&self, symbol: &str) -> Option<f64> {
        self.symbols.list.iter().find(|s| s.name == symbol).map(|s| s.scale.mult)
    }

    /// Best bid/ask from the depth book of a symbol.
    pub fn depth_top(&self, symbol: &str) -> Option<TopOfBook> {
        let s = self.symbols.list.iter().find(|s| s.name == symbol)?;
        Some((s.depth.bids.first().copied(), s.depth.asks.first().copied()))
    }

    /// Orders sent that have not had their first ORDER_UPDATE yet.
    pub fn awaiting_order_updates(&self) -> bool {
        !self.pending_orders.is_empty()
    }

    /// The order/position book.
    pub fn trading_book(&self) -> &TradingBook {
        &self.book
    }

    fn connect_addr(&self) -> &str {
        self.addr_override.as_deref().unwrap_or(&self.cfg.addr)
    }

    /// The address to connect to: literals only, so no DNS lookup ever blocks the pinned loop.
    fn target_addr(&self) -> io::Result<SocketAddr> {
        let a = self.addr_override.as_deref().unwrap_or(&self.cfg.addr);
        SocketAddr::from_str(a).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("not an IP:port literal: {a:?}"))
        })
    }

    fn connect(&mut self, now: Instant) {
        let Some(registry) = &self.registry else { return };
        let is_ws = self.cfg.transport.eq_ignore_ascii_case("ws");
        let res = self.target_addr().and_then(|addr| {
            let url = is_ws.then(|| format!("ws://{addr}{}", self.cfg.ws_path));
            Transport::connect(addr, url, registry, token(self.base, 0))
        });
        self.rbuf.clear();
        self.out.clear();
        self.codec.encoding = Encoding::Binary;
        match res {
            Ok(t) => {
                log::debug!("{}: connecting to {}", self.label, self.connect_addr());
                self.transport = Some(t);
                self.session.connecting(now);
            }
            Err(e) => {
                self.last_error = Some(format!("connect: {e}"));
                let d = self.session.closed(now, true, false);
                log::warn!(
                    "{}: connect to {} failed: {e}; retry in {:?}",
                    self.label,
                    self.connect_addr(),
                    d.unwrap_or_default()
                );
                // A redirect target that cannot be reached is not retried.
                self.addr_override = None;
            }
        }
    }

    pub(super) fn disconnect(
        &mut self,
        now: Instant,
        reason: &str,
        reconnect: bool,
        immediate: bool,
    ) {
        if let (Some(t), Some(r)) = (self.transport.take(), &self.registry) {
            t.close(r);
        }
        self.rbuf.clear();
        self.out.clear();
        self.pending_orders.clear();
        self.outstanding.clear();
        self.secdef_deadline = None;
        self.read_more_at = None;
        self.last_error = Some(reason.to_string());
        if self.session.phase != Phase::LoggedOn {
            // Connect or logon failed at this address: a redirect target does not stick.
            self.addr_override = None;
        }
        match self.session.closed(now, reconnect, immediate) {
            Some(d) => log::warn!("{}: disconnected ({reason}); reconnecting in {d:?}", self.label),
            None => log::error!("{}: disconnected ({reason}); not reconnecting", self.label),
        }
    }

    pub(super) fn send(&mut self, m: Message) {
        self.codec.encode(&m, &mut self.out, true);
    }

    pub(super) fn flush(&mut self, now: Instant) {
        let Some(t) = self.transport.as_mut() else { return };
        let res = t.write(&mut self.out).and_then(|_| {
            let want = !self.out.is_empty() || t.pending();
            match &self.registry {
                Some(r) => t.want_writable(r, token(self.base, 0), want),
                None => Ok(()),
            }
        });
        if let Err(e) = res {
            self.disconnect(now, &format!("write failed: {e}"), true, false);
        }
    }

    pub(super) fn request_id(&mut self) -> i32 {
        let id = self.next_request_id;
        self.next_request_id = self.next_request_id.checked_add(1).unwrap_or(1);
        id
    }

    pub(super) fn tracked_request(&mut self) -> i32 {
        let id = self.request_id();
        self.outstanding.push(id);
        id
    }

    pub(super) fn answered(&mut self, request_id: i32, last: bool) {
        if last && request_id != 0 {
            self.outstanding.retain(|&r| r != request_id);
        }
    }

    fn transport_ready(&mut self, now: Instant) {
        let is_ws = self.transport.as_ref().is_some_and(|t| t.is_ws());
        if is_ws {
            // JSON over WebSocket; no ENCODING_REQUEST (as SC's web clients do).
            let enc = if self.requested == Encoding::JsonCompact {
                Encoding::JsonCompact
            } else {
                Encoding::Json
            };
            self.codec.encoding = enc;
            self.send_logon(now);
        } else if self.cfg.negotiate {
            let req = EncodingRequest { encoding: self.requested.code(), ..Default::default() };
            // The ENCODING_REQUEST is always binary.
            Codec::new(Encoding::Binary, false).encode(&req.into(), &mut self.out, false);
            self.session.advance(Phase::Negotiating, now);
        } else {
            self.codec.encoding = self.requested;
            self.send_logon(now);
        }
        self.flush(now);
    }

    pub(super) fn send_logon(&mut self, now: Instant) {
        let mut r = LogonRequest {
            protocol_version: PROTOCOL_VERSION,
            heartbeat_interval_in_seconds: self.cfg.heartbeat_s.clamp(1, 3600) as i32,
            trade_mode: self.cfg.trade_mode,
            client_name: self.cfg.client_name.as_str().into(),
            ..Default::default()
        };
        if let Some(u) = &self.cfg.username {
            r.username = u.as_str().into();
        }
        if let Some(p) = &self.password {
            r.password = p.as_str().into();
        }
        if let Some(a) = &self.cfg.trade_account {
            r.trade_account = a.as_str().into();
        }
        self.send(r.into());
        self.session.advance(Phase::LoggingOn, now);
    }

    /// After logon (and after every reconnect): security definitions first, so prices are scaled
    /// by DisplayPriceMultiplier from the first update; then market data; then trading state.
    pub(super) fn after_logon(&mut self, now: Instant) {
        let exch: FStr<16> = self.cfg.exchange.as_str().into();
        for s in &mut self.symbols.list {
            s.subscribed = false;
            // The new connection decides again (and the warning is worth repeating).
            s.rejected = None;
            s.depth_batch_open = false;
        }
        if self.secdefs_supported && !self.symbols.list.is_empty() {
            for i in 0..self.symbols.list.len() {
                let sym: FStr<64> = self.symbols.list[i].name.as_str().into();
                let rid = self.request_id();
                self.symbols.list[i].secdef_request_id = rid;
                let req = SecurityDefinitionForSymbolRequest {
                    request_id: rid,
                    symbol: sym,
                    exchange: exch,
                };
                self.send(req.into());
            }
            self.secdef_deadline = Some(now + SECDEF_WAIT);
        } else {
            self.subscribe_market_data(false);
        }
        if self.cfg.trading {
            self.request_trading_state();
        }
    }

    /// Subscribes every symbol (`only_pending`: those not yet subscribed on this connection).
    pub(super) fn subscribe_market_data(&mut self, only_pending: bool) {
        for i in 0..self.symbols.list.len() {
            if !(only_pending && self.symbols.list[i].subscribed) {
                self.subscribe_symbol(i);
            }
        }
    }

    /// Market data (and depth when configured) for symbol `i`; servers forget them on reconnect.
    pub(super) fn subscribe_symbol(&mut self, i: usize) {
        let exch: FStr<16> = self.cfg.exchange.as_str().into();
        let Some(s) = self.symbols.list.get_mut(i) else { return };
        s.subscribed = true;
        s.depth.clear();
        let (id, sym): (u32, FStr<64>) = (s.id, s.name.as_str().into());
        let md = MarketDataRequest {
            request_action: SUBSCRIBE,
            symbol_id: id,
            symbol: sym,
            exchange: exch,
            ..Default::default()
        };
        self.send(md.into());
        if self.cfg.depth_levels > 0 {
            let num_levels = self.cfg.depth_levels;
            let d = MarketDepthRequest {
                request_action: SUBSCRIBE,
                symbol_id: id,
                symbol: sym,
                exchange: exch,
                num_levels,
            };
            self.send(d.into());
        }
    }

    pub(super) fn request_trading_state(&mut self) {
        let id = self.tracked_request();
        self.send(TradeAccountsRequest { request_id: id }.into());
        let id = self.tracked_request();
        self.send(AccountBalanceRequest { request_id: id, ..Default::default() }.into());
        let id = self.tracked_request();
        self.send(CurrentPositionsRequest { request_id: id, ..Default::default() }.into());
        let id = self.tracked_request();
        self.send(
            OpenOrdersRequest { request_id: id, request_all_orders: 1, ..Default::default() }
                .into(),
        );
    }

    /// Reads and handles everything available; resets the connection on unframeable input.
    /// At most `read_budget` bytes per call, so one busy server cannot starve the loop.
    fn on_readable(&mut self, ctx: &mut Ctx<'_>) {
        self.read_more_at = None;
        let mut handled = 0usize;
        loop {
            if handled >= self.read_budget {
                self.read_more_at = Some(ctx.now);
                break;
            }
            let Some(t) = self.transport.as_mut() else { return };
            let got = if t.is_ws() {
                let before = self.rbuf.data().len();
                t.read_ws(&mut self.rbuf).map(|more| {
                    if more {
                        (self.rbuf.data().len() - before).max(1)
                    } else {
                        0
                    }
                })
            } else {
                t.read_tcp(&mut self.rbuf)
            };
            let n = match got {
                Ok(n) => n,
                Err(e) => {
                    self.process_frames(ctx);
                    let reason = format!("read: {e}");
                    self.disconnect(ctx.now, &reason, self.session.phase != Phase::Stopped, false);
                    return;
                }
            };
            if n == 0 {
                break;
            }
            handled += n;
            self.session.on_rx(ctx.now);
            self.process_frames(ctx);
            if self.transport.is_none() {
                return;
            }
        }
        self.flush(ctx.now);
    }

    fn process_frames(&mut self, ctx: &mut Ctx<'_>) {
        let t_read = Instant::now();
        while self.transport.is_some() {
            let data = self.rbuf.data();
            if data.is_empty() {
                break;
            }
            let (decoded, used) = match self.codec.next_frame(data) {
                Ok(Some((0, used))) => {
                    self.rbuf.consume(used);
                    continue;
                }
                Ok(Some((len, used))) => (self.codec.decode(&data[..len]), used),
                Ok(None) => break,
                Err(e) => {
                    self.stats.resets += 1;
                    let reason = format!("stream cannot be framed: {e}");
                    self.disconnect(ctx.now, &reason, true, false);
                    return;
                }
            };
            self.rbuf.consume(used);
            match decoded {
                Ok(m) => {
                    self.stats.messages += 1;
                    self.handle(m, ctx);
                    self.hist_read.record(t_read.elapsed());
                }
                Err(e) => {
                    self.stats.bad += 1;
                    if self.stats.bad <= 10 || self.stats.bad % 1000 == 0 {
                        log::warn!(
                            "{}: bad message skipped ({} so far): {e}",
                            self.label,
                            self.stats.bad
                        );
                    }
                }
            }
        }
    }
}

impl Endpoint for DtcClient {
    fn name(&self) -> &str {
        &self.label
    }

    fn register(&mut self, registry: &Registry, base: usize, now: Instant) -> io::Result<()> {
        self.registry = Some(registry.try_clone()?);
        self.base = base;
        self.connect(now);
        Ok(())
    }

    fn handle_event(&mut self, sub: usize, event: &Event, ctx: &mut Ctx<'_>) {
        if sub != 0 || self.transport.is_none() {
            return;
        }
        let now = ctx.now;
        if matches!(self.session.phase, Phase::Connecting | Phase::Handshaking) {
            let Some(t) = self.transport.as_mut() else { return };
            match t.progress() {
                Ok(Progress::Pending) => {
                    if t.is_ws() && self.session.phase == Phase::Connecting {
                        self.session.advance(Phase::Handshaking, now);
                    }
                    if event.is_error() || event.is_read_closed() {
                        self.disconnect(now, "connect failed", true, false);
                    }
                    return;
                }
                Ok(Progress::Ready) => self.transport_ready(now),
                Err(e) => {
                    self.disconnect(now, &format!("connect: {e}"), true, false);
                    return;
                }
            }
        }
        if event.is_writable() {
            self.flush(now);
        }
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            self.on_readable(ctx);
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        if self.read_more_at.is_some() && self.transport.is_some() {
            return self.read_more_at;
        }
        match (self.session.next_deadline(), self.secdef_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        if self.read_more_at.take().is_some() && self.transport.is_some() {
            self.on_readable(ctx);
        }
        if self.secdef_deadline.is_some_and(|d| now >= d) {
            self.secdef_deadline = None;
            for s in self.symbols.list.iter().filter(|s| !s.subscribed) {
                log::warn!(
                    "{}: no security definition for {}; prices taken as sent (multiplier 1)",
                    self.label,
                    s.name
                );
            }
            self.subscribe_market_data(true);
            self.flush(now);
        }
        loop {
            match self.session.poll(now) {
                TimerAction::None => break,
                TimerAction::Connect => {
                    self.connect(now);
                    break;
                }
                TimerAction::SendHeartbeat => {
                    let hb = Heartbeat {
                        num_dropped_messages: 0,
                        current_date_time: unix_now().as_secs() as i64,
                    };
                    self.send(hb.into());
                    self.flush(now);
                }
                TimerAction::PeerDead => {
                    let why = match self.session.phase {
                        Phase::LoggedOn => "no data from the server for 2x the heartbeat interval",
                        _ => "connect/logon timed out",
                    };
                    self.disconnect(now, why, true, false);
                    break;
                }
            }
        }
    }

    fn histograms(&self) -> Vec<&LatencyHist> {
        vec![&self.hist_read, &self.hist_order]
    }

    fn reset_histograms(&mut self) {
        self.hist_read.reset();
        self.hist_order.reset();
    }

    fn status(&self, _now: Instant) -> String {
        let st = self.stats;
        let rejected = self.symbols.list.iter().filter(|s| s.rejected.is_some()).count();
        format!(
            "{} {:?} {:?} server {:?} msgs {} md {} bad {} resets {} reconnects {} symbols {} (rejected {}) accounts {}{}",
            self.label,
            self.session.phase,
            self.codec.encoding,
            self.server_name,
            st.messages,
            st.market_data,
            st.bad,
            st.resets,
            self.session.reconnects,
            self.symbols.list.len(),
            rejected,
            self.book.account_order.len(),
            self.last_error.as_ref().map(|e| format!(" last error: {e}")).unwrap_or_default()
        )
    }

    fn command(&mut self, cmd: &str, ctx: &mut Ctx<'_>) -> Option<Result<String, String>> {
        super::commands::run(self, cmd, ctx.now)
    }

    fn shutdown(&mut self, now: Instant) {
        if self.is_logged_on() {
            self.send(Logoff { reason: "client shutdown".into(), do_not_reconnect: 0 }.into());
            self.flush(now);
        }
        if let (Some(t), Some(r)) = (self.transport.take(), &self.registry) {
            t.close(r);
        }
        self.session.stop();
    }
}

impl DtcClient {
    /// Session statistics of a symbol.
    pub fn session_stats(&self, symbol: &str) -> Option<SessionStats> {
        self.symbols.list.iter().find(|s| s.name == symbol).map(|s| s.session)
    }

    pub(crate) fn symbols_report(&self) -> String {
        self.symbols_text()
    }
}
