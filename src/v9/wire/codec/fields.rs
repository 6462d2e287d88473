//! The codec's field readers (pure): `|` fields by a byte scan, integers, exact prices.

use super::ParseError;

pub(super) struct Fields<'a>(pub(super) Pipes<'a>);

/// The `|`-separated fields of a message (what `split('|')` yields), by a plain byte scan:
/// `|` is ASCII, so every cut is a character boundary, and these fields are short enough that
/// `split`'s memchr searcher cost more to set up than the scan (callgrind: ~600 instructions
/// per signal).
pub(super) struct Pipes<'a>(pub(super) Option<&'a str>);

impl<'a> Iterator for Pipes<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.0?;
        match s.bytes().position(|b| b == b'|') {
            Some(i) => {
                self.0 = s.get(i + 1..);
                s.get(..i)
            }
            None => {
                self.0 = None;
                Some(s)
            }
        }
    }
}

impl<'a> Fields<'a> {
    pub(super) fn required(&mut self, name: &'static str) -> Result<&'a str, ParseError> {
        match self.0.next() {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ParseError::Missing(name)),
        }
    }
    pub(super) fn optional(&mut self) -> Option<&'a str> {
        self.0.next()
    }
    pub(super) fn number<T: std::str::FromStr>(
        &mut self,
        name: &'static str,
    ) -> Result<T, ParseError> {
        let s = self.required(name)?;
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::Invalid(name));
        }
        s.parse().map_err(|_| ParseError::Invalid(name))
    }
    pub(super) fn float(&mut self, name: &'static str) -> Result<f64, ParseError> {
        let s = self.required(name)?;
        parse_signed(s).ok_or(ParseError::Invalid(name))
    }
}

/// `s.split_once(c)` for an ASCII `c`, by a byte scan (the char searcher costs ~90
/// instructions a call, twice per signal on the loop).
pub(super) fn cut(s: &str, c: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == c)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

pub(super) fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A finite decimal with optional sign (`+150.00`, `-75.50`); rejects inf/nan/exponents.
pub(super) fn parse_signed(s: &str) -> Option<f64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    exact_decimal(digits)
        .map(|v| if s.starts_with('-') { -v } else { v })
        .or_else(|| s.parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

/// `digits` (ASCII digits and dots) as the nearest double, when it has one dot at most and
/// at most 15 significant digits: then the digits are an exact integer m < 2^53 and 10^k an
/// exact double, so `m / 10^k` is correctly rounded, the same double `parse` gives (Clinger's
/// fast path). Anything else is left to `parse`.
fn exact_decimal(digits: &str) -> Option<f64> {
    const POW10: [f64; 16] =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let (int, frac) = cut(digits, b'.').unwrap_or((digits, ""));
    if int.len() + frac.len() > 15 || int.len() + frac.len() == 0 || frac.as_bytes().contains(&b'.')
    {
        return None;
    }
    let m = int.bytes().chain(frac.bytes()).fold(0u64, |m, b| m * 10 + u64::from(b - b'0'));
    Some(m as f64 / POW10[frac.len()])
}

pub(super) fn parse_price(s: &str) -> Option<f64> {
    parse_signed(s).filter(|v| *v > 0.0)
}
