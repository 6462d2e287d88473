//! An in-memory client ↔ scripted-server pair with a fake clock (quinn-proto's tests/util.rs idea).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use v9bridge::dtc::framing::RecvBuf;
use v9bridge::dtc::messages::*;
use v9bridge::dtc::{
    binary, CloseReason, Codec, Connection, DtcConfig, DtcEvent, Encoding, Message, TransportKind,
    TransportOp,
};
use v9bridge::market::MarketState;

/// What a scripted server sends back.
pub enum Out {
    /// A message in the connection's current encoding.
    Msg(Message),
    /// Raw bytes, delivered as one read of their own.
    Bytes(Vec<u8>),
    /// Close the connection (after what was sent before).
    Close,
}

/// `(connection number at this address, message from the client) -> replies`.
pub type Script = Box<dyn FnMut(usize, &Message) -> Vec<Out>>;

struct Server {
    script: Script,
    /// Encoding the client speaks from its first byte (else binary until ENCODING_RESPONSE).
    start: Encoding,
    accepted: usize,
}

/// One server-side connection.
struct Link {
    addr: SocketAddr,
    n: usize,
    codec: Codec,
    rbuf: RecvBuf,
}

/// The client under test, the servers it can reach (by address), and the fake clock.
pub struct Pair {
    pub client: Connection,
    pub market: MarketState,
    pub now: Instant,
    pub wall_ns: i64,
    servers: HashMap<SocketAddr, Server>,
    link: Option<Link>,
    rbuf: RecvBuf,
    /// Every message the client sent, in order, with the address it went to.
    pub sent: Vec<(SocketAddr, Message)>,
    /// Every event the client emitted.
    pub events: Vec<DtcEvent>,
}

/// A server address no real socket uses.
pub fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], port))
}

/// A config for a client of `addr(port)`: no trading, no depth, symbols `ESZ6_FUT_CME` (id 1)
/// and `XAUUSD` (id 2).
pub fn pair_cfg(port: u16) -> DtcConfig {
    DtcConfig {
        addr: addr(port).to_string(),
        symbols: vec!["ESZ6_FUT_CME".into(), "XAUUSD".into()],
        trading: false,
        heartbeat_s: 5,
        reconnect_min_ms: 50,
        reconnect_max_ms: 300,
        ..Default::default()
    }
}

/// A script answering ENCODING_REQUEST with binary and LOGON_REQUEST with `resp(n)`.
pub fn answers_logon(mut resp: impl FnMut(usize) -> Vec<Out> + 'static) -> Script {
    Box::new(move |n, m| match m {
        Message::EncodingRequest(_) => {
            vec![Out::Msg(EncodingResponse { encoding: 0, ..Default::default() }.into())]
        }
        Message::LogonRequest(_) => resp(n),
        _ => vec![],
    })
}

/// A script answering as the simulator's exchange does (its pure state, no sockets).
pub fn simulated_exchange(symbols: &[&str]) -> Script {
    let names: Vec<String> = symbols.iter().map(|s| s.to_string()).collect();
    let mut peer = v9bridge::sim::dtc_server::SimPeer::new(&names);
    Box::new(move |_, m| peer.respond(m, 1_767_225_600.0).into_iter().map(Out::Msg).collect())
}

/// A successful LOGON_RESPONSE.
pub fn logon_ok() -> Out {
    Out::Msg(LogonResponse { result: 1, ..Default::default() }.into())
}

/// Binary bytes of `m`.
pub fn bin(m: impl Into<Message>) -> Vec<u8> {
    let mut v = Vec::new();
    binary::encode(&m.into(), &mut v);
    v
}

impl Pair {
    /// A client for `[dtc.<name>]` = `cfg`, not yet connected (the first `drive` connects).
    pub fn new(name: &str, cfg: &DtcConfig) -> Pair {
        let now = Instant::now();
        let wall_ns = 1_767_225_600_000_000_000;
        Pair {
            client: Connection::new(name, cfg, cfg.password.clone(), now, wall_ns, 1),
            market: MarketState::new(),
            now,
            wall_ns,
            servers: HashMap::new(),
            link: None,
            rbuf: RecvBuf::new(64 * 1024, 1 << 20),
            sent: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Makes `addr(port)` reachable, served by `script` (the client speaks `start` first).
    pub fn serve(&mut self, port: u16, start: Encoding, script: Script) -> &mut Self {
        self.servers.insert(addr(port), Server { script, start, accepted: 0 });
        self
    }

    /// Connections accepted at `addr(port)` so far.
    pub fn accepted(&self, port: u16) -> usize {
        self.servers.get(&addr(port)).map_or(0, |s| s.accepted)
    }

    /// Type numbers of the messages the client sent to `addr(port)`.
    pub fn sent_types(&self, port: u16) -> Vec<u16> {
        self.sent.iter().filter(|(a, _)| *a == addr(port)).map(|(_, m)| m.type_num()).collect()
    }

    /// Runs until nothing is due at `now` and no bytes are in flight.
    pub fn drive(&mut self) {
        for _ in 0..10_000 {
            let mut busy = false;
            if self.client.poll_timeout().is_some_and(|t| t <= self.now) {
                self.client.handle_timeout(self.now, self.wall_ns);
            }
            while let Some(ev) = self.client.poll_event() {
                busy = true;
                self.on_event(&ev);
                self.events.push(ev);
            }
            let out = std::mem::take(self.client.poll_transmit());
            if !out.is_empty() && self.link.is_some() {
                busy = true;
                self.deliver_to_server(&out);
            }
            if !busy && self.client.poll_timeout().is_none_or(|t| t > self.now) {
                return;
            }
        }
        panic!("the pair does not settle");
    }

    /// Lets `d` of fake time pass, stopping at every deadline on the way.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        self.drive();
        while let Some(t) = self.client.poll_timeout().filter(|&t| t <= end) {
            self.wall_ns += t.saturating_duration_since(self.now).as_nanos() as i64;
            self.now = self.now.max(t);
            self.drive();
        }
        self.wall_ns += end.saturating_duration_since(self.now).as_nanos() as i64;
        self.now = end;
        self.drive();
    }

    /// Advances in small steps until `done` holds; false after `limit` of fake time.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let end = self.now + limit;
        self.drive();
        while !done(self) {
            if self.now >= end {
                return false;
            }
            self.advance(Duration::from_millis(10));
        }
        true
    }

    fn on_event(&mut self, ev: &DtcEvent) {
        match ev {
            DtcEvent::Connect(a) => match self.servers.get_mut(a) {
                Some(s) => {
                    s.accepted += 1;
                    let codec = Codec::new(s.start, true);
                    let rbuf = RecvBuf::new(4096, 1 << 20);
                    self.link = Some(Link { addr: *a, n: s.accepted - 1, codec, rbuf });
                    self.rbuf.clear();
                    self.client.handle_transport_ready(TransportKind::Tcp, self.now);
                }
                None => {
                    let why = CloseReason::transport(TransportOp::Connect, &"connection refused");
                    self.client.handle_closed(self.now, why);
                }
            },
            DtcEvent::Close { .. } => self.link = None,
            _ => {}
        }
    }

    /// The server reads `bytes`, answers each message by its script, the client reads the answers.
    fn deliver_to_server(&mut self, bytes: &[u8]) {
        let Some(link) = self.link.as_mut() else { return };
        link.rbuf.extend(bytes);
        let mut replies = Vec::new();
        loop {
            let data = link.rbuf.data();
            let Ok(Some((len, used))) = link.codec.next_frame(data) else { break };
            let m = if len > 0 { link.codec.decode(&data[..len]).ok() } else { None };
            link.rbuf.consume(used);
            let Some(m) = m else { continue };
            self.sent.push((link.addr, m.clone()));
            let script = &mut self.servers.get_mut(&link.addr).expect("server").script;
            replies.extend(script(link.n, &m));
        }
        for r in replies {
            let Some(link) = self.link.as_mut() else { return };
            let mut b = Vec::new();
            match r {
                // The answer to ENCODING_REQUEST is binary; what follows is in its encoding.
                Out::Msg(Message::EncodingResponse(e)) => {
                    binary::encode(&e.into(), &mut b);
                    link.codec.encoding =
                        Encoding::from_code(e.encoding).unwrap_or(link.codec.encoding);
                }
                Out::Msg(m) => link.codec.encode(&m, &mut b, true),
                Out::Bytes(raw) => b = raw,
                Out::Close => {
                    let why =
                        CloseReason::transport(TransportOp::Read, &"server closed the connection");
                    self.client.handle_closed(self.now, why);
                    return;
                }
            }
            self.rbuf.extend(&b);
            self.client.handle_frames(&mut self.rbuf, self.now, &mut self.market, || {});
        }
    }
}
