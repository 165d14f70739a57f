//! Encrypted backups: the hook where decryption plugs in.
//!
//! [`open`] is called by [`IosBackupKind`](super::IosBackupKind) when Manifest.plist says `IsEncrypted`.
//! A decrypting implementation: gets the password from `opts.secrets`, unlocks the keybag
//! (`Manifest.plist` `BackupKeyBag`), decrypts `Manifest.db` with `ManifestKey` into a private temporary
//! file, and returns `BackupEvidence::with_source(root, LocalFile::Temp{..}, Arc::new(<decrypting source>))`
//! where the source implements [`BackupFileSource`](super::BackupFileSource) with `needs_mbfile() == true`
//! (each file's `EncryptionKey`/`ProtectionClass`/`Size` come from its MBFile).

use std::path::Path;

use telltale_core::{AcquisitionError, OpenOptions};

use super::{BackupEvidence, BackupPlists};

/// Opens an encrypted backup. Not supported yet: returns [`AcquisitionError::Unsupported`].
pub fn open(
    root: &Path,
    _plists: &BackupPlists,
    _opts: &OpenOptions,
) -> Result<BackupEvidence, AcquisitionError> {
    Err(AcquisitionError::Unsupported {
        what: format!("iOS backup {}", root.display()),
        message: "encrypted iOS backup: decryption support is being added; meanwhile decrypt the backup with \
                  another tool (e.g. `mvt-ios decrypt-backup`) and check the decrypted folder"
            .into(),
    })
}
