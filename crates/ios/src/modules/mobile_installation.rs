//! mobile_installation: the app installation log of a sysdiagnose
//! (`logs/MobileInstallation/mobile_installation.log*`): lines `Fri May 24 10:00:00 2024 [98] <notice>
//! (0x…) -[Class method]: message` in the device's local time, messages possibly spanning lines.
//!
//! Installs and uninstalls become records and timeline events; every bundle identifier a line names is
//! checked against `app:id` indicators (CRITICAL): one alert per install/uninstall event, and one for the
//! first other line naming an indicator app that no event named before. Local times are converted with the device's zone (the
//! archive name's offset, or `--timezone`); without one they are taken as UTC.

use jiff::Timestamp;
use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record, record, time};

use crate::util::{dedup_matches, each_artifact};

pub const PATTERNS: &[&str] = &["logs/MobileInstallation/mobile_installation.log*"];
const MAX_SIZE: u64 = 256 << 20;

pub struct MobileInstallation;

/// A time zone from `--timezone` or the acquisition: an IANA name, or a fixed offset (`-07:00`, `+0530`).
pub fn zone_of(name: Option<&str>) -> jiff::tz::TimeZone {
    let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return jiff::tz::TimeZone::UTC;
    };
    if let Ok(tz) = jiff::tz::TimeZone::get(n) {
        return tz;
    }
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let sign = if n.starts_with('-') { -1 } else { 1 };
    if (n.starts_with('+') || n.starts_with('-')) && digits.len() == 4 {
        let h: i32 = digits[..2].parse().unwrap_or(0);
        let m: i32 = digits[2..].parse().unwrap_or(0);
        if let Ok(o) = jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)) {
            return jiff::tz::TimeZone::fixed(o);
        }
    }
    jiff::tz::TimeZone::UTC
}

/// The time at the start of a line (`Fri May 24 10:00:00 2024`, day possibly space-padded) and the
/// rest of the line; `None` for a continuation line.
fn line_time<'a>(line: &'a str, tz: &jiff::tz::TimeZone) -> Option<(Option<Timestamp>, &'a str)> {
    let b = line.as_bytes();
    if b.len() < 24 || !b[0].is_ascii_uppercase() || b[3] != b' ' {
        return None;
    }
    // The first five words and where the fifth ends.
    let mut words: Vec<&str> = Vec::with_capacity(5);
    let mut end = 0;
    for (i, w) in line.split(' ').enumerate() {
        if !w.is_empty() {
            words.push(w);
        }
        end += w.len() + usize::from(i > 0);
        if words.len() == 5 {
            break;
        }
    }
    if words.len() < 5 || words[3].len() != 8 || words[4].len() != 4 {
        return None;
    }
    let text = words.join(" ");
    let dt = jiff::civil::DateTime::strptime("%a %b %d %H:%M:%S %Y", &text).ok()?;
    let rest = line.get(end..)?.trim_start();
    Some((tz.to_timestamp(dt).ok(), rest))
}

/// Bundle identifiers a message names (reverse-DNS words with at least two dots' worth of labels).
fn bundle_ids(msg: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for tok in msg.split(|c: char| c.is_whitespace() || "(){}[];,\"'<>=".contains(c)) {
        let tok = tok
            .strip_prefix("Placeholder:")
            .unwrap_or(tok)
            .trim_end_matches(['.', ':']);
        if tok.len() < 3
            || !tok.contains('.')
            || tok.starts_with('/')
            || tok.starts_with('-')
            || !tok
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
            || !tok.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        {
            continue;
        }
        if !out.contains(&tok) {
            out.push(tok);
        }
    }
    out
}

/// The event a message records: (`install`/`uninstall`, bundle id).
fn event_of(msg: &str) -> Option<(&'static str, &str)> {
    let after = |key: &str| -> Option<&str> {
        let r = &msg[msg.find(key)? + key.len()..];
        let r = r.strip_prefix("Placeholder:").unwrap_or(r);
        let end = r
            .find(|c: char| c.is_whitespace() || c == ')' || c == ';')
            .unwrap_or(r.len());
        (end > 0).then(|| &r[..end])
    };
    if let Some(id) = after("Install Successful for (") {
        return Some(("install", id));
    }
    if let Some(id) = after("Uninstalling identifier ") {
        return Some(("uninstall", id));
    }
    None
}

fn check(
    ctx: &ModuleContext<'_>,
    file: &str,
    tz: &jiff::tz::TimeZone,
    out: &mut Emitter<'_>,
) -> Result<(), ModuleError> {
    let bytes = ctx.evidence.read_limited(file, MAX_SIZE)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut when: Option<Timestamp> = None;
    let mut dated = 0usize;
    // Bundle ids already alerted on in this file: a mention in another line adds nothing.
    let mut alerted: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let msg = match line_time(line, tz) {
            Some((t, rest)) => {
                when = t;
                dated += 1;
                rest
            }
            None => line,
        };
        let event = event_of(msg);
        if let Some((kind, id)) = event {
            let rec = record! {
                "timestamp" => time::format_opt(when),
                "event" => kind,
                "bundle_id" => id,
                "file" => file,
                "line" => i + 1,
            };
            out.record(&rec);
            out.timeline(when, kind, format!("App {id}: {kind}"));
            let m = ctx.iocs.match_app_id(id);
            if !m.is_empty() {
                alerted.insert(id.to_string());
            }
            out.ioc_alerts(&m, &format!("App {id} ({kind}, {file})"), when, &rec);
        }
        let mut m = Vec::new();
        for id in bundle_ids(msg) {
            if event.is_some_and(|(_, e)| e == id) || alerted.contains(id) {
                continue;
            }
            let hits = ctx.iocs.match_app_id(id);
            if !hits.is_empty() {
                alerted.insert(id.to_string());
            }
            m.extend(hits);
        }
        dedup_matches(&mut m);
        if !m.is_empty() {
            let mut rec: Record = record! {
                "timestamp" => time::format_opt(when),
                "event" => "mention",
                "file" => file,
                "line" => i + 1,
            };
            rec.insert(
                "message".into(),
                msg.chars().take(2000).collect::<String>().into(),
            );
            out.record(&rec);
            out.ioc_alerts(
                &m,
                &format!("Installation log line {} of {file}", i + 1),
                when,
                &rec,
            );
        }
    }
    if dated == 0 && !text.trim().is_empty() {
        return Err(ModuleError::parse(
            file,
            "no dated line: not a mobile_installation log",
        ));
    }
    Ok(())
}

impl Module for MobileInstallation {
    fn name(&self) -> &'static str {
        "mobile_installation"
    }
    fn description(&self) -> &'static str {
        "App installation log (mobile_installation.log): installs and uninstalls on the timeline, bundle ids against app indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let tz = zone_of(ctx.options.timezone.as_deref());
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "no mobile_installation.log in the acquisition",
            |f, out| check(ctx, f, &tz, out),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_ids() {
        let tz = zone_of(Some("-07:00"));
        let (t, rest) = line_time("Fri May 24 10:00:00 2024 [98] <notice> x", &tz).unwrap();
        assert_eq!(time::format(t.unwrap()), "2024-05-24 17:00:00.000000");
        assert!(rest.starts_with("[98]"));
        let (t, _) = line_time("Sat May  4 10:00:00 2024 [98] x", &zone_of(None)).unwrap();
        assert!(t.is_some());
        assert!(line_time("\t\tcontinuation", &tz).is_none());
        assert_eq!(
            event_of("-[X y]: Install Successful for (Placeholder:com.evil.app); Staging"),
            Some(("install", "com.evil.app"))
        );
        assert_eq!(
            event_of("Uninstalling identifier com.a.b"),
            Some(("uninstall", "com.a.b"))
        );
        assert_eq!(
            bundle_ids("for identifier com.a.b with options: (com.c.d) /x/y.app -[MI x]"),
            vec!["com.a.b", "com.c.d"]
        );
        assert_eq!(
            zone_of(Some("Europe/Paris")).iana_name(),
            Some("Europe/Paris")
        );
        assert_eq!(
            zone_of(Some("+0530"))
                .to_offset(Timestamp::UNIX_EPOCH)
                .seconds(),
            19_800
        );
    }
}
