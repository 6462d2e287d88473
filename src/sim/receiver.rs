//! Copy-receiver simulator: behaves like NinjaTrader's V9_CopyReceiver on N simulated accounts.

use super::model::Book;
use crate::v9::codec::{self, Direction, Message};
use crate::v9::encode;
use crate::v9::frame::{next_frame, split_unterminated, Frame};
use log::{debug, info, warn};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// `v9bridge sim receiver` options.
#[derive(clap::Args, Debug, Clone)]
pub struct ReceiverArgs {
    /// V9 server address.
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub connect: String,
    /// Simulated accounts (Account1..AccountN).
    #[arg(long, default_value_t = 20)]
    pub accounts: usize,
    /// Strategy name sent in CONNECT and HEARTBEAT.
    #[arg(long, default_value = "V9_CopyReceiver")]
    pub name: String,
    /// Seconds between HEARTBEAT (and periodic POSITION reports).
    #[arg(long, default_value_t = 5.0)]
    pub heartbeat_s: f64,
    /// Reconnect when no HEARTBEAT_ACK arrives for this long.
    #[arg(long, default_value_t = 30.0)]
    pub ack_timeout_s: f64,
    /// Send messages with no line ending, one per write (the spec's literal wording).
    #[arg(long)]
    pub no_terminator: bool,
    /// Remember when each signal id arrived (for the demo's end-to-end latency).
    #[arg(skip)]
    pub record_arrivals: bool,
}

impl Default for ReceiverArgs {
    fn default() -> Self {
        ReceiverArgs {
            connect: "127.0.0.1:5000".into(),
            accounts: 20,
            name: "V9_CopyReceiver".into(),
            heartbeat_s: 5.0,
            ack_timeout_s: 30.0,
            no_terminator: false,
            record_arrivals: false,
        }
    }
}

/// What a receiver saw, returned when it stops.
#[derive(Debug, Default)]
pub struct ReceiverReport {
    /// Signals executed.
    pub signals: u64,
    /// Signal ids that never arrived (gaps in `ID:`), counted.
    pub id_gaps: u64,
    /// Successful connections (1 = never reconnected).
    pub connections: u64,
    /// Errors received from the server, by text.
    pub server_errors: Vec<String>,
    /// Final account holdings.
    pub book: Book,
    /// (signal id, arrival time) when `record_arrivals` is set.
    pub arrivals: Vec<(u64, Instant)>,
}

/// Base price and dollar value of one point, per root symbol (defaults for unknown ones).
pub fn instrument(symbol: &str) -> (f64, f64) {
    match symbol {
        "MES" => (4520.50, 5.0),
        "ES" => (4580.00, 50.0),
        "NQ" => (15000.00, 20.0),
        "MNQ" => (15000.00, 2.0),
        "YM" => (38000.0, 5.0),
        "GC" => (2000.0, 100.0),
        "CL" => (75.0, 1000.0),
        _ => (100.0, 1.0),
    }
}

/// Runs one receiver until `stop` is set; reconnects with backoff when the server goes away.
pub fn run(
    args: &ReceiverArgs,
    stop: &AtomicBool,
    ready: Option<&AtomicUsize>,
) -> Result<ReceiverReport, String> {
    let addr: SocketAddr = args
        .connect
        .to_socket_addrs()
        .map_err(|e| format!("--connect {}: {e}", args.connect))?
        .next()
        .ok_or_else(|| format!("--connect {}: no address", args.connect))?;
    let mut sim = Sim::new(args);
    let mut backoff = Duration::from_millis(100);
    while !stop.load(Ordering::Relaxed) {
        let readies = sim.readies;
        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(stream) => {
                sim.report.connections += 1;
                match sim.session(stream, stop, ready) {
                    Ok(()) => {}
                    Err(e) => info!("receiver {}: connection to {addr} ended: {e}", args.name),
                }
            }
            Err(e) => debug!("receiver {}: connect {addr}: {e}", args.name),
        }
        if sim.readies > readies {
            // Reset only after a READY: a server that refuses us must not be hammered.
            backoff = Duration::from_millis(100);
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        // Exponential backoff with jitter so a fleet of receivers does not reconnect in lockstep.
        let jitter =
            Duration::from_millis(sim.rng.next_u64() % (backoff.as_millis() as u64 / 2 + 1));
        sleep_unless(stop, backoff + jitter);
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
    Ok(sim.report)
}

/// Spawns [`run`] on its own thread.
pub fn spawn(
    args: ReceiverArgs,
    stop: Arc<AtomicBool>,
    ready: Arc<AtomicUsize>,
) -> JoinHandle<Result<ReceiverReport, String>> {
    std::thread::spawn(move || run(&args, &stop, Some(&ready)))
}

fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let until = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        std::thread::sleep(
            Duration::from_millis(10).min(until.saturating_duration_since(Instant::now())),
        );
    }
}

struct Sim<'a> {
    args: &'a ReceiverArgs,
    report: ReceiverReport,
    prices: Vec<(String, f64)>,
    last_id: Option<u64>,
    rng: XorShift,
    out: Vec<u8>,
    readies: u64,
}

impl<'a> Sim<'a> {
    fn new(args: &'a ReceiverArgs) -> Self {
        let seed = args
            .name
            .bytes()
            .fold(0x9E37_79B9_7F4A_7C15u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01B3));
        Sim {
            args,
            report: ReceiverReport {
                book: Book::with_accounts(args.accounts),
                ..Default::default()
            },
            prices: Vec::new(),
            last_id: None,
            rng: XorShift(seed | 1),
            out: Vec::with_capacity(8192),
            readies: 0,
        }
    }

    fn session(
        &mut self,
        mut stream: TcpStream,
        stop: &AtomicBool,
        ready: Option<&AtomicUsize>,
    ) -> io::Result<()> {
        stream.set_nodelay(!self.args.no_terminator)?;
        stream.set_read_timeout(Some(Duration::from_millis(20)))?;
        self.out.clear();
        encode::connect(&mut self.out, &self.args.name, self.args.accounts as u32, "Version:1.0");
        end_message(&mut self.out, self.args.no_terminator);
        self.flush(&mut stream)?;
        let hb_every = Duration::from_secs_f64(self.args.heartbeat_s);
        let ack_timeout = Duration::from_secs_f64(self.args.ack_timeout_s);
        let mut next_hb = Instant::now() + hb_every;
        let mut last_ack = Instant::now();
        let mut buf = vec![0u8; 64 * 1024];
        let mut len = 0;
        let mut is_ready = false;
        let result = loop {
            if stop.load(Ordering::Relaxed) {
                break Ok(());
            }
            let now = Instant::now();
            if now >= next_hb {
                next_hb = now + hb_every;
                self.out.clear();
                let status = format!("Connected:{}_Accounts", self.args.accounts);
                encode::heartbeat(&mut self.out, &self.args.name, &status);
                end_message(&mut self.out, self.args.no_terminator);
                self.positions_all(None);
                self.flush(&mut stream)?;
            }
            if now.saturating_duration_since(last_ack) > ack_timeout {
                break Err(io::Error::new(io::ErrorKind::TimedOut, "no HEARTBEAT_ACK"));
            }
            match stream.read(&mut buf[len..]) {
                Ok(0) => break Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed")),
                Ok(n) => len += n,
                Err(e) if crate::sys::is_transient(&e) => continue,
                Err(e) => break Err(e),
            }
            let arrived = Instant::now();
            let mut start = 0;
            loop {
                // The server answers an unterminated peer without terminators (one message per
                // write), so such a peer splits what it reads the same way the server does.
                let (n, consumed) = match next_frame(&buf[start..len]) {
                    Frame::Complete { len: n, consumed } => (n, consumed),
                    _ if self.args.no_terminator && start < len => {
                        let n = split_unterminated(&buf[start..len]);
                        (n, n)
                    }
                    _ => break,
                };
                let line = &buf[start..start + n];
                start += consumed;
                match codec::parse(line) {
                    Ok(Message::Ready { .. }) => {
                        if !is_ready {
                            is_ready = true;
                            self.readies += 1;
                            last_ack = Instant::now();
                            if let Some(r) = ready {
                                r.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    }
                    Ok(Message::HeartbeatAck { .. }) => last_ack = Instant::now(),
                    Ok(Message::Signal(s)) => {
                        self.execute(&s.signal, s.id, arrived);
                        self.flush(&mut stream)?;
                    }
                    Ok(Message::Error(e)) => {
                        warn!(
                            "receiver {}: server ERROR {} {} {}",
                            self.args.name, e.code, e.message, e.details
                        );
                        self.report.server_errors.push(format!("{}|{}", e.code, e.message));
                    }
                    Ok(other) => debug!("receiver {}: ignoring {other:?}", self.args.name),
                    Err(e) => {
                        warn!("receiver {}: bad line from server: {}", self.args.name, e.message())
                    }
                }
            }
            buf.copy_within(start..len, 0);
            len -= start;
            if len == buf.len() {
                break Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "unframed input from server",
                ));
            }
        };
        if is_ready {
            if let Some(r) = ready {
                r.fetch_sub(1, Ordering::SeqCst);
            }
        }
        result
    }

    fn price(&mut self, symbol: &str) -> f64 {
        if !self.prices.iter().any(|(s, _)| s == symbol) {
            self.prices.push((symbol.to_string(), instrument(symbol).0));
        }
        let step = (self.rng.next_u64() % 5) as f64 - 2.0;
        let tick = if instrument(symbol).0 > 1000.0 { 0.25 } else { 0.01 };
        let slot = self.prices.iter_mut().find(|(s, _)| s == symbol);
        match slot {
            Some((_, p)) => {
                *p = (*p + step * tick).max(tick);
                *p
            }
            None => instrument(symbol).0,
        }
    }

    fn execute(&mut self, sig: &crate::signal::Signal<'_>, id: Option<u64>, arrived: Instant) {
        if let Some(id) = id {
            if let Some(last) = self.last_id {
                if id > last + 1 {
                    self.report.id_gaps += id - last - 1;
                }
            }
            self.last_id = Some(id);
            if self.args.record_arrivals {
                self.report.arrivals.push((id, arrived));
            }
        }
        self.report.signals += 1;
        let symbols: Vec<String> = if sig.symbol == "ALL" {
            self.report.book.holdings.iter().flatten().map(|h| h.symbol.clone()).collect()
        } else {
            vec![sig.symbol.to_string()]
        };
        let prices: Vec<(String, f64)> =
            symbols.iter().map(|s| (s.clone(), self.price(s))).collect();
        let price_of =
            |s: &str| prices.iter().find(|(p, _)| p == s).map_or(instrument(s).0, |(_, p)| *p);
        let touched = self.report.book.apply(sig, price_of);
        self.out.clear();
        for sym in &touched {
            self.positions_for(Some(sym));
        }
        self.summary(id);
    }

    fn positions_all(&mut self, id: Option<u64>) {
        self.positions_for(None);
        self.summary(id);
    }

    fn positions_for(&mut self, symbol: Option<&str>) {
        let now = crate::clock::unix_nanos() / 1_000_000_000;
        let book = &self.report.book;
        for (account, holdings) in book.accounts.iter().zip(&book.holdings) {
            for h in holdings.iter().filter(|h| symbol.is_none_or(|s| s == h.symbol)) {
                let (dir, q) = direction(h.qty);
                let last =
                    self.prices.iter().find(|(s, _)| *s == h.symbol).map_or(h.entry, |(_, p)| *p);
                let pnl = (h.realized + (last - h.entry) * h.qty as f64) * instrument(&h.symbol).1;
                encode::position(&mut self.out, account, dir, q, h.entry, pnl, now, &h.symbol);
                end_message(&mut self.out, self.args.no_terminator);
            }
        }
    }

    fn summary(&mut self, id: Option<u64>) {
        let book = &self.report.book;
        let (mut holding, mut qty, mut long, mut short, mut pnl, mut notional) =
            (0u32, 0u32, 0u32, 0u32, 0.0, 0.0);
        for hs in &book.holdings {
            if hs.iter().any(|h| h.qty != 0) {
                holding += 1;
            }
            for h in hs {
                qty += h.qty.unsigned_abs() as u32;
                long += (h.qty > 0) as u32;
                short += (h.qty < 0) as u32;
                let last =
                    self.prices.iter().find(|(s, _)| *s == h.symbol).map_or(h.entry, |(_, p)| *p);
                pnl += (h.realized + (last - h.entry) * h.qty as f64) * instrument(&h.symbol).1;
                notional += h.entry * h.qty.unsigned_abs() as f64;
            }
        }
        let avg = if qty > 0 { notional / qty as f64 } else { 0.0 };
        encode::summary(&mut self.out, holding, qty, pnl, avg, long, short, id);
        end_message(&mut self.out, self.args.no_terminator);
    }

    fn flush(&mut self, stream: &mut TcpStream) -> io::Result<()> {
        if self.args.no_terminator {
            for msg in self.out.split(|&b| b == 0xFF).filter(|m| !m.is_empty()) {
                stream.write_all(msg)?;
            }
        } else {
            stream.write_all(&self.out)?;
        }
        self.out.clear();
        Ok(())
    }
}

/// In no-terminator mode each message goes out alone, without its LF: 0xFF (never valid UTF-8)
/// marks the boundary for `flush`, which writes each message separately.
fn end_message(out: &mut Vec<u8>, no_terminator: bool) {
    if no_terminator {
        if let Some(b'\n') = out.last() {
            out.pop();
        }
        out.push(0xFF);
    }
}

fn direction(qty: i64) -> (Direction, u32) {
    match qty {
        0 => (Direction::Flat, 0),
        q if q > 0 => (Direction::Long, q as u32),
        q => (Direction::Short, q.unsigned_abs() as u32),
    }
}

/// Tiny deterministic PRNG (xorshift64); simulators need repeatability, not quality.
#[derive(Clone, Copy, Debug)]
pub struct XorShift(pub u64);

impl XorShift {
    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}
