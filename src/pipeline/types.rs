//! What the pipeline hands out and takes in: outputs, acceptances, refusals, settings.

use super::Route;
use crate::journal::JournalConfig;
use crate::signal::{Action, Origin, SignalError, Symbol};
use std::time::{Duration, Instant};

/// What an output learns about a signal besides its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Sent {
    /// Its id.
    pub id: u64,
    /// Its source, for metrics.
    pub origin: Origin,
    /// When the bytes carrying it were read (start of the latency hop).
    pub read_at: Instant,
    /// Its action.
    pub action: Action,
    /// Its symbol, upper case.
    pub symbol: Symbol,
    /// Its quantity.
    pub qty: u32,
}

/// Something that queues encoded signals for receivers (no I/O: the shell flushes later).
pub trait Output {
    /// Queues `line` for the receivers `route` names; returns how many took it.
    /// With [`Route::Routed`], `line` is the signal without its routing option, for the
    /// receivers it reaches whole.
    fn fan_out(&mut self, route: Route<'_>, line: &[u8], sent: &Sent) -> u32;
}

/// An output without receivers (an engine without a V9 server, tests).
#[derive(Debug, Default)]
pub struct NoOutput;

impl Output for NoOutput {
    fn fan_out(&mut self, _: Route<'_>, _: &[u8], _: &Sent) -> u32 {
        0
    }
}

/// An accepted signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The id it got.
    pub id: u64,
    /// Receivers it was queued for.
    pub receivers: u32,
}

/// Why a signal was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// It failed validation (or would encode past the message limit).
    Invalid(SignalError),
    /// The journal could not record it: refused rather than sent unrecorded.
    Journal,
    /// The risk layer refused it (`ERROR|RISK_REJECTED|...`) or its routing option
    /// (`ERROR|INVALID_SIGNAL|...`).
    Risk(crate::risk::Refusal),
}

impl Refusal {
    /// Stable reason code, as journalled (`BAD_SYMBOL`, …): never renamed.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Invalid(e) => match e {
                SignalError::UnknownAction => "UNKNOWN_ACTION",
                SignalError::BadSymbol => "BAD_SYMBOL",
                SignalError::AllNotAllowed => "ALL_NOT_ALLOWED",
                SignalError::ZeroQuantity => "ZERO_QUANTITY",
                SignalError::QuantityTooLarge => "QUANTITY_TOO_LARGE",
                SignalError::BadQuantity => "BAD_QUANTITY",
                SignalError::BadPrice => "BAD_PRICE",
                SignalError::TooManyOptions => "TOO_MANY_OPTIONS",
                SignalError::BadOption => "BAD_OPTION",
                SignalError::TooLong => "TOO_LONG",
                SignalError::NotPublisher => "NOT_PUBLISHER",
            },
            Refusal::Journal => "JOURNAL_WRITE_FAILED",
            Refusal::Risk(r) => r.journal_code(),
        }
    }

    /// Human-readable reason (the V9 ERROR message).
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Invalid(e) => e.message(),
            Refusal::Journal => "Journal write failed; signal not sent",
            Refusal::Risk(r) => r.message(),
        }
    }
}

/// Counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PipelineStats {
    /// Signals accepted.
    pub accepted: u64,
    /// Signals refused (any reason).
    pub refused: u64,
    /// Records the journal failed to take.
    pub journal_failures: u64,
}

/// Window and identity settings.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Signals held for replay.
    pub replay_max_signals: usize,
    /// Bytes held for replay.
    pub replay_max_bytes: usize,
    /// Age limit of a replay.
    pub replay_max_age: Duration,
    /// How long a reported position may differ from the expected one before it is flagged.
    pub reconcile_grace: Duration,
}

impl Settings {
    /// From `[journal]`.
    pub fn of(cfg: &JournalConfig) -> Settings {
        Settings {
            replay_max_signals: cfg.replay_max_signals,
            replay_max_bytes: cfg.replay_max_bytes,
            replay_max_age: Duration::from_secs(cfg.replay_max_age_s),
            reconcile_grace: Duration::from_millis(cfg.reconcile_grace_ms),
        }
    }
}
