//! `telltale check PATH`: detect the acquisition kind, run its modules, write the outputs, summarise.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use telltale_core::engine::{ModuleOutcome, Output, run_modules};
use telltale_core::{
    Acquisition, AcquisitionError, Alert, Level, ModuleContext, ModuleStatus, OpenOptions, Record,
    RunOptions, TimelineEvent,
};

use crate::secrets::CliSecrets;
use crate::{EXIT_ERROR, IocArgs, SecretArgs, hashing, iocs_cmd, kinds};

#[derive(Args)]
pub struct CheckArgs {
    /// The acquisition: a folder, a zip, a backup file, a capture or log (`-`: standard input, with --kind)
    #[arg(required_unless_present = "list_modules")]
    pub path: Option<PathBuf>,
    /// Only try this acquisition kind (a name from --list-modules, or pcap/pcapng/zeek/eve for network
    /// captures); needed to read standard input (`-`)
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Network captures: an allow-list file added to the bundled one (TinyCheck whitelist format, or one
    /// domain, address or CIDR per line); it silences heuristics, never indicator matches (repeatable)
    #[arg(long = "allow-list", value_name = "FILE")]
    pub allow_lists: Vec<PathBuf>,
    /// Output folder (default: a new folder named after the input and the time, in the current folder)
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub iocs: IocArgs,
    /// Run only this module (repeatable; see --list-modules)
    #[arg(long = "module", value_name = "NAME")]
    pub modules: Vec<String>,
    /// List the modules (of PATH's kind when PATH is given) and exit
    #[arg(long)]
    pub list_modules: bool,
    /// Record the SHA-256 of every input file in info.json
    #[arg(long)]
    pub hashes: bool,
    /// The device's time zone (IANA name), when the acquisition does not say
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// No progress bar
    #[arg(short, long)]
    pub quiet: bool,
    /// The case index (default: cases.sqlite in telltale's user data folder)
    #[arg(long, value_name = "PATH")]
    pub case_db: Option<PathBuf>,
    /// Also write timeline.jsonl (Timesketch import format)
    #[arg(long)]
    pub timesketch: bool,
    /// Do not write observables.parquet (the observables `telltale hunt` searches)
    #[arg(long)]
    pub no_observables: bool,
}

static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Panics are caught by the run engine (a module's panic is that module's failure); the hook only records
/// the message so that no raw panic text reaches the user.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "panic".to_string()
        };
        let loc = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut p) = PANICS.lock() {
            p.push(format!("{msg}{loc}"));
        }
    }));
}

pub fn last_panic() -> Option<String> {
    PANICS.lock().ok().and_then(|p| p.last().cloned())
}

fn list_modules(acq: Option<&dyn Acquisition>) {
    match acq {
        Some(a) => {
            println!("Modules for {} ({}):", a.evidence().describe(), a.kind());
            for m in a.modules() {
                println!("  {:32} {}", m.name(), m.description());
            }
        }
        None => {
            for k in kinds::all() {
                println!("{} — {}", k.name(), k.description());
                for m in k.all_modules() {
                    println!("  {:32} {}", m.name(), m.description());
                }
            }
        }
    }
}

/// Opens PATH with the first kind that recognises it (only `only` when given).
fn open_acquisition(
    path: &Path,
    opts: &OpenOptions,
    only: Option<&str>,
    allow_lists: &[PathBuf],
) -> anyhow::Result<Box<dyn Acquisition>> {
    let stdin = path == Path::new("-");
    if stdin && only.is_none() {
        bail!("reading standard input (`-`) needs --kind, e.g. --kind pcap");
    }
    if !stdin && !path.exists() {
        bail!("{}: no such file or folder", path.display());
    }
    let mut kinds = kinds::with_allow_lists(allow_lists);
    if let Some(name) = only {
        kinds.retain(|k| kinds::named(k.as_ref(), name));
        if kinds.is_empty() {
            bail!("unknown acquisition kind {name:?} for --kind (see --list-modules)");
        }
    }
    for k in &kinds {
        match k.open(path, opts) {
            Ok(Some(a)) => return Ok(a),
            Ok(None) => continue,
            Err(e) => return Err(open_error(e)),
        }
    }
    let mut msg = format!(
        "{}: not a recognised acquisition. telltale knows:",
        path.display()
    );
    for k in &kinds {
        msg.push_str(&format!("\n  - {}: {}", k.name(), k.description()));
    }
    if kinds.is_empty() {
        msg.push_str("\n  (no acquisition kinds are built into this binary yet)");
    }
    if let Some(hint) = unrecognised_hint(path) {
        msg.push('\n');
        msg.push_str(&hint);
    }
    Err(anyhow!(msg))
}

/// Why a file no kind recognised may have been refused, when its first bytes or name tell.
fn unrecognised_hint(path: &Path) -> Option<String> {
    use std::io::Read;
    if !path.is_file() {
        return None;
    }
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    if head[..n].starts_with(b"PK") {
        return Some(
            "It is a zip file that cannot be read (truncated or corrupt?) or that holds none of these."
                .into(),
        );
    }
    if let Some(c) = telltale_core::tar::tar_compression(path) {
        let what = match c {
            telltale_core::tar::TarCompression::None => "a tar archive",
            telltale_core::tar::TarCompression::Gzip => "a gzip-compressed tar archive",
        };
        return Some(format!(
            "It is {what} that holds none of these (an iOS filesystem dump needs a private/var/ folder, a \
             sysdiagnose one top folder sysdiagnose_…)."
        ));
    }
    if head[..n].starts_with(&[0x1f, 0x8b]) {
        return Some(
            "It is gzip-compressed but not a readable tar archive (truncated or corrupt?).".into(),
        );
    }
    if path.extension().is_some_and(|e| e == "age") {
        return Some(
            "It looks encrypted with age (as AndroidQF can encrypt its acquisitions): decrypt it with \
             its private key first, then check the decrypted zip."
                .into(),
        );
    }
    None
}

fn open_error(e: AcquisitionError) -> anyhow::Error {
    anyhow!(e)
}

/// A folder name for the outputs: `<input name>_telltale_<UTC time>`.
fn default_output(input: &Path) -> PathBuf {
    let name = if input == Path::new("-") {
        Some("stdin".to_string())
    } else {
        input.file_name().map(|n| n.to_string_lossy().into_owned())
    };
    let name = name.unwrap_or_else(|| "acquisition".into());
    let now = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S");
    PathBuf::from(format!("{name}_telltale_{now}"))
}

/// Refuses an output folder inside the acquisition (evidence is never modified).
fn check_output_outside(input: &Path, output: &Path) -> anyhow::Result<()> {
    let inp = std::fs::canonicalize(input).unwrap_or_else(|_| input.to_path_buf());
    let parent = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let outp = std::fs::canonicalize(parent)
        .map(|p| p.join(output.file_name().unwrap_or_default()))
        .unwrap_or_else(|_| output.to_path_buf());
    if outp.starts_with(&inp) {
        bail!(
            "the output folder {} is inside the acquisition {}; telltale never writes into evidence: choose another with -o",
            output.display(),
            input.display()
        );
    }
    Ok(())
}

/// Forwards to the writers and drives the progress bar.
struct Progress<'a> {
    inner: &'a dyn Output,
    bar: Option<ProgressBar>,
}

impl Output for Progress<'_> {
    fn module_started(&self, module: &str) {
        self.inner.module_started(module);
    }
    fn record(&self, module: &str, rec: &Record) {
        self.inner.record(module, rec);
    }
    fn extra_record(&self, output: &str, rec: &Record) {
        self.inner.extra_record(output, rec);
    }
    fn detected(&self, module: &str, rec: &Record) {
        self.inner.detected(module, rec);
    }
    fn timeline(&self, event: TimelineEvent) {
        self.inner.timeline(event);
    }
    fn timeline_row(&self, timestamp: &str, module: &str, event: &str, description: &str) {
        self.inner
            .timeline_row(timestamp, module, event, description);
    }
    fn alert(&self, alert: &Alert) {
        self.inner.alert(alert);
    }
    fn module_finished(&self, outcome: &ModuleOutcome) {
        self.inner.module_finished(outcome);
        if let Some(b) = &self.bar {
            b.set_message(outcome.module.clone());
            b.inc(1);
        }
        if let ModuleStatus::Failed(e) | ModuleStatus::Panicked(e) = &outcome.status {
            let line = format!("module {} failed: {e}", outcome.module);
            match &self.bar {
                Some(b) => b.println(line),
                None => eprintln!("{line}"),
            }
        }
    }
}

pub fn run(args: CheckArgs) -> anyhow::Result<u8> {
    let secrets = Arc::new(CliSecrets::new(
        args.secrets.password_file.clone(),
        args.secrets.key_file.clone(),
    ));
    if let Some(z) = &args.timezone
        && jiff::tz::TimeZone::get(z).is_err()
    {
        eprintln!(
            "telltale: unknown time zone {z:?} for --timezone: give an IANA name such as Europe/Paris or UTC"
        );
        return Ok(EXIT_ERROR);
    }
    let opts = OpenOptions {
        secrets: Some(secrets),
        timezone: args.timezone.clone(),
    };

    let Some(path) = args.path.clone() else {
        list_modules(None);
        return Ok(0);
    };
    let acq = match open_acquisition(&path, &opts, args.kind.as_deref(), &args.allow_lists) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("telltale: {e:#}");
            return Ok(EXIT_ERROR);
        }
    };
    if args.list_modules {
        list_modules(Some(acq.as_ref()));
        return Ok(0);
    }

    let started = Instant::now();
    let iocs = iocs_cmd::load(&args.iocs).context("loading indicators")?;
    for w in &iocs.warnings {
        eprintln!("telltale: warning: {w}");
    }

    let mut modules = acq.modules();
    if !args.modules.is_empty() {
        let unknown: Vec<_> = args
            .modules
            .iter()
            .filter(|n| !modules.iter().any(|m| m.name() == n.as_str()))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "unknown module(s) for this acquisition: {} (see --list-modules)",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        modules.retain(|m| args.modules.iter().any(|n| n == m.name()));
    }

    let out_dir = args.output.clone().unwrap_or_else(|| default_output(&path));
    check_output_outside(&path, &out_dir)?;
    // info.json's identity fields are known before the run, so that observables.parquet carries the
    // same acquisition and case ids as info.json will.
    let mut info = telltale_report::RunInfo::new(path.display().to_string());
    info.acquisition = Some(acq.kind().to_string());
    info.device = acq.facts();
    if args.hashes && path != Path::new("-") {
        info.hashes = hashing::hash_inputs(&path)
            .into_iter()
            .map(|(file_path, sha256)| telltale_report::FileHash { file_path, sha256 })
            .collect();
    }
    let ids = (!args.no_observables).then(|| {
        telltale_report::observables::CaseIds::from_info(
            &serde_json::to_value(&info).unwrap_or_default(),
            &out_dir,
        )
    });
    let writer = telltale_report::OutputDir::create(
        &out_dir,
        telltale_report::OutputOptions {
            timesketch: args.timesketch,
            observables: ids,
            ..Default::default()
        },
    )
    .with_context(|| format!("creating the output folder {}", out_dir.display()))?;
    let log = writer.log().clone();
    log.info(format!(
        "telltale {} {}",
        env!("CARGO_PKG_VERSION"),
        redacted_command_line()
    ));
    log.info(format!(
        "acquisition: {} ({})",
        acq.evidence().describe(),
        acq.kind()
    ));
    log.info(format!("indicators: {}", iocs.description));
    for w in &iocs.warnings {
        log.warn(w);
    }

    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(modules.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} modules {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    });
    let progress = Progress {
        inner: &writer,
        bar: bar.clone(),
    };
    let run_opts = RunOptions {
        timezone: args.timezone.clone().or_else(|| acq.timezone()),
    };
    let ctx = ModuleContext {
        evidence: acq.evidence(),
        iocs: &iocs.index,
        options: &run_opts,
    };
    let summary = run_modules(&modules, &ctx, &progress);
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    info.ioc_files = iocs.files.clone();
    info.indicators = Some(iocs.description.clone());
    info.set_summary(&summary);
    info.add_coverage(acq.coverage());
    for c in &info.coverage {
        log.info(format!("not checked: {c}"));
    }
    info.indicator_sets = crate::report_cmd::indicator_sets(&iocs.index);
    for w in acq.read_warnings() {
        log.warn(&w);
        eprintln!("telltale: warning: {w}");
    }
    writer
        .finish()
        .with_context(|| format!("writing outputs to {}", out_dir.display()))?;
    telltale_report::write_info(&out_dir, &info)
        .with_context(|| format!("writing {}", out_dir.join("info.json").display()))?;
    match telltale_report::write_html_report_digest(
        &out_dir,
        &Default::default(),
        writer.take_timeline_digest(),
    ) {
        Ok(p) => log.info(format!("report: {}", p.display())),
        Err(e) => {
            log.warn(format!("report.html not written: {e}"));
            eprintln!("telltale: warning: report.html not written: {e}");
        }
    }
    if let Err(e) = crate::cases::record_check(args.case_db.as_deref(), &out_dir) {
        eprintln!("telltale: warning: the check was not recorded in the case index: {e:#}");
    }
    log.info(format!(
        "finished in {:.2} s: {} alert(s), {} HIGH or CRITICAL",
        started.elapsed().as_secs_f64(),
        summary.total_alerts(),
        summary.alerts_at(Level::High) + summary.alerts_at(Level::Critical)
    ));

    print_summary(&summary, &info.coverage, &out_dir);
    Ok(if summary.has_severe() { 1 } else { 0 })
}

fn print_summary(summary: &telltale_core::RunSummary, coverage: &[String], out_dir: &Path) {
    let failed: Vec<_> = summary.failed().collect();
    eprintln!();
    eprintln!("Alerts by level:");
    for level in Level::ALL {
        eprintln!("  {:14} {}", level.as_str(), summary.alerts_at(level));
    }
    let ran = summary
        .modules
        .iter()
        .filter(|m| m.status == ModuleStatus::Ok)
        .count();
    let no_data = summary
        .modules
        .iter()
        .filter(|m| matches!(m.status, ModuleStatus::NoData(_)))
        .count();
    eprintln!(
        "Modules: {} ran, {} found no data, {} failed{}",
        ran,
        no_data,
        failed.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                failed
                    .iter()
                    .map(|m| m.module.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    print_warnings(summary);
    print_coverage(coverage);
    eprintln!("Outputs: {}", out_dir.display());
    eprintln!("  report.html is a readable summary: open it in a browser.");
    eprintln!(
        "  alerts.json lists every alert; timeline.csv is everything that happened, in time order;"
    );
    eprintln!("  <module>.json holds what each module read, <module>_detected.json what matched.");
    if summary.has_severe() {
        eprintln!(
            "Result: HIGH or CRITICAL alerts were raised: traces consistent with spyware were found. \
             Have an expert review alerts.json before drawing conclusions, and keep the acquisition."
        );
    } else if summary.total_alerts() > 0 {
        eprintln!(
            "Result: no HIGH or CRITICAL alert; lower-level alerts may deserve an expert's look."
        );
    } else {
        eprintln!("Result: nothing found.");
    }
    eprintln!(
        "Note: no alert is not proof that the phone is clean: indicators only cover known spyware, \
         and an acquisition does not hold every trace."
    );
}

/// The modules' warnings, each message once with the modules that gave it (at most
/// [`MAX_SHOWN_WARNINGS`]; command.log has them all).
fn print_warnings(summary: &telltale_core::RunSummary) {
    let mut grouped: Vec<(&str, Vec<&str>)> = Vec::new();
    for m in &summary.modules {
        for w in &m.warnings {
            match grouped.iter_mut().find(|(msg, _)| *msg == w.as_str()) {
                Some((_, mods)) => mods.push(&m.module),
                None => grouped.push((w, vec![&m.module])),
            }
        }
    }
    if grouped.is_empty() {
        return;
    }
    eprintln!("Warnings (command.log has them all):");
    for (msg, mods) in grouped.iter().take(MAX_SHOWN_WARNINGS) {
        eprintln!("  {} ({})", msg, mods.join(", "));
    }
    if grouped.len() > MAX_SHOWN_WARNINGS {
        eprintln!("  … and {} more", grouped.len() - MAX_SHOWN_WARNINGS);
    }
}

const MAX_SHOWN_WARNINGS: usize = 10;

/// What could not be checked, before the result: the acquisition's coverage facts and the modules' (at
/// most [`MAX_SHOWN_WARNINGS`] lines), then one line for the artifacts listed in the acquisition's index
/// but absent. info.json and report.html have them all.
fn print_coverage(coverage: &[String]) {
    if coverage.is_empty() {
        return;
    }
    let absent_suffix = format!(": {}", telltale_core::engine::ABSENT);
    let (absent, other): (Vec<&String>, Vec<&String>) =
        coverage.iter().partition(|c| c.ends_with(&absent_suffix));
    eprintln!("Not checked (no alert about these does not mean they are clean):");
    for c in other.iter().take(MAX_SHOWN_WARNINGS) {
        eprintln!("  {c}");
    }
    if other.len() > MAX_SHOWN_WARNINGS {
        eprintln!("  … and {} more", other.len() - MAX_SHOWN_WARNINGS);
    }
    if !absent.is_empty() {
        // `module: path: listed …` → the modules, each once.
        let mut modules: Vec<&str> = Vec::new();
        for c in &absent {
            let m = c.split(": ").next().unwrap_or("");
            if !modules.contains(&m) {
                modules.push(m);
            }
        }
        eprintln!(
            "  {} file(s) listed in the acquisition's index are not in it, so {} could not read them \
             (info.json has the paths)",
            absent.len(),
            modules.join(", ")
        );
    }
}

/// The command line with secrets left out (password and key files are named, never read into the log).
pub fn redacted_command_line() -> String {
    std::env::args().skip(1).collect::<Vec<_>>().join(" ")
}
