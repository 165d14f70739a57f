//! The module trait: one module per artifact.
//!
//! A module reads its artifact through [`ModuleContext::evidence`] (never knowing whether bytes live in a
//! folder, a zip or an encrypted backup), extracts records, and reports them through an [`Emitter`]
//! (never knowing how outputs are written). Indicator matching goes through [`ModuleContext::iocs`].

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use jiff::Timestamp;
use telltale_ioc::{IocIndex, Match};

use crate::alert::{Alert, Level, MatchedIndicator};
use crate::engine::Output;
use crate::evidence::{Evidence, EvidenceError};
use crate::record::Record;
use crate::time;

/// Why a module failed. The engine reports it as that module's failure; the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Sqlite(#[from] crate::sqlite::SqliteError),
    #[error("{artifact}: {message}")]
    Parse { artifact: String, message: String },
    #[error("{0}")]
    Other(String),
}

impl ModuleError {
    /// Whether the error says the artifact is listed in the acquisition (e.g. in a backup's Manifest.db)
    /// but its data is not there: a coverage fact, not a failure.
    pub fn absent_path(&self) -> Option<&str> {
        match self {
            ModuleError::Evidence(EvidenceError::Absent { path })
            | ModuleError::Sqlite(crate::sqlite::SqliteError::Evidence(EvidenceError::Absent {
                path,
            })) => Some(path),
            _ => None,
        }
    }

    pub fn parse(artifact: impl Into<String>, message: impl std::fmt::Display) -> Self {
        ModuleError::Parse {
            artifact: artifact.into(),
            message: message.to_string(),
        }
    }
}

/// Settings of a run that modules may need.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// IANA time zone of the device when known (`persist.sys.timezone`, or `--timezone`).
    pub timezone: Option<String>,
}

/// What a module gets to work with.
pub struct ModuleContext<'a> {
    pub evidence: &'a dyn Evidence,
    pub iocs: &'a IocIndex,
    pub options: &'a RunOptions,
}

/// One module per artifact.
pub trait Module: Send + Sync {
    /// The module's slug, used for `<slug>.json` (MVT's name where MVT has the same module).
    fn name(&self) -> &'static str;
    /// One line: which artifact it reads and what it looks for.
    fn description(&self) -> &'static str;
    /// Reads the artifact and emits records, timeline events and alerts.
    /// Return `Ok(())` with nothing emitted (and optionally [`Emitter::no_data`]) when the artifact is absent.
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError>;
}

/// The module's handle on the outputs. Counts what it emits.
pub struct Emitter<'a> {
    module: &'static str,
    output: &'a dyn Output,
    pub(crate) records: u64,
    pub(crate) alerts: Vec<u64>,
    pub(crate) warnings: Vec<String>,
    pub(crate) not_checked: Vec<String>,
    pub(crate) no_data: Option<String>,
    detected: HashSet<u64>,
}

impl<'a> Emitter<'a> {
    pub fn new(module: &'static str, output: &'a dyn Output) -> Self {
        Emitter {
            module,
            output,
            records: 0,
            alerts: vec![0; 5],
            warnings: Vec::new(),
            not_checked: Vec::new(),
            no_data: None,
            detected: HashSet::new(),
        }
    }

    pub fn module(&self) -> &'static str {
        self.module
    }

    /// Emits one extracted record (to `<module>.json`).
    pub fn record(&mut self, rec: &Record) {
        self.records += 1;
        self.output.record(self.module, rec);
    }

    /// Emits a record to another output than the module's own (`urls` for `urls.json`, MVT's list of the
    /// links found in messages). Not counted as one of the module's records.
    pub fn extra_record(&mut self, output: &'static str, rec: &Record) {
        self.output.extra_record(output, rec);
    }

    /// Emits one link found in a message to `urls.json` (MVT's fields: `url`, `expanded_url` — always
    /// null: telltale never contacts a link's host to expand it — `timestamp`, `source`).
    pub fn url_found(&mut self, url: &str, ts: Option<Timestamp>, source: &str) {
        let mut r = Record::new();
        r.insert("url".into(), url.into());
        r.insert("expanded_url".into(), serde_json::Value::Null);
        r.insert("timestamp".into(), time::format_opt(ts).into());
        r.insert("source".into(), source.into());
        self.extra_record("urls", &r);
    }

    /// Emits one timeline event; events without a time are not put on the timeline.
    pub fn timeline(&mut self, ts: Option<Timestamp>, event: &str, description: impl AsRef<str>) {
        if let Some(ts) = ts {
            let mut buf = [0u8; 26];
            match time::format_into(ts, &mut buf) {
                Some(t) => self
                    .output
                    .timeline_row(t, self.module, event, description.as_ref()),
                None => self.output.timeline_row(
                    &time::format(ts),
                    self.module,
                    event,
                    description.as_ref(),
                ),
            }
        }
    }

    /// Raises an alert about `event` (the record). `matched` is the indicator, if any.
    pub fn alert(
        &mut self,
        level: Level,
        message: impl Into<String>,
        event_time: Option<Timestamp>,
        event: &Record,
        matched: Option<&Match>,
    ) {
        self.alerts[level as usize] += 1;
        let alert = Alert {
            level,
            module: self.module.to_string(),
            message: message.into(),
            event_time: time::format_opt(event_time),
            event: serde_json::Value::Object(event.clone()),
            matched_indicator: matched.map(MatchedIndicator::from),
        };
        let mut h = std::collections::hash_map::DefaultHasher::new();
        serde_json::to_string(event)
            .unwrap_or_default()
            .hash(&mut h);
        if self.detected.insert(h.finish()) {
            self.output.detected(self.module, event);
        }
        self.output.alert(&alert);
    }

    /// Raises a CRITICAL alert for each indicator match (MVT's level for indicator matches in most
    /// modules), with a message naming what matched and where.
    pub fn ioc_alerts(
        &mut self,
        matches: &[Match],
        what: &str,
        event_time: Option<Timestamp>,
        event: &Record,
    ) {
        self.ioc_alerts_at(Level::Critical, matches, what, event_time, event);
    }

    /// [`Emitter::ioc_alerts`] at another level (where MVT rates the same check differently, e.g. HIGH
    /// for file names in a backup's manifest).
    pub fn ioc_alerts_at(
        &mut self,
        level: Level,
        matches: &[Match],
        what: &str,
        event_time: Option<Timestamp>,
        event: &Record,
    ) {
        for m in matches {
            let message = format!(
                "{what} matches indicator {} ({}) of {}",
                m.value,
                m.kind.as_stix(),
                m.collections.join(", ")
            );
            self.alert(level, message, event_time, event, Some(m));
        }
    }

    /// A non-fatal problem (a file listed but absent, rows lost in a corrupt database …).
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }

    /// Something this module could not check: an artifact listed in the acquisition's index but absent,
    /// content that is encrypted, a log that is not analysed. A coverage fact shown in the summary,
    /// info.json and report.html, so that no alert never reads as "clean"; never a failure.
    pub fn not_checked(&mut self, what: impl Into<String>) {
        let what = what.into();
        if !self.not_checked.contains(&what) {
            self.not_checked.push(what);
        }
    }

    /// The artifact this module reads is not in the acquisition.
    pub fn no_data(&mut self, why: impl Into<String>) {
        self.no_data = Some(why.into());
    }
}
