//! Abuse limits (pure): the per-address throttle of failed publisher auths (log gates: `ratelog`).

use std::net::IpAddr;
use std::time::{Duration, Instant};

pub use crate::ratelog::RateLog;

/// First delay after a failed publisher authentication; doubled per further failure.
const FIRST_DELAY: Duration = Duration::from_millis(250);
/// Longest delay between two token checks from one address.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// Addresses remembered (the least recently failing is forgotten first).
const TRACKED: usize = 1024;
/// An address that has not failed for this long starts afresh.
const FORGET_AFTER: Duration = Duration::from_secs(600);

#[derive(Clone, Copy, Debug)]
struct Failing {
    ip: IpAddr,
    failures: u32,
    last: Instant,
    until: Instant,
}

/// Failed publisher authentications per peer address, each answered by a growing delay during
/// which that address's tokens are not even checked (so a guesser gets one try per delay).
#[derive(Debug, Default)]
pub struct AuthThrottle {
    failing: Vec<Failing>,
}

impl AuthThrottle {
    /// How long `ip` must still wait before its next token is checked, if at all.
    pub fn blocked(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let f = self.failing.iter().find(|f| f.ip == ip)?;
        let left = f.until.saturating_duration_since(now);
        (!left.is_zero()).then_some(left)
    }

    /// Records a failed check from `ip`; returns (failures in a row, delay until the next check).
    pub fn failed(&mut self, ip: IpAddr, now: Instant) -> (u32, Duration) {
        let i = match self.failing.iter().position(|f| f.ip == ip) {
            Some(i) => i,
            None => {
                if self.failing.len() >= TRACKED {
                    // Bounded: forget the address that failed least recently.
                    let oldest = (0..self.failing.len()).min_by_key(|&i| self.failing[i].last);
                    if let Some(o) = oldest {
                        self.failing.swap_remove(o);
                    }
                }
                self.failing.push(Failing { ip, failures: 0, last: now, until: now });
                self.failing.len() - 1
            }
        };
        let f = &mut self.failing[i];
        if now.saturating_duration_since(f.last) > FORGET_AFTER {
            f.failures = 0;
        }
        f.failures = f.failures.saturating_add(1);
        f.last = now;
        let delay = FIRST_DELAY.saturating_mul(1 << (f.failures - 1).min(16)).min(MAX_DELAY);
        f.until = now + delay;
        (f.failures, delay)
    }

    /// A successful authentication clears the address's record.
    pub fn succeeded(&mut self, ip: IpAddr) {
        self.failing.retain(|f| f.ip != ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_per_failure_and_clear_on_success() {
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let other: IpAddr = "10.0.0.8".parse().unwrap();
        let t = Instant::now();
        let mut a = AuthThrottle::default();
        assert_eq!(a.blocked(ip, t), None);
        assert_eq!(a.failed(ip, t), (1, Duration::from_millis(250)));
        assert!(a.blocked(ip, t).is_some());
        assert_eq!(a.blocked(other, t), None, "per address");
        assert_eq!(a.blocked(ip, t + Duration::from_millis(250)), None);
        assert_eq!(a.failed(ip, t).1, Duration::from_millis(500));
        for _ in 0..20 {
            a.failed(ip, t);
        }
        assert_eq!(a.failed(ip, t).1, MAX_DELAY);
        a.succeeded(ip);
        assert_eq!(a.blocked(ip, t), None);
    }

    #[test]
    fn the_table_is_bounded() {
        let t = Instant::now();
        let mut a = AuthThrottle::default();
        for i in 0..(TRACKED as u32 + 50) {
            a.failed(IpAddr::from(i.to_be_bytes()), t + Duration::from_millis(i as u64));
        }
        assert_eq!(a.failing.len(), TRACKED);
    }
}
