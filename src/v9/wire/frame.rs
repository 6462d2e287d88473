//! V9 framing (pure): LF, CRLF or NUL terminated lines, and peers that send no terminator at all.
//!
//! The spec says "Line ending: None (single message per send)". Such a peer is detected by its
//! first message: if the bytes available when a read pauses (`WouldBlock`) hold no terminator,
//! the connection is *unterminated* and each pause delimits messages. TCP may still coalesce two
//! sends into one read (Nagle), so an unterminated chunk is split again where a known message
//! type starts and the part before it parses as a complete message ([`split_unterminated`]).

use super::codec::{parse, MAX_MESSAGE};

/// Result of looking for one frame at the start of a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A message of `len` bytes (terminator excluded); `consumed` includes the terminator.
    Complete {
        /// Message length.
        len: usize,
        /// Bytes to drop from the buffer.
        consumed: usize,
    },
    /// No terminator yet and still within the size limit.
    Partial,
    /// More than [`MAX_MESSAGE`] bytes without a terminator: the stream cannot be framed.
    Oversized,
}

/// Finds the first frame in `buf`. A CR before LF is dropped by the parser's trim.
pub fn next_frame(buf: &[u8]) -> Frame {
    let window = &buf[..buf.len().min(MAX_MESSAGE + 2)];
    match window.iter().position(|&b| b == b'\n' || b == 0) {
        Some(i) if i <= MAX_MESSAGE + 1 => {
            let len = if i > 0 && buf[i - 1] == b'\r' { i - 1 } else { i };
            if len > MAX_MESSAGE {
                Frame::Oversized
            } else {
                Frame::Complete { len, consumed: i + 1 }
            }
        }
        _ if buf.len() > MAX_MESSAGE + 1 => Frame::Oversized,
        _ => Frame::Partial,
    }
}

/// Message types that may start a glued message inside an unterminated chunk.
const STARTS: [&[u8]; 12] = [
    b"POSITION_SUMMARY|",
    b"POSITION|",
    b"HEARTBEAT_ACK|",
    b"HEARTBEAT|",
    b"CONNECT|",
    b"ERROR|",
    b"LONG|",
    b"SHORT|",
    b"FLATTEN|",
    b"CLOSE_HALF|",
    b"CLOSE_ONE|",
    b"REVERSE|",
];

/// Length of the first message in an unterminated chunk: the earliest offset where a known
/// message type begins, everything before it parses, and the message starting there parses up
/// to the next candidate; the whole chunk when there is none.
pub fn split_unterminated(chunk: &[u8]) -> usize {
    let mut at = next_candidate(chunk, 1);
    while let Some(i) = at {
        let next = next_candidate(chunk, i + 1);
        let second = &chunk[i..next.unwrap_or(chunk.len())];
        if parse(&chunk[..i]).is_ok() && parse(second).is_ok() {
            return i;
        }
        at = next;
    }
    chunk.len()
}

/// First offset >= `from` where a known message type starts glued to the previous byte.
fn next_candidate(chunk: &[u8], from: usize) -> Option<usize> {
    (from.max(1)..chunk.len()).find(|&i| {
        chunk[i - 1] != b'|'
            && chunk[i].is_ascii_uppercase()
            && STARTS.iter().any(|s| chunk[i..].starts_with(s))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_lf_crlf_nul() {
        assert_eq!(next_frame(b"LONG|MES|1\nX"), Frame::Complete { len: 10, consumed: 11 });
        assert_eq!(next_frame(b"LONG|MES|1\r\n"), Frame::Complete { len: 10, consumed: 12 });
        assert_eq!(next_frame(b"LONG|MES|1\0"), Frame::Complete { len: 10, consumed: 11 });
        assert_eq!(next_frame(b"\n"), Frame::Complete { len: 0, consumed: 1 });
        assert_eq!(next_frame(b"LONG|MES"), Frame::Partial);
    }

    #[test]
    fn limits_are_exact() {
        let mut m = vec![b'A'; MAX_MESSAGE];
        m.push(b'\n');
        assert_eq!(next_frame(&m), Frame::Complete { len: MAX_MESSAGE, consumed: MAX_MESSAGE + 1 });
        let mut m = vec![b'A'; MAX_MESSAGE];
        m.extend_from_slice(b"\r\n");
        assert_eq!(next_frame(&m), Frame::Complete { len: MAX_MESSAGE, consumed: MAX_MESSAGE + 2 });
        let mut m = vec![b'A'; MAX_MESSAGE + 1];
        m.push(b'\n');
        assert_eq!(next_frame(&m), Frame::Oversized);
        assert_eq!(next_frame(&vec![b'A'; MAX_MESSAGE + 1]), Frame::Partial);
        assert_eq!(next_frame(&vec![b'A'; MAX_MESSAGE + 2]), Frame::Oversized);
    }

    #[test]
    fn splits_glued_unterminated_messages() {
        let glued = b"POSITION|Account1|LONG|1|4520.50|+0.00|2026-01-27T18:05:11ZPOSITION|Account2|LONG|1|4520.50|+10.00";
        let n = split_unterminated(glued);
        assert_eq!(&glued[..n], b"POSITION|Account1|LONG|1|4520.50|+0.00|2026-01-27T18:05:11Z");
        assert_eq!(split_unterminated(&glued[n..]), glued.len() - n);
        // A name that merely contains a keyword is not a boundary.
        let one = b"HEARTBEAT|MYPOSITION|ok";
        assert_eq!(split_unterminated(one), one.len());
        let two = b"HEARTBEAT|V9|Connected:20_AccountsHEARTBEAT|V9|x";
        assert_eq!(split_unterminated(two), b"HEARTBEAT|V9|Connected:20_Accounts".len());
    }
}
