//! Input health of a connection: its counters; bad messages, alerts and a high bad share, logged by time.

use super::messages::AlertMessage;
use super::types::DecodeError;
use std::time::{Duration, Instant};

/// Counters of one connection.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DtcStats {
    /// Messages decoded.
    pub messages: u64,
    /// Market-data messages applied to the market state.
    pub market_data: u64,
    /// Messages skipped as undecodable, or market data for an unknown SymbolID.
    pub bad: u64,
    /// Connections reset because the stream could not be framed.
    pub resets: u64,
    /// Heartbeats received.
    pub heartbeats: u64,
    /// ALERT_MESSAGEs received (logged, rate-limited).
    pub alerts: u64,
    /// Warnings that a large share of the input is bad (rate-limited).
    pub bad_ratio_warnings: u64,
}

/// At most one line per this interval from one [`LogGate`].
pub const LOG_EVERY: Duration = Duration::from_secs(5);

/// Rate-limits a kind of log line by time (not by count), remembering how many it held back.
pub use crate::ratelog::RateLog as LogGate;

/// A connection warns when at least 1 in this many messages is bad (after [`BAD_RATIO_MIN`]):
/// that is an encoding or JSON-compact field order that does not match the server, not noise.
const BAD_RATIO_ONE_IN: u64 = 50;
const BAD_RATIO_MIN: u64 = 100;
/// At most one bad-ratio warning per this interval.
const BAD_RATIO_EVERY: Duration = Duration::from_secs(60);

/// The log gates of one connection's input problems.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InputHealth {
    bad: LogGate,
    alert: LogGate,
    ratio: LogGate,
}

impl Default for InputHealth {
    fn default() -> Self {
        InputHealth {
            bad: LogGate::new(LOG_EVERY),
            alert: LogGate::new(LOG_EVERY),
            ratio: LogGate::new(BAD_RATIO_EVERY),
        }
    }
}

impl InputHealth {
    /// A message that could not be decoded: counted, logged rate-limited, skipped.
    pub(crate) fn bad_message(
        &mut self,
        e: DecodeError,
        st: &mut DtcStats,
        now: Instant,
        label: &str,
    ) {
        st.bad += 1;
        if let Some(held) = self.bad.open(now) {
            log::warn!(
                "{label}: bad message skipped ({} so far, {held} not logged since the last line): {e}",
                st.bad
            );
        }
    }

    /// An ALERT_MESSAGE: a trader may need to see it; a flood of them must not flood the log.
    pub(crate) fn alert(&mut self, a: &AlertMessage, st: &mut DtcStats, now: Instant, label: &str) {
        st.alerts += 1;
        if let Some(held) = self.alert.open(now) {
            log::warn!(
                "{label}: server alert (account {:?}, {held} not shown since the last): {:?}",
                a.trade_account.as_str(),
                a.message_text.as_str()
            );
        }
    }

    /// Warns (rate-limited) when a large share of what the server sends cannot be used.
    pub(crate) fn check_ratio(&mut self, st: &mut DtcStats, now: Instant, label: &str) {
        let (bad, total) = (st.bad, st.messages + st.bad);
        if total < BAD_RATIO_MIN || bad * BAD_RATIO_ONE_IN < total || self.ratio.open(now).is_none()
        {
            return;
        }
        st.bad_ratio_warnings += 1;
        log::warn!(
            "{label}: {bad} of {total} messages from the server were bad ({:.1} %): check `encoding` and `compact_sierra_order` against the server",
            100.0 * bad as f64 / total as f64
        );
    }
}
