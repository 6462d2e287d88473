//! One per-receiver part as several lines over disjoint `Accounts:` subsets, each within 1024 bytes.

// A receiver with many accounts (40 named `APEX-123456-PA-01`, sized per account) makes a part
// line longer than receivers accept (`Message over 1024 bytes`): it would trade nothing. So a
// part is written as one line or more with the same head and the same `ID:n`, its accounts
// packed greedily in order, each exactly once; receivers dedupe per (id, account), so the lines
// together are the one signal. Nothing allocates: lines go into the caller's reused buffer.

use crate::v9::book::MAX_ACCOUNT_LEN;
use crate::v9::codec::MAX_MESSAGE;
use std::io::Write;

/// Between a line's head and its list.
const KEY: &[u8] = b"|Accounts:";
/// Before `ID:` on a replayed line.
pub const REPLAY: &[u8] = b"|Replay:1";
/// The longest account entry: a name at its bound (CONNECT and `[groups]` refuse longer ones)
/// with its own quantity (`=1000`).
pub const MAX_ENTRY: usize = MAX_ACCOUNT_LEN + "=1000".len();

/// The end of every line of a part: `[|Replay:1]|ID:n`, then LF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tail {
    /// A replayed line (`Replay:1`).
    pub replay: bool,
    /// The signal's id (SYNC: the server's last id).
    pub id: u64,
}

impl Tail {
    /// Its length, LF excluded.
    pub fn len(&self) -> usize {
        let replay = if self.replay { REPLAY.len() } else { 0 };
        replay + "|ID:".len() + digits(self.id)
    }

    /// Never empty (`|ID:n` at least); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    fn write(&self, out: &mut Vec<u8>) {
        if self.replay {
            out.extend_from_slice(REPLAY);
        }
        // Writing to a Vec cannot fail.
        let _ = writeln!(out, "|ID:{}", self.id);
    }
}

/// What [`write_lines`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Split {
    /// Lines written.
    pub lines: u32,
    /// Entries left out: too long for a line of their own (never, within the documented
    /// bounds on names and signals; counted so a breach shows instead of an oversized line).
    pub left_out: u32,
}

/// One account entry: its name, and its own quantity (`name=q`) when the part's accounts
/// trade different quantities.
pub type Entry<'a> = (&'a str, Option<u32>);

/// Bytes `e` takes in a list, its `+` separator excluded.
pub fn entry_len(e: Entry<'_>) -> usize {
    e.0.len() + e.1.map_or(0, |q| 1 + digits(u64::from(q)))
}

/// Does `e` fit a line of its own after `head` and before `tail`?
pub fn fits(head: usize, tail: Tail, e: Entry<'_>) -> bool {
    head + KEY.len() + entry_len(e) + tail.len() <= MAX_MESSAGE
}

/// Writes `head|Accounts:<entries><tail>` as one LF-terminated line, or as several with the
/// same head and tail over consecutive, disjoint runs of `entries` when one line would pass
/// [`MAX_MESSAGE`] bytes (terminator excluded). Every entry that fits a line at all is written
/// exactly once, in order. No entries: nothing is written.
pub fn write_lines<'a>(
    out: &mut Vec<u8>,
    head: &[u8],
    entries: impl Iterator<Item = Entry<'a>>,
    tail: Tail,
) -> Split {
    let fixed = head.len() + KEY.len() + tail.len();
    let mut split = Split::default();
    // Length of the open line so far, its tail counted (0: no line open).
    let mut open = 0;
    for e in entries {
        let len = entry_len(e);
        if fixed + len > MAX_MESSAGE {
            split.left_out += 1;
            continue;
        }
        if open > 0 && open + 1 + len > MAX_MESSAGE {
            tail.write(out);
            open = 0;
        }
        if open == 0 {
            out.extend_from_slice(head);
            out.extend_from_slice(KEY);
            open = fixed;
            split.lines += 1;
        } else {
            out.push(b'+');
            open += 1;
        }
        out.extend_from_slice(e.0.as_bytes());
        if let Some(q) = e.1 {
            let _ = write!(out, "={q}");
        }
        open += len;
    }
    if open > 0 {
        tail.write(out);
    }
    split
}

/// Decimal digits of `n`.
pub fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names whose single line `LONG|MES|1|Accounts:<names>|ID:7` is exactly `total` bytes.
    fn names_for(total: usize) -> Vec<String> {
        let mut left = total - "LONG|MES|1|Accounts:|ID:7".len();
        let mut names = Vec::new();
        while left > 0 {
            let sep = usize::from(!names.is_empty());
            // 50 bytes each, the last one what is left (15 to 64 bytes).
            let n = if left - sep <= MAX_ACCOUNT_LEN { left - sep } else { 50 };
            names.push(format!("{:04}{}", names.len(), "x".repeat(n - 4)));
            left -= sep + n;
        }
        names
    }

    fn split(names: &[String], qty: Option<u32>, tail: Tail) -> (Split, Vec<String>) {
        let mut out = Vec::new();
        let entries = names.iter().map(|n| (n.as_str(), qty));
        let s = write_lines(&mut out, b"LONG|MES|1", entries, tail);
        let text = String::from_utf8(out).unwrap();
        (s, text.lines().map(str::to_string).collect())
    }

    /// The accounts of each line, in order.
    fn accounts(lines: &[String]) -> Vec<String> {
        let list = |l: &String| {
            let rest = l.split("|Accounts:").nth(1).unwrap();
            rest.split('|').next().unwrap().to_string()
        };
        lines
            .iter()
            .flat_map(|l| list(l).split('+').map(str::to_string).collect::<Vec<_>>())
            .collect()
    }

    #[test]
    fn a_line_of_exactly_1024_bytes_stays_one_and_1025_becomes_two() {
        let tail = Tail { replay: false, id: 7 };
        for (total, want) in [(1000, 1), (1023, 1), (1024, 1), (1025, 2), (1026, 2)] {
            let names = names_for(total);
            let (s, lines) = split(&names, None, tail);
            assert_eq!((s.lines as usize, lines.len(), s.left_out), (want, want, 0), "{total}");
            if want == 1 {
                assert_eq!(lines[0].len(), total);
            }
            for l in &lines {
                assert!(l.len() <= MAX_MESSAGE, "{total}: {} bytes", l.len());
                assert!(l.starts_with("LONG|MES|1|Accounts:") && l.ends_with("|ID:7"), "{l}");
            }
            let want_names: Vec<String> = names.clone();
            assert_eq!(accounts(&lines), want_names, "{total}: each account once, in order");
        }
    }

    #[test]
    fn replayed_and_sized_lines_count_their_tail_and_quantities() {
        // 60 accounts of 17 bytes, each `=10`: 60 x 21 = 1260 bytes of list.
        let names: Vec<String> = (1..=60).map(|i| format!("APEX-123456-PA-{i:02}")).collect();
        let tail = Tail { replay: true, id: 123_456 };
        let (s, lines) = split(&names, Some(10), tail);
        assert_eq!((s.lines, s.left_out), (2, 0));
        let mut seen = Vec::new();
        for l in &lines {
            assert!(l.len() <= MAX_MESSAGE && l.ends_with("|Replay:1|ID:123456"), "{l}");
            seen.extend(accounts(std::slice::from_ref(l)));
        }
        let want: Vec<String> = names.iter().map(|n| format!("{n}=10")).collect();
        assert_eq!(seen, want);
        // The first line is full: the second line's first entry would not have fitted it.
        let first = accounts(&lines[1..2])[0].len();
        assert!(lines[0].len() + 1 + first > MAX_MESSAGE);
    }

    #[test]
    fn an_entry_too_long_for_any_line_is_left_out_and_counted() {
        let long = "y".repeat(MAX_MESSAGE);
        let names = ["A1".to_string(), long, "A2".to_string()];
        let (s, lines) = split(&names, None, Tail { replay: false, id: 1 });
        assert_eq!((s.lines, s.left_out), (1, 1));
        assert_eq!(lines, ["LONG|MES|1|Accounts:A1+A2|ID:1"]);
        let (s, lines) = split(&[], None, Tail { replay: false, id: 1 });
        assert_eq!((s, lines.len()), (Split::default(), 0), "no entries, no line");
    }

    #[test]
    fn the_longest_entry_always_fits_beside_a_bounded_head() {
        let name = "n".repeat(MAX_ACCOUNT_LEN);
        let e = (name.as_str(), Some(1000));
        assert_eq!(entry_len(e), MAX_ENTRY);
        let tail = Tail { replay: true, id: u64::MAX };
        let room = MAX_MESSAGE - KEY.len() - MAX_ENTRY - tail.len();
        assert!(fits(room, tail, e) && !fits(room + 1, tail, e));
        assert_eq!([digits(0), digits(9), digits(10), digits(u64::MAX)], [1, 1, 2, 20]);
    }
}
