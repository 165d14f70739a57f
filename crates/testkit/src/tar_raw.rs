//! A raw tar writer: headers written byte by byte, so that tests can plant what the `tar` crate refuses
//! to write (absolute member names, `..`, device nodes, sparse members, oversized extension headers) as
//! well as the usual GNU long names and PAX records (sub-second times, long paths).

use std::io::Write;

/// One member to write.
#[derive(Debug, Clone)]
pub struct Member {
    /// The name as stored (nothing is normalised).
    pub name: String,
    /// Type flag: `b'0'` file, `b'5'` folder, `b'2'` symbolic link, `b'1'` hard link, `b'3'`/`b'4'`
    /// devices, `b'6'` FIFO …
    pub typeflag: u8,
    pub data: Vec<u8>,
    pub mtime: i64,
    /// Sub-second part of the time (written as a PAX `mtime` record when non-zero).
    pub nanos: u32,
    pub mode: u32,
    pub link: String,
    /// Write the name as a PAX `path` record instead of a GNU long name when it does not fit.
    pub pax_names: bool,
}

impl Member {
    pub fn file(name: &str, data: &[u8], mtime: i64) -> Member {
        Member {
            name: name.into(),
            typeflag: b'0',
            data: data.to_vec(),
            mtime,
            nanos: 0,
            mode: 0o644,
            link: String::new(),
            pax_names: false,
        }
    }
    pub fn dir(name: &str, mtime: i64) -> Member {
        Member {
            typeflag: b'5',
            mode: 0o755,
            ..Member::file(name, b"", mtime)
        }
    }
    pub fn symlink(name: &str, target: &str, mtime: i64) -> Member {
        Member {
            typeflag: b'2',
            link: target.into(),
            mode: 0o755,
            ..Member::file(name, b"", mtime)
        }
    }
    pub fn with_mode(mut self, mode: u32) -> Member {
        self.mode = mode;
        self
    }
    pub fn with_nanos(mut self, nanos: u32) -> Member {
        self.nanos = nanos;
        self
    }
}

fn octal(field: &mut [u8], v: u64) {
    let w = field.len() - 1;
    let s = format!("{v:0w$o}");
    if s.len() <= w {
        field[..w].copy_from_slice(s.as_bytes());
        field[w] = 0;
    } else {
        // GNU base-256.
        field.fill(0);
        field[0] = 0x80;
        let b = v.to_be_bytes();
        let n = field.len();
        field[n - 8..].copy_from_slice(&b);
    }
}

/// A 512-byte header (GNU magic), checksum filled in.
pub fn header(
    name: &[u8],
    typeflag: u8,
    size: u64,
    mtime: i64,
    mode: u32,
    link: &[u8],
) -> [u8; 512] {
    let mut h = [0u8; 512];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name[..n]);
    octal(&mut h[100..108], mode as u64);
    octal(&mut h[108..116], 501);
    octal(&mut h[116..124], 501);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime.max(0) as u64);
    h[156] = typeflag;
    let l = link.len().min(100);
    h[157..157 + l].copy_from_slice(&link[..l]);
    h[257..265].copy_from_slice(b"ustar  \0");
    h[265..270].copy_from_slice(b"root\0");
    h[297..302].copy_from_slice(b"root\0");
    set_checksum(&mut h);
    h
}

/// Recomputes a header's checksum.
pub fn set_checksum(h: &mut [u8; 512]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| b as u64).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

fn pad(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(512) {
        out.push(0);
    }
}

/// A PAX record `"<len> key=value\n"`.
pub fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}{body}").len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

/// Appends one member (with a GNU long name or PAX records as needed) to `out`.
pub fn append(out: &mut Vec<u8>, m: &Member) {
    let name = m.name.as_bytes();
    let mut pax = Vec::new();
    if m.nanos != 0 {
        pax.extend(pax_record("mtime", &format!("{}.{:09}", m.mtime, m.nanos)));
    }
    if name.len() > 100 && m.pax_names {
        pax.extend(pax_record("path", &m.name));
    }
    if !pax.is_empty() {
        out.extend_from_slice(&header(
            b"././@PaxHeader",
            b'x',
            pax.len() as u64,
            m.mtime,
            0o644,
            b"",
        ));
        out.extend_from_slice(&pax);
        pad(out);
    }
    if name.len() > 100 && !m.pax_names {
        let mut long = name.to_vec();
        long.push(0);
        out.extend_from_slice(&header(
            b"././@LongLink",
            b'L',
            long.len() as u64,
            0,
            0o644,
            b"",
        ));
        out.extend_from_slice(&long);
        pad(out);
    }
    if m.link.len() > 100 {
        let mut long = m.link.as_bytes().to_vec();
        long.push(0);
        out.extend_from_slice(&header(
            b"././@LongLink",
            b'K',
            long.len() as u64,
            0,
            0o644,
            b"",
        ));
        out.extend_from_slice(&long);
        pad(out);
    }
    out.extend_from_slice(&header(
        name,
        m.typeflag,
        m.data.len() as u64,
        m.mtime,
        m.mode,
        m.link.as_bytes(),
    ));
    out.extend_from_slice(&m.data);
    pad(out);
}

/// The end-of-archive marker.
pub fn finish(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0u8; 1024]);
}

/// A whole archive.
pub fn archive(members: &[Member]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in members {
        append(&mut out, m);
    }
    finish(&mut out);
    out
}

/// Streams members into a writer (for archives too large to build in memory).
pub struct StreamWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> StreamWriter<W> {
    pub fn new(out: W) -> Self {
        StreamWriter {
            out,
            buf: Vec::new(),
        }
    }
    pub fn append(&mut self, m: &Member) -> std::io::Result<()> {
        self.buf.clear();
        append(&mut self.buf, m);
        self.out.write_all(&self.buf)
    }
    /// Writes a member's header, then `size` bytes from `data` (for large members).
    pub fn append_reader(
        &mut self,
        name: &str,
        size: u64,
        mtime: i64,
        data: impl std::io::Read,
    ) -> std::io::Result<()> {
        let m = Member::file(name, b"", mtime);
        self.buf.clear();
        append(&mut self.buf, &m);
        // `append` wrote a zero-size header: rewrite its size.
        let at = self.buf.len() - 512;
        let mut h = [0u8; 512];
        h.copy_from_slice(&self.buf[at..]);
        octal(&mut h[124..136], size);
        set_checksum(&mut h);
        self.buf[at..].copy_from_slice(&h);
        self.out.write_all(&self.buf)?;
        let n = std::io::copy(&mut std::io::Read::take(data, size), &mut self.out)?;
        assert_eq!(n, size, "short member data");
        let rem = (512 - size % 512) % 512;
        self.out.write_all(&vec![0u8; rem as usize])
    }
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(&[0u8; 1024])?;
        Ok(self.out)
    }
}
