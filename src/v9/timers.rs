//! Per-connection deadlines (pure): one slot per connection key, scanned only when one is due.

// A slot holds the earliest instant at which its peer must be looked at. It may be early (the
// peer's deadline moved later since: an idle timer restarts with every message, and rewriting
// the slot per message would cost a store on the hot path); the peer is then re-armed with its
// real deadline. So only deadlines that move *earlier* (a close starting, a partial message
// waiting) touch the table outside the due scan.

use std::time::Instant;

/// The deadline table of a server's connections.
#[derive(Debug, Default)]
pub(super) struct Deadlines {
    at: Vec<Option<Instant>>,
    next: Option<Instant>,
    /// The listener's accept retry (after running out of fds).
    listener: Option<Instant>,
}

impl Deadlines {
    /// Makes `key` due no later than `when` (an earlier arming wins).
    pub(super) fn arm(&mut self, key: usize, when: Option<Instant>) {
        let Some(when) = when else { return };
        if key >= self.at.len() {
            self.at.resize(key + 1, None); // grows with the slab on accept, not per message
        }
        let slot = &mut self.at[key];
        if slot.is_none_or(|t| when < t) {
            *slot = Some(when);
            if self.next.is_none_or(|t| when < t) {
                self.next = Some(when);
            }
        }
    }

    /// Forgets `key` (its connection is gone; the key may be reused).
    pub(super) fn clear(&mut self, key: usize) {
        if let Some(slot) = self.at.get_mut(key) {
            *slot = None;
        }
    }

    /// Earliest armed instant.
    pub(super) fn next(&self) -> Option<Instant> {
        [self.next, self.listener].into_iter().flatten().min()
    }

    /// Arms (or with `None` disarms) the listener's retry.
    pub(super) fn arm_listener(&mut self, when: Option<Instant>) {
        self.listener = when;
    }

    /// True (and disarmed) when the listener's retry is due.
    pub(super) fn listener_due(&mut self, now: Instant) -> bool {
        let due = self.listener.is_some_and(|t| t <= now);
        if due {
            self.listener = None;
        }
        due
    }

    /// Moves every key due at `now` into `due` (disarmed: re-arm each after handling it).
    pub(super) fn take_due(&mut self, now: Instant, due: &mut Vec<usize>) {
        due.clear();
        if self.next.is_none_or(|t| t > now) {
            return;
        }
        let mut next = None;
        for (key, slot) in self.at.iter_mut().enumerate() {
            match *slot {
                Some(t) if t <= now => {
                    due.push(key);
                    *slot = None;
                }
                Some(t) if next.is_none_or(|n| t < n) => next = Some(t),
                _ => {}
            }
        }
        self.next = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn earliest_arming_wins_and_due_keys_are_disarmed() {
        let t = Instant::now();
        let s = Duration::from_secs(1);
        let mut d = Deadlines::default();
        d.arm(3, Some(t + 5 * s));
        d.arm(3, Some(t + 9 * s));
        d.arm(1, Some(t + 2 * s));
        assert_eq!(d.next(), Some(t + 2 * s));
        let mut due = Vec::new();
        d.take_due(t + s, &mut due);
        assert!(due.is_empty());
        d.take_due(t + 5 * s, &mut due);
        assert_eq!(due, [1, 3]);
        assert_eq!(d.next(), None);
        d.arm(1, Some(t + 7 * s));
        d.clear(1);
        d.take_due(t + 8 * s, &mut due);
        assert!(due.is_empty(), "cleared keys never fire");
    }
}
