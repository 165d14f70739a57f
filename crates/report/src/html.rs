//! `report.html`: one self-contained page summing up an output folder for a non-expert, rebuilt from the
//! folder's files (alerts.json, info.json, timeline.csv), so it can be made again after a re-check or for
//! an MVT output folder.
//!
//! The page fetches nothing: CSS, script and chart are inline, and a Content-Security-Policy forbids
//! everything else (script and style allowed only by their SHA-256 hashes). Every string from the
//! acquisition goes through minijinja's HTML autoescaping, or, for the script's data, through JSON with
//! `<`, `>`, `&`, U+2028 and U+2029 escaped, and is only ever put in the page with `textContent`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use telltale_core::{Alert, Level};

use crate::error::ReportError;
use crate::explain;

const TEMPLATE: &str = include_str!("../templates/report.html.j2");
const CSS: &str = include_str!("../templates/report.css");
const JS: &str = include_str!("../templates/report.js");

/// Alerts shown in full; the others are counted and left to alerts.json.
pub const MAX_ALERTS_SHOWN: usize = 500;
/// Longest evidence value shown (characters); longer ones are cut.
const MAX_VALUE_CHARS: usize = 2000;
/// Most bars in the chart: days become weeks, months or years beyond.
const MAX_BARS: i64 = 400;
/// Most timeline events around detections embedded in the page.
pub const MAX_CONTEXT_EVENTS: usize = 3000;
/// Most detection windows.
const MAX_WINDOWS: usize = 300;
/// Input hashes listed (info.json has them all).
const MAX_HASHES: usize = 200;
/// Minutes of timeline shown before and after each detection.
pub const CONTEXT_MINUTES: i64 = 10;

/// Settings of the page.
#[derive(Debug, Clone, Default)]
pub struct HtmlOptions {
    /// The "generated on" date shown; `None` = now.
    pub generated: Option<String>,
}

/// Writes `<dir>/report.html` from the folder's files. Returns its path.
pub fn write_html_report(dir: &Path) -> Result<PathBuf, ReportError> {
    write_html_report_with(dir, &HtmlOptions::default())
}

/// [`write_html_report`] with settings (a fixed date for reproducible pages).
pub fn write_html_report_with(dir: &Path, opts: &HtmlOptions) -> Result<PathBuf, ReportError> {
    write_html_report_digest(dir, opts, None)
}

/// [`write_html_report_with`] using the timeline digest the writer computed while writing timeline.csv
/// ([`crate::OutputDir::take_timeline_digest`]), so that timeline.csv is not read again. A digest made
/// for other alerts than alerts.json holds now is ignored.
pub fn write_html_report_digest(
    dir: &Path,
    opts: &HtmlOptions,
    digest: Option<TimelineDigest>,
) -> Result<PathBuf, ReportError> {
    let alerts = read_alert_values(dir)?;
    let info = read_info(dir)?;
    let data = build(dir, &alerts, info.as_ref(), opts, digest)?;
    let html =
        render(&data).map_err(|e| ReportError::other(&dir.join("report.html"), e.to_string()))?;
    let path = dir.join("report.html");
    let tmp = dir.join(".report.html.tmp");
    std::fs::write(&tmp, html).map_err(|e| ReportError::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| ReportError::io(&path, e))?;
    Ok(path)
}

/// The page for the output folder `dir`, as a string.
pub fn render_html_report(dir: &Path, opts: &HtmlOptions) -> Result<String, ReportError> {
    let alerts = read_alert_values(dir)?;
    let info = read_info(dir)?;
    let data = build(dir, &alerts, info.as_ref(), opts, None)?;
    render(&data).map_err(|e| ReportError::other(&dir.join("report.html"), e.to_string()))
}

/// An alert read back leniently: the element as written, and its parsed form.
pub(crate) struct AlertValue {
    pub raw: Value,
    pub alert: Alert,
}

/// Parses one alerts.json element, accepting missing or odd fields (MVT versions differ).
pub(crate) fn alert_from_value(v: &Value) -> Alert {
    if let Ok(a) = serde_json::from_value::<Alert>(v.clone()) {
        return a;
    }
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    Alert {
        level: v
            .get("level")
            .and_then(Value::as_str)
            .and_then(Level::parse)
            .unwrap_or(Level::Informational),
        module: s("module"),
        message: s("message"),
        event_time: v
            .get("event_time")
            .and_then(Value::as_str)
            .map(str::to_string),
        event: v.get("event").cloned().unwrap_or(Value::Null),
        matched_indicator: v
            .get("matched_indicator")
            .and_then(|m| serde_json::from_value(m.clone()).ok()),
    }
}

pub(crate) fn read_alert_values(dir: &Path) -> Result<Vec<AlertValue>, ReportError> {
    let path = dir.join("alerts.json");
    let mut out = Vec::new();
    if path.exists() {
        crate::read::each_in_array::<Value>(&path, |v| {
            let alert = alert_from_value(&v);
            out.push(AlertValue { raw: v, alert });
        })?;
    }
    Ok(out)
}

fn read_info(dir: &Path) -> Result<Option<Value>, ReportError> {
    let path = dir.join("info.json");
    if !path.exists() {
        return Ok(None);
    }
    let f = File::open(&path).map_err(|e| ReportError::io(&path, e))?;
    let v = serde_json::from_reader(BufReader::new(f)).map_err(|e| ReportError::json(&path, e))?;
    Ok(Some(v))
}

// ---------------------------------------------------------------------------------------------------
// The page's data

#[derive(Serialize)]
struct Page {
    title: String,
    generated: String,
    tool: String,
    csp: String,
    css: String,
    js: String,
    data_json: String,
    verdict: Verdict,
    alert_total: usize,
    counts: Vec<LevelCount>,
    groups: Vec<LevelGroup>,
    alerts_hidden: usize,
    explanations: Vec<Explanation>,
    chart: Option<Chart>,
    context_total: usize,
    context_truncated: bool,
    facts: Facts,
    /// Network captures: the alerts grouped by the host they are about.
    hosts: Vec<HostSummary>,
}

/// One host of a network capture and what was found about it.
#[derive(Serialize)]
struct HostSummary {
    host: String,
    level: &'static str,
    class: String,
    alerts: usize,
    indicators: Vec<String>,
    findings: Vec<String>,
    modules: Vec<String>,
    first_seen: String,
}

/// Most hosts listed in the per-host summary.
const MAX_HOSTS: usize = 100;

/// The host an alert of a network module is about: the name looked up or contacted, else the
/// destination address.
fn network_host(a: &Alert) -> Option<String> {
    if !a.module.starts_with("network_") {
        return None;
    }
    let e = &a.event;
    for k in ["server_name", "query_domain", "host", "server_ip", "dst_ip"] {
        if let Some(v) = e.get(k).and_then(Value::as_str)
            && !v.is_empty()
        {
            return Some(v.to_string());
        }
    }
    None
}

/// The per-host summary of network alerts, most severe hosts first.
fn host_summaries(alerts: &[AlertValue]) -> Vec<HostSummary> {
    let mut by: BTreeMap<String, Vec<&Alert>> = BTreeMap::new();
    for a in alerts {
        if let Some(h) = network_host(&a.alert) {
            by.entry(h).or_default().push(&a.alert);
        }
    }
    let mut v: Vec<(Level, HostSummary)> = by
        .into_iter()
        .map(|(host, al)| {
            let level = al
                .iter()
                .map(|a| a.level)
                .max()
                .unwrap_or(Level::Informational);
            let mut indicators = BTreeSet::new();
            let mut findings = BTreeSet::new();
            let mut modules = BTreeSet::new();
            for a in &al {
                modules.insert(a.module.clone());
                match &a.matched_indicator {
                    Some(m) => {
                        indicators.insert(format!("{} ({})", m.value, m.name));
                    }
                    None => {
                        findings.insert(cut(a.message.clone()));
                    }
                }
            }
            let first_seen = al
                .iter()
                .filter_map(|a| a.event.get("first_seen").and_then(Value::as_str))
                .min()
                .unwrap_or("")
                .to_string();
            (
                level,
                HostSummary {
                    host,
                    level: level.as_str(),
                    class: level_class(level),
                    alerts: al.len(),
                    indicators: indicators.into_iter().collect(),
                    findings: findings.into_iter().collect(),
                    modules: modules.into_iter().collect(),
                    first_seen,
                },
            )
        })
        .collect();
    v.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.alerts.cmp(&a.1.alerts)));
    v.into_iter().take(MAX_HOSTS).map(|(_, h)| h).collect()
}

#[derive(Serialize)]
struct Verdict {
    /// `found`, `suspicious` or `nothing`.
    kind: &'static str,
    headline: String,
    explanation: String,
    next_steps: Vec<String>,
    incomplete: Option<String>,
}

#[derive(Serialize)]
struct LevelCount {
    level: &'static str,
    count: usize,
}

#[derive(Serialize)]
struct LevelGroup {
    level: &'static str,
    class: String,
    count: usize,
    families: Vec<FamilyGroup>,
}

#[derive(Serialize)]
struct FamilyGroup {
    name: String,
    count: usize,
    alerts: Vec<AlertView>,
}

#[derive(Serialize)]
struct AlertView {
    n: usize,
    level: &'static str,
    module: String,
    message: String,
    time: Option<String>,
    recheck: Option<String>,
    indicator: Option<IndicatorView>,
    fields: Vec<(String, String)>,
}

#[derive(Serialize)]
struct IndicatorView {
    value: String,
    kind: String,
    collections: String,
    set: String,
    source: String,
}

#[derive(Serialize)]
struct Explanation {
    module: String,
    reads: &'static str,
    means: &'static str,
    alerts: usize,
}

#[derive(Serialize)]
struct Chart {
    width: u32,
    height: u32,
    plot_top: u32,
    plot_bottom: u32,
    unit: &'static str,
    first: String,
    last: String,
    max: u64,
    total: u64,
    bars: Vec<Bar>,
    marks: Vec<Mark>,
}

#[derive(Serialize)]
struct Bar {
    x: String,
    y: String,
    w: String,
    h: String,
    label: String,
    count: u64,
    detection: bool,
}

#[derive(Serialize)]
struct Mark {
    x: String,
    label: String,
}

#[derive(Serialize, Default)]
struct Facts {
    target_path: Option<String>,
    acquisition: Option<String>,
    date: Option<String>,
    tool_version: Option<String>,
    indicators: Option<String>,
    ioc_files: Vec<String>,
    indicator_sets: Vec<Vec<(String, String)>>,
    device: Vec<(String, String)>,
    modules_ok: Vec<ModuleRow>,
    modules_no_data: Vec<ModuleRow>,
    modules_failed: Vec<ModuleRow>,
    hashes: Vec<(String, String)>,
    hashes_hidden: usize,
    info_missing: bool,
    /// What could not be checked (info.json's `coverage`).
    coverage: Vec<String>,
    coverage_hidden: usize,
}

#[derive(Serialize)]
struct ModuleRow {
    module: String,
    records: Option<u64>,
    detail: String,
    warnings: Vec<String>,
}

/// The script's data: detection windows and the events around them.
#[derive(Serialize)]
struct ScriptData {
    alert_count: usize,
    context_minutes: i64,
    windows: Vec<Window>,
    events: Vec<CtxEvent>,
    truncated: bool,
}

#[derive(Serialize)]
struct Window {
    time: String,
    module: String,
    level: &'static str,
    message: String,
}

#[derive(Serialize)]
struct CtxEvent {
    /// Window index.
    w: usize,
    t: String,
    m: String,
    e: String,
    d: String,
    /// The event of a detection itself.
    hit: bool,
}

fn str_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn cut(s: String) -> String {
    if s.chars().count() <= MAX_VALUE_CHARS {
        return s;
    }
    let mut t: String = s.chars().take(MAX_VALUE_CHARS).collect();
    t.push_str(" … (cut; see the JSON files)");
    t
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Collections named by an indicator alert, generic names left out.
fn families_of(a: &Alert) -> Vec<String> {
    let Some(m) = &a.matched_indicator else {
        return Vec::new();
    };
    m.name
        .split(", ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn family_label(a: &Alert) -> String {
    match &a.matched_indicator {
        Some(m) if !m.name.trim().is_empty() => m.name.clone(),
        Some(_) => "Indicator without a named family".to_string(),
        None => "Heuristics (no indicator)".to_string(),
    }
}

const HELP_STEPS: [&str; 2] = [
    "Contact a digital security helpline: Access Now's Digital Security Helpline (https://www.accessnow.org/help/) \
     or Amnesty International's Security Lab (https://securitylab.amnesty.org/get-help/). They help civil society for free.",
    "Share this report and the whole output folder only with people you trust, over a secure channel: it contains \
     personal data from the phone.",
];

fn verdict(alerts: &[AlertValue], failed: usize) -> Verdict {
    let severe_ioc: Vec<&Alert> = alerts
        .iter()
        .map(|a| &a.alert)
        .filter(|a| a.level.is_severe() && a.matched_indicator.is_some())
        .collect();
    let severe_heur = alerts
        .iter()
        .any(|a| a.alert.level.is_severe() && a.alert.matched_indicator.is_none());
    let medium = alerts.iter().any(|a| a.alert.level == Level::Medium);
    let incomplete = (failed > 0).then(|| {
        format!(
            "{failed} module(s) failed (see “Modules” below): part of the acquisition was not checked."
        )
    });
    if !severe_ioc.is_empty() {
        let mut fams: Vec<String> = Vec::new();
        for a in &severe_ioc {
            for f in families_of(a) {
                if !fams.contains(&f) {
                    fams.push(f);
                }
            }
        }
        let names = if fams.is_empty() {
            "known spyware".to_string()
        } else {
            fams.join(", ")
        };
        let mut steps = vec![
            "Keep the acquisition and this output folder unchanged: they are the evidence.".to_string(),
            "Do not wipe, reset or update the phone before experts have looked at it: that would erase traces. \
             If you must keep using a phone, use another one for sensitive contacts."
                .to_string(),
        ];
        steps.extend(HELP_STEPS.iter().map(|s| s.to_string()));
        steps.push(
            "An indicator match is strong evidence but can be a false positive (for example a shared domain): \
             let an expert confirm it."
                .to_string(),
        );
        return Verdict {
            kind: "found",
            headline: format!("Traces of {names} found"),
            explanation: format!(
                "{} record(s) of this phone match public indicators of {names}. This means the phone very likely \
                 came into contact with this spyware (an infection attempt or an infection).",
                severe_ioc.len()
            ),
            next_steps: steps,
            incomplete,
        };
    }
    if severe_heur || medium {
        let mut steps = vec![
            "Keep the acquisition and this output folder.".to_string(),
            "Have an expert review the alerts below: they are unusual, but not proof of spyware."
                .to_string(),
        ];
        steps.extend(HELP_STEPS.iter().map(|s| s.to_string()));
        steps.push("Do not wipe or reset the phone before an expert has looked at it.".to_string());
        return Verdict {
            kind: "suspicious",
            headline: "Suspicious, needs expert review".to_string(),
            explanation:
                "No record matched a spyware indicator, but some checks found unusual things that \
                          spyware can leave behind, and that ordinary phones can also show."
                    .to_string(),
            next_steps: steps,
            incomplete,
        };
    }
    let mut steps = vec![
        "Keep the acquisition: new indicators are published regularly, and `telltale recheck` can check these \
         results again later."
            .to_string(),
        "If you still have reasons to worry (you are a journalist, activist or lawyer who was targeted, your \
         phone behaves strangely), ask a helpline for a deeper analysis."
            .to_string(),
    ];
    steps.extend(HELP_STEPS.iter().take(1).map(|s| s.to_string()));
    Verdict {
        kind: "nothing",
        headline: "Nothing found — which does not prove the phone is clean".to_string(),
        explanation: "No record matched the indicators used and no heuristic raised a serious alert. Indicators \
                      only cover known spyware, and an acquisition does not hold every trace, so this is not \
                      proof that the phone is clean."
            .to_string(),
        next_steps: steps,
        incomplete,
    }
}

fn level_class(l: Level) -> String {
    l.as_str().to_ascii_lowercase()
}

fn group_alerts(
    alerts: &[AlertValue],
    sources: &BTreeMap<String, String>,
) -> (Vec<LevelGroup>, usize) {
    let mut shown = 0usize;
    let mut hidden = 0usize;
    let mut groups = Vec::new();
    for level in Level::ALL {
        let at: Vec<(usize, &AlertValue)> = alerts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.alert.level == level)
            .collect();
        if at.is_empty() {
            continue;
        }
        let mut fams: BTreeMap<(bool, String), Vec<(usize, &AlertValue)>> = BTreeMap::new();
        for (i, a) in &at {
            let heuristic = a.alert.matched_indicator.is_none();
            fams.entry((heuristic, family_label(&a.alert)))
                .or_default()
                .push((*i, a));
        }
        let mut families = Vec::new();
        for ((_, name), list) in fams {
            let count = list.len();
            let mut views = Vec::new();
            for (i, a) in list {
                if shown >= MAX_ALERTS_SHOWN {
                    hidden += 1;
                    continue;
                }
                shown += 1;
                views.push(alert_view(i + 1, a, sources));
            }
            families.push(FamilyGroup {
                name,
                count,
                alerts: views,
            });
        }
        groups.push(LevelGroup {
            level: level.as_str(),
            class: level_class(level),
            count: at.len(),
            families,
        });
    }
    (groups, hidden)
}

fn alert_view(n: usize, a: &AlertValue, sources: &BTreeMap<String, String>) -> AlertView {
    let al = &a.alert;
    let fields = match &al.event {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), cut(value_text(v))))
            .collect(),
        Value::Null => Vec::new(),
        other => vec![("value".to_string(), cut(value_text(other)))],
    };
    AlertView {
        n,
        level: al.level.as_str(),
        module: al.module.clone(),
        message: cut(al.message.clone()),
        time: al.event_time.clone().filter(|t| !t.is_empty()),
        recheck: str_of(a.raw.get("recheck")),
        indicator: al.matched_indicator.as_ref().map(|m| IndicatorView {
            value: cut(m.value.clone()),
            kind: m.kind.clone(),
            collections: m.name.clone(),
            set: m.stix2_file_name.clone(),
            source: sources
                .get(&m.stix2_file_name)
                .cloned()
                .unwrap_or_else(|| default_source(&m.stix2_file_name)),
        }),
        fields,
    }
}

fn default_source(set: &str) -> String {
    if set.starts_with("builtin:") {
        "telltale's built-in snapshot of public indicators".to_string()
    } else if set.is_empty() {
        "unknown".to_string()
    } else {
        "a file given with --iocs".to_string()
    }
}

/// `stix2_file_name` → "source" text, from info.json's `indicator_sets`.
fn set_sources(info: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(sets) = info
        .and_then(|i| i.get("indicator_sets"))
        .and_then(Value::as_array)
    else {
        return out;
    };
    for s in sets {
        let Some(file) = s.get("file").and_then(Value::as_str) else {
            continue;
        };
        let mut parts = Vec::new();
        if let Some(n) = s.get("name").and_then(Value::as_str) {
            parts.push(n.to_string());
        }
        if let Some(src) = s.get("sources").and_then(Value::as_array) {
            let v: Vec<&str> = src.iter().filter_map(Value::as_str).collect();
            if !v.is_empty() {
                parts.push(format!("by {}", v.join(", ")));
            }
        }
        if let Some(u) = s.get("upstream").and_then(Value::as_str) {
            parts.push(u.to_string());
        }
        if let Some(d) = s.get("date").and_then(Value::as_str) {
            parts.push(format!("dated {d}"));
        }
        if !parts.is_empty() {
            out.insert(file.to_string(), parts.join(" — "));
        }
    }
    out
}

/// Coverage lines shown in report.html (info.json has them all).
const MAX_COVERAGE: usize = 50;

fn facts(info: Option<&Value>, dir: &Path) -> Facts {
    let Some(info) = info else {
        let mut f = Facts {
            info_missing: true,
            ..Default::default()
        };
        if let Ok(mods) = crate::read::list_modules(dir) {
            f.modules_ok = mods
                .into_iter()
                .map(|m| ModuleRow {
                    module: m,
                    records: None,
                    detail: String::new(),
                    warnings: Vec::new(),
                })
                .collect();
        }
        return f;
    };
    let strs = |k: &str| -> Vec<String> {
        info.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(value_text).collect())
            .unwrap_or_default()
    };
    let pairs = |k: &str, a: &str, b: &str| -> Vec<(String, String)> {
        info.get(k)
            .and_then(Value::as_array)
            .map(|arr| {
                arr.iter()
                    .map(|e| {
                        (
                            str_of(e.get(a)).unwrap_or_default(),
                            str_of(e.get(b)).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut f = Facts {
        target_path: str_of(info.get("target_path")),
        acquisition: str_of(info.get("acquisition")),
        date: str_of(info.get("date")),
        tool_version: str_of(info.get("telltale_version"))
            .map(|v| format!("telltale {v}"))
            .or_else(|| str_of(info.get("mvt_version")).map(|v| format!("MVT {v}"))),
        indicators: str_of(info.get("indicators")),
        ioc_files: strs("ioc_files"),
        device: pairs("device", "key", "value"),
        ..Default::default()
    };
    let mut coverage = strs("coverage");
    if coverage.len() > MAX_COVERAGE {
        f.coverage_hidden = coverage.len() - MAX_COVERAGE;
        coverage.truncate(MAX_COVERAGE);
    }
    f.coverage = coverage.into_iter().map(cut).collect();
    let mut hashes = pairs("hashes", "file_path", "sha256");
    if hashes.len() > MAX_HASHES {
        f.hashes_hidden = hashes.len() - MAX_HASHES;
        hashes.truncate(MAX_HASHES);
    }
    f.hashes = hashes;
    if let Some(sets) = info.get("indicator_sets").and_then(Value::as_array) {
        for s in sets {
            if let Value::Object(m) = s {
                f.indicator_sets.push(
                    m.iter()
                        .map(|(k, v)| {
                            let text = match v {
                                Value::Array(a) => {
                                    a.iter().map(value_text).collect::<Vec<_>>().join(", ")
                                }
                                other => value_text(other),
                            };
                            (k.clone(), text)
                        })
                        .collect(),
                );
            }
        }
    }
    if let Some(mods) = info.get("modules").and_then(Value::as_array) {
        for m in mods {
            let row = ModuleRow {
                module: str_of(m.get("module")).unwrap_or_default(),
                records: m.get("records").and_then(Value::as_u64),
                detail: str_of(m.get("detail")).unwrap_or_default(),
                warnings: m
                    .get("warnings")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(|w| cut(value_text(w))).collect())
                    .unwrap_or_default(),
            };
            match m.get("status").and_then(Value::as_str).unwrap_or("ok") {
                "no_data" => f.modules_no_data.push(row),
                "failed" | "panicked" => f.modules_failed.push(row),
                _ => f.modules_ok.push(row),
            }
        }
    }
    f
}

// ---------------------------------------------------------------------------------------------------
// Timeline: per-day chart and events around detections

fn day_of(s: &str) -> Option<Date> {
    s.get(..10)?.parse().ok()
}

#[derive(Clone, Copy)]
enum Unit {
    Day,
    Week,
    Month,
    Year,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Day => "day",
            Unit::Week => "week",
            Unit::Month => "month",
            Unit::Year => "year",
        }
    }
    /// Bucket index of `d` counted from `first`.
    fn index(self, first: Date, d: Date) -> i64 {
        match self {
            Unit::Day => days_between(first, d),
            Unit::Week => days_between(first, d).div_euclid(7),
            Unit::Month => {
                (d.year() as i64 - first.year() as i64) * 12 + d.month() as i64
                    - first.month() as i64
            }
            Unit::Year => d.year() as i64 - first.year() as i64,
        }
    }
    fn label(self, first: Date, i: i64) -> String {
        match self {
            Unit::Day => first
                .checked_add(jiff::Span::new().days(i))
                .map(|d| d.to_string())
                .unwrap_or_default(),
            Unit::Week => first
                .checked_add(jiff::Span::new().days(i * 7))
                .map(|d| format!("week of {d}"))
                .unwrap_or_default(),
            Unit::Month => {
                let m = first.year() as i64 * 12 + first.month() as i64 - 1 + i;
                format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
            }
            Unit::Year => format!("{}", first.year() as i64 + i),
        }
    }
}

fn days_between(a: Date, b: Date) -> i64 {
    a.until(b).map(|s| s.get_days() as i64).unwrap_or(0)
}

fn span_buckets(unit: Unit, first: Date, last: Date) -> i64 {
    unit.index(first, last) + 1
}

fn chart(days: &BTreeMap<Date, u64>, detection_days: &BTreeSet<Date>) -> Option<Chart> {
    let (first, _) = days.first_key_value()?;
    let (last, _) = days.last_key_value()?;
    let (first, last) = (*first, *last);
    let unit = [Unit::Day, Unit::Week, Unit::Month, Unit::Year]
        .into_iter()
        .find(|u| span_buckets(*u, first, last) <= MAX_BARS)
        .unwrap_or(Unit::Year);
    let n = span_buckets(unit, first, last).clamp(1, 10_000) as usize;
    let mut counts = vec![0u64; n];
    let mut det = vec![false; n];
    for (d, c) in days {
        let i = unit.index(first, *d).clamp(0, n as i64 - 1) as usize;
        counts[i] += c;
    }
    for d in detection_days {
        let i = unit.index(first, *d);
        if (0..n as i64).contains(&i) {
            det[i as usize] = true;
        }
    }
    let (width, height, left, right, top, bottom) = (900.0f64, 190.0f64, 40.0, 10.0, 24.0, 30.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let bw = plot_w / n as f64;
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let mut bars = Vec::new();
    let mut marks = Vec::new();
    for i in 0..n {
        let x = left + i as f64 * bw;
        if det[i] {
            marks.push(Mark {
                x: format!("{:.2}", x + bw / 2.0),
                label: unit.label(first, i as i64),
            });
        }
        if counts[i] == 0 {
            continue;
        }
        let h = (counts[i] as f64 / max as f64 * plot_h).max(1.0);
        bars.push(Bar {
            x: format!("{x:.2}"),
            y: format!("{:.2}", top + plot_h - h),
            w: format!("{:.2}", (bw * 0.9).max(0.5)),
            h: format!("{h:.2}"),
            label: unit.label(first, i as i64),
            count: counts[i],
            detection: det[i],
        });
    }
    Some(Chart {
        width: width as u32,
        height: height as u32,
        plot_top: top as u32,
        plot_bottom: (top + plot_h) as u32,
        unit: unit.name(),
        first: unit.label(first, 0),
        last: unit.label(first, n as i64 - 1),
        max,
        total: counts.iter().sum(),
        bars,
        marks,
    })
}

struct TimelineScan {
    days: BTreeMap<Date, u64>,
    events: Vec<CtxEvent>,
    windows: Vec<Window>,
    context_total: usize,
    truncated: bool,
}

/// The timeline as the page needs it (events per day, events around detections), computed while the
/// timeline is written ([`crate::OutputDir`]) so that the page need not read timeline.csv again.
pub struct TimelineDigest {
    scan: TimelineScan,
    /// The alerts.json it was computed against (number of alerts), to detect a stale digest.
    alerts: usize,
}

/// Builds a [`TimelineScan`] from timeline rows given in order, for the detections of `alerts`.
pub(crate) struct TimelineScanner {
    dets: Vec<Timestamp>,
    hits: HashSet<(String, String)>,
    candidate_days: HashSet<Date>,
    margin: SignedDuration,
    last_day: Option<([u8; 10], Date, bool)>,
    scan: TimelineScan,
    alerts: usize,
}

impl TimelineScanner {
    pub(crate) fn new(alerts: &[AlertValue]) -> Self {
        // Detection windows, sorted by time, at most MAX_WINDOWS (distinct times).
        let mut dets: Vec<(Timestamp, &Alert)> = alerts
            .iter()
            .filter_map(|a| {
                let t = a.alert.event_time.as_deref()?;
                Some((telltale_core::time::parse(t)?, &a.alert))
            })
            .collect();
        dets.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.level.cmp(&a.1.level)));
        dets.dedup_by(|a, b| a.0 == b.0);
        let truncated_windows = dets.len() > MAX_WINDOWS;
        // Keep the most severe windows when there are too many.
        if truncated_windows {
            let mut by_sev = dets.clone();
            by_sev.sort_by(|a, b| b.1.level.cmp(&a.1.level).then(a.0.cmp(&b.0)));
            by_sev.truncate(MAX_WINDOWS);
            by_sev.sort_by_key(|a| a.0);
            dets = by_sev;
        }
        let windows: Vec<Window> = dets
            .iter()
            .map(|(t, a)| Window {
                time: telltale_core::time::format(*t),
                module: a.module.clone(),
                level: a.level.as_str(),
                message: cut(a.message.clone()),
            })
            .collect();
        let hits: HashSet<(String, String)> = alerts
            .iter()
            .filter_map(|a| {
                Some((
                    a.alert.module.clone(),
                    telltale_core::time::format(telltale_core::time::parse(
                        a.alert.event_time.as_deref()?,
                    )?),
                ))
            })
            .collect();
        let margin = SignedDuration::from_mins(CONTEXT_MINUTES);
        let mut candidate_days: HashSet<Date> = HashSet::new();
        for (t, _) in &dets {
            let before = t.checked_sub(margin).unwrap_or(*t);
            let after = t.checked_add(margin).unwrap_or(*t);
            for d in [before, *t, after] {
                candidate_days.insert(d.to_zoned_datetime(jiff::tz::TimeZone::UTC).date());
            }
        }
        TimelineScanner {
            dets: dets.iter().map(|(t, _)| *t).collect(),
            hits,
            candidate_days,
            margin,
            last_day: None,
            scan: TimelineScan {
                days: BTreeMap::new(),
                events: Vec::new(),
                windows,
                context_total: 0,
                truncated: truncated_windows,
            },
            alerts: alerts.len(),
        }
    }

    /// One timeline row (time, module, event, description), as bytes. Only rows near a detection are
    /// decoded as text; consecutive rows mostly share their day, so the last day is remembered.
    pub(crate) fn feed(&mut self, fields: [&[u8]; 4]) {
        let ts_bytes = fields[0];
        let (day, candidate) = match (&self.last_day, ts_bytes.get(..10)) {
            (Some((k, d, c)), Some(p)) if k.as_slice() == p => (*d, *c),
            (_, Some(p)) => {
                let Some(day) = std::str::from_utf8(p).ok().and_then(day_of) else {
                    return;
                };
                let c = self.candidate_days.contains(&day);
                self.last_day = p.try_into().ok().map(|k| (k, day, c));
                (day, c)
            }
            (_, None) => return,
        };
        *self.scan.days.entry(day).or_insert(0) += 1;
        if !candidate {
            return;
        }
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let ts = text(fields[0]);
        let Some(t) = telltale_core::time::parse(&ts) else {
            return;
        };
        // The detection window closest to t, if within the margin.
        let dets = &self.dets;
        let i = dets.partition_point(|d| *d < t);
        let near = [i.checked_sub(1), Some(i)]
            .into_iter()
            .flatten()
            .filter(|&j| j < dets.len())
            .min_by_key(|&j| dets[j].duration_since(t).abs());
        let Some(w) = near.filter(|&j| dets[j].duration_since(t).abs() <= self.margin) else {
            return;
        };
        self.scan.context_total += 1;
        if self.scan.events.len() >= MAX_CONTEXT_EVENTS {
            self.scan.truncated = true;
            return;
        }
        let module = text(fields[1]);
        let formatted = telltale_core::time::format(t);
        let hit = self.hits.contains(&(module.clone(), formatted));
        self.scan.events.push(CtxEvent {
            w,
            t: ts,
            m: module,
            e: text(fields[2]),
            d: cut(text(fields[3])),
            hit,
        });
    }

    pub(crate) fn finish(self) -> TimelineDigest {
        TimelineDigest {
            scan: self.scan,
            alerts: self.alerts,
        }
    }
}

/// Reads timeline.csv once: events per day, and the events within ±[`CONTEXT_MINUTES`] of a detection.
fn scan_timeline(dir: &Path, alerts: &[AlertValue]) -> Result<TimelineScan, ReportError> {
    let mut scanner = TimelineScanner::new(alerts);
    let path = dir.join("timeline.csv");
    if !path.exists() {
        return Ok(scanner.finish().scan);
    }
    let f = File::open(&path).map_err(|e| ReportError::io(&path, e))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(BufReader::new(f));
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(ReportError::csv(&path, e)),
        }
        let f = |i| rec.get(i).unwrap_or(b"");
        scanner.feed([f(0), f(1), f(2), f(3)]);
    }
    Ok(scanner.finish().scan)
}

// ---------------------------------------------------------------------------------------------------
// Assembly and rendering

fn build(
    dir: &Path,
    alerts: &[AlertValue],
    info: Option<&Value>,
    opts: &HtmlOptions,
    digest: Option<TimelineDigest>,
) -> Result<Page, ReportError> {
    let facts = facts(info, dir);
    let verdict = verdict(alerts, facts.modules_failed.len());
    let sources = set_sources(info);
    let (groups, alerts_hidden) = group_alerts(alerts, &sources);
    let counts = Level::ALL
        .iter()
        .map(|l| LevelCount {
            level: l.as_str(),
            count: alerts.iter().filter(|a| a.alert.level == *l).count(),
        })
        .collect();
    let mut per_module: BTreeMap<&str, usize> = BTreeMap::new();
    for a in alerts {
        *per_module.entry(a.alert.module.as_str()).or_insert(0) += 1;
    }
    let explanations = per_module
        .into_iter()
        .map(|(m, n)| {
            let (reads, means) = explain::explain(m).unwrap_or(explain::GENERIC);
            Explanation {
                module: m.to_string(),
                reads,
                means,
                alerts: n,
            }
        })
        .collect();
    let scan = match digest {
        Some(d) if d.alerts == alerts.len() => d.scan,
        _ => scan_timeline(dir, alerts)?,
    };
    let detection_days: BTreeSet<Date> = alerts
        .iter()
        .filter_map(|a| day_of(a.alert.event_time.as_deref()?))
        .collect();
    let chart = chart(&scan.days, &detection_days);
    let script = ScriptData {
        alert_count: alerts.len(),
        context_minutes: CONTEXT_MINUTES,
        windows: scan.windows,
        events: scan.events,
        truncated: scan.truncated,
    };
    let data_json =
        json_for_script(&script).map_err(|e| ReportError::json(&dir.join("report.html"), e))?;
    let title = facts
        .target_path
        .clone()
        .unwrap_or_else(|| dir.display().to_string());
    Ok(Page {
        title,
        generated: opts
            .generated
            .clone()
            .unwrap_or_else(crate::info::now_iso8601),
        tool: format!("telltale {}", env!("CARGO_PKG_VERSION")),
        csp: csp(),
        css: CSS.to_string(),
        js: JS.to_string(),
        data_json,
        verdict,
        alert_total: alerts.len(),
        counts,
        groups,
        alerts_hidden,
        explanations,
        chart,
        context_total: scan.context_total,
        context_truncated: scan.truncated,
        facts,
        hosts: host_summaries(alerts),
    })
}

/// JSON safe inside `<script type="application/json">`: `<`, `>`, `&`, U+2028 and U+2029 are written as
/// `\uXXXX` escapes (only possible inside JSON strings, where they mean the same).
pub fn json_for_script<T: Serialize>(v: &T) -> Result<String, serde_json::Error> {
    let s = serde_json::to_string(v)?;
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

fn sha256_b64(s: &str) -> String {
    base64(&Sha256::digest(s.as_bytes()))
}

/// The page's Content-Security-Policy: nothing but its own inline style and script (by hash) and data:
/// images.
pub fn csp() -> String {
    format!(
        "default-src 'none'; style-src 'sha256-{}'; script-src 'sha256-{}'; img-src data:; \
         base-uri 'none'; form-action 'none'",
        sha256_b64(CSS),
        sha256_b64(JS)
    )
}

fn render(page: &Page) -> Result<String, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("report.html", TEMPLATE)?;
    let tmpl = env.get_template("report.html")?;
    let ctx = minijinja::Value::from(minijinja::value::Serde(page));
    // The constant CSS/JS and the escaped JSON are inserted unescaped; everything else is escaped.
    let raw = minijinja::context! {
        css => minijinja::Value::from_safe_string(page.css.clone()),
        js => minijinja::Value::from_safe_string(page.js.clone()),
        data_json => minijinja::Value::from_safe_string(page.data_json.clone()),
        p => ctx,
    };
    // Line and paragraph separators are harmless in HTML text but confuse some viewers: write them as
    // character references (the script's JSON already has them as \u escapes).
    Ok(tmpl
        .render(raw)?
        .replace('\u{2028}', "&#x2028;")
        .replace('\u{2029}', "&#x2029;"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn script_json_escapes_breakout_characters() {
        let s =
            json_for_script(&serde_json::json!({"a": "</script><b>&\u{2028}\u{2029}"})).unwrap();
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        assert!(!s.contains('\u{2028}') && !s.contains('\u{2029}'));
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["a"], "</script><b>&\u{2028}\u{2029}");
    }

    #[test]
    fn chart_switches_to_coarser_buckets_on_long_spans() {
        let mut days = BTreeMap::new();
        days.insert("2001-01-01".parse().unwrap(), 1);
        days.insert("2024-06-01".parse().unwrap(), 5);
        let c = chart(&days, &BTreeSet::new()).unwrap();
        assert_eq!(c.unit, "month");
        assert_eq!(c.bars.len(), 2);
        assert_eq!(c.total, 6);
        let mut days = BTreeMap::new();
        days.insert("2024-06-01".parse().unwrap(), 3);
        days.insert("2024-06-03".parse().unwrap(), 4);
        let det: BTreeSet<Date> = ["2024-06-03".parse().unwrap()].into();
        let c = chart(&days, &det).unwrap();
        assert_eq!(c.unit, "day");
        assert_eq!(c.first, "2024-06-01");
        assert_eq!(c.last, "2024-06-03");
        assert_eq!(c.marks.len(), 1);
        assert!(c.bars.iter().any(|b| b.detection && b.count == 4));
    }
}
