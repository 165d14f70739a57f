//! Alerts: what a module raises when a record matches an indicator or a heuristic fires.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Alert levels, ordered from least to most severe (as in MVT's alerts.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Critical,
        Level::High,
        Level::Medium,
        Level::Low,
        Level::Informational,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "INFORMATIONAL",
            Level::Low => "LOW",
            Level::Medium => "MEDIUM",
            Level::High => "HIGH",
            Level::Critical => "CRITICAL",
        }
    }

    /// HIGH and CRITICAL alerts make `telltale check` exit with code 1.
    pub fn is_severe(self) -> bool {
        self >= Level::High
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_uppercase().as_str() {
            "INFORMATIONAL" | "INFO" => Some(Level::Informational),
            "LOW" => Some(Level::Low),
            "MEDIUM" => Some(Level::Medium),
            "HIGH" => Some(Level::High),
            "CRITICAL" => Some(Level::Critical),
            _ => None,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The indicator an alert matched, in MVT's shape (`value`, `type`, `name`, `stix2_file_name`), plus the
/// STIX object path (`stix_type`) and indicator id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedIndicator {
    /// The indicator's value as written in the STIX pattern.
    pub value: String,
    /// MVT's name of the indicator list, e.g. `domains`, `processes` (see
    /// [`telltale_ioc::IndicatorKind::mvt_type`]); results folders of earlier telltale versions hold the
    /// STIX path here.
    #[serde(rename = "type")]
    pub kind: String,
    /// The collection(s) (malware names) the indicator belongs to, joined with ", ".
    pub name: String,
    /// The file the indicator was loaded from (built-in sets: `builtin:<file name>`).
    pub stix2_file_name: String,
    /// The STIX id of the indicator object, when known (an extra over MVT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The STIX object path of the observable, e.g. `domain-name:value` (an extra over MVT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stix_type: Option<String>,
}

impl From<&telltale_ioc::Match> for MatchedIndicator {
    fn from(m: &telltale_ioc::Match) -> Self {
        MatchedIndicator {
            value: m.value.to_string(),
            kind: m.kind.mvt_type().to_string(),
            name: m.collections.join(", "),
            stix2_file_name: m.source_file.to_string(),
            id: m.indicator_id.as_ref().map(|s| s.to_string()),
            stix_type: Some(m.kind.as_stix().to_string()),
        }
    }
}

/// One alert, as written to alerts.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub level: Level,
    pub module: String,
    pub message: String,
    /// UTC time of the event in `YYYY-MM-DD HH:MM:SS.ffffff` form, when the record has one.
    pub event_time: Option<String>,
    /// The record that caused the alert.
    pub event: Value,
    pub matched_indicator: Option<MatchedIndicator>,
}
