//! Framing of the pipe byte stream: finds JSON object boundaries, sans-IO, bounded memory.
//!
//! Writers frame messages with LF, NUL, or nothing at all (`{...}{...}`, as the study in the
//! user's note does), so boundaries come from a brace/string-aware scan, not from a separator.

use super::reason::BadInput;

/// Largest message: an object still open after this many bytes is dropped as oversized.
pub const MAX_MESSAGE: usize = 4096;

/// Longest sample of dropped bytes handed out for a log line.
pub const SAMPLE_LEN: usize = 48;

/// [`CLASS`] bit: the byte matters outside strings (`"`, `{`, `}`, LF, NUL).
const OUTSIDE: u8 = 1;
/// [`CLASS`] bit: the byte matters inside strings (`"`, `\\`, LF, NUL).
const IN_STRING: u8 = 2;
/// Which bytes can change the scanner's state, per byte value.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'"' as usize] = OUTSIDE | IN_STRING;
    t[b'{' as usize] = OUTSIDE;
    t[b'}' as usize] = OUTSIDE;
    t[b'\n' as usize] = OUTSIDE | IN_STRING;
    t[0] = OUTSIDE | IN_STRING;
    t[b'\\' as usize] = IN_STRING;
    t
};

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
    depth: u32,
    in_str: bool,
    esc: bool,
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
            depth: 0,
            in_str: false,
            esc: false,
        }
    }

    /// Forgets everything buffered (a writer disconnected: its partial message will never end).
    pub fn reset(&mut self) {
        self.head = 0;
        self.scan = 0;
        self.tail = 0;
        self.state = State::Idle;
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
                        self.depth = 1;
                        self.in_str = false;
                        self.esc = false;
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

    fn scan_object(&mut self) -> Option<Frame<'_>> {
        let limit = self.tail.min(self.head + MAX_MESSAGE);
        // The hot loop works on locals: through `&mut self` the compiler would store every
        // field back on each byte.
        let buf = &self.buf[..limit];
        let (mut i, mut depth, mut in_str, mut esc) =
            (self.scan, self.depth, self.in_str, self.esc);
        let mut end = None; // Some(true): object closed; Some(false): LF/NUL inside it
        while i < limit {
            if esc {
                // The byte after a backslash is taken as is, except the framing bytes.
                let b = buf[i];
                i += 1;
                if b == b'\n' || b == 0 {
                    end = Some(false);
                    break;
                }
                esc = false;
                continue;
            }
            // Skip bytes that cannot change the state with one table lookup each; only the
            // few structural bytes take the branchy path below.
            let mask = if in_str { IN_STRING } else { OUTSIDE };
            while i < limit && CLASS[buf[i] as usize] & mask == 0 {
                i += 1;
            }
            if i == limit {
                break;
            }
            let b = buf[i];
            i += 1;
            if in_str {
                match b {
                    b'\\' => esc = true,
                    b'"' => in_str = false,
                    _ => {
                        end = Some(false);
                        break;
                    }
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(true);
                        break;
                    }
                }
                // Messages never hold a raw LF or NUL (it is the framing, and JSON forbids it in
                // strings): the writer lost the end of this one. Resynchronising here costs one
                // message; gluing the next one on would cost everything up to the size cap.
                _ => {
                    end = Some(false);
                    break;
                }
            }
        }
        (self.scan, self.depth, self.in_str, self.esc) = (i, depth, in_str, esc);
        match end {
            Some(true) => {
                self.state = State::Idle;
                let start = self.head;
                self.head = self.scan;
                Some(Frame::Object(&self.buf[start..self.scan]))
            }
            Some(false) => Some(self.truncated()),
            None if self.scan - self.head >= MAX_MESSAGE => {
                let start = self.head;
                self.state = State::Skip;
                self.head = self.scan;
                Some(Frame::Bad(BadInput::Oversized, &self.buf[start..start + SAMPLE_LEN]))
            }
            None => None,
        }
    }

    fn truncated(&mut self) -> Frame<'_> {
        let start = self.head;
        let end = (self.scan - 1).min(start + SAMPLE_LEN);
        self.state = State::Idle;
        self.head = self.scan;
        Frame::Bad(BadInput::Truncated, &self.buf[start..end])
    }

    /// Follows the dropped object's structure to its end (or the next LF/NUL) keeping nothing.
    fn skip_object(&mut self) {
        while self.scan < self.tail {
            let b = self.buf[self.scan];
            self.scan += 1;
            if b == b'\n' || b == 0 {
                self.state = State::Idle;
                break;
            }
            if self.in_str {
                if self.esc {
                    self.esc = false;
                } else if b == b'\\' {
                    self.esc = true;
                } else if b == b'"' {
                    self.in_str = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_str = true,
                b'{' => self.depth = self.depth.saturating_add(1),
                b'}' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.state = State::Idle;
                        break;
                    }
                }
                _ => {}
            }
        }
        self.head = self.scan;
    }
}
