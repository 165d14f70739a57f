//! An encrypted backup as evidence: the same logical paths as a plain [`BackupEvidence`], with
//! Manifest.db served decrypted (a private temporary copy) and each file decrypted when a module reads
//! it (`open` streams; `local_file` writes a private temporary copy, once per file).

use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use telltale_core::{AcquisitionError, EvidenceError, LocalFile, OpenOptions};

use super::decrypt::{DecryptingReader, EncryptedBackup};
use super::{CryptoError, SecretBytes, private_temp_dir};
use crate::backup::{BackupEvidence, BackupFileSource, FileRef};

/// Opens an encrypted backup with the secrets of `opts` (key file first, then password).
pub fn open_encrypted_backup(
    root: &Path,
    opts: &OpenOptions,
) -> Result<BackupEvidence, AcquisitionError> {
    let what = format!("iOS backup {}", root.display());
    let backup = EncryptedBackup::open_with_provider(root, opts.secrets.as_deref(), &what)?;
    evidence_from_unlocked(backup, &what)
}

/// The evidence of an unlocked backup (`what` names it in errors).
pub fn evidence_from_unlocked(
    backup: EncryptedBackup,
    what: &str,
) -> Result<BackupEvidence, AcquisitionError> {
    let db = SecretBytes(
        backup
            .manifest_db()
            .map_err(|e| e.into_acquisition_error(what))?,
    );
    let io = |e: std::io::Error| AcquisitionError::Invalid {
        what: what.into(),
        message: format!("private temporary folder for decrypted data: {e}"),
    };
    let temp = private_temp_dir().map_err(io)?;
    let db_path = temp.path().join("Manifest.db");
    std::fs::write(&db_path, &db.0).map_err(io)?;
    drop(db);
    let manifest_db = LocalFile::Temp {
        path: db_path,
        dir: temp.clone(),
    };
    let root = backup.root().to_path_buf();
    let source = Arc::new(EncryptedFiles::new(backup, temp));
    BackupEvidence::with_source(root, manifest_db, source).map_err(|e| AcquisitionError::Invalid {
        what: what.into(),
        message: e.0,
    })
}

/// Decrypts backup files as they are read.
pub struct EncryptedFiles {
    backup: EncryptedBackup,
    temp: Arc<tempfile::TempDir>,
    /// fileID → decrypted copy (made once; the inner lock serialises concurrent first uses).
    copies: Mutex<HashMap<String, Arc<Mutex<Option<PathBuf>>>>>,
    warnings: Arc<Mutex<Vec<String>>>,
}

impl EncryptedFiles {
    pub fn new(backup: EncryptedBackup, temp: Arc<tempfile::TempDir>) -> Self {
        EncryptedFiles {
            backup,
            temp,
            copies: Mutex::new(HashMap::new()),
            warnings: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Size and padding mismatches met so far while decrypting files.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn reader(
        &self,
        stored: &Path,
        file: &FileRef<'_>,
    ) -> Result<Box<dyn Read + Send>, EvidenceError> {
        let path = file.logical;
        let other = |message: String| EvidenceError::Other {
            path: path.into(),
            message,
        };
        let mb = file.mbfile.ok_or_else(|| {
            other("its Manifest.db record is missing or unreadable: cannot decrypt".into())
        })?;
        let Some(ek) = mb.encryption_key.as_deref() else {
            if mb.size == Some(0) {
                return Ok(Box::new(std::io::empty()));
            }
            return Err(other(
                "its Manifest.db record has no EncryptionKey: cannot decrypt".into(),
            ));
        };
        let key = self
            .backup
            .file_key(path, ek)
            .map_err(|e| other(strip(e, path)))?;
        let f = std::fs::File::open(stored).map_err(|e| EvidenceError::io(path, e))?;
        let r = DecryptingReader::new(BufReader::with_capacity(256 * 1024, f), &key, path, mb.size)
            .with_warning_sink(self.warnings.clone());
        Ok(Box::new(r))
    }
}

fn strip(e: CryptoError, path: &str) -> String {
    let s = e.to_string();
    s.strip_prefix(&format!("{path}: "))
        .map(str::to_string)
        .unwrap_or(s)
}

impl BackupFileSource for EncryptedFiles {
    fn describe(&self) -> &'static str {
        "encrypted"
    }
    fn needs_mbfile(&self) -> bool {
        true
    }
    fn open(
        &self,
        stored: &Path,
        file: &FileRef<'_>,
    ) -> Result<Box<dyn Read + Send>, EvidenceError> {
        self.reader(stored, file)
    }
    fn warnings(&self) -> Vec<String> {
        EncryptedFiles::warnings(self)
    }
    fn local_file(&self, stored: &Path, file: &FileRef<'_>) -> Result<LocalFile, EvidenceError> {
        let slot = {
            let mut copies = self.copies.lock().unwrap_or_else(|e| e.into_inner());
            copies.entry(file.file_id.to_string()).or_default().clone()
        };
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = slot.as_ref() {
            return Ok(LocalFile::Temp {
                path: p.clone(),
                dir: self.temp.clone(),
            });
        }
        if file.file_id.len() != 40 || !file.file_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(EvidenceError::Other {
                path: file.logical.into(),
                message: "invalid file id".into(),
            });
        }
        let mut r = self.reader(stored, file)?;
        let dest = self.temp.path().join(format!("f-{}", file.file_id));
        let mut write = || -> std::io::Result<()> {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&dest)?);
            std::io::copy(&mut r, &mut out)?;
            std::io::Write::flush(&mut out)
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&dest);
            return Err(EvidenceError::io(file.logical, e));
        }
        *slot = Some(dest.clone());
        Ok(LocalFile::Temp {
            path: dest,
            dir: self.temp.clone(),
        })
    }
}
