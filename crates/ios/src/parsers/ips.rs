//! `.ips` diagnostic reports (crash, jetsam, spin …): line 1 is a one-line JSON header (`bug_type`,
//! `timestamp`, `app_name`, `bundleID`, `os_version` …), the rest the body — pretty JSON for modern types
//! (309 crashes, 298 jetsam events), or "Key: value" text for the legacy crash reports (109) of iOS ≤ 14.
//!
//! [`parse`] splits and decodes a report; [`facts`] extracts what the indicator checks need: process name
//! and path, parent, coalition, bundle identifier, loaded image paths, jetsam process names, times.

use jiff::Timestamp;
use serde_json::{Map, Value};

/// A decoded report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub header: Map<String, Value>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(Value),
    Text(String),
    Empty,
}

impl Report {
    /// `bug_type` from the header (a string, sometimes a number).
    pub fn bug_type(&self) -> Option<String> {
        match self.header.get("bug_type")? {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// Splits a report into its header and body. An error when the first line is not a JSON object.
pub fn parse(bytes: &[u8]) -> Result<Report, String> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let (first, rest) = match text.find('\n') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    };
    let header = match serde_json::from_str::<Value>(first.trim()) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err("the first line is JSON but not an object".into()),
        Err(e) => return Err(format!("the first line is not a JSON header: {e}")),
    };
    let rest_t = rest.trim();
    let body = if rest_t.is_empty() {
        Body::Empty
    } else if rest_t.starts_with('{') {
        match serde_json::from_str::<Value>(rest_t) {
            Ok(v) => Body::Json(v),
            Err(_) => Body::Text(rest.to_string()),
        }
    } else {
        Body::Text(rest.to_string())
    };
    Ok(Report { header, body })
}

/// What the checks use of a report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// `crash` (309, 109), `jetsam` (298) or `other`.
    pub kind: &'static str,
    pub bug_type: Option<String>,
    pub proc_name: Option<String>,
    pub proc_path: Option<String>,
    pub parent_proc: Option<String>,
    pub coalition: Option<String>,
    pub bundle_id: Option<String>,
    /// Paths of the loaded images (crashes).
    pub images: Vec<String>,
    /// Names of the processes a jetsam event lists.
    pub processes: Vec<String>,
    /// The report's time: body `captureTime` / text `Date/Time`, else header `timestamp`.
    pub time: Option<Timestamp>,
    pub os_version: Option<String>,
}

/// Parses `YYYY-MM-DD HH:MM:SS[.ffff] ±hhmm` (the local time and offset of crash reports).
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let mut parts = s.split_whitespace();
    let (date, time, off) = (parts.next()?, parts.next()?, parts.next());
    let dt: jiff::civil::DateTime = format!("{date}T{time}").parse().ok()?;
    let offset = match off {
        Some(o) => {
            let b = o.as_bytes();
            if b.len() != 5 || !(b[0] == b'+' || b[0] == b'-') {
                return None;
            }
            let h: i32 = o[1..3].parse().ok()?;
            let m: i32 = o[3..5].parse().ok()?;
            let secs = (h * 3600 + m * 60) * if b[0] == b'-' { -1 } else { 1 };
            jiff::tz::Offset::from_seconds(secs).ok()?
        }
        None => jiff::tz::Offset::UTC,
    };
    offset.to_timestamp(dt).ok()
}

fn s(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

/// The value after `key:` on the first line of a legacy text report that starts with it.
fn text_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let v = l.strip_prefix(key)?.strip_prefix(':')?.trim();
        (!v.is_empty()).then_some(v)
    })
}

/// `name [123]` → `name`.
fn strip_pid(v: &str) -> String {
    match v.rfind(" [") {
        Some(i) if v.ends_with(']') => v[..i].trim().to_string(),
        _ => v.trim().to_string(),
    }
}

/// The paths of the "Binary Images:" section of a legacy report (last field of each line, when it is
/// an absolute path).
fn text_images(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for l in text.lines() {
        if l.trim_start().starts_with("Binary Images:") {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if l.trim().is_empty() {
            break;
        }
        // "0x1000 - 0x1fff name arm64 <uuid> /path/with spaces/name"
        if let Some(i) = l.find("> /") {
            out.push(l[i + 2..].trim().to_string());
        } else if let Some(i) = l.find(" /") {
            out.push(l[i + 1..].trim().to_string());
        }
    }
    out
}

/// Extracts the facts of a report.
pub fn facts(r: &Report) -> Facts {
    let bug_type = r.bug_type();
    let mut f = Facts {
        kind: match bug_type.as_deref() {
            Some("309") | Some("109") => "crash",
            Some("298") => "jetsam",
            _ => "other",
        },
        bug_type,
        ..Default::default()
    };
    let h = &r.header;
    f.os_version = s(h.get("os_version"));
    let header_time = s(h.get("timestamp")).and_then(|t| parse_time(&t));
    match &r.body {
        Body::Json(b) => {
            f.proc_name = s(b.get("procName"));
            f.proc_path = s(b.get("procPath"));
            f.parent_proc = s(b.get("parentProc"));
            f.coalition = s(b.get("coalitionName"));
            f.bundle_id = b
                .get("bundleInfo")
                .and_then(|bi| s(bi.get("CFBundleIdentifier")));
            if let Some(imgs) = b.get("usedImages").and_then(Value::as_array) {
                f.images = imgs
                    .iter()
                    .filter_map(|i| s(i.get("path")))
                    .filter(|p| p.starts_with('/'))
                    .collect();
            }
            if let Some(ps) = b.get("processes").and_then(Value::as_array) {
                f.processes = ps.iter().filter_map(|p| s(p.get("name"))).collect();
            }
            f.time = s(b.get("captureTime")).and_then(|t| parse_time(&t));
        }
        Body::Text(t) => {
            f.proc_name = text_field(t, "Process").map(strip_pid);
            f.proc_path = text_field(t, "Path").map(str::to_string);
            f.parent_proc = text_field(t, "Parent Process").map(strip_pid);
            f.coalition = text_field(t, "Coalition").map(strip_pid);
            f.bundle_id = text_field(t, "Identifier").map(str::to_string);
            f.images = text_images(t);
            f.time = text_field(t, "Date/Time").and_then(parse_time);
        }
        Body::Empty => {}
    }
    if f.proc_name.is_none() {
        f.proc_name = s(h.get("app_name")).or_else(|| s(h.get("name")));
    }
    if f.bundle_id.is_none() {
        f.bundle_id = s(h.get("bundleID"));
    }
    if f.time.is_none() {
        f.time = header_time;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_crash() {
        let r = parse(
            br#"{"app_name":"bh","timestamp":"2021-07-01 12:00:01.00 +0200","bug_type":"309","os_version":"iPhone OS 14.6 (18F72)"}
{
  "procName" : "bh",
  "procPath" : "\/private\/var\/db\/com.apple.xpc.roleaccountd.staging\/bh",
  "parentProc" : "launchd",
  "captureTime" : "2021-07-01 12:00:00.5000 +0200",
  "usedImages" : [{"path":"\/usr\/lib\/dyld"},{"name":"x"}],
  "bundleInfo" : {"CFBundleIdentifier":"com.example.x"}
}"#,
        )
        .unwrap();
        let f = facts(&r);
        assert_eq!(f.kind, "crash");
        assert_eq!(f.proc_name.as_deref(), Some("bh"));
        assert!(f.proc_path.unwrap().ends_with("staging/bh"));
        assert_eq!(f.images, vec!["/usr/lib/dyld"]);
        assert_eq!(f.bundle_id.as_deref(), Some("com.example.x"));
        assert_eq!(
            telltale_core::time::format(f.time.unwrap()),
            "2021-07-01 10:00:00.500000"
        );
    }

    #[test]
    fn legacy_and_jetsam() {
        let r = parse(b"{\"bug_type\":\"109\",\"timestamp\":\"2019-01-01 10:00:00.00 +0000\"}\nIncident Identifier: X\nProcess:             msgacntd [431]\nPath:                /private/var/db/x/msgacntd\nParent Process:      launchd [1]\nDate/Time:           2019-01-01 09:59:58.12 -0100\n\nBinary Images:\n0x100 - 0x1ff msgacntd arm64  <abc> /private/var/db/x/msgacntd\n0x200 - 0x2ff dyld arm64e  <def> /usr/lib/dyld\n").unwrap();
        let f = facts(&r);
        assert_eq!(f.proc_name.as_deref(), Some("msgacntd"));
        assert_eq!(f.parent_proc.as_deref(), Some("launchd"));
        assert_eq!(f.images.len(), 2);
        assert_eq!(f.time.unwrap().as_second(), 1_546_340_398);
        let j = parse(b"{\"bug_type\":\"298\"}\n{\"processes\":[{\"name\":\"bh\"},{\"pid\":3}]}")
            .unwrap();
        let f = facts(&j);
        assert_eq!(f.kind, "jetsam");
        assert_eq!(f.processes, vec!["bh"]);
    }

    #[test]
    fn malformed() {
        assert!(parse(b"").is_err());
        assert!(parse(b"not json\n{}").is_err());
        assert!(parse(b"[1]\n").is_err());
        let r = parse(b"{\"bug_type\":309}\n{ broken").unwrap();
        assert_eq!(r.bug_type().as_deref(), Some("309"));
        assert!(matches!(r.body, Body::Text(_)));
        assert_eq!(parse_time("2021-07-01 12:00:00 +02"), None);
        assert_eq!(parse_time("x"), None);
    }
}
