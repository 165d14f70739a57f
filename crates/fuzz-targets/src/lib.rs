//! The bodies of telltale's fuzz targets, one plain function per parser that reads acquisition bytes.
//!
//! `fuzz/` (a cargo-fuzz package outside the workspace, built with a nightly-enabled compiler) wraps each
//! function in a `fuzz_target!`; `tests/replay.rs` calls the same functions on every file of
//! `fuzz/corpus/<target>/` with the ordinary test harness, so CI replays the corpora (and the crash
//! regressions) with stable Rust and without fuzzing. A target "fails" only by panicking, hanging or
//! exhausting memory: errors returned by a parser are the expected outcome of garbage input.
//!
//! Module-level targets run the modules directly (not through the engine, which would catch a panic).

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::sync::Arc;

use telltale_core::evidence::glob_match;
use telltale_core::ioc::{IndicatorKind, IocIndex};
use telltale_core::{
    Alert, Emitter, Entry, Evidence, EvidenceError, LocalFile, Module, ModuleContext, Output,
    Record, RunOptions, TimelineEvent,
};

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target: its name (the folder under `fuzz/corpus/`) and its body.
pub const TARGETS: &[(&str, Target)] = &[
    ("plist", plist),
    ("nska", nska),
    ("keybag", keybag),
    ("stix_bundle", stix_bundle),
    ("stix_pattern", stix_pattern),
    ("match_text", match_text),
    ("dumpsys", dumpsys),
    ("ab_header", ab_header),
    ("androidqf_json", androidqf_json),
    ("tombstone", tombstone),
];

/// Looks up a target by name.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// An in-memory acquisition (logical path → bytes).
pub struct MemEvidence {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemEvidence {
    pub fn new(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        MemEvidence {
            files: files.into_iter().collect(),
        }
    }
}

impl Evidence for MemEvidence {
    fn describe(&self) -> String {
        "in-memory fuzz evidence".into()
    }
    fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }
    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        Ok(self
            .files
            .iter()
            .filter(|(p, _)| glob_match(pattern, p))
            .map(|(p, d)| Entry {
                path: p.clone(),
                size: Some(d.len() as u64),
            })
            .collect())
    }
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        let d = self
            .files
            .get(path)
            .ok_or_else(|| EvidenceError::NotFound { path: path.into() })?;
        Ok(Box::new(Cursor::new(d.as_slice())))
    }
    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        let d = self
            .files
            .get(path)
            .ok_or_else(|| EvidenceError::NotFound { path: path.into() })?;
        let dir = tempfile::tempdir().map_err(|e| EvidenceError::io(path, e))?;
        let p = dir.path().join("data");
        std::fs::write(&p, d).map_err(|e| EvidenceError::io(path, e))?;
        Ok(LocalFile::Temp {
            path: p,
            dir: Arc::new(dir),
        })
    }
}

struct Null;
impl Output for Null {
    fn record(&self, _: &str, _: &Record) {}
    fn detected(&self, _: &str, _: &Record) {}
    fn timeline(&self, _: TimelineEvent) {}
    fn alert(&self, _: &Alert) {}
}

/// A small index that makes matching code paths run.
fn index() -> &'static IocIndex {
    static I: std::sync::OnceLock<IocIndex> = std::sync::OnceLock::new();
    I.get_or_init(|| {
        IocIndex::from_values(
            &[
                (IndicatorKind::Domain, "evil.com"),
                (IndicatorKind::Url, "https://bad.example/x"),
                (IndicatorKind::ProcessName, "bh"),
                (IndicatorKind::AppId, "com.evil.app"),
                (IndicatorKind::FilePath, "/data/local/tmp/evil"),
                (IndicatorKind::AndroidProperty, "persist.evil"),
                (IndicatorKind::Ipv4, "10.6.6.6"),
            ],
            "Fuzz",
        )
    })
}

/// Runs `modules` over `evidence`, letting a panic through (unlike the engine).
pub fn run_modules_raw(modules: &[Box<dyn Module>], evidence: &dyn Evidence) {
    let opts = RunOptions::default();
    let ctx = ModuleContext {
        evidence,
        iocs: index(),
        options: &opts,
    };
    for m in modules {
        let mut em = Emitter::new(m.name(), &Null);
        let _ = m.run(&ctx, &mut em);
    }
}

/// Property lists (XML or binary) as modules load them, then converted to JSON as records are.
pub fn plist(data: &[u8]) {
    if let Ok(v) = telltale_ios::nska::parse_plist(data) {
        let _ = telltale_ios::nska::plist_to_json(&v);
    }
}

/// The NSKeyedArchiver resolver and the MBFile record of Manifest.db.
pub fn nska(data: &[u8]) {
    if let Ok(v) = telltale_ios::nska::decode(data) {
        let _ = telltale_ios::nska::plist_to_json(&v);
    }
    let _ = telltale_ios::MbFile::from_archive(data);
}

/// The backup keybag TLV parser, then an unlock attempt with a fixed key.
pub fn keybag(data: &[u8]) {
    use telltale_ios::crypto::keybag::Keybag;
    if let Ok(kb) = Keybag::parse(data) {
        let _ = kb.has_double_kdf();
        let _ = kb.unlock(&telltale_ios::crypto::Key32::new([7; 32]));
    }
}

/// A STIX 2.1 bundle loaded into an index, then a few lookups.
pub fn stix_bundle(data: &[u8]) {
    let mut b = IocIndex::builder();
    if b.add_bundle(data, "fuzz.stix2", None).is_ok() {
        let idx = b.build();
        let _ = idx.match_host("evil.com");
        let _ = idx.match_url("https://a.evil.com/x");
        let _ = idx.match_text("see https://evil.com/p and www.x.org");
        let _ = idx.match_process("bh");
    }
}

/// The STIX pattern parser and the extraction of its equality leaves.
pub fn stix_pattern(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(e) = telltale_ioc::pattern::parse(&text) {
        let _ = telltale_ioc::pattern::extract(&e);
    }
}

/// Link extraction from free text (`IocIndex::match_text`) and the other lookups on arbitrary strings.
pub fn match_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let idx = index();
    let _ = idx.match_text(&text);
    let _ = idx.match_url(&text);
    let _ = idx.match_host(&text);
    let _ = idx.match_email(&text);
    let _ = idx.match_file_path(&text);
    let _ = idx.match_ip(&text);
    let _ = telltale_ios::util::extract_links(&text);
}

/// Dumpstate section splitting, its accessors, then every bugreport module over it.
pub fn dumpsys(data: &[u8]) {
    use telltale_android::dumpsys::Dumpstate;
    let d = Dumpstate::parse(data.to_vec());
    for s in d.sections() {
        let _ = d.body(s);
    }
    let _ = d.service("package");
    let _ = d.getprop();
    let _ = d.property("ro.build.version.sdk");
    let _ = d.timezone();
    let ev = MemEvidence::new([
        ("main_entry.txt".to_string(), b"dumpstate.txt".to_vec()),
        ("dumpstate.txt".to_string(), data.to_vec()),
    ]);
    run_modules_raw(&telltale_android::modules::bugreport::all(), &ev);
}

/// `.ab` headers, then (unencrypted, or with a wrong password) the payload index and the backup modules.
pub fn ab_header(data: &[u8]) {
    let mut r = Cursor::new(data);
    if telltale_android::ab::read_header(&mut r).is_err() {
        return;
    }
    let parent = MemEvidence::new([("backup.ab".to_string(), data.to_vec())]);
    if let Ok(ev) = telltale_android::ab::AbEvidence::open_in(&parent, "backup.ab", Some("fuzz")) {
        run_modules_raw(&telltale_android::modules::backup::all(), &ev);
    }
}

/// The AndroidQF JSON readers: every AndroidQF module, with the input as each of its JSON files.
pub fn androidqf_json(data: &[u8]) {
    let files = [
        "acquisition.json",
        "packages.json",
        "processes.json",
        "files.json",
        "mounts.json",
        "root_binaries.json",
    ]
    .map(|f| (f.to_string(), data.to_vec()));
    let ev = MemEvidence::new(files);
    run_modules_raw(&telltale_android::modules::qf::all(), &ev);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = telltale_android::modules::qf::files::parse(text);
        let _ = telltale_android::modules::qf::processes::parse_json(text);
    }
}

/// Tombstones: the protobuf reader and the text reader.
pub fn tombstone(data: &[u8]) {
    use telltale_android::modules::bugreport::tombstones;
    let _ = tombstones::parse_protobuf(data);
    let _ = tombstones::parse_text(&String::from_utf8_lossy(data));
}
