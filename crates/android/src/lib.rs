//! telltale-android: AndroidQF acquisitions, bugreports, `.ab` backups and intrusion logs.
//!
//! Kinds defined here:
//! * [`AndroidQfKind`] (`androidqf`): an AndroidQF folder or zip. Logical paths are relative to the
//!   acquisition's root (`packages.json`, `logs/…`), even when the zip holds one top folder. A nested
//!   `bugreport.zip`, `backup.ab` and `intrusion-logs/` (or `intrusion_logs/`) folder are checked too, by the bugreport, backup
//!   and intrusion modules (each over its own evidence).
//! * [`AndroidBackupKind`] (`android-backup`): a bare `.ab` file.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use telltale_core::archive::{ArchiveLimits, SubEvidence, ZipEvidence, looks_like_zip};
use telltale_core::{
    Acquisition, AcquisitionError, AcquisitionKind, DeviceFact, Emitter, Evidence, FolderEvidence,
    Module, ModuleContext, ModuleError, OpenOptions,
};

pub mod ab;
pub mod bugreport_kind;
pub mod dumpsys;
pub mod intrusion_kind;
pub mod lists;
pub mod modules;
pub mod mounts;

use ab::{AbError, AbEvidence};

/// Files that only an AndroidQF acquisition has together.
const QF_FILES: &[&str] = &[
    "packages.json",
    "getprop.txt",
    "ps.txt",
    "processes.txt",
    "processes.json",
    "files.json",
    "mounts.json",
    "root_binaries.json",
    "dumpsys.txt",
    "env.txt",
    "logcat.txt",
    "selinux.txt",
    "services.txt",
];

/// At most this many top folders are looked into for an AndroidQF root.
const MAX_TOP_FOLDERS: usize = 16;

/// Whether the folder `prefix` of `ev` looks like an AndroidQF acquisition root.
pub(crate) fn is_qf_root(ev: &dyn Evidence, prefix: &str) -> bool {
    let p = |f: &str| format!("{prefix}{f}");
    if ev.exists(&p("acquisition.json")) {
        return true;
    }
    let mut n = QF_FILES.iter().filter(|f| ev.exists(&p(f))).count();
    if ev
        .find(&p("settings_*.txt"))
        .map(|v| !v.is_empty())
        .unwrap_or(false)
    {
        n += 1;
    }
    n >= 2
}

/// The AndroidQF root in `ev`: `""` or one of the top folders `tops` (`"x/"`).
fn find_qf_root(ev: &dyn Evidence, tops: Vec<String>) -> Option<String> {
    if is_qf_root(ev, "") {
        return Some(String::new());
    }
    tops.into_iter().find(|t| is_qf_root(ev, t))
}

/// Folders in which AndroidQF writes the intrusion logs it collects: `intrusion-logs/` (AndroidQF and
/// MVT's documentation); `intrusion_logs/` is accepted too. The first one holding files is used.
pub const INTRUSION_FOLDERS: &[&str] = &["intrusion-logs", "intrusion_logs"];

/// The intrusion-logs folder of an AndroidQF acquisition, if it has one with files.
fn intrusion_folder(ev: &dyn Evidence) -> Option<&'static str> {
    INTRUSION_FOLDERS.iter().copied().find(|f| {
        ev.find(&format!("{f}/**"))
            .map(|v| !v.is_empty())
            .unwrap_or(false)
    })
}

/// Opens a nested acquisition's evidence from its parent's.
type OpenNested = Box<dyn Fn(&dyn Evidence) -> Result<Arc<dyn Evidence>, String> + Send + Sync>;

/// The shared, lazily opened evidence of a nested acquisition (bugreport, backup, intrusion logs).
struct Nested {
    what: &'static str,
    open: OpenNested,
    cell: OnceLock<Result<Arc<dyn Evidence>, String>>,
}

/// Runs a module of another kind over a nested acquisition's evidence. When the nested acquisition
/// cannot be opened (wrong password, corrupt zip …) the module warns and reports no data; the rest of
/// the run goes on.
struct NestedModule {
    inner: Box<dyn Module>,
    nested: Arc<Nested>,
}

impl Module for NestedModule {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn description(&self) -> &'static str {
        self.inner.description()
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let opened = self
            .nested
            .cell
            .get_or_init(|| (self.nested.open)(ctx.evidence));
        match opened {
            Ok(ev) => {
                let sub = ModuleContext {
                    evidence: ev.as_ref(),
                    iocs: ctx.iocs,
                    options: ctx.options,
                };
                self.inner.run(&sub, out)
            }
            Err(e) => {
                let msg = format!("{} skipped: {e}", self.nested.what);
                out.warn(msg.clone());
                out.no_data(msg);
                Ok(())
            }
        }
    }
}

fn wrap(modules: Vec<Box<dyn Module>>, nested: &Arc<Nested>) -> Vec<Box<dyn Module>> {
    modules
        .into_iter()
        .map(|inner| {
            Box::new(NestedModule {
                inner,
                nested: nested.clone(),
            }) as Box<dyn Module>
        })
        .collect()
}

/// An opened AndroidQF acquisition.
pub struct AndroidQf {
    evidence: Arc<dyn Evidence>,
    /// Nesting level of the evidence (0 for a folder or a zip given directly).
    depth: u32,
    /// Password for a nested encrypted `backup.ab`, asked when the acquisition was opened.
    backup_password: Option<String>,
    facts: Vec<DeviceFact>,
    timezone: Option<String>,
    /// Entries of the acquisition's zip that were refused or look wrong (`..` names, links …).
    warnings: Vec<String>,
}

impl AndroidQf {
    /// Opens an AndroidQF acquisition already available as evidence (root folder at `""`).
    pub fn from_evidence(evidence: Arc<dyn Evidence>, opts: &OpenOptions) -> Self {
        let getprop = modules::qf::read_text(evidence.as_ref(), "getprop.txt")
            .ok()
            .flatten()
            .unwrap_or_default();
        let props = modules::qf::getprop::parse(&getprop);
        let prop = |n: &str| {
            props
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let mut facts = Vec::new();
        if let Ok(Some(text)) = modules::qf::read_text(evidence.as_ref(), "acquisition.json")
            && let Ok(serde_json::Value::Object(m)) =
                serde_json::from_str::<serde_json::Value>(&text)
        {
            for (k, label) in [
                ("androidqf_version", "AndroidQF version"),
                ("uuid", "Acquisition id"),
                ("started", "Acquisition started"),
                ("completed", "Acquisition completed"),
            ] {
                if let Some(v) = m.get(k).and_then(|v| v.as_str()).filter(|v| !v.is_empty()) {
                    facts.push(DeviceFact::new(label, v));
                }
            }
        }
        for (k, label) in [
            ("ro.product.manufacturer", "Manufacturer"),
            ("ro.product.model", "Model"),
            ("ro.build.version.release", "Android version"),
            ("ro.build.version.sdk", "SDK level"),
            ("ro.build.version.security_patch", "Security patch"),
            ("ro.build.fingerprint", "Build fingerprint"),
        ] {
            if let Some(v) = prop(k) {
                facts.push(DeviceFact::new(label, v));
            }
        }
        let timezone = opts
            .timezone
            .clone()
            .or_else(|| prop("persist.sys.timezone"));
        facts.push(DeviceFact::new("Time zone", zone_fact(timezone.as_deref())));
        // Ask for a nested backup's password now, not in the middle of the run.
        let mut backup_password = None;
        if evidence.exists("backup.ab")
            && let Ok(local) = evidence.local_file("backup.ab")
            && let Ok(h) = ab::read_header_of(local.path())
        {
            facts.push(DeviceFact::new(
                "Nested backup",
                if h.encrypted() {
                    "backup.ab (encrypted)"
                } else {
                    "backup.ab"
                },
            ));
            if h.encrypted() {
                backup_password = opts.secrets.as_ref().and_then(|s| {
                    s.password(&format!(
                        "Android backup backup.ab in {}",
                        evidence.describe()
                    ))
                });
            }
        }
        AndroidQf {
            evidence,
            depth: 0,
            backup_password,
            facts,
            timezone,
            warnings: Vec::new(),
        }
    }
}

/// The "Time zone" fact: the zone device-local times are read in, or that it is unknown.
pub(crate) fn zone_fact(zone: Option<&str>) -> String {
    match zone {
        Some(z) => z.to_string(),
        None => "unknown (device times taken as UTC; give the zone with --timezone)".to_string(),
    }
}

impl Acquisition for AndroidQf {
    fn kind(&self) -> &'static str {
        "androidqf"
    }
    fn evidence(&self) -> &dyn Evidence {
        self.evidence.as_ref()
    }
    fn modules(&self) -> Vec<Box<dyn Module>> {
        let mut all = modules::qf::all();
        let ev = self.evidence.as_ref();
        if ev.exists("bugreport.zip") {
            let depth = self.depth;
            let nested = Arc::new(Nested {
                what: "nested bugreport.zip",
                open: Box::new(move |parent| {
                    ZipEvidence::open_nested(
                        parent,
                        "bugreport.zip",
                        depth,
                        ArchiveLimits::default(),
                    )
                    .map(|z| Arc::new(z) as Arc<dyn Evidence>)
                    .map_err(|e| e.to_string())
                }),
                cell: OnceLock::new(),
            });
            all.extend(wrap(modules::bugreport::all(), &nested));
        }
        if ev.exists("backup.ab") {
            let password = self.backup_password.clone();
            let nested = Arc::new(Nested {
                what: "nested backup.ab",
                open: Box::new(move |parent| {
                    AbEvidence::open_in(parent, "backup.ab", password.as_deref())
                        .map(|a| Arc::new(a) as Arc<dyn Evidence>)
                        .map_err(|e| match e {
                            AbError::PasswordNeeded => {
                                "the backup is encrypted and no password was given \
                                 (set TELLTALE_BACKUP_PASSWORD or use --password-file)"
                                    .to_string()
                            }
                            other => other.to_string(),
                        })
                }),
                cell: OnceLock::new(),
            });
            all.extend(wrap(modules::backup::all(), &nested));
        }
        if let Some(folder) = intrusion_folder(ev) {
            let root = self.evidence.clone();
            let nested = Arc::new(Nested {
                what: folder,
                open: Box::new(move |_| {
                    Ok(Arc::new(SubEvidence::new(root.clone(), folder)) as Arc<dyn Evidence>)
                }),
                cell: OnceLock::new(),
            });
            all.extend(wrap(modules::intrusion::all(), &nested));
        }
        all
    }
    fn facts(&self) -> Vec<DeviceFact> {
        self.facts.clone()
    }
    fn timezone(&self) -> Option<String> {
        self.timezone.clone()
    }
    fn read_warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// AndroidQF acquisitions (folder or zip).
pub struct AndroidQfKind;

impl AcquisitionKind for AndroidQfKind {
    fn name(&self) -> &'static str {
        "androidqf"
    }
    fn description(&self) -> &'static str {
        "AndroidQF acquisition: a folder or zip with acquisition.json, packages.json, getprop.txt …"
    }
    fn open(
        &self,
        path: &Path,
        opts: &OpenOptions,
    ) -> Result<Option<Box<dyn Acquisition>>, AcquisitionError> {
        let mut warnings = Vec::new();
        let (base, tops): (Arc<dyn Evidence>, Vec<String>) = if path.is_dir() {
            // Only the folder itself or its direct subfolders (never a deep walk of a big folder).
            let tops = std::fs::read_dir(path)
                .map(|rd| {
                    rd.flatten()
                        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                        .map(|e| format!("{}/", e.file_name().to_string_lossy()))
                        .collect()
                })
                .unwrap_or_default();
            (Arc::new(FolderEvidence::new(path)?), tops)
        } else if path.is_file() && looks_like_zip(path) {
            match ZipEvidence::open(path) {
                Ok(z) => {
                    let mut tops: Vec<String> = z
                        .entries()
                        .into_iter()
                        .filter_map(|e| e.path.split_once('/').map(|(t, _)| format!("{t}/")))
                        .collect();
                    tops.dedup();
                    warnings = z.warnings().to_vec();
                    (Arc::new(z), tops)
                }
                // A zip that cannot be read is not recognisable; let other kinds (or the caller) say so.
                Err(_) => return Ok(None),
            }
        } else {
            return Ok(None);
        };
        // The acquisition's own root, or one of a few top folders (a zip of the AndroidQF output folder);
        // a zip or folder with many top folders is not an AndroidQF acquisition's layout.
        let mut tops = tops;
        tops.sort();
        tops.truncate(MAX_TOP_FOLDERS);
        let Some(root) = find_qf_root(base.as_ref(), tops) else {
            return Ok(None);
        };
        let evidence: Arc<dyn Evidence> = if root.is_empty() {
            base
        } else {
            Arc::new(SubEvidence::new(base, &root))
        };
        let mut acq = AndroidQf::from_evidence(evidence, opts);
        acq.warnings = warnings;
        Ok(Some(Box::new(acq)))
    }
    fn all_modules(&self) -> Vec<Box<dyn Module>> {
        let mut all = modules::qf::all();
        all.extend(modules::bugreport::all());
        all.extend(modules::backup::all());
        all.extend(modules::intrusion::all());
        all
    }
}

/// An opened `.ab` backup.
pub struct AndroidBackup {
    evidence: AbEvidence,
}

impl Acquisition for AndroidBackup {
    fn kind(&self) -> &'static str {
        "android-backup"
    }
    fn evidence(&self) -> &dyn Evidence {
        &self.evidence
    }
    fn modules(&self) -> Vec<Box<dyn Module>> {
        modules::backup::all()
    }
    fn facts(&self) -> Vec<DeviceFact> {
        let h = self.evidence.header();
        vec![
            DeviceFact::new("Backup format version", h.version.to_string()),
            DeviceFact::new("Compressed", if h.compressed { "yes" } else { "no" }),
            DeviceFact::new("Encryption", if h.encrypted() { "AES-256" } else { "none" }),
        ]
    }
}

/// Android backups made by `adb backup` (`.ab`).
pub struct AndroidBackupKind;

impl AcquisitionKind for AndroidBackupKind {
    fn name(&self) -> &'static str {
        "android-backup"
    }
    fn description(&self) -> &'static str {
        "Android backup (.ab file made by adb backup), plain or encrypted"
    }
    fn open(
        &self,
        path: &Path,
        opts: &OpenOptions,
    ) -> Result<Option<Box<dyn Acquisition>>, AcquisitionError> {
        if !path.is_file() || !ab::looks_like_ab(path) {
            return Ok(None);
        }
        let what = format!("Android backup {}", path.display());
        let header = ab::read_header_of(path).map_err(|e| e.into_acquisition(&what))?;
        let password = if header.encrypted() {
            let pw = opts.secrets.as_ref().and_then(|s| s.password(&what));
            Some(pw.ok_or_else(|| AcquisitionError::PasswordNeeded { what: what.clone() })?)
        } else {
            None
        };
        let evidence =
            AbEvidence::open(path, password.as_deref()).map_err(|e| e.into_acquisition(&what))?;
        Ok(Some(Box::new(AndroidBackup { evidence })))
    }
    fn all_modules(&self) -> Vec<Box<dyn Module>> {
        modules::backup::all()
    }
}

/// Every Android acquisition kind defined in this crate.
pub fn kinds() -> Vec<Box<dyn AcquisitionKind>> {
    vec![
        Box::new(AndroidQfKind),
        Box::new(bugreport_kind::BugreportKind),
        Box::new(intrusion_kind::IntrusionLogsKind),
        Box::new(AndroidBackupKind),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_core::{Alert, Output, Record, RunOptions, TimelineEvent, engine::run_one};

    struct Null;
    impl Output for Null {
        fn record(&self, _: &str, _: &Record) {}
        fn detected(&self, _: &str, _: &Record) {}
        fn timeline(&self, _: TimelineEvent) {}
        fn alert(&self, _: &Alert) {}
    }

    /// Reads `main_entry.txt` of the bugreport it is given.
    struct ReadsMainEntry;
    impl Module for ReadsMainEntry {
        fn name(&self) -> &'static str {
            "reads_main_entry"
        }
        fn description(&self) -> &'static str {
            "test"
        }
        fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
            let data = ctx.evidence.read("main_entry.txt")?;
            out.record(&telltale_core::record! { "main" => String::from_utf8_lossy(&data) });
            Ok(())
        }
    }

    fn nested_bugreport() -> Arc<Nested> {
        Arc::new(Nested {
            what: "nested bugreport.zip",
            open: Box::new(|parent| {
                ZipEvidence::open_nested(parent, "bugreport.zip", 0, ArchiveLimits::default())
                    .map(|z| Arc::new(z) as Arc<dyn Evidence>)
                    .map_err(|e| e.to_string())
            }),
            cell: OnceLock::new(),
        })
    }

    fn run_nested(bugreport: &[u8]) -> telltale_core::ModuleOutcome {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("qf.zip");
        telltale_testkit::androidqf::AndroidQf::new()
            .bugreport(bugreport)
            .write_zip(&p)
            .unwrap();
        let ev = ZipEvidence::open(&p).unwrap();
        let iocs = telltale_core::ioc::IocIndex::empty();
        let opts = RunOptions::default();
        let ctx = ModuleContext {
            evidence: &ev,
            iocs: &iocs,
            options: &opts,
        };
        let m = NestedModule {
            inner: Box::new(ReadsMainEntry),
            nested: nested_bugreport(),
        };
        run_one(&m, &ctx, &Null)
    }

    #[test]
    fn nested_bugreport_is_seen_by_its_modules() {
        let bug = telltale_testkit::androidqf::zip_bytes(&[(
            "main_entry.txt".into(),
            b"bugreport-x.txt".to_vec(),
        )])
        .unwrap();
        let o = run_nested(&bug);
        assert_eq!(o.status, telltale_core::ModuleStatus::Ok);
        assert_eq!(o.records, 1);
        assert_eq!(o.module, "reads_main_entry");
    }

    #[test]
    fn hostile_nested_bugreport_is_a_warning() {
        let o = run_nested(b"PK\x03\x04garbage");
        assert!(
            matches!(o.status, telltale_core::ModuleStatus::NoData(_)),
            "{o:?}"
        );
        assert!(o.warnings[0].contains("bugreport.zip"));
    }
}
