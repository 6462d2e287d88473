//! Writing to a FIFO without blocking forever: open fails while no reader exists.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration;

pub(super) struct Writer(File);

impl Writer {
    /// Opens the FIFO for writing, retrying every 20 ms while it has no reader
    /// (ENXIO) or does not exist yet. `Ok(None)` when `give_up` says stop.
    pub(super) fn open(path: &str, give_up: &dyn Fn() -> bool) -> io::Result<Option<Writer>> {
        loop {
            match OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(path) {
                Ok(f) => return Ok(Some(Writer(f))),
                Err(e)
                    if e.raw_os_error() == Some(libc::ENXIO)
                        || e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            if give_up() {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Writes all of `msg`, waiting (poll, 10 ms slices) while the pipe is full.
    /// `Ok(false)` when `give_up` says stop first.
    pub(super) fn write_msg(
        &mut self,
        mut msg: &[u8],
        give_up: &dyn Fn() -> bool,
    ) -> io::Result<bool> {
        while !msg.is_empty() {
            match self.0.write(msg) {
                Ok(n) => msg = &msg[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if give_up() {
                        return Ok(false);
                    }
                    let mut p =
                        libc::pollfd { fd: self.0.as_raw_fd(), events: libc::POLLOUT, revents: 0 };
                    // SAFETY: one valid pollfd, for the duration of the call.
                    unsafe { libc::poll(&mut p, 1, 10) };
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}
