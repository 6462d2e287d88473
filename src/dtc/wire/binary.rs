//! Binary encoding: little-endian C structs behind a `u16 Size, u16 Type` header, decoded by `Size`.

use super::messages::Message;
use super::types::DecodeError;

/// The `(Size, Type)` header of a binary frame, if 4 bytes are there.
#[inline]
pub fn header(buf: &[u8]) -> Option<(u16, u16)> {
    let h = buf.get(..4)?;
    Some((u16::from_le_bytes([h[0], h[1]]), u16::from_le_bytes([h[2], h[3]])))
}

/// Decodes one whole frame. Fields past `Size` take their defaults (an older, shorter struct);
/// bytes past our struct are ignored (a newer, longer one).
#[inline]
pub fn decode(frame: &[u8]) -> Result<Message, DecodeError> {
    let (size, ty) = header(frame).ok_or(DecodeError::Truncated)?;
    if size < 4 {
        return Err(DecodeError::SizeTooSmall(size));
    }
    let body = frame.get(..size as usize).ok_or(DecodeError::Truncated)?;
    Message::read_bin(ty, body)
}

/// Appends the frame of `m`, at our full current struct size.
pub fn encode(m: &Message, out: &mut Vec<u8>) {
    m.write_bin(out);
}
