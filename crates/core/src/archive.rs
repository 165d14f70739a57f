//! Safe, read-only access to zip archives as [`Evidence`], and [`SubEvidence`] (one folder of another
//! evidence, seen as its own root).
//!
//! A zip from an unknown source is hostile until proven otherwise:
//!
//! * entry names are normalised (`\` → `/`, no leading `./`); names that are absolute, contain `..`, a
//!   drive letter or a NUL byte, and symbolic-link entries are refused: they are left out of the listing
//!   and reported in [`ZipEvidence::warnings`];
//! * sizes are bounded, declared and actual: the declared total decompressed size must stay under
//!   [`ArchiveLimits::max_total_size`], each entry's decompressed bytes are counted while they are read
//!   and reading stops with an error past [`ArchiveLimits::max_entry_size`] (a zip bomb ends in an error,
//!   never in exhausted memory or disk);
//! * nesting is bounded: a zip inside a zip is opened through a private temporary copy (folder mode
//!   0700), at most [`ArchiveLimits::max_depth`] levels deep;
//! * nothing is ever written next to the input: extracted bytes go to private temporary folders that
//!   are removed when dropped.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use zip::ZipArchive;

use crate::evidence::{
    Entry, EntryKind, Evidence, EvidenceError, LocalFile, TimeSource, WalkEntry, glob_match,
};

/// Bounds applied when reading an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Largest decompressed size of one entry (declared or actual).
    pub max_entry_size: u64,
    /// Largest declared decompressed size of the whole archive, and largest number of decompressed bytes
    /// read from it over its lifetime.
    pub max_total_size: u64,
    /// Largest number of entries.
    pub max_entries: usize,
    /// Deepest nesting of archives inside archives (the outer archive is level 0).
    pub max_depth: u32,
    /// Entries up to this size are held in memory when opened; larger ones go to a private temp file.
    pub memory_threshold: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_entry_size: 8 << 30,
            max_total_size: 64 << 30,
            max_entries: 2_000_000,
            max_depth: 3,
            memory_threshold: 32 << 20,
        }
    }
}

/// A private temporary folder (mode 0700 on Unix), removed when dropped.
pub fn private_tempdir() -> io::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new().prefix("telltale-").tempdir()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(dir)
}

static TEMP_DIRS: std::sync::Mutex<Vec<std::sync::Weak<tempfile::TempDir>>> =
    std::sync::Mutex::new(Vec::new());

/// A private temporary folder (mode 0700) registered for [`cleanup_temp_dirs`]: removed when the last
/// `Arc` is dropped, or by [`cleanup_temp_dirs`] (the CLI's Ctrl-C handler) while still alive.
pub fn registered_tempdir() -> io::Result<Arc<tempfile::TempDir>> {
    let dir = Arc::new(private_tempdir()?);
    let mut reg = TEMP_DIRS.lock().unwrap_or_else(|e| e.into_inner());
    reg.retain(|w| w.strong_count() > 0);
    reg.push(Arc::downgrade(&dir));
    Ok(dir)
}

/// Removes every folder made by [`registered_tempdir`] that is still alive (extracted archive members).
/// For the CLI's Ctrl-C handler and error paths; safe to call several times and from any thread. Returns
/// how many folders were removed.
pub fn cleanup_temp_dirs() -> usize {
    let dirs: Vec<Arc<tempfile::TempDir>> = {
        let mut reg = TEMP_DIRS.lock().unwrap_or_else(|e| e.into_inner());
        let live = reg.iter().filter_map(std::sync::Weak::upgrade).collect();
        reg.clear();
        live
    };
    dirs.iter()
        .filter(|d| d.path().exists() && std::fs::remove_dir_all(d.path()).is_ok())
        .count()
}

/// The registered temporary folders that still exist on disk (for tests).
pub fn live_temp_dirs() -> Vec<std::path::PathBuf> {
    let reg = TEMP_DIRS.lock().unwrap_or_else(|e| e.into_inner());
    reg.iter()
        .filter_map(std::sync::Weak::upgrade)
        .map(|d| d.path().to_path_buf())
        .filter(|p| p.exists())
        .collect()
}

/// Like [`normalize_entry_name`], but an absolute name is made relative (`/private/var/x` →
/// `private/var/x`), as tar does and as filesystem dumps store their members. `..`, drive letters and
/// NUL bytes are still refused.
pub fn normalize_member_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.replace('\\', "/");
    normalize_entry_name(name.trim_start_matches('/'))
}

/// Normalises a zip entry name into a logical path, or says why it is refused.
pub fn normalize_entry_name(raw: &str) -> Result<String, &'static str> {
    if raw.contains('\0') {
        return Err("name contains a NUL byte");
    }
    let name = raw.replace('\\', "/");
    if name.starts_with('/') {
        return Err("absolute path");
    }
    let mut parts = Vec::new();
    for (i, part) in name.split('/').enumerate() {
        match part {
            "" | "." => continue,
            ".." => return Err("path with `..` escapes the archive"),
            p if i == 0
                && p.len() >= 2
                && p.as_bytes()[1] == b':'
                && p.as_bytes()[0].is_ascii_alphabetic() =>
            {
                return Err("absolute path with a drive letter");
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err("empty name");
    }
    Ok(parts.join("/"))
}

/// A safe local file name for a member's private copy: its base name with unusual characters replaced.
pub(crate) fn temp_file_name(path: &str) -> String {
    let base: String = path
        .rsplit('/')
        .next()
        .unwrap_or("entry")
        .chars()
        .take(128)
        .map(|c| {
            if c.is_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if base.is_empty() || base.starts_with('.') {
        format!("entry{base}")
    } else {
        base
    }
}

/// A shared, clonable handle on a file, read with positioned reads (each clone has its own position).
#[derive(Clone)]
pub(crate) struct SharedFile {
    pub(crate) file: Arc<File>,
    pub(crate) pos: u64,
    pub(crate) len: u64,
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(&*self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(&*self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let new = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match new {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )),
        }
    }
}

#[derive(Debug, Clone)]
struct ZipItem {
    index: usize,
    size: u64,
    modified: Option<jiff::civil::DateTime>,
    /// The extended-timestamp extra field's modification time (Unix seconds, UTC), when present.
    ext_mtime: Option<i64>,
    mode: Option<u32>,
}

/// How a zip archive is opened.
#[derive(Debug, Clone, Copy, Default)]
pub struct ZipOptions {
    pub limits: ArchiveLimits,
    /// Absolute member names (`/private/var/…`, as some filesystem-dump tools write them) are made
    /// relative ([`normalize_member_name`]) instead of refused.
    pub absolute_names: bool,
}

/// The modification times of the extended-timestamp extra fields (0x5455) of central directory records
/// at the given offsets, as `(entry index, Unix seconds)` sorted by index. Reads the records in offset
/// order through one buffered reader; a record that does not parse ends the pass.
fn extended_mtimes(file: &SharedFile, centrals: &mut [(u64, usize)]) -> Vec<(usize, i64)> {
    centrals.sort_unstable();
    let mut out = Vec::new();
    let Some(&(first, _)) = centrals.first() else {
        return out;
    };
    let mut f = file.clone();
    f.pos = first;
    let mut r = io::BufReader::with_capacity(256 << 10, f);
    let mut pos = first;
    let mut fixed = [0u8; 46];
    let mut var = Vec::new();
    for &(off, index) in centrals.iter() {
        if off < pos {
            return out;
        }
        if off > pos {
            if r.seek_relative((off - pos) as i64).is_err() {
                return out;
            }
            pos = off;
        }
        if r.read_exact(&mut fixed).is_err() || fixed[..4] != *b"PK\x01\x02" {
            return out;
        }
        let le = |i: usize| u16::from_le_bytes([fixed[i], fixed[i + 1]]) as usize;
        let (n, e, c) = (le(28), le(30), le(32));
        var.resize(n + e + c, 0);
        if r.read_exact(&mut var).is_err() {
            return out;
        }
        pos += 46 + (n + e + c) as u64;
        let mut extra = &var[n..n + e];
        while extra.len() >= 4 {
            let id = u16::from_le_bytes([extra[0], extra[1]]);
            let len = u16::from_le_bytes([extra[2], extra[3]]) as usize;
            let Some(data) = extra.get(4..4 + len) else {
                break;
            };
            if id == 0x5455 && data.len() >= 5 && data[0] & 1 == 1 {
                let t = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
                out.push((index, t as i64));
            }
            extra = &extra[4 + len..];
        }
    }
    out.sort_unstable();
    out
}

/// A zip archive as evidence. See the module documentation for what is refused and bounded.
pub struct ZipEvidence {
    label: String,
    archive: ZipArchive<SharedFile>,
    items: BTreeMap<String, ZipItem>,
    warnings: Vec<String>,
    limits: ArchiveLimits,
    depth: u32,
    total_read: AtomicU64,
    /// Keeps a private copy (nested archive) alive as long as this evidence.
    _backing: Option<LocalFile>,
}

fn zip_err(path: &str, e: zip::result::ZipError) -> EvidenceError {
    match e {
        zip::result::ZipError::Io(source) => EvidenceError::Io {
            path: path.into(),
            source,
        },
        other => EvidenceError::Other {
            path: path.into(),
            message: other.to_string(),
        },
    }
}

impl ZipEvidence {
    /// Opens a zip file with the default limits.
    pub fn open(path: &Path) -> Result<Self, EvidenceError> {
        Self::open_with(path, ArchiveLimits::default())
    }

    /// Opens a zip file with the given limits.
    pub fn open_with(path: &Path, limits: ArchiveLimits) -> Result<Self, EvidenceError> {
        Self::open_at_depth(path, path.display().to_string(), limits, 0, None)
    }

    /// Opens a zip file with the given options (e.g. absolute member names accepted).
    pub fn open_with_options(path: &Path, opts: &ZipOptions) -> Result<Self, EvidenceError> {
        Self::open_full(
            path,
            path.display().to_string(),
            opts.limits,
            0,
            None,
            opts.absolute_names,
        )
    }

    /// Opens the zip stored at logical `path` of `parent` (itself at nesting level `parent_depth`) through
    /// a private copy. Refused past [`ArchiveLimits::max_depth`].
    pub fn open_nested(
        parent: &dyn Evidence,
        path: &str,
        parent_depth: u32,
        limits: ArchiveLimits,
    ) -> Result<Self, EvidenceError> {
        let depth = parent_depth + 1;
        if depth > limits.max_depth {
            return Err(EvidenceError::Refused {
                path: path.into(),
                reason: format!("archive nested more than {} levels deep", limits.max_depth),
            });
        }
        let local = parent.local_file(path)?;
        let label = format!("{} in {}", path, parent.describe());
        let local_path = local.path().to_owned();
        Self::open_at_depth(&local_path, label, limits, depth, Some(local))
    }

    /// Opens a zip nested in this one (one level deeper).
    pub fn open_inner(&self, path: &str) -> Result<Self, EvidenceError> {
        Self::open_nested(self, path, self.depth, self.limits)
    }

    fn open_at_depth(
        path: &Path,
        label: String,
        limits: ArchiveLimits,
        depth: u32,
        backing: Option<LocalFile>,
    ) -> Result<Self, EvidenceError> {
        Self::open_full(path, label, limits, depth, backing, false)
    }

    fn open_full(
        path: &Path,
        label: String,
        limits: ArchiveLimits,
        depth: u32,
        backing: Option<LocalFile>,
        absolute_names: bool,
    ) -> Result<Self, EvidenceError> {
        let file = File::open(path).map_err(|e| EvidenceError::io(label.clone(), e))?;
        let len = file
            .metadata()
            .map_err(|e| EvidenceError::io(label.clone(), e))?
            .len();
        let shared = SharedFile {
            file: Arc::new(file),
            pos: 0,
            len,
        };
        let shared_for_cd = shared.clone();
        let archive = ZipArchive::new(shared).map_err(|e| EvidenceError::Other {
            path: label.clone(),
            message: format!("not a readable zip archive (truncated or corrupt?): {e}"),
        })?;
        let meta = archive.metadata();
        if meta.len() > limits.max_entries {
            return Err(EvidenceError::Refused {
                path: label,
                reason: format!(
                    "{} entries is over the limit of {}",
                    meta.len(),
                    limits.max_entries
                ),
            });
        }
        let mut items = BTreeMap::new();
        let mut warnings = Vec::new();
        let mut declared_total: u64 = 0;
        let mut centrals: Vec<(u64, usize)> = Vec::new();
        for i in 0..meta.len() {
            let entry = meta.entry(i).map_err(|e| zip_err(&label, e))?;
            let raw = match entry.name() {
                Ok(n) => n.into_owned(),
                Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
            };
            if entry.is_dir() {
                continue;
            }
            if entry.is_symlink() {
                warnings.push(format!("{label}: entry {raw:?} refused: symbolic link"));
                continue;
            }
            let normalized = if absolute_names {
                normalize_member_name(&raw)
            } else {
                normalize_entry_name(&raw)
            };
            let name = match normalized {
                Ok(n) => n,
                Err(why) => {
                    warnings.push(format!("{label}: entry {raw:?} refused: {why}"));
                    continue;
                }
            };
            if entry.encrypted() {
                warnings.push(format!(
                    "{label}: entry {name:?} is encrypted and cannot be read"
                ));
            }
            let size = entry.size();
            declared_total = declared_total.saturating_add(size);
            if size > limits.max_entry_size {
                warnings.push(format!(
                    "{label}: entry {name:?} declares {size} bytes, over the limit of {} bytes; it will not be read",
                    limits.max_entry_size
                ));
            }
            let modified = entry.last_modified().and_then(|d| {
                jiff::civil::DateTime::new(
                    i16::try_from(d.year()).ok()?,
                    i8::try_from(d.month()).ok()?,
                    i8::try_from(d.day()).ok()?,
                    i8::try_from(d.hour()).ok()?,
                    i8::try_from(d.minute()).ok()?,
                    i8::try_from(d.second()).ok()?,
                    0,
                )
                .ok()
            });
            if items.contains_key(&name) {
                warnings.push(format!(
                    "{label}: duplicate entry {name:?}; the first one is used"
                ));
                continue;
            }
            let mode = entry.unix_mode().map(|m| m & 0o7777);
            let central = entry.central_header_start();
            items.insert(
                name,
                ZipItem {
                    index: i,
                    size,
                    modified,
                    ext_mtime: None,
                    mode,
                },
            );
            centrals.push((central, i));
        }
        if declared_total > limits.max_total_size {
            return Err(EvidenceError::TooLarge {
                path: label,
                size: declared_total,
                limit: limits.max_total_size,
            });
        }
        // Extended timestamps (0x5455) of the central directory, read in one sequential pass.
        let ext = extended_mtimes(&shared_for_cd, &mut centrals);
        if !ext.is_empty() {
            for item in items.values_mut() {
                if let Ok(k) = ext.binary_search_by_key(&item.index, |(i, _)| *i) {
                    item.ext_mtime = Some(ext[k].1);
                }
            }
        }
        Ok(ZipEvidence {
            label,
            archive,
            items,
            warnings,
            limits,
            depth,
            total_read: AtomicU64::new(0),
            _backing: backing,
        })
    }

    /// Entries that were refused or look wrong (traversal names, symbolic links, oversize …).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The nesting level of this archive (0: not inside another archive).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    pub fn limits(&self) -> ArchiveLimits {
        self.limits
    }

    /// The modification time stored for an entry (zip times have no zone: device or host local time).
    pub fn modified_naive(&self, path: &str) -> Option<jiff::civil::DateTime> {
        self.items.get(path).and_then(|i| i.modified)
    }

    /// Every readable entry.
    pub fn entries(&self) -> Vec<Entry> {
        self.items
            .iter()
            .map(|(p, i)| Entry {
                path: p.clone(),
                size: Some(i.size),
            })
            .collect()
    }

    fn item(&self, path: &str) -> Result<&ZipItem, EvidenceError> {
        self.items
            .get(path)
            .ok_or_else(|| EvidenceError::NotFound { path: path.into() })
    }

    /// Streams an entry into `sink`, at most `limit` bytes (error past it).
    fn copy_entry(
        &self,
        path: &str,
        limit: u64,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, EvidenceError> {
        let item = self.item(path)?;
        let limit = limit.min(self.limits.max_entry_size);
        if item.size > limit {
            return Err(EvidenceError::TooLarge {
                path: path.into(),
                size: item.size,
                limit,
            });
        }
        let mut archive = self.archive.clone();
        let mut f = archive.by_index(item.index).map_err(|e| zip_err(path, e))?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut n: u64 = 0;
        loop {
            let k = f.read(&mut buf).map_err(|e| EvidenceError::io(path, e))?;
            if k == 0 {
                break;
            }
            n += k as u64;
            if n > limit {
                return Err(EvidenceError::TooLarge {
                    path: path.into(),
                    size: n,
                    limit,
                });
            }
            let total = self.total_read.fetch_add(k as u64, Ordering::Relaxed) + k as u64;
            if total > self.limits.max_total_size {
                return Err(EvidenceError::Refused {
                    path: path.into(),
                    reason: format!(
                        "more than {} decompressed bytes read from {} (zip bomb?)",
                        self.limits.max_total_size, self.label
                    ),
                });
            }
            sink(&buf[..k]).map_err(|e| EvidenceError::io(path, e))?;
        }
        Ok(n)
    }

    fn extract_to_temp(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        let dir = registered_tempdir().map_err(|e| EvidenceError::io(path, e))?;
        let dest = dir.path().join(temp_file_name(path));
        let mut out = File::create(&dest).map_err(|e| EvidenceError::io(path, e))?;
        self.copy_entry(path, self.limits.max_entry_size, &mut |b| out.write_all(b))?;
        out.flush().map_err(|e| EvidenceError::io(path, e))?;
        Ok(LocalFile::Temp { path: dest, dir })
    }
}

/// A reader over a private temporary copy, which is removed once the reader is dropped.
struct TempReader {
    file: File,
    _local: LocalFile,
}

impl Read for TempReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

impl Evidence for ZipEvidence {
    fn describe(&self) -> String {
        format!("zip {}", self.label)
    }
    fn exists(&self, path: &str) -> bool {
        self.items.contains_key(path)
    }
    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        // Only the entries that start with the pattern's literal prefix can match.
        let literal = &pattern[..pattern.find(['*', '?']).unwrap_or(pattern.len())];
        Ok(self
            .items
            .range::<str, _>((
                std::ops::Bound::Included(literal),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(p, _)| p.starts_with(literal))
            .filter(|(p, _)| glob_match(pattern, p))
            .map(|(p, i)| Entry {
                path: p.clone(),
                size: Some(i.size),
            })
            .collect())
    }
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        let item = self.item(path)?;
        if item.size <= self.limits.memory_threshold {
            let mut buf = Vec::with_capacity(item.size as usize);
            // The actual size may lie: past the memory threshold, spill to a private file.
            let threshold = self.limits.memory_threshold;
            let r = self.copy_entry(path, threshold, &mut |b| {
                buf.extend_from_slice(b);
                Ok(())
            });
            match r {
                Ok(_) => return Ok(Box::new(io::Cursor::new(buf))),
                Err(EvidenceError::TooLarge { .. }) if threshold < self.limits.max_entry_size => {}
                Err(e) => return Err(e),
            }
        }
        let local = self.extract_to_temp(path)?;
        let file = File::open(local.path()).map_err(|e| EvidenceError::io(path, e))?;
        Ok(Box::new(TempReader {
            file,
            _local: local,
        }))
    }
    fn read_limited(&self, path: &str, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        let mut buf = Vec::new();
        self.copy_entry(path, limit, &mut |b| {
            buf.extend_from_slice(b);
            Ok(())
        })?;
        Ok(buf)
    }
    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        self.extract_to_temp(path)
    }
    fn modified(&self, path: &str) -> Option<jiff::Timestamp> {
        let item = self.items.get(path)?;
        item_time(item).0
    }
    fn modified_local(&self, path: &str) -> Option<jiff::civil::DateTime> {
        self.modified_naive(path)
    }
    fn walk(
        &self,
        folder: &str,
        visit: &mut dyn FnMut(&WalkEntry<'_>) -> bool,
    ) -> Result<(), EvidenceError> {
        let folder = folder.trim_matches('/');
        let base = if folder.is_empty() {
            String::new()
        } else {
            format!("{folder}/")
        };
        // Folders are implied by the sorted entry names (the zip's own folder entries are not kept).
        let mut open_dirs: Vec<String> = Vec::new();
        let mut skip: Option<String> = None;
        for (path, item) in self
            .items
            .range::<str, _>((
                std::ops::Bound::Included(base.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(p, _)| p.starts_with(&base))
        {
            if let Some(s) = &skip {
                if path.starts_with(s.as_str()) {
                    continue;
                }
                skip = None;
            }
            // Folders between `base` and the entry that were not visited yet.
            let rel = &path[base.len()..];
            let mut dir = base.clone();
            let comps: Vec<&str> = rel.split('/').collect();
            let mut skipped = false;
            for c in &comps[..comps.len() - 1] {
                dir.push_str(c);
                let d = dir.clone();
                dir.push('/');
                if open_dirs.iter().any(|o| o == &d) {
                    continue;
                }
                open_dirs.retain(|o| d.starts_with(&format!("{o}/")));
                open_dirs.push(d.clone());
                let descend = visit(&WalkEntry {
                    path: &d,
                    kind: EntryKind::Dir,
                    size: None,
                    modified: None,
                    time_source: None,
                    link_target: None,
                    mode: None,
                });
                if !descend {
                    skip = Some(dir.clone());
                    skipped = true;
                    break;
                }
            }
            if skipped {
                continue;
            }
            let (modified, source) = item_time(item);
            visit(&WalkEntry {
                path,
                kind: EntryKind::File,
                size: Some(item.size),
                modified,
                time_source: source,
                link_target: None,
                mode: item.mode,
            });
        }
        Ok(())
    }
}

/// An entry's time and where it comes from: the extended timestamp (UTC) when present, else the DOS
/// time taken as UTC.
fn item_time(item: &ZipItem) -> (Option<jiff::Timestamp>, Option<TimeSource>) {
    if let Some(t) = item.ext_mtime
        && let Ok(ts) = jiff::Timestamp::from_second(t)
    {
        return (Some(ts), Some(TimeSource::ZipExtendedTimestamp));
    }
    match item
        .modified
        .and_then(|d| jiff::tz::TimeZone::UTC.to_timestamp(d).ok())
    {
        Some(ts) => (Some(ts), Some(TimeSource::ZipDosLocal)),
        None => (None, None),
    }
}

/// One folder of another evidence, seen as its own root: `SubEvidence::new(ev, "acq")` maps logical path
/// `packages.json` to `acq/packages.json`.
pub struct SubEvidence {
    inner: Arc<dyn Evidence>,
    prefix: String,
}

impl SubEvidence {
    /// `prefix` is a folder's logical path (with or without a trailing `/`; empty for the whole).
    pub fn new(inner: Arc<dyn Evidence>, prefix: &str) -> Self {
        let p = prefix.trim_matches('/');
        let prefix = if p.is_empty() {
            String::new()
        } else {
            format!("{p}/")
        };
        SubEvidence { inner, prefix }
    }
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    pub fn inner(&self) -> &Arc<dyn Evidence> {
        &self.inner
    }
    fn full(&self, path: &str) -> String {
        format!("{}{}", self.prefix, path)
    }
}

impl Evidence for SubEvidence {
    fn describe(&self) -> String {
        if self.prefix.is_empty() {
            self.inner.describe()
        } else {
            format!(
                "{} (folder {})",
                self.inner.describe(),
                self.prefix.trim_end_matches('/')
            )
        }
    }
    fn exists(&self, path: &str) -> bool {
        self.inner.exists(&self.full(path))
    }
    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        let found = self.inner.find(&self.full(pattern))?;
        Ok(found
            .into_iter()
            .filter_map(|e| {
                let rest = e.path.strip_prefix(&self.prefix)?.to_string();
                Some(Entry {
                    path: rest,
                    size: e.size,
                })
            })
            .collect())
    }
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        self.inner.open(&self.full(path))
    }
    fn read_limited(&self, path: &str, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        self.inner.read_limited(&self.full(path), limit)
    }
    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        self.inner.local_file(&self.full(path))
    }
    fn modified(&self, path: &str) -> Option<jiff::Timestamp> {
        self.inner.modified(&self.full(path))
    }
    fn modified_local(&self, path: &str) -> Option<jiff::civil::DateTime> {
        self.inner.modified_local(&self.full(path))
    }
}

/// Whether the file at `path` starts like a zip archive (local file header or empty-archive record).
pub fn looks_like_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06")
}

#[cfg(test)]
mod tests {
    use super::*;
    use zip::write::SimpleFileOptions;

    fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
        let mut w = zip::ZipWriter::new(File::create(path).unwrap());
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }

    #[test]
    fn reads_entries_and_globs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.zip");
        write_zip(
            &p,
            &[
                ("acq/packages.json", b"[]"),
                ("acq/logs/x.txt", b"log"),
                ("./top.txt", b"t"),
            ],
        );
        let z = ZipEvidence::open(&p).unwrap();
        assert!(z.exists("acq/packages.json"));
        assert!(z.exists("top.txt"));
        assert_eq!(z.read("acq/logs/x.txt").unwrap(), b"log");
        let mut s = String::new();
        z.open("acq/packages.json")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "[]");
        assert_eq!(z.find("acq/logs/*").unwrap().len(), 1);
        assert!(z.modified_naive("acq/logs/x.txt").is_some());
        assert!(z.modified("acq/logs/x.txt").is_some());
        let local = z.local_file("acq/packages.json").unwrap();
        assert!(!local.is_original());
        assert_eq!(std::fs::read(local.path()).unwrap(), b"[]");
        assert!(!local.path().starts_with(dir.path()));
        // Sub-evidence view.
        let sub = SubEvidence::new(Arc::new(z), "acq/");
        assert_eq!(sub.read("packages.json").unwrap(), b"[]");
        let logs: Vec<_> = sub
            .find("logs/*")
            .unwrap()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(logs, vec!["logs/x.txt"]);
        assert!(sub.read("top.txt").unwrap_err().is_not_found());
        // Nothing written next to the input.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_traversal_absolute_and_symlink_entries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("evil.zip");
        {
            let mut w = zip::ZipWriter::new(File::create(&p).unwrap());
            let opts = SimpleFileOptions::default();
            for name in [
                "../escape.txt",
                "a/../../b.txt",
                "/etc/passwd",
                "..\\win.txt",
                "C:/x.txt",
                "ok.txt",
            ] {
                w.start_file(name, opts).unwrap();
                w.write_all(b"x").unwrap();
            }
            w.add_symlink("link", "/etc/shadow", opts).unwrap();
            w.finish().unwrap();
        }
        let z = ZipEvidence::open(&p).unwrap();
        let names: Vec<_> = z.entries().into_iter().map(|e| e.path).collect();
        assert_eq!(names, vec!["ok.txt"]);
        assert_eq!(z.warnings().len(), 6, "{:?}", z.warnings());
        assert!(z.warnings().iter().any(|w| w.contains("symbolic link")));
        assert!(z.warnings().iter().any(|w| w.contains("..")));
        assert!(z.read("link").unwrap_err().is_not_found());
        assert!(z.read("../escape.txt").unwrap_err().is_not_found());
    }

    #[test]
    fn zip_bomb_stops_with_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bomb.zip");
        let zeros = vec![0u8; 4 << 20];
        write_zip(&p, &[("bomb.bin", &zeros), ("small.txt", b"fine")]);
        assert!(std::fs::metadata(&p).unwrap().len() < 100_000);
        let limits = ArchiveLimits {
            max_entry_size: 1 << 20,
            memory_threshold: 1 << 16,
            ..Default::default()
        };
        let z = ZipEvidence::open_with(&p, limits).unwrap();
        assert!(z.warnings().iter().any(|w| w.contains("bomb.bin")));
        assert!(matches!(
            z.read("bomb.bin"),
            Err(EvidenceError::TooLarge { .. })
        ));
        assert!(matches!(
            z.open("bomb.bin").map(|_| ()),
            Err(EvidenceError::TooLarge { .. })
        ));
        assert!(matches!(
            z.local_file("bomb.bin"),
            Err(EvidenceError::TooLarge { .. })
        ));
        assert_eq!(z.read("small.txt").unwrap(), b"fine");

        // Declared total over the limit: the archive is refused.
        let limits = ArchiveLimits {
            max_total_size: 1 << 20,
            ..Default::default()
        };
        assert!(matches!(
            ZipEvidence::open_with(&p, limits),
            Err(EvidenceError::TooLarge { .. })
        ));
    }

    #[test]
    fn lying_sizes_are_still_bounded() {
        // Patch the declared uncompressed size of an entry down to 10 bytes in both headers.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("liar.zip");
        let zeros = vec![0u8; 2 << 20];
        write_zip(&p, &[("liar.bin", &zeros)]);
        let mut bytes = std::fs::read(&p).unwrap();
        for (sig, off) in [(b"PK\x03\x04", 22usize), (b"PK\x01\x02", 24usize)] {
            let at = bytes.windows(4).position(|w| w == sig).unwrap();
            bytes[at + off..at + off + 4].copy_from_slice(&10u32.to_le_bytes());
        }
        std::fs::write(&p, &bytes).unwrap();
        let limits = ArchiveLimits {
            max_entry_size: 1 << 20,
            memory_threshold: 1 << 10,
            ..Default::default()
        };
        let z = ZipEvidence::open_with(&p, limits).unwrap();
        // Whatever the zip reader makes of the lie, no more than the limit is ever produced.
        let read = z.read("liar.bin");
        assert!(
            read.as_ref()
                .map(|d| d.len() as u64 <= 1 << 20)
                .unwrap_or(true),
            "{:?}",
            read.map(|d| d.len())
        );
        let mut v = Vec::new();
        if let Ok(mut r) = z.open("liar.bin") {
            let _ = r.read_to_end(&mut v);
        }
        assert!(v.len() as u64 <= 1 << 20);
        assert!(read.is_err(), "an entry larger than declared is an error");
    }

    #[test]
    fn nesting_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = b"innermost".to_vec();
        let mut name = "leaf.txt".to_string();
        for level in 0..4 {
            let p = dir.path().join(format!("l{level}.zip"));
            write_zip(&p, &[(name.as_str(), &data)]);
            data = std::fs::read(&p).unwrap();
            name = format!("l{level}.zip");
        }
        // l3.zip contains l2.zip contains l1.zip contains l0.zip contains leaf.txt
        let limits = ArchiveLimits {
            max_depth: 2,
            ..Default::default()
        };
        let outer = ZipEvidence::open_with(&dir.path().join("l3.zip"), limits).unwrap();
        let d1 = outer.open_inner("l2.zip").unwrap();
        assert_eq!(d1.depth(), 1);
        let d2 = d1.open_inner("l1.zip").unwrap();
        assert_eq!(d2.depth(), 2);
        assert!(d2.exists("l0.zip"));
        let err = d2.open_inner("l0.zip").err().unwrap();
        assert!(matches!(err, EvidenceError::Refused { .. }), "{err}");
        assert!(err.to_string().contains("nested"));
    }

    #[test]
    fn truncated_zip_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.zip");
        write_zip(&p, &[("a.txt", b"hello hello hello")]);
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let err = ZipEvidence::open(&p).err().unwrap();
        assert!(
            err.to_string().contains("not a readable zip archive"),
            "{err}"
        );
        std::fs::write(&p, b"garbage").unwrap();
        assert!(ZipEvidence::open(&p).is_err());
        assert!(!looks_like_zip(&p));
    }

    #[test]
    fn dump_options_times_and_walk() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("dump.zip");
        {
            let mut w = zip::ZipWriter::new(File::create(&p).unwrap());
            let dos = SimpleFileOptions::default()
                .last_modified_time(
                    zip::DateTime::from_date_and_time(2021, 7, 1, 10, 0, 0).unwrap(),
                )
                .unix_permissions(0o755);
            w.start_file("/private/var/tmp/abs.bin", dos).unwrap();
            w.write_all(b"abs").unwrap();
            let ext = zip::write::FullFileOptions::default()
                .with_extended_timestamp(Some(1_600_000_000), None, None)
                .unwrap();
            w.start_file("private/var/mobile/x.txt", ext).unwrap();
            w.write_all(b"x").unwrap();
            w.start_file("private/var/mobile/Library/y.txt", dos)
                .unwrap();
            w.write_all(b"y").unwrap();
            w.finish().unwrap();
        }
        // By default absolute names are refused; dumps accept them, made relative.
        let plain = ZipEvidence::open(&p).unwrap();
        assert!(!plain.exists("private/var/tmp/abs.bin"));
        let z = ZipEvidence::open_with_options(
            &p,
            &ZipOptions {
                absolute_names: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(z.read("private/var/tmp/abs.bin").unwrap(), b"abs");
        assert_eq!(
            z.modified("private/var/mobile/x.txt").unwrap().as_second(),
            1_600_000_000
        );
        assert_eq!(
            z.modified("private/var/tmp/abs.bin").unwrap().to_string(),
            "2021-07-01T10:00:00Z"
        );
        let mut seen = Vec::new();
        z.walk("", &mut |e| {
            seen.push((e.path.to_string(), e.kind, e.time_source, e.mode));
            true
        })
        .unwrap();
        let paths: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "private",
                "private/var",
                "private/var/mobile",
                "private/var/mobile/Library",
                "private/var/mobile/Library/y.txt",
                "private/var/mobile/x.txt",
                "private/var/tmp",
                "private/var/tmp/abs.bin"
            ]
        );
        assert_eq!(seen[5].2, Some(TimeSource::ZipExtendedTimestamp));
        assert_eq!(seen[7].2, Some(TimeSource::ZipDosLocal));
        assert_eq!(seen[7].3, Some(0o755));
        // Skipping a folder's contents.
        let mut n = 0;
        z.walk("private/var", &mut |e| {
            n += 1;
            e.path != "private/var/mobile"
        })
        .unwrap();
        assert_eq!(n, 3, "mobile, tmp, tmp/abs.bin");
        assert_eq!(z.find("private/var/mobile/**").unwrap().len(), 2);
    }

    #[test]
    fn entry_name_normalisation() {
        assert_eq!(normalize_entry_name("a\\b//c").unwrap(), "a/b/c");
        assert_eq!(normalize_entry_name("./a/./b").unwrap(), "a/b");
        assert!(normalize_entry_name("a/../b").is_err());
        assert!(normalize_entry_name("/a").is_err());
        assert!(normalize_entry_name("c:\\a").is_err());
        assert!(normalize_entry_name("a\0b").is_err());
        assert_eq!(
            normalize_member_name("/private/var").unwrap(),
            "private/var"
        );
        assert_eq!(normalize_member_name("\\a\\b").unwrap(), "a/b");
        assert!(normalize_member_name("/../etc").is_err());
        assert!(normalize_member_name("/").is_err());
    }
}
