//! TLS handshakes: the ClientHello (SNI, ALPN, offered versions, ECH, post-quantum key share) from a
//! client stream that may span several records and segments, and the TLS ≤ 1.2 server flight
//! (ServerHello version, Certificate chain).

/// What a ClientHello says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hello {
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    /// Highest version offered (supported_versions when present, else legacy_version).
    pub version: u16,
    pub ech: bool,
    /// A post-quantum hybrid key share (X25519MLKEM768 0x11EC, or the older Kyber draft 0x6399).
    pub post_quantum: bool,
}

/// The outcome of looking at a stream's start.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress<T> {
    /// More bytes are needed.
    Need,
    Done(T),
    /// Not this protocol (or malformed beyond repair).
    No,
}

/// Largest ClientHello accepted.
pub const MAX_HELLO: usize = 16 * 1024;

/// Whether a stream starts like a TLS handshake record.
pub fn looks_like_tls(b: &[u8]) -> bool {
    b.len() >= 3 && b[0] == 22 && b[1] == 3 && b[2] <= 4
}

/// Collects the handshake bytes of the first records of a stream (type 22 only); returns them
/// and whether a non-handshake record ended the run.
fn handshake_bytes(b: &[u8], limit: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut off = 0;
    while off + 5 <= b.len() && out.len() < limit {
        if b[off] != 22 {
            return (out, true);
        }
        let l = u16::from_be_bytes([b[off + 3], b[off + 4]]) as usize;
        let end = (off + 5 + l).min(b.len());
        out.extend_from_slice(&b[off + 5..end]);
        off += 5 + l;
    }
    (out, false)
}

/// The ClientHello at the start of a client→server TCP stream.
pub fn client_hello_from_stream(b: &[u8]) -> Progress<Hello> {
    if b.len() < 3 {
        return if b.is_empty() || b[0] == 22 {
            Progress::Need
        } else {
            Progress::No
        };
    }
    if !looks_like_tls(b) {
        return Progress::No;
    }
    let (hs, _) = handshake_bytes(b, MAX_HELLO + 4);
    client_hello_from_handshake(&hs)
}

/// The ClientHello from handshake-layer bytes (also QUIC CRYPTO data).
pub fn client_hello_from_handshake(hs: &[u8]) -> Progress<Hello> {
    if hs.len() < 4 {
        return Progress::Need;
    }
    if hs[0] != 1 {
        return Progress::No;
    }
    let len = ((hs[1] as usize) << 16) | ((hs[2] as usize) << 8) | hs[3] as usize;
    if len > MAX_HELLO {
        return Progress::No;
    }
    if hs.len() < 4 + len {
        return Progress::Need;
    }
    match parse_client_hello(&hs[4..4 + len]) {
        Some(h) => Progress::Done(h),
        None => Progress::No,
    }
}

struct Cur<'a> {
    b: &'a [u8],
    o: usize,
}

impl<'a> Cur<'a> {
    fn u8(&mut self) -> Option<u8> {
        let v = *self.b.get(self.o)?;
        self.o += 1;
        Some(v)
    }
    fn u16(&mut self) -> Option<u16> {
        let v = u16::from_be_bytes([*self.b.get(self.o)?, *self.b.get(self.o + 1)?]);
        self.o += 2;
        Some(v)
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let v = self.b.get(self.o..self.o.checked_add(n)?)?;
        self.o += n;
        Some(v)
    }
}

fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Parses a ClientHello body (after the 4-byte handshake header).
pub fn parse_client_hello(b: &[u8]) -> Option<Hello> {
    let mut c = Cur { b, o: 0 };
    let legacy = c.u16()?;
    c.take(32)?;
    let sid = c.u8()? as usize;
    c.take(sid)?;
    let cs = c.u16()? as usize;
    c.take(cs)?;
    let comp = c.u8()? as usize;
    c.take(comp)?;
    let mut h = Hello {
        version: legacy,
        ..Default::default()
    };
    if c.o == b.len() {
        return Some(h);
    }
    let ext_len = c.u16()? as usize;
    let exts = c.take(ext_len.min(b.len() - c.o))?;
    let mut e = Cur { b: exts, o: 0 };
    while e.o + 4 <= exts.len() {
        let t = e.u16()?;
        let l = e.u16()? as usize;
        let Some(v) = e.take(l) else { break };
        match t {
            0 => {
                let mut s = Cur { b: v, o: 0 };
                let list = s.u16().unwrap_or(0) as usize;
                let end = (2 + list).min(v.len());
                while s.o + 3 <= end {
                    let nt = s.u8()?;
                    let nl = s.u16()? as usize;
                    let Some(n) = s.take(nl) else { break };
                    if nt == 0 && h.sni.is_none() {
                        h.sni = Some(sni_text(n));
                    }
                }
            }
            16 => {
                let mut s = Cur { b: v, o: 0 };
                let _ = s.u16();
                while let Some(l) = s.u8() {
                    let Some(p) = s.take(l as usize) else { break };
                    if h.alpn.len() < 16 {
                        h.alpn.push(String::from_utf8_lossy(p).into_owned());
                    }
                }
            }
            43 => {
                let mut s = Cur { b: v, o: 0 };
                let n = s.u8().unwrap_or(0) as usize / 2;
                for _ in 0..n {
                    let Some(ver) = s.u16() else { break };
                    if !is_grease(ver) && ver > h.version && ver <= 0x0304 {
                        h.version = ver;
                    }
                }
            }
            51 => {
                let mut s = Cur { b: v, o: 0 };
                let _ = s.u16();
                while let Some(g) = s.u16() {
                    let Some(kl) = s.u16() else { break };
                    if g == 0x11EC || g == 0x6399 || g == 0x11EB || g == 0x11ED {
                        h.post_quantum = true;
                    }
                    if s.take(kl as usize).is_none() {
                        break;
                    }
                }
            }
            0xfe0d => h.ech = true,
            _ => {}
        }
    }
    Some(h)
}

/// SNI bytes as text: lower-case, non-printable bytes escaped.
fn sni_text(n: &[u8]) -> String {
    let mut s = String::with_capacity(n.len());
    for &c in n.iter().take(255) {
        if c.is_ascii_graphic() {
            s.push(c.to_ascii_lowercase() as char);
        } else {
            s.push_str(&format!("\\{c:03}"));
        }
    }
    s
}

/// What the server flight of a TLS ≤ 1.2 handshake showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerFlight {
    /// Negotiated version (0 when no ServerHello was seen).
    pub version: u16,
    pub tls13: bool,
    /// DER certificates, leaf first.
    pub certificates: Vec<Vec<u8>>,
    /// The flight ended (ServerHelloDone, ChangeCipherSpec or an encrypted record).
    pub complete: bool,
}

/// Largest server flight read.
pub const MAX_SERVER_FLIGHT: usize = 64 * 1024;

/// Reads a server→client stream's handshake records.
pub fn server_flight(b: &[u8]) -> Progress<ServerFlight> {
    if b.len() < 5 {
        return Progress::Need;
    }
    if !looks_like_tls(b) {
        return Progress::No;
    }
    let (hs, ended) = handshake_bytes(b, MAX_SERVER_FLIGHT);
    let mut f = ServerFlight::default();
    let mut o = 0;
    while o + 4 <= hs.len() {
        let t = hs[o];
        let l = ((hs[o + 1] as usize) << 16) | ((hs[o + 2] as usize) << 8) | hs[o + 3] as usize;
        let Some(body) = hs.get(o + 4..o + 4 + l) else {
            break;
        };
        match t {
            2 => {
                let (v, tls13) = server_hello_version(body);
                f.version = v;
                f.tls13 = tls13;
                if tls13 {
                    f.complete = true;
                    return Progress::Done(f);
                }
            }
            11 => {
                f.certificates = certificate_list(body);
            }
            14 => {
                f.complete = true;
                return Progress::Done(f);
            }
            _ => {}
        }
        o += 4 + l;
    }
    if ended || b.len() >= MAX_SERVER_FLIGHT {
        f.complete = ended;
        return Progress::Done(f);
    }
    Progress::Need
}

fn server_hello_version(b: &[u8]) -> (u16, bool) {
    let mut c = Cur { b, o: 0 };
    let Some(legacy) = c.u16() else {
        return (0, false);
    };
    let parse = |c: &mut Cur<'_>| -> Option<u16> {
        c.take(32)?;
        let sid = c.u8()? as usize;
        c.take(sid)?;
        c.u16()?;
        c.u8()?;
        let el = c.u16()? as usize;
        let ext = c.take(el)?;
        let mut e = Cur { b: ext, o: 0 };
        while e.o + 4 <= ext.len() {
            let t = e.u16()?;
            let l = e.u16()? as usize;
            let v = e.take(l)?;
            if t == 43 && v.len() == 2 {
                return Some(u16::from_be_bytes([v[0], v[1]]));
            }
        }
        None
    };
    match parse(&mut c) {
        Some(v) => (v, v == 0x0304),
        None => (legacy, false),
    }
}

fn certificate_list(b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if b.len() < 3 {
        return out;
    }
    let total = ((b[0] as usize) << 16) | ((b[1] as usize) << 8) | b[2] as usize;
    let end = (3 + total).min(b.len());
    let mut o = 3;
    while o + 3 <= end && out.len() < 16 {
        let l = ((b[o] as usize) << 16) | ((b[o + 1] as usize) << 8) | b[o + 2] as usize;
        let Some(c) = b.get(o + 3..o + 3 + l) else {
            break;
        };
        out.push(c.to_vec());
        o += 3 + l;
    }
    out
}

/// The version as text.
pub fn version_name(v: u16) -> &'static str {
    match v {
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_and_foreign_streams() {
        assert_eq!(client_hello_from_stream(b""), Progress::Need);
        assert_eq!(client_hello_from_stream(b"\x16\x03"), Progress::Need);
        assert_eq!(client_hello_from_stream(b"GET / HTTP/1.1"), Progress::No);
        assert_eq!(
            client_hello_from_stream(b"\x16\x03\x01\x00\x05\x01\x00"),
            Progress::Need
        );
        // A ClientHello claiming more than the cap is refused.
        assert_eq!(
            client_hello_from_stream(b"\x16\x03\x01\x00\x05\x01\xff\xff\xff\x00"),
            Progress::No
        );
        assert!(is_grease(0x1a1a));
        assert!(!is_grease(0x0304));
    }
}
