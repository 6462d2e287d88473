//! The load side of the bench: one busy-polling thread that paces a source (TCP publisher or
//! FIFO writer) at a fixed rate and reads N receiver sockets, recording intended send time →
//! last receiver's read (coordinated omission avoided by measuring from the *intended* time).

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use v9bridge::metrics::LatencyHist;

/// Where the paced messages go.
pub enum Source {
    /// A V9 publisher (or the raw broadcaster's input) socket.
    Tcp(TcpStream),
    /// A FIFO opened for writing (pipe signals).
    #[cfg(unix)]
    Fifo(std::fs::File),
}

impl Source {
    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match self {
            Source::Tcp(s) => crate::raw::write_spin(s, b),
            #[cfg(unix)]
            Source::Fifo(f) => crate::raw::write_spin(f, b),
        }
    }

    /// The socket, when the source is one.
    fn tcp(&mut self) -> Option<&mut TcpStream> {
        match self {
            Source::Tcp(s) => Some(s),
            #[cfg(unix)]
            Source::Fifo(_) => None,
        }
    }
}

/// N receivers plus a source, all driven from this thread.
pub struct Peers {
    poll: Poll,
    events: Events,
    source: Source,
    receivers: Vec<TcpStream>,
    counts: Vec<u64>,
    buf: Vec<u8>,
}

/// Result of one paced run.
pub struct LoadResult {
    /// Intended send → every receiver has read the message.
    pub to_last_read: LatencyHist,
    /// Messages per second actually offered.
    pub achieved_rate: f64,
}

const SRC: Token = Token(usize::MAX - 1);

impl Peers {
    /// Connects `n` V9 receivers (CONNECT/READY done) to `addr`; `handshake` false for the raw broadcaster.
    pub fn receivers(addr: SocketAddr, n: usize, handshake: bool) -> io::Result<Vec<TcpStream>> {
        Peers::receivers_with(addr, n, handshake, &|_| String::new())
    }

    /// [`Peers::receivers`], receiver `i` adding `extra(i)` to its CONNECT (`|Accounts:...`).
    pub fn receivers_with(
        addr: SocketAddr,
        n: usize,
        handshake: bool,
        extra: &dyn Fn(usize) -> String,
    ) -> io::Result<Vec<TcpStream>> {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let mut s = std::net::TcpStream::connect(addr)?;
            s.set_nodelay(true)?;
            if handshake {
                let x = extra(i);
                s.write_all(
                    format!("CONNECT|bench{i}|Account_Count:20|Version:1.0{x}\n").as_bytes(),
                )?;
                read_line(&mut s)?;
            }
            s.set_nonblocking(true)?;
            out.push(TcpStream::from_std(s));
        }
        Ok(out)
    }

    /// A V9 publisher (handshake done) or a plain socket (raw broadcaster input).
    pub fn publisher(addr: SocketAddr, handshake: bool) -> io::Result<TcpStream> {
        let mut s = std::net::TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        if handshake {
            s.write_all(b"CONNECT|bench-pub|Account_Count:0|Role:Publisher\n")?;
            read_line(&mut s)?;
        }
        s.set_nonblocking(true)?;
        Ok(TcpStream::from_std(s))
    }

    pub fn new(mut source: Source, mut receivers: Vec<TcpStream>) -> io::Result<Peers> {
        let poll = Poll::new()?;
        for (i, r) in receivers.iter_mut().enumerate() {
            poll.registry().register(r, Token(i), Interest::READABLE)?;
        }
        if let Some(s) = source.tcp() {
            poll.registry().register(s, SRC, Interest::READABLE)?;
        }
        let n = receivers.len();
        Ok(Peers {
            poll,
            events: Events::with_capacity(4096),
            source,
            receivers,
            counts: vec![0; n],
            buf: vec![0; 1 << 20],
        })
    }

    /// Sends `count` copies of `msg` at `rate`/s (several due at once go out in one write) and
    /// waits until every receiver read each; `warmup` first messages are not recorded.
    pub fn run(
        &mut self,
        name: &str,
        msg: &[u8],
        rate: f64,
        count: u64,
        warmup: u64,
    ) -> io::Result<LoadResult> {
        let interval = Duration::from_secs_f64(1.0 / rate);
        let n = self.receivers.len() as u64;
        let base = self.counts.iter().copied().min().unwrap_or(0);
        let mut hist = LatencyHist::new(name);
        let mut intended: Vec<Instant> = Vec::with_capacity(count as usize);
        // left[k]: receivers that have not yet read message k.
        let mut left: Vec<u32> = vec![n as u32; count as usize];
        let mut done = 0u64;
        let mut sent = 0u64;
        let mut out = Vec::with_capacity(msg.len() * 64);
        let t0 = Instant::now() + Duration::from_millis(2);
        let limit = t0 + interval.mul_f64(count as f64) + Duration::from_secs(30);
        while done < count {
            let now = Instant::now();
            if now > limit {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{name}: {done}/{count} delivered"),
                ));
            }
            out.clear();
            while sent < count {
                let due = t0 + interval.mul_f64(sent as f64);
                if due > now {
                    break;
                }
                intended.push(due);
                out.extend_from_slice(msg);
                sent += 1;
            }
            if !out.is_empty() {
                self.source.write_all(&out)?;
            }
            self.poll.poll(&mut self.events, Some(Duration::ZERO))?;
            if self.events.is_empty() && out.is_empty() {
                // Spinning without yielding starves this core's ksoftirqd, which then delivers
                // loopback packets only at the next scheduler tick (a 4 ms tail): yield instead.
                std::thread::yield_now();
                continue;
            }
            let at = Instant::now();
            for ev in self.events.iter() {
                if ev.token() == SRC {
                    if let Some(s) = self.source.tcp() {
                        drain(s, &mut self.buf)?; // SIGNAL_ACKs: not measured here
                    }
                    continue;
                }
                let i = ev.token().0;
                let lines = drain_count(&mut self.receivers[i], &mut self.buf)?;
                let before = self.counts[i] - base;
                self.counts[i] += lines;
                for k in before..(before + lines).min(count) {
                    left[k as usize] -= 1;
                    if left[k as usize] == 0 {
                        done += 1;
                        if k >= warmup {
                            hist.record(at.saturating_duration_since(intended[k as usize]));
                        }
                    }
                }
            }
        }
        let elapsed = intended.last().map_or(Duration::ZERO, |l| l.saturating_duration_since(t0));
        Ok(LoadResult {
            to_last_read: hist,
            achieved_rate: count as f64 / elapsed.as_secs_f64().max(1e-9),
        })
    }
}

fn read_line(s: &mut std::net::TcpStream) -> io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut b = [0u8; 1];
    loop {
        s.read_exact(&mut b)?;
        if b[0] == b'\n' {
            return Ok(());
        }
    }
}

fn drain(s: &mut TcpStream, buf: &mut [u8]) -> io::Result<()> {
    loop {
        match s.read(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads until WouldBlock; returns how many LF-terminated lines arrived.
fn drain_count(s: &mut TcpStream, buf: &mut [u8]) -> io::Result<u64> {
    let mut lines = 0;
    loop {
        match s.read(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(lines),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
