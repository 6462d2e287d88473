//! Raw baselines measured in the same run on the same cores: minimal code with the same wake-up
//! mechanism as the engine (mio/epoll), so "engine / raw" isolates what v9bridge itself adds.

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use v9bridge::metrics::LatencyHist;

static WALL_BASE: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Pins the current thread to `core` (ignored when unavailable).
pub fn pin(core: Option<core_affinity::CoreId>) {
    if let Some(c) = core {
        core_affinity::set_for_current(c);
    }
}

/// Paced one-way latency: a writer on this thread stamps "t=<ns since base>" into ~90-byte
/// messages; a reader thread on `reader_core` records arrival − stamp.
fn one_way(
    name: &str,
    mut write: impl FnMut(&[u8]) -> io::Result<()>,
    reader: JoinHandle<io::Result<LatencyHist>>,
    stop: &AtomicBool,
    base: Instant,
    rate: f64,
    count: u64,
) -> io::Result<LatencyHist> {
    let interval = Duration::from_secs_f64(1.0 / rate);
    let t0 = Instant::now() + Duration::from_millis(5);
    let mut msg = Vec::with_capacity(128);
    for i in 0..count {
        let due = t0 + interval.mul_f64(i as f64);
        while Instant::now() < due {
            std::thread::yield_now(); // a bare spin starves ksoftirqd (see peers.rs)
        }
        msg.clear();
        // Stamped with the intended time: a late send is latency, not skipped (no CO).
        if i == 0 {
            WALL_BASE.store(
                v9bridge::clock::unix_nanos() - base.elapsed().as_nanos() as i64,
                Ordering::Relaxed,
            );
        }
        let t = due.saturating_duration_since(base).as_nanos();
        writeln!(msg, "{{\"symbol\":\"ES\",\"price\":4700.25,\"bid\":4700.0,\"ask\":4700.5,\"seq\":{i},\"t\":{t:020}}}")?;
        write(&msg)?;
    }
    std::thread::sleep(Duration::from_millis(50));
    stop.store(true, Ordering::SeqCst);
    let mut h = reader.join().map_err(|_| io::Error::other("reader panicked"))??;
    h = rename(h, name);
    Ok(h)
}

fn rename(h: LatencyHist, name: &str) -> LatencyHist {
    let mut n = LatencyHist::new(name);
    n.merge(&h);
    n
}

/// Reads stamped messages from `src` with mio until `stop`; records now − stamp per message.
fn stamped_reader<S: mio::event::Source + Read + Send + 'static>(
    mut src: S,
    core: Option<core_affinity::CoreId>,
    stop: Arc<AtomicBool>,
    base: Instant,
) -> JoinHandle<io::Result<LatencyHist>> {
    std::thread::spawn(move || {
        pin(core);
        let mut poll = Poll::new()?;
        poll.registry().register(&mut src, Token(0), Interest::READABLE)?;
        let mut events = Events::with_capacity(16);
        let mut h = LatencyHist::new("raw");
        let mut buf = vec![0u8; 1 << 16];
        let mut len = 0;
        while !stop.load(Ordering::Relaxed) {
            poll.poll(&mut events, Some(Duration::from_millis(250)))?;
            loop {
                match src.read(&mut buf[len..]) {
                    Ok(0) => break,
                    Ok(n) => {
                        let now = if std::env::var_os("V9B_RAW_WALL").is_some() {
                            (v9bridge::clock::unix_nanos() - WALL_BASE.load(Ordering::Relaxed))
                                as u64
                        } else {
                            Instant::now().saturating_duration_since(base).as_nanos() as u64
                        };
                        len += n;
                        let mut start = 0;
                        while let Some(e) = buf[start..len].iter().position(|&b| b == b'\n') {
                            let line = &buf[start..start + e];
                            if let Some(p) = line.windows(4).position(|w| w == b"\"t\":") {
                                let digits = &line[p + 4..p + 24];
                                let t: u64 = std::str::from_utf8(digits)
                                    .ok()
                                    .and_then(|s| s.parse().ok())
                                    .unwrap_or(now);
                                h.record_ns(now.saturating_sub(t));
                            }
                            start += e + 1;
                        }
                        buf.copy_within(start..len, 0);
                        len -= start;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(h)
    })
}

/// FIFO one-way (writer on this thread, reader on `reader_core`).
#[cfg(unix)]
pub fn fifo_one_way(
    dir: &std::path::Path,
    reader_core: Option<core_affinity::CoreId>,
    rate: f64,
    count: u64,
) -> io::Result<LatencyHist> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("raw.fifo");
    let _ = std::fs::remove_file(&path);
    let c = std::ffi::CString::new(path.to_string_lossy().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: mkfifo reads the NUL-terminated path we own.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let rd = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&path)?;
    // Non-blocking, like the study and the engine test's writer.
    let mut wr =
        std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&path)?;
    let stop = Arc::new(AtomicBool::new(false));
    let base = Instant::now();
    let reader = stamped_reader(
        mio::unix::pipe::Receiver::from(std::os::fd::OwnedFd::from(rd)),
        reader_core,
        stop.clone(),
        base,
    );
    std::thread::sleep(Duration::from_millis(20));
    one_way("raw.fifo_one_way", |m| wr.write_all(m), reader, &stop, base, rate, count)
}

/// TCP loopback one-way (writer on this thread, reader on `reader_core`).
pub fn tcp_one_way(
    reader_core: Option<core_affinity::CoreId>,
    rate: f64,
    count: u64,
) -> io::Result<LatencyHist> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    let mut wr = std::net::TcpStream::connect(l.local_addr()?)?;
    wr.set_nodelay(true)?;
    let (rd, _) = l.accept()?;
    rd.set_nonblocking(true)?;
    let stop = Arc::new(AtomicBool::new(false));
    let base = Instant::now();
    let reader = stamped_reader(TcpStream::from_std(rd), reader_core, stop.clone(), base);
    std::thread::sleep(Duration::from_millis(20));
    one_way("raw.tcp_one_way", |m| wr.write_all(m), reader, &stop, base, rate, count)
}

/// A minimal broadcaster on `core`: the first connection accepted after `n` receivers is the
/// input; each input line is written to the `n` receivers back to back. Records read → all
/// written as `raw.read_to_<n>_writes`.
pub struct RawBroadcaster {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    join: JoinHandle<io::Result<LatencyHist>>,
}

impl RawBroadcaster {
    pub fn start(n: usize, core: Option<core_affinity::CoreId>) -> io::Result<RawBroadcaster> {
        let mut listener = TcpListener::bind("127.0.0.1:0".parse().map_err(io::Error::other)?)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let join = std::thread::spawn(move || -> io::Result<LatencyHist> {
            pin(core);
            let mut poll = Poll::new()?;
            poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
            let mut events = Events::with_capacity(64);
            let mut outs: Vec<TcpStream> = Vec::with_capacity(n);
            let mut input: Option<TcpStream> = None;
            let mut h = LatencyHist::new(format!("raw.read_to_{n}_writes"));
            let mut buf = vec![0u8; 1 << 20];
            let mut len = 0;
            while !st.load(Ordering::Relaxed) {
                poll.poll(&mut events, Some(Duration::from_millis(10)))?;
                for ev in events.iter() {
                    if ev.token() == Token(0) {
                        while let Ok((mut s, _)) = listener.accept() {
                            s.set_nodelay(true)?;
                            if outs.len() < n {
                                outs.push(s);
                            } else {
                                poll.registry().register(&mut s, Token(1), Interest::READABLE)?;
                                input = Some(s);
                            }
                        }
                        continue;
                    }
                    let Some(inp) = input.as_mut() else { continue };
                    loop {
                        match inp.read(&mut buf[len..]) {
                            Ok(0) => break,
                            Ok(k) => {
                                let read_at = Instant::now();
                                len += k;
                                // Everything up to the last LF goes out as one write per receiver.
                                if let Some(e) = buf[..len].iter().rposition(|&b| b == b'\n') {
                                    for o in outs.iter_mut() {
                                        write_spin(o, &buf[..=e])?;
                                    }
                                    let lines = buf[..=e].iter().filter(|&&b| b == b'\n').count();
                                    let took = read_at.elapsed();
                                    for _ in 0..lines {
                                        h.record(took);
                                    }
                                    buf.copy_within(e + 1..len, 0);
                                    len -= e + 1;
                                }
                            }
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
            Ok(h)
        });
        Ok(RawBroadcaster { addr, stop, join })
    }

    pub fn stop(self) -> io::Result<LatencyHist> {
        self.stop.store(true, Ordering::SeqCst);
        self.join.join().map_err(|_| io::Error::other("raw broadcaster panicked"))?
    }
}

/// Writes all of `b` to a non-blocking writer, retrying on WouldBlock (load generators only).
pub fn write_spin(s: &mut impl Write, mut b: &[u8]) -> io::Result<()> {
    while !b.is_empty() {
        match s.write(b) {
            Ok(n) => b = &b[n..],
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock
                    || e.kind() == io::ErrorKind::Interrupted =>
            {
                std::hint::spin_loop()
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
