//! Framing of the pipe byte stream: finds JSON object boundaries, sans-IO, bounded memory.

// Writers frame messages with LF, NUL, or nothing at all (`{...}{...}`, as older pipe-export
// studies do), so boundaries come from a brace/string-aware scan (`scan.rs`), not from a
// separator.

mod scan;

use super::reason::BadInput;
use scan::Scan;

/// Largest message: an object still open after this many bytes is dropped as oversized.
pub const MAX_MESSAGE: usize = 4096;

/// Longest sample of dropped bytes handed out for a log line.
pub const SAMPLE_LEN: usize = 48;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between messages: whitespace, LF and NUL are skipped.
    Idle,
    /// In a run of garbage that was already reported; skipping to the next `{`.
    Garbage,
    /// In an object that starts at `head`.
    Object,
    /// Dropping the rest of an oversized object without keeping its bytes.
    Skip,
}

/// Open objects whose start is tracked, for the restart at a nested message.
const OPENS: usize = 32;

/// What [`Framer::next_frame`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// One complete object, `{` to `}` inclusive, not yet validated as JSON.
    Object(&'a [u8]),
    /// Dropped input and why, with at most [`SAMPLE_LEN`] of its first bytes.
    Bad(BadInput, &'a [u8]),
}

/// Accumulates reads and splits them into objects. Owns one fixed buffer: a read goes into
/// [`Framer::spare`], only the incomplete tail object (< [`MAX_MESSAGE`]) is ever carried over.
#[derive(Debug)]
pub struct Framer {
    buf: Box<[u8]>,
    /// First byte not yet handed out (the start of the current object in `Object` state).
    head: usize,
    /// Next byte to scan.
    scan: usize,
    /// End of the bytes read so far.
    tail: usize,
    state: State,
    /// In `Object` state: the scanner's position in the object's structure.
    st: Scan,
    /// Offsets from `head` of the open objects' `{`, by depth (depth 1 is `head` itself).
    opens: [u16; OPENS],
    /// In `Object` state: the last in-string `{` that may start a message (0 = none).
    cand: usize,
    /// Bytes before this were already scanned once before a restart: no candidates there, so
    /// no byte is rescanned more than once (bounded work on hostile input).
    rescan_until: usize,
    /// In `Skip` state: the last non-whitespace byte (a `{` after anything but `:,[` ends it).
    skip_prev: u8,
}

/// JSON whitespace.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The last non-whitespace byte of `bytes` (0 when none).
fn last_non_ws(bytes: &[u8]) -> u8 {
    bytes.iter().rev().copied().find(|&b| !is_ws(b)).unwrap_or(0)
}

impl Framer {
    /// A framer whose reads can be up to `read_chunk` bytes (the buffer is that plus one message).
    pub fn new(read_chunk: usize) -> Self {
        Framer {
            buf: vec![0; read_chunk.max(1) + MAX_MESSAGE].into_boxed_slice(),
            head: 0,
            scan: 0,
            tail: 0,
            state: State::Idle,
            st: Scan::default(),
            opens: [0; OPENS],
            cand: 0,
            rescan_until: 0,
            skip_prev: 0,
        }
    }

    /// Forgets everything buffered (a writer disconnected: its partial message will never end).
    pub fn reset(&mut self) {
        self.head = 0;
        self.scan = 0;
        self.tail = 0;
        self.state = State::Idle;
        self.cand = 0;
        self.rescan_until = 0;
        self.skip_prev = 0;
    }

    /// True when a partial object is buffered.
    pub fn in_message(&self) -> bool {
        self.state == State::Object
    }

    /// Where the next read goes: at least `read_chunk` bytes once [`Framer::next_frame`] has
    /// returned `None`. Moves the partial tail object to the front first.
    pub fn spare(&mut self) -> &mut [u8] {
        if self.head > 0 {
            self.buf.copy_within(self.head..self.tail, 0);
            self.scan -= self.head;
            self.tail -= self.head;
            self.rescan_until = self.rescan_until.saturating_sub(self.head);
            if self.cand != 0 {
                self.cand -= self.head; // cand > head, so it stays non-zero
            }
            self.head = 0;
        }
        &mut self.buf[self.tail..]
    }

    /// Declares `n` bytes of [`Framer::spare`] filled by a read.
    pub fn commit(&mut self, n: usize) {
        self.tail = (self.tail + n).min(self.buf.len());
    }

    /// Copies as much of `data` as fits (for tests and benches); returns how much was taken.
    /// Drain [`Framer::next_frame`] until `None` between pushes.
    pub fn push(&mut self, data: &[u8]) -> usize {
        let spare = self.spare();
        let n = spare.len().min(data.len());
        spare[..n].copy_from_slice(&data[..n]);
        self.commit(n);
        n
    }

    /// The next complete object or dropped piece; `None` when more bytes are needed.
    #[allow(clippy::should_implement_trait)] // a lending iterator: frames borrow the buffer
    pub fn next_frame(&mut self) -> Option<Frame<'_>> {
        while self.scan < self.tail {
            match self.state {
                State::Idle => {
                    let b = self.buf[self.scan];
                    if b == b'{' {
                        self.state = State::Object;
                        self.head = self.scan;
                        self.scan += 1;
                        self.st = Scan::new();
                        self.cand = 0;
                    } else if matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0) {
                        self.scan += 1;
                        self.head = self.scan;
                    } else {
                        // One report per run, however long and however many reads it spans.
                        let start = self.scan;
                        self.state = State::Garbage;
                        self.skip_garbage();
                        let end = self.scan.min(start + SAMPLE_LEN);
                        return Some(Frame::Bad(BadInput::Garbage, &self.buf[start..end]));
                    }
                }
                State::Garbage => self.skip_garbage(),
                State::Object => return self.scan_object(),
                State::Skip => self.skip_object(),
            }
        }
        if self.state != State::Object {
            self.head = self.scan;
        }
        None
    }

    fn skip_garbage(&mut self) {
        match self.buf[self.scan..self.tail].iter().position(|&b| b == b'{') {
            Some(i) => {
                self.scan += i;
                self.state = State::Idle;
            }
            None => self.scan = self.tail,
        }
        self.head = self.scan;
    }

    /// Drops the rest of an oversized object keeping nothing. Its structure is not followed
    /// (the depth or string parity may be wrong): it ends at the next LF, NUL or `{` that cannot
    /// be nested (`}{` and the like, see `scan::starts_object_at`).
    fn skip_object(&mut self) {
        self.st = Scan::default();
        while self.scan < self.tail {
            let b = self.buf[self.scan];
            if b == b'\n' || b == 0 {
                self.scan += 1;
                self.state = State::Idle;
                break;
            }
            if b == b'{' && !matches!(self.skip_prev, b':' | b',' | b'[') {
                // Left for `Idle`, which starts the next object here.
                self.state = State::Idle;
                break;
            }
            self.scan += 1;
            if !is_ws(b) {
                self.skip_prev = b;
            }
        }
        if self.state == State::Idle {
            self.skip_prev = 0;
        }
        self.head = self.scan;
    }
}
