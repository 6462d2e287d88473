//! One V9 peer (pure, sans-IO): its input bytes and framing mode, its session, its deadlines.

// The shell reads into [`Peer::spare`], reports how many bytes came ([`Peer::filled`]) and then
// polls [`Peer::poll_line`] with why it asks (more data, a read pause, a full buffer, EOF) until
// it returns `None`, carrying out each [`Reply`]. Time comes in as arguments; nothing here reads
// the clock or touches a socket, so tests drive a peer with bytes and a fake `now`.

use super::book::ReceiverBook;
use super::buf::InBuf;
use super::codec::{self, ErrorCode, ParseError};
use super::expect::Change;
use super::frame::{next_frame, split_unterminated, Frame};
use super::reply::{CloseReason, Details, Outgoing, Reply, Role};
use super::reply::{Counters, Policy, State, Time};
use super::session::Session;
use crate::endpoint::ReadBudget;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long a closing connection may take to flush its last error and see the peer's EOF.
pub const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Bytes read from one connection per loop turn by default: one full input buffer, some
/// hundreds of signals. A publisher flooding its socket then holds the loop for one buffer's
/// worth of messages per turn, and the rest of its bytes are read next turn.
pub const READ_BUDGET: usize = super::buf::INBUF;

/// How the peer delimits its messages (decided by its first message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No message yet.
    Unknown {
        /// Since when bytes without a terminator have been waiting.
        partial_since: Option<Instant>,
    },
    /// LF, CRLF or NUL after every message.
    Terminated,
    /// No terminator: each read pause ends a message (the spec's "single message per send").
    Unterminated {
        /// Since when an incomplete message has been waiting for its remaining bytes.
        partial_since: Option<Instant>,
    },
}

/// Why the shell asks for the next message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cue {
    /// Bytes just arrived: only terminated messages are complete.
    Data,
    /// The socket has nothing more for now (or the grace timer ran out).
    Pause,
    /// The input buffer is full: split what can be split, keep a possibly partial tail.
    Full,
    /// The peer closed: whatever is left is its last message.
    Eof,
}

/// What a deadline of this peer asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Due {
    /// Nothing now.
    Nothing,
    /// The grace period of a partial message ran out: poll with [`Cue::Pause`].
    Frame,
    /// Silent for too long: queue this error and close.
    Expire(Reply<'static>),
    /// Closing took longer than [`CLOSE_GRACE`]: drop the connection.
    Remove(CloseReason),
}

enum Step {
    Line { len: usize, consumed: usize },
    Skip(usize),
    Wait,
    TooLong,
}

fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0)
}

/// One connected V9 peer.
#[derive(Debug)]
pub struct Peer {
    inbuf: InBuf,
    framing: Framing,
    s: Session,
    /// What the shell may read for it per loop turn.
    budget: ReadBudget,
}

impl Peer {
    /// A peer that just connected from `addr`.
    pub fn new(addr: SocketAddr, t: Time) -> Peer {
        Peer {
            inbuf: InBuf::default(),
            framing: Framing::Unknown { partial_since: None },
            s: Session::new(addr, t),
            budget: ReadBudget::new(READ_BUDGET),
        }
    }

    /// Its read budget per loop turn (the shell spends it; see [`ReadBudget`]).
    pub fn budget_mut(&mut self) -> &mut ReadBudget {
        &mut self.budget
    }

    /// Remote address.
    pub fn addr(&self) -> SocketAddr {
        self.s.addr()
    }
    /// Strategy name from CONNECT (empty before).
    pub fn name(&self) -> &str {
        self.s.name()
    }
    /// Receiver or publisher (receiver until CONNECT says otherwise).
    pub fn role(&self) -> Role {
        self.s.role()
    }
    /// Handshake state.
    pub fn state(&self) -> State {
        self.s.state()
    }
    /// `Account_Count` from CONNECT.
    pub fn accounts(&self) -> u32 {
        self.s.accounts()
    }
    /// Framing mode.
    pub fn framing(&self) -> Framing {
        self.framing
    }
    /// Positions it reported.
    pub fn book(&self) -> &ReceiverBook {
        self.s.book()
    }
    /// Its counters.
    pub fn counters(&self) -> Counters {
        self.s.counters()
    }
    /// The first signal id it has not answered with a POSITION_SUMMARY yet (`u64::MAX` before
    /// READY; answers come in order, and one without `ID:` answers every signal so far).
    pub fn next_answer(&self) -> u64 {
        self.s.next_answer()
    }
    /// When it connected (Unix ns).
    pub fn connected_ns(&self) -> i64 {
        self.s.connected_ns()
    }
    /// Its last HEARTBEAT (Unix ns).
    pub fn last_heartbeat_ns(&self) -> Option<i64> {
        self.s.last_heartbeat_ns()
    }
    /// Its last complete message.
    pub fn last_message(&self) -> Instant {
        self.s.last_msg()
    }
    /// True once a final message was queued.
    pub fn is_closing(&self) -> bool {
        matches!(self.s.state(), State::Closing { .. })
    }
    /// True for a READY receiver: it gets every broadcast.
    pub fn receives(&self) -> bool {
        self.s.state() == State::Ready && self.s.role() == Role::Receiver
    }
    /// True when it sends no terminators (and so gets none, one message per write).
    pub fn unterminated(&self) -> bool {
        matches!(self.framing, Framing::Unterminated { .. })
    }

    /// Free input room (compacted first); empty when the buffer is full.
    pub fn spare(&mut self) -> &mut [u8] {
        self.inbuf.compact();
        self.inbuf.spare()
    }

    /// `n` bytes were read into [`Peer::spare`]. A closing peer's input is discarded.
    pub fn filled(&mut self, n: usize) {
        self.inbuf.filled(n);
        if self.is_closing() {
            self.inbuf.discard();
        }
    }

    /// Copies `bytes` in as if read (tests, simulators); returns how many fitted.
    pub fn receive(&mut self, bytes: &[u8]) -> usize {
        let room = self.spare();
        let n = bytes.len().min(room.len());
        room[..n].copy_from_slice(&bytes[..n]);
        self.filled(n);
        n
    }

    /// The next message's reply, or `None` when no complete message is pending for `cue`.
    pub fn poll_line(&mut self, cue: Cue, t: Time, p: &Policy<'_>) -> Option<Reply<'_>> {
        self.poll_named(cue, t, p).map(|(r, _)| r)
    }

    /// Like [`Peer::poll_line`], with the peer's name beside the reply (the pipeline journals
    /// who sent a signal or a summary without copying the name).
    pub fn poll_named(&mut self, cue: Cue, t: Time, p: &Policy<'_>) -> Option<(Reply<'_>, &str)> {
        loop {
            if self.is_closing() {
                self.inbuf.discard();
                return None;
            }
            match self.next_step(cue, t.now, p.grace) {
                Step::Skip(n) => self.inbuf.advance(n),
                Step::Wait => return None,
                Step::TooLong => return Some((self.too_long(t.now), self.s.name())),
                Step::Line { len, consumed } => {
                    let line = self.inbuf.take(len, consumed);
                    let reply = self.s.handle_line(line, t, p);
                    return Some((reply, self.s.name()));
                }
            }
        }
    }

    /// More than 1024 bytes without a terminator: the stream cannot be framed, so close.
    pub fn too_long(&mut self, now: Instant) -> Reply<'static> {
        self.s.counters_mut().bad += 1;
        let message = ParseError::TooLong.message();
        let details = Details::Text("Max_Size:1024");
        self.s.fail(now, ErrorCode::ProtocolError, message, details, CloseReason::ProtocolError)
    }

    /// Starts closing for a reason found by the shell (overflow, shutdown).
    pub fn start_closing(&mut self, now: Instant, reason: CloseReason) {
        self.s.set_closing(now, reason);
        self.inbuf.discard();
    }

    fn partial_since(&self) -> Option<Instant> {
        match self.framing {
            Framing::Unknown { partial_since } | Framing::Unterminated { partial_since } => {
                partial_since
            }
            Framing::Terminated => None,
        }
    }

    fn set_partial_since(&mut self, t: Option<Instant>) {
        match &mut self.framing {
            Framing::Unknown { partial_since } | Framing::Unterminated { partial_since } => {
                *partial_since = t
            }
            Framing::Terminated => {}
        }
    }

    /// Frames the next message. A peer whose framing is still unknown must stay quiet for the
    /// grace period before unterminated bytes count as a message, so a terminated peer whose
    /// first line arrives in two pieces is not mistaken for an unterminated one.
    fn next_step(&mut self, cue: Cue, now: Instant, grace: Duration) -> Step {
        let pending = self.inbuf.pending();
        if pending.is_empty() {
            return Step::Wait;
        }
        match next_frame(pending) {
            Frame::Complete { len, consumed } => {
                if pending[..len].iter().all(|&b| blank(b)) {
                    // Blank lines and NUL padding (fixed-size writers) are not messages.
                    return Step::Skip(consumed);
                }
                self.framing = Framing::Terminated;
                return Step::Line { len, consumed };
            }
            Frame::Oversized if self.framing == Framing::Terminated => return Step::TooLong,
            Frame::Partial | Frame::Oversized => {}
        }
        // No terminator in sight: at a pause, EOF or full buffer these may be whole messages
        // of a peer that sends none.
        if cue == Cue::Data || (self.framing == Framing::Terminated && cue != Cue::Eof) {
            return Step::Wait;
        }
        if pending.iter().all(|&b| blank(b)) {
            return Step::Skip(pending.len());
        }
        let n = split_unterminated(pending);
        match cue {
            Cue::Full if n == pending.len() => return Step::Wait,
            Cue::Pause => {
                let since = self.partial_since();
                let waited = since.is_some_and(|t| now.saturating_duration_since(t) >= grace);
                let complete = self.unterminated() && codec::parse(&pending[..n]).is_ok();
                if !waited && !complete {
                    self.set_partial_since(Some(since.unwrap_or(now)));
                    return Step::Wait;
                }
            }
            _ => {}
        }
        self.framing = Framing::Unterminated { partial_since: None };
        Step::Line { len: n, consumed: n }
    }

    /// When this peer must next be looked at ([`Peer::handle_timeout`]).
    pub fn deadline(&self, timeout: Duration, grace: Duration) -> Option<Instant> {
        if let State::Closing { since, .. } = self.s.state() {
            return since.checked_add(CLOSE_GRACE);
        }
        let idle = self.s.last_msg().checked_add(timeout);
        let partial = self.partial_since().and_then(|t| t.checked_add(grace));
        let flatten = self.s.book().flatten_deadline();
        [idle, partial, flatten].into_iter().flatten().min()
    }

    /// Runs what is due at `now`: the FLATTEN check (logged here), then at most one action.
    pub fn handle_timeout(&mut self, now: Instant, timeout: Duration, grace: Duration) -> Due {
        if let State::Closing { since, reason } = self.s.state() {
            if now.saturating_duration_since(since) >= CLOSE_GRACE {
                return Due::Remove(reason);
            }
            return Due::Nothing;
        }
        self.s.check_flatten(now);
        if now.saturating_duration_since(self.s.last_msg()) >= timeout {
            self.s.counters_mut().timeouts += 1;
            let (code, reason) = (ErrorCode::Timeout, CloseReason::Timeout);
            let details = Details::Silent(timeout.as_secs_f64().round() as u64);
            let message = "No heartbeat within timeout";
            return Due::Expire(self.s.fail(now, code, message, details, reason));
        }
        match self.partial_since() {
            Some(t) if now.saturating_duration_since(t) >= grace => Due::Frame,
            _ => Due::Nothing,
        }
    }

    /// Starts a FLATTEN check for `symbol` (`ALL` = every symbol), due at `deadline`.
    pub fn expect_flat(&mut self, signal_id: u64, symbol: &str, deadline: Instant) {
        self.s.book_mut().expect_flat(signal_id, symbol, deadline);
    }

    /// Its book, to update expected positions.
    pub(super) fn book_mut(&mut self) -> &mut ReceiverBook {
        self.s.book_mut()
    }

    /// `Accounts:` declared in CONNECT.
    pub fn declared(&self) -> &[Box<str>] {
        self.s.declared()
    }

    /// Reconciles expected and reported positions (see [`ReceiverBook::reconcile`]); `on`
    /// gets the receiver's name with each change.
    pub fn reconcile(&mut self, at: (Instant, Duration), mut on: impl FnMut(&str, Change<'_>)) {
        let (book, declared, name) = self.s.book_and_declared();
        book.reconcile(declared, at, |c| on(name, c));
    }

    /// Gives a reconnecting receiver its book back.
    pub fn restore_book(&mut self, book: ReceiverBook) {
        *self.s.book_mut() = book;
    }

    /// The name and book worth keeping for a reconnection (a named receiver with positions).
    pub fn into_retired(self) -> Option<(Box<str>, ReceiverBook)> {
        let (name, role, book) = self.s.take();
        let kept = !book.positions().is_empty() || !book.expected().is_empty();
        (role == Role::Receiver && !name.is_empty() && kept).then_some((name, book))
    }

    /// The reply that answers READY for this peer's role.
    pub fn ready(&self, epoch: u64, last_id: u64) -> Outgoing<'static> {
        Outgoing::Ready { role: self.s.role(), epoch, last_id }
    }
}

#[cfg(test)]
#[path = "peer_tests.rs"]
mod tests;
