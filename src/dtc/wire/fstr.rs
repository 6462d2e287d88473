//! `FStr<N>`: the header's `char[N]` fields, fixed-size, NUL-padded, never allocating.

use std::fmt;

/// A fixed-length, NUL-padded C string field (`char[N]`); at most `N - 1` bytes of text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FStr<const N: usize> {
    buf: [u8; N],
}

impl<const N: usize> Default for FStr<N> {
    fn default() -> Self {
        FStr { buf: [0; N] }
    }
}

impl<const N: usize> FStr<N> {
    /// From text, truncated at a char boundary to `N - 1` bytes.
    pub fn new(s: &str) -> Self {
        let mut f = Self::default();
        f.set(s);
        f
    }

    /// Replaces the text (truncating, see [`FStr::new`]).
    pub fn set(&mut self, s: &str) {
        let mut n = s.len().min(N.saturating_sub(1));
        while n > 0 && !s.is_char_boundary(n) {
            n -= 1;
        }
        self.buf = [0; N];
        self.buf[..n].copy_from_slice(&s.as_bytes()[..n]);
    }

    /// From raw bytes (a binary field): copies up to the first NUL, forcing the last byte to 0.
    pub fn from_raw(raw: &[u8]) -> Self {
        let mut f = Self::default();
        let n = raw.len().min(N.saturating_sub(1));
        let end = raw[..n].iter().position(|&b| b == 0).unwrap_or(n);
        f.buf[..end].copy_from_slice(&raw[..end]);
        f
    }

    /// The raw bytes, NUL-padded.
    pub fn raw(&self) -> &[u8; N] {
        &self.buf
    }

    /// The text bytes up to the first NUL.
    pub fn bytes(&self) -> &[u8] {
        let end = self.buf.iter().position(|&b| b == 0).unwrap_or(N);
        &self.buf[..end]
    }

    /// The text; invalid UTF-8 from a peer is cut at the first bad byte.
    pub fn as_str(&self) -> &str {
        let b = self.bytes();
        match std::str::from_utf8(b) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or_default(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.buf.first().is_none_or(|&b| b == 0)
    }

    /// Appends one byte if room remains (JSON unescaping); returns false when full.
    pub(crate) fn push_byte(&mut self, len: &mut usize, b: u8) -> bool {
        if *len + 1 >= N {
            return false;
        }
        self.buf[*len] = b;
        *len += 1;
        true
    }
}

impl<const N: usize> fmt::Debug for FStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for FStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> From<&str> for FStr<N> {
    fn from(s: &str) -> Self {
        FStr::new(s)
    }
}
