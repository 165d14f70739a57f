//! The filesystem-dump modules on testkit dumps: positive, negative (the decoys of the issue and the
//! spec) and malformed cases for each.

#[allow(dead_code)]
#[path = "common/harness.rs"]
mod harness;

use harness::{Run, run_on};
use telltale_core::{Acquisition, AcquisitionKind, Level, Module, OpenOptions};
use telltale_ioc::{IndicatorKind as K, IocIndex};
use telltale_ios::IosFsKind;
use telltale_ios::modules::{
    analytics::Analytics, analytics_ios_versions::AnalyticsIosVersions, cache_files::CacheFiles,
    datausage::Datausage, filesystem::Filesystem, ios_version_history::IosVersionHistory,
    nested_sysdiagnose::NestedSysdiagnose, netusage::Netusage, safari_favicon::SafariFavicon,
    webkit_indexeddb::WebkitIndexedDb, webkit_local_storage::WebkitLocalStorage,
    webkit_safari_view_service::WebkitSafariViewService, webkit_website_data::WebkitWebsiteData,
};
use telltale_testkit::ios_dbs::DataUsageDb;
use telltale_testkit::ios_fs::{Dump, DumpLayout, macho};
use telltale_testkit::ios_fs_dbs::{
    CacheDb, FaviconsDb, SfAnalyticsDb, analytics_journal, sf_event, webkit_origin_file,
};

struct Opened {
    _dir: tempfile::TempDir,
    acq: Box<dyn Acquisition>,
}

fn open(d: &Dump) -> Opened {
    let dir = tempfile::tempdir().unwrap();
    let p = d
        .write_dir(&dir.path().join("dump"), &DumpLayout::Plain)
        .unwrap();
    let acq = IosFsKind
        .open(&p, &OpenOptions::default())
        .unwrap()
        .expect("a dump");
    Opened { _dir: dir, acq }
}

fn run(m: &dyn Module, d: &Dump, iocs: &IocIndex) -> Run {
    let o = open(d);
    run_on(m, o.acq.evidence(), iocs)
}

fn idx(v: &[(K, &str)]) -> IocIndex {
    IocIndex::from_values(v, "Pegasus")
}

fn matched(r: &Run) -> Vec<String> {
    r.alerts
        .iter()
        .filter_map(|a| a.matched_indicator.as_ref().map(|m| m.value.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// filesystem

#[test]
fn filesystem_paths_names_and_process_components() {
    let d = Dump::new()
        .file("private/var/tmp/hooker", b"x")
        .file("private/var/tmp/l/a.plist", b"x")
        .file("private/var/tmp/l/b.plist", b"x")
        .file("private/var/tmp/l10n-cache.plist", b"x")
        .executable("usr/libexec/UserEventAgent")
        .executable("usr/libexec/diagnosticd")
        .file(
            "private/var/db/com.apple.xpc.roleaccountd.staging/fmld",
            b"x",
        )
        .file("private/var/mobile/Library/keychain_dump.txt", b"x");
    let iocs = idx(&[
        (K::FilePath, "/private/var/tmp/hooker"),
        (K::FilePath, "/private/var/tmp/l/"),
        (K::FilePath, "/private/var/tmp/UserEventAgent"),
        (K::FileName, "keychain_dump.txt"),
        (K::ProcessName, "fmld"),
        (K::ProcessName, "Diagnosticd"),
    ]);
    let r = run(&Filesystem, &d, &iocs);
    assert!(r.is_ok());
    let high = r.at(Level::High);
    let mut m: Vec<String> = high
        .iter()
        .map(|a| a.matched_indicator.as_ref().unwrap().value.clone())
        .collect();
    m.sort();
    assert_eq!(
        m,
        vec![
            "/private/var/tmp/hooker",
            "/private/var/tmp/l/",
            "fmld",
            "keychain_dump.txt"
        ],
        "{:#?}",
        r.alerts
    );
    // The folder indicator is reported once, on the folder, not for each file below it.
    let l = high
        .iter()
        .find(|a| a.matched_indicator.as_ref().unwrap().value == "/private/var/tmp/l/")
        .unwrap();
    assert_eq!(l.event["path"], "/private/var/tmp/l");
    // Every entry is a record with an absolute path and its time.
    let rec = r
        .records
        .iter()
        .find(|x| x["path"] == "/private/var/tmp/hooker")
        .unwrap();
    assert_eq!(rec["modified"], "2023-11-14 22:13:20.000000");
    assert_eq!(rec["type"], "file");
    assert!(
        r.records
            .iter()
            .any(|x| x["path"] == "/private/var/tmp/l" && x["type"] == "dir")
    );
    assert_eq!(r.timeline.len(), r.records.len());
}

#[test]
fn filesystem_unusual_locations() {
    let d = Dump::new()
        .dir("private/var/db/com.apple.xpc.roleaccountd.staging")
        .executable("private/var/tmp/UserEventAgent")
        .file("private/var/tmp/script", b"#!/bin/sh\necho\n")
        .file("private/var/tmp/com.apple.cache.plist", b"bplist00")
        .file_with("private/var/tmp/x-but-text", b"hello", 1, 0o755);
    let r = run(&Filesystem, &d, &idx(&[]));
    let med = r.at(Level::Medium);
    let paths: Vec<&str> = med
        .iter()
        .map(|a| a.event["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec!["/private/var/tmp/UserEventAgent", "/private/var/tmp/script"],
        "{:#?}",
        r.alerts
    );
    assert!(med.iter().all(|a| a.message.contains("unusual location")));
    // An empty staging folder is not a finding; a file in it is.
    assert!(r.alerts.len() == 2);
    let d = Dump::new().file(
        "private/var/db/com.apple.xpc.roleaccountd.staging/com.apple.WebKit.Networking",
        &macho(),
    );
    let r = run(&Filesystem, &d, &idx(&[]));
    let med = r.at(Level::Medium);
    assert_eq!(med.len(), 1);
    assert!(med[0].message.contains("unusual location"));
    assert!(r.severe().is_empty());
}

#[test]
fn filesystem_of_an_archive_with_refused_members_and_links() {
    // Links are listed (never followed); the walk covers a tar just as a folder.
    let d = Dump::new()
        .symlink("private/var/mobile/evil-link", "/etc/passwd")
        .file("private/var/mobile/a.txt", b"x");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.tar");
    d.write_tar(&p, &DumpLayout::Absolute).unwrap();
    let acq = IosFsKind
        .open(&p, &OpenOptions::default())
        .unwrap()
        .unwrap();
    let r = run_on(
        &Filesystem,
        acq.evidence(),
        &idx(&[(K::FileName, "evil-link")]),
    );
    let link = r
        .records
        .iter()
        .find(|x| x["path"] == "/private/var/mobile/evil-link")
        .unwrap();
    assert_eq!(link["type"], "symlink");
    assert_eq!(link["link"], "/etc/passwd");
    assert_eq!(r.at(Level::High).len(), 1);
    assert!(acq.evidence().read("private/var/mobile/evil-link").is_err());
}

// ---------------------------------------------------------------------------------------------------
// cache_files

#[test]
fn cache_files_hosts_match_and_search_urls_do_not() {
    let cache = CacheDb::new()
        .response("https://sub.evil.com/exploit.js", "2021-07-01 10:00:00")
        .response(
            "https://www.google.com/search?q=evil.com",
            "2021-07-01 10:01:00",
        )
        .response("https://notevil.com/", "2021-07-01 10:02:00")
        .to_bytes();
    let d = Dump::new()
        .app_file(
            "com.example.app",
            "Library/Caches/com.example.app/Cache.db",
            &cache,
        )
        .app_file(
            "com.other.app",
            "Library/Caches/com.other.app/Cache.db",
            &CacheDb::new().to_bytes(),
        );
    let r = run(&CacheFiles, &d, &idx(&[(K::Domain, "evil.com")]));
    assert!(r.is_ok());
    assert_eq!(r.records.len(), 3);
    assert_eq!(matched(&r), vec!["evil.com"]);
    let c = r.at(Level::Critical);
    assert_eq!(c[0].event["url"], "https://sub.evil.com/exploit.js");
    assert_eq!(c[0].event["isodate"], "2021-07-01 10:00:00.000000");
    assert!(
        c[0].event["cache_file"]
            .as_str()
            .unwrap()
            .ends_with("/Cache.db")
    );
}

#[test]
fn cache_files_malformed_and_absent() {
    let d = Dump::new().file(
        "private/var/mobile/Library/Caches/x/Cache.db",
        &[0x41; 4096],
    );
    let r = run(&CacheFiles, &d, &idx(&[]));
    assert!(r.failed_with("Cache.db"), "{:?}", r.outcome.status);
    assert!(run(&CacheFiles, &Dump::new(), &idx(&[])).is_no_data());
}

// ---------------------------------------------------------------------------------------------------
// netusage (and datausage on a dump: the same implementation)

fn usage() -> DataUsageDb {
    DataUsageDb::netusage()
        .process(
            "com.apple.WebKit.Networking",
            Some("com.apple.mobilesafari"),
            6e8,
            6e8,
        )
        .process("bh", None, 6.1e8, 6.1e8)
        .process("UserEventAgent", None, 6e8, 6e8)
        .process("roleaccountd", None, 6.2e8, 6.2e8)
        .usage(2, 6.1e8, 0.0, 0.0, 10.0, 10.0)
}

#[test]
fn netusage_indicators_orphans_and_z_max() {
    let db = usage()
        .process("gone", None, 6.3e8, 6.3e8)
        .usage(5, 6.3e8, 0.0, 0.0, 1.0, 1.0)
        .delete_process(5)
        .z_max(7)
        .to_bytes();
    let d = Dump::new().file(DataUsageDb::NETUSAGE_PATH, &db);
    let r = run(&Netusage, &d, &idx(&[(K::ProcessName, "bh")]));
    assert!(r.is_ok(), "{:?}", r.outcome.status);
    assert_eq!(matched(&r), vec!["bh"]);
    assert_eq!(r.at(Level::Critical).len(), 1);
    // The usage row of the deleted process 5: HIGH.
    let high = r.at(Level::High);
    assert_eq!(high.len(), 1, "{:#?}", r.alerts);
    assert_eq!(high[0].event["live_proc_id"], 5);
    // Z_MAX 7 above the last process row 4: LOW, ids 5 to 7.
    let low = r.at(Level::Low);
    assert!(
        low.iter()
            .any(|a| a.message.contains("Z_PRIMARYKEY") && a.event["z_max"] == 7),
        "{low:#?}"
    );
    // No system volume: binaries are not looked up, and the run says so.
    assert!(r.at(Level::Medium).is_empty());
    assert!(
        r.outcome
            .not_checked
            .iter()
            .any(|n| n.contains("system volume")),
        "{:?}",
        r.outcome.not_checked
    );
}

#[test]
fn netusage_binary_not_found_only_with_the_system_volume() {
    let d = Dump::new()
        .system_volume("17.5.1", "21F90")
        .file("private/var/networkd/netusage.sqlite", &usage().to_bytes());
    let r = run(&Netusage, &d, &idx(&[]));
    let med = r.at(Level::Medium);
    let names: Vec<&str> = med
        .iter()
        .map(|a| a.event["proc_name"].as_str().unwrap())
        .collect();
    // UserEventAgent is in /usr/libexec; bh and roleaccountd are nowhere.
    assert_eq!(names, vec!["bh", "roleaccountd"], "{med:#?}");
    assert!(r.outcome.not_checked.is_empty());
    // DataUsage.sqlite on the same dump gets the same check (one implementation).
    let d = d.file(
        "private/var/wireless/Library/Databases/DataUsage.sqlite",
        &usage().to_bytes(),
    );
    let r = run(&Datausage, &d, &idx(&[]));
    assert_eq!(r.at(Level::Medium).len(), 2);
}

#[test]
fn netusage_malformed_and_absent() {
    let d = Dump::new().file("private/var/networkd/netusage.sqlite", &[0xAB; 8192]);
    assert!(run(&Netusage, &d, &idx(&[])).failed_with("netusage.sqlite"));
    assert!(run(&Netusage, &Dump::new(), &idx(&[])).is_no_data());
}

// ---------------------------------------------------------------------------------------------------
// analytics, analytics_ios_versions, ios_version_history

fn analytics_db() -> Vec<u8> {
    SfAnalyticsDb::new()
        .event(
            "hard_failures",
            1_625_140_800.0,
            sf_event(
                "ckksTrust",
                1_625_140_800_000,
                "18F72",
                &[("process", "bh".into())],
            ),
        )
        .event(
            "notes",
            1_625_227_200.0,
            sf_event(
                "networkingNote",
                1_625_227_200_000,
                "18G82",
                &[("domain", "https://c2.evil.com/p".into())],
            ),
        )
        .event(
            "soft_failures",
            1_625_000_000.0,
            sf_event(
                "text",
                1_625_000_000_000,
                "18F72",
                &[
                    ("reason", "could not reach evil.com in time".into()),
                    ("peer", "notevil.com".into()),
                    ("daemon", "diagnosticd".into()),
                ],
            ),
        )
        .to_bytes()
}

#[test]
fn analytics_reads_notes_and_matches_values() {
    let d = Dump::new().file(
        "private/var/Keychains/Analytics/ckks_analytics.db",
        &analytics_db(),
    );
    let iocs = idx(&[
        (K::ProcessName, "bh"),
        (K::ProcessName, "Diagnosticd"),
        (K::Domain, "evil.com"),
    ]);
    let r = run(&Analytics, &d, &iocs);
    assert!(r.is_ok());
    assert_eq!(r.records.len(), 3);
    let c = r.at(Level::Critical);
    let tables: Vec<&str> = c
        .iter()
        .map(|a| a.event["table"].as_str().unwrap())
        .collect();
    assert_eq!(tables.len(), 2, "{c:#?}");
    assert!(tables.contains(&"hard_failures"));
    assert!(tables.contains(&"notes"), "MVT never reads notes");
    let note = r.records.iter().find(|x| x["table"] == "notes").unwrap();
    assert_eq!(note["isodate"], "2021-07-02 12:00:00.000000");
    assert_eq!(note["artifact"], "ckks_analytics.db");
}

#[test]
fn analytics_malformed_and_versions() {
    let d = Dump::new()
        .file("private/var/Keychains/Analytics/bad.db", &[1u8; 4096])
        .file(
            "private/var/Keychains/Analytics/ckks_analytics.db",
            &analytics_db(),
        );
    let r = run(&Analytics, &d, &idx(&[]));
    assert!(r.is_ok(), "one bad database does not stop the others");
    assert!(!r.outcome.warnings.is_empty());
    let d = Dump::new()
        .file(
            "private/var/Keychains/Analytics/ckks_analytics.db",
            &analytics_db(),
        )
        .file(
            "private/var/db/analyticsd/Analytics-Journal-1.ips",
            &analytics_journal("2021-06-30 12:00:00.00 +0200", "iPhone OS 14.6 (18F72)"),
        );
    let r = run(&AnalyticsIosVersions, &d, &idx(&[]));
    assert_eq!(r.records.len(), 2);
    assert_eq!(r.records[0]["build"], "18F72");
    assert_eq!(r.records[0]["version"], "14.6");
    assert_eq!(r.records[0]["isodate"], "2021-06-29 20:53:20.000000");
    assert!(r.records[1]["version"].is_null());
}

#[test]
fn ios_version_history_and_outdated_ios() {
    let d = Dump::new()
        .file(
            "private/var/db/analyticsd/Analytics-Journal-1.ips",
            &analytics_journal("2021-06-30 12:00:00.00 +0200", "iPhone OS 14.6 (18F72)"),
        )
        .file(
            "private/var/db/analyticsd/Analytics-Journal-2.ips",
            &analytics_journal("2021-08-01 09:30:00.50 -0700", "iPhone OS 14.7.1 (18G82)"),
        );
    let r = run(&IosVersionHistory, &d, &idx(&[]));
    assert_eq!(r.records.len(), 2);
    let r2 = r.records.iter().find(|x| x["build"] == "18G82").unwrap();
    assert_eq!(r2["isodate"], "2021-08-01 16:30:00.500000");
    assert_eq!(r2["version"], "14.7.1");
    assert_eq!(r.alerts.len(), 1, "iOS 14.7.1 is outdated");
    assert!(r.alerts[0].message.contains("14.7.1"));
    let d = Dump::new().file(
        "private/var/db/analyticsd/Analytics-Journal-1.ips",
        b"not json\n",
    );
    assert!(run(&IosVersionHistory, &d, &idx(&[])).failed_with("Analytics-Journal-1.ips"));
}

// ---------------------------------------------------------------------------------------------------
// safari_favicon

#[test]
fn safari_favicon_pages_icons_and_rejected() {
    let db = FaviconsDb::new()
        .icon(
            "https://en.wikipedia.org/wiki/NSO",
            "https://en.wikipedia.org/favicon.ico",
            646_747_200,
        )
        .icon(
            "https://landing.example.org/",
            "https://cdn.evil.com/fav.ico",
            646_747_300,
        )
        .rejected(
            "https://sub.evil.com/x",
            "https://sub.evil.com/favicon.ico",
            1_625_140_800,
        )
        .icon(
            "https://notevil.com/",
            "https://notevil.com/i.ico",
            646_747_400,
        )
        .to_bytes();
    let d = Dump::new().app_file("com.apple.mobilesafari", FaviconsDb::CONTAINER_PATH, &db);
    let r = run(&SafariFavicon, &d, &idx(&[(K::Domain, "evil.com")]));
    assert_eq!(r.records.len(), 4);
    let c = r.at(Level::Critical);
    assert_eq!(c.len(), 2, "{c:#?}");
    assert!(c.iter().any(|a| a.event["type"] == "rejected"));
    let rej = r.records.iter().find(|x| x["type"] == "rejected").unwrap();
    // A Unix time (past 978307200) is read as Unix.
    assert_eq!(rej["isodate"], "2021-07-01 12:00:00.000000");
    assert_eq!(r.records[0]["isodate"], "2021-06-30 12:00:00.000000");
    let d = Dump::new().file(FaviconsDb::PATH, b"SQLite format 3\0broken");
    assert!(run(&SafariFavicon, &d, &idx(&[])).failed().is_some());
}

// ---------------------------------------------------------------------------------------------------
// webkit folders

#[test]
fn webkit_origin_folders() {
    let d = Dump::new()
        .app_file(
            "com.example.app",
            "Library/WebKit/WebsiteData/IndexedDB/https_evil.com_0/IndexedDB.sqlite3",
            b"x",
        )
        .app_file(
            "com.example.app",
            "Library/WebKit/WebsiteData/IndexedDB/v1/https_sub.evil.com_0/IndexedDB.sqlite3",
            b"x",
        )
        .app_file(
            "com.example.app",
            "Library/WebKit/WebsiteData/IndexedDB/https_notevil.com_0/x",
            b"x",
        )
        .app_file(
            "com.example.app",
            "Library/WebKit/WebsiteData/LocalStorage/https_evil.com_0.localstorage",
            b"x",
        )
        .app_file(
            "com.example.app",
            "Library/WebKit/WebsiteData/LocalStorage/StorageTracker.db",
            b"x",
        )
        .app_file(
            "com.apple.mobilesafari",
            "SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/http_evil.com_0",
            b"x",
        );
    let iocs = idx(&[(K::Domain, "evil.com")]);
    let r = run(&WebkitIndexedDb, &d, &iocs);
    assert_eq!(r.records.len(), 3);
    assert_eq!(r.at(Level::Critical).len(), 2, "v1/ origins too");
    let r = run(&WebkitLocalStorage, &d, &iocs);
    assert_eq!(r.records.len(), 1);
    assert_eq!(r.records[0]["url"], "https://evil.com");
    assert_eq!(r.at(Level::Critical).len(), 1);
    let r = run(&WebkitSafariViewService, &d, &iocs);
    assert_eq!(r.records[0]["url"], "http://evil.com");
    assert_eq!(r.at(Level::Critical).len(), 1);
    assert!(run(&WebkitLocalStorage, &Dump::new(), &iocs).is_no_data());
}

#[test]
fn webkit_website_data_in_the_current_layout() {
    const D: &str = "Library/WebKit/WebsiteData/Default";
    let evil = webkit_origin_file(("https", "evil.com", None), ("https", "evil.com", None));
    // A site embedded in another: the frame's origin is the record's, both are checked.
    let framed = webkit_origin_file(
        ("https", "news.example", None),
        ("https", "cdn.evil.com", Some(8443)),
    );
    let decoy = webkit_origin_file(
        ("https", "notevil.com", None),
        ("https", "notevil.com", None),
    );
    let d = Dump::new()
        .app_file("com.example.app", &format!("{D}/9F2A/77C1/origin"), &evil)
        .app_file(
            "com.example.app",
            &format!("{D}/9F2A/77C1/LocalStorage/localstorage.sqlite3"),
            b"x",
        )
        .app_file(
            "com.example.app",
            &format!("{D}/9F2A/77C1/IndexedDB/x/y"),
            b"x",
        )
        .app_file("com.example.app", &format!("{D}/0B3D/0B3D/origin"), &decoy)
        .app_file(
            "com.apple.mobilesafari",
            &format!("SystemData/com.apple.SafariViewService/{D}/51AA/02BC/origin"),
            &framed,
        )
        // Not an origin file: a warning, nothing read from it.
        .app_file(
            "com.example.app",
            &format!("{D}/DEAD/BEEF/origin"),
            &[0xff; 40],
        );
    let r = run(&WebkitWebsiteData, &d, &idx(&[(K::Domain, "evil.com")]));
    assert!(r.is_ok(), "{:?}", r.outcome);
    assert_eq!(r.records.len(), 3, "{:?}", r.records);
    let urls: Vec<&str> = r
        .records
        .iter()
        .map(|x| x["url"].as_str().unwrap())
        .collect();
    assert!(urls.contains(&"https://evil.com"));
    assert!(urls.contains(&"https://notevil.com"));
    assert!(urls.contains(&"https://cdn.evil.com:8443"));
    let evil_rec = r
        .records
        .iter()
        .find(|x| x["url"] == "https://evil.com")
        .unwrap();
    assert_eq!(
        evil_rec["storage"],
        serde_json::json!(["IndexedDB", "LocalStorage"])
    );
    let framed_rec = r
        .records
        .iter()
        .find(|x| x["top_origin"] == "https://news.example")
        .unwrap();
    assert_eq!(framed_rec["url"], "https://cdn.evil.com:8443");
    // evil.com and the embedded cdn.evil.com: CRITICAL; notevil.com and news.example: nothing.
    assert_eq!(r.at(Level::Critical).len(), 2, "{:?}", r.alerts);
    assert_eq!(r.alerts.len(), 2);
    assert!(
        r.outcome
            .warnings
            .iter()
            .any(|w| w.contains("DEAD/BEEF/origin")),
        "{:?}",
        r.outcome.warnings
    );
    assert!(run(&WebkitWebsiteData, &Dump::new(), &idx(&[])).is_no_data());
}

// ---------------------------------------------------------------------------------------------------
// nested sysdiagnose

#[test]
fn a_sysdiagnose_kept_in_the_dump_is_checked_and_named() {
    use telltale_testkit::sysdiagnose::{SHUTDOWN_LOG, ShutdownLog, Sysdiagnose};
    let sd = Sysdiagnose::new().file(
        SHUTDOWN_LOG,
        ShutdownLog::new()
            .notice(
                1.0,
                &[(
                    400,
                    "/private/var/db/com.apple.xpc.roleaccountd.staging/com.apple.WebKit.Networking",
                )],
            )
            .sigterm(1_650_000_000)
            .to_string()
            .as_bytes(),
    );
    let dir = tempfile::tempdir().unwrap();
    let tgz = dir.path().join("sd.tar.gz");
    sd.write_tar_gz(&tgz).unwrap();
    let name = "sysdiagnose_2024.05.24_13-29-15-0700_iPhone-OS_iPhone_21F90.tar.gz";
    let d = Dump::new()
        .file(
            &format!("private/var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose/{name}"),
            &std::fs::read(&tgz).unwrap(),
        )
        .file(
            "private/var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose/sysdiagnose_broken.tar.gz",
            b"\x1f\x8bnot really",
        );
    // Checked the same in a folder and in a .tar.gz dump (an archive inside an archive).
    for layout_tgz in [false, true] {
        let iocs = idx(&[]);
        let r = if layout_tgz {
            let p = dir.path().join("dump.tar.gz");
            d.write_tar_gz(&p, &DumpLayout::Ufed).unwrap();
            let acq = IosFsKind
                .open(&p, &OpenOptions::default())
                .unwrap()
                .unwrap();
            run_on(&NestedSysdiagnose, acq.evidence(), &iocs)
        } else {
            run(&NestedSysdiagnose, &d, &iocs)
        };
        assert!(r.is_ok(), "{:?}", r.outcome.status);
        let unusual: Vec<_> = r
            .alerts
            .iter()
            .filter(|a| a.message.contains("unusual location"))
            .collect();
        assert!(!unusual.is_empty(), "{:#?}", r.alerts);
        let a = unusual[0];
        assert!(
            a.message.starts_with("In the sysdiagnose sysdiagnose_2024"),
            "{}",
            a.message
        );
        assert!(a.event["sysdiagnose"].as_str().unwrap().ends_with(name));
        assert_eq!(a.event["sysdiagnose_module"], "shutdown_log");
        assert!(
            r.outcome
                .warnings
                .iter()
                .any(|w| w.contains("sysdiagnose_broken")),
            "{:?}",
            r.outcome.warnings
        );
    }
    assert!(run(&NestedSysdiagnose, &Dump::new(), &idx(&[])).is_no_data());
}
