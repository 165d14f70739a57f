//! Evidence integrity, for every acquisition kind, through the binary:
//! * the whole input tree (contents, sizes, modification times) is identical before and after each of
//!   two checks, and the two checks give identical alerts;
//! * iOS databases whose newest rows live only in their `-wal` side file (as in a backup of a phone in
//!   use) are read with those rows, plain and encrypted, without touching the side files;
//! * the check succeeds, with the same alerts, on a read-only mount of the acquisition (a bind mount
//!   remounted read-only in a private mount namespace: as root, file permissions would not stop a
//!   write, a read-only file system does). That part skips, with a notice, where `unshare -m` or
//!   `mount` is not permitted.

use std::path::{Path, PathBuf};
use std::process::Command;

use telltale_testkit::android_backup::{AndroidBackup, Sms};
use telltale_testkit::androidqf::{AndroidQf, Package};
use telltale_testkit::bugreport::{Bugreport, IntrusionLogs};
use telltale_testkit::ios_backup::{BackupBuilder, wal_database_from};
use telltale_testkit::ios_crypto::{EncryptOptions, encrypt_backup_in_place};
use telltale_testkit::ios_dbs::{DataUsageDb, IosVersion, SmsDb};

mod common;
use common::{alert_keys, tree_state};

const STIX: &str = r#"{"type":"bundle","id":"bundle--0","objects":[
{"type":"malware","id":"malware--1","name":"Integrityware","is_family":true},
{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[domain-name:value = 'evil.com']"},
{"type":"indicator","id":"indicator--2","pattern_type":"stix","pattern":"[app:id = 'com.evil.app']"},
{"type":"indicator","id":"indicator--3","pattern_type":"stix","pattern":"[process:name = 'evilproc']"},
{"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--1"},
{"type":"relationship","id":"relationship--2","relationship_type":"indicates","source_ref":"indicator--2","target_ref":"malware--1"},
{"type":"relationship","id":"relationship--3","relationship_type":"indicates","source_ref":"indicator--3","target_ref":"malware--1"}
]}"#;

const PASSWORD: &str = "integrity";

/// `prefix… telltale check` of `input` into `out`, with the test indicators only; returns the exit code
/// and stderr.
fn run_check(prefix: &[&str], input: &Path, out: &Path, iocs: &Path) -> (Option<i32>, String) {
    let bin = assert_cmd::cargo::cargo_bin("telltale");
    let mut c = match prefix.split_first() {
        Some((p, rest)) => {
            let mut c = Command::new(p);
            c.args(rest).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    c.args(["check", "-q", "--no-builtin-iocs", "--iocs"])
        .arg(iocs)
        .arg("-o")
        .arg(out)
        .arg(input)
        .env("TELLTALE_DATA_DIR", out.with_extension("data"))
        .env("TELLTALE_BACKUP_PASSWORD", PASSWORD);
    let o = c.output().expect("runs");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Whether a read-only bind mount can be made here (`unshare -m` and `mount` permitted).
fn read_only_mounts_work(scratch: &Path) -> bool {
    let src = scratch.join("probe-src");
    let dst = scratch.join("probe-dst");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&dst).unwrap();
    Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            r#"mount --bind "$1" "$2" && mount -o remount,ro,bind "$2" && ! touch "$2/x" 2>/dev/null"#,
            "sh",
        ])
        .arg(&src)
        .arg(&dst)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The prefix that runs a command with `dir` bind-mounted read-only on `mnt` (private mount namespace).
fn read_only_prefix(dir: &Path, mnt: &Path) -> Vec<String> {
    vec![
        "unshare".into(),
        "-m".into(),
        "sh".into(),
        "-c".into(),
        r#"src=$1; dst=$2; shift 2; mount --bind "$src" "$dst" && mount -o remount,ro,bind "$dst" && exec "$@""#
            .into(),
        "sh".into(),
        dir.display().to_string(),
        mnt.display().to_string(),
    ]
}

/// One acquisition kind: builds its input (a file or folder) inside `dir`, returns its path.
struct Kind {
    name: &'static str,
    build: fn(&Path) -> PathBuf,
    /// (module, matched value) that must be among the CRITICAL alerts.
    expect: (&'static str, &'static str),
}

fn ios_backup(dir: &Path) -> PathBuf {
    // The main sms.db has an ordinary text; the WAL turns it into the link (a phone backed up while
    // Messages had the database open). The DataUsage process exists only in the WAL.
    let sms = SmsDb::new(IosVersion::V16)
        .message("+15555550100", "ordinary text", 700_000_000.0)
        .to_bytes();
    let (sms, sms_wal, sms_shm) = wal_database_from(
        &sms,
        "UPDATE message SET text = 'open https://evil.com/x now' WHERE ROWID = 1",
    );
    let has = |b: &[u8], s: &str| b.windows(s.len()).any(|w| w == s.as_bytes());
    assert!(has(&sms_wal, "evil.com") && !has(&sms, "evil.com"));
    let du = DataUsageDb::new(IosVersion::V16)
        .process("locationd", None, 700_000_000.0, 700_000_100.0)
        .to_bytes();
    let (du, du_wal, du_shm) = wal_database_from(
        &du,
        "UPDATE ZPROCESS SET ZPROCNAME = 'evilproc' WHERE Z_PK = 1",
    );
    assert!(has(&du_wal, "evilproc") && !has(&du, "evilproc"));
    BackupBuilder::new()
        .product_version("16.5")
        .add_file("HomeDomain", "Library/SMS/sms.db", sms)
        .add_file("HomeDomain", "Library/SMS/sms.db-wal", sms_wal)
        .add_file("HomeDomain", "Library/SMS/sms.db-shm", sms_shm)
        .add_file("WirelessDomain", "Library/Databases/DataUsage.sqlite", du)
        .add_file(
            "WirelessDomain",
            "Library/Databases/DataUsage.sqlite-wal",
            du_wal,
        )
        .add_file(
            "WirelessDomain",
            "Library/Databases/DataUsage.sqlite-shm",
            du_shm,
        )
        .write(&dir.join("backup"))
}

fn ios_encrypted(dir: &Path) -> PathBuf {
    let root = ios_backup(dir);
    encrypt_backup_in_place(&root, &EncryptOptions::new(PASSWORD));
    root
}

fn evil_qf() -> AndroidQf {
    AndroidQf::new()
        .package(Package::new("com.android.chrome"))
        .package(Package::new("com.evil.app"))
        .process("init")
}

fn androidqf_folder(dir: &Path) -> PathBuf {
    let p = dir.join("androidqf");
    evil_qf().write_dir(&p).unwrap();
    p
}

fn androidqf_zip(dir: &Path) -> PathBuf {
    let p = dir.join("androidqf.zip");
    evil_qf().write_zip(&p).unwrap();
    p
}

fn evil_bugreport() -> Bugreport {
    Bugreport::new()
        .service(
            "package",
            "Packages:\n  Package [com.evil.app] (1a2b3c):\n    userId=10123\n    versionName=1.0\n",
        )
        .getprop(&[("ro.build.version.sdk", "34")])
}

fn bugreport_zip(dir: &Path) -> PathBuf {
    let p = dir.join("bugreport-x-2024-01-02-03-04-05.zip");
    evil_bugreport().write_zip(&p).unwrap();
    p
}

fn bugreport_folder(dir: &Path) -> PathBuf {
    let p = dir.join("bugreport");
    evil_bugreport().write_folder(&p).unwrap();
    p
}

fn evil_sms() -> [Sms; 1] {
    [Sms::received(
        "+100",
        "open https://evil.com/x now",
        1_700_000_000_000,
    )]
}

fn android_backup(dir: &Path) -> PathBuf {
    let p = dir.join("backup.ab");
    AndroidBackup::new()
        .sms("00000", &evil_sms())
        .write(&p)
        .unwrap();
    p
}

fn android_backup_encrypted(dir: &Path) -> PathBuf {
    let p = dir.join("backup-enc.ab");
    AndroidBackup::new()
        .password(PASSWORD)
        .rounds(10)
        .sms("00000", &evil_sms())
        .write(&p)
        .unwrap();
    p
}

fn intrusion_logs(dir: &Path) -> PathBuf {
    let p = dir.join("intrusion-logs");
    IntrusionLogs::new()
        .dns(
            "2024-01-02.txt",
            1_700_000_000_000,
            "evil.com",
            &["10.6.6.6"],
            "com.example",
        )
        .write_folder(&p)
        .unwrap();
    p
}

const KINDS: &[Kind] = &[
    Kind {
        name: "ios-backup (databases with -wal/-shm)",
        build: ios_backup,
        expect: ("sms", "evil.com"),
    },
    Kind {
        name: "ios-backup, encrypted (databases with -wal/-shm)",
        build: ios_encrypted,
        expect: ("datausage", "evilproc"),
    },
    Kind {
        name: "androidqf folder",
        build: androidqf_folder,
        expect: ("aqf_packages", "com.evil.app"),
    },
    Kind {
        name: "androidqf zip",
        build: androidqf_zip,
        expect: ("aqf_packages", "com.evil.app"),
    },
    Kind {
        name: "bugreport zip",
        build: bugreport_zip,
        expect: ("dumpsys_packages", "com.evil.app"),
    },
    Kind {
        name: "bugreport folder",
        build: bugreport_folder,
        expect: ("dumpsys_packages", "com.evil.app"),
    },
    Kind {
        name: "android backup",
        build: android_backup,
        expect: ("sms", "evil.com"),
    },
    Kind {
        name: "android backup, encrypted",
        build: android_backup_encrypted,
        expect: ("sms", "evil.com"),
    },
    Kind {
        name: "intrusion logs",
        build: intrusion_logs,
        expect: ("dns_event", "evil.com"),
    },
];

#[test]
fn every_kind_is_left_untouched_by_two_checks_with_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let iocs = dir.path().join("iocs.stix2");
    std::fs::write(&iocs, STIX).unwrap();
    for (i, kind) in KINDS.iter().enumerate() {
        let acq = dir.path().join(format!("acq{i}"));
        std::fs::create_dir_all(&acq).unwrap();
        let input = (kind.build)(&acq);
        let before = tree_state(&acq);
        assert!(!before.is_empty());
        let mut results = Vec::new();
        for run in 0..2 {
            let out = dir.path().join(format!("out{i}-{run}"));
            let (code, stderr) = run_check(&[], &input, &out, &iocs);
            assert_eq!(code, Some(1), "{}: {stderr}", kind.name);
            assert_eq!(
                before,
                tree_state(&acq),
                "{}: the acquisition changed during check {run}",
                kind.name
            );
            results.push(alert_keys(&out));
        }
        assert_eq!(results[0], results[1], "{}: two checks differ", kind.name);
        let (module, value) = kind.expect;
        assert!(
            results[0]
                .iter()
                .any(|(l, m, v)| l == "CRITICAL" && m == module && v == value),
            "{}: no CRITICAL {module} alert on {value}: {:?}",
            kind.name,
            results[0]
        );
    }
}

#[test]
fn wal_only_rows_are_read_in_plain_and_encrypted_backups() {
    let dir = tempfile::tempdir().unwrap();
    let iocs = dir.path().join("iocs.stix2");
    std::fs::write(&iocs, STIX).unwrap();
    for (i, build) in [ios_backup as fn(&Path) -> PathBuf, ios_encrypted]
        .into_iter()
        .enumerate()
    {
        let acq = dir.path().join(format!("acq{i}"));
        let input = build(&acq);
        let out = dir.path().join(format!("out{i}"));
        let (code, stderr) = run_check(&[], &input, &out, &iocs);
        assert_eq!(code, Some(1), "{stderr}");
        let keys = alert_keys(&out);
        for (module, value) in [("sms", "evil.com"), ("datausage", "evilproc")] {
            assert!(
                keys.iter().any(|(_, m, v)| m == module && v == value),
                "backup {i}: the WAL-only row of {module} was not read: {keys:?}"
            );
        }
    }
}

#[test]
fn every_kind_checks_the_same_on_a_read_only_mount() {
    let dir = tempfile::tempdir().unwrap();
    if !read_only_mounts_work(dir.path()) {
        eprintln!(
            "SKIPPED: read-only bind mounts are not permitted here (unshare -m / mount); the \
             integrity test without a read-only mount still ran"
        );
        return;
    }
    let iocs = dir.path().join("iocs.stix2");
    std::fs::write(&iocs, STIX).unwrap();
    for (i, kind) in KINDS.iter().enumerate() {
        let acq = dir.path().join(format!("acq{i}"));
        std::fs::create_dir_all(&acq).unwrap();
        let input = (kind.build)(&acq);
        let before = tree_state(&acq);

        let out_rw = dir.path().join(format!("out{i}-rw"));
        let (code_rw, _) = run_check(&[], &input, &out_rw, &iocs);

        let mnt = dir.path().join(format!("mnt{i}"));
        std::fs::create_dir_all(&mnt).unwrap();
        let on_mount = mnt.join(input.strip_prefix(&acq).unwrap());
        let prefix = read_only_prefix(&acq, &mnt);
        let prefix: Vec<&str> = prefix.iter().map(String::as_str).collect();
        let out_ro = dir.path().join(format!("out{i}-ro"));
        let (code_ro, stderr) = run_check(&prefix, &on_mount, &out_ro, &iocs);
        assert_eq!(
            code_ro, code_rw,
            "{} on a read-only mount: {stderr}",
            kind.name
        );
        assert_eq!(
            alert_keys(&out_ro),
            alert_keys(&out_rw),
            "{}: different alerts on a read-only mount",
            kind.name
        );
        assert_eq!(before, tree_state(&acq), "{}", kind.name);
    }
}
