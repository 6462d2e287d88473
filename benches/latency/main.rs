//! End-to-end latency bench (`cargo bench --bench latency`): the engine pinned to one core, its
//! peers on another, fixed-rate loads, every hop beside a raw baseline from the same run.
//!
//! Knobs: `V9B_BENCH_QUICK=1` (short runs, for CI smoke), `V9B_BENCH_OUT=DIR` (default
//! `target/latency`: .hgrm files, latency.svg, results.md), `V9B_BENCH_ENGINE_CORE=N` (the
//! engine's core; default the last), `V9B_BENCH_CHROMIUM_PRIORITY=idle` (the ops rows' browser
//! under `SCHED_IDLE`), `V9B_BENCH_FANOUT=1,20` / `V9B_BENCH_RATE` / `V9B_BENCH_COUNT` (which
//! broadcast rows, at what rate, how many signals: e.g. a slow run under callgrind),
//! `V9B_BENCH_JOURNAL=DIR` (every row journalled to DIR), `V9B_BENCH_ROUNDS=N` (off/on pairs
//! of the journal, risk and routing rows, default 2; of the ops rows, default 4),
//! `V9B_BENCH_OPS_MODE=on|off` (the ops rows in one mode only).

mod ab;
mod dtc;
mod journal;
mod ops;
mod routing;
use ops::{ops_consumers, ops_metrics};
mod peers;
mod raw;
mod report;
mod risk;
mod suite;
mod throughput;

use peers::{Peers, Source};
use report::Row;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io;
#[cfg(unix)]
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use v9bridge::config::{Config, Pin};
use v9bridge::dtc::OrderRequest;
use v9bridge::engine::{CallCtx, Endpoints, Engine, EngineHandle, EngineOutcome};
use v9bridge::metrics::LatencyHist;

// ---- allocations on the engine thread only ----
struct Counting;
static ENGINE_ALLOCS: AtomicU64 = AtomicU64::new(0);
thread_local! { static IS_ENGINE: Cell<bool> = const { Cell::new(false) }; }
// SAFETY: forwards to the system allocator; counting touches only an atomic and a const TLS cell.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if IS_ENGINE.with(|e| e.get()) {
            ENGINE_ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if IS_ENGINE.with(|e| e.get()) {
            ENGINE_ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(p, l, n) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

struct Bench {
    quick: bool,
    engine_core: Option<core_affinity::CoreId>,
    /// Where the FIFOs go.
    #[cfg(unix)]
    tmp: std::path::PathBuf,
    rows: Vec<Row>,
    notes: Vec<String>,
    extra: Vec<LatencyHist>,
}

struct Running {
    handle: EngineHandle,
    join: std::thread::JoinHandle<io::Result<EngineOutcome>>,
}

impl Running {
    fn stop(self) -> io::Result<EngineOutcome> {
        self.handle.stop();
        self.join.join().map_err(|_| io::Error::other("engine panicked"))?
    }
    fn reset(&self) {
        let _ = self.handle.reset_histograms(Duration::from_secs(5));
    }
}

/// Runs `engine` on its own thread, on `core`. This thread is pinned to the peers' core and a
/// new thread inherits that mask, inside which the engine's own pin looks for its core and
/// finds none: it then ran unpinned on the peers' core (every figure before 2026-12-01 21:45
/// UTC had the engine and its peers sharing one core). So the thread moves first.
fn spawn_engine(
    engine: Engine,
    core: Option<core_affinity::CoreId>,
) -> io::Result<std::thread::JoinHandle<io::Result<EngineOutcome>>> {
    std::thread::Builder::new().name("v9b-engine".into()).spawn(move || {
        raw::pin(core);
        IS_ENGINE.with(|e| e.set(true));
        engine.run()
    })
}

fn hist(o: &EngineOutcome, name: &str) -> LatencyHist {
    o.histograms
        .iter()
        .find(|h| h.name() == name)
        .cloned()
        .unwrap_or_else(|| LatencyHist::new(name))
}

fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

impl Bench {
    fn config(&self) -> Config {
        let mut c = Config::default();
        c.v9.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        c.engine.pin = self.engine_core.map_or(Pin::None, |c| Pin::Core(c.id));
        c.engine.report_interval_s = 0;
        c.journal.dir = "none".into(); // the journal rows set their own (a temp dir)
        if let Ok(dir) = std::env::var("V9B_BENCH_JOURNAL") {
            // Every row journalled there (fsync every_ms): for a callgrind count with it on.
            c.journal.dir = dir.into();
            c.journal.fsync = v9bridge::journal::FsyncPolicy::EveryMs;
        }
        c.v9.max_output_bytes = 16 << 20;
        c.engine.busy_poll = std::env::var("V9B_BENCH_BUSY").is_ok_and(|v| v == "1");
        c
    }

    fn start(&self, cfg: Config) -> io::Result<Running> {
        let engine = Engine::new(&cfg)?;
        let handle = engine.handle();
        let join = spawn_engine(engine, self.engine_core)?;
        Ok(Running { handle, join })
    }

    /// An engine with pipe ingest on a fresh FIFO, and a non-blocking writer on it.
    #[cfg(unix)]
    fn start_with_fifo(&self, name: &str) -> io::Result<(Running, std::fs::File)> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.tmp.join(name);
        let mut cfg = self.config();
        cfg.pipe = Some(v9bridge::pipe::PipeConfig {
            path: path.to_string_lossy().into_owned(),
            ..Default::default()
        });
        let e = self.start(cfg)?;
        std::thread::sleep(Duration::from_millis(50));
        let w =
            std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&path)?;
        Ok((e, w))
    }

    fn n(&self, full: u64) -> u64 {
        if self.quick {
            (full / 5).max(500)
        } else {
            full
        }
    }

    /// Raw one-way baselines.
    fn baselines(&mut self) -> io::Result<(Option<LatencyHist>, LatencyHist)> {
        #[cfg(unix)]
        let fifo = Some(raw::fifo_one_way(&self.tmp, self.engine_core, 2000.0, self.n(20_000))?);
        #[cfg(not(unix))]
        let fifo = None;
        let tcp = raw::tcp_one_way(self.engine_core, 2000.0, self.n(20_000))?;
        Ok((fifo, tcp))
    }

    /// Pipe write (intended time) → tick parsed and applied, at 2 kHz.
    #[cfg(unix)]
    fn pipe_ticks(&mut self, fifo_base: Option<LatencyHist>) -> io::Result<()> {
        let (e, mut w) = self.start_with_fifo("engine.fifo")?;
        let rate = suite::knob("V9B_BENCH_RATE").unwrap_or(2000.0);
        let interval = Duration::from_secs_f64(1.0 / rate);
        let count = suite::knob("V9B_BENCH_COUNT").unwrap_or(self.n(20_000));
        let (base, wall) = (Instant::now(), v9bridge::clock::unix_nanos());
        let mut msg = Vec::with_capacity(128);
        let t0 = Instant::now() + Duration::from_millis(5);
        let mut allocs_before = 0;
        for i in 0..count {
            if i == count / 10 {
                e.reset(); // warm-up done
                allocs_before = ENGINE_ALLOCS.load(Ordering::Relaxed);
            }
            let due = t0 + interval.mul_f64(i as f64);
            while Instant::now() < due {
                std::thread::yield_now(); // a bare spin starves ksoftirqd (see peers.rs)
            }
            msg.clear();
            let ts = wall + due.saturating_duration_since(base).as_nanos() as i64;
            writeln!(msg, "{{\"symbol\":\"ES\",\"price\":4700.25,\"bid\":4700.0,\"ask\":4700.5,\"ts_ns\":{ts},\"seq\":{}}}", i + 1)?;
            w.write_all(&msg)?;
        }
        std::thread::sleep(Duration::from_millis(50));
        let allocs = ENGINE_ALLOCS.load(Ordering::Relaxed) - allocs_before;
        let o = e.stop()?;
        let h = hist(&o, "pipe.writer_to_applied");
        self.notes.push(format!(
            "pipe ticks: {allocs} allocations on the engine thread over {} measured ticks",
            count - count / 10
        ));
        self.extra.push(hist(&o, "pipe.read_to_applied"));
        self.rows.push(Row {
            hop: "pipe write → tick parsed+applied (2 kHz)".into(),
            engine: h,
            baseline: fifo_base,
        });
        Ok(())
    }

    /// Publisher send → broadcast written (engine side) and → last receiver read, for N receivers,
    /// beside the raw broadcaster doing the same writes.
    fn broadcast(&mut self, n: usize, rate: f64, count: u64) -> io::Result<()> {
        let msg = b"LONG|MES|1|TP:4700.25|SL:4650\n";
        let warm = count / 10;
        // Raw.
        let rb = raw::RawBroadcaster::start(n, self.engine_core)?;
        let recv = Peers::receivers(rb.addr, n, false)?;
        std::thread::sleep(Duration::from_millis(20));
        let src = Peers::publisher(rb.addr, false)?;
        let mut peers = Peers::new(Source::Tcp(src), recv)?;
        let raw_last = peers
            .run(&format!("raw.send_to_last_of_{n}_read"), msg, rate, count, warm)?
            .to_last_read;
        let raw_written = rb.stop()?;
        // Engine.
        let e = self.start(self.config())?;
        let addr = e.handle.v9_addr();
        let recv = Peers::receivers(addr, n, true)?;
        let src = Peers::publisher(addr, true)?;
        let mut peers = Peers::new(Source::Tcp(src), recv)?;
        peers.run("warmup", msg, rate, warm.max(100), warm.max(100))?;
        e.reset();
        let before = ENGINE_ALLOCS.load(Ordering::Relaxed);
        let r = peers.run(&format!("engine.send_to_last_of_{n}_read"), msg, rate, count, 0)?;
        let allocs = ENGINE_ALLOCS.load(Ordering::Relaxed) - before;
        if n == 1000 {
            if let Some(k) = rss_kib() {
                self.notes.push(format!(
                    "process RSS under load (engine + 1000 receivers + peers): {} MiB",
                    k / 1024
                ));
            }
        }
        let o = e.stop()?;
        self.notes.push(format!(
            "broadcast to {n}: {allocs} allocations on the engine thread over {count} signals"
        ));
        let written = hist(&o, "v9.publisher_read_to_broadcast_written");
        self.rows.push(Row {
            hop: format!("publisher read → broadcast written to {n}"),
            engine: written,
            baseline: Some(raw_written),
        });
        self.rows.push(Row {
            hop: format!("publisher send → last of {n} receivers read ({rate:.0}/s)"),
            engine: r.to_last_read,
            baseline: Some(raw_last),
        });
        Ok(())
    }

    /// One broadcast run to `n` receivers holding 20 positions each; with `ops`, the operator
    /// surface runs with an SSE reader and a subscribed market-data WebSocket.
    fn broadcast_once(
        &self,
        n: usize,
        rate: f64,
        count: u64,
        ops: bool,
    ) -> io::Result<(LatencyHist, LatencyHist)> {
        let msg = b"LONG|MES|1|TP:4700.25|SL:4650\n";
        let mut cfg = self.config();
        let listen = if ops { "127.0.0.1:0" } else { "none" };
        cfg.ops.listen = listen.parse().map_err(io::Error::other)?;
        let mut engine = Engine::new(&cfg)?.with_ops(&cfg)?;
        let ops_addr = engine.ops().map(|o| o.local_addr());
        let handle = engine.handle();
        let join = spawn_engine(engine, self.engine_core)?;
        let e = Running { handle, join };
        let addr = e.handle.v9_addr();
        let mut recv = Peers::receivers(addr, n, true)?;
        for r in &mut recv {
            let mut lines = String::new();
            for a in 1..=20 {
                lines.push_str(&format!("POSITION|Account{a}|LONG|1|4700.25|+0.00|Symbol:MES\n"));
            }
            raw::write_spin(r, lines.as_bytes())?;
        }
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let consumers = match ops_addr {
            Some(a) => {
                let tick = |_: &mut Endpoints, c: &mut CallCtx<'_>| {
                    let t = v9bridge::market::TickUpdate {
                        symbol: "MES",
                        bid: Some(4700.0),
                        ask: Some(4700.25),
                        ..Default::default()
                    };
                    c.market.apply(&t, v9bridge::market::Feed::Pipe, c.now);
                };
                let _ = e.handle.call(tick, Duration::from_secs(5));
                std::thread::sleep(Duration::from_millis(100)); // a snapshot with MES in it
                let c = ops_consumers(a, stop.clone())?;
                ops::await_dashboard(a);
                c
            }
            None => ops::Consumers::none(),
        };
        let src = Peers::publisher(addr, true)?;
        let mut peers = Peers::new(Source::Tcp(src), recv)?;
        peers.run("warmup", msg, rate, (count / 10).max(100), (count / 10).max(100))?;
        e.reset();
        let r = peers.run("load", msg, rate, count, 0)?;
        if let Some(a) = ops_addr {
            if let Some((last, max, streams)) = ops_metrics(a) {
                eprintln!(
                    "ops: snapshot fill on the loop: last {:.1} µs, max {:.1} µs; {streams} \
                     streams open (2 = the dashboard's event stream and the WebSocket)",
                    last * 1e6,
                    max * 1e6
                );
            }
        }
        stop.store(true, Ordering::SeqCst);
        consumers.stop();
        let o = e.stop()?;
        Ok((hist(&o, "v9.publisher_read_to_broadcast_written"), r.to_last_read))
    }
}

/// The engine's core and the peers' core: the last and the first by default, or
/// `V9B_BENCH_ENGINE_CORE=N` (the peers then take the first other core). On a VM whose disk
/// interrupt is bound to one core, this shows what the journal's fsync costs on and off it.
fn split_cores(
    cores: &[core_affinity::CoreId],
) -> (Option<core_affinity::CoreId>, Option<core_affinity::CoreId>) {
    if cores.len() < 2 {
        return (None, None);
    }
    let wanted: Option<usize> = suite::knob("V9B_BENCH_ENGINE_CORE");
    let engine = wanted.and_then(|n| cores.iter().find(|c| c.id == n)).or(cores.last()).copied();
    let peers = cores.iter().find(|c| Some(c.id) != engine.map(|e| e.id)).copied();
    (engine, peers)
}

fn main() -> io::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(()); // cargo bench -- --list
    }
    let quick = std::env::var("V9B_BENCH_QUICK").is_ok_and(|v| v == "1");
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let (engine_core, peers_core) = split_cores(&cores);
    raw::pin(peers_core);
    let out = std::path::PathBuf::from(
        std::env::var("V9B_BENCH_OUT").unwrap_or_else(|_| "target/latency".into()),
    );
    std::fs::create_dir_all(&out)?;
    #[cfg(unix)]
    let tmp = tempfile::tempdir()?;
    let mut b = Bench {
        quick,
        engine_core,
        #[cfg(unix)]
        tmp: tmp.path().to_path_buf(),
        rows: Vec::new(),
        notes: Vec::new(),
        extra: Vec::new(),
    };
    v9bridge::sys::raise_fd_limit();
    eprintln!(
        "latency bench: engine on core {:?}, peers on core {:?}, quick={quick}",
        engine_core.map(|c| c.id),
        peers_core.map(|c| c.id)
    );
    if let Some(k) = rss_kib() {
        b.notes.push(format!("process RSS at start: {} MiB", k / 1024));
    }
    let (fifo, tcp) = b.baselines()?;
    for h in fifo.iter().chain(std::iter::once(&tcp)) {
        b.notes.push(format!("baseline {}", h.summary_line()));
    }
    b.extra.push(tcp.clone());
    b.run_selected(fifo.as_ref(), &tcp)?;
    if let Some(k) = rss_kib() {
        b.notes.push(format!("process RSS at the end: {} MiB", k / 1024));
    }
    suite::write_report(&b, &out, fifo.as_ref())
}
