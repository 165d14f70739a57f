//! Splits a generated 100 MB dumpstate and runs every bugreport module over it (with two indicators, and
//! with all the built-in indicator sets).
//! `cargo bench -p telltale-android --bench bugreport`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use telltale_android::dumpsys::Dumpstate;
use telltale_core::{
    Alert, FolderEvidence, ModuleContext, Output, Record, RunOptions, TimelineEvent, run_modules,
};

struct Null;
impl Output for Null {
    fn record(&self, _: &str, _: &Record) {}
    fn detected(&self, _: &str, _: &Record) {}
    fn timeline(&self, _: TimelineEvent) {}
    fn alert(&self, _: &Alert) {}
}

fn bench(c: &mut Criterion) {
    let text = telltale_testkit::bugreport::big_dumpstate(100 * 1024 * 1024);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main_entry.txt"), "bugreport-bench.txt").unwrap();
    std::fs::write(dir.path().join("bugreport-bench.txt"), &text).unwrap();
    let ev = FolderEvidence::new(dir.path()).unwrap();
    let iocs = telltale_core::ioc::IocIndex::from_values(
        &[
            (telltale_core::ioc::IndicatorKind::AppId, "com.evil.spy"),
            (telltale_core::ioc::IndicatorKind::ProcessName, "bh"),
        ],
        "Bench",
    );
    let opts = RunOptions::default();
    let mut g = c.benchmark_group("bugreport_100MB");
    g.sample_size(10);
    g.bench_function("split", |b| {
        b.iter(|| black_box(Dumpstate::parse(black_box(text.clone())).sections().len()))
    });
    g.bench_function("read_split_all_modules", |b| {
        b.iter(|| {
            let modules = telltale_android::modules::bugreport::all();
            let ctx = ModuleContext {
                evidence: &ev,
                iocs: &iocs,
                options: &opts,
            };
            let s = run_modules(&modules, &ctx, &Null);
            assert!(s.failed().next().is_none());
            black_box(s.modules.len())
        })
    });
    let builtin = telltale_core::ioc::IocIndex::builtin().expect("built-in indicators");
    g.bench_function("read_split_all_modules_builtin_iocs", |b| {
        b.iter(|| {
            let modules = telltale_android::modules::bugreport::all();
            let ctx = ModuleContext {
                evidence: &ev,
                iocs: &builtin,
                options: &opts,
            };
            let s = run_modules(&modules, &ctx, &Null);
            assert!(s.failed().next().is_none());
            black_box(s.modules.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
