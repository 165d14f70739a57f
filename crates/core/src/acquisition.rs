//! How platform crates recognise an input and say which modules apply to it.

use std::path::Path;
use std::sync::Arc;

use crate::evidence::Evidence;
use crate::module::Module;

/// Supplies secrets (backup passwords) when an acquisition needs one. The CLI implements it from
/// `TELLTALE_BACKUP_PASSWORD`, `--password-file`, or a prompt without echo. Secrets are never logged.
pub trait SecretProvider: Send + Sync {
    /// A password for `what` (e.g. "iOS backup /x"), or `None` when none can be had.
    fn password(&self, what: &str) -> Option<String>;
    /// A derived key given directly (`--key-file`), if any.
    fn key(&self, _what: &str) -> Option<Vec<u8>> {
        None
    }
}

/// Options for opening an acquisition.
#[derive(Clone, Default)]
pub struct OpenOptions {
    pub secrets: Option<Arc<dyn SecretProvider>>,
    /// `--timezone`, overriding the device's own zone.
    pub timezone: Option<String>,
}

/// Why an acquisition could not be opened (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum AcquisitionError {
    #[error("{0}")]
    Evidence(#[from] crate::evidence::EvidenceError),
    #[error("{what}: wrong password or key (the keybag's integrity check failed)")]
    WrongPassword { what: String },
    #[error(
        "{what}: a password is needed (set TELLTALE_BACKUP_PASSWORD, use --password-file, or run in a terminal)"
    )]
    PasswordNeeded { what: String },
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },
    #[error("{what}: {message}")]
    Unsupported { what: String, message: String },
}

/// One fact about the device or the acquisition (for info.json and the report).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceFact {
    pub key: String,
    pub value: String,
}

impl DeviceFact {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        DeviceFact {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// An opened acquisition.
pub trait Acquisition: Send + Sync {
    /// The kind's name, e.g. `ios-backup`.
    fn kind(&self) -> &'static str;
    fn evidence(&self) -> &dyn Evidence;
    /// Every module that applies to this acquisition.
    fn modules(&self) -> Vec<Box<dyn Module>>;
    /// Device and acquisition facts known before modules run.
    fn facts(&self) -> Vec<DeviceFact> {
        Vec::new()
    }
    /// Problems met while modules read the evidence (e.g. decrypted sizes that disagree with the
    /// manifest), to be reported at the end of a run.
    fn read_warnings(&self) -> Vec<String> {
        Vec::new()
    }
    /// What the acquisition holds that could not be checked, or lacks (e.g. "the system volume is not in
    /// the dump", "traffic to 3 hosts was encrypted"): coverage facts for the summary, info.json and
    /// report.html. Called after the modules ran (an acquisition parsed lazily knows more by then).
    fn coverage(&self) -> Vec<String> {
        Vec::new()
    }
    /// The device's time zone when known.
    fn timezone(&self) -> Option<String> {
        None
    }
}

/// A kind of acquisition telltale knows (iOS backup, AndroidQF, bugreport …).
pub trait AcquisitionKind: Send + Sync {
    fn name(&self) -> &'static str;
    /// One line for the "not a recognised acquisition" message.
    fn description(&self) -> &'static str;
    /// `Ok(None)`: not this kind. `Err`: this kind, but it cannot be opened.
    fn open(
        &self,
        path: &Path,
        opts: &OpenOptions,
    ) -> Result<Option<Box<dyn Acquisition>>, AcquisitionError>;
    /// Every module of this kind, for `--list-modules`.
    fn all_modules(&self) -> Vec<Box<dyn Module>>;
}
