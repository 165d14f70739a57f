//! Android backups: versions, compression, encryption, passwords; the `sms` module; the AndroidQF kind
//! end to end with a nested encrypted backup and a hostile nested bugreport.

use std::path::Path;
use std::sync::Arc;

use telltale_android::ab::{AbError, AbEvidence};
use telltale_android::{AndroidBackupKind, AndroidQfKind, modules};
use telltale_core::ioc::{IndicatorKind, IocIndex};
use telltale_core::{
    AcquisitionError, AcquisitionKind, Evidence, Level, MemoryOutput, ModuleContext, ModuleStatus,
    OpenOptions, RunOptions, SecretProvider, run_modules,
};
use telltale_testkit::android_backup::{AndroidBackup, Sms};
use telltale_testkit::androidqf::{AndroidQf, Package, zip_bytes};

type Collect = MemoryOutput;

struct Pw(Option<&'static str>);
impl SecretProvider for Pw {
    fn password(&self, _what: &str) -> Option<String> {
        self.0.map(str::to_string)
    }
}

fn opts(pw: Option<&'static str>) -> OpenOptions {
    OpenOptions {
        secrets: Some(Arc::new(Pw(pw))),
        timezone: None,
    }
}

fn iocs() -> IocIndex {
    IocIndex::from_values(
        &[
            (IndicatorKind::Domain, "evil.com"),
            (IndicatorKind::AppId, "com.evil.spy"),
        ],
        "Pegasus",
    )
}

fn messages() -> Vec<Sms> {
    vec![
        Sms::received(
            "+15551234",
            "Your parcel: https://track.evil.com/x1 now",
            1_700_000_000_000,
        ),
        Sms::sent("+15551234", "see https://notevil.com/ok", 1_700_000_100_000),
    ]
}

fn backup() -> AndroidBackup {
    AndroidBackup::new()
        .sms("000000", &messages())
        .mms(
            "000000",
            &[Sms::received(
                "+15559999",
                "mms www.evil.com/y",
                1_700_000_200_000,
            )],
        )
        .file("apps/com.example/f/notes.txt", b"hello")
}

fn run_sms(ev: &dyn Evidence) -> (Vec<ModuleStatus>, Collect) {
    let out = Collect::default();
    let iocs = iocs();
    let o = RunOptions::default();
    let ctx = ModuleContext {
        evidence: ev,
        iocs: &iocs,
        options: &o,
    };
    let s = run_modules(&modules::backup::all(), &ctx, &out);
    (s.modules.into_iter().map(|m| m.status).collect(), out)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn versions_compression_and_encryption() {
    let dir = tempfile::tempdir().unwrap();
    for version in [1, 2, 5] {
        for compressed in [false, true] {
            for password in [None, Some("s3cret ünïcode")] {
                let mut b = backup().version(version).compressed(compressed);
                if let Some(pw) = password {
                    b = b.password(pw);
                }
                let p = write(dir.path(), "b.ab", &b.to_bytes());
                let ev = AbEvidence::open(&p, password)
                    .unwrap_or_else(|e| panic!("v{version} {compressed} {e}"));
                assert_eq!(ev.header().version, version);
                assert_eq!(ev.header().encrypted(), password.is_some());
                assert_eq!(ev.read("apps/com.example/f/notes.txt").unwrap(), b"hello");
                assert_eq!(
                    ev.local_file("apps/com.example/f/notes.txt")
                        .map(|l| std::fs::read(l.path()).unwrap())
                        .unwrap(),
                    b"hello"
                );
                let (status, out) = run_sms(&ev);
                assert_eq!(status, vec![ModuleStatus::Ok]);
                assert_eq!(out.records.lock().unwrap().len(), 3);
                // evil.com in the SMS and in the MMS; notevil.com does not match.
                let alerts = out.alerts.lock().unwrap();
                assert_eq!(alerts.len(), 2, "{alerts:?}");
                assert!(alerts.iter().all(|a| a.level == Level::Critical));
                if password.is_some() {
                    let err = AbEvidence::open(&p, Some("wrong")).err().unwrap();
                    assert!(matches!(err, AbError::WrongPassword), "v{version}: {err}");
                    assert!(matches!(
                        AbEvidence::open(&p, None),
                        Err(AbError::PasswordNeeded)
                    ));
                }
            }
        }
    }
}

#[test]
fn sms_records_fields_and_malformed_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "b.ab", &backup().to_bytes());
    let ev = AbEvidence::open(&p, None).unwrap();
    let (_, out) = run_sms(&ev);
    let recs = out.records.lock().unwrap();
    let first = &recs
        .iter()
        .find(|(_, r)| r["address"] == "+15551234" && r["direction"] == "received")
        .unwrap()
        .1;
    assert_eq!(first["isodate"], "2023-11-14 22:13:20.000000");
    assert_eq!(first["links"][0], "https://track.evil.com/x1");
    let mms = &recs
        .iter()
        .find(|(_, r)| r["address"] == "+15559999")
        .unwrap()
        .1;
    assert_eq!(mms["body"], "mms www.evil.com/y");
    assert!(
        out.timeline
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.event == "sms_sent")
    );

    // A garbage SMS file: the module fails naming the file; no panic.
    let b = AndroidBackup::new().file(
        "apps/com.android.providers.telephony/d_f/000000_sms_backup",
        b"garbage",
    );
    let p = write(dir.path(), "bad.ab", &b.to_bytes());
    let ev = AbEvidence::open(&p, None).unwrap();
    let (status, _) = run_sms(&ev);
    assert!(
        matches!(&status[0], ModuleStatus::Failed(m) if m.contains("_sms_backup")),
        "{status:?}"
    );

    // No telephony backup: no data.
    let p = write(
        dir.path(),
        "none.ab",
        &AndroidBackup::new().file("apps/x/f/a", b"a").to_bytes(),
    );
    let (status, _) = run_sms(&AbEvidence::open(&p, None).unwrap());
    assert!(matches!(status[0], ModuleStatus::NoData(_)));
}

#[test]
fn malformed_backups_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = backup().to_bytes();
    let p = write(dir.path(), "t.ab", &good[..good.len() / 2]);
    // Truncated compressed stream: an error or a warning, never a panic.
    match AbEvidence::open(&p, None) {
        Ok(ev) => assert!(!ev.warnings().is_empty()),
        Err(e) => assert!(e.to_string().contains("backup"), "{e}"),
    }
    let p = write(
        dir.path(),
        "x.ab",
        b"ANDROID BACKUP\n5\n1\nnone\nnot zlib at all",
    );
    assert!(AbEvidence::open(&p, None).is_err());
    let enc = backup().password("pw").to_bytes();
    let p = write(dir.path(), "e.ab", &enc[..enc.len() - 7]);
    match AbEvidence::open(&p, Some("pw")) {
        Ok(ev) => assert!(!ev.warnings().is_empty()),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    let p = write(dir.path(), "n.ab", b"PK\x03\x04 not a backup");
    assert!(matches!(
        AbEvidence::open(&p, None),
        Err(AbError::NotBackup)
    ));
}

#[test]
fn android_backup_kind_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "enc.ab", &backup().password("pw").to_bytes());
    let kind = AndroidBackupKind;
    let acq = kind.open(&p, &opts(Some("pw"))).unwrap().unwrap();
    assert_eq!(acq.kind(), "android-backup");
    assert!(acq.facts().iter().any(|f| f.value == "AES-256"));
    assert!(matches!(
        kind.open(&p, &opts(Some("nope"))),
        Err(AcquisitionError::WrongPassword { .. })
    ));
    assert!(matches!(
        kind.open(&p, &opts(None)),
        Err(AcquisitionError::PasswordNeeded { .. })
    ));
    let other = write(dir.path(), "other.txt", b"hello");
    assert!(kind.open(&other, &opts(None)).unwrap().is_none());
}

fn qf_with_nested(dir: &Path, bugreport: Vec<u8>) -> std::path::PathBuf {
    let p = dir.join("androidqf.zip");
    AndroidQf::new()
        .package(Package::new("com.evil.spy"))
        .prop("persist.sys.timezone", "Europe/Rome")
        .backup(&backup().password("pw").to_bytes())
        .bugreport(&bugreport)
        .in_folder("acq")
        .write_zip(&p)
        .unwrap();
    p
}

fn run_acq(p: &Path, pw: Option<&'static str>) -> (telltale_core::RunSummary, Collect) {
    let acq = AndroidQfKind
        .open(p, &opts(pw))
        .unwrap()
        .expect("recognised as AndroidQF");
    assert_eq!(acq.kind(), "androidqf");
    assert_eq!(acq.timezone().as_deref(), Some("Europe/Rome"));
    let out = Collect::default();
    let iocs = iocs();
    let o = RunOptions {
        timezone: acq.timezone(),
    };
    let ctx = ModuleContext {
        evidence: acq.evidence(),
        iocs: &iocs,
        options: &o,
    };
    let summary = run_modules(&acq.modules(), &ctx, &out);
    (summary, out)
}

#[test]
fn androidqf_zip_with_encrypted_backup_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let bug = zip_bytes(&[("main_entry.txt".into(), b"bugreport.txt".to_vec())]).unwrap();
    let p = qf_with_nested(dir.path(), bug);
    let (summary, out) = run_acq(&p, Some("pw"));
    let sms = summary
        .modules
        .iter()
        .find(|m| m.module == "sms")
        .expect("sms module from the nested backup");
    assert_eq!(sms.status, ModuleStatus::Ok);
    assert_eq!(sms.records, 3);
    assert_eq!(sms.alerts_at(Level::Critical), 2);
    let pk = summary
        .modules
        .iter()
        .find(|m| m.module == "aqf_packages")
        .unwrap();
    assert_eq!(pk.alerts_at(Level::Critical), 1);
    assert!(out.alerts.lock().unwrap().iter().any(|a| a.module == "sms"));
    assert_eq!(summary.failed().count(), 0, "{:?}", summary.modules);

    // Wrong password: a warning on the backup modules; everything else still runs.
    let (summary, _) = run_acq(&p, Some("wrong"));
    let sms = summary.modules.iter().find(|m| m.module == "sms").unwrap();
    assert!(
        matches!(&sms.status, ModuleStatus::NoData(m) if m.contains("wrong backup password")),
        "{sms:?}"
    );
    assert!(
        sms.warnings
            .iter()
            .any(|w| w.contains("wrong backup password"))
    );
    let pk = summary
        .modules
        .iter()
        .find(|m| m.module == "aqf_packages")
        .unwrap();
    assert_eq!(pk.alerts_at(Level::Critical), 1);

    // Folder form, no password at all.
    let folder = dir.path().join("qf");
    AndroidQf::new()
        .package(Package::new("com.evil.spy"))
        .prop("persist.sys.timezone", "Europe/Rome")
        .backup(&backup().password("pw").to_bytes())
        .write_dir(&folder)
        .unwrap();
    let (summary, _) = run_acq(&folder, None);
    let sms = summary.modules.iter().find(|m| m.module == "sms").unwrap();
    assert!(matches!(&sms.status, ModuleStatus::NoData(m) if m.contains("no password")));
    assert_eq!(summary.alerts_at(Level::Critical), 1);
}

#[test]
fn hostile_nested_zip_never_stops_the_other_modules() {
    let dir = tempfile::tempdir().unwrap();
    let p = qf_with_nested(dir.path(), b"PK\x03\x04 this is not really a zip".to_vec());
    let (summary, _) = run_acq(&p, Some("pw"));
    assert_eq!(summary.failed().count(), 0, "{:?}", summary.modules);
    let pk = summary
        .modules
        .iter()
        .find(|m| m.module == "aqf_packages")
        .unwrap();
    assert_eq!(pk.alerts_at(Level::Critical), 1);
    let sms = summary.modules.iter().find(|m| m.module == "sms").unwrap();
    assert_eq!(sms.alerts_at(Level::Critical), 2);
    // Bugreport modules (if any) report the unreadable nested zip as a warning.
    for m in summary
        .modules
        .iter()
        .filter(|m| m.module != "sms" && !m.module.starts_with("aqf_"))
    {
        if matches!(m.status, ModuleStatus::NoData(_)) && !m.warnings.is_empty() {
            assert!(m.warnings[0].contains("bugreport.zip"));
        }
    }
}

#[test]
fn androidqf_detection() {
    let dir = tempfile::tempdir().unwrap();
    // Not AndroidQF: a folder with a single unrelated file, a random file, a zip of something else.
    std::fs::write(dir.path().join("readme.txt"), b"x").unwrap();
    assert!(
        AndroidQfKind
            .open(dir.path(), &opts(None))
            .unwrap()
            .is_none()
    );
    let z = write(
        dir.path(),
        "other.zip",
        &zip_bytes(&[("dumpstate.txt".into(), b"x".to_vec())]).unwrap(),
    );
    assert!(AndroidQfKind.open(&z, &opts(None)).unwrap().is_none());
    // AndroidQF without acquisition.json, files at the zip's root.
    let q = dir.path().join("q.zip");
    AndroidQf::new()
        .without_acquisition_json()
        .prop("a", "b")
        .setting("global", "x", "1")
        .write_zip(&q)
        .unwrap();
    assert!(AndroidQfKind.open(&q, &opts(None)).unwrap().is_some());
    // Parent folder of an acquisition folder.
    let parent = dir.path().join("parent");
    AndroidQf::new()
        .prop("a", "b")
        .write_dir(&parent.join("acq1"))
        .unwrap();
    let acq = AndroidQfKind.open(&parent, &opts(None)).unwrap().unwrap();
    assert!(acq.evidence().exists("getprop.txt"));
}
