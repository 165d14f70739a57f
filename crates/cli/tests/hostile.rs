//! Hostile acquisitions through the `telltale` binary: corrupt, truncated and random artifacts, paths and
//! symbolic links that lead outside the acquisition, zip bombs, invalid UTF-8, absurd indicator files.
//! Each must end with the documented exit code (0/1 when the check ran, 2 when it could not), no module
//! may panic, failures must name their artifact, and the other modules' results must be intact.
//! Nothing here asserts on time: the tests only need to finish.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;

/// module → (status, detail) from info.json; asserts that no module panicked.
fn outcomes(out: &Path) -> BTreeMap<String, (String, String)> {
    let info = read_json(&out.join("info.json"));
    let mut m = BTreeMap::new();
    for o in info["modules"].as_array().expect("modules") {
        let name = o["module"].as_str().unwrap().to_string();
        let status = o["status"].as_str().unwrap().to_string();
        let detail = o["detail"].as_str().unwrap_or("").to_string();
        assert_ne!(status, "panicked", "module {name} panicked: {detail}");
        m.insert(name, (status, detail));
    }
    m
}

fn alerts(out: &Path) -> Vec<Value> {
    read_json(&out.join("alerts.json"))
        .as_array()
        .unwrap()
        .clone()
}

fn has_alert(out: &Path, module: &str, value: &str) -> bool {
    alerts(out)
        .iter()
        .any(|a| a["module"] == module && a["matched_indicator"]["value"] == value)
}

fn blob(backup: &Path, domain: &str, rel: &str) -> PathBuf {
    let id = telltale_ios::file_id(domain, rel);
    backup.join(&id[..2]).join(id)
}

/// Every file below `root` (relative paths).
fn all_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if std::fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

use telltale_testkit::rng::XorShift as Rng;

mod common;
use common::{read_json, telltale};

fn check(input: &Path, out: &Path) -> assert_cmd::assert::Assert {
    telltale()
        .args(["check", "-q", "-o"])
        .arg(out)
        .arg(input)
        .assert()
}

#[test]
fn truncated_and_bit_flipped_databases_fail_their_modules_only() {
    let dir = tempfile::tempdir().unwrap();
    let backup = telltale_testkit::samples::ios_sample_backup(&dir.path().join("backup"));
    // Truncate the SMS database mid-page, flip bits all over the DataUsage database.
    let sms = blob(&backup, "HomeDomain", "Library/SMS/sms.db");
    let data = std::fs::read(&sms).unwrap();
    std::fs::write(&sms, &data[..data.len() / 2 + 7]).unwrap();
    let du = blob(
        &backup,
        "WirelessDomain",
        "Library/Databases/DataUsage.sqlite",
    );
    let mut data = std::fs::read(&du).unwrap();
    let mut rng = Rng(0x5eed);
    for _ in 0..data.len() / 50 {
        let i = (rng.next_u64() as usize) % data.len();
        data[i] ^= 1 << (rng.next_u64() % 8);
    }
    std::fs::write(&du, &data).unwrap();

    let out = dir.path().join("out");
    // The other modules still find the Pegasus process in OSAnalytics: exit 1, not 2.
    check(&backup, &out).code(1);
    let o = outcomes(&out);
    for m in ["sms", "datausage"] {
        let (status, detail) = &o[m];
        if status == "failed" {
            assert!(
                detail.contains(".db") || detail.contains(".sqlite") || detail.contains("database"),
                "{m}'s failure names its artifact: {detail}"
            );
        }
    }
    assert!(has_alert(&out, "os_analytics_ad_daily", "bh"));
    assert!(has_alert(
        &out,
        "id_status_cache",
        "ameliehaggart@gmail.com"
    ));
    assert_eq!(o["os_analytics_ad_daily"].0, "ok");
}

#[test]
fn random_bytes_in_every_artifact_fail_each_module_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let backup = telltale_testkit::samples::ios_sample_backup(&dir.path().join("backup"));
    let mut rng = Rng(42);
    let mut n = 0;
    for rel in all_files(&backup) {
        // Keep the backup recognisable: Info/Manifest/Status plists and Manifest.db stay.
        if rel.components().count() == 2 {
            let len = std::fs::metadata(backup.join(&rel)).unwrap().len() as usize;
            std::fs::write(backup.join(&rel), rng.bytes(len.clamp(1, 64 << 10))).unwrap();
            n += 1;
        }
    }
    assert!(n > 5, "replaced {n} files");
    let out = dir.path().join("out");
    check(&backup, &out).code(predicate::in_iter([0, 1]));
    let o = outcomes(&out);
    let failed: Vec<_> = o.iter().filter(|(_, (s, _))| s == "failed").collect();
    assert!(!failed.is_empty(), "{o:?}");
    for (m, (_, detail)) in failed {
        assert!(!detail.is_empty(), "{m} failed without saying why");
    }
    // The manifest module reads Manifest.db, untouched: its result is intact.
    assert_eq!(o["manifest"].0, "ok");
    assert!(has_alert(&out, "manifest", "roleaccountd.plist"));
}

#[test]
fn random_manifest_plist_or_db_is_a_clear_error() {
    for (name, code) in [
        ("Manifest.db", [1, 2]),
        ("Manifest.plist", [1, 2]),
        ("Info.plist", [1, 2]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let backup = telltale_testkit::samples::ios_sample_backup(&dir.path().join("backup"));
        std::fs::write(backup.join(name), Rng(7).bytes(4096)).unwrap();
        let out = dir.path().join("out");
        let a = check(&backup, &out).code(predicate::in_iter(code));
        let o = a.get_output();
        if o.status.code() == Some(2) {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains(name), "the error names {name}: {err}");
        } else {
            outcomes(&out);
        }
    }
}

#[test]
fn manifest_paths_leaving_the_backup_are_never_followed() {
    use telltale_testkit::ios_backup::BackupBuilder;
    use telltale_testkit::ios_crypto::EncryptOptions;
    use telltale_testkit::ios_dbs::{IosVersion, SmsDb};
    let sms = SmsDb::new(IosVersion::V17)
        .message("+1555", "https://free247downloads.com/x", 700_000_000.0)
        .to_bytes();
    let b = BackupBuilder::new()
        .add_file("HomeDomain", "Library/SMS/sms.db", &sms)
        .add_file("HomeDomain", "../../../escape-rel.txt", b"out")
        .add_file("HomeDomain", "/tmp/escape-abs.txt", b"out")
        .add_file("HomeDomain", "Library/../../../escape-mid.txt", b"out");
    let plain = b.build();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    check(plain.path(), &out).code(1);
    outcomes(&out);
    assert!(has_alert(&out, "sms", "free247downloads.com"));

    let (enc, _info) = b.build_encrypted(&EncryptOptions::new("pw"));
    let parent = dir.path().join("dec-parent");
    std::fs::create_dir(&parent).unwrap();
    let tree = parent.join("tree");
    let a = telltale()
        .env("TELLTALE_BACKUP_PASSWORD", "pw")
        .args(["decrypt", "--tree", "-o"])
        .arg(&tree)
        .arg(enc.path())
        .assert()
        .code(predicate::in_iter([0, 2]));
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    for name in ["escape-rel.txt", "escape-abs.txt", "escape-mid.txt"] {
        assert!(
            err.contains(name),
            "decrypt --tree names the refused {name}: {err}"
        );
        assert!(!parent.join(name).exists());
        assert!(!dir.path().join(name).exists());
        assert!(!Path::new("/tmp").join(name).exists());
        assert!(!tree.join(name).exists());
    }
    let files = all_files(&parent);
    assert!(
        files.iter().all(|f| f.starts_with("tree")),
        "nothing written beside the output folder: {files:?}"
    );
    assert!(tree.join("HomeDomain/Library/SMS/sms.db").is_file());
}

#[cfg(unix)]
#[test]
fn symlinks_leading_outside_the_backup_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let backup = telltale_testkit::samples::ios_sample_backup(&dir.path().join("backup"));
    // Move the SMS database outside, and leave a symbolic link in its place.
    let sms = blob(&backup, "HomeDomain", "Library/SMS/sms.db");
    let outside = dir.path().join("outside-sms.db");
    std::fs::rename(&sms, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &sms).unwrap();
    // And a symlinked hash folder pointing at /etc.
    std::os::unix::fs::symlink("/etc", backup.join("zz")).unwrap();
    let out = dir.path().join("out");
    check(&backup, &out).code(1);
    let o = outcomes(&out);
    assert_ne!(
        o["sms"].0, "ok",
        "the SMS database outside the backup is not read: {o:?}"
    );
    assert!(!has_alert(&out, "sms", "free247downloads.com"));
    assert!(
        has_alert(&out, "datausage", "bh"),
        "the other modules are intact"
    );
}

#[test]
fn androidqf_zip_bomb_and_lying_sizes_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // 600 MiB of spaces compresses to well under a megabyte.
    let mut packages = Vec::new();
    {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(&mut packages));
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        z.start_file("packages.json", o).unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..600 {
            z.write_all(&chunk).unwrap();
        }
        z.start_file("getprop.txt", o).unwrap();
        z.write_all(b"[ro.product.model]: [Pixel]\n").unwrap();
        z.start_file("processes.json", o).unwrap();
        z.write_all(br#"[{"pid":1,"name":"bh","ppid":0}]"#).unwrap();
        z.start_file("acquisition.json", o).unwrap();
        z.write_all(br#"{"uuid":"x"}"#).unwrap();
        z.finish().unwrap();
    }
    assert!(packages.len() < 4 << 20, "{}", packages.len());
    let qf = dir.path().join("qf.zip");
    std::fs::write(&qf, &packages).unwrap();
    let out = dir.path().join("out");
    check(&qf, &out).code(predicate::in_iter([0, 1]));
    let o = outcomes(&out);
    let (status, detail) = &o["aqf_packages"];
    assert_eq!(status, "failed", "{detail}");
    assert!(detail.contains("packages.json"), "{detail}");
    assert_eq!(o["aqf_processes"].0, "ok", "{o:?}");
}

#[test]
fn invalid_utf8_in_androidqf_files_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("qf");
    telltale_testkit::androidqf::AndroidQf::new()
        .package(telltale_testkit::androidqf::Package::new("com.evil.app"))
        .process("bh")
        .write_dir(&root)
        .unwrap();
    // Invalid UTF-8 inside JSON strings and in a text artifact, and a file whose name is not UTF-8.
    let mut j = std::fs::read(root.join("packages.json")).unwrap();
    let at = j.windows(3).position(|w| w == b"com").unwrap();
    j.splice(at..at, [0xff, 0xfe, 0xc3]);
    std::fs::write(root.join("packages.json"), &j).unwrap();
    let mut ps = std::fs::read(root.join("ps.txt")).unwrap();
    ps.extend_from_slice(b"root 77 1 0 0 0 0 S \xff\xfe\xc3bh\n");
    std::fs::write(root.join("ps.txt"), &ps).unwrap();
    std::fs::write(
        root.join("getprop.txt"),
        b"[ro.product.model]: [\xff\xfePixel]\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"logs/\xff\xfe-bad.txt");
        std::fs::create_dir_all(root.join("logs")).unwrap();
        std::fs::write(root.join(name), b"x").unwrap();
    }
    let out = dir.path().join("out");
    check(&root, &out).code(predicate::in_iter([0, 1]));
    let o = outcomes(&out);
    assert_eq!(o["aqf_packages"].0, "ok", "{o:?}");
    assert_eq!(o["aqf_processes"].0, "ok", "{o:?}");
}

#[test]
fn absurd_indicator_files_are_refused_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let backup = telltale_testkit::samples::ios_sample_backup(&dir.path().join("backup"));
    // A million levels of nesting.
    let deep = dir.path().join("deep.stix2");
    let mut s = String::with_capacity(2_000_100);
    s.push_str(r#"{"type":"bundle","objects":"#);
    s.push_str(&"[".repeat(1_000_000));
    s.push_str(&"]".repeat(1_000_000));
    s.push('}');
    std::fs::write(&deep, s).unwrap();
    // A 100 MB string (in a pattern, and as a plain value).
    let big = dir.path().join("big.stix2");
    let long = "a".repeat(100 << 20);
    let bundle = format!(
        r#"{{"type":"bundle","id":"bundle--1","objects":[{{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[domain-name:value = '{long}.com']","description":"{long}"}}]}}"#
    );
    drop(long);
    std::fs::write(&big, bundle).unwrap();
    for f in [&deep, &big] {
        let out = dir
            .path()
            .join(format!("out-{}", f.file_name().unwrap().to_string_lossy()));
        let a = telltale()
            .args(["check", "-q", "--no-builtin-iocs", "--iocs"])
            .arg(f)
            .arg("-o")
            .arg(&out)
            .arg(&backup)
            .assert();
        let o = a.get_output();
        let code = o.status.code();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            matches!(code, Some(0 | 2)),
            "{}: exit {code:?}: {err}",
            f.display()
        );
        if code == Some(2) {
            assert!(
                err.contains(&*f.file_name().unwrap().to_string_lossy()),
                "the error names the file: {err}"
            );
        } else {
            // Loaded (with the odd indicator skipped or kept): the check ran normally.
            outcomes(&out);
        }
    }
}

/// Before the fix in `telltale_ios::util::extract_links`, a word starting with a multi-byte character
/// made the sms module panic (the engine caught it: status `panicked`, its alerts lost). Through the
/// binary: the module now runs and finds the link.
#[test]
fn sms_words_starting_with_multibyte_characters_no_longer_panic() {
    use telltale_testkit::ios_backup::BackupBuilder;
    use telltale_testkit::ios_dbs::{IosVersion, SmsDb};
    let sms = SmsDb::new(IosVersion::V17)
        .message(
            "+1555",
            "\u{fffd}\u{fffd} üüü https://free247downloads.com/x",
            700_000_000.0,
        )
        .to_bytes();
    let b = BackupBuilder::new()
        .add_file("HomeDomain", "Library/SMS/sms.db", &sms)
        .build();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    check(b.path(), &out).code(1);
    assert_eq!(outcomes(&out)["sms"].0, "ok");
    assert!(has_alert(&out, "sms", "free247downloads.com"));
}
