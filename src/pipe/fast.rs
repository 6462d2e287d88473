//! Hand-written decoder for flat objects of plain strings and numbers (the shape every tick
//! and signal has); anything else is left to simd-json, so it only has to be right, not complete.

use super::message::{Fields, Num, Val};
use super::reason::BadInput;

/// Decodes `text` if it is one flat JSON object whose strings have no escapes and whose values
/// are strings, numbers or null. `None` means "not that shape (or not valid JSON): ask
/// simd-json", which then decides between a message and [`BadInput::Malformed`]. A type error
/// is only returned once the whole object is known to be valid JSON, so both decoders agree.
pub(crate) fn scan(text: &str) -> Option<Result<Fields<'_>, BadInput>> {
    let b = text.as_bytes();
    let mut i = ws(b, 1);
    let mut f = Fields::default();
    let mut err = None;
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            let (ks, ke) = string(b, i)?;
            i = ws(b, ke + 1);
            if *b.get(i)? != b':' {
                return None;
            }
            i = ws(b, i + 1);
            let (val, next) = value(text, i)?;
            if err.is_none() {
                err = f.set(&text[ks..ke], val).err();
            }
            i = ws(b, next);
            match *b.get(i)? {
                b',' => i = ws(b, i + 1),
                b'}' => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    // The framer hands out `{` .. matching `}`; anything after is not this shape.
    if i != b.len() {
        return None;
    }
    Some(match err {
        Some(e) => Err(e),
        None => Ok(f),
    })
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// A string starting at `i` (the quote): byte range of its content, or `None` if it has
/// escapes or control characters.
fn string(b: &[u8], i: usize) -> Option<(usize, usize)> {
    if *b.get(i)? != b'"' {
        return None;
    }
    let start = i + 1;
    let mut j = start;
    loop {
        match *b.get(j)? {
            b'"' => return Some((start, j)),
            b'\\' | 0..=0x1f => return None,
            _ => j += 1,
        }
    }
}

/// A value starting at `i`: the value and the index after it.
fn value(text: &str, i: usize) -> Option<(Val<'_>, usize)> {
    let b = text.as_bytes();
    match *b.get(i)? {
        b'"' => {
            let (s, e) = string(b, i)?;
            Some((Val::Str(&text[s..e]), e + 1))
        }
        b'n' if b.get(i..i + 4) == Some(b"null") => Some((Val::Null, i + 4)),
        b'-' | b'0'..=b'9' => number(text, i),
        _ => None,
    }
}

/// A JSON number (strict grammar: simd-json must be the one to call sloppy numbers malformed).
fn number(text: &str, start: usize) -> Option<(Val<'_>, usize)> {
    let b = text.as_bytes();
    let mut i = start;
    let neg = b[i] == b'-';
    if neg {
        i += 1;
    }
    let int_start = i;
    i = digits(b, i);
    let n_int = i - int_start;
    if n_int == 0 || (n_int > 1 && b[int_start] == b'0') {
        return None;
    }
    let mut float = false;
    if b.get(i) == Some(&b'.') {
        let d = digits(b, i + 1);
        if d == i + 1 {
            return None;
        }
        i = d;
        float = true;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let d = digits(b, i);
        if d == i {
            return None;
        }
        i = d;
        float = true;
    }
    let s = &text[start..i];
    let n = if float {
        // An overflowing exponent: simd-json calls it malformed, and both decoders must agree.
        Num::F(s.parse::<f64>().ok().filter(|f| f.is_finite())?)
    } else if neg {
        // `-0` is an integer zero, as simd-json reads it.
        match s.parse().ok()? {
            0 => Num::U(0),
            v => Num::I(v),
        }
    } else {
        Num::U(s.parse().ok()?)
    };
    // A number followed by anything but a separator is not JSON (e.g. `12abc`).
    match b.get(ws(b, i)) {
        Some(b',' | b'}') => Some((Val::Num(n), i)),
        _ => None,
    }
}

fn digits(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}
