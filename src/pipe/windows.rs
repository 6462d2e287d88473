//! Windows side of the pipe ingest: the engine is the named-pipe server the ACSIL study connects to.

use mio::windows::NamedPipe;
use mio::{Interest, Registry, Token};
use std::io::{self, Read};
use std::os::windows::io::{FromRawHandle, RawHandle};
use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
use windows_sys::Win32::Storage::FileSystem::{
    FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED, PIPE_ACCESS_INBOUND,
};
use windows_sys::Win32::System::Pipes::{
    CreateNamedPipeW, PIPE_READMODE_BYTE, PIPE_REJECT_REMOTE_CLIENTS, PIPE_TYPE_BYTE, PIPE_WAIT,
};

/// Kernel buffer for bytes the study wrote and we have not read yet: the study drops (and
/// counts) messages when it is full instead of blocking Sierra Chart's thread.
const IN_BUFFER: u32 = 256 * 1024;

/// One inbound, byte-mode, overlapped pipe instance, and whether a client is connected.
#[derive(Debug)]
pub(super) struct PipeIo {
    pipe: NamedPipe,
    /// A `connect()` is in flight (we are waiting for the study).
    listening: bool,
    connects: u64,
}

impl PipeIo {
    /// Creates the pipe server instance. Fails if another process already serves that name
    /// (FILE_FLAG_FIRST_PIPE_INSTANCE), rather than silently sharing the study with it.
    pub(super) fn open(path: &str) -> io::Result<PipeIo> {
        let name: Vec<u16> = path.encode_utf16().chain(Some(0)).collect();
        // SAFETY: `name` is NUL-terminated and outlives the call; a null security descriptor
        // means the default one.
        let h = unsafe {
            CreateNamedPipeW(
                name.as_ptr(),
                PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                1,
                0,
                IN_BUFFER,
                0,
                std::ptr::null(),
            )
        };
        if h == INVALID_HANDLE_VALUE {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `h` is a valid, owned pipe handle opened for overlapped I/O, as mio requires.
        let pipe = unsafe { NamedPipe::from_raw_handle(h as RawHandle) };
        Ok(PipeIo { pipe, listening: false, connects: 0 })
    }

    /// Registers (READABLE for data, WRITABLE for connect completion) and starts listening.
    pub(super) fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        registry.register(&mut self.pipe, token, Interest::READABLE | Interest::WRITABLE)?;
        self.listen()
    }

    /// Deregisters the pipe instance.
    pub(super) fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        registry.deregister(&mut self.pipe)
    }

    /// A pipe name cannot be removed or taken over while we serve it (first instance): never.
    pub(super) fn moved(&self, _path: &str) -> Option<String> {
        None
    }

    fn listen(&mut self) -> io::Result<()> {
        match self.pipe.connect() {
            // A client was already there (it connected between create and connect).
            Ok(()) => {
                self.listening = false;
                self.connects += 1;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.listening = true;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// True when a client connected since the last call (a pending connect finished).
    pub(super) fn poll_connect(&mut self) -> io::Result<bool> {
        if !self.listening {
            return Ok(false);
        }
        // mio flags the pipe writable when the connect completes; until then `connect` says
        // WouldBlock again without issuing a second one.
        match self.pipe.connect() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        if let Some(e) = self.pipe.take_error()? {
            // The connect failed: listen again for the next attempt.
            self.relisten()?;
            return Err(e);
        }
        self.listening = false;
        self.connects += 1;
        Ok(true)
    }

    /// Writer connects seen.
    pub(super) fn connects(&self) -> Option<u64> {
        Some(self.connects)
    }

    /// Non-blocking read; `Ok(0)` when the client disconnected.
    pub(super) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.pipe.read(buf) {
            // The study closed its handle: the same as EOF.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(0),
            r => r,
        }
    }

    /// After `Ok(0)`: drop the old client and wait for the next one.
    pub(super) fn writer_left(&mut self) -> io::Result<()> {
        self.relisten()
    }

    /// Disconnects and listens again. A failed disconnect must not skip the listen, or the
    /// endpoint would never accept a writer again; the first error is still reported.
    fn relisten(&mut self) -> io::Result<()> {
        let disconnected = self.pipe.disconnect();
        let listened = self.listen();
        disconnected.and(listened)
    }
}
