//! telltale-ioc: STIX 2.1 indicators, the index that matches observables against them, and the
//! built-in public indicator sets. (Skeleton: API contract; the implementation fills it in.)

use std::sync::Arc;

/// The observable kinds telltale evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
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
}

impl IndicatorKind {
    /// The STIX object path, as MVT writes it in `matched_indicator.type`.
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

/// The indicator index. (Skeleton.)
#[derive(Default)]
pub struct IocIndex {}

impl IocIndex {
    /// An index with no indicators.
    pub fn empty() -> Self {
        IocIndex::default()
    }
    pub fn match_host(&self, _host: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_url(&self, _url: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_text(&self, _text: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_process(&self, _name: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_email(&self, _email: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_app_id(&self, _id: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_cert_hash(&self, _hash: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_file_hash(&self, _hash: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_file_name(&self, _name: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_file_path(&self, _path: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_profile_id(&self, _id: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_android_property(&self, _name: &str) -> Vec<Match> {
        Vec::new()
    }
    pub fn match_ip(&self, _ip: &str) -> Vec<Match> {
        Vec::new()
    }
}
