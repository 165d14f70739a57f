//! The line reader of the Zeek and EVE log readers: lines of at most [`MAX_LINE`] bytes, an overlong one
//! skipped in bounded memory (a log with a multi-gigabyte line and no line end costs one buffer, not the
//! line), unreadable lines counted, and the summary warning written once at the end.

use std::io::{BufRead, BufReader, Read};

use crate::engine::Engine;

/// Longest line read (bytes).
pub const MAX_LINE: usize = 1 << 20;

pub struct LogLines<R> {
    rd: BufReader<R>,
    buf: Vec<u8>,
    /// The number of the line last returned (1-based).
    pub line_no: u64,
    bad: u64,
    first_bad: Option<u64>,
}

impl<R: Read> LogLines<R> {
    pub fn new(r: R) -> Self {
        LogLines {
            rd: BufReader::with_capacity(1 << 20, r),
            buf: Vec::new(),
            line_no: 0,
            bad: 0,
            first_bad: None,
        }
    }

    /// The next line, its line end removed (invalid UTF-8 replaced); `None` at the end of the input or
    /// after a read error (warned). Overlong lines are skipped and counted as unreadable.
    pub fn next_line(&mut self, name: &str, warnings: &mut Vec<String>) -> Option<String> {
        loop {
            self.buf.clear();
            let got = match (&mut self.rd)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut self.buf)
            {
                Ok(0) => return None,
                Ok(k) => k,
                Err(e) => {
                    warnings.push(format!(
                        "{name}: read error after line {}: {e}",
                        self.line_no
                    ));
                    return None;
                }
            };
            self.line_no += 1;
            if got > MAX_LINE && !self.buf.ends_with(b"\n") {
                self.mark_bad();
                if let Err(e) = self.skip_rest() {
                    warnings.push(format!("{name}: read error in line {}: {e}", self.line_no));
                    return None;
                }
                continue;
            }
            let text = String::from_utf8_lossy(&self.buf);
            return Some(text.trim_end_matches(['\n', '\r']).to_string());
        }
    }

    /// Skips to the next line end, one buffer at a time.
    fn skip_rest(&mut self) -> std::io::Result<()> {
        loop {
            let b = self.rd.fill_buf()?;
            if b.is_empty() {
                return Ok(());
            }
            match b.iter().position(|&c| c == b'\n') {
                Some(i) => {
                    self.rd.consume(i + 1);
                    return Ok(());
                }
                None => {
                    let n = b.len();
                    self.rd.consume(n);
                }
            }
        }
    }

    /// Counts the line last returned as unreadable.
    pub fn mark_bad(&mut self) {
        self.bad += 1;
        self.first_bad.get_or_insert(self.line_no);
    }

    /// Adds the unreadable lines to the coverage counters and warns once.
    pub fn finish(self, engine: &mut Engine<'_>, name: &str, warnings: &mut Vec<String>) {
        if self.bad > 0 {
            engine.cap.counters.log_bad_lines += self.bad;
            warnings.push(format!(
                "{name}: {} line(s) could not be read (first: line {})",
                self.bad,
                self.first_bad.unwrap_or(0)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlong_lines_are_skipped_and_the_next_one_read() {
        let mut input = vec![b'x'; 3 * MAX_LINE];
        input.extend(b"\nsecond\r\n\nthird");
        let mut l = LogLines::new(&input[..]);
        let mut w = Vec::new();
        assert_eq!(l.next_line("t", &mut w).as_deref(), Some("second"));
        assert_eq!(l.line_no, 2);
        assert_eq!(l.next_line("t", &mut w).as_deref(), Some(""));
        assert_eq!(l.next_line("t", &mut w).as_deref(), Some("third"));
        assert_eq!(l.next_line("t", &mut w), None);
        assert_eq!((l.bad, l.first_bad), (1, Some(1)));
        assert!(w.is_empty());
        // An overlong last line without a line end.
        let input = vec![b'y'; MAX_LINE + 10];
        let mut l = LogLines::new(&input[..]);
        assert_eq!(l.next_line("t", &mut w), None);
        assert_eq!(l.bad, 1);
    }
}
