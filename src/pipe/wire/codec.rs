//! Pipe message decoder: frame bytes → [`Message`], sans-IO, no allocation per message.

use super::message::{Fields, Message, Num, Val};
use super::reason::BadInput;
use simd_json::prelude::*;
use simd_json::tape::{Tape, Value};

/// Decodes frames from [`super::frame::Framer`]. Holds the reusable buffers simd-json needs;
/// after the first few messages, decoding allocates nothing.
pub struct Parser {
    /// simd-json rewrites its input (in-place unescaping), and frames belong to the framer.
    scratch: Vec<u8>,
    buffers: simd_json::Buffers,
    /// Kept between calls for its allocation only; emptied (and re-lifetimed) before reuse.
    tape: Option<Tape<'static>>,
    sc_offset_ns: i64,
    fast_path: bool,
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parser")
            .field("sc_offset_ns", &self.sc_offset_ns)
            .field("fast_path", &self.fast_path)
            .finish()
    }
}

impl Default for Parser {
    fn default() -> Self {
        Self::new(0)
    }
}

impl Parser {
    /// A parser; `sc_offset_ns` is the writer's SCDateTime time-zone offset from UTC (east > 0).
    pub fn new(sc_offset_ns: i64) -> Self {
        let max = super::frame::MAX_MESSAGE;
        Parser {
            scratch: Vec::with_capacity(max),
            buffers: simd_json::Buffers::new(max),
            tape: Some(Tape::null()),
            sc_offset_ns,
            fast_path: true,
        }
    }

    /// Turns the hand-written fast path for flat tick objects on or off (benches compare both;
    /// anything it does not recognise goes to simd-json either way).
    pub fn set_fast_path(&mut self, on: bool) {
        self.fast_path = on;
    }

    /// Decodes one frame (a complete `{...}` object). The message borrows from the frame (fast
    /// path) or from the parser's scratch copy (simd-json).
    pub fn parse<'s>(&'s mut self, frame: &'s [u8]) -> Result<Message<'s>, BadInput> {
        let Ok(text) = std::str::from_utf8(frame) else {
            return Err(BadInput::NonUtf8);
        };
        let Parser { scratch, buffers, tape: slot, sc_offset_ns, fast_path } = self;
        if *fast_path {
            let mut f = Fields::default();
            if let Some(res) = super::fast::scan(text, &mut f) {
                return res.and_then(|()| f.finish(*sc_offset_ns));
            }
        }
        scratch.clear();
        scratch.extend_from_slice(frame);
        let mut tape: Tape<'s> = slot.take().unwrap_or_else(Tape::null).reset();
        let res = match simd_json::fill_tape(scratch.as_mut_slice(), buffers, &mut tape) {
            Ok(()) => {
                let mut f = Fields::default();
                fields_of(tape.as_value(), &mut f).and_then(|()| f.finish(*sc_offset_ns))
            }
            Err(_) => Err(BadInput::Malformed),
        };
        *slot = Some(tape.reset());
        res
    }
}

/// Reads the known keys in one pass.
fn fields_of<'i>(v: Value<'_, 'i>, f: &mut Fields<'i>) -> Result<(), BadInput> {
    let obj = v.as_object().ok_or(BadInput::Malformed)?;
    for (k, v) in obj.iter() {
        let val = if let Some(s) = v.into_string() {
            Val::Str(s)
        } else if let Some(u) = v.as_u64() {
            Val::Num(Num::U(u))
        } else if let Some(i) = v.as_i64() {
            Val::Num(Num::I(i))
        } else if let Some(x) = v.as_f64() {
            Val::Num(Num::F(x))
        } else if v.as_null().is_some() {
            Val::Null
        } else {
            Val::Other
        };
        f.set(k, val)?;
    }
    Ok(())
}
