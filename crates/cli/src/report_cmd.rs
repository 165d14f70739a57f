//! `telltale report RESULTS_DIR...`: (re)builds report.html (and, with --timesketch, timeline.jsonl) from
//! the files of output folders, telltale's or MVT's.

use std::path::PathBuf;

use clap::Args;
use telltale_ioc::IocIndex;

use crate::EXIT_ERROR;

#[derive(Args)]
pub struct ReportArgs {
    /// Output folder(s) of `telltale check` (MVT's output folders work too)
    #[arg(required = true, value_name = "RESULTS_DIR")]
    pub dirs: Vec<PathBuf>,
    /// Also write timeline.jsonl, the timeline in Timesketch's import format
    #[arg(long)]
    pub timesketch: bool,
}

pub fn run(args: ReportArgs) -> anyhow::Result<u8> {
    let mut failed = 0;
    for dir in &args.dirs {
        if !dir.is_dir() {
            eprintln!("telltale: {}: not a folder", dir.display());
            failed += 1;
            continue;
        }
        match telltale_report::write_html_report(dir) {
            Ok(p) => println!("{}", p.display()),
            Err(e) => {
                eprintln!("telltale: {}: report not written: {e}", dir.display());
                failed += 1;
                continue;
            }
        }
        if args.timesketch {
            match telltale_report::timesketch::write_timesketch_from_dir(dir) {
                Ok(0) => eprintln!(
                    "telltale: {}: no timeline.csv, no timeline.jsonl",
                    dir.display()
                ),
                Ok(_) => println!("{}", dir.join("timeline.jsonl").display()),
                Err(e) => {
                    eprintln!(
                        "telltale: {}: timeline.jsonl not written: {e}",
                        dir.display()
                    );
                    failed += 1;
                }
            }
        }
    }
    Ok(if failed > 0 { EXIT_ERROR } else { 0 })
}

/// The indicator sets of `index` as info.json's `indicator_sets` (report.html names each match's source).
pub fn indicator_sets(index: &IocIndex) -> Vec<telltale_report::IndicatorSetInfo> {
    index
        .stats()
        .sets
        .iter()
        .map(|s| telltale_report::IndicatorSetInfo {
            file: s.source.clone(),
            name: s.origin.as_ref().map(|o| o.name.clone()),
            sources: s
                .origin
                .as_ref()
                .map(|o| o.sources.clone())
                .unwrap_or_default(),
            upstream: s.origin.as_ref().map(|o| o.upstream_repo.clone()),
            commit: s.origin.as_ref().and_then(|o| o.commit.clone()),
            date: s.origin.as_ref().and_then(|o| o.date.clone()),
            licence: s.origin.as_ref().and_then(|o| o.licence.clone()),
            indicators: s.indicators,
        })
        .collect()
}
