//! Stream framing (binary by `Size`, JSON by NUL) and the receive buffer that survives split reads.

use super::types::{DecodeError, MAX_BINARY_SIZE, MAX_JSON_SIZE};

/// Length of the first complete binary frame in `buf`, `None` if more bytes are needed.
/// `Size < 4` or `Size > cap` means the stream cannot be framed any more.
#[inline]
pub fn binary_frame(buf: &[u8], cap: usize) -> Result<Option<usize>, DecodeError> {
    let Some(h) = buf.get(..2) else { return Ok(None) };
    let size = u16::from_le_bytes([h[0], h[1]]);
    if size < 4 {
        return Err(DecodeError::SizeTooSmall(size));
    }
    let size = size as usize;
    if size > cap.min(MAX_BINARY_SIZE) {
        return Err(DecodeError::TooLong(size));
    }
    Ok((buf.len() >= size).then_some(size))
}

/// The first NUL-terminated JSON message: `(message length, bytes consumed incl. the NUL)`.
/// Empty messages (repeated NULs) are returned as length 0 for the caller to skip.
#[inline]
pub fn json_frame(buf: &[u8], cap: usize) -> Result<Option<(usize, usize)>, DecodeError> {
    let cap = cap.min(MAX_JSON_SIZE);
    match buf.iter().position(|&b| b == 0) {
        Some(n) if n > cap => Err(DecodeError::TooLong(n)),
        Some(n) => Ok(Some((n, n + 1))),
        None if buf.len() > cap => Err(DecodeError::TooLong(buf.len())),
        None => Ok(None),
    }
}

/// A growable receive buffer: read into [`RecvBuf::spare`], frame from [`RecvBuf::data`].
#[derive(Debug)]
pub struct RecvBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    max: usize,
}

impl RecvBuf {
    /// A buffer of `initial` bytes that may grow to `max`.
    pub fn new(initial: usize, max: usize) -> Self {
        RecvBuf { buf: vec![0; initial.max(64)], start: 0, end: 0, max: max.max(initial) }
    }

    /// Unconsumed bytes.
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Free space to read into (compacting or growing first); empty when full at `max`.
    pub fn spare(&mut self) -> &mut [u8] {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.buf.len() < self.max {
                let n = (self.buf.len() * 2).min(self.max);
                self.buf.resize(n, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    /// Marks `n` bytes of the spare area as filled.
    #[inline]
    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    /// Drops `n` bytes from the front.
    #[inline]
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// Appends bytes (WebSocket payloads), growing up to `max`; false if they do not fit.
    pub fn extend(&mut self, b: &[u8]) -> bool {
        let mut off = 0;
        while off < b.len() {
            let sp = self.spare();
            if sp.is_empty() {
                return false;
            }
            let n = sp.len().min(b.len() - off);
            sp[..n].copy_from_slice(&b[off..off + n]);
            self.commit(n);
            off += n;
        }
        true
    }

    /// Forgets everything (after a reconnect).
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }
}
