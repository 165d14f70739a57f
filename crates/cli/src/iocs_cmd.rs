//! `telltale iocs list | lookup | update`, and loading the indicators for `check`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use telltale_ioc::update::{ActiveSnapshot, SnapshotKind, UpdateReport};
use telltale_ioc::{IocIndex, Match};

/// MVT's index of public indicator sets.
pub const DEFAULT_INDEX_URL: &str =
    "https://raw.githubusercontent.com/mvt-project/mvt-indicators/main/indicators.yaml";

fn describe_snapshot(s: &ActiveSnapshot) -> String {
    let days = s.age().as_secs() / 86_400;
    match s.kind {
        SnapshotKind::Builtin => format!("built-in snapshot of {} ({days} days old)", s.date),
        SnapshotKind::Updated => format!(
            "updated set of {} from {} ({days} days old)",
            s.date,
            s.index_url.as_deref().unwrap_or("?")
        ),
    }
}

fn describe_update(r: &UpdateReport) -> String {
    let mut out = format!(
        "Updated {}: {} set(s), {} indicators",
        r.updated_at,
        r.files.len(),
        r.total_indicators
    );
    for f in &r.files {
        out.push_str(&format!(
            "\n  {} ({} indicators) from {}",
            f.name, f.indicators, f.url
        ));
    }
    out
}

use crate::{EXIT_ERROR, IocArgs};

#[derive(Subcommand)]
pub enum IocsCommand {
    /// List the indicator sets in use: name, indicators by kind, source, licence, date
    List {
        #[command(flatten)]
        iocs: IocArgs,
        /// JSON output
        #[arg(long)]
        json: bool,
    },
    /// Which indicators and sets match each value (domain, URL, IP, e-mail, process, app id, hash, path …)
    Lookup {
        #[arg(required = true, value_name = "VALUE")]
        values: Vec<String>,
        #[command(flatten)]
        iocs: IocArgs,
        /// JSON output
        #[arg(long)]
        json: bool,
    },
    /// Write every active indicator with its match keys (Parquet), for hunting with SQL engines or Spark
    Export {
        /// The Parquet file to write
        #[arg(long, value_name = "FILE", required = true)]
        parquet: PathBuf,
        #[command(flatten)]
        iocs: IocArgs,
    },
    /// Download the indicator sets listed by an index (MVT's indicators.yaml format) into the user data folder
    Update {
        /// The index to read (default: the MVT project's indicators.yaml)
        #[arg(long, value_name = "URL")]
        index_url: Option<String>,
    },
}

/// The indicators a run uses.
pub struct LoadedIocs {
    pub index: IocIndex,
    /// Files added with --iocs.
    pub files: Vec<String>,
    /// One line: which snapshot, how many indicators.
    pub description: String,
    pub warnings: Vec<String>,
}

/// Where `iocs update` keeps downloaded sets: `$TELLTALE_DATA_DIR`, else the user data folder.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("TELLTALE_DATA_DIR") {
        return Some(PathBuf::from(d));
    }
    dirs::data_dir().map(|d| d.join("telltale"))
}

pub fn load(args: &IocArgs) -> anyhow::Result<LoadedIocs> {
    let mut b = IocIndex::builder();
    let mut parts = Vec::new();
    if !args.no_builtin_iocs {
        let snap = b
            .add_active(data_dir().as_deref())
            .context("loading the indicator snapshot")?;
        parts.push(describe_snapshot(&snap));
    } else {
        parts.push("no built-in snapshot".to_string());
    }
    let mut files = Vec::new();
    for f in &args.iocs {
        b.add_file(f)
            .with_context(|| format!("loading indicators from {}", f.display()))?;
        files.push(f.display().to_string());
    }
    if !files.is_empty() {
        parts.push(format!("{} file(s) given with --iocs", files.len()));
    }
    let index = b.build();
    let st = index.stats();
    let mut warnings = Vec::new();
    if !st.unsupported.is_empty() {
        warnings.push(format!(
            "{} indicator pattern(s) cannot be evaluated (see `telltale iocs list`)",
            st.unsupported.len()
        ));
    }
    if !st.problems.is_empty() {
        warnings.push(format!(
            "{} malformed indicator object(s) were skipped",
            st.problems.len()
        ));
    }
    let description = format!(
        "{}; {} indicators in {} set(s)",
        parts.join(", "),
        st.total_indicators(),
        st.sets.len()
    );
    Ok(LoadedIocs {
        index,
        files,
        description,
        warnings,
    })
}

fn match_json(m: &Match) -> serde_json::Value {
    serde_json::json!({
        "value": &*m.value,
        "type": m.kind.as_stix(),
        "collections": m.collections.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "source_file": &*m.source_file,
        "id": m.indicator_id.as_deref(),
    })
}

pub fn run(cmd: IocsCommand) -> anyhow::Result<u8> {
    match cmd {
        IocsCommand::List { iocs, json } => list(&iocs, json),
        IocsCommand::Lookup { values, iocs, json } => lookup(&values, &iocs, json),
        IocsCommand::Update { index_url } => update(index_url),
        IocsCommand::Export { parquet, iocs } => export(&parquet, &iocs),
    }
}

fn list(args: &IocArgs, json: bool) -> anyhow::Result<u8> {
    let loaded = load(args)?;
    let st = loaded.index.stats();
    if json {
        let v = serde_json::json!({
            "active": loaded.description,
            "sets": st.sets,
            "unsupported_patterns": st.unsupported,
            "problems": st.problems.len(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(0);
    }
    println!("Active indicators: {}", loaded.description);
    println!();
    for s in &st.sets {
        let name = s
            .origin
            .as_ref()
            .map(|o| o.name.as_str())
            .unwrap_or(s.source.as_str());
        println!("{name}");
        println!("  file:       {}", s.source);
        if let Some(o) = &s.origin {
            if !o.sources.is_empty() {
                println!("  sources:    {}", o.sources.join(", "));
            }
            println!(
                "  upstream:   {}{}",
                o.upstream_repo,
                o.commit
                    .as_deref()
                    .map(|c| format!(" @ {c}"))
                    .unwrap_or_default()
            );
            if let Some(l) = &o.licence {
                println!("  licence:    {l}");
            }
            if let Some(d) = &o.date {
                println!("  date:       {d}");
            }
        }
        if !s.collections.is_empty() {
            let mut c = s.collections.clone();
            let more = c.len().saturating_sub(6);
            c.truncate(6);
            println!(
                "  malware:    {}{}",
                c.join(", "),
                if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                }
            );
        }
        let kinds: Vec<String> = s
            .by_kind
            .iter()
            .map(|(k, n)| format!("{} {n}", k.as_stix()))
            .collect();
        println!("  indicators: {} ({})", s.indicators, kinds.join(", "));
        if s.unsupported + s.dangling_refs + s.problems > 0 {
            println!(
                "  notes:      {} unsupported pattern(s), {} dangling reference(s), {} malformed object(s)",
                s.unsupported, s.dangling_refs, s.problems
            );
        }
    }
    if !st.unsupported.is_empty() {
        println!();
        println!("Patterns that cannot be (fully) evaluated:");
        for u in &st.unsupported {
            println!("  {} {}: {} ({})", u.file, u.id, u.pattern, u.reason);
        }
    }
    Ok(0)
}

fn lookup(values: &[String], args: &IocArgs, json: bool) -> anyhow::Result<u8> {
    let loaded = load(args)?;
    let mut any = false;
    let mut out = Vec::new();
    for v in values {
        let matches = loaded.index.lookup(v);
        any |= !matches.is_empty();
        if json {
            out.push(serde_json::json!({ "value": v, "matches": matches.iter().map(match_json).collect::<Vec<_>>() }));
        } else if matches.is_empty() {
            println!("{v}: no match");
        } else {
            println!("{v}:");
            for m in &matches {
                println!(
                    "  matches {} ({}) of {} — {}",
                    m.value,
                    m.kind.as_stix(),
                    m.collections.join(", "),
                    m.source_file
                );
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    // Like grep: 0 when something matched, 1 when nothing did.
    Ok(if any { 0 } else { 1 })
}

fn export(path: &std::path::Path, args: &IocArgs) -> anyhow::Result<u8> {
    let loaded = load(args)?;
    for w in &loaded.warnings {
        eprintln!("telltale: warning: {w}");
    }
    let rows = telltale_report::hunt::export_indicators(&loaded.index, path)
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "{}: {} indicator(s), {rows} match key(s) ({})",
        path.display(),
        loaded.index.len(),
        loaded.description
    );
    Ok(0)
}

fn update(index_url: Option<String>) -> anyhow::Result<u8> {
    let Some(dir) = data_dir() else {
        eprintln!("telltale: no user data folder on this system; set TELLTALE_DATA_DIR");
        return Ok(EXIT_ERROR);
    };
    let url = index_url.unwrap_or_else(|| DEFAULT_INDEX_URL.to_string());
    eprintln!("Downloading the indicator index {url} …");
    match telltale_ioc::update::update(&url, &dir) {
        Ok(report) => {
            println!("{}", describe_update(&report));
            println!(
                "Installed in {}; `telltale check` uses these sets from now on.",
                dir.display()
            );
            Ok(0)
        }
        Err(e) => {
            eprintln!("telltale: update failed: {e}");
            eprintln!("The previous indicator set is still in use.");
            Ok(EXIT_ERROR)
        }
    }
}
