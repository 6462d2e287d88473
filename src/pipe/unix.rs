//! Linux/Unix side of the pipe ingest: a FIFO read through mio, with our own write end held.

use mio::unix::pipe::Receiver;
use mio::{Interest, Registry, Token};
use std::fs::OpenOptions;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// The FIFO's read end (registered) and a write end that is never written: while any write end
/// is open, a writer closing is not EOF, so the read end never turns permanently readable (no
/// busy loop) and the next writer just opens the FIFO again, with no reopen on our side.
#[derive(Debug)]
pub(super) struct PipeIo {
    rx: Receiver,
    _keep_open: OwnedFd,
    /// Device and inode of the FIFO we read, to tell when the path no longer names it.
    id: (u64, u64),
}

impl PipeIo {
    /// Creates the FIFO if absent (an existing non-FIFO path is an error) and opens both ends.
    pub(super) fn open(path: &str) -> io::Result<PipeIo> {
        ensure_fifo(Path::new(path))?;
        // O_NOFOLLOW: a symlink planted at the path must not redirect us to someone's FIFO.
        let flags = libc::O_NONBLOCK | libc::O_NOFOLLOW;
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{path}: {e}"));
        let rd = OpenOptions::new().read(true).custom_flags(flags).open(path).map_err(named)?;
        let m = check_private(&rd, path)?;
        // Opening the write end non-blocking succeeds now that a reader (us) exists.
        let wr = OpenOptions::new().write(true).custom_flags(flags).open(path).map_err(named)?;
        let w = check_private(&wr, path)?;
        if (w.dev(), w.ino()) != (m.dev(), m.ino()) {
            // The path was swapped between the two opens (by someone with rights to do that).
            return Err(io::Error::other(format!("{path}: replaced while being opened")));
        }
        let (rx, keep) = (Receiver::from(OwnedFd::from(rd)), OwnedFd::from(wr));
        Ok(PipeIo { rx, _keep_open: keep, id: (m.dev(), m.ino()) })
    }

    /// Registers the read end for READABLE.
    pub(super) fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        registry.register(&mut self.rx, token, Interest::READABLE)
    }

    /// Deregisters the read end (before this FIFO is replaced by a new one).
    pub(super) fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        registry.deregister(&mut self.rx)
    }

    /// `None` while `path` still names the FIFO we read; otherwise what happened to it. A FIFO
    /// removed while open stays readable, but no new writer can reach it, and a FIFO planted
    /// at the path would get the study's feed.
    pub(super) fn moved(&self, path: &str) -> Option<String> {
        // lstat: a symlink at the path is itself the change.
        match std::fs::symlink_metadata(path) {
            Ok(m) if (m.dev(), m.ino()) == self.id => None,
            Ok(m) => Some(format!(
                "replaced by a {} owned by uid {} with mode {:o}",
                kind(&m.file_type()),
                m.uid(),
                m.mode() & 0o7777
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Some("removed".into()),
            Err(e) => Some(format!("no longer readable ({e})")),
        }
    }

    /// True when a writer connected since the last call; a FIFO cannot tell, so never.
    pub(super) fn poll_connect(&mut self) -> io::Result<bool> {
        Ok(false)
    }

    /// Writer connects seen, when the platform can tell (a FIFO cannot).
    pub(super) fn connects(&self) -> Option<u64> {
        None
    }

    /// Non-blocking read; `Ok(0)` cannot happen while our write end is open.
    pub(super) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.rx.read(buf)
    }

    /// After `Ok(0)`: nothing to re-arm on a FIFO.
    pub(super) fn writer_left(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a file type is called in log lines.
fn kind(t: &std::fs::FileType) -> &'static str {
    if t.is_fifo() {
        "FIFO"
    } else if t.is_symlink() {
        "symlink"
    } else if t.is_dir() {
        "directory"
    } else if t.is_file() {
        "regular file"
    } else {
        "special file"
    }
}

/// Refuses a FIFO that another user owns or may open: whoever can write it can send signals.
/// Checked on the open fd (fstat), so the path cannot be swapped after the check.
fn check_private(f: &std::fs::File, path: &str) -> io::Result<std::fs::Metadata> {
    let m = f.metadata()?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if !m.file_type().is_fifo() || m.uid() != euid || m.mode() & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{path}: refusing a pipe owned by uid {} with mode {:o}: it must be a FIFO owned by \
                 uid {euid} and closed to group and others (chmod 600)",
                m.uid(),
                m.mode() & 0o7777
            ),
        ));
    }
    Ok(m)
}

fn ensure_fifo(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.file_type().is_fifo() => return Ok(()),
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a FIFO", path.display()),
            ))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidInput, "FIFO path contains a NUL byte")
    })?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        let e = io::Error::last_os_error();
        // Someone created it between our check and mkfifo: fine if it is a FIFO.
        if e.kind() == io::ErrorKind::AlreadyExists
            && std::fs::metadata(path)?.file_type().is_fifo()
        {
            return Ok(());
        }
        return Err(e);
    }
    Ok(())
}
