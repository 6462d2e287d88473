//! A fixed table of named deadlines: one per timer kind, the earliest one asked in one place.
//!
//! Sessions and endpoints keep one `TimerTable` instead of an `Option<Instant>` field per concern
//! and a hand-written `min` over them (the quinn-proto `TimerTable` idea, sized at compile time).

use std::time::Instant;

/// A kind of timer: a small enum whose variants index the table.
pub trait TimerKind: Copy + Eq + std::fmt::Debug + 'static {
    /// Every variant, in index order.
    const ALL: &'static [Self];
    /// This variant's index in [`TimerKind::ALL`].
    fn index(self) -> usize;
}

/// One optional deadline per timer kind; `N` must be `T::ALL.len()`.
#[derive(Clone, Debug)]
pub struct TimerTable<T: TimerKind, const N: usize> {
    at: [Option<Instant>; N],
    _kind: std::marker::PhantomData<T>,
}

impl<T: TimerKind, const N: usize> Default for TimerTable<T, N> {
    fn default() -> Self {
        const { assert!(N > 0) };
        TimerTable { at: [None; N], _kind: std::marker::PhantomData }
    }
}

impl<T: TimerKind, const N: usize> TimerTable<T, N> {
    /// Arms `kind` for `at` (replacing an earlier deadline of that kind).
    pub fn set(&mut self, kind: T, at: Instant) {
        self.at[kind.index()] = Some(at);
    }

    /// Disarms `kind`.
    pub fn stop(&mut self, kind: T) {
        self.at[kind.index()] = None;
    }

    /// The deadline of `kind`, if armed.
    pub fn get(&self, kind: T) -> Option<Instant> {
        self.at[kind.index()]
    }

    /// True when `kind` is armed and due at `now`.
    pub fn is_due(&self, kind: T, now: Instant) -> bool {
        self.get(kind).is_some_and(|t| t <= now)
    }

    /// The earliest armed deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }

    /// Disarms and returns the earliest timer due at `now`; call until `None` to run them all.
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        let (i, _) = self
            .at
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.filter(|t| *t <= now).map(|t| (i, t)))
            .min_by_key(|&(_, t)| t)?;
        self.at[i] = None;
        T::ALL.get(i).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum K {
        A,
        B,
    }

    impl TimerKind for K {
        const ALL: &'static [K] = &[K::A, K::B];
        fn index(self) -> usize {
            self as usize
        }
    }

    #[test]
    fn the_earliest_due_timer_pops_first_and_only_once() {
        let t0 = Instant::now();
        let mut t: TimerTable<K, 2> = TimerTable::default();
        assert_eq!(t.next_deadline(), None);
        t.set(K::B, t0 + Duration::from_secs(1));
        t.set(K::A, t0 + Duration::from_secs(2));
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(t.pop_due(t0), None, "nothing due yet");
        let later = t0 + Duration::from_secs(3);
        assert!(t.is_due(K::A, later));
        assert_eq!(t.pop_due(later), Some(K::B));
        assert_eq!(t.pop_due(later), Some(K::A));
        assert_eq!(t.pop_due(later), None);
        t.set(K::A, later);
        t.stop(K::A);
        assert_eq!(t.get(K::A), None);
    }
}
