//! End-to-end tests of the `telltale` binary on Android acquisitions (AndroidQF folder and zip,
//! bugreport zip and folder, `.ab` backups, intrusion logs), with indicators of the BUILT-IN sets.

use std::path::{Path, PathBuf};

use serde_json::Value;
use telltale_testkit::android_backup::{AndroidBackup, Sms};
use telltale_testkit::androidqf::{AndroidQf, FileEntry, Package, zip_bytes};
use telltale_testkit::bugreport::{Bugreport, IntrusionLogs};

mod common;
use common::{read_json, telltale, tree_state};

// Real values of the built-in indicator sets (crates/ioc/data).
/// stalkerware.stix2: `app:id`.
const STALKER_APP: &str = "com.apspy.app";
/// stalkerware.stix2: `app:cert.sha1`.
const STALKER_CERT_SHA1: &str = "F9181C6CF9AACB3AB1092F5338C3198A8D833431";
/// novispy.stix2: `app:id`.
const NOVISPY_APP: &str = "com.gu.activity";
/// novispy.stix2: `app:cert.sha256`.
const NOVISPY_CERT: &str = "3ac97735164824657b683e805133b1274b2dedabf9fdd6aa9aca31089d501e64";
/// rcs.stix2: `app:id`.
const RCS_APP: &str = "com.fintur.support";
/// rcs.stix2: `file:hashes.sha256`.
const RCS_SHA256: &str = "e38d7ba21a48ad32963bfe6cb0203afe0839eca9a73268a67422109da282eae3";
/// rcs.stix2: `domain-name:value`.
const RCS_DOMAIN: &str = "119-tim.info";
/// malware.stix2 (the 2023 mercenary spyware campaign): `android-property:name`.
const CAMPAIGN_PROP: &str = "sys.brand.note";
/// malware.stix2: `file:path`.
const CAMPAIGN_PATH: &str = "/data/local/tmp/dropbox";
/// darksword.stix2: `ipv4-addr:value`.
const DARKSWORD_IP: &str = "62.72.21.10";

/// What one `telltale check` left behind.
struct Run {
    code: i32,
    stderr: String,
    alerts: Vec<Value>,
    info: Value,
    out: PathBuf,
}

impl Run {
    /// A CRITICAL alert of `module` whose matched indicator is `value` (MVT's level for indicator matches).
    fn high(&self, module: &str, value: &str) -> bool {
        self.alerts.iter().any(|a| {
            a["module"] == module
                && a["level"] == "CRITICAL"
                && a["matched_indicator"]["value"]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
        })
    }

    fn assert_high(&self, module: &str, value: &str, set: &str) {
        assert!(
            self.high(module, value),
            "no CRITICAL alert of {module} on {value}; alerts: {:#?}\nstderr: {}",
            self.alerts,
            self.stderr
        );
        let a = self
            .alerts
            .iter()
            .find(|a| a["module"] == module && a["matched_indicator"]["value"] == value)
            .expect("the alert");
        let name = a["matched_indicator"]["name"].as_str().unwrap_or("");
        let file = a["matched_indicator"]["stix2_file_name"]
            .as_str()
            .unwrap_or("");
        assert!(
            file.contains(set) || name.contains(set),
            "{value} should come from the {set} set: {a}"
        );
    }

    fn kind(&self) -> &str {
        self.info["acquisition"].as_str().unwrap_or("")
    }

    fn module(&self, name: &str) -> Vec<&Value> {
        self.info["modules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["module"] == name)
            .collect()
    }

    fn fact(&self, key: &str) -> Option<&str> {
        self.info["device"]
            .as_array()?
            .iter()
            .find(|f| f["key"] == key)
            .and_then(|f| f["value"].as_str())
    }

    fn records(&self, module: &str) -> Vec<Value> {
        let p = self.out.join(format!("{module}.json"));
        match std::fs::read(&p) {
            Ok(b) => serde_json::from_slice::<Vec<Value>>(&b).expect("a JSON list"),
            Err(_) => Vec::new(),
        }
    }
}

/// Runs `telltale check -q -o <out> [args] <input>` with extra environment variables.
fn check(input: &Path, out: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = telltale();
    c.args(["check", "-q", "-o"]).arg(out).args(args).arg(input);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("run telltale");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let code = o.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "telltale check exited {code}: {stderr}"
    );
    let alerts = read_json(&out.join("alerts.json"))
        .as_array()
        .expect("alerts.json is a list")
        .clone();
    Run {
        code,
        stderr,
        alerts,
        info: read_json(&out.join("info.json")),
        out: out.to_path_buf(),
    }
}

/// Checks `input` and asserts it was left unchanged (contents, sizes, mtimes of every file).
fn check_untouched(input: &Path, out: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let before = tree_state(input);
    assert!(!before.is_empty());
    let run = check(input, out, args, env);
    assert_eq!(
        before,
        tree_state(input),
        "{} must be left unchanged",
        input.display()
    );
    run
}

// ---- acquisitions ---------------------------------------------------------------------------------

/// An AndroidQF acquisition with an ordinary app and the planted traces of several built-in sets.
fn infected_qf() -> AndroidQf {
    AndroidQf::new()
        .package(Package::new("com.android.chrome"))
        .package(Package::new(STALKER_APP))
        .package(Package::new("com.example.notes").apk_cert_sha1(
            "/data/app/~~a/com.example.notes/base.apk",
            &"0".repeat(64),
            STALKER_CERT_SHA1,
        ))
        .package(Package::new("com.example.viewer").apk(
            "/data/app/~~b/com.example.viewer/base.apk",
            RCS_SHA256,
            NOVISPY_CERT,
        ))
        .process("com.android.chrome")
        .process(NOVISPY_APP)
        .prop("ro.product.model", "Pixel 8")
        .prop("ro.build.version.release", "14")
        .prop(CAMPAIGN_PROP, "1")
        .setting("global", "adb_enabled", "0")
        .file(FileEntry::new("/sdcard/DCIM/Camera/IMG_0001.jpg"))
        .file(FileEntry::new(CAMPAIGN_PATH).mode("-rwxr-xr-x"))
}

fn assert_infected_qf(run: &Run) {
    assert_eq!(run.kind(), "androidqf", "{}", run.stderr);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.assert_high("aqf_packages", STALKER_APP, "talkerware");
    run.assert_high("aqf_packages", STALKER_CERT_SHA1, "talkerware");
    run.assert_high("aqf_packages", NOVISPY_CERT, "ovi");
    run.assert_high("aqf_packages", RCS_SHA256, "rcs");
    run.assert_high("aqf_processes", NOVISPY_APP, "ovi");
    run.assert_high("aqf_get_prop", CAMPAIGN_PROP, "malware");
    run.assert_high("aqf_files", CAMPAIGN_PATH, "malware");
    // Ordinary data raises nothing severe.
    for a in &run.alerts {
        if a["level"] == "HIGH" || a["level"] == "CRITICAL" {
            let ev = a["event"].to_string();
            assert!(!ev.contains("com.android.chrome"), "{a}");
            assert!(!ev.contains("IMG_0001"), "{a}");
        }
    }
}

fn ordinary_package_section(name: &str) -> String {
    format!(
        "Packages:\n  Package [{name}] (1a2b3c):\n    userId=10123\n    versionName=1.0\n    \
         firstInstallTime=2024-01-02 09:00:00\n    lastUpdateTime=2024-01-03 09:00:00\n    \
         installerPackageName=com.android.vending\n"
    )
}

fn infected_bugreport() -> Bugreport {
    let packages = format!(
        "{}  Package [{RCS_APP}] (4d5e6f):\n    userId=10124\n    firstInstallTime=2024-01-02 09:30:00\n    \
         installerPackageName=com.android.vending\n",
        ordinary_package_section("com.example.notes")
    );
    Bugreport::new()
        .getprop(&[
            ("ro.product.vendor.model", "Pixel 7"),
            ("ro.build.version.security_patch", "2024-01-05"),
            (CAMPAIGN_PROP, "1"),
        ])
        .service("package", &packages)
}

fn clean_bugreport() -> Bugreport {
    Bugreport::new()
        .getprop(&[("ro.product.vendor.model", "Pixel 7")])
        .service("package", &ordinary_package_section("com.example.notes"))
}

fn assert_infected_bugreport(run: &Run) {
    assert_eq!(run.kind(), "bugreport", "{}", run.stderr);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.assert_high("dumpsys_packages", RCS_APP, "rcs");
    run.assert_high("dumpsys_get_prop", CAMPAIGN_PROP, "malware");
}

const SMS_TIME_MS: i64 = 1_700_000_000_000;

fn infected_sms() -> Vec<Sms> {
    vec![
        Sms::received(
            "+15550001111",
            "Your parcel is waiting: https://en.wikipedia.org/wiki/Parcel",
            SMS_TIME_MS,
        ),
        Sms::received(
            "+15550002222",
            &format!("Confirm your delivery at http://{RCS_DOMAIN}/t/8812"),
            SMS_TIME_MS + 60_000,
        ),
    ]
}

fn infected_intrusion_logs() -> IntrusionLogs {
    IntrusionLogs::new()
        .dns(
            "2026-05-01.txt",
            1_746_979_200_000,
            "www.wikipedia.org",
            &["/198.35.26.96"],
            "com.android.chrome",
        )
        .dns(
            "2026-05-01.txt",
            1_746_979_201_000,
            RCS_DOMAIN,
            &["/10.1.2.3"],
            "com.example.viewer",
        )
        .connect(
            "2026-05-02.txt",
            1_746_979_202_000,
            &format!("/{DARKSWORD_IP}"),
            443,
            STALKER_APP,
        )
}

fn assert_infected_intrusion(run: &Run) {
    assert_eq!(run.kind(), "intrusion-logs", "{}", run.stderr);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.assert_high("dns_event", RCS_DOMAIN, "rcs");
    run.assert_high("connect_event", DARKSWORD_IP, "arksword");
    run.assert_high("connect_event", STALKER_APP, "talkerware");
    assert!(
        !run.alerts
            .iter()
            .any(|a| (a["level"] == "HIGH" || a["level"] == "CRITICAL")
                && a["event"].to_string().contains("wikipedia")),
        "{:#?}",
        run.alerts
    );
}

// ---- each kind, found by the built-in indicators, evidence untouched ------------------------------

#[test]
fn androidqf_folder() {
    let dir = tempfile::tempdir().unwrap();
    let acq = dir.path().join("acq");
    infected_qf().write_dir(&acq).unwrap();
    let run = check_untouched(&acq, &dir.path().join("out"), &["--hashes"], &[]);
    assert_infected_qf(&run);
    assert_eq!(run.fact("Model"), Some("Pixel 8"));
    assert!(
        run.info["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["file_path"].as_str().unwrap().ends_with("packages.json"))
    );
}

#[test]
fn androidqf_zip_with_a_top_folder() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("acq.zip");
    infected_qf()
        .in_folder("6c4b2a0e-0000-4000-8000-000000000001")
        .write_zip(&zip)
        .unwrap();
    let run = check_untouched(&zip, &dir.path().join("out"), &[], &[]);
    assert_infected_qf(&run);
}

#[test]
fn bugreport_zip_and_folder() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("bugreport-test-2024-01-02-03-04-05.zip");
    infected_bugreport().write_zip(&zip).unwrap();
    assert_infected_bugreport(&check_untouched(&zip, &dir.path().join("out1"), &[], &[]));

    let folder = dir.path().join("bugreport");
    infected_bugreport().write_folder(&folder).unwrap();
    assert_infected_bugreport(&check_untouched(
        &folder,
        &dir.path().join("out2"),
        &[],
        &[],
    ));
}

#[test]
fn bare_backups_plain_and_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.ab");
    AndroidBackup::new()
        .sms("00000", &infected_sms())
        .write(&plain)
        .unwrap();
    let run = check_untouched(&plain, &dir.path().join("out1"), &[], &[]);
    assert_eq!(run.kind(), "android-backup");
    assert_eq!(run.code, 1);
    run.assert_high("sms", RCS_DOMAIN, "rcs");
    assert_eq!(run.records("sms").len(), 2);

    let enc = dir.path().join("enc.ab");
    AndroidBackup::new()
        .password("correct horse")
        .sms("00000", &infected_sms())
        .write(&enc)
        .unwrap();
    let run = check_untouched(
        &enc,
        &dir.path().join("out2"),
        &[],
        &[("TELLTALE_BACKUP_PASSWORD", "correct horse")],
    );
    assert_eq!(run.kind(), "android-backup");
    assert_eq!(run.code, 1);
    run.assert_high("sms", RCS_DOMAIN, "rcs");
    assert_eq!(run.fact("Encryption"), Some("AES-256"));

    // A bare encrypted backup without its password, or with a wrong one, cannot be checked at all.
    let o = telltale()
        .args(["check", "-q", "-o"])
        .arg(dir.path().join("out3"))
        .arg(&enc)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = telltale()
        .env("TELLTALE_BACKUP_PASSWORD", "wrong")
        .args(["check", "-q", "-o"])
        .arg(dir.path().join("out4"))
        .arg(&enc)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .to_lowercase()
            .contains("password"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn intrusion_logs_folder_and_zip() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("intrusion-logs");
    infected_intrusion_logs().write_folder(&folder).unwrap();
    assert_infected_intrusion(&check_untouched(
        &folder,
        &dir.path().join("out1"),
        &[],
        &[],
    ));
    let zip = dir.path().join("intrusion-logs.zip");
    infected_intrusion_logs().write_zip(&zip).unwrap();
    assert_infected_intrusion(&check_untouched(&zip, &dir.path().join("out2"), &[], &[]));
}

#[test]
fn androidqf_with_nested_bugreport_backup_and_intrusion_logs() {
    // Both names of the intrusion-logs folder are read.
    for folder in ["intrusion-logs", "intrusion_logs"] {
        let dir = tempfile::tempdir().unwrap();
        let acq = dir.path().join("acq");
        let mut bug = Vec::new();
        {
            let p = dir.path().join("b.zip");
            infected_bugreport().write_zip(&p).unwrap();
            bug.extend(std::fs::read(&p).unwrap());
        }
        let logs = dir.path().join("logs");
        infected_intrusion_logs().write_folder(&logs).unwrap();
        let mut qf = AndroidQf::new()
            .package(Package::new("com.android.chrome"))
            .prop("ro.product.model", "Pixel 8")
            .bugreport(&bug)
            .backup(
                &AndroidBackup::new()
                    .sms("00000", &infected_sms())
                    .to_bytes(),
            );
        for e in std::fs::read_dir(&logs).unwrap().flatten() {
            qf = qf.raw(
                &format!("{folder}/{}", e.file_name().to_string_lossy()),
                &std::fs::read(e.path()).unwrap(),
            );
        }
        qf.write_dir(&acq).unwrap();
        let run = check_untouched(&acq, &dir.path().join("out"), &[], &[]);
        assert_eq!(run.kind(), "androidqf");
        assert_eq!(run.code, 1);
        run.assert_high("dumpsys_packages", RCS_APP, "rcs");
        run.assert_high("dumpsys_get_prop", CAMPAIGN_PROP, "malware");
        run.assert_high("sms", RCS_DOMAIN, "rcs");
        run.assert_high("dns_event", RCS_DOMAIN, "rcs");
        run.assert_high("connect_event", DARKSWORD_IP, "arksword");
        assert!(!run.high("aqf_packages", "com.android.chrome"));
    }
}

// ---- clean acquisitions ---------------------------------------------------------------------------

#[test]
fn clean_acquisitions_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let qf = d.join("qf");
    AndroidQf::new()
        .package(Package::new("com.android.chrome"))
        .package(Package::new("org.wikipedia").apk(
            "/data/app/~~c/org.wikipedia/base.apk",
            &"1".repeat(64),
            &"2".repeat(64),
        ))
        .process("com.android.chrome")
        .prop("ro.product.model", "Pixel 8")
        .prop("persist.sys.timezone", "Europe/Rome")
        .setting("global", "adb_enabled", "0")
        .file(FileEntry::new("/sdcard/DCIM/Camera/IMG_0001.jpg"))
        .write_dir(&qf)
        .unwrap();
    let bug = d.join("bug.zip");
    clean_bugreport().write_zip(&bug).unwrap();
    let ab = d.join("clean.ab");
    AndroidBackup::new()
        .sms("00000", &infected_sms()[..1])
        .write(&ab)
        .unwrap();
    let logs = d.join("logs");
    IntrusionLogs::new()
        .dns(
            "2026-05-01.txt",
            1_746_979_200_000,
            "www.wikipedia.org",
            &["/198.35.26.96"],
            "com.android.chrome",
        )
        .write_folder(&logs)
        .unwrap();
    for (input, kind) in [
        (&qf, "androidqf"),
        (&bug, "bugreport"),
        (&ab, "android-backup"),
        (&logs, "intrusion-logs"),
    ] {
        let run = check_untouched(input, &d.join(format!("out-{kind}")), &[], &[]);
        assert_eq!(run.kind(), kind);
        assert_eq!(run.code, 0, "{kind}: {:#?}", run.alerts);
        assert!(run.stderr.contains("no alert is not proof"));
    }
}

// ---- encrypted backup inside an AndroidQF acquisition ---------------------------------------------

#[test]
fn androidqf_with_an_encrypted_backup() {
    let dir = tempfile::tempdir().unwrap();
    let acq = dir.path().join("acq");
    infected_qf()
        .backup(
            &AndroidBackup::new()
                .password("s3cret")
                .sms("00000", &infected_sms())
                .to_bytes(),
        )
        .write_dir(&acq)
        .unwrap();

    // The right password: the SMS link is found along with the rest.
    let run = check_untouched(
        &acq,
        &dir.path().join("out1"),
        &[],
        &[("TELLTALE_BACKUP_PASSWORD", "s3cret")],
    );
    assert_infected_qf(&run);
    run.assert_high("sms", RCS_DOMAIN, "rcs");
    assert_eq!(run.fact("Nested backup"), Some("backup.ab (encrypted)"));

    // A wrong password: a warning, the backup's module has no data, everything else still runs.
    let run = check_untouched(
        &acq,
        &dir.path().join("out2"),
        &[],
        &[("TELLTALE_BACKUP_PASSWORD", "wrong")],
    );
    assert_infected_qf(&run);
    assert!(!run.alerts.iter().any(|a| a["module"] == "sms"));
    let sms = run.module("sms");
    assert_eq!(sms[0]["status"], "no_data", "{:?}", sms);
    assert!(
        sms[0]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("wrong backup password"),
        "{:?}",
        sms
    );
    assert!(
        run.stderr.contains("wrong backup password"),
        "{}",
        run.stderr
    );

    // No password at all: the warning says how to give one.
    let run = check_untouched(&acq, &dir.path().join("out3"), &[], &[]);
    assert_infected_qf(&run);
    assert!(
        run.stderr.contains("TELLTALE_BACKUP_PASSWORD"),
        "{}",
        run.stderr
    );
}

// ---- hostile archives -----------------------------------------------------------------------------

/// Rewrites the declared uncompressed size of entry `name` (local and central headers) to `size`: the
/// entry then inflates to far more than it claims, as a zip bomb does.
fn lie_about_size(zip: &mut [u8], name: &str, size: u32) {
    let mut patched = 0;
    for (sig, size_at, name_len_at, name_at) in [
        (b"PK\x03\x04", 22usize, 26usize, 30usize),
        (b"PK\x01\x02", 24, 28, 46),
    ] {
        let mut i = 0;
        while i + name_at <= zip.len() {
            if &zip[i..i + 4] == sig {
                let n =
                    u16::from_le_bytes([zip[i + name_len_at], zip[i + name_len_at + 1]]) as usize;
                if zip.get(i + name_at..i + name_at + n) == Some(name.as_bytes()) {
                    zip[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
                    patched += 1;
                }
            }
            i += 1;
        }
    }
    assert_eq!(patched, 2, "entry {name} patched in both headers");
}

/// 64 MiB of zeros: 64 KiB once deflated.
fn bomb() -> Vec<u8> {
    vec![0u8; 64 << 20]
}

#[test]
fn hostile_androidqf_zip_does_not_stop_the_other_modules() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("hostile.zip");
    let mut files = infected_qf().files();
    // files.json is a bomb (declares 10 bytes); entries try to escape the archive.
    files.retain(|(p, _)| p != "files.json");
    files.push(("files.json".into(), bomb()));
    files.push(("../../escape.txt".into(), b"out".to_vec()));
    files.push(("logs/../../../etc/passwd".into(), b"root".to_vec()));
    let mut bytes = zip_bytes(&files).unwrap();
    lie_about_size(&mut bytes, "files.json", 10);
    std::fs::write(&zip, &bytes).unwrap();

    let run = check_untouched(&zip, &dir.path().join("out"), &[], &[]);
    assert_eq!(run.kind(), "androidqf");
    assert_eq!(run.code, 1);
    run.assert_high("aqf_packages", STALKER_APP, "talkerware");
    run.assert_high("aqf_get_prop", CAMPAIGN_PROP, "malware");
    let files = run.module("aqf_files");
    assert_eq!(files[0]["status"], "failed", "{files:?}");
    assert_eq!(run.module("aqf_packages")[0]["status"], "ok");
    // The refused entries are reported, and nothing was written outside the output folder.
    assert!(run.stderr.contains("escape.txt"), "{}", run.stderr);
    assert!(!dir.path().join("escape.txt").exists());
    assert!(!dir.path().parent().unwrap().join("escape.txt").exists());
}

#[test]
fn hostile_nested_bugreport_does_not_stop_the_other_modules() {
    let dir = tempfile::tempdir().unwrap();
    // The nested bugreport's dumpstate is a bomb, and one of its entries tries to escape.
    let name = "bugreport-test-2024-01-02-03-04-05.txt";
    let mut nested = zip_bytes(&[
        ("main_entry.txt".into(), name.as_bytes().to_vec()),
        (name.into(), bomb()),
        ("../../../tmp/evil".into(), b"x".to_vec()),
    ])
    .unwrap();
    lie_about_size(&mut nested, name, 100);
    for as_zip in [false, true] {
        let qf = infected_qf().bugreport(&nested);
        let input = if as_zip {
            let p = dir.path().join("acq.zip");
            qf.write_zip(&p).unwrap();
            p
        } else {
            let p = dir.path().join("acq");
            qf.write_dir(&p).unwrap();
            p
        };
        let run = check_untouched(&input, &dir.path().join(format!("out-{as_zip}")), &[], &[]);
        assert_infected_qf(&run);
        let pk = run.module("dumpsys_packages");
        assert_ne!(pk[0]["status"], "ok", "{pk:?}");
    }
}

// ---- time zones -----------------------------------------------------------------------------------

#[test]
fn timezone_option_turns_device_times_into_utc() {
    let dir = tempfile::tempdir().unwrap();
    let bug = dir.path().join("bugreport");
    clean_bugreport().write_folder(&bug).unwrap();
    let first_install = |run: &Run| {
        run.records("dumpsys_packages")
            .iter()
            .find(|r| r["package_name"] == "com.example.notes" || r["name"] == "com.example.notes")
            .map(|r| {
                (
                    r["first_install_time"].as_str().unwrap_or("").to_string(),
                    r["timezone"].as_str().unwrap_or("").to_string(),
                )
            })
            .expect("the package record")
    };

    // 09:00 in Paris (winter) is 08:00 UTC.
    let run = check(
        &bug,
        &dir.path().join("paris"),
        &["--timezone", "Europe/Paris"],
        &[],
    );
    assert_eq!(
        first_install(&run),
        ("2024-01-02 08:00:00.000000".into(), "Europe/Paris".into())
    );
    assert_eq!(run.fact("Time zone"), Some("Europe/Paris"));

    // Without a zone the device time is kept as is, and every output says the zone is unknown.
    let run = check(&bug, &dir.path().join("none"), &[], &[]);
    let (t, zone) = first_install(&run);
    assert_eq!(t, "2024-01-02 09:00:00.000000");
    assert!(zone.contains("unknown"), "{zone}");
    assert!(run.fact("Time zone").unwrap().contains("unknown"));
    assert!(
        run.stderr.contains("time zone is unknown"),
        "{}",
        run.stderr
    );

    // The zone of an AndroidQF acquisition (getprop.txt) reaches its nested bugreport.
    let mut zip = Vec::new();
    {
        let p = dir.path().join("b.zip");
        clean_bugreport().write_zip(&p).unwrap();
        zip.extend(std::fs::read(&p).unwrap());
    }
    let qf = dir.path().join("qf");
    AndroidQf::new()
        .prop("persist.sys.timezone", "Asia/Tokyo")
        .prop("ro.product.model", "Pixel 8")
        .bugreport(&zip)
        .write_dir(&qf)
        .unwrap();
    let run = check(&qf, &dir.path().join("tokyo"), &[], &[]);
    assert_eq!(
        first_install(&run),
        ("2024-01-02 00:00:00.000000".into(), "Asia/Tokyo".into())
    );
    assert_eq!(run.fact("Time zone"), Some("Asia/Tokyo"));
    // --timezone wins over the device's own zone.
    let run = check(
        &qf,
        &dir.path().join("paris2"),
        &["--timezone", "Europe/Paris"],
        &[],
    );
    assert_eq!(first_install(&run).0, "2024-01-02 08:00:00.000000");

    // An AndroidQF acquisition without a zone says so too.
    let qf2 = dir.path().join("qf2");
    AndroidQf::new()
        .package(Package::new("com.android.chrome"))
        .prop("ro.product.model", "Pixel 8")
        .write_dir(&qf2)
        .unwrap();
    let run = check(&qf2, &dir.path().join("qf2-out"), &[], &[]);
    assert!(run.fact("Time zone").unwrap().contains("unknown"));

    // A zone that does not exist is refused before anything runs.
    telltale()
        .args(["check", "-q", "--timezone", "Mars/Olympus", "-o"])
        .arg(dir.path().join("mars"))
        .arg(&bug)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("Mars/Olympus"));
    assert!(!dir.path().join("mars").exists());
}

// ---- kind detection -------------------------------------------------------------------------------

#[test]
fn kinds_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let kind_of = |p: &Path, name: &str| {
        let run = check(
            p,
            &d.join(format!("out-{name}")),
            &["--no-builtin-iocs"],
            &[],
        );
        run.kind().to_string()
    };
    // An AndroidQF folder holding a bugreport, a backup and intrusion logs is an AndroidQF acquisition,
    // even without acquisition.json (older AndroidQF versions).
    let qf = d.join("qf");
    let mut bug = Vec::new();
    {
        let p = d.join("b.zip");
        clean_bugreport().write_zip(&p).unwrap();
        bug.extend(std::fs::read(&p).unwrap());
    }
    AndroidQf::new()
        .without_acquisition_json()
        .package(Package::new("com.android.chrome"))
        .prop("ro.product.model", "Pixel 8")
        .bugreport(&bug)
        .backup(&AndroidBackup::new().to_bytes())
        .raw(
            "intrusion-logs/2026-05-01.txt",
            br#"{"dns_event": {"event_time": 1746979200000, "hostname": "a.org", "ip_addresses": [], "package_name": "x"}}"#,
        )
        .raw("logcat.txt", b"--------- beginning of main\n")
        .write_dir(&qf)
        .unwrap();
    assert_eq!(kind_of(&qf, "qf"), "androidqf");
    // Its parts, given alone, are their own kinds.
    assert_eq!(kind_of(&qf.join("bugreport.zip"), "bug"), "bugreport");
    assert_eq!(kind_of(&qf.join("backup.ab"), "ab"), "android-backup");
    assert_eq!(kind_of(&qf.join("intrusion-logs"), "il"), "intrusion-logs");
    // A bugreport folder with subfolders (FS/, proto/) is a bugreport.
    let br = d.join("br");
    clean_bugreport()
        .file("FS/data/misc/logd/logcat", "x")
        .file("proto/activity.proto", vec![0u8, 1, 2])
        .file("version.txt", "2.0")
        .write_folder(&br)
        .unwrap();
    assert_eq!(kind_of(&br, "br"), "bugreport");
    // A folder of intrusion logs alone.
    let il = d.join("il");
    IntrusionLogs::new()
        .dns("a.txt", 1_746_979_200_000, "a.org", &[], "x")
        .write_folder(&il)
        .unwrap();
    assert_eq!(kind_of(&il, "il2"), "intrusion-logs");

    // Unreadable inputs: a clear message listing the kinds, exit 2.
    let junk = d.join("junk.zip");
    std::fs::write(&junk, b"PK\x03\x04 truncated").unwrap();
    telltale()
        .args(["check", "-q", "-o"])
        .arg(d.join("out-junk"))
        .arg(&junk)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bugreport"))
        .stderr(predicates::str::contains("truncated or corrupt"));
}
