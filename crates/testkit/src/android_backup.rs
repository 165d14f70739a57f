//! Writes Android backups (`.ab`): any version 1–5, compressed or not, plain or `AES-256` (encrypted by
//! this writer's own encryptor, with few PBKDF2 rounds for speed), with planted telephony SMS/MMS files.

use std::io::Write;
use std::path::Path;

use aes::Aes256;
use aes::cipher::{BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
use sha2::{Digest, Sha256};

/// Where the telephony provider's SMS backup lives inside a backup's tar.
pub const SMS_DIR: &str = "apps/com.android.providers.telephony/d_f";

/// One message as the telephony provider's backup writes it.
#[derive(Debug, Clone)]
pub struct Sms {
    pub address: String,
    pub body: String,
    /// Unix milliseconds.
    pub date: i64,
    /// Unix milliseconds; 0 for a received message.
    pub date_sent: i64,
    /// Written as `mms_body` instead of `body` (MMS backup shape).
    pub mms: bool,
}

impl Sms {
    pub fn received(address: &str, body: &str, date_ms: i64) -> Self {
        Sms {
            address: address.into(),
            body: body.into(),
            date: date_ms,
            date_sent: 0,
            mms: false,
        }
    }
    pub fn sent(address: &str, body: &str, date_ms: i64) -> Self {
        Sms {
            address: address.into(),
            body: body.into(),
            date: date_ms,
            date_sent: date_ms,
            mms: false,
        }
    }
    fn to_json(&self) -> serde_json::Value {
        let body_key = if self.mms { "mms_body" } else { "body" };
        serde_json::json!({
            "self_phone": "+15550000000",
            "address": self.address,
            body_key: self.body,
            "date": self.date.to_string(),
            "date_sent": self.date_sent.to_string(),
            "status": "-1",
            "type": if self.date_sent == 0 { "1" } else { "2" },
            "recipients": [self.address],
            "read": "1",
        })
    }
}

/// zlib-compressed JSON list of messages, as in `*_sms_backup` / `*_mms_backup`.
pub fn sms_backup_file(messages: &[Sms]) -> Vec<u8> {
    let json = serde_json::Value::Array(messages.iter().map(Sms::to_json).collect());
    zlib(json.to_string().as_bytes())
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("in-memory write");
    e.finish().expect("in-memory write")
}

/// Builder of an `.ab` file.
#[derive(Debug, Clone)]
pub struct AndroidBackup {
    version: u32,
    compressed: bool,
    password: Option<String>,
    rounds: u32,
    files: Vec<(String, Vec<u8>)>,
}

impl Default for AndroidBackup {
    fn default() -> Self {
        Self::new()
    }
}

impl AndroidBackup {
    /// Version 5, compressed, not encrypted, no files.
    pub fn new() -> Self {
        AndroidBackup {
            version: 5,
            compressed: true,
            password: None,
            rounds: 16,
            files: Vec::new(),
        }
    }
    pub fn version(mut self, v: u32) -> Self {
        self.version = v;
        self
    }
    pub fn compressed(mut self, c: bool) -> Self {
        self.compressed = c;
        self
    }
    /// Encrypts with AES-256 under `password` (PBKDF2 rounds: 16, or [`AndroidBackup::rounds`]).
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.into());
        self
    }
    pub fn rounds(mut self, rounds: u32) -> Self {
        self.rounds = rounds;
        self
    }
    /// Adds a file to the tar (path as written in the tar, e.g. `apps/com.x/f/a.txt`).
    pub fn file(mut self, path: &str, data: &[u8]) -> Self {
        self.files.push((path.into(), data.to_vec()));
        self
    }
    /// Adds `<SMS_DIR>/<name>_sms_backup` holding `messages`.
    pub fn sms(self, name: &str, messages: &[Sms]) -> Self {
        let path = format!("{SMS_DIR}/{name}_sms_backup");
        self.file(&path, &sms_backup_file(messages))
    }
    /// Adds `<SMS_DIR>/<name>_mms_backup` holding `messages`.
    pub fn mms(self, name: &str, messages: &[Sms]) -> Self {
        let path = format!("{SMS_DIR}/{name}_mms_backup");
        let msgs: Vec<Sms> = messages
            .iter()
            .cloned()
            .map(|mut m| {
                m.mms = true;
                m
            })
            .collect();
        self.file(&path, &sms_backup_file(&msgs))
    }

    fn tar(&self) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in &self.files {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o600);
            h.set_mtime(1_600_000_000);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, path, &data[..])
                .expect("in-memory tar");
        }
        b.into_inner().expect("in-memory tar")
    }

    /// The `.ab` bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut payload = self.tar();
        if self.compressed {
            payload = zlib(&payload);
        }
        let mut out = format!(
            "ANDROID BACKUP\n{}\n{}\n",
            self.version,
            u8::from(self.compressed)
        )
        .into_bytes();
        match &self.password {
            None => {
                out.extend_from_slice(b"none\n");
                out.extend_from_slice(&payload);
            }
            Some(pw) => {
                let seed = |tag: &str| Sha256::digest(format!("{tag}:{pw}").as_bytes());
                let user_salt = seed("user-salt")[..].to_vec();
                let ck_salt = seed("checksum-salt")[..].to_vec();
                let user_iv: [u8; 16] = seed("user-iv")[..16].try_into().expect("16 bytes");
                // A master key with bytes >= 0x80, so the Java char expansion matters.
                let mut master_key = [0u8; 32];
                for (i, b) in master_key.iter_mut().enumerate() {
                    *b = (i as u8).wrapping_mul(37).wrapping_add(0x90);
                }
                let master_iv: [u8; 16] = seed("master-iv")[..16].try_into().expect("16 bytes");
                let mut user_key = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<sha1::Sha1>(
                    pw.as_bytes(),
                    &user_salt,
                    self.rounds,
                    &mut user_key,
                );
                let mut checksum = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<sha1::Sha1>(
                    &java_pbkdf2_bytes(&master_key, self.version),
                    &ck_salt,
                    self.rounds,
                    &mut checksum,
                );
                let mut blob = Vec::new();
                for field in [&master_iv[..], &master_key[..], &checksum[..]] {
                    blob.push(field.len() as u8);
                    blob.extend_from_slice(field);
                }
                let enc_blob = cbc::Encryptor::<Aes256>::new(&user_key.into(), &user_iv.into())
                    .encrypt_padded_vec::<Pkcs7>(&blob);
                let header = format!(
                    "AES-256\n{}\n{}\n{}\n{}\n{}\n",
                    hex::encode_upper(&user_salt),
                    hex::encode_upper(&ck_salt),
                    self.rounds,
                    hex::encode_upper(user_iv),
                    hex::encode_upper(&enc_blob)
                );
                out.extend_from_slice(header.as_bytes());
                let enc = cbc::Encryptor::<Aes256>::new(&master_key.into(), &master_iv.into())
                    .encrypt_padded_vec::<Pkcs7>(&payload);
                out.extend_from_slice(&enc);
            }
        }
        out
    }

    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_bytes())
    }
}

/// The bytes Java's PBKDF2 sees for a key turned into chars: version 1 keeps 8 bits, later versions
/// encode each sign-extended char in UTF-8.
fn java_pbkdf2_bytes(key: &[u8], version: u32) -> Vec<u8> {
    if version == 1 {
        return key.to_vec();
    }
    let chars: String = key
        .iter()
        .map(|&b| {
            char::from_u32(u32::from((b as i8) as i16 as u16)).expect("U+FF80..U+FFFF are chars")
        })
        .collect();
    chars.into_bytes()
}
