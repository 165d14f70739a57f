//! Protocol messages built byte by byte: DNS (with name compression), TLS ClientHello (SNI, ALPN,
//! supported_versions, GREASE, shuffled extensions, post-quantum key share, ECH), TLS 1.2 server
//! flights with X.509 certificates (minimal DER), TLS 1.3 ServerHello, QUIC v1/v2 Initials really
//! protected (HKDF initial keys, AES-128-GCM, header protection).

use std::net::IpAddr;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use sha1::Digest;

/// A DNS answer record.
#[derive(Debug, Clone)]
pub enum Rr {
    A(std::net::Ipv4Addr),
    Aaaa(std::net::Ipv6Addr),
    /// A CNAME from the question's name to this target.
    Cname(String),
    /// An HTTPS record (type 65) with this target and, optionally, an `ech` parameter.
    Https(String, bool),
}

impl Rr {
    pub fn qtype_of_question(&self) -> u16 {
        match self {
            Rr::A(_) | Rr::Cname(_) => 1,
            Rr::Aaaa(_) => 28,
            Rr::Https(..) => 65,
        }
    }
    pub fn value(&self) -> String {
        match self {
            Rr::A(a) => a.to_string(),
            Rr::Aaaa(a) => a.to_string(),
            Rr::Cname(n) | Rr::Https(n, _) => n.clone(),
        }
    }
    pub fn addr(ip: &str) -> Rr {
        match ip.parse::<IpAddr>().expect("an address") {
            IpAddr::V4(a) => Rr::A(a),
            IpAddr::V6(a) => Rr::Aaaa(a),
        }
    }
}

pub fn dns_name(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for l in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        v.push(l.len() as u8);
        v.extend(l.as_bytes());
    }
    v.push(0);
    v
}

pub fn dns_query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend(id.to_be_bytes());
    m.extend([0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    m.extend(dns_name(name));
    m.extend(qtype.to_be_bytes());
    m.extend([0, 1]);
    m
}

/// A response; owners of answers are compression pointers to the question (offset 12), and a CNAME
/// chain's later records are owned by the previous target (pointer to where it was written).
pub fn dns_response(id: u16, name: &str, qtype: u16, answers: &[Rr]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend(id.to_be_bytes());
    m.extend([0x81, 0x80, 0, 1]);
    m.extend((answers.len() as u16).to_be_bytes());
    m.extend([0, 0, 0, 0]);
    m.extend(dns_name(name));
    m.extend(qtype.to_be_bytes());
    m.extend([0, 1]);
    let mut owner: u16 = 12;
    for a in answers {
        m.extend((0xc000 | owner).to_be_bytes());
        let (t, rd): (u16, Vec<u8>) = match a {
            Rr::A(x) => (1, x.octets().to_vec()),
            Rr::Aaaa(x) => (28, x.octets().to_vec()),
            Rr::Cname(n) => (5, dns_name(n)),
            Rr::Https(n, ech) => {
                let mut r = vec![0, 1];
                r.extend(dns_name(n));
                r.extend([0, 1, 0, 3, 2, b'h', b'2']); // alpn=h2
                if *ech {
                    r.extend([0, 5, 0, 4, 1, 2, 3, 4]);
                }
                (65, r)
            }
        };
        m.extend(t.to_be_bytes());
        m.extend([0, 1, 0, 0, 0, 60]);
        m.extend((rd.len() as u16).to_be_bytes());
        let rd_at = m.len() as u16;
        m.extend(rd);
        if let Rr::Cname(_) = a {
            owner = rd_at;
        }
    }
    m
}

/// How to build a ClientHello and send it.
#[derive(Debug, Clone)]
pub struct HelloSpec {
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub post_quantum: bool,
    pub ech: bool,
    /// Put SNI late among many extensions (as shuffling browsers do).
    pub shuffle: bool,
    /// Largest TLS record (the hello is fragmented into several records when smaller).
    pub record_size: usize,
    /// TCP segment sizes (the last repeats); empty: one segment.
    pub segments: Vec<usize>,
    /// Order in which segments are sent (indices; repeats are retransmissions); empty: in order.
    pub order: Vec<usize>,
}

impl HelloSpec {
    pub fn sni(name: &str) -> Self {
        HelloSpec {
            sni: Some(name.to_string()),
            alpn: vec!["h2".into(), "http/1.1".into()],
            post_quantum: false,
            ech: false,
            shuffle: false,
            record_size: 16_384,
            segments: vec![],
            order: vec![],
        }
    }
    pub fn no_sni() -> Self {
        HelloSpec {
            sni: None,
            ..HelloSpec::sni("x")
        }
    }
}

fn ext(t: u16, body: &[u8]) -> Vec<u8> {
    let mut e = t.to_be_bytes().to_vec();
    e.extend((body.len() as u16).to_be_bytes());
    e.extend(body);
    e
}

/// A ClientHello handshake message (with its 4-byte header).
pub fn client_hello(s: &HelloSpec) -> Vec<u8> {
    let mut exts: Vec<Vec<u8>> = Vec::new();
    exts.push(ext(0x2a2a, &[])); // GREASE
    if let Some(n) = &s.sni {
        let mut b = ((n.len() + 3) as u16).to_be_bytes().to_vec();
        b.push(0);
        b.extend((n.len() as u16).to_be_bytes());
        b.extend(n.as_bytes());
        exts.push(ext(0, &b));
    }
    if !s.alpn.is_empty() {
        let mut l = Vec::new();
        for p in &s.alpn {
            l.push(p.len() as u8);
            l.extend(p.as_bytes());
        }
        let mut b = (l.len() as u16).to_be_bytes().to_vec();
        b.extend(l);
        exts.push(ext(16, &b));
    }
    exts.push(ext(43, &[6, 0x3a, 0x3a, 3, 4, 3, 3])); // supported_versions: GREASE, 1.3, 1.2
    exts.push(ext(10, &[0, 4, 0x11, 0xec, 0, 29])); // supported_groups
    let mut ks = Vec::new();
    if s.post_quantum {
        ks.extend([0x11, 0xec]);
        ks.extend(1216u16.to_be_bytes());
        ks.extend((0..1216).map(|i| (i * 7 % 251) as u8));
    }
    ks.extend([0, 29, 0, 32]);
    ks.extend([0x42; 32]);
    let mut kb = (ks.len() as u16).to_be_bytes().to_vec();
    kb.extend(ks);
    exts.push(ext(51, &kb));
    if s.ech {
        exts.push(ext(
            0xfe0d,
            &[0, 0, 1, 0, 1, 7, 0, 0x20, 0x00, 0x10]
                .iter()
                .copied()
                .chain([0x77; 16])
                .collect::<Vec<u8>>(),
        ));
    }
    if s.shuffle {
        // SNI last, after padding-like filler extensions.
        exts.push(ext(21, &[0u8; 200]));
        let sni = exts.remove(1);
        exts.push(sni);
        exts.rotate_left(1);
    }
    let mut body = vec![3, 3];
    body.extend([0x11; 32]);
    body.push(32);
    body.extend([0x22; 32]);
    body.extend([0, 6, 0x13, 0x01, 0x13, 0x02, 0xc0, 0x2f]);
    body.extend([1, 0]);
    let all: Vec<u8> = exts.concat();
    body.extend((all.len() as u16).to_be_bytes());
    body.extend(all);
    let mut hs = vec![1];
    hs.extend(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend(body);
    hs
}

/// Handshake bytes in TLS records of at most `max` bytes each.
pub fn tls_records(hs: &[u8], max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for c in hs.chunks(max.max(1)) {
        out.extend([22, 3, 1]);
        out.extend((c.len() as u16).to_be_bytes());
        out.extend(c);
    }
    out
}

fn handshake(t: u8, body: &[u8]) -> Vec<u8> {
    let mut h = vec![t];
    h.extend(&(body.len() as u32).to_be_bytes()[1..]);
    h.extend(body);
    h
}

/// A TLS 1.2 server flight: ServerHello, Certificate, ServerHelloDone.
pub fn server_flight_tls12(certs: &[Vec<u8>]) -> Vec<u8> {
    let mut sh = vec![3, 3];
    sh.extend([0x33; 32]);
    sh.push(0);
    sh.extend([0xc0, 0x2f, 0]);
    let mut list: Vec<u8> = Vec::new();
    for c in certs {
        list.extend(&(c.len() as u32).to_be_bytes()[1..]);
        list.extend(c);
    }
    let mut cert = (list.len() as u32).to_be_bytes()[1..].to_vec();
    cert.extend(list);
    let mut hs = handshake(2, &sh);
    hs.extend(handshake(11, &cert));
    hs.extend(handshake(14, &[]));
    let mut out = tls_records(&hs, 16_384);
    // Records from the server say TLS 1.2.
    let mut o = 0;
    while o + 5 <= out.len() {
        out[o + 2] = 3;
        let l = u16::from_be_bytes([out[o + 3], out[o + 4]]) as usize;
        o += 5 + l;
    }
    out
}

/// A TLS 1.3 ServerHello (supported_versions = 1.3), then an encrypted-looking record.
pub fn server_hello_tls13() -> Vec<u8> {
    let mut sh = vec![3, 3];
    sh.extend([0x44; 32]);
    sh.push(0);
    sh.extend([0x13, 0x01, 0]);
    let e = ext(43, &[3, 4]);
    sh.extend((e.len() as u16).to_be_bytes());
    sh.extend(e);
    let mut out = tls_records(&handshake(2, &sh), 16_384);
    out.extend([20, 3, 3, 0, 1, 1]);
    out.extend([23, 3, 3, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    out
}

fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let l = body.len();
    if l < 128 {
        v.push(l as u8);
    } else if l < 256 {
        v.extend([0x81, l as u8]);
    } else {
        v.extend([0x82, (l >> 8) as u8, l as u8]);
    }
    v.extend(body);
    v
}

fn name_der(cn: &str) -> Vec<u8> {
    let attr = [der(0x06, &[0x55, 0x04, 0x03]), der(0x0c, cn.as_bytes())].concat();
    der(0x30, &der(0x31, &der(0x30, &attr)))
}

/// A minimal X.509 v3 certificate (not validly signed) with a subject CN, an issuer CN and DNS SANs.
pub fn certificate(subject_cn: &str, issuer_cn: &str, san: &[&str]) -> Vec<u8> {
    let version = der(0xa0, &der(0x02, &[2]));
    let serial = der(0x02, &[0x01, 0x23]);
    let alg = der(
        0x30,
        &[
            der(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    let validity = der(
        0x30,
        &[der(0x17, b"240101000000Z"), der(0x17, b"300101000000Z")].concat(),
    );
    let spki = der(
        0x30,
        &[
            der(
                0x30,
                &[
                    der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]),
                    der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
                ]
                .concat(),
            ),
            der(0x03, &[[0u8, 4].as_slice(), &[0x11; 64]].concat()),
        ]
        .concat(),
    );
    let mut gn = Vec::new();
    for n in san {
        gn.extend(der(0x82, n.as_bytes()));
    }
    let san_ext = der(
        0x30,
        &[der(0x06, &[0x55, 0x1d, 0x11]), der(0x04, &der(0x30, &gn))].concat(),
    );
    let exts = der(0xa3, &der(0x30, &san_ext));
    let tbs = der(
        0x30,
        &[
            version,
            serial,
            alg.clone(),
            name_der(issuer_cn),
            validity,
            name_der(subject_cn),
            spki,
            exts,
        ]
        .concat(),
    );
    der(0x30, &[tbs, alg, der(0x03, &[0, 1, 2, 3, 4])].concat())
}

pub fn sha1_hex(b: &[u8]) -> String {
    hex::encode(sha1::Sha1::digest(b))
}
pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

pub const QUIC_V1: u32 = 1;
pub const QUIC_V2: u32 = 0x6b33_43cf;

struct Keys {
    key: [u8; 16],
    iv: [u8; 12],
    hp: [u8; 16],
}

fn expand(prk: &hkdf::Hkdf<sha2::Sha256>, label: &str, out: &mut [u8]) {
    let full = format!("tls13 {label}");
    let mut info = (out.len() as u16).to_be_bytes().to_vec();
    info.push(full.len() as u8);
    info.extend(full.as_bytes());
    info.push(0);
    prk.expand(&info, out).expect("hkdf length");
}

fn keys(version: u32, dcid: &[u8], client: bool) -> Keys {
    let (salt, pre): (&str, &str) = if version == QUIC_V2 {
        ("0dede3def700a6db819381be6e269dcbf9bd2ed9", "quicv2")
    } else {
        ("38762cf7f55934b34d179ae6a4c80cadccbb7f0a", "quic")
    };
    let salt = hex::decode(salt).expect("hex");
    let (prk, _) = hkdf::Hkdf::<sha2::Sha256>::extract(Some(&salt), dcid);
    let initial = hkdf::Hkdf::<sha2::Sha256>::from_prk(&prk).expect("prk");
    let mut secret = [0u8; 32];
    expand(
        &initial,
        if client { "client in" } else { "server in" },
        &mut secret,
    );
    let s = hkdf::Hkdf::<sha2::Sha256>::from_prk(&secret).expect("prk");
    let mut k = Keys {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    expand(&s, &format!("{pre} key"), &mut k.key);
    expand(&s, &format!("{pre} iv"), &mut k.iv);
    expand(&s, &format!("{pre} hp"), &mut k.hp);
    k
}

fn varint(v: u64) -> Vec<u8> {
    if v < 64 {
        vec![v as u8]
    } else if v < 16384 {
        ((v as u16) | 0x4000).to_be_bytes().to_vec()
    } else {
        ((v as u32) | 0x8000_0000).to_be_bytes().to_vec()
    }
}

/// A protected long-header packet of `ptype` bits carrying `plain` frames, padded to `pad_to`.
#[allow(clippy::too_many_arguments)]
fn protect(
    version: u32,
    first_type: u8,
    dcid: &[u8],
    scid: &[u8],
    pn: u64,
    plain: &[u8],
    pad_to: usize,
    k: &Keys,
) -> Vec<u8> {
    let pn_len = 2usize;
    let mut payload = plain.to_vec();
    let mut hdr = vec![0xc0 | (first_type << 4) | (pn_len as u8 - 1)];
    hdr.extend(version.to_be_bytes());
    hdr.push(dcid.len() as u8);
    hdr.extend(dcid);
    hdr.push(scid.len() as u8);
    hdr.extend(scid);
    hdr.push(0); // token length
    // Padding frames (zero bytes) up to the target size.
    let overhead = hdr.len() + 2 + pn_len + 16;
    if payload.len() + overhead < pad_to {
        payload.resize(pad_to - overhead, 0);
    }
    let len = pn_len + payload.len() + 16;
    hdr.extend(((len as u16) | 0x4000).to_be_bytes());
    let pn_off = hdr.len();
    hdr.extend((pn as u16).to_be_bytes());
    let mut nonce = k.iv;
    for (i, b) in pn.to_be_bytes().iter().enumerate() {
        nonce[4 + i] ^= b;
    }
    let aead = aes_gcm::Aes128Gcm::new_from_slice(&k.key).expect("key");
    let ct = aead
        .encrypt(
            (&nonce).into(),
            Payload {
                msg: &payload,
                aad: &hdr,
            },
        )
        .expect("encrypt");
    let mut pkt = hdr;
    pkt.extend(ct);
    // Header protection.
    use aes_gcm::aes::cipher::BlockCipherEncrypt;
    let hp = aes_gcm::aes::Aes128::new_from_slice(&k.hp).expect("hp");
    let sample: [u8; 16] = pkt[pn_off + 4..pn_off + 20].try_into().expect("sample");
    let mut block = sample.into();
    hp.encrypt_block(&mut block);
    let mask: [u8; 16] = block.into();
    pkt[0] ^= mask[0] & 0x0f;
    for i in 0..pn_len {
        pkt[pn_off + i] ^= mask[1 + i];
    }
    pkt
}

/// A client Initial with CRYPTO frames `(offset, data)` in the given order (PING and PADDING
/// interleaved), protected with the keys of `dcid`.
pub fn quic_initial(
    version: u32,
    dcid: &[u8],
    scid: &[u8],
    pn: u64,
    frames: &[(u64, Vec<u8>)],
    pad_to: usize,
) -> Vec<u8> {
    let mut plain = Vec::new();
    for (off, d) in frames {
        plain.push(0x06);
        plain.extend(varint(*off));
        plain.extend(varint(d.len() as u64));
        plain.extend(d);
        plain.push(0x01); // PING
        plain.extend([0, 0]); // PADDING
    }
    let t = if version == QUIC_V2 { 1 } else { 0 };
    protect(
        version,
        t,
        dcid,
        scid,
        pn,
        &plain,
        pad_to,
        &keys(version, dcid, true),
    )
}

/// A server Initial (an ACK frame): its presence is what shows the handshake was answered.
pub fn quic_server_initial(version: u32, client_scid: &[u8], server_scid: &[u8]) -> Vec<u8> {
    let t = if version == QUIC_V2 { 1 } else { 0 };
    let plain = [0x02, 0, 0, 0, 0];
    protect(
        version,
        t,
        client_scid,
        server_scid,
        0,
        &plain,
        0,
        &keys(version, client_scid, false),
    )
}

/// An HTTP/1.1 request.
pub fn http_request(method: &str, target: &str, host: &str) -> Vec<u8> {
    format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: testkit/1\r\n\r\n")
        .into_bytes()
}
