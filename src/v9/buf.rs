//! Byte buffers of one V9 connection (pure): a fixed input buffer and a message-aware output queue.

use std::io::{self, Write};

/// Input buffer: room for a maximal message plus what a read may bring after it.
pub(super) const INBUF: usize = 16 * 1024;

/// Received bytes not yet framed: `buf[start..len]`. Allocated once per connection.
#[derive(Debug)]
pub(super) struct InBuf {
    buf: Box<[u8]>,
    start: usize,
    len: usize,
}

impl Default for InBuf {
    fn default() -> Self {
        InBuf { buf: vec![0u8; INBUF].into_boxed_slice(), start: 0, len: 0 }
    }
}

impl InBuf {
    /// The received, not yet framed bytes.
    pub(super) fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.len]
    }

    /// Drops the first `n` pending bytes (no copy; see [`InBuf::compact`]).
    pub(super) fn advance(&mut self, n: usize) {
        self.start = (self.start + n).min(self.len);
    }

    /// Consumes `consumed` pending bytes and returns the first `len` of them (the frame). The
    /// bytes stay in place until the next compaction, so the frame may be borrowed meanwhile.
    pub(super) fn take(&mut self, len: usize, consumed: usize) -> &[u8] {
        let start = self.start;
        self.advance(consumed);
        &self.buf[start..(start + len).min(self.start)]
    }

    /// Drops every pending byte (input after a fatal error is not read).
    pub(super) fn discard(&mut self) {
        self.start = self.len;
    }

    /// Moves the pending bytes to the front: once per read, not once per frame.
    pub(super) fn compact(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.len, 0);
            self.len -= self.start;
            self.start = 0;
        }
    }

    /// Free room after the received bytes (compact first to make it as large as possible).
    pub(super) fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// Marks `n` bytes of [`InBuf::spare`] as received.
    pub(super) fn filled(&mut self, n: usize) {
        self.len = (self.len + n).min(self.buf.len());
    }
}

/// Why a message was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Full;

/// Queued output: LF-terminated messages in `buf[pos..]`. The LFs are the recorded message ends:
/// a peer that sends no terminators gets each message in its own `write`, without the LF.
#[derive(Debug)]
pub(super) struct OutQueue {
    buf: Vec<u8>,
    pos: usize,
    /// The bytes written so far end inside a message (the peer holds a partial message).
    mid: bool,
}

impl Default for OutQueue {
    fn default() -> Self {
        OutQueue { buf: Vec::with_capacity(4096), pos: 0, mid: false }
    }
}

impl OutQueue {
    /// Bytes queued and not yet written.
    pub(super) fn len(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// True when nothing is waiting.
    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when everything written so far ends on a message boundary: closing now leaves the
    /// peer with whole messages only.
    pub(super) fn at_boundary(&self) -> bool {
        !self.mid
    }

    /// Appends one LF-terminated message unless the queue would then exceed `limit`.
    pub(super) fn push(&mut self, msg: &[u8], limit: usize) -> Result<(), Full> {
        if self.len() + msg.len() > limit {
            return Err(Full);
        }
        self.reuse();
        self.buf.extend_from_slice(msg);
        Ok(())
    }

    /// Encodes one message straight into the queue (no intermediate copy); undone when the
    /// queue would then exceed `limit`.
    pub(super) fn push_with(
        &mut self,
        limit: usize,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), Full> {
        self.reuse();
        let mark = self.buf.len();
        encode(&mut self.buf);
        if self.len() > limit {
            self.buf.truncate(mark);
            return Err(Full);
        }
        Ok(())
    }

    /// Appends messages without a bound check (the caller checked: bytes it holds for us).
    pub(super) fn append(&mut self, msgs: &[u8]) {
        self.reuse();
        self.buf.extend_from_slice(msgs);
    }

    /// Writes `shared` (whole messages the caller holds for several queues, e.g. this turn's
    /// broadcasts) straight from there, queueing only what the kernel did not take: a caught-up
    /// receiver costs a `write`, no copy. `Ok(true)` when all of it left.
    pub(super) fn write_from(&mut self, w: &mut impl Write, shared: &[u8]) -> io::Result<bool> {
        if !self.is_empty() {
            // Not expected (shared bytes are only held for empty queues); order is kept anyway.
            self.append(shared);
            return self.write_to(w, false);
        }
        let mut done = 0;
        while done < shared.len() {
            match w.write(&shared[done..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        if done > 0 {
            self.mid = shared[done - 1] != b'\n';
        }
        if done == shared.len() {
            return Ok(true);
        }
        self.append(&shared[done..]);
        Ok(false)
    }

    fn reuse(&mut self) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
    }

    /// Replaces the queued messages with a final one (the error that explains a disconnect):
    /// they are lost for this peer anyway, and the error then needs only the room of the message
    /// being written. The rest of a partly written message stays first (boundary kept).
    pub(super) fn replace_with_final(&mut self, msg: &[u8]) {
        let keep = if self.mid {
            match self.buf[self.pos..].iter().position(|&b| b == b'\n') {
                Some(i) => self.pos + i + 1,
                None => self.buf.len(),
            }
        } else {
            self.pos
        };
        self.buf.truncate(keep);
        self.buf.extend_from_slice(msg);
    }

    /// Writes until empty (`Ok(true)`) or `WouldBlock` (`Ok(false)`). With `one_per_write`
    /// each message goes in its own `write` call and its LF is not sent.
    pub(super) fn write_to(&mut self, w: &mut impl Write, one_per_write: bool) -> io::Result<bool> {
        while self.pos < self.buf.len() {
            let rest = &self.buf[self.pos..];
            let end = if one_per_write {
                rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())
            } else {
                rest.len()
            };
            if end == 0 {
                self.pos += 1; // the LF of a message already written without it
                continue;
            }
            match w.write(&rest[..end]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.pos += n;
                    let ends_message = if one_per_write { n == end } else { rest[n - 1] == b'\n' };
                    self.mid = !ends_message;
                    if one_per_write && n == end && self.pos < self.buf.len() {
                        self.pos += 1; // skip the LF: the write itself delimits the message
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Compact only when it pays: at most one memmove per half queue written.
                    if self.pos > self.buf.len() / 2 {
                        self.buf.drain(..self.pos);
                        self.pos = 0;
                    }
                    return Ok(false);
                }
                Err(e) => return Err(e),
            }
        }
        self.buf.clear();
        self.pos = 0;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer taking at most `room` bytes per call, then `WouldBlock` once `budget` is spent.
    struct Sink {
        got: Vec<Vec<u8>>,
        room: usize,
        budget: usize,
    }

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if self.budget == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = b.len().min(self.room).min(self.budget);
            self.budget -= n;
            self.got.push(b[..n].to_vec());
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn unterminated_peers_get_one_message_per_write_without_lf() {
        let mut q = OutQueue::default();
        q.push(b"READY|1.0\n", 1000).unwrap();
        q.push(b"LONG|MES|1|ID:1\n", 1000).unwrap();
        let mut s = Sink { got: vec![], room: 100, budget: 1000 };
        assert!(q.write_to(&mut s, true).unwrap());
        assert_eq!(s.got, [b"READY|1.0".to_vec(), b"LONG|MES|1|ID:1".to_vec()]);
        assert!(q.at_boundary());
    }

    #[test]
    fn a_partial_write_is_not_a_boundary_and_a_final_message_keeps_its_rest() {
        let mut q = OutQueue::default();
        q.push(b"AAAA\n", 1000).unwrap();
        q.push(b"BBBB\n", 1000).unwrap();
        let mut s = Sink { got: vec![], room: 100, budget: 7 };
        assert!(!q.write_to(&mut s, false).unwrap());
        assert!(!q.at_boundary(), "BB of BBBB written");
        q.replace_with_final(b"ERROR|OVERFLOW\n");
        let mut s2 = Sink { got: vec![], room: 100, budget: 100 };
        assert!(q.write_to(&mut s2, false).unwrap());
        assert_eq!(s2.got.concat(), b"BB\nERROR|OVERFLOW\n");
        assert!(q.at_boundary());
    }

    #[test]
    fn shared_bytes_are_written_in_place_and_only_the_rest_is_queued() {
        let mut q = OutQueue::default();
        let mut s = Sink { got: vec![], room: 100, budget: 1000 };
        assert!(q.write_from(&mut s, b"AAAA\nBBBB\n").unwrap());
        assert!(q.is_empty() && q.at_boundary());
        let mut s = Sink { got: vec![], room: 100, budget: 6 };
        assert!(!q.write_from(&mut s, b"AAAA\nBBBB\n").unwrap());
        assert_eq!((q.len(), q.at_boundary()), (4, false), "BBB\n queued, B sent");
        let mut s = Sink { got: vec![], room: 100, budget: 100 };
        assert!(q.write_to(&mut s, false).unwrap());
        assert_eq!(s.got.concat(), b"BBB\n");
    }

    #[test]
    fn the_limit_refuses_instead_of_growing() {
        let mut q = OutQueue::default();
        q.push(&[b'x'; 90], 100).unwrap();
        assert_eq!(q.push(&[b'y'; 20], 100), Err(Full));
        assert_eq!(q.push_with(100, |b| b.extend_from_slice(&[b'z'; 20])), Err(Full));
        assert_eq!(q.len(), 90, "a refused encode leaves nothing behind");
    }

    #[test]
    fn inbuf_compacts_and_reports_full() {
        let mut b = InBuf::default();
        let n = b.spare().len();
        b.filled(n);
        assert!(b.spare().is_empty());
        b.advance(10);
        b.compact();
        assert_eq!(b.spare().len(), 10);
    }
}
