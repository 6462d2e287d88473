//! Between a pure V9 peer and its shell: time and policy in; state, replies, closes out.

use super::codec::ErrorCode;
use super::encode;
use super::guard::AuthThrottle;
use crate::signal::Signal;
use std::fmt;
use std::time::{Duration, Instant};

/// What the peer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A copy receiver: gets every broadcast, reports positions.
    Receiver,
    /// Sends signal lines to broadcast; gets SIGNAL_ACKs, no broadcasts.
    Publisher,
}

impl Role {
    /// The name used in READY (`Role:Receiver`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Receiver => "Receiver",
            Role::Publisher => "Publisher",
        }
    }
}

/// Why a connection ends (logs and counters; never sent as such).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed its side.
    PeerClosed,
    /// Reading failed (reset and the like).
    ReadError,
    /// Writing failed.
    WriteError,
    /// Its output queue passed `max_output_bytes` (slow or stuck receiver).
    Overflow,
    /// No message within the client timeout.
    Timeout,
    /// Malformed input.
    ProtocolError,
    /// A publisher that may not publish (bad or missing token, or not loopback).
    Unauthorized,
    /// A publisher from an address whose recent tokens failed: not even checked.
    Throttled,
    /// An incompatible protocol version.
    VersionMismatch,
    /// The server is stopping.
    Shutdown,
}

impl CloseReason {
    /// Text for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::PeerClosed => "peer closed",
            CloseReason::ReadError => "read error",
            CloseReason::WriteError => "write error",
            CloseReason::Overflow => "output queue full (slow or stuck receiver)",
            CloseReason::Timeout => "timeout",
            CloseReason::ProtocolError => "protocol error",
            CloseReason::Unauthorized => "unauthorized",
            CloseReason::Throttled => "throttled after failed authentications",
            CloseReason::VersionMismatch => "version mismatch",
            CloseReason::Shutdown => "server shutdown",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The DETAILS field of an ERROR, formatted only when encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Details<'a> {
    /// No details field.
    None,
    /// A fixed text.
    Text(&'static str),
    /// `Field: NAME` (the field that failed to parse).
    Field(&'static str),
    /// `Action: WORD` (echo of an unknown action, bounded).
    Action(&'a str),
    /// `No message for Ns`.
    Silent(u64),
    /// `Last_ID:n,Server_Last_ID:m` (a CONNECT `Last_ID` above the server's).
    Future {
        /// The receiver's Last_ID.
        n: u64,
        /// The server's last id.
        m: u64,
    },
    /// A risk refusal's details (`Symbol: ES,Qty: 9,Max: 5`), borrowed: it is large.
    Risk(&'a crate::risk::Refusal),
}

impl fmt::Display for Details<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Details::None => Ok(()),
            Details::Text(t) => f.write_str(t),
            Details::Field(n) => write!(f, "Field: {n}"),
            Details::Action(a) => write!(f, "Action: {a}"),
            Details::Silent(s) => write!(f, "No message for {s}s"),
            Details::Future { n, m } => write!(f, "Last_ID:{n},Server_Last_ID:{m}"),
            Details::Risk(r) => write!(f, "{}", r.details()),
        }
    }
}

/// One message for the peer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outgoing<'a> {
    /// `READY|VERSION|Broadcast_Ready:Yes|Role:R|Epoch:e|Last_ID:m`.
    Ready {
        /// The peer's role.
        role: Role,
        /// The server's run number.
        epoch: u64,
        /// The last signal id assigned (0 = none yet).
        last_id: u64,
    },
    /// `HEARTBEAT_ACK|TIME|All_Systems_OK`.
    HeartbeatAck {
        /// Server time, Unix seconds (from the turn's wall clock).
        unix_secs: i64,
    },
    /// `SIGNAL_ACK|ID|RECEIVERS` (extension: the answer to a publisher).
    SignalAck {
        /// The id the signal got.
        id: u64,
        /// Receivers it was queued for.
        receivers: u32,
    },
    /// `ERROR|CODE|MESSAGE[|DETAILS]`.
    Error {
        /// The error code.
        code: ErrorCode,
        /// Human-readable message.
        message: &'static str,
        /// Details field.
        details: Details<'a>,
    },
}

impl Outgoing<'_> {
    /// Appends the LF-terminated message to `out`.
    pub fn encode(&self, out: &mut Vec<u8>, server_version: &str) {
        match *self {
            Outgoing::Ready { role, epoch, last_id } => {
                encode::ready(out, server_version, role.as_str(), epoch, last_id)
            }
            Outgoing::HeartbeatAck { unix_secs } => {
                encode::heartbeat_ack(out, unix_secs, "All_Systems_OK")
            }
            Outgoing::SignalAck { id, receivers } => encode::signal_ack(out, id, receivers),
            Outgoing::Error { code, message, details } => {
                encode::error(out, code, message, details)
            }
        }
    }
}

/// What handling one message (or a timer) asks of the shell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reply<'a> {
    /// Nothing to do.
    Nothing,
    /// Queue this message; the connection stays.
    Send(Outgoing<'a>),
    /// Queue this error, then close: the peer is already `Closing`.
    Fail(Outgoing<'a>, CloseReason),
    /// The handshake completed: answer READY (after restoring a receiver's book), then the
    /// catch-up a receiver's `Last_ID:` asked for.
    Connected(Role, Option<crate::pipeline::Request>),
    /// A publisher's signal: number and broadcast it, answer SIGNAL_ACK or an error.
    Publish(Signal<'a>),
    /// A publisher's signal line refused while parsing: queue the error, journal the refusal.
    Refused {
        /// The INVALID_SIGNAL error to queue.
        msg: Outgoing<'a>,
        /// The stable reason code (as journalled).
        reason: &'static str,
        /// The line as received.
        line: &'a [u8],
    },
    /// A publisher's `KILL`: kill switch on, FLATTEN|ALL|0 to everyone, SIGNAL_ACK of it.
    Kill,
    /// A publisher's `ARM`: kill switch off, answered `SIGNAL_ACK|<last id>|0`.
    Arm,
    /// A POSITION_SUMMARY answered this signal id (latency signal written → summary read).
    Answered(u64, crate::journal::PositionSummary),
}

/// The time of one loop turn: monotonic for deadlines, wall clock for protocol timestamps.
#[derive(Clone, Copy, Debug)]
pub struct Time {
    /// Monotonic time of the turn.
    pub now: Instant,
    /// Wall-clock time of the turn, Unix nanoseconds.
    pub wall_ns: i64,
}

/// Server-level knowledge a peer decides with (read-only while it decides).
#[derive(Clone, Copy, Debug)]
pub struct Policy<'a> {
    /// Publisher token, when one is configured (otherwise only loopback may publish).
    pub token: Option<&'a str>,
    /// Failed publisher authentications per address.
    pub auth: &'a AuthThrottle,
    /// Id of the last signal broadcast (0 = none yet).
    pub last_signal: u64,
    /// The server's epoch (READY `Epoch:`).
    pub epoch: u64,
    /// Idle timeout.
    pub timeout: Duration,
    /// How long an unterminated, incomplete message may wait for its remaining bytes.
    pub grace: Duration,
}

/// Where the handshake stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Connected, CONNECT not yet received: only CONNECT is accepted.
    AwaitConnect,
    /// READY sent.
    Ready,
    /// A final message was queued; the connection closes once it is flushed (or on a deadline).
    Closing {
        /// When closing started.
        since: Instant,
        /// Why.
        reason: CloseReason,
    },
}

impl State {
    /// Short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            State::AwaitConnect => "AwaitConnect",
            State::Ready => "Ready",
            State::Closing { .. } => "Closing",
        }
    }
}

/// Per-peer counters (summed into the server's stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Messages received (blank lines excluded).
    pub messages: u64,
    /// Bad messages received.
    pub bad: u64,
    /// Signals refused from this peer (validation, not a publisher).
    pub rejected: u64,
    /// POSITION_SUMMARY messages answering a numbered signal (`ID:`).
    pub summaries_with_id: u64,
    /// Closed for silence.
    pub timeouts: u64,
    /// POSITIONs not recorded (book full, names too long).
    pub positions_refused: u64,
}
