//! V9 message writers (pure): append one LF-terminated message to a reusable buffer.

use super::codec::{Direction, ErrorCode};
use super::num::{push_f64, push_int};
use crate::clock::iso8601_utc;
use crate::signal::Signal;
use std::fmt;
use std::io::Write;

// Writing into a Vec<u8> cannot fail; the io::Result of write! is only a formality there.

/// `ACTION|SYMBOL|QTY[|TP:p][|SL:p][|TIF:t][|extras...][|ID:n]\n`. Symbols are
/// case-insensitive and leave upper-cased (`mes` and `MES` are one instrument to a receiver).
pub fn signal(out: &mut Vec<u8>, s: &Signal<'_>, id: Option<u64>) {
    // Byte pushes and `num`, not `write!`: this runs once per signal on the loop, and the
    // formatting machinery was most of its cost (2,400 instructions, 300 now; callgrind).
    out.extend_from_slice(s.action.as_str().as_bytes());
    out.push(b'|');
    out.extend(s.symbol.bytes().map(|b| b.to_ascii_uppercase()));
    out.push(b'|');
    push_int(out, s.qty);
    if let Some(tp) = s.tp {
        out.extend_from_slice(b"|TP:");
        push_f64(out, tp);
    }
    if let Some(sl) = s.sl {
        out.extend_from_slice(b"|SL:");
        push_f64(out, sl);
    }
    if let Some(tif) = s.tif {
        out.extend_from_slice(b"|TIF:");
        out.extend_from_slice(tif.as_bytes());
    }
    for e in s.extras() {
        out.push(b'|');
        out.extend_from_slice(e.as_bytes());
    }
    if let Some(id) = id {
        out.extend_from_slice(b"|ID:");
        push_int(out, id);
    }
    out.push(b'\n');
}

/// `READY|VERSION|Broadcast_Ready:Yes|Role:R|Epoch:e|Last_ID:m\n`
pub fn ready(out: &mut Vec<u8>, version: &str, role: &str, epoch: u64, last_id: u64) {
    let _ = writeln!(
        out,
        "READY|{version}|Broadcast_Ready:Yes|Role:{role}|Epoch:{epoch}|Last_ID:{last_id}"
    );
}

/// `HEARTBEAT_ACK|YYYY-MM-DDTHH:MM:SSZ|STATUS\n`
pub fn heartbeat_ack(out: &mut Vec<u8>, unix_secs: i64, status: &str) {
    let mut ts = [0u8; 20];
    iso8601_utc(unix_secs, &mut ts);
    out.extend_from_slice(b"HEARTBEAT_ACK|");
    out.extend_from_slice(&ts);
    let _ = writeln!(out, "|{status}");
}

/// `ERROR|CODE|MESSAGE[|DETAILS]\n`; `|` and control bytes in the texts become `_`. The
/// details are formatted straight into `out` (no allocation); empty ones leave no field.
pub fn error(out: &mut Vec<u8>, code: ErrorCode, message: &str, details: impl fmt::Display) {
    let _ = write!(out, "ERROR|{}|", code.as_str());
    push_sanitized(out, message);
    out.push(b'|');
    let mark = out.len();
    let _ = fmt::write(&mut Sanitized { out, left: 200 }, format_args!("{details}"));
    if out.len() == mark {
        out.pop();
    }
    out.push(b'\n');
}

/// A `fmt::Write` that appends sanitized bytes, at most `left` of them.
struct Sanitized<'a> {
    out: &'a mut Vec<u8>,
    left: usize,
}

impl fmt::Write for Sanitized<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut take = s.len().min(self.left);
        while !s.is_char_boundary(take) {
            take -= 1; // never split a character: the message stays UTF-8
        }
        self.left -= take;
        push_sanitized(self.out, &s[..take]);
        Ok(())
    }
}

/// `SIGNAL_ACK|ID|RECEIVERS\n`
pub fn signal_ack(out: &mut Vec<u8>, id: u64, receivers: u32) {
    out.extend_from_slice(b"SIGNAL_ACK|");
    push_int(out, id);
    out.push(b'|');
    push_int(out, receivers);
    out.push(b'\n');
}

/// `CONNECT|NAME|Account_Count:N[|META]\n`
pub fn connect(out: &mut Vec<u8>, name: &str, accounts: u32, meta: &str) {
    let _ = write!(out, "CONNECT|{name}|Account_Count:{accounts}");
    if !meta.is_empty() {
        out.push(b'|');
        out.extend_from_slice(meta.as_bytes());
    }
    out.push(b'\n');
}

/// `HEARTBEAT|NAME|STATUS\n`
pub fn heartbeat(out: &mut Vec<u8>, name: &str, status: &str) {
    let _ = writeln!(out, "HEARTBEAT|{name}|{status}");
}

/// `POSITION|ACCOUNT|DIR|QTY|ENTRY|PNL|TIME[|Symbol:S]\n` (P&L always signed, 2 decimals).
#[allow(clippy::too_many_arguments)]
pub fn position(
    out: &mut Vec<u8>,
    account: &str,
    dir: Direction,
    qty: u32,
    entry: f64,
    pnl: f64,
    unix_secs: i64,
    symbol: &str,
) {
    let mut ts = [0u8; 20];
    iso8601_utc(unix_secs, &mut ts);
    let _ = write!(out, "POSITION|{account}|{}|{qty}|{entry:.2}|{pnl:+.2}|", dir.as_str());
    out.extend_from_slice(&ts);
    if !symbol.is_empty() {
        let _ = write!(out, "|Symbol:{symbol}");
    }
    out.push(b'\n');
}

/// `POSITION_SUMMARY|ACCOUNTS|QTY|PNL|AVG|LONG:l,SHORT:s[|ID:n]\n`
#[allow(clippy::too_many_arguments)]
pub fn summary(
    out: &mut Vec<u8>,
    accounts: u32,
    qty: u32,
    pnl: f64,
    avg: f64,
    long: u32,
    short: u32,
    id: Option<u64>,
) {
    let _ = write!(
        out,
        "POSITION_SUMMARY|{accounts}|{qty}|{pnl:+.2}|{avg:.2}|LONG:{long},SHORT:{short}"
    );
    if let Some(id) = id {
        let _ = write!(out, "|ID:{id}");
    }
    out.push(b'\n');
}

fn push_sanitized(out: &mut Vec<u8>, s: &str) {
    // Bound error texts so an echo of hostile input can never exceed the message limit.
    for &b in s.as_bytes().iter().take(200) {
        out.push(if b == b'|' || b < 0x20 { b'_' } else { b });
    }
}
