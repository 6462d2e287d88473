//! Time helpers: wall-clock nanoseconds and allocation-free ISO-8601 formatting.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A latency stamp: the precise monotonic time of an event (bytes read, bytes written), apart
/// from the turn's `now`, which is protocol time (deadlines) and read once per loop turn.
#[inline]
pub fn stamp() -> Instant {
    Instant::now()
}

/// Unix time in nanoseconds (0 if the clock is before 1970).
pub fn unix_nanos() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos().min(i64::MAX as u128) as i64,
        Err(_) => 0,
    }
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a civil date (inverse of [`civil_from_days`]).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Writes `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds into `out` (20 bytes); returns the length.
pub fn iso8601_utc(unix_secs: i64, out: &mut [u8; 20]) -> usize {
    let days = unix_secs.div_euclid(86_400);
    let sod = unix_secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    let y = y.clamp(0, 9999) as u32;
    let digits = |v: u32, dst: &mut [u8]| {
        let mut v = v;
        for b in dst.iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    digits(y, &mut out[0..4]);
    out[4] = b'-';
    digits(mo, &mut out[5..7]);
    out[7] = b'-';
    digits(d, &mut out[8..10]);
    out[10] = b'T';
    digits((sod / 3600) as u32, &mut out[11..13]);
    out[13] = b':';
    digits((sod / 60 % 60) as u32, &mut out[14..16]);
    out[16] = b':';
    digits((sod % 60) as u32, &mut out[17..19]);
    out[19] = b'Z';
    20
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff…][Z|±HH:MM]` into Unix seconds; None when malformed.
pub fn parse_iso8601(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as i64;
        }
        Some(v)
    };
    let (y, mo, d, h, mi, se) =
        (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match &b[i..] {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hh = num(i + 1..i + 3)?;
            let mm = num(i + 4..i + 6)?;
            let _ = (h1, h2, m1, m2);
            let off = hh * 3600 + mm * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + se - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let mut buf = [0u8; 20];
        iso8601_utc(1_769_537_130, &mut buf);
        assert_eq!(&buf, b"2026-01-27T18:05:30Z");
        assert_eq!(parse_iso8601("2026-01-27T18:05:30Z"), Some(1_769_537_130));
        assert_eq!(parse_iso8601("2026-01-27T19:05:30+01:00"), Some(1_769_537_130));
        assert_eq!(parse_iso8601("2026-01-27T18:05:30.123Z"), Some(1_769_537_130));
        assert_eq!(parse_iso8601("2026-13-27T18:05:30Z"), None);
        assert_eq!(parse_iso8601("yesterday"), None);
        for days in [-800_000i64, -1, 0, 1, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
