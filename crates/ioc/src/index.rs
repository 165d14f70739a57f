//! The indicator index: hash maps keyed by normalised values, no scanning at match time.

use crate::normalize as norm;
use crate::pattern;
use crate::stix::{self, LoadProblem};
use crate::{IndicatorKind, IocError, Match};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// A small, fast non-cryptographic hasher (FxHash-style). Keys come from indicator sets, lookups
/// from observed values; there is no adversarial insertion, so HashDoS resistance is not needed.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            self.add(u64::from_le_bytes(a));
        }
        let r = chunks.remainder();
        if !r.is_empty() {
            let mut a = [0u8; 8];
            a[..r.len()].copy_from_slice(r);
            self.add(u64::from_le_bytes(a) ^ ((r.len() as u64) << 56));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche so that hashbrown's top-7-bit tags are well distributed.
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

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
    maps: Vec<FxMap<Box<str>, u32>>,
    /// Fewest and most labels of any indicator domain: suffixes of an observed host outside this
    /// range cannot match and are not looked up.
    domain_labels: (usize, usize),
    stats: IndexStats,
}

impl Default for IocIndex {
    fn default() -> Self {
        IocIndex {
            entries: Vec::new(),
            regs: Vec::new(),
            maps: (0..SLOTS).map(|_| FxMap::default()).collect(),
            domain_labels: (usize::MAX, 0),
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

fn email_key(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix("mailto:").unwrap_or(s);
    s.to_lowercase()
}

/// The keys an indicator value is registered under (first = primary key used for de-duplication).
fn keys_for(kind: IndicatorKind, value: &str) -> Result<Vec<(Slot, String)>, String> {
    use IndicatorKind as K;
    let v = value.trim();
    if v.is_empty() {
        return Err("empty value".into());
    }
    let one = |s: Slot, k: String| Ok(vec![(s, k)]);
    match kind {
        K::Domain => {
            // Some "domains" are really URL fragments (`host.xyz/x`): index the host as a domain and
            // the whole value as a URL.
            let looks_url = v.contains(['/', '?', '#']) || v.contains("://");
            let (h, _, tail) = norm::split_authority(v).ok_or("no host in domain value")?;
            let host = match norm::ip(h) {
                Some(a) => return one(Slot::Ip, norm::ip_key(a)),
                None => norm::host(h).ok_or("no host in domain value")?.into_owned(),
            };
            let mut v2 = vec![(Slot::Domain, host)];
            if looks_url
                && !tail.trim_end_matches('/').is_empty()
                && let Some(u) = norm::url_key(v)
            {
                v2.push((Slot::Url, u));
            }
            Ok(v2)
        }
        K::Ipv4 | K::Ipv6 => match norm::ip(v) {
            Some(a) => one(Slot::Ip, norm::ip_key(a)),
            None => Err(format!(
                "{v:?} is not an IP address (CIDR ranges are not evaluated)"
            )),
        },
        K::Url => one(Slot::Url, norm::url_key(v).ok_or("URL without a host")?),
        K::ProcessName => {
            let b = norm::basename(v);
            if b.is_empty() {
                return Err("empty process name".into());
            }
            let mut out = vec![(Slot::Process, b.to_string())];
            for n in [15usize, 16] {
                if b.len() > n && b.is_char_boundary(n) {
                    out.push((Slot::ProcessTrunc, b[..n].to_string()));
                }
            }
            Ok(out)
        }
        K::Email => one(Slot::Email, email_key(v)),
        K::FileName => one(Slot::FileName, norm::basename(v).to_string()),
        K::FilePath if v.ends_with('/') => one(Slot::FileDir, v.to_string()),
        K::FilePath => one(Slot::FilePath, v.to_string()),
        K::FileMd5 | K::FileSha1 | K::FileSha256 => one(Slot::FileHash, norm::hash(v)),
        K::AppCertMd5 | K::AppCertSha1 | K::AppCertSha256 => one(Slot::CertHash, norm::hash(v)),
        K::AppId => one(Slot::AppId, v.to_string()),
        K::ConfigurationProfileId => one(Slot::Profile, v.to_string()),
        K::AndroidProperty => one(Slot::AndroidProperty, v.to_string()),
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
        let idx = &mut self.idx;
        // De-duplicate: the same value in the same file (several families) is one entry with
        // several collections.
        let (s0, k0) = &keys[0];
        let mut r = idx.maps[*s0 as usize]
            .get(k0.as_str())
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
        idx.entries.push(Entry {
            value: Arc::from(value),
            kind,
            collections: collections.clone(),
            source: source.clone(),
            id: id.map(Arc::from),
        });
        for (slot, key) in keys {
            if slot == Slot::Domain {
                let n = key.bytes().filter(|&b| b == b'.').count() + 1;
                idx.domain_labels = (idx.domain_labels.0.min(n), idx.domain_labels.1.max(n));
            }
            let reg = idx.regs.len() as u32;
            let head = idx.maps[slot as usize]
                .entry(key.into_boxed_str())
                .or_insert(NIL);
            idx.regs.push(Reg { entry, next: *head });
            *head = reg;
        }
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
        let bundle = stix::parse_bundle(bytes, source)?;
        Ok(self.add_parsed(bundle, source, origin))
    }

    /// Add an already parsed bundle.
    pub fn add_parsed(
        &mut self,
        bundle: stix::Bundle,
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
        // Collections of this set in order of first use; interned per distinct combination.
        let mut used = vec![false; bundle.collections.len()];
        let mut combos: HashMap<&[u32], Arc<[Arc<str>]>> = HashMap::new();
        for ind in &bundle.indicators {
            for &c in &ind.collections {
                if !std::mem::replace(&mut used[c as usize], true) {
                    st.collections.push(bundle.collections[c as usize].clone());
                }
            }
            let colls = match combos.get(ind.collections.as_slice()) {
                Some(c) => c.clone(),
                None => {
                    let names: Vec<String> = ind
                        .collections
                        .iter()
                        .map(|&c| bundle.collections[c as usize].clone())
                        .collect();
                    let c = self.collections(&names);
                    combos.insert(&ind.collections, c.clone());
                    c
                }
            };
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
                        *st.by_kind.entry(*kind).or_insert(0) += 1;
                    }
                    Err(r) => reasons.push(format!("{} value {value:?}: {r}", kind.as_stix())),
                }
            }
            if x.leaves.is_empty() && reasons.is_empty() {
                reasons.push("no evaluable comparison".into());
            }
            if !reasons.is_empty() {
                st.unsupported += 1;
                self.idx.stats.unsupported.push(UnsupportedPattern {
                    file: source.to_string(),
                    id: ind.id.clone(),
                    pattern: ind.pattern.chars().take(500).collect(),
                    reason: reasons.join("; "),
                    evaluated_values: ok,
                });
            }
        }
        self.idx.stats.problems.extend(bundle.problems);
        self.idx.stats.sets.push(st);
        self.idx.stats.sets.last().expect("just pushed")
    }

    /// Add a STIX 2.1 file (`.stix2` / `.json`).
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
        let Some(&head) = self.maps[slot as usize].get(key) else {
            return;
        };
        let mut r = head;
        while r != NIL {
            let reg = self.regs[r as usize];
            if !hits.contains(&reg.entry) {
                hits.push(reg.entry);
            }
            r = reg.next;
        }
    }

    fn to_matches(&self, hits: &[u32]) -> Vec<Match> {
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
        if let Some(a) = norm::ip(host) {
            self.collect(Slot::Ip, &norm::ip_key(a), hits);
            return;
        }
        let Some(h) = norm::host(host) else { return };
        let map = &self.maps[Slot::Domain as usize];
        if map.is_empty() {
            return;
        }
        let (min, max) = self.domain_labels;
        let mut labels = h.bytes().filter(|&b| b == b'.').count() + 1;
        let mut rest: &str = &h;
        loop {
            if labels <= max && labels >= min && map.contains_key(rest) {
                self.collect(Slot::Domain, rest, hits);
            }
            if labels <= min {
                break;
            }
            match rest.find('.') {
                Some(i) => rest = &rest[i + 1..],
                None => break,
            }
            labels -= 1;
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
        let mut finder = linkify::LinkFinder::new();
        finder.url_must_have_scheme(false);
        for link in finder.links(text) {
            match link.kind() {
                linkify::LinkKind::Email => {
                    self.collect(Slot::Email, &email_key(link.as_str()), &mut hits)
                }
                _ => self.url_hits(link.as_str(), &mut hits),
            }
        }
        // Bare domains and IP literals the link finder does not consider links.
        for tok in text.split(|c: char| c.is_whitespace() || "<>\"'()[]{},;!|`".contains(c)) {
            let tok = tok.trim_end_matches(['.', ':', '?']);
            if tok.contains('@') {
                continue;
            }
            let host = tok.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.split(':').next().unwrap_or("");
            if norm::looks_like_domain(host) || host.parse::<std::net::Ipv4Addr>().is_ok() {
                self.url_hits(tok, &mut hits);
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
        let mut hits = Vec::new();
        self.collect(Slot::FilePath, path, &mut hits);
        if !self.maps[Slot::FileDir as usize].is_empty() {
            for (i, _) in path.match_indices('/') {
                self.collect(Slot::FileDir, &path[..=i], &mut hits);
            }
            if !path.ends_with('/') {
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

    /// An IP address (IPv4, IPv6, `[::1]`, with or without port).
    pub fn match_ip(&self, ip: &str) -> Vec<Match> {
        match norm::ip(ip) {
            Some(a) => self.simple(Slot::Ip, &norm::ip_key(a)),
            None => vec![],
        }
    }

    /// Every kind that applies to a free-form value (for `telltale iocs lookup`).
    pub fn lookup(&self, value: &str) -> Vec<Match> {
        let v = value.trim();
        if v.is_empty() {
            return vec![];
        }
        let mut hits = Vec::new();
        if let Some(a) = norm::ip(v) {
            self.collect(Slot::Ip, &norm::ip_key(a), &mut hits);
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
