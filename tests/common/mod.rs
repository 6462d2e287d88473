//! Shared test helpers: engines on port 0, raw V9 clients with bounded reads.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use v9bridge::config::Config;
use v9bridge::engine::{Engine, EngineHandle, EngineOutcome};

/// Upper bound for any single wait in a test.
pub const WAIT: Duration = Duration::from_secs(10);

/// A config for tests: port 0, no pinning, no periodic report.
pub fn test_config() -> Config {
    let mut c = Config::default();
    c.v9.listen = "127.0.0.1:0".parse().unwrap();
    c.engine.pin = v9bridge::config::Pin::None;
    c.engine.report_interval_s = 0;
    c.journal.dir = "none".into();
    c
}

/// A running engine on its own thread.
pub struct Running {
    pub handle: EngineHandle,
    pub addr: SocketAddr,
    pub thread: Option<JoinHandle<std::io::Result<EngineOutcome>>>,
}

impl Running {
    pub fn stop(mut self) -> EngineOutcome {
        self.handle.stop();
        self.thread.take().unwrap().join().unwrap().unwrap()
    }
    /// The V9 server's counters, typed.
    pub fn stats(&self) -> v9bridge::v9::snapshot::V9Stats {
        self.handle.call(|e, _| e.v9.as_ref().unwrap().stats(), WAIT).unwrap()
    }
    /// Every V9 connection, typed.
    pub fn peers(&self) -> Vec<v9bridge::v9::snapshot::PeerRow> {
        self.handle.call(|e, _| e.v9.as_ref().unwrap().peer_rows(), WAIT).unwrap()
    }
    /// True while a connection named `name` is open.
    pub fn has_peer(&self, name: &str) -> bool {
        self.peers().iter().any(|p| p.name == name)
    }
    /// The book of the READY receiver named `name`.
    pub fn book(&self, name: &str) -> Option<v9bridge::v9::snapshot::BookRow> {
        use v9bridge::v9::reply::{Role, State};
        let ready = |p: &v9bridge::v9::snapshot::PeerRow| {
            p.name == name && p.role == Role::Receiver && p.state == State::Ready
        };
        self.peers().into_iter().find(ready).and_then(|p| p.book)
    }
    /// (accounts holding a position, total contracts) of the READY receiver named `name`.
    pub fn held(&self, name: &str) -> Option<(u64, u64)> {
        self.book(name).map(|b| (b.totals.0, b.totals.1))
    }
    /// True when some receiver's book satisfies `f`.
    pub fn any_book(&self, f: impl Fn(&v9bridge::v9::snapshot::BookRow) -> bool) -> bool {
        self.peers().iter().any(|p| p.book.as_ref().is_some_and(&f))
    }
    /// What the periodic report would show now.
    pub fn report(&self) -> v9bridge::engine::Report {
        use v9bridge::engine::Report;
        self.handle.call(|e, c| Report::collect(e, c.market, c.now), WAIT).unwrap()
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

pub fn start(cfg: Config) -> Running {
    v9bridge::sys::raise_fd_limit();
    let engine = Engine::new(&cfg).expect("engine");
    let handle = engine.handle();
    let addr = handle.v9_addr();
    let thread = std::thread::spawn(move || engine.run());
    Running { handle, addr, thread: Some(thread) }
}

/// Polls `cond` until true or the bound; panics with `what` on timeout.
#[track_caller]
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + WAIT;
    while Instant::now() < until {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("timed out waiting for {what}");
}

/// How a stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// FIN: the server closed cleanly.
    Eof,
    /// RST: the server reset the connection.
    Reset,
    /// Neither within the bound.
    StillOpen,
}

/// A raw, blocking V9 client with line-oriented bounded reads.
pub struct Raw {
    pub s: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_nodelay(true).unwrap();
        Raw { s, buf: Vec::new() }
    }

    /// Connects and completes CONNECT/READY as a receiver.
    pub fn receiver(addr: SocketAddr, name: &str) -> Raw {
        let mut r = Raw::connect(addr);
        r.send(&format!("CONNECT|{name}|Account_Count:20|Version:1.0"));
        let l = r.line();
        assert!(l.starts_with("READY|1.0|"), "{l}");
        r
    }

    /// Connects as a publisher (optional token).
    pub fn publisher(addr: SocketAddr, token: Option<&str>) -> Raw {
        let mut r = Raw::connect(addr);
        let tok = token.map(|t| format!("|Token:{t}")).unwrap_or_default();
        r.send(&format!("CONNECT|pub|Account_Count:0|Role:Publisher{tok}"));
        let l = r.line();
        assert!(l.starts_with("READY|"), "{l}");
        r
    }

    pub fn send(&mut self, line: &str) {
        self.s.write_all(format!("{line}\n").as_bytes()).unwrap();
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).unwrap();
    }

    /// Next LF-terminated line (without LF); panics after the bound.
    #[track_caller]
    pub fn line(&mut self) -> String {
        self.try_line(WAIT).unwrap_or_else(|| {
            panic!("no line within {WAIT:?}; have {:?}", String::from_utf8_lossy(&self.buf))
        })
    }

    /// Next line within `limit`, or None (also None on EOF).
    pub fn try_line(&mut self, limit: Duration) -> Option<String> {
        let until = Instant::now() + limit;
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return Some(String::from_utf8_lossy(&line[..i]).into_owned());
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.s.set_read_timeout(Some(left)).unwrap();
            let mut tmp = [0u8; 65536];
            match self.s.read(&mut tmp) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
                Err(_) => {}
            }
        }
    }

    /// Whatever bytes arrive within `limit` (for unterminated replies).
    pub fn read_chunk(&mut self, limit: Duration) -> Vec<u8> {
        if !self.buf.is_empty() {
            return std::mem::take(&mut self.buf);
        }
        self.s.set_read_timeout(Some(limit)).unwrap();
        let mut tmp = [0u8; 65536];
        match self.s.read(&mut tmp) {
            Ok(n) => tmp[..n].to_vec(),
            Err(_) => Vec::new(),
        }
    }

    /// Everything until the stream ends (or `limit` passes): the bytes and how it ended.
    pub fn drain(&mut self, limit: Duration) -> (Vec<u8>, End) {
        let until = Instant::now() + limit;
        let mut got = std::mem::take(&mut self.buf);
        let mut tmp = [0u8; 65536];
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (got, End::StillOpen);
            }
            self.s.set_read_timeout(Some(left.min(Duration::from_millis(200)))).unwrap();
            match self.s.read(&mut tmp) {
                Ok(0) => return (got, End::Eof),
                Ok(n) => got.extend_from_slice(&tmp[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return (got, End::Reset)
                }
                Err(_) => {}
            }
        }
    }

    /// Sets the kernel receive buffer (small: a receiver that does not read backs up quickly).
    #[cfg(unix)]
    pub fn set_receive_buffer(&self, bytes: i32) {
        use std::os::fd::AsRawFd;
        // SAFETY: setsockopt on our own socket with a pointer to a live c_int of the right size.
        let rc = unsafe {
            libc::setsockopt(
                self.s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&bytes as *const i32).cast(),
                std::mem::size_of::<i32>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "setsockopt(SO_RCVBUF)");
    }

    /// True once the server has closed the connection (EOF) within the bound.
    pub fn closed(&mut self) -> bool {
        let until = Instant::now() + WAIT;
        while Instant::now() < until {
            self.s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
            let mut tmp = [0u8; 4096];
            match self.s.read(&mut tmp) {
                Ok(0) => return true,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => {}
            }
        }
        false
    }
}
