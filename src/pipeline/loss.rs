//! Loss limits in the pipeline: POSITION P&L into the risk layer, a breach's routed FLATTEN.

use super::{Accepted, Output, Pipeline, Refusal, Source};
use crate::journal::Record;
use crate::risk::{Breach, OptionBuf, Risk};
use crate::signal::SignalError;
use std::time::Instant;

/// A breach and what became of its `FLATTEN|ALL|0|Accounts:<name>`.
#[derive(Debug)]
pub struct BreachOutcome {
    /// The limit that broke.
    pub breach: Breach,
    /// The flatten's submission (refused while the route step is not served).
    pub flatten: Result<Accepted, Refusal>,
}

impl Pipeline {
    /// The risk layer, to change (operator commands).
    pub fn risk_mut(&mut self) -> Option<&mut Risk> {
        self.risk.as_mut()
    }

    /// One POSITION P&L (`symbol` "" without `Symbol:`). On a breach the engine submits
    /// `FLATTEN|ALL|0|Accounts:<name>` as its own signal (no rate limit; journaled like any
    /// signal) and the account is left out of opening signals until re-armed.
    pub fn on_pnl(
        &mut self,
        (account, symbol, pnl): (&str, &str, f64),
        now: Instant,
        wall_ns: i64,
        out: &mut dyn Output,
    ) -> Option<BreachOutcome> {
        let breach = self.risk.as_mut()?.on_position(account, symbol, pnl, wall_ns)?;
        log::warn!(
            "risk: account {account}: {} breached ({:.2} >= {:.2}): flattening it, excluded from opening signals until armed",
            breach.rule.name(),
            breach.amount,
            breach.limit
        );
        // Journalled before the flatten, so a restart keeps the account out even if the
        // engine dies before the flatten's record.
        self.journal_loss_limit(account, breach.rule.name(), now, wall_ns);
        let mut buf: OptionBuf = [0; crate::signal::MAX_OPTION_LEN];
        let risk = self.risk.as_ref()?;
        let Some(sig) = risk.breach_flatten(&breach, &mut buf) else {
            log::error!("risk: account {account}: name too long for Accounts:, not flattened");
            return Some(BreachOutcome {
                breach,
                flatten: Err(Refusal::Invalid(SignalError::BadOption)),
            });
        };
        self.engine_signal = true;
        let flatten = self.submit(&sig, Source::Ops, now, wall_ns, out);
        self.engine_signal = false;
        if let Err(e) = flatten {
            log::error!("risk: account {account}: FLATTEN refused: {}", e.message());
        }
        Some(BreachOutcome { breach, flatten })
    }

    /// Moves the loss limits' session clock (the engine's timers call it); true at a reset.
    pub fn tick_risk(&mut self, wall_ns: i64) -> bool {
        self.risk.as_mut().is_some_and(|r| r.tick(wall_ns))
    }

    /// Re-arms an account a loss limit excluded: Some(was excluded), None when not configured.
    /// Journalled, so the account stays armed across a restart.
    pub fn arm_account(&mut self, account: &str, now: Instant, wall_ns: i64) -> Option<bool> {
        let r = self.risk.as_mut()?.arm_account(account);
        if r == Some(true) {
            log::warn!("risk: account {account} re-armed: it trades again");
            self.journal_loss_limit(account, "", now, wall_ns);
        }
        r
    }

    fn journal_loss_limit(&mut self, account: &str, rule: &str, now: Instant, wall_ns: i64) {
        if let Err(e) = self.journal.append(&Record::LossLimit { account, rule }, wall_ns) {
            self.journal_failed(&e, now);
        }
    }
}
