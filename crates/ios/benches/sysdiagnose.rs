//! All sysdiagnose modules over a 300 MiB synthetic sysdiagnose (`testkit::sysdiagnose::big_sysdiagnose`:
//! a unified log archive making up most of it, 2,000 reboots of shutdown log, 1,000 `.ips`, process lists of
//! 600 processes with a 30 MiB spindump, 40 MiB of installation log), with ALL built-in indicators.
//! Measures opening the archive (listing, device facts) and running every module of the kind through
//! `run_modules` (rayon: as many threads as cores) with an output that only counts.
//!
//! * `cargo bench -p telltale-ios --bench sysdiagnose`: criterion, 10 samples.
//! * `SYSDIAGNOSE_ONCE=1 <bench binary>`: one run with timings and counts (for `/usr/bin/time -v`).
//!
//! The extracted archive is written once under the target folder and reused.

mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::Criterion;
use telltale_core::engine::RunSummary;
use telltale_core::{AcquisitionKind, OpenOptions};
use telltale_ioc::IocIndex;
use telltale_ios::IosSysdiagnoseKind;

const MIB: usize = 300;
const LAYOUT_VERSION: u32 = 1;

fn input() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/bench-inputs")
        .join(format!("sysdiagnose-{MIB}MiB-v{LAYOUT_VERSION}"));
    if !root.join(".complete").is_file() {
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        telltale_testkit::sysdiagnose::big_sysdiagnose(MIB)
            .write_folder(&root)
            .unwrap();
        std::fs::write(root.join(".complete"), b"").unwrap();
    }
    root
}

fn check(path: &Path, iocs: &IocIndex) -> (RunSummary, u64, u64) {
    let acq = IosSysdiagnoseKind
        .open(path, &OpenOptions::default())
        .unwrap()
        .expect("a sysdiagnose");
    support::run_acquisition(acq.as_ref(), iocs)
}

fn main() {
    let t = Instant::now();
    let path = input();
    let iocs = IocIndex::builtin().unwrap();
    eprintln!("input ready in {:?}: {}", t.elapsed(), path.display());
    if std::env::var_os("SYSDIAGNOSE_ONCE").is_some() {
        let t = Instant::now();
        let (s, records, alerts) = check(&path, &iocs);
        eprintln!(
            "open + all modules: {:?}; {records} records, {alerts} alerts",
            t.elapsed()
        );
        for m in &s.modules {
            eprintln!(
                "  {:22} {:>9.1} ms  {:?}",
                m.module,
                m.duration.as_secs_f64() * 1e3,
                m.status
            );
        }
        assert!(s.failed().next().is_none());
        return;
    }
    let mut c = Criterion::default().sample_size(10).configure_from_args();
    c.bench_function("sysdiagnose_300MiB_all_modules", |b| {
        b.iter(|| {
            let (s, _, alerts) = check(&path, &iocs);
            assert!(s.failed().next().is_none() && alerts > 0);
        })
    });
    c.final_summary();
}
