//! Encrypted backups end to end: testkit writes a backup, encrypts it with its own (independent) crypto
//! code, and telltale opens, reads, checks and decrypts it.

use std::path::Path;
use std::sync::{Arc, Mutex};

use plist::{Dictionary, Value};
use telltale_core::engine::run_one;
use telltale_core::{
    Acquisition, AcquisitionError, AcquisitionKind, Alert, Evidence, ModuleContext, OpenOptions,
    Output, Record, RunOptions, SecretProvider, TimelineEvent,
};
use telltale_ioc::{IndicatorKind, IocIndex};
use telltale_ios::IosBackupKind;
use telltale_ios::crypto::{self, CryptoError, EncryptedBackup, Key32, Secret};
use telltale_testkit::ios_backup::BackupBuilder;
use telltale_testkit::ios_crypto::EncryptOptions;

const PW: &str = "correct horse battery staple";
const PROFILES: &str = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles";
const SMS: &str = "HomeDomain/Library/SMS/sms.db";
const BIG: &str = "HomeDomain/Library/big.bin";

struct Secrets {
    password: Option<String>,
    key: Option<Vec<u8>>,
}

impl SecretProvider for Secrets {
    fn password(&self, _: &str) -> Option<String> {
        self.password.clone()
    }
    fn key(&self, _: &str) -> Option<Vec<u8>> {
        self.key.clone()
    }
}

fn with_password(pw: &str) -> OpenOptions {
    OpenOptions {
        secrets: Some(Arc::new(Secrets {
            password: Some(pw.into()),
            key: None,
        })),
        ..Default::default()
    }
}

fn with_key(key: &[u8]) -> OpenOptions {
    OpenOptions {
        secrets: Some(Arc::new(Secrets {
            password: None,
            key: Some(key.to_vec()),
        })),
        ..Default::default()
    }
}

fn open(path: &Path, opts: &OpenOptions) -> Result<Box<dyn Acquisition>, AcquisitionError> {
    IosBackupKind
        .open(path, opts)
        .map(|a| a.expect("recognised as an iOS backup"))
}

fn open_err(path: &Path, opts: &OpenOptions) -> AcquisitionError {
    match open(path, opts) {
        Ok(_) => panic!("opened"),
        Err(e) => e,
    }
}

fn dict(pairs: Vec<(&str, Value)>) -> Dictionary {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn xml(d: Dictionary) -> Vec<u8> {
    let mut b = Vec::new();
    Value::Dictionary(d).to_writer_xml(&mut b).unwrap();
    b
}

fn date(secs: u64) -> Value {
    Value::Date((std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)).into())
}

fn sms_db() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sms.db");
    let c = rusqlite::Connection::open(&p).unwrap();
    c.execute_batch(
        "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT, handle_id INTEGER, date INTEGER,
            is_from_me INTEGER, service TEXT);
         CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT);
         INSERT INTO handle VALUES (1, '+15550100');
         INSERT INTO message VALUES (1, 'g1', 'see https://evil.com/x', 1, 700000000000000000, 0, 'iMessage');
         INSERT INTO message VALUES (2, 'g2', 'hello', 1, 700000001000000000, 1, 'SMS');",
    )
    .unwrap();
    drop(c);
    std::fs::read(p).unwrap()
}

fn big() -> Vec<u8> {
    (0..300_001u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// A backup with something for each module written so far (and databases for the ones to come).
fn sample() -> BackupBuilder {
    let profile = dict(vec![
        ("PayloadUUID", "A1B2C3D4-0000-4000-8000-BADBADBADBAD".into()),
        ("PayloadIdentifier", "com.example.profile".into()),
        ("PayloadDisplayName", "Example".into()),
        ("PayloadType", "Configuration".into()),
        ("InstallDate", date(1_650_000_000)),
        (
            "PayloadContent",
            Value::Array(vec![Value::Dictionary(dict(vec![(
                "PayloadType",
                "com.apple.notificationsettings".into(),
            )]))]),
        ),
    ]);
    let events = dict(vec![(
        "ProfileEvents",
        Value::Array(vec![Value::Dictionary(dict(vec![(
            "com.example.profile",
            Value::Dictionary(dict(vec![
                ("timestamp", date(1_650_000_000)),
                ("operation", "install".into()),
                ("process", "/usr/libexec/bh".into()),
            ])),
        )]))]),
    )]);
    BackupBuilder::new()
        .product_version("16.1")
        .add_file("HomeDomain", "Library/SMS/sms.db", sms_db())
        .add_file("HomeDomain", "Library/big.bin", big())
        .add_file("HomeDomain", "Library/empty.txt", b"")
        .add_file("HomeDomain", "Library/block16.bin", [7u8; 16])
        .add_file(
            "HomeDomain",
            "Library/Preferences/.GlobalPreferences.plist",
            xml(dict(vec![("LDMGlobalEnabled", true.into())])),
        )
        .add_file(
            PROFILES,
            "Library/ConfigurationProfiles/profile-abc.stub",
            xml(profile),
        )
        .add_file(
            PROFILES,
            "Library/ConfigurationProfiles/MCProfileEvents.plist",
            xml(events),
        )
        .add_application("com.evil.app", None)
        .add_dir("HomeDomain", "Library/SMS")
        .add_missing_file("HomeDomain", "Library/Gone/missing.db")
}

fn iocs() -> IocIndex {
    IocIndex::from_values(
        &[
            (
                IndicatorKind::ConfigurationProfileId,
                "A1B2C3D4-0000-4000-8000-BADBADBADBAD",
            ),
            (IndicatorKind::ProcessName, "bh"),
            (IndicatorKind::Domain, "evil.com"),
            (IndicatorKind::AppId, "com.evil.app"),
        ],
        "Test",
    )
}

#[derive(Default)]
struct Collect {
    records: Mutex<Vec<Record>>,
    detected: Mutex<Vec<Record>>,
    timeline: Mutex<Vec<serde_json::Value>>,
    alerts: Mutex<Vec<serde_json::Value>>,
}

impl Output for Collect {
    fn record(&self, _: &str, rec: &Record) {
        self.records.lock().unwrap().push(rec.clone());
    }
    fn detected(&self, _: &str, rec: &Record) {
        self.detected.lock().unwrap().push(rec.clone());
    }
    fn timeline(&self, e: TimelineEvent) {
        self.timeline
            .lock()
            .unwrap()
            .push(serde_json::to_value(&e).unwrap());
    }
    fn alert(&self, a: &Alert) {
        self.alerts
            .lock()
            .unwrap()
            .push(serde_json::to_value(a).unwrap());
    }
}

/// Every iOS module's results (status, records, detected, timeline, alerts, warnings), module by module.
fn results(ev: &dyn Evidence) -> Vec<serde_json::Value> {
    let iocs = iocs();
    let opts = RunOptions::default();
    let ctx = ModuleContext {
        evidence: ev,
        iocs: &iocs,
        options: &opts,
    };
    telltale_ios::modules::all()
        .iter()
        .map(|m| {
            let out = Collect::default();
            let o = run_one(m.as_ref(), &ctx, &out);
            serde_json::json!({
                "module": m.name(),
                "status": serde_json::to_value(&o.status).unwrap(),
                "warnings": o.warnings,
                "records": out.records.into_inner().unwrap(),
                "detected": out.detected.into_inner().unwrap(),
                "timeline": out.timeline.into_inner().unwrap(),
                "alerts": out.alerts.into_inner().unwrap(),
            })
        })
        .collect()
}

fn alerts_total(r: &[serde_json::Value]) -> usize {
    r.iter()
        .map(|m| m["alerts"].as_array().unwrap().len())
        .sum()
}

#[test]
fn right_password_reads_every_file() {
    let (t, _) = sample().build_encrypted(&EncryptOptions::new(PW));
    let acq = open(t.path(), &with_password(PW)).unwrap();
    let ev = acq.evidence();
    assert!(ev.describe().contains("encrypted"), "{}", ev.describe());
    assert_eq!(ev.read(SMS).unwrap(), sms_db());
    assert_eq!(ev.read(BIG).unwrap(), big());
    assert_eq!(ev.read("HomeDomain/Library/empty.txt").unwrap(), b"");
    assert_eq!(
        ev.read("HomeDomain/Library/block16.bin").unwrap(),
        [7u8; 16]
    );
    assert!(
        ev.read("Manifest.db")
            .unwrap()
            .starts_with(b"SQLite format 3\0")
    );
    assert!(matches!(
        ev.read("HomeDomain/Library/Gone/missing.db"),
        Err(telltale_core::EvidenceError::Absent { .. })
    ));
    // local_file gives the same bytes (twice: the copy is made once).
    let a = ev.local_file(BIG).unwrap();
    let b = ev.local_file(BIG).unwrap();
    assert_eq!(a.path(), b.path());
    assert_eq!(std::fs::read(a.path()).unwrap(), big());
    let db = telltale_core::sqlite::open(ev, SMS).unwrap();
    let n: i64 = db
        .conn()
        .query_row("SELECT count(*) FROM message", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    // The ciphertext on disk is not the plain bytes.
    let stored = t
        .path()
        .join(&telltale_ios::file_id("HomeDomain", "Library/big.bin")[..2]);
    let enc = std::fs::read_dir(stored)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_ne!(std::fs::read(enc).unwrap()[..64], big()[..64]);
}

#[test]
fn wrong_or_missing_password_is_a_clear_error() {
    let (t, _) = sample().build_encrypted(&EncryptOptions::new(PW));
    let e = open_err(t.path(), &with_password("wrong"));
    assert!(matches!(e, AcquisitionError::WrongPassword { .. }), "{e}");
    assert!(e.to_string().contains("wrong password"), "{e}");
    let e = open_err(t.path(), &OpenOptions::default());
    assert!(matches!(e, AcquisitionError::PasswordNeeded { .. }), "{e}");
    let e = open_err(
        t.path(),
        &OpenOptions {
            secrets: Some(Arc::new(Secrets {
                password: None,
                key: None,
            })),
            ..Default::default()
        },
    );
    assert!(matches!(e, AcquisitionError::PasswordNeeded { .. }), "{e}");
    assert!(
        crypto::derive_key(t.path(), "wrong")
            .unwrap_err()
            .is_wrong_password()
    );
}

#[test]
fn key_file_opens_like_the_password() {
    let (t, info) = sample().build_encrypted(&EncryptOptions::new(PW));
    let key = crypto::derive_key(t.path(), PW).unwrap();
    assert_eq!(key.to_hex(), info.key_hex());
    // 64 hex characters, as `telltale key` and MVT's extract-key write them (newline allowed).
    let acq = open(
        t.path(),
        &with_key(format!("{}\n", key.to_hex()).as_bytes()),
    )
    .unwrap();
    assert_eq!(acq.evidence().read(SMS).unwrap(), sms_db());
    // Raw 32 bytes too.
    let acq = open(t.path(), &with_key(key.as_bytes())).unwrap();
    assert_eq!(acq.evidence().read(BIG).unwrap(), big());
    let e = open_err(t.path(), &with_key("00".repeat(32).as_bytes()));
    assert!(matches!(e, AcquisitionError::WrongPassword { .. }), "{e}");
    let e = open_err(t.path(), &with_key(b"not a key"));
    assert!(
        matches!(e, AcquisitionError::Invalid { .. }) && e.to_string().contains("64 hexadecimal"),
        "{e}"
    );
}

fn set_keybag(root: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mp = root.join("Manifest.plist");
    let mut d = Value::from_file(&mp).unwrap().into_dictionary().unwrap();
    let mut kb = d.get("BackupKeyBag").unwrap().as_data().unwrap().to_vec();
    f(&mut kb);
    d.insert("BackupKeyBag".into(), Value::Data(kb));
    Value::Dictionary(d).to_file_binary(&mp).unwrap();
}

#[test]
fn truncated_or_garbled_keybag_is_invalid_with_offset() {
    let (t, _) = sample().build_encrypted(&EncryptOptions::new(PW));
    set_keybag(t.path(), |kb| kb.truncate(kb.len() - 10));
    let e = open_err(t.path(), &with_password(PW));
    assert!(matches!(e, AcquisitionError::Invalid { .. }), "{e}");
    assert!(
        e.to_string().contains("keybag") && e.to_string().contains("offset"),
        "{e}"
    );
    // Reported before any password is asked for.
    let e = open_err(t.path(), &OpenOptions::default());
    assert!(e.to_string().contains("offset"), "{e}");

    let (t, _) = sample().build_encrypted(&EncryptOptions::new(PW));
    set_keybag(t.path(), |kb| kb[100..104].copy_from_slice(&[0xff; 4]));
    let e = open_err(t.path(), &with_password(PW));
    assert!(e.to_string().contains("offset"), "{e}");

    // No keybag at all.
    let (t, _) = sample().build_encrypted(&EncryptOptions::new(PW));
    let mp = t.path().join("Manifest.plist");
    let mut d = Value::from_file(&mp).unwrap().into_dictionary().unwrap();
    d.remove("BackupKeyBag");
    Value::Dictionary(d).to_file_binary(&mp).unwrap();
    let e = open_err(t.path(), &with_password(PW));
    assert!(e.to_string().contains("BackupKeyBag"), "{e}");
}

#[test]
fn file_without_key_fails_alone() {
    let (t, _) = sample().build_encrypted(&EncryptOptions::new(PW).drop_key(SMS));
    let acq = open(t.path(), &with_password(PW)).unwrap();
    let e = acq.evidence().read(SMS).unwrap_err().to_string();
    assert!(e.contains("EncryptionKey") && e.contains("sms.db"), "{e}");
    assert!(acq.evidence().local_file(SMS).is_err());
    assert_eq!(acq.evidence().read(BIG).unwrap(), big());
}

#[test]
fn file_shorter_than_recorded_size_warns() {
    let (t, _) = sample().build_encrypted(&EncryptOptions::new(PW).cut(BIG, 64));
    let root = t.path().to_path_buf();
    let backup =
        telltale_ios::crypto::evidence::open_encrypted_backup(&root, &with_password(PW)).unwrap();
    let got = backup.read(BIG).unwrap();
    assert_eq!(got.len(), 64);
    assert_eq!(got[..48], big()[..48]);
    let w = backup.read_warnings();
    assert!(
        w.iter()
            .any(|w| w.contains("big.bin") && w.contains("shorter")),
        "{w:?}"
    );
}

#[test]
fn ios_10_0_layout_single_kdf_and_clear_manifest_db() {
    let (t, _) = sample().build_encrypted(&EncryptOptions::new(PW).ios10_0());
    assert!(
        std::fs::read(t.path().join("Manifest.db"))
            .unwrap()
            .starts_with(b"SQLite format 3\0")
    );
    let b = EncryptedBackup::open(t.path(), Secret::Password(PW)).unwrap();
    assert!(!b.keybag().has_double_kdf());
    assert!(!b.manifest_db_encrypted());
    let acq = open(t.path(), &with_password(PW)).unwrap();
    assert_eq!(acq.evidence().read(BIG).unwrap(), big());
    assert!(matches!(
        open_err(t.path(), &with_password("nope")),
        AcquisitionError::WrongPassword { .. }
    ));
}

#[test]
fn encrypted_backup_gives_the_results_of_its_unencrypted_twin() {
    let b = sample();
    let plain = b.build();
    let (enc, _) = b.build_encrypted(&EncryptOptions::new(PW));
    let plain_acq = open(plain.path(), &OpenOptions::default()).unwrap();
    let enc_acq = open(enc.path(), &with_password(PW)).unwrap();
    let p = results(plain_acq.evidence());
    let e = results(enc_acq.evidence());
    assert!(
        alerts_total(&p) >= 3,
        "the sample should raise alerts: {p:#?}"
    );
    assert_eq!(p.len(), e.len());
    for (a, b) in p.iter().zip(&e) {
        assert_eq!(a, b, "module {}", a["module"]);
    }
}

#[test]
fn decrypt_writes_an_ordinary_backup_and_a_safe_tree() {
    let b = sample().add_file("HomeDomain", "../../escape.txt", b"out");
    let plain = b.build();
    let (enc, info) = b.build_encrypted(&EncryptOptions::new(PW));
    let out_parent = tempfile::tempdir().unwrap();
    let out = out_parent.path().join("dec");
    let key = Key32::from_hex(&info.key_hex()).unwrap();
    let calls = Mutex::new(Vec::new());
    let s = crypto::decrypt_backup(enc.path(), &key, &out, true, &|d, n| {
        calls.lock().unwrap().push((d, n))
    })
    .unwrap();
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.files, 8, "{s:?}");
    assert_eq!(
        s.missing,
        vec!["HomeDomain/Library/Gone/missing.db".to_string()]
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("escape.txt") && w.contains("unsafe")),
        "{:?}",
        s.warnings
    );
    assert!(!out_parent.path().join("escape.txt").exists());
    assert!(!out.join("escape.txt").exists());
    let calls = calls.into_inner().unwrap();
    assert_eq!(calls.last(), Some(&(9, 9)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
    // The tree.
    assert_eq!(
        std::fs::read(out.join("HomeDomain/Library/SMS/sms.db")).unwrap(),
        sms_db()
    );
    assert_eq!(
        std::fs::read(out.join("HomeDomain/Library/big.bin")).unwrap(),
        big()
    );
    // Manifest.plist says not encrypted and has no keys.
    let m = Value::from_file(out.join("Manifest.plist"))
        .unwrap()
        .into_dictionary()
        .unwrap();
    assert_eq!(
        m.get("IsEncrypted").and_then(Value::as_boolean),
        Some(false)
    );
    assert!(m.get("BackupKeyBag").is_none() && m.get("ManifestKey").is_none());
    // It opens without secrets as a plain backup, with the results of the plain original.
    let acq = open(&out, &OpenOptions::default()).unwrap();
    assert!(!acq.evidence().describe().contains("encrypted"));
    assert_eq!(acq.evidence().read(BIG).unwrap(), big());
    let plain_acq = open(plain.path(), &OpenOptions::default()).unwrap();
    assert_eq!(results(plain_acq.evidence()), results(acq.evidence()));
    // A second run refuses the non-empty folder.
    let e = crypto::decrypt_backup(enc.path(), &key, &out, false, &|_, _| {}).unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");
    // A wrong key is refused before anything is written.
    let other = out_parent.path().join("other");
    let e = crypto::decrypt_backup(enc.path(), &Key32::new([1; 32]), &other, false, &|_, _| {})
        .unwrap_err();
    assert!(matches!(e, CryptoError::WrongPassword));
    assert!(!other.exists());
}

#[test]
fn decrypt_reports_short_and_keyless_files() {
    let (enc, info) = sample().build_encrypted(&EncryptOptions::new(PW).cut(BIG, 64).drop_key(SMS));
    let out = tempfile::tempdir().unwrap();
    let key = Key32::from_hex(&info.key_hex()).unwrap();
    let s = crypto::decrypt_backup(enc.path(), &key, out.path(), false, &|_, _| {}).unwrap();
    assert!(
        s.errors
            .iter()
            .any(|e| e.contains("sms.db") && e.contains("EncryptionKey")),
        "{:?}",
        s.errors
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("big.bin") && w.contains("shorter")),
        "{:?}",
        s.warnings
    );
    assert!(
        !out.path().join("HomeDomain").exists(),
        "no tree without --tree"
    );
}

#[test]
fn no_decrypted_byte_left_on_disk_after_drop() {
    let (t, _) = sample().build_encrypted(&EncryptOptions::new(PW));
    let acq = open(t.path(), &with_password(PW)).unwrap();
    let lf = acq.evidence().local_file(SMS).unwrap();
    let db = acq.evidence().local_file("Manifest.db").unwrap();
    assert!(!lf.is_original() && !db.is_original());
    let dir = lf.path().parent().unwrap().to_path_buf();
    assert_eq!(db.path().parent().unwrap(), dir);
    assert!(lf.path().is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
    {
        let sq = telltale_core::sqlite::open(acq.evidence(), SMS).unwrap();
        drop(sq);
    }
    drop(lf);
    drop(db);
    assert!(dir.exists(), "still in use by the evidence");
    drop(acq);
    assert!(!dir.exists(), "decrypted copies removed with the evidence");
    assert!(!crypto::live_temp_dirs().contains(&dir));
}

#[test]
#[ignore = "slow: Apple's real key derivation (10,000,000 PBKDF2-SHA256 rounds), twice"]
fn real_iteration_counts() {
    let (t, info) = BackupBuilder::new()
        .add_file("HomeDomain", "Library/SMS/sms.db", sms_db())
        .build_encrypted(&EncryptOptions::new(PW).real_iterations());
    let b = EncryptedBackup::open(t.path(), Secret::Password(PW)).unwrap();
    assert_eq!(b.keybag().dp_iterations, Some(10_000_000));
    assert_eq!(b.keybag().iterations, 10_000);
    assert_eq!(b.passcode_key().to_hex(), info.key_hex());
    let acq = open(t.path(), &with_key(info.key_hex().as_bytes())).unwrap();
    assert_eq!(acq.evidence().read(SMS).unwrap(), sms_db());
}
