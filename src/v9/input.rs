//! V9 server input path: read until WouldBlock, frame (terminated or not), parse, dispatch.

use super::client::State;
use super::codec::{self, ErrorCode, ParseError};
use super::frame::{next_frame, split_unterminated, Frame};
use super::server::V9Server;
use log::warn;
use std::fmt::Write as _;
use std::io;
use std::time::{Duration, Instant};

/// Why unterminated bytes are being drained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Drain {
    /// A read pause (`WouldBlock`) or the grace timer: messages of an unterminated peer.
    Pause,
    /// The buffer is full of glued messages: split them, keep the possibly partial tail.
    KeepTail,
    /// EOF: whatever is left is the peer's last message.
    Final,
}

impl V9Server {
    pub(super) fn on_readable(&mut self, key: usize, now: Instant) {
        loop {
            let Some(c) = self.clients.get_mut(key) else { return };
            c.compact();
            if c.in_len == c.inbuf.len() {
                if c.terminated != Some(true) {
                    self.drain_unterminated(key, now, Drain::KeepTail);
                    let Some(c) = self.clients.get_mut(key) else { return };
                    c.compact();
                }
                let Some(c) = self.clients.get_mut(key) else { return };
                if c.in_len == c.inbuf.len() {
                    // One message longer than the whole buffer: cannot be framed.
                    self.too_long(key, now);
                    break;
                }
            }
            let Some(c) = self.clients.get_mut(key) else { return };
            match c.read_some() {
                Ok(0) => {
                    // EOF: the last message may have no terminator; handle it, then close.
                    self.drain_unterminated(key, now, Drain::Final);
                    self.to_close.push((key, "peer closed"));
                    break;
                }
                Ok(n) => {
                    c.in_len += n;
                    c.last_rx = now;
                    if c.state == State::Closing {
                        c.in_start = c.in_len; // lingering after our error: input is discarded
                        continue;
                    }
                    // Start of the latency hops: when the bytes left the kernel, not the turn start.
                    let read_at = Instant::now();
                    self.drain_frames(key, read_at);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.drain_unterminated(key, now, Drain::Pause);
                    break;
                }
                Err(_) => {
                    self.to_close.push((key, "read error"));
                    break;
                }
            }
        }
        self.flush_dirty();
    }

    /// Handles every complete (terminated) frame in the input buffer.
    fn drain_frames(&mut self, key: usize, now: Instant) {
        loop {
            let Some(c) = self.clients.get_mut(key) else { return };
            if c.state == State::Closing {
                c.in_start = c.in_len;
                return;
            }
            match next_frame(c.pending()) {
                Frame::Complete { len, consumed } => {
                    let line = &c.inbuf[c.in_start..c.in_start + len];
                    if line.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r')) {
                        // Blank lines and NUL padding (fixed-size writers) are not messages.
                        c.advance(consumed);
                        continue;
                    }
                    c.terminated = Some(true);
                    c.partial_since = None;
                    self.line[..len].copy_from_slice(line);
                    c.advance(consumed);
                    self.handle_line(key, len, now);
                }
                Frame::Partial => return,
                // No terminator yet from a peer that may send none: split at the read pause.
                Frame::Oversized if c.terminated != Some(true) => return,
                Frame::Oversized => {
                    self.too_long(key, now);
                    return;
                }
            }
        }
    }

    /// Bytes without a terminator (see `frame`): at a read pause they are an unterminated
    /// peer's messages. A peer whose framing is still unknown must stay quiet for the grace
    /// period first, so a terminated peer whose first line arrives in two pieces is not
    /// mistaken for an unterminated one.
    pub(super) fn drain_unterminated(&mut self, key: usize, now: Instant, mode: Drain) {
        let grace = Duration::from_millis(self.cfg.unterminated_grace_ms);
        loop {
            let Some(c) = self.clients.get_mut(key) else { return };
            if c.pending().is_empty() || c.state == State::Closing {
                return;
            }
            if c.terminated == Some(true) && mode != Drain::Final {
                return; // a partial line: wait for its terminator
            }
            // Direct field borrow (not `pending()`), so the flags below can still be updated.
            let chunk = &c.inbuf[c.in_start..c.in_len];
            if chunk.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0)) {
                c.in_start = c.in_len;
                return;
            }
            let n = split_unterminated(chunk);
            match mode {
                Drain::KeepTail if n == chunk.len() => return,
                Drain::Pause => {
                    let waited =
                        c.partial_since.is_some_and(|t| now.saturating_duration_since(t) >= grace);
                    let complete = c.terminated == Some(false) && codec::parse(&chunk[..n]).is_ok();
                    if !waited && !complete {
                        c.partial_since.get_or_insert(now);
                        return;
                    }
                }
                _ => {}
            }
            if c.terminated.is_none() {
                c.terminated = Some(false);
            }
            c.partial_since = None;
            self.line[..n].copy_from_slice(&chunk[..n]);
            c.advance(n);
            self.handle_line(key, n, now);
        }
    }

    /// More than 1024 bytes without a terminator: the stream cannot be framed, so close.
    fn too_long(&mut self, key: usize, now: Instant) {
        self.stats.bad_messages += 1;
        self.fail(
            key,
            ErrorCode::ProtocolError,
            ParseError::TooLong.message(),
            "Max_Size:1024",
            now,
        );
    }

    fn handle_line(&mut self, key: usize, len: usize, now: Instant) {
        let line = std::mem::take(&mut self.line);
        match codec::parse(&line[..len]) {
            Ok(msg) => self.handle_message(key, msg, now),
            Err(ParseError::Empty) => {}
            Err(e) => self.bad_input(key, e, &line[..len], now),
        }
        self.line = line;
    }

    fn bad_input(&mut self, key: usize, e: ParseError, raw: &[u8], now: Instant) {
        self.stats.bad_messages += 1;
        let Some(c) = self.clients.get_mut(key) else { return };
        c.bad_in += 1;
        if c.may_warn() {
            warn!(
                "v9 {} ({}): {} [{}], bad #{}: {:?}",
                c.peer,
                c.name,
                e.message(),
                e.field().unwrap_or("-"),
                c.bad_in,
                redacted_sample(raw)
            );
        }
        let kind = raw.split(|&b| b == b'|').next().unwrap_or(b"");
        let mut details = String::new();
        if let Some(f) = e.field() {
            let _ = write!(details, "Field: {f}");
        } else if e.is_invalid_signal() {
            let _ =
                write!(details, "Action: {}", String::from_utf8_lossy(&kind[..kind.len().min(40)]));
        }
        if e.is_invalid_signal() && c.state == State::Ready {
            self.stats.rejected_signals += 1;
            self.reply_error(key, ErrorCode::InvalidSignal, e.message(), &details);
        } else {
            self.fail(key, ErrorCode::ProtocolError, e.message(), &details, now);
        }
    }
}

/// The first 80 bytes of bad input for the log, with any `Token:` value masked.
fn redacted_sample(raw: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(&raw[..raw.len().min(80)]).into_owned();
    if let Some(i) = s.to_ascii_lowercase().find("token:") {
        s.truncate(i + "token:".len());
        s.push_str("***");
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_masked_in_samples() {
        assert_eq!(
            super::redacted_sample(b"CONNECT|p|Account_Count:x|Role:Publisher|Token:s3cret"),
            "CONNECT|p|Account_Count:x|Role:Publisher|Token:***"
        );
        assert_eq!(super::redacted_sample(b"CONNECT|p|TOKEN:abc"), "CONNECT|p|TOKEN:***");
    }
}
