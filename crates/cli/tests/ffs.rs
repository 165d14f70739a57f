//! End-to-end: `telltale check` on iOS full-filesystem dumps, through the binary.
//! * the same traces are found in the folder, the `.tar`, the `.tar.gz` and the `.zip` (exit 1);
//! * a clean dump exits 0 and says what it could not check (no system volume);
//! * archives and folders holding no known acquisition exit 2 with a message, never a clean report;
//! * the dump is never modified (tree state before and after).

use std::path::{Path, PathBuf};

use telltale_testkit::ios_dbs::{DataUsageDb, IosVersion, SmsDb};
use telltale_testkit::ios_fs::{Dump, DumpLayout};
use telltale_testkit::ios_fs_dbs::CacheDb;

mod common;
use common::{alert_keys, read_json, telltale, tree_state};

const STIX: &str = r#"{"type":"bundle","id":"bundle--0","objects":[
{"type":"malware","id":"malware--1","name":"Dumpware","is_family":true},
{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[domain-name:value = 'evil.com']"},
{"type":"indicator","id":"indicator--2","pattern_type":"stix","pattern":"[process:name = 'bh']"},
{"type":"indicator","id":"indicator--3","pattern_type":"stix","pattern":"[file:path = '/private/var/tmp/l/']"},
{"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--1"},
{"type":"relationship","id":"relationship--2","relationship_type":"indicates","source_ref":"indicator--2","target_ref":"malware--1"},
{"type":"relationship","id":"relationship--3","relationship_type":"indicates","source_ref":"indicator--3","target_ref":"malware--1"}
]}"#;

fn traces() -> Dump {
    Dump::new()
        .backup_path(
            SmsDb::PATH,
            &SmsDb::new(IosVersion::V17)
                .message("+15555550100", "https://evil.com/x", 7e8)
                .to_bytes(),
        )
        .file(
            "private/var/networkd/db/netusage.sqlite",
            &DataUsageDb::netusage()
                .process("bh", None, 7e8, 7e8)
                .to_bytes(),
        )
        .app_file(
            "com.example.app",
            "Library/Caches/com.example.app/Cache.db",
            &CacheDb::new()
                .response("https://cdn.evil.com/a.js", "2021-07-01 10:00:00")
                .response(
                    "https://www.google.com/search?q=evil.com",
                    "2021-07-01 10:00:01",
                )
                .to_bytes(),
        )
        .file("private/var/tmp/l/payload", b"x")
        .file("private/var/tmp/l10n-cache.plist", b"x")
}

fn check(input: &Path, out: &Path, iocs: &Path) -> assert_cmd::assert::Assert {
    telltale()
        .args(["check", "-q", "--no-builtin-iocs", "--iocs"])
        .arg(iocs)
        .arg("-o")
        .arg(out)
        .arg(input)
        .assert()
}

fn containers(d: &Dump, dir: &Path, layout: &DumpLayout) -> Vec<PathBuf> {
    let folder = d.write_dir(&dir.join("folder"), layout).unwrap();
    let tar = dir.join("dump.tar");
    d.write_tar(&tar, layout).unwrap();
    let tgz = dir.join("dump.tar.gz");
    d.write_tar_gz(&tgz, layout).unwrap();
    let zip = dir.join("dump.zip");
    d.write_zip(&zip, layout, false).unwrap();
    vec![folder, tar, tgz, zip]
}

#[test]
fn same_traces_in_every_container_and_the_dump_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let iocs = dir.path().join("test.stix2");
    std::fs::write(&iocs, STIX).unwrap();
    let inputs = containers(&traces(), dir.path(), &DumpLayout::Ufed);
    let mut first: Option<Vec<(String, String, String)>> = None;
    for (i, input) in inputs.iter().enumerate() {
        let before = tree_state(input);
        let out = dir.path().join(format!("out{i}"));
        check(input, &out, &iocs).code(1);
        assert_eq!(before, tree_state(input), "{}: modified", input.display());
        let keys = alert_keys(&out);
        let matched: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
        assert!(matched.contains(&"evil.com"), "{keys:?}");
        assert!(matched.contains(&"bh"));
        assert!(matched.contains(&"/private/var/tmp/l/"));
        // The decoys: a search for evil.com, and a file that only starts like the folder indicator.
        let alerts = read_json(&out.join("alerts.json"));
        for a in alerts.as_array().unwrap() {
            let e = a["event"].to_string();
            assert!(!e.contains("google.com"), "{a}");
            assert!(!e.contains("l10n-cache"), "{a}");
        }
        let info = read_json(&out.join("info.json"));
        assert_eq!(info["acquisition"], "ios-fs", "{info}");
        match &first {
            None => first = Some(keys),
            Some(f) => assert_eq!(&keys, f, "{}", input.display()),
        }
    }
}

#[test]
fn a_clean_dump_exits_0_and_says_what_it_could_not_check() {
    let dir = tempfile::tempdir().unwrap();
    let iocs = dir.path().join("test.stix2");
    std::fs::write(&iocs, STIX).unwrap();
    let input = Dump::new()
        .file("private/var/mobile/Library/notes.txt", b"x")
        .write_dir(&dir.path().join("clean"), &DumpLayout::VarOnly)
        .unwrap();
    let out = dir.path().join("out");
    let a = check(&input, &out, &iocs).code(0);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(stderr.contains("System volume"), "{stderr}");
    let info = read_json(&out.join("info.json"));
    let coverage = info["coverage"].to_string();
    assert!(coverage.contains("System volume"), "{coverage}");
    let device = info["device"].to_string();
    assert!(device.contains("/private/var alone"), "{device}");
    assert!(device.contains("File times"), "{device}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("System volume"));
}

#[test]
fn unrecognised_archives_and_folders_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let not = Dump::empty()
        .file("photos/a.jpg", b"x")
        .file("docs/b.txt", b"x");
    for input in containers(&not, dir.path(), &DumpLayout::Plain) {
        let out = dir.path().join("never");
        let a = telltale()
            .args(["check", "-q", "-o"])
            .arg(&out)
            .arg(&input)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        assert!(
            stderr.contains("not a recognised acquisition"),
            "{}: {stderr}",
            input.display()
        );
        assert!(!out.join("alerts.json").exists(), "no clean report");
        if input.extension().is_some_and(|e| e == "tar" || e == "gz") {
            assert!(stderr.contains("tar archive that holds none"), "{stderr}");
        }
    }
    // Garbage named like an archive.
    let junk = dir.path().join("dump.tar.gz");
    std::fs::write(&junk, [0x1f, 0x8b, 0, 1, 2, 3]).unwrap();
    telltale()
        .args(["check", "-q", "-o"])
        .arg(dir.path().join("never2"))
        .arg(&junk)
        .assert()
        .code(2);
}
