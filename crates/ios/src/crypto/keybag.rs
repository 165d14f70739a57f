//! The backup keybag (`BackupKeyBag` in Manifest.plist): a sequence of TLV items, each a 4-byte ASCII tag,
//! a 4-byte big-endian length and the value. Header tags come first (`VERS`, `TYPE`, `UUID`, `HMCK`,
//! `WRAP`, `SALT`, `ITER`, and from iOS 10.2 `DPWT`, `DPIC`, `DPSL`); each following `UUID` starts a class
//! entry (`CLAS`, `WRAP`, `KTYP`, `WPKY`, sometimes `PBKY`). Class keys whose `WRAP` has bit 2 set are
//! wrapped (RFC 3394) under the key derived from the password.

use std::collections::BTreeMap;

use aes_kw::KeyInit;

use super::{CryptoError, Key32, SecretBytes};

/// Bound on a keybag's size (real ones are about 1–2 KiB).
pub const MAX_KEYBAG_LEN: usize = 1 << 20;
/// Bound on the number of class entries (real ones have about 10).
pub const MAX_CLASSES: usize = 256;
/// `WRAP` bit: wrapped with the device key (never usable off the device).
pub const WRAP_DEVICE: u32 = 1;
/// `WRAP` bit: wrapped with the passcode (backup password) key.
pub const WRAP_PASSCODE: u32 = 2;

/// One class entry of the keybag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeybagClass {
    pub uuid: Vec<u8>,
    /// Protection class (`CLAS`).
    pub class: Option<u32>,
    /// How the key is wrapped (`WRAP`): [`WRAP_DEVICE`], [`WRAP_PASSCODE`] bits.
    pub wrap: u32,
    /// Key type (`KTYP`): 0 AES, 1 Curve25519.
    pub key_type: Option<u32>,
    /// The wrapped key (`WPKY`).
    pub wrapped_key: Option<Vec<u8>>,
}

/// A parsed backup keybag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keybag {
    pub version: Option<u32>,
    /// Keybag type (`TYPE`): 0 system, 1 backup, 2 escrow, 3 OTA/iCloud.
    pub kind: Option<u32>,
    pub uuid: Vec<u8>,
    pub wrap: Option<u32>,
    /// Salt and iteration count of the PBKDF2-HMAC-SHA1 step.
    pub salt: Vec<u8>,
    pub iterations: u32,
    /// Salt and iteration count of the PBKDF2-HMAC-SHA256 step (iOS 10.2 and later).
    pub dp_salt: Option<Vec<u8>>,
    pub dp_iterations: Option<u32>,
    pub dp_wrap: Option<u32>,
    pub classes: Vec<KeybagClass>,
}

fn be_int(tag: &str, v: &[u8], offset: usize) -> Result<u32, CryptoError> {
    if v.is_empty() || v.len() > 4 {
        return Err(CryptoError::Keybag {
            offset,
            message: format!("{tag} should be a 4-byte integer, found {} bytes", v.len()),
        });
    }
    Ok(v.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

impl Keybag {
    /// Parses a keybag, checking every length against the data (errors give the byte offset).
    pub fn parse(data: &[u8]) -> Result<Keybag, CryptoError> {
        if data.len() > MAX_KEYBAG_LEN {
            return Err(CryptoError::Keybag {
                offset: 0,
                message: format!(
                    "{} bytes is over the limit of {MAX_KEYBAG_LEN} bytes",
                    data.len()
                ),
            });
        }
        if data.is_empty() {
            return Err(CryptoError::Keybag {
                offset: 0,
                message: "the keybag is empty".into(),
            });
        }
        let mut kb = Keybag::default();
        let mut salt = None;
        let mut iterations = None;
        let mut current: Option<KeybagClass> = None;
        let mut pos = 0usize;
        while pos < data.len() {
            let item_at = pos;
            if data.len() - pos < 8 {
                return Err(CryptoError::Keybag {
                    offset: pos,
                    message: format!(
                        "truncated item header ({} bytes left, 8 needed)",
                        data.len() - pos
                    ),
                });
            }
            let tag_bytes = &data[pos..pos + 4];
            if !tag_bytes.iter().all(|b| b.is_ascii_alphanumeric()) {
                return Err(CryptoError::Keybag {
                    offset: pos,
                    message: format!("garbled tag {}", hex::encode(tag_bytes)),
                });
            }
            let tag = std::str::from_utf8(tag_bytes).unwrap_or("????");
            let len =
                u32::from_be_bytes([data[pos + 4], data[pos + 5], data[pos + 6], data[pos + 7]])
                    as usize;
            pos += 8;
            if len > data.len() - pos {
                return Err(CryptoError::Keybag {
                    offset: item_at,
                    message: format!(
                        "{tag} claims {len} bytes but only {} remain (truncated keybag?)",
                        data.len() - pos
                    ),
                });
            }
            let v = &data[pos..pos + len];
            pos += len;
            let int = |v: &[u8]| be_int(tag, v, item_at);
            match (tag, current.as_mut()) {
                ("UUID", _) => {
                    if kb.uuid.is_empty() && current.is_none() {
                        kb.uuid = v.to_vec();
                    } else {
                        if let Some(c) = current.take() {
                            kb.classes.push(c);
                        }
                        if kb.classes.len() >= MAX_CLASSES {
                            return Err(CryptoError::Keybag {
                                offset: item_at,
                                message: format!("more than {MAX_CLASSES} class entries"),
                            });
                        }
                        current = Some(KeybagClass {
                            uuid: v.to_vec(),
                            ..Default::default()
                        });
                    }
                }
                ("CLAS", Some(c)) => c.class = Some(int(v)?),
                ("WRAP", Some(c)) => c.wrap = int(v)?,
                ("KTYP", Some(c)) => c.key_type = Some(int(v)?),
                ("WPKY", Some(c)) => c.wrapped_key = Some(v.to_vec()),
                ("VERS", None) => kb.version = Some(int(v)?),
                ("TYPE", None) => kb.kind = Some(int(v)?),
                ("WRAP", None) => kb.wrap = Some(int(v)?),
                ("SALT", None) => salt = Some(v.to_vec()),
                ("ITER", None) => iterations = Some(int(v)?),
                ("DPWT", None) => kb.dp_wrap = Some(int(v)?),
                ("DPIC", None) => kb.dp_iterations = Some(int(v)?),
                ("DPSL", None) => kb.dp_salt = Some(v.to_vec()),
                // HMCK, PBKY, SIGN and tags of later versions carry nothing needed here.
                _ => {}
            }
        }
        if let Some(c) = current.take() {
            kb.classes.push(c);
        }
        kb.salt = salt.ok_or_else(|| CryptoError::Keybag {
            offset: data.len(),
            message: "no SALT item".into(),
        })?;
        kb.iterations = iterations.ok_or_else(|| CryptoError::Keybag {
            offset: data.len(),
            message: "no ITER item".into(),
        })?;
        if kb.iterations == 0 {
            return Err(CryptoError::Keybag {
                offset: data.len(),
                message: "ITER is 0".into(),
            });
        }
        match (&kb.dp_salt, kb.dp_iterations) {
            (Some(_), Some(0)) => {
                return Err(CryptoError::Keybag {
                    offset: data.len(),
                    message: "DPIC is 0".into(),
                });
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(CryptoError::Keybag {
                    offset: data.len(),
                    message: "DPSL and DPIC must come together".into(),
                });
            }
            _ => {}
        }
        if kb.classes.is_empty() {
            return Err(CryptoError::Keybag {
                offset: data.len(),
                message: "no class keys (truncated keybag?)".into(),
            });
        }
        Ok(kb)
    }

    /// Whether the key derivation has the iOS 10.2+ PBKDF2-HMAC-SHA256 step.
    pub fn has_double_kdf(&self) -> bool {
        self.dp_salt.is_some()
    }

    /// Unwraps every password-wrapped class key with the key derived from the password. The first failed
    /// integrity check means a wrong password (or key file): [`CryptoError::WrongPassword`].
    pub fn unlock(&self, passcode_key: &Key32) -> Result<ClassKeys, CryptoError> {
        let kek = aes_kw::KwAes256::new(passcode_key.as_bytes().into());
        let mut keys = BTreeMap::new();
        for c in &self.classes {
            if c.wrap & WRAP_PASSCODE == 0 || c.wrap & WRAP_DEVICE != 0 {
                continue;
            }
            let (Some(class), Some(wrapped)) = (c.class, c.wrapped_key.as_deref()) else {
                continue;
            };
            if wrapped.len() != 40 {
                return Err(CryptoError::BadKey {
                    what: "backup keybag".into(),
                    message: format!(
                        "class {class} key is {} bytes wrapped, 40 expected",
                        wrapped.len()
                    ),
                });
            }
            let mut buf = SecretBytes(vec![0u8; 40]);
            match kek.unwrap_key(wrapped, &mut buf.0) {
                Ok(k) => {
                    let key = Key32::from_slice(k).ok_or(CryptoError::WrongPassword)?;
                    keys.insert(class, key);
                }
                Err(aes_kw::Error::IntegrityCheckFailed) => return Err(CryptoError::WrongPassword),
                Err(e) => {
                    return Err(CryptoError::BadKey {
                        what: "backup keybag".into(),
                        message: format!("class {class}: {e}"),
                    });
                }
            }
        }
        if keys.is_empty() {
            return Err(CryptoError::Keybag {
                offset: 0,
                message: "no class key is wrapped with the backup password (not a backup keybag?)"
                    .into(),
            });
        }
        Ok(ClassKeys { keys })
    }
}

/// The unwrapped class keys of a keybag, by protection class.
#[derive(Debug, Clone)]
pub struct ClassKeys {
    keys: BTreeMap<u32, Key32>,
}

impl ClassKeys {
    pub fn get(&self, class: u32) -> Option<&Key32> {
        self.keys.get(&class)
    }
    pub fn classes(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    /// Unwraps a file or Manifest.db key (`what` names it for errors) with the key of `class`.
    pub fn unwrap(&self, what: &str, class: u32, wrapped: &[u8]) -> Result<Key32, CryptoError> {
        let ck = self.get(class).ok_or_else(|| CryptoError::NoClassKey {
            what: what.into(),
            class,
        })?;
        if wrapped.len() != 40 {
            return Err(CryptoError::BadKey {
                what: what.into(),
                message: format!("wrapped key is {} bytes, 40 expected", wrapped.len()),
            });
        }
        let kek = aes_kw::KwAes256::new(ck.as_bytes().into());
        let mut buf = SecretBytes(vec![0u8; 40]);
        let k = kek
            .unwrap_key(wrapped, &mut buf.0)
            .map_err(|e| CryptoError::BadKey {
                what: what.into(),
                message: format!("the key does not unwrap with the class {class} key ({e})"),
            })?;
        Key32::from_slice(k).ok_or_else(|| CryptoError::BadKey {
            what: what.into(),
            message: "not a 32-byte key".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(out: &mut Vec<u8>, tag: &[u8; 4], v: &[u8]) {
        out.extend_from_slice(tag);
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(v);
    }

    fn sample() -> Vec<u8> {
        let mut d = Vec::new();
        item(&mut d, b"VERS", &4u32.to_be_bytes());
        item(&mut d, b"TYPE", &1u32.to_be_bytes());
        item(&mut d, b"UUID", &[1; 16]);
        item(&mut d, b"HMCK", &[9; 40]);
        item(&mut d, b"WRAP", &0u32.to_be_bytes());
        item(&mut d, b"SALT", &[2; 20]);
        item(&mut d, b"ITER", &10_000u32.to_be_bytes());
        item(&mut d, b"DPWT", &1u32.to_be_bytes());
        item(&mut d, b"DPIC", &10_000_000u32.to_be_bytes());
        item(&mut d, b"DPSL", &[3; 20]);
        for class in [1u32, 3] {
            item(&mut d, b"UUID", &[class as u8; 16]);
            item(&mut d, b"CLAS", &class.to_be_bytes());
            item(&mut d, b"WRAP", &2u32.to_be_bytes());
            item(&mut d, b"KTYP", &0u32.to_be_bytes());
            item(&mut d, b"WPKY", &[7; 40]);
        }
        d
    }

    #[test]
    fn parses_header_and_classes() {
        let kb = Keybag::parse(&sample()).unwrap();
        assert_eq!(kb.version, Some(4));
        assert_eq!(kb.kind, Some(1));
        assert_eq!(kb.uuid, vec![1; 16]);
        assert_eq!(kb.iterations, 10_000);
        assert_eq!(kb.dp_iterations, Some(10_000_000));
        assert_eq!(kb.dp_salt.as_deref(), Some(&[3u8; 20][..]));
        assert!(kb.has_double_kdf());
        assert_eq!(kb.classes.len(), 2);
        assert_eq!(kb.classes[1].class, Some(3));
        assert_eq!(kb.classes[1].wrap, WRAP_PASSCODE);
        assert_eq!(kb.classes[1].wrapped_key.as_deref(), Some(&[7u8; 40][..]));
    }

    #[test]
    fn truncated_keybag_names_the_offset() {
        let d = sample();
        for cut in [3, 8, 30, d.len() - 1] {
            let err = Keybag::parse(&d[..cut]).unwrap_err();
            assert!(
                matches!(err, CryptoError::Keybag { .. }),
                "cut {cut}: {err}"
            );
        }
        let err = Keybag::parse(&d[..d.len() - 5]).unwrap_err();
        let CryptoError::Keybag { offset, message } = err else {
            panic!()
        };
        assert!(offset > 0 && offset < d.len(), "{offset}");
        assert!(message.contains("WPKY"), "{message}");
    }

    #[test]
    fn garbled_keybag_is_an_error() {
        let mut d = sample();
        d[12] = 0xff; // tag of the second item
        let err = Keybag::parse(&d).unwrap_err().to_string();
        assert!(err.contains("offset 12"), "{err}");
        let mut d = sample();
        d[4..8].copy_from_slice(&u32::MAX.to_be_bytes()); // absurd length
        assert!(
            Keybag::parse(&d)
                .unwrap_err()
                .to_string()
                .contains("offset 0")
        );
        assert!(Keybag::parse(&[]).is_err());
        assert!(Keybag::parse(&vec![0u8; MAX_KEYBAG_LEN + 1]).is_err());
        // A 5-byte integer is refused.
        let mut d = Vec::new();
        item(&mut d, b"ITER", &[0, 0, 0, 0, 1]);
        assert!(Keybag::parse(&d).unwrap_err().to_string().contains("ITER"));
    }

    #[test]
    fn missing_salt_or_classes_is_an_error() {
        let mut d = Vec::new();
        item(&mut d, b"ITER", &1u32.to_be_bytes());
        assert!(Keybag::parse(&d).unwrap_err().to_string().contains("SALT"));
        item(&mut d, b"SALT", &[1; 20]);
        assert!(Keybag::parse(&d).unwrap_err().to_string().contains("class"));
    }
}
