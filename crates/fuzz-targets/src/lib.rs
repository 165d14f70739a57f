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

pub mod ios_artifacts;
pub mod network;

use telltale_core::archive::{ArchiveLimits, ZipEvidence};
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
    ("ios_artifact", ios_artifact),
    ("ios_db_values", ios_db_values),
    ("zip_evidence", zip_evidence),
    ("intrusion_log", intrusion_log),
    ("androidqf_text", androidqf_text),
    ("results_folder", results_folder),
    ("ios_decrypt", ios_decrypt),
    ("shutdown_log", shutdown_log),
    ("ips", ips),
    ("ps_lists", ps_lists),
    ("pcap_reader", network::pcap_reader),
    ("net_dns", network::net_dns),
    ("net_tls", network::net_tls),
    ("net_quic", network::net_quic),
    ("net_http", network::net_http),
    ("zeek_log", network::zeek_log),
    ("eve_log", network::eve_log),
    ("tar_dump", tar_dump),
    ("zip_dump", zip_dump),
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

thread_local! {
    static RECORDS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Records emitted on this thread by the targets' module runs so far (tests check that seeds reach the
/// modules: a target whose inputs are never parsed fuzzes nothing).
pub fn records_emitted() -> usize {
    RECORDS.with(|c| c.get())
}

struct Null;
impl Output for Null {
    fn record(&self, _: &str, _: &Record) {
        RECORDS.with(|c| c.set(c.get() + 1));
    }
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
                (IndicatorKind::FilePath, "/private/var/tmp/hooker"),
                (IndicatorKind::FilePath, "/private/var/tmp/l/"),
                (IndicatorKind::AndroidProperty, "persist.evil"),
                (IndicatorKind::Ipv4, "10.6.6.6"),
            ],
            "Fuzz",
        )
    })
}

/// Runs `modules` over `evidence`, letting a panic through (unlike the engine).
pub fn run_modules_raw(modules: &[Box<dyn Module>], evidence: &dyn Evidence) {
    run_modules_into(modules, evidence, &Null);
}

/// [`run_modules_raw`] writing into `output` (the tests check that seeds reach the modules).
pub fn run_modules_into(modules: &[Box<dyn Module>], evidence: &dyn Evidence, output: &dyn Output) {
    let opts = RunOptions::default();
    let ctx = ModuleContext {
        evidence,
        iocs: index(),
        options: &opts,
    };
    for m in modules {
        let mut em = Emitter::new(m.name(), output);
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

/// Every iOS module over one artifact: the first byte picks the artifact ([`ios_artifacts::PATHS`]),
/// the rest is its content (a mutated SQLite database, plist or text). SQLite databases go through the
/// forensic opener (immutable open, `quick_check`, in-process recovery of damaged databases).
pub fn ios_artifact(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let path = ios_artifacts::PATHS[sel as usize % ios_artifacts::PATHS.len()];
    let ev = MemEvidence::new([(path.to_string(), rest.to_vec())]);
    run_modules_raw(&telltale_ios::modules::all(), &ev);
}

/// Hostile values in well-formed databases: the first byte picks a SQLite artifact, whose testkit
/// example (real schema) gets its cells overwritten, row by row and column by column, with the values
/// the rest of the input encodes (NULL, integers, reals, invalid-UTF-8 text, blobs), whatever the
/// column's declared type; then every iOS module runs over it.
pub fn ios_db_values(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let templates = db_templates();
    let (path, template) = &templates[sel as usize % templates.len()];
    let Some(db) = overwrite_cells(template, rest) else {
        return;
    };
    let ev = MemEvidence::new([(path.to_string(), db)]);
    run_modules_raw(&telltale_ios::modules::all(), &ev);
}

/// The SQLite examples of [`ios_artifacts`], built once.
fn db_templates() -> &'static [(&'static str, Vec<u8>)] {
    static T: std::sync::OnceLock<Vec<(&'static str, Vec<u8>)>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        (0..ios_artifacts::PATHS.len())
            .map(|i| (ios_artifacts::PATHS[i], ios_artifacts::example(i)))
            .filter(|(_, b)| b.starts_with(b"SQLite format 3\0"))
            .collect()
    })
}

/// A value decoded from the fuzz input.
enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

fn next_cell<'a>(input: &mut &'a [u8]) -> Option<Cell<'a>> {
    let (&tag, rest) = input.split_first()?;
    *input = rest;
    let take = |input: &mut &'a [u8], n: usize| -> &'a [u8] {
        let n = n.min(input.len());
        let (a, b) = input.split_at(n);
        *input = b;
        a
    };
    let word = |input: &mut &'a [u8]| -> [u8; 8] {
        let mut w = [0u8; 8];
        let b = take(input, 8);
        w[..b.len()].copy_from_slice(b);
        w
    };
    Some(match tag % 6 {
        0 => Cell::Null,
        1 => Cell::Int(i64::from_le_bytes(word(input))),
        2 => Cell::Real(f64::from_le_bytes(word(input))),
        3 => Cell::Int(i64::from(tag as i8) >> 3),
        4 => {
            let n = take(input, 1).first().copied().unwrap_or(0) as usize;
            Cell::Text(take(input, n))
        }
        _ => {
            let n = take(input, 1).first().copied().unwrap_or(0) as usize;
            Cell::Blob(take(input, n))
        }
    })
}

/// A copy of `template` with cells overwritten by the values of `input`, or `None` when SQLite refuses.
fn overwrite_cells(template: &[u8], mut input: &[u8]) -> Option<Vec<u8>> {
    use rusqlite::types::Value as V;
    let dir = tempfile::tempdir().ok()?;
    let p = dir.path().join("db");
    std::fs::write(&p, template).ok()?;
    {
        let c = rusqlite::Connection::open(&p).ok()?;
        let tables: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .ok()?
            .query_map([], |r| r.get(0))
            .ok()?
            .flatten()
            .collect();
        'tables: for t in tables {
            let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            let cols: Vec<String> = match c.prepare(&format!("PRAGMA table_info({})", q(&t))) {
                Ok(mut st) => st
                    .query_map([], |r| r.get(1))
                    .map(|it| it.flatten().collect())
                    .unwrap_or_default(),
                Err(_) => continue,
            };
            let rowids: Vec<i64> = match c.prepare(&format!("SELECT rowid FROM {}", q(&t))) {
                Ok(mut st) => st
                    .query_map([], |r| r.get(0))
                    .map(|it| it.flatten().collect())
                    .unwrap_or_default(),
                Err(_) => continue,
            };
            for id in rowids {
                for col in &cols {
                    let Some(cell) = next_cell(&mut input) else {
                        break 'tables;
                    };
                    let (expr, v) = match cell {
                        Cell::Null => ("?1", V::Null),
                        Cell::Int(i) => ("?1", V::Integer(i)),
                        Cell::Real(f) => ("?1", V::Real(f)),
                        Cell::Text(b) => ("CAST(?1 AS TEXT)", V::Blob(b.to_vec())),
                        Cell::Blob(b) => ("?1", V::Blob(b.to_vec())),
                    };
                    let sql = format!("UPDATE {} SET {} = {expr} WHERE rowid = ?2", q(&t), q(col));
                    let _ = c.execute(&sql, rusqlite::params![v, id]);
                }
            }
        }
    }
    std::fs::read(&p).ok()
}

/// Zip containers: [`ZipEvidence`] over the input (tight limits), every entry listed and read, nested
/// zips opened, then the AndroidQF and bugreport modules over the archive, and the bugreport modules over
/// a nested `bugreport.zip`.
pub fn zip_evidence(data: &[u8]) {
    let limits = ArchiveLimits {
        max_entry_size: 1 << 20,
        max_total_size: 4 << 20,
        max_entries: 2000,
        max_depth: 2,
        memory_threshold: 64 << 10,
    };
    let parent = MemEvidence::new([("a.zip".to_string(), data.to_vec())]);
    let Ok(z) = ZipEvidence::open_nested(&parent, "a.zip", 0, limits) else {
        return;
    };
    let _ = z.warnings();
    for e in z.entries() {
        let _ = z.exists(&e.path);
        let _ = z.modified_naive(&e.path);
        let _ = z.modified(&e.path);
        let _ = z.read_limited(&e.path, 1 << 20);
        if e.path.ends_with(".zip")
            && let Ok(inner) = z.open_inner(&e.path)
        {
            for ie in inner.entries() {
                let _ = inner.read_limited(&ie.path, 1 << 20);
            }
        }
    }
    let _ = z.find("**");
    let _ = z.find("*.json");
    run_modules_raw(&telltale_android::modules::qf::all(), &z);
    run_modules_raw(&telltale_android::modules::bugreport::all(), &z);
    if let Ok(inner) = z.open_inner("bugreport.zip") {
        run_modules_raw(&telltale_android::modules::bugreport::all(), &inner);
    }
}

/// Intrusion logs (JSON lines): the input as a log file of `intrusion-logs/`, every intrusion module.
pub fn intrusion_log(data: &[u8]) {
    for line in String::from_utf8_lossy(data).lines() {
        let _ = telltale_android::modules::intrusion::is_event_line(line);
    }
    let ev = MemEvidence::new([("intrusion-logs/a.txt".to_string(), data.to_vec())]);
    run_modules_raw(&telltale_android::modules::intrusion::all(), &ev);
}

/// The AndroidQF text readers: the input as `getprop.txt`, `ps.txt`, `settings_secure.txt` and a log
/// file, every AndroidQF module over them.
pub fn androidqf_text(data: &[u8]) {
    let ev = MemEvidence::new(
        ["getprop.txt", "ps.txt", "settings_secure.txt", "logs/a.log"]
            .map(|f| (f.to_string(), data.to_vec())),
    );
    run_modules_raw(&telltale_android::modules::qf::all(), &ev);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = telltale_android::modules::qf::processes::parse_ps(text);
    }
}

/// The files of a results folder (telltale's or MVT's), as `telltale report` and `telltale recheck`
/// read them: the first byte picks the file the rest becomes (`alerts.json`, `info.json`, a module's
/// records or detected records, `timeline.csv`); then the HTML page is rendered and the folder is
/// re-checked against the fuzz indicators (which rewrites it).
pub fn results_folder(data: &[u8]) {
    const FILES: [&str; 5] = [
        "alerts.json",
        "info.json",
        "sms.json",
        "sms_detected.json",
        "timeline.csv",
    ];
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    if std::fs::write(dir.path().join(FILES[sel as usize % FILES.len()]), rest).is_err() {
        return;
    }
    let opts = telltale_report::html::HtmlOptions {
        generated: Some("2026-01-01 00:00:00 UTC".into()),
    };
    let _ = telltale_report::html::render_html_report(dir.path(), &opts);
    let matcher =
        |module: &str, rec: &Record| telltale_report::rematch::rematch_alerts(index(), module, rec);
    // Observables are written too (from the hostile sms.json), then hunted.
    let ropts = telltale_report::recheck::RecheckOptions {
        date: Some("2026-01-01 00:00:00".into()),
        ..Default::default()
    };
    let _ = telltale_report::recheck::recheck_dir_with(dir.path(), &matcher, &ropts);
    let table = telltale_report::hunt::IndicatorTable::new(index());
    let _ = telltale_report::hunt::scan_file(
        &dir.path().join(telltale_report::observables::FILE_NAME),
        &table,
        &Default::default(),
    );
}

/// Decryption of backup files (AES-256-CBC, PKCS#7, truncation to the MBFile `Size`): first byte bit 0
/// says whether a recorded size follows (4 bytes, little-endian), the rest is the ciphertext. Checks the
/// report's invariants, and that the streaming reader read in odd small pieces gives exactly what the
/// whole-buffer decryption gives. Also the `EncryptionKey` and MBFile parsers on the same bytes.
pub fn ios_decrypt(data: &[u8]) {
    use std::io::Read;
    use telltale_ios::crypto::decrypt::{
        DecryptingReader, MbFileCrypto, WrappedKey, decrypt_bytes,
    };
    let _ = WrappedKey::parse("fuzz", data);
    let _ = MbFileCrypto::parse(data);
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (size, ct) = if flags & 1 == 1 && rest.len() >= 4 {
        let (s, ct) = rest.split_at(4);
        (
            Some(u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))),
            ct,
        )
    } else {
        (None, rest)
    };
    let key = telltale_ios::crypto::Key32::new([9; 32]);
    let (whole, report) = decrypt_bytes(&key, "fuzz", ct, size);
    assert_eq!(whole.len() as u64, report.output_len);
    assert_eq!(report.cipher_len, ct.len() as u64);
    assert!(report.plain_len <= report.cipher_len);
    if let Some(s) = size {
        assert!(report.output_len <= s);
    }
    // The same through the streaming reader, read in pieces of 1 to 37 bytes.
    let mut r = DecryptingReader::new(ct, &key, "fuzz", size);
    let mut streamed = Vec::new();
    let mut piece = 1 + usize::from(flags >> 1) % 37;
    let mut buf = [0u8; 37];
    loop {
        match r.read(&mut buf[..piece]) {
            Ok(0) => break,
            Ok(n) => streamed.extend_from_slice(&buf[..n]),
            Err(e) => panic!("reading from a slice failed: {e}"),
        }
        piece = piece % 37 + 1;
    }
    assert_eq!(streamed, whole, "streamed and whole decryption differ");
    assert_eq!(r.report(), &report);
}

/// The shutdown log: the parser (reboots, clients, UUID stripping), then the `shutdown_log` module over
/// the bytes as a sysdiagnose's `shutdown.log` (indicator matching, unusual locations, delays).
pub fn shutdown_log(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for r in telltale_ios::parsers::shutdown::parse(&text) {
        for c in &r.clients {
            let p = c.path();
            let _ = telltale_ios::device_paths::unusual_location(p);
            let _ = telltale_ios::device_paths::match_path(index(), p);
        }
    }
    let ev = MemEvidence::new([(
        "system_logs.logarchive/Extra/shutdown.log".to_string(),
        data.to_vec(),
    )]);
    run_modules_raw(
        &[Box::new(
            telltale_ios::modules::shutdown_log::ShutdownLog::new(),
        )],
        &ev,
    );
}

/// `.ips` reports: header/body split and fact extraction, then the `crash_reports` module over the
/// bytes as a report of a sysdiagnose.
pub fn ips(data: &[u8]) {
    if let Ok(r) = telltale_ios::parsers::ips::parse(data) {
        let _ = telltale_ios::parsers::ips::facts(&r);
    }
    let ev = MemEvidence::new([("crashes_and_spins/x.ips".to_string(), data.to_vec())]);
    run_modules_raw(
        &[Box::new(
            telltale_ios::modules::crash_reports::CrashReports::new(),
        )],
        &ev,
    );
}

/// Process lists: every parser (ps, taskinfo, spindump) over the input, then the `processes` module with
/// the input as the list the first byte picks (ps.txt, ps_thread.txt, taskinfo.txt, spindump).
pub fn ps_lists(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    use telltale_ios::parsers::ps;
    for p in ps::parse_ps(&text)
        .into_iter()
        .chain(ps::parse_taskinfo(&text))
        .chain(ps::parse_spindump(&text))
    {
        let _ = ps::executable_of(&p.command);
    }
    let sources = telltale_ios::modules::processes::SOURCES;
    let file = sources[sel as usize % sources.len()].0;
    let ev = MemEvidence::new([(file.to_string(), rest.to_vec())]);
    run_modules_raw(
        &[Box::new(telltale_ios::modules::processes::Processes)],
        &ev,
    );
}

/// Limits that keep one fuzz execution small.
fn dump_limits() -> ArchiveLimits {
    ArchiveLimits {
        max_entry_size: 1 << 20,
        max_total_size: 8 << 20,
        max_entries: 5000,
        max_depth: 2,
        memory_threshold: 64 << 10,
    }
}

/// A container opened from fuzz bytes: finds the dump in it (root detection), then walks it, looks up
/// backup paths and runs every filesystem-dump module over it.
fn dump_in(container: Arc<dyn Evidence>) {
    use telltale_ios::ffs::{DumpEvidence, root};
    let _ = root::children(container.as_ref(), "");
    let Ok(Some(layout)) = root::detect(container.as_ref()) else {
        let _ = container.walk("", &mut |_| true);
        return;
    };
    for p in [
        "private/var/mobile/x",
        "private/var",
        "System/Library/x",
        "var/x",
    ] {
        if let Some(inner) = layout.to_inner(p) {
            let _ = layout.to_device(&inner);
        }
    }
    let ev = DumpEvidence::new(container, layout);
    let _ = ev.walk("", &mut |e| {
        let _ = ev.exists(e.path);
        true
    });
    let _ = ev.find("AppDomain-*/Library/**");
    let _ = ev.find("*/Library/Preferences/*.plist");
    let _ = ev.exists("HomeDomain/Library/SMS/sms.db");
    run_modules_raw(&telltale_ios::ffs::all_modules(), &ev);
}

/// A filesystem dump as a `.tar` (or `.tar.gz` when the bytes are gzip): the bounded header parser,
/// root detection and every dump module.
pub fn tar_dump(data: &[u8]) {
    use telltale_core::tar::{TarEvidence, TarOptions};
    let parent = MemEvidence::new([("d.tar".to_string(), data.to_vec())]);
    let opts = TarOptions {
        limits: dump_limits(),
        keep: Some(Arc::new(telltale_ios::ffs::artifacts::keep)),
        keep_memory_budget: 1 << 20,
        keep_disk_budget: 4 << 20,
        max_name_len: 1024,
        ..Default::default()
    };
    let Ok(t) = TarEvidence::open_nested(&parent, "d.tar", 0, &opts) else {
        return;
    };
    let _ = t.warnings();
    let _ = t.stats();
    for e in t.entries().into_iter().take(50) {
        let _ = t.read_limited(&e.path, 1 << 20);
        let _ = t.modified(&e.path);
    }
    dump_in(Arc::new(t));
}

/// A filesystem dump as a `.zip` with absolute member names accepted: root detection, extended
/// timestamps and every dump module.
pub fn zip_dump(data: &[u8]) {
    let parent = MemEvidence::new([("d.zip".to_string(), data.to_vec())]);
    let Ok(local) = parent.local_file("d.zip") else {
        return;
    };
    let opts = telltale_core::archive::ZipOptions {
        limits: dump_limits(),
        absolute_names: true,
    };
    let Ok(z) = ZipEvidence::open_with_options(local.path(), &opts) else {
        return;
    };
    let _ = z.warnings();
    dump_in(Arc::new(z));
}
