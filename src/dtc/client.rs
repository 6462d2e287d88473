//! `DtcClient`: one named DTC connection as an engine endpoint (I/O shell around the pure parts).

use super::book::{SymbolTable, TradingBook};
use super::framing::RecvBuf;
use super::messages::*;
use super::session::{LogonOutcome, Phase, Session, TimerAction};
use super::transport::{Progress, Transport};
use super::types::consts::*;
use super::types::{Encoding, FStr, PROTOCOL_VERSION};
use super::{Codec, DtcConfig};
use crate::endpoint::{token, Ctx, Endpoint};
use crate::market::{Feed, TickUpdate};
use crate::metrics::LatencyHist;
use mio::{event::Event, Registry};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    short: String,
    label: String,
    cfg: DtcConfig,
    password: Option<String>,
    requested: Encoding,
    codec: Codec,
    registry: Option<Registry>,
    base: usize,
    transport: Option<Transport>,
    session: Session,
    addr_override: Option<String>,
    rbuf: RecvBuf,
    out: Vec<u8>,
    pub(crate) symbols: SymbolTable,
    pub(crate) book: TradingBook,
    next_request_id: i32,
    outstanding: Vec<i32>,
    order_seq: u64,
    session_tag: u64,
    pending_orders: Vec<(FStr<32>, Instant)>,
    hist_read: LatencyHist,
    hist_order: LatencyHist,
    stats: DtcStats,
    server_name: String,
    trading_supported: bool,
    last_error: Option<String>,
}

fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

#[inline]
fn px64(v: f64, mult: f64) -> Option<f64> {
    (v != f64::MAX && v.is_finite()).then_some(v * mult)
}

#[inline]
fn px32(v: f32, mult: f64) -> Option<f64> {
    (v != f32::MAX && v.is_finite()).then_some(v as f64 * mult)
}

#[inline]
fn qty64(v: f64) -> Option<f64> {
    (v != f64::MAX && v.is_finite()).then_some(v)
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
            codec: Codec::new(Encoding::Binary, cfg.compact_sierra_order),
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
            rbuf: RecvBuf::new(64 * 1024, 1 << 20),
            out: Vec::with_capacity(4096),
            symbols: SymbolTable::new(&cfg.symbols),
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
            last_error: None,
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
        self.symbols.list.iter().find(|s| s.name == symbol).map(|s| s.multiplier)
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

    fn target_addr(&self) -> io::Result<SocketAddr> {
        let a = self.addr_override.as_deref().unwrap_or(&self.cfg.addr);
        a.to_socket_addrs()?.next().ok_or_else(|| io::Error::other(format!("cannot resolve {a}")))
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
                log::debug!("{}: connecting to {}", self.label, self.cfg.addr);
                self.transport = Some(t);
                self.session.connecting(now);
            }
            Err(e) => {
                self.last_error = Some(format!("connect: {e}"));
                let d = self.session.closed(now, true, false);
                log::warn!(
                    "{}: connect to {} failed: {e}; retry in {:?}",
                    self.label,
                    self.cfg.addr,
                    d.unwrap_or_default()
                );
            }
        }
    }

    fn disconnect(&mut self, now: Instant, reason: &str, reconnect: bool, immediate: bool) {
        if let (Some(t), Some(r)) = (self.transport.take(), &self.registry) {
            t.close(r);
        }
        self.rbuf.clear();
        self.out.clear();
        self.pending_orders.clear();
        self.outstanding.clear();
        self.last_error = Some(reason.to_string());
        match self.session.closed(now, reconnect, immediate) {
            Some(d) => log::warn!("{}: disconnected ({reason}); reconnecting in {d:?}", self.label),
            None => log::error!("{}: disconnected ({reason}); not reconnecting", self.label),
        }
    }

    fn send(&mut self, m: Message) {
        self.codec.encode(&m, &mut self.out, true);
    }

    fn flush(&mut self, now: Instant) {
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

    fn request_id(&mut self) -> i32 {
        let id = self.next_request_id;
        self.next_request_id = self.next_request_id.checked_add(1).unwrap_or(1);
        id
    }

    fn tracked_request(&mut self) -> i32 {
        let id = self.request_id();
        self.outstanding.push(id);
        id
    }

    fn answered(&mut self, request_id: i32, last: bool) {
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

    fn send_logon(&mut self, now: Instant) {
        let mut r = LogonRequest {
            protocol_version: PROTOCOL_VERSION,
            heartbeat_interval_in_seconds: self.cfg.heartbeat_s.max(1) as i32,
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

    /// After logon (and after every reconnect): subscribe, and re-request the trading state.
    fn after_logon(&mut self) {
        let exch: FStr<16> = self.cfg.exchange.as_str().into();
        for i in 0..self.symbols.list.len() {
            let (id, sym): (u32, FStr<64>) =
                (self.symbols.list[i].id, self.symbols.list[i].name.as_str().into());
            let rid = self.request_id();
            self.send(
                SecurityDefinitionForSymbolRequest { request_id: rid, symbol: sym, exchange: exch }
                    .into(),
            );
            self.send(
                MarketDataRequest {
                    request_action: SUBSCRIBE,
                    symbol_id: id,
                    symbol: sym,
                    exchange: exch,
                    ..Default::default()
                }
                .into(),
            );
            if self.cfg.depth_levels > 0 {
                self.symbols.list[i].depth.clear();
                self.send(
                    MarketDepthRequest {
                        request_action: SUBSCRIBE,
                        symbol_id: id,
                        symbol: sym,
                        exchange: exch,
                        num_levels: self.cfg.depth_levels,
                    }
                    .into(),
                );
            }
        }
        if self.cfg.trading {
            self.request_trading_state();
        }
    }

    fn request_trading_state(&mut self) {
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
    fn on_readable(&mut self, ctx: &mut Ctx<'_>) {
        loop {
            let Some(t) = self.transport.as_mut() else { return };
            let got = if t.is_ws() {
                t.read_ws(&mut self.rbuf).map(|b| b as usize)
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

    fn handle(&mut self, m: Message, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        match m {
            Message::EncodingResponse(r) => match Encoding::from_code(r.encoding) {
                Some(enc) if self.session.phase == Phase::Negotiating => {
                    if enc != self.requested {
                        log::info!(
                            "{}: server chose encoding {enc:?} (asked {:?})",
                            self.label,
                            self.requested
                        );
                    }
                    self.codec.encoding = enc;
                    self.send_logon(now);
                }
                Some(_) => {}
                None => {
                    let why = format!("server chose unsupported encoding {}", r.encoding);
                    self.disconnect(now, &why, true, false);
                }
            },
            Message::LogonResponse(r) => match self.session.on_logon_response(&r, now) {
                LogonOutcome::Success => {
                    self.server_name = r.server_name.as_str().to_string();
                    self.trading_supported = r.trading_is_supported != 0;
                    self.last_error = None;
                    log::info!(
                        "{}: logged on to {:?} ({:?}, trading {})",
                        self.label,
                        self.server_name,
                        self.codec.encoding,
                        if self.trading_supported { "on" } else { "off" }
                    );
                    self.after_logon();
                }
                LogonOutcome::Retry(t) => {
                    self.disconnect(now, &format!("logon refused: {t}"), true, false)
                }
                LogonOutcome::GiveUp(t) => self.disconnect(
                    now,
                    &format!("logon refused, do not reconnect: {t}"),
                    false,
                    false,
                ),
                LogonOutcome::Redirect(a) => {
                    log::warn!("{}: server redirects to {a}", self.label);
                    self.addr_override = Some(a);
                    self.disconnect(now, "redirected", true, true);
                }
            },
            Message::Heartbeat(_) => self.stats.heartbeats += 1,
            Message::Logoff(l) => {
                let (reconnect, why) = match self.session.on_logoff(&l) {
                    LogonOutcome::GiveUp(w) => (false, w),
                    LogonOutcome::Retry(w) | LogonOutcome::Redirect(w) => (true, w),
                    LogonOutcome::Success => (true, String::new()),
                };
                self.disconnect(now, &format!("server logoff: {why}"), reconnect, false);
            }
            Message::MarketDataReject(r) => {
                let label = &self.label;
                if let Some(s) = self.symbols.by_id(r.symbol_id) {
                    if s.rejected.is_none() {
                        log::warn!(
                            "{label}: market data for {} rejected: {:?} (Sierra Chart refuses CME data on its DTC server; trading continues)",
                            s.name,
                            r.reject_text.as_str()
                        );
                        s.rejected = Some(r.reject_text.as_str().to_string());
                    }
                }
            }
            Message::MarketDepthReject(r) => {
                if let Some(s) = self.symbols.by_id(r.symbol_id) {
                    log::warn!(
                        "{}: market depth for {} rejected: {:?}",
                        self.label,
                        s.name,
                        r.reject_text.as_str()
                    );
                }
            }
            Message::SecurityDefinitionResponse(d) => {
                let label = &self.label;
                if let Some(s) = self.symbols.by_name(d.symbol.as_str()) {
                    let m = d.display_price_multiplier as f64;
                    s.multiplier = if m.is_finite() && m > 0.0 { m } else { 1.0 };
                    s.has_definition = true;
                    log::info!(
                        "{label}: {} DisplayPriceMultiplier {} tick {}",
                        s.name,
                        s.multiplier,
                        d.min_price_increment
                    );
                }
            }
            Message::SecurityDefinitionReject(r) => {
                log::warn!(
                    "{}: security definition rejected: {:?}",
                    self.label,
                    r.reject_text.as_str()
                );
            }
            Message::TradeAccountResponse(a) => {
                self.book.on_account(a.trade_account.as_str());
                self.answered(a.request_id, a.message_number >= a.total_number_messages);
            }
            Message::AccountBalanceUpdate(b) => {
                self.book.on_balance(&b);
                self.answered(
                    b.request_id,
                    b.no_account_balances != 0 || b.message_number >= b.total_number_messages,
                );
            }
            Message::AccountBalanceReject(r) => {
                self.reject("account balance", r.request_id, r.reject_text.as_str())
            }
            Message::PositionUpdate(p) => {
                self.book.on_position(&p);
                self.answered(
                    p.request_id,
                    p.no_positions != 0 || p.message_number >= p.total_number_messages,
                );
            }
            Message::CurrentPositionsReject(r) => {
                self.reject("positions", r.request_id, r.reject_text.as_str())
            }
            Message::OrderUpdate(u) => {
                if let Some(i) =
                    self.pending_orders.iter().position(|(c, _)| *c == u.client_order_id)
                {
                    let (_, t0) = self.pending_orders.swap_remove(i);
                    self.hist_order.record(now.saturating_duration_since(t0).max(t0.elapsed()));
                }
                if u.order_update_reason == OUR_NEW_ORDER_REJECTED
                    || u.order_update_reason == OUR_ORDER_CANCEL_REJECTED
                    || u.order_update_reason == OUR_ORDER_CANCEL_REPLACE_REJECTED
                {
                    log::warn!(
                        "{}: order {} rejected: {:?}",
                        self.label,
                        u.client_order_id,
                        u.info_text.as_str()
                    );
                }
                self.book.on_order(&u);
                self.answered(
                    u.request_id,
                    u.no_orders != 0 || u.message_number >= u.total_num_messages,
                );
            }
            Message::OpenOrdersReject(r) => {
                self.reject("open orders", r.request_id, r.reject_text.as_str())
            }
            Message::HistoricalOrderFillResponse(f) => {
                self.book.on_fill(&f);
                self.answered(
                    f.request_id,
                    f.no_order_fills != 0 || f.message_number >= f.total_number_messages,
                );
            }
            Message::HistoricalOrderFillsReject(r) => {
                self.reject("order fills", r.request_id, r.reject_text.as_str())
            }
            Message::UserMessage(u) => {
                log::info!("{}: server says: {}", self.label, u.user_message)
            }
            Message::GeneralLogMessage(g) => {
                log::info!("{}: server log: {}", self.label, g.message_text)
            }
            Message::MarketDataFeedStatus(s) => {
                log::info!("{}: market data feed status {}", self.label, s.status);
            }
            other => self.market_data(other, ctx),
        }
    }

    fn reject(&mut self, what: &str, request_id: i32, text: &str) {
        log::warn!("{}: {what} request rejected: {text:?}", self.label);
        self.answered(request_id, true);
    }

    /// Applies market data to the shared state (no allocation, no info logging).
    fn market_data(&mut self, m: Message, ctx: &mut Ctx<'_>) {
        let id = match &m {
            Message::MarketDataSnapshot(x) => x.symbol_id,
            Message::MarketDataUpdateTrade(x) => x.symbol_id,
            Message::MarketDataUpdateTradeCompact(x) => x.symbol_id,
            Message::MarketDataUpdateTradeWithUnbundledIndicator(x) => x.symbol_id,
            Message::MarketDataUpdateTradeWithUnbundledIndicator2(x) => x.symbol_id,
            Message::MarketDataUpdateTradeNoTimestamp(x) => x.symbol_id,
            Message::MarketDataUpdateLastTradeSnapshot(x) => x.symbol_id,
            Message::MarketDataUpdateBidAsk(x) => x.symbol_id,
            Message::MarketDataUpdateBidAskCompact(x) => x.symbol_id,
            Message::MarketDataUpdateBidAskNoTimestamp(x) => x.symbol_id,
            Message::MarketDataUpdateBidAskFloatWithMicroseconds(x) => x.symbol_id,
            Message::MarketDepthSnapshotLevel(x) => x.symbol_id,
            Message::MarketDepthSnapshotLevelFloat(x) => x.symbol_id,
            Message::MarketDepthUpdateLevel(x) => x.symbol_id,
            Message::MarketDepthUpdateLevelFloatWithMilliseconds(x) => x.symbol_id,
            Message::MarketDepthUpdateLevelNoTimestamp(x) => x.symbol_id,
            Message::MarketDataUpdateSessionOpen(x) => x.symbol_id,
            Message::MarketDataUpdateSessionHigh(x) => x.symbol_id,
            Message::MarketDataUpdateSessionLow(x) => x.symbol_id,
            Message::MarketDataUpdateSessionSettlement(x) => x.symbol_id,
            Message::MarketDataUpdateSessionVolume(x) => x.symbol_id,
            other => {
                log::debug!("{}: {} ignored", self.label, other.name());
                return;
            }
        };
        let Some(s) = self.symbols.by_id(id) else {
            self.stats.bad += 1;
            return;
        };
        let k = s.multiplier;
        let mut t = TickUpdate { symbol: &s.name, ..Default::default() };
        const NS: f64 = 1e9;
        match m {
            Message::MarketDataSnapshot(x) => {
                t.bid = px64(x.bid_price, k);
                t.ask = px64(x.ask_price, k);
                t.last = px64(x.last_trade_price, k);
                t.volume = qty64(x.last_trade_volume);
                t.bid_size = qty64(x.bid_quantity);
                t.ask_size = qty64(x.ask_quantity);
                s.session.open = px64(x.session_open_price, k);
                s.session.high = px64(x.session_high_price, k);
                s.session.low = px64(x.session_low_price, k);
                s.session.settlement = px64(x.session_settlement_price, k);
                s.session.volume = qty64(x.session_volume);
            }
            Message::MarketDataUpdateTrade(x) => {
                t.last = px64(x.price, k);
                t.volume = qty64(x.volume);
                t.ts_ns = (x.date_time * NS) as i64;
            }
            Message::MarketDataUpdateTradeCompact(x) => {
                t.last = px32(x.price, k);
                t.volume = Some(x.volume as f64);
                t.ts_ns = x.date_time as i64 * 1_000_000_000;
            }
            Message::MarketDataUpdateTradeWithUnbundledIndicator(x) => {
                t.last = px64(x.price, k);
                t.volume = Some(x.volume as f64);
                t.ts_ns = (x.date_time * NS) as i64;
            }
            Message::MarketDataUpdateTradeWithUnbundledIndicator2(x) => {
                t.last = px32(x.price, k);
                t.volume = Some(x.volume as f64);
                t.ts_ns = x.date_time.saturating_mul(1000);
            }
            Message::MarketDataUpdateTradeNoTimestamp(x) => {
                t.last = px32(x.price, k);
                t.volume = Some(x.volume as f64);
            }
            Message::MarketDataUpdateLastTradeSnapshot(x) => {
                t.last = px64(x.last_trade_price, k);
                t.volume = qty64(x.last_trade_volume);
                t.ts_ns = (x.last_trade_date_time * NS) as i64;
            }
            Message::MarketDataUpdateBidAsk(x) => {
                t.bid = px64(x.bid_price, k);
                t.ask = px64(x.ask_price, k);
                t.bid_size = t.bid.map(|_| x.bid_quantity as f64);
                t.ask_size = t.ask.map(|_| x.ask_quantity as f64);
                t.ts_ns = x.date_time as i64 * 1_000_000_000;
            }
            Message::MarketDataUpdateBidAskCompact(x) => {
                t.bid = px32(x.bid_price, k);
                t.ask = px32(x.ask_price, k);
                t.bid_size = t.bid.map(|_| x.bid_quantity as f64);
                t.ask_size = t.ask.map(|_| x.ask_quantity as f64);
                t.ts_ns = x.date_time as i64 * 1_000_000_000;
            }
            Message::MarketDataUpdateBidAskNoTimestamp(x) => {
                t.bid = px32(x.bid_price, k);
                t.ask = px32(x.ask_price, k);
                t.bid_size = t.bid.map(|_| x.bid_quantity as f64);
                t.ask_size = t.ask.map(|_| x.ask_quantity as f64);
            }
            Message::MarketDataUpdateBidAskFloatWithMicroseconds(x) => {
                t.bid = px32(x.bid_price, k);
                t.ask = px32(x.ask_price, k);
                t.bid_size = t.bid.map(|_| x.bid_quantity as f64);
                t.ask_size = t.ask.map(|_| x.ask_quantity as f64);
                t.ts_ns = x.date_time.saturating_mul(1000);
            }
            Message::MarketDepthSnapshotLevel(x) => {
                if x.is_first_message_in_batch != 0 {
                    s.depth.clear();
                }
                s.depth.update(x.side, x.price * k, x.quantity, false);
                s.updates += 1;
                return;
            }
            Message::MarketDepthSnapshotLevelFloat(x) => {
                s.depth.update(x.side as u16, x.price as f64 * k, x.quantity as f64, false);
                s.updates += 1;
                return;
            }
            Message::MarketDepthUpdateLevel(x) => {
                s.depth.update(x.side, x.price * k, x.quantity, x.update_type == DEPTH_DELETE);
                s.updates += 1;
                return;
            }
            Message::MarketDepthUpdateLevelFloatWithMilliseconds(x) => {
                s.depth.update(
                    x.side as u16,
                    x.price as f64 * k,
                    x.quantity as f64,
                    x.update_type == DEPTH_DELETE,
                );
                s.updates += 1;
                return;
            }
            Message::MarketDepthUpdateLevelNoTimestamp(x) => {
                let del = x.update_type as u8 == DEPTH_DELETE;
                s.depth.update(x.side as u16, x.price as f64 * k, x.quantity as f64, del);
                s.updates += 1;
                return;
            }
            Message::MarketDataUpdateSessionOpen(x) => {
                s.session.open = px64(x.price, k);
                return;
            }
            Message::MarketDataUpdateSessionHigh(x) => {
                s.session.high = px64(x.price, k);
                return;
            }
            Message::MarketDataUpdateSessionLow(x) => {
                s.session.low = px64(x.price, k);
                return;
            }
            Message::MarketDataUpdateSessionSettlement(x) => {
                s.session.settlement = px64(x.price, k);
                return;
            }
            Message::MarketDataUpdateSessionVolume(x) => {
                s.session.volume = qty64(x.volume);
                return;
            }
            _ => return,
        }
        s.updates += 1;
        self.stats.market_data += 1;
        ctx.market.apply(&t, Feed::Dtc, ctx.now);
    }

    /// Sends a new order; returns its ClientOrderID.
    #[allow(clippy::too_many_arguments)]
    pub fn submit_order(
        &mut self,
        buy: bool,
        symbol: &str,
        qty: f64,
        order_type: i32,
        price1: f64,
        price2: f64,
        account: Option<&str>,
        now: Instant,
    ) -> Result<String, String> {
        if !self.is_logged_on() {
            return Err(format!("{}: not logged on", self.label));
        }
        let account = match account.map(str::to_string).or_else(|| self.cfg.trade_account.clone()) {
            Some(a) => a,
            None => self.book.account_order.first().cloned().ok_or("no trade account known yet")?,
        };
        if !(qty > 0.0 && qty.is_finite()) {
            return Err("quantity must be positive".into());
        }
        self.order_seq += 1;
        let short: String = self.short.chars().take(8).collect();
        let cid = format!("{short}-{:x}-{}", self.session_tag, self.order_seq);
        let o = SubmitNewSingleOrder {
            symbol: symbol.into(),
            exchange: self.cfg.exchange.as_str().into(),
            trade_account: account.as_str().into(),
            client_order_id: cid.as_str().into(),
            order_type,
            buy_sell: if buy { BUY } else { SELL },
            price1,
            price2,
            quantity: qty,
            time_in_force: if order_type == ORDER_TYPE_MARKET { TIF_DAY } else { TIF_GTC },
            is_automated_order: 1,
            ..Default::default()
        };
        // Shown as "sent" until the server's first ORDER_UPDATE arrives.
        self.book.on_order(&OrderUpdate {
            symbol: o.symbol,
            client_order_id: o.client_order_id,
            trade_account: o.trade_account,
            order_status: 1,
            order_type,
            buy_sell: o.buy_sell,
            price1,
            order_quantity: qty,
            ..Default::default()
        });
        self.pending_orders.push((o.client_order_id, Instant::now()));
        self.send(o.into());
        self.flush(now);
        Ok(cid)
    }

    /// Cancels by server or client order ID.
    pub fn cancel_order(&mut self, id: &str, now: Instant) -> Result<String, String> {
        if !self.is_logged_on() {
            return Err(format!("{}: not logged on", self.label));
        }
        let (acct, sid, cid) =
            self.book.find_order(id).ok_or_else(|| format!("unknown order {id}"))?;
        self.send(
            CancelOrder {
                server_order_id: sid.as_str().into(),
                client_order_id: cid.as_str().into(),
                trade_account: acct.as_str().into(),
            }
            .into(),
        );
        self.flush(now);
        Ok(format!("cancel sent for {id}"))
    }

    /// Replaces price (and optionally quantity) of an open order.
    pub fn replace_order(
        &mut self,
        id: &str,
        price: f64,
        qty: Option<f64>,
        now: Instant,
    ) -> Result<String, String> {
        if !self.is_logged_on() {
            return Err(format!("{}: not logged on", self.label));
        }
        let (acct, sid, cid) =
            self.book.find_order(id).ok_or_else(|| format!("unknown order {id}"))?;
        self.send(
            CancelReplaceOrder {
                server_order_id: sid.as_str().into(),
                client_order_id: cid.as_str().into(),
                price1: price,
                price2_is_set: 0,
                quantity: qty.unwrap_or(0.0),
                trade_account: acct.as_str().into(),
                ..Default::default()
            }
            .into(),
        );
        self.flush(now);
        Ok(format!("replace sent for {id}"))
    }

    /// Asks for the historical fills of all accounts (answered into the book).
    pub fn request_fills(&mut self, days: i32, now: Instant) -> Result<(), String> {
        if !self.is_logged_on() {
            return Err(format!("{}: not logged on", self.label));
        }
        let id = self.tracked_request();
        self.send(
            HistoricalOrderFillsRequest {
                request_id: id,
                number_of_days: days,
                ..Default::default()
            }
            .into(),
        );
        self.flush(now);
        Ok(())
    }

    /// Re-requests accounts, balances, positions and open orders.
    pub fn refresh(&mut self, now: Instant) -> Result<(), String> {
        if !self.is_logged_on() {
            return Err(format!("{}: not logged on", self.label));
        }
        self.request_trading_state();
        self.flush(now);
        Ok(())
    }

    fn symbols_text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        for x in &self.symbols.list {
            let _ = writeln!(
                s,
                "{} id {} multiplier {} updates {}{}",
                x.name,
                x.id,
                x.multiplier,
                x.updates,
                x.rejected.as_ref().map(|r| format!(" REJECTED: {r}")).unwrap_or_default()
            );
        }
        s
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
        self.session.next_deadline()
    }

    fn handle_timeout(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
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

/// Session statistics per symbol (session open/high/low/settlement/volume).
#[derive(Debug, Default, Clone, Copy)]
pub struct SessionStats {
    /// Session open.
    pub open: Option<f64>,
    /// Session high.
    pub high: Option<f64>,
    /// Session low.
    pub low: Option<f64>,
    /// Settlement.
    pub settlement: Option<f64>,
    /// Session volume.
    pub volume: Option<f64>,
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
