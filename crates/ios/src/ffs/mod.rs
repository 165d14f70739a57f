//! The `ios-fs` acquisition kind: an iOS full-filesystem dump, read in place from a folder, a `.tar`, a
//! `.tar.gz`/`.tgz` or a `.zip` (ZIP64 too), whatever wraps it (`filesystem1/`, `<UDID>/`, absolute
//! member names, a wrapper folder, `var/` for `private/var/`, a dump of `/private/var` alone):
//! [`root::detect`] finds it, [`DumpEvidence`] serves it by device path and by backup path.
//!
//! Nothing is extracted, except the members a module opens as SQLite (to a private temporary folder,
//! removed at exit and on Ctrl-C). A `.tar.gz` is decompressed once: the members [`artifacts::keep`]
//! names are kept during that pass. An input with no dump in it is not this kind.
//!
//! Modules: the filesystem modules (MVT's slugs), every backup module MVT also runs on a dump (through
//! the backup paths of [`DumpEvidence`]; not `backup_info` nor `manifest`, which read a backup's own
//! files), `shutdown_log` and `crash_reports` at their dump paths, and the sysdiagnose archives kept
//! in the dump (`nested_sysdiagnose`).

pub mod artifacts;
pub mod evidence;
pub mod root;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use telltale_core::archive::{ZipEvidence, ZipOptions, looks_like_zip};
use telltale_core::tar::{TarEvidence, TarOptions, tar_compression};
use telltale_core::{
    Acquisition, AcquisitionError, AcquisitionKind, DeviceFact, EntryKind, Evidence,
    FolderEvidence, IndexedFolder, Module, OpenOptions, TimeSource,
};

pub use evidence::DumpEvidence;
pub use root::Layout;

use crate::modules;

/// Folders that only the system volume holds (the dump has it when one of them has contents).
pub const SYSTEM_VOLUME: [&str; 3] = [
    "System/Library",
    "usr/libexec",
    "private/preboot/Cryptexes/OS",
];

/// Where sysdiagnose archives are kept on the device.
pub const SYSDIAGNOSE_DIR: &str =
    "private/var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose";

/// Whether the dump holds the system volume (with `/private/var` alone, binaries cannot be looked up).
pub fn system_volume_present(ev: &dyn Evidence) -> bool {
    SYSTEM_VOLUME.iter().any(|f| {
        let mut any = false;
        let _ = ev.walk(f, &mut |_| {
            any = true;
            false
        });
        any
    })
}

/// The `ios-fs` kind.
pub struct IosFsKind;

/// What the container of a dump is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Folder,
    Tar,
    TarGz,
    Zip,
}

impl Container {
    pub fn as_str(self) -> &'static str {
        match self {
            Container::Folder => "folder",
            Container::Tar => "tar",
            Container::TarGz => "tar.gz",
            Container::Zip => "zip",
        }
    }
}

/// What a walk of the dump found (for the facts and the coverage).
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub bytes: u64,
    pub times: Vec<(TimeSource, u64)>,
    pub no_time: u64,
}

/// An opened dump.
pub struct FsAcquisition {
    evidence: Arc<DumpEvidence>,
    /// The archive of a `.tar`/`.tar.gz` dump (its read statistics).
    tar: Option<Arc<TarEvidence>>,
    container: Container,
    label: String,
    warnings: Vec<String>,
    summary: OnceLock<Summary>,
    system_volume: OnceLock<bool>,
    timezone: Option<String>,
}

impl FsAcquisition {
    /// Opens the dump in an already opened container. `Ok(None)`: no dump in it.
    pub fn from_container(
        inner: Arc<dyn Evidence>,
        container: Container,
        label: String,
        warnings: Vec<String>,
        opts: &OpenOptions,
    ) -> Result<Option<FsAcquisition>, AcquisitionError> {
        let layout = root::detect(inner.as_ref()).map_err(|message| AcquisitionError::Invalid {
            what: label.clone(),
            message,
        })?;
        let Some(layout) = layout else {
            return Ok(None);
        };
        Ok(Some(Self::with_layout(
            inner, layout, container, label, warnings, opts,
        )))
    }

    fn with_layout(
        inner: Arc<dyn Evidence>,
        layout: Layout,
        container: Container,
        label: String,
        warnings: Vec<String>,
        opts: &OpenOptions,
    ) -> FsAcquisition {
        let evidence = Arc::new(DumpEvidence::new(inner, layout));
        let timezone = opts.timezone.clone().or_else(|| device_zone(&evidence));
        FsAcquisition {
            evidence,
            tar: None,
            container,
            label,
            warnings,
            summary: OnceLock::new(),
            system_volume: OnceLock::new(),
            timezone,
        }
    }

    pub fn dump(&self) -> &Arc<DumpEvidence> {
        &self.evidence
    }

    pub fn container(&self) -> Container {
        self.container
    }

    /// For a `.tar.gz` dump: how many member reads had to decompress the archive again (members the
    /// single pass did not keep; see [`artifacts::keep`]).
    pub fn restreams(&self) -> Option<u64> {
        self.tar.as_ref().map(|t| t.restreams())
    }

    /// Whether the system volume is in the dump.
    pub fn system_volume(&self) -> bool {
        *self
            .system_volume
            .get_or_init(|| system_volume_present(self.evidence.as_ref()))
    }

    /// Counts of the whole dump (one walk, on first use).
    pub fn summary(&self) -> &Summary {
        self.summary.get_or_init(|| {
            let mut s = Summary::default();
            let _ = self.evidence.walk("", &mut |e| {
                match e.kind {
                    EntryKind::File => {
                        s.files += 1;
                        s.bytes += e.size.unwrap_or(0);
                        match e.time_source {
                            Some(t) => match s.times.iter_mut().find(|(x, _)| *x == t) {
                                Some((_, n)) => *n += 1,
                                None => s.times.push((t, 1)),
                            },
                            None => s.no_time += 1,
                        }
                    }
                    EntryKind::Dir => s.dirs += 1,
                    EntryKind::Symlink => s.symlinks += 1,
                }
                true
            });
            s
        })
    }
}

/// The device's time zone: `/private/var/db/timezone` links to `…/zoneinfo/<zone>`.
fn device_zone(ev: &DumpEvidence) -> Option<String> {
    let mut zone = None;
    let _ = ev.walk("private/var/db", &mut |e| {
        if e.path == "private/var/db/timezone"
            && let Some(t) = e.link_target
            && let Some((_, z)) = t.split_once("zoneinfo/")
        {
            zone = Some(z.trim_end_matches('/').to_string());
        }
        false
    });
    zone.filter(|z| jiff::tz::TimeZone::get(z).is_ok())
}

/// The modules of a dump.
pub fn all_modules() -> Vec<Box<dyn Module>> {
    let mut v: Vec<Box<dyn Module>> = vec![
        Box::new(modules::filesystem::Filesystem),
        Box::new(modules::cache_files::CacheFiles),
        Box::new(modules::netusage::Netusage),
        Box::new(modules::analytics::Analytics),
        Box::new(modules::analytics_ios_versions::AnalyticsIosVersions),
        Box::new(modules::safari_favicon::SafariFavicon),
        Box::new(modules::ios_version_history::IosVersionHistory),
        Box::new(modules::webkit_indexeddb::WebkitIndexedDb),
        Box::new(modules::webkit_local_storage::WebkitLocalStorage),
        Box::new(modules::webkit_safari_view_service::WebkitSafariViewService),
    ];
    // The backup modules MVT also runs on a dump, reading it through backup paths.
    for m in modules::all() {
        if !matches!(m.name(), "backup_info" | "manifest") {
            v.push(m);
        }
    }
    v.push(Box::new(modules::shutdown_log::ShutdownLog::with_patterns(
        modules::shutdown_log::DUMP_PATTERNS,
    )));
    v.push(Box::new(
        modules::crash_reports::CrashReports::with_patterns(DUMP_CRASH_PATTERNS),
    ));
    v.push(Box::new(modules::nested_sysdiagnose::NestedSysdiagnose));
    v
}

/// Where a dump keeps crash reports.
pub const DUMP_CRASH_PATTERNS: &[&str] = &["private/var/mobile/Library/Logs/CrashReporter/**.ips"];

fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Acquisition for FsAcquisition {
    fn kind(&self) -> &'static str {
        "ios-fs"
    }
    fn evidence(&self) -> &dyn Evidence {
        self.evidence.as_ref()
    }
    fn modules(&self) -> Vec<Box<dyn Module>> {
        all_modules()
    }
    fn facts(&self) -> Vec<DeviceFact> {
        let ev = self.evidence.as_ref();
        let mut out = vec![
            DeviceFact::new("Acquisition", "iOS full-filesystem dump"),
            DeviceFact::new(
                "Container",
                format!("{} {}", self.container.as_str(), self.label),
            ),
            DeviceFact::new("Dump location", ev.layout().describe()),
            DeviceFact::new(
                "System volume",
                if self.system_volume() {
                    "present"
                } else {
                    "absent (the dump holds the data volume only)"
                },
            ),
        ];
        if let Some(v) = system_version(ev) {
            out.push(DeviceFact::new("iOS version", v));
        }
        let s = self.summary();
        out.push(DeviceFact::new(
            "Dump contents",
            format!(
                "{}, {}, {}, {:.1} MiB",
                count(s.files, "file", "files"),
                count(s.dirs, "folder", "folders"),
                count(s.symlinks, "symbolic link", "symbolic links"),
                s.bytes as f64 / (1024.0 * 1024.0)
            ),
        ));
        let mut times: Vec<String> = s
            .times
            .iter()
            .map(|(t, n)| format!("{} ({})", t.as_str(), count(*n, "file", "files")))
            .collect();
        if s.no_time > 0 {
            times.push(format!("none ({})", count(s.no_time, "file", "files")));
        }
        out.push(DeviceFact::new("File times", times.join("; ")));
        out.push(DeviceFact::new(
            "Time zone",
            self.timezone.clone().unwrap_or_else(|| {
                "unknown (local times taken as UTC; give it with --timezone)".into()
            }),
        ));
        let containers = self.evidence.containers();
        out.push(DeviceFact::new(
            "App and system containers identified",
            containers.len().to_string(),
        ));
        out
    }
    fn read_warnings(&self) -> Vec<String> {
        let mut w = self.warnings.clone();
        for d in &self.evidence.containers().duplicates {
            w.push(format!(
                "{}: two containers are named {d}; the first one is read",
                self.label
            ));
        }
        w
    }
    fn coverage(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.system_volume() {
            out.push(
                "System volume: not in the dump (data volume only): process names are not looked up \
                 among system binaries (netusage/datausage \"binary not found\" not checked)"
                    .to_string(),
            );
        }
        let s = self.summary();
        out.push(format!(
            "Dump: {} and {} walked by filesystem ({})",
            count(s.files, "file", "files"),
            count(s.dirs, "folder", "folders"),
            self.evidence.layout().describe()
        ));
        let missing: Vec<String> = ARTIFACTS
            .iter()
            .filter(|(_, _, patterns)| {
                !patterns.iter().any(|p| {
                    self.evidence
                        .find(p)
                        .map(|v| !v.is_empty())
                        .unwrap_or(false)
                })
            })
            .map(|(what, modules, _)| format!("{what} ({modules})"))
            .collect();
        if !missing.is_empty() {
            out.push(format!(
                "Not in the dump, so not checked: {}",
                missing.join("; ")
            ));
        }
        if self.warnings.iter().any(|w| w.contains("not indexed")) {
            out.push(format!(
                "{}: the archive could not be read to its end; members after the damage were not checked",
                self.label
            ));
        }
        out
    }
    fn timezone(&self) -> Option<String> {
        self.timezone.clone()
    }
}

/// The system artifacts whose absence is said in the coverage: (what, modules, device patterns).
const ARTIFACTS: &[(&str, &str, &[&str])] = &[
    (
        "sms.db",
        "sms, sms_attachments",
        &["private/var/mobile/Library/SMS/sms.db"],
    ),
    (
        "CallHistory.storedata",
        "calls",
        &["private/var/mobile/Library/CallHistoryDB/CallHistory.storedata"],
    ),
    (
        "AddressBook.sqlitedb",
        "contacts",
        &["private/var/mobile/Library/AddressBook/AddressBook.sqlitedb"],
    ),
    (
        "interactionC.db",
        "interaction_c",
        &["private/var/mobile/Library/CoreDuet/People/interactionC.db"],
    ),
    ("TCC.db", "tcc", &["private/var/mobile/Library/TCC/TCC.db"]),
    (
        "Calendar.sqlitedb",
        "calendar",
        &["private/var/mobile/Library/Calendar/Calendar.sqlitedb"],
    ),
    (
        "DataUsage.sqlite",
        "datausage",
        &["private/var/wireless/Library/Databases/DataUsage.sqlite"],
    ),
    (
        "netusage.sqlite",
        "netusage",
        &[
            "private/var/networkd/netusage.sqlite",
            "private/var/networkd/db/netusage.sqlite",
        ],
    ),
    (
        "Safari History.db",
        "safari_history",
        &[
            "private/var/mobile/Library/Safari/History.db",
            "private/var/mobile/Containers/Data/Application/*/Library/Safari/History.db",
        ],
    ),
    (
        "Safari Favicons.db",
        "safari_favicon",
        &[
            "private/var/mobile/Library/Image Cache/Favicons/Favicons.db",
            "private/var/mobile/Containers/Data/Application/*/Library/Image Cache/Favicons/Favicons.db",
        ],
    ),
    (
        "SFAnalytics databases",
        "analytics, analytics_ios_versions",
        &["private/var/Keychains/Analytics/*.db"],
    ),
    (
        "analytics journals",
        "ios_version_history",
        &["private/var/db/analyticsd/Analytics-Journal-*.ips"],
    ),
    (
        "shutdown logs",
        "shutdown_log",
        &["private/var/db/diagnostics/shutdown*.log"],
    ),
    (
        "crash reports",
        "crash_reports",
        &["private/var/mobile/Library/Logs/CrashReporter/**.ips"],
    ),
    (
        "locationd clients.plist",
        "locationd_clients",
        &["private/var/root/Library/Caches/locationd/clients.plist"],
    ),
];

/// `ProductVersion (ProductBuildVersion)` of the system volume's SystemVersion.plist.
fn system_version(ev: &dyn Evidence) -> Option<String> {
    for p in [
        "System/Library/CoreServices/SystemVersion.plist",
        "private/preboot/Cryptexes/OS/System/Library/CoreServices/SystemVersion.plist",
    ] {
        let Ok(bytes) = ev.read_limited(p, 1 << 20) else {
            continue;
        };
        let Ok(v) = plist::from_bytes::<plist::Value>(&bytes) else {
            continue;
        };
        let d = v.as_dictionary()?;
        let get = |k: &str| d.get(k).and_then(|v| v.as_string());
        if let Some(ver) = get("ProductVersion") {
            return Some(match get("ProductBuildVersion") {
                Some(b) => format!("{ver} ({b})"),
                None => ver.to_string(),
            });
        }
    }
    None
}

/// An opened container: its evidence, what it is, its warnings (refused members …), and the tar
/// archive when it is one.
type Opened = (
    Arc<dyn Evidence>,
    Container,
    Vec<String>,
    Option<Arc<TarEvidence>>,
);

impl IosFsKind {
    /// Opens the dump at `path` (folder, `.tar`, `.tar.gz`, `.zip`): `Ok(None)` when there is none.
    pub fn open_dump(
        path: &Path,
        opts: &OpenOptions,
    ) -> Result<Option<FsAcquisition>, AcquisitionError> {
        let Some((inner, container, warnings, tar)) = Self::container(path)? else {
            return Ok(None);
        };
        let label = path.display().to_string();
        let layout = root::detect(inner.as_ref()).map_err(|message| AcquisitionError::Invalid {
            what: format!("{} {label}", container.as_str()),
            message,
        })?;
        let Some(layout) = layout else {
            return Ok(None);
        };
        // A folder is listed once, into memory, from the dump's own folder.
        let (inner, layout): (Arc<dyn Evidence>, Layout) = if container == Container::Folder {
            let base = path.join(layout.prefix());
            let rebased = match layout {
                Layout::Root { var_alias, .. } => Layout::Root {
                    prefix: String::new(),
                    var_alias,
                },
                Layout::VarOnly { .. } => Layout::VarOnly {
                    prefix: String::new(),
                },
            };
            (Arc::new(IndexedFolder::new(base)?), rebased)
        } else {
            (inner, layout)
        };
        let mut acq = FsAcquisition::with_layout(inner, layout, container, label, warnings, opts);
        acq.tar = tar;
        Ok(Some(acq))
    }

    /// Opens the container of `path`: `Ok(None)` when it is none telltale reads as a dump container.
    fn container(path: &Path) -> Result<Option<Opened>, AcquisitionError> {
        if path.is_dir() {
            let ev = FolderEvidence::new(path)?;
            return Ok(Some((Arc::new(ev), Container::Folder, Vec::new(), None)));
        }
        if !path.is_file() {
            return Ok(None);
        }
        if let Some(c) = tar_compression(path) {
            let opts = TarOptions {
                keep: Some(Arc::new(artifacts::keep)),
                ..Default::default()
            };
            return match TarEvidence::open_with(path, &opts) {
                Ok(t) => {
                    let w = t.warnings().to_vec();
                    let kind = match c {
                        telltale_core::tar::TarCompression::None => Container::Tar,
                        telltale_core::tar::TarCompression::Gzip => Container::TarGz,
                    };
                    let t = Arc::new(t);
                    Ok(Some((t.clone(), kind, w, Some(t))))
                }
                Err(_) => Ok(None),
            };
        }
        if looks_like_zip(path) {
            let opts = ZipOptions {
                absolute_names: true,
                ..Default::default()
            };
            return match ZipEvidence::open_with_options(path, &opts) {
                Ok(z) => {
                    let w = z.warnings().to_vec();
                    Ok(Some((Arc::new(z), Container::Zip, w, None)))
                }
                Err(_) => Ok(None),
            };
        }
        Ok(None)
    }
}

impl AcquisitionKind for IosFsKind {
    fn name(&self) -> &'static str {
        "ios-fs"
    }
    fn description(&self) -> &'static str {
        "iOS full-filesystem dump: a folder, .tar, .tar.gz/.tgz or .zip holding private/var/ (any wrapper), or a dump of /private/var alone"
    }
    fn open(
        &self,
        path: &Path,
        opts: &OpenOptions,
    ) -> Result<Option<Box<dyn Acquisition>>, AcquisitionError> {
        Ok(Self::open_dump(path, opts)?.map(|a| Box::new(a) as Box<dyn Acquisition>))
    }
    fn all_modules(&self) -> Vec<Box<dyn Module>> {
        all_modules()
    }
}
