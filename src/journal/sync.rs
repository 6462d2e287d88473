//! The sync thread: group commit (`fdatasync`) off the loop, segment hand-over, retention.
//!
//! The writer never waits for this thread. It publishes how far it has written in atomics;
//! with `fsync = "every_ms"` the thread reads them on its own tick, with `"always"` the writer
//! sends at most one pending [`Msg::Wake`] (a flag conflates the rest: one "sync up to the
//! latest offset" is as good as many). A rotation hands over the new segment's file; the
//! thread syncs the finished segment to its end, syncs the directory, and deletes the oldest
//! segments beyond the retention bound.

use super::FsyncPolicy;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::collections::VecDeque;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// State shared by the writer and the sync thread.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Journal-wide offset just past the last record written to the page cache.
    pub written_end: AtomicU64,
    /// Highest signal id written.
    pub written_id: AtomicU64,
    /// Journal-wide offset up to which everything is on disk.
    pub durable_end: AtomicU64,
    /// Highest signal id on disk.
    pub durable_id: AtomicU64,
    /// A [`Msg::Wake`] is queued and not yet acted on.
    pub wake_pending: AtomicBool,
    /// An fsync failed: nothing written since is known to be on disk, ever.
    pub failed: AtomicBool,
}

/// What is on disk; cheap to clone and to read from any thread.
#[derive(Clone, Debug)]
pub struct Durability(pub(crate) Arc<Shared>);

impl Durability {
    /// Journal-wide offset up to which every record is on disk: a record returned by
    /// `append` as `Offset(o)` is durable once this is `>= o`.
    pub fn offset(&self) -> u64 {
        self.0.durable_end.load(Ordering::Acquire)
    }

    /// Highest signal id on disk (0 when none is known to be).
    pub fn id(&self) -> u64 {
        self.0.durable_id.load(Ordering::Acquire)
    }

    /// An fsync failed; `offset` and `id` no longer advance (the data may be lost).
    pub fn failed(&self) -> bool {
        self.0.failed.load(Ordering::Acquire)
    }
}

/// A segment the sync thread holds: its own handle on the file.
#[derive(Debug)]
pub(crate) struct Segment {
    pub base: u64,
    pub path: PathBuf,
    pub file: File,
}

/// Writer → sync thread.
#[derive(Debug)]
pub(crate) enum Msg {
    /// New data was written; sync per policy.
    Wake,
    /// The writer moved to this new segment; the previous one ends at its base.
    Rotated(Segment),
    /// Final sync (per policy), then exit.
    Stop,
}

/// The sync thread's state.
#[derive(Debug)]
pub(crate) struct Syncer {
    pub policy: FsyncPolicy,
    pub every: Duration,
    pub retain_segments: u32,
    pub retain_bytes: u64,
    pub dir: PathBuf,
    pub active: Segment,
    /// Finished segments still on disk, oldest first: (base, length, path).
    pub closed: VecDeque<(u64, u64, PathBuf)>,
    pub shared: Arc<Shared>,
    /// The core the engine loop is pinned to, if any: this thread keeps off it.
    pub loop_core: Option<usize>,
}

impl Syncer {
    /// Runs until [`Msg::Stop`] or the writer is gone.
    ///
    /// `every_ms` ticks on its own clock: the writer never wakes it, so an append costs the
    /// loop no futex wake and no cross-core interrupt (they were most of the journal's cost on
    /// the loop). `always` and `never` wait for the writer's messages.
    pub(super) fn run(mut self, rx: Receiver<Msg>) {
        crate::sys::keep_off_core(self.loop_core, "journal sync");
        let mut rotated = VecDeque::new();
        self.retain();
        let mut stop = false;
        let mut next_tick = Instant::now() + self.every;
        let mut synced = self.shared.written_end.load(Ordering::Acquire);
        while !stop {
            if self.policy == FsyncPolicy::EveryMs {
                // Group commit: gather everything written until the tick; rotations and Stop
                // still arrive as messages and are acted on at the tick (or at once for Stop).
                while !stop {
                    match rx.recv_deadline(next_tick) {
                        Ok(m) => stop |= take(m, &mut rotated),
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => stop = true,
                    }
                }
            } else {
                match rx.recv() {
                    Ok(m) => stop |= take(m, &mut rotated),
                    Err(_) => stop = true,
                }
            }
            // Cleared before reading the target: a write after this sends a fresh wake.
            self.shared.wake_pending.store(false, Ordering::SeqCst);
            // The id first: the writer stores it after the offset, so an id seen here was
            // written below the offset read next.
            let target_id = self.shared.written_id.load(Ordering::Acquire);
            let target = self.shared.written_end.load(Ordering::Acquire);
            // Rotations sent before `target` was published are in the channel by now.
            while let Ok(m) = rx.try_recv() {
                stop |= take(m, &mut rotated);
            }
            // An idle tick (nothing written, nothing rotated) costs no fsync.
            if target != synced || !rotated.is_empty() || stop {
                self.sync(&mut rotated, target, target_id);
                synced = target;
            }
            // The next tick counts from the end of this sync (as before): a sync slower than
            // the interval is followed by a pause, not at once by another.
            next_tick = Instant::now() + self.every;
        }
    }

    /// Syncs finished segments to their ends, then the active one up to `target`.
    fn sync(&mut self, rotated: &mut VecDeque<Segment>, target: u64, target_id: u64) {
        let on = self.policy != FsyncPolicy::Never && !self.shared.failed.load(Ordering::Acquire);
        while let Some(next) = rotated.pop_front() {
            if on && self.fsync(&self.active.file) {
                self.shared.durable_end.fetch_max(next.base, Ordering::AcqRel);
            }
            if on {
                if let Err(e) = super::segment::sync_dir(&self.dir) {
                    log::warn!("journal: cannot sync the directory {}: {e}", self.dir.display());
                }
            }
            let done = std::mem::replace(&mut self.active, next);
            self.closed.push_back((done.base, self.active.base - done.base, done.path));
            self.retain();
        }
        let on = on && !self.shared.failed.load(Ordering::Acquire);
        if on && target >= self.active.base && self.fsync(&self.active.file) {
            self.shared.durable_end.fetch_max(target, Ordering::AcqRel);
            self.shared.durable_id.fetch_max(target_id, Ordering::AcqRel);
        }
        // The active segment grows between rotations: a byte bound is checked after every
        // sync (and so once more at close), not only when a segment is finished.
        if self.retain_bytes > 0 {
            self.retain();
        }
    }

    /// `fdatasync`; on failure marks the journal failed (a failed fsync may have dropped the
    /// dirty pages, so retrying and reporting success would lie).
    fn fsync(&self, file: &File) -> bool {
        match file.sync_data() {
            Ok(()) => true,
            Err(e) => {
                log::error!(
                    "journal: fsync failed, nothing written from now on is known durable: {e}"
                );
                self.shared.failed.store(true, Ordering::Release);
                false
            }
        }
    }

    /// Deletes the oldest finished segments while the journal exceeds a retention bound.
    fn retain(&mut self) {
        let written = self.shared.written_end.load(Ordering::Acquire);
        let active_len = written.saturating_sub(self.active.base);
        loop {
            let count = self.closed.len() + 1;
            let bytes: u64 = self.closed.iter().map(|(_, len, _)| len).sum::<u64>() + active_len;
            let too_many = self.retain_segments > 0 && count > self.retain_segments as usize;
            let too_big = self.retain_bytes > 0 && bytes > self.retain_bytes;
            if !(too_many || too_big) {
                break;
            }
            let Some((_, _, path)) = self.closed.pop_front() else { break };
            match std::fs::remove_file(&path) {
                Ok(()) => log::debug!("journal: retention removed {}", path.display()),
                // Already gone (removed by hand): the bound holds either way.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => log::warn!("journal: cannot remove {}: {e}", path.display()),
            }
        }
    }
}

/// Files a message; true for [`Msg::Stop`].
fn take(m: Msg, rotated: &mut VecDeque<Segment>) -> bool {
    match m {
        Msg::Wake => false,
        Msg::Rotated(s) => {
            rotated.push_back(s);
            false
        }
        Msg::Stop => true,
    }
}
