//! A pure DTC client connection: bytes and `now` in, bytes, deadlines and events out (no I/O).

mod inbound;

use super::codec::{Codec, Outbox};
use super::events::{CloseReason, DtcEvent, Reconnect, ServerCaps, TransportKind, TransportOp};
use super::health::DtcStats;
use super::health::InputHealth;
use super::logon::Logon;
use super::messages::*;
use super::orders::{ClientOrderId, OrderError, OrderIds, OrderRequest};
use super::queries::{Queries, QueryAnswer, QueryError, QueryKind};
use super::session::{Phase, Session, TimerAction};
use super::subscriptions::Subscriptions;
use super::symbols::SymbolTable;
use super::trading::Trading;
use super::types::{self, Encoding};
use super::DtcConfig;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

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
    queries: Queries,
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
        let requested = cfg.encoding;
        let codec = Codec {
            max_binary: cfg.max_binary_message.clamp(64, types::MAX_BINARY_SIZE),
            ..Codec::new(Encoding::Binary, cfg.compact_sierra_order)
        };
        let symbols = SymbolTable::new(&cfg.symbols, &cfg.market_symbols);
        Connection {
            subs: Subscriptions::new(symbols, &cfg.exchange, cfg.depth_levels),
            trading: Trading::new(cfg, OrderIds::new(name, wall_ns, pid)),
            queries: Queries::new(),
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

    /// A query (open or finished) by its RequestID; None once it aged out of the kept answers.
    pub fn query(&self, request_id: i32) -> Option<&QueryAnswer> {
        self.queries.get(request_id)
    }

    /// Finished queries, oldest first, and a counter that moves whenever one finishes.
    pub fn finished_queries(&self) -> (u64, impl Iterator<Item = &QueryAnswer>) {
        (self.queries.generation(), self.queries.done())
    }

    /// How long a query waits for its final answer before it fails ([`super::queries::QUERY_WAIT`]).
    pub fn set_query_wait(&mut self, wait: Duration) {
        self.queries.set_wait(wait);
    }

    /// Asks for the server's exchange list; returns the RequestID to look the answer up by.
    pub fn request_exchange_list(&mut self, now: Instant) -> Result<i32, QueryError> {
        let request_id = self.start_query(QueryKind::ExchangeList, now)?;
        self.wire.send(ExchangeListRequest { request_id });
        Ok(request_id)
    }

    /// Asks for the balance history of `account` (all accounts when empty) since
    /// `start_unix_s` (0: all of it); returns the RequestID.
    pub fn request_historical_balances(
        &mut self,
        account: &str,
        start_unix_s: i64,
        now: Instant,
    ) -> Result<i32, QueryError> {
        let request_id = self.start_query(QueryKind::HistoricalBalances, now)?;
        self.wire.send(HistoricalAccountBalancesRequest {
            request_id,
            trade_account: account.into(),
            start_date_time: start_unix_s,
        });
        Ok(request_id)
    }

    fn start_query(&mut self, kind: QueryKind, now: Instant) -> Result<i32, QueryError> {
        if !self.is_logged_on() {
            return Err(QueryError::NotLoggedOn);
        }
        if !self.queries.has_room() {
            return Err(QueryError::TooMany);
        }
        let request_id = self.trading.requests().next_id();
        self.queries.start(request_id, kind, now)?;
        Ok(request_id)
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

    /// Runs due timers: reconnect, heartbeat, liveness, the security-definition wait.
    /// Spurious calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant, wall_ns: i64) {
        self.subs.handle_timeout(now, &mut self.wire, &self.label);
        self.queries.handle_timeout(now, &self.label);
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
        self.queries.on_close();
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
        let deadlines = [self.session.next_deadline(), self.subs.poll_timeout()];
        deadlines.into_iter().chain([self.queries.poll_timeout()]).flatten().min()
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
        self.queries.on_close();
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
}
