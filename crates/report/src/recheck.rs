//! Re-checking an output folder against new indicators, without the acquisition: every record of every
//! `<module>.json` is matched again (the caller supplies the matcher, usually
//! [`crate::rematch::rematch_alerts`] over the current indicator index).
//!
//! What changes in the folder, when something new is found:
//! * `alerts.original.json`: the alerts.json of the check, saved once (before the first re-check);
//! * `alerts.json`: the old alerts followed by the new ones, each new one marked `"recheck": "<date>"`;
//!   an alert already there (same module, same record, same indicator) is not added again;
//! * `<module>_detected.json`: the newly detected records are appended;
//! * `alerts_timeline.csv` is rewritten from the merged alerts;
//! * `command.log` gets a line.
//!
//! `report.html` is always rebuilt, and `timeline.jsonl` when the folder has one. Works on MVT output
//! folders too (same file names).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use telltale_core::{Alert, Level, Record};

use crate::error::ReportError;
use crate::html::{HtmlOptions, read_alert_values};
use crate::info::AlertCounts;
use crate::json::to_pretty_vec;
use crate::writer::{ALERTS_TIMELINE_HEADER, csv_writer, file_stem};

/// Settings of a re-check.
#[derive(Debug, Clone)]
pub struct RecheckOptions {
    /// The date written in `"recheck"` markers and the report; `None` = now.
    pub date: Option<String>,
    /// Do not rebuild report.html.
    pub no_html: bool,
    /// Write `observables.parquet` when the folder has none from this version (on by default).
    pub write_observables: bool,
}

impl Default for RecheckOptions {
    fn default() -> Self {
        RecheckOptions {
            date: None,
            no_html: false,
            write_observables: true,
        }
    }
}

/// What a re-check found.
#[derive(Debug, Clone)]
pub struct RecheckReport {
    pub dir: PathBuf,
    pub date: String,
    /// Modules whose records were read.
    pub modules: usize,
    pub records: u64,
    /// Alerts not in alerts.json before.
    pub new_alerts: Vec<Alert>,
    /// Problems that did not stop the re-check (an unreadable `<module>.json` …).
    pub warnings: Vec<String>,
    pub report_html: Option<PathBuf>,
}

impl RecheckReport {
    pub fn new_counts(&self) -> AlertCounts {
        let at = |l: Level| self.new_alerts.iter().filter(|a| a.level == l).count() as u64;
        AlertCounts {
            critical: at(Level::Critical),
            high: at(Level::High),
            medium: at(Level::Medium),
            low: at(Level::Low),
            informational: at(Level::Informational),
        }
    }

    /// At least one new HIGH or CRITICAL alert.
    pub fn has_new_severe(&self) -> bool {
        self.new_alerts.iter().any(|a| a.level.is_severe())
    }
}

/// JSON with object keys sorted, so that the same record compares equal whatever its key order.
fn canonical(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let b: BTreeMap<&String, Value> = m.iter().map(|(k, v)| (k, sorted(v))).collect();
                Value::Object(b.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string(&sorted(v)).unwrap_or_default()
}

/// What makes two alerts the same: module, record, and the indicator's value (or the message for
/// heuristics). The indicator's kind is left out: MVT, earlier telltale versions and this one name it
/// differently (`processes`, `process:name`).
fn alert_key(a: &Alert) -> (String, String, String) {
    let what = match &a.matched_indicator {
        Some(m) => format!("ioc\u{0}{}", m.value),
        None => a.message.clone(),
    };
    (a.module.clone(), canonical(&a.event), what)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).map_err(|e| ReportError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| ReportError::io(path, e))
}

/// Re-checks `dir` with `matcher` (module, record → alerts), dated now.
pub fn recheck_dir(
    dir: &Path,
    matcher: &dyn Fn(&str, &Record) -> Vec<Alert>,
) -> Result<RecheckReport, ReportError> {
    recheck_dir_with(dir, matcher, &RecheckOptions::default())
}

/// [`recheck_dir`] with settings.
pub fn recheck_dir_with(
    dir: &Path,
    matcher: &dyn Fn(&str, &Record) -> Vec<Alert>,
    opts: &RecheckOptions,
) -> Result<RecheckReport, ReportError> {
    if !dir.is_dir() {
        return Err(ReportError::other(dir, "not a folder"));
    }
    // Observables: written in the same pass when the folder has none from this version.
    let obs = if opts.write_observables && !crate::observables::is_current(dir) {
        let ids = crate::observables::CaseIds::from_output_dir(dir);
        crate::observables::ObservablesWriter::create(dir, &ids).ok()
    } else {
        None
    };
    let modules = crate::read::list_modules(dir)?;
    let mut found: Vec<(String, Record, Vec<Alert>)> = Vec::new();
    let (mut n_modules, mut records, mut warnings) = (0usize, 0u64, Vec::new());
    for module in &modules {
        let r = crate::read::each_in_array::<Value>(
            &dir.join(format!("{}.json", file_stem(module))),
            |v| {
                let Value::Object(rec) = v else { return };
                records += 1;
                if let Some(o) = &obs {
                    o.record(module, &rec);
                }
                let a = matcher(module, &rec);
                if !a.is_empty() {
                    found.push((module.clone(), rec, a));
                }
            },
        );
        match r {
            Ok(_) => n_modules += 1,
            // Alerts of a module whose file broke half-way are kept: they match real records.
            Err(e) => warnings.push(format!("{module}: records not re-checked ({e})")),
        }
    }
    if let Some(o) = obs
        && let Err(e) = o.finish()
    {
        warnings.push(format!("observables.parquet not written: {e}"));
    }
    let mut report = record_found_alerts(dir, found, opts)?;
    report.modules = n_modules;
    report.records = records;
    warnings.append(&mut report.warnings);
    report.warnings = warnings;
    Ok(report)
}

/// Records alerts found without reading the folder's records again (`telltale hunt`): `found` holds
/// (module, record, alerts). Alerts already in alerts.json are left out; the folder is updated as by
/// [`recheck_dir_with`] (alerts.original.json, alerts.json, `<module>_detected.json`,
/// alerts_timeline.csv, command.log, report.html).
pub fn record_found_alerts(
    dir: &Path,
    found: Vec<(String, Record, Vec<Alert>)>,
    opts: &RecheckOptions,
) -> Result<RecheckReport, ReportError> {
    if !dir.is_dir() {
        return Err(ReportError::other(dir, "not a folder"));
    }
    let date = opts.date.clone().unwrap_or_else(crate::info::now_iso8601);
    let existing = read_alert_values(dir)?;
    let mut keys: HashSet<(String, String, String)> =
        existing.iter().map(|a| alert_key(&a.alert)).collect();
    let mut report = RecheckReport {
        dir: dir.to_path_buf(),
        date: date.clone(),
        modules: 0,
        records: 0,
        new_alerts: Vec::new(),
        warnings: Vec::new(),
        report_html: None,
    };
    // module → newly detected records.
    let mut detected: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    let mut det_seen: HashSet<(String, String)> = HashSet::new();
    for (module, rec, alerts) in found {
        for a in alerts {
            if keys.insert(alert_key(&a)) {
                let c = canonical(&Value::Object(rec.clone()));
                if det_seen.insert((module.clone(), c)) {
                    detected
                        .entry(module.clone())
                        .or_default()
                        .push(rec.clone());
                }
                report.new_alerts.push(a);
            }
        }
    }

    if !report.new_alerts.is_empty() {
        let alerts_path = dir.join("alerts.json");
        let original = dir.join("alerts.original.json");
        if !original.exists() {
            if alerts_path.exists() {
                std::fs::copy(&alerts_path, &original)
                    .map_err(|e| ReportError::io(&original, e))?;
            } else {
                std::fs::write(&original, b"[]").map_err(|e| ReportError::io(&original, e))?;
            }
        }
        let mut merged: Vec<Value> = existing.iter().map(|a| a.raw.clone()).collect();
        for a in &report.new_alerts {
            let mut v = serde_json::to_value(a).map_err(|e| ReportError::json(&alerts_path, e))?;
            if let Value::Object(m) = &mut v {
                m.insert("recheck".into(), Value::String(date.clone()));
            }
            merged.push(v);
        }
        let bytes = to_pretty_vec(&merged).map_err(|e| ReportError::json(&alerts_path, e))?;
        write_atomic(&alerts_path, &bytes)?;

        for (module, recs) in &detected {
            let path = dir.join(format!("{}_detected.json", file_stem(module)));
            let mut all = crate::read::read_detected(dir, module).unwrap_or_else(|e| {
                report
                    .warnings
                    .push(format!("{}: rewritten ({e})", path.display()));
                Vec::new()
            });
            let have: HashSet<String> = all
                .iter()
                .map(|r| canonical(&Value::Object(r.clone())))
                .collect();
            for r in recs {
                if !have.contains(&canonical(&Value::Object(r.clone()))) {
                    all.push(r.clone());
                }
            }
            let bytes = to_pretty_vec(&all).map_err(|e| ReportError::json(&path, e))?;
            write_atomic(&path, &bytes)?;
        }

        write_alerts_timeline(dir, &existing, &report.new_alerts)?;

        let log = crate::log::CommandLog::open(dir)?;
        let c = report.new_counts();
        log.info(format!(
            "recheck {date}: {} new alert(s) ({} CRITICAL, {} HIGH, {} MEDIUM) in {} record(s) of {} module(s); \
             the previous alerts.json is kept as alerts.original.json",
            report.new_alerts.len(),
            c.critical,
            c.high,
            c.medium,
            report.records,
            report.modules
        ));
        if let Some(e) = log.take_error() {
            report.warnings.push(format!("command.log: {e}"));
        }
    }

    if dir.join("timeline.jsonl").exists()
        && let Err(e) = crate::timesketch::write_timesketch_from_dir(dir)
    {
        report
            .warnings
            .push(format!("timeline.jsonl not refreshed: {e}"));
    }
    if !opts.no_html {
        let html = crate::html::write_html_report_with(
            dir,
            &HtmlOptions {
                generated: opts.date.clone(),
            },
        )?;
        report.report_html = Some(html);
    }
    Ok(report)
}

/// Rewrites alerts_timeline.csv (alerts with a time, sorted by time).
fn write_alerts_timeline(
    dir: &Path,
    old: &[crate::html::AlertValue],
    new: &[Alert],
) -> Result<(), ReportError> {
    let path = dir.join("alerts_timeline.csv");
    let mut rows: Vec<[String; 4]> = old
        .iter()
        .map(|a| &a.alert)
        .chain(new.iter())
        .filter_map(|a| {
            let t = a.event_time.clone().filter(|t| !t.is_empty())?;
            Some([
                t,
                a.module.clone(),
                a.message.clone(),
                serde_json::to_string(&a.event).unwrap_or_default(),
            ])
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    rows.sort();
    let mut buf = Vec::new();
    {
        let mut w = csv_writer(&mut buf);
        w.write_record(ALERTS_TIMELINE_HEADER)
            .map_err(|e| ReportError::csv(&path, e))?;
        for r in &rows {
            w.write_record(r).map_err(|e| ReportError::csv(&path, e))?;
        }
        w.flush().map_err(|e| ReportError::io(&path, e))?;
    }
    write_atomic(&path, &buf)?;
    Ok(())
}

/// A one-line summary of a re-check, for the CLI.
pub fn describe(r: &RecheckReport) -> String {
    let c = r.new_counts();
    let mut s = String::new();
    if r.new_alerts.is_empty() {
        s.push_str(&format!(
            "{}: no new detection ({} records of {} modules re-checked)",
            r.dir.display(),
            r.records,
            r.modules
        ));
    } else {
        s.push_str(&format!(
            "{}: {} NEW alert(s): {} CRITICAL, {} HIGH, {} MEDIUM, {} LOW ({} records of {} modules re-checked)",
            r.dir.display(),
            r.new_alerts.len(),
            c.critical,
            c.high,
            c.medium,
            c.low,
            r.records,
            r.modules
        ));
    }
    s
}
