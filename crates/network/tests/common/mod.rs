//! Shared helpers of the network tests: open a capture as telltale does, run the modules, collect.

#![allow(dead_code)]

use std::path::Path;

use telltale_core::{
    AcquisitionKind, Alert, Level, MemoryOutput, ModuleContext, OpenOptions, RunOptions,
    RunSummary, run_modules,
};
use telltale_ioc::{IndicatorKind as K, IocIndex};
use telltale_network::NetworkCaptureKind;

pub struct Run {
    pub summary: RunSummary,
    pub alerts: Vec<Alert>,
    pub records: Vec<(String, telltale_core::Record)>,
    pub coverage: Vec<String>,
    pub warnings: Vec<String>,
}

impl Run {
    pub fn at(&self, l: Level) -> Vec<&Alert> {
        self.alerts.iter().filter(|a| a.level == l).collect()
    }
    pub fn severe(&self) -> Vec<&Alert> {
        self.alerts
            .iter()
            .filter(|a| a.level >= Level::High)
            .collect()
    }
    /// `(module, indicator value)` of every indicator alert, sorted and deduplicated.
    pub fn findings(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .alerts
            .iter()
            .filter_map(|a| {
                Some((
                    a.module.clone(),
                    a.matched_indicator.as_ref()?.value.clone(),
                ))
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }
    pub fn records_of(&self, module: &str) -> Vec<&telltale_core::Record> {
        self.records
            .iter()
            .filter(|(m, _)| m == module)
            .map(|(_, r)| r)
            .collect()
    }
}

pub fn iocs() -> IocIndex {
    IocIndex::from_values(
        &[
            (K::Domain, "evil.com"),
            (K::Domain, "cname-c2.org"),
            (K::Domain, "bad-bucket.s3.amazonaws.com"),
            (K::Ipv4, "203.0.113.66"),
            (K::Ipv4, "198.51.100.0/24"),
            (K::Url, "http://plainc2.net/gate.php?id=7"),
        ],
        "TestSpy",
    )
}

pub fn run_path(path: &Path, iocs: &IocIndex) -> Run {
    let kind = NetworkCaptureKind::default();
    let acq = kind
        .open(path, &OpenOptions::default())
        .expect("opens")
        .expect("recognised as a network capture");
    let opts = RunOptions::default();
    let ctx = ModuleContext {
        evidence: acq.evidence(),
        iocs,
        options: &opts,
    };
    let out = MemoryOutput::default();
    let summary = run_modules(&acq.modules(), &ctx, &out);
    let coverage = acq.coverage();
    let warnings = acq.read_warnings();
    let records = out.records.lock().unwrap().clone();
    let alerts = out.alerts.lock().unwrap().clone();
    Run {
        summary,
        alerts,
        records,
        coverage,
        warnings,
    }
}

pub fn run_bytes(name: &str, bytes: &[u8], iocs: &IocIndex) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    run_path(&p, iocs)
}

pub fn ip(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}
