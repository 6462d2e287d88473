//! One V9 peer's protocol decisions (pure): CONNECT/READY, roles, heartbeats, positions, summaries.

use super::book::{Applied, ReceiverBook, MAX_ACCOUNT_LEN, MAX_POSITIONS};
use super::codec::{self, ErrorCode, Message, ParseError};
use super::escape::Esc;
use super::reply::{CloseReason, Counters, Details, Outgoing, Policy, Reply, Role, State, Time};
use crate::journal::PositionSummary;
use crate::pipeline::Refusal;
use crate::signal::{SignalError, MAX_SYMBOL_LEN};
use log::{debug, info, warn};
use std::net::SocketAddr;
use std::time::Instant;

mod connect;

/// Longest strategy name accepted in CONNECT.
pub(super) const MAX_NAME_LEN: usize = 64;

/// The protocol state of one peer, apart from its input framing.
#[derive(Debug)]
pub(super) struct Session {
    addr: SocketAddr,
    state: State,
    role: Role,
    name: Box<str>,
    accounts: u32,
    /// Last complete message (the idle timeout counts messages, not bytes).
    last_msg: Instant,
    connected_ns: i64,
    last_heartbeat_ns: Option<i64>,
    /// Lowest signal id this receiver has not answered with a POSITION_SUMMARY yet.
    next_answer: u64,
    book: ReceiverBook,
    /// `Accounts:` from CONNECT (empty when not declared).
    declared: Box<[Box<str>]>,
    counters: Counters,
    warnings: u64,
}

/// Read access for [`super::peer::Peer`], which owns the session beside its input framing.
impl Session {
    pub(super) fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub(super) fn state(&self) -> State {
        self.state
    }
    pub(super) fn role(&self) -> Role {
        self.role
    }
    pub(super) fn name(&self) -> &str {
        &self.name
    }
    pub(super) fn accounts(&self) -> u32 {
        self.accounts
    }
    pub(super) fn last_msg(&self) -> Instant {
        self.last_msg
    }
    pub(super) fn connected_ns(&self) -> i64 {
        self.connected_ns
    }
    pub(super) fn last_heartbeat_ns(&self) -> Option<i64> {
        self.last_heartbeat_ns
    }
    pub(super) fn book(&self) -> &ReceiverBook {
        &self.book
    }
    pub(super) fn book_mut(&mut self) -> &mut ReceiverBook {
        &mut self.book
    }
    pub(super) fn book_and_declared(&mut self) -> (&mut ReceiverBook, &[Box<str>], &str) {
        (&mut self.book, &self.declared, &self.name)
    }
    pub(super) fn declared(&self) -> &[Box<str>] {
        &self.declared
    }
    pub(super) fn counters(&self) -> Counters {
        self.counters
    }
    pub(super) fn next_answer(&self) -> u64 {
        self.next_answer
    }
    pub(super) fn counters_mut(&mut self) -> &mut Counters {
        &mut self.counters
    }
    pub(super) fn take(self) -> (Box<str>, Role, ReceiverBook) {
        (self.name, self.role, self.book)
    }
}

impl Session {
    pub(super) fn new(addr: SocketAddr, t: Time) -> Session {
        Session {
            addr,
            state: State::AwaitConnect,
            role: Role::Receiver,
            name: "".into(),
            accounts: 0,
            last_msg: t.now,
            connected_ns: t.wall_ns,
            last_heartbeat_ns: None,
            next_answer: u64::MAX,
            book: ReceiverBook::default(),
            declared: Box::default(),
            counters: Counters::default(),
            warnings: 0,
        }
    }

    /// Closing for a reason the shell found (overflow, shutdown).
    pub(super) fn set_closing(&mut self, now: Instant, reason: CloseReason) {
        self.state = State::Closing { since: now, reason };
    }

    /// Runs the FLATTEN check if it is due, logging the outcome.
    pub(super) fn check_flatten(&mut self, now: Instant) {
        let Some((id, late)) = self.book.check_flatten(now) else { return };
        let (addr, name) = (self.addr, Esc(&self.name));
        if late.is_empty() {
            info!("v9 {addr} ({name}): FLATTEN #{id}: every account flat");
        } else {
            let list: Vec<String> = late.iter().map(|s| Esc(s).to_string()).collect();
            warn!(
                "v9 {addr} ({name}): FLATTEN #{id}: {} account(s) out of sync: {}",
                late.len(),
                list.join(", ")
            );
        }
    }

    /// True when a warning about this peer may be logged now (first 3, then powers of two).
    pub(super) fn may_warn(&mut self) -> bool {
        self.warnings += 1;
        self.warnings <= 3 || self.warnings.is_power_of_two()
    }

    /// Queues an error and starts closing.
    pub(super) fn fail<'l>(
        &mut self,
        now: Instant,
        code: ErrorCode,
        message: &'static str,
        details: Details<'l>,
        reason: CloseReason,
    ) -> Reply<'l> {
        // Refused publishers are logged by the server, rate-limited (a guesser makes thousands).
        if !matches!(reason, CloseReason::Unauthorized | CloseReason::Throttled) {
            info!("v9 {} ({}): closing: {} {message}", self.addr, Esc(&self.name), code.as_str());
        }
        self.state = State::Closing { since: now, reason };
        Reply::Fail(Outgoing::Error { code, message, details }, reason)
    }

    /// Handles one complete line (terminator removed).
    pub(super) fn handle_line<'l>(&mut self, line: &'l [u8], t: Time, p: &Policy<'_>) -> Reply<'l> {
        match codec::parse(line) {
            Ok(msg) => {
                self.counters.messages += 1;
                self.last_msg = t.now;
                self.handle(msg, t, p)
            }
            Err(ParseError::Empty) => Reply::Nothing,
            Err(e) => {
                self.last_msg = t.now;
                self.bad_input(e, line, t.now)
            }
        }
    }

    fn handle<'l>(&mut self, msg: Message<'l>, t: Time, p: &Policy<'_>) -> Reply<'l> {
        if self.state == State::AwaitConnect && !matches!(msg, Message::Connect(_)) {
            self.counters.bad += 1;
            let (code, reason) = (ErrorCode::ProtocolError, CloseReason::ProtocolError);
            return self.fail(t.now, code, "CONNECT expected first", Details::None, reason);
        }
        match msg {
            Message::Connect(m) => self.on_connect(&m, t, p),
            Message::Heartbeat { .. } => {
                self.last_heartbeat_ns = Some(t.wall_ns);
                let unix_secs = t.wall_ns.div_euclid(1_000_000_000);
                Reply::Send(Outgoing::HeartbeatAck { unix_secs })
            }
            Message::Position(pos) => {
                let why = match self.book.apply_position(&pos, t.now) {
                    Applied::Yes => return Reply::Nothing,
                    Applied::Full => "position book full",
                    Applied::NameTooLong => "account or symbol name too long",
                };
                self.counters.positions_refused += 1;
                if self.may_warn() {
                    warn!(
                        "v9 {} ({}): {why} (at most {MAX_POSITIONS} entries, names up to {MAX_ACCOUNT_LEN}/{MAX_SYMBOL_LEN} bytes): POSITION for {} {} ignored",
                        self.addr,
                        Esc(&self.name),
                        Esc(&pos.account[..floor(pos.account, 80)]),
                        Esc(&pos.symbol[..floor(pos.symbol, 40)]),
                    );
                }
                Reply::Nothing
            }
            Message::Summary(s) => {
                self.counters.summaries_with_id += s.signal_id.is_some() as u64;
                let answered = self.answer(s.signal_id, p.last_signal);
                let compact = PositionSummary { accounts: s.accounts, qty: s.qty, pnl: s.pnl };
                if let Some(m) = self.book.apply_summary(&s) {
                    if self.may_warn() {
                        warn!(
                            "v9 {} ({}): POSITION_SUMMARY disagrees with its accounts: summary (accounts, qty, long, short) = {:?}, accounts say {:?}",
                            self.addr, Esc(&self.name), m.summary, m.accounts
                        );
                    }
                }
                answered.map_or(Reply::Nothing, |id| Reply::Answered(id, compact))
            }
            Message::Signal(s) if self.role == Role::Publisher => Reply::Publish(s.signal),
            Message::Kill { .. } if self.role == Role::Publisher => Reply::Kill,
            Message::Arm if self.role == Role::Publisher => Reply::Arm,
            Message::Signal(_) | Message::Kill { .. } | Message::Arm => {
                self.counters.rejected += 1;
                Reply::Send(Outgoing::Error {
                    code: ErrorCode::InvalidSignal,
                    message: SignalError::NotPublisher.message(),
                    details: Details::Text("Role:Publisher required"),
                })
            }
            Message::Error(e) => {
                if self.may_warn() {
                    warn!(
                        "v9 {} ({}): peer reported ERROR {} {} {}",
                        self.addr,
                        Esc(&self.name),
                        Esc(e.code),
                        Esc(e.message),
                        Esc(e.details)
                    );
                }
                Reply::Nothing
            }
            // Server-to-client messages echoed back: harmless, ignored.
            Message::Ready { .. } | Message::HeartbeatAck { .. } | Message::SignalAck { .. } => {
                debug!("v9 {}: ignoring server-side message from client", self.addr);
                Reply::Nothing
            }
        }
    }

    /// Which signal a summary answers: by its `ID:` when given; without one, the oldest signal
    /// not answered yet (and every later one counts as answered, so periodic summaries do not).
    fn answer(&mut self, id: Option<u64>, last: u64) -> Option<u64> {
        match id {
            Some(id) if id >= self.next_answer && id <= last => {
                self.next_answer = id + 1;
                Some(id)
            }
            Some(_) => None,
            None if self.next_answer <= last => {
                let first = self.next_answer;
                self.next_answer = last + 1;
                Some(first)
            }
            None => None,
        }
    }

    fn bad_input<'l>(&mut self, e: ParseError, raw: &'l [u8], now: Instant) -> Reply<'l> {
        self.counters.bad += 1;
        if self.may_warn() {
            warn!(
                "v9 {} ({}): {} [{}], bad #{}: \"{}\"",
                self.addr,
                Esc(&self.name),
                e.message(),
                e.field().unwrap_or("-"),
                self.counters.bad,
                Esc(&redacted_sample(raw))
            );
        }
        let details = match e.field() {
            Some(f) => Details::Field(f),
            None if e.is_invalid_signal() => Details::Action(action_word(raw)),
            None => Details::None,
        };
        if e.is_invalid_signal() && self.state == State::Ready {
            self.counters.rejected += 1;
            let msg =
                Outgoing::Error { code: ErrorCode::InvalidSignal, message: e.message(), details };
            if self.role == Role::Publisher {
                let reason = match e {
                    ParseError::Signal(s) => Refusal::Invalid(s).code(),
                    _ => Refusal::Invalid(SignalError::UnknownAction).code(),
                };
                return Reply::Refused { msg, reason, line: raw };
            }
            return Reply::Send(msg);
        }
        let (code, reason) = (ErrorCode::ProtocolError, CloseReason::ProtocolError);
        self.fail(now, code, e.message(), details, reason)
    }
}

/// The largest char boundary of `s` at or below `max`.
fn floor(s: &str, max: usize) -> usize {
    let mut i = max.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The first field of a line (an unknown action), at most 40 bytes, for the ERROR details.
fn action_word(raw: &[u8]) -> &str {
    let text = std::str::from_utf8(raw).unwrap_or("");
    let word = text.split('|').next().unwrap_or("");
    &word[..floor(word, 40)]
}

/// The first 80 bytes of bad input for the log, with any `Token:` value masked.
pub(super) fn redacted_sample(raw: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(&raw[..raw.len().min(80)]).into_owned();
    if let Some(i) = s.to_ascii_lowercase().find("token:") {
        s.truncate(i + "token:".len());
        s.push_str("***");
    }
    s
}
