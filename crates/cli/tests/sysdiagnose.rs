//! End-to-end: `telltale check` on iOS sysdiagnose archives (built-in indicators, no network).

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use telltale_testkit::sysdiagnose::{self as sd, ShutdownLog, Sysdiagnose, with_uuid};

mod common;
use common::{read_json, telltale, tree_state};

/// A sysdiagnose whose shutdown log holds a Pegasus trace: a client named like a Pegasus process
/// (`fmld`, built-in indicators) in the roleaccountd staging folder, with the UUID suffix of recent iOS.
fn pegasus() -> Sysdiagnose {
    let client = with_uuid("/private/var/db/com.apple.xpc.roleaccountd.staging/fmld");
    Sysdiagnose::new().shutdown_log(
        &ShutdownLog::new()
            .notice(0.5, &[(51, "/usr/libexec/mobileassetd"), (431, &client)])
            .notice(1.5, &[(431, &client)])
            .sigterm(1_650_000_000),
    )
}

fn check(input: &Path, out: &Path) -> assert_cmd::assert::Assert {
    telltale()
        .args(["check", "-q", "-o"])
        .arg(out)
        .arg(input)
        .assert()
}

fn folder(s: &Sysdiagnose, dir: &Path) -> PathBuf {
    s.write_folder(dir).unwrap();
    dir.to_path_buf()
}

#[test]
fn pegasus_shutdown_trace_exits_1_and_input_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let input = folder(&pegasus(), &dir.path().join("in"));
    let before = tree_state(&input);
    let out = dir.path().join("out");
    check(&input, &out).code(1);
    assert_eq!(before, tree_state(&input), "the input was modified");
    let alerts = read_json(&out.join("alerts.json"));
    let shutdown: Vec<_> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["module"] == "shutdown_log")
        .collect();
    assert!(
        shutdown
            .iter()
            .any(|a| a["matched_indicator"]["value"] == "fmld" && a["level"] == "CRITICAL"),
        "{shutdown:#?}"
    );
    assert!(shutdown.iter().any(
        |a| a["level"] == "HIGH" && a["message"].as_str().unwrap().contains("unusual location")
    ));
    let info = read_json(&out.join("info.json"));
    assert!(info.to_string().contains("ios-sysdiagnose"), "{info}");
    assert!(out.join("shutdown_log.json").is_file());
    assert!(out.join("sysdiagnose_info.json").is_file());
}

#[test]
fn clean_sysdiagnose_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let s = Sysdiagnose::new()
        .file(
            sd::PS,
            sd::ps_txt(&[
                ("root", 1, 0, "/sbin/launchd"),
                ("root", 29, 1, "/usr/libexec/UserEventAgent (System)"),
                ("mobile", 433, 1, "/usr/libexec/diagnosticd"),
            ])
            .as_bytes(),
        )
        .ips(
            "diagnosticd-2024-05-20-101112.ips",
            &sd::ips_crash(
                "/usr/libexec/diagnosticd",
                None,
                "2024-05-20 10:11:12.3456 -0700",
                &[],
            ),
        );
    let input = folder(&s, &dir.path().join("in"));
    let out = dir.path().join("out");
    check(&input, &out).code(0);
    let alerts = read_json(&out.join("alerts.json"));
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["level"] != "CRITICAL" && a["level"] != "HIGH"),
        "{alerts:#}"
    );
}

/// The archive as the phone makes it (`.tar.gz`) and as a plain `.tar` give the same alerts as the
/// extracted folder, and are read in place (nothing left beside them).
#[test]
fn tar_and_tar_gz_archives_give_the_folders_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let keys = |out: &Path| {
        let mut v: Vec<String> = read_json(&out.join("alerts.json"))
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                format!(
                    "{} {} {}",
                    a["level"], a["module"], a["matched_indicator"]["value"]
                )
            })
            .collect();
        v.sort();
        v
    };
    let s = pegasus();
    let folder_out = dir.path().join("out-folder");
    check(&folder(&s, &dir.path().join("in")), &folder_out).code(1);
    let name = "sysdiagnose_2024.05.24_13-29-15-0700_iPhone-OS_iPhone_21F90";
    for (file, write) in [
        (format!("{name}.tar.gz"), true),
        (format!("{name}.tar"), false),
    ] {
        let arch = dir.path().join("arch").join(&file);
        std::fs::create_dir_all(arch.parent().unwrap()).unwrap();
        if write {
            s.write_tar_gz(&arch).unwrap();
        } else {
            s.write_tar(&arch).unwrap();
        }
        let before = tree_state(arch.parent().unwrap());
        let out = dir.path().join(format!("out-{file}"));
        check(&arch, &out).code(1);
        assert_eq!(keys(&folder_out), keys(&out), "{file}");
        assert_eq!(
            before,
            tree_state(arch.parent().unwrap()),
            "{file}: input changed"
        );
        let info = read_json(&out.join("info.json"));
        assert!(info.to_string().contains("ios-sysdiagnose"), "{file}");
    }
}

#[test]
fn the_top_folder_itself_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let top = pegasus().write_folder(dir.path()).unwrap();
    check(&top, &dir.path().join("out")).code(1);
}

#[test]
fn unrecognised_archives_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    // A gzip stream that is not a sysdiagnose.
    let p = dir
        .path()
        .join("sysdiagnose_2024.05.24_13-29-15-0700_iPhone-OS_iPhone_21F90.tar.gz");
    let mut gz = flate2_gz(b"not a tar archive at all");
    std::fs::write(&p, &mut gz).unwrap();
    check(&p, &dir.path().join("o1"))
        .code(2)
        .stderr(predicate::str::contains("not a recognised acquisition"));
    // A folder holding two sysdiagnoses: exit 2 naming the problem.
    let two = dir.path().join("two");
    Sysdiagnose::new().write_folder(&two).unwrap();
    Sysdiagnose::named("sysdiagnose_2024.05.25_13-29-15-0700_iPhone-OS_iPhone_21F90")
        .file("ps.txt", b"x")
        .write_folder(&two)
        .unwrap();
    check(&two, &dir.path().join("o2"))
        .code(2)
        .stderr(predicate::str::contains("sysdiagnose folders"));
}

fn flate2_gz(data: &[u8]) -> Vec<u8> {
    // A minimal gzip member with a stored deflate block (no compression library needed here).
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.push(1); // final stored block
    let n = data.len() as u16;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(!n).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&[0; 8]);
    out
}

#[test]
fn shipped_sample_exits_1_with_its_planted_trace() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ios-sysdiagnose");
    let dir = tempfile::tempdir().unwrap();
    let before = tree_state(&sample);
    check(&sample, &dir.path().join("out")).code(1);
    assert_eq!(before, tree_state(&sample));
    let alerts = read_json(&dir.path().join("out/alerts.json"));
    let severe: Vec<_> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["level"] == "CRITICAL" || a["level"] == "HIGH")
        .collect();
    assert!(
        severe.iter().all(|a| a["module"] == "shutdown_log"),
        "{severe:#?}"
    );
    assert!(
        severe
            .iter()
            .any(|a| a["matched_indicator"]["value"] == "rolexd")
    );
    // The sample in the repository is the one the testkit writes.
    let fresh = tempfile::tempdir().unwrap();
    let top = telltale_testkit::samples::ios_sample_sysdiagnose(fresh.path());
    let rel = |root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        tree_state(root)
            .into_iter()
            .map(|(p, (b, _, _))| (p.strip_prefix(root).unwrap().to_path_buf(), b))
            .collect()
    };
    assert_eq!(
        rel(&sample),
        rel(top.parent().unwrap()),
        "regenerate with make-samples"
    );
}
