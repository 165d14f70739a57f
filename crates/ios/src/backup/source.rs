//! Where the bytes of a backup file come from. A plain backup stores each file as is; an encrypted backup
//! stores it AES-encrypted with a per-file key (the MBFile's `EncryptionKey`, wrapped by a class key).
//! [`BackupEvidence`](super::BackupEvidence) finds the stored file (`<xx>/<fileID>` or flat `<fileID>`) and
//! hands it to a [`BackupFileSource`], which turns it into the logical file's bytes.
//!
//! Decryption plugs in here: an encrypted-backup source implements [`BackupFileSource`] with
//! `needs_mbfile() == true` (so it receives each file's decoded [`MbFile`] with its `EncryptionKey`,
//! `ProtectionClass` and `Size`) and returns a private decrypted temporary copy from `local_file`.

use std::io::Read;
use std::path::Path;

use telltale_core::{EvidenceError, LocalFile};

use crate::nska::MbFile;

/// One backup file being read.
pub struct FileRef<'a> {
    /// The logical path (`<domain>/<relativePath>`), for messages.
    pub logical: &'a str,
    /// `SHA1("<domain>-<relativePath>")`, lowercase hex.
    pub file_id: &'a str,
    /// The file's MBFile record, when the source asked for it ([`BackupFileSource::needs_mbfile`]).
    pub mbfile: Option<&'a MbFile>,
}

/// Turns stored backup files into the logical files' bytes.
pub trait BackupFileSource: Send + Sync {
    /// For messages: `plain`, `encrypted` …
    fn describe(&self) -> &'static str;
    /// Whether `open`/`local_file` need the file's MBFile record (looked up in Manifest.db on demand).
    fn needs_mbfile(&self) -> bool {
        false
    }
    /// Streams the logical file's bytes from the stored file.
    fn open(
        &self,
        stored: &Path,
        file: &FileRef<'_>,
    ) -> Result<Box<dyn Read + Send>, EvidenceError>;
    /// A local read-only file with the logical file's bytes.
    fn local_file(&self, stored: &Path, file: &FileRef<'_>) -> Result<LocalFile, EvidenceError>;
    /// Problems met so far while turning stored files into bytes (e.g. a decrypted file shorter than its
    /// recorded size).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A plain (unencrypted) backup: the stored file is the logical file.
pub struct PlainFiles;

impl BackupFileSource for PlainFiles {
    fn describe(&self) -> &'static str {
        "plain"
    }
    fn open(
        &self,
        stored: &Path,
        file: &FileRef<'_>,
    ) -> Result<Box<dyn Read + Send>, EvidenceError> {
        let f = std::fs::File::open(stored).map_err(|e| EvidenceError::io(file.logical, e))?;
        Ok(Box::new(f))
    }
    fn local_file(&self, stored: &Path, _file: &FileRef<'_>) -> Result<LocalFile, EvidenceError> {
        Ok(LocalFile::Original(stored.to_path_buf()))
    }
}
