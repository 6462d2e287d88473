//! Journal records: what is written ([`Record`]), and its pure, allocation-free encoding.
//!
//! A frame is `len: u32 LE | crc: u32 LE | body` where `len` is the body's length and `crc` the
//! CRC-32C of the four length bytes followed by the body. A body is `kind: u8 | wall_ns: i64 LE`
//! then the kind's fields; integers are little-endian, strings and byte strings carry a u16
//! length. Decoding borrows from the input and checks every length.

use super::crc::crc32c;
use super::error::{Damage, Error};
use fields::{Get, Put};
use std::fmt;
use std::net::SocketAddr;

mod fields;

/// Largest body (kind, time and fields) a frame may carry.
pub const MAX_BODY: usize = 65_536;
/// Bytes before the body: length and checksum.
pub const FRAME_HEAD: usize = 8;
/// Largest frame; a buffer this long holds any record.
pub const MAX_FRAME: usize = FRAME_HEAD + MAX_BODY;

/// Which record a body holds (its first byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// [`Record::Signal`].
    Signal = 1,
    /// [`Record::Refused`].
    Refused = 2,
    /// [`Record::ReceiverConnected`].
    ReceiverConnected = 3,
    /// [`Record::ReceiverDisconnected`].
    ReceiverDisconnected = 4,
    /// [`Record::Summary`].
    Summary = 5,
    /// [`Record::KillSwitch`].
    KillSwitch = 6,
    /// [`Record::Epoch`].
    Epoch = 7,
    /// [`Record::Reconcile`] (added after the first format: older journals simply have none).
    Reconcile = 8,
    /// [`Record::LossLimit`] (added later, likewise).
    LossLimit = 9,
}

impl Kind {
    /// Every kind, in code order.
    pub const ALL: [Kind; 9] = [
        Kind::Signal,
        Kind::Refused,
        Kind::ReceiverConnected,
        Kind::ReceiverDisconnected,
        Kind::Summary,
        Kind::KillSwitch,
        Kind::Epoch,
        Kind::Reconcile,
        Kind::LossLimit,
    ];

    /// The name shown by `v9bridge journal` (`SIGNAL`, `REFUSED`, …).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Signal => "SIGNAL",
            Kind::Refused => "REFUSED",
            Kind::ReceiverConnected => "CONNECTED",
            Kind::ReceiverDisconnected => "DISCONNECTED",
            Kind::Summary => "SUMMARY",
            Kind::KillSwitch => "KILL_SWITCH",
            Kind::Epoch => "EPOCH",
            Kind::Reconcile => "RECONCILE",
            Kind::LossLimit => "LOSS_LIMIT",
        }
    }

    /// Index into per-kind tables (0-based).
    pub fn index(self) -> usize {
        self as usize - 1
    }

    fn from_u8(b: u8) -> Option<Kind> {
        Kind::ALL.get(usize::from(b).wrapping_sub(1)).copied()
    }
}

/// Where a signal came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source<'a> {
    /// A V9 publisher, by the name it sent in CONNECT.
    Publisher(&'a str),
    /// The ACSIL study through the pipe.
    Pipe,
    /// `v9bridge signal` or another command-line entry.
    Cli,
    /// The ops API.
    Ops,
    /// Derived from a DTC connection, by its config name.
    Dtc(&'a str),
}

impl fmt::Display for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Publisher(n) => write!(f, "publisher:{n}"),
            Source::Pipe => f.write_str("pipe"),
            Source::Cli => f.write_str("cli"),
            Source::Ops => f.write_str("ops"),
            Source::Dtc(n) => write!(f, "dtc:{n}"),
        }
    }
}

/// A receiver as it connected or disconnected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receiver<'a> {
    /// Name from CONNECT.
    pub name: &'a str,
    /// Remote address, when known.
    pub peer: Option<SocketAddr>,
    /// Accounts it trades (`Account_Count`).
    pub accounts: u32,
}

/// The compact part of a POSITION_SUMMARY answer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PositionSummary {
    /// Accounts holding a position.
    pub accounts: u32,
    /// Sum of contracts.
    pub qty: u32,
    /// Sum of P&L.
    pub pnl: f64,
}

/// One journal record; borrowed, so building one costs nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Record<'a> {
    /// An accepted signal: its id, source and the exact bytes broadcast.
    Signal {
        /// Engine-assigned id (strictly increasing across the journal).
        id: u64,
        /// Who sent it.
        source: Source<'a>,
        /// The bytes broadcast to receivers.
        bytes: &'a [u8],
    },
    /// A refused signal and why.
    Refused {
        /// Who sent it.
        source: Source<'a>,
        /// A short, stable reason code (e.g. `BAD_SYMBOL`); text so that old journals read the
        /// same after the engine's error enums change.
        reason: &'a str,
        /// The bytes as received.
        bytes: &'a [u8],
    },
    /// A receiver completed CONNECT.
    ReceiverConnected(Receiver<'a>),
    /// A receiver went away.
    ReceiverDisconnected(Receiver<'a>),
    /// A receiver's POSITION_SUMMARY answer to a signal.
    Summary {
        /// Receiver name.
        receiver: &'a str,
        /// The signal it answers.
        signal_id: u64,
        /// Accounts, contracts, P&L.
        summary: PositionSummary,
    },
    /// The kill switch was armed or released.
    KillSwitch {
        /// Armed (signals refused) or released.
        armed: bool,
        /// Who did it.
        by: &'a str,
    },
    /// The engine started epoch `n` (written once per start).
    Epoch {
        /// Epoch number, strictly increasing.
        n: u64,
    },
    /// A receiver's reported position disagreed with the expected one past the grace period
    /// (`flagged`), or agrees again (`!flagged`).
    Reconcile {
        /// Receiver name.
        receiver: &'a str,
        /// Account name.
        account: &'a str,
        /// Symbol.
        symbol: &'a str,
        /// Expected signed position.
        expected: i64,
        /// Reported signed position.
        reported: i64,
        /// Out of sync (true) or back in sync (false).
        flagged: bool,
    },
    /// A loss limit excluded an account (`rule`, e.g. `DAILY_LOSS`), or it was re-armed (`rule`
    /// empty): restored at start, so a breached account stays out across a restart.
    LossLimit {
        /// Account name.
        account: &'a str,
        /// The limit that excluded it; empty when re-armed.
        rule: &'a str,
    },
}

impl Record<'_> {
    /// This record's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Record::Signal { .. } => Kind::Signal,
            Record::Refused { .. } => Kind::Refused,
            Record::ReceiverConnected(_) => Kind::ReceiverConnected,
            Record::ReceiverDisconnected(_) => Kind::ReceiverDisconnected,
            Record::Summary { .. } => Kind::Summary,
            Record::KillSwitch { .. } => Kind::KillSwitch,
            Record::Epoch { .. } => Kind::Epoch,
            Record::Reconcile { .. } => Kind::Reconcile,
            Record::LossLimit { .. } => Kind::LossLimit,
        }
    }
}

/// Writes `rec` as a whole frame at the start of `out` and returns the frame's length.
/// Allocates nothing; fails with [`Error::TooLarge`] (and leaves `out` unspecified) when a field
/// or the body does not fit, or `out` is shorter than the frame.
pub fn encode_frame(rec: &Record<'_>, wall_ns: i64, out: &mut [u8]) -> Result<usize, Error> {
    let mut p = Put { buf: out, pos: FRAME_HEAD };
    p.u8(rec.kind() as u8)?;
    p.bytes(&wall_ns.to_le_bytes())?;
    match *rec {
        Record::Signal { id, source, bytes } => {
            p.u64(id)?;
            p.source(source)?;
            p.blob(bytes)?;
        }
        Record::Refused { source, reason, bytes } => {
            p.source(source)?;
            p.blob(reason.as_bytes())?;
            p.blob(bytes)?;
        }
        Record::ReceiverConnected(r) | Record::ReceiverDisconnected(r) => p.receiver(&r)?,
        Record::Summary { receiver, signal_id, summary } => {
            p.blob(receiver.as_bytes())?;
            p.u64(signal_id)?;
            p.bytes(&summary.accounts.to_le_bytes())?;
            p.bytes(&summary.qty.to_le_bytes())?;
            p.u64(summary.pnl.to_bits())?;
        }
        Record::KillSwitch { armed, by } => {
            p.u8(u8::from(armed))?;
            p.blob(by.as_bytes())?;
        }
        Record::Epoch { n } => p.u64(n)?,
        Record::Reconcile { receiver, account, symbol, expected, reported, flagged } => {
            p.blob(receiver.as_bytes())?;
            p.blob(account.as_bytes())?;
            p.blob(symbol.as_bytes())?;
            p.u64(expected as u64)?;
            p.u64(reported as u64)?;
            p.u8(u8::from(flagged))?;
        }
        Record::LossLimit { account, rule } => {
            p.blob(account.as_bytes())?;
            p.blob(rule.as_bytes())?;
        }
    }
    let len = p.pos - FRAME_HEAD;
    if len > MAX_BODY {
        return Err(Error::TooLarge("record body"));
    }
    let len_bytes = (len as u32).to_le_bytes();
    out[..4].copy_from_slice(&len_bytes);
    let crc = crc32c(crc32c(0, &len_bytes), &out[FRAME_HEAD..FRAME_HEAD + len]);
    out[4..8].copy_from_slice(&crc.to_le_bytes());
    Ok(FRAME_HEAD + len)
}

/// The body length a frame head announces, checked against [`MAX_BODY`].
pub fn body_len(head: &[u8; FRAME_HEAD]) -> Result<usize, Damage> {
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if len == 0 || len > MAX_BODY {
        return Err(Damage::BadLength);
    }
    Ok(len)
}

/// Checks a frame's checksum (`head` as read, `body` of the announced length).
pub fn check_frame(head: &[u8; FRAME_HEAD], body: &[u8]) -> Result<(), Damage> {
    let want = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    if crc32c(crc32c(0, &head[..4]), body) == want {
        Ok(())
    } else {
        Err(Damage::BadChecksum)
    }
}

/// Decodes a body into its time and record, borrowing from `body`.
pub fn decode_body(body: &[u8]) -> Result<(i64, Record<'_>), Damage> {
    let mut g = Get { buf: body, pos: 0 };
    let kind = Kind::from_u8(g.u8()?).ok_or(Damage::BadBody("unknown record kind"))?;
    let wall_ns = g.u64()? as i64;
    let rec = match kind {
        Kind::Signal => Record::Signal { id: g.u64()?, source: g.source()?, bytes: g.blob()? },
        Kind::Refused => {
            Record::Refused { source: g.source()?, reason: g.str()?, bytes: g.blob()? }
        }
        Kind::ReceiverConnected => Record::ReceiverConnected(g.receiver()?),
        Kind::ReceiverDisconnected => Record::ReceiverDisconnected(g.receiver()?),
        Kind::Summary => Record::Summary {
            receiver: g.str()?,
            signal_id: g.u64()?,
            summary: PositionSummary {
                accounts: g.u32()?,
                qty: g.u32()?,
                pnl: f64::from_bits(g.u64()?),
            },
        },
        Kind::KillSwitch => {
            let armed = match g.u8()? {
                0 => false,
                1 => true,
                _ => return Err(Damage::BadBody("kill switch flag not 0 or 1")),
            };
            Record::KillSwitch { armed, by: g.str()? }
        }
        Kind::Epoch => Record::Epoch { n: g.u64()? },
        Kind::Reconcile => Record::Reconcile {
            receiver: g.str()?,
            account: g.str()?,
            symbol: g.str()?,
            expected: g.u64()? as i64,
            reported: g.u64()? as i64,
            flagged: match g.u8()? {
                0 => false,
                1 => true,
                _ => return Err(Damage::BadBody("reconcile flag not 0 or 1")),
            },
        },
        Kind::LossLimit => Record::LossLimit { account: g.str()?, rule: g.str()? },
    };
    if g.pos != body.len() {
        return Err(Damage::BadBody("bytes after the last field"));
    }
    Ok((wall_ns, rec))
}
