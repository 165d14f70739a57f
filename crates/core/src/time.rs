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
    // Rounded to the microsecond, ties to even, as Python's `datetime.fromtimestamp` does (so times
    // written by MVT and by telltale for the same value are the same string and timelines merge).
    let micros = ((secs - whole) * 1e6).round_ties_even() as i64;
    let (whole, micros) = if micros >= 1_000_000 {
        (whole as i64 + 1, micros - 1_000_000)
    } else {
        (whole as i64, micros)
    };
    Timestamp::new(whole, (micros * 1000) as i32).ok()
}

/// Unix seconds (possibly fractional), rounded to the microsecond.
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

/// Mac absolute time: seconds since 2001-01-01, rounded to the microsecond as MVT does (the epoch is
/// added to the floating-point value first, then the fraction is rounded, ties to even). iOS also stores
/// nanoseconds since 2001 in some databases (sms.db from iOS 11); values larger than 1e11 are taken as
/// nanoseconds and cut to whole seconds, as MVT does.
pub fn from_mac_absolute(value: f64) -> Option<Timestamp> {
    if value == 0.0 || !value.is_finite() {
        return None;
    }
    let secs = if value.abs() > 1e11 {
        (value / 1e9).trunc()
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
    let mut buf = [0u8; 26];
    match format_into(ts, &mut buf) {
        Some(s) => s.to_string(),
        None => ts.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string(),
    }
}

/// Writes `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) into `buf` without allocating; `None` for years outside
/// 0000–9999 (then [`format`] falls back to jiff's formatter).
pub fn format_into(ts: Timestamp, buf: &mut [u8; 26]) -> Option<&str> {
    let secs = ts.as_second();
    // Sub-second part truncated to microseconds (as `%.6f` does), always non-negative here.
    let micros = (ts.subsec_nanosecond().rem_euclid(1_000_000_000) / 1000) as u32;
    let secs = if ts.subsec_nanosecond() < 0 {
        secs - 1
    } else {
        secs
    };
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return None;
    }
    let y = y as u32;
    let put2 = |b: &mut [u8], v: u32| {
        b[0] = b'0' + (v / 10) as u8;
        b[1] = b'0' + (v % 10) as u8;
    };
    put2(&mut buf[0..2], y / 100);
    put2(&mut buf[2..4], y % 100);
    buf[4] = b'-';
    put2(&mut buf[5..7], m);
    buf[7] = b'-';
    put2(&mut buf[8..10], d);
    buf[10] = b' ';
    put2(&mut buf[11..13], sod / 3600);
    buf[13] = b':';
    put2(&mut buf[14..16], sod / 60 % 60);
    buf[16] = b':';
    put2(&mut buf[17..19], sod % 60);
    buf[19] = b'.';
    put2(&mut buf[20..22], micros / 10_000);
    put2(&mut buf[22..24], micros / 100 % 100);
    put2(&mut buf[24..26], micros % 100);
    std::str::from_utf8(buf).ok()
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
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
    fn fractions_round_to_the_microsecond_like_mvt() {
        // Values from MVT's test backup (DataUsage.sqlite), with the strings MVT writes for them.
        let t = |v: f64| format(from_mac_absolute(v).unwrap());
        assert_eq!(t(588_812_862.743_243), "2019-08-29 23:07:42.743243");
        assert_eq!(t(588_812_862.744_511), "2019-08-29 23:07:42.744511");
        // As CPython's datetime.fromtimestamp gives (checked with 3.11); a fraction that rounds up to a
        // whole second carries.
        let u = |v: f64| format(from_unix(v).unwrap());
        assert_eq!(u(1.000_000_5), "1970-01-01 00:00:01.000001");
        assert_eq!(u(1.000_002_5), "1970-01-01 00:00:01.000002");
        assert_eq!(u(1.999_999_9), "1970-01-01 00:00:02.000000");
        // Nanosecond values are cut to whole seconds.
        assert_eq!(t(600_000_000.5e9), "2020-01-06 10:40:00.000000");
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
    fn hand_written_format_matches_jiff() {
        let jiff_fmt = |t: Timestamp| t.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string();
        let mut secs: Vec<i64> = vec![
            0,
            -1,
            -86_400,
            951_782_400, // 2000-02-29
            4_102_444_799,
            253_402_300_799, // 9999-12-31 23:59:59
            -62_135_596_800, // 0001-01-01
        ];
        let mut x: i64 = 12345;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            secs.push((x >> 16).rem_euclid(8_000_000_000) - 2_000_000_000);
        }
        for (i, s) in secs.into_iter().enumerate() {
            for nanos in [0, 1, 999, 1000, 123_456_789, 999_999_999, -1, -999_999_999] {
                let nanos = if i % 2 == 0 { nanos } else { nanos / 7 };
                let Ok(t) = Timestamp::new(s, nanos) else {
                    continue;
                };
                assert_eq!(format(t), jiff_fmt(t), "{s} {nanos}");
            }
        }
        let min = Timestamp::MIN;
        assert_eq!(format(min), jiff_fmt(min));
    }

    #[test]
    fn parse_round_trip() {
        let t = from_unix(1_609_459_200.5).unwrap();
        assert_eq!(parse(&format(t)), Some(t));
        assert_eq!(parse("2021-01-01T00:00:00.5Z"), Some(t));
        assert_eq!(parse("garbage"), None);
    }
}
