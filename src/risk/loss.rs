//! Loss limits per account from the P&L receivers report: daily loss and trailing drawdown.

use super::config::LossBaseline;
use super::hours::SessionClock;
use super::refusal::Sym;
use super::rules::{AccountSet, Rules};
use crate::signal::MAX_OPTION_LEN;

/// Room for one signal option: a breach's `Accounts:<name>` is written here, on the stack.
pub type OptionBuf = [u8; MAX_OPTION_LEN];

/// Writes `Accounts:<name>` into `buf`; None when it would not fit a signal option.
pub fn accounts_option<'b>(name: &str, buf: &'b mut OptionBuf) -> Option<&'b str> {
    const KEY: &[u8] = b"Accounts:";
    let len = KEY.len() + name.len();
    if name.is_empty() || len > buf.len() {
        return None;
    }
    buf[..KEY.len()].copy_from_slice(KEY);
    buf[KEY.len()..len].copy_from_slice(name.as_bytes());
    std::str::from_utf8(&buf[..len]).ok()
}

/// Most symbols tracked per account (the account's equity sums their P&L); reports for more
/// are ignored, and counted.
pub const MAX_SYMBOLS_PER_ACCOUNT: usize = 32;

/// Which loss limit an account broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossRule {
    /// The session's loss reached `daily_loss`.
    DailyLoss,
    /// Equity fell `trailing_drawdown` below the session's peak.
    TrailingDrawdown,
}

impl LossRule {
    /// Stable name (logs, journal, ops API).
    pub fn name(self) -> &'static str {
        match self {
            LossRule::DailyLoss => "DAILY_LOSS",
            LossRule::TrailingDrawdown => "TRAILING_DRAWDOWN",
        }
    }

    /// The rule named `name` (as [`Self::name`] writes it).
    pub fn from_name(name: &str) -> Option<LossRule> {
        [LossRule::DailyLoss, LossRule::TrailingDrawdown].into_iter().find(|r| r.name() == name)
    }
}

/// A breach: flatten this account (a `FLATTEN|ALL|0` routed to it only) and leave it out of
/// opening signals until it is re-armed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Breach {
    /// Configured account index.
    pub account: usize,
    /// Which limit.
    pub rule: LossRule,
    /// The loss (daily) or drawdown (trailing) measured, dollars.
    pub amount: f64,
    /// The limit.
    pub limit: f64,
}

/// An account's headroom, for the report and the ops API.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Headroom {
    /// Dollars left before the daily loss limit (None: no limit).
    pub loss_left: Option<f64>,
    /// Dollars left before the trailing drawdown limit (None: no limit).
    pub drawdown_left: Option<f64>,
    /// Session P&L so far (equity minus the session's baseline).
    pub session_pnl: f64,
    /// Equity: the sum of the account's reported P&L over its symbols.
    pub equity: f64,
    /// Excluded from opening signals (breached, not re-armed).
    pub excluded: bool,
    /// The limit that excluded it.
    pub breached: Option<LossRule>,
}

#[derive(Clone, Debug)]
struct AccountLoss {
    syms: Vec<(Sym, f64)>,
    equity: f64,
    base: Option<f64>,
    peak: f64,
    breached: Option<LossRule>,
}

/// Every configured account's session P&L and exclusion.
#[derive(Clone, Debug)]
pub struct LossBook {
    accts: Vec<AccountLoss>,
    clock: SessionClock,
    baseline: LossBaseline,
    excluded: AccountSet,
    /// POSITION reports dropped because an account already tracks the maximum of symbols.
    pub dropped: u64,
}

impl LossBook {
    /// An empty book for `rules`, the session clock positioned at `wall_ns`.
    pub fn new(rules: &Rules, wall_ns: i64) -> Result<LossBook, String> {
        let clock = SessionClock::new(&rules.session_tz, &rules.session_reset, wall_ns)?;
        let start = if rules.baseline == LossBaseline::Zero { Some(0.0) } else { None };
        let accts = (0..rules.n_accounts())
            .map(|_| AccountLoss {
                syms: Vec::with_capacity(MAX_SYMBOLS_PER_ACCOUNT),
                equity: 0.0,
                base: start,
                peak: 0.0,
                breached: None,
            })
            .collect();
        Ok(LossBook {
            accts,
            clock,
            baseline: rules.baseline,
            excluded: AccountSet::default(),
            dropped: 0,
        })
    }

    /// Accounts left out of opening signals.
    pub fn excluded(&self) -> AccountSet {
        self.excluded
    }

    /// The next session reset, unix ns.
    pub fn next_reset_ns(&self) -> i64 {
        self.clock.next_reset_ns()
    }

    /// Starts a new session when `wall_ns` passed the reset time: every baseline and peak
    /// restart from the current equity (or 0). Exclusions stay until re-armed.
    pub fn tick(&mut self, wall_ns: i64) -> bool {
        if !self.clock.roll(wall_ns) {
            return false;
        }
        for a in &mut self.accts {
            let base = match self.baseline {
                LossBaseline::Zero => {
                    // The receivers restart their own P&L: old per-symbol values are gone.
                    a.syms.clear();
                    a.equity = 0.0;
                    Some(0.0)
                }
                LossBaseline::FirstReport => (!a.syms.is_empty()).then_some(a.equity),
            };
            a.base = base;
            a.peak = base.unwrap_or(0.0);
        }
        true
    }

    /// A POSITION P&L of account `acct` in `symbol` ("" without `Symbol:`) at `wall_ns`;
    /// returns a breach the first time a limit is reached.
    pub fn on_position(
        &mut self,
        rules: &Rules,
        acct: usize,
        symbol: &str,
        pnl: f64,
        wall_ns: i64,
    ) -> Option<Breach> {
        self.tick(wall_ns);
        if !pnl.is_finite() {
            return None;
        }
        let a = self.accts.get_mut(acct)?;
        match a.syms.iter().position(|(s, _)| s.as_str().eq_ignore_ascii_case(symbol)) {
            Some(k) => a.syms[k].1 = pnl,
            None if a.syms.len() < MAX_SYMBOLS_PER_ACCOUNT => a.syms.push((Sym::new(symbol), pnl)),
            None => {
                self.dropped += 1;
                return None;
            }
        }
        a.equity = a.syms.iter().map(|e| e.1).sum();
        let base = match a.base {
            Some(b) => b,
            None => {
                // The session's first report: its equity is the baseline and the first peak.
                a.base = Some(a.equity);
                a.peak = a.equity;
                a.equity
            }
        };
        a.peak = a.peak.max(a.equity);
        if a.breached.is_some() {
            return None;
        }
        let cfg = &rules.accounts[acct];
        let loss = base - a.equity;
        let dd = a.peak - a.equity;
        let rule = if cfg.daily_loss > 0.0 && loss >= cfg.daily_loss {
            Some((LossRule::DailyLoss, loss, cfg.daily_loss))
        } else if cfg.trailing > 0.0 && dd >= cfg.trailing {
            Some((LossRule::TrailingDrawdown, dd, cfg.trailing))
        } else {
            None
        };
        let (rule, amount, limit) = rule?;
        a.breached = Some(rule);
        self.excluded.insert(acct);
        Some(Breach { account: acct, rule, amount, limit })
    }

    /// Excludes `acct` as a journalled breach did before a restart (until re-armed).
    pub fn restore_breach(&mut self, acct: usize, rule: LossRule) {
        if let Some(a) = self.accts.get_mut(acct) {
            a.breached = Some(rule);
            self.excluded.insert(acct);
        }
    }

    /// Lifts the exclusion of `acct`; a limit still exceeded breaches again on its next report.
    pub fn arm(&mut self, acct: usize) -> bool {
        let Some(a) = self.accts.get_mut(acct) else { return false };
        let was = a.breached.take().is_some();
        self.excluded.remove(acct);
        was
    }

    /// The headroom of `acct`.
    pub fn headroom(&self, rules: &Rules, acct: usize) -> Option<Headroom> {
        let a = self.accts.get(acct)?;
        let cfg = rules.accounts.get(acct)?;
        let base = a.base.unwrap_or(a.equity);
        let left = |limit: f64, used: f64| (limit > 0.0).then(|| (limit - used).max(0.0));
        Some(Headroom {
            loss_left: left(cfg.daily_loss, base - a.equity),
            drawdown_left: left(cfg.trailing, a.peak.max(base) - a.equity),
            session_pnl: a.equity - base,
            equity: a.equity,
            excluded: self.excluded.contains(acct),
            breached: a.breached,
        })
    }
}
