//! Signals-per-second limits: a GCRA token bucket on `Instant`, no allocation.

use std::time::{Duration, Instant};

/// One rate limit: `per_s` signals a second on average, bursts of up to `per_s` (one second's
/// worth). GCRA form: one "theoretical arrival time" instead of a token count.
#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    per_s: u32,
    interval: Duration,
    tolerance: Duration,
    tat: Instant,
}

impl Bucket {
    /// A full bucket at `now`; `per_s` 0 = unlimited.
    pub fn new(per_s: u32, now: Instant) -> Bucket {
        let interval = if per_s == 0 { Duration::ZERO } else { Duration::from_secs(1) / per_s };
        let tolerance = interval * per_s.saturating_sub(1);
        Bucket { per_s, interval, tolerance, tat: now }
    }

    /// The limit (0 = none).
    pub fn per_s(&self) -> u32 {
        self.per_s
    }

    /// Would a signal at `now` conform? Returns the new arrival time to [`Self::commit`].
    pub fn check(&self, now: Instant) -> Option<Instant> {
        if self.per_s == 0 {
            return Some(self.tat);
        }
        let tat = self.tat.max(now);
        (tat.saturating_duration_since(now) <= self.tolerance).then(|| tat + self.interval)
    }

    /// Takes the signal `check` allowed.
    pub fn commit(&mut self, tat: Instant) {
        self.tat = tat;
    }

    /// Refilled, as for a new publisher in this slot.
    pub fn reset(&mut self, now: Instant) {
        self.tat = now;
    }
}
