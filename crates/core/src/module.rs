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
use crate::record::{Record, TimelineEvent};
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
    pub(crate) no_data: Option<String>,
    pub(crate) not_checked: Vec<String>,
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
            no_data: None,
            not_checked: Vec::new(),
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

    /// Emits one timeline event; events without a time are not put on the timeline.
    pub fn timeline(&mut self, ts: Option<Timestamp>, event: &str, description: impl Into<String>) {
        if let Some(ts) = ts {
            self.output.timeline(TimelineEvent {
                timestamp: time::format(ts),
                module: self.module.to_string(),
                event: event.to_string(),
                description: description.into(),
            });
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

    /// Raises a HIGH alert for each indicator match, with a message naming what matched and where.
    pub fn ioc_alerts(
        &mut self,
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
            self.alert(Level::High, message, event_time, event, Some(m));
        }
    }

    /// A non-fatal problem (a file listed but absent, rows lost in a corrupt database …).
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }

    /// Something this module could not check (encrypted traffic, a log it cannot read …): coverage,
    /// never a failure.
    pub fn not_checked(&mut self, what: impl Into<String>) {
        self.not_checked.push(what.into());
    }

    /// The artifact this module reads is not in the acquisition.
    pub fn no_data(&mut self, why: impl Into<String>) {
        self.no_data = Some(why.into());
    }
}
