//! Numbers onto the wire (pure): integers by `itoa`, prices exactly as `{}` prints them, faster.

use std::io::Write;

/// Appends `n` in decimal (what `write!(out, "{n}")` appends, without the formatting machinery).
pub fn push_int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `v` byte for byte as `write!(out, "{v}")` would (the shortest decimal that reads
/// back as `v`, never an exponent). Prices take a fixed-point path; anything else (|v| ≥ 10^7,
/// more than 6 decimals, zero, NaN, infinities) goes through `Display`.
pub fn push_f64(out: &mut Vec<u8>, v: f64) {
    match fixed_point(v) {
        Some(f) => f.push(out),
        None => {
            let _ = write!(out, "{v}"); // a Vec<u8> cannot fail
        }
    }
}

/// `v` as `int.frac` with `digits` fraction digits (`frac` < 10^digits).
#[derive(Debug, PartialEq)]
struct Fixed {
    negative: bool,
    int: u64,
    frac: u64,
    digits: u32,
}

/// Below this magnitude, with at most [`MAX_DIGITS`] decimals, the fixed-point path is exact.
const LIMIT: f64 = 1e7;
const MAX_DIGITS: u32 = 6;

/// The fewest decimals `k` (0..=6) for which some `m / 10^k` reads back as exactly `v`.
///
/// Why this equals `Display`: `m` and `10^k` are exact doubles (m < 10^13 < 2^53), so
/// `m / 10^k` is the correctly rounded value of the decimal, the same double parsing the text
/// gives: equality means the text round-trips. A candidate that round-trips lies within half
/// an ulp of `v` (at most 9.3e-10 below 10^7), so scaled by 10^k ≤ 10^6 it is within 1e-3 of
/// `v·10^k`, whose own rounding error is below 1.2e-3: `round` finds it, and no second integer
/// fits in that window. Fewest decimals is fewest significant digits for a fixed `v`, which is
/// what the shortest round-trip `Display` prints (digits never in exponent form).
fn fixed_point(v: f64) -> Option<Fixed> {
    let a = v.abs();
    if a.is_nan() || a >= LIMIT || a == 0.0 {
        return None; // ±0 keeps Display's own sign rule
    }
    let mut scale = 1u64;
    for digits in 0..=MAX_DIGITS {
        let m = (a * scale as f64).round();
        if m / scale as f64 == a {
            let m = m as u64;
            return Some(Fixed { negative: v < 0.0, int: m / scale, frac: m % scale, digits });
        }
        scale *= 10;
    }
    None
}

impl Fixed {
    fn push(&self, out: &mut Vec<u8>) {
        if self.negative {
            out.push(b'-');
        }
        push_int(out, self.int);
        if self.digits > 0 {
            out.push(b'.');
            let mut buf = itoa::Buffer::new();
            let frac = buf.format(self.frac).as_bytes();
            // Leading zeros of the fraction (0.05 → "05").
            out.extend(std::iter::repeat_n(b'0', self.digits as usize - frac.len()));
            out.extend_from_slice(frac);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(v: f64) -> (String, String) {
        let mut out = Vec::new();
        push_f64(&mut out, v);
        (String::from_utf8(out).unwrap_or_default(), format!("{v}"))
    }

    fn assert_same(v: f64) {
        let (ours, display) = both(v);
        assert_eq!(ours, display, "{v:e} (bits {:#x})", v.to_bits());
    }

    #[test]
    fn prices_print_as_display_does() {
        for v in [4700.25, 4650.0, 0.05, 0.000001, 1.5e-7, 9_999_999.999999, 1e7, -12.5, 0.0, -0.0]
        {
            assert_same(v);
        }
        for v in
            [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MIN_POSITIVE, f64::MAX, 0.1 + 0.2]
        {
            assert_same(v);
        }
        assert_eq!(fixed_point(0.05), Some(Fixed { negative: false, int: 0, frac: 5, digits: 2 }));
    }

    #[test]
    fn every_tick_of_common_futures_prints_as_display_does() {
        // Ticks of 0.25, 0.1, 0.01, 1/32 and 0.0001, as a tick count times the tick size and
        // parsed from text, the two ways a price reaches the encoder.
        for i in 0..200_000u64 {
            for tick in [0.25, 0.1, 0.01, 0.03125, 0.0001] {
                assert_same(i as f64 * tick);
                assert_same(-(i as f64) * tick);
            }
            let text = format!("{}.{:02}", i / 7, i % 100);
            assert_same(text.parse().unwrap_or(0.0));
        }
    }

    #[test]
    fn random_doubles_print_as_display_does() {
        // Deterministic xorshift: any bit pattern (mostly fallbacks), and values under the limit
        // with up to 9 decimals (the fast path's edge: 7 to 9 decimals fall back).
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200_000 {
            assert_same(f64::from_bits(next()));
            let digits = (next() % 10) as i32;
            let v = (next() % 10_000_000_000_000) as f64 / 10f64.powi(digits);
            assert_same(v);
            assert_same((next() % 1_000_000_000) as f64 / 1e6 + 1e-9);
        }
    }

    #[test]
    fn integers_print_as_display_does() {
        for n in [0u64, 1, 9, 10, 4_294_967_295, u64::MAX] {
            let mut out = Vec::new();
            push_int(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }
}
