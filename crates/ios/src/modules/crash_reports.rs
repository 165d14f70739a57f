//! crash_reports: `.ips` diagnostic reports (sysdiagnose `crashes_and_spins/**`, with `Retired/` and
//! `Panics/`; dump `private/var/mobile/Library/Logs/CrashReporter/**`): bug_type 309 crashes (JSON body),
//! 298 jetsam events, 109 legacy text crashes, and the header of every other type.
//!
//! One record per report. Checks: the crashed process's name, path, parent and coalition, its bundle
//! identifier and the paths of its loaded images, and the process names of a jetsam event, against
//! process, `file:path`/`file:name` and `app:id` indicators (CRITICAL); a crashed executable or a loaded
//! image in an unusual location (HIGH in the roleaccountd staging folder, MEDIUM elsewhere under
//! `/private/var/db/` or `/private/var/tmp/`).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record, record, time};
use telltale_ioc::Match;

use crate::device_paths::{
    match_path, match_process_components, match_process_name, unusual_location, unusual_message,
};
use crate::parsers::ips;
use crate::util::{dedup_matches, each_file, find_all};

/// Where reports are looked for (a sysdiagnose's and a filesystem dump's folders).
pub const PATTERNS: &[&str] = &[
    "crashes_and_spins/**.ips",
    "private/var/mobile/Library/Logs/CrashReporter/**.ips",
];
/// Largest report read.
const MAX_SIZE: u64 = 64 << 20;

/// The module. [`CrashReports::new`] searches [`PATTERNS`]; a kind may pass its own.
#[derive(Debug, Clone, Copy)]
pub struct CrashReports {
    patterns: &'static [&'static str],
}

impl Default for CrashReports {
    fn default() -> Self {
        Self::new()
    }
}

impl CrashReports {
    pub const fn new() -> Self {
        CrashReports { patterns: PATTERNS }
    }
    pub const fn with_patterns(patterns: &'static [&'static str]) -> Self {
        CrashReports { patterns }
    }
}

fn opt(v: &Option<String>) -> serde_json::Value {
    v.clone().map(Into::into).unwrap_or(serde_json::Value::Null)
}

fn check(ctx: &ModuleContext<'_>, file: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let bytes = ctx.evidence.read_limited(file, MAX_SIZE)?;
    let report = ips::parse(&bytes).map_err(|e| ModuleError::parse(file, e))?;
    let f = ips::facts(&report);
    let mut rec: Record = record! {
        "file" => file,
        "bug_type" => opt(&f.bug_type),
        "kind" => f.kind,
        "timestamp" => time::format_opt(f.time),
        "procName" => opt(&f.proc_name),
        "procPath" => opt(&f.proc_path),
        "parentProc" => opt(&f.parent_proc),
        "coalitionName" => opt(&f.coalition),
        "bundleID" => opt(&f.bundle_id),
        "os_version" => opt(&f.os_version),
    };
    if !f.images.is_empty() {
        rec.insert("usedImages".into(), f.images.clone().into());
    }
    if !f.processes.is_empty() {
        rec.insert("processes".into(), f.processes.clone().into());
    }
    out.record(&rec);
    let name = f.proc_name.as_deref().unwrap_or("a process");
    match f.kind {
        "jetsam" => out.timeline(
            f.time,
            "jetsam",
            format!("Jetsam event listing {} processes", f.processes.len()),
        ),
        "crash" => out.timeline(
            f.time,
            "crash",
            format!(
                "Crash of {name}{}",
                f.proc_path
                    .as_deref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            ),
        ),
        _ => out.timeline(
            f.time,
            "diagnostic_report",
            format!(
                "Report of type {} for {name}",
                f.bug_type.as_deref().unwrap_or("?")
            ),
        ),
    }

    let mut m: Vec<Match> = Vec::new();
    if let Some(p) = &f.proc_path {
        m.extend(match_path(ctx.iocs, p));
        m.extend(match_process_components(ctx.iocs, p));
    }
    for n in [&f.proc_name, &f.parent_proc, &f.coalition]
        .into_iter()
        .flatten()
    {
        m.extend(ctx.iocs.match_process(n));
    }
    if let Some(b) = &f.bundle_id {
        m.extend(ctx.iocs.match_app_id(b));
    }
    if let Some(c) = &f.coalition {
        m.extend(ctx.iocs.match_app_id(c));
    }
    for img in &f.images {
        m.extend(match_path(ctx.iocs, img));
    }
    for p in &f.processes {
        m.extend(match_process_name(ctx.iocs, p));
    }
    dedup_matches(&mut m);
    out.ioc_alerts(&m, &format!("Crash report {file} ({name})"), f.time, &rec);

    let mut flagged: Vec<&str> = Vec::new();
    for (what, p) in f.proc_path.iter().map(|p| ("Crashed executable", p)).chain(
        f.images
            .iter()
            .map(|p| ("Image loaded by a crashed process", p)),
    ) {
        if flagged.contains(&p.as_str()) {
            continue;
        }
        if let Some((level, folder)) = unusual_location(p) {
            flagged.push(p);
            out.alert(
                level,
                format!("{} (crash report {file})", unusual_message(what, p, folder)),
                f.time,
                &rec,
                None,
            );
        }
    }
    Ok(())
}

impl Module for CrashReports {
    fn name(&self) -> &'static str {
        "crash_reports"
    }
    fn description(&self) -> &'static str {
        "Crash and jetsam reports (.ips): process names, paths, bundle ids and loaded images against indicators; unusual locations"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let files = find_all(ctx.evidence, self.patterns)?;
        if files.is_empty() {
            out.no_data("no crash reports (.ips) in the acquisition");
            return Ok(());
        }
        each_file(&files, out, |f, out| check(ctx, f, out))
    }
}
