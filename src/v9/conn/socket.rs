//! One V9 connection's hot half: its socket, token and output queue; reset on an unfinished close.

use super::NONE;
use crate::v9::buf::OutQueue;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use std::io::{self, Read};

/// One connection's socket and queued output.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(super) stream: TcpStream,
    pub(super) token: Token,
    pub(super) out: OutQueue,
    /// WRITABLE interest is registered (only while output waits for the kernel).
    pub(super) writable: bool,
    /// A READY receiver: gets every broadcast.
    pub(super) receives: bool,
    /// The peer sends no terminators: one message per write, without its LF.
    pub(super) unterminated: bool,
    /// The last message is queued: shut our side down once it is written.
    pub(super) closing: bool,
    /// Our side is shut down; waiting for the peer's EOF.
    pub(super) half_closed: bool,
    /// Listed in [`Conns`]' dirty list.
    pub(super) dirty: bool,
    /// Where this connection's unwritten part of [`Conns`]' shared broadcast bytes starts
    /// ([`NONE`] when it has none). Only ever set while `out` is empty, so order is kept.
    pub(super) shared_from: u32,
}

impl Conn {
    /// A registered connection.
    pub(crate) fn new(stream: TcpStream, token: Token) -> Conn {
        Conn {
            stream,
            token,
            out: OutQueue::default(),
            writable: false,
            receives: false,
            unterminated: false,
            closing: false,
            half_closed: false,
            dirty: false,
            shared_from: NONE,
        }
    }

    /// One `read` (retried on EINTR): Ok(0) = EOF.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }

    /// Follows the peer's state: whether it gets broadcasts, and how its messages are framed.
    pub(crate) fn set_mode(&mut self, receives: bool, unterminated: bool) {
        self.receives = receives;
        self.unterminated = unterminated;
    }

    /// True once our side is shut down after the final message.
    pub(crate) fn half_closed(&self) -> bool {
        self.half_closed
    }

    /// Writes what is queued; WRITABLE interest follows whether anything is left. Shuts our
    /// side down once a closing connection's last byte is written, so the peer reads its final
    /// error before EOF.
    pub(super) fn flush(&mut self, registry: &Registry, shared: &[u8]) -> io::Result<()> {
        let done = match self.take_shared(shared) {
            Some(bytes) => self.out.write_from(&mut self.stream, bytes)?,
            None => self.out.write_to(&mut self.stream, self.unterminated)?,
        };
        self.set_writable(registry, !done)?;
        if done && self.closing && !self.half_closed {
            self.half_closed = true;
            let _ = self.stream.shutdown(std::net::Shutdown::Write);
        }
        Ok(())
    }

    /// Its pending part of `shared`, now no longer pending there.
    pub(super) fn take_shared<'s>(&mut self, shared: &'s [u8]) -> Option<&'s [u8]> {
        let from = std::mem::replace(&mut self.shared_from, NONE);
        shared.get(from as usize..).filter(|_| from != NONE)
    }

    /// Copies its pending shared bytes into its own queue (before anything else is queued).
    pub(super) fn materialize(&mut self, shared: &[u8]) {
        if let Some(bytes) = self.take_shared(shared) {
            self.out.append(bytes);
        }
    }

    /// [`Self::materialize`] of the shared bytes before `end` only (a signal appended there
    /// since is not for it).
    pub(super) fn materialize_until(&mut self, shared: &[u8], end: usize) {
        self.materialize(&shared[..end.min(shared.len())]);
    }

    pub(super) fn set_writable(&mut self, registry: &Registry, on: bool) -> io::Result<()> {
        if self.writable != on {
            let interest =
                if on { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
            registry.reregister(&mut self.stream, self.token, interest)?;
            self.writable = on;
        }
        Ok(())
    }

    /// Removes the socket from the poll before it is dropped.
    pub(crate) fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.stream);
    }
}

impl Drop for Conn {
    /// A clean EOF tells the peer it has everything, the final error included. When the bytes
    /// written so far stop inside a message, or output is left unwritten (a receiver that does
    /// not read), the connection is reset instead (RST, not FIN): the peer can never take a
    /// truncated signal for a message.
    fn drop(&mut self) {
        if !self.out.at_boundary() || !self.out.is_empty() || self.shared_from != NONE {
            reset_on_close(&self.stream);
        }
    }
}

/// SO_LINGER with a zero timeout: `close` then sends RST and drops unsent bytes.
#[cfg(unix)]
fn reset_on_close(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    let l = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: setsockopt on a socket this process owns, with a pointer to a live, correctly
    // sized `linger` value; failure only means a FIN instead of a RST.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&l as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Windows: the WinSock bindings are not linked, so the stream ends with FIN there.
#[cfg(not(unix))]
fn reset_on_close(_s: &TcpStream) {}
