//! `info.json`: what was checked, with what, when, and how each module fared.

use std::path::Path;

use serde::Serialize;
use telltale_core::{DeviceFact, Level, ModuleOutcome, ModuleStatus, RunSummary};

use crate::error::ReportError;
use crate::json::to_pretty_vec;

/// SHA-256 of one acquisition file (`--hashes`), as in MVT's info.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FileHash {
    pub file_path: String,
    pub sha256: String,
}

/// Alert counts by level, most severe first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub struct AlertCounts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub informational: u64,
}

impl AlertCounts {
    /// From a `[CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL]` array (as in [`ModuleOutcome::alerts`]).
    pub fn from_array(a: [u64; 5]) -> Self {
        AlertCounts {
            critical: a[0],
            high: a[1],
            medium: a[2],
            low: a[3],
            informational: a[4],
        }
    }

    pub fn total(&self) -> u64 {
        self.critical + self.high + self.medium + self.low + self.informational
    }

    pub fn from_summary(s: &RunSummary) -> Self {
        AlertCounts {
            critical: s.alerts_at(Level::Critical),
            high: s.alerts_at(Level::High),
            medium: s.alerts_at(Level::Medium),
            low: s.alerts_at(Level::Low),
            informational: s.alerts_at(Level::Informational),
        }
    }
}

/// The content of `info.json`, filled by the CLI. The first five fields are MVT's (`mvt_version` is
/// `telltale_version` here); the rest are telltale's extras.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunInfo {
    pub target_path: String,
    pub telltale_version: String,
    /// ISO 8601, UTC (see [`now_iso8601`]).
    pub date: String,
    pub ioc_files: Vec<String>,
    pub hashes: Vec<FileHash>,
    /// The acquisition kind, e.g. `ios-backup`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquisition: Option<String>,
    pub device: Vec<DeviceFact>,
    /// Which indicator set was used (e.g. "builtin snapshot 2025-05-01, 12 files, 3456 indicators").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicators: Option<String>,
    /// The indicator sets used, with where they come from (shown by report.html next to each match).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub indicator_sets: Vec<IndicatorSetInfo>,
    pub alerts: AlertCounts,
    pub modules: Vec<ModuleInfo>,
    /// What could not be checked: the acquisition's coverage facts, then each module's (`module: what`),
    /// each once. No alert must never read as "clean": this list says where indicators could not look.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<String>,
}

/// One indicator set as written in info.json's `indicator_sets`: `file` is the `stix2_file_name` its
/// matches carry (`builtin:<name>` or a path).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct IndicatorSetInfo {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Who published the indicators (e.g. "Amnesty International").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Upstream repository, `owner/name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    pub indicators: usize,
}

/// How one module fared, as written in info.json.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleInfo {
    pub module: String,
    /// `status` (`ok`, `no_data`, `failed`, `panicked`) and `detail` (why) when not ok.
    #[serde(flatten)]
    pub status: ModuleStatus,
    pub records: u64,
    pub alerts: AlertCounts,
    pub warnings: Vec<String>,
    /// What the module could not check (an artifact listed but absent, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<String>,
    pub duration_ms: f64,
}

impl From<&ModuleOutcome> for ModuleInfo {
    fn from(o: &ModuleOutcome) -> Self {
        ModuleInfo {
            module: o.module.clone(),
            status: o.status.clone(),
            records: o.records,
            alerts: AlertCounts::from_array(o.alerts),
            warnings: o.warnings.clone(),
            not_checked: o.not_checked.clone(),
            duration_ms: (o.duration.as_secs_f64() * 1_000_000.0).round() / 1000.0,
        }
    }
}

impl RunInfo {
    /// A RunInfo for `target_path` dated now, with this crate's version.
    pub fn new(target_path: impl Into<String>) -> Self {
        RunInfo {
            target_path: target_path.into(),
            telltale_version: env!("CARGO_PKG_VERSION").to_string(),
            date: now_iso8601(),
            ..Default::default()
        }
    }

    /// Takes the module outcomes and alert counts from a run's summary, with the acquisition's own
    /// coverage facts (see [`telltale_core::Acquisition::coverage`]).
    pub fn set_summary(&mut self, summary: &RunSummary) {
        self.alerts = AlertCounts::from_summary(summary);
        self.modules = summary.modules.iter().map(ModuleInfo::from).collect();
        for (module, what) in summary.not_checked() {
            let line = format!("{module}: {what}");
            if !self.coverage.contains(&line) {
                self.coverage.push(line);
            }
        }
    }

    /// Adds acquisition-level coverage facts (before the modules').
    pub fn add_coverage(&mut self, facts: impl IntoIterator<Item = String>) {
        let mut acq: Vec<String> = facts
            .into_iter()
            .filter(|f| !self.coverage.contains(f))
            .collect();
        acq.dedup();
        acq.append(&mut self.coverage);
        self.coverage = acq;
    }
}

/// The current time as ISO 8601 with zone, UTC: `2025-01-31T12:34:56.123456+00:00`.
pub fn now_iso8601() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string()
}

/// Writes `<dir>/info.json` (pretty-printed, 4-space indent).
pub fn write_info(dir: &Path, info: &RunInfo) -> Result<(), ReportError> {
    let path = dir.join("info.json");
    let bytes = to_pretty_vec(info).map_err(|e| ReportError::json(&path, e))?;
    std::fs::write(&path, bytes).map_err(|e| ReportError::io(&path, e))
}
