//! Rate-limited log lines: one line per interval at most, counting what was held back.

use std::time::{Duration, Instant};

/// One log line per interval at most (by time, not by count); what is held back is counted and
/// reported with the next line, so a flood costs one line per interval and loses no count.
#[derive(Clone, Copy, Debug)]
pub struct RateLog {
    every: Duration,
    last: Option<Instant>,
    held: u64,
}

impl RateLog {
    /// A gate letting one line through per `every`.
    pub const fn new(every: Duration) -> Self {
        RateLog { every, last: None, held: 0 }
    }

    /// `Some(lines held back since the last one)` when a line may be written now.
    pub fn open(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(t) if now.saturating_duration_since(t) < self.every => {
                self.held += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.held))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_with_the_count_held_back() {
        let t = Instant::now();
        let mut g = RateLog::new(Duration::from_secs(10));
        assert_eq!(g.open(t), Some(0));
        assert_eq!(g.open(t + Duration::from_secs(1)), None);
        assert_eq!(g.open(t + Duration::from_secs(2)), None);
        assert_eq!(g.open(t + Duration::from_secs(11)), Some(2));
    }
}
