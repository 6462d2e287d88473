//! A pure DTC client connection: bytes and `now` in, bytes, deadlines and events out (no I/O).

use super::codec::{Codec, Outbox};
use super::events::{CloseReason, DtcEvent, Reconnect, ServerCaps, TransportKind, TransportOp};
use super::framing::RecvBuf;
use super::health::DtcStats;
use super::health::InputHealth;
use super::logon::{Logon, Step};
use super::market_data;
use super::messages::*;
use super::orders::{ClientOrderId, OrderError, OrderIds, OrderRequest};
use super::session::{Phase, Session, TimerAction};
use super::subscriptions::Subscriptions;
use super::symbols::SymbolTable;
use super::trading::Trading;
use super::types::{self, Encoding};
use super::DtcConfig;
use crate::market::MarketState;
use std::collections::VecDeque;
use std::time::Instant;

/// One DTC client connection as a state machine, in the manner of quinn-proto: feed it with
/// `handle_*` (bytes, transport changes, timeouts, each with `now`), then drain `poll_transmit`
/// (bytes to send), `poll_event` (connect, close, orders) and `poll_timeout`. It opens no
/// socket and reads no clock, so tests drive it with a fake `now`.
#[derive(Debug)]
pub struct Connection {
    label: String,
    /// Ask for accounts, balances, positions and orders after logon.
    fetch_trading: bool,
    logon: Logon,
    wire: Outbox,
    session: Session,
    caps: ServerCaps,
    server_name: String,
    subs: Subscriptions,
    trading: Trading,
    events: VecDeque<DtcEvent>,
    stats: DtcStats,
    last_error: Option<CloseReason>,
    health: InputHealth,
}

impl Connection {
    /// The connection of `[dtc.<name>]`, started at `now` / `wall_ns` (Unix ns) in process
    /// `pid`; its first [`Connection::handle_timeout`] asks for a transport. `password` is the
    /// resolved secret (the caller reads the environment).
    pub fn new(
        name: &str,
        cfg: &DtcConfig,
        password: Option<String>,
        now: Instant,
        wall_ns: i64,
        pid: u32,
    ) -> Connection {
        let label = format!("dtc.{name}");
        let requested = Encoding::parse(&cfg.encoding).unwrap_or_else(|| {
            log::warn!("{label}: unknown encoding {:?}, using binary", cfg.encoding);
            Encoding::Binary
        });
        let codec = Codec {
            max_binary: cfg.max_binary_message.clamp(64, types::MAX_BINARY_SIZE),
            ..Codec::new(Encoding::Binary, cfg.compact_sierra_order)
        };
        let symbols = SymbolTable::new(&cfg.symbols, &cfg.market_symbols);
        Connection {
            subs: Subscriptions::new(symbols, &cfg.exchange, cfg.depth_levels),
            trading: Trading::new(cfg, OrderIds::new(name, wall_ns, pid)),
            label,
            fetch_trading: cfg.trading,
            logon: Logon::new(cfg, requested, password.as_deref()),
            wire: Outbox::new(codec),
            session: Session::for_config(cfg, wall_ns as u64 ^ (name.len() as u64) << 32, now),
            caps: ServerCaps::default(),
            server_name: String::new(),
            events: VecDeque::new(),
            stats: DtcStats::default(),
            last_error: None,
            health: InputHealth::default(),
        }
    }

    /// `dtc.<name>`, for logs.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Current phase.
    pub fn phase(&self) -> Phase {
        self.session.phase
    }

    /// Logged on and ready.
    pub fn is_logged_on(&self) -> bool {
        self.session.phase == Phase::LoggedOn
    }

    /// Logged on, and every request sent after logon (accounts, balances, ...) answered.
    pub fn synced(&self) -> bool {
        self.is_logged_on() && self.trading.synced()
    }

    /// Orders, cancels or replaces sent whose first ORDER_UPDATE has not arrived.
    pub fn awaiting_order_updates(&self) -> bool {
        self.trading.awaiting()
    }

    /// The encoding in use.
    pub fn encoding(&self) -> Encoding {
        self.wire.codec.encoding
    }

    /// What the server supports (after logon).
    pub fn caps(&self) -> ServerCaps {
        self.caps
    }

    /// LOGON_RESPONSE.ServerName.
    pub fn server_name(&self) -> &str {
        &self.server_name
    }

    /// Why the last connection (or attempt) ended.
    pub fn last_error(&self) -> Option<&CloseReason> {
        self.last_error.as_ref()
    }

    /// Counters.
    pub fn stats(&self) -> DtcStats {
        self.stats
    }

    /// Reconnects so far.
    pub fn reconnects(&self) -> u64 {
        self.session.reconnects
    }

    /// The configured symbols and their state.
    pub fn symbols(&self) -> &SymbolTable {
        self.subs.symbols()
    }

    /// Orders, positions, balances and fills.
    pub fn trading_book(&self) -> &super::book::TradingBook {
        self.trading.book()
    }

    /// A transport to the address of the last [`DtcEvent::Connect`] is up.
    pub fn handle_transport_ready(&mut self, kind: TransportKind, now: Instant) {
        self.logon.on_transport_ready(kind, &mut self.wire, &mut self.session, now);
    }

    /// The TCP connection is up and the WebSocket upgrade has started.
    pub fn handle_handshake_started(&mut self, now: Instant) {
        if self.session.phase == Phase::Connecting {
            self.session.advance(Phase::Handshaking, now);
        }
    }

    /// The transport failed or the peer closed it.
    pub fn handle_closed(&mut self, now: Instant, reason: CloseReason) {
        if self.is_open() {
            self.close(now, reason, Reconnect::AfterBackoff);
        }
    }

    /// Frames, decodes and handles what `rbuf` holds (consuming it). `on_message` runs after each
    /// handled message (the shell's latency stamp). Unframeable input closes the connection.
    pub fn handle_frames(
        &mut self,
        rbuf: &mut RecvBuf,
        now: Instant,
        market: &mut MarketState,
        mut on_message: impl FnMut(),
    ) {
        if !rbuf.data().is_empty() {
            self.session.on_rx(now);
        }
        let bad_before = self.stats.bad;
        while self.is_open() {
            let data = rbuf.data();
            if data.is_empty() {
                break;
            }
            let (decoded, used) = match self.wire.codec.next_frame(data) {
                Ok(Some((0, used))) => {
                    rbuf.consume(used);
                    continue;
                }
                Ok(Some((len, used))) => (self.wire.codec.decode(&data[..len]), used),
                Ok(None) => break,
                Err(e) => {
                    self.stats.resets += 1;
                    self.close(now, CloseReason::Unframeable(e), Reconnect::AfterBackoff);
                    break;
                }
            };
            rbuf.consume(used);
            match decoded {
                Ok(m) => {
                    self.stats.messages += 1;
                    self.handle_message(&m, now, market);
                    on_message();
                }
                Err(e) => self.health.bad_message(e, &mut self.stats, now, &self.label),
            }
        }
        if self.stats.bad > bad_before {
            self.health.check_ratio(&mut self.stats, now, &self.label);
        }
    }

    /// Runs due timers: reconnect, heartbeat, liveness, the security-definition wait.
    /// Spurious calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant, wall_ns: i64) {
        self.subs.handle_timeout(now, &mut self.wire, &self.label);
        loop {
            match self.session.poll(now) {
                TimerAction::None => break,
                TimerAction::Connect => {
                    self.start_connect(now);
                    break;
                }
                TimerAction::SendHeartbeat => self.wire.send(Heartbeat {
                    num_dropped_messages: 0,
                    current_date_time: wall_ns.div_euclid(1_000_000_000),
                }),
                TimerAction::PeerDead => {
                    let why = match self.session.phase {
                        Phase::LoggedOn => CloseReason::HeartbeatTimeout,
                        _ => CloseReason::LogonTimeout,
                    };
                    self.close(now, why, Reconnect::AfterBackoff);
                    break;
                }
            }
        }
    }

    /// Sends a new order (and its OCO exit pair for a bracket); returns its ClientOrderID.
    /// `now` is the order's sent-at stamp for `first_update_after`.
    pub fn submit(&mut self, r: &OrderRequest, now: Instant) -> Result<ClientOrderId, OrderError> {
        self.check_logged_on()?;
        self.trading.submit(r, self.caps.brackets, self.subs.symbols(), &mut self.wire, now)
    }

    /// Cancels an order by server or client order ID; returns its ClientOrderID.
    pub fn cancel(&mut self, id: &str, now: Instant) -> Result<ClientOrderId, OrderError> {
        self.check_logged_on()?;
        self.trading.cancel(id, &mut self.wire, now)
    }

    /// Replaces the price (and optionally the quantity) of an open order.
    pub fn replace(
        &mut self,
        id: &str,
        price: f64,
        qty: Option<f64>,
        now: Instant,
    ) -> Result<ClientOrderId, OrderError> {
        self.check_logged_on()?;
        self.trading.replace(id, price, qty, self.subs.symbols(), &mut self.wire, now)
    }

    /// Asks for the historical fills of the last `days` days (answered into the book).
    pub fn request_fills(&mut self, days: i32) -> Result<(), OrderError> {
        self.check_logged_on()?;
        self.trading.request_fills(days, &mut self.wire);
        Ok(())
    }

    /// Re-requests accounts, balances, positions and open orders.
    pub fn refresh(&mut self) -> Result<(), OrderError> {
        self.check_logged_on()?;
        self.trading.request_state(&mut self.wire);
        Ok(())
    }

    /// Says goodbye (LOGOFF when logged on) and stops for good; queued bytes stay to be sent.
    pub fn shutdown(&mut self) {
        if self.is_logged_on() {
            self.wire.send(Logoff { reason: "client shutdown".into(), do_not_reconnect: 0 });
        }
        let was_open = self.is_open();
        self.session.stop();
        if was_open {
            self.events.push_back(DtcEvent::Close {
                reason: CloseReason::Shutdown,
                reconnect: Reconnect::Never,
            });
        }
    }

    /// Bytes to send; the transport drains what it writes.
    pub fn poll_transmit(&mut self) -> &mut Vec<u8> {
        self.wire.bytes()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<DtcEvent> {
        self.events.pop_front()
    }

    /// When [`Connection::handle_timeout`] must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.session.next_deadline(), self.subs.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn is_open(&self) -> bool {
        self.session.phase.is_open()
    }

    fn check_logged_on(&self) -> Result<(), OrderError> {
        if self.is_logged_on() {
            Ok(())
        } else {
            Err(OrderError::NotLoggedOn)
        }
    }

    fn start_connect(&mut self, now: Instant) {
        self.wire.reset();
        self.session.connecting(now);
        match self.logon.target() {
            Ok(addr) => {
                log::debug!("{}: connecting to {addr}", self.label);
                self.events.push_back(DtcEvent::Connect(addr));
            }
            Err(e) => {
                let why = CloseReason::transport(TransportOp::Connect, &e);
                self.close(now, why, Reconnect::AfterBackoff);
            }
        }
    }

    /// Ends the current connection: the shell drops its transport on the `Close` event.
    fn close(&mut self, now: Instant, reason: CloseReason, reconnect: Reconnect) {
        self.wire.reset();
        self.trading.on_close();
        self.subs.on_close();
        self.logon.on_close(self.session.phase == Phase::LoggedOn);
        let reconnect =
            if self.session.phase == Phase::Stopped { Reconnect::Never } else { reconnect };
        match self.session.closed(now, reconnect) {
            Some(d) => log::warn!("{}: disconnected ({reason}); reconnecting in {d:?}", self.label),
            None => log::error!("{}: disconnected ({reason}); not reconnecting", self.label),
        }
        self.last_error = Some(reason.clone());
        self.events.push_back(DtcEvent::Close { reason, reconnect });
    }

    fn handle_message(&mut self, m: &Message, now: Instant, market: &mut MarketState) {
        let label = self.label.as_str();
        match m {
            Message::EncodingResponse(r) => {
                let step = self.logon.on_encoding_response(
                    r,
                    &mut self.wire,
                    &mut self.session,
                    now,
                    label,
                );
                self.step(step, now);
            }
            Message::LogonResponse(r) => {
                let step = self.logon.on_logon_response(r, &mut self.session, now, label);
                if matches!(step, Step::LoggedOn(_)) {
                    self.server_name = r.server_name.as_str().to_string();
                }
                self.step(step, now);
            }
            Message::Heartbeat(_) => self.stats.heartbeats += 1,
            Message::Logoff(l) => {
                let step = self.logon.on_logoff(l, &mut self.session);
                self.step(step, now);
            }
            Message::MarketDataReject(r) => self.subs.on_market_data_reject(r, label),
            Message::MarketDepthReject(r) => self.subs.on_depth_reject(r, label),
            Message::SecurityDefinitionResponse(d) => {
                self.subs.on_definition(d, &mut self.wire, label)
            }
            Message::SecurityDefinitionReject(r) => {
                self.subs.on_definition_reject(r, &mut self.wire, label)
            }
            Message::UserMessage(u) => log::info!("{label}: server says: {}", u.user_message),
            Message::GeneralLogMessage(g) => log::info!("{label}: server log: {}", g.message_text),
            Message::AlertMessage(a) => self.health.alert(a, &mut self.stats, now, label),
            Message::MarketDataFeedStatus(s) => {
                log::info!("{label}: market data feed status {}", s.status);
                // 2 = AVAILABLE: the server forgot our subscriptions and expects them again.
                if s.status == 2 && self.caps.resubscribe_on_feed {
                    self.subs.subscribe_all(false, &mut self.wire);
                }
            }
            other => {
                let syms = self.subs.symbols();
                if !self.trading.handle(other, syms, now, &mut self.events, label) {
                    let z = self.wire.codec.encoding.is_json();
                    let s = self.subs.symbols_mut();
                    market_data::handle(other, s, z, market, now, &mut self.stats, label);
                }
            }
        }
    }

    /// Acts on what the logon policy decided.
    fn step(&mut self, step: Step, now: Instant) {
        match step {
            Step::None => {}
            Step::Close(reason, reconnect) => self.close(now, reason, reconnect),
            Step::LoggedOn(caps) => self.logged_on(caps, now),
        }
    }

    fn logged_on(&mut self, caps: ServerCaps, now: Instant) {
        self.caps = caps;
        self.last_error = None;
        log::info!(
            "{}: logged on to {:?} ({:?}, trading {})",
            self.label,
            self.server_name,
            self.wire.codec.encoding,
            if caps.trading { "on" } else { "off" }
        );
        self.events.push_back(DtcEvent::LoggedOn);
        self.subs.after_logon(caps.secdefs, self.trading.requests(), &mut self.wire, now);
        if self.fetch_trading {
            self.trading.request_state(&mut self.wire);
        }
    }
}
