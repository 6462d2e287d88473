//! The object scanner: brace- and string-aware, finds where one writer's JSON object ends.

// Writers frame messages with LF, NUL, or nothing at all (`{...}{...}`, as older pipe-export
// studies do), so boundaries come from a brace/string-aware scan, not from a separator.
// Outside strings, a `{` that does not follow `:`, `,` or `[` (e.g. `}{`) never occurs in valid
// JSON, so it is a hard boundary too: without it one cut message would leave the depth >= 1 and
// swallow the stream. A cut inside a string flips the string parity so later boundaries look
// like string content; the last such in-string `{` is remembered and, if the object then
// fails in a string (LF/NUL, a string followed by what cannot follow one) or at the size cap,
// scanning restarts there. The parity check trips within the first key of the next message,
// so the last candidate is that message's `{`.
//
// A cut right after `:` (or `[`) leaves a value open, and the next writer's message then looks
// like a nested value. A `{` after `,` inside an object (not an array) is never valid, so it is
// a hard boundary; after `:` it is not, so the framer remembers where the most recent nested
// object started and ended. When the outer object fails right after such a nested one (the LF
// or the next `}{` that ends the next writer's message), scanning restarts at it: that nested
// object is the next writer's message, and it scans exactly as before, so it frames.

use super::{is_ws, last_non_ws, Frame, Framer, State, MAX_MESSAGE, OPENS, SAMPLE_LEN};
use crate::pipe::wire::reason::BadInput;

/// [`CLASS`] bit: the byte matters outside strings (`"`, `{`, `}`, `[`, `]`, LF, NUL).
const OUTSIDE: u8 = 1;
/// [`CLASS`] bit: the byte matters inside strings (`"`, `\\`, `{`, LF, NUL).
const IN_STRING: u8 = 2;
/// Which bytes can change the scanner's state, per byte value.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'"' as usize] = OUTSIDE | IN_STRING;
    t[b'{' as usize] = OUTSIDE | IN_STRING;
    t[b'}' as usize] = OUTSIDE;
    t[b'[' as usize] = OUTSIDE;
    t[b']' as usize] = OUTSIDE;
    t[b'\n' as usize] = OUTSIDE | IN_STRING;
    t[0] = OUTSIDE | IN_STRING;
    t[b'\\' as usize] = IN_STRING;
    t
};

/// Open containers whose kind (object or array) is tracked; deeper ones count as arrays (the
/// permissive side: a `,{` there is taken as nested).
const KINDS: u32 = 64;

/// Where the scan of one object is, kept across reads (the hot loop copies it to locals).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Scan {
    /// Open `{` (not `[`) count.
    depth: u32,
    in_str: bool,
    esc: bool,
    /// Open containers (`{` and `[`), and one bit per container: set for an array.
    nest: u32,
    arrays: u64,
    /// Offsets from `head` of the last nested object that closed: `{` and one past `}`
    /// (`end == 0`: none).
    closed: (u16, u16),
}

impl Scan {
    pub(super) fn new() -> Self {
        Scan { depth: 1, nest: 1, ..Scan::default() }
    }

    /// True when the innermost open container is an object, as far as is tracked.
    fn in_object(&self) -> bool {
        (1..=KINDS).contains(&self.nest) && self.arrays & (1 << (self.nest - 1)) == 0
    }

    fn push(&mut self, array: bool) {
        if self.nest < KINDS {
            self.arrays = self.arrays & !(1 << self.nest) | (u64::from(array) << self.nest);
        }
        self.nest += 1;
    }

    fn pop(&mut self) {
        self.nest = self.nest.saturating_sub(1);
    }
}

/// True when `{` at `to` cannot be inside the object that starts at `from`: in valid JSON a
/// nested `{` only follows `:`, `[` or, in an array, `,` (whitespace aside); `}{`, `1{`, `"{`,
/// `{{` and `,{` in an object never occur.
fn starts_object_at(buf: &[u8], from: usize, to: usize, in_object: bool) -> bool {
    match buf[from..to].iter().rev().find(|&&b| !is_ws(b)) {
        Some(b':' | b'[') => false,
        Some(b',') => in_object,
        _ => true,
    }
}

/// Whether what follows a string's closing `"` at `i` fits JSON.
#[derive(Clone, Copy)]
enum AfterString {
    /// `:`, `,`, `}` or `]` (whitespace aside), or the buffer ends at the size cap.
    Fits,
    /// Only whitespace so far, and more bytes may come.
    Unknown,
    /// Anything else: the string parity flipped at a cut (`{"a":"x{"symbol":...`).
    Cut,
}

/// After a string only `:`, `,`, `}` or `]` may follow. `at_tail`: `buf` ends where the bytes
/// read so far end (not at the size cap), so a run of whitespace there is undecided.
#[inline(always)]
fn after_string(buf: &[u8], i: usize, at_tail: bool) -> AfterString {
    match buf[i..].iter().find(|&&b| !is_ws(b)) {
        None if at_tail => AfterString::Unknown,
        None | Some(b':' | b',' | b'}' | b']') => AfterString::Fits,
        Some(_) => AfterString::Cut,
    }
}

/// How [`Framer::scan_object`] stopped.
#[derive(Clone, Copy)]
enum End {
    /// Needs more bytes (or hit the size cap).
    Open,
    /// The object closed at depth 0.
    Closed,
    /// An LF or NUL outside strings.
    Cut,
    /// An LF or NUL in a string, or a string followed by what cannot follow one.
    CutInString,
    /// A `}{` outside strings: the next object starts at this `{`.
    Boundary(usize),
}

/// What the hot loop reads but never changes, passed by value to its helpers.
#[derive(Clone, Copy)]
struct Window<'a> {
    /// The bytes up to the scan limit (the tail or the size cap).
    buf: &'a [u8],
    head: usize,
    /// `buf` ends where the bytes read so far end, not at the size cap.
    at_tail: bool,
    rescan_until: usize,
}

/// The byte after a backslash is taken as is, except the framing bytes.
#[inline(always)]
fn escaped(w: Window<'_>, i: &mut usize, esc: &mut bool, cand: &mut usize) -> Option<End> {
    let b = w.buf[*i];
    *i += 1;
    if b == b'\n' || b == 0 {
        return Some(End::CutInString);
    }
    // `\{` is no JSON escape: the writer was cut right after a backslash.
    if b == b'{' && *i > w.rescan_until {
        *cand = *i - 1;
    }
    *esc = false;
    None
}

/// A structural byte `b` inside a string (`i` is one past it).
#[inline(always)]
fn in_string(
    w: Window<'_>,
    b: u8,
    i: &mut usize,
    in_str: &mut bool,
    esc: &mut bool,
    cand: &mut usize,
) -> Option<End> {
    match b {
        b'\\' => *esc = true,
        b'"' => match after_string(w.buf, *i, w.at_tail) {
            AfterString::Fits => *in_str = false,
            AfterString::Unknown => {
                *i -= 1; // decide when the next byte is here
                return Some(End::Open);
            }
            AfterString::Cut => return Some(End::CutInString),
        },
        b'{' => {
            // Maybe a boundary seen with flipped parity; only used if this object
            // fails, so a legitimate `}{` in a string costs nothing.
            if *i > w.rescan_until && starts_object_at(w.buf, w.head, *i - 1, false) {
                *cand = *i - 1;
            }
        }
        _ => return Some(End::CutInString),
    }
    None
}

/// A structural byte `b` outside strings (`i` is one past it).
#[inline(always)]
fn outside(
    w: Window<'_>,
    b: u8,
    i: usize,
    opens: &mut [u16; OPENS],
    depth: &mut u32,
    in_str: &mut bool,
    st: &mut Scan,
) -> Option<End> {
    match b {
        b'"' => *in_str = true,
        b'{' => {
            if starts_object_at(w.buf, w.head, i - 1, st.in_object()) {
                return Some(End::Boundary(i - 1));
            }
            if (*depth as usize) < OPENS {
                opens[*depth as usize] = (i - 1 - w.head) as u16;
            }
            *depth += 1;
            st.push(false);
        }
        b'}' => {
            *depth -= 1;
            st.pop();
            if *depth == 0 {
                return Some(End::Closed);
            }
            st.closed = match opens.get(*depth as usize) {
                Some(&start) => (start, (i - w.head) as u16),
                None => (0, 0),
            };
        }
        b'[' => st.push(true),
        b']' => st.pop(),
        // Messages never hold a raw LF or NUL (it is the framing, and JSON forbids it in
        // strings): the writer lost the end of this one. Resynchronising here costs one
        // message; gluing the next one on would cost everything up to the size cap.
        _ => return Some(End::Cut),
    }
    None
}

impl Framer {
    pub(super) fn scan_object(&mut self) -> Option<Frame<'_>> {
        let limit = self.tail.min(self.head + MAX_MESSAGE);
        // The hot loop works on locals: through `&mut self` the compiler would store every
        // field back on each byte.
        let w = Window {
            buf: &self.buf[..limit],
            head: self.head,
            at_tail: limit == self.tail,
            rescan_until: self.rescan_until,
        };
        let (mut i, mut st, mut cand) = (self.scan, self.st, self.cand);
        let Scan { mut depth, mut in_str, mut esc, .. } = st;
        let mut end = End::Open;
        while i < limit {
            let stop = if esc {
                escaped(w, &mut i, &mut esc, &mut cand)
            } else {
                // Skip bytes that cannot change the state with one table lookup each; only the
                // few structural bytes take the branchy path.
                let mask = if in_str { IN_STRING } else { OUTSIDE };
                while i < limit && CLASS[w.buf[i] as usize] & mask == 0 {
                    i += 1;
                }
                if i == limit {
                    break;
                }
                let b = w.buf[i];
                i += 1;
                if in_str {
                    in_string(w, b, &mut i, &mut in_str, &mut esc, &mut cand)
                } else {
                    outside(w, b, i, &mut self.opens, &mut depth, &mut in_str, &mut st)
                }
            };
            if let Some(e) = stop {
                end = e;
                break;
            }
        }
        (st.depth, st.in_str, st.esc) = (depth, in_str, esc);
        (self.scan, self.st, self.cand) = (i, st, cand);
        self.finish(end)
    }

    /// What the scan that stopped with `end` hands out, and where the next one starts.
    fn finish(&mut self, end: End) -> Option<Frame<'_>> {
        match end {
            End::Closed => {
                self.state = State::Idle;
                self.cand = 0;
                let start = self.head;
                self.head = self.scan;
                Some(Frame::Object(&self.buf[start..self.scan]))
            }
            End::CutInString => {
                // Resumes after the LF/NUL, or after the string that ended in the wrong place,
                // or at the last in-string `{` that may have started the next message.
                let at_separator = self.scan - 1;
                Some(self.truncated(at_separator, self.scan, true))
            }
            End::Cut => {
                // Outside strings, so the parity is right and in-string braces are content.
                let at_separator = self.scan - 1;
                Some(match self.nested_message(at_separator) {
                    Some(at) => self.truncated(at, at, false),
                    None => self.truncated(at_separator, self.scan, false),
                })
            }
            End::Boundary(at) => {
                let at = self.nested_message(at).unwrap_or(at);
                Some(self.truncated(at, at, false))
            }
            End::Open if self.scan - self.head >= MAX_MESSAGE => {
                if self.cand != 0 {
                    return Some(self.truncated(self.scan, self.scan, true));
                }
                let start = self.head;
                self.state = State::Skip;
                self.skip_prev = last_non_ws(&self.buf[start..self.scan]);
                self.head = self.scan;
                Some(Frame::Bad(BadInput::Oversized, &self.buf[start..start + SAMPLE_LEN]))
            }
            End::Open => None,
        }
    }

    /// Where the next writer's message starts when the current object failed outside strings
    /// at `at`, right after a nested object (whitespace aside): that object. Rescanned from
    /// there it takes the same path up to its `}`, so it frames.
    fn nested_message(&self, at: usize) -> Option<usize> {
        let (start, end) = self.st.closed;
        let end = self.head + usize::from(end);
        (end > self.head && self.buf[end..at].iter().all(|&b| is_ws(b)))
            .then_some(self.head + usize::from(start))
    }

    /// Drops the current object as truncated: its bytes end at `end`, scanning resumes at
    /// `resume`, or, with `use_cand`, at the last in-string `{` that could start a message.
    fn truncated(&mut self, end: usize, resume: usize, use_cand: bool) -> Frame<'_> {
        let start = self.head;
        let (end, resume) = if use_cand && self.cand != 0 {
            self.rescan_until = self.rescan_until.max(self.scan);
            (self.cand, self.cand)
        } else {
            (end, resume)
        };
        self.cand = 0;
        self.scan = resume;
        self.state = State::Idle;
        self.head = resume;
        Frame::Bad(BadInput::Truncated, &self.buf[start..end.min(start + SAMPLE_LEN)])
    }
}
