//! The V9 listener (I/O shell): accept until `WouldBlock`, refuse politely, survive fd exhaustion.

use super::guard::RateLog;
use log::warn;
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};
use std::fs::File;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// After an accept failed for lack of file descriptors, try again this soon: the listener is
/// edge-triggered, so without a timer the waiting connections would wait for the next connect.
pub(super) const ACCEPT_RETRY: Duration = Duration::from_millis(100);
/// Out of fds for this long: waiting connections are refused one per retry (through the
/// reserve fd) rather than left hanging; a shorter spike refuses nobody.
pub(super) const REFUSE_AFTER: Duration = Duration::from_secs(1);
/// At most one line per this interval for refusals and accept failures (with a count).
const LOG_EVERY: Duration = Duration::from_secs(10);

#[cfg(unix)]
const NULL_DEVICE: &str = "/dev/null";
#[cfg(not(unix))]
const NULL_DEVICE: &str = "NUL";

/// The listening socket plus what keeps it accepting under pressure.
#[derive(Debug)]
pub(super) struct Listener {
    inner: TcpListener,
    addr: SocketAddr,
    /// One fd held back: when the process is out of fds, closing it lets us accept the oldest
    /// waiting connection and tell it why instead of leaving it hanging (the classic trick).
    reserve: Option<File>,
    retry_at: Option<Instant>,
    /// Since when accepting has been failing (None while it works).
    failing_since: Option<Instant>,
    full_log: RateLog,
    fail_log: RateLog,
    refused: u64,
    failures: u64,
}

impl Listener {
    /// Binds `addr` (port 0 allowed).
    pub(super) fn bind(addr: SocketAddr) -> io::Result<Listener> {
        let inner = TcpListener::bind(addr)
            .map_err(|e| io::Error::new(e.kind(), format!("v9.listen {addr}: {e}")))?;
        let addr = inner.local_addr()?;
        Ok(Listener {
            inner,
            addr,
            reserve: File::open(NULL_DEVICE).ok(),
            retry_at: None,
            failing_since: None,
            full_log: RateLog::new(LOG_EVERY),
            fail_log: RateLog::new(LOG_EVERY),
            refused: 0,
            failures: 0,
        })
    }

    /// Registers the listener for READABLE under `token`.
    pub(super) fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        registry.register(&mut self.inner, token, Interest::READABLE)
    }

    /// The bound address.
    pub(super) fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// When accepting must be retried (after running out of fds).
    pub(super) fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    /// Connections refused (server full or out of fds).
    pub(super) fn refused(&self) -> u64 {
        self.refused
    }

    /// Accept calls that failed.
    pub(super) fn failures(&self) -> u64 {
        self.failures
    }

    /// The next waiting connection; `None` once there is none, or when accepting failed (a
    /// retry is then armed, see [`Listener::retry_at`]).
    pub(super) fn accept(&mut self, now: Instant) -> Option<(TcpStream, SocketAddr)> {
        self.retry_at = None;
        loop {
            match self.inner.accept() {
                Ok(s) => {
                    self.failing_since = None;
                    return Some(s);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // The peer gave up while waiting: that connection is gone, the next may not be.
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {}
                Err(e) => {
                    self.failed(&e, now);
                    return None;
                }
            }
        }
    }

    /// EMFILE, ENFILE, ENOBUFS and the like: retry on a timer (connections wait in the backlog
    /// for fds to free up); once it has lasted [`REFUSE_AFTER`], refuse the oldest waiting
    /// connection per retry through the reserve fd, so none hangs for ever.
    fn failed(&mut self, e: &io::Error, now: Instant) {
        self.failures += 1;
        self.retry_at = Some(now + ACCEPT_RETRY);
        let since = *self.failing_since.get_or_insert(now);
        let mut told = false;
        if now.saturating_duration_since(since) >= REFUSE_AFTER && self.reserve.take().is_some() {
            if let Ok((mut s, _)) = self.inner.accept() {
                let _ = s.write(b"ERROR|PROTOCOL_ERROR|Server full|Out of file descriptors\n");
                self.refused += 1;
                told = true;
            }
            self.reserve = File::open(NULL_DEVICE).ok();
        }
        if let Some(held) = self.fail_log.open(now) {
            warn!(
                "v9: accept on {} failed: {e}; retrying every {} ms{} ({held} more failures since the last line)",
                self.addr,
                ACCEPT_RETRY.as_millis(),
                if told { "; waiting connections are being refused" } else { "" },
            );
        }
    }

    /// Refuses a connection over `max_clients` with an error (one WARN per interval).
    pub(super) fn refuse(
        &mut self,
        mut stream: TcpStream,
        peer: SocketAddr,
        clients: usize,
        now: Instant,
    ) {
        self.refused += 1;
        let _ = stream.write(b"ERROR|PROTOCOL_ERROR|Server full|Max_Clients reached\n");
        if let Some(held) = self.full_log.open(now) {
            warn!(
                "v9: refused {peer}: {clients} clients connected (max_clients); {held} more refused since the last line"
            );
        }
    }
}
