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
