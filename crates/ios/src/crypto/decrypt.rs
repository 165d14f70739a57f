//! Decryption of an encrypted backup's Manifest.db and files: AES-256-CBC, zero IV, PKCS#7 padding, each
//! with its own key unwrapped by a class key of the keybag.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aes::cipher::{Array, BlockModeDecrypt, KeyIvInit};

use super::kdf::derive_passcode_key;
use super::keybag::{ClassKeys, Keybag};
use super::{CryptoError, Key32, SecretBytes};

/// Bound on Manifest.plist (real ones are well under 1 MiB, even with many applications).
pub const MAX_MANIFEST_PLIST: u64 = 64 << 20;
/// Bound on Manifest.db decrypted into memory.
pub const MAX_MANIFEST_DB: u64 = 2 << 30;
/// Bound on an MBFile record.
pub const MAX_MBFILE: usize = 1 << 20;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const CHUNK: usize = 256 * 1024;

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

fn cbc_decryptor(key: &Key32) -> Aes256CbcDec {
    Aes256CbcDec::new(key.as_bytes().into(), &[0u8; 16].into())
}

/// Decrypts whole blocks in place (AES-256-CBC, zero IV). `buf.len()` must be a multiple of 16.
pub fn decrypt_cbc_in_place(key: &Key32, buf: &mut [u8]) -> Result<(), CryptoError> {
    if !buf.len().is_multiple_of(16) {
        return Err(CryptoError::invalid(
            "ciphertext",
            format!("{} bytes is not a whole number of AES blocks", buf.len()),
        ));
    }
    let (blocks, _) = Array::slice_as_chunks_mut(buf);
    cbc_decryptor(key).decrypt_blocks(blocks);
    Ok(())
}

/// The length of `buf` without its PKCS#7 padding, or `None` when the padding is invalid.
pub fn strip_pkcs7(buf: &[u8]) -> Option<usize> {
    let &last = buf.last()?;
    let n = usize::from(last);
    if n == 0 || n > 16 || n > buf.len() {
        return None;
    }
    buf[buf.len() - n..]
        .iter()
        .all(|&b| b == last)
        .then(|| buf.len() - n)
}

/// A wrapped key as stored in `ManifestKey` and in MBFile `EncryptionKey`: a 4-byte little-endian
/// protection class followed by the RFC 3394-wrapped key.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub class: u32,
    pub wrapped: Vec<u8>,
}

impl std::fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WrappedKey {{ class: {}, {} bytes }}",
            self.class,
            self.wrapped.len()
        )
    }
}

impl WrappedKey {
    pub fn parse(what: &str, data: &[u8]) -> Result<WrappedKey, CryptoError> {
        if data.len() != 44 {
            return Err(CryptoError::BadKey {
                what: what.into(),
                message: format!(
                    "{} bytes where a 4-byte class and a 40-byte wrapped key were expected",
                    data.len()
                ),
            });
        }
        let class = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        Ok(WrappedKey {
            class,
            wrapped: data[4..].to_vec(),
        })
    }
}

/// What decryption needs from an MBFile record (the NSKeyedArchiver `file` blob of Manifest.db).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MbFileCrypto {
    /// `Size`: the plain size of the file.
    pub size: Option<u64>,
    pub protection_class: Option<u32>,
    /// `EncryptionKey` (4-byte LE class + wrapped key), absent for files stored in clear.
    pub encryption_key: Option<Vec<u8>>,
}

impl MbFileCrypto {
    /// Reads `Size`, `ProtectionClass` and `EncryptionKey` from an MBFile blob (NSKeyedArchiver).
    pub fn parse(blob: &[u8]) -> Result<MbFileCrypto, String> {
        if blob.len() > MAX_MBFILE {
            return Err(format!(
                "MBFile record of {} bytes is over the limit",
                blob.len()
            ));
        }
        let mb =
            crate::nska::MbFile::from_archive(blob).map_err(|e| format!("MBFile record: {e}"))?;
        Ok(MbFileCrypto::from(&mb))
    }
}

impl From<&crate::nska::MbFile> for MbFileCrypto {
    fn from(mb: &crate::nska::MbFile) -> Self {
        MbFileCrypto {
            size: mb.size,
            protection_class: mb.protection_class.and_then(|c| u32::try_from(c).ok()),
            encryption_key: mb.encryption_key.clone(),
        }
    }
}

/// What decrypting one file found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecryptReport {
    pub cipher_len: u64,
    /// Length after the padding was removed (before truncation to the recorded size).
    pub plain_len: u64,
    /// Bytes given out (after truncation to the recorded size).
    pub output_len: u64,
    /// Mismatches between the recorded size, the padding and the ciphertext.
    pub warnings: Vec<String>,
}

/// Decrypts a stream as it is read: holds back the last block until the end to strip its padding, and
/// never gives out more than the recorded size. Warnings are in [`DecryptingReader::report`] once the end
/// is reached, and are also pushed to the optional sink.
pub struct DecryptingReader<R> {
    inner: R,
    cbc: Aes256CbcDec,
    what: String,
    limit: Option<u64>,
    inbuf: SecretBytes,
    pending: usize,
    out: SecretBytes,
    out_pos: usize,
    held: Option<[u8; 16]>,
    finished: bool,
    report: DecryptReport,
    sink: Option<Arc<Mutex<Vec<String>>>>,
}

impl<R: Read> DecryptingReader<R> {
    /// `what` names the file in warnings; `recorded_size` is the MBFile `Size`.
    pub fn new(inner: R, key: &Key32, what: impl Into<String>, recorded_size: Option<u64>) -> Self {
        DecryptingReader {
            inner,
            cbc: cbc_decryptor(key),
            what: what.into(),
            limit: recorded_size,
            inbuf: SecretBytes(vec![0u8; CHUNK]),
            pending: 0,
            out: SecretBytes(Vec::with_capacity(CHUNK)),
            out_pos: 0,
            held: None,
            finished: false,
            report: DecryptReport::default(),
            sink: None,
        }
    }

    /// Also pushes warnings into `sink` (e.g. an evidence's warning list) when the end is reached.
    pub fn with_warning_sink(mut self, sink: Arc<Mutex<Vec<String>>>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// The report; complete once the reader returned end of file.
    pub fn report(&self) -> &DecryptReport {
        &self.report
    }

    /// Reads to the end into `w`, returning the report.
    pub fn copy_to(mut self, w: &mut impl io::Write) -> io::Result<DecryptReport> {
        io::copy(&mut self, w)?;
        Ok(std::mem::take(&mut self.report))
    }

    fn fill(&mut self) -> io::Result<()> {
        let n = loop {
            match self.inner.read(&mut self.inbuf.0[self.pending..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.out.0.clear();
        self.out_pos = 0;
        if n == 0 {
            self.finish();
            return Ok(());
        }
        self.report.cipher_len += n as u64;
        self.pending += n;
        let whole = self.pending / 16 * 16;
        if whole == 0 {
            return Ok(());
        }
        {
            let (blocks, _) = Array::slice_as_chunks_mut(&mut self.inbuf.0[..whole]);
            self.cbc.decrypt_blocks(blocks);
        }
        if let Some(h) = self.held.take() {
            self.out.0.extend_from_slice(&h);
        }
        self.out.0.extend_from_slice(&self.inbuf.0[..whole - 16]);
        let mut last = [0u8; 16];
        last.copy_from_slice(&self.inbuf.0[whole - 16..whole]);
        self.held = Some(last);
        self.inbuf.0.copy_within(whole..self.pending, 0);
        self.pending -= whole;
        self.report.plain_len += self.out.0.len() as u64;
        Ok(())
    }

    fn finish(&mut self) {
        self.finished = true;
        let what = &self.what;
        let mut warnings = Vec::new();
        if self.pending != 0 {
            warnings.push(format!(
                "{what}: {} trailing bytes are not a whole AES block (truncated file?)",
                self.pending
            ));
        }
        if let Some(h) = self.held.take() {
            match strip_pkcs7(&h) {
                Some(n) => self.out.0.extend_from_slice(&h[..n]),
                None => {
                    warnings.push(format!(
                        "{what}: invalid padding after decryption (wrong key or damaged file)"
                    ));
                    self.out.0.extend_from_slice(&h);
                }
            }
            self.report.plain_len += self.out.0.len() as u64;
        }
        if let Some(size) = self.limit {
            let plain = self.report.plain_len;
            if plain > size {
                warnings.push(format!(
                    "{what}: recorded size {size} and padded length {} disagree; truncated to {size} bytes",
                    self.report.cipher_len
                ));
            } else if plain < size {
                warnings.push(format!("{what}: only {plain} bytes of its recorded {size} bytes (file shorter than recorded)"));
            }
        }
        if let Some(sink) = &self.sink
            && !warnings.is_empty()
        {
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(warnings.iter().cloned());
        }
        self.report.warnings.extend(warnings);
    }
}

impl<R: Read> Read for DecryptingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out.0.len() {
                let mut n = (self.out.0.len() - self.out_pos).min(buf.len());
                if let Some(limit) = self.limit {
                    n = n.min(
                        usize::try_from(limit.saturating_sub(self.report.output_len))
                            .unwrap_or(usize::MAX),
                    );
                }
                if n == 0 && !buf.is_empty() {
                    // The recorded size is reached: drain the rest to complete the report.
                    self.out_pos = self.out.0.len();
                    continue;
                }
                buf[..n].copy_from_slice(&self.out.0[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                self.report.output_len += n as u64;
                return Ok(n);
            }
            if self.finished || buf.is_empty() {
                return Ok(0);
            }
            self.fill()?;
        }
    }
}

/// Decrypts a whole file held in memory.
pub fn decrypt_bytes(
    key: &Key32,
    what: &str,
    data: &[u8],
    recorded_size: Option<u64>,
) -> (Vec<u8>, DecryptReport) {
    let mut r = DecryptingReader::new(data, key, what, recorded_size);
    let mut out = Vec::with_capacity(data.len());
    // Reading from a slice cannot fail.
    let _ = r.read_to_end(&mut out);
    (out, r.report)
}

/// A secret for an encrypted backup.
#[derive(Clone, Copy)]
pub enum Secret<'a> {
    Password(&'a str),
    /// The derived key (`--key-file`, 32 bytes).
    Key(&'a Key32),
}

/// An encrypted backup unlocked with its password or key: the class keys, and the Manifest.db key.
pub struct EncryptedBackup {
    root: PathBuf,
    manifest: plist::Dictionary,
    keybag: Keybag,
    passcode_key: Key32,
    class_keys: ClassKeys,
    /// `None` for iOS 10.0–10.1 backups (Manifest.db in clear).
    manifest_key: Option<Key32>,
}

/// Reads Manifest.plist of a backup folder (bounded).
pub fn read_manifest_plist(root: &Path) -> Result<plist::Dictionary, CryptoError> {
    let p = root.join("Manifest.plist");
    let meta = fs::metadata(&p).map_err(|e| CryptoError::io(p.display(), e))?;
    if meta.len() > MAX_MANIFEST_PLIST {
        return Err(CryptoError::invalid(
            "Manifest.plist",
            format!("{} bytes is over the limit", meta.len()),
        ));
    }
    let bytes = fs::read(&p).map_err(|e| CryptoError::io(p.display(), e))?;
    let v = plist::Value::from_reader(io::Cursor::new(bytes))
        .map_err(|e| CryptoError::invalid("Manifest.plist", e.to_string()))?;
    v.into_dictionary()
        .ok_or_else(|| CryptoError::invalid("Manifest.plist", "not a dictionary"))
}

/// Whether a backup folder's Manifest.plist says it is encrypted.
pub fn is_encrypted(root: &Path) -> bool {
    read_manifest_plist(root)
        .ok()
        .and_then(|m| m.get("IsEncrypted").and_then(|v| v.as_boolean()))
        .unwrap_or(false)
}

fn keybag_of(manifest: &plist::Dictionary) -> Result<Keybag, CryptoError> {
    let data = manifest
        .get("BackupKeyBag")
        .and_then(|v| v.as_data())
        .ok_or_else(|| {
            CryptoError::invalid(
                "Manifest.plist",
                "no BackupKeyBag (not an encrypted backup?)",
            )
        })?;
    Keybag::parse(data)
}

/// Derives the key of an encrypted backup from its password and checks it against the keybag (for
/// `telltale key`; its 64-hex-character form is what `--key-file` reads).
pub fn derive_key(root: &Path, password: &str) -> Result<Key32, CryptoError> {
    let manifest = read_manifest_plist(root)?;
    let keybag = keybag_of(&manifest)?;
    let key = derive_passcode_key(password.as_bytes(), &keybag)?;
    keybag.unlock(&key)?;
    Ok(key)
}

impl EncryptedBackup {
    /// Unlocks the backup in `root`. A wrong password or key gives [`CryptoError::WrongPassword`].
    pub fn open(root: &Path, secret: Secret<'_>) -> Result<EncryptedBackup, CryptoError> {
        let manifest = read_manifest_plist(root)?;
        let keybag = keybag_of(&manifest)?;
        EncryptedBackup::unlock(root, manifest, keybag, secret)
    }

    fn unlock(
        root: &Path,
        manifest: plist::Dictionary,
        keybag: Keybag,
        secret: Secret<'_>,
    ) -> Result<EncryptedBackup, CryptoError> {
        let passcode_key = match secret {
            Secret::Password(p) => derive_passcode_key(p.as_bytes(), &keybag)?,
            Secret::Key(k) => k.clone(),
        };
        let class_keys = keybag.unlock(&passcode_key)?;
        let manifest_key = match manifest.get("ManifestKey") {
            None => None,
            Some(v) => {
                let data = v.as_data().ok_or_else(|| {
                    CryptoError::invalid("Manifest.plist", "ManifestKey is not data")
                })?;
                let wk = WrappedKey::parse("ManifestKey", data)?;
                Some(class_keys.unwrap("ManifestKey", wk.class, &wk.wrapped)?)
            }
        };
        Ok(EncryptedBackup {
            root: root.to_path_buf(),
            manifest,
            keybag,
            passcode_key,
            class_keys,
            manifest_key,
        })
    }

    /// Unlocks with the secrets of `telltale_core::OpenOptions`: the key (`--key-file`) first, then the
    /// password. Errors are the acquisition errors the CLI reports (wrong password → exit 2).
    pub fn open_with_provider(
        root: &Path,
        secrets: Option<&dyn telltale_core::SecretProvider>,
        what: &str,
    ) -> Result<EncryptedBackup, telltale_core::AcquisitionError> {
        use telltale_core::AcquisitionError;
        // A damaged keybag is reported before any password is asked for.
        let manifest = read_manifest_plist(root).map_err(|e| e.into_acquisition_error(what))?;
        let keybag = keybag_of(&manifest).map_err(|e| e.into_acquisition_error(what))?;
        let Some(sp) = secrets else {
            return Err(AcquisitionError::PasswordNeeded { what: what.into() });
        };
        if let Some(raw) = sp.key(what) {
            let key = Key32::from_slice(&raw)
                .or_else(|| std::str::from_utf8(&raw).ok().and_then(Key32::from_hex))
                .ok_or_else(|| AcquisitionError::Invalid {
                    what: what.into(),
                    message: "the key file should hold 64 hexadecimal characters (a 32-byte key)"
                        .into(),
                })?;
            let mut raw = raw;
            super::wipe(&mut raw);
            return EncryptedBackup::unlock(root, manifest, keybag, Secret::Key(&key))
                .map_err(|e| e.into_acquisition_error(what));
        }
        let Some(mut password) = sp.password(what) else {
            return Err(AcquisitionError::PasswordNeeded { what: what.into() });
        };
        let r = EncryptedBackup::unlock(root, manifest, keybag, Secret::Password(&password))
            .map_err(|e| e.into_acquisition_error(what));
        // SAFETY: zeros are valid UTF-8.
        super::wipe(unsafe { password.as_bytes_mut() });
        r
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    /// Manifest.plist as read (with its keybag).
    pub fn manifest_plist(&self) -> &plist::Dictionary {
        &self.manifest
    }
    pub fn keybag(&self) -> &Keybag {
        &self.keybag
    }
    /// The key derived from the password (what `--key-file` holds).
    pub fn passcode_key(&self) -> &Key32 {
        &self.passcode_key
    }
    pub fn class_keys(&self) -> &ClassKeys {
        &self.class_keys
    }
    /// Whether Manifest.db is encrypted (iOS 10.2 and later; iOS 10.0–10.1 have it in clear).
    pub fn manifest_db_encrypted(&self) -> bool {
        self.manifest_key.is_some()
    }

    /// Manifest.db in clear, in memory (checked to be a SQLite database).
    pub fn manifest_db(&self) -> Result<Vec<u8>, CryptoError> {
        let p = self.root.join("Manifest.db");
        let meta = fs::metadata(&p).map_err(|e| CryptoError::io(p.display(), e))?;
        if meta.len() > MAX_MANIFEST_DB {
            return Err(CryptoError::invalid(
                "Manifest.db",
                format!("{} bytes is over the limit", meta.len()),
            ));
        }
        let data = SecretBytes(fs::read(&p).map_err(|e| CryptoError::io(p.display(), e))?);
        let plain = match &self.manifest_key {
            None => data.0.clone(),
            Some(k) => {
                let (plain, report) = decrypt_bytes(k, "Manifest.db", &data.0, None);
                if let Some(w) = report.warnings.first() {
                    return Err(CryptoError::invalid(
                        "Manifest.db",
                        format!("does not decrypt: {w}"),
                    ));
                }
                plain
            }
        };
        if !plain.starts_with(SQLITE_MAGIC) {
            let plain = SecretBytes(plain);
            drop(plain);
            return Err(CryptoError::invalid(
                "Manifest.db",
                if self.manifest_key.is_some() {
                    "did not decrypt to a SQLite database"
                } else {
                    "not a SQLite database (and Manifest.plist has no ManifestKey)"
                },
            ));
        }
        Ok(plain)
    }

    /// The key of one file from its MBFile `EncryptionKey`.
    pub fn file_key(&self, what: &str, encryption_key: &[u8]) -> Result<Key32, CryptoError> {
        let wk = WrappedKey::parse(what, encryption_key)?;
        self.class_keys.unwrap(what, wk.class, &wk.wrapped)
    }

    /// Where the encrypted bytes of `file_id` are (`xx/<id>`, or `<id>` at the root in old layouts).
    /// `None` when the id is not 40 hexadecimal characters.
    pub fn file_path(&self, file_id: &str) -> Option<PathBuf> {
        if file_id.len() != 40 || !file_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let nested = self.root.join(&file_id[..2]).join(file_id);
        if nested.exists() {
            Some(nested)
        } else {
            Some(self.root.join(file_id))
        }
    }

    /// Opens one file for decryption as it is read. `what` names it in errors and warnings.
    pub fn open_file(
        &self,
        what: &str,
        file_id: &str,
        mbfile: &MbFileCrypto,
    ) -> Result<DecryptingReader<io::BufReader<fs::File>>, CryptoError> {
        let key_data = mbfile
            .encryption_key
            .as_deref()
            .ok_or_else(|| CryptoError::BadKey {
                what: what.into(),
                message: "its Manifest.db record has no EncryptionKey".into(),
            })?;
        let key = self.file_key(what, key_data)?;
        let p = self
            .file_path(file_id)
            .ok_or_else(|| CryptoError::invalid(what, format!("invalid file id {file_id:?}")))?;
        let f = fs::File::open(&p).map_err(|e| CryptoError::io(what, e))?;
        Ok(DecryptingReader::new(
            io::BufReader::with_capacity(CHUNK, f),
            &key,
            what,
            mbfile.size,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::BlockModeEncrypt;

    fn encrypt(key: &Key32, plain: &[u8]) -> Vec<u8> {
        let pad = 16 - plain.len() % 16;
        let mut buf = plain.to_vec();
        buf.extend(std::iter::repeat_n(pad as u8, pad));
        let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
        cbc::Encryptor::<aes::Aes256>::new(key.as_bytes().into(), &[0u8; 16].into())
            .encrypt_blocks(blocks);
        buf
    }

    #[test]
    fn pkcs7() {
        assert_eq!(strip_pkcs7(&[1, 2, 3, 1]), Some(3));
        assert_eq!(strip_pkcs7(&[16; 16]), Some(0));
        assert_eq!(strip_pkcs7(&[1, 2, 3, 0]), None);
        assert_eq!(strip_pkcs7(&[1, 2, 2, 3]), None);
        assert_eq!(strip_pkcs7(&[17; 17]), None);
        assert_eq!(strip_pkcs7(&[]), None);
    }

    #[test]
    fn stream_roundtrip_many_sizes() {
        let key = Key32::new([5; 32]);
        for len in [
            0usize,
            1,
            15,
            16,
            17,
            31,
            32,
            1000,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            3 * CHUNK + 7,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let ct = encrypt(&key, &plain);
            let (out, rep) = decrypt_bytes(&key, "f", &ct, Some(len as u64));
            assert_eq!(out, plain, "len {len}");
            assert!(rep.warnings.is_empty(), "len {len}: {:?}", rep.warnings);
            assert_eq!(rep.plain_len, len as u64);
            // Small reads too.
            let mut r = DecryptingReader::new(&ct[..], &key, "f", None);
            let mut got = Vec::new();
            let mut b = [0u8; 7];
            loop {
                let n = r.read(&mut b).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&b[..n]);
            }
            assert_eq!(got, plain);
        }
    }

    #[test]
    fn recorded_size_smaller_truncates_with_warning() {
        let key = Key32::new([1; 32]);
        let plain = vec![9u8; 100];
        let ct = encrypt(&key, &plain);
        let (out, rep) = decrypt_bytes(&key, "f", &ct, Some(40));
        assert_eq!(out, &plain[..40]);
        assert_eq!(rep.plain_len, 100);
        assert_eq!(rep.output_len, 40);
        assert!(rep.warnings[0].contains("disagree"), "{:?}", rep.warnings);
    }

    #[test]
    fn shorter_than_recorded_and_truncated_ciphertext_warn() {
        let key = Key32::new([1; 32]);
        let plain = vec![9u8; 100];
        let ct = encrypt(&key, &plain);
        let (out, rep) = decrypt_bytes(&key, "f", &ct, Some(200));
        assert_eq!(out, plain);
        assert!(rep.warnings[0].contains("shorter"), "{:?}", rep.warnings);
        // Cut inside a block: the whole blocks decrypt, with warnings.
        let (out, rep) = decrypt_bytes(&key, "f", &ct[..70], Some(100));
        assert_eq!(&out[..], &plain[..out.len()]);
        assert!(
            rep.warnings.iter().any(|w| w.contains("trailing")),
            "{:?}",
            rep.warnings
        );
        assert!(
            rep.warnings.iter().any(|w| w.contains("shorter")),
            "{:?}",
            rep.warnings
        );
    }

    #[test]
    fn wrong_key_gives_padding_warning_and_sink() {
        let ct = encrypt(&Key32::new([1; 32]), b"hello world, this is a test");
        let sink = Arc::new(Mutex::new(Vec::new()));
        let mut r = DecryptingReader::new(&ct[..], &Key32::new([2; 32]), "f", None)
            .with_warning_sink(sink.clone());
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        // With a wrong key the padding is almost surely invalid (1 chance in ~256 to look valid).
        let w = sink.lock().unwrap().clone();
        assert!(w.is_empty() || w[0].contains("padding"));
        assert_ne!(out, b"hello world, this is a test");
    }

    #[test]
    fn wrapped_key_layout() {
        let mut d = 3u32.to_le_bytes().to_vec();
        d.extend([7u8; 40]);
        let wk = WrappedKey::parse("k", &d).unwrap();
        assert_eq!(wk.class, 3);
        assert_eq!(wk.wrapped, vec![7; 40]);
        assert!(WrappedKey::parse("k", &d[..43]).is_err());
    }

    #[test]
    fn mbfile_garbage_is_an_error() {
        assert!(MbFileCrypto::parse(b"not a plist").is_err());
        assert!(MbFileCrypto::parse(&vec![0u8; MAX_MBFILE + 1]).is_err());
    }
}
