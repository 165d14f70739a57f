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

    fn walk(&self, dir: &Path, prefix: &str, out: &mut Vec<Entry>, depth: usize) {
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
                self.walk(&ent.path(), &logical, out, depth + 1);
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

    /// Every file in the folder.
    pub fn all_files(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        self.walk(&self.canonical_root, "", &mut out, 0);
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
        // Walk only below the pattern's literal prefix.
        let literal: String = pattern
            .split('/')
            .take_while(|c| !c.contains(['*', '?']))
            .collect::<Vec<_>>()
            .join("/");
        let is_whole = literal.len() == pattern.len();
        if is_whole {
            return Ok(if self.exists(pattern) {
                let size = self
                    .resolve(pattern)
                    .ok()
                    .and_then(|p| p.metadata().ok())
                    .map(|m| m.len());
                vec![Entry {
                    path: pattern.to_string(),
                    size,
                }]
            } else {
                vec![]
            });
        }
        let (start, prefix) = if literal.is_empty() {
            (self.canonical_root.clone(), String::new())
        } else {
            match self.resolve(&literal) {
                Ok(p) if p.is_dir() => (p, literal.clone()),
                _ => return Ok(vec![]),
            }
        };
        let mut out = Vec::new();
        self.walk(&start, &prefix, &mut out, 0);
        out.retain(|e| glob_match(pattern, &e.path));
        out.sort_by(|a, b| a.path.cmp(&b.path));
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
}
