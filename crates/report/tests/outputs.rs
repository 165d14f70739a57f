//! Output-folder tests on synthetic runs: fake modules emit known records, timeline events and alerts.

use std::path::Path;
use std::time::Duration;

use telltale_core::engine::{Output, run_one};
use telltale_core::ioc::{IndicatorKind, IocIndex};
use telltale_core::{
    DeviceFact, Emitter, FolderEvidence, Level, Module, ModuleContext, ModuleError, Record,
    RunOptions, RunSummary, TimelineEvent, record, run_modules, time,
};
use telltale_report::{
    FileHash, OutputDir, OutputOptions, RunInfo, read_alerts, read_records, write_info,
};

/// A module emitting `records` (each with a time), alerting on those whose `url` host matches an
/// indicator, plus one heuristic alert without time on the first record.
struct Fake {
    name: &'static str,
    records: Vec<(i64, String)>,
}

impl Module for Fake {
    fn name(&self) -> &'static str {
        self.name
    }
    fn description(&self) -> &'static str {
        "fake module for tests"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        for (i, (secs, url)) in self.records.iter().enumerate() {
            let ts = time::from_unix(*secs as f64);
            let rec = record! { "isodate" => time::format_opt(ts), "url" => url, "n" => i };
            out.record(&rec);
            out.timeline(ts, "visit", format!("visited {url}"));
            let host = url.split('/').nth(2).unwrap_or("");
            let m = ctx.iocs.match_host(host);
            out.ioc_alerts(&m, "visited URL", ts, &rec);
            if i == 0 {
                out.alert(Level::Medium, "first record looks odd", None, &rec, None);
            }
        }
        if self.records.is_empty() {
            out.no_data("no artifact");
        }
        Ok(())
    }
}

fn fake(name: &'static str, records: &[(i64, &str)]) -> Box<dyn Module> {
    Box::new(Fake {
        name,
        records: records.iter().map(|(t, u)| (*t, u.to_string())).collect(),
    })
}

struct Special;
impl Module for Special {
    fn name(&self) -> &'static str {
        "special_chars"
    }
    fn description(&self) -> &'static str {
        "records with awkward text"
    }
    fn run(&self, _: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let rec = record! { "text" => special_text() };
        out.record(&rec);
        out.timeline(
            time::from_unix(1_600_000_000.0),
            "message \"x\"",
            special_text(),
        );
        out.alert(
            Level::High,
            special_text(),
            time::from_unix(1_600_000_000.0),
            &rec,
            None,
        );
        out.warn("line one\nline two");
        Ok(())
    }
}

struct Broken;
impl Module for Broken {
    fn name(&self) -> &'static str {
        "broken"
    }
    fn description(&self) -> &'static str {
        "emits a record, then fails on a corrupt database"
    }
    fn run(&self, _: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        out.record(&record! { "partial" => true });
        out.warn("12 rows could not be read");
        Err(ModuleError::parse(
            "x.db",
            "database disk image is malformed",
        ))
    }
}

fn special_text() -> String {
    "quote \" and 'single', comma, newline\nand CRLF\r\n tab\t backslash \\ </script><b>x</b> \u{0} \u{1F}
 \u{FFFD} replacement, \u{FEFF} BOM, \u{202E} RTL override, emoji 🦀, combining e\u{301}, \u{10FFFF}"
        .to_string()
}

fn with_ctx<T>(f: impl FnOnce(&ModuleContext<'_>) -> T) -> T {
    let ev_dir = tempfile::tempdir().unwrap();
    let ev = FolderEvidence::new(ev_dir.path()).unwrap();
    let iocs = IocIndex::from_values(&[(IndicatorKind::Domain, "evil.com")], "Pegasus");
    let opts = RunOptions::default();
    let ctx = ModuleContext {
        evidence: &ev,
        iocs: &iocs,
        options: &opts,
    };
    f(&ctx)
}

/// The modules of the snapshot run.
fn snapshot_modules() -> Vec<Box<dyn Module>> {
    vec![
        fake(
            "safari_history",
            &[
                (1_600_000_300, "https://example.org/a"),
                (1_600_000_100, "https://evil.com/x?y=1"),
                (1_600_000_200, "https://notevil.com/"),
            ],
        ),
        fake("sms", &[(1_599_999_000, "https://sub.evil.com/p")]),
        fake("empty_module", &[]),
        Box::new(Broken),
    ]
}

/// Runs the snapshot modules one after the other (deterministic file contents) into `dir`.
fn snapshot_run(dir: &Path, opts: OutputOptions) -> RunSummary {
    let out = OutputDir::create(dir, opts).unwrap();
    out.log()
        .info("command: telltale check-backup --output out /backup");
    let summary = with_ctx(|ctx| RunSummary {
        modules: snapshot_modules()
            .iter()
            .map(|m| run_one(m.as_ref(), ctx, &out))
            .collect(),
    });
    out.finish().unwrap();
    summary
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// command.log without timestamps and durations.
fn stable_log(s: &str) -> String {
    s.lines()
        .map(|l| {
            let l = l.split_once(" UTC ").map(|(_, rest)| rest).unwrap_or(l);
            match l.rfind(", ") {
                Some(i) if l.ends_with(" ms") => format!("{}, <duration>", &l[..i]),
                _ => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn snapshot_of_every_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut summary = snapshot_run(
        dir.path(),
        OutputOptions {
            timesketch: true,
            ..Default::default()
        },
    );
    let d = dir.path();

    let mut files: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    insta::assert_debug_snapshot!("files", files);
    insta::assert_snapshot!("safari_history.json", read(d, "safari_history.json"));
    insta::assert_snapshot!(
        "safari_history_detected.json",
        read(d, "safari_history_detected.json")
    );
    insta::assert_snapshot!("sms.json", read(d, "sms.json"));
    insta::assert_snapshot!("alerts.json", read(d, "alerts.json"));
    insta::assert_snapshot!("timeline.csv", read(d, "timeline.csv"));
    insta::assert_snapshot!("alerts_timeline.csv", read(d, "alerts_timeline.csv"));
    insta::assert_snapshot!("timeline.jsonl", read(d, "timeline.jsonl"));
    let log = read(d, "command.log").replace(&d.display().to_string(), "<out>");
    insta::assert_snapshot!("command.log", stable_log(&log));

    for m in &mut summary.modules {
        m.duration = Duration::ZERO;
    }
    let mut info = RunInfo::new("/backup");
    info.telltale_version = "0.0.0-test".into();
    info.date = "2025-01-02T03:04:05.000000+00:00".into();
    info.ioc_files = vec!["builtin:pegasus.stix2".into()];
    info.hashes = vec![FileHash {
        file_path: "/backup/Manifest.db".into(),
        sha256: "00ff".into(),
    }];
    info.acquisition = Some("ios-backup".into());
    info.device = vec![
        DeviceFact::new("ProductVersion", "17.4"),
        DeviceFact::new("DeviceName", "Ana's phone"),
    ];
    info.indicators = Some("builtin snapshot, 1 indicator".into());
    info.set_summary(&summary);
    write_info(d, &info).unwrap();
    insta::assert_snapshot!("info.json", read(d, "info.json"));
}

#[test]
fn module_with_no_records_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    snapshot_run(dir.path(), OutputOptions::default());
    assert!(!dir.path().join("empty_module.json").exists());
    assert!(!dir.path().join("empty_module_detected.json").exists());
    // No Timesketch export unless asked.
    assert!(!dir.path().join("timeline.jsonl").exists());
    assert_eq!(
        telltale_report::list_modules(dir.path()).unwrap(),
        vec!["broken", "safari_history", "sms"]
    );
    // A failed module keeps the records it emitted before failing, in a valid array.
    assert_eq!(read_records(dir.path(), "broken").unwrap().len(), 1);
}

#[test]
fn run_without_anything_writes_empty_alerts_and_no_timelines() {
    let dir = tempfile::tempdir().unwrap();
    let out = OutputDir::create(dir.path(), OutputOptions::default()).unwrap();
    let stats = out.finish().unwrap();
    assert_eq!(stats.alerts, 0);
    assert_eq!(read(dir.path(), "alerts.json"), "[]");
    assert!(read_alerts(dir.path()).unwrap().is_empty());
    assert!(!dir.path().join("timeline.csv").exists());
    assert!(!dir.path().join("alerts_timeline.csv").exists());
    // finish twice is harmless
    assert!(out.finish().is_ok());
}

#[test]
fn concurrent_modules_write_valid_json_arrays() {
    const MODULES: usize = 24;
    const RECORDS: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let out = OutputDir::create(
        dir.path(),
        OutputOptions {
            chunk_rows: 500,
            timesketch: true,
            observables: None,
        },
    )
    .unwrap();
    let modules: Vec<Box<dyn Module>> = (0..MODULES)
        .map(|m| {
            let name: &'static str = Box::leak(format!("mod_{m:02}").into_boxed_str());
            let records = (0..RECORDS)
                .map(|i| {
                    let url = if i % 50 == 7 {
                        "https://evil.com/a".to_string()
                    } else {
                        format!("https://ok{i}.org/")
                    };
                    (
                        1_500_000_000 + ((i * 7919 + m * 104_729) % 100_000) as i64,
                        url,
                    )
                })
                .collect();
            Box::new(Fake { name, records }) as Box<dyn Module>
        })
        .collect();
    let summary = with_ctx(|ctx| run_modules(&modules, ctx, &out));
    let stats = out.finish().unwrap();
    let high_per_module = (0..RECORDS).filter(|i| i % 50 == 7).count();
    assert_eq!(
        summary.alerts_at(Level::Critical) as usize,
        MODULES * high_per_module
    );
    assert_eq!(stats.alerts as usize, MODULES * (high_per_module + 1));

    for m in 0..MODULES {
        let name = format!("mod_{m:02}");
        let text = read(dir.path(), &format!("{name}.json"));
        let v: Vec<Record> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}.json: {e}"));
        assert_eq!(v.len(), RECORDS);
        // Each module's records keep their emission order.
        assert!(v.iter().enumerate().all(|(i, r)| r["n"] == i));
        let det: Vec<Record> =
            serde_json::from_str(&read(dir.path(), &format!("{name}_detected.json"))).unwrap();
        // the first record (heuristic alert) and every matching one
        assert_eq!(det.len(), high_per_module + 1);
        assert_eq!(read_records(dir.path(), &name).unwrap(), v);
    }
    let alerts: serde_json::Value = serde_json::from_str(&read(dir.path(), "alerts.json")).unwrap();
    assert_eq!(alerts.as_array().unwrap().len() as u64, stats.alerts);
    assert_eq!(read_alerts(dir.path()).unwrap().len() as u64, stats.alerts);

    let mut rdr = csv::Reader::from_path(dir.path().join("timeline.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), MODULES * RECORDS);
    assert!(
        rows.windows(2).all(|w| w[0][0] <= w[1][0]),
        "timeline sorted"
    );
    let lines = read(dir.path(), "timeline.jsonl");
    assert_eq!(lines.lines().count(), MODULES * RECORDS);
    let tagged = lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["alert_level"] == "CRITICAL")
        .count();
    assert_eq!(tagged, MODULES * high_per_module);
    assert_only_outputs_left(dir.path());
}

fn assert_only_outputs_left(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "temporary file left behind: {name}");
    }
}

#[test]
fn timeline_sorted_across_many_spilled_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let out = OutputDir::create(
        dir.path(),
        OutputOptions {
            chunk_rows: 1_000,
            timesketch: false,
            observables: None,
        },
    )
    .unwrap();
    const N: u64 = 40_000;
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let out = &out;
            s.spawn(move || {
                for i in 0..N / 4 {
                    // pseudo-random order, all distinct
                    let k = (i * 4 + t) * 2_654_435_761 % 1_000_000_007;
                    let ts = time::from_unix_us(1_500_000_000_000_000 + k as i64).unwrap();
                    out.timeline(TimelineEvent {
                        timestamp: time::format(ts),
                        module: format!("m{t}"),
                        event: "e".into(),
                        description: format!("{k}"),
                    });
                }
            });
        }
    });
    let spill_files = std::fs::read_dir(dir.path()).unwrap().count();
    assert!(
        spill_files > 10,
        "chunks were spilled to disk ({spill_files} files)"
    );
    let stats = out.finish().unwrap();
    assert_eq!(stats.timeline_events, N);
    let mut rdr = csv::Reader::from_path(dir.path().join("timeline.csv")).unwrap();
    assert_eq!(
        rdr.headers().unwrap(),
        vec!["UTC Timestamp", "Plugin", "Event", "Description"]
    );
    let times: Vec<String> = rdr.records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(times.len() as u64, N);
    assert!(times.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    assert_only_outputs_left(dir.path());
}

#[test]
fn special_characters_round_trip_in_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = OutputDir::create(dir.path(), OutputOptions::default()).unwrap();
    with_ctx(|ctx| run_one(&Special, ctx, &out));
    out.finish().unwrap();
    let d = dir.path();
    let text = special_text();

    let recs = read_records(d, "special_chars").unwrap();
    assert_eq!(recs[0]["text"], text.as_str());
    let raw = read(d, "special_chars.json");
    assert!(
        !raw.contains('\r') && raw.contains("\\r\\n"),
        "control chars escaped in JSON"
    );
    assert!(raw.contains("\\u0000"));
    let alerts = read_alerts(d).unwrap();
    assert_eq!(alerts[0].message, text);
    assert_eq!(alerts[0].event["text"], text.as_str());
    assert_eq!(alerts[0].level, Level::High);

    let mut rdr = csv::Reader::from_path(d.join("timeline.csv")).unwrap();
    let row = rdr.records().next().unwrap().unwrap();
    assert_eq!(&row[2], "message \"x\"");
    assert_eq!(&row[3], text);
    let mut rdr = csv::Reader::from_path(d.join("alerts_timeline.csv")).unwrap();
    assert_eq!(
        rdr.headers().unwrap(),
        vec!["Event Time", "Module", "Message", "Event"]
    );
    let row = rdr.records().next().unwrap().unwrap();
    assert_eq!(&row[2], text);
    let ev: serde_json::Value = serde_json::from_str(&row[3]).unwrap();
    assert_eq!(ev["text"], text.as_str());
    // Every field is quoted.
    assert!(
        read(d, "timeline.csv")
            .starts_with("\"UTC Timestamp\",\"Plugin\",\"Event\",\"Description\"\r\n\"2020-")
    );

    // A multi-line warning stays one log entry (continuation lines are indented).
    let log = read(d, "command.log");
    assert!(log.contains("special_chars: line one\n    line two\n"));
}

#[test]
fn write_errors_are_reported_by_finish_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let out = OutputDir::create(dir.path(), OutputOptions::default()).unwrap();
    // A folder where the module's file should go makes its creation fail.
    std::fs::create_dir(dir.path().join("blocked.json")).unwrap();
    out.record("blocked", &record! { "a" => 1 });
    out.record("blocked", &record! { "a" => 2 });
    out.record("fine", &record! { "a" => 3 });
    let err = out.finish().unwrap_err();
    assert!(err.to_string().contains("blocked.json"), "{err}");
    assert_eq!(read_records(dir.path(), "fine").unwrap().len(), 1);
    assert!(read(dir.path(), "command.log").contains("ERROR write error"));
}

#[test]
fn records_after_module_finished_continue_the_same_array() {
    let dir = tempfile::tempdir().unwrap();
    let out = OutputDir::create(dir.path(), OutputOptions::default()).unwrap();
    with_ctx(|ctx| {
        run_one(
            fake("twice", &[(1_600_000_000, "https://a.org/")]).as_ref(),
            ctx,
            &out,
        );
        run_one(
            fake("twice", &[(1_600_000_001, "https://b.org/")]).as_ref(),
            ctx,
            &out,
        );
    });
    out.finish().unwrap();
    let recs = read_records(dir.path(), "twice").unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1]["url"], "https://b.org/");
}

/// report.html made from the timeline digest the writer computes while writing timeline.csv is the page
/// made by reading timeline.csv back (the check uses the first; `telltale report` the second).
#[test]
fn report_from_the_writers_timeline_digest_equals_the_page_read_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = OutputDir::create(dir.path(), OutputOptions::default()).unwrap();
    with_ctx(|ctx| {
        for m in snapshot_modules() {
            run_one(m.as_ref(), ctx, &out);
        }
    });
    out.finish().unwrap();
    let digest = out.take_timeline_digest();
    assert!(digest.is_some());
    let opts = telltale_report::HtmlOptions {
        generated: Some("2025-01-01 00:00 UTC".into()),
    };
    let from_files = telltale_report::render_html_report(dir.path(), &opts).unwrap();
    telltale_report::write_html_report_digest(dir.path(), &opts, digest).unwrap();
    let from_digest = read(dir.path(), "report.html");
    assert_eq!(from_files, from_digest);
    assert!(from_digest.contains("evil.com"));
}
