//! Test helpers: run a module over a folder and collect what it emits.

use telltale_core::engine::{MemoryOutput, run_one};
use telltale_core::ioc::{IndicatorKind, IocIndex};
use telltale_core::{
    Alert, FolderEvidence, Level, Module, ModuleContext, ModuleOutcome, Record, RunOptions,
    TimelineEvent,
};

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
    /// HIGH and CRITICAL alerts.
    pub fn severe(&self) -> usize {
        self.alerts.iter().filter(|a| a.level.is_severe()).count()
    }
}

pub fn iocs(values: &[(IndicatorKind, &str)]) -> IocIndex {
    IocIndex::from_values(values, "Test")
}

/// Runs `module` over folder `dir`.
pub fn run_dir(
    module: &dyn Module,
    dir: &std::path::Path,
    iocs: &IocIndex,
    tz: Option<&str>,
) -> Run {
    let ev = FolderEvidence::new(dir).unwrap();
    let opts = RunOptions {
        timezone: tz.map(str::to_string),
    };
    let ctx = ModuleContext {
        evidence: &ev,
        iocs,
        options: &opts,
    };
    let out = MemoryOutput::default();
    let outcome = run_one(module, &ctx, &out);
    let (records, alerts, timeline) = out.into_parts();
    Run {
        outcome,
        records,
        alerts,
        timeline,
    }
}

/// Writes a bugreport to a temporary folder and runs `module` over it.
pub fn run_bugreport(
    module: &dyn Module,
    br: &telltale_testkit::bugreport::Bugreport,
    iocs: &IocIndex,
) -> Run {
    let dir = tempfile::tempdir().unwrap();
    br.write_folder(dir.path()).unwrap();
    run_dir(module, dir.path(), iocs, None)
}
