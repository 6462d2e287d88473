//! Journal test helpers: a fast config, opening, records, reading ids back, segment files.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use v9bridge::journal::{
    FsyncPolicy, Journal, JournalConfig, JournalWriter, Kind, Reader, Record, Recovered, Source,
};

/// Small segments, no fsync (fast); tests that need durability say so.
pub fn cfg() -> JournalConfig {
    JournalConfig {
        fsync: FsyncPolicy::Never,
        segment_bytes: 1 << 20,
        retain_segments: 0,
        ..JournalConfig::default()
    }
}

#[track_caller]
pub fn open(dir: &Path, cfg: &JournalConfig) -> (JournalWriter, Recovered) {
    match Journal::open(dir, cfg) {
        Ok(v) => v,
        Err(e) => panic!("open {}: {e}", dir.display()),
    }
}

pub fn signal(id: u64, bytes: &[u8]) -> Record<'_> {
    Record::Signal { id, source: Source::Publisher("sc"), bytes }
}

pub const LINE: &[u8] = b"LONG|MES|1|TP:4700.25|SL:4650\n";

/// (kind, signal id or 0) of every record, failing on damage.
#[track_caller]
pub fn kinds_and_ids(dir: &Path) -> Vec<(Kind, u64)> {
    let mut r = Reader::open(dir).unwrap();
    let mut out = Vec::new();
    while let Some(e) = r.next_entry() {
        let e = e.unwrap_or_else(|e| panic!("{e}"));
        let id = match e.record {
            Record::Signal { id, .. } => id,
            _ => 0,
        };
        out.push((e.record.kind(), id));
    }
    out
}

pub fn signal_ids(dir: &Path) -> Vec<u64> {
    kinds_and_ids(dir).into_iter().filter(|(k, _)| *k == Kind::Signal).map(|(_, id)| id).collect()
}

pub fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "v9j"))
        .collect();
    v.sort();
    v
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[track_caller]
pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let limit = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `v9bridge journal cat DIR`'s human lines (the binary of the test's crate).
pub fn journal_cat(dir: &Path) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_v9bridge"))
        .args(["journal", "cat"])
        .arg(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
