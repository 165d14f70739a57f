//! telltale-ioc: STIX 2.1 indicators, the index that matches observables against them, and the
//! built-in public indicator sets. (Skeleton: API contract; the implementation fills it in.)

use std::sync::Arc;

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

/// The indicator index. (Interim version: linear scans with the final matching rules; the real index
/// replaces the internals and keeps this API.)
#[derive(Default)]
pub struct IocIndex {
    entries: Vec<(IndicatorKind, Arc<str>, Arc<str>)>,
}

fn norm_host(h: &str) -> String {
    let h = h.trim().trim_end_matches('.').to_ascii_lowercase();
    h.strip_prefix("www.").map(str::to_string).unwrap_or(h)
}

fn host_of(s: &str) -> Option<String> {
    let rest = s.split_once("://").map(|(_, r)| r).unwrap_or(s);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host);
    let host = host.split(':').next()?;
    if host.is_empty() {
        None
    } else {
        Some(norm_host(host))
    }
}

impl IocIndex {
    /// An index with no indicators.
    pub fn empty() -> Self {
        IocIndex::default()
    }

    /// An index of plain values, all in one collection (for tests and simple lists).
    pub fn from_values(values: &[(IndicatorKind, &str)], collection: &str) -> Self {
        let c: Arc<str> = Arc::from(collection);
        IocIndex {
            entries: values
                .iter()
                .map(|(k, v)| (*k, Arc::from(*v), c.clone()))
                .collect(),
        }
    }

    fn hits(&self, pred: impl Fn(IndicatorKind, &str) -> bool) -> Vec<Match> {
        self.entries
            .iter()
            .filter(|(k, v, _)| pred(*k, v))
            .map(|(k, v, c)| Match {
                value: v.clone(),
                kind: *k,
                collections: vec![c.clone()],
                source_file: Arc::from("values"),
                indicator_id: None,
            })
            .collect()
    }

    pub fn match_host(&self, host: &str) -> Vec<Match> {
        let h = norm_host(host);
        if h.parse::<std::net::IpAddr>().is_ok() {
            return self.match_ip(&h);
        }
        self.hits(|k, v| {
            k == IndicatorKind::Domain && {
                let d = norm_host(v);
                h == d || h.ends_with(&format!(".{d}"))
            }
        })
    }
    pub fn match_url(&self, url: &str) -> Vec<Match> {
        let exact = self.hits(|k, v| k == IndicatorKind::Url && v == url);
        if !exact.is_empty() {
            return exact;
        }
        host_of(url)
            .map(|h| self.match_host(&h))
            .unwrap_or_default()
    }
    pub fn match_text(&self, text: &str) -> Vec<Match> {
        text.split_whitespace()
            .flat_map(|w| {
                if w.contains('.') {
                    self.match_url(w)
                } else {
                    vec![]
                }
            })
            .collect()
    }
    pub fn match_process(&self, name: &str) -> Vec<Match> {
        let base = name.rsplit('/').next().unwrap_or(name);
        self.hits(|k, v| {
            k == IndicatorKind::ProcessName
                && (v == base || ((15..=16).contains(&base.len()) && v.starts_with(base)))
        })
    }
    pub fn match_email(&self, email: &str) -> Vec<Match> {
        self.hits(|k, v| k == IndicatorKind::Email && v.eq_ignore_ascii_case(email.trim()))
    }
    pub fn match_app_id(&self, id: &str) -> Vec<Match> {
        self.hits(|k, v| k == IndicatorKind::AppId && v == id)
    }
    pub fn match_cert_hash(&self, hash: &str) -> Vec<Match> {
        self.hits(|k, v| {
            matches!(
                k,
                IndicatorKind::AppCertMd5
                    | IndicatorKind::AppCertSha1
                    | IndicatorKind::AppCertSha256
            ) && v.eq_ignore_ascii_case(hash)
        })
    }
    pub fn match_file_hash(&self, hash: &str) -> Vec<Match> {
        self.hits(|k, v| {
            matches!(
                k,
                IndicatorKind::FileMd5 | IndicatorKind::FileSha1 | IndicatorKind::FileSha256
            ) && v.eq_ignore_ascii_case(hash)
        })
    }
    pub fn match_file_name(&self, name: &str) -> Vec<Match> {
        let base = name.rsplit('/').next().unwrap_or(name);
        self.hits(|k, v| k == IndicatorKind::FileName && v == base)
    }
    pub fn match_file_path(&self, path: &str) -> Vec<Match> {
        self.hits(|k, v| {
            k == IndicatorKind::FilePath && (v == path || (v.ends_with('/') && path.starts_with(v)))
        })
    }
    pub fn match_profile_id(&self, id: &str) -> Vec<Match> {
        self.hits(|k, v| k == IndicatorKind::ConfigurationProfileId && v == id)
    }
    pub fn match_android_property(&self, name: &str) -> Vec<Match> {
        self.hits(|k, v| k == IndicatorKind::AndroidProperty && v == name)
    }
    pub fn match_ip(&self, ip: &str) -> Vec<Match> {
        self.hits(|k, v| matches!(k, IndicatorKind::Ipv4 | IndicatorKind::Ipv6) && v == ip.trim())
    }
}
