//! The signal pipeline (pure): validate → gate → id → journal → route → encode once → fan out.
//!
//! Every signal source (V9 publishers, the pipe, engine calls, later DTC) hands its signal to
//! [`Pipeline::submit`]; outputs (the V9 server's connections) only move the bytes it encoded.
//! Time comes in as arguments, the journal and the outputs are traits: no I/O of its own.

pub mod catchup;
mod gate;
mod loss;
mod replay;
pub mod route;
pub mod split;
mod targets;
#[cfg(test)]
mod tests;
mod types;

pub use catchup::{target_of, Book, CaughtUp, Mode, Request};
pub use gate::{gate, PUBLISHER_SLOTS};
pub use loss::BreachOutcome;
pub use replay::ReplayStore;
pub use route::{Delta, Heads, Pick, Route, Routing};
pub use targets::{AccountTargets, Targets, View, MAX_SYMBOLS};
pub use types::{Accepted, NoOutput, Output, PipelineStats, Refusal, Sent, Settings};

use crate::journal::{self, JournalConfig, JournalWriter, PositionSummary, Receiver, Record};
use crate::ratelog::RateLog;
use crate::signal::{Origin, Signal, SignalError, Symbol};
use crate::v9::codec::MAX_MESSAGE;
use crate::v9::encode;
use std::time::{Duration, Instant};

pub use crate::journal::Source;
pub use crate::v9::expect::Change as ReconcileChange;

/// The epoch of a run without a journal: its start time in Unix nanoseconds, so two starts
/// within the same second still differ (a receiver that sees the same epoch takes its ids as
/// still valid, and its `Last_ID` would then be "in the future").
pub fn epoch_without_journal(wall_ns: i64) -> u64 {
    wall_ns.max(1) as u64
}

/// Where records go (the journal writer; a fake in tests).
pub trait Log: Send {
    /// Appends one record stamped `wall_ns`; must not block or allocate.
    fn append(&mut self, rec: &Record<'_>, wall_ns: i64) -> Result<(), journal::Error>;
}

impl Log for JournalWriter {
    fn append(&mut self, rec: &Record<'_>, wall_ns: i64) -> Result<(), journal::Error> {
        JournalWriter::append(self, rec, wall_ns).map(|_| ())
    }
}

/// The one entry of every signal, and its memory: ids, epoch, replay window, targets.
pub struct Pipeline {
    last_id: u64,
    epoch: u64,
    journal: Box<dyn Log>,
    line: Vec<u8>,
    /// A routed signal's bytes without its routing option (the journal keeps `line`).
    bare: Vec<u8>,
    scratch: Vec<u8>,
    replay: ReplayStore,
    targets: Targets,
    accounts: AccountTargets,
    max_age_ns: i64,
    grace: Duration,
    stats: PipelineStats,
    journal_log: RateLog,
    /// The risk layer (None: every valid signal passes).
    risk: Option<crate::risk::Risk>,
    /// The signal being submitted is the engine's own (the kill switch's FLATTEN).
    engine_signal: bool,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("last_id", &self.last_id)
            .field("epoch", &self.epoch)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// Continues after `last_id` in `epoch`, recording into `journal`.
    pub fn new(journal: Box<dyn Log>, last_id: u64, epoch: u64, s: Settings) -> Pipeline {
        Pipeline {
            last_id,
            epoch,
            journal,
            line: Vec::with_capacity(2 * MAX_MESSAGE),
            bare: Vec::with_capacity(2 * MAX_MESSAGE),
            scratch: Vec::with_capacity(2 * MAX_MESSAGE),
            replay: ReplayStore::new(s.replay_max_signals, s.replay_max_bytes),
            targets: Targets::default(),
            accounts: AccountTargets::default(),
            max_age_ns: i64::try_from(s.replay_max_age.as_nanos()).unwrap_or(i64::MAX),
            grace: s.reconcile_grace,
            stats: PipelineStats::default(),
            journal_log: RateLog::new(Duration::from_secs(10)),
            risk: None,
            engine_signal: false,
        }
    }

    /// Without a journal, ids from 1, epoch `epoch`, default windows.
    pub fn in_memory(epoch: u64) -> Pipeline {
        Pipeline::in_memory_with(epoch, Settings::of(&JournalConfig::default()))
    }

    /// Without a journal, ids from 1, epoch `epoch`.
    pub fn in_memory_with(epoch: u64, s: Settings) -> Pipeline {
        Pipeline::new(Box::new(JournalWriter::disabled()), 0, epoch, s)
    }

    /// The last id assigned (0 = none yet).
    pub fn last_id(&self) -> u64 {
        self.last_id
    }

    /// This run's epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Counts.
    pub fn stats(&self) -> PipelineStats {
        self.stats
    }

    /// Expected positions per symbol (accounts the configuration does not know).
    pub fn targets(&self) -> &Targets {
        &self.targets
    }

    /// Expected positions per configured account.
    pub fn account_targets(&self) -> &AccountTargets {
        &self.accounts
    }

    /// The targets a SYNC gives.
    pub fn book(&self) -> Book<'_> {
        Book { targets: &self.targets, accounts: &self.accounts }
    }

    /// What the gates read: per configured account, else per symbol.
    pub fn view(&self) -> View<'_> {
        View { targets: &self.targets, accounts: &self.accounts }
    }

    /// The replay window.
    pub fn replay(&self) -> &ReplayStore {
        &self.replay
    }

    /// The reconciliation grace period.
    pub fn reconcile_grace(&self) -> Duration {
        self.grace
    }

    /// Journals a reconciliation change of `receiver`.
    pub fn reconciled(&mut self, receiver: &str, c: ReconcileChange<'_>, at: (Instant, i64)) {
        let rec = Record::Reconcile {
            receiver,
            account: c.account,
            symbol: c.symbol,
            expected: c.expected,
            reported: c.reported,
            flagged: c.flagged,
        };
        if let Err(e) = self.journal.append(&rec, at.1) {
            self.journal_failed(&e, at.0);
        }
    }

    /// Validates, gates, numbers, journals, routes, encodes once and fans `sig` out to `out`.
    /// `read_at` is when its bytes were read, `wall_ns` the turn's wall clock (Unix ns).
    pub fn submit(
        &mut self,
        sig: &Signal<'_>,
        source: Source<'_>,
        read_at: Instant,
        wall_ns: i64,
        out: &mut dyn Output,
    ) -> Result<Accepted, Refusal> {
        let checked = sig.validate().map_err(Refusal::Invalid);
        let at = (read_at, wall_ns, self.engine_signal);
        let view = View { targets: &self.targets, accounts: &self.accounts };
        let ticket = match checked.and_then(|()| gate(sig, source, self.risk.as_mut(), at, &view)) {
            Ok(t) => t,
            Err(r) => return Err(self.refuse(sig, source, r, read_at, wall_ns)),
        };
        let id = self.last_id + 1;
        let routed = match (&self.risk, &ticket) {
            (Some(risk), Some(ticket)) => !route::uniform(risk, sig, ticket),
            _ => false,
        };
        // The journal and the replay window keep the signal as sent (its routing option
        // included): a replay routes it again from these bytes.
        self.line.clear();
        encode::signal(&mut self.line, sig, Some(id));
        // Every line it becomes must fit, replayed too (`Replay:1`), and a routed one with at
        // least one account per line.
        let mut longest = self.line.len() - 1 + split::REPLAY.len();
        if routed {
            longest = longest.max(route::longest_line(&mut self.scratch, sig, id));
        }
        if longest > MAX_MESSAGE {
            let r = Refusal::Invalid(SignalError::TooLong);
            return Err(self.refuse(sig, source, r, read_at, wall_ns));
        }
        let rec = Record::Signal { id, source, bytes: &self.line };
        if let Err(e) = self.journal.append(&rec, wall_ns) {
            self.journal_failed(&e, read_at);
            return Err(self.refuse(sig, source, Refusal::Journal, read_at, wall_ns));
        }
        self.last_id = id;
        self.stats.accepted += 1;
        self.replay.push(id, wall_ns, &self.line);
        let symbol = Symbol::upper(sig.symbol);
        self.apply_targets(sig, &symbol, ticket.as_ref());
        let (action, qty, origin) = (sig.action, sig.qty, origin_of(source));
        let sent = Sent { id, origin, read_at, action, symbol, qty };
        let bytes = if route::has_routing_option(sig) {
            self.bare.clear();
            route::write_line(&mut self.bare, sig, false, id);
            &self.bare
        } else {
            &self.line
        };
        let route = match (&self.risk, ticket) {
            (Some(risk), Some(ticket)) if routed => {
                Route::Routed(Routing { risk, sig, ticket, id })
            }
            _ => Route::AllReady,
        };
        let receivers = out.fan_out(route, bytes, &sent);
        Ok(Accepted { id, receivers })
    }

    /// Journals the refusal (the signal as rendered, without an id) and counts it.
    fn refuse(
        &mut self,
        sig: &Signal<'_>,
        source: Source<'_>,
        r: Refusal,
        now: Instant,
        wall_ns: i64,
    ) -> Refusal {
        self.stats.refused += 1;
        self.scratch.clear();
        encode::signal(&mut self.scratch, sig, None);
        self.scratch.truncate(MAX_MESSAGE);
        let rec = Record::Refused { source, reason: r.code(), bytes: &self.scratch };
        if let Err(e) = self.journal.append(&rec, wall_ns) {
            self.journal_failed(&e, now);
        }
        r
    }

    /// Journals and counts a signal line its source's codec already refused (`reason`: a
    /// stable code, e.g. from [`Refusal::code`]).
    pub fn refused(&mut self, source: Source<'_>, reason: &str, line: &[u8], at: (Instant, i64)) {
        self.stats.refused += 1;
        let bytes = &line[..line.len().min(MAX_MESSAGE)];
        if let Err(e) = self.journal.append(&Record::Refused { source, reason, bytes }, at.1) {
            self.journal_failed(&e, at.0);
        }
    }

    fn journal_failed(&mut self, e: &journal::Error, now: Instant) {
        self.stats.journal_failures += 1;
        if let Some(held) = self.journal_log.open(now) {
            log::error!("journal: append failed: {e} ({held} more failures since the last line)");
        }
    }

    /// Journals a receiver's CONNECT (`up`) or departure.
    pub fn receiver(&mut self, up: bool, r: Receiver<'_>, now: Instant, wall_ns: i64) {
        let rec = if up { Record::ReceiverConnected(r) } else { Record::ReceiverDisconnected(r) };
        if let Err(e) = self.journal.append(&rec, wall_ns) {
            self.journal_failed(&e, now);
        }
    }

    /// Journals a POSITION_SUMMARY answering `signal_id`.
    pub fn summary(
        &mut self,
        receiver: &str,
        signal_id: u64,
        s: PositionSummary,
        at: (Instant, i64),
    ) {
        let rec = Record::Summary { receiver, signal_id, summary: s };
        if let Err(e) = self.journal.append(&rec, at.1) {
            self.journal_failed(&e, at.0);
        }
    }

    /// Refills the replay window and the targets from journalled signals (at startup, after
    /// [`Self::set_risk`]: the per-account targets follow today's groups and mappings).
    pub fn restore(&mut self, id: u64, wall_ns: i64, bytes: &[u8]) {
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        if let Ok(crate::v9::codec::Message::Signal(m)) = crate::v9::codec::parse(body) {
            let s = m.signal;
            let ticket = self.risk.as_ref().map(|r| route::ticket(r, &s));
            self.apply_targets(&s, &Symbol::upper(s.symbol), ticket.as_ref());
        }
        self.replay.push(id, wall_ns, bytes);
    }
}

/// The metrics bucket of a source.
pub fn origin_of(source: Source<'_>) -> Origin {
    match source {
        Source::Publisher(_) => Origin::Publisher,
        Source::Pipe => Origin::Pipe,
        Source::Cli | Source::Ops | Source::Dtc(_) => Origin::Engine,
    }
}
