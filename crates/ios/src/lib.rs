//! telltale-ios: iTunes/Finder backups and their modules.
//!
//! * [`backup`]: the backup reader ([`BackupEvidence`], [`IosBackupKind`]);
//! * [`crypto`]: encrypted backups (keybag, key derivation, decryption, `telltale decrypt`/`key`);
//! * [`nska`]: the NSKeyedArchiver resolver and the MBFile record, plus plist → JSON helpers;
//! * [`modules`]: one module per artifact.

pub mod backup;
pub mod crypto;
pub mod device_paths;
pub mod modules;
pub mod nska;
pub mod parsers;
pub mod sysdiagnose;
pub mod util;

pub use backup::{BackupAcquisition, BackupEvidence, IosBackupKind, file_id};
pub use nska::{MbFile, plist_to_json};
pub use sysdiagnose::{IosSysdiagnoseKind, SysdiagnoseAcquisition};
