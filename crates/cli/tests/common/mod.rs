//! Helpers shared by the binary's end-to-end tests (each test file uses some of them).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Contents, sizes and modification times of every file of a tree.
pub type TreeState = BTreeMap<PathBuf, (Vec<u8>, u64, std::time::SystemTime)>;

/// [`TreeState`] of `root`: a file, or every file below a folder (symbolic links as themselves).
pub fn tree_state(root: &Path) -> TreeState {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let md = std::fs::symlink_metadata(&p).unwrap();
        if md.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
        } else {
            let bytes = if md.is_symlink() {
                std::fs::read_link(&p)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes()
            } else {
                std::fs::read(&p).unwrap()
            };
            out.insert(p.clone(), (bytes, md.len(), md.modified().unwrap()));
        }
    }
    out
}

/// (level, module, matched value) of every alert of an output folder, sorted.
pub fn alert_keys(out: &Path) -> Vec<(String, String, String)> {
    let a: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("alerts.json")).unwrap()).unwrap();
    let mut v: Vec<_> = a
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
            (
                s(&a["level"]),
                s(&a["module"]),
                s(&a["matched_indicator"]["value"]),
            )
        })
        .collect();
    v.sort();
    v
}

/// The binary, with a private data folder (never the real one: the built-in indicator snapshot is used)
/// and no backup password from the environment.
pub fn telltale() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("telltale").expect("binary");
    c.env(
        "TELLTALE_DATA_DIR",
        std::env::temp_dir().join("telltale-tests-no-data"),
    );
    c.env_remove("TELLTALE_BACKUP_PASSWORD");
    c
}

/// A JSON file, parsed (panics naming the file).
pub fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .expect("valid JSON")
}

/// Runs of the binary measured for peak memory under a hang guard (Linux: `/proc/<pid>/status`).
#[cfg(target_os = "linux")]
pub mod measure {
    use std::path::Path;
    use std::process::Command;
    use std::time::{Duration, Instant};

    /// Peak resident memory allowed to one check of a hostile input.
    pub const MAX_RSS_MB: u64 = 1024;
    /// Longer than any of these checks should ever take, even on a loaded 2-core machine.
    pub const HANG_GUARD: Duration = Duration::from_secs(300);

    pub struct Outcome {
        pub code: Option<i32>,
        pub elapsed: Duration,
        pub peak_rss_mb: u64,
        pub stderr: String,
    }

    pub fn vm_hwm_kb(pid: u32) -> Option<u64> {
        let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Runs `telltale args…`, returns its exit code and its peak RSS.
    pub fn run_measured(args: &[&std::ffi::OsStr], data: &Path) -> Outcome {
        let err_path = data.join("stderr.txt");
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("telltale"))
            .args(args)
            .env("TELLTALE_DATA_DIR", data)
            .env_remove("TELLTALE_BACKUP_PASSWORD")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .expect("spawn telltale");
        let start = Instant::now();
        let mut peak_kb = 0;
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if let Some(kb) = vm_hwm_kb(child.id()) {
                peak_kb = peak_kb.max(kb);
            }
            if start.elapsed() > HANG_GUARD {
                let _ = child.kill();
                let _ = child.wait();
                panic!("still running after {HANG_GUARD:?}: killed");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Outcome {
            code: status.code(),
            elapsed: start.elapsed(),
            peak_rss_mb: peak_kb / 1024,
            stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        }
    }

    pub fn check(input: &Path, out: &Path, extra: &[&str], data: &Path) -> Outcome {
        let mut args: Vec<&std::ffi::OsStr> = vec!["check".as_ref(), "-q".as_ref()];
        args.extend(extra.iter().map(|s| std::ffi::OsStr::new(*s)));
        args.push("-o".as_ref());
        args.push(out.as_os_str());
        args.push(input.as_os_str());
        run_measured(&args, data)
    }
}
