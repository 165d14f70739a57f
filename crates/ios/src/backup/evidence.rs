//! [`BackupEvidence`]: an iTunes/Finder backup seen through logical paths.
//!
//! * `<domain>/<relativePath>` for every file row (flags 1) of Manifest.db, e.g.
//!   `HomeDomain/Library/SMS/sms.db`;
//! * the backup's own files at the root: `Info.plist`, `Manifest.plist`, `Status.plist`, `Manifest.db`
//!   (for an encrypted backup, `Manifest.db` is the decrypted copy).
//!
//! `find` answers from an in-memory index of Manifest.db (sorted by logical path), so it lists files the
//! manifest names even when their data is absent from the folder; `exists` is true only when the data is
//! there, and reading a listed-but-absent file gives [`EvidenceError::Absent`].

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use telltale_core::evidence::glob_match;
use telltale_core::sqlite::{self, ForensicDb};
use telltale_core::{Entry, Evidence, EvidenceError, FolderEvidence, LocalFile};

use super::source::{BackupFileSource, FileRef, PlainFiles};
use crate::nska::MbFile;

/// The backup's own files, served from its root folder (Manifest.db is handled apart).
pub const ROOT_FILES: [&str; 3] = ["Info.plist", "Manifest.plist", "Status.plist"];
const MANIFEST_DB: &str = "Manifest.db";
/// In [`BackupEvidence`]'s hash index: several paths share the hash (look them up by binary search).
const AMBIGUOUS: u32 = u32::MAX;

/// `SHA1("<domain>-<relativePath>")` in lowercase hex: the name a backup stores a file under.
pub fn file_id(domain: &str, relative_path: &str) -> String {
    use sha1::Digest;
    let mut h = sha1::Sha1::new();
    h.update(domain.as_bytes());
    h.update(b"-");
    h.update(relative_path.as_bytes());
    hex::encode(h.finalize())
}

/// One file row of Manifest.db, as indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFile {
    /// `<domain>/<relativePath>`.
    pub logical: String,
    pub file_id: String,
    domain_len: usize,
}

impl ManifestFile {
    pub fn domain(&self) -> &str {
        &self.logical[..self.domain_len]
    }
    pub fn relative_path(&self) -> &str {
        &self.logical[self.domain_len + 1..]
    }
}

/// Where a backup stores its files: `<xx>/<fileID>` (iOS 10 and later) or flat `<fileID>`.
#[derive(Debug, Default)]
struct Layout {
    /// fileID → stored in a two-character subfolder (`true`) or flat (`false`).
    stored: HashMap<Box<str>, bool>,
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Layout {
    fn scan(root: &Path) -> Layout {
        let mut stored = HashMap::new();
        let Ok(rd) = std::fs::read_dir(root) else {
            return Layout { stored };
        };
        for ent in rd.flatten() {
            let name = ent.file_name().to_string_lossy().into_owned();
            let Ok(ft) = ent.file_type() else { continue };
            if ft.is_dir() && name.len() == 2 && is_hex(&name) {
                let Ok(sub) = std::fs::read_dir(ent.path()) else {
                    continue;
                };
                for f in sub.flatten() {
                    let n = f.file_name().to_string_lossy().to_ascii_lowercase();
                    if f.file_type().map(|t| t.is_file()).unwrap_or(false) && is_hex(&n) {
                        stored.insert(n.into_boxed_str(), true);
                    }
                }
            } else if ft.is_file() && name.len() >= 40 && is_hex(&name[..40]) {
                // Flat layout; very old backups may add an extension to the name.
                stored
                    .entry(name[..40].to_ascii_lowercase().into_boxed_str())
                    .or_insert(false);
            }
        }
        Layout { stored }
    }

    fn path(&self, root: &Path, file_id: &str) -> Option<PathBuf> {
        let nested = *self.stored.get(file_id)?;
        if nested {
            Some(root.join(&file_id[..2]).join(file_id))
        } else {
            let flat = root.join(file_id);
            if flat.is_file() {
                return Some(flat);
            }
            // A flat file with an extension (`<fileID>.mddata` …).
            std::fs::read_dir(root)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .find(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(file_id))
                })
        }
    }
}

/// The hasher of a map whose `u64` keys are already hashes (from a randomly keyed `RandomState`).
#[derive(Default)]
struct KeyIsHash(u64);

impl std::hash::Hasher for KeyIsHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}

/// An iTunes/Finder backup (plain, or encrypted through another [`BackupFileSource`]).
pub struct BackupEvidence {
    root: PathBuf,
    source: Arc<dyn BackupFileSource>,
    manifest_db: LocalFile,
    db: Mutex<ForensicDb>,
    /// File rows (flags 1), sorted by logical path.
    files: Vec<ManifestFile>,
    /// Hash of a logical path → its place in `files` ([`AMBIGUOUS`] when two paths share the hash). The
    /// keys are already keyed random hashes, so the map does not hash them again.
    by_hash: HashMap<u64, u32, BuildHasherDefault<KeyIsHash>>,
    hasher: std::hash::RandomState,
    layout: Layout,
    /// Problems met while indexing (a damaged Manifest.db recovered in part …).
    warnings: Vec<String>,
}

/// Why a backup's Manifest.db could not be indexed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ManifestError(pub String);

impl BackupEvidence {
    /// Opens a plain backup folder.
    pub fn open(root: impl Into<PathBuf>) -> Result<BackupEvidence, ManifestError> {
        let root = root.into();
        let manifest_db = LocalFile::Original(root.join(MANIFEST_DB));
        BackupEvidence::with_source(root, manifest_db, Arc::new(PlainFiles))
    }

    /// Opens a backup whose Manifest.db is `manifest_db` (for an encrypted backup: the decrypted copy) and
    /// whose files are read through `source`.
    pub fn with_source(
        root: PathBuf,
        manifest_db: LocalFile,
        source: Arc<dyn BackupFileSource>,
    ) -> Result<BackupEvidence, ManifestError> {
        let p = manifest_db.path();
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(MANIFEST_DB)
            .to_string();
        let dir = p.parent().unwrap_or(Path::new("."));
        let folder =
            FolderEvidence::new(dir).map_err(|e| ManifestError(format!("{MANIFEST_DB}: {e}")))?;
        let fail = |e: sqlite::SqliteError| {
            ManifestError(format!(
                "{MANIFEST_DB}: {}",
                strip_path(&e.to_string(), &name)
            ))
        };
        // Read first, check only on damage: a full integrity check of a large Manifest.db (hundreds of
        // MB) costs as much as reading it, and reading every row meets any damage that matters here.
        let first = sqlite::open(&folder, &name).map_err(fail)?;
        let mut warnings = Vec::new();
        let (db, files) = match load_files(&first, &mut warnings, true) {
            Ok(files) => (first, files),
            Err(LoadError::Sql(e)) if sqlite::is_corrupt(&e) => {
                drop(first);
                warnings.clear();
                let (db, mut w) = sqlite::open_for_module(&folder, &name).map_err(fail)?;
                let files = load_files(&db, &mut w, false).map_err(LoadError::into_manifest)?;
                warnings = w;
                (db, files)
            }
            Err(e) => return Err(e.into_manifest()),
        };
        let hasher = std::hash::RandomState::new();
        let mut by_hash = HashMap::with_capacity_and_hasher(files.len(), Default::default());
        for (i, f) in files.iter().enumerate() {
            by_hash
                .entry(hasher.hash_one(f.logical.as_str()))
                .and_modify(|v| *v = AMBIGUOUS)
                .or_insert(u32::try_from(i).unwrap_or(AMBIGUOUS));
        }
        let layout = Layout::scan(&root);
        Ok(BackupEvidence {
            root,
            source,
            manifest_db,
            db: Mutex::new(db),
            files,
            by_hash,
            hasher,
            layout,
            warnings,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Problems met while reading Manifest.db (rows lost in a damaged database …).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Problems met so far while reading files through the source (decryption size/padding mismatches).
    pub fn read_warnings(&self) -> Vec<String> {
        self.source.warnings()
    }

    /// Every file row (flags 1) of Manifest.db, sorted by logical path.
    pub fn files(&self) -> &[ManifestFile] {
        &self.files
    }

    /// The Manifest.db row of a logical path.
    pub fn file(&self, logical: &str) -> Option<&ManifestFile> {
        match self.by_hash.get(&self.hasher.hash_one(logical)) {
            None => return None,
            Some(&AMBIGUOUS) => {}
            Some(&i) => {
                let f = self.files.get(i as usize)?;
                return (f.logical == logical).then_some(f);
            }
        }
        self.files
            .binary_search_by(|f| f.logical.as_str().cmp(logical))
            .ok()
            .map(|i| &self.files[i])
    }

    /// Whether a listed file's data is in the backup folder.
    pub fn is_present(&self, file_id: &str) -> bool {
        self.layout.stored.contains_key(file_id)
    }

    /// The decoded MBFile record of a file, looked up in Manifest.db.
    pub fn mbfile(&self, file_id: &str) -> Option<MbFile> {
        let db = self.db.lock().ok()?;
        let blob: Vec<u8> = db
            .conn()
            .query_row("SELECT file FROM Files WHERE fileID = ?1", [file_id], |r| {
                r.get(0)
            })
            .ok()?;
        MbFile::from_archive(&blob).ok()
    }

    fn root_file(&self, path: &str) -> Option<PathBuf> {
        if ROOT_FILES.contains(&path) {
            return Some(self.root.join(path));
        }
        // A plain Manifest.db's side files, so its WAL is seen.
        if self.manifest_db.is_original() && matches!(path, "Manifest.db-wal" | "Manifest.db-shm") {
            return Some(self.root.join(path));
        }
        None
    }

    /// A file of a plain backup that Manifest.db does not list but whose data is in the folder under the
    /// file id of its logical path (WhatsApp's `LID.sqlite` is stored so, as MVT found): served as is.
    /// Encrypted backups cannot serve such files (their keys are in Manifest.db).
    fn unlisted(&self, path: &str) -> Option<PathBuf> {
        if self.source.needs_mbfile() || self.file(path).is_some() {
            return None;
        }
        let (domain, rel) = path.split_once('/')?;
        if domain.is_empty() || rel.is_empty() {
            return None;
        }
        self.layout.path(&self.root, &file_id(domain, rel))
    }

    fn stored(&self, path: &str) -> Result<(&ManifestFile, PathBuf), EvidenceError> {
        let f = self
            .file(path)
            .ok_or_else(|| EvidenceError::NotFound { path: path.into() })?;
        let stored = self
            .layout
            .path(&self.root, &f.file_id)
            .ok_or_else(|| EvidenceError::Absent { path: path.into() })?;
        Ok((f, stored))
    }

    fn with_ref<T>(
        &self,
        f: &ManifestFile,
        run: impl FnOnce(&FileRef<'_>) -> Result<T, EvidenceError>,
    ) -> Result<T, EvidenceError> {
        let mb = if self.source.needs_mbfile() {
            self.mbfile(&f.file_id)
        } else {
            None
        };
        run(&FileRef {
            logical: &f.logical,
            file_id: &f.file_id,
            mbfile: mb.as_ref(),
        })
    }
}

fn strip_path(msg: &str, name: &str) -> String {
    msg.strip_prefix(&format!("{name}: "))
        .unwrap_or(msg)
        .to_string()
}

/// Why [`load_files`] stopped.
enum LoadError {
    Sql(rusqlite::Error),
    Manifest(ManifestError),
}

impl LoadError {
    fn into_manifest(self) -> ManifestError {
        match self {
            LoadError::Sql(e) => ManifestError(format!(
                "{MANIFEST_DB}: {e} (the file is damaged, or the backup is encrypted or incomplete)"
            )),
            LoadError::Manifest(m) => m,
        }
    }
}

/// Reads the file rows of Manifest.db. With `strict`, any SQL error is returned (so that damage met while
/// reading leads to the checked, recovering opener); otherwise an error in the middle of the rows becomes
/// a warning and the rows read so far are kept.
fn load_files(
    db: &ForensicDb,
    warnings: &mut Vec<String>,
    strict: bool,
) -> Result<Vec<ManifestFile>, LoadError> {
    if !db.has_table("Files") {
        // A damaged schema also reads as "no Files table": let the checked opener decide.
        if strict {
            db.conn()
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map_err(LoadError::Sql)?;
        }
        return Err(LoadError::Manifest(ManifestError(format!(
            "{MANIFEST_DB}: no Files table (not an iOS backup manifest)"
        ))));
    }
    let has_flags = db.has_column("Files", "flags");
    let sql = if has_flags {
        "SELECT fileID, domain, relativePath, flags FROM Files"
    } else {
        "SELECT fileID, domain, relativePath, 1 FROM Files"
    };
    let mut st = db.conn().prepare(sql).map_err(LoadError::Sql)?;
    let mut rows = st.query([]).map_err(LoadError::Sql)?;
    let mut files = Vec::new();
    let mut bad = 0u64;
    loop {
        let row = match rows.next() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) if strict => return Err(LoadError::Sql(e)),
            Err(e) => {
                warnings.push(format!("{MANIFEST_DB}: reading stopped early: {e}"));
                break;
            }
        };
        // Borrowed text: one allocation per file (its logical path), one for its id.
        let get = |i| match row.get_ref(i) {
            Ok(rusqlite::types::ValueRef::Text(t)) => std::str::from_utf8(t).ok(),
            _ => None,
        };
        let (Some(id), Some(domain), Some(rel)) = (get(0), get(1), get(2)) else {
            bad += 1;
            continue;
        };
        let flags: i64 = row.get::<_, Option<i64>>(3).ok().flatten().unwrap_or(0);
        if flags != 1 || rel.is_empty() || domain.is_empty() {
            continue;
        }
        let mut logical = String::with_capacity(domain.len() + 1 + rel.len());
        logical.push_str(domain);
        logical.push('/');
        logical.push_str(rel);
        files.push(ManifestFile {
            logical,
            file_id: id.to_ascii_lowercase(),
            domain_len: domain.len(),
        });
    }
    if bad > 0 {
        warnings.push(format!(
            "{MANIFEST_DB}: {bad} rows without fileID, domain or relativePath were skipped"
        ));
    }
    files.sort_unstable_by(|a, b| a.logical.cmp(&b.logical));
    files.dedup_by(|a, b| a.logical == b.logical);
    Ok(files)
}

/// The literal part of a glob pattern before its first wildcard.
fn literal_prefix(pattern: &str) -> &str {
    let end = pattern.find(['*', '?']).unwrap_or(pattern.len());
    &pattern[..end]
}

impl Evidence for BackupEvidence {
    fn describe(&self) -> String {
        format!(
            "iOS backup ({}) {}",
            self.source.describe(),
            self.root.display()
        )
    }

    fn exists(&self, path: &str) -> bool {
        if path == MANIFEST_DB {
            return self.manifest_db.path().is_file();
        }
        if let Some(p) = self.root_file(path) {
            return p.is_file();
        }
        self.file(path).is_some_and(|f| self.is_present(&f.file_id))
            || self.unlisted(path).is_some()
    }

    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        let mut out = Vec::new();
        for name in ROOT_FILES.iter().chain(&[MANIFEST_DB]) {
            if glob_match(pattern, name) && self.exists(name) {
                out.push(Entry {
                    path: name.to_string(),
                    size: None,
                });
            }
        }
        let prefix = literal_prefix(pattern);
        // Any match ends with the literal text after the last wildcard: a cheap first filter.
        let suffix = &pattern[pattern.rfind(['*', '?']).map_or(pattern.len(), |i| i + 1)..];
        let start = self.files.partition_point(|f| f.logical.as_str() < prefix);
        for f in self.files[start..]
            .iter()
            .take_while(|f| f.logical.starts_with(prefix))
        {
            if f.logical.ends_with(suffix) && glob_match(pattern, &f.logical) {
                out.push(Entry {
                    path: f.logical.clone(),
                    size: None,
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        if path == MANIFEST_DB {
            let f = std::fs::File::open(self.manifest_db.path())
                .map_err(|e| EvidenceError::io(path, e))?;
            return Ok(Box::new(f));
        }
        if let Some(p) = self.root_file(path) {
            return match std::fs::File::open(&p) {
                Ok(f) => Ok(Box::new(f)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(EvidenceError::NotFound { path: path.into() })
                }
                Err(e) => Err(EvidenceError::io(path, e)),
            };
        }
        if let Some(p) = self.unlisted(path) {
            let f = std::fs::File::open(&p).map_err(|e| EvidenceError::io(path, e))?;
            return Ok(Box::new(f));
        }
        let (f, stored) = self.stored(path)?;
        self.with_ref(f, |r| self.source.open(&stored, r))
    }

    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        if path == MANIFEST_DB {
            return Ok(self.manifest_db.clone());
        }
        if let Some(p) = self.root_file(path) {
            return if p.is_file() {
                Ok(LocalFile::Original(p))
            } else {
                Err(EvidenceError::NotFound { path: path.into() })
            };
        }
        if let Some(p) = self.unlisted(path) {
            return Ok(LocalFile::Original(p));
        }
        let (f, stored) = self.stored(path)?;
        self.with_ref(f, |r| self.source.local_file(&stored, r))
    }
}
