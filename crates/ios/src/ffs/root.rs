//! Where the device's file system sits in a dump's container (folder, tar, zip), whatever the wrapper.
//!
//! The shallowest folder `P` holding `private/var/` is the device's root (`""`, `filesystem1/`,
//! `<UDID>/`, a wrapper folder; absolute member names were already made relative by the container).
//! Failing that, a folder `P` holding `var/` as a real folder (not the device's link) with the
//! contents of `/private/var` is the root, its `var/…` read as `private/var/…`; and failing that, a
//! folder holding the contents of `/private/var` itself (`mobile/` and another of its usual folders)
//! is a dump of `/private/var` alone, mounted at `private/var/`.

use telltale_core::{EntryKind, Evidence};

/// Folders `/private/var` holds on every iOS device; `mobile/` and one more identify it.
pub const VAR_MARKERS: [&str; 8] = [
    "db",
    "root",
    "networkd",
    "containers",
    "Keychains",
    "wireless",
    "preferences",
    "MobileDevice",
];

/// How deep below the container's root the device's root may be (wrapper folders).
const MAX_DEPTH: usize = 4;
/// Folders looked into per level: a folder with more children than this is not a wrapper.
const MAX_DIRS_PER_LEVEL: usize = 64;

/// How a dump sits in its container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// The device's root folder is the container's folder `prefix` (`""` or ending with `/`).
    /// `var_alias`: the dump stores `/private/var` as `var/` (no `private/var/`): device path
    /// `private/var/x` is the container's `prefix + "var/x"`.
    Root { prefix: String, var_alias: bool },
    /// A dump of `/private/var` alone, at the container's folder `prefix`: mounted at `private/var/`.
    VarOnly { prefix: String },
}

impl Layout {
    pub fn prefix(&self) -> &str {
        match self {
            Layout::Root { prefix, .. } | Layout::VarOnly { prefix } => prefix,
        }
    }

    /// The container path of a device path (`private/var/mobile/…`), if the dump can hold it.
    pub fn to_inner(&self, dev: &str) -> Option<String> {
        let dev = dev.trim_matches('/');
        match self {
            Layout::Root {
                prefix,
                var_alias: false,
            } => Some(format!("{prefix}{dev}")),
            Layout::Root {
                prefix,
                var_alias: true,
            } => {
                if let Some(rest) = strip_dir(dev, "private/var") {
                    Some(join(&format!("{prefix}var"), rest))
                } else if strip_dir(dev, "var").is_some() {
                    // The container's `var/` is /private/var: never served twice.
                    None
                } else {
                    Some(format!("{prefix}{dev}"))
                }
            }
            Layout::VarOnly { prefix } => {
                let rest = strip_dir(dev, "private/var")?;
                Some(join(prefix.trim_end_matches('/'), rest))
            }
        }
    }

    /// The device path of a container path (`None` outside the dump).
    pub fn to_device(&self, inner: &str) -> Option<String> {
        let rel = inner.strip_prefix(self.prefix())?;
        match self {
            Layout::Root {
                var_alias: false, ..
            } => Some(rel.to_string()),
            Layout::Root {
                var_alias: true, ..
            } => match strip_dir(rel, "var") {
                Some(rest) => Some(join("private/var", rest)),
                None => Some(rel.to_string()),
            },
            Layout::VarOnly { .. } => Some(join("private/var", rel)),
        }
    }

    /// One line for the device facts.
    pub fn describe(&self) -> String {
        let at = |p: &str| {
            if p.is_empty() {
                "at the top of the input".to_string()
            } else {
                format!("in {}", p.trim_end_matches('/'))
            }
        };
        match self {
            Layout::Root {
                prefix,
                var_alias: false,
            } => format!("device root folder {}", at(prefix)),
            Layout::Root {
                prefix,
                var_alias: true,
            } => format!(
                "device root folder {}, /private/var stored as var/",
                at(prefix)
            ),
            Layout::VarOnly { prefix } => {
                format!("a dump of /private/var alone, {}", at(prefix))
            }
        }
    }
}

/// `rest` when `path` is `dir` (`""`) or below it.
fn strip_dir<'a>(path: &'a str, dir: &str) -> Option<&'a str> {
    if path == dir {
        Some("")
    } else {
        path.strip_prefix(dir)?.strip_prefix('/')
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// The direct children of a folder of the container: `(name, kind)`.
pub fn children(ev: &dyn Evidence, folder: &str) -> Vec<(String, EntryKind)> {
    let mut out = Vec::new();
    let cut = if folder.is_empty() {
        0
    } else {
        folder.trim_end_matches('/').len() + 1
    };
    let _ = ev.walk(folder.trim_end_matches('/'), &mut |e| {
        if let Some(name) = e.path.get(cut..)
            && !name.is_empty()
            && !name.contains('/')
        {
            out.push((name.to_string(), e.kind));
        }
        false
    });
    out
}

fn has_dir(kids: &[(String, EntryKind)], name: &str) -> bool {
    kids.iter().any(|(n, k)| n == name && *k == EntryKind::Dir)
}

fn looks_like_var(kids: &[(String, EntryKind)]) -> bool {
    has_dir(kids, "mobile") && VAR_MARKERS.iter().any(|m| has_dir(kids, m))
}

/// What one candidate folder is.
fn classify(ev: &dyn Evidence, prefix: &str, kids: &[(String, EntryKind)]) -> Option<Layout> {
    if has_dir(kids, "private") {
        let private = children(ev, &format!("{prefix}private"));
        if has_dir(&private, "var") && !children(ev, &format!("{prefix}private/var")).is_empty() {
            return Some(Layout::Root {
                prefix: prefix.to_string(),
                var_alias: false,
            });
        }
    }
    if has_dir(kids, "var") && looks_like_var(&children(ev, &format!("{prefix}var"))) {
        return Some(Layout::Root {
            prefix: prefix.to_string(),
            var_alias: true,
        });
    }
    if looks_like_var(kids) {
        return Some(Layout::VarOnly {
            prefix: prefix.to_string(),
        });
    }
    None
}

/// Finds the dump in a container: `Ok(None)` when it holds none, `Err` when it holds several at the
/// same depth (the caller names them).
pub fn detect(ev: &dyn Evidence) -> Result<Option<Layout>, String> {
    let mut level: Vec<String> = vec![String::new()];
    for _ in 0..=MAX_DEPTH {
        let mut found = Vec::new();
        let mut next = Vec::new();
        for prefix in level.iter().take(MAX_DIRS_PER_LEVEL) {
            let kids = children(ev, prefix);
            if let Some(l) = classify(ev, prefix, &kids) {
                found.push(l);
                continue;
            }
            next.extend(
                kids.into_iter()
                    .filter(|(n, k)| {
                        *k == EntryKind::Dir && n != "__MACOSX" && !n.starts_with("._")
                    })
                    .map(|(n, _)| format!("{prefix}{n}/")),
            );
        }
        match found.len() {
            0 => {}
            1 => return Ok(found.pop()),
            _ => {
                return Err(format!(
                    "holds {} filesystem dumps ({}); pass one of them",
                    found.len(),
                    found
                        .iter()
                        .map(|l| l.prefix().trim_end_matches('/').to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_core::FolderEvidence;

    fn folder(paths: &[&str]) -> (tempfile::TempDir, FolderEvidence) {
        let d = tempfile::tempdir().unwrap();
        for p in paths {
            let f = d.path().join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, b"x").unwrap();
        }
        let ev = FolderEvidence::new(d.path()).unwrap();
        (d, ev)
    }

    #[test]
    fn layouts() {
        let (_d, ev) = folder(&["private/var/mobile/a", "System/Library/x"]);
        assert_eq!(
            detect(&ev).unwrap(),
            Some(Layout::Root {
                prefix: "".into(),
                var_alias: false
            })
        );
        let (_d, ev) = folder(&["dump/filesystem1/private/var/mobile/a", "dump/report.pdf"]);
        let l = detect(&ev).unwrap().unwrap();
        assert_eq!(l.prefix(), "dump/filesystem1/");
        assert_eq!(
            l.to_inner("private/var/mobile/a").unwrap(),
            "dump/filesystem1/private/var/mobile/a"
        );
        let (_d, ev) = folder(&["var/mobile/a", "var/db/b"]);
        let l = detect(&ev).unwrap().unwrap();
        assert_eq!(
            l,
            Layout::Root {
                prefix: "".into(),
                var_alias: true
            }
        );
        assert_eq!(l.to_inner("private/var/db/b").unwrap(), "var/db/b");
        assert_eq!(l.to_device("var/db/b").unwrap(), "private/var/db/b");
        assert_eq!(l.to_inner("var/db/b"), None);
        let (_d, ev) = folder(&["UDID/mobile/Library/x", "UDID/Keychains/y"]);
        let l = detect(&ev).unwrap().unwrap();
        assert_eq!(
            l,
            Layout::VarOnly {
                prefix: "UDID/".into()
            }
        );
        assert_eq!(
            l.to_inner("private/var/mobile/Library/x").unwrap(),
            "UDID/mobile/Library/x"
        );
        assert_eq!(l.to_inner("System/Library/x"), None);
        assert_eq!(l.to_inner("private/var").unwrap(), "UDID");
        assert_eq!(
            l.to_device("UDID/Keychains/y").unwrap(),
            "private/var/Keychains/y"
        );
    }

    #[test]
    fn not_a_dump_and_two_dumps() {
        let (_d, ev) = folder(&["a/b/c.txt", "mobile/x", "photos/y"]);
        assert_eq!(detect(&ev).unwrap(), None);
        let (_d, ev) = folder(&["one/private/var/mobile/a", "two/private/var/mobile/a"]);
        let e = detect(&ev).unwrap_err();
        assert!(e.contains("2 filesystem dumps"), "{e}");
        // The shallowest wins over a deeper copy.
        let (_d, ev) = folder(&[
            "private/var/mobile/a",
            "private/var/mobile/Backup/private/var/x",
        ]);
        assert_eq!(detect(&ev).unwrap().unwrap().prefix(), "");
    }
}
