//! One receiver's expected positions and their reconciliation with what it reports (pure).

// Expected positions follow the signals actually queued to the receiver (and SYNC), per symbol:
// today every signal goes to every account of a receiver, so all its accounts share them. The
// reconciliation compares them, per known account, with the POSITION reports; a difference is
// only flagged once it has lasted the grace period (fills take time). Steady state allocates
// nothing: tables grow when a symbol, account or difference is new, and keep their capacity.

use super::book::ReceiverBook;
use crate::signal::{Action, Symbol};
use std::time::{Duration, Instant};

/// Symbols tracked per receiver at most (beyond: not tracked).
pub const MAX_EXPECTED: usize = 256;
/// Accounts reconciled per receiver at most.
pub const MAX_ACCOUNTS: usize = 1024;

/// A difference between expected and reported, open since `since`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    /// Account, by index into the receiver's name table ([`Expected::account_of`]).
    account: u32,
    /// Symbol.
    pub symbol: Symbol,
    /// Expected signed position.
    pub expected: i64,
    /// Reported signed position (0 when the account reported nothing for the symbol).
    pub reported: i64,
    /// When the difference was first seen.
    pub since: Instant,
    /// Past the grace period: out of sync.
    pub flagged: bool,
}

/// A change of the out-of-sync state, for the journal and the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change<'a> {
    /// Account name.
    pub account: &'a str,
    /// Symbol.
    pub symbol: &'a str,
    /// Expected signed position.
    pub expected: i64,
    /// Reported signed position.
    pub reported: i64,
    /// True: now out of sync; false: back in sync.
    pub flagged: bool,
}

/// Expected positions and open differences of one receiver.
#[derive(Clone, Debug, Default)]
pub struct Expected {
    pos: Vec<(Symbol, i64)>,
    /// The last signal id applied (later signals only are applied; catch-up sets it).
    through: u64,
    diffs: Vec<Diff>,
    /// Account names differences refer to: grows per new account, never per difference.
    names: Vec<Box<str>>,
    /// Scratch for one sweep: which open differences were seen again.
    seen: Vec<bool>,
}

impl Expected {
    /// Applies signal `id` unless it is already accounted for.
    pub fn apply(&mut self, id: u64, action: Action, symbol: &Symbol, qty: u32) {
        if id <= self.through {
            return;
        }
        self.through = id;
        if symbol.is_all() {
            self.pos.iter_mut().for_each(|(_, p)| *p = action.next_position(*p, qty));
        } else if let Some((_, p)) = self.pos.iter_mut().find(|(s, _)| s == symbol) {
            *p = action.next_position(*p, qty);
        } else if self.pos.len() < MAX_EXPECTED {
            self.pos.push((*symbol, action.next_position(0, qty)));
        }
    }

    /// Signals up to `id` reached it by other means (before it connected, or by catch-up).
    pub fn through(&mut self, id: u64) {
        self.through = self.through.max(id);
    }

    /// SYNC: every expected position becomes the target.
    pub fn set_all(&mut self, targets: &[(Symbol, i64)], id: u64) {
        self.pos.clear();
        self.pos.extend(targets.iter().take(MAX_EXPECTED).copied());
        self.through = self.through.max(id);
    }

    /// True when nothing is expected.
    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    /// The expected position in `symbol`.
    pub fn get(&self, symbol: &str) -> i64 {
        let s = Symbol::upper(symbol);
        self.pos.iter().find(|(k, _)| *k == s).map_or(0, |(_, p)| *p)
    }

    /// Every expected (symbol, signed position).
    pub fn symbols(&self) -> impl Iterator<Item = (Symbol, i64)> + '_ {
        self.pos.iter().copied()
    }

    /// The open differences (flagged or still within the grace period).
    pub fn diffs(&self) -> &[Diff] {
        &self.diffs
    }

    /// Heap bytes held (for bounding retired books).
    pub fn heap_bytes(&self) -> usize {
        self.pos.capacity() * std::mem::size_of::<(Symbol, i64)>()
            + self.diffs.capacity() * std::mem::size_of::<Diff>()
            + self.names.iter().map(|n| n.len() + 16).sum::<usize>()
    }

    /// Compares with `book` for every account it reported and every `declared` one; calls
    /// `on` for each difference that passes `grace` and each flagged one that clears.
    pub fn reconcile(
        &mut self,
        book: &ReceiverBook,
        declared: &[Box<str>],
        (now, grace): (Instant, Duration),
        mut on: impl FnMut(Change<'_>),
    ) {
        self.seen.clear();
        self.seen.resize(self.diffs.len(), false);
        let reported_accounts = book.account_names();
        let declared_new = declared.iter().map(|a| &**a).filter(|a| !book.has_account(a));
        for account in reported_accounts.chain(declared_new).take(MAX_ACCOUNTS) {
            let acct = self.name_index(account);
            for &(symbol, expected) in &self.pos {
                let reported = book.signed(account, symbol.as_str());
                let at = self.diffs.iter().position(|d| d.symbol == symbol && d.account == acct);
                match at {
                    Some(i) if reported != expected => {
                        self.seen[i] = true;
                        let d = &mut self.diffs[i];
                        (d.expected, d.reported) = (expected, reported);
                        if !d.flagged && now.saturating_duration_since(d.since) >= grace {
                            d.flagged = true;
                            on(change(d, account, true));
                        }
                    }
                    None if reported != expected => {
                        let flagged = grace.is_zero();
                        let since = now;
                        let d = Diff { account: acct, symbol, expected, reported, since, flagged };
                        if flagged {
                            on(change(&d, account, true));
                        }
                        self.diffs.push(d);
                        self.seen.push(true);
                    }
                    _ => {}
                }
            }
        }
        // Differences not seen again are resolved (equal now, or no longer tracked).
        let mut i = 0;
        while i < self.diffs.len() {
            if self.seen[i] {
                i += 1;
                continue;
            }
            let d = self.diffs.swap_remove(i);
            self.seen.swap_remove(i);
            if d.flagged {
                let account = self.names.get(d.account as usize).map_or("", |n| n);
                let reported = book.signed(account, d.symbol.as_str());
                on(Change { reported, ..change(&d, account, false) });
            }
        }
    }

    /// The account name of `d`.
    pub fn account_of(&self, d: &Diff) -> &str {
        self.names.get(d.account as usize).map_or("", |n| n)
    }

    fn name_index(&mut self, account: &str) -> u32 {
        match self.names.iter().position(|n| &**n == account) {
            Some(i) => i as u32,
            None => {
                self.names.push(account.into());
                (self.names.len() - 1) as u32
            }
        }
    }
}

fn change<'a>(d: &'a Diff, account: &'a str, flagged: bool) -> Change<'a> {
    Change {
        account,
        symbol: d.symbol.as_str(),
        expected: d.expected,
        reported: d.reported,
        flagged,
    }
}

/// `Accounts:a+b+c` from CONNECT: the names, bounded.
pub fn declared_accounts(list: &str) -> Box<[Box<str>]> {
    list.split('+').filter(|a| !a.is_empty()).take(MAX_ACCOUNTS).map(Box::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v9::codec::{Direction, Position};

    fn pos(account: &str, direction: Direction, qty: u32) -> Position<'_> {
        let (entry, pnl, time, symbol) = (4500.0, 0.0, None, "MES");
        Position { account, direction, qty, entry, pnl, time, symbol }
    }

    #[test]
    fn a_difference_is_flagged_after_the_grace_and_cleared_when_fixed() {
        let t0 = Instant::now();
        let grace = Duration::from_secs(5);
        let mut e = Expected::default();
        let mes = Symbol::upper("MES");
        e.apply(1, Action::Long, &mes, 2);
        e.apply(1, Action::Long, &mes, 2);
        assert_eq!(e.get("mes"), 2, "an id applies once");
        let mut book = ReceiverBook::default();
        book.apply_position(&pos("A1", Direction::Long, 2), t0);
        book.apply_position(&pos("A2", Direction::Long, 1), t0);
        let declared = declared_accounts("A1+A3");
        let mut changes = Vec::new();
        let mut run = |e: &mut Expected, book: &ReceiverBook, at: Duration| {
            e.reconcile(book, &declared, (t0 + at, grace), |c| {
                changes.push(format!(
                    "{} {} {} {} {}",
                    c.account, c.symbol, c.expected, c.reported, c.flagged
                ))
            });
        };
        run(&mut e, &book, Duration::ZERO);
        assert_eq!(e.diffs().len(), 2, "A2 holds 1, A3 (declared) reported nothing");
        run(&mut e, &book, Duration::from_secs(4));
        book.apply_position(&pos("A3", Direction::Long, 2), t0);
        run(&mut e, &book, Duration::from_secs(6));
        book.apply_position(&pos("A2", Direction::Long, 2), t0);
        run(&mut e, &book, Duration::from_secs(7));
        assert_eq!(changes, ["A2 MES 2 1 true", "A2 MES 2 2 false"], "A3 was fixed in time");
        assert!(e.diffs().is_empty());
    }
}
