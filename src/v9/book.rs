//! Position book: latest POSITION per (receiver, account, symbol) and each receiver's summary.

use super::codec::{Direction, Position, Summary};
use super::expect::{Change, Expected};
use crate::signal::MAX_SYMBOL_LEN;
use std::time::{Duration, Instant};

/// One account's latest reported position.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountPosition {
    /// Account name.
    pub account: Box<str>,
    /// Instrument (`Symbol:` extension; empty when the receiver does not send it).
    pub symbol: Box<str>,
    /// Direction.
    pub direction: Direction,
    /// Contracts.
    pub qty: u32,
    /// Average entry price.
    pub entry: f64,
    /// P&L.
    pub pnl: f64,
    /// When the server received it.
    pub updated: Instant,
    /// Held a position when the pending FLATTEN was sent and has not reported FLAT since.
    pub needs_flat: bool,
    acct: usize,
    /// Its P&L waits in the book's queue for the loss limits ([`ReceiverBook::drain_pnl`]).
    pnl_queued: bool,
}

impl AccountPosition {
    /// Signed quantity (+long, -short).
    pub fn signed_qty(&self) -> i64 {
        match self.direction {
            Direction::Long => self.qty as i64,
            Direction::Short => -(self.qty as i64),
            Direction::Flat => 0,
        }
    }
}

/// A FLATTEN check: accounts must be FLAT in `symbol` (or everywhere) by `deadline`. The
/// symbol's String is reused from check to check so a FLATTEN costs no allocation.
#[derive(Clone, Debug, Default)]
struct FlattenCheck {
    pending: bool,
    signal_id: u64,
    symbol: String,
    deadline: Option<Instant>,
}

/// Most (account, symbol) entries kept per receiver; more are refused (a hostile or broken
/// receiver cannot grow the book without bound).
pub const MAX_POSITIONS: usize = 1024;
/// Longest account name kept (NinjaTrader account names are short); longer ones are refused.
pub const MAX_ACCOUNT_LEN: usize = 64;
/// Heap bytes one entry may take at most: its two names plus its share of the tables.
const ENTRY_BYTES: usize = std::mem::size_of::<AccountPosition>()
    + std::mem::size_of::<(Box<str>, u32)>()
    + 2 * MAX_ACCOUNT_LEN
    + MAX_SYMBOL_LEN
    + 64;
/// Upper bound of [`ReceiverBook::heap_bytes`]: names are capped, and so are the entries.
pub const MAX_BOOK_BYTES: usize = MAX_POSITIONS * ENTRY_BYTES + 4096;

/// What became of a POSITION.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Recorded.
    Yes,
    /// A new entry, and the book already holds [`MAX_POSITIONS`].
    Full,
    /// The account or symbol name is longer than the book keeps.
    NameTooLong,
}

/// What one receiver reported. Totals are kept incrementally, so summaries and reports cost
/// O(accounts), not O(positions²).
#[derive(Debug, Default)]
pub struct ReceiverBook {
    positions: Vec<AccountPosition>,
    /// (account name, open positions in it).
    accounts: Vec<(Box<str>, u32)>,
    qty: u64,
    long: u64,
    short: u64,
    summary: Option<Summary>,
    summary_mismatch: bool,
    flatten: FlattenCheck,
    out_of_sync: Vec<String>,
    /// What the signals queued to it lead to, and how its reports compare.
    expected: Expected,
    /// Entries whose P&L changed since the last [`ReceiverBook::drain_pnl`] (each once, so
    /// it never outgrows `positions`: no allocation once the entries exist).
    pnl_queue: Vec<u16>,
}

/// A difference between a summary and the per-account positions it summarises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// (accounts holding, total qty, long, short) according to the per-account positions.
    pub accounts: (u64, u64, u64, u64),
    /// The same according to the summary (long/short taken from the accounts when it gave no breakdown).
    pub summary: (u64, u64, u64, u64),
}

impl ReceiverBook {
    /// Applies a POSITION; allocates only the first time an (account, symbol) is seen. Memory
    /// stays under [`MAX_BOOK_BYTES`]: long names and entries beyond the cap are refused.
    pub fn apply_position(&mut self, p: &Position<'_>, now: Instant) -> Applied {
        if p.account.len() > MAX_ACCOUNT_LEN || p.symbol.len() > MAX_SYMBOL_LEN {
            return Applied::NameTooLong;
        }
        let (i, new) = match self
            .positions
            .iter()
            .position(|a| &*a.account == p.account && &*a.symbol == p.symbol)
        {
            Some(i) => {
                let old =
                    (self.positions[i].direction, self.positions[i].qty, self.positions[i].acct);
                self.count(old.0, old.1, old.2, false);
                (i, false)
            }
            None => {
                if self.positions.len() >= MAX_POSITIONS {
                    return Applied::Full;
                }
                let acct = match self.accounts.iter().position(|(a, _)| &**a == p.account) {
                    Some(a) => a,
                    None => {
                        self.accounts.push((p.account.into(), 0));
                        self.accounts.len() - 1
                    }
                };
                self.positions.push(AccountPosition {
                    account: p.account.into(),
                    symbol: p.symbol.into(),
                    direction: Direction::Flat,
                    qty: 0,
                    entry: 0.0,
                    pnl: 0.0,
                    updated: now,
                    needs_flat: false,
                    acct,
                    pnl_queued: false,
                });
                (self.positions.len() - 1, true)
            }
        };
        let a = &mut self.positions[i];
        if !a.pnl_queued && (new || a.pnl != p.pnl) {
            a.pnl_queued = true;
            self.pnl_queue.push(i as u16);
        }
        a.direction = p.direction;
        a.qty = p.qty;
        a.entry = p.entry;
        a.pnl = p.pnl;
        a.updated = now;
        let acct = a.acct;
        if p.direction == Direction::Flat {
            a.needs_flat = false;
            if !self.out_of_sync.is_empty() {
                // Reported flat since the check: no longer out of sync (rare path, may allocate).
                let prefix = format!(
                    "{}{}",
                    p.account,
                    if p.symbol.is_empty() { String::new() } else { format!("/{}", p.symbol) }
                );
                self.out_of_sync.retain(|s| !s.starts_with(&format!("{prefix} ")));
            }
        }
        self.count(p.direction, p.qty, acct, true);
        Applied::Yes
    }

    /// Heap bytes held (names, tables, the out-of-sync list), for bounding the retired books.
    pub fn heap_bytes(&self) -> usize {
        let names: usize = self.positions.iter().map(|p| p.account.len() + p.symbol.len()).sum();
        let accounts: usize = self.accounts.iter().map(|(a, _)| a.len()).sum();
        let sync: usize = self.out_of_sync.iter().map(|s| s.capacity()).sum();
        names
            + accounts
            + sync
            + self.positions.capacity() * std::mem::size_of::<AccountPosition>()
            + self.accounts.capacity() * std::mem::size_of::<(Box<str>, u32)>()
            + self.out_of_sync.capacity() * std::mem::size_of::<String>()
            + self.flatten.symbol.capacity()
            + self.expected.heap_bytes()
            + self.pnl_queue.capacity() * 2
    }

    /// True when POSITION P&L arrived since the last [`Self::drain_pnl`].
    pub fn pnl_pending(&self) -> bool {
        !self.pnl_queue.is_empty()
    }

    /// Hands every P&L reported since the last call to `f(account, symbol, pnl)` (each entry
    /// once, with its latest value), for the loss limits. Allocates nothing.
    pub fn drain_pnl(&mut self, mut f: impl FnMut(&str, &str, f64)) {
        for &i in &self.pnl_queue {
            if let Some(p) = self.positions.get_mut(usize::from(i)) {
                p.pnl_queued = false;
                f(&p.account, &p.symbol, p.pnl);
            }
        }
        self.pnl_queue.clear();
    }

    /// Expected positions (from the signals queued to this receiver).
    pub fn expected(&self) -> &Expected {
        &self.expected
    }

    /// Expected positions, to update.
    pub fn expected_mut(&mut self) -> &mut Expected {
        &mut self.expected
    }

    /// Reconciles the expected positions with the reports (see [`Expected::reconcile`]).
    pub fn reconcile(
        &mut self,
        declared: &[Box<str>],
        at: (Instant, Duration),
        on: impl FnMut(Change<'_>),
    ) {
        // Taken out and put back (no allocation) so that it can read the rest of the book.
        let mut e = std::mem::take(&mut self.expected);
        e.reconcile(self, declared, at, on);
        self.expected = e;
    }

    /// Accounts that reported, in first-report order.
    pub fn account_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.accounts.iter().map(|(a, _)| &**a)
    }

    /// True when `account` reported.
    pub fn has_account(&self, account: &str) -> bool {
        self.accounts.iter().any(|(a, _)| &**a == account)
    }

    /// The signed position `account` reported in `symbol` (case-insensitive; 0 when none).
    pub fn signed(&self, account: &str, symbol: &str) -> i64 {
        self.positions
            .iter()
            .find(|p| &*p.account == account && p.symbol.eq_ignore_ascii_case(symbol))
            .map_or(0, AccountPosition::signed_qty)
    }

    fn count(&mut self, dir: Direction, qty: u32, acct: usize, add: bool) {
        let open = dir != Direction::Flat;
        let (q, l, s, o) = (
            qty as u64,
            (dir == Direction::Long) as u64,
            (dir == Direction::Short) as u64,
            open as u32,
        );
        let slot = &mut self.accounts[acct].1;
        if add {
            self.qty += q;
            self.long += l;
            self.short += s;
            *slot += o;
        } else {
            self.qty -= q;
            self.long -= l;
            self.short -= s;
            *slot -= o;
        }
    }

    /// Records a summary; returns a mismatch the first time it starts disagreeing with the
    /// account positions (later identical disagreements are not repeated).
    pub fn apply_summary(&mut self, s: &Summary) -> Option<Mismatch> {
        self.summary = Some(*s);
        let mine = self.totals();
        let (long, short) = s.breakdown.map_or((mine.2, mine.3), |(l, s)| (l as u64, s as u64));
        let theirs = (s.accounts as u64, s.qty as u64, long, short);
        if mine == theirs {
            self.summary_mismatch = false;
            None
        } else if !self.summary_mismatch {
            self.summary_mismatch = true;
            Some(Mismatch { accounts: mine, summary: theirs })
        } else {
            None
        }
    }

    /// (accounts holding a position, total contracts, long positions, short positions).
    pub fn totals(&self) -> (u64, u64, u64, u64) {
        let holding = self.accounts.iter().filter(|(_, open)| *open > 0).count() as u64;
        (holding, self.qty, self.long, self.short)
    }

    /// Starts (or replaces) a FLATTEN check for `symbol` (`ALL` = every symbol).
    pub fn expect_flat(&mut self, signal_id: u64, symbol: &str, deadline: Instant) {
        let f = &mut self.flatten;
        f.pending = true;
        f.signal_id = signal_id;
        f.symbol.clear();
        f.symbol.push_str(symbol);
        f.deadline = Some(deadline);
        // Judged later against what each account reports *after* this FLATTEN, so signals
        // that reopen positions before the deadline do not look like failures.
        for p in &mut self.positions {
            // Symbols are case-insensitive (signals leave upper-cased; receivers may echo either).
            p.needs_flat = p.direction != Direction::Flat
                && (symbol.eq_ignore_ascii_case("ALL")
                    || p.symbol.is_empty()
                    || p.symbol.eq_ignore_ascii_case(symbol));
        }
    }

    /// Deadline of the pending FLATTEN check.
    pub fn flatten_deadline(&self) -> Option<Instant> {
        self.flatten.deadline.filter(|_| self.flatten.pending)
    }

    /// The pending FLATTEN check's signal id, if any (reported unresolved on disconnect).
    pub fn pending_flatten(&self) -> Option<u64> {
        self.flatten.pending.then_some(self.flatten.signal_id)
    }

    /// If the FLATTEN check is due: the accounts still not flat (empty = in sync). The list is
    /// kept for the report until they report FLAT or the next check.
    pub fn check_flatten(&mut self, now: Instant) -> Option<(u64, &[String])> {
        if self.flatten_deadline().is_none_or(|d| d > now) {
            return None;
        }
        self.flatten.pending = false;
        self.out_of_sync = self
            .positions
            .iter()
            .filter(|p| p.needs_flat)
            .map(|p| {
                format!(
                    "{}{}{} {} {}",
                    p.account,
                    if p.symbol.is_empty() { "" } else { "/" },
                    p.symbol,
                    p.direction.as_str(),
                    p.qty
                )
            })
            .collect();
        for p in &mut self.positions {
            p.needs_flat = false;
        }
        Some((self.flatten.signal_id, &self.out_of_sync))
    }

    /// Latest positions.
    pub fn positions(&self) -> &[AccountPosition] {
        &self.positions
    }

    /// Latest summary.
    pub fn summary(&self) -> Option<&Summary> {
        self.summary.as_ref()
    }

    /// Distinct accounts seen.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// True while the last summary disagrees with the per-account positions.
    pub fn summary_mismatch(&self) -> bool {
        self.summary_mismatch
    }

    /// Accounts found not flat at the last FLATTEN check (and not flat since).
    pub fn out_of_sync(&self) -> &[String] {
        &self.out_of_sync
    }
}

/// Default time allowed for accounts to go flat after a FLATTEN.
pub const DEFAULT_FLATTEN_CHECK: Duration = Duration::from_secs(3);

#[cfg(test)]
mod tests;
