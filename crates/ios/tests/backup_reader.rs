//! The backup reader: plists, Manifest.db index, fileID layout, absent files, recognition.

use std::io::Read;

use telltale_core::{AcquisitionError, AcquisitionKind, Evidence, EvidenceError, OpenOptions};
use telltale_ios::backup::{BackupAcquisition, BackupEvidence};
use telltale_ios::{IosBackupKind, file_id};
use telltale_testkit::ios_backup::{BackupBuilder, MbFileMeta};

fn sample() -> BackupBuilder {
    BackupBuilder::new()
        .add_file("HomeDomain", "Library/SMS/sms.db", b"sms bytes")
        .add_file(
            "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
            "ChatStorage.sqlite",
            b"wa",
        )
        .add_file(
            "RootDomain",
            "Library/Caches/locationd/clients.plist",
            b"loc",
        )
        .add_dir("HomeDomain", "Library/SMS")
        .add_symlink("HomeDomain", "Library/link", "/var/x")
        .add_missing_file("HomeDomain", "Library/Gone/missing.db")
}

#[test]
fn file_id_is_sha1_of_domain_dash_path() {
    // Known value (MVT's GlobalPreferences backup id).
    assert_eq!(
        file_id("HomeDomain", "Library/Preferences/.GlobalPreferences.plist"),
        "0dc926a1810f7aee4e8f38793ed788701f93bf9d"
    );
    assert_eq!(
        file_id("HomeDomain", "Library/SMS/sms.db"),
        "3d0d7e5fb2ce288813306e4d4636395e047a3d28"
    );
}

fn check_reader(b: BackupBuilder) {
    let t = b.build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    assert!(ev.warnings().is_empty(), "{:?}", ev.warnings());
    assert_eq!(
        ev.read("HomeDomain/Library/SMS/sms.db").unwrap(),
        b"sms bytes"
    );
    assert_eq!(
        ev.read("AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ChatStorage.sqlite")
            .unwrap(),
        b"wa"
    );
    assert_eq!(
        ev.read("RootDomain/Library/Caches/locationd/clients.plist")
            .unwrap(),
        b"loc"
    );
    let mut s = String::new();
    ev.open("Info.plist").unwrap().read_to_string(&mut s).ok();
    for root in [
        "Info.plist",
        "Manifest.plist",
        "Status.plist",
        "Manifest.db",
    ] {
        assert!(ev.exists(root), "{root}");
        assert!(ev.local_file(root).unwrap().is_original());
    }
    // Directories and symlinks are not files.
    assert!(!ev.exists("HomeDomain/Library/SMS"));
    assert!(
        ev.read("HomeDomain/Library/link")
            .unwrap_err()
            .is_not_found()
    );
    // Listed but absent: found, but not there.
    assert!(!ev.exists("HomeDomain/Library/Gone/missing.db"));
    assert!(matches!(
        ev.read("HomeDomain/Library/Gone/missing.db"),
        Err(EvidenceError::Absent { .. })
    ));
    assert!(ev.read("HomeDomain/nope").unwrap_err().is_not_found());
    // find answers from the manifest.
    let paths: Vec<String> = ev
        .find("HomeDomain/**")
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(
        paths,
        vec![
            "HomeDomain/Library/Gone/missing.db",
            "HomeDomain/Library/SMS/sms.db"
        ]
    );
    let paths: Vec<String> = ev
        .find("*/ChatStorage.sqlite")
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(
        paths,
        vec!["AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ChatStorage.sqlite"]
    );
    assert_eq!(ev.find("*.plist").unwrap().len(), 3);
    assert_eq!(ev.find("**/clients.plist").unwrap().len(), 1);
    // The original file of a plain backup.
    let lf = ev.local_file("HomeDomain/Library/SMS/sms.db").unwrap();
    assert!(lf.is_original());
    assert!(
        lf.path()
            .ends_with(file_id("HomeDomain", "Library/SMS/sms.db"))
    );
    // MBFile lookup.
    let mb = ev
        .mbfile(&file_id("HomeDomain", "Library/SMS/sms.db"))
        .unwrap();
    assert_eq!(mb.size, Some(9));
    assert_eq!(mb.relative_path.as_deref(), Some("Library/SMS/sms.db"));
}

#[test]
fn reads_xml_binary_and_flat_backups() {
    check_reader(sample());
    check_reader(sample().binary_plists(true));
    check_reader(sample().flat_layout(true));
}

#[test]
fn mbfile_metadata_round_trips() {
    let meta = MbFileMeta {
        target: None,
        encryption_key: Some(vec![3, 0, 0, 0, 0xAA, 0xBB]),
        extended_attributes: Some(vec![("com.apple.x".into(), b"v".to_vec())]),
        birth: 1_000,
        ..MbFileMeta::default()
    };
    let t = BackupBuilder::new()
        .add_file_meta("HomeDomain", "a.txt", b"abc", meta)
        .build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    let mb = ev.mbfile(&file_id("HomeDomain", "a.txt")).unwrap();
    assert_eq!(mb.encryption_key, Some(vec![3, 0, 0, 0, 0xAA, 0xBB]));
    assert_eq!(
        mb.extended_attributes,
        Some(vec![("com.apple.x".to_string(), b"v".to_vec())])
    );
    assert_eq!(mb.birth, Some(1_000));
    assert_eq!(mb.mode, Some(0o100644));
}

#[test]
fn kind_recognises_backups_and_parents() {
    let t = sample().build();
    let opts = OpenOptions::default();
    // The backup folder itself, and the Backup/ folder holding exactly one.
    for p in [
        t.path().to_path_buf(),
        t.path().parent().unwrap().to_path_buf(),
    ] {
        let acq = IosBackupKind.open(&p, &opts).unwrap().expect("recognised");
        assert_eq!(acq.kind(), "ios-backup");
        assert!(acq.evidence().exists("HomeDomain/Library/SMS/sms.db"));
        let facts = acq.facts();
        let get = |k: &str| facts.iter().find(|f| f.key == k).map(|f| f.value.clone());
        assert_eq!(get("Device Name").as_deref(), Some("Test iPhone"));
        assert_eq!(get("iOS Version").as_deref(), Some("17.5.1"));
        assert_eq!(get("UDID").as_deref(), Some("00008030-001A2B3C4D5E6F70"));
        assert_eq!(get("IMEI").as_deref(), Some("356938035643809"));
        assert_eq!(get("Encrypted").as_deref(), Some("no"));
        assert!(get("Last Backup Date").unwrap().starts_with("2024-06-01"));
        assert!(!acq.modules().is_empty());
    }
    // Not a backup.
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Info.plist"), b"<plist/>").unwrap();
    assert!(IosBackupKind.open(d.path(), &opts).unwrap().is_none());
    assert!(
        IosBackupKind
            .open(&d.path().join("Info.plist"), &opts)
            .unwrap()
            .is_none()
    );
    // Two backups in one folder: say so.
    let two = tempfile::tempdir().unwrap();
    sample().write(&two.path().join("a"));
    sample().write(&two.path().join("b"));
    let e = IosBackupKind
        .open(two.path(), &opts)
        .err()
        .expect("ambiguous");
    assert!(e.to_string().contains("holds 2 iOS backups"), "{e}");
}

#[test]
fn encrypted_flag_without_keybag_is_a_clear_error() {
    // Decryption itself is tested in encrypted_backup.rs.
    let t = sample().encrypted(true).build();
    let e = IosBackupKind
        .open(t.path(), &OpenOptions::default())
        .err()
        .expect("no keybag");
    assert!(matches!(e, AcquisitionError::Invalid { .. }), "{e}");
    assert!(e.to_string().contains("BackupKeyBag"), "{e}");
}

#[test]
fn garbage_manifest_db_is_a_clear_error() {
    let t = sample().manifest_db_bytes(vec![0x5Au8; 4096]).build();
    let e = BackupAcquisition::open(t.path(), &OpenOptions::default())
        .err()
        .expect("garbage");
    let msg = e.to_string();
    assert!(matches!(e, AcquisitionError::Invalid { .. }));
    assert!(
        msg.contains("Manifest.db") && msg.contains("not an SQLite database"),
        "{msg}"
    );
    // A database without the Files table.
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("x.db");
    rusqlite::Connection::open(&p)
        .unwrap()
        .execute_batch("CREATE TABLE Other(x)")
        .unwrap();
    let t = sample()
        .manifest_db_bytes(std::fs::read(&p).unwrap())
        .build();
    let e = BackupAcquisition::open(t.path(), &OpenOptions::default())
        .err()
        .expect("no Files");
    assert!(e.to_string().contains("no Files table"), "{e}");
    // Manifest.db missing.
    let t = sample().without("Manifest.db").build();
    let e = BackupAcquisition::open(t.path(), &OpenOptions::default())
        .err()
        .expect("missing");
    assert!(e.to_string().contains("Manifest.db is missing"), "{e}");
    // Broken Info.plist.
    let t = sample().build();
    std::fs::write(t.path().join("Info.plist"), b"\x00\x01garbage").unwrap();
    let e = BackupAcquisition::open(t.path(), &OpenOptions::default())
        .err()
        .expect("bad plist");
    assert!(e.to_string().contains("Info.plist"), "{e}");
}

#[test]
fn many_rows_index_quickly_and_find_by_prefix() {
    let mut b = BackupBuilder::new();
    for i in 0..3000 {
        b = b.add_file(
            &format!("AppDomain-com.example.app{}", i % 30),
            &format!("Documents/f{i}.txt"),
            b"x",
        );
    }
    let t = b.build();
    let ev = BackupEvidence::open(t.path()).unwrap();
    assert_eq!(ev.files().len(), 3000);
    assert_eq!(ev.find("AppDomain-com.example.app7/**").unwrap().len(), 100);
    assert_eq!(ev.find("AppDomain-*/Documents/f12.txt").unwrap().len(), 1);
    assert!(ev.exists("AppDomain-com.example.app0/Documents/f0.txt"));
}
