//! The `network-capture` acquisition kind: a capture file (pcap, pcapng, gzip/zstd of either), a
//! Zeek log, a Suricata eve.json, standard input (`-`), or a folder or zip holding a TinyCheck
//! session, a PiRogue experiment or such files. Recognised by content, never by extension.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use telltale_core::evidence::glob_match;
use telltale_core::{
    Acquisition, AcquisitionError, AcquisitionKind, DeviceFact, Entry, Evidence, EvidenceError,
    FolderEvidence, LocalFile, Module, OpenOptions,
};

use crate::allow::AllowList;
use crate::capture::{CaptureCache, InputSpec, Shared};
use crate::engine::Limits;
use crate::input::{self, HEAD};

#[derive(Default)]
pub struct NetworkCaptureKind {
    /// The user's allow-list files, added to the bundled one (heuristics only).
    pub allow_lists: Vec<PathBuf>,
}

/// Files sniffed in a folder or zip.
const MAX_SNIFFED: usize = 2000;

/// One file as evidence (its logical path is its file name).
pub struct FileEvidence {
    path: PathBuf,
    name: String,
}

impl Evidence for FileEvidence {
    fn describe(&self) -> String {
        format!("capture file {}", self.path.display())
    }
    fn exists(&self, path: &str) -> bool {
        path == self.name
    }
    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        Ok(if glob_match(pattern, &self.name) {
            vec![Entry {
                path: self.name.clone(),
                size: std::fs::metadata(&self.path).ok().map(|m| m.len()),
            }]
        } else {
            vec![]
        })
    }
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        if path != self.name {
            return Err(EvidenceError::NotFound { path: path.into() });
        }
        let f = std::fs::File::open(&self.path).map_err(|e| EvidenceError::io(path, e))?;
        Ok(Box::new(f))
    }
    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        if path != self.name {
            return Err(EvidenceError::NotFound { path: path.into() });
        }
        Ok(LocalFile::Original(self.path.clone()))
    }
}

/// Standard input as evidence: one stream, `stdin`, readable once.
pub struct StdinEvidence {
    stream: Mutex<Option<Box<dyn Read + Send>>>,
}

impl StdinEvidence {
    /// `head` was already read from `rest` (for sniffing).
    pub fn new(head: Vec<u8>, rest: Box<dyn Read + Send>) -> Self {
        StdinEvidence {
            stream: Mutex::new(Some(Box::new(Cursor::new(head).chain(rest)))),
        }
    }
}

impl Evidence for StdinEvidence {
    fn describe(&self) -> String {
        "standard input".into()
    }
    fn exists(&self, path: &str) -> bool {
        path == "stdin"
    }
    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        Ok(if glob_match(pattern, "stdin") {
            vec![Entry {
                path: "stdin".into(),
                size: None,
            }]
        } else {
            vec![]
        })
    }
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        if path != "stdin" {
            return Err(EvidenceError::NotFound { path: path.into() });
        }
        self.stream
            .lock()
            .ok()
            .and_then(|mut g| g.take())
            .ok_or_else(|| EvidenceError::Other {
                path: path.into(),
                message: "standard input can be read only once".into(),
            })
    }
    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        Err(EvidenceError::Refused {
            path: path.into(),
            reason: "standard input is a stream".into(),
        })
    }
}

struct NetworkAcquisition {
    evidence: Box<dyn Evidence>,
    cache: Shared,
    facts: Vec<DeviceFact>,
    warnings: Vec<String>,
}

impl Acquisition for NetworkAcquisition {
    fn kind(&self) -> &'static str {
        "network-capture"
    }
    fn evidence(&self) -> &dyn Evidence {
        self.evidence.as_ref()
    }
    fn modules(&self) -> Vec<Box<dyn Module>> {
        crate::modules::with_cache(self.cache.clone())
    }
    fn facts(&self) -> Vec<DeviceFact> {
        self.facts.clone()
    }
    fn read_warnings(&self) -> Vec<String> {
        let mut w = self.warnings.clone();
        if let Some(p) = self.cache.parsed() {
            w.extend(p.warnings.iter().cloned());
        }
        w
    }
    fn coverage(&self) -> Vec<String> {
        match self.cache.parsed() {
            Some(p) => crate::coverage::lines(&p),
            None => vec!["the capture was not read: nothing could be checked".into()],
        }
    }
}

/// How the inputs of a folder or zip were chosen.
struct Plan {
    layout: &'static str,
    inputs: Vec<InputSpec>,
    notes: Vec<String>,
}

fn sniff_entry(ev: &dyn Evidence, path: &str) -> Option<input::Format> {
    let mut r = ev.open(path).ok()?;
    let head = input::read_head(&mut r, 64 * 1024).ok()?;
    input::sniff(&head).map(|(_, f)| f)
}

fn spec(path: &str) -> InputSpec {
    InputSpec {
        path: path.to_string(),
        hint: Some(path.rsplit('/').next().unwrap_or(path).to_string()),
    }
}

/// Finds the captures and logs of a folder or zip.
fn plan(ev: &dyn Evidence) -> Option<Plan> {
    let files = ev.find("**").ok()?;
    let names: Vec<&str> = files.iter().map(|e| e.path.as_str()).collect();
    let find = |base: &str| {
        names
            .iter()
            .find(|n| {
                **n == base || n.ends_with(&format!("/{base}")) && n.matches('/').count() <= 2
            })
            .map(|s| s.to_string())
    };
    // TinyCheck: capture.pcap (really pcapng) beside assets/.
    let tiny_dir = names.iter().find_map(|n| {
        let (dir, f) = n.rsplit_once('/').unwrap_or(("", n));
        (f == "capture.pcap" || f == "assets").then_some(dir.to_string())
    });
    if let Some(dir) = tiny_dir {
        let pre = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let has_assets = names
            .iter()
            .any(|n| n.starts_with(&format!("{pre}assets/")));
        let cap = format!("{pre}capture.pcap");
        if has_assets {
            if names.contains(&cap.as_str()) && sniff_entry(ev, &cap).is_some() {
                return Some(Plan {
                    layout: "TinyCheck session",
                    inputs: vec![spec(&cap)],
                    notes: vec![],
                });
            }
            let logs: Vec<InputSpec> = names
                .iter()
                .filter(|n| n.starts_with(&format!("{pre}assets/")) && n.contains(".log"))
                .filter(|n| sniff_entry(ev, n).is_some())
                .map(|n| spec(n))
                .collect();
            if !logs.is_empty() {
                return Some(Plan {
                    layout: "TinyCheck session (Zeek logs; capture.pcap absent)",
                    inputs: logs,
                    notes: vec![],
                });
            }
        }
    }
    // PiRogue: traffic.pcap + experiment.json; decrypted.pcapng preferred.
    if find("experiment.json").is_some() {
        let mut notes = Vec::new();
        if find("sslkeylog.txt").is_some() {
            notes.push(
                "sslkeylog.txt is present: TLS keys were not used (decryption is not supported yet)".into(),
            );
        }
        for f in ["decrypted.pcapng", "traffic.pcap"] {
            if let Some(p) = find(f)
                && sniff_entry(ev, &p).is_some()
            {
                return Some(Plan {
                    layout: "PiRogue experiment",
                    inputs: vec![spec(&p)],
                    notes,
                });
            }
        }
    }
    // Any captures and logs, found by content.
    let inputs: Vec<InputSpec> = names
        .iter()
        .take(MAX_SNIFFED)
        .filter(|n| sniff_entry(ev, n).is_some())
        .map(|n| spec(n))
        .collect();
    (!inputs.is_empty()).then_some(Plan {
        layout: "captures and logs",
        inputs,
        notes: vec![],
    })
}

fn user_allow(files: &[PathBuf]) -> Result<AllowList, AcquisitionError> {
    let mut a = AllowList::builtin();
    for p in files {
        let text = std::fs::read_to_string(p).map_err(|e| AcquisitionError::Invalid {
            what: p.display().to_string(),
            message: format!("cannot read the allow-list: {e}"),
        })?;
        a.add_text(&text);
    }
    Ok(a)
}

fn acquisition(
    evidence: Box<dyn Evidence>,
    layout: &str,
    inputs: Vec<InputSpec>,
    notes: Vec<String>,
    allow_files: &[PathBuf],
) -> Result<Box<dyn Acquisition>, AcquisitionError> {
    let allow = user_allow(allow_files)?;
    let mut facts = vec![DeviceFact::new("capture_layout", layout)];
    facts.push(DeviceFact::new(
        "capture_inputs",
        inputs
            .iter()
            .map(|i| i.path.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    ));
    facts.push(DeviceFact::new(
        "allow_list_entries",
        allow.entries.to_string(),
    ));
    Ok(Box::new(NetworkAcquisition {
        evidence,
        cache: CaptureCache::new(inputs, allow, Limits::default()),
        facts,
        warnings: notes,
    }))
}

/// Checks that a single capture's first record can be read (a file with a capture's magic but
/// nothing readable is refused at once, so the check exits 2).
fn check_head(name: &str, head: &[u8]) -> Result<(), AcquisitionError> {
    let Some((comp, fmt)) = input::sniff(head) else {
        return Ok(());
    };
    if comp != input::Compression::None || fmt.is_log() {
        return Ok(());
    }
    let src = crate::pcap::Source::new(head);
    match crate::pcap::PacketReader::new(src) {
        Ok(mut r) => match r.next_packet() {
            Ok(_) => Ok(()),
            Err(e) => Err(AcquisitionError::Invalid {
                what: name.into(),
                message: e.to_string(),
            }),
        },
        Err(e) => Err(AcquisitionError::Invalid {
            what: name.into(),
            message: e.to_string(),
        }),
    }
}

impl NetworkCaptureKind {
    /// Opens standard input (`telltale check - --kind pcap`).
    pub fn open_stdin(&self) -> Result<Box<dyn Acquisition>, AcquisitionError> {
        let mut stdin: Box<dyn Read + Send> = Box::new(std::io::stdin());
        let head = input::read_head(&mut stdin, HEAD).map_err(|e| AcquisitionError::Invalid {
            what: "standard input".into(),
            message: e.to_string(),
        })?;
        if input::sniff(&head).is_none() {
            return Err(AcquisitionError::Unsupported {
                what: "standard input".into(),
                message: "not a capture or log telltale recognises (pcap, pcapng, gzip/zstd of either, Zeek TSV/JSON, Suricata eve.json)".into(),
            });
        }
        check_head("standard input", &head)?;
        let ev = StdinEvidence::new(head, stdin);
        acquisition(
            Box::new(ev),
            "standard input",
            vec![InputSpec {
                path: "stdin".into(),
                hint: None,
            }],
            vec![],
            &self.allow_lists,
        )
    }
}

impl AcquisitionKind for NetworkCaptureKind {
    fn name(&self) -> &'static str {
        "network-capture"
    }
    fn description(&self) -> &'static str {
        "network capture: pcap/pcapng (also gzip/zstd), Zeek logs, Suricata eve.json, or a folder/zip of a TinyCheck session or PiRogue experiment; `-` reads standard input"
    }
    fn open(
        &self,
        path: &Path,
        _opts: &OpenOptions,
    ) -> Result<Option<Box<dyn Acquisition>>, AcquisitionError> {
        if path == Path::new("-") {
            return self.open_stdin().map(Some);
        }
        if path.is_dir() {
            let ev = FolderEvidence::new(path)?;
            let Some(p) = plan(&ev) else { return Ok(None) };
            return acquisition(Box::new(ev), p.layout, p.inputs, p.notes, &self.allow_lists)
                .map(Some);
        }
        if !path.is_file() {
            return Ok(None);
        }
        let mut f = std::fs::File::open(path)
            .map_err(|e| EvidenceError::io(path.display().to_string(), e))?;
        let head = input::read_head(&mut f, HEAD)
            .map_err(|e| EvidenceError::io(path.display().to_string(), e))?;
        if head.starts_with(b"PK") {
            let Ok(z) = telltale_core::archive::ZipEvidence::open(path) else {
                return Ok(None);
            };
            let warnings = z.warnings().to_vec();
            let Some(mut p) = plan(&z) else {
                return Ok(None);
            };
            p.notes.extend(warnings);
            return acquisition(Box::new(z), p.layout, p.inputs, p.notes, &self.allow_lists)
                .map(Some);
        }
        if input::sniff(&head).is_none() {
            return Ok(None);
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "capture".into());
        check_head(&path.display().to_string(), &head)?;
        let ev = FileEvidence {
            path: path.to_path_buf(),
            name: name.clone(),
        };
        acquisition(
            Box::new(ev),
            "capture file",
            vec![spec(&name)],
            vec![],
            &self.allow_lists,
        )
        .map(Some)
    }
    fn all_modules(&self) -> Vec<Box<dyn Module>> {
        crate::modules::all()
    }
}
