//! Android backups (`.ab`, made by `adb backup`), read as [`Evidence`] without extracting them to disk.
//!
//! Format: the text header `ANDROID BACKUP\n<version>\n<compressed 0|1>\n<encryption>\n`; for `AES-256`
//! five more lines: user password salt (hex), master key checksum salt (hex), PBKDF2 rounds, user key IV
//! (hex) and the encrypted master key blob (hex). Then the payload: (AES-256-CBC, PKCS#7) (zlib) tar.
//!
//! Key handling (AOSP `BackupManagerService` / `PerformAdbBackupTask`): the user key is
//! PBKDF2-HMAC-SHA1(password, user salt, rounds, 256 bits); it decrypts the blob, which holds
//! `len, master IV, len, master key, len, checksum`. The checksum is PBKDF2-HMAC-SHA1 over the master
//! key *as Java chars*: Java widens each signed byte to a `char` (0x80..0xFF become U+FF80..U+FFFF), and
//! from version 2 on PBKDF2 encodes those chars in UTF-8 (version 1 keeps the low 8 bits, i.e. the raw
//! bytes). A mismatch means a wrong password.
//!
//! The payload is streamed: one pass lists the tar entries (and keeps small files in memory); larger
//! files are read by streaming the payload again up to them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aes::Aes256;
use aes::cipher::{Array, BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
use telltale_core::archive::normalize_entry_name;
use telltale_core::{AcquisitionError, Entry, Evidence, EvidenceError, LocalFile};

type Aes256CbcDec = cbc::Decryptor<Aes256>;

/// The magic first line of an Android backup.
pub const AB_MAGIC: &[u8] = b"ANDROID BACKUP\n";
/// Highest accepted PBKDF2 round count (AOSP uses 10 000).
const MAX_ROUNDS: u32 = 5_000_000;
/// Files up to this size are kept in memory during the listing pass.
const CACHE_FILE_MAX: u64 = 4 << 20;
/// Total bytes kept in memory during the listing pass.
const CACHE_TOTAL_MAX: u64 = 256 << 20;
/// Largest total decompressed payload read in one pass (bounds a zlib bomb).
const MAX_PAYLOAD: u64 = 256 << 30;
/// Largest number of tar entries listed.
const MAX_ENTRIES: usize = 2_000_000;

#[derive(Debug, thiserror::Error)]
pub enum AbError {
    #[error("not an Android backup (no `ANDROID BACKUP` header)")]
    NotBackup,
    #[error("invalid Android backup: {0}")]
    Invalid(String),
    #[error("unsupported Android backup: {0}")]
    Unsupported(String),
    #[error("the backup is encrypted and a password is needed")]
    PasswordNeeded,
    #[error("wrong backup password (the master key checksum does not match)")]
    WrongPassword,
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl AbError {
    /// As an acquisition error about `what`.
    pub fn into_acquisition(self, what: &str) -> AcquisitionError {
        match self {
            AbError::PasswordNeeded => AcquisitionError::PasswordNeeded { what: what.into() },
            AbError::WrongPassword => AcquisitionError::WrongPassword { what: what.into() },
            AbError::Unsupported(m) => AcquisitionError::Unsupported {
                what: what.into(),
                message: m,
            },
            AbError::Io(e) => AcquisitionError::Evidence(EvidenceError::io(what, e)),
            other => AcquisitionError::Invalid {
                what: what.into(),
                message: other.to_string(),
            },
        }
    }
}

/// Encryption parameters of an `AES-256` backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbCrypto {
    pub user_salt: Vec<u8>,
    pub checksum_salt: Vec<u8>,
    pub rounds: u32,
    pub user_iv: Vec<u8>,
    pub master_key_blob: Vec<u8>,
}

/// The parsed header of a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbHeader {
    pub version: u32,
    pub compressed: bool,
    /// `None` when not encrypted.
    pub crypto: Option<AbCrypto>,
}

impl AbHeader {
    pub fn encrypted(&self) -> bool {
        self.crypto.is_some()
    }
}

fn read_line(r: &mut impl BufRead, what: &str) -> Result<String, AbError> {
    let mut buf = Vec::new();
    r.take(4096).read_until(b'\n', &mut buf)?;
    if buf.last() != Some(&b'\n') {
        return Err(AbError::Invalid(format!(
            "header line `{what}` is missing or too long"
        )));
    }
    buf.pop();
    String::from_utf8(buf)
        .map_err(|_| AbError::Invalid(format!("header line `{what}` is not text")))
}

fn hex_line(r: &mut impl BufRead, what: &str) -> Result<Vec<u8>, AbError> {
    let line = read_line(r, what)?;
    hex::decode(line.trim())
        .map_err(|_| AbError::Invalid(format!("header line `{what}` is not hexadecimal")))
}

/// Reads the header, leaving `r` at the start of the payload.
pub fn read_header(r: &mut impl BufRead) -> Result<AbHeader, AbError> {
    let mut magic = [0u8; AB_MAGIC.len()];
    if r.read_exact(&mut magic).is_err() || magic != AB_MAGIC {
        return Err(AbError::NotBackup);
    }
    let version: u32 = read_line(r, "version")?
        .trim()
        .parse()
        .map_err(|_| AbError::Invalid("version is not a number".into()))?;
    if !(1..=5).contains(&version) {
        return Err(AbError::Unsupported(format!(
            "format version {version} (known: 1 to 5)"
        )));
    }
    let compressed = match read_line(r, "compressed")?.trim() {
        "0" => false,
        "1" => true,
        other => return Err(AbError::Invalid(format!("compression flag {other:?}"))),
    };
    let crypto = match read_line(r, "encryption")?.trim() {
        "none" => None,
        "AES-256" => {
            let user_salt = hex_line(r, "user password salt")?;
            let checksum_salt = hex_line(r, "master key checksum salt")?;
            let rounds: u32 = read_line(r, "rounds")?
                .trim()
                .parse()
                .map_err(|_| AbError::Invalid("PBKDF2 rounds is not a number".into()))?;
            if rounds == 0 || rounds > MAX_ROUNDS {
                return Err(AbError::Invalid(format!(
                    "implausible PBKDF2 round count {rounds}"
                )));
            }
            let user_iv = hex_line(r, "user key IV")?;
            if user_iv.len() != 16 {
                return Err(AbError::Invalid("user key IV is not 16 bytes".into()));
            }
            let master_key_blob = hex_line(r, "master key blob")?;
            Some(AbCrypto {
                user_salt,
                checksum_salt,
                rounds,
                user_iv,
                master_key_blob,
            })
        }
        other => return Err(AbError::Unsupported(format!("encryption {other:?}"))),
    };
    Ok(AbHeader {
        version,
        compressed,
        crypto,
    })
}

/// The master key bytes as Java hands them to PBKDF2 for the checksum (see the module documentation).
pub fn java_key_bytes(key: &[u8], version: u32) -> Vec<u8> {
    if version < 2 {
        return key.to_vec();
    }
    let mut out = Vec::with_capacity(key.len() * 3);
    for &b in key {
        // (char)(byte) sign-extends: 0x80..0xFF → U+FF80..U+FFFF.
        let c = if b < 0x80 {
            u32::from(b)
        } else {
            0xFF00 | u32::from(b)
        };
        let mut tmp = [0u8; 4];
        if let Some(ch) = char::from_u32(c) {
            out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
        }
    }
    out
}

/// The master key and IV of the payload.
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; 32],
    iv: [u8; 16],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// Derives the master key from the password, checking the checksum.
pub fn unlock(crypto: &AbCrypto, version: u32, password: &str) -> Result<MasterKey, AbError> {
    let mut user_key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(
        password.as_bytes(),
        &crypto.user_salt,
        crypto.rounds,
        &mut user_key,
    );
    let dec = Aes256CbcDec::new(
        &user_key.into(),
        &Array::try_from(&crypto.user_iv[..]).map_err(|_| AbError::Invalid("IV".into()))?,
    );
    let blob = dec
        .decrypt_padded_vec::<Pkcs7>(&crypto.master_key_blob)
        .map_err(|_| AbError::WrongPassword)?;
    let mut fields = Vec::new();
    let mut pos = 0usize;
    for _ in 0..3 {
        let len = *blob.get(pos).ok_or(AbError::WrongPassword)? as usize;
        let field = blob
            .get(pos + 1..pos + 1 + len)
            .ok_or(AbError::WrongPassword)?;
        fields.push(field);
        pos += 1 + len;
    }
    let (iv, key, checksum) = (fields[0], fields[1], fields[2]);
    if iv.len() != 16 || key.len() != 32 {
        return Err(AbError::WrongPassword);
    }
    let mut calc = vec![0u8; checksum.len().max(1)];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(
        &java_key_bytes(key, version),
        &crypto.checksum_salt,
        crypto.rounds,
        &mut calc,
    );
    if calc != checksum {
        return Err(AbError::WrongPassword);
    }
    let mut mk = MasterKey {
        key: [0; 32],
        iv: [0; 16],
    };
    mk.key.copy_from_slice(key);
    mk.iv.copy_from_slice(iv);
    Ok(mk)
}

/// Streaming AES-256-CBC decryption with PKCS#7 padding removed at the end.
pub struct CbcReader<R> {
    inner: R,
    dec: Aes256CbcDec,
    pending: Vec<u8>,
    held: Option<[u8; 16]>,
    out: Vec<u8>,
    out_pos: usize,
    done: bool,
}

impl<R: Read> CbcReader<R> {
    pub fn new(inner: R, key: &MasterKey) -> Self {
        CbcReader {
            inner,
            dec: Aes256CbcDec::new(&key.key.into(), &key.iv.into()),
            pending: Vec::new(),
            held: None,
            out: Vec::new(),
            out_pos: 0,
            done: false,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = vec![0u8; 64 * 1024];
        while self.out_pos >= self.out.len() && !self.done {
            self.out.clear();
            self.out_pos = 0;
            let n = self.inner.read(&mut chunk)?;
            if n == 0 {
                self.done = true;
                if !self.pending.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "encrypted payload is truncated",
                    ));
                }
                if let Some(last) = self.held.take() {
                    let pad = usize::from(last[15]);
                    if pad == 0
                        || pad > 16
                        || last[16 - pad..].iter().any(|&b| usize::from(b) != pad)
                    {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "bad padding at the end of the encrypted payload",
                        ));
                    }
                    self.out.extend_from_slice(&last[..16 - pad]);
                }
                break;
            }
            self.pending.extend_from_slice(&chunk[..n]);
            let full = self.pending.len() / 16 * 16;
            if full == 0 {
                continue;
            }
            let mut blocks: Vec<u8> = self.pending.drain(..full).collect();
            let (chunks, _) = Array::slice_as_chunks_mut(&mut blocks);
            self.dec.decrypt_blocks(chunks);
            if let Some(h) = self.held.take() {
                self.out.extend_from_slice(&h);
            }
            let mut last = [0u8; 16];
            last.copy_from_slice(&blocks[full - 16..]);
            self.out.extend_from_slice(&blocks[..full - 16]);
            self.held = Some(last);
        }
        Ok(())
    }
}

impl<R: Read> Read for CbcReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.fill()?;
        let avail = &self.out[self.out_pos..];
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Stops with an error past `limit` bytes.
struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::other(format!(
                "decompressed payload is over {} bytes (zlib bomb?)",
                self.limit
            )));
        }
        Ok(n)
    }
}

/// Where the backup's bytes are.
#[derive(Clone)]
enum Source {
    Path(PathBuf),
    Local(LocalFile),
}

impl Source {
    fn path(&self) -> &Path {
        match self {
            Source::Path(p) => p,
            Source::Local(l) => l.path(),
        }
    }
}

/// An Android backup as evidence: logical paths are the tar entries' names (`apps/<package>/…`).
pub struct AbEvidence {
    label: String,
    source: Source,
    header: AbHeader,
    key: Option<MasterKey>,
    items: BTreeMap<String, u64>,
    cache: BTreeMap<String, Arc<Vec<u8>>>,
    warnings: Vec<String>,
}

/// Reads only the header of a backup file.
pub fn read_header_of(path: &Path) -> Result<AbHeader, AbError> {
    let mut r = BufReader::new(File::open(path)?);
    read_header(&mut r)
}

impl AbEvidence {
    /// Opens the backup at `path` (`password` used when it is encrypted).
    pub fn open(path: &Path, password: Option<&str>) -> Result<Self, AbError> {
        Self::open_source(
            Source::Path(path.to_path_buf()),
            path.display().to_string(),
            password,
        )
    }

    /// Opens the backup at logical `path` of another evidence (through its local file).
    pub fn open_in(
        parent: &dyn Evidence,
        path: &str,
        password: Option<&str>,
    ) -> Result<Self, AbError> {
        let local = parent
            .local_file(path)
            .map_err(|e| AbError::Io(io::Error::other(e.to_string())))?;
        Self::open_source(
            Source::Local(local),
            format!("{path} in {}", parent.describe()),
            password,
        )
    }

    fn open_source(source: Source, label: String, password: Option<&str>) -> Result<Self, AbError> {
        let header = read_header_of(source.path())?;
        let key = match &header.crypto {
            None => None,
            Some(c) => {
                let pw = password.ok_or(AbError::PasswordNeeded)?;
                Some(unlock(c, header.version, pw)?)
            }
        };
        let mut ev = AbEvidence {
            label,
            source,
            header,
            key,
            items: BTreeMap::new(),
            cache: BTreeMap::new(),
            warnings: Vec::new(),
        };
        ev.index()?;
        Ok(ev)
    }

    pub fn header(&self) -> &AbHeader {
        &self.header
    }

    /// Entries left out (unsafe names, links) and other problems met while listing.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The decrypted, decompressed tar stream.
    fn payload(&self) -> Result<Box<dyn Read + Send>, AbError> {
        let mut r = BufReader::new(File::open(self.source.path())?);
        read_header(&mut r)?;
        let r: Box<dyn Read + Send> = match &self.key {
            Some(k) => Box::new(CbcReader::new(r, k)),
            None => Box::new(r),
        };
        let r: Box<dyn Read + Send> = if self.header.compressed {
            Box::new(flate2::read::ZlibDecoder::new(r))
        } else {
            r
        };
        Ok(Box::new(Bounded {
            inner: r,
            read: 0,
            limit: MAX_PAYLOAD,
        }))
    }

    fn index(&mut self) -> Result<(), AbError> {
        let payload = self.payload()?;
        let mut tar = tar::Archive::new(payload);
        let entries = tar
            .entries()
            .map_err(|e| AbError::Invalid(format!("payload is not a tar archive: {e}")))?;
        let mut cached: u64 = 0;
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    if self.items.is_empty() {
                        return Err(AbError::Invalid(format!("payload could not be read: {e}")));
                    }
                    self.warnings
                        .push(format!("{}: payload ends early: {e}", self.label));
                    break;
                }
            };
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            if !kind.is_file() {
                if kind.is_symlink() || kind.is_hard_link() {
                    self.warnings
                        .push(format!("{}: link entry {raw:?} left out", self.label));
                }
                continue;
            }
            let name = match normalize_entry_name(&raw) {
                Ok(n) => n,
                Err(why) => {
                    self.warnings
                        .push(format!("{}: entry {raw:?} refused: {why}", self.label));
                    continue;
                }
            };
            if self.items.len() >= MAX_ENTRIES {
                self.warnings.push(format!(
                    "{}: more than {MAX_ENTRIES} entries; the rest is left out",
                    self.label
                ));
                break;
            }
            let size = entry.size();
            if size <= CACHE_FILE_MAX
                && cached + size <= CACHE_TOTAL_MAX
                && !self.cache.contains_key(&name)
            {
                let mut data = Vec::with_capacity(size as usize);
                if let Err(e) = (&mut entry).take(CACHE_FILE_MAX).read_to_end(&mut data) {
                    self.warnings.push(format!(
                        "{}: entry {name:?} could not be read: {e}",
                        self.label
                    ));
                    self.items.entry(name).or_insert(size);
                    break;
                }
                cached += data.len() as u64;
                self.cache.insert(name.clone(), Arc::new(data));
            }
            self.items.entry(name).or_insert(size);
        }
        Ok(())
    }

    /// Streams the payload again to the entry `path` and hands its reader to `f`.
    fn with_entry<T>(
        &self,
        path: &str,
        f: impl FnOnce(&mut dyn Read) -> io::Result<T>,
    ) -> Result<T, EvidenceError> {
        let err = |e: AbError| EvidenceError::Other {
            path: path.into(),
            message: e.to_string(),
        };
        let payload = self.payload().map_err(err)?;
        let mut tar = tar::Archive::new(payload);
        for entry in tar.entries().map_err(|e| EvidenceError::io(path, e))? {
            let mut entry = entry.map_err(|e| EvidenceError::io(path, e))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if normalize_entry_name(&raw).ok().as_deref() == Some(path) {
                return f(&mut entry).map_err(|e| EvidenceError::io(path, e));
            }
        }
        Err(EvidenceError::Absent { path: path.into() })
    }
}

impl Evidence for AbEvidence {
    fn describe(&self) -> String {
        let enc = if self.header.encrypted() {
            ", encrypted"
        } else {
            ""
        };
        format!(
            "Android backup (version {}{enc}) {}",
            self.header.version, self.label
        )
    }
    fn exists(&self, path: &str) -> bool {
        self.items.contains_key(path)
    }
    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        Ok(self
            .items
            .iter()
            .filter(|(p, _)| telltale_core::evidence::glob_match(pattern, p))
            .map(|(p, s)| Entry {
                path: p.clone(),
                size: Some(*s),
            })
            .collect())
    }
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        let size = *self
            .items
            .get(path)
            .ok_or_else(|| EvidenceError::NotFound { path: path.into() })?;
        if let Some(data) = self.cache.get(path) {
            return Ok(Box::new(io::Cursor::new(data.as_ref().clone())));
        }
        if size <= 64 << 20 {
            let data = self.read_limited(path, 64 << 20)?;
            return Ok(Box::new(io::Cursor::new(data)));
        }
        let local = self.local_file(path)?;
        let f = File::open(local.path()).map_err(|e| EvidenceError::io(path, e))?;
        Ok(Box::new(KeepAlive { f, _local: local }))
    }
    fn read_limited(&self, path: &str, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        let size = *self
            .items
            .get(path)
            .ok_or_else(|| EvidenceError::NotFound { path: path.into() })?;
        if size > limit {
            return Err(EvidenceError::TooLarge {
                path: path.into(),
                size,
                limit,
            });
        }
        if let Some(data) = self.cache.get(path) {
            return Ok(data.as_ref().clone());
        }
        self.with_entry(path, |r| {
            let mut v = Vec::new();
            r.take(limit).read_to_end(&mut v)?;
            Ok(v)
        })
    }
    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        if !self.items.contains_key(path) {
            return Err(EvidenceError::NotFound { path: path.into() });
        }
        let dir =
            telltale_core::archive::private_tempdir().map_err(|e| EvidenceError::io(path, e))?;
        let dest = dir.path().join("entry");
        let mut out = File::create(&dest).map_err(|e| EvidenceError::io(path, e))?;
        if let Some(data) = self.cache.get(path) {
            io::Write::write_all(&mut out, data).map_err(|e| EvidenceError::io(path, e))?;
        } else {
            self.with_entry(path, |r| io::copy(r, &mut out).map(|_| ()))?;
        }
        Ok(LocalFile::Temp {
            path: dest,
            dir: Arc::new(dir),
        })
    }
}

struct KeepAlive {
    f: File,
    _local: LocalFile,
}

impl Read for KeepAlive {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.f.read(buf)
    }
}

/// Whether the file at `path` starts with the Android backup magic.
pub fn looks_like_ab(path: &Path) -> bool {
    let mut magic = [0u8; AB_MAGIC.len()];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == AB_MAGIC
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_char_expansion() {
        assert_eq!(
            java_key_bytes(&[0x41, 0x80, 0xff], 2),
            vec![0x41, 0xef, 0xbe, 0x80, 0xef, 0xbf, 0xbf]
        );
        assert_eq!(java_key_bytes(&[0x41, 0x80], 1), vec![0x41, 0x80]);
    }

    #[test]
    fn header_errors() {
        let mut r = io::Cursor::new(b"NOT A BACKUP\n".to_vec());
        assert!(matches!(read_header(&mut r), Err(AbError::NotBackup)));
        let mut r = io::Cursor::new(b"ANDROID BACKUP\n9\n1\nnone\n".to_vec());
        assert!(matches!(read_header(&mut r), Err(AbError::Unsupported(_))));
        let mut r = io::Cursor::new(b"ANDROID BACKUP\n5\n1\nDES\n".to_vec());
        assert!(matches!(read_header(&mut r), Err(AbError::Unsupported(_))));
        let mut r = io::Cursor::new(b"ANDROID BACKUP\n5\n1\nAES-256\nzz\n".to_vec());
        assert!(matches!(read_header(&mut r), Err(AbError::Invalid(_))));
        let mut r = io::Cursor::new(b"ANDROID BACKUP\n5".to_vec());
        assert!(matches!(read_header(&mut r), Err(AbError::Invalid(_))));
    }
}
