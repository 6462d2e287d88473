//! `sim pipe-feed`: writes ticks (and signals) into the pipe the way the ACSIL study does.

mod generate;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(unix)]
use unix as sys;
#[cfg(windows)]
use windows as sys;

use generate::Generator;
use std::io;
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
    check_args(args)?;
    let start = Instant::now();
    let deadline = deadline(args, start)?;
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
        let is_signal = next_message(args, &mut gen, &stats, &mut msg);
        if !write_msg(&mut writer, &args.pipe, &msg, &mut stats, &|| done(stop))? {
            return Ok(stats);
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

/// The argument checks clap cannot express.
fn check_args(args: &PipeFeedArgs) -> Result<(), String> {
    if args.symbols.is_empty() || args.symbols.iter().any(|s| s.is_empty() || s.len() > 32) {
        return Err("--symbols: give 1 to 32-character symbols, comma-separated".into());
    }
    // Bounds keep the Duration/Instant arithmetic in `run` from panicking on absurd values.
    if !(args.rate == 0.0 || (MIN_RATE..=MAX_RATE).contains(&args.rate)) {
        return Err(format!("--rate must be 0 (flat out) or in [{MIN_RATE}, {MAX_RATE}]"));
    }
    Ok(())
}

/// When `--duration-s` ends the run, counted from `start`.
fn deadline(args: &PipeFeedArgs, start: Instant) -> Result<Option<Instant>, String> {
    match args.duration_s {
        None => Ok(None),
        Some(s) => {
            let d = (0.0..=MAX_DURATION_S)
                .contains(&s)
                .then(|| Duration::try_from_secs_f64(s).ok())
                .flatten()
                .and_then(|d| start.checked_add(d));
            Ok(Some(d.ok_or_else(|| format!("--duration-s must be in [0, {MAX_DURATION_S}]"))?))
        }
    }
}

/// Puts the next message in `msg`: an injected one, a due signal, or a tick; true for a signal.
fn next_message(
    args: &PipeFeedArgs,
    gen: &mut Generator,
    stats: &FeedStats,
    msg: &mut Vec<u8>,
) -> bool {
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
        gen.signal(msg);
    } else {
        gen.tick(msg);
    }
    is_signal
}

/// Writes `msg`, (re)opening the pipe as needed; false when told to give up first.
fn write_msg(
    writer: &mut Option<sys::Writer>,
    pipe: &str,
    msg: &[u8],
    stats: &mut FeedStats,
    give_up: &dyn Fn() -> bool,
) -> Result<bool, String> {
    loop {
        let w = match writer.as_mut() {
            Some(w) => w,
            None => match sys::Writer::open(pipe, give_up) {
                Ok(Some(w)) => {
                    stats.connects += 1;
                    writer.insert(w)
                }
                Ok(None) => return Ok(false),
                Err(e) => return Err(format!("{pipe}: {e}")),
            },
        };
        match w.write_msg(msg, give_up) {
            Ok(written) => return Ok(written),
            // The reader went away: wait for the next one, as the study does.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => *writer = None,
            Err(e) => return Err(format!("{pipe}: write: {e}")),
        }
    }
}

/// Runs [`run`] on its own thread (for the demo).
pub fn spawn(args: PipeFeedArgs, stop: Arc<AtomicBool>) -> JoinHandle<Result<FeedStats, String>> {
    std::thread::spawn(move || run(&args, &stop))
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
