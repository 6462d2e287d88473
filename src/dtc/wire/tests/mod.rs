//! Wire tests: byte layouts of the DTC header, round trips in every encoding, bad input.

mod codecs;
mod header;
mod layout;

use crate::dtc::wire::jsonlex::JVal;
use crate::dtc::*;

/// A message of type `ty` with every field set to a distinct non-default value.
pub(super) fn sample(ty: u16) -> Message {
    let mut m = Message::empty(ty).unwrap();
    for pos in 0..m.field_count() {
        let num = format!("{}.5", pos + 2);
        let text = format!("v{pos}\"\\é");
        if m.set_pos(pos, &JVal::Num(&num)).is_err() {
            m.set_pos(pos, &JVal::Str(text.as_bytes())).unwrap();
        }
    }
    m
}

pub(super) fn all_codecs() -> Vec<Codec> {
    vec![
        Codec::new(Encoding::Binary, false),
        Codec::new(Encoding::Json, false),
        Codec::new(Encoding::JsonCompact, false),
        Codec::new(Encoding::JsonCompact, true),
    ]
}

pub(super) fn le(buf: &mut [u8], off: usize, b: &[u8]) {
    buf[off..off + b.len()].copy_from_slice(b);
}
