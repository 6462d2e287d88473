//! Writing to the engine's named pipe as a client, as the ACSIL study does.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::time::Duration;

pub(super) struct Writer(File);

/// ERROR_PIPE_BUSY: the one server instance is taken (by a previous client, going away).
const PIPE_BUSY: i32 = 231;

impl Writer {
    /// Connects to the pipe, retrying every 20 ms while the server is absent or busy.
    pub(super) fn open(path: &str, give_up: &dyn Fn() -> bool) -> io::Result<Option<Writer>> {
        loop {
            match OpenOptions::new().write(true).open(path) {
                Ok(f) => return Ok(Some(Writer(f))),
                Err(e)
                    if e.kind() == io::ErrorKind::NotFound
                        || e.raw_os_error() == Some(PIPE_BUSY) => {}
                Err(e) => return Err(e),
            }
            if give_up() {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Writes all of `msg` (blocking: the engine reads continuously).
    pub(super) fn write_msg(
        &mut self,
        msg: &[u8],
        _give_up: &dyn Fn() -> bool,
    ) -> io::Result<bool> {
        match self.0.write_all(msg) {
            Ok(()) => Ok(true),
            // ERROR_NO_DATA (232): the server closed its end.
            Err(e) if e.raw_os_error() == Some(232) => Err(io::ErrorKind::BrokenPipe.into()),
            Err(e) => Err(e),
        }
    }
}
