//! The `intrusion-logs` acquisition kind: Android Advanced Protection intrusion logs, a folder (or zip)
//! of `.txt` files of JSON lines (see [`crate::modules::intrusion`]). Recognised when one of its first
//! `.txt` files starts with a `dns_event`, `connect_event` or `security_event` line; an AndroidQF folder
//! (which may hold an `intrusion-logs/` folder) is left to the AndroidQF kind. Event times are absolute
//! (Unix epoch), so no device zone is needed.

use std::path::Path;

use telltale_core::{
    Acquisition, AcquisitionError, AcquisitionKind, Evidence, FolderEvidence, Module, OpenOptions,
};

use crate::bugreport_kind::{open_zip_evidence, zip_names};
use crate::modules::intrusion::{self as il, IntrusionCache, Shared, is_event_line};

pub struct IntrusionLogsKind;

/// How many `.txt` files are sniffed.
const SNIFF_FILES: usize = 20;

struct IntrusionAcquisition {
    evidence: Box<dyn Evidence>,
    cache: Shared,
    warnings: Vec<String>,
}

impl Acquisition for IntrusionAcquisition {
    fn kind(&self) -> &'static str {
        "intrusion-logs"
    }
    fn evidence(&self) -> &dyn Evidence {
        self.evidence.as_ref()
    }
    fn modules(&self) -> Vec<Box<dyn Module>> {
        il::with_cache(self.cache.clone())
    }
    fn read_warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// How much of a file's head is read to sniff its first line.
const SNIFF_BYTES: u64 = 1 << 16;

/// Whether the first [`SNIFF_BYTES`] of a file look like intrusion logs: the first non-empty line is
/// an event, or, when that line is longer than the sniffed head, it starts like one (`{"dns_event"`…:
/// a planted first line of megabytes must not hide the file).
fn sniff_text(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let Some(line) = text.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    if is_event_line(line) {
        return true;
    }
    let complete = text[text.find(line).unwrap_or(0) + line.len()..].contains('\n');
    !complete && starts_like_event(line)
}

/// `{` then, as first key, one of the event types.
fn starts_like_event(line: &str) -> bool {
    let Some(rest) = line.trim_start().strip_prefix('{') else {
        return false;
    };
    let rest = rest.trim_start();
    ["\"dns_event\"", "\"connect_event\"", "\"security_event\""]
        .iter()
        .any(|k| rest.starts_with(k))
}

/// Sniffs the head of a file of the evidence (never reads the whole file).
fn sniff_file(ev: &dyn Evidence, path: &str) -> bool {
    use std::io::Read;
    let mut data = Vec::new();
    let Ok(r) = ev.open(path) else {
        return false;
    };
    r.take(SNIFF_BYTES).read_to_end(&mut data).is_ok() && sniff_text(&data)
}

/// Whether an evidence holds intrusion logs (an AndroidQF acquisition or a bugreport that holds some is
/// left to its own kind).
pub fn looks_like_intrusion_logs(ev: &dyn Evidence) -> bool {
    if crate::is_qf_root(ev, "") || ev.exists("main_entry.txt") {
        return false;
    }
    let Ok(files) = ev.find("**.txt") else {
        return false;
    };
    files
        .iter()
        .take(SNIFF_FILES)
        .any(|f| sniff_file(ev, &f.path))
}

impl AcquisitionKind for IntrusionLogsKind {
    fn name(&self) -> &'static str {
        "intrusion-logs"
    }
    fn description(&self) -> &'static str {
        "Android intrusion logs (Advanced Protection): a folder or zip of JSON-lines .txt files"
    }
    fn open(
        &self,
        path: &Path,
        _opts: &OpenOptions,
    ) -> Result<Option<Box<dyn Acquisition>>, AcquisitionError> {
        let (evidence, warnings): (Box<dyn Evidence>, Vec<String>) = if path.is_dir() {
            let ev = FolderEvidence::new(path)?;
            if !looks_like_intrusion_logs(&ev) {
                return Ok(None);
            }
            (Box::new(ev), Vec::new())
        } else if path.is_file() {
            let Some(names) = zip_names(path) else {
                return Ok(None);
            };
            if !names.iter().any(|n| n.ends_with(".txt"))
                || names
                    .iter()
                    .any(|n| n == "main_entry.txt" || n == "acquisition.json")
            {
                return Ok(None);
            }
            // Sniff the first lines of the zip's .txt files.
            let f = std::fs::File::open(path)
                .map_err(|e| telltale_core::EvidenceError::io(path.display().to_string(), e))?;
            let Ok(mut z) = zip::ZipArchive::new(f) else {
                return Ok(None);
            };
            let mut found = false;
            for n in names
                .iter()
                .filter(|n| n.ends_with(".txt"))
                .take(SNIFF_FILES)
            {
                use std::io::Read;
                let Ok(entry) = z.by_name(n) else { continue };
                let mut buf = Vec::new();
                if entry.take(SNIFF_BYTES).read_to_end(&mut buf).is_err() {
                    continue;
                }
                if sniff_text(&buf) {
                    found = true;
                    break;
                }
            }
            if !found {
                return Ok(None);
            }
            open_zip_evidence(path)?
        } else {
            return Ok(None);
        };
        Ok(Some(Box::new(IntrusionAcquisition {
            evidence,
            cache: IntrusionCache::new(),
            warnings,
        })))
    }
    fn all_modules(&self) -> Vec<Box<dyn Module>> {
        il::all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_core::MemoryOutput as Collect;
    use telltale_core::{ModuleContext, RunOptions, run_modules};
    use telltale_testkit::bugreport::IntrusionLogs;

    #[test]
    fn a_first_line_longer_than_the_sniffed_head_is_judged_by_its_start() {
        let long = "a.".repeat(SNIFF_BYTES as usize);
        let event = format!(
            "{{\"dns_event\": {{\"event_time\": 1, \"hostname\": \"{long}com\"}}}}\nmore\n"
        );
        assert!(sniff_text(&event.as_bytes()[..SNIFF_BYTES as usize]));
        let other = format!("{{\"note\": \"{long}\"}}\n");
        assert!(!sniff_text(&other.as_bytes()[..SNIFF_BYTES as usize]));
        // A complete first line is judged whole: an unfinished event object is not an event.
        assert!(!sniff_text(b"{\"dns_event\": {\n"));
        assert!(sniff_text(
            b"\n  \n{\"connect_event\": {\"event_time\": 1}}\n"
        ));
        assert!(!sniff_text(b""));
    }

    #[test]
    fn recognises_and_runs() {
        let dir = tempfile::tempdir().unwrap();
        IntrusionLogs::new()
            .dns(
                "2026-05-01.txt",
                1_746_979_200_000,
                "evil.com",
                &["/1.2.3.4"],
                "com.example",
            )
            .connect(
                "2026-05-01.txt",
                1_746_979_201_000,
                "/1.2.3.4",
                443,
                "com.example",
            )
            .write_folder(dir.path())
            .unwrap();
        let acq = IntrusionLogsKind
            .open(dir.path(), &OpenOptions::default())
            .unwrap()
            .unwrap();
        assert_eq!(acq.kind(), "intrusion-logs");
        let iocs = telltale_core::ioc::IocIndex::from_values(
            &[
                (telltale_core::ioc::IndicatorKind::Domain, "evil.com"),
                (telltale_core::ioc::IndicatorKind::Ipv4, "1.2.3.4"),
            ],
            "T",
        );
        let opts = RunOptions::default();
        let ctx = ModuleContext {
            evidence: acq.evidence(),
            iocs: &iocs,
            options: &opts,
        };
        let s = run_modules(&acq.modules(), &ctx, &Collect::default());
        assert_eq!(s.alerts_at(telltale_core::Level::Critical), 3);

        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("notes.txt"), "{\"hello\": 1}\n").unwrap();
        assert!(
            IntrusionLogsKind
                .open(other.path(), &OpenOptions::default())
                .unwrap()
                .is_none()
        );
        let qf = tempfile::tempdir().unwrap();
        IntrusionLogs::new()
            .dns("intrusion-logs/a.txt", 1, "a.com", &[], "x")
            .write_folder(qf.path())
            .unwrap();
        std::fs::write(qf.path().join("acquisition.json"), "{}").unwrap();
        assert!(
            IntrusionLogsKind
                .open(qf.path(), &OpenOptions::default())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn zip_is_sniffed() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("logs.zip");
        IntrusionLogs::new()
            .dns("a.txt", 1, "a.com", &[], "x")
            .write_zip(&z)
            .unwrap();
        let acq = IntrusionLogsKind
            .open(&z, &OpenOptions::default())
            .unwrap()
            .unwrap();
        let iocs = telltale_core::ioc::IocIndex::from_values(
            &[(telltale_core::ioc::IndicatorKind::Domain, "a.com")],
            "T",
        );
        let opts = RunOptions::default();
        let ctx = ModuleContext {
            evidence: acq.evidence(),
            iocs: &iocs,
            options: &opts,
        };
        let s = run_modules(&acq.modules(), &ctx, &Collect::default());
        assert_eq!(s.alerts_at(telltale_core::Level::Critical), 1);
        let junk = dir.path().join("junk.bin");
        std::fs::write(&junk, b"garbage").unwrap();
        assert!(
            IntrusionLogsKind
                .open(&junk, &OpenOptions::default())
                .unwrap()
                .is_none()
        );
    }
}
