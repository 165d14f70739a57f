//! [`IosBackupKind`]: recognises an iTunes/Finder backup folder (or a folder holding exactly one backup).

use std::path::{Path, PathBuf};

use telltale_core::{
    Acquisition, AcquisitionError, AcquisitionKind, DeviceFact, Evidence, Module, OpenOptions,
};

use super::{BackupEvidence, BackupPlists};

/// The `ios-backup` acquisition kind.
pub struct IosBackupKind;

/// An opened backup.
pub struct BackupAcquisition {
    evidence: BackupEvidence,
    plists: BackupPlists,
}

/// Whether a folder looks like a backup (its own manifest files are there).
pub fn is_backup_dir(p: &Path) -> bool {
    p.join("Manifest.db").is_file()
        || p.join("Manifest.plist").is_file()
        || p.join("Manifest.mbdb").is_file()
}

/// The backup folder for `path`: itself, or its only backup subfolder (`…/Backup/<UDID>/`).
fn locate(path: &Path) -> Result<Option<PathBuf>, AcquisitionError> {
    if !path.is_dir() {
        return Ok(None);
    }
    if is_backup_dir(path) {
        return Ok(Some(path.to_path_buf()));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(path)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir() && is_backup_dir(p))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        n => Err(AcquisitionError::Invalid {
            what: format!("folder {}", path.display()),
            message: format!(
                "holds {n} iOS backups; pass one of them: {}",
                found
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

impl BackupAcquisition {
    /// Opens the backup folder `root` (plain or, through [`super::encrypted`], encrypted).
    pub fn open(root: &Path, opts: &OpenOptions) -> Result<BackupAcquisition, AcquisitionError> {
        let what = format!("iOS backup {}", root.display());
        let plists = BackupPlists::read(root).map_err(|(file, e)| AcquisitionError::Invalid {
            what: what.clone(),
            message: format!("{file}: {e}"),
        })?;
        let evidence = if plists.is_encrypted() {
            super::encrypted::open(root, &plists, opts)?
        } else if !root.join("Manifest.db").is_file() {
            let message = if root.join("Manifest.mbdb").is_file() {
                return Err(AcquisitionError::Unsupported {
                    what,
                    message:
                        "backup in the Manifest.mbdb format of iOS 9 and earlier is not supported"
                            .into(),
                });
            } else {
                "Manifest.db is missing (incomplete backup?)".to_string()
            };
            return Err(AcquisitionError::Invalid { what, message });
        } else {
            BackupEvidence::open(root)
                .map_err(|e| AcquisitionError::Invalid { what, message: e.0 })?
        };
        Ok(BackupAcquisition { evidence, plists })
    }

    pub fn plists(&self) -> &BackupPlists {
        &self.plists
    }
    pub fn backup(&self) -> &BackupEvidence {
        &self.evidence
    }
}

impl AcquisitionKind for IosBackupKind {
    fn name(&self) -> &'static str {
        "ios-backup"
    }
    fn description(&self) -> &'static str {
        "iTunes/Finder backup of an iPhone or iPad (folder with Manifest.db, Manifest.plist, Info.plist)"
    }
    fn open(
        &self,
        path: &Path,
        opts: &OpenOptions,
    ) -> Result<Option<Box<dyn Acquisition>>, AcquisitionError> {
        let Some(root) = locate(path)? else {
            return Ok(None);
        };
        Ok(Some(Box::new(BackupAcquisition::open(&root, opts)?)))
    }
    fn all_modules(&self) -> Vec<Box<dyn Module>> {
        crate::modules::all()
    }
}

impl Acquisition for BackupAcquisition {
    fn kind(&self) -> &'static str {
        "ios-backup"
    }
    fn evidence(&self) -> &dyn Evidence {
        &self.evidence
    }
    fn modules(&self) -> Vec<Box<dyn Module>> {
        crate::modules::all()
    }
    fn read_warnings(&self) -> Vec<String> {
        self.evidence.read_warnings()
    }
    fn facts(&self) -> Vec<DeviceFact> {
        let p = &self.plists;
        let mut out = Vec::new();
        for (label, keys) in [
            ("Device Name", &["Device Name", "Display Name"][..]),
            ("Product Type", &["Product Type"]),
            ("iOS Version", &["Product Version"]),
            ("Build Version", &["Build Version"]),
            ("Serial Number", &["Serial Number"]),
            ("UDID", &["Unique Identifier", "Target Identifier"]),
            ("IMEI", &["IMEI"]),
            ("Phone Number", &["Phone Number"]),
            ("Last Backup Date", &["Last Backup Date"]),
        ] {
            if let Some(v) = keys.iter().find_map(|k| p.info_str(k)) {
                out.push(DeviceFact::new(label, v));
            }
        }
        out.push(DeviceFact::new(
            "Encrypted",
            if p.is_encrypted() { "yes" } else { "no" },
        ));
        for w in self.evidence.warnings() {
            out.push(DeviceFact::new("Backup warning", w.clone()));
        }
        out
    }
}
