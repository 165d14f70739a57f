//! Bounded-memory sorting of CSV rows: rows are buffered in chunks; a full chunk is sorted and spilled
//! to a temporary "run" file in the output folder; at the end the runs are merged (k-way).
//!
//! A row is held as one byte string whose byte order is the rows' order: the four fields joined by a
//! `0` byte, with the bytes `0` and `1` inside fields escaped as `1 1` and `1 2`. A chunk is one byte
//! arena plus a small entry per row (its place and its first 16 bytes, which decide most comparisons),
//! so buffering and sorting cost no allocation per row. Spill files hold the rows length-prefixed.

use std::cmp::Ordering;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::NamedTempFile;

use crate::error::ReportError;

/// One row: four text columns, sorted lexicographically (the first column is the time).
pub type Row = [String; 4];

/// Default number of rows held in memory before a chunk is spilled.
pub const DEFAULT_CHUNK_ROWS: usize = 1_000_000;
/// Bytes of encoded rows held in memory before a chunk is spilled (whatever the row count).
pub const DEFAULT_CHUNK_BYTES: usize = 16 << 20;
const IO_BUF: usize = 256 * 1024;

#[derive(Clone, Copy)]
struct Entry {
    /// The first 32 bytes of the row, big-endian, zero-padded (a time and the start of the module name).
    key: (u128, u128),
    start: u32,
    len: u32,
}

#[derive(Default)]
struct Chunk {
    data: Vec<u8>,
    rows: Vec<Entry>,
}

impl Chunk {
    fn with_capacity(bytes: usize) -> Chunk {
        Chunk {
            data: Vec::with_capacity(bytes),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, row: &[impl AsRef<str>]) {
        let start = self.data.len();
        encode(row, &mut self.data);
        let bytes = &self.data[start..];
        self.rows.push(Entry {
            key: prefix_key(bytes),
            start: start as u32,
            len: bytes.len() as u32,
        });
    }

    fn row(&self, e: &Entry) -> &[u8] {
        &self.data[e.start as usize..(e.start + e.len) as usize]
    }

    fn sort(&mut self) {
        let data = &self.data;
        self.rows.sort_unstable_by(|a, b| {
            a.key.cmp(&b.key).then_with(|| {
                // Equal keys: the rows agree on their first 32 bytes (or are shorter and equal).
                let skip = (a.len.min(b.len) as usize).min(32);
                data[a.start as usize + skip..(a.start + a.len) as usize]
                    .cmp(&data[b.start as usize + skip..(b.start + b.len) as usize])
            })
        });
    }
}

fn prefix_key(bytes: &[u8]) -> (u128, u128) {
    let mut k = [0u8; 32];
    let n = bytes.len().min(32);
    k[..n].copy_from_slice(&bytes[..n]);
    let (a, b) = k.split_at(16);
    let word = |x: &[u8]| u128::from_be_bytes(x.try_into().unwrap_or([0; 16]));
    (word(a), word(b))
}

/// Appends the order-preserving encoding of `row` to `out`.
fn encode(row: &[impl AsRef<str>], out: &mut Vec<u8>) {
    for (i, field) in row.iter().enumerate() {
        if i > 0 {
            out.push(0);
        }
        let b = field.as_ref().as_bytes();
        if b.iter().all(|&c| c > 1) {
            out.extend_from_slice(b);
        } else {
            for &c in b {
                match c {
                    0 => out.extend_from_slice(&[1, 1]),
                    1 => out.extend_from_slice(&[1, 2]),
                    c => out.push(c),
                }
            }
        }
    }
}

/// The four fields of an encoded row as bytes, borrowed when they hold no escaped byte (the usual case).
pub fn encoded_fields(bytes: &[u8]) -> [std::borrow::Cow<'_, [u8]>; 4] {
    use std::borrow::Cow;
    let mut fields = bytes.split(|&b| b == 0);
    std::array::from_fn(|_| {
        let f = fields.next().unwrap_or(&[]);
        if !f.contains(&1) {
            Cow::Borrowed(f)
        } else {
            let mut v = Vec::with_capacity(f.len());
            let mut it = f.iter();
            while let Some(&c) = it.next() {
                if c == 1 {
                    v.push(if it.next() == Some(&1) { 0 } else { 1 });
                } else {
                    v.push(c);
                }
            }
            Cow::Owned(v)
        }
    })
}

/// Decodes an encoded row into `row` (its strings are reused).
pub(crate) fn decode_into(bytes: &[u8], row: &mut Row) {
    decode(bytes, row)
}

/// Decodes an encoded row into `row` (its strings are reused).
fn decode(bytes: &[u8], row: &mut Row) {
    let mut fields = bytes.split(|&b| b == 0);
    for slot in row.iter_mut() {
        slot.clear();
        let f = fields.next().unwrap_or(&[]);
        if !f.contains(&1) {
            match std::str::from_utf8(f) {
                Ok(t) => slot.push_str(t),
                Err(_) => slot.push_str(&String::from_utf8_lossy(f)),
            }
        } else {
            let mut v = Vec::with_capacity(f.len());
            let mut it = f.iter();
            while let Some(&c) = it.next() {
                if c == 1 {
                    v.push(if it.next() == Some(&1) { 0 } else { 1 });
                } else {
                    v.push(c);
                }
            }
            slot.push_str(&String::from_utf8_lossy(&v));
        }
    }
}

/// Collects rows from many threads, then yields them sorted, with bounded memory.
pub struct ExternalSorter {
    dir: PathBuf,
    prefix: String,
    chunk_rows: usize,
    chunk_bytes: usize,
    buffer: Mutex<Chunk>,
    runs: Mutex<Vec<NamedTempFile>>,
}

impl ExternalSorter {
    /// Spill files go to `dir` (named `.<prefix>-*.tmp`) and are removed when the sorter is dropped.
    pub fn new(dir: &Path, prefix: &str, chunk_rows: usize) -> Self {
        Self::with_limits(dir, prefix, chunk_rows, DEFAULT_CHUNK_BYTES)
    }

    /// Like [`new`](ExternalSorter::new), spilling also when a chunk's rows take `chunk_bytes`.
    pub fn with_limits(dir: &Path, prefix: &str, chunk_rows: usize, chunk_bytes: usize) -> Self {
        ExternalSorter {
            dir: dir.to_path_buf(),
            prefix: prefix.to_string(),
            chunk_rows: chunk_rows.max(1),
            chunk_bytes: chunk_bytes.clamp(1, u32::MAX as usize / 2),
            buffer: Mutex::new(Chunk::default()),
            runs: Mutex::new(Vec::new()),
        }
    }

    /// Adds a row. When a chunk fills up it is sorted and spilled by the calling thread, outside the lock.
    pub fn push(&self, row: Row) -> Result<(), ReportError> {
        self.push_fields(&row)
    }

    /// Adds a row given as four fields.
    pub fn push_fields(&self, row: &[impl AsRef<str>; 4]) -> Result<(), ReportError> {
        let full = {
            let mut buf = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
            buf.push(row);
            if buf.rows.len() >= self.chunk_rows || buf.data.len() >= self.chunk_bytes {
                let cap = self.chunk_bytes.min(buf.data.len()) + 4096;
                Some(std::mem::replace(&mut *buf, Chunk::with_capacity(cap)))
            } else {
                None
            }
        };
        match full {
            Some(chunk) => self.spill(chunk),
            None => Ok(()),
        }
    }

    fn spill(&self, mut chunk: Chunk) -> Result<(), ReportError> {
        chunk.sort();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{}-", self.prefix))
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(|e| ReportError::io(&self.dir, e))?;
        let path = tmp.path().to_path_buf();
        {
            let io = |e| ReportError::io(&path, e);
            let mut w = BufWriter::with_capacity(IO_BUF, tmp.as_file());
            for e in &chunk.rows {
                w.write_all(&e.len.to_le_bytes()).map_err(io)?;
                w.write_all(chunk.row(e)).map_err(io)?;
            }
            w.flush().map_err(io)?;
        }
        drop(chunk);
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tmp);
        Ok(())
    }

    /// Number of chunks spilled to disk so far.
    pub fn spilled_runs(&self) -> usize {
        self.runs.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Calls `f` on every row in sorted order, skipping exact duplicates (as MVT de-duplicates its
    /// timeline). Returns the number of rows given to `f`. Spill files are removed afterwards.
    pub fn drain_sorted(
        &self,
        mut f: impl FnMut(&Row) -> Result<(), ReportError>,
    ) -> Result<u64, ReportError> {
        let mut row: Row = Default::default();
        self.drain_sorted_encoded(|bytes| {
            decode(bytes, &mut row);
            f(&row)
        })
    }

    /// [`drain_sorted`](ExternalSorter::drain_sorted) giving each row in its encoded form (see
    /// [`encoded_fields`]), without decoding it into strings.
    pub fn drain_sorted_encoded(
        &self,
        mut f: impl FnMut(&[u8]) -> Result<(), ReportError>,
    ) -> Result<u64, ReportError> {
        let mut rest = std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|p| p.into_inner()));
        let runs = std::mem::take(&mut *self.runs.lock().unwrap_or_else(|p| p.into_inner()));
        rest.sort();
        let mut last: Option<Vec<u8>> = None;
        let mut n = 0u64;
        let mut emit = |bytes: &[u8]| -> Result<(), ReportError> {
            if last.as_deref() != Some(bytes) {
                f(bytes)?;
                n += 1;
                let l = last.get_or_insert_with(Vec::new);
                l.clear();
                l.extend_from_slice(bytes);
            }
            Ok(())
        };
        if runs.is_empty() {
            for e in &rest.rows {
                emit(rest.row(e))?;
            }
        } else {
            let mut sources: Vec<RunSource> = Vec::with_capacity(runs.len());
            for run in &runs {
                let file = File::open(run.path()).map_err(|e| ReportError::io(run.path(), e))?;
                let mut s = RunSource {
                    path: run.path().to_path_buf(),
                    reader: BufReader::with_capacity(IO_BUF, file),
                    cur: Vec::new(),
                    live: true,
                };
                s.advance()?;
                sources.push(s);
            }
            let mut mem = rest.rows.iter().peekable();
            loop {
                // The smallest head among the runs (few of them: a linear scan).
                let mut best: Option<usize> = None;
                for (i, s) in sources.iter().enumerate() {
                    if s.live
                        && best
                            .is_none_or(|b| s.cur.as_slice().cmp(&sources[b].cur) == Ordering::Less)
                    {
                        best = Some(i);
                    }
                }
                let mem_head = mem.peek().map(|e| rest.row(e));
                match best {
                    Some(i) if mem_head.is_none_or(|m| sources[i].cur.as_slice() <= m) => {
                        emit(&sources[i].cur)?;
                        sources[i].advance()?;
                    }
                    _ => match mem_head {
                        Some(m) => {
                            emit(m)?;
                            mem.next();
                        }
                        None => break,
                    },
                }
            }
        }
        for run in runs {
            let path = run.path().to_path_buf();
            run.close().map_err(|e| ReportError::io(&path, e))?;
        }
        Ok(n)
    }
}

struct RunSource {
    path: PathBuf,
    reader: BufReader<File>,
    /// The current row (valid while `live`).
    cur: Vec<u8>,
    live: bool,
}

impl RunSource {
    fn advance(&mut self) -> Result<(), ReportError> {
        let io = |e| ReportError::io(&self.path, e);
        let mut len = [0u8; 4];
        match self.reader.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                self.live = false;
                return Ok(());
            }
            Err(e) => return Err(io(e)),
        }
        let len = u32::from_le_bytes(len) as usize;
        self.cur.resize(len, 0);
        self.reader.read_exact(&mut self.cur).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: &str, m: &str) -> Row {
        [t.into(), m.into(), "e".into(), "d".into()]
    }

    #[test]
    fn merges_runs_in_order_and_drops_duplicates_and_spill_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = ExternalSorter::new(dir.path(), "t", 3);
        for i in (0..20).rev() {
            s.push(row(&format!("2020-01-01 00:00:{i:02}.000000"), "m"))
                .unwrap();
        }
        s.push(row("2020-01-01 00:00:05.000000", "m")).unwrap(); // duplicate
        assert!(s.spilled_runs() >= 6);
        let spilled = std::fs::read_dir(dir.path()).unwrap().count();
        assert!(spilled >= 6);
        let mut seen = Vec::new();
        let n = s.drain_sorted(|r| {
            seen.push(r[0].clone());
            Ok(())
        });
        assert_eq!(n.unwrap(), 20);
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "spill files removed"
        );
    }

    #[test]
    fn encoding_keeps_the_order_of_rows_with_odd_bytes() {
        let rows: Vec<Row> = vec![
            ["a".into(), "".into(), "".into(), "".into()],
            ["a".into(), "\0".into(), "".into(), "".into()],
            ["a".into(), "\u{1}".into(), "x".into(), "".into()],
            ["a\0".into(), "".into(), "".into(), "".into()],
            ["a\u{1}b".into(), "z".into(), "".into(), "é".into()],
            ["a\u{2}".into(), "".into(), "".into(), "".into()],
            ["ab".into(), "".into(), "".into(), "\0\u{1}\0".into()],
            [
                "2021-01-01 00:00:00.000000".into(),
                "m".into(),
                "e".into(),
                "d".into(),
            ],
            [
                "2021-01-01 00:00:00.000000".into(),
                "m".into(),
                "e".into(),
                "dd".into(),
            ],
            [
                "2021-01-01 00:00:00.000000x".into(),
                "".into(),
                "".into(),
                "".into(),
            ],
        ];
        let enc = |r: &Row| {
            let mut v = Vec::new();
            encode(r, &mut v);
            v
        };
        for a in &rows {
            let mut back: Row = Default::default();
            decode(&enc(a), &mut back);
            assert_eq!(&back, a);
            for b in &rows {
                assert_eq!(enc(a).cmp(&enc(b)), a.cmp(b), "{a:?} {b:?}");
                let (ka, kb) = (prefix_key(&enc(a)), prefix_key(&enc(b)));
                if ka != kb {
                    assert_eq!(ka.cmp(&kb), a.cmp(b), "{a:?} {b:?}");
                }
            }
        }
        // Sorted through spills of one and two rows, and in memory.
        for chunk in [1, 2, 100] {
            let dir = tempfile::tempdir().unwrap();
            let s = ExternalSorter::new(dir.path(), "t", chunk);
            for r in rows.iter().rev() {
                s.push(r.clone()).unwrap();
            }
            let mut seen = Vec::new();
            s.drain_sorted(|r| {
                seen.push(r.clone());
                Ok(())
            })
            .unwrap();
            let mut expected = rows.clone();
            expected.sort();
            assert_eq!(seen, expected, "chunk {chunk}");
        }
    }

    #[test]
    fn byte_limit_spills() {
        let dir = tempfile::tempdir().unwrap();
        let s = ExternalSorter::with_limits(dir.path(), "t", 1_000_000, 100);
        for i in 0..50 {
            s.push(row(&format!("2020-01-01 00:00:{:02}.000000", 49 - i), "m"))
                .unwrap();
        }
        assert!(s.spilled_runs() >= 10);
        let mut n = 0;
        let mut prev = String::new();
        s.drain_sorted(|r| {
            assert!(r[0] > prev);
            prev = r[0].clone();
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 50);
    }
}
