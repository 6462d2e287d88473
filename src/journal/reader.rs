//! Reading the journal back: every record, the signals after an id (replay), the last N.
//!
//! Memory is bounded: one buffer of two maximal frames, reused across segments; entries borrow
//! from it. A reader at the end keeps its place and sees what is appended later
//! ([`Reader::refresh`] picks up new segments), so it can follow a live journal.

use super::error::{Damage, Error};
use super::record::{decode_body, Record};
use super::segment::{self, FrameReader, Step};
use std::path::{Path, PathBuf};

/// One record read back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry<'a> {
    /// Journal-wide offset of the record's first byte.
    pub offset: u64,
    /// When it was appended, Unix ns.
    pub wall_ns: i64,
    /// The record.
    pub record: Record<'a>,
}

/// Iterates records in journal order (a lending iterator: see [`Reader::next_entry`]).
#[derive(Debug)]
pub struct Reader {
    dir: PathBuf,
    segments: Vec<(u64, PathBuf)>,
    /// Index of the segment being read; `segments.len()` before the first.
    cur: usize,
    /// Reading `segments[cur]` (false: open the next one first).
    open: bool,
    frames: Option<FrameReader>,
    /// Only Signal records with an id above this.
    after: Option<u64>,
    /// Entries still to pass over before the first one returned.
    skip: u64,
}

impl Reader {
    /// Every record, oldest first.
    pub fn open(dir: &Path) -> Result<Reader, Error> {
        Ok(Reader::at(dir, segment::list(dir)?, 0))
    }

    /// Only the Signal records with an id above `n`, in id order, starting from the segment
    /// that holds `n + 1` (found from segment headers). For replay: the caller checks the first
    /// id is `n + 1` (older segments may have been deleted by retention) and applies its age
    /// and count windows from each entry's `wall_ns` and id.
    pub fn signals_after(dir: &Path, n: u64) -> Result<Reader, Error> {
        let segments = segment::list(dir)?;
        let mut start = 0;
        for (i, (_, path)) in segments.iter().enumerate() {
            // Unreadable (or deleted by retention since the listing): not a starting point.
            if let Ok(Ok(h)) = segment::read_header(path) {
                if h.first_id <= n.saturating_add(1) {
                    start = i;
                }
            }
        }
        let mut r = Reader::at(dir, segments, start);
        r.after = Some(n);
        Ok(r)
    }

    /// The last `n` records (then, if read on, whatever is appended after them).
    pub fn last(dir: &Path, n: u64) -> Result<Reader, Error> {
        let segments = segment::list(dir)?;
        let (mut start, mut skip, mut total) = (0, 0, 0u64);
        for (i, (_, path)) in segments.iter().enumerate().rev() {
            total += count_frames(path)?;
            start = i;
            if total >= n {
                skip = total - n;
                break;
            }
        }
        let mut r = Reader::at(dir, segments, start);
        r.skip = skip;
        Ok(r)
    }

    fn at(dir: &Path, segments: Vec<(u64, PathBuf)>, start: usize) -> Reader {
        Reader {
            dir: dir.to_path_buf(),
            cur: start,
            segments,
            open: false,
            frames: None,
            after: None,
            skip: 0,
        }
    }

    /// Picks up segments created since the reader was made (to follow a live journal).
    pub fn refresh(&mut self) -> Result<(), Error> {
        let newest = self.segments.last().map(|(b, _)| *b);
        for (base, path) in segment::list(&self.dir)? {
            if newest.is_none_or(|n| base > n) {
                self.segments.push((base, path));
            }
        }
        Ok(())
    }

    /// The next record; None at the end (for now: records appended later are read by a later
    /// call). Damage yields one `Err` naming the file and offset, and reading goes on with the
    /// next segment; a record still being written at the very end is not damage, just not
    /// there yet.
    pub fn next_entry(&mut self) -> Option<Result<Entry<'_>, Error>> {
        let (offset, start, len) = loop {
            if !self.open {
                if self.cur >= self.segments.len() {
                    return None;
                }
                match self.open_current() {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(e) => return Some(Err(e)),
                }
            }
            let last = self.cur + 1 >= self.segments.len();
            let frames = self.frames.as_mut()?;
            let step = match frames.step() {
                Ok(s) => s,
                Err(e) => return Some(Err(self.give_up_segment("read", e))),
            };
            match step {
                Step::End if last => return None,
                Step::End => self.next_segment(),
                Step::Bad { damage: Damage::Short, .. } if last => return None,
                Step::Bad { offset, damage } => return Some(Err(self.damaged(offset, damage))),
                Step::Frame { offset, start, len } => {
                    let verdict = match decode_body(frames.body(start, len)) {
                        Ok((_, rec)) => Ok(wanted(self.after, &rec)),
                        Err(d) => Err(d),
                    };
                    match verdict {
                        Err(d) => return Some(Err(self.damaged(offset, d))),
                        Ok(false) => {}
                        Ok(true) if self.skip > 0 => self.skip -= 1,
                        Ok(true) => break (offset, start, len),
                    }
                }
            }
        };
        let base = self.segments[self.cur].0;
        let frames = self.frames.as_ref()?;
        // Decoded once above already (the loop could not return the borrow): cannot fail.
        let (wall_ns, record) = decode_body(frames.body(start, len)).ok()?;
        Some(Ok(Entry { offset: base + offset, wall_ns, record }))
    }

    /// Opens `segments[cur]`; Ok(false) when it is the last and its header is not all there
    /// yet (being created).
    fn open_current(&mut self) -> Result<bool, Error> {
        let path = &self.segments[self.cur].1;
        let header = match &mut self.frames {
            Some(f) => f.reopen(path),
            None => FrameReader::open(path).map(|(f, h)| {
                self.frames = Some(f);
                h
            }),
        };
        let header = match header {
            Ok(h) => h,
            // Deleted by retention since it was listed: nothing to read there.
            Err(Error::Io { err, .. }) if err.kind() == std::io::ErrorKind::NotFound => {
                self.next_segment();
                return Ok(true);
            }
            Err(e) => {
                self.next_segment();
                return Err(e);
            }
        };
        match header {
            Ok(_) => {
                self.open = true;
                Ok(true)
            }
            Err(Damage::Short) if self.cur + 1 >= self.segments.len() => Ok(false),
            Err(damage) => {
                let segment = path.clone();
                self.next_segment();
                Err(Error::Corrupt { segment, offset: 0, damage })
            }
        }
    }

    fn next_segment(&mut self) {
        self.open = false;
        self.cur += 1;
    }

    fn damaged(&mut self, offset: u64, damage: Damage) -> Error {
        let segment = self.segments[self.cur].1.clone();
        self.next_segment();
        Error::Corrupt { segment, offset, damage }
    }

    fn give_up_segment(&mut self, op: &'static str, err: std::io::Error) -> Error {
        let e = Error::io(op, &self.segments[self.cur].1, err);
        self.next_segment();
        e
    }
}

fn wanted(after: Option<u64>, rec: &Record<'_>) -> bool {
    match (after, rec) {
        (None, _) => true,
        (Some(n), Record::Signal { id, .. }) => *id > n,
        (Some(_), _) => false,
    }
}

/// Checksummed frames in a segment, up to the first damage.
fn count_frames(path: &Path) -> Result<u64, Error> {
    let (mut r, header) = FrameReader::open(path)?;
    if header.is_err() {
        return Ok(0);
    }
    let mut n = 0;
    while let Step::Frame { .. } = r.step().map_err(|e| Error::io("read", path, e))? {
        n += 1;
    }
    Ok(n)
}
