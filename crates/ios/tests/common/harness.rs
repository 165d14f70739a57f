//! Test harness shared by the unit tests (`telltale_ios::util::testing`) and the integration tests:
//! runs one module over an evidence and collects what it emits.

use std::path::{Path, PathBuf};

use telltale_core::engine::{MemoryOutput, ModuleOutcome, run_one};
use telltale_core::{
    Alert, Evidence, FolderEvidence, Level, Module, ModuleContext, ModuleStatus, Record,
    RunOptions, TimelineEvent,
};
use telltale_ioc::{IndicatorKind, IocIndex};

/// What one module run emitted.
pub struct Run {
    pub outcome: ModuleOutcome,
    pub records: Vec<Record>,
    pub alerts: Vec<Alert>,
    pub timeline: Vec<TimelineEvent>,
}

impl Run {
    pub fn at(&self, level: Level) -> Vec<&Alert> {
        self.alerts.iter().filter(|a| a.level == level).collect()
    }
    pub fn severe(&self) -> Vec<&Alert> {
        self.alerts.iter().filter(|a| a.level.is_severe()).collect()
    }
    pub fn failed(&self) -> Option<&str> {
        match &self.outcome.status {
            ModuleStatus::Failed(m) => Some(m),
            _ => None,
        }
    }
    pub fn failed_with(&self, needle: &str) -> bool {
        self.failed().is_some_and(|m| m.contains(needle))
    }
    pub fn is_ok(&self) -> bool {
        self.outcome.status == ModuleStatus::Ok
    }
    pub fn is_no_data(&self) -> bool {
        matches!(self.outcome.status, ModuleStatus::NoData(_))
    }
}

/// A temporary folder with files at logical paths.
pub struct Folder(pub tempfile::TempDir);

impl Default for Folder {
    fn default() -> Self {
        Self::new()
    }
}

impl Folder {
    pub fn new() -> Self {
        Folder(tempfile::tempdir().unwrap())
    }
    /// The local path of a logical path (its parent folders created).
    pub fn path(&self, logical: &str) -> PathBuf {
        let p = self.0.path().join(logical);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        p
    }
    pub fn put(&self, logical: &str, bytes: &[u8]) -> &Self {
        std::fs::write(self.path(logical), bytes).unwrap();
        self
    }
}

impl AsRef<Path> for Folder {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

/// An index of plain values, collection "Pegasus".
pub fn iocs(values: &[(IndicatorKind, &str)]) -> IocIndex {
    IocIndex::from_values(values, "Pegasus")
}

/// The index most web tests use: domain `evil.com`.
pub fn evil() -> IocIndex {
    iocs(&[(IndicatorKind::Domain, "evil.com")])
}

/// Runs `module` over an evidence. A panic in the module fails the test.
pub fn run_on(module: &dyn Module, evidence: &dyn Evidence, iocs: &IocIndex) -> Run {
    let opts = RunOptions::default();
    let ctx = ModuleContext {
        evidence,
        iocs,
        options: &opts,
    };
    let out = MemoryOutput::default();
    let outcome = run_one(module, &ctx, &out);
    if let ModuleStatus::Panicked(p) = &outcome.status {
        panic!("module panicked: {p}");
    }
    let (records, alerts, timeline) = out.into_parts();
    Run {
        outcome,
        records,
        alerts,
        timeline,
    }
}

/// Runs `module` over a folder of logical paths.
pub fn run(module: &dyn Module, root: impl AsRef<Path>, iocs: &IocIndex) -> Run {
    let ev = FolderEvidence::new(root.as_ref()).unwrap();
    run_on(module, &ev, iocs)
}
