//! Catch-up after a receiver's CONNECT (pure): REPLAY, SYNC or NONE, then `CAUGHT_UP`.

use super::replay::ReplayStore;
use super::targets::Targets;
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

/// Appends the catch-up for `req` to `out`, `CAUGHT_UP` included. A replay is chosen when the
/// window holds every signal from `n` (and the oldest is younger than `oldest_ns`) and its
/// bytes fit in `room`; otherwise SYNC.
pub fn write(
    req: Request,
    last: u64,
    store: &ReplayStore,
    targets: &Targets,
    (oldest_ns, room): (i64, usize),
    out: &mut Vec<u8>,
) -> CaughtUp {
    let start = out.len();
    let done = match req {
        Request::From(n) if n >= last => CaughtUp { mode: Mode::None, count: 0 },
        Request::From(n) if store.covers(n.max(1), last, oldest_ns) => {
            let count = replay(store, n.max(1), out);
            if out.len() - start > room {
                out.truncate(start);
                sync(targets, last, out)
            } else {
                CaughtUp { mode: Mode::Replay, count }
            }
        }
        _ => sync(targets, last, out),
    };
    let _ = writeln!(out, "CAUGHT_UP|{}|{}|ID:{last}", done.mode.as_str(), done.count);
    done
}

/// Each stored signal from `from` on, `Replay:1` inserted just before its (last) `ID:` field.
fn replay(store: &ReplayStore, from: u64, out: &mut Vec<u8>) -> u64 {
    let mut count = 0;
    for (_, line) in store.from(from) {
        let cut = find_last(line, b"|ID:").unwrap_or(line.len().saturating_sub(1));
        out.extend_from_slice(&line[..cut]);
        out.extend_from_slice(b"|Replay:1");
        out.extend_from_slice(&line[cut..]);
        count += 1;
    }
    count
}

/// `SYNC|SYMBOL|LONG|SHORT|FLAT|QTY|ID:m`, one per tracked symbol, flat ones included.
fn sync(targets: &Targets, last: u64, out: &mut Vec<u8>) -> CaughtUp {
    let list = targets.sorted();
    for (sym, p) in &list {
        let side = match p.signum() {
            1 => "LONG",
            -1 => "SHORT",
            _ => "FLAT",
        };
        let _ = writeln!(out, "SYNC|{}|{side}|{}|ID:{last}", sym.as_str(), p.unsigned_abs());
    }
    CaughtUp { mode: Mode::Sync, count: list.len() as u64 }
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{Action, Symbol};

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
        let c = write(req, last, &store(), &t, (oldest, room), &mut out);
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
