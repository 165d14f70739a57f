//! `command.log`: a plain-text, timestamped log of a run, written by the CLI and by the output writer.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::ReportError;

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warning,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Info => "INFO",
            LogLevel::Warning => "WARNING",
            LogLevel::Error => "ERROR",
        }
    }
}

/// Appends lines `YYYY-MM-DD HH:MM:SS.ffffff UTC LEVEL message` to a file; each line is written at once, so
/// the log survives a crash. Usable from many threads. Write errors are kept, the first is reported by
/// [`CommandLog::take_error`]. Multi-line messages are indented so every log entry starts a line.
pub struct CommandLog {
    path: PathBuf,
    file: Mutex<Option<File>>,
    error: Mutex<Option<ReportError>>,
}

impl CommandLog {
    /// Opens (appending to) `<dir>/command.log`.
    pub fn open(dir: &Path) -> Result<Self, ReportError> {
        Self::open_file(&dir.join("command.log"))
    }

    pub fn open_file(path: &Path) -> Result<Self, ReportError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| ReportError::io(path, e))?;
        Ok(CommandLog {
            path: path.to_path_buf(),
            file: Mutex::new(Some(file)),
            error: Mutex::new(None),
        })
    }

    /// A log that writes nothing (for runs without an output folder).
    pub fn disabled() -> Self {
        CommandLog {
            path: PathBuf::new(),
            file: Mutex::new(None),
            error: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn log(&self, level: LogLevel, message: impl AsRef<str>) {
        let now = jiff::Timestamp::now()
            .strftime("%Y-%m-%d %H:%M:%S%.6f")
            .to_string();
        let body = message.as_ref().trim_end().replace('\n', "\n    ");
        let line = format!("{now} UTC {} {body}\n", level.as_str());
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = guard.as_mut()
            && let Err(e) = f.write_all(line.as_bytes())
        {
            let mut err = self.error.lock().unwrap_or_else(|p| p.into_inner());
            if err.is_none() {
                *err = Some(ReportError::io(&self.path, e));
            }
        }
    }

    pub fn info(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Info, message)
    }

    pub fn warn(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Warning, message)
    }

    pub fn error(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Error, message)
    }

    /// The first write error, if any (taken: a second call returns `None`).
    pub fn take_error(&self) -> Option<ReportError> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}
