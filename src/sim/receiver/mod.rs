//! Copy-receiver simulator: behaves like NinjaTrader's V9_CopyReceiver on N simulated accounts.
//
// This file is the shell (sockets, heartbeats, reconnects); state.rs is the protocol.

use super::catchup::CaughtUp;
use super::model::Book;
use crate::v9::frame::{next_frame, split_unterminated, Frame};
use log::{debug, info};
use state::{Event, State};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub mod saved;
mod state;

/// `v9bridge sim receiver` options.
#[derive(clap::Args, Debug, Clone)]
pub struct ReceiverArgs {
    /// V9 server address.
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub connect: String,
    /// Simulated accounts (Account1..AccountN).
    #[arg(long, default_value_t = 20)]
    pub accounts: usize,
    /// Account names are this prefix and a number (`Account1`..): distinct prefixes give
    /// receivers distinct accounts (for `[groups]`).
    #[arg(long, default_value = "Account")]
    pub account_prefix: String,
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
    /// Keep the book, ids and execution log in this file (written atomically at most every
    /// 100 ms and at exit), so a killed and restarted process resumes instead of starting fresh.
    /// The log holds every executed id: meant for tests and demos, not for days of traffic.
    #[arg(long)]
    pub state_file: Option<std::path::PathBuf>,
    /// Remember when each signal id arrived (for the demo's end-to-end latency); on with
    /// `--state-file` (the execution log is what a restart is checked with).
    #[arg(skip)]
    pub record_arrivals: bool,
}

impl Default for ReceiverArgs {
    fn default() -> Self {
        ReceiverArgs {
            connect: "127.0.0.1:5000".into(),
            accounts: 20,
            account_prefix: "Account".into(),
            name: "V9_CopyReceiver".into(),
            heartbeat_s: 5.0,
            ack_timeout_s: 30.0,
            no_terminator: false,
            state_file: None,
            record_arrivals: false,
        }
    }
}

/// What a receiver saw, returned when it stops.
#[derive(Debug, Default)]
pub struct ReceiverReport {
    /// Signal messages executed on at least one account (or routed to none of them).
    pub signals: u64,
    /// (account, signal) executions skipped because the account had executed that id already.
    pub duplicates: u64,
    /// Signal messages skipped entirely as duplicates (not answered).
    pub duplicate_signals: u64,
    /// Signals that carried `Replay:1` (executed or skipped).
    pub replayed: u64,
    /// SYNC lines applied.
    pub syncs: u64,
    /// Every CAUGHT_UP received, in order.
    pub catch_ups: Vec<CaughtUp>,
    /// The last server epoch seen in READY.
    pub epoch: Option<u64>,
    /// Per account (indexed like `book.accounts`): the last signal id executed.
    pub last_executed: Vec<u64>,
    /// (signal id, accounts it executed on) per executed signal, when `record_arrivals` is set.
    pub executions: Vec<(u64, u32)>,
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
    if let Some(path) = &args.state_file {
        if let Some(saved) = saved::Saved::load(path)? {
            sim.st.restore(saved)?;
            info!("receiver {}: resuming from {}", args.name, path.display());
        }
    }
    let mut backoff = Duration::from_millis(100);
    while !stop.load(Ordering::Relaxed) {
        let readies = sim.readies;
        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(stream) => {
                sim.st.report.connections += 1;
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
            Duration::from_millis(sim.st.rng.next_u64() % (backoff.as_millis() as u64 / 2 + 1));
        sleep_unless(stop, backoff + jitter);
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
    sim.save(true)?;
    Ok(sim.st.report)
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
    st: State,
    readies: u64,
    saved: (u64, Instant),
}

impl<'a> Sim<'a> {
    fn new(args: &'a ReceiverArgs) -> Self {
        let mut st = State::new(args);
        st.record |= args.state_file.is_some();
        Sim { args, st, readies: 0, saved: (0, Instant::now()) }
    }

    /// Writes the state file when something changed (at most every 100 ms unless `now`).
    fn save(&mut self, now: bool) -> Result<(), String> {
        let Some(path) = &self.args.state_file else { return Ok(()) };
        let due = now || self.saved.1.elapsed() >= Duration::from_millis(100);
        if self.st.changes != self.saved.0 && due {
            self.st.saved().save(path)?;
            self.saved = (self.st.changes, Instant::now());
        }
        Ok(())
    }

    fn session(
        &mut self,
        mut stream: TcpStream,
        stop: &AtomicBool,
        ready: Option<&AtomicUsize>,
    ) -> io::Result<()> {
        stream.set_nodelay(!self.args.no_terminator)?;
        stream.set_read_timeout(Some(Duration::from_millis(20)))?;
        self.st.out.clear();
        self.st.connect();
        self.flush(&mut stream)?;
        let mut is_ready = false;
        let result = self.converse(&mut stream, stop, ready, &mut is_ready);
        if is_ready {
            if let Some(r) = ready {
                r.fetch_sub(1, Ordering::SeqCst);
            }
        }
        result
    }

    fn converse(
        &mut self,
        stream: &mut TcpStream,
        stop: &AtomicBool,
        ready: Option<&AtomicUsize>,
        is_ready: &mut bool,
    ) -> io::Result<()> {
        let hb_every = Duration::from_secs_f64(self.args.heartbeat_s);
        let ack_timeout = Duration::from_secs_f64(self.args.ack_timeout_s);
        let mut next_hb = Instant::now() + hb_every;
        let mut last_ack = Instant::now();
        let mut buf = vec![0u8; 64 * 1024];
        let mut len = 0;
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            self.save(false).map_err(io::Error::other)?;
            let now = Instant::now();
            if now >= next_hb {
                next_hb = now + hb_every;
                self.st.heartbeat(unix_secs());
                self.flush(stream)?;
            }
            if now.saturating_duration_since(last_ack) > ack_timeout {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no HEARTBEAT_ACK"));
            }
            match stream.read(&mut buf[len..]) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed")),
                Ok(n) => len += n,
                Err(e) if crate::sys::is_transient(&e) => continue,
                Err(e) => return Err(e),
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
                match self.st.on_line(line, arrived, unix_secs()) {
                    Event::Ready if !*is_ready => {
                        *is_ready = true;
                        self.readies += 1;
                        last_ack = Instant::now();
                        if let Some(r) = ready {
                            r.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    Event::Ack => last_ack = Instant::now(),
                    _ => {}
                }
                if !self.st.out.is_empty() {
                    self.flush(stream)?;
                }
            }
            buf.copy_within(start..len, 0);
            len -= start;
            if len == buf.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "unframed input from server",
                ));
            }
        }
    }

    fn flush(&mut self, stream: &mut TcpStream) -> io::Result<()> {
        let out = &mut self.st.out;
        if self.args.no_terminator {
            for msg in out.split(|&b| b == 0xFF).filter(|m| !m.is_empty()) {
                stream.write_all(msg)?;
            }
        } else {
            stream.write_all(out)?;
        }
        out.clear();
        Ok(())
    }
}

fn unix_secs() -> i64 {
    crate::clock::unix_nanos() / 1_000_000_000
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
