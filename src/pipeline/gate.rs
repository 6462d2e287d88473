//! The gate step: the risk layer's checks before an id, and the kill switch as engine commands.

use super::{Accepted, Output, Pipeline, Refusal, Source, Targets};
use crate::journal::Record;
use crate::risk::{self, ExpectedPositions, Risk};
use crate::signal::{Action, Signal};
use std::time::Instant;

/// The pipeline's expected positions are per symbol (every account executes every signal
/// while routing is not served), so every account holds the symbol's position.
impl ExpectedPositions for Targets {
    fn net(&self, _account: &str, symbol: &str) -> i64 {
        self.get(symbol)
    }
}

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

/// The gate: the risk layer's verdict (`risk` None = no risk layer: every valid signal passes).
/// Routing options are refused while the route step is not served: broadcast to everyone they
/// would reach accounts they were not meant for.
pub fn gate(
    sig: &Signal<'_>,
    source: Source<'_>,
    risk: Option<&mut Risk>,
    (now, wall_ns, engine): (Instant, i64, bool),
    book: &Targets,
) -> Result<(), Refusal> {
    let ticket = match risk {
        Some(r) => r.check(sig, risk_source(source, engine), book, now, wall_ns),
        None if sig.extras().iter().any(|o| risk::is_routing_option(o)) => {
            Err(risk::Refusal::Invalid(risk::TargetError::NotServed))
        }
        None => return Ok(()),
    };
    match ticket.map_err(Refusal::Risk)?.target {
        risk::Target::All => Ok(()),
        risk::Target::Set(_) => {
            Err(Refusal::Risk(risk::Refusal::Invalid(risk::TargetError::NotServed)))
        }
    }
}

impl Pipeline {
    /// Installs the risk layer (at start, after the journal's recovery restored its state).
    pub fn set_risk(&mut self, risk: Risk) {
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
