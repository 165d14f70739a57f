//! The new targets' inputs reach what they are meant to fuzz: each seed artifact is parsed into records
//! by its module (a target that silently parses nothing would fuzz nothing).

use telltale_core::MemoryOutput;
use telltale_fuzz_targets::ios_artifacts::{PATHS, example};
use telltale_fuzz_targets::{MemEvidence, run_modules_into};

#[test]
fn every_ios_artifact_example_yields_records() {
    for (i, path) in PATHS.iter().enumerate() {
        let ev = MemEvidence::new([(path.to_string(), example(i))]);
        let out = MemoryOutput::default();
        run_modules_into(&telltale_ios::modules::all(), &ev, &out);
        let n = out.n_records();
        eprintln!("{i:2} {path}: {n} records, {} alerts", out.levels().len());
        assert!(n > 0, "example {i} ({path}) yields no record");
    }
}

/// Every seed of the module-level targets makes its modules emit records.
#[test]
fn every_seed_of_the_module_targets_yields_records() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    for t in [
        "ios_artifact",
        "ios_db_values",
        "zip_evidence",
        "intrusion_log",
        "androidqf_text",
        "androidqf_json",
        "dumpsys",
        "shutdown_log",
        "ips",
        "ps_lists",
    ] {
        let f = telltale_fuzz_targets::target(t).unwrap();
        let mut seeds: Vec<_> = std::fs::read_dir(root.join(t))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("seed-")
            })
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "{t} has no seed");
        for p in seeds {
            let before = telltale_fuzz_targets::records_emitted();
            f(&std::fs::read(&p).unwrap());
            let n = telltale_fuzz_targets::records_emitted() - before;
            assert!(n > 0, "{t}: seed {} yields no record", p.display());
        }
    }
}
