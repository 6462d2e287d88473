//! Hand-written decoder for flat objects of plain strings and numbers (the shape every tick
//! and signal has); anything else is left to simd-json, so it only has to be right, not complete.

use super::message::{Fields, Num, Val};
use super::reason::BadInput;

/// Decodes `text` if it is one flat JSON object whose strings have no escapes and whose values
/// are strings, numbers or null. `None` means "not that shape (or not valid JSON): ask
/// simd-json", which then decides between a message and [`BadInput::Malformed`]. A type error
/// is only returned once the whole object is known to be valid JSON, so both decoders agree.
/// Fills `f` (which starts empty) in place: it is a few hundred bytes, not worth moving.
pub(crate) fn scan<'a>(text: &'a str, f: &mut Fields<'a>) -> Option<Result<(), BadInput>> {
    let b = text.as_bytes();
    let mut i = ws(b, 1);
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
        None => Ok(()),
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
    // Digits are accumulated while scanning (wrapping; `n_digits` says whether it is exact).
    let mut mant: u64 = 0;
    i = digits(b, i, &mut mant);
    let n_int = i - int_start;
    if n_int == 0 || (n_int > 1 && b[int_start] == b'0') {
        return None;
    }
    let mut n_digits = n_int;
    let mut exp10: i64 = 0;
    let mut float = false;
    if b.get(i) == Some(&b'.') {
        let d = digits(b, i + 1, &mut mant);
        if d == i + 1 {
            return None;
        }
        n_digits += d - i - 1;
        exp10 -= (d - i - 1) as i64;
        i = d;
        float = true;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let eneg = b.get(i) == Some(&b'-');
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let mut e: u64 = 0;
        let d = digits(b, i, &mut e);
        if d == i {
            return None;
        }
        let e = if d - i > 4 { 100_000 } else { e as i64 };
        exp10 += if eneg { -e } else { e };
        i = d;
        float = true;
    }
    // A number followed by anything but a separator is not JSON (e.g. `12abc`).
    if !matches!(b.get(ws(b, i)), Some(b',' | b'}')) {
        return None;
    }
    let n = if float {
        Num::F(decimal(neg, mant, n_digits, exp10).or_else(|| text[start..i].parse::<f64>().ok())?)
    } else if n_digits <= 19 {
        match (neg, mant) {
            // `-0` is an integer zero, as simd-json reads it.
            (_, 0) => Num::U(0),
            (false, m) => Num::U(m),
            (true, m) => Num::I(0i64.checked_sub_unsigned(m)?),
        }
    } else {
        // Too many digits for u64: let simd-json decide what it is.
        return None;
    };
    if let Num::F(f) = n {
        // An overflowing exponent: simd-json calls it malformed, and both decoders must agree.
        if !f.is_finite() {
            return None;
        }
    }
    Some((Val::Num(n), i))
}

/// Exact decimal → f64 when the digits fit in 53 bits and the power of ten is exactly
/// representable (Clinger's fast path: one correctly rounded multiply or divide), which covers
/// every price a chart prints. `None` sends the rare rest to the standard parser.
fn decimal(neg: bool, mant: u64, n_digits: usize, exp10: i64) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    if n_digits > 19 || mant > (1 << 53) || !(-22..=22).contains(&exp10) {
        return None;
    }
    let m = mant as f64;
    let v = if exp10 < 0 { m / POW10[(-exp10) as usize] } else { m * POW10[exp10 as usize] };
    Some(if neg { -v } else { v })
}

/// Skips ASCII digits from `i`, folding them into `acc` (wrapping: callers bound the count).
fn digits(b: &[u8], mut i: usize, acc: &mut u64) -> usize {
    while let Some(&c @ b'0'..=b'9') = b.get(i) {
        *acc = acc.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
        i += 1;
    }
    i
}
