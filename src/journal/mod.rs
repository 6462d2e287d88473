//! The signal journal: an append-only, checksummed record of every signal, refusal, receiver
//! connection, position summary and kill-switch change, in segment files (issue #12).
//!
//! - [`Journal::open`] recovers: it verifies every record of every segment, cuts a torn tail
//!   (and says so), refuses a corrupt journal (with file, offset and reason) unless
//!   `fresh_segment` is set, and starts a new epoch by writing an [`Record::Epoch`].
//! - [`JournalWriter::append`] is the loop's call: encode into a preallocated buffer, one
//!   `write(2)`, no allocation, no fsync, no lock, no wait. A sync thread does group commit
//!   (policy [`FsyncPolicy`]), rotation hand-over and retention; [`Durability`] tells any
//!   thread what is on disk.
//! - [`Reader`] reads records back (signals after an id, for replay; the last N records).
//!
//! Format: see [`record`] (frames) and [`segment`] (files and header).

#[cfg(feature = "tools")]
pub mod cli;
mod crc;
mod error;
mod open;
mod reader;
pub mod record;
mod scan;
pub mod segment;
mod sync;
mod writer;

pub use crc::crc32c;
pub use error::{Damage, Error};
pub use open::{Journal, Quarantined, Recovered, TornTail};
pub use reader::{Entry, Reader};
pub use record::{Kind, PositionSummary, Receiver, Record, Source};
pub use scan::{scan_segment, Counts, KillSwitchState, Problem, SegmentScan, State};
pub use sync::Durability;
pub use writer::{JournalWriter, Offset};

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// When the sync thread calls `fdatasync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FsyncPolicy {
    /// At most once per `fsync_every_ms`, covering everything written until then (default).
    #[default]
    EveryMs,
    /// As soon as it is woken, covering everything written until then.
    Always,
    /// Never: the kernel writes back when it likes (a power loss can lose recent records).
    Never,
}

/// `[journal]`: where the journal lives, how it syncs, how much it keeps.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct JournalConfig {
    /// Directory of segment files; `"none"` disables the journal.
    pub dir: PathBuf,
    /// `every_ms`, `always` or `never`.
    pub fsync: FsyncPolicy,
    /// Group-commit interval for `fsync = "every_ms"`.
    pub fsync_every_ms: u64,
    /// A segment reaching this size is closed and a new one started.
    pub segment_bytes: u64,
    /// Keep at most this many segments (0 = no limit).
    pub retain_segments: u32,
    /// Keep at most about this many bytes: the oldest segments go first, the active one never
    /// (0 = no limit).
    pub retain_bytes: u64,
    /// Start even if a segment is corrupt: quarantine it (renamed `*.corrupt`) and start a new
    /// segment after the last good record. Set it for one start, after reading the error.
    pub fresh_segment: bool,
    /// Replay to a reconnecting receiver covers at most this many signals (beyond: SYNC).
    pub replay_max_signals: usize,
    /// The replay window holds at most this many bytes of signals (memory bound).
    pub replay_max_bytes: usize,
    /// Replay covers signals at most this old, seconds (beyond: SYNC).
    pub replay_max_age_s: u64,
    /// A receiver's reported position may differ from the expected one this long, ms, before
    /// it is flagged out of sync (fills take time).
    pub reconcile_grace_ms: u64,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig {
            dir: PathBuf::from("./journal"),
            fsync: FsyncPolicy::EveryMs,
            fsync_every_ms: 5,
            segment_bytes: 64 << 20,
            retain_segments: 16,
            retain_bytes: 0,
            fresh_segment: false,
            replay_max_signals: 10_000,
            replay_max_bytes: 8 << 20,
            replay_max_age_s: 300,
            reconcile_grace_ms: 5000,
        }
    }
}

impl JournalConfig {
    /// False for `dir = "none"`.
    pub fn enabled(&self) -> bool {
        !is_none(&self.dir)
    }

    /// Checks ranges, naming the key.
    pub fn validate(&self) -> Result<(), String> {
        if self.dir.as_os_str().is_empty() {
            return Err("journal.dir must be a directory or \"none\"".into());
        }
        if !(1..=60_000).contains(&self.fsync_every_ms) {
            return Err("journal.fsync_every_ms must be in [1, 60000]".into());
        }
        if !(MIN_SEGMENT_BYTES..=MAX_SEGMENT_BYTES).contains(&self.segment_bytes) {
            return Err(format!(
                "journal.segment_bytes must be in [{MIN_SEGMENT_BYTES}, {MAX_SEGMENT_BYTES}]"
            ));
        }
        if self.replay_max_signals > 1_000_000 {
            return Err("journal.replay_max_signals must be at most 1000000".into());
        }
        if !(4096..=(1 << 30)).contains(&self.replay_max_bytes) {
            return Err("journal.replay_max_bytes must be in [4096, 1073741824]".into());
        }
        if self.replay_max_age_s > 86_400 {
            return Err("journal.replay_max_age_s must be at most 86400".into());
        }
        if !(100..=3_600_000).contains(&self.reconcile_grace_ms) {
            return Err("journal.reconcile_grace_ms must be in [100, 3600000]".into());
        }
        if self.retain_bytes != 0 && self.retain_bytes < self.segment_bytes {
            return Err("journal.retain_bytes must be 0 (no limit) or >= segment_bytes".into());
        }
        Ok(())
    }
}

/// Smallest `segment_bytes` (a header and one large record fit).
pub const MIN_SEGMENT_BYTES: u64 = 4096;
/// Largest `segment_bytes`.
pub const MAX_SEGMENT_BYTES: u64 = 1 << 40;

/// `dir = "none"`.
fn is_none(dir: &std::path::Path) -> bool {
    dir.as_os_str() == "none"
}

#[cfg(test)]
mod tests;
