//! Shared by the pipe integration tests: a PipeEndpoint driven by a small mio loop.

use mio::{Events, Poll, Token};
use std::time::{Duration, Instant};
use v9bridge::endpoint::{Ctx, Endpoint, ReadOn};
use v9bridge::market::MarketState;
use v9bridge::pipe::{PipeConfig, PipeEndpoint};
use v9bridge::signal::{Origin, Signal, SignalError, SignalSink};

/// Records accepted signals as `ACTION|SYMBOL|QTY`.
#[derive(Default)]
pub struct Recorder(pub Vec<String>);

impl SignalSink for Recorder {
    fn publish(
        &mut self,
        s: &Signal<'_>,
        origin: Origin,
        _read_at: Instant,
    ) -> Result<u64, SignalError> {
        assert_eq!(origin, Origin::Pipe);
        s.validate()?;
        self.0.push(format!("{}|{}|{}", s.action, s.symbol, s.qty));
        Ok(self.0.len() as u64)
    }
}

pub struct Harness {
    pub poll: Poll,
    pub events: Events,
    pub ep: PipeEndpoint,
    pub market: MarketState,
    pub sink: Recorder,
    /// Events delivered to the endpoint so far.
    pub wakeups: u64,
    /// Read-ons delivered (its budget ran out the turn before).
    pub read_ons: u64,
    /// The turn number and whether the endpoint waits to read on.
    pub reads: ReadOn,
    due: Vec<Token>,
    /// Keeps a FIFO's directory alive (Unix).
    pub _dir: Option<tempfile::TempDir>,
    pub path: String,
}

impl Harness {
    /// A FIFO in a temp dir (Unix) or a uniquely named pipe (Windows).
    pub fn new() -> Harness {
        #[cfg(unix)]
        let (dir, path) = {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("feed.fifo").to_string_lossy().into_owned();
            (Some(dir), path)
        };
        #[cfg(windows)]
        let (dir, path) = {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            (None, format!(r"\\.\pipe\v9bridge-test-{}-{n}", std::process::id()))
        };
        let cfg = PipeConfig { path: path.clone(), ..PipeConfig::default() };
        let mut ep = PipeEndpoint::new(&cfg).unwrap();
        let poll = Poll::new().unwrap();
        ep.register(poll.registry(), 0, Instant::now()).unwrap();
        Harness {
            poll,
            events: Events::with_capacity(16),
            ep,
            market: MarketState::new(),
            sink: Recorder::default(),
            wakeups: 0,
            read_ons: 0,
            reads: ReadOn::default(),
            due: Vec::new(),
            _dir: dir,
            path,
        }
    }

    /// One loop turn: poll up to `timeout` (not at all while the endpoint waits to read on),
    /// hand every event to the endpoint, then the read-on its spent budget asked for.
    pub fn turn(&mut self, timeout: Duration) {
        let timeout = if self.reads.is_empty() { timeout } else { Duration::ZERO };
        self.poll.poll(&mut self.events, Some(timeout)).unwrap();
        self.reads.begin_turn(&mut self.due);
        let mut ctx = Ctx {
            now: Instant::now(),
            wall_ns: 0,
            registry: self.poll.registry(),
            market: &mut self.market,
            signals: &mut self.sink,
            reads: &mut self.reads,
        };
        for ev in self.events.iter() {
            self.wakeups += 1;
            self.ep.handle_event(0, ev, &mut ctx);
        }
        if !self.due.is_empty() {
            self.read_ons += 1;
            self.ep.read_on(0, &mut ctx);
        }
    }

    /// Turns the loop until `done` or `limit` (then fails).
    #[track_caller]
    pub fn run_until(&mut self, limit: Duration, done: impl Fn(&Harness) -> bool) {
        let end = Instant::now() + limit;
        while !done(self) {
            assert!(Instant::now() < end, "timed out; {:?}", self.ep.stats());
            self.turn(Duration::from_millis(20));
        }
    }

    pub fn updates(&self, sym: &str) -> u64 {
        self.market.get(sym).map_or(0, |q| q.updates)
    }
}

/// One precise tick, LF-framed.
pub fn tick(sym: &str, seq: u64) -> String {
    format!("{{\"symbol\":\"{sym}\",\"price\":4700.25,\"bid\":4700,\"ask\":4700.5,\"ts_us\":1769537130000000,\"seq\":{seq}}}\n")
}
