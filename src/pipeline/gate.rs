//! The gate step: the risk layer's checks before an id, and the kill switch as engine commands.

use super::targets::{AccountTargets, View};
use super::{Accepted, Output, Pipeline, Refusal, Source};
use crate::journal::Record;
use crate::risk::{self, Risk};
use crate::signal::{Action, Signal};
use std::time::Instant;

/// Rate buckets for V9 publishers, by name (hashed: two names may share one).
pub const PUBLISHER_SLOTS: usize = 64;

/// The risk layer's view of a source: publishers by a hash of their CONNECT name.
fn risk_source(source: Source<'_>, engine: bool) -> risk::Source {
    if engine {
        return risk::Source::Engine;
    }
    match source {
        Source::Publisher(name) => {
            // FNV-1a: stable, allocation-free.
            let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            risk::Source::Publisher((h % PUBLISHER_SLOTS as u64) as usize)
        }
        Source::Pipe => risk::Source::Pipe,
        Source::Cli | Source::Ops | Source::Dtc(_) => risk::Source::Cli,
    }
}

/// The gate: the risk layer's verdict and where the signal goes (`risk` None = no risk
/// layer: every valid signal passes, unrouted; a routing option then names nothing known).
pub fn gate(
    sig: &Signal<'_>,
    source: Source<'_>,
    risk: Option<&mut Risk>,
    (now, wall_ns, engine): (Instant, i64, bool),
    book: &View<'_>,
) -> Result<Option<risk::Ticket>, Refusal> {
    match risk {
        Some(r) => match r.check(sig, risk_source(source, engine), book, now, wall_ns) {
            Ok(t) => Ok(Some(t)),
            Err(e) => Err(Refusal::Risk(e)),
        },
        None => match unknown_target(sig) {
            Some(e) => Err(Refusal::Risk(risk::Refusal::Invalid(e))),
            None => Ok(None),
        },
    }
}

/// Without a risk layer no group or account is configured: the first name of a routing
/// option is unknown.
fn unknown_target(sig: &Signal<'_>) -> Option<risk::TargetError> {
    let opt = sig.extras().iter().find(|o| risk::is_routing_option(o))?;
    let (key, list) = opt.split_once(':')?;
    let name = list.split('+').next().unwrap_or("");
    if name.is_empty() || name.contains('=') {
        return Some(risk::TargetError::BadOption);
    }
    Some(if key.eq_ignore_ascii_case("GROUP") {
        risk::TargetError::UnknownGroup(risk::Name::new(name))
    } else {
        risk::TargetError::UnknownAccount(risk::Name::new(name))
    })
}

impl Pipeline {
    /// Installs the risk layer (at start, after the journal's recovery restored its state).
    pub fn set_risk(&mut self, risk: Risk) {
        let rules = risk.rules();
        let names = (0..rules.n_accounts()).map(|i| rules.account_name(i).into()).collect();
        self.accounts = AccountTargets::new(names);
        self.risk = Some(risk);
    }

    /// The risk layer.
    pub fn risk(&self) -> Option<&Risk> {
        self.risk.as_ref()
    }

    /// Kill switch on: journals it (when it changed) and sends `FLATTEN|ALL|0` to every
    /// receiver, exempt from the rate limits; opening signals are refused until [`Self::arm`].
    pub fn kill(
        &mut self,
        by: &str,
        now: Instant,
        wall_ns: i64,
        out: &mut dyn Output,
    ) -> Result<Accepted, Refusal> {
        let changed = self.risk.as_mut().is_none_or(|r| r.kill(wall_ns).changed);
        if changed {
            self.journal_kill(true, by, now, wall_ns);
        }
        self.engine_signal = true;
        let flatten = Signal::new(Action::Flatten, "ALL", 0);
        let r = self.submit(&flatten, Source::Ops, now, wall_ns, out);
        self.engine_signal = false;
        r
    }

    /// Kill switch off (journaled when it changed); returns whether it changed.
    pub fn arm(&mut self, by: &str, now: Instant, wall_ns: i64) -> bool {
        let changed = self.risk.as_mut().is_some_and(|r| r.arm());
        if changed {
            self.journal_kill(false, by, now, wall_ns);
        }
        changed
    }

    fn journal_kill(&mut self, armed: bool, by: &str, now: Instant, wall_ns: i64) {
        if let Err(e) = self.journal.append(&Record::KillSwitch { armed, by }, wall_ns) {
            self.journal_failed(&e, now);
        }
    }
}
