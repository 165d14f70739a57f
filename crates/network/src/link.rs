//! Link layers down to the IP packet, and the IP and transport headers. The IP packet is always
//! bounded by its own length field, which drops Ethernet padding, an FCS or PCAPdroid's trailer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const LINKTYPE_NULL: u32 = 0;
pub const LINKTYPE_ETHERNET: u32 = 1;
pub const LINKTYPE_RAW: u32 = 101;
pub const LINKTYPE_LOOP: u32 = 108;
pub const LINKTYPE_IEEE802_11: u32 = 105;
pub const LINKTYPE_LINUX_SLL: u32 = 113;
pub const LINKTYPE_RADIOTAP: u32 = 127;
pub const LINKTYPE_IPV4: u32 = 228;
pub const LINKTYPE_IPV6: u32 = 229;
pub const LINKTYPE_LINUX_SLL2: u32 = 276;

/// The name of a link type, for coverage.
pub fn linktype_name(lt: u32) -> String {
    match lt {
        0 => "NULL".into(),
        1 => "ETHERNET".into(),
        12 | 14 | 101 => "RAW".into(),
        105 => "IEEE802_11".into(),
        108 => "LOOP".into(),
        113 => "LINUX_SLL".into(),
        127 => "IEEE802_11_RADIOTAP".into(),
        228 => "IPV4".into(),
        229 => "IPV6".into(),
        276 => "LINUX_SLL2".into(),
        n => format!("link type {n}"),
    }
}

/// Why a frame did not give an IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotIp {
    /// ARP, LLDP, 802.11 management … (not counted as a problem).
    Other,
    /// A protected (encrypted) 802.11 data frame.
    Protected,
    /// The link type is not supported.
    Unsupported,
    /// Too short for its headers.
    Short,
}

/// The IP packet inside a frame.
pub fn ip_of(linktype: u32, d: &[u8]) -> Result<&[u8], NotIp> {
    match linktype {
        LINKTYPE_ETHERNET => ether(d),
        12 | 14 | LINKTYPE_RAW | LINKTYPE_IPV4 | LINKTYPE_IPV6 => Ok(d),
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            if d.len() < 4 {
                return Err(NotIp::Short);
            }
            let af_le = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
            let af_be = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
            let af = if linktype == LINKTYPE_LOOP {
                af_be
            } else if af_le < 256 {
                af_le
            } else {
                af_be
            };
            match af {
                2 | 24 | 28 | 30 => Ok(&d[4..]),
                _ => Err(NotIp::Other),
            }
        }
        LINKTYPE_LINUX_SLL => {
            if d.len() < 16 {
                return Err(NotIp::Short);
            }
            ethertype(u16::from_be_bytes([d[14], d[15]]), &d[16..])
        }
        LINKTYPE_LINUX_SLL2 => {
            if d.len() < 20 {
                return Err(NotIp::Short);
            }
            ethertype(u16::from_be_bytes([d[0], d[1]]), &d[20..])
        }
        LINKTYPE_RADIOTAP => {
            if d.len() < 8 {
                return Err(NotIp::Short);
            }
            let len = u16::from_le_bytes([d[2], d[3]]) as usize;
            if len < 8 || len > d.len() {
                return Err(NotIp::Short);
            }
            if radiotap_bad_fcs(d, len) {
                return Err(NotIp::Other);
            }
            wifi(&d[len..])
        }
        LINKTYPE_IEEE802_11 => wifi(d),
        _ => Err(NotIp::Unsupported),
    }
}

/// Whether the radiotap Flags field (present bit 1) says "bad FCS" (0x40). The Flags field follows
/// TSFT (bit 0, 8 bytes aligned to 8) when present.
fn radiotap_bad_fcs(d: &[u8], len: usize) -> bool {
    let present = u32::from_le_bytes([d[4], d[5], d[6], d[7]]);
    if present & 0b10 == 0 {
        return false;
    }
    // Skip extended bitmaps.
    let mut off = 8;
    let mut p = present;
    while p & 0x8000_0000 != 0 {
        if off + 4 > len {
            return false;
        }
        p = u32::from_le_bytes([d[off], d[off + 1], d[off + 2], d[off + 3]]);
        off += 4;
    }
    if present & 1 != 0 {
        off = (off + 7) & !7;
        off += 8;
    }
    off < len && d[off] & 0x40 != 0
}

fn ether(d: &[u8]) -> Result<&[u8], NotIp> {
    if d.len() < 14 {
        return Err(NotIp::Short);
    }
    ethertype(u16::from_be_bytes([d[12], d[13]]), &d[14..])
}

fn ethertype(mut et: u16, mut d: &[u8]) -> Result<&[u8], NotIp> {
    for _ in 0..4 {
        match et {
            0x0800 | 0x86DD => return Ok(d),
            0x8100 | 0x88A8 | 0x9100 => {
                if d.len() < 4 {
                    return Err(NotIp::Short);
                }
                et = u16::from_be_bytes([d[2], d[3]]);
                d = &d[4..];
            }
            0x8864 => {
                if d.len() < 8 {
                    return Err(NotIp::Short);
                }
                return match u16::from_be_bytes([d[6], d[7]]) {
                    0x0021 | 0x0057 => Ok(&d[8..]),
                    _ => Err(NotIp::Other),
                };
            }
            _ => return Err(NotIp::Other),
        }
    }
    Err(NotIp::Other)
}

/// An 802.11 frame: data frames only; protected frames are refused (and counted by the caller).
fn wifi(d: &[u8]) -> Result<&[u8], NotIp> {
    if d.len() < 24 {
        return Err(NotIp::Short);
    }
    let fc0 = d[0];
    let fc1 = d[1];
    let ftype = (fc0 >> 2) & 3;
    let subtype = fc0 >> 4;
    if ftype != 2 {
        return Err(NotIp::Other);
    }
    if fc1 & 0x40 != 0 {
        return Err(NotIp::Protected);
    }
    if subtype & 0x4 != 0 {
        // Null data: no body.
        return Err(NotIp::Other);
    }
    let mut hdr = 24;
    if fc1 & 3 == 3 {
        hdr += 6;
    }
    let qos = subtype & 0x8 != 0;
    let mut amsdu = false;
    if qos {
        if d.len() < hdr + 2 {
            return Err(NotIp::Short);
        }
        amsdu = d[hdr] & 0x80 != 0;
        hdr += 2;
        if fc1 & 0x80 != 0 {
            hdr += 4;
        }
    }
    if d.len() < hdr {
        return Err(NotIp::Short);
    }
    let mut body = &d[hdr..];
    if amsdu {
        // First subframe only: DA, SA, length, then LLC.
        if body.len() < 14 {
            return Err(NotIp::Short);
        }
        let l = u16::from_be_bytes([body[12], body[13]]) as usize;
        body = &body[14..];
        if l < body.len() {
            body = &body[..l];
        }
    }
    if body.len() < 8 || body[..6] != [0xAA, 0xAA, 0x03, 0, 0, 0] {
        return Err(NotIp::Other);
    }
    ethertype(u16::from_be_bytes([body[6], body[7]]), &body[8..])
}

/// An IP packet's header facts and its transport payload.
#[derive(Debug, Clone, Copy)]
pub struct Ip<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub payload: &'a [u8],
    /// A fragment: the first one carries the transport header; later ones are skipped.
    pub fragment: Fragment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragment {
    No,
    First,
    Later,
}

/// Why an IP packet was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadIp {
    Short,
    Version,
}

pub fn ip(d: &[u8]) -> Result<Ip<'_>, BadIp> {
    if d.is_empty() {
        return Err(BadIp::Short);
    }
    match d[0] >> 4 {
        4 => {
            if d.len() < 20 {
                return Err(BadIp::Short);
            }
            let ihl = (d[0] & 0xf) as usize * 4;
            let total = u16::from_be_bytes([d[2], d[3]]) as usize;
            if ihl < 20 || total < ihl || d.len() < ihl {
                return Err(BadIp::Short);
            }
            // Bound by the total length (drops padding and trailers); a snaplen cut keeps what is there.
            let end = total.min(d.len());
            let flags_off = u16::from_be_bytes([d[6], d[7]]);
            let more = flags_off & 0x2000 != 0;
            let off = flags_off & 0x1fff;
            let fragment = match (more, off) {
                (false, 0) => Fragment::No,
                (true, 0) => Fragment::First,
                _ => Fragment::Later,
            };
            Ok(Ip {
                src: IpAddr::V4(Ipv4Addr::new(d[12], d[13], d[14], d[15])),
                dst: IpAddr::V4(Ipv4Addr::new(d[16], d[17], d[18], d[19])),
                proto: d[9],
                payload: &d[ihl..end],
                fragment,
            })
        }
        6 => {
            if d.len() < 40 {
                return Err(BadIp::Short);
            }
            let plen = u16::from_be_bytes([d[4], d[5]]) as usize;
            let end = (40 + plen).min(d.len());
            let mut next = d[6];
            let src: [u8; 16] = d[8..24].try_into().map_err(|_| BadIp::Short)?;
            let dst: [u8; 16] = d[24..40].try_into().map_err(|_| BadIp::Short)?;
            let mut p = &d[40..end];
            let mut fragment = Fragment::No;
            for _ in 0..8 {
                match next {
                    0 | 43 | 60 => {
                        if p.len() < 8 {
                            return Err(BadIp::Short);
                        }
                        let l = (p[1] as usize + 1) * 8;
                        if p.len() < l {
                            return Err(BadIp::Short);
                        }
                        next = p[0];
                        p = &p[l..];
                    }
                    51 => {
                        if p.len() < 8 {
                            return Err(BadIp::Short);
                        }
                        let l = (p[1] as usize + 2) * 4;
                        if p.len() < l {
                            return Err(BadIp::Short);
                        }
                        next = p[0];
                        p = &p[l..];
                    }
                    44 => {
                        if p.len() < 8 {
                            return Err(BadIp::Short);
                        }
                        let fo = u16::from_be_bytes([p[2], p[3]]);
                        fragment = match (fo & 1 != 0, fo >> 3) {
                            (false, 0) => Fragment::No,
                            (true, 0) => Fragment::First,
                            _ => Fragment::Later,
                        };
                        next = p[0];
                        p = &p[8..];
                    }
                    _ => break,
                }
            }
            Ok(Ip {
                src: IpAddr::V6(Ipv6Addr::from(src)),
                dst: IpAddr::V6(Ipv6Addr::from(dst)),
                proto: next,
                payload: p,
                fragment,
            })
        }
        _ => Err(BadIp::Version),
    }
}

/// A TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct Tcp<'a> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub flags: u8,
    pub payload: &'a [u8],
}

pub const SYN: u8 = 0x02;
pub const FIN: u8 = 0x01;
pub const RST: u8 = 0x04;
pub const ACK: u8 = 0x10;

pub fn tcp(d: &[u8]) -> Option<Tcp<'_>> {
    if d.len() < 20 {
        return None;
    }
    let off = (d[12] >> 4) as usize * 4;
    if off < 20 || off > d.len() {
        return None;
    }
    Some(Tcp {
        sport: u16::from_be_bytes([d[0], d[1]]),
        dport: u16::from_be_bytes([d[2], d[3]]),
        seq: u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
        flags: d[13],
        payload: &d[off..],
    })
}

/// A UDP datagram: ports and payload (bounded by the UDP length).
pub fn udp(d: &[u8]) -> Option<(u16, u16, &[u8])> {
    if d.len() < 8 {
        return None;
    }
    let len = u16::from_be_bytes([d[4], d[5]]) as usize;
    let end = if len >= 8 { len.min(d.len()) } else { d.len() };
    Some((
        u16::from_be_bytes([d[0], d[1]]),
        u16::from_be_bytes([d[2], d[3]]),
        &d[8..end],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlan_qinq_and_pppoe() {
        let mut f = vec![0u8; 12];
        f.extend([0x88, 0xA8, 0, 1, 0x81, 0x00, 0, 2, 0x08, 0x00]);
        f.extend([0x45, 0, 0, 20]);
        assert_eq!(ip_of(1, &f).unwrap(), &[0x45, 0, 0, 20]);
        let mut p = vec![0u8; 12];
        p.extend([0x88, 0x64, 0x11, 0, 0, 1, 0, 4, 0x00, 0x21, 0x45]);
        assert_eq!(ip_of(1, &p).unwrap(), &[0x45]);
        assert_eq!(ip_of(1, &[0; 5]), Err(NotIp::Short));
        assert_eq!(ip_of(999, &[0; 50]), Err(NotIp::Unsupported));
    }

    #[test]
    fn short_headers_are_refused() {
        assert!(ip(&[0x45; 10]).is_err());
        assert!(ip(&[0x60; 39]).is_err());
        assert!(tcp(&[0; 19]).is_none());
        assert!(udp(&[0; 7]).is_none());
        let mut t = vec![0u8; 20];
        t[12] = 0xf0; // data offset 60 > length
        assert!(tcp(&t).is_none());
    }
}
