//! An AndroidQF acquisition with 5,000 packages and 200,000 file records, checked by every AndroidQF
//! module against all the built-in indicator sets (folder and zip).
//! `cargo bench -p telltale-android --bench androidqf`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use telltale_android::AndroidQfKind;
use telltale_core::{
    AcquisitionKind, Alert, Level, ModuleContext, OpenOptions, Output, Record, RunOptions,
    TimelineEvent, run_modules,
};

struct Null;
impl Output for Null {
    fn record(&self, _: &str, _: &Record) {}
    fn detected(&self, _: &str, _: &Record) {}
    fn timeline(&self, _: TimelineEvent) {}
    fn alert(&self, _: &Alert) {}
}

fn bench(c: &mut Criterion) {
    let qf = telltale_testkit::androidqf::big_androidqf(5_000, 200_000);
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("acq");
    qf.write_dir(&folder).unwrap();
    let zip = dir.path().join("acq.zip");
    qf.write_zip(&zip).unwrap();
    drop(qf);
    let iocs = telltale_core::ioc::IocIndex::builtin().expect("built-in indicators");
    let opts = RunOptions {
        timezone: Some("Europe/Paris".into()),
    };

    // One run first, to show where the time goes.
    {
        let acq = AndroidQfKind
            .open(&folder, &OpenOptions::default())
            .unwrap()
            .unwrap();
        let ctx = ModuleContext {
            evidence: acq.evidence(),
            iocs: &iocs,
            options: &opts,
        };
        let s = run_modules(&acq.modules(), &ctx, &Null);
        for m in &s.modules {
            eprintln!(
                "  {:20} {:>7} records {:>8.1} ms",
                m.module,
                m.records,
                m.duration.as_secs_f64() * 1000.0
            );
        }
    }

    let mut g = c.benchmark_group("androidqf_5000pkg_200000files");
    g.sample_size(10);
    for (label, input) in [("folder", &folder), ("zip", &zip)] {
        g.bench_function(format!("{label}_open_all_modules_builtin_iocs"), |b| {
            b.iter(|| {
                let acq = AndroidQfKind
                    .open(input, &OpenOptions::default())
                    .unwrap()
                    .unwrap();
                let ctx = ModuleContext {
                    evidence: acq.evidence(),
                    iocs: &iocs,
                    options: &opts,
                };
                let s = run_modules(&acq.modules(), &ctx, &Null);
                assert!(s.failed().next().is_none());
                // The three planted traces (and the /data/local/tmp heuristic) are found.
                assert!(s.alerts_at(Level::High) >= 3);
                black_box(s.modules.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
