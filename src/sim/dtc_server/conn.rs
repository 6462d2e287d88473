//! One simulated DTC server connection: transport detection, negotiation, logon, feeds, orders.

use super::state::SimState;
use super::DtcServerArgs;
use crate::dtc::framing::RecvBuf;
use crate::dtc::messages::*;
use crate::dtc::types::consts::*;
use crate::dtc::{binary, Codec, Encoding, Message};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tungstenite::WebSocket;

enum Io {
    Tcp { stream: TcpStream, rbuf: RecvBuf },
    Ws(Box<WebSocket<TcpStream>>),
}

/// A subscription by this connection.
struct Sub {
    sym: usize,
    id: u32,
    depth: bool,
}

pub(super) struct Conn {
    io: Io,
    codec: Codec,
    /// Set once the encoding is known (negotiated or detected).
    decided: bool,
    args: DtcServerArgs,
    state: Arc<Mutex<SimState>>,
    peer: String,
    logged_on: bool,
    hb_interval: Duration,
    next_hb: Instant,
    last_rx: Instant,
    next_tick: Instant,
    subs: Vec<Sub>,
    sent: u64,
    tick_n: u64,
    out: Vec<u8>,
    closing: bool,
}

fn now_s() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Serves one accepted connection until it closes or `stop` is set.
pub(super) fn serve(
    stream: TcpStream,
    args: DtcServerArgs,
    state: Arc<Mutex<SimState>>,
    stop: Arc<AtomicBool>,
) {
    let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    if let Err(e) = serve_inner(stream, args, state, &stop, &peer) {
        log::info!("dtc-sim {peer}: closed: {e}");
    } else {
        log::info!("dtc-sim {peer}: closed");
    }
}

fn serve_inner(
    stream: TcpStream,
    args: DtcServerArgs,
    state: Arc<Mutex<SimState>>,
    stop: &AtomicBool,
    peer: &str,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_millis(5)))?;
    // Peek the first bytes: an HTTP `GET` is a WebSocket upgrade on the same port.
    let mut first = [0u8; 4];
    let deadline = Instant::now() + Duration::from_secs(10);
    let n = loop {
        if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
            return Ok(());
        }
        match stream.peek(&mut first) {
            Ok(0) => return Ok(()),
            Ok(n) if n >= 3 || first[0] != b'G' => break n,
            Ok(_) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) if would_block(&e) => {}
            Err(e) => return Err(e),
        }
    };
    let fixed = Encoding::parse(&args.encoding);
    let sierra = args.compact_order_override;
    let (io, codec, decided) = if n >= 3 && &first[..3] == b"GET" {
        let mut hs = tungstenite::accept(stream);
        let ws = loop {
            match hs {
                Ok(ws) => break ws,
                Err(tungstenite::HandshakeError::Interrupted(mid)) => {
                    if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                        return Ok(());
                    }
                    hs = mid.handshake();
                }
                Err(tungstenite::HandshakeError::Failure(e)) => {
                    return Err(io::Error::other(e.to_string()))
                }
            }
        };
        let enc = if fixed == Some(Encoding::JsonCompact) {
            Encoding::JsonCompact
        } else {
            Encoding::Json
        };
        log::info!("dtc-sim {peer}: WebSocket client ({enc:?})");
        (Io::Ws(Box::new(ws)), Codec::new(enc, sierra), true)
    } else {
        let rbuf = RecvBuf::new(16 * 1024, 1 << 20);
        (Io::Tcp { stream, rbuf }, Codec::new(fixed.unwrap_or(Encoding::Binary), sierra), false)
    };
    let now = Instant::now();
    let mut c = Conn {
        io,
        codec,
        decided,
        args,
        state,
        peer: peer.to_string(),
        logged_on: false,
        hb_interval: Duration::from_secs(10),
        next_hb: now,
        last_rx: now,
        next_tick: now,
        subs: Vec::new(),
        sent: 0,
        tick_n: 0,
        out: Vec::with_capacity(4096),
        closing: false,
    };
    c.run(stop)
}

impl Conn {
    fn run(&mut self, stop: &AtomicBool) -> io::Result<()> {
        while !stop.load(Ordering::Relaxed) && !self.closing {
            let msgs = self.read_messages()?;
            for m in msgs {
                self.handle(m)?;
                if self.closing {
                    return Ok(());
                }
            }
            self.timers()?;
        }
        if let Io::Ws(ws) = &mut self.io {
            let _ = ws.close(None);
            let _ = ws.flush();
        }
        Ok(())
    }

    /// Reads what is there (waiting at most the socket timeout) and decodes whole messages.
    fn read_messages(&mut self) -> io::Result<Vec<Message>> {
        let mut out = Vec::new();
        match &mut self.io {
            Io::Tcp { stream, rbuf } => {
                let sp = rbuf.spare();
                if sp.is_empty() {
                    return Err(io::Error::other("receive buffer full"));
                }
                match stream.read(sp) {
                    Ok(0) => {
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "peer closed"))
                    }
                    Ok(n) => {
                        rbuf.commit(n);
                        self.last_rx = Instant::now();
                    }
                    Err(e) if would_block(&e) => return Ok(out),
                    Err(e) => return Err(e),
                }
                loop {
                    let data = rbuf.data();
                    if data.is_empty() {
                        break;
                    }
                    if !self.decided {
                        // First message: `{` is a bare JSON logon (no negotiation), else binary.
                        if data[0] == b'{' {
                            let compact = data.windows(4).any(|w| w == b"\"F\":");
                            let enc = match Encoding::parse(&self.args.encoding) {
                                Some(e) if e.is_json() => e,
                                _ if compact => Encoding::JsonCompact,
                                _ => Encoding::Json,
                            };
                            self.codec.encoding = enc;
                            self.decided = true;
                        } else {
                            self.codec.encoding = Encoding::Binary;
                        }
                    }
                    // The ENCODING_REQUEST is always binary, whatever the current encoding.
                    let codec = if data[0] != b'{' && data.len() >= 4 && data[2..4] == [6, 0] {
                        Codec::new(Encoding::Binary, false)
                    } else {
                        self.codec
                    };
                    let (len, used) = match codec.next_frame(data) {
                        Ok(Some(f)) => f,
                        Ok(None) => break,
                        Err(e) => {
                            return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
                        }
                    };
                    if len > 0 {
                        match codec.decode(&data[..len]) {
                            Ok(m) => out.push(m),
                            Err(e) => log::warn!("dtc-sim {}: bad message skipped: {e}", self.peer),
                        }
                    }
                    rbuf.consume(used);
                }
            }
            Io::Ws(ws) => loop {
                match ws.read() {
                    Ok(tungstenite::Message::Text(t)) => {
                        self.last_rx = Instant::now();
                        for part in t.as_bytes().split(|&b| b == 0).filter(|p| !p.is_empty()) {
                            match self.codec.decode(part) {
                                Ok(m) => out.push(m),
                                Err(e) => {
                                    log::warn!("dtc-sim {}: bad message skipped: {e}", self.peer)
                                }
                            }
                        }
                    }
                    Ok(tungstenite::Message::Binary(b)) => {
                        self.last_rx = Instant::now();
                        match binary::decode(&b) {
                            Ok(m) => out.push(m),
                            Err(e) => {
                                log::warn!("dtc-sim {}: bad binary message skipped: {e}", self.peer)
                            }
                        }
                    }
                    Ok(tungstenite::Message::Close(_)) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "WebSocket closed",
                        ))
                    }
                    Ok(_) => self.last_rx = Instant::now(),
                    Err(tungstenite::Error::Io(e)) if would_block(&e) => break,
                    Err(e) => return Err(io::Error::other(e.to_string())),
                }
            },
        }
        Ok(out)
    }

    fn send(&mut self, m: &Message) -> io::Result<()> {
        self.send_with(m, self.codec)
    }

    fn send_with(&mut self, m: &Message, codec: Codec) -> io::Result<()> {
        if let Some(limit) = self.args.drop_after {
            if self.sent >= limit {
                log::info!(
                    "dtc-sim {}: dropping the connection after {limit} messages (quirk)",
                    self.peer
                );
                self.closing = true;
                if let Io::Tcp { stream, .. } = &self.io {
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                }
                return Ok(());
            }
        }
        self.out.clear();
        match &mut self.io {
            Io::Tcp { stream, .. } => {
                codec.encode(m, &mut self.out, true);
                stream.write_all(&self.out)?;
            }
            Io::Ws(ws) => {
                // SC's WebSocket frames carry no trailing NUL (reference §3.4).
                codec.encode(m, &mut self.out, false);
                let text = String::from_utf8_lossy(&self.out).into_owned();
                ws.send(tungstenite::Message::text(text))
                    .map_err(|e| io::Error::other(e.to_string()))?;
            }
        }
        self.sent += 1;
        Ok(())
    }

    fn send_all(&mut self, ms: Vec<Message>) -> io::Result<()> {
        for m in ms {
            self.send(&m)?;
        }
        Ok(())
    }

    fn handle(&mut self, m: Message) -> io::Result<()> {
        match m {
            Message::EncodingRequest(r) => {
                let enc = match Encoding::parse(&self.args.encoding) {
                    Some(fixed) => fixed,
                    None => Encoding::from_code(r.encoding).unwrap_or(Encoding::Binary),
                };
                let resp = EncodingResponse { encoding: enc.code(), ..Default::default() };
                // The first ENCODING_RESPONSE is binary; the next message uses `enc`.
                let was = self.codec;
                self.send_with(
                    &resp.into(),
                    if self.decided { was } else { Codec::new(Encoding::Binary, false) },
                )?;
                self.codec.encoding = enc;
                self.decided = true;
            }
            Message::LogonRequest(r) => self.logon(&r)?,
            Message::Heartbeat(_) => {}
            Message::Logoff(_) => {
                log::info!("dtc-sim {}: client logged off", self.peer);
                self.closing = true;
            }
            _ if !self.logged_on => {
                log::warn!("dtc-sim {}: {} before logon ignored", self.peer, m.name());
            }
            other => self.handle_logged_on(other)?,
        }
        Ok(())
    }

    fn logon(&mut self, r: &LogonRequest) -> io::Result<()> {
        self.decided = true;
        let auth_ok = match (&self.args.username, &self.args.password) {
            (None, None) => true,
            (u, p) => {
                u.as_deref().map_or(true, |u| u == r.username.as_str())
                    && p.as_deref().map_or(true, |p| p == r.password.as_str())
            }
        };
        let mut resp = LogonResponse {
            server_name: "v9bridge DTC simulator".into(),
            trading_is_supported: 1,
            security_definitions_supported: 1,
            market_depth_is_supported: 1,
            market_data_supported: 1,
            order_cancel_replace_supported: 1,
            ..Default::default()
        };
        if !auth_ok {
            resp.result = LOGON_ERROR;
            resp.result_text = "invalid username or password".into();
            self.send(&resp.into())?;
            self.closing = true;
            return Ok(());
        }
        resp.result = LOGON_SUCCESS;
        resp.result_text = "Connected to v9bridge DTC simulator".into();
        let hb = if r.heartbeat_interval_in_seconds > 0 {
            r.heartbeat_interval_in_seconds as u64
        } else {
            10
        };
        self.hb_interval = Duration::from_secs(hb);
        self.logged_on = true;
        log::info!(
            "dtc-sim {}: logon of {:?} ({:?}), heartbeat {hb}s",
            self.peer,
            r.client_name.as_str(),
            self.codec.encoding
        );
        self.send(&resp.into())?;
        self.next_hb = Instant::now() + self.server_hb_interval();
        Ok(())
    }

    fn server_hb_interval(&self) -> Duration {
        if self.args.slow_heartbeats {
            self.hb_interval * 3
        } else {
            self.hb_interval
        }
    }

    fn is_cme(sym: &str, exch: &str) -> bool {
        sym.to_ascii_uppercase().contains("CME") || exch.eq_ignore_ascii_case("CME")
    }

    fn handle_logged_on(&mut self, m: Message) -> io::Result<()> {
        let t = now_s();
        let replies: Vec<Message> = {
            let Ok(mut st) = self.state.lock() else {
                return Err(io::Error::other("state poisoned"));
            };
            match m {
                Message::MarketDataRequest(r) => {
                    let found = st.symbol_index(r.symbol.as_str());
                    if r.request_action == UNSUBSCRIBE {
                        self.subs.retain(|s| s.id != r.symbol_id || s.depth);
                        Vec::new()
                    } else if self.args.reject_cme_market_data
                        && Self::is_cme(r.symbol.as_str(), r.exchange.as_str())
                    {
                        vec![MarketDataReject {
                            symbol_id: r.symbol_id,
                            reject_text: "CME market data is not available through the DTC server"
                                .into(),
                        }
                        .into()]
                    } else if let Some(i) = found {
                        self.subs.retain(|s| s.id != r.symbol_id || s.depth);
                        self.subs.push(Sub { sym: i, id: r.symbol_id, depth: false });
                        vec![st.snapshot(i, r.symbol_id).into()]
                    } else {
                        vec![MarketDataReject {
                            symbol_id: r.symbol_id,
                            reject_text: "unknown symbol".into(),
                        }
                        .into()]
                    }
                }
                Message::MarketDepthRequest(r) => {
                    let found = st.symbol_index(r.symbol.as_str());
                    if r.request_action == UNSUBSCRIBE {
                        self.subs.retain(|s| !(s.id == r.symbol_id && s.depth));
                        Vec::new()
                    } else if self.args.reject_cme_market_data
                        && Self::is_cme(r.symbol.as_str(), r.exchange.as_str())
                    {
                        vec![MarketDepthReject {
                            symbol_id: r.symbol_id,
                            reject_text: "CME depth not available".into(),
                        }
                        .into()]
                    } else if let Some(i) = found {
                        self.subs.push(Sub { sym: i, id: r.symbol_id, depth: true });
                        depth_snapshot(&st, i, r.symbol_id, r.num_levels.clamp(1, 10))
                    } else {
                        vec![MarketDepthReject {
                            symbol_id: r.symbol_id,
                            reject_text: "unknown symbol".into(),
                        }
                        .into()]
                    }
                }
                Message::SecurityDefinitionForSymbolRequest(r) => {
                    match st.symbol_index(r.symbol.as_str()) {
                        Some(i) => vec![st.security_definition(i, r.request_id).into()],
                        None => vec![SecurityDefinitionReject {
                            request_id: r.request_id,
                            reject_text: "unknown symbol".into(),
                        }
                        .into()],
                    }
                }
                Message::TradeAccountsRequest(r) => {
                    let n = st.accounts.len() as i32;
                    st.accounts
                        .iter()
                        .enumerate()
                        .map(|(k, a)| {
                            TradeAccountResponse {
                                total_number_messages: n,
                                message_number: k as i32 + 1,
                                trade_account: a.as_str().into(),
                                request_id: r.request_id,
                            }
                            .into()
                        })
                        .collect()
                }
                Message::AccountBalanceRequest(r) => st.balances(&r),
                Message::CurrentPositionsRequest(r) => st.positions(&r),
                Message::OpenOrdersRequest(r) => st.open_orders(&r, t),
                Message::HistoricalOrderFillsRequest(r) => st.fills(&r),
                Message::SubmitNewSingleOrder(o) => st.submit(&o, t),
                Message::CancelOrder(c) => vec![st.cancel(&c, t)],
                Message::CancelReplaceOrder(c) => vec![st.replace(&c, t)],
                other => {
                    log::debug!("dtc-sim {}: {} ignored", self.peer, other.name());
                    Vec::new()
                }
            }
        };
        self.send_all(replies)
    }

    fn timers(&mut self) -> io::Result<()> {
        let now = Instant::now();
        if !self.logged_on {
            return Ok(());
        }
        if now.saturating_duration_since(self.last_rx)
            > self.hb_interval * 2 + Duration::from_millis(500)
        {
            log::info!(
                "dtc-sim {}: client silent for 2x the heartbeat interval, closing",
                self.peer
            );
            self.closing = true;
            return Ok(());
        }
        if now >= self.next_hb {
            self.next_hb = now + self.server_hb_interval();
            self.send(
                &Heartbeat { num_dropped_messages: 0, current_date_time: now_s() as i64 }.into(),
            )?;
        }
        if now >= self.next_tick {
            self.next_tick = now + Duration::from_millis(self.args.tick_ms.max(1));
            self.tick()?;
        }
        Ok(())
    }

    /// One market-data round: every subscription gets one update, cycling through the variants.
    fn tick(&mut self) -> io::Result<()> {
        self.tick_n += 1;
        let t = now_s();
        let mut msgs = Vec::new();
        {
            let Ok(mut st) = self.state.lock() else {
                return Err(io::Error::other("state poisoned"));
            };
            for sub in &self.subs {
                let vol = st.step(sub.sym);
                let s = &st.symbols[sub.sym];
                let (bid, ask) = s.bid_ask();
                let (wl, wb, wa) = (s.wire(s.last), s.wire(bid), s.wire(ask));
                if sub.depth {
                    msgs.push(
                        MarketDepthUpdateLevel {
                            symbol_id: sub.id,
                            side: AT_BID,
                            price: wb,
                            quantity: 10.0 + vol,
                            update_type: DEPTH_INSERT_UPDATE,
                            date_time: t,
                            num_orders: 3,
                        }
                        .into(),
                    );
                    continue;
                }
                let id = sub.id;
                let m: Message = match self.tick_n % 8 {
                    0 => MarketDataUpdateTrade {
                        symbol_id: id,
                        at_bid_or_ask: AT_ASK,
                        price: wl,
                        volume: vol,
                        date_time: t,
                    }
                    .into(),
                    1 => MarketDataUpdateBidAsk {
                        symbol_id: id,
                        bid_price: wb,
                        bid_quantity: 10.0,
                        ask_price: wa,
                        ask_quantity: 12.0,
                        date_time: t as u32,
                    }
                    .into(),
                    2 => MarketDataUpdateTradeCompact {
                        price: wl as f32,
                        volume: vol as f32,
                        date_time: t as u32,
                        symbol_id: id,
                        at_bid_or_ask: AT_BID,
                    }
                    .into(),
                    3 => MarketDataUpdateBidAskCompact {
                        bid_price: wb as f32,
                        bid_quantity: 11.0,
                        ask_price: wa as f32,
                        ask_quantity: 13.0,
                        date_time: t as u32,
                        symbol_id: id,
                    }
                    .into(),
                    4 => MarketDataUpdateTradeWithUnbundledIndicator2 {
                        symbol_id: id,
                        price: wl as f32,
                        volume: vol as u32,
                        date_time: (t * 1e6) as i64,
                        at_bid_or_ask: 2,
                        ..Default::default()
                    }
                    .into(),
                    5 => MarketDataUpdateBidAskFloatWithMicroseconds {
                        symbol_id: id,
                        bid_price: wb as f32,
                        bid_quantity: 9.0,
                        ask_price: wa as f32,
                        ask_quantity: 8.0,
                        date_time: (t * 1e6) as i64,
                    }
                    .into(),
                    6 => MarketDataUpdateTradeNoTimestamp {
                        symbol_id: id,
                        price: wl as f32,
                        volume: vol as u32,
                        at_bid_or_ask: 1,
                        ..Default::default()
                    }
                    .into(),
                    _ => MarketDataUpdateBidAskNoTimestamp {
                        symbol_id: id,
                        bid_price: wb as f32,
                        bid_quantity: 7,
                        ask_price: wa as f32,
                        ask_quantity: 6,
                    }
                    .into(),
                };
                msgs.push(m);
                if self.tick_n % 16 == 0 {
                    msgs.push(
                        MarketDataUpdateSessionHigh {
                            symbol_id: id,
                            price: s.wire(s.high),
                            trading_session_date: 0,
                        }
                        .into(),
                    );
                    msgs.push(
                        MarketDataUpdateSessionLow {
                            symbol_id: id,
                            price: s.wire(s.low),
                            trading_session_date: 0,
                        }
                        .into(),
                    );
                    msgs.push(
                        MarketDataUpdateSessionVolume {
                            symbol_id: id,
                            volume: s.volume,
                            ..Default::default()
                        }
                        .into(),
                    );
                }
            }
            msgs.extend(st.match_resting(t));
        }
        self.send_all(msgs)
    }
}

fn depth_snapshot(st: &SimState, i: usize, id: u32, levels: i32) -> Vec<Message> {
    let s = &st.symbols[i];
    let (bid, ask) = s.bid_ask();
    let mut out = Vec::new();
    let total = levels * 2;
    let mut k = 0;
    for (side, base, dir) in [(AT_BID, bid, -1.0), (AT_ASK, ask, 1.0)] {
        for lvl in 0..levels {
            k += 1;
            out.push(
                MarketDepthSnapshotLevel {
                    symbol_id: id,
                    side,
                    price: s.wire(base + dir * s.tick * lvl as f64),
                    quantity: 10.0 + lvl as f64,
                    level: lvl as u16 + 1,
                    is_first_message_in_batch: (k == 1) as u8,
                    is_last_message_in_batch: (k == total) as u8,
                    date_time: now_s(),
                    num_orders: 2,
                }
                .into(),
            );
        }
    }
    out
}
