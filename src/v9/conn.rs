//! The hot half of V9 connections (I/O shell): socket, token, output queue; the one writer.

// A `Conn` is small on purpose (one cache line): the fan-out loop walks every connection per
// signal and touches nothing else. A caught-up receiver does not even get a copy: it only
// notes where its part of the turn's shared broadcast bytes starts, and the flush writes from
// there (a raw write loop, in effect). Protocol state lives in the connection's `Peer`, under
// the same slab key.

use super::reply::{CloseReason, Outgoing};
use crate::pipeline::Pick;
use mio::Registry;
use slab::Slab;

mod socket;
pub(super) use socket::Conn;

/// Says what the receiver under a key gets of a routed signal ([`Conns::fan_out_with`]).
pub trait Picker {
    /// What the receiver under `key` gets, and its own bytes when [`Pick::Own`].
    fn pick(&mut self, key: usize) -> (Pick, &[u8]);
}

/// No shared bytes pending.
const NONE: u32 = u32::MAX;

/// Every connection's hot half, the dirty list and the queue of closes. Queueing never does
/// I/O; [`Conns::flush_dirty`] (and [`Conns::flush_one`] on WRITABLE) are the only writers.
#[derive(Debug)]
pub struct Conns {
    slab: Slab<Conn>,
    dirty: Vec<usize>,
    closes: Vec<(usize, CloseReason)>,
    limit: usize,
    version: Box<str>,
    scratch: Vec<u8>,
    /// This turn's broadcasts, encoded once, for every caught-up receiver (cleared per flush).
    shared: Vec<u8>,
    /// A queue passed half its bound since the last flush: flush before queueing more, so a
    /// burst read in one go does not overflow a receiver that is merely behind by a turn.
    pressure: bool,
}

impl Conns {
    /// An empty table; `limit` bounds each output queue, `version` goes into READY.
    pub fn new(limit: usize, version: &str) -> Conns {
        Conns {
            slab: Slab::with_capacity(1024),
            dirty: Vec::with_capacity(1024),
            closes: Vec::with_capacity(1024),
            limit,
            version: version.into(),
            scratch: Vec::with_capacity(2048),
            shared: Vec::with_capacity(64 * 1024),
            pressure: false,
        }
    }

    /// The key the next [`Conns::insert`] will use.
    pub fn next_key(&self) -> usize {
        self.slab.vacant_key()
    }

    /// Adds a registered connection; returns its key.
    pub fn insert(&mut self, conn: Conn) -> usize {
        self.slab.insert(conn)
    }

    /// The connection under `key`.
    pub fn get_mut(&mut self, key: usize) -> Option<&mut Conn> {
        self.slab.get_mut(key)
    }

    /// Removes and returns the connection under `key`.
    pub fn remove(&mut self, key: usize) -> Option<Conn> {
        self.slab.try_remove(key)
    }

    /// Connections open.
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    /// Every key (for shutdown).
    pub fn keys(&self) -> impl Iterator<Item = usize> + '_ {
        self.slab.iter().map(|(k, _)| k)
    }

    /// Output bytes queued for `key` (its copy plus its part of the shared broadcast bytes).
    pub fn queued(&self, key: usize) -> usize {
        let Some(c) = self.slab.get(key) else { return 0 };
        let shared =
            if c.shared_from == NONE { 0 } else { self.shared.len() - c.shared_from as usize };
        c.out.len() + shared
    }

    /// Connections still holding output.
    pub fn flushing(&self) -> usize {
        self.slab.iter().filter(|(_, c)| !c.out.is_empty() || c.shared_from != NONE).count()
    }

    fn mark(dirty: &mut Vec<usize>, key: usize, c: &mut Conn) {
        if !c.dirty {
            c.dirty = true;
            dirty.push(key);
        }
    }

    /// Queues one message for `key`; a full queue closes it as a slow consumer.
    pub fn queue(&mut self, key: usize, msg: Outgoing<'_>) {
        let Some(c) = self.slab.get_mut(key) else { return };
        c.materialize(&self.shared);
        let version = &self.version;
        match c.out.push_with(self.limit, |b| msg.encode(b, version)) {
            Ok(()) => Self::mark(&mut self.dirty, key, c),
            Err(_) => self.closes.push((key, CloseReason::Overflow)),
        }
    }

    /// Bytes `key`'s queue can still take under the bound.
    pub fn room(&self, key: usize) -> usize {
        let Some(c) = self.slab.get(key) else { return 0 };
        let held =
            if c.shared_from == NONE { 0 } else { self.shared.len() - c.shared_from as usize };
        self.limit.saturating_sub(c.out.len() + held)
    }

    /// Queues whole LF-terminated messages for `key` at once; false (nothing queued) when they
    /// would pass the bound.
    pub fn queue_bytes(&mut self, key: usize, bytes: &[u8]) -> bool {
        let Some(c) = self.slab.get_mut(key) else { return false };
        c.materialize(&self.shared);
        if c.out.push(bytes, self.limit).is_err() {
            return false;
        }
        Self::mark(&mut self.dirty, key, c);
        true
    }

    /// Queues `msg` (encoded once) for every READY receiver; returns how many took it. A
    /// caught-up receiver only notes where it starts in the shared bytes; one with a backlog
    /// (or without line endings) gets a copy. A receiver whose queue would pass the bound is
    /// listed for closing as a slow consumer.
    pub fn fan_out(&mut self, msg: &[u8]) -> u32 {
        let from = self.shared.len();
        let share = from + msg.len() < NONE as usize;
        if share {
            self.shared.extend_from_slice(msg);
        }
        let mut receivers = 0;
        for (key, c) in self.slab.iter_mut() {
            if !c.receives || c.closing {
                continue;
            }
            let held = if c.shared_from == NONE { 0 } else { from - c.shared_from as usize };
            let pending = c.out.len() + held + msg.len();
            if pending > self.limit {
                self.closes.push((key, CloseReason::Overflow));
                continue;
            }
            if c.shared_from == NONE && share && c.out.is_empty() && !c.unterminated {
                c.shared_from = from as u32;
            } else if c.shared_from == NONE || !share {
                c.materialize(&self.shared);
                c.out.append(msg);
            } // else: its shared part already runs to the end of `shared`, this signal included
            receivers += 1;
            self.pressure |= pending > self.limit / 2;
            Self::mark(&mut self.dirty, key, c);
        }
        receivers
    }

    /// [`Self::fan_out`] per receiver: `pick` says whether the one under a key gets `msg` (the
    /// shared bytes), nothing, or bytes of its own (a routed signal's parts).
    pub fn fan_out_with(&mut self, msg: &[u8], pick: &mut dyn Picker) -> u32 {
        let from = self.shared.len();
        let share = from + msg.len() < NONE as usize;
        if share {
            self.shared.extend_from_slice(msg);
        }
        let mut receivers = 0;
        for (key, c) in self.slab.iter_mut() {
            if !c.receives || c.closing {
                continue;
            }
            let (p, own) = pick.pick(key);
            let bytes = match p {
                Pick::Skip => {
                    // Its pending shared bytes stop before this signal.
                    c.materialize_until(&self.shared, from);
                    continue;
                }
                Pick::Whole => msg,
                Pick::Own => own,
            };
            let held = if c.shared_from == NONE { 0 } else { from - c.shared_from as usize };
            let pending = c.out.len() + held + bytes.len();
            if pending > self.limit {
                self.closes.push((key, CloseReason::Overflow));
                continue;
            }
            if p == Pick::Own {
                c.materialize_until(&self.shared, from);
                c.out.append(bytes);
            } else if c.shared_from == NONE && share && c.out.is_empty() && !c.unterminated {
                c.shared_from = from as u32;
            } else if c.shared_from == NONE || !share {
                c.materialize(&self.shared);
                c.out.append(msg);
            }
            receivers += 1;
            self.pressure |= pending > self.limit / 2;
            Self::mark(&mut self.dirty, key, c);
        }
        receivers
    }

    /// Queues the final message of `key` and closes after it. With `replace`, queued messages
    /// give way to it (a slow consumer's backlog is lost anyway); otherwise it goes after them
    /// if it fits. Either way the rest of a partly written message is kept before it.
    pub fn finish(&mut self, key: usize, msg: Outgoing<'_>, replace: bool) {
        let Some(c) = self.slab.get_mut(key) else { return };
        if replace {
            c.shared_from = NONE; // never written: it goes with the rest of the backlog
        } else {
            c.materialize(&self.shared);
        }
        self.scratch.clear();
        msg.encode(&mut self.scratch, &self.version);
        if replace || c.out.push(&self.scratch, self.limit).is_err() {
            c.out.replace_with_final(&self.scratch);
        }
        c.closing = true;
        c.receives = false;
        Self::mark(&mut self.dirty, key, c);
    }

    /// True (and cleared) when a queue passed half its bound since the last flush.
    pub fn take_pressure(&mut self) -> bool {
        std::mem::take(&mut self.pressure)
    }

    /// Writes every dirty connection's queue: one `write` per connection however many
    /// messages were queued (one per message for unterminated peers).
    pub fn flush_dirty(&mut self, registry: &Registry) {
        self.pressure = false;
        for i in 0..self.dirty.len() {
            let key = self.dirty[i];
            self.flush_one(key, registry);
        }
        self.dirty.clear();
        // Every connection holding shared bytes was dirty, so none holds any now.
        self.shared.clear();
    }

    /// Writes one connection's queue (its WRITABLE event, or from the dirty list).
    pub fn flush_one(&mut self, key: usize, registry: &Registry) {
        let Some(c) = self.slab.get_mut(key) else { return };
        c.dirty = false;
        if c.flush(registry, &self.shared).is_err() {
            self.closes.push((key, CloseReason::WriteError));
        }
    }

    /// Lists `key` for closing (processed by the server after the current step).
    pub fn close_later(&mut self, key: usize, why: CloseReason) {
        self.closes.push((key, why));
    }

    /// The next listed close.
    pub fn next_close(&mut self) -> Option<(usize, CloseReason)> {
        self.closes.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mio::net::TcpStream;
    use mio::{Interest, Token};
    use std::io::Read;
    use std::time::Duration;

    /// A registered server-side connection and the client socket facing it.
    fn pair(poll: &mio::Poll, conns: &mut Conns) -> (usize, std::net::TcpStream) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        s.set_nonblocking(true).unwrap();
        let mut stream = TcpStream::from_std(s);
        let key = conns.next_key();
        poll.registry().register(&mut stream, Token(key), Interest::READABLE).unwrap();
        let mut c = Conn::new(stream, Token(key));
        c.set_mode(true, false);
        (conns.insert(c), client)
    }

    fn read_exactly(s: &mut std::net::TcpStream, n: usize) -> String {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut b = vec![0; n];
        s.read_exact(&mut b).unwrap();
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn shared_broadcasts_and_private_replies_keep_their_order() {
        let poll = mio::Poll::new().unwrap();
        let mut conns = Conns::new(1 << 20, "1.0");
        let (a, mut ca) = pair(&poll, &mut conns);
        let (b, mut cb) = pair(&poll, &mut conns);
        assert_eq!(conns.fan_out(b"S1\n"), 2);
        conns.queue(a, Outgoing::SignalAck { id: 7, receivers: 2 }); // a's shared part moves out
        assert_eq!(conns.fan_out(b"S2\n"), 2);
        conns.flush_dirty(poll.registry());
        assert_eq!(read_exactly(&mut ca, 21), "S1\nSIGNAL_ACK|7|2\nS2\n");
        assert_eq!(read_exactly(&mut cb, 6), "S1\nS2\n", "straight from the shared bytes");
        assert_eq!((conns.flushing(), conns.shared.len()), (0, 0));
        conns.fan_out(b"S3\n");
        drop(conns.remove(b)); // undelivered: reset, not a clean EOF
        conns.flush_dirty(poll.registry());
        assert_eq!(read_exactly(&mut ca, 3), "S3\n");
        let mut rest = Vec::new();
        let end = cb.read_to_end(&mut rest);
        assert!(end.is_err() && rest.is_empty(), "{end:?} {rest:?}");
    }

    /// Gives every receiver the same own bytes (a signal split over several lines).
    struct Lines(&'static [u8]);

    impl Picker for Lines {
        fn pick(&mut self, _key: usize) -> (Pick, &[u8]) {
            (Pick::Own, self.0)
        }
    }

    #[test]
    fn a_split_signal_is_queued_whole_or_not_at_all() {
        let poll = mio::Poll::new().unwrap();
        let mut conns = Conns::new(30, "1.0");
        let (a, mut ca) = pair(&poll, &mut conns);
        // Two lines of one id: 18 bytes fit the bound of 30.
        assert_eq!(conns.fan_out_with(b"", &mut Lines(b"L|A|ID:1\nL|B|ID:1\n")), 1);
        // 12 bytes left: the next signal's first line alone (9) would fit, both lines do not.
        assert_eq!(conns.fan_out_with(b"", &mut Lines(b"L|C|ID:2\nL|D|ID:2\n")), 0);
        assert_eq!((conns.queued(a), conns.next_close()), (18, Some((a, CloseReason::Overflow))));
        conns.flush_dirty(poll.registry());
        assert_eq!(read_exactly(&mut ca, 18), "L|A|ID:1\nL|B|ID:1\n", "none of #2 queued");
    }
}
