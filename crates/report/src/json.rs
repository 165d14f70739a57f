//! Streaming JSON arrays, pretty-printed like Python's `json.dump(obj, indent=4)`.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::ser::{PrettyFormatter, Serializer};

use crate::error::ReportError;

const INDENT: &[u8] = b"    ";
/// What [`JsonArrayWriter::close`] writes after the last element.
const CLOSING: &[u8] = b"\n]";
/// Write buffer of each array file.
const BUF_SIZE: usize = 256 * 1024;

/// Serializes `value` pretty-printed with a 4-space indent.
pub fn to_pretty_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut buf = Vec::with_capacity(256);
    let mut ser = Serializer::with_formatter(&mut buf, PrettyFormatter::with_indent(INDENT));
    value.serialize(&mut ser)?;
    Ok(buf)
}

/// Serializes `value` as one element of a pretty-printed array: indented one level, ready to be written
/// after `[\n` or `,\n`.
pub fn array_element<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(256);
    write_element(&mut out, value)?;
    Ok(out)
}

/// Writes `value` as one element of a pretty-printed array (see [`array_element`]) straight to `w`.
fn write_element<W: Write, T: Serialize + ?Sized>(
    w: &mut W,
    value: &T,
) -> Result<(), serde_json::Error> {
    w.write_all(INDENT).map_err(serde_json::Error::io)?;
    let mut ser = Serializer::with_formatter(w, ElementFormatter::default());
    value.serialize(&mut ser)
}

/// Python's `indent=4` layout, starting one level deep (the level of an array's elements).
#[derive(Default)]
struct ElementFormatter {
    /// Nesting below the array element.
    depth: usize,
    has_value: bool,
}

impl ElementFormatter {
    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> std::io::Result<()> {
        // "\n" and up to 8 levels at once; deeper levels loop.
        const SPACES: &[u8] = b"\n                                ";
        let mut n = self.depth + 1;
        let first = n.min(8);
        w.write_all(&SPACES[..1 + first * INDENT.len()])?;
        n -= first;
        while n > 0 {
            w.write_all(INDENT)?;
            n -= 1;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for ElementFormatter {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// A JSON array written element by element to a file: `[`, elements separated by commas, `]` on close.
/// The file is created on the first element, so an array that never gets one leaves no file.
pub struct JsonArrayWriter {
    path: PathBuf,
    file: Option<BufWriter<File>>,
    count: u64,
    closed: bool,
}

impl JsonArrayWriter {
    /// A writer for `path`; nothing is created yet.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonArrayWriter {
            path: path.into(),
            file: None,
            count: 0,
            closed: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Elements written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The open file, positioned for the next element (`[` or `,` written).
    fn next_slot(&mut self) -> Result<&mut BufWriter<File>, ReportError> {
        let path = self.path.clone();
        let io = |e| ReportError::io(&path, e);
        if self.file.is_none() {
            if self.closed && self.count > 0 {
                // Elements after close (a module name seen twice): reopen and continue the array.
                let mut f = OpenOptions::new()
                    .write(true)
                    .open(&self.path)
                    .map_err(io)?;
                let len = f.metadata().map_err(io)?.len();
                let keep = len.saturating_sub(CLOSING.len() as u64);
                f.set_len(keep).map_err(io)?;
                f.seek(SeekFrom::End(0)).map_err(io)?;
                self.file = Some(BufWriter::with_capacity(BUF_SIZE, f));
                self.closed = false;
            } else {
                let f = File::create(&self.path).map_err(io)?;
                let mut w = BufWriter::with_capacity(BUF_SIZE, f);
                w.write_all(b"[\n").map_err(io)?;
                self.file = Some(w);
            }
        }
        let count = self.count;
        let Some(w) = self.file.as_mut() else {
            return Err(ReportError::other(&self.path, "file not open"));
        };
        if count > 0 {
            w.write_all(b",\n").map_err(io)?;
        }
        Ok(w)
    }

    /// Writes one element already serialized with [`array_element`].
    pub fn push_raw(&mut self, element: &[u8]) -> Result<(), ReportError> {
        let w = self.next_slot()?;
        w.write_all(element)
            .map_err(|e| ReportError::io(&self.path, e))?;
        self.count += 1;
        Ok(())
    }

    /// Serializes and writes one element, straight into the file's buffer.
    pub fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ReportError> {
        let w = self.next_slot()?;
        let r = write_element(w, value);
        self.count += 1;
        r.map_err(|e| ReportError::json(&self.path, e))
    }

    /// Writes the closing `]` and closes the file (if one was opened). With `empty_file`, an array that got
    /// no element is written as `[]` instead of leaving no file.
    pub fn close(&mut self, empty_file: bool) -> Result<(), ReportError> {
        let path = self.path.clone();
        let io = |e| ReportError::io(&path, e);
        match self.file.take() {
            Some(mut w) => {
                w.write_all(CLOSING).map_err(io)?;
                w.into_inner().map_err(|e| io(e.into_error()))?;
                self.closed = true;
            }
            None if empty_file && self.count == 0 && !self.closed => {
                std::fs::write(&self.path, b"[]").map_err(io)?;
                self.closed = true;
            }
            None => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pretty_array_like_python_indent_4() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        let mut w = JsonArrayWriter::new(&p);
        w.push(&json!({"a": [1, {"b": []}], "c": {}})).unwrap();
        w.push(&json!("x")).unwrap();
        w.close(false).unwrap();
        let expected = "[\n    {\n        \"a\": [\n            1,\n            {\n                \"b\": []\n            }\n        ],\n        \"c\": {}\n    },\n    \"x\"\n]";
        assert_eq!(std::fs::read_to_string(&p).unwrap(), expected);
    }

    #[test]
    fn no_element_no_file_unless_asked_and_reopening_continues_the_array() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        let mut w = JsonArrayWriter::new(&p);
        w.close(false).unwrap();
        assert!(!p.exists());
        w.close(true).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "[]");
        w.push(&1).unwrap();
        w.close(false).unwrap();
        w.push(&2).unwrap();
        w.close(false).unwrap();
        let v: Vec<i32> = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v, [1, 2]);
    }
}
