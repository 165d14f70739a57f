//! Read-only access to an acquisition's files by logical path, whatever the container.
//!
//! Logical paths use `/` separators and never start with `/` (`Library/SMS/sms.db`,
//! `HomeDomain/Library/SMS/sms.db` for an iOS backup, `bugreport/dumpstate.txt` …). Each platform crate
//! documents its logical layout. Implementations never write inside the acquisition.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Default bound on a file read whole into memory (1 GiB).
pub const DEFAULT_READ_LIMIT: u64 = 1 << 30;

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{path}: not in the acquisition")]
    NotFound { path: String },
    #[error("{path}: listed in the acquisition but its data is absent")]
    Absent { path: String },
    #[error("{path}: refused: {reason}")]
    Refused { path: String, reason: String },
    #[error("{path}: {size} bytes is over the limit of {limit} bytes")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Other { path: String, message: String },
}

impl EvidenceError {
    pub fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        EvidenceError::Io {
            path: path.into(),
            source,
        }
    }
    pub fn is_not_found(&self) -> bool {
        matches!(self, EvidenceError::NotFound { .. })
    }
}

/// One file of an acquisition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Logical path.
    pub path: String,
    pub size: Option<u64>,
}

/// A local, read-only file that holds a logical file's bytes: either the original file of a plain folder
/// (never to be written) or a private temporary copy (decrypted or extracted) removed when dropped.
#[derive(Debug, Clone)]
pub enum LocalFile {
    Original(PathBuf),
    Temp {
        path: PathBuf,
        dir: Arc<tempfile::TempDir>,
    },
}

impl LocalFile {
    pub fn path(&self) -> &Path {
        match self {
            LocalFile::Original(p) => p,
            LocalFile::Temp { path, .. } => path,
        }
    }
    pub fn is_original(&self) -> bool {
        matches!(self, LocalFile::Original(_))
    }
}

/// What a walked entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    File,
    Dir,
    /// A symbolic link (never followed by a walk).
    Symlink,
}

/// Where the modification time of an entry comes from. Times from different sources are not
/// comparable without care (a zip's DOS time has no zone; a copied folder may carry the copy's time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The file system of a folder (may be the time the acquisition was copied or extracted).
    FileSystem,
    /// A tar header's mtime (Unix seconds; sub-second with a PAX `mtime` record).
    TarMtime,
    /// A zip entry's extended-timestamp extra field (0x5455, Unix seconds, UTC).
    ZipExtendedTimestamp,
    /// A zip entry's DOS date and time: local time of the writer, 2-second resolution, no zone (taken as
    /// UTC).
    ZipDosLocal,
}

impl TimeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::FileSystem => {
                "file system time of the folder (may be the copy or extraction time)"
            }
            TimeSource::TarMtime => "tar member mtime (UTC)",
            TimeSource::ZipExtendedTimestamp => "zip extended timestamp (0x5455, UTC)",
            TimeSource::ZipDosLocal => {
                "zip DOS time (local time of the archive's writer, no zone; read as UTC)"
            }
        }
    }
}

/// One entry met by [`Evidence::walk`].
#[derive(Debug, Clone, Copy)]
pub struct WalkEntry<'a> {
    /// Logical path.
    pub path: &'a str,
    pub kind: EntryKind,
    pub size: Option<u64>,
    pub modified: Option<jiff::Timestamp>,
    pub time_source: Option<TimeSource>,
    /// The target of a symbolic link, as stored.
    pub link_target: Option<&'a str>,
    /// Unix permission bits (`0o7777`) when the container records them.
    pub mode: Option<u32>,
}

/// Read-only access to an acquisition's files.
pub trait Evidence: Send + Sync {
    /// What this is, for messages: e.g. `folder /x/y`, `iOS backup (encrypted) /x`.
    fn describe(&self) -> String;
    /// Whether a logical path holds a file.
    fn exists(&self, path: &str) -> bool;
    /// Every file whose logical path matches `pattern` (see [`glob_match`]), sorted by path.
    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError>;
    /// Opens a file for streaming.
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError>;
    /// A local read-only file with the same bytes (for SQLite). Implementations that are not a plain folder
    /// write a private temporary copy.
    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError>;

    /// Reads a whole file, refusing files over `limit` bytes.
    fn read_limited(&self, path: &str, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        let mut buf = Vec::new();
        let mut r = self.open(path)?.take(limit + 1);
        r.read_to_end(&mut buf)
            .map_err(|e| EvidenceError::io(path, e))?;
        if buf.len() as u64 > limit {
            return Err(EvidenceError::TooLarge {
                path: path.into(),
                size: buf.len() as u64,
                limit,
            });
        }
        Ok(buf)
    }
    /// Reads a whole file (bounded by [`DEFAULT_READ_LIMIT`]).
    fn read(&self, path: &str) -> Result<Vec<u8>, EvidenceError> {
        self.read_limited(path, DEFAULT_READ_LIMIT)
    }
    /// The modification time of a file when the container records one (folder: file system time; zip:
    /// the entry's stored time, which has no zone and is taken as UTC).
    fn modified(&self, _path: &str) -> Option<jiff::Timestamp> {
        None
    }
    /// The stored wall-clock modification time of a file whose container keeps no zone (zip entries:
    /// the local time of whoever wrote the archive, for a bugreport the device's). Callers that know the
    /// device's zone prefer it to [`Evidence::modified`], which takes such times as UTC.
    fn modified_local(&self, _path: &str) -> Option<jiff::civil::DateTime> {
        None
    }
    /// Visits every entry (files, folders and symbolic links) below the folder `folder` (`""`: all), parents
    /// before their contents. `visit` returns `false` to skip a folder's contents. The default lists the
    /// files [`Evidence::find`] gives, without folders; containers that know their folders override it.
    fn walk(
        &self,
        folder: &str,
        visit: &mut dyn FnMut(&WalkEntry<'_>) -> bool,
    ) -> Result<(), EvidenceError> {
        let pattern = if folder.is_empty() {
            "**".to_string()
        } else {
            format!("{}/**", folder.trim_end_matches('/'))
        };
        for e in self.find(&pattern)? {
            visit(&WalkEntry {
                path: &e.path,
                kind: EntryKind::File,
                size: e.size,
                modified: self.modified(&e.path),
                time_source: None,
                link_target: None,
                mode: None,
            });
        }
        Ok(())
    }
    /// The first existing path of several candidates.
    fn first_existing(&self, candidates: &[&str]) -> Option<String> {
        candidates
            .iter()
            .find(|p| self.exists(p))
            .map(|p| p.to_string())
    }
}

/// Matches a logical path against a pattern: `*` matches any run of characters except `/`, `?` one
/// character except `/`, `**` any run including `/`. Everything else matches itself (case-sensitive).
pub fn glob_match(pattern: &str, path: &str) -> bool {
    fn rec(p: &[u8], s: &[u8]) -> bool {
        let (mut pi, mut si) = (0usize, 0usize);
        // Iterative matcher with backtracking to the last star.
        let mut star: Option<(usize, usize, bool)> = None;
        while si < s.len() {
            if pi < p.len() {
                if p[pi] == b'*' {
                    let double = pi + 1 < p.len() && p[pi + 1] == b'*';
                    let skip = if double { 2 } else { 1 };
                    star = Some((pi + skip, si, double));
                    pi += skip;
                    continue;
                }
                if p[pi] == s[si] || (p[pi] == b'?' && s[si] != b'/') {
                    pi += 1;
                    si += 1;
                    continue;
                }
            }
            match star {
                Some((sp, ss, double)) if double || s[ss] != b'/' => {
                    star = Some((sp, ss + 1, double));
                    pi = sp;
                    si = ss + 1;
                }
                _ => return false,
            }
        }
        p[pi..].iter().all(|&c| c == b'*')
    }
    rec(pattern.as_bytes(), path.as_bytes())
}

#[cfg(unix)]
fn unix_mode(md: &fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(md.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn unix_mode(_md: &fs::Metadata) -> Option<u32> {
    None
}

/// Checks that a logical path stays inside its root: relative, no `..`, no empty or `.` components.
pub fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(x) => out.push(x),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.as_os_str().is_empty() {
        None
    } else {
        Some(out)
    }
}

/// A plain folder (an extracted acquisition). Symbolic links that lead outside the folder are refused.
pub struct FolderEvidence {
    root: PathBuf,
    canonical_root: PathBuf,
}

impl FolderEvidence {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, EvidenceError> {
        let root = root.into();
        let canonical_root = fs::canonicalize(&root)
            .map_err(|e| EvidenceError::io(root.display().to_string(), e))?;
        if !canonical_root.is_dir() {
            return Err(EvidenceError::Other {
                path: root.display().to_string(),
                message: "not a folder".into(),
            });
        }
        Ok(FolderEvidence {
            root,
            canonical_root,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The real file behind a logical path, refusing escapes (`..`, absolute paths, symlinks out).
    pub fn resolve(&self, path: &str) -> Result<PathBuf, EvidenceError> {
        let rel = safe_relative(path).ok_or_else(|| EvidenceError::Refused {
            path: path.into(),
            reason: "path escapes the acquisition".into(),
        })?;
        let full = self.canonical_root.join(rel);
        match fs::canonicalize(&full) {
            Ok(c) if c.starts_with(&self.canonical_root) => Ok(c),
            Ok(_) => Err(EvidenceError::Refused {
                path: path.into(),
                reason: "symbolic link leads outside the acquisition".into(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(EvidenceError::NotFound { path: path.into() })
            }
            Err(e) => Err(EvidenceError::io(path, e)),
        }
    }

    fn list_files(&self, dir: &Path, prefix: &str, out: &mut Vec<Entry>, depth: usize) {
        if depth > 64 {
            return;
        }
        let Ok(rd) = fs::read_dir(dir) else { return };
        for ent in rd.flatten() {
            let Ok(ft) = ent.file_type() else { continue };
            let name = ent.file_name().to_string_lossy().into_owned();
            let logical = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if ft.is_dir() {
                self.list_files(&ent.path(), &logical, out, depth + 1);
            } else if ft.is_file() {
                let size = ent.metadata().ok().map(|m| m.len());
                out.push(Entry {
                    path: logical,
                    size,
                });
            } else if ft.is_symlink()
                && self.resolve(&logical).map(|p| p.is_file()).unwrap_or(false)
            {
                out.push(Entry {
                    path: logical,
                    size: None,
                });
            }
        }
    }

    fn find_from(
        &self,
        dir: &Path,
        prefix: String,
        comps: &[&str],
        out: &mut Vec<Entry>,
        depth: usize,
    ) {
        let Some((comp, rest)) = comps.split_first() else {
            return;
        };
        let join = |name: &str| {
            if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            }
        };
        if depth > 64 {
            return;
        }
        if comp.contains("**") {
            let pattern = comps.join("/");
            let mut found = Vec::new();
            self.list_files(dir, &prefix, &mut found, 0);
            let cut = if prefix.is_empty() {
                0
            } else {
                prefix.len() + 1
            };
            out.extend(
                found
                    .into_iter()
                    .filter(|e| glob_match(&pattern, &e.path[cut..])),
            );
            return;
        }
        if !comp.contains(['*', '?']) {
            let logical = join(comp);
            let full = dir.join(comp);
            if rest.is_empty() {
                if let Ok(p) = self.resolve(&logical)
                    && p.is_file()
                {
                    let size = p.metadata().ok().map(|m| m.len());
                    out.push(Entry {
                        path: logical,
                        size,
                    });
                }
            } else if full.is_dir() && self.resolve(&logical).is_ok_and(|p| p.is_dir()) {
                self.find_from(&full, logical, rest, out, depth + 1);
            }
            return;
        }
        let Ok(rd) = fs::read_dir(dir) else { return };
        for ent in rd.flatten() {
            let name = ent.file_name().to_string_lossy().into_owned();
            if !glob_match(comp, &name) {
                continue;
            }
            let logical = join(&name);
            let Ok(ft) = ent.file_type() else { continue };
            if rest.is_empty() {
                let is_file = ft.is_file()
                    || (ft.is_symlink()
                        && self.resolve(&logical).map(|p| p.is_file()).unwrap_or(false));
                if is_file {
                    let size = ent.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
                    out.push(Entry {
                        path: logical,
                        size,
                    });
                }
            } else if ft.is_dir() {
                self.find_from(&ent.path(), logical, rest, out, depth + 1);
            }
        }
    }

    /// Every file in the folder.
    pub fn all_files(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        self.list_files(&self.canonical_root, "", &mut out, 0);
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }
}

impl Evidence for FolderEvidence {
    fn describe(&self) -> String {
        format!("folder {}", self.root.display())
    }
    fn exists(&self, path: &str) -> bool {
        self.resolve(path).map(|p| p.is_file()).unwrap_or(false)
    }
    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        // Component by component: a wildcard component lists one folder, `**` walks below.
        let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
        let mut out = Vec::new();
        self.find_from(
            &self.canonical_root.clone(),
            String::new(),
            &comps,
            &mut out,
            0,
        );
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out.dedup_by(|a, b| a.path == b.path);
        Ok(out)
    }
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        let p = self.resolve(path)?;
        let f = fs::File::open(&p).map_err(|e| EvidenceError::io(path, e))?;
        Ok(Box::new(f))
    }
    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        let p = self.resolve(path)?;
        if !p.is_file() {
            return Err(EvidenceError::NotFound { path: path.into() });
        }
        Ok(LocalFile::Original(p))
    }
    fn modified(&self, path: &str) -> Option<jiff::Timestamp> {
        let m = self.resolve(path).ok()?.metadata().ok()?.modified().ok()?;
        jiff::Timestamp::try_from(m).ok()
    }
    fn walk(
        &self,
        folder: &str,
        visit: &mut dyn FnMut(&WalkEntry<'_>) -> bool,
    ) -> Result<(), EvidenceError> {
        let folder = folder.trim_matches('/');
        let start = if folder.is_empty() {
            self.canonical_root.clone()
        } else {
            let p = self.resolve(folder)?;
            if !p.is_dir() {
                return Ok(());
            }
            p
        };
        // Depth-first, parents first, names sorted; symbolic links are reported, never followed.
        let mut stack: Vec<(PathBuf, String, usize)> = vec![(start, folder.to_string(), 0)];
        while let Some((dir, logical, depth)) = stack.pop() {
            let Ok(rd) = fs::read_dir(&dir) else { continue };
            let mut ents: Vec<(String, fs::DirEntry)> = rd
                .flatten()
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e))
                .collect();
            ents.sort_by(|a, b| a.0.cmp(&b.0));
            let mut subdirs = Vec::new();
            for (name, ent) in ents {
                let Ok(md) = ent.metadata() else { continue };
                let ft = md.file_type();
                let path = if logical.is_empty() {
                    name
                } else {
                    format!("{logical}/{name}")
                };
                let (kind, target) = if ft.is_dir() {
                    (EntryKind::Dir, None)
                } else if ft.is_file() {
                    (EntryKind::File, None)
                } else if ft.is_symlink() {
                    let t = fs::read_link(ent.path())
                        .ok()
                        .map(|t| t.to_string_lossy().into_owned());
                    (EntryKind::Symlink, t)
                } else {
                    // Device nodes, FIFOs, sockets: not evidence of interest, never opened.
                    continue;
                };
                let descend = visit(&WalkEntry {
                    path: &path,
                    kind,
                    size: (kind == EntryKind::File).then_some(md.len()),
                    modified: md
                        .modified()
                        .ok()
                        .and_then(|m| jiff::Timestamp::try_from(m).ok()),
                    time_source: Some(TimeSource::FileSystem),
                    link_target: target.as_deref(),
                    mode: unix_mode(&md),
                });
                if kind == EntryKind::Dir && descend && depth < 256 {
                    subdirs.push((ent.path(), path, depth + 1));
                }
            }
            // Visit sub-folders after this folder's own entries, in name order.
            stack.extend(subdirs.into_iter().rev());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match("a/*.db", "a/sms.db"));
        assert!(!glob_match("a/*.db", "a/b/sms.db"));
        assert!(glob_match("a/**.db", "a/b/sms.db"));
        assert!(glob_match("**/sms.db", "x/y/sms.db"));
        assert!(glob_match(
            "AppDomain-*/Library/x",
            "AppDomain-com.a.b/Library/x"
        ));
        assert!(!glob_match(
            "AppDomain-*/Library/x",
            "AppDomain-com/a/Library/x"
        ));
        assert!(glob_match("dumpState_*.log", "dumpState_2021.log"));
        assert!(glob_match("?", "a"));
        assert!(!glob_match("?", "/"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn folder_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("acq");
        fs::create_dir_all(inner.join("sub")).unwrap();
        fs::write(inner.join("sub/f.txt"), b"hello").unwrap();
        fs::write(dir.path().join("secret"), b"outside").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("secret"), inner.join("link")).unwrap();
        let ev = FolderEvidence::new(&inner).unwrap();
        assert_eq!(ev.read("sub/f.txt").unwrap(), b"hello");
        assert!(matches!(
            ev.read("../secret"),
            Err(EvidenceError::Refused { .. })
        ));
        assert!(matches!(
            ev.read("/etc/passwd"),
            Err(EvidenceError::Refused { .. })
        ));
        #[cfg(unix)]
        assert!(matches!(
            ev.read("link"),
            Err(EvidenceError::Refused { .. })
        ));
        assert!(ev.read("nope").unwrap_err().is_not_found());
        assert_eq!(ev.find("**.txt").unwrap().len(), 1);
        assert_eq!(ev.find("sub/*").unwrap()[0].path, "sub/f.txt");
        assert!(matches!(
            ev.read_limited("sub/f.txt", 2),
            Err(EvidenceError::TooLarge { .. })
        ));
    }

    #[test]
    fn folder_walk_and_component_find() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("acq");
        for p in [
            "Application/A/Library/Safari/History.db",
            "Application/B/Library/Safari/History.db",
            "Application/B/Library/Other/x.db",
            "Application/C/Library/Caches/Cache.db",
        ] {
            let f = root.join(p);
            fs::create_dir_all(f.parent().unwrap()).unwrap();
            fs::write(f, b"x").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc", root.join("Application/etc")).unwrap();
        let ev = FolderEvidence::new(&root).unwrap();
        let found: Vec<_> = ev
            .find("Application/*/Library/Safari/History.db")
            .unwrap()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(
            found,
            vec![
                "Application/A/Library/Safari/History.db",
                "Application/B/Library/Safari/History.db"
            ]
        );
        assert_eq!(ev.find("Application/**.db").unwrap().len(), 4);
        assert_eq!(ev.find("**/Cache.db").unwrap().len(), 1);
        assert_eq!(ev.find("Application/*/Library/*/x.db").unwrap().len(), 1);
        let mut seen = Vec::new();
        ev.walk("", &mut |e| {
            seen.push((e.path.to_string(), e.kind));
            true
        })
        .unwrap();
        assert!(seen.contains(&("Application".into(), EntryKind::Dir)));
        assert!(seen.contains(&(
            "Application/C/Library/Caches/Cache.db".into(),
            EntryKind::File
        )));
        #[cfg(unix)]
        {
            assert!(seen.contains(&("Application/etc".into(), EntryKind::Symlink)));
            assert!(!seen.iter().any(|(p, _)| p.starts_with("Application/etc/")));
        }
        let mut below = 0;
        ev.walk("Application/B", &mut |e| {
            assert!(e.path.starts_with("Application/B/"));
            below += 1;
            true
        })
        .unwrap();
        assert_eq!(below, 5);
    }
}
