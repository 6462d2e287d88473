//! Segment files: the header, file names, listing, and a buffered frame reader.
//!
//! A segment is `HEADER_LEN` header bytes followed by frames. Its name is its *base*: the
//! journal-wide offset of its first byte, 20 digits (`00000000000000065536.v9j`), so names sort
//! in journal order and an offset anywhere in the journal is `base + offset in the file`.

use super::crc::crc32c;
use super::error::{Damage, Error};
use super::record::{body_len, check_frame, FRAME_HEAD, MAX_FRAME};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// First bytes of every segment.
pub const MAGIC: [u8; 4] = *b"V9JL";
/// Format version this code writes and reads.
pub const VERSION: u16 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 48;
/// Segment file extension.
pub const EXT: &str = "v9j";

/// What a segment header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Journal-wide offset of the file's first byte (also its name).
    pub base: u64,
    /// The engine epoch when the segment was created.
    pub epoch: u64,
    /// The id the next signal was going to get when the segment was created (last id + 1).
    pub first_id: u64,
    /// Creation time, Unix ns.
    pub created_ns: i64,
}

impl Header {
    /// The header's bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&MAGIC);
        b[4..6].copy_from_slice(&VERSION.to_le_bytes());
        b[6..8].copy_from_slice(&(HEADER_LEN as u16).to_le_bytes());
        b[8..16].copy_from_slice(&self.base.to_le_bytes());
        b[16..24].copy_from_slice(&self.epoch.to_le_bytes());
        b[24..32].copy_from_slice(&self.first_id.to_le_bytes());
        b[32..40].copy_from_slice(&self.created_ns.to_le_bytes());
        let crc = crc32c(0, &b[..40]);
        b[40..44].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Parses and checks header bytes.
    pub fn decode(b: &[u8; HEADER_LEN]) -> Result<Header, Damage> {
        let u64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(a)
        };
        if b[0..4] != MAGIC {
            return Err(Damage::BadHeader("not a v9bridge journal segment (magic)"));
        }
        if crc32c(0, &b[..40]) != u32::from_le_bytes([b[40], b[41], b[42], b[43]]) {
            return Err(Damage::BadHeader("checksum mismatch"));
        }
        if u16::from_le_bytes([b[4], b[5]]) != VERSION {
            return Err(Damage::BadHeader("unsupported format version"));
        }
        if usize::from(u16::from_le_bytes([b[6], b[7]])) != HEADER_LEN {
            return Err(Damage::BadHeader("unexpected header length"));
        }
        Ok(Header {
            base: u64_at(8),
            epoch: u64_at(16),
            first_id: u64_at(24),
            created_ns: u64_at(32) as i64,
        })
    }
}

/// The file name of the segment at `base`.
pub fn file_name(base: u64) -> String {
    format!("{base:020}.{EXT}")
}

/// The base a segment file name stands for; None for any other file.
pub fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(EXT)?.strip_suffix('.')?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Segment files in `dir`, oldest first, as (base, path). Other files are ignored.
pub fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>, Error> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))? {
        let entry = entry.map_err(|e| Error::io("list", dir, e))?;
        if let Some(base) = entry.file_name().to_str().and_then(parse_name) {
            out.push((base, entry.path()));
        }
    }
    out.sort_unstable_by_key(|(b, _)| *b);
    Ok(out)
}

/// Creates the segment at `header.base` in `dir` and writes its header; fails if it exists.
pub fn create(dir: &Path, header: &Header) -> Result<(File, PathBuf), Error> {
    let path = dir.join(file_name(header.base));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| Error::io("create", &path, e))?;
    if let Err(e) = file.write_all(&header.encode()) {
        // Leave no half-written header behind: the next attempt creates the same name.
        let _ = std::fs::remove_file(&path);
        return Err(Error::io("write the header of", &path, e));
    }
    Ok((file, path))
}

/// Syncs a directory so that files created or removed in it survive a crash (no-op off Unix).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// One step of a [`FrameReader`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A checksummed frame at file offset `offset`; its body is `body(start, len)`.
    Frame {
        /// File offset of the frame.
        offset: u64,
        /// Where the body starts in the reader's buffer.
        start: usize,
        /// Body length.
        len: usize,
    },
    /// The file ends exactly at a frame boundary.
    End,
    /// Damage at file offset `offset`; the reader stays there.
    Bad {
        /// File offset of the damaged frame.
        offset: u64,
        /// What is wrong.
        damage: Damage,
    },
}

/// Reads frames from a segment through one fixed buffer (no allocation after `new`).
///
/// At the end of the file it keeps its place: a later [`FrameReader::step`] sees frames
/// appended since (for `--follow`).
#[derive(Debug)]
pub struct FrameReader {
    file: File,
    buf: Box<[u8]>,
    /// Buffered bytes are `buf[start..end]`; `buf[start]` is at file offset `offset`.
    start: usize,
    end: usize,
    offset: u64,
}

/// Buffer size: two of the largest frames, so any frame fits after compaction.
const BUF: usize = 2 * MAX_FRAME;

impl FrameReader {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<(FrameReader, Result<Header, Damage>), Error> {
        let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
        let buf = vec![0u8; BUF].into_boxed_slice();
        let mut r = FrameReader { file, buf, start: 0, end: 0, offset: 0 };
        let header = r.read_header().map_err(|e| Error::io("read", path, e))?;
        Ok((r, header))
    }

    /// Moves to another file, keeping the buffer (no allocation), and reads its header.
    pub fn reopen(&mut self, path: &Path) -> Result<Result<Header, Damage>, Error> {
        self.file = File::open(path).map_err(|e| Error::io("open", path, e))?;
        (self.start, self.end, self.offset) = (0, 0, 0);
        self.read_header().map_err(|e| Error::io("read", path, e))
    }

    /// Reads the header; on success the reader is at the first frame.
    fn read_header(&mut self) -> io::Result<Result<Header, Damage>> {
        if self.fill(HEADER_LEN)? < HEADER_LEN {
            return Ok(Err(Damage::Short));
        }
        let mut h = [0u8; HEADER_LEN];
        h.copy_from_slice(&self.buf[..HEADER_LEN]);
        let header = Header::decode(&h);
        if header.is_ok() {
            self.start = HEADER_LEN;
            self.offset = HEADER_LEN as u64;
        }
        Ok(header)
    }

    /// File offset of the next frame.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads the next frame (checking its length and checksum, not its body).
    pub fn step(&mut self) -> io::Result<Step> {
        let have = self.fill(FRAME_HEAD)?;
        if have == 0 {
            return Ok(Step::End);
        }
        if have < FRAME_HEAD {
            return Ok(Step::Bad { offset: self.offset, damage: Damage::Short });
        }
        let mut head = [0u8; FRAME_HEAD];
        head.copy_from_slice(&self.buf[self.start..self.start + FRAME_HEAD]);
        let len = match body_len(&head) {
            Ok(n) => n,
            Err(damage) => return Ok(Step::Bad { offset: self.offset, damage }),
        };
        if self.fill(FRAME_HEAD + len)? < FRAME_HEAD + len {
            return Ok(Step::Bad { offset: self.offset, damage: Damage::Short });
        }
        let body_start = self.start + FRAME_HEAD;
        if let Err(damage) = check_frame(&head, &self.buf[body_start..body_start + len]) {
            return Ok(Step::Bad { offset: self.offset, damage });
        }
        let step = Step::Frame { offset: self.offset, start: body_start, len };
        self.start = body_start + len;
        self.offset += (FRAME_HEAD + len) as u64;
        Ok(step)
    }

    /// The body of a frame returned by the last [`FrameReader::step`].
    pub fn body(&self, start: usize, len: usize) -> &[u8] {
        &self.buf[start..start + len]
    }

    /// Makes at least `want` bytes buffered if the file has them; returns how many are.
    fn fill(&mut self, want: usize) -> io::Result<usize> {
        if self.end - self.start >= want {
            return Ok(self.end - self.start);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        while self.end < want {
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) => break,
                Ok(n) => self.end += n,
                // A signal arrived mid-read: not an error, read again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end)
    }
}

/// Reads just the header of the segment at `path`.
pub fn read_header(path: &Path) -> Result<Result<Header, Damage>, Error> {
    let mut f = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut h = [0u8; HEADER_LEN];
    match f.read_exact(&mut h) {
        Ok(()) => Ok(Header::decode(&h)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(Err(Damage::Short)),
        Err(e) => Err(Error::io("read", path, e)),
    }
}
