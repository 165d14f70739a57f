//! What the iOS benches share: an output that only counts, and one run of an opened acquisition's
//! modules through the engine.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use telltale_core::engine::{Output, RunSummary, run_modules};
use telltale_core::{Acquisition, Alert, ModuleContext, Record, RunOptions, TimelineEvent};
use telltale_ioc::IocIndex;

/// Counts what the modules emit.
#[derive(Default)]
pub struct Count {
    pub records: AtomicU64,
    pub timeline: AtomicU64,
    pub alerts: AtomicU64,
}

impl Output for Count {
    fn record(&self, _: &str, _: &Record) {
        self.records.fetch_add(1, Ordering::Relaxed);
    }
    fn detected(&self, _: &str, _: &Record) {}
    fn timeline(&self, _: TimelineEvent) {
        self.timeline.fetch_add(1, Ordering::Relaxed);
    }
    fn timeline_row(&self, _: &str, _: &str, _: &str, _: &str) {
        self.timeline.fetch_add(1, Ordering::Relaxed);
    }
    fn alert(&self, _: &Alert) {
        self.alerts.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs every module of `acq` (in its time zone) and asks for its coverage, as a check does; returns
/// the summary and the records and alerts emitted.
pub fn run_acquisition(acq: &dyn Acquisition, iocs: &IocIndex) -> (RunSummary, u64, u64) {
    let opts = RunOptions {
        timezone: acq.timezone(),
    };
    let ctx = ModuleContext {
        evidence: acq.evidence(),
        iocs,
        options: &opts,
    };
    let out = Count::default();
    let s = run_modules(&acq.modules(), &ctx, &out);
    let _ = acq.coverage();
    (
        s,
        out.records.load(Ordering::Relaxed),
        out.alerts.load(Ordering::Relaxed),
    )
}
