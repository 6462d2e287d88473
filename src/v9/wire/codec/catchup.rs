//! V9 catch-up extension messages (pure, no allocation): SYNC, CAUGHT_UP, READY's Epoch/Last_ID.
//
// One typed parser for every receiver written in Rust (the simulator, the demo's model);
// docs/PROTOCOL.md defines the messages. Unknown `key:value` fields are ignored (extensions).

use super::{kv_fields, Direction, ParseError};
use crate::signal::MAX_QTY;

/// `SYNC|<symbol>|<LONG|SHORT|FLAT>|<qty>[|Accounts:<list>]|ID:<m>`: the target position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sync<'a> {
    /// Instrument.
    pub symbol: &'a str,
    /// Target side.
    pub direction: Direction,
    /// Target size (per-account sizes in `accounts` override it).
    pub qty: u32,
    /// The raw `Accounts:` list, when the SYNC targets some accounts only.
    pub accounts: Option<&'a str>,
    /// The server's last id: what the target is the position after.
    pub id: u64,
}

impl<'a> Sync<'a> {
    /// +1 long, -1 short, 0 flat.
    pub fn sign(&self) -> i64 {
        match self.direction {
            Direction::Long => 1,
            Direction::Short => -1,
            Direction::Flat => 0,
        }
    }
}

/// How the server caught the receiver up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatchUpMode {
    /// Missed signals were replayed (`Replay:1`).
    Replay,
    /// Target positions were sent (SYNC).
    Sync,
    /// Nothing was missed.
    None,
}

impl CatchUpMode {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CatchUpMode::Replay => "REPLAY",
            CatchUpMode::Sync => "SYNC",
            CatchUpMode::None => "NONE",
        }
    }
}

/// `CAUGHT_UP|<REPLAY|SYNC|NONE>|<count>|ID:<m>`: the end of catch-up; live signals follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaughtUp {
    /// How.
    pub mode: CatchUpMode,
    /// Signals replayed or SYNC lines sent.
    pub count: u64,
    /// The server's last id.
    pub id: u64,
}

/// One catch-up message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CatchUp<'a> {
    /// A target position.
    Sync(Sync<'a>),
    /// The end marker.
    CaughtUp(CaughtUp),
}

/// Parses `line` (terminator removed) when it is a SYNC or CAUGHT_UP; `None` for anything else.
pub fn parse(line: &[u8]) -> Option<Result<CatchUp<'_>, ParseError>> {
    let text = std::str::from_utf8(line).ok()?.trim_matches(|c| c == ' ' || c == '\r');
    if let Some(rest) = text.strip_prefix("SYNC|") {
        Some(parse_sync(rest).map(CatchUp::Sync))
    } else {
        let rest = text.strip_prefix("CAUGHT_UP|")?;
        Some(parse_caught_up(rest).map(CatchUp::CaughtUp))
    }
}

fn parse_sync(rest: &str) -> Result<Sync<'_>, ParseError> {
    let mut f = rest.split('|');
    let symbol = f.next().filter(|s| crate::signal::valid_symbol(s));
    let symbol = symbol.ok_or(ParseError::Invalid("SYMBOL"))?;
    let direction = match f.next() {
        Some("LONG") => Direction::Long,
        Some("SHORT") => Direction::Short,
        Some("FLAT") => Direction::Flat,
        _ => return Err(ParseError::Invalid("DIRECTION")),
    };
    let qty = digits(f.next()).filter(|q| *q <= MAX_QTY as u64);
    let qty = qty.ok_or(ParseError::Invalid("QUANTITY"))? as u32;
    if direction == Direction::Flat && qty != 0 {
        return Err(ParseError::Invalid("QUANTITY"));
    }
    let (mut accounts, mut id) = (None, None);
    for (k, v) in f.filter_map(|x| x.split_once(':')) {
        if k.eq_ignore_ascii_case("Accounts") {
            accounts = Some(v);
        } else if k.eq_ignore_ascii_case("ID") {
            id = Some(digits(Some(v)).ok_or(ParseError::Invalid("ID"))?);
        } // other keys: extensions this receiver does not know, ignored
    }
    let id = id.ok_or(ParseError::Missing("ID"))?;
    if accounts.is_some_and(|a| !valid_accounts(a)) {
        return Err(ParseError::Invalid("ACCOUNTS"));
    }
    Ok(Sync { symbol, direction, qty, accounts, id })
}

fn parse_caught_up(rest: &str) -> Result<CaughtUp, ParseError> {
    let mut f = rest.split('|');
    let mode = match f.next() {
        Some("REPLAY") => CatchUpMode::Replay,
        Some("SYNC") => CatchUpMode::Sync,
        Some("NONE") => CatchUpMode::None,
        _ => return Err(ParseError::Invalid("MODE")),
    };
    let count = digits(f.next()).ok_or(ParseError::Invalid("COUNT"))?;
    let id = f.filter_map(|x| x.split_once(':')).find(|(k, _)| k.eq_ignore_ascii_case("ID"));
    let id = id.ok_or(ParseError::Missing("ID"))?;
    let id = digits(Some(id.1)).ok_or(ParseError::Invalid("ID"))?;
    Ok(CaughtUp { mode, count, id })
}

/// `Epoch:` and `Last_ID:` of a READY's status fields (absent from a base server's READY).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadyInfo {
    /// The server's run number.
    pub epoch: Option<u64>,
    /// The last id the server assigned.
    pub last_id: Option<u64>,
}

impl ReadyInfo {
    /// Reads them from READY's raw status (`Broadcast_Ready:Yes|Role:Receiver|Epoch:3|...`);
    /// a malformed value counts as absent.
    pub fn from_status(status: &str) -> ReadyInfo {
        let mut r = ReadyInfo::default();
        for (k, v) in kv_fields(status) {
            if k.eq_ignore_ascii_case("Epoch") {
                r.epoch = digits(Some(v));
            } else if k.eq_ignore_ascii_case("Last_ID") {
                r.last_id = digits(Some(v));
            }
        }
        r
    }
}

/// `a+b=2+...`: non-empty names, quantities of 1 to 4 digits up to [`MAX_QTY`].
pub fn valid_accounts(list: &str) -> bool {
    !list.is_empty()
        && list.split('+').all(|e| match e.split_once('=') {
            Some((name, q)) => {
                !name.is_empty()
                    && (1..=4).contains(&q.len())
                    && digits(Some(q)).is_some_and(|q| q <= u64::from(MAX_QTY))
            }
            None => !e.is_empty(),
        })
}

fn digits(s: Option<&str>) -> Option<u64> {
    let s = s?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_input_is_refused_never_panics() {
        let long = format!("SYNC|MES|LONG|1|Accounts:{}|ID:1", "A+".repeat(600));
        for bad in [
            &b"SYNC|"[..],
            b"SYNC|||||",
            b"SYNC|MES|LONG|1|ID:99999999999999999999999",
            b"SYNC|MES|LONG|1|ID:",
            b"SYNC|MES|LONG|01x|ID:1",
            b"SYNC|MES|LONG|1|Accounts:A=|ID:1",
            b"SYNC|MES|LONG|1|Accounts:=2|ID:1",
            b"SYNC|MES|LONG|1|Accounts:A++B|ID:1",
            b"SYNC|MES|LONG|1|Accounts:A=99999|ID:1",
            b"SYNC|MES|LONG|1|Accounts:A=-1|ID:1",
            b"SYNC|M\x01S|LONG|1|ID:1",
            b"SYNC|MES|LONG|+1|ID:1",
            b"CAUGHT_UP|",
            b"CAUGHT_UP|REPLAY|-1|ID:1",
            b"CAUGHT_UP|REPLAY|1|ID:x",
        ] {
            assert!(matches!(parse(bad), Some(Err(_))), "{}", String::from_utf8_lossy(bad));
        }
        // Long lists are the framer's business (MAX_MESSAGE); the parser stays linear.
        assert!(matches!(parse(long.as_bytes()), Some(Err(_))), "an empty name in the list");
        assert!(valid_accounts("A=2+B+C=1000") && !valid_accounts("A=1001"));
    }

    #[test]
    fn sync_lines() {
        let Some(Ok(CatchUp::Sync(s))) = parse(b"SYNC|MES|LONG|2|ID:7") else { panic!() };
        assert_eq!((s.symbol, s.sign(), s.qty, s.accounts, s.id), ("MES", 1, 2, None, 7));
        let line = b"SYNC|ES|SHORT|1|Accounts:A=2+B|Future:x|ID:9\r";
        let Some(Ok(CatchUp::Sync(s))) = parse(line) else { panic!() };
        assert_eq!((s.sign(), s.accounts, s.id), (-1, Some("A=2+B"), 9));
        let Some(Ok(CatchUp::Sync(s))) = parse(b"SYNC|NQ|FLAT|0|ID:1") else { panic!() };
        assert_eq!(s.sign(), 0);
        for bad in [
            &b"SYNC|MES|UP|2|ID:7"[..],
            b"SYNC|MES|LONG|x|ID:7",
            b"SYNC|MES|FLAT|2|ID:7",
            b"SYNC|MES|LONG|2",
            b"SYNC|MES|LONG|2|ID:-1",
            b"SYNC|MES|LONG|2|Accounts:|ID:7",
            b"SYNC||LONG|2|ID:7",
            b"SYNC|MES|LONG|5000|ID:7",
        ] {
            assert!(matches!(parse(bad), Some(Err(_))), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse(b"LONG|MES|1|ID:1"), None);
        assert_eq!(parse(b"sync|MES|LONG|1|ID:1"), None, "message names are upper case");
        assert_eq!(parse(b"\xff"), None);
    }

    #[test]
    fn caught_up_and_ready() {
        let want = CaughtUp { mode: CatchUpMode::Replay, count: 3, id: 12 };
        assert_eq!(parse(b"CAUGHT_UP|REPLAY|3|ID:12"), Some(Ok(CatchUp::CaughtUp(want))));
        let Some(Ok(CatchUp::CaughtUp(c))) = parse(b"CAUGHT_UP|NONE|0|ID:0") else { panic!() };
        assert_eq!(c.mode.as_str(), "NONE");
        assert!(matches!(parse(b"CAUGHT_UP|MAYBE|0|ID:0"), Some(Err(_))));
        assert!(matches!(parse(b"CAUGHT_UP|SYNC|0"), Some(Err(_))));
        let r = ReadyInfo::from_status("Broadcast_Ready:Yes|Role:Receiver|Epoch:4|Last_ID:99");
        assert_eq!(r, ReadyInfo { epoch: Some(4), last_id: Some(99) });
        assert_eq!(ReadyInfo::from_status("Broadcast_Ready:Yes"), ReadyInfo::default());
        assert_eq!(ReadyInfo::from_status("Epoch:x").epoch, None);
    }
}
