//! Tar archives (`.tar`, `.tar.gz`/`.tgz`) as [`Evidence`], indexed in one sequential pass.
//!
//! * **Formats**: POSIX ustar (with its name prefix), GNU (long names and long link names, `L`/`K`),
//!   PAX (`path`, `linkpath`, `size` and sub-second `mtime` records), old GNU sparse members (listed
//!   with their real size; their content, full of holes, is not read). Headers are parsed here, with
//!   bounds, rather than by the `tar` crate, which reads long-name and PAX records into memory whatever
//!   their declared size.
//! * **Safe member handling**, as for zips ([`crate::archive`]): names are normalised
//!   ([`normalize_member_name`]: `\` → `/`, absolute names made relative, `.` dropped); names with
//!   `..`, a drive letter or a NUL byte are refused; device nodes and FIFOs are skipped; AppleDouble
//!   `._*` files and `__MACOSX/` folders are ignored; symbolic links are listed (for walks) but never
//!   followed; a hard link is served from the member it names, inside the archive only. Names longer
//!   than [`TarOptions::max_name_len`], more members than [`ArchiveLimits::max_entries`] and more
//!   decompressed bytes than [`ArchiveLimits::max_total_size`] end the index with a warning.
//! * **One pass**: a plain `.tar` is read header by header, skipping member data by seeking (members are
//!   read later in place, with positioned reads). A `.tar.gz` has no random access: the index pass keeps
//!   the members [`TarOptions::keep`] selects (small ones in memory, larger ones in a private temporary
//!   folder, both bounded); reading another member decompresses the archive again up to it (counted by
//!   [`TarEvidence::restreams`]).
//! * Nothing is ever written next to the input: private temporary folders (mode 0700) are registered for
//!   [`crate::archive::cleanup_temp_dirs`] and removed when the evidence is dropped.
//! * [`Evidence::modified`] is the member's tar mtime (UTC, sub-second when PAX gives it).

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::archive::{
    ArchiveLimits, SharedFile, normalize_member_name, registered_tempdir, temp_file_name,
};
use crate::evidence::{
    Entry, EntryKind, Evidence, EvidenceError, LocalFile, TimeSource, WalkEntry,
};
use crate::tree::{NONE, PathTree, ROOT};

const BLOCK: u64 = 512;
/// Largest GNU long-name/long-link or PAX record block read.
const MAX_EXTENSION: u64 = 1 << 20;
/// Warnings of one kind kept in full; the rest are counted.
const MAX_WARNINGS_PER_KIND: usize = 20;

/// Whether and how a tar archive is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TarCompression {
    None,
    Gzip,
}

/// Says whether a member is to be kept during the indexing pass of a compressed archive: called with the
/// member's normalised name and size.
pub type KeepFn = Arc<dyn Fn(&str, u64) -> bool + Send + Sync>;

/// How a tar archive is opened.
#[derive(Clone)]
pub struct TarOptions {
    pub limits: ArchiveLimits,
    /// Compressed archives only: the members to keep while indexing, so that reading them later needs no
    /// second decompression. `None`: keep nothing.
    pub keep: Option<KeepFn>,
    /// Kept members up to this size are held in memory; larger ones go to a private temporary folder.
    pub keep_in_memory_max: u64,
    /// Total bytes of kept members held in memory.
    pub keep_memory_budget: u64,
    /// Total bytes of kept members written to the private temporary folder; past it, members are read by
    /// decompressing again.
    pub keep_disk_budget: u64,
    /// Longest member name accepted (bytes).
    pub max_name_len: usize,
}

impl Default for TarOptions {
    fn default() -> Self {
        TarOptions {
            limits: ArchiveLimits::default(),
            keep: None,
            keep_in_memory_max: 1 << 20,
            keep_memory_budget: 64 << 20,
            keep_disk_budget: 16 << 30,
            max_name_len: 4096,
        }
    }
}

/// What the index pass met.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TarStats {
    /// Members read (extension headers not counted).
    pub members: u64,
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub hard_links: u64,
    /// Device nodes and FIFOs, skipped.
    pub special_skipped: u64,
    /// AppleDouble `._*` files and `__MACOSX/` entries, ignored.
    pub appledouble_ignored: u64,
    /// Members refused (unsafe or over-long names, broken links …).
    pub refused: u64,
    /// Members listed twice (the last one is used, as when extracting).
    pub duplicates: u64,
    /// Sparse members (listed, not readable).
    pub sparse: u64,
    /// Bytes of the (decompressed) tar stream covered by the index.
    pub stream_bytes: u64,
    /// Members kept in memory / on disk during the pass (compressed archives), and their bytes.
    pub kept_in_memory: u64,
    pub kept_memory_bytes: u64,
    pub kept_on_disk: u64,
    pub kept_disk_bytes: u64,
    /// Whether the index stopped early (damage, truncation, a limit).
    pub incomplete: bool,
}

const K_IMPLICIT_DIR: u8 = 0;
const K_DIR: u8 = 1;
const K_FILE: u8 = 2;
const K_SYMLINK: u8 = 3;

#[derive(Debug, Clone, Copy)]
struct Member {
    kind: u8,
    sparse: bool,
    has_time: bool,
    /// Permission bits.
    mode: u16,
    size: u64,
    /// Start of the member's data in the (decompressed) tar stream.
    offset: u64,
    mtime: i64,
    nanos: u32,
    /// Files: index into `kept` ([`NONE`] when not kept). Symbolic links: index into `links`.
    aux: u32,
}

impl Member {
    fn implicit_dir() -> Member {
        Member {
            kind: K_IMPLICIT_DIR,
            sparse: false,
            has_time: false,
            mode: 0,
            size: 0,
            offset: 0,
            mtime: 0,
            nanos: 0,
            aux: NONE,
        }
    }
    fn modified(&self) -> Option<jiff::Timestamp> {
        if !self.has_time {
            return None;
        }
        jiff::Timestamp::new(self.mtime, self.nanos as i32).ok()
    }
}

enum Kept {
    Memory(Arc<[u8]>),
    Disk(PathBuf),
}

/// A tar archive as evidence. See the module documentation.
pub struct TarEvidence {
    label: String,
    path: PathBuf,
    compression: TarCompression,
    file: Option<Arc<File>>,
    file_len: u64,
    tree: PathTree<Member>,
    links: Vec<Box<str>>,
    kept: Vec<Kept>,
    spill: Option<Arc<tempfile::TempDir>>,
    warnings: Vec<String>,
    stats: TarStats,
    limits: ArchiveLimits,
    depth: u32,
    total_read: AtomicU64,
    restreams: AtomicU64,
    _backing: Option<LocalFile>,
}

/// Sniffs a file: a tar archive (its first header's checksum is right), plain or gzip-compressed.
pub fn tar_compression(path: &Path) -> Option<TarCompression> {
    let mut f = File::open(path).ok()?;
    let mut magic = [0u8; 2];
    f.read_exact(&mut magic).ok()?;
    f.seek(SeekFrom::Start(0)).ok()?;
    let (mut header, compression) = ([0u8; 512], {
        if magic == [0x1f, 0x8b] {
            TarCompression::Gzip
        } else {
            TarCompression::None
        }
    });
    let ok = match compression {
        TarCompression::Gzip => flate2::read::MultiGzDecoder::new(BufReader::new(f))
            .read_exact(&mut header)
            .is_ok(),
        TarCompression::None => f.read_exact(&mut header).is_ok(),
    };
    (ok && header_checksum_ok(&header)).then_some(compression)
}

/// The normalised name of the first member of a tar archive (plain or gzip), read without indexing the
/// archive: for kinds that recognise an archive by its first member (a sysdiagnose's top folder) before
/// paying for a whole pass. `None` when the file is not a readable tar.
pub fn first_member_name(path: &Path) -> Option<String> {
    let f = File::open(path).ok()?;
    let mut r: Box<dyn Read> = if looks_like_gzip(path) {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(f)))
    } else {
        Box::new(BufReader::new(f))
    };
    let mut long: Option<Vec<u8>> = None;
    let mut pax = Pax::default();
    for _ in 0..16 {
        let mut h = [0u8; 512];
        if read_full(r.as_mut(), &mut h).ok()? < 512 || !header_checksum_ok(&h) {
            return None;
        }
        let size = u64::try_from(parse_num(&h[124..136]).ok()?).ok()?;
        let padded = round_up(size)?;
        match h[156] {
            b'L' | b'x' | b'g' | b'K' => {
                if size > MAX_EXTENSION {
                    return None;
                }
                let mut d = vec![0u8; padded as usize];
                if read_full(r.as_mut(), &mut d).ok()? < d.len() {
                    return None;
                }
                d.truncate(size as usize);
                match h[156] {
                    b'L' => long = Some(cstr(&d).to_vec()),
                    b'x' => parse_pax(&d, &mut pax),
                    _ => {}
                }
            }
            _ => {
                let raw = match (pax.path, long) {
                    (Some(p), _) => p,
                    (None, Some(l)) => l,
                    (None, None) => {
                        let name = cstr(&h[0..100]);
                        let prefix = cstr(&h[345..500]);
                        if &h[257..263] == b"ustar\0" && !prefix.is_empty() {
                            [prefix, b"/", name].concat()
                        } else {
                            name.to_vec()
                        }
                    }
                };
                return normalize_member_name(&String::from_utf8_lossy(&raw)).ok();
            }
        }
    }
    None
}

/// Whether the file at `path` is a gzip stream (by its magic bytes).
pub fn looks_like_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}

fn header_checksum_ok(h: &[u8; 512]) -> bool {
    if h.iter().all(|&b| b == 0) {
        return false;
    }
    let Ok(stored) = parse_octal(&h[148..156]) else {
        return false;
    };
    let unsigned: u64 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u64
            }
        })
        .sum();
    let signed: i64 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as i8 as i64
            }
        })
        .sum();
    stored == unsigned || stored as i64 == signed
}

/// A numeric header field: octal text, or GNU base-256 when the high bit of the first byte is set.
fn parse_num(field: &[u8]) -> Result<i64, &'static str> {
    if field.first().is_some_and(|&b| b & 0x80 != 0) {
        let negative = field[0] == 0xff;
        let mut v: i128 = if negative { -1 } else { 0 };
        let first = if negative { 0xff } else { field[0] & 0x7f };
        v = (v << 8) | first as i128;
        for &b in &field[1..] {
            v = (v << 8) | b as i128;
            if v.unsigned_abs() > i64::MAX as u128 {
                return Err("number out of range");
            }
        }
        return i64::try_from(v).map_err(|_| "number out of range");
    }
    parse_octal(field).and_then(|v| i64::try_from(v).map_err(|_| "number out of range"))
}

fn parse_octal(field: &[u8]) -> Result<u64, &'static str> {
    let mut v: u64 = 0;
    let mut seen = false;
    for &b in field {
        match b {
            b'0'..=b'7' => {
                v = v
                    .checked_mul(8)
                    .and_then(|v| v.checked_add((b - b'0') as u64))
                    .ok_or("number out of range")?;
                seen = true;
            }
            b' ' | 0 if !seen => continue,
            b' ' | 0 => break,
            _ => return Err("bad number"),
        }
    }
    Ok(v)
}

fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

/// PAX records that matter here.
#[derive(Default)]
struct Pax {
    path: Option<Vec<u8>>,
    linkpath: Option<Vec<u8>>,
    size: Option<u64>,
    realsize: Option<u64>,
    mtime: Option<(i64, u32)>,
    sparse: bool,
}

fn parse_pax_time(v: &str) -> Option<(i64, u32)> {
    let (neg, v) = match v.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, v),
    };
    let (secs, frac) = v.split_once('.').unwrap_or((v, ""));
    let secs: i64 = secs.parse().ok()?;
    let digits: String = frac.chars().take(9).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let nanos: u32 = if digits.is_empty() {
        0
    } else {
        format!("{digits:0<9}").parse().ok()?
    };
    if !neg {
        return Some((secs, nanos));
    }
    if nanos == 0 {
        Some((-secs, 0))
    } else {
        Some((-secs - 1, 1_000_000_000 - nanos))
    }
}

fn parse_pax(data: &[u8], pax: &mut Pax) {
    let mut i = 0;
    while i < data.len() {
        let Some(sp) = data[i..].iter().position(|&b| b == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&data[i..i + sp])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            break;
        };
        if len <= sp + 1 || i + len > data.len() {
            break;
        }
        let rec = &data[i + sp + 1..i + len];
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        if let Some(eq) = rec.iter().position(|&b| b == b'=') {
            let (k, v) = (&rec[..eq], &rec[eq + 1..]);
            let text = || std::str::from_utf8(v).ok();
            match k {
                b"path" => pax.path = Some(v.to_vec()),
                b"linkpath" => pax.linkpath = Some(v.to_vec()),
                b"size" => pax.size = text().and_then(|s| s.parse().ok()),
                b"mtime" => pax.mtime = text().and_then(parse_pax_time),
                b"GNU.sparse.name" => pax.path = Some(v.to_vec()),
                b"GNU.sparse.realsize" | b"GNU.sparse.size" => {
                    pax.sparse = true;
                    pax.realsize = text().and_then(|s| s.parse().ok());
                }
                k if k.starts_with(b"GNU.sparse.") => pax.sparse = true,
                _ => {}
            }
        }
        i += len;
    }
}

/// The (decompressed) tar stream read by the index pass.
trait Stream: Read {
    /// Skips `n` bytes.
    fn skip(&mut self, n: u64) -> io::Result<()>;
}

/// A plain tar file: buffered reads; skips inside the buffer are free, longer ones seek.
struct PlainStream {
    file: File,
    buf: Box<[u8]>,
    lo: usize,
    hi: usize,
}

impl Read for PlainStream {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.lo == self.hi {
            if out.len() >= self.buf.len() {
                return self.file.read(out);
            }
            self.hi = self.file.read(&mut self.buf)?;
            self.lo = 0;
        }
        let n = out.len().min(self.hi - self.lo);
        out[..n].copy_from_slice(&self.buf[self.lo..self.lo + n]);
        self.lo += n;
        Ok(n)
    }
}

impl Stream for PlainStream {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let avail = (self.hi - self.lo) as u64;
        if n <= avail {
            self.lo += n as usize;
            return Ok(());
        }
        let rest = n - avail;
        self.lo = 0;
        self.hi = 0;
        self.file.seek(SeekFrom::Current(
            i64::try_from(rest).map_err(|_| io::Error::other("seek out of range"))?,
        ))?;
        Ok(())
    }
}

/// A gzip-compressed tar: skipping means decompressing.
struct GzStream {
    dec: flate2::read::MultiGzDecoder<BufReader<File>>,
}

impl Read for GzStream {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.dec.read(out)
    }
}

impl Stream for GzStream {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let copied = io::copy(&mut (&mut self.dec).take(n), &mut io::sink())?;
        if copied < n {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends inside a member",
            ));
        }
        Ok(())
    }
}

fn gz_stream(path: &Path) -> io::Result<GzStream> {
    let f = File::open(path)?;
    Ok(GzStream {
        dec: flate2::read::MultiGzDecoder::new(BufReader::with_capacity(256 << 10, f)),
    })
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn round_up(n: u64) -> Option<u64> {
    n.checked_add(BLOCK - 1).map(|v| v & !(BLOCK - 1))
}

/// Warnings with a bound per kind.
#[derive(Default)]
struct Warnings {
    list: Vec<String>,
    counts: std::collections::HashMap<&'static str, usize>,
}

impl Warnings {
    fn push(&mut self, kind: &'static str, msg: String) {
        let c = self.counts.entry(kind).or_default();
        *c += 1;
        if *c <= MAX_WARNINGS_PER_KIND {
            self.list.push(msg);
        }
    }
    fn finish(mut self, label: &str) -> Vec<String> {
        let mut kinds: Vec<_> = self.counts.into_iter().collect();
        kinds.sort();
        for (kind, n) in kinds {
            if n > MAX_WARNINGS_PER_KIND {
                self.list.push(format!(
                    "{label}: {} more members {kind} (not listed one by one)",
                    n - MAX_WARNINGS_PER_KIND
                ));
            }
        }
        self.list
    }
}

/// The index pass.
struct Indexer<'a> {
    label: &'a str,
    opts: &'a TarOptions,
    compressed: bool,
    tree: PathTree<Member>,
    links: Vec<Box<str>>,
    kept: Vec<Kept>,
    spill: Option<Arc<tempfile::TempDir>>,
    warnings: Warnings,
    stats: TarStats,
    pos: u64,
    entries: usize,
}

fn is_appledouble(name: &str) -> bool {
    name.split('/')
        .any(|c| c == "__MACOSX" || c.starts_with("._"))
}

impl<'a> Indexer<'a> {
    fn read_extension(&mut self, s: &mut dyn Stream, size: u64) -> io::Result<Option<Vec<u8>>> {
        let padded = round_up(size).ok_or_else(|| io::Error::other("size overflow"))?;
        if size > MAX_EXTENSION {
            s.skip(padded)?;
            self.pos += padded;
            return Ok(None);
        }
        let mut data = vec![0u8; padded as usize];
        if read_full(s, &mut data)? < data.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends inside an extension header",
            ));
        }
        self.pos += padded;
        data.truncate(size as usize);
        Ok(Some(data))
    }

    fn run(&mut self, s: &mut dyn Stream) -> Result<(), EvidenceError> {
        let mut long_name: Option<Option<Vec<u8>>> = None;
        let mut long_link: Option<Option<Vec<u8>>> = None;
        let mut pax: Option<Pax> = None;
        let max_stream = self.opts.limits.max_total_size;
        loop {
            if self.compressed && self.pos > max_stream {
                self.stats.incomplete = true;
                self.warnings.push(
                    "limit",
                    format!(
                        "{}: more than {max_stream} decompressed bytes (a tar bomb?): the rest of the archive is not indexed",
                        self.label
                    ),
                );
                break;
            }
            let mut h = [0u8; 512];
            let n = match read_full(s, &mut h) {
                Ok(n) => n,
                Err(e) => {
                    self.stop_early(format!("reading stopped at byte {}: {e}", self.pos))?;
                    break;
                }
            };
            if n == 0 {
                if self.stats.members == 0 && self.pos == 0 {
                    return Err(self.invalid("empty file"));
                }
                if self.pos > 0 {
                    self.warnings.push(
                        "truncated",
                        format!(
                            "{}: no end-of-archive marker (truncated archive?)",
                            self.label
                        ),
                    );
                }
                break;
            }
            if n < 512 {
                self.stop_early(format!("archive ends inside a header at byte {}", self.pos))?;
                break;
            }
            if h.iter().all(|&b| b == 0) {
                break;
            }
            if !header_checksum_ok(&h) {
                self.stop_early(format!("damaged header at byte {}", self.pos))?;
                break;
            }
            self.pos += BLOCK;
            let typeflag = h[156];
            let header_size = match parse_num(&h[124..136]) {
                Ok(v) if v >= 0 => v as u64,
                _ => {
                    self.stop_early(format!("bad size field at byte {}", self.pos - BLOCK))?;
                    break;
                }
            };
            let io_res: io::Result<()> = (|| {
                match typeflag {
                    b'L' => long_name = Some(self.read_extension(s, header_size)?),
                    b'K' => long_link = Some(self.read_extension(s, header_size)?),
                    b'x' => {
                        let mut p = Pax::default();
                        if let Some(d) = self.read_extension(s, header_size)? {
                            parse_pax(&d, &mut p);
                        }
                        pax = Some(p);
                    }
                    b'g' | b'V' | b'M' | b'N' => {
                        let padded = round_up(header_size)
                            .ok_or_else(|| io::Error::other("size overflow"))?;
                        s.skip(padded)?;
                        self.pos += padded;
                    }
                    _ => {
                        let p = pax.take().unwrap_or_default();
                        self.member(s, &h, header_size, long_name.take(), long_link.take(), p)?;
                    }
                }
                Ok(())
            })();
            if let Err(e) = io_res {
                self.stop_early(format!("reading stopped at byte {}: {e}", self.pos))?;
                break;
            }
            if self.entries >= self.opts.limits.max_entries {
                self.stats.incomplete = true;
                self.warnings.push(
                    "limit",
                    format!(
                        "{}: more than {} members: the rest of the archive is not indexed",
                        self.label, self.opts.limits.max_entries
                    ),
                );
                break;
            }
        }
        self.stats.stream_bytes = self.pos;
        Ok(())
    }

    fn invalid(&self, why: &str) -> EvidenceError {
        EvidenceError::Other {
            path: self.label.to_string(),
            message: format!("not a readable tar archive: {why}"),
        }
    }

    /// Damage or truncation: an error when nothing was indexed yet, else a warning.
    fn stop_early(&mut self, why: String) -> Result<(), EvidenceError> {
        if self.stats.members == 0 {
            return Err(self.invalid(&why));
        }
        self.stats.incomplete = true;
        self.warnings.push(
            "damaged",
            format!(
                "{}: {why}; the members after it are not indexed",
                self.label
            ),
        );
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn member(
        &mut self,
        s: &mut dyn Stream,
        h: &[u8; 512],
        header_size: u64,
        long_name: Option<Option<Vec<u8>>>,
        long_link: Option<Option<Vec<u8>>>,
        pax: Pax,
    ) -> io::Result<()> {
        let typeflag = h[156];
        self.stats.members += 1;
        // On-disk data: for an old GNU sparse member, the packed data after its extension headers.
        let mut on_disk = pax.size.unwrap_or(header_size);
        let mut size = if pax.sparse {
            pax.realsize.unwrap_or(on_disk)
        } else {
            on_disk
        };
        let mut sparse = pax.sparse;
        if typeflag == b'S' {
            sparse = true;
            on_disk = header_size;
            size = parse_num(&h[483..495])
                .map(|v| v.max(0) as u64)
                .unwrap_or(0);
            let mut extended = h[482] != 0;
            while extended {
                let mut ext = [0u8; 512];
                if read_full(s, &mut ext)? < 512 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "archive ends inside a sparse header",
                    ));
                }
                self.pos += BLOCK;
                extended = ext[504] != 0;
            }
        }
        let data_at = self.pos;
        let padded = round_up(on_disk).ok_or_else(|| io::Error::other("size overflow"))?;
        let ustar_posix = &h[257..263] == b"ustar\0";
        let raw_name: Vec<u8> = match (pax.path, long_name) {
            (Some(p), _) => p,
            (None, Some(Some(l))) => cstr(&l).to_vec(),
            (None, Some(None)) => {
                self.refuse(
                    "refused",
                    format!(
                        "{}: a member's long name is over {MAX_EXTENSION} bytes; it is left out",
                        self.label
                    ),
                );
                return self.skip_data(s, padded);
            }
            (None, None) => {
                let name = cstr(&h[0..100]);
                let prefix = cstr(&h[345..500]);
                if ustar_posix && !prefix.is_empty() {
                    let mut v = prefix.to_vec();
                    v.push(b'/');
                    v.extend_from_slice(name);
                    v
                } else {
                    name.to_vec()
                }
            }
        };
        let raw = String::from_utf8_lossy(&raw_name).into_owned();
        if raw_name.len() > self.opts.max_name_len {
            self.refuse(
                "refused",
                format!(
                    "{}: member name of {} bytes is over the limit of {}; it is left out",
                    self.label,
                    raw_name.len(),
                    self.opts.max_name_len
                ),
            );
            return self.skip_data(s, padded);
        }
        let name = match normalize_member_name(&raw) {
            Ok(n) => n,
            Err("empty name") => {
                // `./` or `/`: the archive's root folder.
                return self.skip_data(s, padded);
            }
            Err(why) => {
                self.refuse(
                    "refused",
                    format!("{}: member {raw:?} refused: {why}", self.label),
                );
                return self.skip_data(s, padded);
            }
        };
        if is_appledouble(&name) {
            self.stats.appledouble_ignored += 1;
            return self.skip_data(s, padded);
        }
        let (mtime, nanos) = match pax.mtime {
            Some(t) => t,
            None => (parse_num(&h[136..148]).unwrap_or(0), 0),
        };
        let kind = match typeflag {
            b'5' | b'D' => K_DIR,
            b'2' => K_SYMLINK,
            b'1' => {
                // A hard link: the member it names, inside the archive.
                let target = pax
                    .linkpath
                    .or_else(|| long_link.flatten().map(|l| cstr(&l).to_vec()))
                    .unwrap_or_else(|| cstr(&h[157..257]).to_vec());
                let target = normalize_member_name(&String::from_utf8_lossy(&target)).ok();
                let found = target
                    .as_deref()
                    .and_then(|t| self.tree.get(t))
                    .map(|id| *self.tree.data(id))
                    .filter(|m| m.kind == K_FILE);
                self.stats.hard_links += 1;
                match found {
                    Some(m) => {
                        self.add(&name, m);
                    }
                    None => self.refuse(
                        "refused",
                        format!(
                            "{}: hard link {name:?} names no earlier file of the archive; it is left out",
                            self.label
                        ),
                    ),
                }
                return self.skip_data(s, padded);
            }
            b'3' | b'4' | b'6' => {
                self.stats.special_skipped += 1;
                return self.skip_data(s, padded);
            }
            _ => K_FILE,
        };
        let mode = parse_num(&h[100..108])
            .map(|v| (v & 0o7777) as u16)
            .unwrap_or(0);
        let mut m = Member {
            kind,
            sparse,
            has_time: true,
            mode,
            size: if kind == K_FILE { size } else { 0 },
            offset: data_at,
            mtime,
            nanos,
            aux: NONE,
        };
        match kind {
            K_DIR => {
                self.stats.dirs += 1;
                self.add(&name, m);
                self.skip_data(s, padded)
            }
            K_SYMLINK => {
                self.stats.symlinks += 1;
                let target = pax
                    .linkpath
                    .or_else(|| long_link.flatten().map(|l| cstr(&l).to_vec()))
                    .unwrap_or_else(|| cstr(&h[157..257]).to_vec());
                m.aux = self.links.len() as u32;
                self.links.push(
                    String::from_utf8_lossy(&target)
                        .into_owned()
                        .into_boxed_str(),
                );
                self.add(&name, m);
                self.skip_data(s, padded)
            }
            _ => {
                self.stats.files += 1;
                if sparse {
                    self.stats.sparse += 1;
                }
                let keep = self.compressed
                    && !sparse
                    && size <= self.opts.limits.max_entry_size
                    && self.opts.keep.as_ref().is_some_and(|k| k(&name, size));
                if keep && let Some(kept) = self.keep(s, &name, size)? {
                    m.aux = self.kept.len() as u32;
                    self.kept.push(kept);
                    self.add(&name, m);
                    let rest = padded - size;
                    return self.skip_data(s, rest);
                }
                self.add(&name, m);
                self.skip_data(s, padded)
            }
        }
    }

    /// Reads a member's data now (compressed archives): into memory or a private temporary file.
    /// `None` when the budgets are spent (the data is then still unread: the caller skips it).
    fn keep(&mut self, s: &mut dyn Stream, name: &str, size: u64) -> io::Result<Option<Kept>> {
        let o = self.opts;
        if size <= o.keep_in_memory_max
            && self.stats.kept_memory_bytes + size <= o.keep_memory_budget
        {
            let mut data = vec![0u8; size as usize];
            if read_full(s, &mut data)? < data.len() {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "archive ends inside a member",
                ));
            }
            self.pos += size;
            self.stats.kept_in_memory += 1;
            self.stats.kept_memory_bytes += size;
            return Ok(Some(Kept::Memory(data.into())));
        }
        if self.stats.kept_disk_bytes + size > o.keep_disk_budget {
            return Ok(None);
        }
        let dir = match &self.spill {
            Some(d) => d.clone(),
            None => {
                let d = registered_tempdir()?;
                self.spill = Some(d.clone());
                d
            }
        };
        let dest = dir
            .path()
            .join(format!("{}-{}", self.kept.len(), temp_file_name(name)));
        let mut out = io::BufWriter::new(File::create(&dest)?);
        let copied = io::copy(&mut s.take(size), &mut out)?;
        out.flush()?;
        self.pos += copied;
        if copied < size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends inside a member",
            ));
        }
        self.stats.kept_on_disk += 1;
        self.stats.kept_disk_bytes += size;
        Ok(Some(Kept::Disk(dest)))
    }

    fn skip_data(&mut self, s: &mut dyn Stream, n: u64) -> io::Result<()> {
        if n > 0 {
            s.skip(n)?;
            self.pos += n;
        }
        Ok(())
    }

    fn refuse(&mut self, kind: &'static str, msg: String) {
        self.stats.refused += 1;
        self.warnings.push(kind, msg);
    }

    fn add(&mut self, name: &str, m: Member) {
        self.entries += 1;
        let (id, created) = self.tree.insert(name, Member::implicit_dir);
        let old = *self.tree.data(id);
        if !created && old.kind != K_IMPLICIT_DIR {
            if old.kind == K_DIR && m.kind == K_DIR {
                // A folder listed twice (e.g. `./a` and `a/`): nothing to say.
            } else {
                self.stats.duplicates += 1;
                self.warnings.push(
                    "listed twice",
                    format!(
                        "{}: member {name:?} is listed twice; the last one is used",
                        self.label
                    ),
                );
            }
        }
        *self.tree.data_mut(id) = m;
    }
}

/// A reader over a member kept in memory.
struct MemReader {
    data: Arc<[u8]>,
    pos: usize,
}

impl Read for MemReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let rest = &self.data[self.pos.min(self.data.len())..];
        let n = rest.len().min(out.len());
        out[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl TarEvidence {
    /// Opens a tar archive (plain or gzip-compressed) with the default options.
    pub fn open(path: &Path) -> Result<Self, EvidenceError> {
        Self::open_with(path, &TarOptions::default())
    }

    /// Opens a tar archive with the given options.
    pub fn open_with(path: &Path, opts: &TarOptions) -> Result<Self, EvidenceError> {
        Self::open_at_depth(path, path.display().to_string(), opts, 0, None)
    }

    /// Opens the tar archive stored at logical `path` of `parent` (itself at nesting level
    /// `parent_depth`) through a private copy. Refused past [`ArchiveLimits::max_depth`].
    pub fn open_nested(
        parent: &dyn Evidence,
        path: &str,
        parent_depth: u32,
        opts: &TarOptions,
    ) -> Result<Self, EvidenceError> {
        let depth = parent_depth + 1;
        if depth > opts.limits.max_depth {
            return Err(EvidenceError::Refused {
                path: path.into(),
                reason: format!(
                    "archive nested more than {} levels deep",
                    opts.limits.max_depth
                ),
            });
        }
        let local = parent.local_file(path)?;
        let label = format!("{} in {}", path, parent.describe());
        let local_path = local.path().to_owned();
        Self::open_at_depth(&local_path, label, opts, depth, Some(local))
    }

    fn open_at_depth(
        path: &Path,
        label: String,
        opts: &TarOptions,
        depth: u32,
        backing: Option<LocalFile>,
    ) -> Result<Self, EvidenceError> {
        let compression = if looks_like_gzip(path) {
            TarCompression::Gzip
        } else {
            TarCompression::None
        };
        let file = File::open(path).map_err(|e| EvidenceError::io(label.clone(), e))?;
        let file_len = file
            .metadata()
            .map_err(|e| EvidenceError::io(label.clone(), e))?
            .len();
        let mut ix = Indexer {
            label: &label,
            opts,
            compressed: compression == TarCompression::Gzip,
            tree: PathTree::new(Member::implicit_dir()),
            links: Vec::new(),
            kept: Vec::new(),
            spill: None,
            warnings: Warnings::default(),
            stats: TarStats::default(),
            pos: 0,
            entries: 0,
        };
        match compression {
            TarCompression::None => {
                let f = file
                    .try_clone()
                    .map_err(|e| EvidenceError::io(label.clone(), e))?;
                let mut s = PlainStream {
                    file: f,
                    buf: vec![0u8; 256 << 10].into_boxed_slice(),
                    lo: 0,
                    hi: 0,
                };
                ix.run(&mut s)?;
            }
            TarCompression::Gzip => {
                let mut s = gz_stream(path).map_err(|e| EvidenceError::io(label.clone(), e))?;
                ix.run(&mut s)?;
            }
        }
        let Indexer {
            mut tree,
            links,
            kept,
            spill,
            warnings,
            mut stats,
            ..
        } = ix;
        let mut warnings = warnings.finish(&label);
        tree.finish();
        if compression == TarCompression::None {
            // Members whose data lies past the end of the file (a truncated archive).
            let mut cut = 0u64;
            tree.walk(ROOT, "", &mut |_, _, m| {
                if m.kind == K_FILE && !m.sparse && m.offset.saturating_add(m.size) > file_len {
                    cut += 1;
                }
                true
            });
            if cut > 0 {
                stats.incomplete = true;
                warnings.push(format!(
                    "{label}: {cut} members end past the end of the file (truncated archive); reading them fails"
                ));
            }
        }
        Ok(TarEvidence {
            label,
            path: path.to_path_buf(),
            compression,
            file: (compression == TarCompression::None).then(|| Arc::new(file)),
            file_len,
            tree,
            links,
            kept,
            spill,
            warnings,
            stats,
            limits: opts.limits,
            depth,
            total_read: AtomicU64::new(0),
            restreams: AtomicU64::new(0),
            _backing: backing,
        })
    }

    pub fn compression(&self) -> TarCompression {
        self.compression
    }

    /// Members that were refused or look wrong, and why the index may be incomplete.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn stats(&self) -> &TarStats {
        &self.stats
    }

    /// The nesting level of this archive (0: not inside another archive).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    pub fn limits(&self) -> ArchiveLimits {
        self.limits
    }

    /// How many reads had to decompress the archive again (members not kept by the index pass).
    pub fn restreams(&self) -> u64 {
        self.restreams.load(Ordering::Relaxed)
    }

    /// Approximate bytes of memory held by the index and the members kept in memory.
    pub fn memory_bytes(&self) -> usize {
        self.tree.heap_bytes()
            + self.stats.kept_memory_bytes as usize
            + self.links.iter().map(|l| l.len()).sum::<usize>()
    }

    /// Every readable file (not folders, not symbolic links), sorted by path.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        self.tree.walk(ROOT, "", &mut |_, p, m| {
            if m.kind == K_FILE {
                out.push(Entry {
                    path: p.to_string(),
                    size: Some(m.size),
                });
            }
            true
        });
        out
    }

    /// Whether a logical path is a folder of the archive (listed, or implied by its members).
    pub fn is_dir(&self, path: &str) -> bool {
        self.tree
            .get(path)
            .is_some_and(|id| matches!(self.tree.data(id).kind, K_DIR | K_IMPLICIT_DIR))
    }

    /// The stored target of a symbolic-link member.
    pub fn link_target(&self, path: &str) -> Option<&str> {
        let m = self.tree.data(self.tree.get(path)?);
        (m.kind == K_SYMLINK)
            .then(|| self.links.get(m.aux as usize).map(|s| &**s))
            .flatten()
    }

    fn file(&self, path: &str) -> Result<Member, EvidenceError> {
        match self.tree.get(path).map(|id| *self.tree.data(id)) {
            Some(m) if m.kind == K_FILE => {
                if m.sparse {
                    return Err(EvidenceError::Refused {
                        path: path.into(),
                        reason: "sparse member (stored with holes); its content is not read".into(),
                    });
                }
                if m.size > self.limits.max_entry_size {
                    return Err(EvidenceError::TooLarge {
                        path: path.into(),
                        size: m.size,
                        limit: self.limits.max_entry_size,
                    });
                }
                Ok(m)
            }
            _ => Err(EvidenceError::NotFound { path: path.into() }),
        }
    }

    fn count_read(&self, path: &str, n: u64) -> Result<(), EvidenceError> {
        let total = self.total_read.fetch_add(n, Ordering::Relaxed) + n;
        if self.compression == TarCompression::Gzip
            && total > self.limits.max_total_size.saturating_mul(4)
        {
            return Err(EvidenceError::Refused {
                path: path.into(),
                reason: format!(
                    "more than {} decompressed bytes read again from {}",
                    self.limits.max_total_size.saturating_mul(4),
                    self.label
                ),
            });
        }
        Ok(())
    }

    fn reader(&self, path: &str, m: &Member) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        if let Some(f) = &self.file {
            if m.offset.saturating_add(m.size) > self.file_len {
                return Err(EvidenceError::Other {
                    path: path.into(),
                    message: format!(
                        "the member ends past the end of {} (truncated archive)",
                        self.label
                    ),
                });
            }
            let sf = SharedFile {
                file: f.clone(),
                pos: m.offset,
                len: self.file_len,
            };
            return Ok(Box::new(sf.take(m.size)));
        }
        if let Some(k) = self.kept.get(m.aux as usize) {
            return match k {
                Kept::Memory(d) => Ok(Box::new(MemReader {
                    data: d.clone(),
                    pos: 0,
                })),
                Kept::Disk(p) => {
                    let f = File::open(p).map_err(|e| EvidenceError::io(path, e))?;
                    Ok(Box::new(f.take(m.size)))
                }
            };
        }
        // Not kept: decompress again up to the member.
        self.restreams.fetch_add(1, Ordering::Relaxed);
        self.count_read(path, m.offset + m.size)?;
        let mut s = gz_stream(&self.path).map_err(|e| EvidenceError::io(path, e))?;
        s.skip(m.offset).map_err(|e| EvidenceError::io(path, e))?;
        Ok(Box::new(s.take(m.size)))
    }
}

impl Evidence for TarEvidence {
    fn describe(&self) -> String {
        match self.compression {
            TarCompression::None => format!("tar {}", self.label),
            TarCompression::Gzip => format!("tar.gz {}", self.label),
        }
    }
    fn exists(&self, path: &str) -> bool {
        self.tree
            .get(path)
            .is_some_and(|id| self.tree.data(id).kind == K_FILE)
    }
    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        Ok(self
            .tree
            .find(pattern)
            .into_iter()
            .filter_map(|(id, path)| {
                let m = self.tree.data(id);
                (m.kind == K_FILE).then_some(Entry {
                    path,
                    size: Some(m.size),
                })
            })
            .collect())
    }
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        let m = self.file(path)?;
        self.reader(path, &m)
    }
    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        let m = self.file(path)?;
        if let (Some(Kept::Disk(p)), Some(dir)) = (self.kept.get(m.aux as usize), &self.spill)
            && self.file.is_none()
        {
            return Ok(LocalFile::Temp {
                path: p.clone(),
                dir: dir.clone(),
            });
        }
        let dir = registered_tempdir().map_err(|e| EvidenceError::io(path, e))?;
        let dest = dir.path().join(temp_file_name(path));
        let mut out = File::create(&dest).map_err(|e| EvidenceError::io(path, e))?;
        let mut r = self.reader(path, &m)?;
        let n = io::copy(&mut r, &mut out).map_err(|e| EvidenceError::io(path, e))?;
        if n < m.size {
            return Err(EvidenceError::Other {
                path: path.into(),
                message: format!("only {n} of {} bytes could be read", m.size),
            });
        }
        Ok(LocalFile::Temp { path: dest, dir })
    }
    fn modified(&self, path: &str) -> Option<jiff::Timestamp> {
        self.tree.data(self.tree.get(path)?).modified()
    }
    fn walk(
        &self,
        folder: &str,
        visit: &mut dyn FnMut(&WalkEntry<'_>) -> bool,
    ) -> Result<(), EvidenceError> {
        let folder = folder.trim_matches('/');
        let Some(start) = self.tree.get(folder) else {
            return Ok(());
        };
        self.tree.walk(start, folder, &mut |id, p, m| {
            if id == start {
                return true;
            }
            let kind = match m.kind {
                K_FILE => EntryKind::File,
                K_SYMLINK => EntryKind::Symlink,
                _ => EntryKind::Dir,
            };
            visit(&WalkEntry {
                path: p,
                kind,
                size: (kind == EntryKind::File).then_some(m.size),
                modified: m.modified(),
                time_source: m.has_time.then_some(TimeSource::TarMtime),
                link_target: (kind == EntryKind::Symlink)
                    .then(|| self.links.get(m.aux as usize).map(|s| &**s))
                    .flatten(),
                mode: (m.kind != K_IMPLICIT_DIR).then_some(m.mode as u32),
            })
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests;
