//! DNS messages (RFC 1035), as found on UDP 53/5353/5355 and inside TCP streams: names with
//! compression (bounded jumps, backward pointers only), questions and the answers that name or
//! address something.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One answer record the checks use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub owner: String,
    pub rtype: u16,
    pub data: AnswerData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerData {
    Addr(IpAddr),
    /// CNAME/DNAME/HTTPS/SVCB/PTR/NS/MX target name.
    Name(String),
    /// HTTPS/SVCB with an `ech` parameter.
    NameEch(String),
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: u16,
    pub response: bool,
    pub rcode: u8,
    pub truncated: bool,
    /// `(name, qtype)`.
    pub questions: Vec<(String, u16)>,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("message shorter than its header")]
    Short,
    #[error("name runs past the message")]
    NameOverrun,
    #[error("compression pointer loop or forward pointer")]
    PointerLoop,
    #[error("label longer than 63 bytes or name longer than 255 bytes")]
    TooLong,
    #[error("record runs past the message")]
    RecordOverrun,
    #[error("unsupported label type")]
    LabelType,
}

/// Most questions and answers read per message.
const MAX_RECORDS: usize = 256;

/// Reads a name at `off`; returns it (lower-case, non-LDH bytes escaped as `\DDD`) and the offset
/// after it in the original position.
pub fn name(msg: &[u8], mut off: usize) -> Result<(String, usize), DnsError> {
    let mut out = String::new();
    let mut end = None;
    let mut jumps = 0;
    let mut total = 0usize;
    let mut floor = off;
    loop {
        let Some(&len) = msg.get(off) else {
            return Err(DnsError::NameOverrun);
        };
        match len & 0xc0 {
            0xc0 => {
                let Some(&lo) = msg.get(off + 1) else {
                    return Err(DnsError::NameOverrun);
                };
                let target = (((len & 0x3f) as usize) << 8) | lo as usize;
                if end.is_none() {
                    end = Some(off + 2);
                }
                jumps += 1;
                // Only backward pointers, strictly before the start of the current name part.
                if target >= floor || jumps > 64 {
                    return Err(DnsError::PointerLoop);
                }
                off = target;
                floor = target;
            }
            0x00 => {
                let l = len as usize;
                if l == 0 {
                    return Ok((out, end.unwrap_or(off + 1)));
                }
                if l > 63 {
                    return Err(DnsError::TooLong);
                }
                let Some(label) = msg.get(off + 1..off + 1 + l) else {
                    return Err(DnsError::NameOverrun);
                };
                total += l + 1;
                if total > 255 {
                    return Err(DnsError::TooLong);
                }
                if !out.is_empty() {
                    out.push('.');
                }
                for &c in label {
                    match c {
                        b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => out.push(c as char),
                        b'A'..=b'Z' => out.push(c.to_ascii_lowercase() as char),
                        _ => {
                            out.push('\\');
                            out.push_str(&format!("{c:03}"));
                        }
                    }
                }
                off += 1 + l;
            }
            _ => return Err(DnsError::LabelType),
        }
    }
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(o)?, *b.get(o + 1)?]))
}

pub fn parse(msg: &[u8]) -> Result<Message, DnsError> {
    if msg.len() < 12 {
        return Err(DnsError::Short);
    }
    let id = u16::from_be_bytes([msg[0], msg[1]]);
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    let qd = u16::from_be_bytes([msg[4], msg[5]]) as usize;
    let an = u16::from_be_bytes([msg[6], msg[7]]) as usize;
    let mut m = Message {
        id,
        response: flags & 0x8000 != 0,
        rcode: (flags & 0xf) as u8,
        truncated: flags & 0x0200 != 0,
        questions: Vec::new(),
        answers: Vec::new(),
    };
    let mut off = 12;
    for _ in 0..qd.min(MAX_RECORDS) {
        let (n, o) = name(msg, off)?;
        let qtype = u16_at(msg, o).ok_or(DnsError::RecordOverrun)?;
        u16_at(msg, o + 2).ok_or(DnsError::RecordOverrun)?;
        m.questions.push((n, qtype));
        off = o + 4;
    }
    for _ in 0..an.min(MAX_RECORDS) {
        let (owner, o) = name(msg, off)?;
        let rtype = u16_at(msg, o).ok_or(DnsError::RecordOverrun)?;
        let rdlen = u16_at(msg, o + 8).ok_or(DnsError::RecordOverrun)? as usize;
        let start = o + 10;
        let rd = msg
            .get(start..start + rdlen)
            .ok_or(DnsError::RecordOverrun)?;
        let data = match rtype {
            1 if rdlen == 4 => {
                AnswerData::Addr(IpAddr::V4(Ipv4Addr::new(rd[0], rd[1], rd[2], rd[3])))
            }
            28 if rdlen == 16 => {
                let a: [u8; 16] = rd.try_into().map_err(|_| DnsError::RecordOverrun)?;
                AnswerData::Addr(IpAddr::V6(Ipv6Addr::from(a)))
            }
            5 | 39 | 12 | 2 => name(msg, start).map(|(n, _)| AnswerData::Name(n))?,
            15 if rdlen > 2 => name(msg, start + 2).map(|(n, _)| AnswerData::Name(n))?,
            64 | 65 if rdlen > 2 => {
                // SvcPriority, TargetName (uncompressed), then SvcParams (key 5 = ech).
                let (t, after) = name(rd, 2).unwrap_or((String::new(), rd.len()));
                let mut ech = false;
                let mut p = after;
                while p + 4 <= rd.len() {
                    let key = u16::from_be_bytes([rd[p], rd[p + 1]]);
                    let l = u16::from_be_bytes([rd[p + 2], rd[p + 3]]) as usize;
                    if key == 5 {
                        ech = true;
                    }
                    p += 4 + l;
                }
                // An empty target ("." ) means the owner itself.
                let t = if t.is_empty() { owner.clone() } else { t };
                if ech {
                    AnswerData::NameEch(t)
                } else {
                    AnswerData::Name(t)
                }
            }
            _ => AnswerData::Other,
        };
        m.answers.push(Answer { owner, rtype, data });
        off = start + rdlen;
    }
    Ok(m)
}

/// The name of a query type, for records.
pub fn qtype_name(t: u16) -> String {
    match t {
        1 => "A".into(),
        2 => "NS".into(),
        5 => "CNAME".into(),
        6 => "SOA".into(),
        12 => "PTR".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        39 => "DNAME".into(),
        64 => "SVCB".into(),
        65 => "HTTPS".into(),
        255 => "ANY".into(),
        n => format!("TYPE{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_loops_are_refused() {
        // Header + a name that points to itself.
        let mut m = vec![0u8; 12];
        m[5] = 1;
        m.extend([0xc0, 12, 0, 1, 0, 1]);
        assert_eq!(parse(&m), Err(DnsError::PointerLoop));
        // Two pointers pointing at each other.
        let mut m = vec![0u8; 12];
        m[5] = 1;
        m.extend([0xc0, 14, 0xc0, 12, 0, 1, 0, 1]);
        assert!(parse(&m).is_err());
    }

    #[test]
    fn odd_bytes_are_escaped_and_case_folded() {
        let mut m = vec![0u8; 12];
        m[5] = 1;
        m.extend([3, b'E', b'v', 0xff, 3, b'c', b'o', b'm', 0, 0, 1, 0, 1]);
        let p = parse(&m).unwrap();
        assert_eq!(p.questions[0].0, "ev\\255.com");
    }

    #[test]
    fn overlong_labels_are_refused() {
        let mut m = vec![0u8; 12];
        m[5] = 1;
        for _ in 0..5 {
            m.push(63);
            m.extend([b'a'; 63]);
        }
        m.extend([0, 0, 1, 0, 1]);
        assert_eq!(parse(&m), Err(DnsError::TooLong));
        // 64 is not a length (its top bits make it an extended label type).
        let mut m = vec![0u8; 12];
        m[5] = 1;
        m.push(64);
        m.extend([b'a'; 64]);
        m.extend([0, 0, 1, 0, 1]);
        assert_eq!(parse(&m), Err(DnsError::LabelType));
    }
}
