//! `sim pipe-feed`: writes ticks (and signals) into the pipe the way the ACSIL study does.

use crate::pipe::scdatetime;
use crate::signal::Action;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Wire format of the simulated writer.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedFormat {
    /// The older pipe-export study format: `{symbol,price,bid,ask,timestamp}` with an
    /// SCDateTime timestamp and no separator between objects.
    Seed,
    /// What `tools/acsil/V9BridgePipeExport.cpp` writes, plus `ts_ns` and a per-symbol `seq`:
    /// one object per line.
    Precise,
}

/// Arguments of `v9bridge sim pipe-feed`.
#[derive(clap::Args, Debug, Clone)]
pub struct PipeFeedArgs {
    /// FIFO path (Linux) or pipe name (Windows) to write to.
    #[arg(long, default_value_t = crate::pipe::default_pipe_path().to_string())]
    pub pipe: String,
    /// Ticks per second over all symbols (0 = as fast as the reader takes them).
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Symbols to cycle through.
    #[arg(long, value_delimiter = ',', default_value = "ES,NQ")]
    pub symbols: Vec<String>,
    /// Also write a signal now and then (every 500 ticks).
    #[arg(long)]
    pub signals: bool,
    /// Wire format.
    #[arg(long, value_enum, default_value_t = FeedFormat::Precise)]
    pub format: FeedFormat,
    /// Ticks to write before stopping (0 = until stopped).
    #[arg(long, default_value_t = 0)]
    pub count: u64,
    /// Seconds to run before stopping (also bounds waiting for the reader).
    #[arg(long)]
    pub duration_s: Option<f64>,
    /// Extra messages to write between ticks (the demo injects exact signals this way).
    #[arg(skip)]
    pub inject: Option<crossbeam_channel::Receiver<Vec<u8>>>,
}

impl Default for PipeFeedArgs {
    fn default() -> Self {
        PipeFeedArgs {
            pipe: crate::pipe::default_pipe_path().to_string(),
            rate: 100.0,
            symbols: vec!["ES".into(), "NQ".into()],
            signals: false,
            format: FeedFormat::Precise,
            count: 0,
            duration_s: None,
            inject: None,
        }
    }
}

/// What a run wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Ticks written.
    pub ticks: u64,
    /// Signals written.
    pub signals: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Times the pipe was (re)opened.
    pub connects: u64,
}

/// Signals are interleaved every this many ticks.
const SIGNAL_EVERY: u64 = 500;

/// Slowest paced rate (ticks/s): one tick per 1000 s.
const MIN_RATE: f64 = 1e-3;
/// Fastest paced rate (ticks/s); 0 means unpaced.
const MAX_RATE: f64 = 1e9;
/// Longest run (s): a year.
const MAX_DURATION_S: f64 = 366.0 * 86_400.0;

/// Runs the feed on this thread until `count`, `duration_s` or `stop`.
pub fn run(args: &PipeFeedArgs, stop: &AtomicBool) -> Result<FeedStats, String> {
    if args.symbols.is_empty() || args.symbols.iter().any(|s| s.is_empty() || s.len() > 32) {
        return Err("--symbols: give 1 to 32-character symbols, comma-separated".into());
    }
    // Bounds keep the Duration/Instant arithmetic below from panicking on absurd values.
    if !(args.rate == 0.0 || (MIN_RATE..=MAX_RATE).contains(&args.rate)) {
        return Err(format!("--rate must be 0 (flat out) or in [{MIN_RATE}, {MAX_RATE}]"));
    }
    let start = Instant::now();
    let deadline = match args.duration_s {
        None => None,
        Some(s) => {
            let d = (0.0..=MAX_DURATION_S)
                .contains(&s)
                .then(|| Duration::try_from_secs_f64(s).ok())
                .flatten()
                .and_then(|d| start.checked_add(d));
            Some(d.ok_or_else(|| format!("--duration-s must be in [0, {MAX_DURATION_S}]"))?)
        }
    };
    let done = |stop: &AtomicBool| {
        stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d)
    };
    let mut gen = Generator::new(&args.symbols, args.format);
    let mut stats = FeedStats::default();
    let mut writer: Option<sys::Writer> = None;
    let mut msg = Vec::with_capacity(256);
    let period = match args.rate {
        0.0 => None,
        r => Some(Duration::try_from_secs_f64(1.0 / r).map_err(|e| format!("--rate: {e}"))?),
    };
    while (args.count == 0 || stats.ticks < args.count) && !done(stop) {
        if let Some(p) = period {
            // Absolute schedule: late ticks go out at once, so the mean rate holds.
            let due = start + p.mul_f64(stats.ticks as f64);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        msg.clear();
        let injected = args.inject.as_ref().and_then(|rx| rx.try_recv().ok());
        let is_signal = injected.is_some()
            || (args.signals
                && stats.ticks > 0
                && stats.ticks % SIGNAL_EVERY == 0
                && gen.pending_signal);
        if let Some(m) = injected {
            msg.extend_from_slice(&m);
        } else if is_signal {
            gen.signal(&mut msg);
        } else {
            gen.tick(&mut msg);
        }
        loop {
            let w = match writer.as_mut() {
                Some(w) => w,
                None => match sys::Writer::open(&args.pipe, &|| done(stop)) {
                    Ok(Some(w)) => {
                        stats.connects += 1;
                        writer.insert(w)
                    }
                    Ok(None) => return Ok(stats),
                    Err(e) => return Err(format!("{}: {e}", args.pipe)),
                },
            };
            match w.write_msg(&msg, &|| done(stop)) {
                Ok(true) => break,
                Ok(false) => return Ok(stats),
                // The reader went away: wait for the next one, as the study does.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => writer = None,
                Err(e) => return Err(format!("{}: write: {e}", args.pipe)),
            }
        }
        stats.bytes += msg.len() as u64;
        if is_signal {
            stats.signals += 1;
            gen.pending_signal = false;
        } else {
            stats.ticks += 1;
            gen.pending_signal = true;
        }
    }
    Ok(stats)
}

/// Runs [`run`] on its own thread (for the demo).
pub fn spawn(args: PipeFeedArgs, stop: Arc<AtomicBool>) -> JoinHandle<Result<FeedStats, String>> {
    std::thread::spawn(move || run(&args, &stop))
}

/// Random-walk prices per symbol and the message text.
struct Generator {
    syms: Vec<(String, f64, u64)>,
    next: usize,
    rng: u64,
    format: FeedFormat,
    pending_signal: bool,
}

impl Generator {
    fn new(symbols: &[String], format: FeedFormat) -> Self {
        let syms = symbols
            .iter()
            .map(|s| {
                let base = match s.as_str() {
                    "ES" | "MES" => 4700.0,
                    "NQ" | "MNQ" => 16_000.0,
                    _ => 100.0,
                };
                (s.clone(), base, 0)
            })
            .collect();
        Generator { syms, next: 0, rng: 0x9E37_79B9_7F4A_7C15, format, pending_signal: false }
    }

    /// xorshift64: plenty for a random walk, and no extra crate.
    fn rand(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    fn tick(&mut self, out: &mut Vec<u8>) {
        let r = self.rand();
        let i = self.next;
        self.next = (self.next + 1) % self.syms.len();
        let (sym, price, seq) = &mut self.syms[i];
        let step = match r % 3 {
            0 => -0.25,
            1 => 0.0,
            _ => 0.25,
        };
        *price = (*price + step).max(1.0);
        *seq += 1;
        let (bid, ask) =
            (*price - 0.25 * ((r >> 8) % 2) as f64, *price + 0.25 * ((r >> 9) % 2 + 1) as f64);
        let bid = bid.max(0.25);
        let now_ns = crate::clock::unix_nanos();
        let _ = match self.format {
            FeedFormat::Seed => write!(
                out,
                r#"{{"symbol":"{sym}","price":{price},"bid":{bid},"ask":{ask},"timestamp":{:.10}}}"#,
                scdatetime::from_unix_ns(now_ns)
            ),
            FeedFormat::Precise => writeln!(
                out,
                r#"{{"symbol":"{sym}","price":{price},"bid":{bid},"ask":{ask},"volume":{},"ts_ns":{now_ns},"seq":{seq}}}"#,
                1 + (r >> 16) % 5
            ),
        };
    }

    fn signal(&mut self, out: &mut Vec<u8>) {
        let r = self.rand();
        let action = Action::ALL[(r % Action::ALL.len() as u64) as usize];
        let (sym, price, _) = &self.syms[(r >> 8) as usize % self.syms.len()];
        let qty = u32::from(action.opens());
        let _ = write!(out, r#"{{"signal":"{action}","symbol":"{sym}","qty":{qty}"#);
        if action.opens() {
            let _ = write!(out, r#","tp":{},"sl":{}"#, price + 10.0, (price - 10.0).max(0.25));
        }
        out.push(b'}');
        if self.format == FeedFormat::Precise {
            out.push(b'\n');
        }
    }
}

#[cfg(unix)]
mod sys {
    //! Writing to a FIFO without blocking forever: open fails while no reader exists.
    use std::fs::{File, OpenOptions};
    use std::io::{self, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    use std::time::Duration;

    pub struct Writer(File);

    impl Writer {
        /// Opens the FIFO for writing, retrying every 20 ms while it has no reader
        /// (ENXIO) or does not exist yet. `Ok(None)` when `give_up` says stop.
        pub fn open(path: &str, give_up: &dyn Fn() -> bool) -> io::Result<Option<Writer>> {
            loop {
                match OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(path) {
                    Ok(f) => return Ok(Some(Writer(f))),
                    Err(e)
                        if e.raw_os_error() == Some(libc::ENXIO)
                            || e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
                if give_up() {
                    return Ok(None);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        /// Writes all of `msg`, waiting (poll, 10 ms slices) while the pipe is full.
        /// `Ok(false)` when `give_up` says stop first.
        pub fn write_msg(
            &mut self,
            mut msg: &[u8],
            give_up: &dyn Fn() -> bool,
        ) -> io::Result<bool> {
            while !msg.is_empty() {
                match self.0.write(msg) {
                    Ok(n) => msg = &msg[n..],
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        if give_up() {
                            return Ok(false);
                        }
                        let mut p = libc::pollfd {
                            fd: self.0.as_raw_fd(),
                            events: libc::POLLOUT,
                            revents: 0,
                        };
                        // SAFETY: one valid pollfd, for the duration of the call.
                        unsafe { libc::poll(&mut p, 1, 10) };
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(true)
        }
    }
}

#[cfg(windows)]
mod sys {
    //! Writing to the engine's named pipe as a client, as the ACSIL study does.
    use std::fs::{File, OpenOptions};
    use std::io::{self, Write};
    use std::time::Duration;

    pub struct Writer(File);

    /// ERROR_PIPE_BUSY: the one server instance is taken (by a previous client, going away).
    const PIPE_BUSY: i32 = 231;

    impl Writer {
        /// Connects to the pipe, retrying every 20 ms while the server is absent or busy.
        pub fn open(path: &str, give_up: &dyn Fn() -> bool) -> io::Result<Option<Writer>> {
            loop {
                match OpenOptions::new().write(true).open(path) {
                    Ok(f) => return Ok(Some(Writer(f))),
                    Err(e)
                        if e.kind() == io::ErrorKind::NotFound
                            || e.raw_os_error() == Some(PIPE_BUSY) => {}
                    Err(e) => return Err(e),
                }
                if give_up() {
                    return Ok(None);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        /// Writes all of `msg` (blocking: the engine reads continuously).
        pub fn write_msg(&mut self, msg: &[u8], _give_up: &dyn Fn() -> bool) -> io::Result<bool> {
            match self.0.write_all(msg) {
                Ok(()) => Ok(true),
                // ERROR_NO_DATA (232): the server closed its end.
                Err(e) if e.raw_os_error() == Some(232) => Err(io::ErrorKind::BrokenPipe.into()),
                Err(e) => Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        feed: PipeFeedArgs,
    }

    #[test]
    fn parses_every_flag_and_has_defaults() {
        let cli = Cli::parse_from([
            "x",
            "--pipe",
            "/tmp/p",
            "--rate",
            "250",
            "--symbols",
            "ES,NQ,CL",
            "--signals",
            "--format",
            "seed",
            "--count",
            "7",
            "--duration-s",
            "1.5",
        ]);
        let a = cli.feed;
        assert_eq!(
            (a.pipe.as_str(), a.rate, a.symbols.len(), a.signals),
            ("/tmp/p", 250.0, 3, true)
        );
        assert_eq!((a.format, a.count, a.duration_s), (FeedFormat::Seed, 7, Some(1.5)));
        let d = Cli::parse_from(["x"]).feed;
        assert_eq!(
            (d.format, d.count, d.duration_s, d.symbols.clone()),
            (FeedFormat::Precise, 0, None, vec!["ES".into(), "NQ".into()])
        );
    }

    #[test]
    fn generated_messages_decode_cleanly() {
        for format in [FeedFormat::Seed, FeedFormat::Precise] {
            let mut g = Generator::new(&["ES".into(), "NQ".into()], format);
            let mut framer = crate::pipe::Framer::new(1 << 20);
            let mut parser = crate::pipe::Parser::new(0);
            let mut buf = Vec::new();
            for i in 0..2_000 {
                if i % 100 == 0 {
                    g.signal(&mut buf);
                } else {
                    g.tick(&mut buf);
                }
            }
            assert_eq!(framer.push(&buf), buf.len());
            let mut n = 0;
            while let Some(f) = framer.next_frame() {
                let crate::pipe::Frame::Object(o) = f else { panic!("{f:?}") };
                let msg = parser.parse(o);
                assert!(msg.is_ok(), "{format:?}: {msg:?} from {}", o.escape_ascii());
                if let Ok(crate::pipe::Message::Signal(s)) = msg {
                    assert_eq!(s.validate(), Ok(()));
                }
                n += 1;
            }
            assert_eq!(n, 2_000);
        }
    }

    #[test]
    fn refuses_bad_arguments() {
        let stop = AtomicBool::new(false);
        let bad = PipeFeedArgs { symbols: vec![], ..PipeFeedArgs::default() };
        assert!(run(&bad, &stop).is_err());
        for rate in [-1.0, f64::NAN, f64::INFINITY, 1e-300, 1e300] {
            let bad = PipeFeedArgs { rate, ..PipeFeedArgs::default() };
            assert!(run(&bad, &stop).is_err(), "{rate}");
        }
        for d in [-1.0, f64::NAN, f64::INFINITY, 1e300] {
            let bad = PipeFeedArgs { duration_s: Some(d), ..PipeFeedArgs::default() };
            assert!(run(&bad, &stop).is_err(), "{d}");
        }
    }
}
