//! `telltale hunt [DIR|DATASET|FILE…]`: the observables of past checks (every case in the case index by
//! default) joined with the current indicators; `telltale observables publish DIR… --to DATASET`.
//! Exit code 1 when anything matched, 0 when nothing did, 2 when a source could not be hunted and
//! nothing matched.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use telltale_report::cases::CaseDb;
use telltale_report::hunt::{self, Hit, HuntMatch, IndicatorTable, ScanFilter, ScanStats};
use telltale_report::observables::{self, CaseIds};
use telltale_report::recheck::RecheckOptions;

use crate::{EXIT_ERROR, IocArgs, iocs_cmd};

#[derive(Args)]
pub struct HuntArgs {
    /// Output folders of earlier checks (telltale's or MVT's), published datasets, or observables files
    /// (default: every case in the case index)
    #[arg(value_name = "DIR|DATASET")]
    pub sources: Vec<PathBuf>,
    #[command(flatten)]
    pub iocs: IocArgs,
    /// Only observations whose time is at or after DATE (YYYY-MM-DD or RFC 3339, UTC); observations
    /// without a time are left out
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// JSON output (the same shape as contrib/spark/hunt.py's)
    #[arg(long)]
    pub json: bool,
    /// Do not record the new alerts in the case folders (and write nothing into them)
    #[arg(long)]
    pub dry_run: bool,
    /// The case index (default: cases.sqlite in telltale's user data folder)
    #[arg(long, value_name = "PATH")]
    pub case_db: Option<PathBuf>,
    /// No progress bar
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Subcommand)]
pub enum ObservablesCommand {
    /// Append cases (output folders) to a Hive-partitioned Parquet dataset
    /// (acq_month=YYYY-MM/case=<case id>/part-0.parquet); publishing a case again replaces it
    Publish {
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// The dataset folder (a local path or a mounted store)
        #[arg(long = "to", value_name = "DATASET")]
        to: PathBuf,
    },
}

/// One thing to hunt: an observables file, and the case folder it belongs to (alerts are recorded
/// there).
struct Source {
    file: PathBuf,
    case_dir: Option<PathBuf>,
    /// A temporary copy (dry run over a folder without current observables).
    _tmp: Option<tempfile::TempDir>,
}

/// Whether `p` is a check's output folder (rather than a dataset).
fn is_case_dir(p: &Path) -> bool {
    p.join("info.json").is_file()
        || p.join("alerts.json").is_file()
        || p.join(observables::FILE_NAME).is_file()
}

/// `YYYY-MM-DD` or RFC 3339 → µs since the epoch, UTC.
fn parse_since(s: &str) -> anyhow::Result<i64> {
    if let Ok(d) = s.trim().parse::<jiff::civil::Date>() {
        let ts =
            jiff::tz::TimeZone::UTC.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))?;
        return Ok(ts.as_microsecond());
    }
    match telltale_core::time::parse(s) {
        Some(ts) => Ok(ts.as_microsecond()),
        None => bail!("--since {s:?}: give a date as YYYY-MM-DD or an RFC 3339 time"),
    }
}

/// The JSON output: `matches` is what contrib/spark/hunt.py writes too.
#[derive(Serialize)]
struct HuntJson<'a> {
    format: &'static str,
    version: u32,
    indicators: &'a str,
    matches: &'a [HuntMatch],
    sources: Vec<SourceJson>,
    stats: &'a ScanStats,
}

#[derive(Serialize)]
struct SourceJson {
    file: String,
    case_dir: Option<String>,
    error: Option<String>,
}

/// Prepares the observables of a case folder: current ones as they are; otherwise written from its
/// `<module>.json` files (into the folder, or into a temporary folder on a dry run).
fn prepare_case(dir: &Path, dry_run: bool) -> anyhow::Result<Source> {
    if observables::is_current(dir) {
        return Ok(Source {
            file: dir.join(observables::FILE_NAME),
            case_dir: Some(dir.to_path_buf()),
            _tmp: None,
        });
    }
    if dry_run {
        let tmp = tempfile::tempdir()?;
        let file = tmp.path().join(observables::FILE_NAME);
        let w = observables::ObservablesWriter::create_at(&file, &CaseIds::from_output_dir(dir))?;
        for module in telltale_report::read::list_modules(dir)? {
            telltale_report::read::each_record(dir, &module, |rec| w.record(&module, &rec))?;
        }
        w.finish()?;
        return Ok(Source {
            file,
            case_dir: Some(dir.to_path_buf()),
            _tmp: Some(tmp),
        });
    }
    let rep = observables::write_from_dir(dir)
        .with_context(|| format!("{}: writing observables", dir.display()))?;
    for w in rep.warnings {
        eprintln!("telltale: warning: {}: {w}", dir.display());
    }
    Ok(Source {
        file: dir.join(observables::FILE_NAME),
        case_dir: Some(dir.to_path_buf()),
        _tmp: None,
    })
}

pub fn run(args: HuntArgs) -> anyhow::Result<u8> {
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let iocs = iocs_cmd::load(&args.iocs)?;
    for w in &iocs.warnings {
        eprintln!("telltale: warning: {w}");
    }
    eprintln!("Indicators: {}", iocs.description);
    let table = IndicatorTable::new(&iocs.index);

    let db_path = crate::cases::db_path(args.case_db.as_deref());
    let use_db = args.sources.is_empty() || args.case_db.is_some();
    let db = match &db_path {
        Some(p) if use_db || p.exists() => match CaseDb::open(p) {
            Ok(db) => Some(db),
            Err(e) if args.sources.is_empty() => return Err(e.into()),
            Err(e) => {
                eprintln!("telltale: warning: {e}; hunts are not recorded");
                None
            }
        },
        None if args.sources.is_empty() => {
            eprintln!(
                "telltale: no user data folder on this system; use --case-db or name folders"
            );
            return Ok(EXIT_ERROR);
        }
        _ => None,
    };

    let mut inputs: Vec<PathBuf> = args.sources.clone();
    if args.sources.is_empty()
        && let Some(db) = &db
    {
        for (id, dir, exists) in db.cases_for_recheck()? {
            if exists {
                inputs.push(dir);
            } else {
                eprintln!("telltale: check #{id}: {} is gone, skipped", dir.display());
            }
        }
    }

    // Sources: case folders (observables prepared), datasets (every .parquet under them), files.
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut sources: Vec<Source> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in &inputs {
        if !seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())) {
            continue;
        }
        if p.is_dir() && is_case_dir(p) {
            match prepare_case(p, args.dry_run) {
                Ok(s) => sources.push(s),
                Err(e) => errors.push((p.display().to_string(), format!("{e:#}"))),
            }
        } else if p.is_dir() {
            match hunt::dataset_files(p) {
                Ok(files) if files.is_empty() => errors.push((
                    p.display().to_string(),
                    "neither a check's output folder nor a dataset of .parquet files".into(),
                )),
                Ok(files) => sources.extend(files.into_iter().map(|file| Source {
                    file,
                    case_dir: None,
                    _tmp: None,
                })),
                Err(e) => errors.push((p.display().to_string(), e.to_string())),
            }
        } else if p.is_file() {
            sources.push(Source {
                file: p.clone(),
                case_dir: None,
                _tmp: None,
            });
        } else {
            errors.push((p.display().to_string(), "no such file or folder".into()));
        }
    }
    if sources.is_empty() && errors.is_empty() {
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"format": "telltale-hunt", "version": 1, "matches": []})
                )?
            );
        } else {
            println!("Nothing to hunt.");
        }
        return Ok(0);
    }

    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(sources.len() as u64);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:30}] {pos}/{len} observables files {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    });
    let filter = ScanFilter { since };
    let stats = Mutex::new(ScanStats::default());
    let results: Vec<(usize, Result<Vec<Hit>, String>)> = sources
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let r = hunt::scan_file(&s.file, &table, &filter);
            if let Some(b) = &bar {
                b.inc(1);
            }
            match r {
                Ok((hits, st)) => {
                    stats.lock().unwrap_or_else(|p| p.into_inner()).add(&st);
                    (i, Ok(hits))
                }
                Err(e) => (i, Err(e.to_string())),
            }
        })
        .collect();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let stats = stats.into_inner().unwrap_or_else(|p| p.into_inner());

    let mut all_hits: Vec<Hit> = Vec::new();
    let mut per_source: Vec<(usize, Vec<Hit>)> = Vec::new();
    let mut source_json: Vec<SourceJson> = Vec::new();
    for (i, r) in results {
        let s = &sources[i];
        let mut sj = SourceJson {
            file: s.file.display().to_string(),
            case_dir: s.case_dir.as_ref().map(|d| d.display().to_string()),
            error: None,
        };
        match r {
            Ok(h) => {
                all_hits.extend(h.iter().cloned());
                if !h.is_empty() {
                    per_source.push((i, h));
                }
            }
            Err(e) => {
                errors.push((s.file.display().to_string(), e.clone()));
                sj.error = Some(e);
            }
        }
        source_json.push(sj);
    }
    let matches = hunt::aggregate(&iocs.index, &all_hits);

    // Record the alerts in the case folders.
    let mut recorded: BTreeMap<String, (PathBuf, usize)> = BTreeMap::new();
    if !args.dry_run {
        for (i, hits) in &per_source {
            let Some(dir) = &sources[*i].case_dir else {
                continue;
            };
            let refs: Vec<&Hit> = hits.iter().collect();
            let found = match hunt::alerts_for_hits(dir, &iocs.index, &refs) {
                Ok(f) => f,
                Err(e) => {
                    errors.push((
                        dir.display().to_string(),
                        format!("alerts not recorded: {e}"),
                    ));
                    continue;
                }
            };
            match telltale_report::recheck::record_found_alerts(
                dir,
                found,
                &RecheckOptions::default(),
            ) {
                Ok(rep) => {
                    if let Some(h) = hits.first() {
                        recorded.insert(h.case_id.clone(), (dir.clone(), rep.new_alerts.len()));
                    }
                    if let Some(db) = &db {
                        let key = std::fs::canonicalize(dir)
                            .unwrap_or_else(|_| dir.clone())
                            .display()
                            .to_string();
                        if let Err(e) = db.record_recheck(
                            &key,
                            &rep.date,
                            Some(&format!("hunt: {}", iocs.description)),
                            &rep.new_counts(),
                        ) {
                            eprintln!(
                                "telltale: warning: hunt not recorded in the case index: {e}"
                            );
                        }
                    }
                }
                Err(e) => errors.push((
                    dir.display().to_string(),
                    format!("alerts not recorded: {e}"),
                )),
            }
        }
    }

    if args.json {
        let out = HuntJson {
            format: "telltale-hunt",
            version: 1,
            indicators: &iocs.description,
            matches: &matches,
            sources: source_json,
            stats: &stats,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_text(&matches, &sources, &per_source, &recorded, args.dry_run);
    }
    for (what, e) in &errors {
        eprintln!("telltale: {what}: not hunted: {e}");
    }
    let cases: std::collections::BTreeSet<&str> =
        matches.iter().map(|m| m.case_id.as_str()).collect();
    eprintln!();
    eprintln!(
        "{} observables file(s), {} rows ({} row groups, {} skipped by statistics, {} by dictionary): \
         {} case(s) with indicator matches{}.",
        stats.files,
        stats.rows,
        stats.row_groups,
        stats.skipped_by_statistics,
        stats.skipped_by_dictionary,
        cases.len(),
        if errors.is_empty() {
            String::new()
        } else {
            format!(", {} source(s) could not be hunted", errors.len())
        }
    );
    if !matches.is_empty() {
        let new_alerts: usize = recorded.values().map(|(_, n)| n).sum();
        eprintln!(
            "Indicators of compromise were found in earlier cases: have an expert review them{}.",
            if new_alerts > 0 {
                " (the new alerts are marked \"recheck\" in each case's alerts.json)"
            } else {
                ""
            }
        );
        return Ok(1);
    }
    Ok(if errors.is_empty() { 0 } else { EXIT_ERROR })
}

fn print_text(
    matches: &[HuntMatch],
    sources: &[Source],
    per_source: &[(usize, Vec<Hit>)],
    recorded: &BTreeMap<String, (PathBuf, usize)>,
    dry_run: bool,
) {
    if matches.is_empty() {
        println!("No indicator matched.");
        return;
    }
    // case id → where it came from.
    let mut origin: BTreeMap<&str, String> = BTreeMap::new();
    for (i, hits) in per_source {
        for h in hits {
            origin.entry(h.case_id.as_str()).or_insert_with(|| {
                let s = &sources[*i];
                s.case_dir.as_ref().unwrap_or(&s.file).display().to_string()
            });
        }
    }
    let mut last = "";
    for m in matches {
        if m.case_id != last {
            last = &m.case_id;
            println!();
            println!(
                "Case {} ({}), acquisition {}",
                m.case_id,
                origin
                    .get(m.case_id.as_str())
                    .map(String::as_str)
                    .unwrap_or("?"),
                &m.acquisition_id[..m.acquisition_id.len().min(16)]
            );
            match recorded.get(&m.case_id) {
                Some((dir, n)) if *n > 0 => println!(
                    "  {n} new alert(s) recorded in {}",
                    dir.join("alerts.json").display()
                ),
                Some(_) => println!("  (these alerts were already recorded)"),
                None if dry_run => println!("  (dry run: nothing recorded)"),
                None => {}
            }
        }
        let seen = match (&m.first_seen, &m.last_seen) {
            (Some(f), Some(l)) if f == l => format!("seen {f}"),
            (Some(f), Some(l)) => format!("first seen {f}, last seen {l}"),
            _ => "no time recorded".to_string(),
        };
        println!(
            "  {} ({}) of {} [{}]: {} observation(s) in {}; {}",
            m.indicator,
            m.indicator_type,
            m.collections.join(", "),
            m.ioc_source,
            m.observations,
            m.modules.join(", "),
            seen
        );
    }
}

pub fn run_observables(cmd: ObservablesCommand) -> anyhow::Result<u8> {
    match cmd {
        ObservablesCommand::Publish { dirs, to } => publish(&dirs, &to),
    }
}

fn publish(dirs: &[PathBuf], to: &Path) -> anyhow::Result<u8> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut errors = 0;
    for dir in dirs {
        match publish_one(dir, to) {
            Ok((ids, dest)) => println!(
                "{}: case {} published to {}",
                dir.display(),
                ids.case_id,
                dest.display()
            ),
            Err(e) => {
                eprintln!("telltale: {}: not published: {e:#}", dir.display());
                errors += 1;
            }
        }
    }
    Ok(if errors > 0 { EXIT_ERROR } else { 0 })
}

fn publish_one(dir: &Path, to: &Path) -> anyhow::Result<(CaseIds, PathBuf)> {
    if !dir.is_dir() || !is_case_dir(dir) {
        bail!("not a check's output folder");
    }
    if !observables::is_current(dir) {
        let rep = observables::write_from_dir(dir)?;
        for w in rep.warnings {
            eprintln!("telltale: warning: {}: {w}", dir.display());
        }
    }
    let ids = CaseIds::from_output_dir(dir);
    let part = to
        .join(format!("acq_month={}", ids.month()))
        .join(format!("case={}", ids.case_id));
    std::fs::create_dir_all(&part).with_context(|| format!("creating {}", part.display()))?;
    let dest = part.join("part-0.parquet");
    let tmp = part.join(".part-0.parquet.tmp");
    std::fs::copy(dir.join(observables::FILE_NAME), &tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &dest).with_context(|| format!("writing {}", dest.display()))?;
    // Publishing again replaces the case: no other part stays beside the new one.
    for e in std::fs::read_dir(&part)? {
        let p = e?.path();
        if p != dest && p.extension().is_some_and(|x| x == "parquet") {
            std::fs::remove_file(&p)?;
        }
    }
    Ok((ids, dest))
}
