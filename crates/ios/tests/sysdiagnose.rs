//! Sysdiagnose archives: the kind (recognition, top folder, noise, device facts, coverage) and each
//! module (shutdown_log, crash_reports, processes, configuration_profiles, mobile_installation, tcc,
//! sysdiagnose_info) with positive, negative (decoys) and malformed cases on testkit archives.

#[allow(dead_code)]
#[path = "common/harness.rs"]
mod harness;

use std::path::Path;
use std::sync::Arc;

use harness::{Run, run_on};
use telltale_core::{Acquisition, AcquisitionKind, FolderEvidence, Level, Module, OpenOptions};
use telltale_ioc::{IndicatorKind as K, IocIndex};
use telltale_ios::modules::{
    crash_reports::CrashReports, mobile_installation::MobileInstallation, processes::Processes,
    shutdown_log::ShutdownLog,
};
use telltale_ios::sysdiagnose::{self, IosSysdiagnoseKind};
use telltale_testkit::ios_dbs::{IosVersion, TccDb};
use telltale_testkit::sysdiagnose::{self as sd, ShutdownLog as Log, Sysdiagnose, with_uuid};

const STAGING: &str = "/private/var/db/com.apple.xpc.roleaccountd.staging";

fn iocs() -> IocIndex {
    IocIndex::from_values(
        &[
            (K::ProcessName, "fmld"),
            (K::ProcessName, "Diagnosticd"),
            (K::ProcessName, "bh"),
            (K::FilePath, "/private/var/tmp/UserEventAgent"),
            (K::FilePath, "/private/var/tmp/l/"),
            (K::FilePath, "/private/var/tmp/hooker"),
            (K::AppId, "com.evil.spy"),
            (
                K::ConfigurationProfileId,
                "76DAB334-9BD1-4A9F-A9A7-2C2D7C3F9C6A",
            ),
        ],
        "Pegasus",
    )
}

/// Writes `s` as a folder and runs `m` over its top folder.
fn run(m: &dyn Module, s: &Sysdiagnose) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let top = s.write_folder(dir.path()).unwrap();
    let ev = FolderEvidence::new(&top).unwrap();
    run_on(m, &ev, &iocs())
}

fn ioc_alerts(r: &Run) -> Vec<&telltale_core::Alert> {
    r.alerts
        .iter()
        .filter(|a| a.matched_indicator.is_some())
        .collect()
}

fn open(path: &Path) -> Box<dyn Acquisition> {
    IosSysdiagnoseKind
        .open(path, &OpenOptions::default())
        .unwrap()
        .expect("recognised as a sysdiagnose")
}

// ---------------------------------------------------------------------------------------------------
// shutdown_log

#[test]
fn shutdown_log_pegasus_staging_client_with_uuid() {
    let log = Log::new()
        .notice(0.5, &[(51, "/usr/libexec/mobileassetd")])
        .sigterm(1_650_000_000)
        .notice(0.3, &[(431, &with_uuid(&format!("{STAGING}/fmld")))])
        .notice(1.3, &[(431, &with_uuid(&format!("{STAGING}/fmld")))])
        .notice(2.3, &[(431, &with_uuid(&format!("{STAGING}/fmld")))])
        .sigterm(1_650_003_600);
    let r = run(&ShutdownLog::new(), &Sysdiagnose::new().shutdown_log(&log));
    assert!(r.is_ok(), "{:?}", r.outcome);
    assert_eq!(r.records.len(), 2, "one record per client per reboot");
    assert_eq!(r.records[1]["path"], format!("{STAGING}/fmld"));
    assert_eq!(r.records[1]["times_delayed"], 3);
    assert_eq!(r.records[1]["isodate"], "2022-04-15 06:20:00.000000");
    // Indicator: exactly one alert for the client at this reboot, severe, with its indicator and time.
    let iocs = ioc_alerts(&r);
    assert_eq!(iocs.len(), 1, "{:#?}", r.alerts);
    assert!(iocs[0].level >= Level::High);
    assert_eq!(iocs[0].matched_indicator.as_ref().unwrap().value, "fmld");
    assert_eq!(
        iocs[0].event_time.as_deref(),
        Some("2022-04-15 06:20:00.000000")
    );
    // Unusual location: HIGH for the staging folder.
    let unusual: Vec<_> = r
        .alerts
        .iter()
        .filter(|a| a.message.contains("unusual location"))
        .collect();
    assert_eq!(unusual.len(), 1);
    assert_eq!(unusual[0].level, Level::High);
    // Delay: three notices before that reboot.
    let delay: Vec<_> = r
        .alerts
        .iter()
        .filter(|a| a.message.contains("delay"))
        .collect();
    assert_eq!(delay.len(), 1);
    assert_eq!(delay[0].level, Level::Low);
    assert_eq!(
        delay[0].event_time.as_deref(),
        Some("2022-04-15 06:20:00.000000")
    );
    assert_eq!(r.timeline.len(), 2);
}

#[test]
fn shutdown_log_ios26_and_tmp_paths() {
    let log = Log::new()
        .notice(
            1.0,
            &[
                (77, "/private/var/tmp/UserEventAgent"),
                (78, "/private/var/tmp/l/agent"),
                (79, "/private/var/db/something/else"),
            ],
        )
        .sigterm(1_760_000_000);
    let r = run(
        &ShutdownLog::new(),
        &Sysdiagnose::new().shutdown_log_26(&log),
    );
    assert_eq!(r.records.len(), 3);
    assert_eq!(r.records[0]["file"], sd::SHUTDOWN_LOG_26);
    assert_eq!(ioc_alerts(&r).len(), 2, "{:#?}", r.alerts);
    let medium: Vec<_> = r.at(Level::Medium);
    assert_eq!(
        medium.len(),
        3,
        "every client in /private/var/tmp or /private/var/db"
    );
    assert!(
        medium
            .iter()
            .all(|a| a.message.contains("unusual location"))
    );
}

#[test]
fn shutdown_log_decoys_raise_nothing() {
    let log = Log::new()
        .notice(
            0.2,
            &[
                (10, "/usr/libexec/UserEventAgent"),
                (11, "/usr/libexec/diagnosticd"),
                (12, &with_uuid("/private/preboot/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/XPCServices/com.apple.WebKit.Networking.xpc/com.apple.WebKit.Networking")),
                (13, "/private/var/containers/Bundle/Application/1A2B3C4D-1111-2222-3333-444455556666/Fancy App (Beta).app/Fancy App (Beta)"),
                (14, "/private/var/tmpfiles/l10n-cache"),
                (15, "/System/Library/PrivateFrameworks/fmldx.framework/fmldx"),
            ],
        )
        .notice(1.2, &[(10, "/usr/libexec/UserEventAgent")])
        .sigterm(1_650_000_000);
    let r = run(&ShutdownLog::new(), &Sysdiagnose::new().shutdown_log(&log));
    assert_eq!(r.records.len(), 6);
    assert_eq!(
        r.records[4 - 1]["path"],
        "/private/var/containers/Bundle/Application/1A2B3C4D-1111-2222-3333-444455556666/Fancy App (Beta).app/Fancy App (Beta)"
    );
    assert!(r.alerts.is_empty(), "{:#?}", r.alerts);
}

#[test]
fn shutdown_log_malformed_and_missing() {
    let s = Sysdiagnose::new().file(
        sd::SHUTDOWN_LOG,
        b"\xff\xfe garbage\n\0\0\nremaining client pid: x (\n",
    );
    let r = run(&ShutdownLog::new(), &s);
    assert!(r.is_ok());
    assert!(r.records.is_empty());
    assert!(!r.outcome.warnings.is_empty());
    // A log cut before its SIGTERM: the clients are kept, undated.
    let cut = Log::new().notice(0.5, &[(5, "/private/var/tmp/hooker")]);
    let r = run(&ShutdownLog::new(), &Sysdiagnose::new().shutdown_log(&cut));
    assert_eq!(r.records.len(), 1);
    assert!(r.records[0]["isodate"].is_null());
    assert_eq!(ioc_alerts(&r).len(), 1);
    assert!(ioc_alerts(&r)[0].event_time.is_none());
    let r = run(
        &ShutdownLog::new(),
        &Sysdiagnose::new().without(sd::SHUTDOWN_LOG),
    );
    assert!(r.is_no_data());
}

// ---------------------------------------------------------------------------------------------------
// crash_reports

#[test]
fn crash_reports_positive() {
    let s = Sysdiagnose::new()
        .ips(
            "bh-2024-05-20-101112.ips",
            &sd::ips_crash(&format!("{STAGING}/bh"), None, "2024-05-20 10:11:12.3456 -0700", &[]),
        )
        .ips(
            "Retired/Spy-2024-05-20-101112.ips",
            &sd::ips_crash(
                "/private/var/containers/Bundle/Application/1A2B3C4D-1111-2222-3333-444455556666/Spy.app/Spy",
                Some("com.evil.spy"),
                "2024-05-20 10:11:12.3456 -0700",
                &["/private/var/tmp/hooker"],
            ),
        )
        .ips(
            "JetsamEvent-2024-05-20-101112.ips",
            &sd::ips_jetsam("2024-05-20 10:11:12.00 -0700", &["SpringBoard", "Diagnosticd"]),
        )
        .ips(
            "Panics/msgacntd-2019-01-01-100000.ips",
            &sd::ips_legacy("/private/var/db/x/fmld", "2019-01-01 10:00:00.00 +0000"),
        );
    let r = run(&CrashReports::new(), &s);
    assert!(r.is_ok(), "{:?}", r.outcome);
    assert_eq!(r.records.len(), 4);
    let by_file = |f: &str| {
        r.alerts
            .iter()
            .filter(|a| a.event["file"].as_str().unwrap().contains(f))
            .collect::<Vec<_>>()
    };
    // bh: process indicator + unusual location (HIGH, staging).
    let bh = by_file("bh-2024");
    assert!(bh.iter().any(|a| {
        a.matched_indicator
            .as_ref()
            .is_some_and(|m| m.value == "bh")
    }));
    assert!(
        bh.iter()
            .any(|a| a.level == Level::High && a.message.contains("unusual location"))
    );
    assert_eq!(
        bh[0].event_time.as_deref(),
        Some("2024-05-20 17:11:12.345600")
    );
    // The app: app id and an image path indicator (folder /private/var/tmp → MEDIUM unusual too).
    let spy = by_file("Spy-2024");
    let kinds: Vec<_> = spy
        .iter()
        .filter_map(|a| a.matched_indicator.as_ref().map(|m| m.value.clone()))
        .collect();
    assert!(kinds.contains(&"com.evil.spy".to_string()), "{kinds:?}");
    assert!(
        kinds.contains(&"/private/var/tmp/hooker".to_string()),
        "{kinds:?}"
    );
    // Jetsam: Diagnosticd (exact case).
    let j = by_file("Jetsam");
    assert_eq!(j.len(), 1);
    assert_eq!(r.records[0]["kind"], "jetsam", "records in path order");
    // Legacy text crash.
    assert_eq!(
        by_file("Panics/")
            .iter()
            .filter(|a| a.matched_indicator.is_some())
            .count(),
        1
    );
    assert_eq!(r.timeline.len(), 4);
}

#[test]
fn crash_reports_decoys_and_malformed() {
    let s = Sysdiagnose::new()
        .ips(
            "diagnosticd-2024.ips",
            &sd::ips_crash(
                "/usr/libexec/diagnosticd",
                None,
                "2024-05-20 10:11:12.3456 -0700",
                &[],
            ),
        )
        .ips(
            "UserEventAgent-2024.ips",
            &sd::ips_crash(
                "/usr/libexec/UserEventAgent",
                Some("com.notevil.spy"),
                "2024-05-20 10:11:12.3456 -0700",
                &["/private/var/tmp/l10n-cache.plist.dylib"],
            ),
        )
        .ips(
            "JetsamEvent-2.ips",
            &sd::ips_jetsam("2024-05-20 10:11:12.00 -0700", &["diagnosticd", "bhx"]),
        )
        .ips("broken.ips", "this is not a report\n{}");
    let r = run(&CrashReports::new(), &s);
    assert!(r.is_ok());
    assert_eq!(r.records.len(), 3);
    assert!(ioc_alerts(&r).is_empty(), "{:#?}", r.alerts);
    // The image under /private/var/tmp is unusual (MEDIUM), nothing else.
    assert_eq!(r.alerts.len(), 1, "{:#?}", r.alerts);
    assert_eq!(r.alerts[0].level, Level::Medium);
    assert!(r.outcome.warnings.iter().any(|w| w.contains("broken.ips")));
    // Only broken reports: the module fails naming the file.
    let r = run(
        &CrashReports::new(),
        &Sysdiagnose::new().ips("x.ips", "garbage"),
    );
    assert!(r.failed_with("x.ips"), "{:?}", r.outcome);
    assert!(run(&CrashReports::new(), &Sysdiagnose::new()).is_no_data());
}

// ---------------------------------------------------------------------------------------------------
// processes

#[test]
fn processes_union_and_checks() {
    let s = Sysdiagnose::new()
        .file(
            sd::PS,
            sd::ps_txt(&[
                ("root", 1, 0, "/sbin/launchd"),
                ("root", 29, 1, "/usr/libexec/UserEventAgent (System)"),
                ("mobile", 431, 1, &format!("{STAGING}/fmld -d")),
                ("mobile", 432, 1, "/var/tmp/UserEventAgent"),
                ("mobile", 433, 1, "/usr/libexec/diagnosticd"),
            ])
            .as_bytes(),
        )
        .file(
            sd::PS_THREAD,
            sd::ps_thread_txt(&[
                ("root", 1, "/sbin/launchd"),
                ("mobile", 431, &format!("{STAGING}/fmld -d")),
            ])
            .as_bytes(),
        )
        .file(
            sd::TASKINFO,
            sd::taskinfo_txt(&[("launchd", 1), ("fmld", 431), ("bh", 999)]).as_bytes(),
        )
        .file(
            sd::SPINDUMP,
            sd::spindump_txt(&[("fmld", 431, &format!("{STAGING}/fmld"))]).as_bytes(),
        );
    let r = run(&Processes, &s);
    assert!(r.is_ok(), "{:?}", r.outcome);
    let fmld: Vec<_> = r.records.iter().filter(|x| x["name"] == "fmld").collect();
    assert_eq!(
        fmld.len(),
        1,
        "one record per distinct process: {:#?}",
        r.records
    );
    assert_eq!(fmld[0]["sources"].as_array().unwrap().len(), 4);
    assert_eq!(r.records.len(), 6, "{:#?}", r.records);
    let iocs: Vec<_> = ioc_alerts(&r)
        .iter()
        .map(|a| a.matched_indicator.as_ref().unwrap().value.clone())
        .collect();
    assert_eq!(iocs.len(), 3, "{iocs:?}");
    for v in ["fmld", "/private/var/tmp/UserEventAgent", "bh"] {
        assert!(iocs.contains(&v.to_string()), "{v} in {iocs:?}");
    }
    let unusual: Vec<_> = r
        .alerts
        .iter()
        .filter(|a| a.message.contains("unusual location"))
        .collect();
    assert_eq!(unusual.len(), 2);
    assert!(unusual.iter().any(|a| a.level == Level::High));
    assert!(unusual.iter().any(|a| a.level == Level::Medium));
}

#[test]
fn processes_malformed_and_missing() {
    let r = run(
        &Processes,
        &Sysdiagnose::new().file(sd::PS, b"\x00\x01garbage without header\n"),
    );
    assert!(r.is_ok());
    assert!(r.records.is_empty());
    assert!(r.outcome.warnings.iter().any(|w| w.contains("ps.txt")));
    assert!(run(&Processes, &Sysdiagnose::new()).is_no_data());
}

// ---------------------------------------------------------------------------------------------------
// mobile_installation

#[test]
fn mobile_installation_positive_negative_malformed() {
    let log = sd::MobileInstallationLog::new()
        .install("Fri May 24 10:00:00 2024", "com.evil.spy")
        .install("Fri May 24 10:05:00 2024", "com.notevil.spy")
        .uninstall("Sat May 25 08:00:00 2024", "com.evil.spy")
        .other(
            "Sat May 25 08:01:00 2024",
            "Made container live for com.evil.spy at /private/var/containers/Bundle/Application/X",
        );
    let s = Sysdiagnose::new().file(sd::MOBILE_INSTALLATION, log.to_string().as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let top = s.write_folder(dir.path()).unwrap();
    let acq = open(&top);
    assert_eq!(acq.timezone().as_deref(), Some("-07:00"));
    let opts = telltale_core::RunOptions {
        timezone: acq.timezone(),
    };
    let out = telltale_core::MemoryOutput::default();
    let ctx = telltale_core::ModuleContext {
        evidence: acq.evidence(),
        iocs: &iocs(),
        options: &opts,
    };
    let o = telltale_core::engine::run_one(&MobileInstallation, &ctx, &out);
    assert_eq!(o.status, telltale_core::ModuleStatus::Ok, "{o:?}");
    let (records, alerts, timeline) = out.into_parts();
    assert_eq!(records.len(), 3, "{records:#?}");
    assert_eq!(records[0]["event"], "install");
    // 10:00 at UTC−7 is 17:00 UTC.
    assert_eq!(records[0]["timestamp"], "2024-05-24 17:00:00.000000");
    assert_eq!(timeline.len(), 3);
    assert_eq!(
        alerts.len(),
        2,
        "install and uninstall; the other lines name it again: {alerts:#?}"
    );
    assert!(
        alerts
            .iter()
            .all(|a| a.matched_indicator.as_ref().unwrap().value == "com.evil.spy")
    );
    // Malformed: not a log at all.
    let r = run(
        &MobileInstallation,
        &Sysdiagnose::new().file(sd::MOBILE_INSTALLATION, b"\x00\x01\x02 binary"),
    );
    assert!(r.failed_with("mobile_installation.log"), "{:?}", r.outcome);
    assert!(run(&MobileInstallation, &Sysdiagnose::new()).is_no_data());
}

// ---------------------------------------------------------------------------------------------------
// configuration_profiles, tcc, sysdiagnose_info through the kind's module list

fn module(acq: &dyn Acquisition, name: &str) -> Box<dyn Module> {
    acq.modules()
        .into_iter()
        .find(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no module {name}"))
}

fn run_kind(s: &Sysdiagnose, name: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let top = s.write_folder(dir.path()).unwrap();
    let acq = open(dir.path());
    let _ = top;
    run_on(module(acq.as_ref(), name).as_ref(), acq.evidence(), &iocs())
}

#[test]
fn profiles_tcc_and_info() {
    let s = Sysdiagnose::new()
        .file(
            "logs/MCState/Shared/profile-1a2b.stub",
            &sd::profile_stub(
                "76DAB334-9BD1-4A9F-A9A7-2C2D7C3F9C6A",
                "Wi-Fi",
                "com.x.wifi",
                1_700_000_000,
            ),
        )
        .file(
            "logs/MCState/Shared/profile-3c4d.stub",
            &sd::profile_stub(
                "76DAB334-9BD1-4A9F-A9A7-2C2D7C3F9C6B",
                "Work",
                "com.y.work",
                1_700_000_000,
            ),
        )
        .file(
            sd::TCC,
            &TccDb::new(IosVersion::V17)
                .access("kTCCServiceMicrophone", "com.evil.spy", 0, 2, 1_700_000_000)
                .access("kTCCServiceCamera", "com.notevil.spy", 0, 2, 1_700_000_000)
                .to_bytes(),
        );
    let p = run_kind(&s, "configuration_profiles");
    assert_eq!(p.records.len(), 2);
    assert_eq!(
        p.records[0]["file"],
        "logs/MCState/Shared/profile-1a2b.stub"
    );
    let hit = ioc_alerts(&p);
    assert_eq!(hit.len(), 1, "the decoy UUID differs by one character");
    assert!(hit[0].level >= Level::High);
    let t = run_kind(&s, "tcc");
    assert_eq!(t.records.len(), 2);
    assert_eq!(ioc_alerts(&t).len(), 1);
    let i = run_kind(&s, "sysdiagnose_info");
    assert_eq!(i.records.len(), 1);
    assert_eq!(i.records[0]["product_type"], "iPhone14,2");
    assert_eq!(i.records[0]["ios_version"], "17.5.1");
    assert_eq!(i.records[0]["build"], "21F90");
    assert_eq!(i.records[0]["creation_time"], "2024-05-24 20:29:15.000000");
    // 17.5.1 is not the latest iOS 17: outdated, as for backups.
    assert_eq!(i.at(Level::Medium).len(), 1);
    // Malformed: a corrupt stub and a corrupt TCC.db fail their modules, naming the file.
    let bad = Sysdiagnose::new()
        .file("logs/MCState/Shared/profile-x.stub", b"not a plist")
        .file(sd::TCC, &b"SQLite format 3\0".repeat(64));
    assert!(run_kind(&bad, "configuration_profiles").failed_with("profile-x.stub"));
    assert!(run_kind(&bad, "tcc").failed_with("TCC.db"));
    assert!(run_kind(&Sysdiagnose::new(), "tcc").is_no_data());
    assert!(run_kind(&Sysdiagnose::new(), "configuration_profiles").is_no_data());
}

#[test]
fn info_without_version_and_latest() {
    let s = Sysdiagnose::named("sysdiagnose_2026.08.01_10-00-00+0200_iPhone-OS_iPhone_23G80").file(
        sd::REMOTECTL,
        sd::remotectl_dumpstate("iPhone17,1", "26.6.1", "23G80", "X").as_bytes(),
    );
    let i = run_kind(&s, "sysdiagnose_info");
    assert!(i.alerts.is_empty(), "latest iOS: {:#?}", i.alerts);
    let s = Sysdiagnose::named("sysdiagnose_2026.08.01_10-00-00+0200_iPhone-OS_iPhone_23G80")
        .file("sysdiagnose.log", b"started");
    let i = run_kind(&s, "sysdiagnose_info");
    assert_eq!(i.records[0]["build"], "23G80");
    assert!(i.outcome.warnings.iter().any(|w| w.contains("not known")));
}

// ---------------------------------------------------------------------------------------------------
// The kind

#[test]
fn kind_recognises_folders() {
    let dir = tempfile::tempdir().unwrap();
    let s = Sysdiagnose::new()
        .outside(&format!("._{}", sd::DEFAULT_NAME), b"appledouble")
        .outside("__MACOSX/x", b"noise")
        .outside(
            &format!("{}.tar.gz", sd::DEFAULT_NAME),
            b"the archive it came from",
        );
    let top = s.write_folder(dir.path()).unwrap();
    for p in [dir.path(), top.as_path()] {
        let acq = open(p);
        assert_eq!(acq.kind(), "ios-sysdiagnose");
        assert!(
            acq.evidence().exists("remotectl_dumpstate.txt"),
            "rooted at the top folder"
        );
        let facts = acq.facts();
        assert!(
            facts
                .iter()
                .any(|f| f.key == "Build Version" && f.value == "21F90")
        );
        assert!(
            facts
                .iter()
                .any(|f| f.key == "Product Type" && f.value == "iPhone14,2")
        );
        let cov = acq.coverage();
        assert!(
            cov.iter()
                .any(|c| c.contains("logarchive") && c.contains("not analysed")),
            "{cov:?}"
        );
        assert!(
            cov.iter()
                .any(|c| c.contains("TCC") && c.contains("not in the archive")),
            "{cov:?}"
        );
        assert_eq!(acq.modules().len(), 7);
    }
}

#[test]
fn kind_refuses_what_is_not_a_sysdiagnose() {
    let dir = tempfile::tempdir().unwrap();
    // No sysdiagnose folder: not this kind.
    std::fs::write(dir.path().join("ps.txt"), b"x").unwrap();
    assert!(
        IosSysdiagnoseKind
            .open(dir.path(), &OpenOptions::default())
            .unwrap()
            .is_none()
    );
    // A sysdiagnose folder beside another folder: not this kind.
    let d2 = tempfile::tempdir().unwrap();
    Sysdiagnose::new().write_folder(d2.path()).unwrap();
    std::fs::create_dir_all(d2.path().join("other")).unwrap();
    std::fs::write(d2.path().join("other/f"), b"x").unwrap();
    assert!(
        IosSysdiagnoseKind
            .open(d2.path(), &OpenOptions::default())
            .unwrap()
            .is_none()
    );
    // Two sysdiagnoses: an error naming both.
    let d3 = tempfile::tempdir().unwrap();
    Sysdiagnose::new().write_folder(d3.path()).unwrap();
    Sysdiagnose::named("sysdiagnose_2024.05.25_13-29-15-0700_iPhone-OS_iPhone_21F90")
        .file("ps.txt", b"x")
        .write_folder(d3.path())
        .unwrap();
    let e = IosSysdiagnoseKind
        .open(d3.path(), &OpenOptions::default())
        .err()
        .unwrap();
    assert!(e.to_string().contains("2 sysdiagnose folders"), "{e}");
    // Named like one but empty of its files: an error.
    let d4 = tempfile::tempdir().unwrap();
    let top = Sysdiagnose::named(sd::DEFAULT_NAME)
        .file("random.txt", b"x")
        .write_folder(d4.path())
        .unwrap();
    assert!(
        IosSysdiagnoseKind
            .open(&top, &OpenOptions::default())
            .is_err()
    );
    // A plain file: not this kind.
    let f = dir.path().join("x.tar.gz");
    std::fs::write(&f, b"not an archive").unwrap();
    assert!(
        IosSysdiagnoseKind
            .open(&f, &OpenOptions::default())
            .unwrap()
            .is_none()
    );
    let _ = Arc::new(0);
    let _ = sysdiagnose::TCC_PATH;
}

#[test]
fn mobile_installation_mention_without_event() {
    let log = sd::MobileInstallationLog::new().other(
        "Fri May 24 10:00:00 2024",
        "Made container live for com.evil.spy at /private/var/containers/Bundle/Application/X",
    );
    let r = run(
        &MobileInstallation,
        &Sysdiagnose::new().file(sd::MOBILE_INSTALLATION, log.to_string().as_bytes()),
    );
    assert_eq!(r.records.len(), 1);
    assert_eq!(r.records[0]["event"], "mention");
    assert_eq!(ioc_alerts(&r).len(), 1);
}
