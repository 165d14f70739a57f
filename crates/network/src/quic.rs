//! QUIC Initial packets (RFC 9000/9001, v2 RFC 9369, draft-29): header parsing, initial key
//! derivation from the client's first Destination Connection ID, header-protection removal,
//! AES-128-GCM decryption, and CRYPTO-frame reassembly up to the ClientHello.

use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{Aead, Payload};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::tls::{self, Hello, Progress};

pub const V1: u32 = 0x0000_0001;
pub const V2: u32 = 0x6b33_43cf;
pub const DRAFT29: u32 = 0xff00_001d;

const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
const SALT_D29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];

/// Whether telltale can decrypt this version's Initials.
pub fn known_version(v: u32) -> bool {
    matches!(v, V1 | V2 | DRAFT29)
}

/// The long-header packet type (0 Initial, 1 0-RTT, 2 Handshake, 3 Retry), version-independent.
pub fn packet_type(first: u8, version: u32) -> u8 {
    let t = (first >> 4) & 3;
    if version == V2 {
        // v2: Initial 01, 0-RTT 10, Handshake 11, Retry 00.
        match t {
            1 => 0,
            2 => 1,
            3 => 2,
            _ => 3,
        }
    } else {
        t
    }
}

/// Initial packet keys of one direction.
#[derive(Clone)]
pub struct Keys {
    pub key: [u8; 16],
    pub iv: [u8; 12],
    pub hp: [u8; 16],
}

fn expand_label(prk: &Hkdf<Sha256>, label: &str, out: &mut [u8]) -> Option<()> {
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    prk.expand(&info, out).ok()
}

/// The client's (or server's) Initial keys for a version and the client's first DCID.
pub fn initial_keys(version: u32, dcid: &[u8], client: bool) -> Option<Keys> {
    let (salt, pre) = match version {
        V1 => (&SALT_V1, "quic"),
        V2 => (&SALT_V2, "quicv2"),
        DRAFT29 => (&SALT_D29, "quic"),
        _ => return None,
    };
    let (initial, _) = Hkdf::<Sha256>::extract(Some(salt), dcid);
    let initial = Hkdf::<Sha256>::from_prk(&initial).ok()?;
    let mut secret = [0u8; 32];
    expand_label(
        &initial,
        if client { "client in" } else { "server in" },
        &mut secret,
    )?;
    let s = Hkdf::<Sha256>::from_prk(&secret).ok()?;
    let mut k = Keys {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    expand_label(&s, &format!("{pre} key"), &mut k.key)?;
    expand_label(&s, &format!("{pre} iv"), &mut k.iv)?;
    expand_label(&s, &format!("{pre} hp"), &mut k.hp)?;
    Some(k)
}

/// A QUIC variable-length integer.
pub fn varint(b: &[u8], o: &mut usize) -> Option<u64> {
    let first = *b.get(*o)?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(*o..*o + len)?;
    let mut v = (first & 0x3f) as u64;
    for &x in &bytes[1..] {
        v = (v << 8) | x as u64;
    }
    *o += len;
    Some(v)
}

/// A long-header packet's fields.
#[derive(Debug, Clone)]
pub struct LongHeader<'a> {
    pub first: u8,
    pub version: u32,
    pub dcid: &'a [u8],
    pub scid: &'a [u8],
    /// Packet type (0 Initial, 1 0-RTT, 2 Handshake, 3 Retry).
    pub ptype: u8,
    /// Offset of the packet number (Initial/0-RTT/Handshake).
    pub pn_offset: usize,
    /// Length of this packet within the datagram.
    pub packet_len: usize,
}

/// Parses the long header at the start of `b` (one packet of a possibly coalesced datagram).
pub fn long_header(b: &[u8]) -> Option<LongHeader<'_>> {
    let first = *b.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    let version = u32::from_be_bytes(b.get(1..5)?.try_into().ok()?);
    let mut o = 5;
    let dl = *b.get(o)? as usize;
    if dl > 20 {
        return None;
    }
    let dcid = b.get(o + 1..o + 1 + dl)?;
    o += 1 + dl;
    let sl = *b.get(o)? as usize;
    if sl > 20 {
        return None;
    }
    let scid = b.get(o + 1..o + 1 + sl)?;
    o += 1 + sl;
    if version == 0 {
        // Version negotiation.
        return Some(LongHeader {
            first,
            version,
            dcid,
            scid,
            ptype: 4,
            pn_offset: o,
            packet_len: b.len(),
        });
    }
    let ptype = packet_type(first, version);
    if ptype == 3 {
        return Some(LongHeader {
            first,
            version,
            dcid,
            scid,
            ptype,
            pn_offset: o,
            packet_len: b.len(),
        });
    }
    if ptype == 0 {
        let tl = varint(b, &mut o)? as usize;
        o = o.checked_add(tl)?;
        if o > b.len() {
            return None;
        }
    }
    let len = varint(b, &mut o)? as usize;
    let end = o.checked_add(len)?;
    Some(LongHeader {
        first,
        version,
        dcid,
        scid,
        ptype,
        pn_offset: o,
        packet_len: end.min(b.len()),
    })
}

/// Removes header protection and decrypts one Initial packet; the plaintext frames.
pub fn decrypt(b: &[u8], h: &LongHeader<'_>, keys: &Keys) -> Option<Vec<u8>> {
    let pn_off = h.pn_offset;
    let end = h.packet_len;
    if end < pn_off + 4 + 16 || end > b.len() {
        return None;
    }
    let sample: [u8; 16] = b.get(pn_off + 4..pn_off + 20)?.try_into().ok()?;
    let hp = Aes128::new_from_slice(&keys.hp).ok()?;
    let mut block = sample.into();
    hp.encrypt_block(&mut block);
    let mask: [u8; 16] = block.into();
    let first = b[0] ^ (mask[0] & 0x0f);
    let pn_len = (first & 3) as usize + 1;
    let mut header = b[..pn_off + pn_len].to_vec();
    header[0] = first;
    let mut pn: u64 = 0;
    for i in 0..pn_len {
        header[pn_off + i] ^= mask[1 + i];
        pn = (pn << 8) | header[pn_off + i] as u64;
    }
    let mut nonce = keys.iv;
    for (i, x) in pn.to_be_bytes().iter().enumerate() {
        nonce[4 + i] ^= x;
    }
    let aead = Aes128Gcm::new_from_slice(&keys.key).ok()?;
    let ct = b.get(pn_off + pn_len..end)?;
    aead.decrypt(
        (&nonce).into(),
        Payload {
            msg: ct,
            aad: &header,
        },
    )
    .ok()
}

/// CRYPTO frames of a decrypted Initial: `(offset, data)`. Stops at an unexpected frame type.
pub fn crypto_frames(p: &[u8]) -> Vec<(u64, &[u8])> {
    let mut out = Vec::new();
    let mut o = 0;
    while o < p.len() {
        let Some(t) = varint(p, &mut o) else { break };
        match t {
            0x00 | 0x01 => {}
            0x02 | 0x03 => {
                let mut ok = || -> Option<()> {
                    varint(p, &mut o)?;
                    varint(p, &mut o)?;
                    let n = varint(p, &mut o)?;
                    varint(p, &mut o)?;
                    for _ in 0..n.min(1024) {
                        varint(p, &mut o)?;
                        varint(p, &mut o)?;
                    }
                    if t == 0x03 {
                        for _ in 0..3 {
                            varint(p, &mut o)?;
                        }
                    }
                    Some(())
                };
                if ok().is_none() {
                    break;
                }
            }
            0x06 => {
                let (Some(off), Some(len)) = (varint(p, &mut o), varint(p, &mut o)) else {
                    break;
                };
                let Some(d) = o.checked_add(len as usize).and_then(|e| p.get(o..e)) else {
                    break;
                };
                out.push((off, d));
                o += len as usize;
            }
            0x1c | 0x1d => break,
            _ => break,
        }
    }
    out
}

/// Most CRYPTO bytes buffered per connection.
pub const MAX_CRYPTO: usize = 64 * 1024;

/// CRYPTO stream reassembly (by offset, any order) up to the ClientHello.
#[derive(Default)]
pub struct CryptoBuf {
    data: Vec<u8>,
    /// Filled ranges, sorted and merged.
    have: Vec<(usize, usize)>,
    pub overflow: bool,
}

impl CryptoBuf {
    pub fn add(&mut self, off: u64, d: &[u8]) {
        let Ok(off) = usize::try_from(off) else {
            self.overflow = true;
            return;
        };
        let Some(end) = off.checked_add(d.len()) else {
            self.overflow = true;
            return;
        };
        if end > MAX_CRYPTO {
            self.overflow = true;
            return;
        }
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        // First data wins: only fill gaps.
        let mut pos = off;
        let mut ranges = std::mem::take(&mut self.have);
        ranges.push((off, end));
        for &(a, b) in ranges
            .iter()
            .filter(|r| r.0 < end && r.1 > off && **r != (off, end))
        {
            if a > pos {
                self.data[pos..a].copy_from_slice(&d[pos - off..a - off]);
            }
            pos = pos.max(b);
        }
        if pos < end {
            self.data[pos..end].copy_from_slice(&d[pos - off..]);
        }
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match merged.last_mut() {
                Some(m) if r.0 <= m.1 => m.1 = m.1.max(r.1),
                _ => merged.push(r),
            }
        }
        self.have = merged;
    }
    /// The contiguous bytes from offset 0.
    pub fn prefix(&self) -> &[u8] {
        match self.have.first() {
            Some(&(0, e)) => &self.data[..e],
            _ => &[],
        }
    }
    pub fn hello(&self) -> Progress<Hello> {
        if self.overflow {
            return Progress::No;
        }
        tls::client_hello_from_handshake(self.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9001_client_initial_keys() {
        let dcid = hex::decode("8394c8f03e515708").unwrap();
        let k = initial_keys(V1, &dcid, true).unwrap();
        assert_eq!(hex::encode(k.key), "1f369613dd76d5467730efcbe3b1a22d");
        assert_eq!(hex::encode(k.iv), "fa044b2f42a3fd3b46fb255c");
        assert_eq!(hex::encode(k.hp), "9f50449e04a0e810283a1e9933adedd2");
    }

    #[test]
    fn rfc9369_client_initial_keys() {
        let dcid = hex::decode("8394c8f03e515708").unwrap();
        let k = initial_keys(V2, &dcid, true).unwrap();
        assert_eq!(hex::encode(k.key), "8b1a0bc121284290a29e0971b5cd045d");
        assert_eq!(hex::encode(k.iv), "91f73e2351d8fa91660e909f");
        assert_eq!(hex::encode(k.hp), "45b95e15235d6f45a6b19cbcb0294ba9");
    }

    #[test]
    fn crypto_reassembly_out_of_order_first_data_wins() {
        let mut c = CryptoBuf::default();
        c.add(4, b"5678");
        assert_eq!(c.prefix(), b"");
        c.add(0, b"1234");
        assert_eq!(c.prefix(), b"12345678");
        c.add(2, b"xxxxxxxx");
        assert_eq!(c.prefix(), b"12345678xx");
        c.add(u64::MAX, b"a");
        assert!(c.overflow);
    }
}
