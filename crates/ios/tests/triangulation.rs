//! The Operation Triangulation heuristic: co-occurring file, network, SMS-attachment and location events.

#[path = "common/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::run_on as run;
use telltale_core::{Level, ModuleStatus};
use telltale_ioc::IocIndex;
use telltale_ios::BackupEvidence;
use telltale_ios::modules::triangulation::Triangulation;
use telltale_testkit::ios_backup::{BackupBuilder, MbFileMeta};
use telltale_testkit::ios_dbs::{DataUsageDb, IosVersion};

/// 2023-03-01 12:00:00 UTC.
const T: i64 = 1_677_672_000;
const MAC: f64 = (T - 978_307_200) as f64;

fn meta(modified: i64, changed: i64, birth: i64) -> MbFileMeta {
    MbFileMeta {
        last_modified: modified,
        last_status_change: changed,
        birth,
        ..MbFileMeta::default()
    }
}

fn datausage(process: &str, at_mac: f64) -> Vec<u8> {
    DataUsageDb::new(IosVersion::V16)
        .process(process, None, at_mac, at_mac)
        .usage(1, at_mac, 0.0, 0.0, 1000.0, 1000.0)
        .to_bytes()
}

#[test]
fn imageio_change_and_backupagent_traffic_within_minutes_is_flagged() {
    let t = BackupBuilder::new()
        .add_file_meta(
            "RootDomain",
            "Library/Preferences/com.apple.ImageIO.plist",
            b"<plist/>",
            meta(T, T + 5, T - 86_400 * 30),
        )
        .add_file(
            "WirelessDomain",
            "Library/Databases/DataUsage.sqlite",
            datausage("BackupAgent", MAC + 60.0),
        )
        .build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    let r = run(&Triangulation, &ev, &IocIndex::empty());
    assert_eq!(r.outcome.status, ModuleStatus::Ok);
    let medium = r.at(Level::Medium);
    assert_eq!(medium.len(), 1, "{:?}", r.alerts);
    assert!(
        medium[0].message.contains("file + net"),
        "{}",
        medium[0].message
    );
    assert!(medium[0].message.contains("Operation Triangulation"));
    assert!(r.severe().is_empty());
    assert_eq!(r.records.len(), 1);
    assert!(r.records[0]["events"].to_string().contains("BackupAgent"));
}

#[test]
fn sms_attachment_folder_and_traffic_is_flagged_but_a_real_attachment_cancels_it() {
    let folder = BackupBuilder::new()
        .add_file_meta(
            "MediaDomain",
            "Library/SMS/Attachments/0a",
            b"",
            meta(T, T + 1, T - 86_400),
        )
        .add_file(
            "WirelessDomain",
            "Library/Databases/DataUsage.sqlite",
            datausage("nehelper", MAC + 30.0),
        )
        .build();
    let r = run(
        &Triangulation,
        &BackupEvidence::open(folder.path()).unwrap(),
        &IocIndex::empty(),
    );
    assert_eq!(r.at(Level::Medium).len(), 1, "{:?}", r.alerts);
    assert!(r.at(Level::Medium)[0].message.contains("net + sms"));

    // The same, with an ordinary attachment file received in that minute: a normal message.
    let normal = BackupBuilder::new()
        .add_file_meta(
            "MediaDomain",
            "Library/SMS/Attachments/0a",
            b"",
            meta(T, T + 1, T - 86_400),
        )
        .add_file_meta(
            "MediaDomain",
            "Library/SMS/Attachments/0a/00/ABCD-1234/IMG_0001.jpeg",
            b"jpeg",
            meta(T + 2, T + 2, T + 2),
        )
        .add_file(
            "WirelessDomain",
            "Library/Databases/DataUsage.sqlite",
            datausage("nehelper", MAC + 30.0),
        )
        .build();
    let r = run(
        &Triangulation,
        &BackupEvidence::open(normal.path()).unwrap(),
        &IocIndex::empty(),
    );
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);
}

#[test]
fn events_far_apart_or_of_one_class_raise_nothing() {
    // File change and traffic a day apart.
    let apart = BackupBuilder::new()
        .add_file_meta(
            "RootDomain",
            "Library/Preferences/com.apple.ImageIO.plist",
            b"<plist/>",
            meta(T, T, T - 86_400 * 30),
        )
        .add_file(
            "WirelessDomain",
            "Library/Databases/DataUsage.sqlite",
            datausage("BackupAgent", MAC + 86_400.0),
        )
        .build();
    let r = run(
        &Triangulation,
        &BackupEvidence::open(apart.path()).unwrap(),
        &IocIndex::empty(),
    );
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);

    // Only network events (one class).
    let one = BackupBuilder::new()
        .add_file(
            "WirelessDomain",
            "Library/Databases/DataUsage.sqlite",
            datausage("nehelper", MAC),
        )
        .build();
    let r = run(
        &Triangulation,
        &BackupEvidence::open(one.path()).unwrap(),
        &IocIndex::empty(),
    );
    assert!(r.alerts.is_empty());

    // Nothing relevant at all.
    let none = BackupBuilder::new().build();
    let r = run(
        &Triangulation,
        &BackupEvidence::open(none.path()).unwrap(),
        &IocIndex::empty(),
    );
    assert!(matches!(r.outcome.status, ModuleStatus::NoData(_)));
}

#[test]
fn a_garbage_datausage_database_is_a_clear_error() {
    let t = BackupBuilder::new()
        .add_file(
            "WirelessDomain",
            "Library/Databases/DataUsage.sqlite",
            vec![0x42u8; 4096],
        )
        .build();
    let r = run(
        &Triangulation,
        &BackupEvidence::open(t.path()).unwrap(),
        &IocIndex::empty(),
    );
    assert!(r.failed_with("DataUsage.sqlite"), "{:?}", r.outcome.status);
}
