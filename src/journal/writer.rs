//! The writer the loop owns: encode into a preallocated buffer, `write(2)`, publish, wake.

use super::error::Error;
use super::record::{encode_frame, Record, MAX_FRAME};
use super::segment::{self, Header, HEADER_LEN};
use super::sync::{Durability, Msg, Segment, Shared};
use super::FsyncPolicy;
use crossbeam_channel::{Sender, TrySendError};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;

/// Where a record ends, journal-wide: the record is on disk once
/// [`Durability::offset`] is `>=` this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Offset(pub u64);

/// Appends records to the journal; owned by the loop thread.
///
/// [`JournalWriter::append`] encodes into a buffer allocated once, writes to the page cache
/// with one `write(2)`, and returns: it never fsyncs, never waits for the sync thread and never
/// allocates (except when it rotates to a new segment, once per `segment_bytes`). A disabled
/// writer (`dir = "none"`) accepts every record and writes nothing.
#[derive(Debug)]
pub struct JournalWriter {
    inner: Option<Box<Active>>,
    /// For a disabled writer too, so that [`JournalWriter::durability`] always has an answer.
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Active {
    dir: PathBuf,
    file: File,
    /// Journal-wide offset of the active segment's first byte.
    base: u64,
    /// Bytes in the active segment (header included).
    pos: u64,
    segment_bytes: u64,
    /// `[..MAX_FRAME]` for the record being appended, `[MAX_FRAME..]` for the kill-switch
    /// state carried into a new segment.
    buf: Box<[u8]>,
    last_id: u64,
    epoch: u64,
    /// Last kill-switch record (armed, wall_ns) and its `by`, kept to carry it forward.
    kill: Option<(bool, i64)>,
    kill_by: String,
    policy: FsyncPolicy,
    tx: Sender<Msg>,
    thread: Option<JoinHandle<()>>,
    failed: bool,
}

/// What [`JournalWriter::start`] needs to know about the recovered journal.
#[derive(Debug)]
pub(crate) struct Start {
    pub dir: PathBuf,
    pub file: File,
    pub base: u64,
    pub pos: u64,
    pub segment_bytes: u64,
    pub last_id: u64,
    pub epoch: u64,
    pub kill: Option<(bool, i64, String)>,
    pub policy: FsyncPolicy,
}

impl JournalWriter {
    /// A writer that accepts everything and writes nothing (`dir = "none"`).
    pub fn disabled() -> JournalWriter {
        JournalWriter { inner: None, shared: Arc::default() }
    }

    pub(crate) fn start(
        s: Start,
        shared: Arc<Shared>,
        tx: Sender<Msg>,
        thread: JoinHandle<()>,
    ) -> Result<JournalWriter, Error> {
        let mut file = s.file;
        file.seek(SeekFrom::Start(s.pos)).map_err(|e| Error::io("seek in", &s.dir, e))?;
        let (kill, kill_by) = match s.kill {
            Some((armed, t, by)) => (Some((armed, t)), by),
            None => (None, String::new()),
        };
        let mut kill_by = kill_by;
        kill_by.reserve(256);
        let a = Active {
            dir: s.dir,
            file,
            base: s.base,
            pos: s.pos,
            segment_bytes: s.segment_bytes,
            buf: vec![0u8; 2 * MAX_FRAME].into_boxed_slice(),
            last_id: s.last_id,
            epoch: s.epoch,
            kill,
            kill_by,
            policy: s.policy,
            tx,
            thread: Some(thread),
            failed: false,
        };
        Ok(JournalWriter { inner: Some(Box::new(a)), shared })
    }

    /// Appends `rec` stamped `wall_ns` (Unix ns) and returns where it ends.
    ///
    /// Refuses, writing nothing, a signal id or epoch not above the last one
    /// ([`Error::OutOfOrder`]: ids never repeat) and a record over the size limit
    /// ([`Error::TooLarge`]). A failed `write(2)` is cut back off the file ([`Error::Write`]);
    /// if that fails too the writer refuses everything after ([`Error::Failed`]).
    pub fn append(&mut self, rec: &Record<'_>, wall_ns: i64) -> Result<Offset, Error> {
        match &mut self.inner {
            None => Ok(Offset(0)),
            Some(a) => a.append(rec, wall_ns, &self.shared),
        }
    }

    /// False for `dir = "none"`.
    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Highest signal id written (the pipeline's next id is this + 1).
    pub fn last_id(&self) -> u64 {
        self.inner.as_ref().map_or(0, |a| a.last_id)
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.inner.as_ref().map_or(0, |a| a.epoch)
    }

    /// Journal-wide offset just past the last record written (page cache).
    pub fn written_offset(&self) -> u64 {
        self.inner.as_ref().map_or(0, |a| a.base + a.pos)
    }

    /// What is on disk (stays 0 for a disabled writer and with `fsync = "never"`).
    pub fn durability(&self) -> Durability {
        Durability(self.shared.clone())
    }

    /// Stops the sync thread after its final sync (per policy) and waits for it. Errors if an
    /// fsync ever failed. Dropping the writer does the same and ignores the result.
    pub fn close(mut self) -> Result<(), Error> {
        self.stop();
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(Error::Failed);
        }
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(a) = &mut self.inner {
            if let Some(t) = a.thread.take() {
                // The thread is gone only if it panicked; join reports that below.
                let _ = a.tx.send(Msg::Stop);
                if t.join().is_err() {
                    log::error!("journal: the sync thread panicked");
                }
            }
        }
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Active {
    fn append(&mut self, rec: &Record<'_>, wall_ns: i64, shared: &Shared) -> Result<Offset, Error> {
        if self.failed {
            return Err(Error::Failed);
        }
        match *rec {
            Record::Signal { id, .. } if id <= self.last_id => {
                return Err(Error::OutOfOrder { what: "signal id", value: id, last: self.last_id });
            }
            Record::Epoch { n } if n <= self.epoch => {
                return Err(Error::OutOfOrder { what: "epoch", value: n, last: self.epoch });
            }
            _ => {}
        }
        let n = encode_frame(rec, wall_ns, &mut self.buf[..MAX_FRAME])?;
        if self.pos + n as u64 > self.segment_bytes && self.pos > HEADER_LEN as u64 {
            self.rotate(wall_ns)?;
        }
        self.write(0, n)?;
        match *rec {
            Record::Signal { id, .. } => self.last_id = id,
            Record::Epoch { n } => self.epoch = n,
            Record::KillSwitch { armed, by } => {
                self.kill = Some((armed, wall_ns));
                self.kill_by.clear();
                self.kill_by.push_str(by);
            }
            _ => {}
        }
        let end = self.base + self.pos;
        // The offset before the id: the sync thread reads them in the other order.
        shared.written_end.store(end, Ordering::Release);
        shared.written_id.store(self.last_id, Ordering::Release);
        // `every_ms` syncs on the thread's own tick: no wake (a futex call and an interrupt on
        // another core per sync interval, on the loop). `never` has nothing to do.
        if self.policy == FsyncPolicy::Always
            && !shared.wake_pending.load(Ordering::Relaxed)
            && !shared.wake_pending.swap(true, Ordering::AcqRel)
        {
            // Full: messages are queued, so the thread wakes and reads the latest offset
            // anyway. Disconnected: the thread is gone (it panicked); nothing gets synced.
            let _ = self.tx.try_send(Msg::Wake);
        }
        Ok(Offset(end))
    }

    /// Writes `buf[from..from + n]` at the end of the active segment.
    fn write(&mut self, from: usize, n: usize) -> Result<(), Error> {
        match (&self.file).write_all(&self.buf[from..from + n]) {
            Ok(()) => {
                self.pos += n as u64;
                Ok(())
            }
            Err(e) => {
                // Part of the frame may be in the file: cut it, or a later record would follow
                // a torn one in the middle of the segment.
                let undo = self
                    .file
                    .set_len(self.pos)
                    .and_then(|()| self.file.seek(SeekFrom::Start(self.pos)));
                if let Err(u) = undo {
                    log::error!("journal: cannot cut a failed write ({e}) back off: {u}");
                    self.failed = true;
                }
                Err(Error::Write(e))
            }
        }
    }

    /// Starts a new segment (allocates: a path, a file). The new segment opens with the
    /// kill-switch state, so that retention deleting old segments never forgets it.
    fn rotate(&mut self, wall_ns: i64) -> Result<(), Error> {
        let header = Header {
            base: self.base + self.pos,
            epoch: self.epoch,
            first_id: self.last_id + 1,
            created_ns: wall_ns,
        };
        let (file, path) = segment::create(&self.dir, &header)?;
        let theirs =
            file.try_clone().map_err(|e| Error::io("duplicate the handle of", &path, e))?;
        let msg = Msg::Rotated(Segment { base: header.base, path, file: theirs });
        // Sent before any record of the new segment is published. Full: the sync thread is 64
        // messages behind; waiting for it is the only way not to lose the hand-over.
        if let Err(TrySendError::Full(m)) = self.tx.try_send(msg) {
            let _ = self.tx.send(m);
        }
        self.file = file;
        self.base = header.base;
        self.pos = HEADER_LEN as u64;
        if let Some((armed, t)) = self.kill {
            let rec = Record::KillSwitch { armed, by: &self.kill_by };
            let n = encode_frame(&rec, t, &mut self.buf[MAX_FRAME..])?;
            self.write(MAX_FRAME, n)?;
        }
        Ok(())
    }
}
