//! telltale-ioc: STIX 2.1 indicators, the index that matches observables against them, and the
//! built-in public indicator sets.
//!
//! * [`stix`] loads bundles (collections from reports and `indicates` relationships),
//! * [`pattern`] parses STIX patterns and extracts the equality leaves the index evaluates,
//! * [`IocIndex`] answers "which indicators match this observable" with hash lookups,
//! * [`builtin`] holds the compressed snapshot of the 15 public sets of MVT's index,
//! * [`update`] downloads a newer set from an `indicators.yaml` index.

use std::sync::Arc;

pub mod builtin;
mod fxhash;
mod index;
pub mod keys;
pub mod normalize;
pub mod pattern;
pub mod stix;
pub mod tinycheck;
pub mod update;

pub use index::{
    ExportedKey, IndexBuilder, IndexStats, IocIndex, NetworkLists, SetOrigin, SetStats,
    UnsupportedPattern,
};
pub use keys::{KeyKind, Observed};
pub use stix::{DEFAULT_COLLECTION, LoadProblem};
pub use update::{ActiveSnapshot, SnapshotKind, UpdateError, UpdateReport};

/// Errors loading indicator files.
#[derive(Debug, thiserror::Error)]
pub enum IocError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: not valid STIX JSON: {source}")]
    Json {
        file: String,
        source: serde_json::Error,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: larger than {limit} bytes")]
    TooLarge { file: String, limit: u64 },
}

/// The observable kinds telltale evaluates.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum IndicatorKind {
    Domain,
    Ipv4,
    Ipv6,
    Url,
    ProcessName,
    Email,
    FileName,
    FilePath,
    FileMd5,
    FileSha1,
    FileSha256,
    AppId,
    AppCertMd5,
    AppCertSha1,
    AppCertSha256,
    ConfigurationProfileId,
    AndroidProperty,
    /// Hash of an X.509 certificate's DER (`x509-certificate:hashes`, TinyCheck's `sha1cert`).
    X509Md5,
    X509Sha1,
    X509Sha256,
}

impl IndicatorKind {
    /// The name of the indicator list MVT (2026.10.26) files this kind under and writes as
    /// `matched_indicator.type` in alerts.json (`domains`, `processes`, …; IP addresses are `domains`).
    pub fn mvt_type(self) -> &'static str {
        match self {
            IndicatorKind::Domain | IndicatorKind::Ipv4 | IndicatorKind::Ipv6 => "domains",
            IndicatorKind::Url => "urls",
            IndicatorKind::ProcessName => "processes",
            IndicatorKind::Email => "emails",
            IndicatorKind::FileName => "file_names",
            IndicatorKind::FilePath => "file_paths",
            IndicatorKind::FileMd5 => "files_md5",
            IndicatorKind::FileSha1 => "files_sha1",
            IndicatorKind::FileSha256 => "files_sha256",
            IndicatorKind::AppId => "app_ids",
            IndicatorKind::AppCertMd5
            | IndicatorKind::AppCertSha1
            | IndicatorKind::AppCertSha256 => "app_cert_hashes",
            IndicatorKind::ConfigurationProfileId => "ios_profile_ids",
            IndicatorKind::AndroidProperty => "android_property_names",
            // MVT has no network module; telltale's own name for certificate hashes.
            IndicatorKind::X509Md5 | IndicatorKind::X509Sha1 | IndicatorKind::X509Sha256 => {
                "x509_cert_hashes"
            }
        }
    }

    /// The STIX object path of the kind (`domain-name:value`, `process:name`, …).
    pub fn as_stix(self) -> &'static str {
        match self {
            IndicatorKind::Domain => "domain-name:value",
            IndicatorKind::Ipv4 => "ipv4-addr:value",
            IndicatorKind::Ipv6 => "ipv6-addr:value",
            IndicatorKind::Url => "url:value",
            IndicatorKind::ProcessName => "process:name",
            IndicatorKind::Email => "email-addr:value",
            IndicatorKind::FileName => "file:name",
            IndicatorKind::FilePath => "file:path",
            IndicatorKind::FileMd5 => "file:hashes.md5",
            IndicatorKind::FileSha1 => "file:hashes.sha1",
            IndicatorKind::FileSha256 => "file:hashes.sha256",
            IndicatorKind::AppId => "app:id",
            IndicatorKind::AppCertMd5 => "app:cert.md5",
            IndicatorKind::AppCertSha1 => "app:cert.sha1",
            IndicatorKind::AppCertSha256 => "app:cert.sha256",
            IndicatorKind::ConfigurationProfileId => "configuration-profile:id",
            IndicatorKind::AndroidProperty => "android-property:name",
            IndicatorKind::X509Md5 => "x509-certificate:hashes.MD5",
            IndicatorKind::X509Sha1 => "x509-certificate:hashes.'SHA-1'",
            IndicatorKind::X509Sha256 => "x509-certificate:hashes.'SHA-256'",
        }
    }
}

/// One indicator that matched an observable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The indicator's value as written in its pattern.
    pub value: Arc<str>,
    pub kind: IndicatorKind,
    /// Every collection (malware name, report name, or "Default collection") the indicator belongs to.
    pub collections: Vec<Arc<str>>,
    /// The file the indicator came from (`builtin:<name>` for the built-in snapshot).
    pub source_file: Arc<str>,
    /// The STIX id of the indicator object.
    pub indicator_id: Option<Arc<str>>,
}
