//! The `ios-sysdiagnose` acquisition kind: an iOS sysdiagnose archive (`sysdiagnose_<date>_iPhone-OS_
//! iPhone_<build>.tar.gz`, its `.tar`, or the extracted folder), holding ONE top folder `sysdiagnose_…`.
//!
//! The evidence the modules see is rooted at that top folder (`ps.txt`, `logs/…`,
//! `system_logs.logarchive/Extra/shutdown.log` …). Archives are read in place through the safe tar
//! evidence (no traversal, no links, no device nodes, bounded sizes); AppleDouble `._*` members and
//! `__MACOSX/` are ignored. Anything else is not this kind. The unified log archive
//! (`system_logs.logarchive/`) is reported as present and not analysed.

pub mod info;

use std::path::Path;
use std::sync::Arc;

use telltale_core::archive::SubEvidence;
use telltale_core::{
    Acquisition, AcquisitionError, AcquisitionKind, DeviceFact, Evidence, FolderEvidence, Module,
    OpenOptions,
};

use crate::modules::{
    configuration_profiles, crash_reports, mobile_installation, processes, shutdown_log,
    sysdiagnose_info, tcc,
};
pub use info::{DeviceInfo, NameInfo, parse_name};

/// Where a sysdiagnose keeps its TCC database.
pub const TCC_PATH: &str = "logs/Accessibility/TCC.db";
/// The unified log archive.
pub const LOGARCHIVE: &str = "system_logs.logarchive";

/// Files that only a sysdiagnose holds at its top level: one of them must be there.
const MARKERS: [&str; 6] = [
    "sysdiagnose.log",
    "ps.txt",
    "remotectl_dumpstate.txt",
    "taskinfo.txt",
    "spindump-nosymbols.txt",
    "logs/SystemVersion/SystemVersion.plist",
];

/// The `ios-sysdiagnose` kind.
pub struct IosSysdiagnoseKind;

/// An opened sysdiagnose.
pub struct SysdiagnoseAcquisition {
    evidence: SubEvidence,
    info: Arc<DeviceInfo>,
    timezone: Option<String>,
    warnings: Vec<String>,
    /// Every file path (relative to the top folder), for coverage.
    files: Vec<(String, Option<u64>)>,
}

/// Whether a name is noise of macOS archivers (AppleDouble `._x`, `__MACOSX/`, `.DS_Store`).
pub fn is_noise(path: &str) -> bool {
    path.split('/')
        .any(|c| c.starts_with("._") || c == "__MACOSX" || c == ".DS_Store")
}

/// The single top folder `sysdiagnose_…` of a listing of file paths (ignoring macOS noise and loose
/// files beside it, like the `.tar.gz` it was extracted from), or why there is none: `Ok(None)` when
/// the listing is not a sysdiagnose (no such folder, or other folders beside it), `Err` when it holds
/// several.
pub fn top_folder<'a>(paths: impl IntoIterator<Item = &'a str>) -> Result<Option<String>, String> {
    let mut tops: Vec<&str> = Vec::new();
    let mut other = false;
    for p in paths {
        if is_noise(p) {
            continue;
        }
        match p.split_once('/') {
            Some((top, _)) if top.starts_with("sysdiagnose_") && !tops.contains(&top) => {
                tops.push(top)
            }
            Some((top, _)) if top.starts_with("sysdiagnose_") => {}
            Some(_) => other = true,
            None => {}
        }
    }
    match tops.len() {
        0 => Ok(None),
        1 if !other => Ok(Some(tops[0].to_string())),
        1 => Ok(None),
        n => Err(format!(
            "holds {n} sysdiagnose folders ({}); pass one of them",
            tops.join(", ")
        )),
    }
}

impl SysdiagnoseAcquisition {
    /// Opens a sysdiagnose whose evidence is already open (a folder, a tar, or a nested archive of a
    /// filesystem dump): finds the top folder, checks it is one, reads the device facts. `Ok(None)`
    /// when the evidence is not a sysdiagnose. `label` names the input for messages.
    pub fn from_evidence(
        evidence: Arc<dyn Evidence>,
        label: &str,
        opts: &OpenOptions,
        warnings: Vec<String>,
    ) -> Result<Option<SysdiagnoseAcquisition>, AcquisitionError> {
        let all = evidence.find("**")?;
        let top = top_folder(all.iter().map(|e| e.path.as_str())).map_err(|message| {
            AcquisitionError::Invalid {
                what: label.to_string(),
                message,
            }
        })?;
        let Some(top) = top else {
            return Ok(None);
        };
        let prefix = format!("{top}/");
        let files: Vec<(String, Option<u64>)> = all
            .iter()
            .filter(|e| !is_noise(&e.path))
            .filter_map(|e| Some((e.path.strip_prefix(&prefix)?.to_string(), e.size)))
            .collect();
        Self::finish(
            SubEvidence::new(evidence, &top),
            &top,
            label,
            files,
            opts,
            warnings,
        )
        .map(Some)
    }

    fn finish(
        evidence: SubEvidence,
        name: &str,
        label: &str,
        files: Vec<(String, Option<u64>)>,
        opts: &OpenOptions,
        warnings: Vec<String>,
    ) -> Result<SysdiagnoseAcquisition, AcquisitionError> {
        let marked = files.iter().any(|(p, _)| {
            MARKERS.contains(&p.as_str()) || p.starts_with(&format!("{LOGARCHIVE}/"))
        });
        if !marked {
            return Err(AcquisitionError::Invalid {
                what: label.to_string(),
                message: format!(
                    "the folder {name} is named like a sysdiagnose but holds none of its files ({}, {LOGARCHIVE}/)",
                    MARKERS.join(", ")
                ),
            });
        }
        let info = DeviceInfo::read(&evidence, name);
        let timezone = opts
            .timezone
            .clone()
            .or_else(|| info.from_name.as_ref().map(|n| n.offset_text()));
        Ok(SysdiagnoseAcquisition {
            evidence,
            info: Arc::new(info),
            timezone,
            warnings,
            files,
        })
    }

    /// The device facts.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn count(&self, pred: impl Fn(&str) -> bool) -> (usize, u64) {
        self.files
            .iter()
            .filter(|(p, _)| pred(p))
            .fold((0, 0), |(n, s), (_, sz)| (n + 1, s + sz.unwrap_or(0)))
    }
}

/// The modules of a sysdiagnose.
pub fn modules(info: Arc<DeviceInfo>) -> Vec<Box<dyn Module>> {
    vec![
        Box::new(sysdiagnose_info::SysdiagnoseInfo::new(info)),
        Box::new(shutdown_log::ShutdownLog::new()),
        Box::new(crash_reports::CrashReports::with_patterns(&[
            "crashes_and_spins/**.ips",
        ])),
        Box::new(processes::Processes),
        Box::new(configuration_profiles::ProfileFiles::new(
            configuration_profiles::SYSDIAGNOSE_STUBS,
        )),
        Box::new(mobile_installation::MobileInstallation),
        Box::new(tcc::Tcc::at(TCC_PATH)),
    ]
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

impl Acquisition for SysdiagnoseAcquisition {
    fn kind(&self) -> &'static str {
        "ios-sysdiagnose"
    }
    fn evidence(&self) -> &dyn Evidence {
        &self.evidence
    }
    fn modules(&self) -> Vec<Box<dyn Module>> {
        modules(self.info.clone())
    }
    fn facts(&self) -> Vec<DeviceFact> {
        let mut out: Vec<DeviceFact> = self
            .info
            .facts()
            .into_iter()
            .map(|(k, v)| DeviceFact::new(k, v))
            .collect();
        if self.info.from_name.is_none() {
            out.push(DeviceFact::new(
                "Time zone",
                self.timezone
                    .clone()
                    .map(|z| format!("{z} (given)"))
                    .unwrap_or_else(|| "unknown: local log times taken as UTC".into()),
            ));
        }
        out
    }
    fn timezone(&self) -> Option<String> {
        self.timezone.clone()
    }
    fn read_warnings(&self) -> Vec<String> {
        let mut w = self.warnings.clone();
        w.extend(self.info.warnings.iter().cloned());
        w
    }
    fn coverage(&self) -> Vec<String> {
        let mut out = Vec::new();
        let (n, size) = self.count(|p| p.starts_with(&format!("{LOGARCHIVE}/")));
        if n > 0 {
            out.push(format!(
                "Unified log archive ({LOGARCHIVE}/, {n} files, {}): present, not analysed (only its \
                 Extra/shutdown*.log is read)",
                mib(size)
            ));
        } else {
            out.push(format!(
                "Unified log archive ({LOGARCHIVE}/): not in the archive"
            ));
        }
        let shutdown = self.count(|p| {
            let b = p.rsplit('/').next().unwrap_or(p);
            b.starts_with("shutdown") && b.ends_with(".log")
        });
        out.push(match shutdown.0 {
            0 => "Shutdown log: not in the archive, shutdown_log checked nothing".to_string(),
            k => format!("Shutdown log: {k} file(s) checked by shutdown_log"),
        });
        let ips = self.count(|p| p.starts_with("crashes_and_spins/") && p.ends_with(".ips"));
        out.push(match ips.0 {
            0 => "Crash reports (crashes_and_spins/*.ips): none in the archive".to_string(),
            k => format!("Crash reports: {k} .ips file(s) checked by crash_reports"),
        });
        let lists: Vec<&str> = processes::SOURCES
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| self.files.iter().any(|(p, _)| p == f))
            .collect();
        out.push(if lists.is_empty() {
            "Process lists (ps.txt, ps_thread.txt, taskinfo.txt, spindump-nosymbols.txt): none in the archive"
                .to_string()
        } else {
            format!("Process lists checked by processes: {}", lists.join(", "))
        });
        for (what, pred, module) in [
            (
                "Configuration profile stubs (logs/MCState/Shared/profile-*.stub)",
                &(|p: &str| p.starts_with("logs/MCState/Shared/profile-")) as &dyn Fn(&str) -> bool,
                "configuration_profiles",
            ),
            (
                "App installation log (logs/MobileInstallation/mobile_installation.log*)",
                &|p: &str| p.starts_with("logs/MobileInstallation/mobile_installation.log"),
                "mobile_installation",
            ),
            (
                "TCC database (logs/Accessibility/TCC.db)",
                &|p: &str| p == TCC_PATH,
                "tcc",
            ),
        ] {
            let k = self.count(pred).0;
            out.push(if k == 0 {
                format!("{what}: not in the archive, {module} checked nothing")
            } else {
                format!("{what}: {k} file(s) checked by {module}")
            });
        }
        out.push(
            "Not analysed: Wi-Fi, networking, power logs, app-store databases and the other logs of the archive"
                .into(),
        );
        out
    }
}

impl AcquisitionKind for IosSysdiagnoseKind {
    fn name(&self) -> &'static str {
        "ios-sysdiagnose"
    }
    fn description(&self) -> &'static str {
        "iOS sysdiagnose (sysdiagnose_<date>_iPhone-OS_iPhone_<build>.tar.gz, its .tar, or the extracted folder)"
    }
    fn open(
        &self,
        path: &Path,
        opts: &OpenOptions,
    ) -> Result<Option<Box<dyn Acquisition>>, AcquisitionError> {
        let label = format!("sysdiagnose {}", path.display());
        if path.is_dir() {
            let base = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ev = FolderEvidence::new(path)?;
            if base.starts_with("sysdiagnose_") {
                // The top folder itself.
                let files: Vec<(String, Option<u64>)> = ev
                    .all_files()
                    .into_iter()
                    .filter(|e| !is_noise(&e.path))
                    .map(|e| (e.path, e.size))
                    .collect();
                let sub = SubEvidence::new(Arc::new(ev), "");
                return Self::boxed(SysdiagnoseAcquisition::finish(
                    sub,
                    &base,
                    &label,
                    files,
                    opts,
                    Vec::new(),
                )?);
            }
            // A folder holding one top folder: look only one level down first (cheap).
            let subdirs: Vec<String> = std::fs::read_dir(path)
                .map(|rd| {
                    rd.flatten()
                        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| n.starts_with("sysdiagnose_"))
                        .collect()
                })
                .unwrap_or_default();
            if subdirs.is_empty() {
                return Ok(None);
            }
            return match SysdiagnoseAcquisition::from_evidence(
                Arc::new(ev),
                &label,
                opts,
                Vec::new(),
            )? {
                Some(a) => Self::boxed(a),
                None => Ok(None),
            };
        }
        if path.is_file() {
            return archive::open(path, &label, opts);
        }
        Ok(None)
    }
    fn all_modules(&self) -> Vec<Box<dyn Module>> {
        modules(Arc::new(DeviceInfo::default()))
    }
}

impl IosSysdiagnoseKind {
    fn boxed(a: SysdiagnoseAcquisition) -> Result<Option<Box<dyn Acquisition>>, AcquisitionError> {
        Ok(Some(Box::new(a)))
    }
}

mod archive {
    //! `.tar` / `.tar.gz` sysdiagnose archives.
    use super::*;
    use telltale_core::tar::{TarEvidence, TarOptions};

    /// Whether a file starts like a gzip stream or a tar archive (`ustar` magic at 257).
    pub(super) fn sniff(path: &Path) -> Option<&'static str> {
        use std::io::Read;
        let mut head = [0u8; 512];
        let mut f = std::fs::File::open(path).ok()?;
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(_) => return None,
            }
        }
        if n >= 2 && head[0] == 0x1f && head[1] == 0x8b {
            Some("gzip")
        } else if n >= 262 && &head[257..262] == b"ustar" {
            Some("tar")
        } else {
            None
        }
    }

    pub(super) fn open(
        path: &Path,
        label: &str,
        opts: &OpenOptions,
    ) -> Result<Option<Box<dyn Acquisition>>, AcquisitionError> {
        if sniff(path).is_none() {
            return Ok(None);
        }
        let (ev, warnings) = match open_tar(path)? {
            Some(x) => x,
            None => return Ok(None),
        };
        match SysdiagnoseAcquisition::from_evidence(ev, label, opts, warnings)? {
            Some(a) => IosSysdiagnoseKind::boxed(a),
            None => Ok(None),
        }
    }

    /// The tar evidence of a `.tar`/`.tar.gz`, with its warnings; `None` when it is not a readable tar or
    /// its first member is not a sysdiagnose's top folder (read without indexing the archive, so that a
    /// filesystem dump's `.tar.gz` is not decompressed for nothing before the `ios-fs` kind reads it).
    #[allow(clippy::type_complexity)]
    fn open_tar(path: &Path) -> Result<Option<(Arc<dyn Evidence>, Vec<String>)>, AcquisitionError> {
        let Some(first) = telltale_core::tar::first_member_name(path) else {
            return Ok(None);
        };
        let top = first.split('/').next().unwrap_or("");
        if !(top.starts_with("sysdiagnose_") || top.starts_with("._") || top == "__MACOSX") {
            return Ok(None);
        }
        // The modules' files are kept during the single pass; the unified log archive (hundreds of MB,
        // not analysed) is not, apart from its `Extra/` folder (shutdown logs).
        let opts = TarOptions {
            keep: Some(Arc::new(|p: &str, _size: u64| {
                !p.contains(".logarchive/") || p.contains("/Extra/")
            })),
            ..Default::default()
        };
        match TarEvidence::open_with(path, &opts) {
            Ok(t) => {
                let w = t.warnings().to_vec();
                Ok(Some((Arc::new(t), w)))
            }
            Err(e) => Err(AcquisitionError::Invalid {
                what: path.display().to_string(),
                message: format!("a sysdiagnose archive that cannot be read: {e}"),
            }),
        }
    }
}
