//! Trading hours per symbol and the loss-limit session clock, in an exchange's local time.

use jiff::civil::{DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

const DAY_MIN: u32 = 24 * 60;
const WEEK_MIN: u32 = 7 * DAY_MIN;
const NS_PER_MIN: i64 = 60_000_000_000;
/// Day names accepted in `days` (lower case), Sunday first.
pub const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Looks up an IANA time zone in the bundled database.
pub fn zone(name: &str) -> Result<TimeZone, String> {
    jiff::tz::db().get(name).map_err(|_| format!("unknown time zone {name:?}"))
}

/// Parses `HH:MM` (00:00..=24:00) into minutes since midnight.
pub fn parse_hhmm(s: &str) -> Result<u32, String> {
    let bad = || format!("{s:?} is not HH:MM");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// When a symbol may open positions: windows of local time that start on given weekdays, in
/// minutes of the week (Sunday 00:00 = 0). A window that ends before it starts crosses
/// midnight (`17:00-16:00` started on Sunday closes on Monday 16:00).
#[derive(Clone, Debug)]
pub struct TradingHours {
    tz: TimeZone,
    /// Half-open [start, end) minute-of-week ranges, sorted, non-overlapping; `end` may pass
    /// the end of the week (the range wraps to Sunday).
    windows: Vec<(u32, u32)>,
}

impl TradingHours {
    /// Builds from `tz`, windows `"HH:MM-HH:MM"` and start days (empty = every day); errors
    /// name the faulty value. Overlapping windows are an error.
    pub fn new(tz: &str, windows: &[String], days: &[String]) -> Result<TradingHours, String> {
        let tz = zone(tz).map_err(|e| format!("tz: {e}"))?;
        let mut day_mask = 0u8;
        for d in days {
            let i = DAY_NAMES
                .iter()
                .position(|n| n.eq_ignore_ascii_case(d.trim()))
                .ok_or_else(|| format!("days: {d:?} is not one of {}", DAY_NAMES.join(", ")))?;
            day_mask |= 1 << i;
        }
        if days.is_empty() {
            day_mask = 0x7f;
        }
        let mut out = Vec::new();
        for w in windows {
            let (a, b) =
                w.split_once('-').ok_or_else(|| format!("hours: {w:?} is not HH:MM-HH:MM"))?;
            let (a, b) = (parse_hhmm(a), parse_hhmm(b));
            let (a, b) =
                (a.map_err(|e| format!("hours: {e}"))?, b.map_err(|e| format!("hours: {e}"))?);
            if a == b || a == DAY_MIN {
                return Err(format!("hours: {w:?} is empty"));
            }
            let len = if b > a { b - a } else { DAY_MIN - a + b };
            for day in 0..7u32 {
                if day_mask & (1 << day) != 0 {
                    out.push((day * DAY_MIN + a, day * DAY_MIN + a + len));
                }
            }
        }
        if out.is_empty() {
            return Err("hours: no window".into());
        }
        out.sort_unstable();
        let last = out[out.len() - 1];
        for pair in out.windows(2) {
            if pair[1].0 < pair[0].1 {
                return Err(format!("hours: windows overlap ({})", describe(pair[1])));
            }
        }
        // The last window may wrap past the week's end into the first one.
        if last.1 > WEEK_MIN && last.1 - WEEK_MIN > out[0].0 {
            return Err(format!("hours: windows overlap ({})", describe(out[0])));
        }
        Ok(TradingHours { tz, windows: out })
    }

    /// Open at unix minute `minute`? (Time zone offsets are whole minutes, so one answer holds
    /// for a whole UTC minute and callers cache it per minute.)
    pub fn open_at_minute(&self, minute: i64) -> bool {
        let Ok(ts) = Timestamp::from_second(minute.saturating_mul(60)) else { return false };
        let mow = minute_of_week(self.tz.to_datetime(ts));
        self.windows
            .iter()
            .any(|&(s, e)| (s..e).contains(&mow) || (s..e).contains(&(mow + WEEK_MIN)))
    }
}

fn describe((start, _): (u32, u32)) -> String {
    let day = DAY_NAMES[(start / DAY_MIN) as usize % 7];
    format!("{day} {:02}:{:02}", start % DAY_MIN / 60, start % 60)
}

fn minute_of_week(dt: DateTime) -> u32 {
    let day = match dt.weekday() {
        Weekday::Sunday => 0,
        other => other.to_monday_one_offset() as u32,
    };
    day * DAY_MIN + dt.hour() as u32 * 60 + dt.minute() as u32
}

/// The per-minute cache of one symbol's open/closed answer (the hot path reads the zone
/// database at most once a minute per symbol).
#[derive(Clone, Copy, Debug, Default)]
pub struct HoursCache {
    minute: i64,
    open: bool,
    valid: bool,
}

impl HoursCache {
    /// Open at `wall_ns` (unix nanoseconds)?
    pub fn open(&mut self, hours: &TradingHours, wall_ns: i64) -> bool {
        let minute = wall_ns.div_euclid(NS_PER_MIN);
        if !self.valid || self.minute != minute {
            *self = HoursCache { minute, open: hours.open_at_minute(minute), valid: true };
        }
        self.open
    }
}

/// The daily session boundary (loss limits reset there): a local time in a zone.
#[derive(Clone, Debug)]
pub struct SessionClock {
    tz: TimeZone,
    at_min: u32,
    next_ns: i64,
}

impl SessionClock {
    /// A clock resetting at local `hhmm` in zone `tz`, positioned at `wall_ns`.
    pub fn new(tz: &str, hhmm: &str, wall_ns: i64) -> Result<SessionClock, String> {
        let tz = zone(tz)?;
        let at_min = parse_hhmm(hhmm)?;
        if at_min == DAY_MIN {
            return Err(format!("{hhmm:?} is not HH:MM before 24:00"));
        }
        let mut c = SessionClock { tz, at_min, next_ns: 0 };
        c.next_ns = c.next_after(wall_ns);
        Ok(c)
    }

    /// The next reset strictly after `wall_ns`.
    pub fn next_reset_ns(&self) -> i64 {
        self.next_ns
    }

    /// True once per boundary crossed: the first call at or after the pending reset moves the
    /// clock to the following one.
    pub fn roll(&mut self, wall_ns: i64) -> bool {
        if wall_ns < self.next_ns {
            return false;
        }
        self.next_ns = self.next_after(wall_ns);
        true
    }

    fn next_after(&self, wall_ns: i64) -> i64 {
        let far = i64::MAX;
        let Ok(ts) = Timestamp::from_nanosecond(i128::from(wall_ns)) else { return far };
        let mut date = self.tz.to_datetime(ts).date();
        // Today's reset, else tomorrow's (two tries cover DST days that skip the local time:
        // the compatible mapping moves it forward, never back past `wall_ns`).
        for _ in 0..3 {
            let local = date.at((self.at_min / 60) as i8, (self.at_min % 60) as i8, 0, 0);
            if let Ok(t) = self.tz.to_timestamp(local) {
                let ns = t.as_nanosecond();
                if ns > i128::from(wall_ns) {
                    return i64::try_from(ns).unwrap_or(far);
                }
            }
            match date.tomorrow() {
                Ok(d) => date = d,
                Err(_) => return far,
            }
        }
        far
    }
}
