//! The indicator index: hash maps keyed by normalised values, no scanning at match time.

use crate::keys::{self, KeyKind, Observed};
use crate::normalize as norm;
use crate::pattern;
use crate::stix::{self, LoadProblem};
use crate::{IndicatorKind, IocError, Match};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::fxhash::FxMap;

/// The separate lookup tables.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Domain,
    Ip,
    Url,
    Process,
    /// 15- and 16-byte prefixes of longer process names (kernel truncation).
    ProcessTrunc,
    Email,
    AppId,
    CertHash,
    FileHash,
    FileName,
    FilePath,
    /// `file:path` values ending in `/`: prefix matches.
    FileDir,
    Profile,
    AndroidProperty,
}
const SLOTS: usize = 14;
const ALL_SLOTS: [Slot; SLOTS] = [
    Slot::Domain,
    Slot::Ip,
    Slot::Url,
    Slot::Process,
    Slot::ProcessTrunc,
    Slot::Email,
    Slot::AppId,
    Slot::CertHash,
    Slot::FileHash,
    Slot::FileName,
    Slot::FilePath,
    Slot::FileDir,
    Slot::Profile,
    Slot::AndroidProperty,
];

/// One match key of one indicator (see [`IocIndex::export_keys`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedKey {
    pub kind: KeyKind,
    pub key: Arc<str>,
    /// The indicator: [`IocIndex::entry`].
    pub entry: u32,
}

const KINDS: usize = 20;
const ALL_KINDS: [IndicatorKind; KINDS] = {
    use IndicatorKind as K;
    [
        K::Domain,
        K::Ipv4,
        K::Ipv6,
        K::Url,
        K::ProcessName,
        K::Email,
        K::FileName,
        K::FilePath,
        K::FileMd5,
        K::FileSha1,
        K::FileSha256,
        K::AppId,
        K::AppCertMd5,
        K::AppCertSha1,
        K::AppCertSha256,
        K::ConfigurationProfileId,
        K::AndroidProperty,
        K::X509Md5,
        K::X509Sha1,
        K::X509Sha256,
    ]
};

struct Entry {
    value: Arc<str>,
    kind: IndicatorKind,
    collections: Arc<[Arc<str>]>,
    source: Arc<str>,
    id: Option<Arc<str>>,
}

/// One registration of an entry under a key; `next` chains the registrations of one key.
#[derive(Clone, Copy)]
struct Reg {
    entry: u32,
    next: u32,
}
const NIL: u32 = u32::MAX;

/// Where a set of indicators came from (for the built-in snapshot and updated sets).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SetOrigin {
    /// Name as in MVT's `indicators.yaml`.
    pub name: String,
    pub upstream_repo: String,
    pub commit: Option<String>,
    pub licence: Option<String>,
    pub date: Option<String>,
    pub sources: Vec<String>,
}

/// Statistics of one loaded file / set.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SetStats {
    /// `builtin:<file>`, a path, or `values` for [`IocIndex::from_values`].
    pub source: String,
    pub origin: Option<SetOrigin>,
    /// Collections (malware / report names) in this set.
    pub collections: Vec<String>,
    /// Indicator objects in the file.
    pub indicators: usize,
    /// Evaluated equality values by kind (one per leaf, before de-duplication).
    pub by_kind: BTreeMap<IndicatorKind, usize>,
    /// Patterns not (or only partly) evaluated.
    pub unsupported: usize,
    pub dangling_refs: usize,
    /// Objects skipped because they were malformed.
    pub problems: usize,
}

/// A pattern that telltale cannot (fully) evaluate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UnsupportedPattern {
    pub file: String,
    pub id: String,
    pub pattern: String,
    pub reason: String,
    /// How many equality values of it are still evaluated (0: none).
    pub evaluated_values: usize,
}

/// Statistics of the whole index.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IndexStats {
    pub sets: Vec<SetStats>,
    pub unsupported: Vec<UnsupportedPattern>,
    pub problems: Vec<LoadProblem>,
}

impl IndexStats {
    pub fn total_indicators(&self) -> usize {
        self.sets.iter().map(|s| s.indicators).sum()
    }
    pub fn by_kind(&self) -> BTreeMap<IndicatorKind, usize> {
        let mut m = BTreeMap::new();
        for s in &self.sets {
            for (k, n) in &s.by_kind {
                *m.entry(*k).or_insert(0) += n;
            }
        }
        m
    }
    pub fn dangling_refs(&self) -> usize {
        self.sets.iter().map(|s| s.dangling_refs).sum()
    }
}

/// The indicator index. Build it with [`IocIndex::builder`], [`IocIndex::builtin`] or
/// [`IocIndex::from_values`]; query it with the `match_*` methods.
pub struct IocIndex {
    entries: Vec<Entry>,
    regs: Vec<Reg>,
    maps: Vec<FxMap<Arc<str>, u32>>,
    /// Fewest and most labels of any indicator domain: suffixes of an observed host outside this
    /// range cannot match and are not looked up.
    domain_labels: (usize, usize),
    /// Longest folder indicator (bytes): longer prefixes of an observed path cannot match, and are not
    /// hashed (a path of n bytes has up to n/2 prefixes: hashing them all is quadratic).
    file_dir_max: usize,
    /// Prefix lengths of the CIDR indicators (longest first), by family.
    cidr_v4: Vec<u8>,
    cidr_v6: Vec<u8>,
    /// Network-only lists (TinyCheck's free DNS suffixes, suspect TLDs, Snort rules).
    network: NetworkLists,
    stats: IndexStats,
}

/// Lists that only network checks use, loaded from TinyCheck's `iocs.json`.
#[derive(Debug, Clone, Default)]
pub struct NetworkLists {
    /// Free dynamic DNS parent domains (`duckdns.org` …).
    pub free_dns: std::collections::HashSet<String>,
    /// Suspect top-level domains (`xyz` …), without the dot.
    pub tlds: std::collections::HashSet<String>,
    /// Snort-subset rules: `(sid, tag, rule text)`.
    pub snort: Vec<(u64, String, String)>,
}

impl NetworkLists {
    /// The free dynamic DNS parent `name` is under (label boundary), if any.
    pub fn free_dns_suffix(&self, name: &str) -> Option<&str> {
        if self.free_dns.is_empty() {
            return None;
        }
        let n = name.trim_end_matches('.');
        let mut rest = n;
        while let Some(i) = rest.find('.') {
            rest = &rest[i + 1..];
            if let Some(d) = self.free_dns.get(rest) {
                return Some(d);
            }
        }
        None
    }
    /// The suspect top-level domain of `name`, if it is one.
    pub fn suspect_tld(&self, name: &str) -> Option<&str> {
        let n = name.trim_end_matches('.');
        let tld = n.rsplit('.').next()?;
        if tld == n {
            return None;
        }
        self.tlds.get(tld).map(String::as_str)
    }
}

impl Default for IocIndex {
    fn default() -> Self {
        IocIndex {
            entries: Vec::new(),
            regs: Vec::new(),
            maps: (0..SLOTS).map(|_| FxMap::default()).collect(),
            domain_labels: (usize::MAX, 0),
            file_dir_max: 0,
            cidr_v4: Vec::new(),
            cidr_v6: Vec::new(),
            network: NetworkLists::default(),
            stats: IndexStats::default(),
        }
    }
}

impl std::fmt::Debug for IocIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IocIndex")
            .field("values", &self.entries.len())
            .field("sets", &self.stats.sets.len())
            .finish()
    }
}

/// Longest host normalised in a stack buffer (longer ones take the general path).
const HOST_BUF: usize = 256;

/// Strip a leading `www.` unless nothing would remain (as [`norm::host`] does).
#[inline]
fn strip_www(h: &str) -> &str {
    match h.strip_prefix("www.") {
        Some(r) if !r.is_empty() => r,
        _ => h,
    }
}

use crate::keys::email_key;

/// The keys an indicator value is registered under (at most 3; the first is the primary key used
/// for de-duplication).
struct Keys<'v> {
    n: usize,
    k: [(Slot, Cow<'v, str>); 3],
}

impl<'v> Keys<'v> {
    fn one(s: Slot, k: impl Into<Cow<'v, str>>) -> Self {
        let e = || (Slot::Domain, Cow::Borrowed(""));
        Keys {
            n: 1,
            k: [(s, k.into()), e(), e()],
        }
    }
    fn push(&mut self, s: Slot, k: impl Into<Cow<'v, str>>) {
        self.k[self.n] = (s, k.into());
        self.n += 1;
    }
    fn as_slice(&self) -> &[(Slot, Cow<'v, str>)] {
        &self.k[..self.n]
    }
}

/// A lower-case ASCII host name that normalises to itself (no `www.`, no trailing dot, not an IP
/// literal, no URL syntax): the common case, keyed without any normalisation work.
fn is_plain_host(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= 1024
        && b.iter().all(|&c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'_')
        })
        && b[b.len() - 1] != b'.'
        && !v.starts_with("www.")
        && b.iter().any(|&c| !(c.is_ascii_digit() || c == b'.'))
}

fn keys_for(kind: IndicatorKind, value: &str) -> Result<Keys<'_>, String> {
    use IndicatorKind as K;
    let v = value.trim();
    if v.is_empty() {
        return Err("empty value".into());
    }
    let one = |s: Slot, k: String| Ok(Keys::one(s, k));
    match kind {
        K::Domain if is_plain_host(v) => {
            if v.bytes().filter(|&b| b == b'.').count() >= keys::MAX_DOMAIN_LABELS {
                return Err(format!("more than {} labels", keys::MAX_DOMAIN_LABELS));
            }
            Ok(Keys::one(Slot::Domain, v))
        }
        K::Domain => {
            // Some "domains" are really URL fragments (`host.xyz/x`): index the host as a domain and
            // the whole value as a URL.
            let looks_url = v.contains(['/', '?', '#']) || v.contains("://");
            let (h, _, tail) = norm::split_authority(v).ok_or("no host in domain value")?;
            let host = match norm::ip(h) {
                Some(a) => return one(Slot::Ip, norm::ip_key(a)),
                None => norm::host(h).ok_or("no host in domain value")?,
            };
            if host.bytes().filter(|&b| b == b'.').count() >= keys::MAX_DOMAIN_LABELS {
                return Err(format!("more than {} labels", keys::MAX_DOMAIN_LABELS));
            }
            let mut k = Keys::one(Slot::Domain, host);
            if looks_url
                && !tail.trim_end_matches('/').is_empty()
                && let Some(u) = norm::url_key(v)
            {
                k.push(Slot::Url, u);
            }
            Ok(k)
        }
        K::Ipv4 | K::Ipv6 => match norm::ip(v) {
            Some(a) => one(Slot::Ip, norm::ip_key(a)),
            None => match norm::cidr(v) {
                Some((a, len)) => one(Slot::Ip, norm::cidr_key(a, len)),
                None => Err(format!("{v:?} is not an IP address or CIDR range")),
            },
        },
        K::Url => one(Slot::Url, norm::url_key(v).ok_or("URL without a host")?),
        K::ProcessName => {
            let b = norm::basename(v);
            if b.is_empty() {
                return Err("empty process name".into());
            }
            let mut out = Keys::one(Slot::Process, b);
            for n in [15usize, 16] {
                if b.len() > n && b.is_char_boundary(n) {
                    out.push(Slot::ProcessTrunc, &b[..n]);
                }
            }
            Ok(out)
        }
        K::Email => one(Slot::Email, email_key(v)),
        K::FileName => match norm::basename(v) {
            // A name ending in `/` has no file name: it would match every folder path.
            "" => Err("empty file name".into()),
            b => Ok(Keys::one(Slot::FileName, b)),
        },
        K::FilePath
            if v.ends_with('/')
                && (v.len() > keys::MAX_DIR_KEY
                    || v.bytes().filter(|&b| b == b'/').count() > keys::MAX_DIR_DEPTH) =>
        {
            Err(format!(
                "folder indicator deeper than {} levels or longer than {} bytes",
                keys::MAX_DIR_DEPTH,
                keys::MAX_DIR_KEY
            ))
        }
        K::FilePath if v == "/" => Err("the root folder `/` would match every file".into()),
        K::FilePath if v.ends_with('/') => Ok(Keys::one(Slot::FileDir, v)),
        K::FilePath => Ok(Keys::one(Slot::FilePath, v)),
        K::FileMd5 | K::FileSha1 | K::FileSha256 => one(Slot::FileHash, norm::hash(v)),
        K::AppCertMd5
        | K::AppCertSha1
        | K::AppCertSha256
        | K::X509Md5
        | K::X509Sha1
        | K::X509Sha256 => one(Slot::CertHash, norm::hash(v)),
        K::AppId => Ok(Keys::one(Slot::AppId, v)),
        K::ConfigurationProfileId => Ok(Keys::one(Slot::Profile, v)),
        K::AndroidProperty => Ok(Keys::one(Slot::AndroidProperty, v)),
    }
}

/// Builds an [`IocIndex`] from several sources.
#[derive(Default)]
pub struct IndexBuilder {
    idx: IocIndex,
    coll_intern: HashMap<Vec<String>, Arc<[Arc<str>]>>,
}

impl IndexBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    fn collections(&mut self, names: &[String]) -> Arc<[Arc<str>]> {
        if let Some(c) = self.coll_intern.get(names) {
            return c.clone();
        }
        let c: Arc<[Arc<str>]> = names.iter().map(|n| Arc::from(n.as_str())).collect();
        self.coll_intern.insert(names.to_vec(), c.clone());
        c
    }

    /// Add one value; returns false (and the reason) when it cannot be indexed.
    fn insert(
        &mut self,
        kind: IndicatorKind,
        value: &str,
        collections: &Arc<[Arc<str>]>,
        source: &Arc<str>,
        id: Option<&str>,
    ) -> Result<(), String> {
        let keys = keys_for(kind, value)?;
        let keys = keys.as_slice();
        let idx = &mut self.idx;
        // De-duplicate: the same value in the same file (several families) is one entry with
        // several collections.
        let (s0, k0) = &keys[0];
        let mut r = idx.maps[*s0 as usize]
            .get(k0.as_ref())
            .copied()
            .unwrap_or(NIL);
        while r != NIL {
            let reg = idx.regs[r as usize];
            let e = &mut idx.entries[reg.entry as usize];
            if e.kind == kind
                && Arc::ptr_eq(&e.source, source)
                && e.value.eq_ignore_ascii_case(value)
            {
                if !Arc::ptr_eq(&e.collections, collections) {
                    let mut merged: Vec<Arc<str>> = e.collections.to_vec();
                    for c in collections.iter() {
                        if !merged.contains(c) {
                            merged.push(c.clone());
                        }
                    }
                    e.collections = merged.into();
                }
                return Ok(());
            }
            r = reg.next;
        }
        let entry = idx.entries.len() as u32;
        let value: Arc<str> = Arc::from(value);
        for (slot, key) in keys {
            if *slot == Slot::Domain {
                let n = key.bytes().filter(|&b| b == b'.').count() + 1;
                idx.domain_labels = (idx.domain_labels.0.min(n), idx.domain_labels.1.max(n));
            }
            if *slot == Slot::FileDir {
                idx.file_dir_max = idx.file_dir_max.max(key.len());
            }
            if *slot == Slot::Ip
                && let Some((net, len)) = key.split_once('/')
                && let Ok(len) = len.parse::<u8>()
            {
                let v = if net.contains(':') {
                    &mut idx.cidr_v6
                } else {
                    &mut idx.cidr_v4
                };
                if !v.contains(&len) {
                    v.push(len);
                    v.sort_unstable_by(|a, b| b.cmp(a));
                }
            }
            // The key is usually the value itself: share its allocation.
            let key: Arc<str> = if **key == *value {
                value.clone()
            } else {
                Arc::from(key.as_ref())
            };
            let reg = idx.regs.len() as u32;
            let head = idx.maps[*slot as usize].entry(key).or_insert(NIL);
            idx.regs.push(Reg { entry, next: *head });
            *head = reg;
        }
        idx.entries.push(Entry {
            value,
            kind,
            collections: collections.clone(),
            source: source.clone(),
            id: id.map(Arc::from),
        });
        Ok(())
    }

    /// Add plain values, all in one collection.
    pub fn add_values(
        &mut self,
        values: &[(IndicatorKind, &str)],
        collection: &str,
        source: &str,
    ) -> &mut Self {
        let colls = self.collections(&[collection.to_string()]);
        let source: Arc<str> = Arc::from(source);
        let mut st = SetStats {
            source: source.to_string(),
            collections: vec![collection.to_string()],
            ..Default::default()
        };
        for (k, v) in values {
            st.indicators += 1;
            match self.insert(*k, v, &colls, &source, None) {
                Ok(()) => *st.by_kind.entry(*k).or_insert(0) += 1,
                Err(reason) => {
                    st.unsupported += 1;
                    self.idx.stats.unsupported.push(UnsupportedPattern {
                        file: source.to_string(),
                        id: String::new(),
                        pattern: format!("[{}='{}']", k.as_stix(), v),
                        reason,
                        evaluated_values: 0,
                    });
                }
            }
        }
        self.idx.stats.sets.push(st);
        self
    }

    /// Add a STIX 2.1 bundle given as bytes; `source` names it in matches and errors.
    pub fn add_bundle(
        &mut self,
        bytes: &[u8],
        source: &str,
        origin: Option<SetOrigin>,
    ) -> Result<&SetStats, IocError> {
        let parsed = stix::parse(bytes, source)?;
        Ok(self.add_ref(parsed, source, origin))
    }

    /// Add an already parsed bundle.
    pub fn add_parsed(
        &mut self,
        bundle: stix::Bundle,
        source: &str,
        origin: Option<SetOrigin>,
    ) -> &SetStats {
        self.add_ref(stix::Parsed::from_bundle(&bundle), source, origin)
    }

    fn add_ref(
        &mut self,
        bundle: stix::Parsed<'_>,
        source: &str,
        origin: Option<SetOrigin>,
    ) -> &SetStats {
        let src: Arc<str> = Arc::from(source);
        let mut st = SetStats {
            source: source.to_string(),
            origin,
            indicators: bundle.indicators.len(),
            dangling_refs: bundle.dangling_refs,
            problems: bundle.problems.len(),
            ..Default::default()
        };
        self.idx.entries.reserve(bundle.indicators.len());
        self.idx.regs.reserve(bundle.indicators.len());
        let domains = bundle
            .indicators
            .iter()
            .filter(|i| i.pattern.trim_start().starts_with("[domain-name:"))
            .count();
        self.idx.maps[Slot::Domain as usize].reserve(domains);
        // Collections of this set in order of first use; one shared list per combination.
        let mut used = vec![false; bundle.collections.len()];
        let mut combos: Vec<Option<Arc<[Arc<str>]>>> = vec![None; bundle.combos.len()];
        let mut counts = [0usize; KINDS];
        for (ind, &k) in bundle.indicators.iter().zip(&bundle.combo) {
            let colls = match &combos[k as usize] {
                Some(c) => c.clone(),
                None => {
                    let cs = &bundle.combos[k as usize];
                    for &c in cs {
                        if !std::mem::replace(&mut used[c as usize], true) {
                            st.collections.push(bundle.collections[c as usize].clone());
                        }
                    }
                    let names: Vec<String> = cs
                        .iter()
                        .map(|&c| bundle.collections[c as usize].clone())
                        .collect();
                    let c = self.collections(&names);
                    combos[k as usize] = Some(c.clone());
                    c
                }
            };
            // Fast path for the commonest shape, `[domain-name:value = '…']`.
            if let Some((kind, value)) = pattern::simple(&ind.pattern) {
                match self.insert(kind, value, &colls, &src, Some(&ind.id)) {
                    Ok(()) => counts[kind as usize] += 1,
                    Err(r) => {
                        let reason = format!("{} value {value:?}: {r}", kind.as_stix());
                        self.unsupported(&mut st, ind, vec![reason], 0);
                    }
                }
                continue;
            }
            let x = match pattern::parse(&ind.pattern) {
                Ok(e) => pattern::extract(&e),
                Err(e) => pattern::Extracted {
                    leaves: vec![],
                    unsupported: vec![format!("syntax error {e}")],
                },
            };
            let mut reasons = x.unsupported;
            let mut ok = 0;
            for (kind, value) in &x.leaves {
                match self.insert(*kind, value, &colls, &src, Some(&ind.id)) {
                    Ok(()) => {
                        ok += 1;
                        counts[*kind as usize] += 1;
                    }
                    Err(r) => reasons.push(format!("{} value {value:?}: {r}", kind.as_stix())),
                }
            }
            if x.leaves.is_empty() && reasons.is_empty() {
                reasons.push("no evaluable comparison".into());
            }
            if !reasons.is_empty() {
                self.unsupported(&mut st, ind, reasons, ok);
            }
        }
        for k in ALL_KINDS {
            if counts[k as usize] > 0 {
                st.by_kind.insert(k, counts[k as usize]);
            }
        }
        self.idx.stats.problems.extend(bundle.problems);
        self.idx.stats.sets.push(st);
        self.idx.stats.sets.last().expect("just pushed")
    }

    fn unsupported(
        &mut self,
        st: &mut SetStats,
        ind: &stix::IndRef<'_>,
        reasons: Vec<String>,
        ok: usize,
    ) {
        st.unsupported += 1;
        self.idx.stats.unsupported.push(UnsupportedPattern {
            file: st.source.clone(),
            id: ind.id.to_string(),
            pattern: ind.pattern.chars().take(500).collect(),
            reason: reasons.join("; "),
            evaluated_values: ok,
        });
    }

    pub(crate) fn last_stats(&self) -> &SetStats {
        self.idx.stats.sets.last().expect("a set was pushed")
    }

    /// The network-only lists being built (for the TinyCheck loader).
    pub(crate) fn network_lists_mut(&mut self) -> &mut NetworkLists {
        &mut self.idx.network
    }

    pub(crate) fn push_stats(&mut self, st: SetStats, unsupported: Vec<UnsupportedPattern>) {
        self.idx.stats.unsupported.extend(unsupported);
        self.idx.stats.sets.push(st);
    }

    /// Adds one value under `collection` (for the TinyCheck loader).
    pub(crate) fn insert_value(
        &mut self,
        kind: IndicatorKind,
        value: &str,
        collection: &str,
        source: &Arc<str>,
        id: Option<&str>,
    ) -> Result<(), String> {
        let colls = self.collections(&[collection.to_string()]);
        self.insert(kind, value, &colls, source, id)
    }

    /// Add a STIX 2.1 file (`.stix2` / `.json`), or TinyCheck's `iocs.json` (recognised by its
    /// top-level `iocs` array).
    pub fn add_file(&mut self, path: impl AsRef<std::path::Path>) -> Result<&SetStats, IocError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let io = |e| IocError::Io {
            file: name.clone(),
            source: e,
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > stix::MAX_FILE_SIZE {
            return Err(IocError::TooLarge {
                file: name,
                limit: stix::MAX_FILE_SIZE,
            });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        if crate::tinycheck::looks_like(&bytes) {
            return crate::tinycheck::add(self, &bytes, &name);
        }
        self.add_bundle(&bytes, &name, None)
    }

    /// Add the built-in snapshot compiled into the binary.
    pub fn add_builtin(&mut self) -> Result<&mut Self, IocError> {
        crate::builtin::add_all(self)?;
        Ok(self)
    }

    /// Add the active snapshot: the updated set in `data_dir` if one was installed by
    /// [`crate::update::update`], the built-in snapshot otherwise.
    pub fn add_active(
        &mut self,
        data_dir: Option<&std::path::Path>,
    ) -> Result<crate::ActiveSnapshot, IocError> {
        crate::update::add_active(self, data_dir)
    }

    pub fn build(self) -> IocIndex {
        self.idx
    }
}

impl IocIndex {
    /// An index with no indicators.
    pub fn empty() -> Self {
        IocIndex::default()
    }

    pub fn builder() -> IndexBuilder {
        IndexBuilder::new()
    }

    /// An index of plain values, all in one collection (for tests and simple lists).
    pub fn from_values(values: &[(IndicatorKind, &str)], collection: &str) -> Self {
        let mut b = IndexBuilder::new();
        b.add_values(values, collection, "values");
        b.build()
    }

    /// The built-in snapshot of public indicator sets.
    pub fn builtin() -> Result<Self, IocError> {
        let mut b = IndexBuilder::new();
        b.add_builtin()?;
        Ok(b.build())
    }

    pub fn stats(&self) -> &IndexStats {
        &self.stats
    }

    /// Number of distinct indicator values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    fn collect(&self, slot: Slot, key: &str, hits: &mut Vec<u32>) {
        if let Some(&head) = self.maps[slot as usize].get(key) {
            self.chain(head, hits);
        }
    }

    fn to_matches(&self, hits: &[u32]) -> Vec<Match> {
        if hits.is_empty() {
            return Vec::new();
        }
        hits.iter()
            .map(|&i| {
                let e = &self.entries[i as usize];
                Match {
                    value: e.value.clone(),
                    kind: e.kind,
                    collections: e.collections.to_vec(),
                    source_file: e.source.clone(),
                    indicator_id: e.id.clone(),
                }
            })
            .collect()
    }

    fn host_hits(&self, host: &str, hits: &mut Vec<u32>) {
        // One pass over the bytes decides the common case (a plain ASCII host name) without any
        // allocation; IP literals and non-ASCII (IDNA) hosts take the general path.
        let h = host.trim();
        let h = h.strip_suffix('.').unwrap_or(h);
        let b = h.as_bytes();
        let (mut ascii, mut upper, mut ipish) = (true, false, true);
        for &c in b {
            ascii &= c.is_ascii();
            upper |= c.is_ascii_uppercase();
            ipish &= c.is_ascii_hexdigit() || matches!(c, b'.' | b':' | b'[' | b']');
        }
        if ipish || !ascii || b.len() > HOST_BUF || host.trim_start().starts_with('[') {
            if let Some(a) = norm::ip(host) {
                self.ip_hits(a, hits);
                return;
            }
            if let Some(n) = norm::host(host) {
                self.domain_hits(&n, hits);
            }
            return;
        }
        if upper {
            let mut buf = [0u8; HOST_BUF];
            let buf = &mut buf[..b.len()];
            buf.copy_from_slice(b);
            buf.make_ascii_lowercase();
            // Lower-casing ASCII keeps the bytes valid UTF-8.
            if let Ok(l) = std::str::from_utf8(buf) {
                self.domain_hits(strip_www(l), hits);
            }
        } else {
            self.domain_hits(strip_www(h), hits);
        }
    }

    /// Lookups of the label suffixes of a normalised host (`a.b.evil.com`, `b.evil.com`, …) whose
    /// label count lies in the range of the indicator domains; slices of `h`, no allocation.
    #[inline]
    fn domain_hits(&self, h: &str, hits: &mut Vec<u32>) {
        let map = &self.maps[Slot::Domain as usize];
        if map.is_empty() || h.is_empty() {
            return;
        }
        let (min, max) = self.domain_labels;
        let b = h.as_bytes();
        let mut labels = 1 + b.iter().filter(|&&c| c == b'.').count();
        let mut start = 0;
        loop {
            if labels <= max && labels >= min {
                let rest = &h[start..];
                if let Some(&head) = map.get(rest) {
                    self.chain(head, hits);
                }
            }
            if labels <= min {
                break;
            }
            match b[start..].iter().position(|&c| c == b'.') {
                Some(i) => start += i + 1,
                None => break,
            }
            labels -= 1;
        }
    }

    #[inline]
    fn chain(&self, head: u32, hits: &mut Vec<u32>) {
        let mut r = head;
        while r != NIL {
            let reg = self.regs[r as usize];
            if !hits.contains(&reg.entry) {
                hits.push(reg.entry);
            }
            r = reg.next;
        }
    }

    /// A host (or IP literal) equal to an indicator domain or a subdomain of it at any depth.
    pub fn match_host(&self, host: &str) -> Vec<Match> {
        let mut hits = Vec::new();
        self.host_hits(host, &mut hits);
        self.to_matches(&hits)
    }

    fn url_hits(&self, url: &str, hits: &mut Vec<u32>) {
        if !self.maps[Slot::Url as usize].is_empty()
            && let Some(k) = norm::url_key(url)
        {
            self.collect(Slot::Url, &k, hits);
        }
        if let Some((h, _, _)) = norm::split_authority(url) {
            self.host_hits(h, hits);
        }
    }

    /// A URL (or a string holding a host, like `evil.com/path` or `evil.com:443`): exact URL
    /// indicators first, then its host.
    pub fn match_url(&self, url: &str) -> Vec<Match> {
        let mut hits = Vec::new();
        self.url_hits(url, &mut hits);
        self.to_matches(&hits)
    }

    /// Links, e-mail addresses and bare domains in free text (SMS, chat messages).
    pub fn match_text(&self, text: &str) -> Vec<Match> {
        let mut hits = Vec::new();
        for (how, v) in keys::text_observables(text) {
            match how {
                Observed::Email => self.collect(Slot::Email, &email_key(v), &mut hits),
                _ => self.url_hits(v, &mut hits),
            }
        }
        self.to_matches(&hits)
    }

    /// A process name (or path): basename equality; an observed name of 15–16 bytes (kernel
    /// truncation) also matches an indicator that starts with it.
    pub fn match_process(&self, name: &str) -> Vec<Match> {
        let base = norm::basename(name);
        if base.is_empty() {
            return vec![];
        }
        let mut hits = Vec::new();
        self.collect(Slot::Process, base, &mut hits);
        if (15..=16).contains(&base.len()) {
            self.collect(Slot::ProcessTrunc, base, &mut hits);
        }
        self.to_matches(&hits)
    }

    /// An e-mail address (case-insensitive).
    pub fn match_email(&self, email: &str) -> Vec<Match> {
        self.simple(Slot::Email, &email_key(email))
    }

    fn simple(&self, slot: Slot, key: &str) -> Vec<Match> {
        let mut hits = Vec::new();
        self.collect(slot, key, &mut hits);
        self.to_matches(&hits)
    }

    pub fn match_app_id(&self, id: &str) -> Vec<Match> {
        self.simple(Slot::AppId, id.trim())
    }

    /// A signing-certificate hash (MD5/SHA-1/SHA-256; any case, `:` separators allowed).
    pub fn match_cert_hash(&self, hash: &str) -> Vec<Match> {
        self.simple(Slot::CertHash, &norm::hash(hash))
    }

    /// A file hash (MD5/SHA-1/SHA-256; any case).
    pub fn match_file_hash(&self, hash: &str) -> Vec<Match> {
        self.simple(Slot::FileHash, &norm::hash(hash))
    }

    /// A file name or path: its basename against `file:name` indicators.
    pub fn match_file_name(&self, name: &str) -> Vec<Match> {
        self.simple(Slot::FileName, norm::basename(name))
    }

    /// A file path: equality, or prefix when the indicator ends with `/`.
    pub fn match_file_path(&self, path: &str) -> Vec<Match> {
        let path = path.trim();
        if path.is_empty() {
            return Vec::new();
        }
        let mut hits = Vec::new();
        self.collect(Slot::FilePath, path, &mut hits);
        if !self.maps[Slot::FileDir as usize].is_empty() {
            let max = self.file_dir_max;
            for (i, _) in path.match_indices('/').take_while(|(i, _)| *i < max) {
                self.collect(Slot::FileDir, &path[..=i], &mut hits);
            }
            if !path.ends_with('/') && path.len() < max {
                self.collect(Slot::FileDir, &format!("{path}/"), &mut hits);
            }
        }
        self.to_matches(&hits)
    }

    pub fn match_profile_id(&self, id: &str) -> Vec<Match> {
        self.simple(Slot::Profile, id.trim())
    }

    pub fn match_android_property(&self, name: &str) -> Vec<Match> {
        self.simple(Slot::AndroidProperty, name.trim())
    }

    /// An IP address (IPv4, IPv6, `[::1]`, with or without port): equal to an address indicator,
    /// or inside a CIDR indicator.
    pub fn match_ip(&self, ip: &str) -> Vec<Match> {
        match norm::ip(ip) {
            Some(a) => {
                let mut hits = Vec::new();
                self.ip_hits(a, &mut hits);
                self.to_matches(&hits)
            }
            None => vec![],
        }
    }

    fn ip_hits(&self, a: std::net::IpAddr, hits: &mut Vec<u32>) {
        let a = crate::keys::canonical_ip(a);
        self.collect(Slot::Ip, &norm::ip_key(a), hits);
        let lens = if a.is_ipv4() {
            &self.cidr_v4
        } else {
            &self.cidr_v6
        };
        for &len in lens {
            self.collect(Slot::Ip, &norm::cidr_key(a, len), hits);
        }
    }

    /// The network-only lists (free DNS suffixes, suspect TLDs, Snort rules).
    pub fn network_lists(&self) -> &NetworkLists {
        &self.network
    }

    /// The matcher of [`Observed`] `how` applied to `value` (`match_url`, `match_host`, …).
    pub fn match_observed(&self, how: Observed, value: &str) -> Vec<Match> {
        match how {
            Observed::Host => self.match_host(value),
            Observed::Url => self.match_url(value),
            Observed::Ip => self.match_ip(value),
            Observed::Text => self.match_text(value),
            Observed::Process => self.match_process(value),
            Observed::Email => self.match_email(value),
            Observed::AppId => self.match_app_id(value),
            Observed::FilePath => self.match_file_path(value),
            Observed::FileName => self.match_file_name(value),
            Observed::FileHash => self.match_file_hash(value),
            Observed::CertHash => self.match_cert_hash(value),
            Observed::ProfileId => self.match_profile_id(value),
            Observed::AndroidProperty => self.match_android_property(value),
        }
    }

    /// The index's tables that hold keys of a [`KeyKind`].
    fn slots_of(kind: KeyKind) -> &'static [Slot] {
        match kind {
            KeyKind::Domain => &[Slot::Domain],
            KeyKind::Ip => &[Slot::Ip],
            KeyKind::Url => &[Slot::Url],
            KeyKind::Process => &[Slot::Process, Slot::ProcessTrunc],
            KeyKind::Email => &[Slot::Email],
            KeyKind::AppId => &[Slot::AppId],
            KeyKind::CertHash => &[Slot::CertHash],
            KeyKind::FileHash => &[Slot::FileHash],
            KeyKind::FileName => &[Slot::FileName],
            KeyKind::FilePath => &[Slot::FilePath, Slot::FileDir],
            KeyKind::ProfileId => &[Slot::Profile],
            KeyKind::AndroidProperty => &[Slot::AndroidProperty],
        }
    }

    fn kind_of(slot: Slot) -> KeyKind {
        match slot {
            Slot::Domain => KeyKind::Domain,
            Slot::Ip => KeyKind::Ip,
            Slot::Url => KeyKind::Url,
            Slot::Process | Slot::ProcessTrunc => KeyKind::Process,
            Slot::Email => KeyKind::Email,
            Slot::AppId => KeyKind::AppId,
            Slot::CertHash => KeyKind::CertHash,
            Slot::FileHash => KeyKind::FileHash,
            Slot::FileName => KeyKind::FileName,
            Slot::FilePath | Slot::FileDir => KeyKind::FilePath,
            Slot::Profile => KeyKind::ProfileId,
            Slot::AndroidProperty => KeyKind::AndroidProperty,
        }
    }

    /// The entries (see [`IocIndex::entry`]) registered under match key `(kind, key)`, appended to
    /// `hits` once each.
    pub fn lookup_key(&self, kind: KeyKind, key: &str, hits: &mut Vec<u32>) {
        // An address key also looks up the CIDR ranges that hold it (the index knows which prefix
        // lengths are in use; an exported-key join only sees exact ranges).
        if kind == KeyKind::Ip
            && !key.contains('/')
            && let Ok(a) = key.parse::<std::net::IpAddr>()
        {
            self.ip_hits(a, hits);
            return;
        }
        for &slot in Self::slots_of(kind) {
            self.collect(slot, key, hits);
        }
        // A path also matches a folder indicator naming it (`/a/b` is in `/a/b/`): exported as the
        // folder's key without its `/` (see `export_keys`).
        if kind == KeyKind::FilePath
            && !key.ends_with('/')
            && key.len() < self.file_dir_max
            && !self.maps[Slot::FileDir as usize].is_empty()
        {
            self.collect(Slot::FileDir, &format!("{key}/"), hits);
        }
    }

    /// The indicators matching any of `keys` (each once): what the `match_*` method of an observable
    /// returns, given its [`keys::observed_keys`].
    pub fn match_keys(&self, keys: &[(KeyKind, String)]) -> Vec<Match> {
        let mut hits = Vec::new();
        for (k, v) in keys {
            self.lookup_key(*k, v, &mut hits);
        }
        self.to_matches(&hits)
    }

    /// The indicator of entry `i` (`0..len()`).
    pub fn entry(&self, i: u32) -> Option<Match> {
        if (i as usize) < self.entries.len() {
            self.to_matches(&[i]).pop()
        } else {
            None
        }
    }

    /// Every match key of every indicator: `(kind, key, entry)`, sorted. A join of observables' keys
    /// with these on `(kind, key)` gives what the `match_*` methods give.
    pub fn export_keys(&self) -> Vec<ExportedKey> {
        let mut out = Vec::new();
        for (slot_i, map) in self.maps.iter().enumerate() {
            let slot = ALL_SLOTS[slot_i];
            for (key, &head) in map {
                // A CIDR range is exported as the ranges observed addresses get keys for
                // (`keys::cidr_export_keys`); a range too wide for that keeps its own key only.
                let mut keys: Vec<Arc<str>> = match (slot == Slot::Ip)
                    .then(|| norm::cidr(key))
                    .flatten()
                    .and_then(|(a, len)| crate::keys::cidr_export_keys(a, len))
                {
                    Some(ks) => ks.into_iter().map(Arc::from).collect(),
                    None => vec![key.clone()],
                };
                // A folder also names its own path (`/a/b/` matches the path `/a/b`).
                if slot == Slot::FileDir
                    && let Some(own) = key
                        .strip_suffix('/')
                        .filter(|k| !k.is_empty() && !k.ends_with('/'))
                {
                    keys.push(Arc::from(own));
                }
                let mut r = head;
                while r != NIL {
                    let reg = self.regs[r as usize];
                    for k in &keys {
                        out.push(ExportedKey {
                            kind: Self::kind_of(slot),
                            key: k.clone(),
                            entry: reg.entry,
                        });
                    }
                    r = reg.next;
                }
            }
        }
        out.sort_by(|a, b| (a.entry, a.kind, &a.key).cmp(&(b.entry, b.kind, &b.key)));
        out.dedup_by(|a, b| a.entry == b.entry && a.kind == b.kind && a.key == b.key);
        out
    }

    /// Every kind that applies to a free-form value (for `telltale iocs lookup`).
    pub fn lookup(&self, value: &str) -> Vec<Match> {
        let v = value.trim();
        if v.is_empty() {
            return vec![];
        }
        let mut hits = Vec::new();
        if let Some(a) = norm::ip(v) {
            self.ip_hits(a, &mut hits);
        }
        if v.contains('@') && !v.contains('/') {
            self.collect(Slot::Email, &email_key(v), &mut hits);
        }
        if !v.starts_with('/') && !v.contains(char::is_whitespace) {
            self.url_hits(v, &mut hits);
        }
        if v.len() >= 32 && v.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            let h = norm::hash(v);
            self.collect(Slot::FileHash, &h, &mut hits);
            self.collect(Slot::CertHash, &h, &mut hits);
        }
        let base = norm::basename(v);
        self.collect(Slot::Process, base, &mut hits);
        if (15..=16).contains(&base.len()) {
            self.collect(Slot::ProcessTrunc, base, &mut hits);
        }
        self.collect(Slot::FileName, base, &mut hits);
        self.collect(Slot::AppId, v, &mut hits);
        self.collect(Slot::Profile, v, &mut hits);
        self.collect(Slot::AndroidProperty, v, &mut hits);
        let mut m = self.to_matches(&hits);
        for x in self.match_file_path(v) {
            if !m.contains(&x) {
                m.push(x);
            }
        }
        if v.contains(char::is_whitespace) {
            for x in self.match_text(v) {
                if !m.contains(&x) {
                    m.push(x);
                }
            }
        }
        m
    }
}
