//! The replay window (pure): the last accepted signals' canonical bytes in one bounded byte ring.

// One preallocated ring of bytes plus a preallocated index: pushing never allocates, and the
// oldest signals make room for the newest (by count and by bytes). A signal never wraps: when
// it does not fit before the end of the ring it starts again at 0.

use std::collections::VecDeque;

#[derive(Clone, Copy, Debug)]
struct Slot {
    id: u64,
    wall_ns: i64,
    off: u32,
    len: u32,
}

/// `len` zero bytes, every page written now. `vec![0; len]` would come from `calloc`: pages
/// the kernel maps on first write, so the first lap through the 8 MiB default ring took a page
/// fault on the loop every ~120 signals (about 1% of signals, which is the p99 of the latency
/// bench's broadcast rows). Writing them here moves those faults to start-up.
fn prefaulted_ring(len: usize) -> Box<[u8]> {
    let mut ring = vec![0u8; len].into_boxed_slice();
    // A value the compiler cannot know is zero: a plain zero fill is folded back into `calloc`.
    for i in (0..len).step_by(4096) {
        ring[i] = std::hint::black_box(0);
    }
    ring
}

/// The canonical encoded bytes of the most recent signals, by id.
#[derive(Debug)]
pub struct ReplayStore {
    ring: Box<[u8]>,
    head: usize,
    slots: VecDeque<Slot>,
    max_signals: usize,
}

impl ReplayStore {
    /// At most `max_signals` signals and `max_bytes` bytes (both allocated now, once, and
    /// written once, so that no page faults on the loop later).
    pub fn new(max_signals: usize, max_bytes: usize) -> ReplayStore {
        let mut slots = VecDeque::with_capacity(max_signals);
        // The index's pages too, for the same reason as the ring's.
        let blank = Slot { id: std::hint::black_box(0), wall_ns: 0, off: 0, len: 0 };
        slots.resize(max_signals, blank);
        slots.clear();
        ReplayStore { ring: prefaulted_ring(max_bytes), head: 0, slots, max_signals }
    }

    /// Signals held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when none is held.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The oldest id held.
    pub fn first_id(&self) -> Option<u64> {
        self.slots.front().map(|s| s.id)
    }

    /// Adds signal `id` (ids arrive in increasing order); the oldest go to make room. A signal
    /// larger than the whole ring empties it (the window then starts after it).
    pub fn push(&mut self, id: u64, wall_ns: i64, bytes: &[u8]) {
        if self.max_signals == 0 || bytes.len() > self.ring.len() {
            self.slots.clear();
            return;
        }
        if self.slots.back().is_some_and(|b| b.id >= id) {
            return; // never out of order (a journal read twice, say)
        }
        let old_head = self.head;
        let mut start = self.head;
        if start + bytes.len() > self.ring.len() {
            start = 0;
            // The tail past the old head is the previous lap's: the oldest, and skipped now.
            while self.slots.front().is_some_and(|s| s.off as usize >= old_head) {
                self.slots.pop_front();
            }
        }
        let end = start + bytes.len();
        while let Some(s) = self.slots.front() {
            let off = s.off as usize;
            let overlaps = off >= start && off < end;
            if !overlaps && self.slots.len() < self.max_signals {
                break;
            }
            self.slots.pop_front();
        }
        self.ring[start..end].copy_from_slice(bytes);
        self.head = end;
        self.slots.push_back(Slot { id, wall_ns, off: start as u32, len: bytes.len() as u32 });
    }

    /// True when every signal from `from` to `last` (inclusive) is held, the oldest of them
    /// appended at or after `oldest_ns`.
    pub fn covers(&self, from: u64, last: u64, oldest_ns: i64) -> bool {
        let (Some(front), Some(back)) = (self.slots.front(), self.slots.back()) else {
            return false;
        };
        if from < front.id || back.id != last {
            return false;
        }
        let Some(first) = self.slots.get((from - front.id) as usize) else { return false };
        // Ids are consecutive in the store; a gap (never expected) means no replay.
        first.id == from
            && (last - from) as usize == self.slots.len() - 1 - (from - front.id) as usize
            && first.wall_ns >= oldest_ns
    }

    /// Each held signal with an id `>= from`, oldest first: (id, canonical bytes).
    pub fn from(&self, from: u64) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        self.slots.iter().filter(move |s| s.id >= from).map(|s| {
            let off = s.off as usize;
            (s.id, &self.ring[off..off + s.len as usize])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: u64) -> Vec<u8> {
        format!("LONG|MES|1|ID:{id}\n").into_bytes()
    }

    /// Minor page faults taken by this thread so far.
    #[cfg(target_os = "linux")]
    fn thread_minor_faults() -> i64 {
        // SAFETY: getrusage only writes the struct it is given.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) }, 0);
        u.ru_minflt
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn pushing_takes_no_page_faults_on_the_first_lap() {
        // The default window: 8 MiB of bytes, 10,000 signals. 50,000 pushes of 40 bytes walk
        // 2 MB of the ring (about 500 fresh pages) and the index five times round.
        let mut r = ReplayStore::new(10_000, 8 << 20);
        let bytes = [b'x'; 40];
        let before = thread_minor_faults();
        for id in 1..=50_000 {
            r.push(id, id as i64, &bytes);
        }
        let faults = thread_minor_faults() - before;
        assert!(faults < 20, "{faults} page faults while pushing");
        assert_eq!(r.len(), 10_000);
    }

    #[test]
    fn keeps_the_newest_by_count_and_by_bytes() {
        let mut r = ReplayStore::new(3, 1000);
        for id in 1..=5 {
            r.push(id, id as i64, &line(id));
        }
        assert_eq!(r.first_id(), Some(3));
        let got: Vec<u64> = r.from(0).map(|(id, _)| id).collect();
        assert_eq!(got, [3, 4, 5]);
        assert!(r.covers(3, 5, 0) && !r.covers(2, 5, 0) && !r.covers(3, 6, 0));
        assert!(!r.covers(3, 5, 4), "signal 3 is older than the age bound");

        // 17-18 bytes each: a 60-byte ring holds 3, and wraps without splitting a line.
        let mut r = ReplayStore::new(100, 60);
        for id in 1..=40 {
            r.push(id, 0, &line(id));
            for (i, b) in r.from(0) {
                assert_eq!(b, line(i).as_slice());
            }
        }
        let ids: Vec<u64> = r.from(0).map(|(id, _)| id).collect();
        assert!(ids.len() >= 2 && *ids.last().unwrap() == 40, "{ids:?}");
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1));
        assert!(r.covers(ids[0], 40, 0));
    }

    #[test]
    fn an_oversized_signal_empties_the_window() {
        let mut r = ReplayStore::new(10, 20);
        r.push(1, 0, &line(1));
        r.push(2, 0, &[b'x'; 30]);
        assert!(r.is_empty() && !r.covers(2, 2, 0));
        r.push(3, 0, &line(3));
        assert_eq!(r.first_id(), Some(3));
    }
}
