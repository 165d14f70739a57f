//! A synthetic history of checks for the hunt's scale benchmark (see docs/benchmarks.md):
//!
//! `cargo run --release -p telltale-testkit --bin make-hunt-history -- OUT [CASES] [RECORDS_PER_CASE] [FOLDERS]`
//!
//! * `OUT/dataset/acq_month=YYYY-MM/case=<id>/part-0.parquet`: CASES cases (default 10,000) of
//!   RECORDS_PER_CASE records each (default 2,400, about 10,000 observables rows), written by telltale's
//!   own observables writer, as `telltale observables publish` lays them out;
//! * with FOLDERS > 0: `OUT/folders/case-NNNNN/` output folders (`<module>.json`, info.json,
//!   alerts.json, observables.parquet) of the first FOLDERS cases and `OUT/cases.sqlite` listing them,
//!   for `telltale recheck --all` and `telltale hunt` side by side.
//!
//! Case i is planted with a built-in Pegasus domain when i % 1000 == 7.

use std::path::PathBuf;

use rayon::prelude::*;
use telltale_report::observables::{CaseIds, ObservablesWriter};
use telltale_testkit::history;

fn main() -> std::io::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(a.get(1).cloned().unwrap_or_else(|| "hunt-history".into()));
    let cases: u64 = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let per: usize = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(2_400);
    let folders: u64 = a.get(4).and_then(|s| s.parse().ok()).unwrap_or(0);
    let dataset = out.join("dataset");
    std::fs::create_dir_all(&dataset)?;
    let started = std::time::Instant::now();
    let rows: u64 = (0..cases)
        .into_par_iter()
        .map(|i| {
            let info = history::case_info(i);
            let ids = CaseIds::from_info(&info, &out);
            let part = dataset
                .join(format!("acq_month={}", ids.month()))
                .join(format!("case={}", ids.case_id));
            std::fs::create_dir_all(&part).expect("create partition");
            let w = ObservablesWriter::create_at(&part.join("part-0.parquet"), &ids)
                .expect("create observables");
            for (m, r) in history::case_records(i, per) {
                w.record(m, &r);
            }
            w.finish().expect("write observables")
        })
        .sum();
    println!(
        "wrote {cases} cases, {rows} rows to {} in {:.1} s",
        dataset.display(),
        started.elapsed().as_secs_f64()
    );
    if folders > 0 {
        let dir = out.join("folders");
        let db = telltale_report::cases::CaseDb::open(&out.join("cases.sqlite"))
            .map_err(std::io::Error::other)?;
        for i in 0..folders.min(cases) {
            let d = dir.join(format!("case-{i:05}"));
            std::fs::create_dir_all(&d)?;
            let mut by_module: std::collections::BTreeMap<&str, Vec<serde_json::Value>> =
                Default::default();
            for (m, r) in history::case_records(i, per) {
                by_module.entry(m).or_default().push(r.into());
            }
            for (m, recs) in by_module {
                std::fs::write(
                    d.join(format!("{m}.json")),
                    serde_json::to_vec_pretty(&recs)?,
                )?;
            }
            std::fs::write(d.join("alerts.json"), b"[]")?;
            std::fs::write(
                d.join("info.json"),
                serde_json::to_vec_pretty(&history::case_info(i))?,
            )?;
            telltale_report::observables::write_from_dir(&d).map_err(std::io::Error::other)?;
            let rec = telltale_report::cases::CheckRecord::from_output_dir(&d)
                .map_err(std::io::Error::other)?;
            db.record_check(&rec).map_err(std::io::Error::other)?;
        }
        println!(
            "wrote {folders} output folders to {} and their case index {}",
            dir.display(),
            out.join("cases.sqlite").display()
        );
    }
    Ok(())
}
