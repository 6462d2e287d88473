//! One receiver's expected positions and their reconciliation with what it reports (pure).

// Expected positions follow the signals actually queued to the receiver (and SYNC). A signal
// sent whole reaches every account: it moves the receiver's common positions (and every
// account's own). A routed part reaches some accounts only, with its mapped symbol and sized
// quantity: those accounts get their own entry, starting from the common one. The
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
    /// Every account without an entry of its own for the symbol.
    pos: Vec<(Symbol, i64)>,
    /// Per account (index into `names`), from routed parts and per-account SYNC.
    own: Vec<(u32, Symbol, i64)>,
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
        self.apply_common(action, symbol, qty);
    }

    fn apply_common(&mut self, action: Action, symbol: &Symbol, qty: u32) {
        let all = symbol.is_all();
        if all {
            self.pos.iter_mut().for_each(|(_, p)| *p = action.next_position(*p, qty));
        } else if let Some((_, p)) = self.pos.iter_mut().find(|(s, _)| s == symbol) {
            *p = action.next_position(*p, qty);
        } else if self.pos.len() < MAX_EXPECTED {
            self.pos.push((*symbol, action.next_position(0, qty)));
        }
        for (_, _, p) in self.own.iter_mut().filter(|(_, s, _)| all || s == symbol) {
            *p = action.next_position(*p, qty);
        }
    }

    /// Starts applying routed signal `id` part by part ([`Self::apply_account`],
    /// [`Self::apply_every`]); false when it is already accounted for.
    pub fn begin(&mut self, id: u64) -> bool {
        if id <= self.through {
            return false;
        }
        self.through = id;
        true
    }

    /// A part sent to every account of the receiver (after [`Self::begin`]).
    pub fn apply_every(&mut self, action: Action, symbol: &Symbol, qty: u32) {
        self.apply_common(action, symbol, qty);
    }

    /// A part sent to `account` only (after [`Self::begin`]).
    pub fn apply_account(&mut self, account: &str, action: Action, symbol: &Symbol, qty: u32) {
        let acct = self.name_index(account);
        if symbol.is_all() {
            // Every symbol the account holds, common ones included, gets its own entry.
            for k in 0..self.pos.len() {
                let (s, p) = self.pos[k];
                if !self.own.iter().any(|(a, o, _)| *a == acct && *o == s) {
                    self.own.push((acct, s, p));
                }
            }
            let mine = self.own.iter_mut().filter(|(a, _, _)| *a == acct);
            mine.for_each(|(_, _, p)| *p = action.next_position(*p, qty));
            return;
        }
        let full = self.own.len() >= MAX_EXPECTED * 16;
        match self.own.iter_mut().find(|(a, s, _)| *a == acct && s == symbol) {
            Some((_, _, p)) => *p = action.next_position(*p, qty),
            None if !full => {
                let held = self.pos.iter().find(|(s, _)| s == symbol).map_or(0, |(_, p)| *p);
                self.own.push((acct, *symbol, action.next_position(held, qty)));
            }
            None => {}
        }
    }

    /// Signals up to `id` reached it by other means (before it connected, or by catch-up).
    pub fn through(&mut self, id: u64) {
        self.through = self.through.max(id);
    }

    /// SYNC: every expected position becomes the target.
    pub fn set_all(&mut self, targets: &[(Symbol, i64)], id: u64) {
        self.pos.clear();
        self.own.clear();
        self.pos.extend(targets.iter().take(MAX_EXPECTED).copied());
        self.through = self.through.max(id);
    }

    /// SYNC with `Accounts:`: `account`'s position in `symbol` becomes `target`.
    pub fn set_account(&mut self, account: &str, symbol: &Symbol, target: i64) {
        let acct = self.name_index(account);
        match self.own.iter_mut().find(|(a, s, _)| *a == acct && s == symbol) {
            Some((_, _, p)) => *p = target,
            None => self.own.push((acct, *symbol, target)),
        }
    }

    /// The expected position of `account` in `symbol`.
    pub fn get_account(&self, account: &str, symbol: &str) -> i64 {
        let s = Symbol::upper(symbol);
        let acct = self.names.iter().position(|n| &**n == account).map(|i| i as u32);
        let own = self.own.iter().find(|(a, o, _)| Some(*a) == acct && *o == s);
        own.map_or_else(|| self.get(symbol), |(_, _, p)| *p)
    }

    /// Per-account entries: (account, symbol, signed position).
    pub fn accounts(&self) -> impl Iterator<Item = (&str, Symbol, i64)> + '_ {
        self.own.iter().map(|(a, s, p)| (self.names.get(*a as usize).map_or("", |n| &**n), *s, *p))
    }

    /// True when nothing is expected.
    pub fn is_empty(&self) -> bool {
        self.pos.is_empty() && self.own.is_empty()
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
            + self.own.capacity() * std::mem::size_of::<(u32, Symbol, i64)>()
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
            let Expected { pos, own, diffs, seen, .. } = self;
            let mine = |s: &Symbol| own.iter().find(|(a, o, _)| *a == acct && o == s);
            // Common symbols (the account's own entry first), then its own other symbols.
            let common = pos.iter().map(|&(s, p)| (s, mine(&s).map_or(p, |e| e.2)));
            let extra = own
                .iter()
                .filter(|(a, s, _)| *a == acct && !pos.iter().any(|(c, _)| c == s))
                .map(|&(_, s, p)| (s, p));
            for (symbol, expected) in common.chain(extra) {
                let reported = book.signed(account, symbol.as_str());
                let key = Key { acct, account, symbol, expected, reported };
                check(diffs, seen, key, (now, grace), &mut on);
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

/// One (account, symbol) compared.
struct Key<'a> {
    acct: u32,
    account: &'a str,
    symbol: Symbol,
    expected: i64,
    reported: i64,
}

/// Opens, updates or flags the difference of `k` (when it differs).
fn check(
    diffs: &mut Vec<Diff>,
    seen: &mut Vec<bool>,
    k: Key<'_>,
    (now, grace): (Instant, Duration),
    on: &mut impl FnMut(Change<'_>),
) {
    let Key { acct, account, symbol, expected, reported } = k;
    if reported == expected {
        return;
    }
    match diffs.iter().position(|d| d.symbol == symbol && d.account == acct) {
        Some(i) => {
            seen[i] = true;
            let d = &mut diffs[i];
            (d.expected, d.reported) = (expected, reported);
            if !d.flagged && now.saturating_duration_since(d.since) >= grace {
                d.flagged = true;
                on(change(d, account, true));
            }
        }
        None => {
            let flagged = grace.is_zero();
            let d = Diff { account: acct, symbol, expected, reported, since: now, flagged };
            if flagged {
                on(change(&d, account, true));
            }
            diffs.push(d);
            seen.push(true);
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
