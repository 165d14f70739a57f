//! The run engine: runs modules in parallel, isolates failures and panics, streams to an [`Output`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::alert::{Alert, Level};
use crate::module::{Emitter, Module, ModuleContext};
use crate::record::{Record, TimelineEvent};

/// Where a run's results go. Implemented by the report crate's writers (and by tests).
/// Methods are called from several threads at once.
pub trait Output: Send + Sync {
    fn module_started(&self, _module: &str) {}
    fn record(&self, module: &str, rec: &Record);
    /// A record for an output shared by modules rather than the module's own (`urls` → `urls.json`).
    fn extra_record(&self, output: &str, rec: &Record) {
        self.record(output, rec);
    }
    /// A record that caused at least one alert (`<module>_detected.json`).
    fn detected(&self, module: &str, rec: &Record);
    fn timeline(&self, event: TimelineEvent);
    /// One timeline event given as borrowed fields (the hot path: no allocation needed).
    fn timeline_row(&self, timestamp: &str, module: &str, event: &str, description: &str) {
        self.timeline(TimelineEvent {
            timestamp: timestamp.to_string(),
            module: module.to_string(),
            event: event.to_string(),
            description: description.to_string(),
        });
    }
    fn alert(&self, alert: &Alert);
    fn module_finished(&self, _outcome: &ModuleOutcome) {}
}

/// An [`Output`] that keeps everything in memory: for tests, and for callers that compare runs.
#[derive(Default)]
pub struct MemoryOutput {
    /// `(module, record)` in emission order.
    pub records: std::sync::Mutex<Vec<(String, Record)>>,
    /// `(output, record)` of the records written to shared outputs (`urls`).
    pub extra: std::sync::Mutex<Vec<(String, Record)>>,
    /// `(module, record)` of the records that caused alerts.
    pub detected: std::sync::Mutex<Vec<(String, Record)>>,
    pub alerts: std::sync::Mutex<Vec<Alert>>,
    pub timeline: std::sync::Mutex<Vec<TimelineEvent>>,
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemoryOutput {
    /// The level of every alert, in emission order.
    pub fn levels(&self) -> Vec<Level> {
        lock(&self.alerts).iter().map(|a| a.level).collect()
    }
    /// How many alerts have `level`.
    pub fn count(&self, level: Level) -> usize {
        lock(&self.alerts)
            .iter()
            .filter(|a| a.level == level)
            .count()
    }
    /// How many records were emitted.
    pub fn n_records(&self) -> usize {
        lock(&self.records).len()
    }
    /// Records (without their module), alerts and timeline events.
    pub fn into_parts(self) -> (Vec<Record>, Vec<Alert>, Vec<TimelineEvent>) {
        let records = self
            .records
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        let alerts = self.alerts.into_inner().unwrap_or_else(|p| p.into_inner());
        let timeline = self
            .timeline
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        (records, alerts, timeline)
    }
}

impl Output for MemoryOutput {
    fn record(&self, module: &str, rec: &Record) {
        lock(&self.records).push((module.to_string(), rec.clone()));
    }
    fn extra_record(&self, output: &str, rec: &Record) {
        lock(&self.extra).push((output.to_string(), rec.clone()));
    }
    fn detected(&self, module: &str, rec: &Record) {
        lock(&self.detected).push((module.to_string(), rec.clone()));
    }
    fn timeline(&self, event: TimelineEvent) {
        lock(&self.timeline).push(event);
    }
    fn alert(&self, alert: &Alert) {
        lock(&self.alerts).push(alert.clone());
    }
}

/// How a module's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum ModuleStatus {
    /// Ran and read its artifact.
    Ok,
    /// Its artifact is not in this acquisition.
    NoData(String),
    /// Returned an error.
    Failed(String),
    /// Panicked; the engine caught it.
    Panicked(String),
}

/// The result of one module.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleOutcome {
    pub module: String,
    #[serde(flatten)]
    pub status: ModuleStatus,
    pub records: u64,
    /// Alerts by level, most severe first: CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL.
    pub alerts: [u64; 5],
    pub warnings: Vec<String>,
    /// What the module could not check (coverage facts, see [`Emitter::not_checked`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<String>,
    #[serde(serialize_with = "ser_ms")]
    pub duration: Duration,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0)
}

impl ModuleOutcome {
    pub fn alerts_at(&self, level: Level) -> u64 {
        self.alerts[4 - level as usize]
    }
}

/// The outcome of a whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    pub modules: Vec<ModuleOutcome>,
}

impl RunSummary {
    pub fn alerts_at(&self, level: Level) -> u64 {
        self.modules.iter().map(|m| m.alerts_at(level)).sum()
    }
    pub fn total_alerts(&self) -> u64 {
        self.modules
            .iter()
            .map(|m| m.alerts.iter().sum::<u64>())
            .sum()
    }
    /// At least one HIGH or CRITICAL alert.
    pub fn has_severe(&self) -> bool {
        self.alerts_at(Level::High) + self.alerts_at(Level::Critical) > 0
    }
    /// Every coverage fact of the modules, `(module, what)`, in the modules' order.
    pub fn not_checked(&self) -> Vec<(&str, &str)> {
        self.modules
            .iter()
            .flat_map(|m| {
                m.not_checked
                    .iter()
                    .map(|w| (m.module.as_str(), w.as_str()))
            })
            .collect()
    }
    pub fn failed(&self) -> impl Iterator<Item = &ModuleOutcome> {
        self.modules.iter().filter(|m| {
            matches!(
                m.status,
                ModuleStatus::Failed(_) | ModuleStatus::Panicked(_)
            )
        })
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// How a file listed in the acquisition's index but absent is described.
pub const ABSENT: &str = "listed in the acquisition's index but not in the acquisition";

/// Runs one module, catching its errors and panics.
pub fn run_one(module: &dyn Module, ctx: &ModuleContext<'_>, output: &dyn Output) -> ModuleOutcome {
    let name = module.name();
    output.module_started(name);
    let start = Instant::now();
    let mut em = Emitter::new(name, output);
    let result = catch_unwind(AssertUnwindSafe(|| module.run(ctx, &mut em)));
    let status = match result {
        Ok(Ok(())) => match em.no_data.take() {
            Some(why) if em.records == 0 => ModuleStatus::NoData(why),
            _ => ModuleStatus::Ok,
        },
        // An artifact listed in the acquisition's index but absent is a coverage fact, not a failure.
        Ok(Err(e)) if e.absent_path().is_some() && em.records == 0 => {
            let path = e.absent_path().unwrap_or_default().to_string();
            em.not_checked(format!("{path}: {ABSENT}"));
            ModuleStatus::NoData(format!("{path}: {ABSENT}"))
        }
        Ok(Err(e)) if e.absent_path().is_some() => {
            let path = e.absent_path().unwrap_or_default().to_string();
            em.not_checked(format!("{path}: {ABSENT}"));
            ModuleStatus::Ok
        }
        Ok(Err(e)) => ModuleStatus::Failed(e.to_string()),
        Err(p) => ModuleStatus::Panicked(panic_message(p.as_ref())),
    };
    let mut alerts = [0u64; 5];
    for (lvl, n) in em.alerts.iter().enumerate() {
        alerts[4 - lvl] = *n;
    }
    let outcome = ModuleOutcome {
        module: name.to_string(),
        status,
        records: em.records,
        alerts,
        warnings: std::mem::take(&mut em.warnings),
        not_checked: std::mem::take(&mut em.not_checked),
        duration: start.elapsed(),
    };
    output.module_finished(&outcome);
    outcome
}

/// Runs all modules in parallel (rayon). A failing or panicking module is reported in its outcome and
/// the others go on. Outcomes are returned in the modules' order.
pub fn run_modules(
    modules: &[Box<dyn Module>],
    ctx: &ModuleContext<'_>,
    output: &dyn Output,
) -> RunSummary {
    let modules = modules
        .par_iter()
        .map(|m| run_one(m.as_ref(), ctx, output))
        .collect();
    RunSummary { modules }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::FolderEvidence;
    use crate::module::{ModuleError, RunOptions};

    struct Good;
    impl Module for Good {
        fn name(&self) -> &'static str {
            "good"
        }
        fn description(&self) -> &'static str {
            "emits one record and one alert"
        }
        fn run(&self, _: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
            let r = crate::record! { "x" => 1 };
            out.record(&r);
            out.alert(Level::High, "bad thing", None, &r, None);
            Ok(())
        }
    }
    struct Panics;
    impl Module for Panics {
        fn name(&self) -> &'static str {
            "panics"
        }
        fn description(&self) -> &'static str {
            "panics"
        }
        fn run(&self, _: &ModuleContext<'_>, _: &mut Emitter<'_>) -> Result<(), ModuleError> {
            panic!("boom in module")
        }
    }
    struct Fails;
    impl Module for Fails {
        fn name(&self) -> &'static str {
            "fails"
        }
        fn description(&self) -> &'static str {
            "fails"
        }
        fn run(&self, _: &ModuleContext<'_>, _: &mut Emitter<'_>) -> Result<(), ModuleError> {
            Err(ModuleError::parse(
                "x.db",
                "database disk image is malformed",
            ))
        }
    }

    #[test]
    fn failing_and_panicking_modules_do_not_stop_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let ev = FolderEvidence::new(dir.path()).unwrap();
        let iocs = telltale_ioc::IocIndex::empty();
        let opts = RunOptions::default();
        let ctx = ModuleContext {
            evidence: &ev,
            iocs: &iocs,
            options: &opts,
        };
        let out = MemoryOutput::default();
        let modules: Vec<Box<dyn Module>> = vec![Box::new(Panics), Box::new(Good), Box::new(Fails)];
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let summary = run_modules(&modules, &ctx, &out);
        std::panic::set_hook(prev);
        assert_eq!(summary.modules.len(), 3);
        assert_eq!(
            summary.modules[0].status,
            ModuleStatus::Panicked("boom in module".into())
        );
        assert_eq!(summary.modules[1].status, ModuleStatus::Ok);
        assert!(
            matches!(&summary.modules[2].status, ModuleStatus::Failed(m) if m.contains("malformed"))
        );
        assert_eq!(summary.alerts_at(Level::High), 1);
        assert!(summary.has_severe());
        assert_eq!(out.records.lock().unwrap().len(), 1);
        assert_eq!(out.alerts.lock().unwrap()[0].module, "good");
    }
}
