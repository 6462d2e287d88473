//! The risk section of the periodic report: the kill switch and every account's headroom.

use crate::risk::{Headroom, KillSwitch, Risk};
use std::fmt::Write as _;

/// The risk layer's state, by value (taken on the loop once per report or snapshot).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RiskReport {
    /// The kill switch.
    pub kill_switch: KillSwitch,
    /// Every configured account with its loss-limit headroom, by name.
    pub accounts: Vec<AccountRisk>,
    /// Signals refused by a risk rule so far.
    pub refused: u64,
}

/// One account's loss-limit state.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountRisk {
    /// Account name, as configured.
    pub name: String,
    /// Its headroom.
    pub headroom: Headroom,
}

impl RiskReport {
    /// A copy of `risk`'s state (allocates: for reports and the ops snapshot, not per signal).
    pub fn of(risk: &Risk) -> RiskReport {
        let accounts = risk
            .headrooms()
            .map(|(n, h)| AccountRisk { name: n.to_string(), headroom: h })
            .collect();
        let refused = crate::risk::Rule::ALL.iter().map(|r| risk.refused(*r)).sum();
        RiskReport { kill_switch: risk.kill_switch(), accounts, refused }
    }

    /// Accounts excluded by a loss limit.
    pub fn excluded(&self) -> usize {
        self.accounts.iter().filter(|a| a.headroom.excluded).count()
    }

    /// The report lines: `risk: ...` then one line per account.
    pub fn write(&self, out: &mut String) {
        let ks = match self.kill_switch {
            KillSwitch::Trading => "off (trading)",
            KillSwitch::Killed { .. } => "ON (opening signals refused until arm)",
        };
        let _ = writeln!(
            out,
            "risk: kill switch {ks}, refused {}, accounts {} ({} excluded)",
            self.refused,
            self.accounts.len(),
            self.excluded()
        );
        for a in &self.accounts {
            let h = &a.headroom;
            let left = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
            let _ = write!(
                out,
                "  account {}: session pnl {:+.2} loss left {} drawdown left {}",
                a.name.escape_debug(),
                h.session_pnl,
                left(h.loss_left),
                left(h.drawdown_left)
            );
            if h.excluded {
                let why = h.breached.map_or("re-arm pending", |r| r.name());
                let _ = write!(out, " EXCLUDED ({why}; arm to trade)");
            }
            out.push('\n');
        }
    }
}
