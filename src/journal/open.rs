//! Startup: verify every segment, cut a torn tail, refuse (or quarantine) corruption, start the
//! sync thread and a new epoch.

use super::error::{Damage, Error};
use super::scan::{salvage, scan_segment, Counts, KillSwitchState, Problem, SegmentScan, State};
use super::segment::{self, Header, HEADER_LEN};
use super::sync::{Segment, Shared, Syncer};
use super::writer::{JournalWriter, Start};
use super::{is_none, FsyncPolicy, JournalConfig, Record};
use std::collections::VecDeque;
use std::fmt;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Messages the writer can queue for the sync thread before a rotation would wait.
const CHANNEL: usize = 64;

/// Opens journals.
#[derive(Debug)]
pub struct Journal;

/// A torn last record cut at startup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The segment (removed if even its header was torn).
    pub segment: PathBuf,
    /// File offset where it was cut.
    pub offset: u64,
    /// Bytes cut.
    pub bytes: u64,
}

/// A corrupt segment set aside because `fresh_segment` was set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quarantined {
    /// Where it was.
    pub segment: PathBuf,
    /// Where it is now (`*.corrupt`; no longer read).
    pub moved_to: PathBuf,
    /// File offset of the damage.
    pub offset: u64,
    /// What was wrong.
    pub damage: Damage,
    /// Checksummed records found after the damage (their ids and epochs were taken into
    /// account, so none is reused).
    pub salvaged: u64,
}

/// What startup found.
#[derive(Clone, Debug, Default)]
pub struct Recovered {
    /// Highest signal id in the journal (the next one is this + 1).
    pub last_id: u64,
    /// The previous run's epoch (0 for a new journal).
    pub last_epoch: u64,
    /// This run's epoch (`last_epoch + 1`), written as an Epoch record; 0 when disabled.
    pub epoch: u64,
    /// The last kill-switch record.
    pub kill_switch: Option<KillSwitchState>,
    /// Accounts a loss limit excluded and nobody re-armed: (account, rule name).
    pub loss_excluded: Vec<(String, String)>,
    /// Good records per kind, over the segments read.
    pub counts: Counts,
    /// Segments in use after startup.
    pub segments: usize,
    /// The torn tail cut, if any.
    pub torn: Option<TornTail>,
    /// Corrupt segments set aside (`fresh_segment`).
    pub quarantined: Vec<Quarantined>,
    /// The segment started after the last good record because of corruption.
    pub fresh_segment: Option<PathBuf>,
}

impl Journal {
    /// Opens (creating it if needed) the journal in `dir` (normally `cfg.dir`), or returns a
    /// disabled writer when `dir` is `"none"`. Blocks (reads every segment, fsyncs): call it
    /// before the loop starts. The engine continues ids from [`Recovered::last_id`] + 1 and
    /// announces [`Recovered::epoch`].
    pub fn open(dir: &Path, cfg: &JournalConfig) -> Result<(JournalWriter, Recovered), Error> {
        Journal::open_beside(dir, cfg, None)
    }

    /// [`Journal::open`] for an engine whose loop is pinned to `loop_core`: the sync thread
    /// pins itself to another core, so that its wake-ups and I/O completions stay off the loop.
    pub fn open_beside(
        dir: &Path,
        cfg: &JournalConfig,
        loop_core: Option<usize>,
    ) -> Result<(JournalWriter, Recovered), Error> {
        if is_none(dir) {
            return Ok((JournalWriter::disabled(), Recovered::default()));
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        let (mut rec, mut kept, end) = recover(dir, cfg)?;
        let now = crate::clock::unix_nanos();
        let (file, path, base, pos) = active_segment(dir, &mut rec, &mut kept, end, now)?;
        rec.segments = kept.len() + 1;
        let shared = Arc::new(Shared::default());
        shared.written_end.store(base + pos, Ordering::Release);
        shared.written_id.store(rec.last_id, Ordering::Release);
        if cfg.fsync != FsyncPolicy::Never {
            file.sync_data().map_err(|e| Error::io("sync", &path, e))?;
            segment::sync_dir(dir).map_err(|e| Error::io("sync", dir, e))?;
            shared.durable_end.store(base + pos, Ordering::Release);
            shared.durable_id.store(rec.last_id, Ordering::Release);
        }
        let theirs =
            file.try_clone().map_err(|e| Error::io("duplicate the handle of", &path, e))?;
        let syncer = Syncer {
            policy: cfg.fsync,
            every: Duration::from_millis(cfg.fsync_every_ms),
            retain_segments: cfg.retain_segments,
            retain_bytes: cfg.retain_bytes,
            dir: dir.to_path_buf(),
            active: Segment { base, path, file: theirs },
            closed: kept.into_iter().map(|s| (s.base, s.len, s.path)).collect::<VecDeque<_>>(),
            shared: shared.clone(),
            loop_core,
        };
        let (tx, rx) = crossbeam_channel::bounded(CHANNEL);
        let thread = std::thread::Builder::new()
            .name("journal-sync".into())
            .spawn(move || syncer.run(rx))
            .map_err(|e| Error::io("start the sync thread for", dir, e))?;
        let start = Start {
            dir: dir.to_path_buf(),
            file,
            base,
            pos,
            segment_bytes: cfg.segment_bytes,
            last_id: rec.last_id,
            epoch: rec.last_epoch,
            kill: rec.kill_switch.as_ref().map(|k| (k.armed, k.wall_ns, k.by.clone())),
            policy: cfg.fsync,
        };
        let mut writer = JournalWriter::start(start, shared, tx, thread)?;
        writer.append(&Record::Epoch { n: rec.epoch }, now)?;
        Ok((writer, rec))
    }
}

/// The segment to write to: the last one, continued, unless corruption was set aside (then a
/// new one after the last good record, at `end`). Returns it with its base and write position.
fn active_segment(
    dir: &Path,
    rec: &mut Recovered,
    kept: &mut Vec<SegmentScan>,
    end: u64,
    now: i64,
) -> Result<(std::fs::File, PathBuf, u64, u64), Error> {
    // Continue the last segment, unless corruption was set aside: then a new one.
    let reuse = if rec.quarantined.is_empty() { kept.pop() } else { None };
    Ok(match reuse {
        Some(s) => {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&s.path)
                .map_err(|e| Error::io("open", &s.path, e))?;
            (file, s.path, s.base, s.len)
        }
        None => {
            let header =
                Header { base: end, epoch: rec.epoch, first_id: rec.last_id + 1, created_ns: now };
            let (file, path) = segment::create(dir, &header)?;
            if !rec.quarantined.is_empty() {
                log::warn!("journal: fresh segment {} after the last good record", path.display());
                rec.fresh_segment = Some(path.clone());
            }
            (file, path, end, HEADER_LEN as u64)
        }
    })
}

/// Reads every segment in order: cuts a torn tail, refuses corruption (or, with
/// `fresh_segment`, salvages the ids after it and quarantines the segment). Returns what was
/// found, the segments kept (oldest first) and the end offset of the last good record.
fn recover(dir: &Path, cfg: &JournalConfig) -> Result<(Recovered, Vec<SegmentScan>, u64), Error> {
    let mut rec = Recovered::default();
    let mut st = State::default();
    let (mut header_epoch, mut header_id) = (0, 0);
    let mut kept: Vec<SegmentScan> = Vec::new();
    let mut end = 0u64;
    let list = segment::list(dir)?;
    for (i, (base, path)) in list.iter().enumerate() {
        let mut scan = scan_segment(*base, path, i + 1 == list.len(), &mut st)?;
        if let Some(h) = scan.header {
            header_epoch = header_epoch.max(h.epoch);
            header_id = header_id.max(h.first_id.saturating_sub(1));
        }
        match scan.problem {
            None => {
                end = end.max(base + scan.len);
                kept.push(scan);
            }
            Some(Problem::Torn { offset, bytes }) => {
                cut(path, offset)?;
                log::warn!(
                    "journal: torn last record cut: {} at offset {offset} ({bytes} bytes)",
                    path.display()
                );
                rec.torn = Some(TornTail { segment: path.clone(), offset, bytes });
                if offset >= HEADER_LEN as u64 {
                    scan.len = offset;
                    end = end.max(base + offset);
                    kept.push(scan);
                }
            }
            Some(Problem::Corrupt { offset, damage }) => {
                if !cfg.fresh_segment {
                    return Err(Error::Corrupt { segment: path.clone(), offset, damage });
                }
                let salvaged = salvage(path, offset, &mut st)?;
                let moved_to = quarantine(path)?;
                log::warn!(
                    "journal: {} is corrupt at offset {offset} ({damage}); moved to {} \
                     ({salvaged} records after the damage counted for ids only)",
                    path.display(),
                    moved_to.display()
                );
                end = end.max(base + scan.len);
                let segment = path.clone();
                rec.quarantined.push(Quarantined { segment, moved_to, offset, damage, salvaged });
            }
        }
    }
    rec.last_id = st.last_id.max(header_id);
    rec.last_epoch = st.last_epoch.max(header_epoch);
    rec.epoch = rec.last_epoch + 1;
    rec.counts = st.counts;
    rec.kill_switch = st.kill_switch.clone();
    rec.loss_excluded = st.loss_excluded.clone();
    Ok((rec, kept, end))
}

/// Cuts a torn tail: truncates at `offset`, or removes the file when not even its header
/// survived.
fn cut(path: &Path, offset: u64) -> Result<(), Error> {
    if offset < HEADER_LEN as u64 {
        std::fs::remove_file(path).map_err(|e| Error::io("remove", path, e))?;
        if let Some(dir) = path.parent() {
            segment::sync_dir(dir).map_err(|e| Error::io("sync", dir, e))?;
        }
        return Ok(());
    }
    let f = OpenOptions::new().write(true).open(path).map_err(|e| Error::io("open", path, e))?;
    f.set_len(offset).map_err(|e| Error::io("truncate", path, e))?;
    f.sync_all().map_err(|e| Error::io("sync", path, e))
}

/// Renames a corrupt segment to `NAME.corrupt` (or `NAME.corrupt.N` if that exists).
fn quarantine(path: &Path) -> Result<PathBuf, Error> {
    let mut to = PathBuf::from(format!("{}.corrupt", path.display()));
    let mut n = 1;
    while to.exists() {
        to = PathBuf::from(format!("{}.corrupt.{n}", path.display()));
        n += 1;
    }
    std::fs::rename(path, &to).map_err(|e| Error::io("rename", path, e))?;
    Ok(to)
}

impl fmt::Display for Recovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch == 0 {
            return f.write_str("journal disabled");
        }
        write!(
            f,
            "journal: {} segment(s), {} records ({} signals), last id {}, epoch {}",
            self.segments,
            self.counts.total(),
            self.counts.get(super::Kind::Signal),
            self.last_id,
            self.epoch
        )?;
        if let Some(k) = &self.kill_switch {
            let state = if k.armed { "armed" } else { "released" };
            write!(f, ", kill switch {state} by {}", k.by)?;
        }
        if let Some(t) = &self.torn {
            write!(
                f,
                "; torn tail cut: {} at offset {} ({} bytes)",
                t.segment.display(),
                t.offset,
                t.bytes
            )?;
        }
        for q in &self.quarantined {
            write!(
                f,
                "; CORRUPT {} at offset {} ({}), moved to {}",
                q.segment.display(),
                q.offset,
                q.damage,
                q.moved_to.display()
            )?;
        }
        if let Some(p) = &self.fresh_segment {
            write!(f, "; fresh segment {} after the last good record", p.display())?;
        }
        Ok(())
    }
}
