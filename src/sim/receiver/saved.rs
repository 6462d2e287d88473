//! `--state-file`: the simulated receiver's memory on disk, so a killed process resumes.
//
// A real receiver's positions live at its broker and survive a crash; the simulator's live in
// memory. With a state file, its book, per-account last ids, epoch and execution log are
// written as one consistent snapshot (temp file + rename, so a kill -9 leaves the old or the
// new one, never half). A stale snapshot is safe: the restarted process resumes from the ids in
// the same snapshot as the book, and the server's replay brings it forward; dedupe skips nothing
// that snapshot did not execute.

use super::ReceiverReport;
use crate::sim::model::Book;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What the state file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Saved {
    /// Last server epoch.
    pub epoch: Option<u64>,
    /// Highest id received.
    pub high: u64,
    /// Per account, the last id executed.
    pub last_executed: Vec<u64>,
    /// Holdings.
    pub book: Book,
    /// (id, accounts executed on) per executed signal, across every life of the process.
    pub executions: Vec<(u64, u32)>,
    /// Counters carried over.
    pub signals: u64,
    /// (account, signal) executions skipped as already executed.
    pub duplicates: u64,
    /// Signals skipped entirely as duplicates.
    pub duplicate_signals: u64,
    /// `Replay:1` signals seen.
    pub replayed: u64,
    /// SYNC lines applied.
    pub syncs: u64,
    /// Connections made, every life together.
    pub connections: u64,
}

impl Saved {
    /// The snapshot of a report plus the ids kept outside it.
    pub(super) fn of(r: &ReceiverReport, high: u64) -> Saved {
        Saved {
            epoch: r.epoch,
            high,
            last_executed: r.last_executed.clone(),
            book: r.book.clone(),
            executions: r.executions.clone(),
            signals: r.signals,
            duplicates: r.duplicates,
            duplicate_signals: r.duplicate_signals,
            replayed: r.replayed,
            syncs: r.syncs,
            connections: r.connections,
        }
    }

    /// Puts the snapshot back into a report; returns the highest id received.
    pub(super) fn restore(self, r: &mut ReceiverReport) -> u64 {
        r.epoch = self.epoch;
        r.last_executed = self.last_executed;
        r.book = self.book;
        r.executions = self.executions;
        r.signals = self.signals;
        r.duplicates = self.duplicates;
        r.duplicate_signals = self.duplicate_signals;
        r.replayed = self.replayed;
        r.syncs = self.syncs;
        r.connections = self.connections;
        self.high
    }

    /// Reads `path`; `Ok(None)` when it does not exist yet.
    pub fn load(path: &Path) -> Result<Option<Saved>, String> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("state file {}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("state file {}: {e}", path.display())),
        }
    }

    /// Writes `path` atomically (a sibling temp file renamed over it).
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let tmp = path.with_extension("tmp");
        let json = serde_json::to_vec(self).map_err(|e| e.to_string())?;
        std::fs::write(&tmp, json)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| format!("state file {}: {e}", path.display()))
    }
}
