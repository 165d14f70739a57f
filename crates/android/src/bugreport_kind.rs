//! The `bugreport` acquisition kind: an `adb bugreport` zip or its extracted folder.
//!
//! Recognised by `main_entry.txt`, `dumpState_*.log`, `bugreport-*.txt` or `*/dumpsys.txt`. Opening
//! reads and splits the dumpstate text once and hands it to every module (see
//! [`crate::modules::bugreport::DumpstateCache`]); the device's zone comes from its
//! `persist.sys.timezone` unless `--timezone` is given.

use std::path::Path;
use std::sync::Arc;

use telltale_core::{
    Acquisition, AcquisitionError, AcquisitionKind, DeviceFact, Evidence, FolderEvidence, Module,
    OpenOptions,
};

use crate::dumpsys::Dumpstate;
use crate::modules::bugreport::{self as br, DumpstateCache, Shared};

pub struct BugreportKind;

/// Whether a list of logical paths looks like a bugreport.
pub fn looks_like_bugreport<'a>(mut names: impl Iterator<Item = &'a str>) -> bool {
    names.any(|n| {
        let base = n.rsplit('/').next().unwrap_or(n);
        let depth = n.matches('/').count();
        (n == "main_entry.txt")
            || (depth == 0 && base.starts_with("dumpState_") && base.ends_with(".log"))
            || (depth <= 1 && base.starts_with("bugreport-") && base.ends_with(".txt"))
            || (depth == 1 && base == "dumpsys.txt")
    })
}

fn is_zip(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04"
}

/// The names in a zip's central directory (`None`: not a readable zip).
pub(crate) fn zip_names(path: &Path) -> Option<Vec<String>> {
    let f = std::fs::File::open(path).ok()?;
    let z = zip::ZipArchive::new(f).ok()?;
    Some(
        z.file_names()
            .filter_map(|n| n.ok().map(|c| c.into_owned()))
            .collect(),
    )
}

/// Opens a zip as evidence (safe zip reading: `telltale_core::archive::ZipEvidence`), with the
/// warnings about refused entries (`..` names, links, oversize …).
pub(crate) fn open_zip_evidence(
    path: &Path,
) -> Result<(Box<dyn Evidence>, Vec<String>), AcquisitionError> {
    let z = telltale_core::archive::ZipEvidence::open(path)?;
    let warnings = z.warnings().to_vec();
    Ok((Box::new(z), warnings))
}

struct BugreportAcquisition {
    evidence: Box<dyn Evidence>,
    cache: Shared,
    dumpstate: Option<Arc<Dumpstate>>,
    timezone: Option<String>,
    warnings: Vec<String>,
}

impl Acquisition for BugreportAcquisition {
    fn kind(&self) -> &'static str {
        "bugreport"
    }
    fn evidence(&self) -> &dyn Evidence {
        self.evidence.as_ref()
    }
    fn modules(&self) -> Vec<Box<dyn Module>> {
        br::with_cache(self.cache.clone())
    }
    fn facts(&self) -> Vec<DeviceFact> {
        let mut f = Vec::new();
        if let Some(d) = &self.dumpstate {
            f.push(DeviceFact::new("Dumpstate", d.path.clone()));
            for (key, props) in [
                (
                    "Manufacturer",
                    &["ro.product.vendor.manufacturer", "ro.product.manufacturer"][..],
                ),
                ("Model", &["ro.product.vendor.model", "ro.product.model"]),
                ("Android version", &["ro.build.version.release"]),
                ("SDK level", &["ro.build.version.sdk"]),
                ("Security patch", &["ro.build.version.security_patch"]),
                ("Build fingerprint", &["ro.build.fingerprint"]),
            ] {
                if let Some(v) = props.iter().find_map(|p| d.property(p)) {
                    f.push(DeviceFact::new(key, v));
                }
            }
        }
        f.push(DeviceFact::new(
            "Time zone",
            crate::zone_fact(self.timezone.as_deref()),
        ));
        f
    }
    fn timezone(&self) -> Option<String> {
        self.timezone.clone()
    }
    fn read_warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// Opens a bugreport whose evidence is already open (reads and splits the dumpstate once).
pub fn open_evidence(
    evidence: Box<dyn Evidence>,
    opts: &OpenOptions,
) -> Result<Box<dyn Acquisition>, AcquisitionError> {
    open_with_warnings(evidence, Vec::new(), opts)
}

fn open_with_warnings(
    evidence: Box<dyn Evidence>,
    warnings: Vec<String>,
    opts: &OpenOptions,
) -> Result<Box<dyn Acquisition>, AcquisitionError> {
    let cache = DumpstateCache::new();
    let d = br::load_dumpstate(evidence.as_ref())
        .map_err(|e| AcquisitionError::Invalid {
            what: evidence.describe(),
            message: e.to_string(),
        })?
        .map(Arc::new);
    cache.preload(evidence.as_ref(), d.clone());
    let timezone = opts
        .timezone
        .clone()
        .or_else(|| d.as_ref().and_then(|d| d.timezone()));
    Ok(Box::new(BugreportAcquisition {
        evidence,
        cache,
        dumpstate: d,
        timezone,
        warnings,
    }))
}

impl AcquisitionKind for BugreportKind {
    fn name(&self) -> &'static str {
        "bugreport"
    }
    fn description(&self) -> &'static str {
        "Android bugreport (adb bugreport zip, or its extracted folder with main_entry.txt)"
    }
    fn open(
        &self,
        path: &Path,
        opts: &OpenOptions,
    ) -> Result<Option<Box<dyn Acquisition>>, AcquisitionError> {
        let (evidence, warnings): (Box<dyn Evidence>, Vec<String>) = if path.is_dir() {
            let ev = FolderEvidence::new(path)?;
            let names = ev
                .find("*")?
                .into_iter()
                .chain(ev.find("*/*")?)
                .map(|e| e.path)
                .collect::<Vec<_>>();
            if !looks_like_bugreport(names.iter().map(String::as_str)) {
                return Ok(None);
            }
            (Box::new(ev), Vec::new())
        } else if path.is_file() && is_zip(path) {
            let Some(names) = zip_names(path) else {
                return Ok(None);
            };
            if !looks_like_bugreport(names.iter().map(String::as_str)) {
                return Ok(None);
            }
            open_zip_evidence(path)?
        } else {
            return Ok(None);
        };
        open_with_warnings(evidence, warnings, opts).map(Some)
    }
    fn all_modules(&self) -> Vec<Box<dyn Module>> {
        br::all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_core::MemoryOutput as Collect;
    use telltale_core::{ModuleContext, RunOptions, run_modules};
    use telltale_testkit::bugreport::Bugreport;

    fn sample() -> Bugreport {
        Bugreport::new()
            .getprop(&[("persist.sys.timezone", "Asia/Tokyo"), ("ro.product.vendor.model", "Pixel Test")])
            .service("package", "Packages:\n  Package [com.evil.spy] (1):\n    userId=10001\n    firstInstallTime=2024-01-02 09:00:00\n    installerPackageName=com.android.vending\n")
            .service_with_header("DUMP OF SERVICE CRITICAL appops:", "appops", "  Uid 0:\n    Package com.evil.spy:\n      CAMERA (allow):\n")
    }

    #[test]
    fn recognises_and_runs_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        sample().write_folder(dir.path()).unwrap();
        let acq = BugreportKind
            .open(dir.path(), &OpenOptions::default())
            .unwrap()
            .unwrap();
        assert_eq!(acq.kind(), "bugreport");
        assert_eq!(acq.timezone().as_deref(), Some("Asia/Tokyo"));
        assert!(
            acq.facts()
                .iter()
                .any(|f| f.key == "Model" && f.value == "Pixel Test")
        );
        let iocs = telltale_core::ioc::IocIndex::from_values(
            &[(telltale_core::ioc::IndicatorKind::AppId, "com.evil.spy")],
            "T",
        );
        let opts = RunOptions {
            timezone: acq.timezone(),
        };
        let ctx = ModuleContext {
            evidence: acq.evidence(),
            iocs: &iocs,
            options: &opts,
        };
        let out = Collect::default();
        let s = run_modules(&acq.modules(), &ctx, &out);
        assert!(s.failed().next().is_none());
        assert_eq!(s.alerts_at(telltale_core::Level::Critical), 2);
        // 09:00 in Tokyo is 00:00 UTC.
        let recs = out.records.lock().unwrap();
        assert!(
            recs.iter()
                .map(|(_, r)| r)
                .any(|r| r.get("first_install_time").and_then(|v| v.as_str())
                    == Some("2024-01-02 00:00:00.000000"))
        );
    }

    #[test]
    fn header_variants_and_other_layouts() {
        for br in [
            sample()
                .without_main_entry()
                .dumpstate_name("dumpState_1234.log"),
            sample()
                .without_main_entry()
                .dumpstate_name("bugreport-x-2024.txt"),
            sample()
                .without_main_entry()
                .dumpstate_name("extra/dumpsys.txt"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            br.write_folder(dir.path()).unwrap();
            let acq = BugreportKind
                .open(dir.path(), &OpenOptions::default())
                .unwrap()
                .unwrap();
            assert_eq!(acq.timezone().as_deref(), Some("Asia/Tokyo"));
        }
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("notes.txt"), "hello").unwrap();
        assert!(
            BugreportKind
                .open(other.path(), &OpenOptions::default())
                .unwrap()
                .is_none()
        );
        let opts = OpenOptions {
            timezone: Some("Europe/Paris".into()),
            ..Default::default()
        };
        let dir = tempfile::tempdir().unwrap();
        sample().write_folder(dir.path()).unwrap();
        assert_eq!(
            BugreportKind
                .open(dir.path(), &opts)
                .unwrap()
                .unwrap()
                .timezone()
                .as_deref(),
            Some("Europe/Paris")
        );
    }

    #[test]
    fn zip_is_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("bugreport.zip");
        sample()
            .file("FS/proc/version", "Linux")
            .write_zip(&z)
            .unwrap();
        assert!(
            BugreportKind.open(&z, &OpenOptions::default()).is_err()
                || BugreportKind
                    .open(&z, &OpenOptions::default())
                    .unwrap()
                    .is_some()
        );
        let junk = dir.path().join("junk.zip");
        std::fs::write(&junk, b"PK\x03\x04garbage").unwrap();
        assert!(
            BugreportKind
                .open(&junk, &OpenOptions::default())
                .unwrap()
                .is_none()
        );
    }
}
