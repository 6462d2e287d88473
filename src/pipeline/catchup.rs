//! Catch-up after a receiver's CONNECT (pure): REPLAY, SYNC or NONE, then `CAUGHT_UP`.

use super::replay::ReplayStore;
use super::route::{self, Delta, Heads, Pick, Routing};
use super::split::{self, Tail};
use super::targets::{AccountTargets, Targets};
use crate::risk::{ReceiverAccounts, Risk, RouteBuf};
use crate::signal::Symbol;
use crate::v9::codec::{self, Message};
use std::io::Write;

/// What a receiver's CONNECT asked for, once the session has checked it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Its epoch differs from ours: target positions.
    Sync,
    /// `Last_ID:n` with n <= our last id: the signals from n on (inclusive), or targets.
    From(u64),
}

/// How a receiver was caught up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Missed signals sent again, `Replay:1`.
    Replay,
    /// Target positions per symbol.
    Sync,
    /// Nothing missed.
    None,
}

impl Mode {
    /// The wire word in `CAUGHT_UP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Replay => "REPLAY",
            Mode::Sync => "SYNC",
            Mode::None => "NONE",
        }
    }
}

/// The outcome: mode and the number of signals replayed or SYNC lines sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaughtUp {
    /// How.
    pub mode: Mode,
    /// Signals replayed or SYNC lines.
    pub count: u64,
}

/// The receiver being caught up, for routing: its bound accounts.
#[derive(Debug)]
pub struct Who<'a> {
    /// The risk layer.
    pub risk: &'a Risk,
    /// Its declared accounts, bound.
    pub rx: &'a ReceiverAccounts,
    /// Routing scratch.
    pub buf: &'a mut RouteBuf,
}

/// What the targets are: per symbol, and per configured account.
#[derive(Clone, Copy, Debug)]
pub struct Book<'a> {
    /// Per symbol (accounts the configuration does not know).
    pub targets: &'a Targets,
    /// Per configured account.
    pub accounts: &'a AccountTargets,
}

/// Appends the catch-up for `req` to `out`, `CAUGHT_UP` included. A replay is chosen when the
/// window holds every signal from `n` (and the oldest is younger than `oldest_ns`) and its
/// bytes fit in `room`; otherwise SYNC. Each replayed signal is routed for `who` as it would
/// be now; what the receiver is sent of it goes to `sent` (id, change).
pub fn write(
    req: Request,
    last: u64,
    (store, book): (&ReplayStore, Book<'_>),
    mut who: Option<Who<'_>>,
    (oldest_ns, room): (i64, usize),
    out: &mut Vec<u8>,
    sent: &mut Vec<(u64, Delta)>,
) -> CaughtUp {
    let start = out.len();
    let done = match req {
        Request::From(n) if n >= last => CaughtUp { mode: Mode::None, count: 0 },
        Request::From(n) if store.covers(n.max(1), last, oldest_ns) => {
            let count = replay(store, n.max(1), who.as_mut(), out, sent);
            if out.len() - start > room {
                out.truncate(start);
                sent.clear();
                sync(book, who.as_ref().map(|w| w.rx), last, out)
            } else {
                CaughtUp { mode: Mode::Replay, count }
            }
        }
        _ => sync(book, who.as_ref().map(|w| w.rx), last, out),
    };
    let _ = writeln!(out, "CAUGHT_UP|{}|{}|ID:{last}", done.mode.as_str(), done.count);
    done
}

/// Each stored signal from `from` on, routed for `who`, `Replay:1` inserted just before its
/// `ID:` field; signals that are not for it are left out (and not counted).
fn replay(
    store: &ReplayStore,
    from: u64,
    mut who: Option<&mut Who<'_>>,
    out: &mut Vec<u8>,
    sent: &mut Vec<(u64, Delta)>,
) -> u64 {
    let mut count = 0;
    let mut heads = Heads::default();
    for (id, line) in store.from(from) {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let Ok(Message::Signal(m)) = codec::parse(body) else { continue };
        let sig = m.signal;
        let Some(w) = who.as_deref_mut() else {
            let cut = find_last(line, b"|ID:").unwrap_or(line.len().saturating_sub(1));
            out.extend_from_slice(&line[..cut]);
            out.extend_from_slice(b"|Replay:1");
            out.extend_from_slice(&line[cut..]);
            let (action, qty, symbol) = (sig.action, sig.qty, Symbol::upper(sig.symbol));
            sent.push((id, Delta { account: None, action, symbol, qty }));
            count += 1;
            continue;
        };
        let routing = Routing { risk: w.risk, sig: &sig, ticket: route::ticket(w.risk, &sig), id };
        let mut note = |d: Delta| sent.push((id, d));
        if routing.pick(w.rx, (w.buf, &mut heads), out, true, &mut note) != Pick::Skip {
            count += 1;
        }
    }
    count
}

/// `SYNC|SYMBOL|LONG|SHORT|FLAT|QTY[|Accounts:a+b]|ID:m`, one per tracked symbol (flat ones
/// included) and distinct target among the receiver's accounts: `Accounts:` only when its
/// declared accounts' targets differ.
fn sync(book: Book<'_>, rx: Option<&ReceiverAccounts>, last: u64, out: &mut Vec<u8>) -> CaughtUp {
    let mut symbols = book.targets.sorted();
    let names = rx.map_or(&[][..], |r| r.names());
    let own: Vec<Option<usize>> = names.iter().map(|n| book.accounts.index(n)).collect();
    for i in own.iter().flatten() {
        for (s, _) in book.accounts.row(*i) {
            if !symbols.iter().any(|(k, _)| k == s) {
                symbols.push((*s, 0));
            }
        }
    }
    symbols.sort_unstable_by_key(|e| e.0);
    let mut lines = 0;
    for (sym, common) in &symbols {
        let target = |k: usize| own[k].map_or(*common, |i| book.accounts.get(i, sym.as_str()));
        let values: Vec<i64> = (0..names.len()).map(target).collect();
        if values.iter().all(|v| *v == values.first().copied().unwrap_or(*common)) {
            let v = values.first().copied().unwrap_or(*common);
            lines += write_sync(out, sym, v, None, last);
            continue;
        }
        let mut done: Vec<i64> = Vec::new();
        for &v in &values {
            if done.contains(&v) {
                continue;
            }
            done.push(v);
            let list: Vec<&str> =
                (0..names.len()).filter(|&k| values[k] == v).map(|k| &*names[k]).collect();
            lines += write_sync(out, sym, v, Some(&list), last);
        }
    }
    CaughtUp { mode: Mode::Sync, count: lines }
}

/// One SYNC target; with `accounts`, as many lines as the 1024-byte limit needs (disjoint runs
/// of them, the same id). Returns the lines written.
fn write_sync(
    out: &mut Vec<u8>,
    sym: &Symbol,
    p: i64,
    accounts: Option<&[&str]>,
    last: u64,
) -> u64 {
    let side = match p.signum() {
        1 => "LONG",
        -1 => "SHORT",
        _ => "FLAT",
    };
    let mut head = Vec::with_capacity(64);
    let _ = write!(head, "SYNC|{}|{side}|{}", sym.as_str(), p.unsigned_abs());
    let Some(list) = accounts else {
        out.extend_from_slice(&head);
        let _ = writeln!(out, "|ID:{last}");
        return 1;
    };
    let entries = list.iter().map(|a| (*a, None));
    let s = split::write_lines(out, &head, entries, Tail { replay: false, id: last });
    if s.left_out > 0 {
        log::warn!(
            "catch-up: SYNC {}: {} account(s) left out (name too long)",
            sym.as_str(),
            s.left_out
        );
    }
    u64::from(s.lines)
}

/// The targets a SYNC gives the receiver's `account` (an account the configuration knows:
/// its own; else the symbol's).
pub fn target_of(book: Book<'_>, account: &str, symbol: &str) -> i64 {
    match book.accounts.index(account) {
        Some(i) => book.accounts.get(i, symbol),
        None => book.targets.get(symbol),
    }
}

impl super::Pipeline {
    /// Appends the catch-up for `req` (replay lines or SYNC lines, then `CAUGHT_UP`) to `out`,
    /// within `room` bytes for a replay.
    /// Each replayed signal is routed for the receiver whose accounts are `rx`; what it is
    /// sent goes to `sent` (id, change of its expected positions).
    pub fn catch_up(
        &self,
        req: Request,
        (rx, buf): (&ReceiverAccounts, &mut RouteBuf),
        (wall_ns, room): (i64, usize),
        out: &mut Vec<u8>,
        sent: &mut Vec<(u64, Delta)>,
    ) -> CaughtUp {
        let oldest = wall_ns.saturating_sub(self.max_age_ns);
        let who = self.risk.as_ref().map(|risk| Who { risk, rx, buf });
        let book = Book { targets: &self.targets, accounts: &self.accounts };
        write(req, self.last_id, (&self.replay, book), who, (oldest, room), out, sent)
    }
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Action;

    fn store() -> ReplayStore {
        let mut s = ReplayStore::new(100, 10_000);
        for id in 1..=3 {
            s.push(id, 100 + id as i64, format!("LONG|MES|1|TP:4700|ID:{id}\n").as_bytes());
        }
        s
    }

    fn text(req: Request, last: u64, oldest: i64, room: usize) -> (CaughtUp, String) {
        let mut t = Targets::default();
        t.apply(Action::Long, &Symbol::upper("MES"), 3);
        t.apply(Action::Short, &Symbol::upper("ES"), 1);
        t.apply(Action::Flatten, &Symbol::upper("ES"), 0);
        let mut out = Vec::new();
        let accounts = AccountTargets::default();
        let book = Book { targets: &t, accounts: &accounts };
        let c = write(req, last, (&store(), book), None, (oldest, room), &mut out, &mut Vec::new());
        (c, String::from_utf8(out).unwrap())
    }

    #[test]
    fn the_decision_table() {
        let (c, s) = text(Request::From(2), 3, 0, 1 << 20);
        assert_eq!(c, CaughtUp { mode: Mode::Replay, count: 2 });
        assert_eq!(
            s,
            "LONG|MES|1|TP:4700|Replay:1|ID:2\nLONG|MES|1|TP:4700|Replay:1|ID:3\nCAUGHT_UP|REPLAY|2|ID:3\n"
        );
        let (c, s) = text(Request::From(0), 3, 0, 1 << 20);
        assert_eq!((c.count, s.matches("Replay:1").count()), (3, 3), "Last_ID:0 replays from 1");
        assert_eq!(text(Request::From(3), 3, 0, 0).1, "CAUGHT_UP|NONE|0|ID:3\n");
        let sync = "SYNC|ES|FLAT|0|ID:3\nSYNC|MES|LONG|3|ID:3\nCAUGHT_UP|SYNC|2|ID:3\n";
        assert_eq!(text(Request::Sync, 3, 0, 1 << 20).1, sync);
        assert_eq!(text(Request::From(1), 3, 102, 1 << 20).1, sync, "signal 1 too old");
        assert_eq!(text(Request::From(1), 3, 0, 40).1, sync, "replay too big for the queue");
        assert_eq!(text(Request::From(1), 4, 0, 1 << 20).1.lines().count(), 3, "4 not held");
    }
}
