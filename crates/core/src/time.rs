//! Timestamp conversions shared by all modules. Every output time is UTC, written
//! `YYYY-MM-DD HH:MM:SS.ffffff` (the form MVT writes, which also sorts as a string).

use jiff::Timestamp;

/// Seconds between 1970-01-01 and 2001-01-01 (Apple's "Mac absolute time" epoch).
pub const MAC_EPOCH_OFFSET: i64 = 978_307_200;
/// Seconds between 1601-01-01 (WebKit/Chrome/Windows epoch) and 1970-01-01.
pub const WEBKIT_EPOCH_OFFSET: i64 = 11_644_473_600;

/// Earliest and latest instants accepted as plausible device times.
const MIN_SECS: i64 = 0; // 1970
const MAX_SECS: i64 = 4_102_444_800; // 2100

fn from_secs_f64(secs: f64) -> Option<Timestamp> {
    if !secs.is_finite() {
        return None;
    }
    let whole = secs.floor();
    if whole < MIN_SECS as f64 || whole > MAX_SECS as f64 {
        return None;
    }
    let nanos = ((secs - whole) * 1e9).round() as i32;
    Timestamp::new(whole as i64, nanos.min(999_999_999)).ok()
}

/// Unix seconds (possibly fractional).
pub fn from_unix(secs: f64) -> Option<Timestamp> {
    from_secs_f64(secs)
}

/// Unix milliseconds.
pub fn from_unix_ms(ms: i64) -> Option<Timestamp> {
    let secs = ms.div_euclid(1000);
    if !(MIN_SECS..=MAX_SECS).contains(&secs) {
        return None;
    }
    Timestamp::new(secs, (ms.rem_euclid(1000) * 1_000_000) as i32).ok()
}

/// Mac absolute time: seconds since 2001-01-01. iOS also stores nanoseconds since 2001
/// in some databases (sms.db from iOS 11); values larger than 1e11 are taken as nanoseconds.
pub fn from_mac_absolute(value: f64) -> Option<Timestamp> {
    if value == 0.0 || !value.is_finite() {
        return None;
    }
    let secs = if value.abs() > 1e11 {
        value / 1e9
    } else {
        value
    };
    from_secs_f64(secs + MAC_EPOCH_OFFSET as f64)
}

/// WebKit/Chrome time: microseconds since 1601-01-01.
pub fn from_webkit(micros: i64) -> Option<Timestamp> {
    if micros == 0 {
        return None;
    }
    let secs = micros.div_euclid(1_000_000) - WEBKIT_EPOCH_OFFSET;
    if !(MIN_SECS..=MAX_SECS).contains(&secs) {
        return None;
    }
    Timestamp::new(secs, (micros.rem_euclid(1_000_000) * 1000) as i32).ok()
}

/// Firefox (PRTime): microseconds since 1970.
pub fn from_unix_us(micros: i64) -> Option<Timestamp> {
    let secs = micros.div_euclid(1_000_000);
    if !(MIN_SECS..=MAX_SECS).contains(&secs) {
        return None;
    }
    Timestamp::new(secs, (micros.rem_euclid(1_000_000) * 1000) as i32).ok()
}

/// Formats a timestamp as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC).
pub fn format(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// Like [`format`], for optional timestamps (empty string when absent).
pub fn format_opt(ts: Option<Timestamp>) -> Option<String> {
    ts.map(format)
}

/// Parses the `YYYY-MM-DD HH:MM:SS[.ffffff]` form back (also accepts RFC 3339).
pub fn parse(s: &str) -> Option<Timestamp> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts);
    }
    let dt: jiff::civil::DateTime = s.trim().parse().ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_absolute_seconds_and_nanoseconds() {
        let a = from_mac_absolute(600_000_000.0).unwrap();
        assert_eq!(format(a), "2020-01-06 10:40:00.000000");
        let b = from_mac_absolute(600_000_000.0 * 1e9).unwrap();
        assert_eq!(a, b);
        assert!(from_mac_absolute(0.0).is_none());
    }

    #[test]
    fn webkit_and_unix() {
        // 2021-01-01 00:00:00 UTC
        let unix = 1_609_459_200i64;
        assert_eq!(
            format(from_webkit((unix + WEBKIT_EPOCH_OFFSET) * 1_000_000).unwrap()),
            "2021-01-01 00:00:00.000000"
        );
        assert_eq!(
            format(from_unix_ms(unix * 1000 + 250).unwrap()),
            "2021-01-01 00:00:00.250000"
        );
        assert_eq!(
            format(from_unix_us(unix * 1_000_000 + 1).unwrap()),
            "2021-01-01 00:00:00.000001"
        );
        assert!(from_unix(1e300).is_none());
        assert!(from_unix(f64::NAN).is_none());
    }

    #[test]
    fn parse_round_trip() {
        let t = from_unix(1_609_459_200.5).unwrap();
        assert_eq!(parse(&format(t)), Some(t));
        assert_eq!(parse("2021-01-01T00:00:00.5Z"), Some(t));
        assert_eq!(parse("garbage"), None);
    }
}
