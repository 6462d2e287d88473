//! Unit tests of the FIFO endpoint on real FIFOs: the path removed or taken over while running.

use super::{PipeConfig, PipeEndpoint};
use crate::endpoint::{Ctx, Endpoint, ReadOn};
use crate::market::MarketState;
use crate::signal::CountingSink;
use mio::{Events, Poll, Token};
use std::ffi::CString;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

/// Upper bound for any single wait.
const WAIT: Duration = Duration::from_secs(10);

/// A pipe endpoint on a FIFO in a temp dir, checking its path every 5 ms, on its own poll.
struct Loop {
    poll: Poll,
    events: Events,
    ep: PipeEndpoint,
    market: MarketState,
    sink: CountingSink,
    reads: ReadOn,
    due: Vec<Token>,
    path: String,
    _dir: tempfile::TempDir,
}

impl Loop {
    fn new() -> Loop {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.fifo").to_string_lossy().into_owned();
        let mut ep =
            PipeEndpoint::new(&PipeConfig { path: path.clone(), ..PipeConfig::default() }).unwrap();
        ep.set_path_check_every(Duration::from_millis(5));
        let poll = Poll::new().unwrap();
        ep.register(poll.registry(), 0, Instant::now()).unwrap();
        let (market, sink) = (MarketState::new(), CountingSink::default());
        let (reads, due) = (ReadOn::default(), Vec::new());
        let events = Events::with_capacity(8);
        Loop { poll, events, ep, market, sink, reads, due, path, _dir: dir }
    }

    /// One loop turn: events, read-on, then due timers, as the engine runs them.
    fn turn(&mut self) {
        let now = Instant::now();
        let timeout = self.ep.next_deadline().map(|d| d.saturating_duration_since(now));
        let mut timeout = timeout.unwrap_or(WAIT).min(Duration::from_millis(20));
        if !self.reads.is_empty() {
            timeout = Duration::ZERO;
        }
        self.poll.poll(&mut self.events, Some(timeout)).unwrap();
        self.reads.begin_turn(&mut self.due);
        let now = Instant::now();
        let mut ctx = Ctx {
            now,
            wall_ns: 0,
            registry: self.poll.registry(),
            market: &mut self.market,
            signals: &mut self.sink,
            reads: &mut self.reads,
        };
        for ev in self.events.iter() {
            self.ep.handle_event(0, ev, &mut ctx);
        }
        if !self.due.is_empty() {
            self.ep.read_on(0, &mut ctx);
        }
        if self.ep.next_deadline().is_some_and(|d| now >= d) {
            self.ep.handle_timeout(&mut ctx);
        }
    }

    #[track_caller]
    fn run_until(&mut self, what: &str, done: impl Fn(&Loop) -> bool) {
        let end = Instant::now() + WAIT;
        while !done(self) {
            assert!(Instant::now() < end, "timed out waiting for {what}: {:?}", self.ep.stats());
            self.turn();
        }
    }

    fn updates(&self, sym: &str) -> u64 {
        self.market.get(sym).map_or(0, |q| q.updates)
    }

    /// Writes one tick into whatever FIFO the path names now (blocking open: a reader exists).
    fn write_tick(&self, sym: &str) {
        let mut w = OpenOptions::new().write(true).open(&self.path).unwrap();
        w.write_all(
            format!("{{\"symbol\":\"{sym}\",\"price\":1,\"bid\":1,\"ask\":2}}\n").as_bytes(),
        )
        .unwrap();
    }
}

fn mkfifo(path: &str, mode: u32) {
    let c = CString::new(path).unwrap();
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "{}", io::Error::last_os_error());
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// True when nobody holds `path` open for reading (a non-blocking write open fails ENXIO).
fn has_no_reader(path: &str) -> bool {
    let w = OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(path);
    w.is_err_and(|e| e.raw_os_error() == Some(libc::ENXIO))
}

#[test]
fn a_removed_fifo_is_recreated_private_and_the_next_writer_reaches_the_engine() {
    let mut l = Loop::new();
    l.write_tick("ES");
    l.run_until("the first tick", |l| l.updates("ES") == 1);
    std::fs::remove_file(&l.path).unwrap();
    l.run_until("the FIFO to be recreated", |l| Path::new(&l.path).exists());
    let m = std::fs::symlink_metadata(&l.path).unwrap();
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert!(m.file_type().is_fifo());
    assert_eq!((m.uid(), m.mode() & 0o077), (euid, 0), "owned by us, closed to others");
    l.write_tick("NQ");
    l.run_until("a tick through the new FIFO", |l| l.updates("NQ") == 1);
    assert_eq!(l.ep.stats().fifo_reopened, 1);
}

#[test]
fn a_fifo_planted_at_the_path_by_someone_else_is_refused() {
    let mut l = Loop::new();
    std::fs::remove_file(&l.path).unwrap();
    // Open to others: anyone could write signals into it. (As root, also one owned by nobody.)
    mkfifo(&l.path, 0o666);
    l.run_until("the planted FIFO to be refused", |l| l.ep.stats().fifo_refused >= 1);
    for _ in 0..20 {
        l.turn();
    }
    assert!(has_no_reader(&l.path), "the engine must not read a FIFO others can write");
    assert_eq!(l.ep.stats().fifo_reopened, 0);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::fs::remove_file(&l.path).unwrap();
        mkfifo(&l.path, 0o600);
        std::os::unix::fs::chown(&l.path, Some(65534), Some(65534)).unwrap();
        let refused = l.ep.stats().fifo_refused;
        l.run_until("nobody's FIFO to be refused", |l| l.ep.stats().fifo_refused > refused);
        assert!(has_no_reader(&l.path));
    }
    // Once the planted FIFO is gone, a private one is created and used.
    std::fs::remove_file(&l.path).unwrap();
    l.run_until("the FIFO to be recreated", |l| l.ep.stats().fifo_reopened == 1);
    l.write_tick("ES");
    l.run_until("a tick through the new FIFO", |l| l.updates("ES") == 1);
}

#[test]
fn a_symlink_planted_at_the_path_is_refused() {
    let mut l = Loop::new();
    let target = format!("{}.elsewhere", l.path);
    mkfifo(&target, 0o600);
    std::fs::remove_file(&l.path).unwrap();
    std::os::unix::fs::symlink(&target, &l.path).unwrap();
    l.run_until("the symlink to be refused", |l| l.ep.stats().fifo_refused >= 1);
    assert!(has_no_reader(&target));
    assert_eq!(l.ep.stats().fifo_reopened, 0);
}
