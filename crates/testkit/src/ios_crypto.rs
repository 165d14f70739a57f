//! Encrypted iTunes/Finder backups from code: a backup keybag with random class keys wrapped under a
//! password, Manifest.db and every file encrypted the way iOS does (AES-256-CBC, zero IV, PKCS#7, per-file
//! keys wrapped by class keys, `ManifestKey` in Manifest.plist).
//!
//! Written independently of telltale-ios's decryption code so that each checks the other.
//!
//! ```ignore
//! let plain = BackupBuilder::new().add_file("HomeDomain", "Library/SMS/sms.db", &db).build();
//! let enc = BackupBuilder::new()...build();
//! let info = encrypt_backup_in_place(enc.path(), &EncryptOptions::new("pw"));
//! ```
//!
//! Defaults keep tests fast: ITER 10 and DPIC 10 (Apple uses 10,000 and 10,000,000).

use std::collections::BTreeMap;
use std::path::Path;

use aes::cipher::{Array, BlockModeEncrypt, KeyIvInit};
use aes_kw::KeyInit;
use plist::{Dictionary, Uid, Value};
use sha2::Digest;

/// Deterministic pseudo-random bytes (SHA-256 in counter mode) so fixtures are reproducible.
pub struct TestRng {
    seed: Vec<u8>,
    counter: u64,
}

impl TestRng {
    pub fn new(seed: &[u8]) -> Self {
        TestRng {
            seed: seed.to_vec(),
            counter: 0,
        }
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 32);
        while out.len() < n {
            let mut h = sha2::Sha256::new();
            h.update(&self.seed);
            h.update(self.counter.to_le_bytes());
            self.counter += 1;
            out.extend_from_slice(&h.finalize());
        }
        out.truncate(n);
        out
    }
    pub fn key(&mut self) -> [u8; 32] {
        self.bytes(32).try_into().expect("32 bytes")
    }
}

/// PBKDF2-HMAC-SHA256(password, dp salt, dpic) then PBKDF2-HMAC-SHA1(…, salt, iter), 32 bytes; without
/// `dp`, the SHA-1 step alone (iOS 10.0–10.1 and earlier).
pub fn derive_key(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    dp: Option<(&[u8], u32)>,
) -> [u8; 32] {
    let mut out = [0u8; 32];
    match dp {
        Some((dsalt, diter)) => {
            let mut first = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, dsalt, diter, &mut first);
            pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&first, salt, iterations, &mut out);
        }
        None => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, iterations, &mut out),
    }
    out
}

/// RFC 3394 key wrap of a 32-byte key (40 bytes out).
pub fn wrap_key(kek: &[u8; 32], key: &[u8; 32]) -> Vec<u8> {
    let kw = aes_kw::KwAes256::new(kek.into());
    let mut buf = [0u8; 40];
    kw.wrap_key(key, &mut buf).expect("wrap").to_vec()
}

/// AES-256-CBC with a zero IV and PKCS#7 padding, as iOS encrypts backup files.
pub fn encrypt_cbc(key: &[u8; 32], plain: &[u8]) -> Vec<u8> {
    let pad = 16 - plain.len() % 16;
    let mut buf = Vec::with_capacity(plain.len() + pad);
    buf.extend_from_slice(plain);
    buf.extend(std::iter::repeat_n(pad as u8, pad));
    let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
    cbc::Encryptor::<aes::Aes256>::new(key.into(), &[0u8; 16].into()).encrypt_blocks(blocks);
    buf
}

/// `4-byte little-endian class ‖ wrapped key`: the layout of `ManifestKey` and MBFile `EncryptionKey`.
pub fn class_wrapped(class: u32, class_key: &[u8; 32], key: &[u8; 32]) -> Vec<u8> {
    let mut v = class.to_le_bytes().to_vec();
    v.extend(wrap_key(class_key, key));
    v
}

fn tlv(out: &mut Vec<u8>, tag: &[u8; 4], v: &[u8]) {
    out.extend_from_slice(tag);
    out.extend_from_slice(&(v.len() as u32).to_be_bytes());
    out.extend_from_slice(v);
}

/// Key derivation parameters and class keys of a test keybag.
#[derive(Debug, Clone)]
pub struct KeybagSpec {
    pub salt: Vec<u8>,
    pub iterations: u32,
    /// `(DPSL, DPIC)`; `None` for the iOS 10.0–10.1 layout.
    pub dp: Option<(Vec<u8>, u32)>,
    /// Protection class → class key.
    pub class_keys: BTreeMap<u32, [u8; 32]>,
}

/// Builds a backup keybag (TLV) whose class keys are wrapped under `passcode_key`.
pub fn build_keybag(spec: &KeybagSpec, passcode_key: &[u8; 32], rng: &mut TestRng) -> Vec<u8> {
    let mut d = Vec::new();
    tlv(&mut d, b"VERS", &4u32.to_be_bytes());
    tlv(&mut d, b"TYPE", &1u32.to_be_bytes());
    tlv(&mut d, b"UUID", &rng.bytes(16));
    tlv(&mut d, b"HMCK", &rng.bytes(40));
    tlv(&mut d, b"WRAP", &0u32.to_be_bytes());
    tlv(&mut d, b"SALT", &spec.salt);
    tlv(&mut d, b"ITER", &spec.iterations.to_be_bytes());
    if let Some((dsalt, diter)) = &spec.dp {
        tlv(&mut d, b"DPWT", &1u32.to_be_bytes());
        tlv(&mut d, b"DPIC", &diter.to_be_bytes());
        tlv(&mut d, b"DPSL", dsalt);
    }
    for (class, key) in &spec.class_keys {
        tlv(&mut d, b"UUID", &rng.bytes(16));
        tlv(&mut d, b"CLAS", &class.to_be_bytes());
        tlv(&mut d, b"WRAP", &2u32.to_be_bytes());
        tlv(&mut d, b"KTYP", &0u32.to_be_bytes());
        tlv(&mut d, b"WPKY", &wrap_key(passcode_key, key));
    }
    d
}

/// How to encrypt a backup.
#[derive(Debug, Clone)]
pub struct EncryptOptions {
    pub password: String,
    pub iterations: u32,
    /// DPIC; `None`: iOS 10.0–10.1 (single SHA-1 step).
    pub dp_iterations: Option<u32>,
    /// Whether Manifest.db is encrypted with a `ManifestKey` (`false`: iOS 10.0–10.1, in clear).
    pub manifest_key: bool,
    /// Logical paths (`<domain>/<relativePath>`) whose MBFile loses its `EncryptionKey`.
    pub drop_key: Vec<String>,
    /// Logical paths whose encrypted file is cut to this many bytes.
    pub cut: Vec<(String, usize)>,
    pub seed: Vec<u8>,
}

impl EncryptOptions {
    /// iOS 10.2+ layout with test-speed iteration counts (ITER 10, DPIC 10).
    pub fn new(password: &str) -> Self {
        EncryptOptions {
            password: password.into(),
            iterations: 10,
            dp_iterations: Some(10),
            manifest_key: true,
            drop_key: Vec::new(),
            cut: Vec::new(),
            seed: b"telltale-testkit".to_vec(),
        }
    }
    /// Apple's real counts (ITER 10,000, DPIC 10,000,000): seconds per derivation.
    pub fn real_iterations(mut self) -> Self {
        self.iterations = 10_000;
        self.dp_iterations = Some(10_000_000);
        self
    }
    /// iOS 10.0–10.1: no DPSL/DPIC, no ManifestKey, Manifest.db in clear.
    pub fn ios10_0(mut self) -> Self {
        self.dp_iterations = None;
        self.manifest_key = false;
        self
    }
    pub fn drop_key(mut self, logical: &str) -> Self {
        self.drop_key.push(logical.into());
        self
    }
    pub fn cut(mut self, logical: &str, len: usize) -> Self {
        self.cut.push((logical.into(), len));
        self
    }
}

/// The secrets of an encrypted test backup.
#[derive(Debug, Clone)]
pub struct EncryptionInfo {
    /// The derived key (what `--key-file` holds, hex-encoded).
    pub passcode_key: [u8; 32],
    pub class_keys: BTreeMap<u32, [u8; 32]>,
    /// The Manifest.db key (`None` without ManifestKey).
    pub manifest_db_key: Option<[u8; 32]>,
    /// fileID → per-file key.
    pub file_keys: BTreeMap<String, [u8; 32]>,
}

impl EncryptionInfo {
    pub fn key_hex(&self) -> String {
        hex::encode(self.passcode_key)
    }
}

/// Protection classes in a backup keybag (1–11).
pub const CLASSES: std::ops::RangeInclusive<u32> = 1..=11;

/// Sets (or removes) `EncryptionKey` in an archived MBFile record; returns the new archive and the
/// record's `ProtectionClass`.
pub fn mbfile_with_key(blob: &[u8], encryption_key: Option<&[u8]>) -> (Vec<u8>, Option<u64>) {
    let mut v = Value::from_reader(std::io::Cursor::new(blob)).expect("MBFile archive");
    let top = v.as_dictionary_mut().expect("archive dictionary");
    let root_idx = top
        .get("$top")
        .and_then(|t| t.as_dictionary())
        .and_then(|t| t.get("root"))
        .and_then(|r| r.as_uid())
        .map(|u| u.get() as usize)
        .unwrap_or(1);
    let objects = top
        .get_mut("$objects")
        .and_then(|o| o.as_array_mut())
        .expect("$objects");
    let mut new_objects = Vec::new();
    let key_uid = encryption_key.map(|k| {
        let base = objects.len();
        let mut cls = Dictionary::new();
        cls.insert("$classname".into(), "NSMutableData".into());
        cls.insert(
            "$classes".into(),
            Value::Array(vec![
                "NSMutableData".into(),
                "NSData".into(),
                "NSObject".into(),
            ]),
        );
        let mut d = Dictionary::new();
        d.insert("NS.data".into(), Value::Data(k.to_vec()));
        d.insert("$class".into(), Value::Uid(Uid::new(base as u64 + 1)));
        new_objects.push(Value::Dictionary(d));
        new_objects.push(Value::Dictionary(cls));
        Uid::new(base as u64)
    });
    objects.extend(new_objects);
    let root = objects
        .get_mut(root_idx)
        .and_then(|r| r.as_dictionary_mut())
        .expect("MBFile root");
    let class = root
        .get("ProtectionClass")
        .and_then(|c| c.as_unsigned_integer());
    match key_uid {
        Some(u) => root.insert("EncryptionKey".into(), Value::Uid(u)),
        None => root.remove("EncryptionKey"),
    };
    let mut out = Vec::new();
    v.to_writer_binary(&mut out).expect("write archive");
    (out, class)
}

/// Turns a plain backup folder (as any testkit writer makes it) into an encrypted one, in place:
/// Manifest.plist gets `IsEncrypted`, `BackupKeyBag` and `ManifestKey`; each file row's MBFile gets an
/// `EncryptionKey` and its stored file is encrypted; Manifest.db is encrypted last.
pub fn encrypt_backup_in_place(root: &Path, opts: &EncryptOptions) -> EncryptionInfo {
    let mut rng = TestRng::new(&opts.seed);
    let class_keys: BTreeMap<u32, [u8; 32]> = CLASSES.map(|c| (c, rng.key())).collect();
    let spec = KeybagSpec {
        salt: rng.bytes(20),
        iterations: opts.iterations,
        dp: opts.dp_iterations.map(|d| (rng.bytes(20), d)),
        class_keys: class_keys.clone(),
    };
    let passcode_key = derive_key(
        opts.password.as_bytes(),
        &spec.salt,
        spec.iterations,
        spec.dp.as_ref().map(|(s, i)| (s.as_slice(), *i)),
    );
    let keybag = build_keybag(&spec, &passcode_key, &mut rng);

    // Files and their MBFile records.
    let db_path = root.join("Manifest.db");
    let mut file_keys = BTreeMap::new();
    {
        let c = rusqlite::Connection::open(&db_path).expect("open Manifest.db");
        let rows: Vec<(String, String, String, Option<Vec<u8>>)> = {
            let mut st = c
                .prepare("SELECT fileID, domain, relativePath, file FROM Files WHERE flags = 1")
                .expect("query");
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .expect("rows")
                .collect::<Result<_, _>>()
                .expect("rows")
        };
        let tx = c.unchecked_transaction().expect("tx");
        for (id, domain, rel, blob) in rows {
            let logical = format!("{domain}/{rel}");
            let Some(blob) = blob else { continue };
            let file_key = rng.key();
            let (_, class) = mbfile_with_key(&blob, None);
            let class = class
                .map(|c| c as u32)
                .filter(|c| CLASSES.contains(c))
                .unwrap_or(3);
            let ek = class_wrapped(class, &class_keys[&class], &file_key);
            let dropped = opts.drop_key.contains(&logical);
            let (new_blob, _) = mbfile_with_key(&blob, if dropped { None } else { Some(&ek) });
            c.execute(
                "UPDATE Files SET file = ?1 WHERE fileID = ?2",
                rusqlite::params![new_blob, id],
            )
            .expect("update MBFile");
            let stored = [root.join(&id[..2]).join(&id), root.join(&id)]
                .into_iter()
                .find(|p| p.is_file());
            if let Some(p) = stored {
                let plain = std::fs::read(&p).expect("read plain file");
                let mut enc = encrypt_cbc(&file_key, &plain);
                if let Some((_, n)) = opts.cut.iter().find(|(l, _)| *l == logical) {
                    enc.truncate(*n);
                }
                std::fs::write(&p, enc).expect("write encrypted file");
            }
            file_keys.insert(id, file_key);
        }
        tx.commit().expect("commit");
        c.execute_batch("PRAGMA journal_mode=DELETE;").ok();
    }

    // Manifest.db.
    let manifest_db_key = opts.manifest_key.then(|| rng.key());
    if let Some(k) = &manifest_db_key {
        let plain = std::fs::read(&db_path).expect("read Manifest.db");
        std::fs::write(&db_path, encrypt_cbc(k, &plain)).expect("write Manifest.db");
    }

    // Manifest.plist.
    let mp = root.join("Manifest.plist");
    let mut manifest = Value::from_file(&mp)
        .ok()
        .and_then(Value::into_dictionary)
        .unwrap_or_default();
    manifest.insert("IsEncrypted".into(), true.into());
    manifest.insert("BackupKeyBag".into(), Value::Data(keybag));
    match &manifest_db_key {
        Some(k) => manifest.insert(
            "ManifestKey".into(),
            Value::Data(class_wrapped(4, &class_keys[&4], k)),
        ),
        None => manifest.remove("ManifestKey"),
    };
    Value::Dictionary(manifest)
        .to_file_binary(&mp)
        .expect("write Manifest.plist");

    EncryptionInfo {
        passcode_key,
        class_keys,
        manifest_db_key,
        file_keys,
    }
}

impl crate::ios_backup::BackupBuilder {
    /// Builds the backup, then encrypts it ([`encrypt_backup_in_place`]). Returns the backup and its
    /// secrets.
    pub fn build_encrypted(
        &self,
        opts: &EncryptOptions,
    ) -> (crate::ios_backup::TempBackup, EncryptionInfo) {
        let t = self.build();
        let info = encrypt_backup_in_place(t.path(), opts);
        (t, info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbc_known_answer_shape() {
        let ct = encrypt_cbc(&[0u8; 32], b"");
        assert_eq!(ct.len(), 16);
        assert_eq!(encrypt_cbc(&[0u8; 32], &[1u8; 16]).len(), 32);
        // AES-256 of the zero block under the zero key (FIPS-197 style known value) XOR'd with a zero IV.
        let z = encrypt_cbc(&[0u8; 32], &[0u8; 16]);
        assert_eq!(hex::encode(&z[..16]), "dc95c078a2408989ad48a21492842087");
    }

    #[test]
    fn wrap_rfc3394_vector() {
        // RFC 3394 §4.6: 256-bit key data with a 256-bit KEK.
        let kek: [u8; 32] =
            hex::decode("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
                .unwrap()
                .try_into()
                .unwrap();
        let key: [u8; 32] =
            hex::decode("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
                .unwrap()
                .try_into()
                .unwrap();
        assert_eq!(
            hex::encode_upper(wrap_key(&kek, &key)),
            "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"
        );
    }
}
