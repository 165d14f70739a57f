//! The error type of the output writers.

use std::path::{Path, PathBuf};

/// A failure to write or read an output file. Writers record the first one and report it at `finish()`.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("{}: {message}", path.display())]
    Other { path: PathBuf, message: String },
}

impl ReportError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    pub(crate) fn json(path: &Path, source: serde_json::Error) -> Self {
        ReportError::Json {
            path: path.to_path_buf(),
            source,
        }
    }
    pub(crate) fn csv(path: &Path, source: csv::Error) -> Self {
        ReportError::Csv {
            path: path.to_path_buf(),
            source,
        }
    }
    pub(crate) fn other(path: &Path, message: impl Into<String>) -> Self {
        ReportError::Other {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}
