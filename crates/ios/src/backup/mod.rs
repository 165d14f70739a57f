//! Reading iTunes/Finder backups: the backup's property lists, its Manifest.db index and the
//! [`BackupEvidence`] that serves the backed-up files by logical path (`<domain>/<relativePath>`).
//!
//! Layout of a backup folder (iOS 10 and later): `Info.plist`, `Manifest.plist`, `Status.plist`,
//! `Manifest.db` (SQLite, table `Files(fileID, domain, relativePath, flags, file)`) and each file stored as
//! `<first two hex chars of fileID>/<fileID>` where `fileID = SHA1("<domain>-<relativePath>")`. Older
//! backups store files flat as `<fileID>`. Encrypted backups are recognised from Manifest.plist
//! (`IsEncrypted`) and opened through [`encrypted::open`].

pub mod encrypted;
pub mod evidence;
pub mod kind;
pub mod source;

pub use evidence::{BackupEvidence, ManifestError, ManifestFile, ROOT_FILES, file_id};
pub use kind::{BackupAcquisition, IosBackupKind};
pub use source::{BackupFileSource, FileRef, PlainFiles};

use std::path::Path;

use plist::{Dictionary, Value};

/// Largest property list of the backup's own read whole (Info.plist can hold app icons: generous).
pub const PLIST_LIMIT: u64 = 256 << 20;

/// The backup's own property lists (each may be missing).
#[derive(Debug, Default, Clone)]
pub struct BackupPlists {
    pub info: Option<Dictionary>,
    pub manifest: Option<Dictionary>,
    pub status: Option<Dictionary>,
}

/// Reads a plist dictionary (XML or binary) from a local file: `Ok(None)` when absent.
pub fn read_plist_file(path: &Path) -> Result<Option<Dictionary>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    if meta.len() > PLIST_LIMIT {
        return Err(format!(
            "{} bytes is over the limit of {PLIST_LIMIT} bytes",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    match crate::nska::parse_plist(&bytes).map_err(|e| e.to_string())? {
        Value::Dictionary(d) => Ok(Some(d)),
        _ => Err("not a dictionary".into()),
    }
}

impl BackupPlists {
    /// Reads `Info.plist`, `Manifest.plist` and `Status.plist` of a backup folder.
    pub fn read(root: &Path) -> Result<BackupPlists, (String, String)> {
        let get = |name: &str| read_plist_file(&root.join(name)).map_err(|e| (name.to_string(), e));
        Ok(BackupPlists {
            info: get("Info.plist")?,
            manifest: get("Manifest.plist")?,
            status: get("Status.plist")?,
        })
    }

    /// `Manifest.plist`'s `IsEncrypted`.
    pub fn is_encrypted(&self) -> bool {
        self.manifest
            .as_ref()
            .and_then(|m| m.get("IsEncrypted"))
            .and_then(Value::as_boolean)
            .unwrap_or(false)
    }

    /// A string from Info.plist.
    pub fn info_str(&self, key: &str) -> Option<String> {
        let v = self.info.as_ref()?.get(key)?;
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Date(d) => crate::nska::plist_date(d).map(telltale_core::time::format),
            _ => None,
        }
    }
}
