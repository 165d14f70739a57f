//! `check` of a large synthetic iOS backup: 300,000 extra Manifest rows, sms.db with 200,000 messages,
//! Safari History.db with 100,000 visits, DataUsage.sqlite with 20,000 processes, a few planted Pegasus
//! traces, and an indicator index of ALL built-in indicators plus 1,500 synthetic domains + 80 process
//! names (those of the planted traces). Measures opening the backup and
//! running every iOS module through `telltale_core::engine::run_modules` with an output that only counts.
//!
//! * `cargo bench -p telltale-ios --bench ios_check`: criterion, 10 samples.
//! * `IOS_CHECK_ONCE=1 <bench binary>`: one run with timings and counts, for `/usr/bin/time -v` (peak
//!   memory of opening + checking only; the backup is built once and cached under the target folder).

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;
use support::Count;

use criterion::Criterion;
use jiff::Timestamp;
use telltale_core::engine::{RunSummary, run_modules};
use telltale_core::{Level, ModuleContext, RunOptions};
use telltale_ioc::{IndicatorKind, IocIndex};
use telltale_ios::BackupEvidence;
use telltale_testkit::ios_backup::{BackupBuilder, MbFileMeta, file_id, mbfile_archive};
use telltale_testkit::ios_dbs::{DataUsageDb, IosVersion, SmsDb, SmsMessage};
use telltale_testkit::ios_web::SafariHistory;

const MANIFEST_ROWS: usize = 300_000;
const MESSAGES: usize = 200_000;
const VISITS: usize = 100_000;
const PROCESSES: usize = 20_000;
/// Bumped when the synthetic backup changes, so a stale cached copy is rebuilt.
const LAYOUT_VERSION: u32 = 1;

/// Indicator domain number `i` (the planted traces use a few of them).
fn ioc_domain(i: usize) -> String {
    format!("update-srv{i}.secure-cdn{}.net", i % 37)
}

fn ioc_process(i: usize) -> String {
    const KNOWN: [&str; 8] = [
        "bh",
        "roleaccountd",
        "stagingd",
        "msgacntd",
        "fservernetd",
        "ckkeyrollfd",
        "eventsfssd",
        "libtouchregd",
    ];
    KNOWN
        .get(i)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("svcagentd{i}"))
}

/// The planted traces' indicators (1,500 synthetic domains + 80 process names, or with
/// `IOS_CHECK_IOCS=planted` only the few the planted traces use).
fn synthetic_values(planted: bool) -> Vec<(IndicatorKind, String)> {
    let domains: Vec<usize> = if planted {
        vec![3, 12, 700, 1400]
    } else {
        (0..1500).collect()
    };
    let mut values: Vec<(IndicatorKind, String)> = domains
        .into_iter()
        .map(|i| (IndicatorKind::Domain, ioc_domain(i)))
        .collect();
    let processes = if planted { 1 } else { 80 };
    values.extend((0..processes).map(|i| (IndicatorKind::ProcessName, ioc_process(i))));
    values
}

/// By default ALL built-in indicators (`IocIndex::builtin()`) plus the synthetic ones of the planted
/// traces; `IOS_CHECK_IOCS=synthetic`: only the 1,500 synthetic domains + 80 process names;
/// `IOS_CHECK_IOCS=planted`: only the indicators of the planted traces (to tell the modules' own cost
/// from the indicator index's).
fn iocs() -> IocIndex {
    let mode = std::env::var("IOS_CHECK_IOCS").unwrap_or_default();
    let values = synthetic_values(mode == "planted");
    let refs: Vec<(IndicatorKind, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut b = IocIndex::builder();
    if mode != "planted" && mode != "synthetic" {
        b.add_builtin().expect("built-in indicators");
    }
    b.add_values(&refs, "Pegasus", "synthetic");
    b.build()
}

fn mac(i: usize) -> f64 {
    650_000_000.0 + i as f64 * 37.0
}

fn ts(i: usize) -> Timestamp {
    Timestamp::from_second(1_628_000_000 + i as i64 * 41).expect("valid time")
}

fn temp_file_bytes(write: impl FnOnce(&Path)) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("db.sqlite");
    write(&p);
    std::fs::read(&p).expect("read built database")
}

/// Builds the synthetic backup into `root`.
fn build(root: &Path) {
    let t = Instant::now();
    // sms.db: one message in ten carries an ordinary link; two carry Pegasus links.
    let messages = (0..MESSAGES).map(|i| {
        let handle = format!("+1555{:07}", i % 3000);
        let text = match i {
            1000 => format!("Your parcel is waiting: https://{}/t/8f3a2", ioc_domain(12)),
            150_000 => format!("Account notice https://{}/l?id=77", ioc_domain(1400)),
            _ if i % 10 == 0 => format!("look at this https://news{}.example.org/a/{i}", i % 500),
            _ => format!("message {i}: see you at the usual place around six, ok?"),
        };
        SmsMessage::received(&handle, &text, mac(i))
    });
    let sms = SmsDb::new(IosVersion::V17).extend(messages).to_bytes();

    // Safari: 100,000 visits to distinct URLs, one to a Pegasus domain.
    let history = temp_file_bytes(|p| {
        let mut h = SafariHistory::new();
        for i in 0..VISITS {
            let url = if i == 50_000 {
                format!("https://{}/s/aa1", ioc_domain(700))
            } else {
                format!("https://site{}.example.com/page/{i}", i % 5000)
            };
            h.push(&url, ts(i), Some("A page title"));
        }
        h.write(p);
    });

    // DataUsage: 20,000 processes with one usage row each; one is a Pegasus process name.
    let datausage = temp_file_bytes(|p| {
        let mut d = DataUsageDb::new(IosVersion::V17);
        for i in 0..PROCESSES {
            let name = if i == 9_000 {
                ioc_process(0)
            } else {
                format!("proc{i}")
            };
            d = d
                .process(
                    &name,
                    Some(&format!("com.vendor{i}.app")),
                    mac(i),
                    mac(i + 10),
                )
                .usage(i as i64 + 1, mac(i + 5), 10.0, 20.0, 30.0, 40.0);
        }
        d.write(p).expect("write DataUsage");
    });
    eprintln!("built databases in {:?}", t.elapsed());

    let t = Instant::now();
    BackupBuilder::new()
        .add_file("HomeDomain", "Library/SMS/sms.db", sms)
        .add_file("HomeDomain", "Library/Safari/History.db", history)
        .add_file(
            "WirelessDomain",
            "Library/Databases/DataUsage.sqlite",
            datausage,
        )
        .write(root);

    // 300,000 more Manifest rows (files whose data is not in the folder, and folders); one in twenty is
    // WebKit data named after a site, one after a Pegasus domain.
    let c = rusqlite::Connection::open(root.join("Manifest.db")).expect("open Manifest.db");
    c.execute_batch("PRAGMA synchronous=OFF; PRAGMA journal_mode=OFF; BEGIN;")
        .expect("begin");
    {
        let mut ins = c
            .prepare("INSERT OR REPLACE INTO Files VALUES (?1, ?2, ?3, ?4, ?5)")
            .expect("prepare");
        let meta = MbFileMeta::default();
        for i in 0..MANIFEST_ROWS {
            let domain = format!("AppDomain-com.vendor{}.app", i % 400);
            let (rel, flags) = match i {
                123_456 => (
                    format!(
                        "Library/WebKit/WebsiteData/LocalStorage/https_{}_0.localstorage",
                        ioc_domain(3)
                    ),
                    1,
                ),
                _ if i % 20 == 0 => (
                    format!(
                        "Library/WebKit/WebsiteData/LocalStorage/https_site{i}.example.com_0.localstorage"
                    ),
                    1,
                ),
                _ if i % 3 == 0 => (format!("Library/Caches/folder{i}"), 2),
                _ => (format!("Library/Caches/folder{}/file{i}.dat", i - i % 3), 1),
            };
            let blob = mbfile_archive(&rel, 4096, &meta);
            ins.execute(rusqlite::params![
                file_id(&domain, &rel),
                domain,
                rel,
                flags,
                blob
            ])
            .expect("insert row");
        }
    }
    c.execute_batch("COMMIT;").expect("commit");
    eprintln!("built backup in {:?}", t.elapsed());
}

/// The cached synthetic backup (built on first use).
fn backup_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ios_check_v{LAYOUT_VERSION}"));
    let done = root.join(".complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&root);
        build(&root);
        std::fs::write(&done, b"").expect("mark complete");
    }
    root
}

fn check(root: &Path, iocs: &IocIndex, out: &Count) -> RunSummary {
    let ev = BackupEvidence::open(root).expect("open backup");
    let opts = RunOptions::default();
    let ctx = ModuleContext {
        evidence: &ev,
        iocs,
        options: &opts,
    };
    let modules = telltale_ios::modules::all();
    run_modules(&modules, &ctx, out)
}

fn once(root: &Path, iocs: &IocIndex) {
    let out = Count::default();
    let t = Instant::now();
    let summary = check(root, iocs, &out);
    let wall = t.elapsed();
    let mut mods: Vec<_> = summary.modules.iter().collect();
    mods.sort_by_key(|m| std::cmp::Reverse(m.duration));
    for m in mods.iter().take(8) {
        eprintln!(
            "  {:<34} {:>9.3} s  {:>8} records  {:?}",
            m.module,
            m.duration.as_secs_f64(),
            m.records,
            m.status
        );
    }
    eprintln!(
        "check: {:.3} s wall, {} records, {} timeline events, {} alerts ({} HIGH or CRITICAL)",
        wall.as_secs_f64(),
        out.records.load(Ordering::Relaxed),
        out.timeline.load(Ordering::Relaxed),
        out.alerts.load(Ordering::Relaxed),
        summary.alerts_at(Level::High) + summary.alerts_at(Level::Critical),
    );
    assert!(
        summary.alerts_at(Level::High) + summary.alerts_at(Level::Critical) >= 5,
        "the planted traces must be found"
    );
}

fn main() {
    let root = backup_dir();
    let iocs = iocs();
    if std::env::var_os("IOS_CHECK_ONCE").is_some() {
        once(&root, &iocs);
        return;
    }
    once(&root, &iocs);
    let mut c = Criterion::default().sample_size(10).configure_from_args();
    c.bench_function("ios_check_300k_manifest_200k_sms", |b| {
        b.iter(|| {
            let out = Count::default();
            check(&root, &iocs, &out)
        })
    });
    c.final_summary();
}
