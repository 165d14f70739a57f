//! `telltale cases`: the checks made on this computer (the case index), and recording a check in it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use telltale_report::cases::{CaseDb, CheckRecord};

use crate::EXIT_ERROR;

#[derive(Args)]
pub struct CasesArgs {
    /// The case index (default: cases.sqlite in telltale's user data folder)
    #[arg(long, value_name = "PATH")]
    pub case_db: Option<PathBuf>,
    /// JSON output
    #[arg(long)]
    pub json: bool,
}

/// The case index to use: `--case-db`, else `cases.sqlite` in telltale's data folder
/// (`$TELLTALE_DATA_DIR`, else the user data folder).
pub fn db_path(case_db: Option<&Path>) -> Option<PathBuf> {
    case_db
        .map(Path::to_path_buf)
        .or_else(|| crate::iocs_cmd::data_dir().map(|d| d.join("cases.sqlite")))
}

/// Records the check whose results are in `out_dir` (read from its info.json). Returns the check's id.
pub fn record_check(case_db: Option<&Path>, out_dir: &Path) -> anyhow::Result<i64> {
    let path = db_path(case_db).context("no user data folder on this system; use --case-db")?;
    let rec = CheckRecord::from_output_dir(out_dir)?;
    let db = CaseDb::open(&path)?;
    Ok(db.record_check(&rec)?)
}

pub fn run(args: CasesArgs) -> anyhow::Result<u8> {
    let Some(path) = db_path(args.case_db.as_deref()) else {
        eprintln!("telltale: no user data folder on this system; use --case-db");
        return Ok(EXIT_ERROR);
    };
    if !path.exists() {
        if args.json {
            println!("[]");
        } else {
            println!("No check recorded yet ({} does not exist).", path.display());
        }
        return Ok(0);
    }
    let db = CaseDb::open(&path)?;
    let rows = db.list_cases()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(0);
    }
    println!("{} check(s) in {}", rows.len(), path.display());
    for r in &rows {
        let c = &r.check;
        let a = &c.alerts;
        println!();
        println!("#{} {} — {}", r.id, c.checked_at, c.acquisition);
        if let Some(k) = &c.acquisition_kind {
            println!("  kind:        {k}");
        }
        if let Some(d) = &c.device {
            println!("  device:      {d}");
        }
        if let Some(h) = &c.acquisition_sha256 {
            println!("  sha256:      {h}");
        }
        println!(
            "  alerts:      {} CRITICAL, {} HIGH, {} MEDIUM, {} LOW, {} INFORMATIONAL",
            a.critical, a.high, a.medium, a.low, a.informational
        );
        println!("  tool:        telltale {}", c.tool_version);
        if let Some(i) = &c.indicators {
            println!("  indicators:  {i}");
        }
        println!("  results:     {}", c.output_dir);
        if r.rechecks > 0 {
            let n = &r.recheck_alerts;
            println!(
                "  re-checked:  {} time(s), last {}; new alerts: {} CRITICAL, {} HIGH, {} MEDIUM",
                r.rechecks,
                r.last_recheck.as_deref().unwrap_or("?"),
                n.critical,
                n.high,
                n.medium
            );
        }
    }
    Ok(0)
}
