//! A check never touches the network: the same alerts with no network at all (`unshare -n`), and no
//! socket is ever opened (`strace -f -e trace=network`) by `check`, nor by `report` and `recheck` on its
//! output. Each test skips, with a notice, where its tool is missing or not permitted.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::alert_keys;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("telltale")
}

fn works(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `prefix… telltale check -q -o out backup`, with a private data folder; returns the exit code.
fn run_check(prefix: &[&str], data: &Path, out: &Path, backup: &Path) -> Option<i32> {
    let (program, pre) = match prefix.split_first() {
        Some((p, rest)) => (PathBuf::from(p), rest.to_vec()),
        None => (bin(), Vec::new()),
    };
    let mut c = Command::new(program);
    c.args(pre);
    if !prefix.is_empty() {
        c.arg(bin());
    }
    c.args(["check", "-q", "-o"])
        .arg(out)
        .arg(backup)
        .env("TELLTALE_DATA_DIR", data)
        .env_remove("TELLTALE_BACKUP_PASSWORD");
    let o = c.output().expect("runs");
    o.status.code()
}

#[test]
fn check_without_any_network_gives_the_same_alerts() {
    if !works("unshare", &["-n", "true"]) {
        eprintln!("NOTICE: skipped, `unshare -n` is not available or not permitted here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let backup = telltale_testkit::samples::ios_sample_backup(&dir.path().join("backup"));
    let data = dir.path().join("data");
    let (net, nonet) = (dir.path().join("net"), dir.path().join("nonet"));
    assert_eq!(run_check(&[], &data, &net, &backup), Some(1));
    assert_eq!(
        run_check(&["unshare", "-n"], &data, &nonet, &backup),
        Some(1)
    );
    let a = alert_keys(&net);
    assert!(!a.is_empty());
    assert_eq!(a, alert_keys(&nonet));
}

#[test]
fn check_report_and_recheck_open_no_socket() {
    if !works("strace", &["-f", "-o", "/dev/null", "true"]) {
        eprintln!("NOTICE: skipped, strace is not installed or ptrace is not permitted here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let backup = telltale_testkit::samples::ios_sample_backup(&dir.path().join("backup"));
    let trace = dir.path().join("trace.txt");
    let trace_s = trace.to_str().unwrap().to_string();
    let code = run_check(
        &["strace", "-f", "-qq", "-e", "trace=network", "-o", &trace_s],
        &dir.path().join("data"),
        &dir.path().join("out"),
        &backup,
    );
    assert_eq!(code, Some(1));
    assert_no_network_calls(&trace, "check");

    // `report` and `recheck` on that output folder: no socket either.
    let out = dir.path().join("out");
    for args in [
        vec!["report".to_string(), out.display().to_string()],
        vec!["recheck".to_string(), out.display().to_string()],
    ] {
        let o = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=network", "-o", &trace_s])
            .arg(bin())
            .args(&args)
            .env("TELLTALE_DATA_DIR", dir.path().join("data"))
            .output()
            .expect("runs");
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}: {}",
            args[0],
            String::from_utf8_lossy(&o.stderr)
        );
        assert_no_network_calls(&trace, &args[0]);
    }
}

fn assert_no_network_calls(trace: &Path, what: &str) {
    let t = std::fs::read_to_string(trace).unwrap();
    let calls: Vec<&str> = t.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        calls.is_empty(),
        "`telltale {what}` made network system calls:\n{}",
        calls.join("\n")
    );
}
