//! What a chaos fault is judged by: books against each other or the journal, execution logs.

use crate::journal::{Reader, Record};
use crate::sim::model::Book;
use crate::sim::receiver::saved::Saved;
use crate::v9::codec::{self, Message};
use std::path::Path;

/// Signals read back from a journal: (id, the bytes broadcast), in journal order.
pub(super) type Journaled = Vec<(u64, Vec<u8>)>;

/// Every accepted signal in the journal. With `torn_ok` (a journal whose writer was just
/// killed) a damaged tail ends the list and is returned as the second value instead of failing.
pub(super) fn journal_signals(
    dir: &Path,
    torn_ok: bool,
) -> Result<(Journaled, Option<String>), String> {
    let mut r = Reader::open(dir).map_err(|e| format!("journal {}: {e}", dir.display()))?;
    let mut out = Vec::new();
    while let Some(e) = r.next_entry() {
        match e {
            Ok(e) => {
                if let Record::Signal { id, bytes, .. } = e.record {
                    out.push((id, bytes.to_vec()));
                }
            }
            Err(e) if torn_ok => return Ok((out, Some(e.to_string()))),
            Err(e) => return Err(format!("journal {}: {e}", dir.display())),
        }
    }
    Ok((out, None))
}

/// The model after every journaled signal, in id order.
pub(super) fn journal_model(signals: &[(u64, Vec<u8>)], accounts: usize) -> Result<Book, String> {
    let mut book = Book::with_accounts(accounts);
    for (id, bytes) in signals {
        let line = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        match codec::parse(line) {
            Ok(Message::Signal(s)) => {
                book.apply(&s.signal, |_| 0.0);
            }
            _ => {
                return Err(format!(
                    "journal signal {id} does not parse: {:?}",
                    String::from_utf8_lossy(line)
                ))
            }
        }
    }
    Ok(book)
}

/// Differences between two books over every (account, symbol) either holds; empty = equal.
pub(super) fn book_diff(what: &str, got: &Book, want: &Book) -> Vec<String> {
    let mut bad = Vec::new();
    for (a, account) in want.accounts.iter().enumerate() {
        let symbols = got.holdings.get(a).into_iter().chain(want.holdings.get(a)).flatten();
        let mut seen: Vec<&str> = Vec::new();
        for h in symbols {
            if seen.contains(&h.symbol.as_str()) {
                continue;
            }
            seen.push(&h.symbol);
            let (g, w) = (got.qty(a, &h.symbol), want.qty(a, &h.symbol));
            if g != w {
                bad.push(format!("{what}: {account} {} holds {g}, expected {w}", h.symbol));
            }
        }
    }
    bad
}

/// The execution log holds each id of `ids` once, each on every account (signals without
/// `Accounts:`), nothing else, in order.
pub(super) fn executed_once(what: &str, s: &Saved, ids: &[u64], accounts: usize) -> Vec<String> {
    let mut bad = Vec::new();
    let got: Vec<u64> = s.executions.iter().map(|e| e.0).collect();
    let mut sorted = got.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != got.len() {
        bad.push(format!(
            "{what}: {} executions of an id already executed",
            got.len() - sorted.len()
        ));
    }
    let missing = ids.iter().filter(|i| sorted.binary_search(i).is_err()).count();
    if missing > 0 {
        bad.push(format!("{what}: {missing} of {} signals never executed", ids.len()));
    }
    let partial = s.executions.iter().filter(|e| e.1 as usize != accounts).count();
    if partial > 0 {
        bad.push(format!("{what}: {partial} signals executed on fewer than {accounts} accounts"));
    }
    bad
}
