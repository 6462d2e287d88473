//! One simulated DTC server connection: transport detection, negotiation, logon, feeds, orders.

use super::state::SimState;
use super::DtcServerArgs;
use crate::dtc::framing::RecvBuf;
use crate::dtc::messages::*;
use crate::dtc::types::consts::*;
use crate::dtc::{binary, Codec, Encoding, Message};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tungstenite::WebSocket;

/// Bytes from the TCP reader thread (`Err` = the peer closed or the read failed).
type Chunk = io::Result<Vec<u8>>;

pub(super) enum Io {
    /// Reads come from a reader thread through `rx`: a blocking read with a socket timeout is
    /// rounded up to the kernel tick (4-10 ms), too coarse for fast feeds.
    Tcp {
        stream: TcpStream,
        rbuf: RecvBuf,
        rx: Receiver<Chunk>,
    },
    Ws(Box<WebSocket<TcpStream>>),
}

/// A subscription by this connection.
pub(super) struct Sub {
    pub(super) sym: usize,
    pub(super) id: u32,
    pub(super) depth: bool,
}

pub(super) struct Conn {
    pub(super) io: Io,
    pub(super) codec: Codec,
    /// Set once the encoding is known (negotiated or detected).
    pub(super) decided: bool,
    pub(super) args: DtcServerArgs,
    pub(super) state: Arc<Mutex<SimState>>,
    pub(super) peer: String,
    pub(super) logged_on: bool,
    pub(super) hb_interval: Duration,
    pub(super) next_hb: Instant,
    pub(super) last_rx: Instant,
    pub(super) next_tick: Instant,
    pub(super) subs: Vec<Sub>,
    pub(super) sent: u64,
    pub(super) tick_n: u64,
    pub(super) out: Vec<u8>,
    pub(super) closing: bool,
}

pub(super) fn now_s() -> f64 {
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

/// Reads the socket on its own thread until EOF/error (or until the connection shuts it down).
fn spawn_reader(stream: &TcpStream) -> io::Result<Receiver<Chunk>> {
    let mut r = stream.try_clone()?;
    r.set_read_timeout(None)?;
    let (tx, rx) = crossbeam_channel::bounded::<Chunk>(1024);
    std::thread::Builder::new().name("dtc-sim-read".into()).spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match r.read(&mut buf) {
                Ok(0) => {
                    let _ =
                        tx.send(Err(io::Error::new(io::ErrorKind::UnexpectedEof, "peer closed")));
                    return;
                }
                Ok(n) => {
                    if tx.send(Ok(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    })?;
    Ok(rx)
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
    let sierra = !args.compact_header_order;
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
        let rx = spawn_reader(&stream)?;
        (Io::Tcp { stream, rbuf, rx }, Codec::new(fixed.unwrap_or(Encoding::Binary), sierra), false)
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
    let r = c.run(stop);
    // Also ends the reader thread, which holds a clone of the socket.
    if let Io::Tcp { stream, .. } = &c.io {
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }
    r
}

impl Conn {
    fn run(&mut self, stop: &AtomicBool) -> io::Result<()> {
        while !stop.load(Ordering::Relaxed) && !self.closing {
            // Wait for input no longer than the next timer, so fast --tick-ms feeds keep pace.
            let now = Instant::now();
            let next = if self.logged_on {
                self.next_tick.min(self.next_hb)
            } else {
                now + Duration::from_millis(5)
            };
            let wait = next
                .saturating_duration_since(now)
                .clamp(Duration::from_micros(200), Duration::from_millis(5));
            if let Io::Ws(ws) = &self.io {
                ws.get_ref().set_read_timeout(Some(wait))?;
            }
            let msgs = self.read_messages(wait)?;
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
    fn read_messages(&mut self, wait: Duration) -> io::Result<Vec<Message>> {
        let mut out = Vec::new();
        match &mut self.io {
            Io::Tcp { rbuf, rx, .. } => {
                let mut chunk = match rx.recv_timeout(wait) {
                    Ok(c) => c,
                    Err(RecvTimeoutError::Timeout) => return Ok(out),
                    Err(RecvTimeoutError::Disconnected) => {
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "peer closed"))
                    }
                };
                loop {
                    if !rbuf.extend(&chunk?) {
                        return Err(io::Error::other("receive buffer full"));
                    }
                    match rx.try_recv() {
                        Ok(c) => chunk = c,
                        Err(_) => break,
                    }
                }
                self.last_rx = Instant::now();
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
        let mut m = m.clone();
        if codec.encoding.is_json() && !self.args.json_unset_markers {
            m.unset_to_zero();
        }
        let m = &m;
        match &mut self.io {
            Io::Tcp { stream, .. } => {
                codec.encode(m, &mut self.out, true);
                stream.write_all(&self.out)?;
            }
            Io::Ws(ws) => {
                // SC's WebSocket frames carry no trailing NUL.
                codec.encode(m, &mut self.out, false);
                let text = String::from_utf8_lossy(&self.out).into_owned();
                ws.send(tungstenite::Message::text(text))
                    .map_err(|e| io::Error::other(e.to_string()))?;
            }
        }
        self.sent += 1;
        Ok(())
    }

    pub(super) fn send_all(&mut self, ms: Vec<Message>) -> io::Result<()> {
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
                u.as_deref().is_none_or(|u| u == r.username.as_str())
                    && p.as_deref().is_none_or(|p| p == r.password.as_str())
            }
        };
        let mut resp = LogonResponse {
            server_name: "v9bridge DTC simulator".into(),
            trading_is_supported: 1,
            security_definitions_supported: 1,
            market_depth_is_supported: 1,
            market_data_supported: 1,
            order_cancel_replace_supported: 1,
            oco_orders_supported: 1,
            bracket_orders_supported: 1,
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
            r.heartbeat_interval_in_seconds.min(3600) as u64
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
            let scaled = self.args.order_prices_scaled;
            let mut m = m;
            if scaled {
                st.order_from_wire(&mut m);
            }
            let mut replies = match m {
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
                        super::feed::depth_snapshot(&st, i, r.symbol_id, r.num_levels.clamp(1, 10))
                    } else {
                        vec![MarketDepthReject {
                            symbol_id: r.symbol_id,
                            reject_text: "unknown symbol".into(),
                        }
                        .into()]
                    }
                }
                other => super::peer::exchange_reply(&mut st, &other, t).unwrap_or_else(|| {
                    log::debug!("dtc-sim {}: {} ignored", self.peer, other.name());
                    Vec::new()
                }),
            };
            if scaled {
                replies.iter_mut().for_each(|r| st.trading_to_wire(r));
            }
            replies
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
}
