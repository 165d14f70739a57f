//! Encrypted iTunes/Finder backups: the backup keybag, the password → key derivation, and decryption of
//! Manifest.db and of each file.
//!
//! How an encrypted backup is protected:
//! * `Manifest.plist` holds `BackupKeyBag` (a TLV keybag, see [`keybag`]) whose class keys are wrapped
//!   (RFC 3394) under a key derived from the backup password ([`kdf`]);
//! * `ManifestKey` (iOS 10.2 and later) is a 4-byte little-endian protection class followed by the wrapped
//!   key of `Manifest.db`, itself AES-256-CBC with a zero IV and PKCS#7 padding. iOS 10.0–10.1 backups
//!   have no `ManifestKey` and a `Manifest.db` in clear;
//! * each file's MBFile record (in Manifest.db) holds `EncryptionKey`, again a 4-byte little-endian class
//!   and a wrapped key; the file is AES-256-CBC, zero IV, PKCS#7, and its MBFile `Size` is the plain size.
//!
//! Decrypted bytes stay in memory or in private (0700) temporary folders registered with
//! [`cleanup_temp_dirs`], which the CLI calls from its Ctrl-C handler.

pub mod decrypt;
pub mod evidence;
pub mod export;
pub mod kdf;
pub mod keybag;

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

pub use decrypt::{
    DecryptReport, DecryptingReader, EncryptedBackup, MbFileCrypto, Secret, WrappedKey,
    decrypt_bytes, decrypt_cbc_in_place, derive_key, is_encrypted, read_manifest_plist,
    strip_pkcs7,
};
pub use export::{DecryptSummary, decrypt_backup, tree_path};
pub use kdf::derive_passcode_key;
pub use keybag::{ClassKeys, Keybag, KeybagClass};

/// Why an encrypted backup (or one of its files) could not be decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("backup keybag: {message} (at byte offset {offset})")]
    Keybag { offset: usize, message: String },
    /// The keybag's integrity check failed: wrong password or wrong key file.
    #[error("wrong password or key (the keybag's integrity check failed)")]
    WrongPassword,
    #[error("{what}: no key for protection class {class} in the backup keybag")]
    NoClassKey { what: String, class: u32 },
    #[error("{what}: {message}")]
    BadKey { what: String, message: String },
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl CryptoError {
    pub(crate) fn io(path: impl fmt::Display, source: std::io::Error) -> Self {
        CryptoError::Io {
            path: path.to_string(),
            source,
        }
    }
    pub(crate) fn invalid(what: impl Into<String>, message: impl Into<String>) -> Self {
        CryptoError::Invalid {
            what: what.into(),
            message: message.into(),
        }
    }
    /// Whether this is a wrong password/key (the CLI's exit code 2 with its own message).
    pub fn is_wrong_password(&self) -> bool {
        matches!(self, CryptoError::WrongPassword)
    }
    /// Maps to the acquisition error the CLI reports (`what` names the backup).
    pub fn into_acquisition_error(self, what: &str) -> telltale_core::AcquisitionError {
        use telltale_core::AcquisitionError;
        match self {
            CryptoError::WrongPassword => AcquisitionError::WrongPassword { what: what.into() },
            other => AcquisitionError::Invalid {
                what: what.into(),
                message: other.to_string(),
            },
        }
    }
}

/// A 256-bit key, overwritten with zeros when dropped and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Key32([u8; 32]);

impl Key32 {
    pub fn new(bytes: [u8; 32]) -> Self {
        Key32(bytes)
    }
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Key32)
    }
    /// Parses 64 hexadecimal characters (surrounding white space allowed), the key-file format MVT's
    /// `extract-key` writes and `telltale key` writes.
    pub fn from_hex(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(t, &mut out).ok()?;
        let k = Key32(out);
        wipe(&mut out);
        Some(k)
    }
    /// The 64 lowercase hexadecimal characters of the key (for `telltale key`).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Key32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key32(<secret>)")
    }
}

impl Drop for Key32 {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrites a buffer with zeros in a way the optimiser keeps.
pub(crate) fn wipe(buf: &mut [u8]) {
    for b in buf.iter_mut() {
        // SAFETY: `b` is a valid, aligned, exclusive reference to a byte.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// A `Vec<u8>` holding decrypted or secret bytes, wiped when dropped.
#[derive(Default)]
pub(crate) struct SecretBytes(pub Vec<u8>);

impl Drop for SecretBytes {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

static TEMP_DIRS: Mutex<Vec<Weak<tempfile::TempDir>>> = Mutex::new(Vec::new());

/// Creates a private (0700) temporary folder for decrypted bytes, registered for [`cleanup_temp_dirs`]. It is
/// removed when the last `Arc` is dropped.
pub fn private_temp_dir() -> std::io::Result<Arc<tempfile::TempDir>> {
    let dir = tempfile::Builder::new().prefix("telltale-dec-").tempdir()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))?;
    }
    let dir = Arc::new(dir);
    let mut reg = TEMP_DIRS.lock().unwrap_or_else(|e| e.into_inner());
    reg.retain(|w| w.strong_count() > 0);
    reg.push(Arc::downgrade(&dir));
    Ok(dir)
}

/// Removes every private temporary folder still alive (decrypted data). For the CLI's Ctrl-C handler and
/// error paths; safe to call several times and from any thread. Returns how many folders were removed.
pub fn cleanup_temp_dirs() -> usize {
    let dirs: Vec<Arc<tempfile::TempDir>> = {
        let mut reg = TEMP_DIRS.lock().unwrap_or_else(|e| e.into_inner());
        let live = reg.iter().filter_map(Weak::upgrade).collect();
        reg.clear();
        live
    };
    let mut n = 0;
    for d in &dirs {
        if remove_dir(d.path()) {
            n += 1;
        }
    }
    n
}

/// How many registered private temporary folders still exist on disk (for tests).
pub fn live_temp_dirs() -> Vec<std::path::PathBuf> {
    let reg = TEMP_DIRS.lock().unwrap_or_else(|e| e.into_inner());
    reg.iter()
        .filter_map(Weak::upgrade)
        .map(|d| d.path().to_path_buf())
        .filter(|p| p.exists())
        .collect()
}

fn remove_dir(p: &Path) -> bool {
    p.exists() && std::fs::remove_dir_all(p).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hex_roundtrip_and_no_leak_in_debug() {
        let k = Key32::new([0xab; 32]);
        let h = k.to_hex();
        assert_eq!(h.len(), 64);
        assert_eq!(Key32::from_hex(&format!("{h}\n")).unwrap(), k);
        assert!(Key32::from_hex("abcd").is_none());
        assert!(Key32::from_hex(&"zz".repeat(32)).is_none());
        assert!(!format!("{k:?}").contains("ab"));
    }

    #[test]
    fn temp_dirs_are_private_and_removed_on_drop() {
        let d = private_temp_dir().unwrap();
        std::fs::write(d.path().join("x"), b"secret").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(d.path()).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
        let p = d.path().to_path_buf();
        assert!(live_temp_dirs().contains(&p));
        drop(d);
        assert!(!p.exists());
        assert!(!live_temp_dirs().contains(&p));
    }
}
