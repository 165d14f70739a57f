//! Encrypted backups: [`open`] is called by [`IosBackupKind`](super::IosBackupKind) when Manifest.plist
//! says `IsEncrypted`. It unlocks the keybag with the secrets of `opts` (key file first, then password),
//! serves Manifest.db decrypted from a private temporary copy, and reads each file through
//! [`EncryptedFiles`](crate::crypto::evidence::EncryptedFiles), which decrypts it on demand.

use std::path::Path;

use telltale_core::{AcquisitionError, OpenOptions};

use super::{BackupEvidence, BackupPlists};

/// Opens an encrypted backup (see [`crate::crypto`]).
pub fn open(
    root: &Path,
    _plists: &BackupPlists,
    opts: &OpenOptions,
) -> Result<BackupEvidence, AcquisitionError> {
    crate::crypto::evidence::open_encrypted_backup(root, opts)
}
