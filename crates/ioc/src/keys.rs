//! Match keys: the matcher's rules as plain `(kind, key)` pairs, so that "does this observable match
//! this indicator" becomes an equi-join that any engine (telltale's hunt, Spark, DuckDB, Trino) runs
//! with the same answers as [`IocIndex`](crate::IocIndex).
//!
//! An observed value gives a few keys ([`observed_keys`]); an indicator gives a few keys
//! ([`IocIndex::export_keys`](crate::IocIndex::export_keys)). The observable matches the indicator
//! exactly when one of its keys equals one of the indicator's keys (same [`KeyKind`], same key):
//!
//! * **domain**: an observed host gives its normalised name (trimmed, trailing dot, lower case, IDNA →
//!   punycode, leading `www.` stripped) and each parent suffix at a label boundary (`a.evil.com`,
//!   `evil.com`, `com`), at most [`MAX_DOMAIN_LABELS`] labels; the indicator gives its normalised name.
//!   An IP literal gives an **ip** key instead (canonical form, IPv4-mapped IPv6 as IPv4).
//! * **url**: the URL key (scheme, `www.`, default port, fragment and trailing `/` dropped), plus the
//!   host's domain (or ip) keys.
//! * **process**: the basename; an indicator also gives its first 15 and 16 bytes when longer (the
//!   kernel truncates process names to 15 or 16 bytes, so an observed name of that length that is a
//!   prefix of an indicator matches it).
//! * **file_path**: the path and each folder prefix ending in `/` (the root `/` excepted), at most
//!   [`MAX_DIR_DEPTH`] levels and [`MAX_DIR_KEY`] bytes; an indicator ending in `/` (a folder)
//!   matches every path under it and the folder's own path (it is exported as `dir/` and `dir`), any
//!   other only that path. The root folder `/` is not an indicator (it would match every file).
//! * **file_name**: the basename. **email**: lower case, `mailto:` stripped. **file_hash**,
//!   **cert_hash**: lower-case hex without separators. **app_id**, **profile_id**,
//!   **android_property**: the trimmed value.
//!
//! Free text ([`Observed::Text`]) is first cut into links, e-mail addresses and bare domains
//! ([`text_observables`]), each then keyed as a URL or an e-mail address.

use crate::normalize as norm;

/// A domain indicator with more labels than this is not evaluated, and an observed host gives keys
/// for its suffixes of at most this many labels (bounding the keys of a hostile 500-label host).
pub const MAX_DOMAIN_LABELS: usize = 32;
/// A folder indicator (`file:path` ending in `/`) with more `/` than this is not evaluated; observed
/// paths give folder prefixes up to this depth.
pub const MAX_DIR_DEPTH: usize = 32;
/// A folder indicator longer than this (bytes) is not evaluated; longer folder prefixes of an observed
/// path are not keys.
pub const MAX_DIR_KEY: usize = 1024;

/// The join spaces of match keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    Domain,
    Ip,
    Url,
    Process,
    Email,
    AppId,
    CertHash,
    FileHash,
    FileName,
    FilePath,
    ProfileId,
    AndroidProperty,
}

impl KeyKind {
    pub const ALL: [KeyKind; 12] = [
        KeyKind::Domain,
        KeyKind::Ip,
        KeyKind::Url,
        KeyKind::Process,
        KeyKind::Email,
        KeyKind::AppId,
        KeyKind::CertHash,
        KeyKind::FileHash,
        KeyKind::FileName,
        KeyKind::FilePath,
        KeyKind::ProfileId,
        KeyKind::AndroidProperty,
    ];

    /// The name written in the `kind` columns.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Domain => "domain",
            KeyKind::Ip => "ip",
            KeyKind::Url => "url",
            KeyKind::Process => "process",
            KeyKind::Email => "email",
            KeyKind::AppId => "app_id",
            KeyKind::CertHash => "cert_hash",
            KeyKind::FileHash => "file_hash",
            KeyKind::FileName => "file_name",
            KeyKind::FilePath => "file_path",
            KeyKind::ProfileId => "profile_id",
            KeyKind::AndroidProperty => "android_property",
        }
    }

    pub fn parse(s: &str) -> Option<KeyKind> {
        KeyKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an observed value is looked at: which matcher of [`IocIndex`](crate::IocIndex) applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Observed {
    /// `match_host`: a host name or IP literal.
    Host,
    /// `match_url`: a URL, or a string holding a host (`evil.com/x`, `evil.com:443`).
    Url,
    /// `match_ip`.
    Ip,
    /// `match_text`: free text (cut by [`text_observables`] before keying).
    Text,
    /// `match_process`: a process name or path.
    Process,
    /// `match_email`.
    Email,
    /// `match_app_id`.
    AppId,
    /// `match_file_path`.
    FilePath,
    /// `match_file_name`.
    FileName,
    /// `match_file_hash`.
    FileHash,
    /// `match_cert_hash`.
    CertHash,
    /// `match_profile_id`.
    ProfileId,
    /// `match_android_property`.
    AndroidProperty,
}

impl Observed {
    pub fn as_str(self) -> &'static str {
        match self {
            Observed::Host => "domain",
            Observed::Url => "url",
            Observed::Ip => "ip",
            Observed::Text => "text",
            Observed::Process => "process",
            Observed::Email => "email",
            Observed::AppId => "app_id",
            Observed::FilePath => "file_path",
            Observed::FileName => "file_name",
            Observed::FileHash => "file_hash",
            Observed::CertHash => "cert_hash",
            Observed::ProfileId => "profile_id",
            Observed::AndroidProperty => "android_property",
        }
    }
}

pub(crate) fn email_key(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix("mailto:").unwrap_or(s);
    s.to_lowercase()
}

/// The keys of a normalised host: itself and its suffixes at label boundaries, of at most
/// [`MAX_DOMAIN_LABELS`] labels.
pub fn domain_suffix_keys(h: &str, out: &mut Vec<(KeyKind, String)>) {
    each_domain_suffix_key(h, &mut |k, v| out.push((k, v.to_string())));
}

/// [`domain_suffix_keys`], each key given to `f`.
pub fn each_domain_suffix_key(h: &str, f: &mut dyn FnMut(KeyKind, &str)) {
    if h.is_empty() {
        return;
    }
    let b = h.as_bytes();
    let mut labels = 1 + b.iter().filter(|&&c| c == b'.').count();
    let mut start = 0;
    loop {
        if labels <= MAX_DOMAIN_LABELS {
            f(KeyKind::Domain, &h[start..]);
        }
        match b[start..].iter().position(|&c| c == b'.') {
            Some(i) => start += i + 1,
            None => break,
        }
        labels -= 1;
    }
}

/// Prefix lengths at which an observed IPv4 address also gets a key: a CIDR indicator of another length is
/// exported as the ranges of the next one of these (or single addresses) that it covers, so that a plain
/// equi-join finds addresses inside ranges as the matcher does.
pub const V4_BLOCKS: [u8; 3] = [8, 16, 24];
/// The same for IPv6 (steps of 16 bits: a range is exported as at most 2^15 keys).
pub const V6_BLOCKS: [u8; 7] = [16, 32, 48, 64, 80, 96, 112];

/// An address as the matcher sees it (IPv4-mapped IPv6 addresses are IPv4).
pub(crate) fn canonical_ip(a: std::net::IpAddr) -> std::net::IpAddr {
    match a {
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => std::net::IpAddr::V4(v4),
            None => a,
        },
        v4 => v4,
    }
}

/// Keys of an observed address: the address and the ranges of [`V4_BLOCKS`]/[`V6_BLOCKS`] holding it.
pub fn ip_keys(a: std::net::IpAddr, out: &mut Vec<(KeyKind, String)>) {
    each_ip_key(a, &mut |k, v| out.push((k, v.to_string())));
}

/// [`ip_keys`], each key given to `f`.
pub fn each_ip_key(a: std::net::IpAddr, f: &mut dyn FnMut(KeyKind, &str)) {
    let a = canonical_ip(a);
    f(KeyKind::Ip, &norm::ip_key(a));
    let blocks: &[u8] = if a.is_ipv4() { &V4_BLOCKS } else { &V6_BLOCKS };
    for &len in blocks {
        f(KeyKind::Ip, &norm::cidr_key(a, len));
    }
}

/// Most keys one CIDR indicator is exported as.
const MAX_RANGE_KEYS: u64 = 1 << 16;

/// The keys a CIDR indicator `a/len` is exported as (see [`V4_BLOCKS`]): itself when its length is one of
/// the blocks, else the ranges of the next block length it covers (single addresses past the last
/// block). `None` when that would be more than 2^16 keys.
pub fn cidr_export_keys(a: std::net::IpAddr, len: u8) -> Option<Vec<String>> {
    let (full, blocks): (u8, &[u8]) = if a.is_ipv4() {
        (32, &V4_BLOCKS)
    } else {
        (128, &V6_BLOCKS)
    };
    if len >= full {
        return Some(vec![norm::ip_key(a)]);
    }
    if blocks.contains(&len) {
        return Some(vec![norm::cidr_key(a, len)]);
    }
    let target = blocks.iter().copied().find(|&b| b > len).unwrap_or(full);
    let n = 1u64.checked_shl(u32::from(target - len))?;
    if n > MAX_RANGE_KEYS {
        return None;
    }
    let mut out = Vec::with_capacity(n as usize);
    match a {
        std::net::IpAddr::V4(v) => {
            let base = u32::from(v) & (u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0));
            for i in 0..n as u32 {
                let sub = std::net::IpAddr::V4((base | (i << (32 - u32::from(target)))).into());
                out.push(if target == full {
                    norm::ip_key(sub)
                } else {
                    norm::cidr_key(sub, target)
                });
            }
        }
        std::net::IpAddr::V6(v) => {
            let base = u128::from(v) & (u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0));
            for i in 0..n as u128 {
                let sub = std::net::IpAddr::V6((base | (i << (128 - u32::from(target)))).into());
                out.push(if target == full {
                    norm::ip_key(sub)
                } else {
                    norm::cidr_key(sub, target)
                });
            }
        }
    }
    Some(out)
}

/// Keys of an observed host or IP literal (what `match_host` looks up).
pub fn host_keys(host: &str, out: &mut Vec<(KeyKind, String)>) {
    each_host_key(host, &mut |k, v| out.push((k, v.to_string())));
}

/// [`host_keys`], each key given to `f`.
pub fn each_host_key(host: &str, f: &mut dyn FnMut(KeyKind, &str)) {
    if let Some(a) = norm::ip(host) {
        each_ip_key(a, f);
        return;
    }
    if let Some(n) = norm::host(host) {
        each_domain_suffix_key(&n, f);
    }
}

/// Keys of an observed URL (what `match_url` looks up): its URL key and its host's keys.
pub fn url_keys(url: &str, out: &mut Vec<(KeyKind, String)>) {
    each_url_key(url, &mut |k, v| out.push((k, v.to_string())));
}

/// [`url_keys`], each key given to `f`.
pub fn each_url_key(url: &str, f: &mut dyn FnMut(KeyKind, &str)) {
    if let Some(k) = norm::url_key(url) {
        f(KeyKind::Url, &k);
    }
    if let Some((h, _, _)) = norm::split_authority(url) {
        each_host_key(h, f);
    }
}

/// Keys of an observed file path (what `match_file_path` looks up): the path and each folder prefix
/// ending in `/` but the root. (A folder indicator naming the path itself is exported with the key
/// of the path without its `/`, rather than every path getting one more key.)
pub fn path_keys(path: &str, out: &mut Vec<(KeyKind, String)>) {
    each_path_key(path, &mut |k, v| out.push((k, v.to_string())));
}

/// [`path_keys`], each key given to `f`.
pub fn each_path_key(path: &str, f: &mut dyn FnMut(KeyKind, &str)) {
    let path = path.trim();
    if path.is_empty() {
        return;
    }
    f(KeyKind::FilePath, path);
    let mut depth = 0;
    for (i, _) in path.match_indices('/') {
        depth += 1;
        if depth > MAX_DIR_DEPTH || i + 1 > MAX_DIR_KEY {
            return;
        }
        if i > 0 && i + 1 < path.len() {
            f(KeyKind::FilePath, &path[..=i]);
        }
    }
}

/// The parts of a path (lower-cased, split at `/` and `_`) that look like host names: the WebKit data
/// folders of a backup or dump name the site they hold (`https_example.com_0`).
pub fn path_host_parts(rel: &str) -> std::collections::BTreeSet<String> {
    const NOT_TLDS: [&str; 24] = [
        "plist",
        "db",
        "sqlite",
        "sqlite3",
        "sqlitedb",
        "json",
        "txt",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "heic",
        "mov",
        "mp4",
        "log",
        "xml",
        "dat",
        "bin",
        "car",
        "nib",
        "strings",
        "localstorage",
        "data",
        "pdf",
    ];
    rel.split(['/', '_'])
        .filter(|p| {
            let mut labels = p.split('.');
            let Some(tld) = labels.next_back() else {
                return false;
            };
            p.contains('.')
                && p.len() <= 253
                && (2..=24).contains(&tld.len())
                && tld.bytes().all(|b| b.is_ascii_alphabetic())
                && !NOT_TLDS.iter().any(|t| t.eq_ignore_ascii_case(tld))
                && labels.all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        })
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Keys of an observed process name or path: its basename.
pub fn process_keys(name: &str, out: &mut Vec<(KeyKind, String)>) {
    let b = norm::basename(name);
    if !b.is_empty() {
        out.push((KeyKind::Process, b.to_string()));
    }
}

/// The links, e-mail addresses and bare domains or IPv4 addresses of free text, each with how it is
/// keyed ([`Observed::Email`] or [`Observed::Url`]); what `match_text` matches, in order.
pub fn text_observables(text: &str) -> Vec<(Observed, &str)> {
    let mut out = Vec::new();
    let mut finder = linkify::LinkFinder::new();
    finder.url_must_have_scheme(false);
    for link in finder.links(text) {
        match link.kind() {
            linkify::LinkKind::Email => out.push((Observed::Email, link.as_str())),
            _ => out.push((Observed::Url, link.as_str())),
        }
    }
    for tok in text.split(|c: char| c.is_whitespace() || "<>\"'()[]{},;!|`".contains(c)) {
        let tok = tok.trim_end_matches(['.', ':', '?']);
        if tok.contains('@') {
            continue;
        }
        let host = tok.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.split(':').next().unwrap_or("");
        if norm::looks_like_domain(host) || host.parse::<std::net::Ipv4Addr>().is_ok() {
            out.push((Observed::Url, tok));
        }
    }
    out
}

/// The match keys of `value` observed as `how`, appended to `out` (in no particular order, possibly
/// repeated).
pub fn observed_keys(how: Observed, value: &str, out: &mut Vec<(KeyKind, String)>) {
    each_observed_key(how, value, &mut |k, v| out.push((k, v.to_string())));
}

/// [`observed_keys`], each key given to `f` (borrowed where the key is a part of `value`: no
/// allocation for most paths, names and hosts).
pub fn each_observed_key(how: Observed, value: &str, f: &mut dyn FnMut(KeyKind, &str)) {
    let mut one = |k: KeyKind, v: &str| {
        if !v.is_empty() {
            f(k, v);
        }
    };
    match how {
        Observed::Host => each_host_key(value, f),
        Observed::Url => each_url_key(value, f),
        Observed::Ip => {
            if let Some(a) = norm::ip(value) {
                each_ip_key(a, f);
            }
        }
        Observed::Text => {
            for (h, v) in text_observables(value) {
                each_observed_key(h, v, f);
            }
        }
        Observed::Process => one(KeyKind::Process, norm::basename(value)),
        Observed::Email => one(KeyKind::Email, &email_key(value)),
        Observed::AppId => one(KeyKind::AppId, value.trim()),
        Observed::FilePath => each_path_key(value, f),
        Observed::FileName => one(KeyKind::FileName, norm::basename(value)),
        Observed::FileHash => one(KeyKind::FileHash, &norm::hash(value)),
        Observed::CertHash => one(KeyKind::CertHash, &norm::hash(value)),
        Observed::ProfileId => one(KeyKind::ProfileId, value.trim()),
        Observed::AndroidProperty => one(KeyKind::AndroidProperty, value.trim()),
    }
}

/// The normalised form of `value` observed as `how` (the `normalized` column): the URL key, the
/// normalised host, the basename, the lower-case address or hash…; `None` when it has no key at all.
pub fn normalized(how: Observed, value: &str) -> Option<String> {
    normalized_cow(how, value).map(std::borrow::Cow::into_owned)
}

/// [`normalized`], borrowed from `value` where it is a part of it (paths, ids, names).
pub fn normalized_cow(how: Observed, value: &str) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    let v = value.trim();
    let s: Cow<'_, str> = match how {
        Observed::Host => match norm::ip(v) {
            Some(a) => Cow::Owned(norm::ip_key(a)),
            None => norm::host(v)?,
        },
        Observed::Url => Cow::Owned(norm::url_key(v).or_else(|| norm::url_host(v))?),
        Observed::Ip => Cow::Owned(norm::ip_key(norm::ip(v)?)),
        Observed::Text => Cow::Borrowed(v),
        Observed::Process | Observed::FileName => Cow::Borrowed(norm::basename(v)),
        Observed::Email => Cow::Owned(email_key(v)),
        Observed::FileHash | Observed::CertHash => Cow::Owned(norm::hash(v)),
        Observed::AppId | Observed::FilePath | Observed::ProfileId | Observed::AndroidProperty => {
            Cow::Borrowed(v)
        }
    };
    (!s.is_empty()).then_some(s)
}
