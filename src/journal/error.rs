//! Journal errors: a Copy [`Damage`] for what is wrong with bytes, one [`Error`] for callers.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What is wrong with the bytes at an offset of a segment file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damage {
    /// The file ends inside a record (its length prefix or its body is cut short).
    Short,
    /// The length prefix is 0 or above [`MAX_BODY`](super::record::MAX_BODY).
    BadLength,
    /// The record's checksum does not match its bytes.
    BadChecksum,
    /// The checksum matches but the body does not decode (what is wrong is named).
    BadBody(&'static str),
    /// The segment header is unreadable (what is wrong is named).
    BadHeader(&'static str),
    /// Well-formed, but breaks an ordering rule (ids, epochs, segment offsets; named).
    OutOfOrder(&'static str),
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::Short => f.write_str("record cut short by the end of the file"),
            Damage::BadLength => f.write_str("bad record length"),
            Damage::BadChecksum => f.write_str("checksum mismatch"),
            Damage::BadBody(what) => write!(f, "bad record body: {what}"),
            Damage::BadHeader(what) => write!(f, "bad segment header: {what}"),
            Damage::OutOfOrder(what) => write!(f, "out of order: {what}"),
        }
    }
}

/// Everything a journal call can fail with.
///
/// `append` only returns the variants that need no allocation (`Write`, `TooLarge`,
/// `OutOfOrder`, `Failed`); paths appear only on the cold paths (open, rotate, read).
#[derive(Debug)]
pub enum Error {
    /// A file-system call failed on `path`.
    Io {
        /// What was being done ("open", "create", "truncate", …).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        err: io::Error,
    },
    /// `write(2)` to the active segment failed; the partial record was cut back off, so the
    /// writer stays usable (unless it could not be: then [`Error::Failed`] follows).
    Write(io::Error),
    /// A segment is damaged somewhere a torn write cannot explain: the journal refuses to
    /// open (see `fresh_segment`).
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// Byte offset inside that file.
        offset: u64,
        /// What is wrong there.
        damage: Damage,
    },
    /// The record does not fit the format (a field over 65,535 bytes or a body over
    /// [`MAX_BODY`](super::record::MAX_BODY)); nothing was written.
    TooLarge(&'static str),
    /// A signal id or epoch not above the last one written; nothing was written.
    OutOfOrder {
        /// "signal id" or "epoch".
        what: &'static str,
        /// The value offered.
        value: u64,
        /// The last value written.
        last: u64,
    },
    /// An earlier write failed and could not be undone: the writer accepts nothing more.
    Failed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { op, path, err } => {
                write!(f, "journal: cannot {op} {}: {err}", path.display())
            }
            Error::Write(e) => write!(f, "journal: write failed: {e}"),
            Error::Corrupt { segment, offset, damage } => {
                write!(f, "journal: {} is corrupt at offset {offset}: {damage}", segment.display())
            }
            Error::TooLarge(what) => write!(f, "journal: record too large ({what})"),
            Error::OutOfOrder { what, value, last } => {
                write!(f, "journal: {what} {value} is not above the last one ({last})")
            }
            Error::Failed => f.write_str("journal: the writer failed earlier and is closed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { err, .. } | Error::Write(err) => Some(err),
            _ => None,
        }
    }
}

impl Error {
    /// [`Error::Io`] naming the operation and path (cold paths only: it copies the path).
    pub(crate) fn io(op: &'static str, path: &std::path::Path, err: io::Error) -> Error {
        Error::Io { op, path: path.to_path_buf(), err }
    }
}
