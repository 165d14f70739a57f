//! Streaming reader of classic pcap and pcapng files from any `Read` (stdin and pipes included; no
//! mmap). Every length read from the file is checked before use; the buffer grows to the largest
//! record, bounded by [`MAX_BLOCK`].

use std::io::{self, Read};

/// Largest classic pcap record accepted (a larger `incl_len` is corruption).
pub const MAX_PCAP_RECORD: usize = 256 * 1024;
/// Largest pcapng block accepted.
pub const MAX_BLOCK: usize = 64 * 1024 * 1024;
const CHUNK: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("read error at offset {offset}: {source}")]
    Io { offset: u64, source: io::Error },
    #[error("corrupt capture at offset {offset}: {message}")]
    Corrupt { offset: u64, message: String },
    #[error("not a capture: {0}")]
    NotCapture(String),
}

/// One packet of a capture.
#[derive(Debug)]
pub struct Packet<'a> {
    /// 1-based frame number, as Wireshark counts.
    pub frame: u64,
    /// Interface (pcapng: numbered across sections; pcap: 0).
    pub iface: u32,
    pub linktype: u32,
    /// Nanoseconds since the Unix epoch; `None` for Simple Packet Blocks.
    pub ts_ns: Option<i64>,
    pub data: &'a [u8],
    pub orig_len: u32,
}

/// A buffered source that can expose `n` contiguous bytes.
pub struct Source<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// Bytes consumed before `buf[pos]`.
    offset: u64,
    pub bytes_read: u64,
}

impl<R: Read> Source<R> {
    pub fn new(r: R) -> Self {
        Source {
            r,
            buf: vec![0; CHUNK],
            pos: 0,
            end: 0,
            eof: false,
            offset: 0,
            bytes_read: 0,
        }
    }
    pub fn offset(&self) -> u64 {
        self.offset
    }
    /// Makes `n` bytes available from the current position; false at end of input.
    pub fn ensure(&mut self, n: usize) -> Result<bool, CaptureError> {
        while self.end - self.pos < n {
            if self.eof {
                return Ok(false);
            }
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            }
            if self.buf.len() < n {
                self.buf.resize(n.next_power_of_two().max(CHUNK), 0);
            }
            let want = self.buf.len();
            match self.r.read(&mut self.buf[self.end..want]) {
                Ok(0) => self.eof = true,
                Ok(k) => {
                    self.end += k;
                    self.bytes_read += k as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(CaptureError::Io {
                        offset: self.offset + (self.end - self.pos) as u64,
                        source: e,
                    });
                }
            }
        }
        Ok(true)
    }
    pub fn peek(&self, n: usize) -> &[u8] {
        &self.buf[self.pos..self.pos + n]
    }
    pub fn available(&self) -> usize {
        self.end - self.pos
    }
    pub fn consume(&mut self, n: usize) {
        self.pos += n;
        self.offset += n as u64;
    }
    /// Reads whatever is left (for counting the bytes of a cut-off tail).
    pub fn drain(&mut self) -> u64 {
        let mut n = (self.end - self.pos) as u64;
        self.pos = self.end;
        let mut tmp = vec![0u8; 64 * 1024];
        loop {
            match self.r.read(&mut tmp) {
                Ok(0) | Err(_) => break,
                Ok(k) => {
                    n += k as u64;
                    self.bytes_read += k as u64;
                }
            }
        }
        n
    }
}

fn u16_at(b: &[u8], be: bool) -> u16 {
    let a = [b[0], b[1]];
    if be {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}
fn u32_at(b: &[u8], be: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if be {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

/// Per-interface facts of a pcapng section.
#[derive(Debug, Clone)]
struct Iface {
    linktype: u32,
    snaplen: u32,
    /// Timestamp unit: units per second is 10^n or 2^n.
    tsresol: (bool, u8),
    tsoffset: i64,
    global: u32,
}

#[derive(Debug)]
enum Format {
    Pcap {
        be: bool,
        nanos: bool,
        linktype: u32,
    },
    Pcapng {
        be: bool,
        ifaces: Vec<Iface>,
    },
}

/// Counters of what the reader saw (for coverage).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ReaderStats {
    pub packets: u64,
    pub truncated_packets: u64,
    pub sections: u64,
    pub interfaces: u64,
    /// `(global interface number, link type)` of each interface.
    pub linktypes: Vec<(u32, u32)>,
    /// Drops reported by Interface Statistics Blocks and Enhanced/obsolete Packet Blocks.
    pub isb_drops: u64,
    pub dsb_blocks: u64,
    pub dsb_types: Vec<u32>,
    pub nrb_blocks: u64,
    pub other_blocks: u64,
    pub spb_packets: u64,
    /// Offset and bytes of a cut-off final record, when the capture ends inside one.
    pub cut_tail: Option<(u64, u64)>,
}

/// Reads packets one by one.
pub struct PacketReader<R> {
    src: Source<R>,
    format: Format,
    frame: u64,
    next_iface: u32,
    last_ts: Option<i64>,
    pub stats: ReaderStats,
}

pub const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
pub const PCAPNG_BOM: u32 = 0x1A2B_3C4D;

/// Whether the first bytes are a pcap or pcapng header.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.len() < 4 {
        return None;
    }
    match [head[0], head[1], head[2], head[3]] {
        [0xd4, 0xc3, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0xc3, 0xd4]
        | [0x4d, 0x3c, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0x3c, 0x4d] => Some("pcap"),
        [0x0a, 0x0d, 0x0d, 0x0a] => Some("pcapng"),
        _ => None,
    }
}

impl<R: Read> PacketReader<R> {
    pub fn new(mut src: Source<R>) -> Result<Self, CaptureError> {
        if !src.ensure(4)? {
            return Err(CaptureError::NotCapture(
                "empty or shorter than 4 bytes".into(),
            ));
        }
        let m = src.peek(4).to_vec();
        let format = match [m[0], m[1], m[2], m[3]] {
            [0x0a, 0x0d, 0x0d, 0x0a] => Format::Pcapng {
                be: false,
                ifaces: Vec::new(),
            },
            [0x34, 0xcd, 0xb2, 0xa1] | [0xa1, 0xb2, 0xcd, 0x34] => {
                return Err(CaptureError::NotCapture(
                    "modified (Kuznetzov) pcap format is not supported: convert it with editcap"
                        .into(),
                ));
            }
            _ => {
                let (be, nanos) = match [m[0], m[1], m[2], m[3]] {
                    [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
                    [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
                    [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
                    [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
                    _ => return Err(CaptureError::NotCapture("no pcap or pcapng magic".into())),
                };
                if !src.ensure(24)? {
                    return Err(CaptureError::Corrupt {
                        offset: 0,
                        message: "pcap file header cut off".into(),
                    });
                }
                let h = src.peek(24);
                let linktype = u32_at(&h[20..], be) & 0xffff;
                src.consume(24);
                Format::Pcap {
                    be,
                    nanos,
                    linktype,
                }
            }
        };
        let mut stats = ReaderStats::default();
        if let Format::Pcap { linktype, .. } = format {
            stats.interfaces = 1;
            stats.linktypes.push((0, linktype));
        }
        Ok(PacketReader {
            src,
            format,
            frame: 0,
            next_iface: 0,
            last_ts: None,
            stats,
        })
    }

    pub fn format_name(&self) -> &'static str {
        match self.format {
            Format::Pcap { .. } => "pcap",
            Format::Pcapng { .. } => "pcapng",
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.src.bytes_read
    }

    fn cut(&mut self) {
        let off = self.src.offset();
        let n = self.src.drain();
        if n > 0 {
            self.stats.cut_tail = Some((off, n));
        }
    }

    /// The next packet; `Ok(None)` at the end (a cut-off final record ends the file and is recorded
    /// in [`ReaderStats::cut_tail`]).
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        match self.format {
            Format::Pcap { .. } => self.next_pcap(),
            Format::Pcapng { .. } => self.next_pcapng(),
        }
    }

    fn next_pcap(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        let Format::Pcap {
            be,
            nanos,
            linktype,
        } = self.format
        else {
            unreachable!()
        };
        if !self.src.ensure(16)? {
            self.cut();
            return Ok(None);
        }
        let h = self.src.peek(16);
        let sec = u32_at(h, be) as i64;
        let frac = u32_at(&h[4..], be) as i64;
        let incl = u32_at(&h[8..], be) as usize;
        let orig = u32_at(&h[12..], be);
        if incl > MAX_PCAP_RECORD {
            return Err(CaptureError::Corrupt {
                offset: self.src.offset(),
                message: format!(
                    "record length {incl} is over {MAX_PCAP_RECORD} bytes (frame {})",
                    self.frame + 1
                ),
            });
        }
        if !self.src.ensure(16 + incl)? {
            self.cut();
            return Ok(None);
        }
        self.src.consume(16);
        let ts = sec * 1_000_000_000 + if nanos { frac } else { frac * 1000 };
        self.frame += 1;
        self.stats.packets += 1;
        if (incl as u32) < orig {
            self.stats.truncated_packets += 1;
        }
        let start = self.src.pos;
        self.src.consume(incl);
        Ok(Some(Packet {
            frame: self.frame,
            iface: 0,
            linktype,
            ts_ns: Some(ts),
            data: &self.src.buf[start..start + incl],
            orig_len: orig,
        }))
    }

    fn next_pcapng(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        loop {
            if !self.src.ensure(12)? {
                if self.src.available() > 0 {
                    self.cut();
                }
                return Ok(None);
            }
            let off = self.src.offset();
            let h = self.src.peek(12).to_vec();
            let raw_type = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            let be = if raw_type == PCAPNG_SHB {
                let bom = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
                if bom == PCAPNG_BOM {
                    false
                } else if bom.swap_bytes() == PCAPNG_BOM {
                    true
                } else {
                    return Err(CaptureError::Corrupt {
                        offset: off,
                        message: "section header with an unknown byte-order magic".into(),
                    });
                }
            } else {
                match &self.format {
                    Format::Pcapng { be, .. } => *be,
                    _ => unreachable!(),
                }
            };
            let btype = u32_at(&h, be);
            let len = u32_at(&h[4..], be) as usize;
            if len < 12 || !len.is_multiple_of(4) || len > MAX_BLOCK {
                return Err(CaptureError::Corrupt {
                    offset: off,
                    message: format!("block of type {btype:#x} with invalid length {len}"),
                });
            }
            if !self.src.ensure(len)? {
                self.cut();
                return Ok(None);
            }
            let b = self.src.peek(len);
            if u32_at(&b[len - 4..], be) as usize != len {
                return Err(CaptureError::Corrupt {
                    offset: off,
                    message: format!("block of type {btype:#x}: trailing length differs"),
                });
            }
            let body_start = self.src.pos + 8;
            let body_len = len - 12;
            match btype {
                PCAPNG_SHB => {
                    if let Format::Pcapng { be: fbe, ifaces } = &mut self.format {
                        *fbe = be;
                        ifaces.clear();
                    }
                    self.stats.sections += 1;
                    self.src.consume(len);
                }
                1 => {
                    let body = &self.src.buf[body_start..body_start + body_len];
                    if body.len() < 8 {
                        return Err(CaptureError::Corrupt {
                            offset: off,
                            message: "interface description block too short".into(),
                        });
                    }
                    let linktype = u16_at(body, be) as u32;
                    let snaplen = u32_at(&body[4..], be);
                    let mut iface = Iface {
                        linktype,
                        snaplen,
                        tsresol: (false, 6),
                        tsoffset: 0,
                        global: self.next_iface,
                    };
                    for (code, val) in options(&body[8..], be) {
                        match code {
                            9 if !val.is_empty() => {
                                iface.tsresol = (val[0] & 0x80 != 0, val[0] & 0x7f);
                            }
                            14 if val.len() >= 8 => {
                                let a: [u8; 8] = val[..8].try_into().unwrap_or([0; 8]);
                                iface.tsoffset = if be {
                                    i64::from_be_bytes(a)
                                } else {
                                    i64::from_le_bytes(a)
                                };
                            }
                            _ => {}
                        }
                    }
                    self.next_iface += 1;
                    self.stats.interfaces += 1;
                    self.stats.linktypes.push((iface.global, linktype));
                    if let Format::Pcapng { ifaces, .. } = &mut self.format
                        && ifaces.len() < 65_536
                    {
                        ifaces.push(iface);
                    }
                    self.src.consume(len);
                }
                6 | 2 | 3 => {
                    let body = &self.src.buf[body_start..body_start + body_len];
                    let Format::Pcapng { ifaces, .. } = &self.format else {
                        unreachable!()
                    };
                    let (ifid, ts_raw, cap, orig, data_off) = match btype {
                        6 => {
                            if body.len() < 20 {
                                return Err(CaptureError::Corrupt {
                                    offset: off,
                                    message: "enhanced packet block too short".into(),
                                });
                            }
                            let hi = u32_at(&body[4..], be) as u64;
                            let lo = u32_at(&body[8..], be) as u64;
                            (
                                u32_at(body, be) as usize,
                                Some((hi << 32) | lo),
                                u32_at(&body[12..], be) as usize,
                                u32_at(&body[16..], be),
                                20,
                            )
                        }
                        2 => {
                            if body.len() < 20 {
                                return Err(CaptureError::Corrupt {
                                    offset: off,
                                    message: "packet block too short".into(),
                                });
                            }
                            let drops = u16_at(&body[2..], be);
                            self.stats.isb_drops += drops as u64;
                            let hi = u32_at(&body[4..], be) as u64;
                            let lo = u32_at(&body[8..], be) as u64;
                            (
                                u16_at(body, be) as usize,
                                Some((hi << 32) | lo),
                                u32_at(&body[12..], be) as usize,
                                u32_at(&body[16..], be),
                                20,
                            )
                        }
                        _ => {
                            if body.len() < 4 {
                                return Err(CaptureError::Corrupt {
                                    offset: off,
                                    message: "simple packet block too short".into(),
                                });
                            }
                            let orig = u32_at(body, be);
                            let snap = ifaces.first().map(|i| i.snaplen).unwrap_or(0);
                            let mut cap = orig as usize;
                            if snap > 0 {
                                cap = cap.min(snap as usize);
                            }
                            cap = cap.min(body.len() - 4);
                            (0, None, cap, orig, 4)
                        }
                    };
                    let Some(iface) = ifaces.get(ifid) else {
                        return Err(CaptureError::Corrupt {
                            offset: off,
                            message: format!("packet on undeclared interface {ifid}"),
                        });
                    };
                    if data_off + cap > body.len() {
                        return Err(CaptureError::Corrupt {
                            offset: off,
                            message: format!("captured length {cap} is over the block's length"),
                        });
                    }
                    let ts_ns = match ts_raw {
                        Some(t) => Some(to_ns(t, iface.tsresol, iface.tsoffset)),
                        None => self.last_ts,
                    };
                    if btype == 3 {
                        self.stats.spb_packets += 1;
                    }
                    if btype == 6 {
                        let opt_start = data_off + ((cap + 3) & !3);
                        if opt_start <= body.len() {
                            for (code, val) in options(&body[opt_start..], be) {
                                if code == 4 && val.len() >= 8 {
                                    let a: [u8; 8] = val[..8].try_into().unwrap_or([0; 8]);
                                    self.stats.isb_drops += if be {
                                        u64::from_be_bytes(a)
                                    } else {
                                        u64::from_le_bytes(a)
                                    };
                                }
                            }
                        }
                    }
                    self.last_ts = ts_ns;
                    let linktype = iface.linktype;
                    let global = iface.global;
                    self.frame += 1;
                    self.stats.packets += 1;
                    if (cap as u32) < orig {
                        self.stats.truncated_packets += 1;
                    }
                    let start = body_start + data_off;
                    self.src.consume(len);
                    return Ok(Some(Packet {
                        frame: self.frame,
                        iface: global,
                        linktype,
                        ts_ns,
                        data: &self.src.buf[start..start + cap],
                        orig_len: orig,
                    }));
                }
                5 => {
                    // Interface Statistics Block: isb_ifdrop (option 5).
                    let body = &self.src.buf[body_start..body_start + body_len];
                    if body.len() >= 12 {
                        for (code, val) in options(&body[12..], be) {
                            if code == 5 && val.len() >= 8 {
                                let a: [u8; 8] = val[..8].try_into().unwrap_or([0; 8]);
                                self.stats.isb_drops += if be {
                                    u64::from_be_bytes(a)
                                } else {
                                    u64::from_le_bytes(a)
                                };
                            }
                        }
                    }
                    self.src.consume(len);
                }
                0x0A => {
                    let body = &self.src.buf[body_start..body_start + body_len];
                    self.stats.dsb_blocks += 1;
                    if body.len() >= 4 {
                        let t = u32_at(body, be);
                        if !self.stats.dsb_types.contains(&t) && self.stats.dsb_types.len() < 16 {
                            self.stats.dsb_types.push(t);
                        }
                    }
                    self.src.consume(len);
                }
                4 => {
                    self.stats.nrb_blocks += 1;
                    self.src.consume(len);
                }
                _ => {
                    self.stats.other_blocks += 1;
                    self.src.consume(len);
                }
            }
        }
    }
}

/// Options of a pcapng block: `(code, value)` until `opt_endofopt` or the end.
fn options(mut b: &[u8], be: bool) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if b.len() < 4 {
            return None;
        }
        let code = u16_at(b, be);
        let len = u16_at(&b[2..], be) as usize;
        if code == 0 || 4 + len > b.len() {
            return None;
        }
        let v = &b[4..4 + len];
        let adv = (4 + len + 3) & !3;
        b = if adv <= b.len() { &b[adv..] } else { &[] };
        Some((code, v))
    })
}

/// A pcapng timestamp in interface units to nanoseconds since the epoch.
fn to_ns(t: u64, (pow2, n): (bool, u8), offset: i64) -> i64 {
    let ns: i128 = if pow2 {
        if n >= 64 {
            0
        } else {
            (t as i128 * 1_000_000_000) >> n
        }
    } else if n <= 9 {
        t as i128 * 10i128.pow(9 - n as u32)
    } else if n <= 38 {
        t as i128 / 10i128.pow(n as u32 - 9)
    } else {
        0
    };
    let ns = ns + offset as i128 * 1_000_000_000;
    ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsresol_units() {
        assert_eq!(to_ns(5, (false, 6), 0), 5_000);
        assert_eq!(to_ns(5, (false, 9), 0), 5);
        assert_eq!(to_ns(1 << 20, (true, 20), 1), 2_000_000_000);
        assert_eq!(to_ns(123_456_789_012, (false, 12), 0), 123_456_789);
    }

    #[test]
    fn empty_and_garbage() {
        assert!(PacketReader::new(Source::new(&b""[..])).is_err());
        assert!(PacketReader::new(Source::new(&b"hello world"[..])).is_err());
    }
}
