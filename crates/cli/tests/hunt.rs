//! End-to-end tests of `telltale hunt`, `telltale observables publish` and `telltale iocs export
//! --parquet`: several testkit acquisitions checked without indicators, then a new indicator file finds
//! exactly the planted cases (in case folders, a published dataset, an MVT folder, and with Spark).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};
use telltale_testkit::androidqf::{AndroidQf, FileEntry, Package};
use telltale_testkit::bugreport::Bugreport;

mod common;
use common::read_json;

const NEW_APP: &str = "com.newcampaign.helper";
const NEW_PROP: &str = "persist.newcampaign.enabled";
const NEW_DOMAIN: &str = "newcampaign-c2.net";

/// The new campaign's indicators: a domain the iOS sample's messages hold (free247downloads.com), an
/// app id, an Android property and a domain only the MVT folder holds.
const NEW_STIX: &str = r#"{"type":"bundle","id":"bundle--77","objects":[
  {"type":"malware","id":"malware--77","name":"NewCampaign","is_family":false},
  {"type":"indicator","id":"indicator--771","pattern":"[domain-name:value='free247downloads.com']","pattern_type":"stix"},
  {"type":"indicator","id":"indicator--772","pattern":"[app:id='com.newcampaign.helper']","pattern_type":"stix"},
  {"type":"indicator","id":"indicator--773","pattern":"[android-property:name='persist.newcampaign.enabled']","pattern_type":"stix"},
  {"type":"indicator","id":"indicator--774","pattern":"[domain-name:value='newcampaign-c2.net']","pattern_type":"stix"},
  {"type":"relationship","id":"relationship--771","relationship_type":"indicates","source_ref":"indicator--771","target_ref":"malware--77"},
  {"type":"relationship","id":"relationship--772","relationship_type":"indicates","source_ref":"indicator--772","target_ref":"malware--77"},
  {"type":"relationship","id":"relationship--773","relationship_type":"indicates","source_ref":"indicator--773","target_ref":"malware--77"},
  {"type":"relationship","id":"relationship--774","relationship_type":"indicates","source_ref":"indicator--774","target_ref":"malware--77"}]}"#;

fn telltale(data: &Path) -> Command {
    let mut c = Command::cargo_bin("telltale").expect("binary");
    c.env("TELLTALE_DATA_DIR", data);
    c.env_remove("TELLTALE_BACKUP_PASSWORD");
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let o = c.output().expect("run telltale");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The lab: the acquisitions' output folders, by name, checked without any indicator.
struct Lab {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    stix: PathBuf,
    /// name → output folder.
    cases: Vec<(&'static str, PathBuf)>,
}

impl Lab {
    fn dir(&self, name: &str) -> &Path {
        &self.cases.iter().find(|(n, _)| *n == name).unwrap().1
    }
    fn case_id(&self, name: &str) -> String {
        telltale_report::observables::CaseIds::from_output_dir(self.dir(name)).case_id
    }
    fn hunt(&self, args: &[&str]) -> (i32, String, String) {
        run(telltale(&self.data)
            .args(["hunt", "-q", "--no-builtin-iocs", "--iocs"])
            .arg(&self.stix)
            .args(args))
    }
}

fn lab() -> Lab {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let data = root.join("data");
    let acq = root.join("acq");
    std::fs::create_dir_all(&acq).unwrap();
    let mut inputs: Vec<(&'static str, PathBuf)> = Vec::new();

    inputs.push((
        "ios-backup",
        telltale_testkit::samples::ios_sample_backup(&acq.join("ios")),
    ));
    let qf = acq.join("qf-planted");
    AndroidQf::new()
        .package(Package::new("com.android.chrome"))
        .package(Package::new(NEW_APP))
        .process("com.android.chrome")
        .prop("ro.product.model", "Pixel 8")
        .file(FileEntry::new("/sdcard/DCIM/Camera/IMG_0001.jpg"))
        .write_dir(&qf)
        .unwrap();
    inputs.push(("androidqf-planted", qf));
    let qf = acq.join("qf-clean");
    AndroidQf::new()
        .package(Package::new("com.android.chrome"))
        .package(Package::new("com.newcampaign.helper.notthisone"))
        .process("com.android.chrome")
        .prop("ro.product.model", "Pixel 7")
        .prop("persist.newcampaign.enabled.not", "1")
        .write_dir(&qf)
        .unwrap();
    inputs.push(("androidqf-clean", qf));
    let br = acq.join("bugreport-planted.zip");
    Bugreport::new()
        .getprop(&[("ro.product.vendor.model", "Pixel 7"), (NEW_PROP, "1")])
        .write_zip(&br)
        .unwrap();
    inputs.push(("bugreport-planted", br));
    let br = acq.join("bugreport-clean.zip");
    Bugreport::new()
        .getprop(&[("ro.product.vendor.model", "Pixel 6")])
        .write_zip(&br)
        .unwrap();
    inputs.push(("bugreport-clean", br));

    let mut cases = Vec::new();
    for (name, input) in inputs {
        let out = root.join("results").join(name);
        let (code, _, err) = run(telltale(&data)
            .args(["check", "-q", "--no-builtin-iocs", "-o"])
            .arg(&out)
            .arg(&input));
        assert!(code == 0 || code == 1, "{name}: {err}");
        assert!(
            out.join("observables.parquet").is_file(),
            "{name}: no observables"
        );
        cases.push((name, out));
    }
    // An MVT output folder (no observables.parquet, MVT's info.json), not in the case index.
    let mvt = root.join("results").join("mvt-planted");
    std::fs::create_dir_all(&mvt).unwrap();
    let w =
        |n: &str, v: Value| std::fs::write(mvt.join(n), serde_json::to_vec(&v).unwrap()).unwrap();
    w(
        "info.json",
        json!({"target_path": "/evidence/iphone", "mvt_version": "2.6.1", "date": "2023-11-20 10:00:00.000000", "ioc_files": [], "hashes": []}),
    );
    w(
        "safari_history.json",
        json!([
            {"url": "https://www.apple.com/", "isodate": "2023-11-01 09:00:00.000000"},
            {"url": format!("https://cdn.{NEW_DOMAIN}/p?id=1"), "isodate": "2023-11-02 09:00:00.000000"}
        ]),
    );
    w("alerts.json", json!([]));
    cases.push(("mvt-planted", mvt));

    let stix = root.join("new.stix2");
    std::fs::write(&stix, NEW_STIX).unwrap();
    Lab {
        _tmp: tmp,
        root,
        data,
        stix,
        cases,
    }
}

const PLANTED: [&str; 4] = [
    "ios-backup",
    "androidqf-planted",
    "bugreport-planted",
    "mvt-planted",
];

fn matches(stdout: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(v["format"], "telltale-hunt");
    v["matches"].as_array().unwrap().clone()
}

fn cases_of(m: &[Value]) -> BTreeSet<String> {
    m.iter()
        .map(|m| m["case_id"].as_str().unwrap().to_string())
        .collect()
}

fn publish(lab: &Lab, dataset: &Path) {
    let (code, out, err) = run(telltale(&lab.data)
        .args(["observables", "publish", "--to"])
        .arg(dataset)
        .args(lab.cases.iter().map(|(_, d)| d)));
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_new_indicator_file_finds_exactly_the_planted_cases() {
    let lab = lab();
    let planted: BTreeSet<String> = PLANTED.iter().map(|n| lab.case_id(n)).collect();
    assert_eq!(planted.len(), 4);

    // Publish every case to a dataset (twice: idempotent per case).
    let dataset = lab.root.join("dataset");
    publish(&lab, &dataset);
    publish(&lab, &dataset);
    let files = telltale_report::hunt::dataset_files(&dataset).unwrap();
    assert_eq!(files.len(), 6, "{files:?}");
    for f in &files {
        let s = f.to_string_lossy();
        assert!(s.contains("acq_month=") && s.contains("/case="), "{s}");
    }
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("acq_month=2023-11/")),
        "the MVT case is filed under its check's month"
    );

    // By default the hunt covers the case index: the four checks (not the MVT folder, never checked
    // here). A dry run writes nothing.
    let (code, out, err) = lab.hunt(&["--json", "--dry-run"]);
    assert_eq!(code, 1, "{err}");
    let in_index: BTreeSet<String> = PLANTED[..3].iter().map(|n| lab.case_id(n)).collect();
    assert_eq!(cases_of(&matches(&out)), in_index);

    // Hunt the dataset (nothing is written anywhere).
    let (code, out, err) = lab.hunt(&["--json", dataset.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let from_dataset = matches(&out);
    assert_eq!(cases_of(&from_dataset), planted, "{out}");
    let by_indicator: BTreeSet<(String, String)> = from_dataset
        .iter()
        .map(|m| {
            (
                m["case_id"].as_str().unwrap().to_string(),
                m["indicator"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (name, ind) in [
        ("ios-backup", "free247downloads.com"),
        ("androidqf-planted", NEW_APP),
        ("bugreport-planted", NEW_PROP),
        ("mvt-planted", NEW_DOMAIN),
    ] {
        assert!(
            by_indicator.contains(&(lab.case_id(name), ind.to_string())),
            "{name} / {ind}: {by_indicator:?}"
        );
    }
    let mvt = from_dataset
        .iter()
        .find(|m| m["indicator"] == NEW_DOMAIN)
        .unwrap();
    assert_eq!(mvt["first_seen"], "2023-11-02 09:00:00.000000");
    assert_eq!(mvt["modules"], json!(["safari_history"]));
    assert_eq!(mvt["collections"], json!(["NewCampaign"]));
    for (_, d) in &lab.cases {
        assert!(
            !d.join("alerts.original.json").exists(),
            "a dataset hunt writes nothing into case folders"
        );
    }

    // The same hunt over the case folders (the case index's four checks plus the MVT folder) gives the
    // same rows and records the alerts in the planted cases only.
    let (code, out, err) = lab.hunt(&[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("NewCampaign"), "{out}");
    assert!(!out.contains(&lab.case_id("androidqf-clean")), "{out}");
    let mvt_dir = lab.dir("mvt-planted").to_str().unwrap().to_string();
    let (code, out, err) = lab.hunt(&["--json", "--dry-run", &mvt_dir]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        cases_of(&matches(&out)),
        [lab.case_id("mvt-planted")].into()
    );
    let (code, _, err) = lab.hunt(&[&mvt_dir]);
    assert_eq!(code, 1, "{err}");
    for (name, dir) in &lab.cases {
        let alerts = read_json(&dir.join("alerts.json"));
        let new: Vec<&Value> = alerts
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a.get("recheck").is_some())
            .collect();
        if PLANTED.contains(name) {
            assert!(!new.is_empty(), "{name}: no alert recorded");
            assert!(dir.join("alerts.original.json").is_file(), "{name}");
            assert!(
                new.iter()
                    .all(|a| a["matched_indicator"]["name"] == "NewCampaign"
                        && a["level"]
                            == telltale_report::rematch::indicator_level(
                                a["module"].as_str().unwrap()
                            )
                            .as_str()),
                "{name}: {new:?}"
            );
        } else {
            assert!(new.is_empty(), "{name}: {new:?}");
            assert!(!dir.join("alerts.original.json").exists(), "{name}");
        }
    }
    // The MVT folder got its observables.parquet from its JSON.
    assert!(lab.dir("mvt-planted").join("observables.parquet").is_file());

    // recheck with the same indicators finds nothing more: the hunt recorded what recheck finds.
    let (code, out, err) = run(telltale(&lab.data)
        .args(["recheck", "--no-builtin-iocs", "--iocs"])
        .arg(&lab.stix)
        .args(lab.cases.iter().map(|(_, d)| d)));
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("NEW"), "{out}");

    // And the folders hunted again give the same rows as the dataset.
    let dirs: Vec<String> = lab
        .cases
        .iter()
        .map(|(_, d)| d.display().to_string())
        .collect();
    let mut args = vec!["--json", "--dry-run"];
    args.extend(dirs.iter().map(String::as_str));
    let (code, out, _) = lab.hunt(&args);
    assert_eq!(code, 1);
    assert_eq!(matches(&out), from_dataset);

    // --since: only the observations at or after the date.
    let mut args = vec!["--json", "--since", "2023-11-02"];
    let ds = dataset.display().to_string();
    args.push(&ds);
    let (_, out, _) = lab.hunt(&args);
    let later = matches(&out);
    assert!(later.iter().any(|m| m["indicator"] == NEW_DOMAIN));
    let mut args = vec!["--json", "--since", "2100-01-01"];
    args.push(&ds);
    let (code, out, _) = lab.hunt(&args);
    assert_eq!(code, 0);
    assert!(matches(&out).is_empty());
}

#[test]
fn corrupt_observables_are_an_error_and_the_others_are_still_hunted() {
    let lab = lab();
    let dataset = lab.root.join("dataset");
    publish(&lab, &dataset);
    let bad = dataset.join("acq_month=2024-01/case=badbadbadbadbad0");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("part-0.parquet"),
        b"PAR1 garbage, not a parquet file PAR1",
    )
    .unwrap();
    let (code, out, err) = lab.hunt(&["--json", dataset.to_str().unwrap()]);
    assert_eq!(code, 1, "matches found elsewhere still exit 1: {err}");
    assert!(
        err.contains("case=badbadbadbadbad0") && err.contains("not hunted"),
        "{err}"
    );
    assert_eq!(cases_of(&matches(&out)).len(), 4);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["error"].is_string())
    );
    // Only the corrupt file: could not run.
    let (code, _, err) = lab.hunt(&[bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a readable observables file"), "{err}");
    // Not a folder of anything.
    let (code, _, err) = lab.hunt(&[lab.root.join("nowhere").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn iocs_export_writes_the_indicator_table() {
    let lab = lab();
    let out = lab.root.join("iocs.parquet");
    let (code, stdout, err) = run(telltale(&lab.data)
        .args(["iocs", "export", "--no-builtin-iocs", "--iocs"])
        .arg(&lab.stix)
        .arg("--parquet")
        .arg(&out));
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.contains("4 indicator(s), 4 match key(s)"),
        "{stdout}"
    );
    // The built-in sets export too (every set, every key).
    let all = lab.root.join("all.parquet");
    let (code, stdout, err) = run(telltale(&lab.data)
        .args(["iocs", "export", "--parquet"])
        .arg(&all));
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("match key(s)"), "{stdout}");
    assert!(std::fs::metadata(&all).unwrap().len() > 10_000);
}

/// Whether Java and PySpark can run here; prints why not.
fn spark_available() -> bool {
    let java = std::process::Command::new("java").arg("-version").output();
    if !java.map(|o| o.status.success()).unwrap_or(false) {
        eprintln!(
            "SKIPPED: the Spark comparison needs Java 17 (`java` not found); .ci/run installs it"
        );
        return false;
    }
    let py = std::process::Command::new("python3")
        .args(["-c", "import pyspark"])
        .output();
    if !py.map(|o| o.status.success()).unwrap_or(false) {
        eprintln!(
            "SKIPPED: the Spark comparison needs PySpark (`python3 -c 'import pyspark'` failed); .ci/run installs it"
        );
        return false;
    }
    true
}

#[test]
fn the_spark_job_gives_the_same_rows_as_telltale_hunt() {
    if !spark_available() {
        return;
    }
    let lab = lab();
    let dataset = lab.root.join("dataset");
    publish(&lab, &dataset);
    let iocs = lab.root.join("iocs.parquet");
    let (code, _, err) = run(telltale(&lab.data)
        .args(["iocs", "export", "--no-builtin-iocs", "--iocs"])
        .arg(&lab.stix)
        .arg("--parquet")
        .arg(&iocs));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = lab.hunt(&["--json", dataset.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let ours = matches(&out);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contrib/spark/hunt.py");
    let result = lab.root.join("spark.json");
    let o = std::process::Command::new("python3")
        .arg(&script)
        .arg("--observables")
        .arg(&dataset)
        .arg("--iocs")
        .arg(&iocs)
        .arg("--out")
        .arg(&result)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .output()
        .expect("python3");
    assert!(
        o.status.success(),
        "hunt.py failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let theirs = matches(&std::fs::read_to_string(&result).unwrap());
    assert_eq!(theirs.len(), ours.len());
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "row differs");
    }
}
