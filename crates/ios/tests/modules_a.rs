//! backup_info, configuration_profiles, manifest, profile_events, applications, global_preferences:
//! positive, negative and malformed cases on testkit backups read through BackupEvidence.

#[allow(dead_code)]
#[path = "common/harness.rs"]
mod harness;

use harness::run_on as run;
use plist::{Dictionary, Value};
use telltale_core::{Level, ModuleStatus};
use telltale_ioc::{IndicatorKind, IocIndex};
use telltale_ios::BackupEvidence;
use telltale_ios::modules::{
    applications::Applications, backup_info::BackupInfo,
    configuration_profiles::ConfigurationProfiles, global_preferences::GlobalPreferences,
    manifest::Manifest, profile_events::ProfileEvents,
};
use telltale_testkit::ios_backup::{BackupBuilder, MbFileMeta};

fn plist_bytes(d: Dictionary) -> Vec<u8> {
    let mut b = Vec::new();
    Value::Dictionary(d).to_writer_xml(&mut b).unwrap();
    b
}

fn date(secs: u64) -> Value {
    Value::Date((std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)).into())
}

fn dict(pairs: Vec<(&str, Value)>) -> Dictionary {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn none() -> IocIndex {
    IocIndex::empty()
}

// ---------------------------------------------------------------- backup_info

#[test]
fn backup_info_outdated_and_current() {
    let t = BackupBuilder::new().product_version("16.1").build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    let r = run(&BackupInfo, &ev, &none());
    assert_eq!(r.outcome.status, ModuleStatus::Ok);
    assert_eq!(r.records.len(), 1);
    assert_eq!(r.records[0]["Product Version"], "16.1");
    assert_eq!(r.records[0]["Device Name"], "Test iPhone");
    assert_eq!(r.records[0]["MEID"], serde_json::Value::Null);
    assert_eq!(r.timeline.len(), 1);
    let med = r.at(Level::Medium);
    assert_eq!(med.len(), 1);
    assert!(med[0].message.contains("16.7.16"), "{}", med[0].message);

    let t = BackupBuilder::new()
        .product_version("26.6.1")
        .binary_plists(true)
        .build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    let r = run(&BackupInfo, &ev, &none());
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);
}

#[test]
fn backup_info_missing_and_malformed() {
    let t = BackupBuilder::new().without("Info.plist").build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    assert!(matches!(
        run(&BackupInfo, &ev, &none()).outcome.status,
        ModuleStatus::NoData(_)
    ));
    let t = BackupBuilder::new().build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    std::fs::write(t.path().join("Info.plist"), b"<plist><dict><key>x</key>").unwrap();
    let r = run(&BackupInfo, &ev, &none());
    assert!(
        matches!(&r.outcome.status, ModuleStatus::Failed(m) if m.contains("Info.plist")),
        "{:?}",
        r.outcome
    );
}

// ---------------------------------------------------------------- global_preferences

fn prefs_backup(v: Option<bool>) -> telltale_testkit::ios_backup::TempBackup {
    let mut d = dict(vec![("AppleLocale", "en_US".into())]);
    if let Some(b) = v {
        d.insert("LDMGlobalEnabled".into(), b.into());
    }
    BackupBuilder::new()
        .add_file(
            "HomeDomain",
            "Library/Preferences/.GlobalPreferences.plist",
            plist_bytes(d),
        )
        .build()
}

#[test]
fn global_preferences_lockdown_mode() {
    let t = prefs_backup(Some(true));
    let r = run(
        &GlobalPreferences,
        &BackupEvidence::open(t.path()).unwrap(),
        &none(),
    );
    assert_eq!(r.records.len(), 2);
    assert_eq!(r.at(Level::Informational).len(), 1);
    assert!(r.at(Level::Low).is_empty());

    let t = prefs_backup(Some(false));
    let r = run(
        &GlobalPreferences,
        &BackupEvidence::open(t.path()).unwrap(),
        &none(),
    );
    let low = r.at(Level::Low);
    assert_eq!(low.len(), 1);
    assert!(low[0].message.contains("Lockdown Mode is disabled"));

    let t = prefs_backup(None);
    let r = run(
        &GlobalPreferences,
        &BackupEvidence::open(t.path()).unwrap(),
        &none(),
    );
    assert!(r.alerts.is_empty());
    assert_eq!(r.records[0]["entry"], "AppleLocale");
}

#[test]
fn global_preferences_absent_and_malformed() {
    let t = BackupBuilder::new().build();
    let r = run(
        &GlobalPreferences,
        &BackupEvidence::open(t.path()).unwrap(),
        &none(),
    );
    assert!(matches!(r.outcome.status, ModuleStatus::NoData(_)));
    let t = BackupBuilder::new()
        .add_missing_file("HomeDomain", "Library/Preferences/.GlobalPreferences.plist")
        .build();
    let r = run(
        &GlobalPreferences,
        &BackupEvidence::open(t.path()).unwrap(),
        &none(),
    );
    assert!(matches!(r.outcome.status, ModuleStatus::NoData(_)));
    // Listed in Manifest.db but absent: a coverage fact, not a warning or a failure.
    assert!(r.outcome.warnings.is_empty(), "{:?}", r.outcome.warnings);
    assert!(
        r.outcome.not_checked[0].contains(".GlobalPreferences.plist")
            && r.outcome.not_checked[0].contains("listed in the acquisition"),
        "{:?}",
        r.outcome.not_checked
    );
    let t = BackupBuilder::new()
        .add_file(
            "HomeDomain",
            "Library/Preferences/.GlobalPreferences.plist",
            b"\xff\x00junk",
        )
        .build();
    let r = run(
        &GlobalPreferences,
        &BackupEvidence::open(t.path()).unwrap(),
        &none(),
    );
    assert!(
        matches!(&r.outcome.status, ModuleStatus::Failed(m) if m.contains(".GlobalPreferences.plist"))
    );
}

// ---------------------------------------------------------------- configuration_profiles

const PROFILES: &str = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles";

fn profile(uuid: &str, payload_type: &str) -> Vec<u8> {
    let content = dict(vec![
        ("PayloadType", payload_type.into()),
        ("PayloadIdentifier", "com.example.payload".into()),
        ("PayloadUUID", "11111111-2222-3333-4444-555555555555".into()),
    ]);
    plist_bytes(dict(vec![
        ("PayloadUUID", uuid.into()),
        ("PayloadIdentifier", "com.example.profile".into()),
        ("PayloadDisplayName", "Example profile".into()),
        ("PayloadDescription", "A test".into()),
        ("PayloadType", "Configuration".into()),
        ("InstallDate", date(1_650_000_000)),
        (
            "SignerCerts",
            Value::Array(vec![Value::Data(vec![1, 2, 3])]),
        ),
        (
            "PayloadContent",
            Value::Array(vec![Value::Dictionary(content)]),
        ),
    ]))
}

#[test]
fn configuration_profiles_indicator_and_notification_payload() {
    let bad = "A1B2C3D4-0000-4000-8000-BADBADBADBAD";
    let t = BackupBuilder::new()
        .add_file(
            PROFILES,
            "Library/ConfigurationProfiles/profile-abc.stub",
            profile(bad, "com.apple.notificationsettings"),
        )
        .add_file(
            PROFILES,
            "Library/ConfigurationProfiles/profile-def.stub",
            profile("GOOD-UUID", "com.apple.wifi.managed"),
        )
        .add_file(
            PROFILES,
            "Library/ConfigurationProfiles/MCProfileTruth.plist",
            b"not a profile",
        )
        .build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    let iocs = IocIndex::from_values(&[(IndicatorKind::ConfigurationProfileId, bad)], "Test");
    let r = run(&ConfigurationProfiles, &ev, &iocs);
    assert_eq!(r.outcome.status, ModuleStatus::Ok);
    assert_eq!(r.records.len(), 2);
    assert_eq!(r.records[0]["install_date"], "2022-04-15 05:20:00.000000");
    assert_eq!(r.records[0]["plist"]["SignerCerts"][0], "AQID");
    assert_eq!(r.records[0]["domain"], PROFILES);
    let high = r.at(Level::Critical);
    assert_eq!(high.len(), 1);
    assert_eq!(high[0].matched_indicator.as_ref().unwrap().value, bad);
    let med = r.at(Level::Medium);
    assert_eq!(med.len(), 1);
    assert!(med[0].message.contains("com.apple.notificationsettings"));
    assert_eq!(r.at(Level::Low).len(), 2, "each installed profile");
    assert_eq!(r.timeline.len(), 2);
    assert_eq!(r.timeline[0].event, "configuration_profile_install");
}

#[test]
fn configuration_profiles_negative_and_malformed() {
    let t = BackupBuilder::new()
        .add_file(
            PROFILES,
            "Library/ConfigurationProfiles/profile-1.stub",
            profile("SOME-UUID", "com.apple.wifi.managed"),
        )
        .add_file(
            PROFILES,
            "Library/ConfigurationProfiles/profile-2.stub",
            b"garbage\x00",
        )
        .build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    let iocs = IocIndex::from_values(
        &[(IndicatorKind::ConfigurationProfileId, "SOME-UUID-2")],
        "Test",
    );
    let r = run(&ConfigurationProfiles, &ev, &iocs);
    assert!(r.at(Level::High).is_empty());
    assert!(r.at(Level::Medium).is_empty());
    assert_eq!(r.records.len(), 1);
    assert!(
        r.outcome
            .warnings
            .iter()
            .any(|w| w.contains("profile-2.stub")),
        "{:?}",
        r.outcome.warnings
    );
    let t = BackupBuilder::new().build();
    let r = run(
        &ConfigurationProfiles,
        &BackupEvidence::open(t.path()).unwrap(),
        &iocs,
    );
    assert!(matches!(r.outcome.status, ModuleStatus::NoData(_)));
}

// ---------------------------------------------------------------- profile_events

fn events(process: &str) -> Vec<u8> {
    let ev = |op: &str, ts: u64| {
        Value::Dictionary(dict(vec![(
            "com.example.profile",
            Value::Dictionary(dict(vec![
                ("timestamp", date(ts)),
                ("operation", op.into()),
                ("process", process.into()),
            ])),
        )]))
    };
    plist_bytes(dict(vec![(
        "ProfileEvents",
        Value::Array(vec![
            ev("install", 1_650_000_000),
            ev("remove", 1_650_100_000),
        ]),
    )]))
}

#[test]
fn profile_events_process_indicator() {
    let t = BackupBuilder::new()
        .add_file(
            PROFILES,
            "Library/ConfigurationProfiles/MCProfileEvents.plist",
            events("/usr/libexec/bh"),
        )
        .build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    let iocs = IocIndex::from_values(&[(IndicatorKind::ProcessName, "bh")], "Pegasus");
    let r = run(&ProfileEvents, &ev, &iocs);
    assert_eq!(r.records.len(), 2);
    assert_eq!(r.records[0]["profile_id"], "com.example.profile");
    assert_eq!(r.records[0]["operation"], "install");
    assert_eq!(r.records[0]["timestamp"], "2022-04-15 05:20:00.000000");
    assert_eq!(r.at(Level::Critical).len(), 2);
    assert_eq!(r.at(Level::Low).len(), 2);
    assert!(r.at(Level::Low)[0].message.contains("installed"));
    assert_eq!(r.timeline.len(), 2);
    assert_eq!(r.timeline[0].event, "profile_operation");
}

#[test]
fn profile_events_negative_and_malformed() {
    let t = BackupBuilder::new()
        .add_file(
            PROFILES,
            "Library/ConfigurationProfiles/MCProfileEvents.plist",
            events("MCInstaller"),
        )
        .build();
    let iocs = IocIndex::from_values(&[(IndicatorKind::ProcessName, "bh")], "Pegasus");
    let r = run(
        &ProfileEvents,
        &BackupEvidence::open(t.path()).unwrap(),
        &iocs,
    );
    assert!(r.at(Level::High).is_empty());
    let t = BackupBuilder::new()
        .add_file(
            PROFILES,
            "Library/ConfigurationProfiles/MCProfileEvents.plist",
            b"bplist00\x01\x02",
        )
        .build();
    let r = run(
        &ProfileEvents,
        &BackupEvidence::open(t.path()).unwrap(),
        &iocs,
    );
    assert!(
        matches!(&r.outcome.status, ModuleStatus::Failed(m) if m.contains("MCProfileEvents.plist"))
    );
    let t = BackupBuilder::new().build();
    let r = run(
        &ProfileEvents,
        &BackupEvidence::open(t.path()).unwrap(),
        &iocs,
    );
    assert!(matches!(r.outcome.status, ModuleStatus::NoData(_)));
}

// ---------------------------------------------------------------- applications

fn metadata(bundle: &str, source: Option<&str>) -> Dictionary {
    let mut d = dict(vec![
        ("softwareVersionBundleId", bundle.into()),
        ("itemName", "Some App".into()),
        ("artistName", "Some Vendor".into()),
        ("bundleShortVersionString", "1.2".into()),
        (
            "com.apple.iTunesStore.downloadInfo",
            Value::Dictionary(dict(vec![("purchaseDate", "2021-03-04T05:06:07Z".into())])),
        ),
    ]);
    if let Some(s) = source {
        d.insert("sourceApp".into(), s.into());
    }
    d
}

#[test]
fn applications_indicator_and_sideloaded() {
    let t = BackupBuilder::new()
        .add_application(
            "com.evil.spy",
            Some(metadata("com.evil.spy", Some("com.apple.AppStore"))),
        )
        .add_application(
            "com.example.sideloaded",
            Some(metadata(
                "com.example.sideloaded",
                Some("com.example.altstore"),
            )),
        )
        .add_application("com.example.nometa", None)
        .build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    let iocs = IocIndex::from_values(&[(IndicatorKind::AppId, "com.evil.spy")], "Test");
    let r = run(&Applications, &ev, &iocs);
    assert_eq!(r.records.len(), 3);
    let spy = r
        .records
        .iter()
        .find(|x| x["name"] == "com.evil.spy")
        .unwrap();
    assert_eq!(spy["isodate"], "2021-03-04 05:06:07.000000");
    assert_eq!(spy["itemName"], "Some App");
    assert!(spy["icon_sha256"].as_str().unwrap().len() == 64);
    let high = r.at(Level::Critical);
    assert_eq!(high.len(), 1);
    assert_eq!(
        high[0].matched_indicator.as_ref().unwrap().value,
        "com.evil.spy"
    );
    let med = r.at(Level::Medium);
    assert_eq!(
        med.len(),
        1,
        "only the app whose metadata names another installer"
    );
    assert!(
        med[0].message.contains("com.example.sideloaded")
            && med[0].message.contains("com.example.altstore")
    );
    assert_eq!(r.timeline.len(), 2);
}

#[test]
fn applications_negative_and_malformed() {
    let t = BackupBuilder::new()
        .add_application(
            "com.notevil.spy",
            Some(metadata(
                "com.notevil.spy",
                Some("com.apple.AppStore.ProductPageExtension"),
            )),
        )
        .build();
    let iocs = IocIndex::from_values(&[(IndicatorKind::AppId, "com.evil.spy")], "Test");
    let r = run(
        &Applications,
        &BackupEvidence::open(t.path()).unwrap(),
        &iocs,
    );
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    // Broken iTunesMetadata: a warning, the app is still listed.
    let mut apps = Dictionary::new();
    apps.insert(
        "com.x".into(),
        Value::Dictionary(dict(vec![(
            "iTunesMetadata",
            Value::Data(b"junk".to_vec()),
        )])),
    );
    let t = BackupBuilder::new()
        .info("Applications", Some(Value::Dictionary(apps)))
        .build();
    let r = run(
        &Applications,
        &BackupEvidence::open(t.path()).unwrap(),
        &iocs,
    );
    assert_eq!(r.records.len(), 1);
    assert!(r.outcome.warnings[0].contains("com.x"));
    // No applications at all.
    let t = BackupBuilder::new().build();
    let r = run(
        &Applications,
        &BackupEvidence::open(t.path()).unwrap(),
        &iocs,
    );
    assert!(matches!(r.outcome.status, ModuleStatus::NoData(_)));
}

// ---------------------------------------------------------------- manifest

#[test]
fn manifest_records_timeline_indicators_and_absent_files() {
    let meta = MbFileMeta {
        birth: 1_600_000_000,
        last_modified: 1_600_000_100,
        last_status_change: 1_600_000_100,
        ..MbFileMeta::default()
    };
    let t = BackupBuilder::new()
        .add_file_meta("HomeDomain", "Library/SMS/sms.db", b"x", meta)
        .add_file(
            "HomeDomain",
            "Library/WebKit/WebsiteData/LocalStorage/https_www.evil.com_0.localstorage",
            b"y",
        )
        .add_file("RootDomain", "Library/bh.plist", b"z")
        .add_missing_file("HomeDomain", "Library/Gone/missing.db")
        .add_dir("HomeDomain", "Library")
        .add_file_raw_mbfile(
            "HomeDomain",
            "Library/raw.bin",
            b"r",
            Some(b"not an archive".to_vec()),
        )
        .build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    let iocs = IocIndex::from_values(
        &[
            (IndicatorKind::Domain, "evil.com"),
            (IndicatorKind::FileName, "bh.plist"),
        ],
        "Test",
    );
    let r = run(&Manifest, &ev, &iocs);
    assert_eq!(r.outcome.status, ModuleStatus::Ok);
    assert_eq!(r.records.len(), 6);
    let sms = r
        .records
        .iter()
        .find(|x| x["relative_path"] == "Library/SMS/sms.db")
        .unwrap();
    assert_eq!(sms["created"], "2020-09-13 12:26:40.000000");
    assert_eq!(sms["modified"], "2020-09-13 12:28:20.000000");
    assert_eq!(sms["mode"], "0o100644");
    assert_eq!(sms["owner"], 501);
    assert_eq!(sms["size"], 1);
    assert_eq!(sms["file_id"], "3d0d7e5fb2ce288813306e4d4636395e047a3d28");
    let sms_events: Vec<_> = r
        .timeline
        .iter()
        .filter(|e| e.description.starts_with("Library/SMS/sms.db"))
        .collect();
    assert_eq!(sms_events.len(), 2);
    assert!(sms_events.iter().any(|e| e.event == "---B"));
    assert!(sms_events.iter().any(|e| e.event == "M-C-"));
    let high = r.at(Level::High);
    assert_eq!(high.len(), 2, "{high:?}");
    assert!(
        high.iter()
            .any(|a| a.matched_indicator.as_ref().unwrap().value == "evil.com")
    );
    assert!(
        high.iter()
            .any(|a| a.matched_indicator.as_ref().unwrap().value == "bh.plist")
    );
    let w = r.outcome.warnings.join("\n");
    let nc = r.outcome.not_checked.join("\n");
    assert!(
        nc.contains("1 files listed in Manifest.db are not in the backup folder")
            && nc.contains("missing.db"),
        "{nc}"
    );
    assert!(w.contains("could not be decoded"), "{w}");
}

#[test]
fn manifest_negative_and_malformed() {
    let t = BackupBuilder::new()
        .add_file("HomeDomain", "Library/Caches/notevil.com/x", b"x")
        .build();
    let iocs = IocIndex::from_values(&[(IndicatorKind::Domain, "evil.com")], "Test");
    let r = run(&Manifest, &BackupEvidence::open(t.path()).unwrap(), &iocs);
    assert!(r.at(Level::High).is_empty());
    assert!(r.outcome.warnings.is_empty());
    // Manifest.db damaged after the backup was opened: a clear module error.
    let t = BackupBuilder::new()
        .add_file("HomeDomain", "a", b"x")
        .build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    std::fs::write(t.path().join("Manifest.db"), vec![0x33u8; 4096]).unwrap();
    let r = run(&Manifest, &ev, &iocs);
    assert!(
        matches!(&r.outcome.status, ModuleStatus::Failed(m) if m.contains("Manifest.db")),
        "{:?}",
        r.outcome
    );
}

/// A Manifest.db with one damaged page in the middle of its Files table: the backup reader and the
/// manifest module read it without an up-front integrity check, meet the damage, switch to the recovering
/// opener and go on after the last row read: the rows of the other pages are all there, once each, and
/// the damage is a warning.
#[test]
fn manifest_damaged_in_the_middle_is_read_around_the_damage() {
    const N: usize = 3000;
    let mut b = BackupBuilder::new();
    for i in 0..N {
        b = b.add_file(
            "HomeDomain",
            &format!("Library/Caches/file-{i:05}.dat"),
            b"x",
        );
    }
    let t = b.build();
    let p = t.path().join("Manifest.db");
    let mut bytes = std::fs::read(&p).unwrap();
    let page = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    let page = if page == 1 { 65536 } else { page };
    // Leaf pages of tables (type 0x0d), the first page aside.
    let leaves: Vec<usize> = (1..bytes.len() / page)
        .filter(|&pg| bytes[pg * page] == 0x0d)
        .collect();
    assert!(leaves.len() > 10, "{} leaf pages", leaves.len());
    let victim = leaves[leaves.len() / 2];
    for x in &mut bytes[victim * page..(victim + 1) * page] {
        *x = 0xA5;
    }
    std::fs::write(&p, &bytes).unwrap();
    let ev = BackupEvidence::open(t.path()).expect("the reader recovers");
    let r = run(&Manifest, &ev, &none());
    assert!(r.is_ok(), "{:?}", r.outcome.status);
    let n = r.records.len();
    assert!(n > N / 2 && n < N + 10, "{n} records");
    let ids: std::collections::HashSet<_> = r
        .records
        .iter()
        .map(|r| r["file_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(ids.len(), n, "no row read twice");
    assert!(
        r.outcome
            .warnings
            .iter()
            .any(|w| w.contains("Manifest.db: database is damaged")),
        "{:?}",
        r.outcome.warnings
    );
}

/// Overwrites a leaf page of a table in the middle of the database file at `p` with garbage.
fn damage_middle_leaf(p: &std::path::Path) {
    let mut bytes = std::fs::read(p).unwrap();
    let page = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    let page = if page == 1 { 65536 } else { page };
    let leaves: Vec<usize> = (1..bytes.len() / page)
        .filter(|&pg| bytes[pg * page] == 0x0d)
        .collect();
    assert!(leaves.len() > 10, "{} leaf pages", leaves.len());
    let victim = leaves[leaves.len() / 2];
    for x in &mut bytes[victim * page..(victim + 1) * page] {
        *x = 0xA5;
    }
    std::fs::write(p, &bytes).unwrap();
}

/// sms.db is read without an up-front integrity check: damage met in the middle switches to the
/// recovering opener and reading goes on after the last message read — every readable message once, the
/// damage a warning, the indicator after the damage still found.
#[test]
fn sms_damaged_in_the_middle_is_read_around_the_damage() {
    use telltale_ios::modules::sms::Sms;
    use telltale_testkit::ios_dbs::{IosVersion, SmsDb};
    const N: usize = 4000;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("HomeDomain/Library/SMS/sms.db");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let mut db = SmsDb::new(IosVersion::V17);
    for i in 0..N {
        let text = if i == N - 1 {
            "last one https://evil.com/x".to_string()
        } else {
            format!("message number {i} {}", "padding ".repeat(8))
        };
        db = db.message("+15555550100", &text, 700_000_000.0 + i as f64);
    }
    db.write(&p).unwrap();
    damage_middle_leaf(&p);
    let ev = telltale_core::FolderEvidence::new(dir.path()).unwrap();
    let r = run(
        &Sms,
        &ev,
        &IocIndex::from_values(&[(IndicatorKind::Domain, "evil.com")], "Test"),
    );
    assert!(r.is_ok(), "{:?}", r.outcome.status);
    let n = r.records.len();
    assert!(n > N / 2 && n < N, "{n} records");
    let ids: std::collections::HashSet<String> =
        r.records.iter().map(|x| x["ROWID"].to_string()).collect();
    assert_eq!(ids.len(), n, "no message read twice");
    assert_eq!(r.at(Level::Critical).len(), 1, "the link after the damage");
    assert!(
        r.outcome
            .warnings
            .iter()
            .any(|w| w.contains("sms.db: database is damaged")),
        "{:?}",
        r.outcome.warnings
    );
}

/// Safari's History.db is read without an up-front integrity check; damage met while reading makes the
/// module read everything again from the recovered copy (nothing emitted twice).
#[test]
fn safari_history_damaged_is_read_from_the_recovered_copy() {
    use telltale_ios::modules::safari_history::SafariHistory;
    use telltale_testkit::ios_web::{SafariHistory as H, utc};
    const N: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    let mut h = H::new();
    let t0 = utc("2023-01-01T00:00:00Z");
    for i in 0..N {
        h = h.visit(
            &format!("https://site{i}.example.org/{}", "p".repeat(40)),
            t0.checked_add(jiff::SignedDuration::from_secs(i as i64))
                .unwrap(),
        );
    }
    let p = h.write_in(dir.path());
    damage_middle_leaf(&p);
    let ev = telltale_core::FolderEvidence::new(dir.path()).unwrap();
    let r = run(&SafariHistory, &ev, &none());
    assert!(r.is_ok(), "{:?}", r.outcome.status);
    let n = r.records.len();
    assert!(n > N / 2 && n < N, "{n} records");
    let ids: std::collections::HashSet<String> = r
        .records
        .iter()
        .map(|x| x["visit_id"].to_string())
        .collect();
    assert_eq!(ids.len(), n, "no visit emitted twice");
    assert!(
        r.outcome
            .warnings
            .iter()
            .any(|w| w.contains("History.db: database is damaged")),
        "{:?}",
        r.outcome.warnings
    );
}

/// WebKit's current website-data layout in a backup (iOS includes origin folders in backups once
/// they are a few days old): the origin file's site is checked like the older layout's folder names.
#[test]
fn webkit_website_data_in_a_backup() {
    use telltale_ios::modules::webkit_website_data::WebkitWebsiteData;
    use telltale_testkit::ios_fs_dbs::webkit_origin_file;
    let dir = "Library/WebKit/WebsiteData/Default/9F2A/77C1";
    let t = BackupBuilder::new()
        .add_file(
            "AppDomain-com.example.app",
            &format!("{dir}/origin"),
            webkit_origin_file(("https", "evil.com", None), ("https", "evil.com", None)),
        )
        .add_file(
            "AppDomain-com.example.app",
            &format!("{dir}/LocalStorage/localstorage.sqlite3"),
            b"x",
        )
        .add_file(
            "AppDomain-com.other.app",
            "Library/WebKit/WebsiteData/Default/1111/2222/origin",
            webkit_origin_file(("http", "notevil.com", None), ("http", "notevil.com", None)),
        )
        .build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    let iocs = IocIndex::from_values(&[(IndicatorKind::Domain, "evil.com")], "Pegasus");
    let r = run(&WebkitWebsiteData, &ev, &iocs);
    assert_eq!(r.records.len(), 2, "{:?}", r.records);
    assert_eq!(r.at(Level::Critical).len(), 1, "{:?}", r.alerts);
    let rec = &r.at(Level::Critical)[0].event;
    assert_eq!(rec["url"], "https://evil.com");
    assert_eq!(rec["storage"], serde_json::json!(["LocalStorage"]));
}
