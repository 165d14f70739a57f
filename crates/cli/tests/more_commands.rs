//! End-to-end tests of encrypted backups (check, key, decrypt) and of report, recheck and cases.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

mod common;
use common::read_json;

fn telltale(data: &Path) -> Command {
    let mut c = Command::cargo_bin("telltale").expect("binary");
    c.env("TELLTALE_DATA_DIR", data);
    c.env_remove("TELLTALE_BACKUP_PASSWORD");
    c
}

/// (level, module, matched value) of every alert, sorted.
fn alert_keys(dir: &Path) -> Vec<(String, String, String)> {
    let a = read_json(&dir.join("alerts.json"));
    let mut v: Vec<_> = a
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["level"].as_str().unwrap().to_string(),
                a["module"].as_str().unwrap().to_string(),
                a["matched_indicator"]["value"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn encrypted_sample(dir: &Path, password: &str) -> PathBuf {
    let root = telltale_testkit::samples::ios_sample_backup(&dir.join("enc"));
    telltale_testkit::ios_crypto::encrypt_backup_in_place(
        &root,
        &telltale_testkit::ios_crypto::EncryptOptions::new(password),
    );
    root
}

/// Everything left in a private TMPDIR given to the child process.
fn temp_leftovers(tmp: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

#[test]
fn encrypted_backup_gives_the_same_alerts_as_its_plain_twin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let plain = telltale_testkit::samples::ios_sample_backup(&dir.path().join("plain"));
    let enc = encrypted_sample(dir.path(), "correct horse");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();

    telltale(&data)
        .args(["check", "-q", "-o"])
        .arg(dir.path().join("out-plain"))
        .arg(&plain)
        .assert()
        .code(1);
    telltale(&data)
        .env("TELLTALE_BACKUP_PASSWORD", "correct horse")
        .env("TMPDIR", &tmp)
        .args(["check", "-q", "-o"])
        .arg(dir.path().join("out-enc"))
        .arg(&enc)
        .assert()
        .code(1);
    assert_eq!(
        alert_keys(&dir.path().join("out-plain")),
        alert_keys(&dir.path().join("out-enc"))
    );
    assert!(!alert_keys(&dir.path().join("out-enc")).is_empty());
    // No decrypted byte left behind in the temporary folder.
    assert_eq!(temp_leftovers(&tmp), Vec::<PathBuf>::new());
    // The password is never written to the outputs.
    for e in std::fs::read_dir(dir.path().join("out-enc"))
        .unwrap()
        .flatten()
    {
        let bytes = std::fs::read(e.path()).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("correct horse"),
            "{}",
            e.path().display()
        );
    }
}

#[test]
fn wrong_or_missing_password_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let enc = encrypted_sample(dir.path(), "right");
    telltale(&data)
        .env("TELLTALE_BACKUP_PASSWORD", "wrong")
        .args(["check", "-q", "-o"])
        .arg(dir.path().join("o1"))
        .arg(&enc)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("wrong password"));
    telltale(&data)
        .args(["check", "-q", "-o"])
        .arg(dir.path().join("o2"))
        .arg(&enc)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("password"));
    let pw = dir.path().join("pw.txt");
    std::fs::write(&pw, "right\n").unwrap();
    telltale(&data)
        .args(["check", "-q", "--password-file"])
        .arg(&pw)
        .arg("-o")
        .arg(dir.path().join("o3"))
        .arg(&enc)
        .assert()
        .code(1);
}

#[test]
fn key_file_and_decrypt_give_an_ordinary_backup() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let enc = encrypted_sample(dir.path(), "pw");
    let key = dir.path().join("key.txt");
    telltale(&data)
        .env("TELLTALE_BACKUP_PASSWORD", "pw")
        .args(["key"])
        .arg(&enc)
        .arg("-o")
        .arg(&key)
        .assert()
        .success();
    let hex = std::fs::read_to_string(&key).unwrap();
    assert_eq!(hex.trim().len(), 64);

    // --key-file instead of the password.
    telltale(&data)
        .args(["check", "-q", "--key-file"])
        .arg(&key)
        .arg("-o")
        .arg(dir.path().join("out-key"))
        .arg(&enc)
        .assert()
        .code(1);

    let plain = dir.path().join("decrypted");
    telltale(&data)
        .args(["decrypt", "--tree", "--key-file"])
        .arg(&key)
        .arg("-o")
        .arg(&plain)
        .arg(&enc)
        .assert()
        .success();
    assert!(
        plain.join("HomeDomain/Library/SMS/sms.db").is_file(),
        "--tree layout"
    );
    telltale(&data)
        .args(["check", "-q", "-o"])
        .arg(dir.path().join("out-dec"))
        .arg(&plain)
        .assert()
        .code(1);
    assert_eq!(
        alert_keys(&dir.path().join("out-key")),
        alert_keys(&dir.path().join("out-dec"))
    );
}

#[test]
fn report_html_is_written_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let backup = telltale_testkit::samples::ios_sample_backup(&dir.path().join("b"));
    let out = dir.path().join("out");
    telltale(&data)
        .args(["check", "-q", "-o"])
        .arg(&out)
        .arg(&backup)
        .assert()
        .code(1);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Pegasus"));
    assert!(html.contains("Content-Security-Policy"));
    std::fs::remove_file(out.join("report.html")).unwrap();
    telltale(&data)
        .args(["report"])
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("report.html").is_file());
}

#[test]
fn recheck_finds_a_detection_introduced_by_a_new_indicator_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let backup = telltale_testkit::samples::ios_sample_backup(&dir.path().join("b"));
    let out = dir.path().join("out");
    // First check with no indicators at all: no severe alert.
    telltale(&data)
        .args(["check", "-q", "--no-builtin-iocs", "-o"])
        .arg(&out)
        .arg(&backup)
        .assert()
        .code(0);
    let before = alert_keys(&out);
    assert!(
        before
            .iter()
            .all(|(l, _, _)| l != "HIGH" && l != "CRITICAL")
    );
    // A new indicator file appears: the old results are re-hunted without the acquisition.
    let stix = dir.path().join("new.stix2");
    std::fs::write(
        &stix,
        r#"{"type":"bundle","id":"bundle--2","objects":[
          {"type":"malware","id":"malware--9","name":"NewCampaign","is_family":false},
          {"type":"indicator","id":"indicator--9","pattern":"[domain-name:value='free247downloads.com']","pattern_type":"stix"},
          {"type":"relationship","id":"relationship--9","relationship_type":"indicates","source_ref":"indicator--9","target_ref":"malware--9"}]}"#,
    )
    .unwrap();
    std::fs::remove_dir_all(&backup).unwrap();
    telltale(&data)
        .args(["recheck", "--no-builtin-iocs", "--iocs"])
        .arg(&stix)
        .arg(&out)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("NewCampaign").or(predicate::str::contains("new")));
    let after = read_json(&out.join("alerts.json"));
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["matched_indicator"]["name"] == "NewCampaign")
    );
    assert!(
        out.join("alerts.original.json").is_file(),
        "the old alerts are kept"
    );

    // The check was recorded in the case index.
    telltale(&data)
        .args(["cases"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ios-backup"));
}
