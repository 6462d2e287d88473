//! Position book: latest POSITION per (receiver, account, symbol) and each receiver's summary.

use super::codec::{Direction, Position, Summary};
use std::fmt::Write as _;
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

/// What one receiver reported.
#[derive(Debug, Default)]
pub struct ReceiverBook {
    positions: Vec<AccountPosition>,
    summary: Option<Summary>,
    summary_mismatch: bool,
    flatten: FlattenCheck,
    out_of_sync: Vec<String>,
}

/// A difference between a summary and the per-account positions it summarises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// (accounts holding, total qty, long, short) according to the per-account positions.
    pub accounts: (u32, u32, u32, u32),
    /// The same according to the summary (long/short = 0 when it gave no breakdown).
    pub summary: (u32, u32, u32, u32),
}

impl ReceiverBook {
    /// Applies a POSITION; allocates only the first time an (account, symbol) is seen.
    pub fn apply_position(&mut self, p: &Position<'_>, now: Instant) {
        let slot =
            self.positions.iter_mut().find(|a| &*a.account == p.account && &*a.symbol == p.symbol);
        match slot {
            Some(a) => {
                a.direction = p.direction;
                a.qty = p.qty;
                a.entry = p.entry;
                a.pnl = p.pnl;
                a.updated = now;
                if p.direction == Direction::Flat {
                    a.needs_flat = false;
                }
            }
            None => self.positions.push(AccountPosition {
                account: p.account.into(),
                symbol: p.symbol.into(),
                direction: p.direction,
                qty: p.qty,
                entry: p.entry,
                pnl: p.pnl,
                updated: now,
                needs_flat: false,
            }),
        }
    }

    /// Records a summary; returns a mismatch the first time it starts disagreeing with the
    /// account positions (later identical disagreements are not repeated).
    pub fn apply_summary(&mut self, s: &Summary) -> Option<Mismatch> {
        self.summary = Some(*s);
        let mine = self.totals();
        let (long, short) = s.breakdown.unwrap_or((mine.2, mine.3));
        let theirs = (s.accounts, s.qty, long, short);
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
    pub fn totals(&self) -> (u32, u32, u32, u32) {
        let (mut qty, mut long, mut short) = (0u32, 0u32, 0u32);
        let mut holding: u32 = 0;
        for (i, p) in self.positions.iter().enumerate() {
            qty += p.qty;
            match p.direction {
                Direction::Long => long += 1,
                Direction::Short => short += 1,
                Direction::Flat => {}
            }
            // Count each account once even when it holds several symbols.
            let first_open = p.direction != Direction::Flat
                && !self.positions[..i]
                    .iter()
                    .any(|q| q.account == p.account && q.direction != Direction::Flat);
            if first_open {
                holding += 1;
            }
        }
        (holding, qty, long, short)
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
            p.needs_flat = p.direction != Direction::Flat
                && (symbol == "ALL" || p.symbol.is_empty() || *p.symbol == *symbol);
        }
    }

    /// Deadline of the pending FLATTEN check.
    pub fn flatten_deadline(&self) -> Option<Instant> {
        self.flatten.deadline.filter(|_| self.flatten.pending)
    }

    /// If the FLATTEN check is due: the accounts still not flat (empty = in sync). The list is
    /// kept for the report until the next check.
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

    /// Accounts found not flat at the last FLATTEN check.
    pub fn out_of_sync(&self) -> &[String] {
        &self.out_of_sync
    }

    /// Report lines for this receiver.
    pub fn report(&self, now: Instant, out: &mut String) {
        let (holding, qty, long, short) = self.totals();
        let pnl: f64 = self.positions.iter().map(|p| p.pnl).sum();
        let _ = write!(
            out,
            "accounts {} holding {holding} qty {qty} long {long} short {short} pnl {pnl:+.2}",
            self.positions.len()
        );
        if let Some(s) = &self.summary {
            let _ = write!(out, " | summary {} {} {:+.2}", s.accounts, s.qty, s.pnl);
            if self.summary_mismatch {
                out.push_str(" MISMATCH");
            }
        }
        if !self.out_of_sync.is_empty() {
            let _ = write!(out, " | OUT OF SYNC after FLATTEN: {}", self.out_of_sync.join(", "));
        }
        let newest = self.positions.iter().map(|p| p.updated).max();
        if let Some(t) = newest {
            let _ = write!(
                out,
                " | last update {:.1}s ago",
                now.saturating_duration_since(t).as_secs_f64()
            );
        }
    }
}

/// Default time allowed for accounts to go flat after a FLATTEN.
pub const DEFAULT_FLATTEN_CHECK: Duration = Duration::from_secs(3);

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(account: &str, direction: Direction, qty: u32, symbol: &str) -> Position<'static> {
        let account: &'static str = Box::leak(account.to_string().into_boxed_str());
        let symbol: &'static str = Box::leak(symbol.to_string().into_boxed_str());
        Position { account, direction, qty, entry: 1.0, pnl: 1.0, time: None, symbol }
    }

    #[test]
    fn summary_agreement_and_flatten_check() {
        let now = Instant::now();
        let mut b = ReceiverBook::default();
        for i in 0..3 {
            b.apply_position(&pos(&format!("A{i}"), Direction::Long, 2, "ES"), now);
        }
        b.apply_position(&pos("A0", Direction::Short, 1, "NQ"), now);
        assert_eq!(b.totals(), (3, 7, 3, 1));
        let s = Summary {
            accounts: 3,
            qty: 7,
            pnl: 0.0,
            avg_entry: 1.0,
            breakdown: Some((3, 1)),
            signal_id: None,
        };
        assert_eq!(b.apply_summary(&s), None);
        let bad = Summary { qty: 8, ..s };
        assert!(b.apply_summary(&bad).is_some());
        assert!(b.apply_summary(&bad).is_none(), "warned once");

        b.expect_flat(5, "ES", now + Duration::from_secs(1));
        assert!(b.check_flatten(now).is_none(), "not due yet");
        b.apply_position(&pos("A1", Direction::Flat, 0, "ES"), now);
        // A1 then reopens (a later LONG): it did flatten, so it is in sync.
        b.apply_position(&pos("A1", Direction::Long, 1, "ES"), now);
        let (id, late) = b.check_flatten(now + Duration::from_secs(2)).unwrap();
        assert_eq!(id, 5);
        assert_eq!(late, ["A0/ES LONG 2", "A2/ES LONG 2"]);
        assert_eq!(b.positions().len(), 4);
    }
}
