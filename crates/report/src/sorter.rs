//! Bounded-memory sorting of CSV rows: rows are buffered in chunks; a full chunk is sorted and spilled
//! to a temporary "run" file in the output folder; at the end the runs are merged (k-way).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::NamedTempFile;

use crate::error::ReportError;

/// One row: four text columns, sorted lexicographically (the first column is the time).
pub type Row = [String; 4];

/// Default number of rows held in memory before a chunk is spilled.
pub const DEFAULT_CHUNK_ROWS: usize = 50_000;

/// Collects rows from many threads, then yields them sorted, with bounded memory.
pub struct ExternalSorter {
    dir: PathBuf,
    prefix: String,
    chunk_rows: usize,
    buffer: Mutex<Vec<Row>>,
    runs: Mutex<Vec<NamedTempFile>>,
}

impl ExternalSorter {
    /// Spill files go to `dir` (named `.<prefix>-*.tmp`) and are removed when the sorter is dropped.
    pub fn new(dir: &Path, prefix: &str, chunk_rows: usize) -> Self {
        ExternalSorter {
            dir: dir.to_path_buf(),
            prefix: prefix.to_string(),
            chunk_rows: chunk_rows.max(1),
            buffer: Mutex::new(Vec::new()),
            runs: Mutex::new(Vec::new()),
        }
    }

    /// Adds a row. When a chunk fills up it is sorted and spilled by the calling thread, outside the lock.
    pub fn push(&self, row: Row) -> Result<(), ReportError> {
        let full = {
            let mut buf = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
            buf.push(row);
            if buf.len() >= self.chunk_rows {
                Some(std::mem::take(&mut *buf))
            } else {
                None
            }
        };
        match full {
            Some(chunk) => self.spill(chunk),
            None => Ok(()),
        }
    }

    fn spill(&self, mut chunk: Vec<Row>) -> Result<(), ReportError> {
        chunk.sort_unstable();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{}-", self.prefix))
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(|e| ReportError::io(&self.dir, e))?;
        let path = tmp.path().to_path_buf();
        {
            let mut w = BufWriter::new(tmp.as_file());
            for row in &chunk {
                serde_json::to_writer(&mut w, row).map_err(|e| ReportError::json(&path, e))?;
                w.write_all(b"\n").map_err(|e| ReportError::io(&path, e))?;
            }
            w.flush().map_err(|e| ReportError::io(&path, e))?;
        }
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
        let mut rest = std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|p| p.into_inner()));
        let runs = std::mem::take(&mut *self.runs.lock().unwrap_or_else(|p| p.into_inner()));
        rest.sort_unstable();
        let mut last: Option<Row> = None;
        let mut n = 0u64;
        let mut emit = |row: Row| -> Result<(), ReportError> {
            if last.as_ref() != Some(&row) {
                f(&row)?;
                n += 1;
                last = Some(row);
            }
            Ok(())
        };
        if runs.is_empty() {
            for row in rest {
                emit(row)?;
            }
        } else {
            let mut sources: Vec<RunSource> = Vec::with_capacity(runs.len() + 1);
            for run in &runs {
                let file = File::open(run.path()).map_err(|e| ReportError::io(run.path(), e))?;
                sources.push(RunSource::File {
                    path: run.path().to_path_buf(),
                    reader: BufReader::new(file),
                    line: String::new(),
                });
            }
            sources.push(RunSource::Memory(rest.into_iter()));
            let mut heap = BinaryHeap::with_capacity(sources.len());
            for (i, s) in sources.iter_mut().enumerate() {
                if let Some(row) = s.next_row()? {
                    heap.push(Reverse((row, i)));
                }
            }
            while let Some(Reverse((row, i))) = heap.pop() {
                if let Some(next) = sources[i].next_row()? {
                    heap.push(Reverse((next, i)));
                }
                emit(row)?;
            }
        }
        for run in runs {
            let path = run.path().to_path_buf();
            run.close().map_err(|e| ReportError::io(&path, e))?;
        }
        Ok(n)
    }
}

enum RunSource {
    File {
        path: PathBuf,
        reader: BufReader<File>,
        line: String,
    },
    Memory(std::vec::IntoIter<Row>),
}

impl RunSource {
    fn next_row(&mut self) -> Result<Option<Row>, ReportError> {
        match self {
            RunSource::Memory(it) => Ok(it.next()),
            RunSource::File { path, reader, line } => {
                line.clear();
                let n = reader
                    .read_line(line)
                    .map_err(|e| ReportError::io(path, e))?;
                if n == 0 {
                    return Ok(None);
                }
                serde_json::from_str(line.trim_end())
                    .map(Some)
                    .map_err(|e| ReportError::json(path, e))
            }
        }
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
}
