//! Sierra Chart `SCDateTime` (days since 1899-12-30 as a double) to and from Unix nanoseconds.

/// Days from the SCDateTime epoch (1899-12-30) to the Unix epoch (1970-01-01).
pub const UNIX_EPOCH_DAYS: i64 = 25_569;

const NS_PER_DAY: i64 = 86_400_000_000_000;

/// Converts an SCDateTime (fractional days since 1899-12-30) to Unix nanoseconds.
///
/// `None` when the value is not finite or falls outside 1970..2262 (the `i64` ns range); a
/// writer that sends such a value is broken, and 0 would be read as "unknown".
pub fn to_unix_ns(days: f64) -> Option<i64> {
    if !days.is_finite() {
        return None;
    }
    // Split whole days from the fraction so the day count stays exact; multiplying the whole
    // double by ns/day would cost ~256 ns of precision at today's magnitude.
    let whole = days.floor();
    let frac = days - whole;
    let unix_days = whole - UNIX_EPOCH_DAYS as f64;
    if !(0.0..106_000.0).contains(&unix_days) {
        return None;
    }
    let ns = unix_days as i64 * NS_PER_DAY + (frac * NS_PER_DAY as f64).round() as i64;
    (ns > 0).then_some(ns)
}

/// Converts Unix nanoseconds to an SCDateTime (for the simulator's seed format and tests).
pub fn from_unix_ns(ns: i64) -> f64 {
    let days = ns.div_euclid(NS_PER_DAY);
    let rem = ns.rem_euclid(NS_PER_DAY);
    (days + UNIX_EPOCH_DAYS) as f64 + rem as f64 / NS_PER_DAY as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_epoch_is_day_25569() {
        assert_eq!(from_unix_ns(0), 25_569.0);
        assert_eq!(to_unix_ns(25_569.5), Some(43_200_000_000_000));
        // Exactly the epoch means "0 = unknown", so it is refused rather than silently unknown.
        assert_eq!(to_unix_ns(25_569.0), None);
    }

    #[test]
    fn known_date_converts() {
        // 2026-01-27T18:05:30Z = 1_769_537_130 s; days = 20480 + 65130/86400.
        let sc = 25_569.0 + 20_480.0 + 65_130.0 / 86_400.0;
        let ns = to_unix_ns(sc).unwrap();
        assert!((ns - 1_769_537_130_000_000_000).abs() < 2_000, "{ns}");
        let mut iso = [0u8; 20];
        crate::clock::iso8601_utc((ns + 500_000_000) / 1_000_000_000, &mut iso);
        assert_eq!(&iso, b"2026-01-27T18:05:30Z");
    }

    #[test]
    fn round_trip_keeps_microseconds() {
        for ns in [
            1_000_000i64,
            1_000_000_123_456_789,
            1_769_537_130_123_456_000,
            4_102_444_800_000_000_000,
        ] {
            let back = to_unix_ns(from_unix_ns(ns)).unwrap();
            // A double holds days to ~1e-11 at this magnitude: about a microsecond.
            assert!((back - ns).abs() < 2_000, "{ns} -> {back}");
        }
    }

    #[test]
    fn refuses_nonsense() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, 0.0, 25_568.9, 1e9] {
            assert_eq!(to_unix_ns(v), None, "{v}");
        }
    }
}
