//! Fault injection: the binary and its simulators as children, logs kept, kill -9, bounded waits.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_v9bridge");

/// Upper bound for any single wait.
pub const WAIT: Duration = Duration::from_secs(20);

/// A child process of the binary (the library's child helper, with panics for tests); its
/// output is collected line by line.
pub struct Proc {
    pub name: String,
    inner: v9bridge::demo::chaos::procs::Proc,
}

impl Proc {
    /// Runs `v9bridge ARGS` with `RUST_LOG=info`.
    pub fn spawn(name: &str, args: &[&str]) -> Proc {
        let inner = v9bridge::demo::chaos::procs::Proc::spawn(Path::new(BIN), name, args)
            .unwrap_or_else(|e| panic!("{e}"));
        Proc { name: name.into(), inner }
    }

    /// Every line logged (or printed) so far.
    pub fn lines(&self) -> Vec<String> {
        self.inner.lines()
    }

    /// Lines containing `needle`, so far.
    pub fn count(&self, needle: &str) -> usize {
        self.inner.count(needle)
    }

    /// The first line containing `needle`, waiting up to `limit`.
    #[track_caller]
    pub fn wait_line(&self, needle: &str, limit: Duration) -> String {
        match self.inner.wait_line_within(needle, limit) {
            Ok(l) => l,
            Err(e) => panic!("{e}; whole log:\n{}", self.lines().join("\n")),
        }
    }

    /// Waits until `n` lines contain `needle`.
    #[track_caller]
    pub fn wait_count(&self, needle: &str, n: usize, limit: Duration) {
        let until = Instant::now() + limit;
        while self.count(needle) < n {
            assert!(
                Instant::now() < until,
                "{}: fewer than {n} lines with {needle:?} within {limit:?}; log:\n{}",
                self.name,
                self.lines().join("\n")
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn pid(&self) -> i32 {
        self.inner.pid() as i32
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        self.inner.alive()
    }

    /// SIGKILL, then reaps it.
    pub fn kill9(&mut self) {
        self.inner.kill9();
    }

    /// Sends `sig` and waits (bounded) for the exit; SIGKILL after the bound.
    #[track_caller]
    pub fn stop(&mut self, sig: i32) -> ExitStatus {
        // SAFETY: kill(2) on our own child's pid (not yet reaped, so not reused).
        unsafe { libc::kill(self.pid(), sig) };
        match self.inner.wait_exit(WAIT) {
            Some(s) => s,
            None => {
                self.kill9();
                panic!("{}: did not exit within {WAIT:?} of signal {sig}", self.name);
            }
        }
    }
}

/// `v9bridge run` on a loopback port 0, no pinning, no periodic report, plus `extra` flags;
/// returns it with its V9 address.
pub fn engine(extra: &[&str]) -> (Proc, SocketAddr) {
    let mut args = vec![
        "run",
        "--v9-listen",
        "127.0.0.1:0",
        "--pin",
        "none",
        "--report-s",
        "0",
        "--journal",
        "none",
    ];
    args.extend(["--ops-listen", "none"]); // the operator surface's default port may be taken
    args.extend_from_slice(extra);
    let p = Proc::spawn("engine", &args);
    let addr = listening_addr(&p, "v9: listening on ");
    (p, addr)
}

/// The address in the first log line carrying `prefix` (e.g. `v9: listening on `).
#[track_caller]
pub fn listening_addr(p: &Proc, prefix: &str) -> SocketAddr {
    let l = p.wait_line(prefix, WAIT);
    let rest = l.split(prefix).nth(1).unwrap();
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

/// Polls `cond` until true, panicking with `what` after `limit`.
#[track_caller]
pub fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < until, "timed out ({limit:?}) waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The `ID:` of a broadcast signal line (`LONG|MES|1|ID:7`), if it is one.
pub fn signal_id(line: &str) -> Option<u64> {
    line.rsplit('|').next()?.strip_prefix("ID:")?.parse().ok()
}

/// A blocking V9 connection read line by line, every read bounded.
pub struct Conn {
    s: std::net::TcpStream,
    buf: Vec<u8>,
    /// The peer closed or reset the connection.
    pub ended: bool,
}

impl Conn {
    pub fn connect(addr: SocketAddr) -> Conn {
        let s = std::net::TcpStream::connect_timeout(&addr, WAIT).expect("connect");
        s.set_nodelay(true).unwrap();
        Conn { s, buf: Vec::new(), ended: false }
    }

    /// CONNECTs as a receiver named `name` and waits for READY.
    #[track_caller]
    pub fn receiver(addr: SocketAddr, name: &str) -> Conn {
        let mut c = Conn::connect(addr);
        c.send(&format!("CONNECT|{name}|Account_Count:1|Version:1.0"));
        let l = c.line(WAIT).expect("READY");
        assert!(l.starts_with("READY|"), "{l}");
        c
    }

    /// CONNECTs as a (loopback, so unauthenticated) publisher.
    #[track_caller]
    pub fn publisher(addr: SocketAddr) -> Conn {
        let mut c = Conn::connect(addr);
        c.send("CONNECT|pub|Account_Count:0|Role:Publisher");
        let l = c.line(WAIT).expect("READY");
        assert!(l.starts_with("READY|"), "{l}");
        c
    }

    pub fn send(&mut self, line: &str) {
        use std::io::Write;
        // A dead peer shows up as EOF on the next read.
        let _ = self.s.write_all(format!("{line}\n").as_bytes());
    }

    /// The next line within `limit`; `None` on timeout, EOF or reset.
    pub fn line(&mut self, limit: Duration) -> Option<String> {
        use std::io::Read;
        let until = Instant::now() + limit;
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return Some(String::from_utf8_lossy(&line[..i]).into_owned());
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() || self.ended {
                return None;
            }
            self.s.set_read_timeout(Some(left)).unwrap();
            let mut tmp = [0u8; 65536];
            match self.s.read(&mut tmp) {
                Ok(0) => self.ended = true,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => self.ended = true,
            }
        }
    }
}

/// A receiver on its own thread, recording the id of every signal it reads until it has read
/// `until_id` (once set), the connection ends, or nothing arrives for [`WAIT`].
pub struct Collector {
    pub ids: Arc<Mutex<Vec<u64>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Collector {
    pub fn start(mut c: Conn, until_id: Arc<std::sync::atomic::AtomicU64>) -> Collector {
        use std::sync::atomic::Ordering;
        let ids = Arc::new(Mutex::new(Vec::new()));
        let out = ids.clone();
        let thread = std::thread::spawn(move || {
            let (mut last, mut heard) = (0, Instant::now());
            while !c.ended && heard.elapsed() < WAIT {
                let want = until_id.load(Ordering::Acquire);
                if want != 0 && last >= want {
                    return;
                }
                let Some(l) = c.line(Duration::from_millis(50)) else { continue };
                heard = Instant::now();
                if let Some(id) = signal_id(&l) {
                    out.lock().unwrap().push(id);
                    last = id;
                }
            }
        });
        Collector { ids, thread: Some(thread) }
    }

    /// Waits for the thread (it ends within [`WAIT`] of the last line) and returns the ids.
    pub fn join(mut self) -> Vec<u64> {
        self.thread.take().unwrap().join().unwrap();
        std::mem::take(&mut *self.ids.lock().unwrap())
    }

    /// Ids so far.
    pub fn len(&self) -> usize {
        self.ids.lock().unwrap().len()
    }
}

/// One SIGNAL_ACK: the id, how many receivers it was written to, and whether the burst's
/// `mark` was set before the signal was sent.
#[derive(Clone, Copy, Debug)]
pub struct Ack {
    pub id: u64,
    pub receivers: u32,
    pub after_mark: bool,
}

/// A publisher sending signals one at a time (send, wait for the SIGNAL_ACK) until `stop`
/// or the connection ends.
pub struct Burst {
    pub acks: Arc<Mutex<Vec<Ack>>>,
    pub stop: Arc<std::sync::atomic::AtomicBool>,
    pub mark: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Burst {
    pub fn start(addr: SocketAddr) -> Burst {
        use std::sync::atomic::{AtomicBool, Ordering};
        let mut c = Conn::publisher(addr);
        let acks = Arc::new(Mutex::new(Vec::new()));
        let (stop, mark) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let (out, stop2, mark2) = (acks.clone(), stop.clone(), mark.clone());
        let thread = std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop2.load(Ordering::Relaxed) {
                let after_mark = mark2.load(Ordering::Acquire);
                n += 1;
                c.send(if n % 2 == 0 { "LONG|MES|1" } else { "SHORT|MES|1" });
                let Some(l) = c.line(WAIT) else { return };
                let mut f = l.split('|');
                assert_eq!(f.next(), Some("SIGNAL_ACK"), "{l}");
                let id = f.next().unwrap().parse().unwrap();
                let receivers = f.next().unwrap().parse().unwrap();
                out.lock().unwrap().push(Ack { id, receivers, after_mark });
            }
        });
        Burst { acks, stop, mark, thread: Some(thread) }
    }

    /// Acks so far.
    pub fn acks(&self) -> Vec<Ack> {
        self.acks.lock().unwrap().clone()
    }

    /// Waits until `cond` holds for the acks so far.
    #[track_caller]
    pub fn wait(&self, what: &str, cond: impl Fn(&[Ack]) -> bool) {
        wait_until(what, WAIT, || cond(&self.acks.lock().unwrap()));
    }

    /// Stops sending and returns every ack.
    pub fn finish(mut self) -> Vec<Ack> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        self.acks()
    }
}

/// True when `ids` is exactly `from..=to`.
pub fn is_run(ids: &[u64], from: u64, to: u64) -> bool {
    ids.len() as u64 == to + 1 - from && ids.iter().zip(from..).all(|(&a, b)| a == b)
}
