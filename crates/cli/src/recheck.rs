//! `telltale recheck RESULTS_DIR... | --all`: matches the records of earlier checks against the current
//! indicators, without the acquisition, and says which folders have new detections.
//! Exit code 1 when a new HIGH or CRITICAL alert was found.

use std::path::PathBuf;

use clap::Args;
use telltale_core::Record;
use telltale_report::cases::CaseDb;

use crate::{EXIT_ERROR, IocArgs, iocs_cmd};

/// New alerts listed per folder (all are in its alerts.json).
const SHOWN: usize = 20;

#[derive(Args)]
pub struct RecheckArgs {
    /// Output folder(s) of earlier checks (telltale's or MVT's)
    #[arg(value_name = "RESULTS_DIR", required_unless_present = "all")]
    pub dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub iocs: IocArgs,
    /// Re-check every output folder recorded in the case index
    #[arg(long)]
    pub all: bool,
    /// The case index (default: cases.sqlite in telltale's user data folder)
    #[arg(long, value_name = "PATH")]
    pub case_db: Option<PathBuf>,
}

pub fn run(args: RecheckArgs) -> anyhow::Result<u8> {
    let iocs = iocs_cmd::load(&args.iocs)?;
    for w in &iocs.warnings {
        eprintln!("telltale: warning: {w}");
    }
    eprintln!("Indicators: {}", iocs.description);

    // The case index: needed for --all; otherwise used (to note the re-check) only when it exists.
    let db_path = crate::cases::db_path(args.case_db.as_deref());
    let db = match &db_path {
        Some(p) if args.all || args.case_db.is_some() || p.exists() => match CaseDb::open(p) {
            Ok(db) => Some(db),
            Err(e) if args.all => return Err(e.into()),
            Err(e) => {
                eprintln!("telltale: warning: {e}; re-checks are not recorded");
                None
            }
        },
        None if args.all => {
            eprintln!("telltale: no user data folder on this system; use --case-db");
            return Ok(EXIT_ERROR);
        }
        _ => None,
    };

    let mut dirs: Vec<PathBuf> = args.dirs.clone();
    if args.all
        && let Some(db) = &db
    {
        for (id, dir, exists) in db.cases_for_recheck()? {
            if exists {
                dirs.push(dir);
            } else {
                eprintln!("telltale: check #{id}: {} is gone, skipped", dir.display());
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(std::fs::canonicalize(d).unwrap_or_else(|_| d.clone())));
    if dirs.is_empty() {
        println!("Nothing to re-check.");
        return Ok(0);
    }

    let matcher = |module: &str, rec: &Record| {
        telltale_report::rematch::rematch_alerts(&iocs.index, module, rec)
    };
    let (mut severe, mut errors, mut with_new) = (false, 0usize, 0usize);
    for dir in &dirs {
        let rep = match telltale_report::recheck::recheck_dir(dir, &matcher) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("telltale: {}: not re-checked: {e}", dir.display());
                errors += 1;
                continue;
            }
        };
        println!("{}", telltale_report::recheck::describe(&rep));
        for w in &rep.warnings {
            eprintln!("  warning: {w}");
        }
        for a in rep.new_alerts.iter().take(SHOWN) {
            println!("  NEW {} {}: {}", a.level, a.module, a.message);
        }
        if rep.new_alerts.len() > SHOWN {
            println!(
                "  … {} more in {}",
                rep.new_alerts.len() - SHOWN,
                dir.join("alerts.json").display()
            );
        }
        if !rep.new_alerts.is_empty() {
            with_new += 1;
            if let Some(p) = &rep.report_html {
                println!("  report: {}", p.display());
            }
        }
        severe |= rep.has_new_severe();
        if let Some(db) = &db {
            let key = std::fs::canonicalize(dir)
                .unwrap_or_else(|_| dir.clone())
                .display()
                .to_string();
            if let Err(e) =
                db.record_recheck(&key, &rep.date, Some(&iocs.description), &rep.new_counts())
            {
                eprintln!("telltale: warning: re-check not recorded in the case index: {e}");
            }
        }
    }
    eprintln!();
    eprintln!(
        "{} folder(s) re-checked, {} with new detections{}.",
        dirs.len() - errors,
        with_new,
        if errors > 0 {
            format!(", {errors} could not be re-checked")
        } else {
            String::new()
        }
    );
    if severe {
        eprintln!(
            "New HIGH or CRITICAL alerts: traces consistent with spyware were found in earlier results. \
             Keep the acquisitions and have an expert review the new alerts (marked \"recheck\" in alerts.json)."
        );
        return Ok(1);
    }
    Ok(if errors > 0 { EXIT_ERROR } else { 0 })
}
