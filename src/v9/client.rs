//! One V9 connection: socket, fixed input buffer, bounded output queue, handshake state.

use super::book::ReceiverBook;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

/// Input buffer: room for a maximal message plus what a read may bring after it.
pub const INBUF: usize = 16 * 1024;
/// Signals remembered per receiver for the signal → POSITION_SUMMARY latency.
const SENT_RING: usize = 256;

/// Where the handshake stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Connected, CONNECT not yet received: only CONNECT is accepted.
    AwaitConnect,
    /// READY sent.
    Ready,
    /// An error was queued; the connection closes once it is flushed (or on a deadline).
    Closing,
}

/// What the peer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A copy receiver: gets every broadcast, reports positions.
    Receiver,
    /// Sends signal lines to broadcast; gets SIGNAL_ACKs, no broadcasts.
    Publisher,
}

/// Result of queueing output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Written or queued.
    Ok,
    /// The queue would exceed its bound: the caller disconnects this slow consumer.
    Overflow,
    /// The socket failed: the caller closes.
    Failed,
}

/// A connected V9 peer.
#[derive(Debug)]
pub struct Client {
    /// Socket.
    pub stream: TcpStream,
    /// Its mio token.
    pub token: Token,
    /// Remote address.
    pub peer: SocketAddr,
    /// Handshake state.
    pub state: State,
    /// Receiver or publisher.
    pub role: Role,
    /// Strategy name from CONNECT (empty before).
    pub name: Box<str>,
    /// `Account_Count` from CONNECT.
    pub accounts: u32,
    /// Bytes received and not yet framed live in `inbuf[in_start..in_len]`.
    pub inbuf: Box<[u8]>,
    /// Start of the unframed bytes (advanced per frame, compacted once per read).
    pub in_start: usize,
    /// End of the received bytes.
    pub in_len: usize,
    out: Vec<u8>,
    out_pos: usize,
    writable: bool,
    /// Last time any byte arrived (for the idle timeout).
    pub last_rx: Instant,
    /// Whether the peer terminates its messages (None until its first message).
    pub terminated: Option<bool>,
    /// Since when an unterminated, unparseable remainder has been waiting for more bytes.
    pub partial_since: Option<Instant>,
    /// When `Closing` started.
    pub closing_since: Option<Instant>,
    /// (signal id, written at) awaiting a POSITION_SUMMARY.
    pub sent: VecDeque<(u64, Instant)>,
    /// Positions reported by this receiver.
    pub book: ReceiverBook,
    /// Messages received.
    pub msgs_in: u64,
    /// Bad messages received.
    pub bad_in: u64,
    /// Queued output not yet flushed this turn (listed in the server's dirty list).
    pub dirty: bool,
    /// Our side is shut down (final error flushed); waiting for the peer's EOF.
    pub half_closed: bool,
    /// The last byte written to the socket ended a message (so the stream is at a boundary).
    wrote_boundary: bool,
    /// Warnings logged about this peer (rate limit: the first 3, then powers of two).
    pub warnings: u64,
}

impl Client {
    /// A fresh connection; allocates its buffers once.
    pub fn new(stream: TcpStream, token: Token, peer: SocketAddr, now: Instant) -> Self {
        Client {
            stream,
            token,
            peer,
            state: State::AwaitConnect,
            role: Role::Receiver,
            name: "".into(),
            accounts: 0,
            inbuf: vec![0u8; INBUF].into_boxed_slice(),
            in_start: 0,
            in_len: 0,
            out: Vec::with_capacity(4096),
            out_pos: 0,
            writable: false,
            last_rx: now,
            terminated: None,
            partial_since: None,
            closing_since: None,
            sent: VecDeque::with_capacity(SENT_RING),
            book: ReceiverBook::default(),
            msgs_in: 0,
            bad_in: 0,
            dirty: false,
            half_closed: false,
            wrote_boundary: true,
            warnings: 0,
        }
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// Appends `bytes` to the output queue (no syscall; see [`Client::flush`]). Several
    /// messages queued in one loop turn leave in one write. Only when the queue would pass
    /// `limit` is it flushed early; a client still over the bound after that is a slow consumer.
    pub fn queue(&mut self, bytes: &[u8], limit: usize, registry: &Registry) -> Sent {
        if self.queued() + bytes.len() > limit {
            if self.flush(registry).is_err() {
                return Sent::Failed;
            }
            if self.queued() + bytes.len() > limit {
                return Sent::Overflow;
            }
        }
        if self.out_pos > 0 && self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
        self.out.extend_from_slice(bytes);
        Sent::Ok
    }

    /// Writes queued output until done or `WouldBlock`; drops WRITABLE interest when drained.
    pub fn flush(&mut self, registry: &Registry) -> io::Result<()> {
        while self.out_pos < self.out.len() {
            match self.stream.write(&self.out[self.out_pos..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.out_pos += n;
                    self.wrote_boundary = self.out[self.out_pos - 1] == b'\n';
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // The kernel buffer is full: keep the rest, resume on WRITABLE.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.out_pos > self.out.len() / 2 {
                        self.out.drain(..self.out_pos);
                        self.out_pos = 0;
                    }
                    return self.set_writable(registry, true);
                }
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.out_pos = 0;
        self.set_writable(registry, false)
    }

    fn set_writable(&mut self, registry: &Registry, on: bool) -> io::Result<()> {
        if self.writable != on {
            let interest =
                if on { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
            registry.reregister(&mut self.stream, self.token, interest)?;
            self.writable = on;
        }
        Ok(())
    }

    /// One `read` into the free part of the input buffer: Ok(0) = EOF.
    pub fn read_some(&mut self) -> io::Result<usize> {
        loop {
            match self.stream.read(&mut self.inbuf[self.in_len..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }

    /// The received, not yet framed bytes.
    pub fn pending(&self) -> &[u8] {
        &self.inbuf[self.in_start..self.in_len]
    }

    /// Drops the first `n` pending bytes (no copy; see [`Client::compact`]).
    pub fn advance(&mut self, n: usize) {
        self.in_start = (self.in_start + n).min(self.in_len);
    }

    /// Moves the pending bytes to the start of the buffer: once per read, not per frame.
    pub fn compact(&mut self) {
        if self.in_start > 0 {
            self.inbuf.copy_within(self.in_start..self.in_len, 0);
            self.in_len -= self.in_start;
            self.in_start = 0;
        }
    }

    /// True when a warning about this peer may be logged now (first 3, then powers of two).
    pub fn may_warn(&mut self) -> bool {
        self.warnings += 1;
        self.warnings <= 3 || self.warnings.is_power_of_two()
    }

    /// For peers that send no line endings (one message per read on their side): write this
    /// message on its own now, so it is not glued to the next one. Queued behind anything
    /// already waiting (then boundaries depend on the peer reading promptly).
    pub fn write_alone(&mut self, bytes: &[u8], limit: usize, registry: &Registry) -> Sent {
        if self.queued() > 0 {
            return self.queue(bytes, limit, registry);
        }
        let mut done = 0;
        while done < bytes.len() {
            match self.stream.write(&bytes[done..]) {
                Ok(0) => return Sent::Failed,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return Sent::Failed,
            }
        }
        if done < bytes.len() {
            self.out.clear();
            self.out_pos = 0;
            self.out.extend_from_slice(&bytes[done..]);
            if self.flush(registry).is_err() {
                return Sent::Failed;
            }
        }
        Sent::Ok
    }

    /// Replaces the queued messages with a final one (the error that explains a disconnect):
    /// queued signals are lost for this peer anyway, and the error then needs only the room of
    /// the message being written. A partly written message is completed first (boundary kept).
    pub fn queue_final(&mut self, bytes: &[u8]) {
        // (out_pos alone cannot tell: flush compacts a partly written queue to out_pos = 0.)
        let at_boundary = self.wrote_boundary;
        let keep = if at_boundary {
            self.out_pos
        } else {
            match self.out[self.out_pos..].iter().position(|&b| b == b'\n') {
                Some(i) => self.out_pos + i + 1,
                None => self.out.len(), // no line endings (unterminated peer): keep it all
            }
        };
        self.out.truncate(keep);
        self.out.extend_from_slice(bytes);
    }

    /// Half-closes once the final error is flushed, so the peer reads it before EOF; the
    /// connection is dropped on the peer's EOF or after a grace period (no RST on unread data).
    pub fn finish_close(&mut self) {
        if !self.half_closed {
            self.half_closed = true;
            let _ = self.stream.shutdown(std::net::Shutdown::Write);
        }
    }

    /// Remembers that signal `id` was written now (oldest forgotten when full).
    pub fn note_sent(&mut self, id: u64, at: Instant) {
        if self.sent.len() == SENT_RING {
            self.sent.pop_front();
        }
        self.sent.push_back((id, at));
    }

    /// When the signal a summary answers was written: by its `ID:` when given. Without one,
    /// the first summary after a signal answers the oldest outstanding signal and the ring is
    /// cleared (periodic summaries then do not count as answers).
    pub fn take_sent(&mut self, id: Option<u64>) -> Option<Instant> {
        match id {
            Some(id) => {
                while let Some((sid, at)) = self.sent.pop_front() {
                    if sid == id {
                        return Some(at);
                    }
                    if sid > id {
                        self.sent.push_front((sid, at));
                        return None;
                    }
                }
                None
            }
            None => {
                let first = self.sent.pop_front().map(|(_, at)| at);
                self.sent.clear();
                first
            }
        }
    }
}
