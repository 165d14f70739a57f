//! `telltale decrypt`: a full decrypted copy of an encrypted backup, in the ordinary backup layout, so any
//! tool (telltale, MVT, …) opens it as an unencrypted backup:
//! * `Manifest.db` decrypted;
//! * `Manifest.plist` with `IsEncrypted` false and without `BackupKeyBag`/`ManifestKey`;
//! * `Info.plist` and `Status.plist` copied as they are;
//! * each file decrypted to `<xx>/<fileID>` (in parallel), its size checked against its MBFile record;
//! * with `tree`, each file also under `<domain>/<relativePath>` (paths that would leave the output folder,
//!   with `..` or absolute, are refused and reported).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::decrypt::{EncryptedBackup, MbFileCrypto, Secret};
use super::{CryptoError, Key32, SecretBytes};

/// What a decryption run did.
#[derive(Debug, Clone, Default)]
pub struct DecryptSummary {
    /// Files decrypted.
    pub files: u64,
    /// Decrypted bytes written (each file once).
    pub bytes: u64,
    /// Files listed in Manifest.db whose data is not in the backup folder (partial backups).
    pub missing: Vec<String>,
    /// Size/padding mismatches (the file was written anyway).
    pub warnings: Vec<String>,
    /// Files that could not be decrypted or written (no key, unreadable, unsafe tree path …).
    pub errors: Vec<String>,
}

/// Progress of [`decrypt_backup`]: `(files done, files total)`.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

struct Row {
    file_id: String,
    domain: String,
    relative_path: String,
    flags: i64,
    blob: Option<Vec<u8>>,
}

/// Names the output folder's own files and fileID folders take; a domain of that name is refused in the
/// tree.
fn reserved_domain(d: &str) -> bool {
    matches!(
        d,
        "Manifest.db" | "Manifest.plist" | "Info.plist" | "Status.plist"
    ) || (d.len() == 2 && d.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `<domain>/<relativePath>` as a relative path that stays inside the output folder, or `None`.
pub fn tree_path(domain: &str, relative_path: &str) -> Option<PathBuf> {
    if domain.is_empty() || domain.contains(['/', '\\', '\0']) || domain == "." || domain == ".." {
        return None;
    }
    if reserved_domain(domain) || relative_path.contains('\0') {
        return None;
    }
    let rel = telltale_core::evidence::safe_relative(relative_path)?;
    Some(Path::new(domain).join(rel))
}

fn create_private_dir(p: &Path) -> io::Result<()> {
    if let Some(parent) = p.parent()
        && !parent.as_os_str().is_empty()
    {
        fs::create_dir_all(parent)?;
    }
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(p)
}

fn prepare_out_dir(out: &Path) -> Result<(), CryptoError> {
    match fs::read_dir(out) {
        Ok(mut rd) => {
            if rd.next().is_some() {
                return Err(CryptoError::invalid(
                    out.display().to_string(),
                    "the output folder is not empty (choose a new or empty folder)",
                ));
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            create_private_dir(out).map_err(|e| CryptoError::io(out.display(), e))
        }
        Err(e) => Err(CryptoError::io(out.display(), e)),
    }
}

fn read_rows(db_path: &Path) -> Result<Vec<Row>, CryptoError> {
    let bad = |e: rusqlite::Error| CryptoError::invalid("Manifest.db", e.to_string());
    let c = telltale_core::sqlite::open_immutable(db_path).map_err(bad)?;
    let mut st = c
        .prepare("SELECT fileID, domain, relativePath, flags, file FROM Files")
        .map_err(bad)?;
    let rows = st
        .query_map([], |r| {
            Ok(Row {
                file_id: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                domain: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                relative_path: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                flags: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                blob: r.get(4)?,
            })
        })
        .map_err(bad)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(bad)
}

enum Outcome {
    Done { bytes: u64, warnings: Vec<String> },
    Missing(String),
    Failed(String),
}

fn decrypt_one(backup: &EncryptedBackup, out: &Path, row: &Row, tree: bool) -> Outcome {
    let logical = format!("{}/{}", row.domain, row.relative_path);
    let Some(src) = backup.file_path(&row.file_id) else {
        return Outcome::Failed(format!("{logical}: invalid file id {:?}", row.file_id));
    };
    if !src.is_file() {
        return Outcome::Missing(logical);
    }
    let mb = match row.blob.as_deref().map(MbFileCrypto::parse) {
        Some(Ok(m)) => m,
        Some(Err(e)) => return Outcome::Failed(format!("{logical}: {e}")),
        None => return Outcome::Failed(format!("{logical}: no MBFile record")),
    };
    let id = &row.file_id;
    let dest_dir = out.join(&id[..2]);
    let dest = dest_dir.join(id);
    let io_err =
        |e: io::Error| Outcome::Failed(format!("{logical}: writing the decrypted copy: {e}"));
    if let Err(e) = fs::create_dir_all(&dest_dir) {
        return io_err(e);
    }
    let result = if mb.encryption_key.is_none() && mb.size == Some(0) {
        // An empty file may be stored without a key.
        fs::File::create(&dest)
            .map(|_| super::DecryptReport::default())
            .map_err(io_err)
    } else {
        let reader = match backup.open_file(&logical, id, &mb) {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let mut f = match fs::File::create(&dest) {
            Ok(f) => io::BufWriter::with_capacity(256 * 1024, f),
            Err(e) => return io_err(e),
        };
        match reader.copy_to(&mut f).and_then(|r| f.flush().map(|_| r)) {
            Ok(r) => Ok(r),
            Err(e) => {
                drop(f);
                let _ = fs::remove_file(&dest);
                Err(Outcome::Failed(format!("{logical}: {e}")))
            }
        }
    };
    let report = match result {
        Ok(r) => r,
        Err(o) => return o,
    };
    let mut warnings = report.warnings;
    if tree {
        match tree_path(&row.domain, &row.relative_path) {
            None => warnings.push(format!("{logical}: not written to the tree (unsafe path)")),
            Some(rel) => {
                let t = out.join(rel);
                let r = t
                    .parent()
                    .map(fs::create_dir_all)
                    .unwrap_or(Ok(()))
                    .and_then(|_| fs::copy(&dest, &t));
                if let Err(e) = r {
                    warnings.push(format!("{logical}: not written to the tree: {e}"));
                }
            }
        }
    }
    Outcome::Done {
        bytes: report.output_len,
        warnings,
    }
}

/// Writes a decrypted copy of the encrypted backup `root` into `out` (a new or empty folder, created
/// private). `progress` is called after each file. Per-file problems are in the summary; errors are for
/// the backup as a whole (wrong key, unreadable Manifest.db, output folder not empty …).
pub fn decrypt_backup(
    root: &Path,
    key: &Key32,
    out: &Path,
    tree: bool,
    progress: Progress<'_>,
) -> Result<DecryptSummary, CryptoError> {
    let backup = EncryptedBackup::open(root, Secret::Key(key))?;
    let db = SecretBytes(backup.manifest_db()?);
    prepare_out_dir(out)?;
    let db_out = out.join("Manifest.db");
    fs::write(&db_out, &db.0).map_err(|e| CryptoError::io(db_out.display(), e))?;
    drop(db);

    for name in ["Info.plist", "Status.plist"] {
        let src = root.join(name);
        if src.is_file() {
            fs::copy(&src, out.join(name)).map_err(|e| CryptoError::io(src.display(), e))?;
        }
    }
    let mut manifest = backup.manifest_plist().clone();
    manifest.insert("IsEncrypted".into(), false.into());
    manifest.remove("BackupKeyBag");
    manifest.remove("ManifestKey");
    let mp = out.join("Manifest.plist");
    plist::Value::Dictionary(manifest)
        .to_file_binary(&mp)
        .map_err(|e| CryptoError::invalid(mp.display().to_string(), e.to_string()))?;

    let rows = read_rows(&db_out)?;
    let mut summary = DecryptSummary::default();
    if tree {
        for r in rows.iter().filter(|r| r.flags == 2) {
            if let Some(rel) = tree_path(&r.domain, &r.relative_path) {
                let _ = fs::create_dir_all(out.join(rel));
            }
        }
    }
    let files: Vec<&Row> = rows.iter().filter(|r| r.flags == 1).collect();
    let total = files.len() as u64;
    let done = AtomicU64::new(0);
    progress(0, total);
    let outcomes: Vec<Outcome> = files
        .par_iter()
        .map(|row| {
            let o = decrypt_one(&backup, out, row, tree);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            o
        })
        .collect();
    for o in outcomes {
        match o {
            Outcome::Done { bytes, warnings } => {
                summary.files += 1;
                summary.bytes += bytes;
                summary.warnings.extend(warnings);
            }
            Outcome::Missing(l) => summary.missing.push(l),
            Outcome::Failed(e) => summary.errors.push(e),
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_paths_stay_inside() {
        assert_eq!(
            tree_path("HomeDomain", "Library/SMS/sms.db"),
            Some(PathBuf::from("HomeDomain/Library/SMS/sms.db"))
        );
        assert_eq!(tree_path("HomeDomain", "../../etc/passwd"), None);
        assert_eq!(tree_path("HomeDomain", "Library/../../x"), None);
        assert_eq!(tree_path("HomeDomain", "/etc/passwd"), None);
        assert_eq!(tree_path("..", "x"), None);
        assert_eq!(tree_path("a/b", "x"), None);
        assert_eq!(tree_path("", "x"), None);
        assert_eq!(tree_path("HomeDomain", ""), None);
        assert_eq!(tree_path("Manifest.db", "x"), None);
        assert_eq!(tree_path("3d", "x"), None);
    }
}
