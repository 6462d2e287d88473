//! V9 wire codec (pure, zero-alloc): one `|`-separated message in, typed borrowed values out.

use crate::clock::parse_iso8601;
use crate::signal::{Action, Signal, SignalError};

mod errors;
mod fields;
pub use errors::{ErrorCode, ErrorMsg, ParseError};
#[cfg(test)]
use fields::parse_signed;
use fields::{cut, parse_price, parse_u32, Fields, Pipes};

/// Spec limit for one message, terminator excluded.
pub const MAX_MESSAGE: usize = 1024;

/// A parsed V9 message borrowing from the input line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Message<'a> {
    /// `CONNECT|NAME|Account_Count:N|Key:Value...`
    Connect(Connect<'a>),
    /// `READY|VERSION|STATUS...`
    Ready {
        /// Server version.
        version: &'a str,
        /// Remaining status fields, raw (`Broadcast_Ready:Yes`).
        status: &'a str,
    },
    /// `ACTION|SYMBOL|QTY|OPTIONS...` (ID:n is our extension).
    Signal(SignalMsg<'a>),
    /// `POSITION|ACCOUNT|DIRECTION|QTY|ENTRY|PNL|[TIMESTAMP]|[Symbol:S]`
    Position(Position<'a>),
    /// `POSITION_SUMMARY|ACCOUNTS|QTY|PNL|AVG_ENTRY|[LONG:n,SHORT:m]|[ID:n]`
    Summary(Summary),
    /// `HEARTBEAT|NAME|[STATUS]`
    Heartbeat {
        /// Strategy name.
        name: &'a str,
        /// Free status text (may be empty).
        status: &'a str,
    },
    /// `HEARTBEAT_ACK|SERVER_TIME|[STATUS]`
    HeartbeatAck {
        /// Server time as sent (ISO-8601).
        server_time: &'a str,
        /// Free status text.
        status: &'a str,
    },
    /// `ERROR|CODE|MESSAGE|[DETAILS]`
    Error(ErrorMsg<'a>),
    /// `SIGNAL_ACK|ID|RECEIVERS` (extension: the server's answer to a publisher).
    SignalAck {
        /// Assigned signal id.
        id: u64,
        /// Receivers it was written to.
        receivers: u32,
    },
    /// `KILL|[REASON]` (extension, publishers): kill switch on.
    Kill {
        /// Free text after `KILL|` (may be empty).
        reason: &'a str,
    },
    /// `ARM` (extension, publishers): kill switch off.
    Arm,
}

/// CONNECT fields; metadata is scanned lazily from the raw tail.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Connect<'a> {
    /// Strategy name.
    pub name: &'a str,
    /// `Account_Count` / `ACCOUNT_COUNT` value, if present.
    pub account_count: Option<u32>,
    /// Every field after the name, raw (`Account_Count:20|Version:1.0`).
    pub meta: &'a str,
}

impl<'a> Connect<'a> {
    /// Value of metadata `key` (case-insensitive), e.g. `Version`, `Role`, `Token`.
    pub fn meta(&self, key: &str) -> Option<&'a str> {
        kv_fields(self.meta).find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
    }
}

/// A signal line plus the id the server stamped on it (absent on publisher input).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignalMsg<'a> {
    /// The signal.
    pub signal: Signal<'a>,
    /// `ID:n` option.
    pub id: Option<u64>,
}

/// Position direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Net long.
    Long,
    /// Net short.
    Short,
    /// No position.
    Flat,
}

impl Direction {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Long => "LONG",
            Direction::Short => "SHORT",
            Direction::Flat => "FLAT",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "LONG" => Some(Direction::Long),
            "SHORT" => Some(Direction::Short),
            "FLAT" => Some(Direction::Flat),
            _ => None,
        }
    }
}

/// One account's position report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Position<'a> {
    /// Account name.
    pub account: &'a str,
    /// LONG / SHORT / FLAT.
    pub direction: Direction,
    /// Contracts held (0 iff FLAT).
    pub qty: u32,
    /// Average entry price.
    pub entry: f64,
    /// P&L in dollars, signed.
    pub pnl: f64,
    /// Report time, Unix seconds, when given.
    pub time: Option<i64>,
    /// Instrument (`Symbol:` extension field); empty when the receiver does not send it.
    pub symbol: &'a str,
}

/// Aggregate report over a receiver's accounts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Accounts holding a position.
    pub accounts: u32,
    /// Sum of contracts.
    pub qty: u32,
    /// Sum of P&L.
    pub pnl: f64,
    /// Weighted average entry.
    pub avg_entry: f64,
    /// `LONG:n,SHORT:m` breakdown when given.
    pub breakdown: Option<(u32, u32)>,
    /// `ID:n` extension: the signal this summary answers.
    pub signal_id: Option<u64>,
}

/// Parses one message (terminator already removed). Never allocates, never panics.
pub fn parse(line: &[u8]) -> Result<Message<'_>, ParseError> {
    if line.len() > MAX_MESSAGE {
        return Err(ParseError::TooLong);
    }
    let text = std::str::from_utf8(line).map_err(|_| ParseError::NotUtf8)?;
    // Tolerate whitespace around the message (e.g. "\r" left by a CR-only peer), nothing inside.
    let text = text.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r');
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    if text.bytes().any(|b| b < 0x20 && b != b'\t') {
        return Err(ParseError::ControlChar);
    }
    let mut f = Fields(Pipes(Some(text)));
    let kind = f.0.next().unwrap_or("");
    let rest = f.0 .0.unwrap_or("");
    match kind {
        "CONNECT" => {
            let name = f.required("STRATEGY_NAME")?;
            let meta = rest.get(name.len() + 1..).unwrap_or("");
            let account_count = match kv_fields(meta)
                .find(|(k, _)| k.eq_ignore_ascii_case("Account_Count"))
            {
                Some((_, v)) => Some(v.parse().map_err(|_| ParseError::Invalid("ACCOUNT_COUNT"))?),
                None => None,
            };
            Ok(Message::Connect(Connect { name, account_count, meta }))
        }
        "READY" => {
            let version = f.required("SERVER_VERSION")?;
            Ok(Message::Ready { version, status: rest.get(version.len() + 1..).unwrap_or("") })
        }
        "POSITION" => parse_position(&mut f).map(Message::Position),
        "POSITION_SUMMARY" => parse_summary(&mut f).map(Message::Summary),
        "HEARTBEAT" => {
            let name = f.required("STRATEGY_NAME")?;
            Ok(Message::Heartbeat { name, status: rest.get(name.len() + 1..).unwrap_or("") })
        }
        "HEARTBEAT_ACK" => {
            let server_time = f.required("SERVER_TIME")?;
            Ok(Message::HeartbeatAck {
                server_time,
                status: rest.get(server_time.len() + 1..).unwrap_or(""),
            })
        }
        "ERROR" => {
            let code = f.required("ERROR_CODE")?;
            let message = f.optional().unwrap_or("");
            let consumed = code.len() + 1 + message.len() + 1;
            Ok(Message::Error(ErrorMsg {
                code,
                message,
                details: rest.get(consumed..).unwrap_or(""),
            }))
        }
        "KILL" => Ok(Message::Kill { reason: rest }),
        "ARM" => Ok(Message::Arm),
        "SIGNAL_ACK" => {
            let id = f.number("ID")?;
            let receivers = f.number("RECEIVERS")?;
            Ok(Message::SignalAck { id, receivers })
        }
        _ => match Action::parse(kind) {
            Some(action) => parse_signal(action, &mut f).map(Message::Signal),
            None => Err(ParseError::UnknownType),
        },
    }
}

fn parse_signal<'a>(action: Action, f: &mut Fields<'a>) -> Result<SignalMsg<'a>, ParseError> {
    let symbol = f.0.next().unwrap_or("");
    let qty_s = f.0.next().unwrap_or("");
    if symbol.is_empty() {
        return Err(ParseError::Signal(SignalError::BadSymbol));
    }
    let qty = match qty_s {
        // The spec always sends a quantity; a bare closing action ("FLATTEN|ALL") means 0.
        "" if !action.opens() => 0,
        s => parse_u32(s).ok_or(ParseError::Signal(SignalError::BadQuantity))?,
    };
    let mut signal = Signal::new(action, symbol, qty);
    let mut id = None;
    for opt in f.0.by_ref() {
        if opt.is_empty() {
            continue; // a trailing '|' is harmless
        }
        let (k, v) = cut(opt, b':').unwrap_or((opt, ""));
        if k.eq_ignore_ascii_case("TP") {
            signal.tp = Some(parse_price(v).ok_or(ParseError::Signal(SignalError::BadPrice))?);
        } else if k.eq_ignore_ascii_case("SL") {
            signal.sl = Some(parse_price(v).ok_or(ParseError::Signal(SignalError::BadPrice))?);
        } else if k.eq_ignore_ascii_case("TIF") {
            signal.tif = Some(v);
        } else if k.eq_ignore_ascii_case("ID") {
            // Publishers do not number their signals; a malformed one is a signal error, not a
            // protocol error (the connection stays up).
            id = Some(v.parse().map_err(|_| ParseError::Signal(SignalError::BadOption))?);
        } else if !signal.push_extra(opt) {
            return Err(ParseError::Signal(SignalError::TooManyOptions));
        }
    }
    signal.validate().map_err(ParseError::Signal)?;
    Ok(SignalMsg { signal, id })
}

fn parse_position<'a>(f: &mut Fields<'a>) -> Result<Position<'a>, ParseError> {
    let account = f.required("ACCOUNT_NAME")?;
    let direction =
        Direction::parse(f.required("DIRECTION")?).ok_or(ParseError::Invalid("DIRECTION"))?;
    let qty = f.number("QUANTITY")?;
    if (direction == Direction::Flat) != (qty == 0) {
        return Err(ParseError::Invalid("QUANTITY"));
    }
    let entry = f.float("ENTRY_PRICE")?;
    let pnl = f.float("PNL")?;
    let mut p = Position { account, direction, qty, entry, pnl, time: None, symbol: "" };
    for extra in f.0.by_ref() {
        if extra.is_empty() {
            continue;
        }
        match extra.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("Symbol") => p.symbol = v,
            // Anything else with a key is an extension we do not know: ignored, for forward
            // compatibility. A bare field in the timestamp slot must be a valid ISO-8601 time.
            _ if p.time.is_none() && extra.as_bytes().first().is_some_and(u8::is_ascii_digit) => {
                p.time = Some(parse_iso8601(extra).ok_or(ParseError::Invalid("TIMESTAMP"))?);
            }
            _ => {}
        }
    }
    Ok(p)
}

fn parse_summary(f: &mut Fields<'_>) -> Result<Summary, ParseError> {
    let accounts = f.number("TOTAL_ACCOUNTS")?;
    let qty = f.number("TOTAL_QUANTITY")?;
    let pnl = f.float("TOTAL_PNL")?;
    let avg_entry = f.float("AVG_ENTRY")?;
    let mut s = Summary { accounts, qty, pnl, avg_entry, breakdown: None, signal_id: None };
    for extra in f.0.by_ref() {
        if let Some(v) = extra.strip_prefix("ID:") {
            s.signal_id = Some(v.parse().map_err(|_| ParseError::Invalid("ID"))?);
        } else if extra.contains(',') || extra.starts_with("LONG:") || extra.starts_with("SHORT:") {
            let (mut long, mut short) = (None, None);
            for part in extra.split(',') {
                let (k, v) =
                    part.split_once(':').ok_or(ParseError::Invalid("CONTRACTS_BREAKDOWN"))?;
                let n = parse_u32(v).ok_or(ParseError::Invalid("CONTRACTS_BREAKDOWN"))?;
                match k {
                    "LONG" => long = Some(n),
                    "SHORT" => short = Some(n),
                    _ => {} // other buckets (FLAT:n, ...) are informative only
                }
            }
            s.breakdown = Some((long.unwrap_or(0), short.unwrap_or(0)));
        }
    }
    Ok(s)
}

/// `Key:Value` pairs of a raw `|`-separated tail; fields without ':' are skipped.
pub fn kv_fields(raw: &str) -> impl Iterator<Item = (&str, &str)> {
    raw.split('|').filter_map(|f| f.split_once(':'))
}

pub mod catchup;
#[cfg(test)]
mod tests;
