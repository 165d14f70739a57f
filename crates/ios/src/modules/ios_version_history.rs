//! ios_version_history: the iOS versions the device ran, from the header line of the analytics journals
//! (`private/var/db/analyticsd/Analytics-Journal-*.ips`: `timestamp` in local time with its offset,
//! `os_version` like `iPhone OS 17.4.1 (21E236)`). One record per journal (MVT's `isodate`,
//! `os_version`, plus `version`, `build`, `file`), on the timeline. No indicator; the newest version
//! seen is checked as for backups: not the latest release is MEDIUM (LOW for the last release of an
//! older major version).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record, record, time};

use crate::util::{each_artifact, find_all};

pub struct IosVersionHistory;

pub const PATTERNS: &[&str] = &["private/var/db/analyticsd/Analytics-Journal-*.ips"];

/// Largest header line read.
const MAX_HEADER: u64 = 64 << 10;

/// `iPhone OS 17.4.1 (21E236)` → (`17.4.1`, `21E236`).
pub fn split_os_version(s: &str) -> (Option<String>, Option<String>) {
    let build = s
        .rsplit_once('(')
        .and_then(|(_, b)| b.strip_suffix(')'))
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty());
    let version = s
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.contains('.'))
        .map(str::to_string);
    (version, build)
}

/// `YYYY-MM-DD HH:MM:SS[.ff] ±hhmm` → UTC.
pub fn parse_local_offset(s: &str) -> Option<jiff::Timestamp> {
    let s = s.trim();
    let (dt, off) = s.rsplit_once(' ')?;
    let sign = match off.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = &off[1..];
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    let offset = jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()?;
    let civil: jiff::civil::DateTime = dt.replace(' ', "T").parse().ok()?;
    offset.to_timestamp(civil).ok()
}

/// The header of one journal: `(time, os_version)`.
pub fn read_header(
    ctx: &ModuleContext<'_>,
    path: &str,
) -> Result<(Option<jiff::Timestamp>, String, Record), ModuleError> {
    let mut r = ctx.evidence.open(path)?;
    let mut head = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(&mut r, MAX_HEADER), &mut head)
        .map_err(|e| ModuleError::parse(path, e))?;
    let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let v: serde_json::Value = serde_json::from_slice(line).map_err(|e| {
        ModuleError::parse(path, format!("the first line is not a JSON header ({e})"))
    })?;
    let os = v
        .get("os_version")
        .and_then(|x| x.as_str())
        .ok_or_else(|| ModuleError::parse(path, "the header has no os_version"))?
        .to_string();
    let ts = v
        .get("timestamp")
        .and_then(|x| x.as_str())
        .and_then(parse_local_offset);
    let obj = v.as_object().cloned().unwrap_or_default();
    Ok((ts, os, obj))
}

/// Every `(build, version)` pair the journals of the acquisition name.
pub fn known_builds(ctx: &ModuleContext<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in find_all(ctx.evidence, PATTERNS).unwrap_or_default() {
        if let Ok((_, os, _)) = read_header(ctx, &p)
            && let (Some(v), Some(b)) = split_os_version(&os)
            && !out.iter().any(|(x, _): &(String, String)| *x == b)
        {
            out.push((b, v));
        }
    }
    out
}

impl Module for IosVersionHistory {
    fn name(&self) -> &'static str {
        "ios_version_history"
    }
    fn description(&self) -> &'static str {
        "iOS versions the device ran (analytics journal headers), on the timeline; outdated iOS flagged"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let mut newest: Option<(jiff::Timestamp, String)> = None;
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "no analytics journal (Analytics-Journal-*.ips) in the acquisition",
            |p, out| {
                let (ts, os, _) = read_header(ctx, p)?;
                let (version, build) = split_os_version(&os);
                let rec = record! {
                    "isodate" => time::format_opt(ts),
                    "os_version" => os,
                    "version" => version,
                    "build" => build,
                    "file" => p,
                };
                out.record(&rec);
                out.timeline(ts, "ios_version", format!("Recorded iOS version {os}"));
                if let (Some(t), Some(v)) = (ts, version)
                    && newest.as_ref().is_none_or(|(n, _)| t > *n)
                {
                    newest = Some((t, v));
                }
                Ok(())
            },
        )?;
        if let Some((t, v)) = newest
            && let Some((level, message)) = super::backup_info::outdated(&v)
        {
            let rec = record! { "version" => v, "isodate" => time::format(t) };
            out.alert(
                level,
                format!(
                    "The newest iOS version the journals record (on {}) is outdated: {message}",
                    time::format(t)
                ),
                Some(t),
                &rec,
                None,
            );
        }
        Ok(())
    }
}
