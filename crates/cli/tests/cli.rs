//! End-to-end tests of the `telltale` binary.

use std::path::{Path, PathBuf};

use predicates::prelude::*;

mod common;
use common::{read_json, telltale, tree_state};

fn sample(dir: &Path) -> PathBuf {
    telltale_testkit::samples::ios_sample_backup(&dir.join("backup"))
}

#[test]
fn missing_input_exits_2() {
    telltale()
        .args(["check", "/nonexistent/telltale/input"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such file or folder"));
}

#[test]
fn unrecognised_folder_exits_2_and_lists_kinds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    telltale()
        .args(["check"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a recognised acquisition"))
        .stderr(predicate::str::contains("ios-backup"))
        .stderr(predicate::str::contains("androidqf"));
}

#[test]
fn sample_backup_finds_pegasus_traces_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let backup = sample(dir.path());
    let before = tree_state(&backup);
    let out = dir.path().join("out");
    telltale()
        .args(["check", "-q", "--hashes", "-o"])
        .arg(&out)
        .arg(&backup)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("CRITICAL"))
        .stderr(predicate::str::contains("no alert is not proof"));
    assert_eq!(
        before,
        tree_state(&backup),
        "the backup must be left unchanged"
    );

    let alerts = read_json(&out.join("alerts.json"));
    let alerts = alerts.as_array().expect("alerts.json is a list");
    let pegasus = |module: &str, value: &str| {
        alerts.iter().any(|a| {
            a["module"] == module
                // MVT's levels: CRITICAL for indicator matches, HIGH in the manifest.
                && a["level"] == if module == "manifest" { "HIGH" } else { "CRITICAL" }
                && a["matched_indicator"]["value"] == value
                && a["matched_indicator"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .contains("Pegasus")
        })
    };
    assert!(
        pegasus("sms", "free247downloads.com"),
        "SMS link on a Pegasus domain"
    );
    assert!(pegasus("datausage", "bh"), "Pegasus process in DataUsage");
    assert!(
        pegasus("os_analytics_ad_daily", "bh"),
        "Pegasus process in OSAnalytics"
    );
    assert!(
        pegasus("id_status_cache", "ameliehaggart@gmail.com"),
        "Pegasus iMessage account"
    );
    assert!(
        pegasus("safari_history", "urlpush.net"),
        "Safari visit to a Pegasus domain"
    );
    assert!(
        pegasus("manifest", "roleaccountd.plist"),
        "Pegasus file name in the Manifest"
    );
    assert!(
        alerts
            .iter()
            .any(|a| a["module"] == "safari_history" && a["level"] == "MEDIUM"),
        "the fast cross-domain http redirect is flagged"
    );
    // Ordinary data raises nothing severe: the Wikipedia article about NSO Group, the ordinary meeting.
    for a in alerts {
        let ev = a["event"].to_string();
        if a["level"] == "HIGH" || a["level"] == "CRITICAL" {
            assert!(
                !ev.contains("wikipedia.org"),
                "no severe alert on Wikipedia: {a}"
            );
            assert!(
                !ev.contains("budget review"),
                "no severe alert on an ordinary meeting: {a}"
            );
        }
    }
    // Every alert has MVT's keys.
    for a in alerts {
        for k in [
            "level",
            "module",
            "message",
            "event_time",
            "event",
            "matched_indicator",
        ] {
            assert!(a.get(k).is_some(), "alert lacks {k}: {a}");
        }
    }

    for f in [
        "sms.json",
        "sms_detected.json",
        "datausage.json",
        "timeline.csv",
        "alerts_timeline.csv",
        "command.log",
    ] {
        assert!(out.join(f).is_file(), "{f} is written");
    }
    let timeline = std::fs::read_to_string(out.join("timeline.csv")).unwrap();
    assert!(timeline.starts_with("\"UTC Timestamp\",\"Plugin\",\"Event\",\"Description\""));
    let info = read_json(&out.join("info.json"));
    assert_eq!(info["target_path"], backup.display().to_string());
    let hashes = info["hashes"].as_array().expect("hashes");
    assert!(
        hashes
            .iter()
            .any(|h| h["file_path"].as_str().unwrap().ends_with("Manifest.db"))
    );
    assert!(
        hashes
            .iter()
            .all(|h| h["sha256"].as_str().unwrap().len() == 64)
    );
}

#[test]
fn without_indicators_the_sample_has_no_severe_alert_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let backup = sample(dir.path());
    telltale()
        .args(["check", "-q", "--no-builtin-iocs", "-o"])
        .arg(dir.path().join("out"))
        .arg(&backup)
        .assert()
        .code(0);
}

#[test]
fn indicator_file_given_with_iocs_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let backup = sample(dir.path());
    let stix = dir.path().join("mine.stix2");
    std::fs::write(
        &stix,
        r#"{"type":"bundle","id":"bundle--1","objects":[
          {"type":"malware","id":"malware--1","name":"Weatherware","is_family":false},
          {"type":"indicator","id":"indicator--1","pattern":"[domain-name:value='example.com']","pattern_type":"stix"},
          {"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--1"}]}"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    telltale()
        .args(["check", "-q", "--no-builtin-iocs", "--iocs"])
        .arg(&stix)
        .arg("-o")
        .arg(&out)
        .arg(&backup)
        .assert()
        .code(1);
    let alerts = read_json(&out.join("alerts.json"));
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["matched_indicator"]["name"] == "Weatherware"
                && a["matched_indicator"]["value"] == "example.com")
    );
    let info = read_json(&out.join("info.json"));
    assert_eq!(info["ioc_files"][0], stix.display().to_string());
}

#[test]
fn output_inside_the_acquisition_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let backup = sample(dir.path());
    let before = tree_state(&backup);
    telltale()
        .args(["check", "-q", "-o"])
        .arg(backup.join("results"))
        .arg(&backup)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inside the acquisition"));
    assert_eq!(before, tree_state(&backup));
}

#[test]
fn a_corrupt_database_fails_its_module_only() {
    let dir = tempfile::tempdir().unwrap();
    let backup = sample(dir.path());
    // Overwrite the SMS database's data with garbage.
    let sms = backup
        .join(&telltale_ios::file_id("HomeDomain", "Library/SMS/sms.db")[..2])
        .join(telltale_ios::file_id("HomeDomain", "Library/SMS/sms.db"));
    std::fs::write(&sms, vec![0x5a; 8192]).unwrap();
    let out = dir.path().join("out");
    telltale()
        .args(["check", "-q", "-o"])
        .arg(&out)
        .arg(&backup)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("sms"));
    let info = read_json(&out.join("info.json"));
    let modules = info["modules"].as_array().unwrap();
    let sms = modules
        .iter()
        .find(|m| m["module"] == "sms")
        .expect("sms outcome");
    assert_eq!(sms["status"], "failed");
    let du = modules
        .iter()
        .find(|m| m["module"] == "datausage")
        .expect("datausage outcome");
    assert_eq!(du["status"], "ok");
}

/// Files listed in Manifest.db but absent from the backup folder (as in MVT's own test backup) are what
/// could not be checked, shown once in the summary, info.json, command.log and report.html; no module is
/// reported as failed for them.
#[test]
fn files_listed_but_absent_are_coverage_not_failures() {
    let dir = tempfile::tempdir().unwrap();
    let backup = sample(dir.path());
    for (domain, rel) in [
        ("HomeDomain", "Library/SMS/sms.db"),
        ("HomeDomain", "Library/Safari/History.db"),
    ] {
        let id = telltale_ios::file_id(domain, rel);
        std::fs::remove_file(backup.join(&id[..2]).join(&id)).unwrap();
    }
    let out = dir.path().join("out");
    let assert = telltale()
        .args(["check", "-q", "-o"])
        .arg(&out)
        .arg(&backup)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(", 0 failed"))
        .stderr(predicate::str::contains("Not checked"));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("sms, ") && stderr.contains("safari_history"),
        "{stderr}"
    );
    let info = read_json(&out.join("info.json"));
    for m in info["modules"].as_array().unwrap() {
        assert!(m["status"] != "failed", "{m}");
    }
    let coverage: Vec<String> = info["coverage"]
        .as_array()
        .expect("coverage in info.json")
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert!(
        coverage
            .iter()
            .any(|c| c.starts_with("safari_history: HomeDomain/Library/Safari/History.db")),
        "{coverage:?}"
    );
    assert!(
        coverage
            .iter()
            .any(|c| c.starts_with("sms: HomeDomain/Library/SMS/sms.db"))
    );
    let log = std::fs::read_to_string(out.join("command.log")).unwrap();
    assert!(log.contains("not checked: safari_history: HomeDomain/Library/Safari/History.db"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("What could not be checked"));
    assert!(
        html.contains("HomeDomain&#x2f;Library&#x2f;Safari&#x2f;History.db")
            || html.contains("HomeDomain/Library/Safari/History.db")
    );
}

#[test]
fn list_modules_names_mvt_slugs() {
    telltale()
        .args(["check", "--list-modules"])
        .assert()
        .success()
        .stdout(predicate::str::contains("datausage"))
        .stdout(predicate::str::contains("safari_history"))
        .stdout(predicate::str::contains("id_status_cache"))
        .stdout(predicate::str::contains("aqf_packages"));
}

#[test]
fn only_the_selected_module_runs() {
    let dir = tempfile::tempdir().unwrap();
    let backup = sample(dir.path());
    let out = dir.path().join("out");
    telltale()
        .args(["check", "-q", "--module", "datausage", "-o"])
        .arg(&out)
        .arg(&backup)
        .assert()
        .code(1);
    assert!(out.join("datausage.json").is_file());
    assert!(!out.join("sms.json").exists());
    telltale()
        .args(["check", "-q", "--module", "nope", "-o"])
        .arg(dir.path().join("out2"))
        .arg(&backup)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown module"));
}

#[test]
fn committed_sample_is_detected() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ios-backup");
    let dir = tempfile::tempdir().unwrap();
    telltale()
        .args(["check", "-q", "-o"])
        .arg(dir.path().join("out"))
        .arg(&sample)
        .assert()
        .code(1);
}

#[test]
fn iocs_list_shows_the_builtin_sets() {
    telltale()
        .args(["iocs", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Pegasus"))
        .stdout(predicate::str::contains("Predator"))
        .stdout(predicate::str::contains("Stalkerware"))
        .stdout(predicate::str::contains("licence"));
}

#[test]
fn iocs_lookup_applies_the_matching_rules() {
    telltale()
        .args(["iocs", "lookup", "a.b.free247downloads.com", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Pegasus"));
    telltale()
        .args(["iocs", "lookup", "notfree247downloads.com"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no match"));
}

#[test]
fn iocs_update_offline_exits_2_and_keeps_the_builtin_set() {
    let data = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    telltale()
        .env("TELLTALE_DATA_DIR", data.path())
        .args([
            "iocs",
            "update",
            "--index-url",
            &format!("http://127.0.0.1:{port}/indicators.yaml"),
        ])
        .assert()
        .code(2);
    telltale()
        .env("TELLTALE_DATA_DIR", data.path())
        .args(["iocs", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Pegasus"));
}
