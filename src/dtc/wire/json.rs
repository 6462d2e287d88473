//! JSON encoding: `{"Type":N,"Name":value,...}` with the header's field names (`Type` first).

use super::compact;
use super::jsonlex::{self, JVal};
use super::messages::Message;
use super::types::DecodeError;
use std::io::Write as _;

/// Appends `m` as named JSON (no NUL: the transport adds it).
pub fn encode(m: &Message, out: &mut Vec<u8>) {
    let _ = write!(out, "{{\"Type\":{}", m.type_num());
    m.write_named(out);
    out.push(b'}');
}

/// `Type` when the message starts `{"Type":N` (ours and SC's output): saves the first pass.
fn leading_type(text: &[u8]) -> Option<u16> {
    let rest = text.strip_prefix(b"{\"Type\":")?;
    let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || n > 5 || !matches!(rest.get(n), Some(b',' | b'}')) {
        return None;
    }
    std::str::from_utf8(&rest[..n]).ok()?.parse().ok()
}

fn find_type(text: &[u8]) -> Result<u16, DecodeError> {
    if let Some(t) = leading_type(text) {
        return Ok(t);
    }
    let mut ty: Option<u16> = None;
    let mut bad_type = false;
    // Stop at `Type` (first in SC's and our output); the second pass validates the rest.
    let r = jsonlex::for_each_member(text, |k, v| {
        if k == b"Type" {
            match v {
                JVal::Num(s) => match jsonlex::num_u64(s).and_then(|t| u16::try_from(t).ok()) {
                    Some(t) => ty = Some(t),
                    None => bad_type = true,
                },
                _ => bad_type = true,
            }
            return Err(DecodeError::MissingType);
        }
        Ok(())
    });
    match (ty, r) {
        (Some(t), _) => Ok(t),
        (None, Err(DecodeError::MissingType)) if bad_type => Err(DecodeError::MissingType),
        (None, Err(e)) => Err(e),
        (None, Ok(())) => Err(DecodeError::MissingType),
    }
}

/// Decodes one JSON message, named or compact (an `"F"` array); `sierra_order` applies SC's
/// compact field order for types 112 and 117. Missing fields keep their defaults.
pub fn decode_any(text: &[u8], sierra_order: bool) -> Result<Message, DecodeError> {
    let ty = find_type(text)?;
    let mut m = Message::empty(ty)?;
    let mut f: Option<&[u8]> = None;
    jsonlex::for_each_member(text, |k, v| match (k, v) {
        (b"Type", _) => Ok(()),
        (b"F", JVal::Array(a)) => {
            f = Some(a);
            Ok(())
        }
        (b"F", _) => Err(DecodeError::WrongFieldType("F")),
        (k, v) => m.set_named(k, &v),
    })?;
    if let Some(arr) = f {
        jsonlex::for_each_element(arr, |pos, v| {
            if matches!(v, JVal::Array(_) | JVal::Object) {
                return Err(DecodeError::WrongFieldType("F"));
            }
            m.set_pos(compact::field_index(ty, pos, sierra_order), &v)
        })?;
    }
    Ok(m)
}

/// Decodes named JSON (compact input is accepted too, in header order).
pub fn decode(text: &[u8]) -> Result<Message, DecodeError> {
    decode_any(text, false)
}
