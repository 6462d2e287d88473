//! Helpers of the replay and pipeline tests: engines on port 0 with a journal dir, raw clients.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use v9bridge::config::Config;
use v9bridge::engine::{Engine, EngineHandle, EngineOutcome};

/// Upper bound for any single wait.
pub const WAIT: Duration = Duration::from_secs(10);

/// Port 0, no pinning, no report, the journal in `dir` (or "none").
pub fn config(dir: &Path) -> Config {
    let mut c = Config::default();
    c.v9.listen = "127.0.0.1:0".parse().unwrap();
    c.engine.pin = v9bridge::config::Pin::None;
    c.engine.report_interval_s = 0;
    c.journal.dir = dir.to_path_buf();
    c
}

/// An engine running on its own thread.
pub struct Running {
    pub handle: EngineHandle,
    pub addr: SocketAddr,
    pub recovered: Option<v9bridge::journal::Recovered>,
    thread: Option<JoinHandle<std::io::Result<EngineOutcome>>>,
}

impl Running {
    pub fn start(cfg: &Config) -> Running {
        let engine = Engine::new(cfg).unwrap();
        let recovered = engine.recovered().cloned();
        let handle = engine.handle();
        let addr = handle.v9_addr();
        let thread = Some(std::thread::spawn(move || engine.run()));
        Running { handle, addr, recovered, thread }
    }

    pub fn stop(mut self) -> EngineOutcome {
        self.handle.stop();
        self.thread.take().unwrap().join().unwrap().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.handle.stop();
            let _ = t.join();
        }
    }
}

/// A raw V9 client with bounded reads.
pub struct Client {
    pub r: BufReader<TcpStream>,
    pub w: TcpStream,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        Client { w: s.try_clone().unwrap(), r: BufReader::new(s) }
    }

    /// Sends CONNECT (`extra` appended verbatim) and returns the READY (or error) line.
    pub fn hello(addr: SocketAddr, name: &str, extra: &str) -> (Client, String) {
        let mut c = Client::connect(addr);
        c.send(&format!("CONNECT|{name}|Account_Count:1{extra}"));
        let l = c.line();
        (c, l)
    }

    pub fn publisher(addr: SocketAddr) -> Client {
        let (c, l) = Client::hello(addr, "pub", "|Role:Publisher");
        assert!(l.starts_with("READY|"), "{l}");
        c
    }

    pub fn send(&mut self, line: &str) {
        self.w.write_all(line.as_bytes()).unwrap();
        self.w.write_all(b"\n").unwrap();
    }

    /// The next line without its LF ("" at EOF).
    pub fn line(&mut self) -> String {
        let mut s = String::new();
        self.r.read_line(&mut s).unwrap();
        s.trim_end_matches('\n').to_string()
    }

    /// True once the server closed (EOF or reset), within [`WAIT`].
    pub fn closed(&mut self) -> bool {
        let mut s = String::new();
        matches!(self.r.read_line(&mut s), Ok(0) | Err(_))
    }

    /// Publishes `line` and returns its id from the SIGNAL_ACK.
    pub fn signal(&mut self, line: &str) -> u64 {
        self.send(line);
        let ack = self.line();
        let id = ack.strip_prefix("SIGNAL_ACK|").and_then(|r| r.split('|').next());
        id.and_then(|i| i.parse().ok()).unwrap_or_else(|| panic!("no ack for {line}: {ack}"))
    }
}

/// The value of `key:` in a READY line.
pub fn field(line: &str, key: &str) -> u64 {
    let f = line.split('|').find_map(|f| f.strip_prefix(key).and_then(|v| v.strip_prefix(':')));
    f.and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no {key} in {line}"))
}

/// Polls `f` until true, at most [`WAIT`].
pub fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Connected receivers, by the engine's count.
pub fn receivers(e: &Running) -> usize {
    e.handle.call(|eps, _| eps.v9.as_ref().map_or(0, |v| v.receivers().len()), WAIT).unwrap()
}
