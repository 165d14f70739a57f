//! Every filesystem-dump module (the filesystem walk included) over a synthetic dump
//! (`testkit::big_dump`: the usual artifacts among many files), as a folder, a `.tar` and a `.tar.gz`,
//! with ALL built-in indicators: opening (root detection, the archive's single indexing pass) plus
//! `run_modules` (rayon) with an output that only counts.
//!
//! * `cargo bench -p telltale-ios --bench ffs_check`: criterion, 10 samples, on a dump of
//!   `FFS_BENCH_FILES` files (default 100,000) and `FFS_BENCH_MIB` MiB (default 200) written once under
//!   the target folder.
//! * `FFS_BENCH_DIR=<dir> FFS_ONCE=1 <bench binary>`: one run on each of `<dir>/dump`, `<dir>/dump.tar`,
//!   `<dir>/dump.tar.gz` (from `make-big-dump`) with per-module times, for `/usr/bin/time -v`.
//!
//! The whole check through the binary (outputs written) is measured with `telltale check` itself, see
//! docs/benchmarks.md.

mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::Criterion;
use telltale_core::engine::RunSummary;
use telltale_core::{Acquisition, OpenOptions};
use telltale_ioc::IocIndex;
use telltale_ios::IosFsKind;

fn env_u64(k: &str, d: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

/// The inputs: given (`FFS_BENCH_DIR`), or written once under the target folder.
fn inputs() -> Vec<PathBuf> {
    if let Some(d) = std::env::var_os("FFS_BENCH_DIR") {
        let d = PathBuf::from(d);
        return ["dump", "dump.tar", "dump.tar.gz"]
            .iter()
            .map(|n| d.join(n))
            .filter(|p| p.exists())
            .collect();
    }
    let files = env_u64("FFS_BENCH_FILES", 100_000);
    let mib = env_u64("FFS_BENCH_MIB", 200);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/bench-inputs")
        .join(format!("dump-{files}-{mib}MiB-v1"));
    if !root.join(".complete").is_file() {
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        use telltale_testkit::big_dump::{big_dump_folder, big_dump_tar};
        big_dump_folder(&root.join("dump"), files, mib << 20).unwrap();
        big_dump_tar(&root.join("dump.tar"), files, mib << 20, false).unwrap();
        big_dump_tar(&root.join("dump.tar.gz"), files, mib << 20, true).unwrap();
        std::fs::write(root.join(".complete"), b"").unwrap();
    }
    ["dump", "dump.tar", "dump.tar.gz"]
        .iter()
        .map(|n| root.join(n))
        .collect()
}

fn check(path: &Path, iocs: &IocIndex) -> (RunSummary, u64, u64) {
    let acq = IosFsKind::open_dump(path, &OpenOptions::default())
        .unwrap()
        .expect("a dump");
    let _ = acq.facts();
    let r = support::run_acquisition(&acq, iocs);
    if let Some(n) = acq.restreams() {
        assert_eq!(n, 0, "members decompressed again");
    }
    r
}

fn main() {
    let t = Instant::now();
    let paths = inputs();
    let iocs = IocIndex::builtin().unwrap();
    eprintln!("inputs ready in {:?}", t.elapsed());
    if std::env::var_os("FFS_ONCE").is_some() {
        for p in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "gz"))
        {
            // What the single pass over a .tar.gz cannot beat: decompressing it (zlib-rs, via flate2).
            let t = Instant::now();
            let f = std::io::BufReader::with_capacity(256 << 10, std::fs::File::open(p).unwrap());
            let n = std::io::copy(
                &mut flate2::read::MultiGzDecoder::new(f),
                &mut std::io::sink(),
            )
            .unwrap();
            eprintln!(
                "{}: decompression alone {:?} ({:.0} MiB/s)",
                p.display(),
                t.elapsed(),
                n as f64 / (1 << 20) as f64 / t.elapsed().as_secs_f64()
            );
        }
        for p in &paths {
            let t = Instant::now();
            let (s, records, alerts) = check(p, &iocs);
            eprintln!(
                "{}: open + all modules {:?}; {records} records, {alerts} alerts",
                p.display(),
                t.elapsed()
            );
            let mut mods: Vec<_> = s.modules.iter().collect();
            mods.sort_by_key(|m| std::cmp::Reverse(m.duration));
            for m in mods.iter().take(8) {
                eprintln!(
                    "  {:32} {:>9.1} ms",
                    m.module,
                    m.duration.as_secs_f64() * 1e3
                );
            }
            assert!(s.failed().next().is_none());
        }
        return;
    }
    let mut c = Criterion::default().sample_size(10).configure_from_args();
    for p in &paths {
        let name = format!(
            "ffs_all_modules/{}",
            p.file_name().unwrap().to_string_lossy()
        );
        c.bench_function(&name, |b| {
            b.iter(|| {
                let (s, _, alerts) = check(p, &iocs);
                assert!(s.failed().next().is_none() && alerts > 0);
            })
        });
    }
    c.final_summary();
}
