//! backup_info: the backup's `Info.plist` — device and backup facts as one record — and a warning when the
//! iOS version is not the latest (outdated devices are exposed to vulnerabilities spyware exploits).

use plist::Value;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record};

use crate::nska::{plist_date, plist_to_json};
use crate::util::load_plist_dict;

pub struct BackupInfo;

/// Info.plist fields copied to the record (MVT's list).
const FIELDS: [&str; 18] = [
    "Build Version",
    "Device Name",
    "Display Name",
    "GUID",
    "ICCID",
    "IMEI",
    "MEID",
    "Installed Applications",
    "Last Backup Date",
    "Phone Number",
    "Product Name",
    "Product Type",
    "Product Version",
    "Serial Number",
    "Target Identifier",
    "Target Type",
    "Unique Identifier",
    "iTunes Version",
];

/// When [`LATEST`] was last checked against Apple's releases.
pub const LATEST_AS_OF: &str = "August 2026";

/// The latest release of each iOS major version, as of [`LATEST_AS_OF`] (from the public release list
/// that MVT also ships). The last entry is the latest iOS overall.
pub const LATEST: [(u32, &str); 11] = [
    (9, "9.3.6"),
    (10, "10.3.4"),
    (11, "11.4.1"),
    (12, "12.5.8"),
    (13, "13.7"),
    (14, "14.8.1"),
    (15, "15.8.8"),
    (16, "16.7.16"),
    (17, "17.7.7"),
    (18, "18.7.10"),
    (26, "26.6.1"),
];

fn parse_version(v: &str) -> Option<Vec<u32>> {
    let parts: Option<Vec<u32>> = v.trim().split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty() && p.len() <= 4)
}

fn cmp_versions(a: &[u32], b: &[u32]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    let get = |v: &[u32], i: usize| v.get(i).copied().unwrap_or(0);
    (0..n)
        .map(|i| get(a, i).cmp(&get(b, i)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// The outdated-iOS finding for a version string, if any: `(level, message)`.
pub fn outdated(version: &str) -> Option<(Level, String)> {
    let v = parse_version(version)?;
    let major = *v.first()?;
    let (newest_major, newest) = *LATEST.last()?;
    match LATEST.iter().find(|(m, _)| *m == major) {
        Some((_, latest_of_major)) => {
            let l = parse_version(latest_of_major)?;
            if cmp_versions(&v, &l).is_lt() {
                Some((
                    Level::Medium,
                    format!(
                        "iOS {version} is not the latest iOS {major} release ({latest_of_major} as of \
                         {LATEST_AS_OF}; the newest iOS is {newest}). Spyware often exploits vulnerabilities \
                         that later updates fix, so an outdated device is more exposed"
                    ),
                ))
            } else if major < newest_major {
                Some((
                    Level::Low,
                    format!(
                        "iOS {version} is the last iOS {major} release but not the latest iOS ({newest} as of \
                         {LATEST_AS_OF}). Older iOS versions get fewer security fixes, and spyware uses \
                         vulnerabilities that are patched only in newer versions"
                    ),
                ))
            } else {
                None
            }
        }
        None if major < newest_major => Some((
            Level::Medium,
            format!(
                "iOS {version} is far from the latest iOS ({newest} as of {LATEST_AS_OF}). Spyware exploits \
                 vulnerabilities that updates fix, so an outdated device is more exposed"
            ),
        )),
        None => None,
    }
}

impl Module for BackupInfo {
    fn name(&self) -> &'static str {
        "backup_info"
    }
    fn description(&self) -> &'static str {
        "Device and backup facts from the backup's Info.plist; warns when iOS is outdated"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(info) = load_plist_dict(ctx.evidence, out, "Info.plist")? else {
            out.no_data("no Info.plist in the backup");
            return Ok(());
        };
        let mut rec = Record::new();
        for f in FIELDS {
            rec.insert(
                f.into(),
                info.get(f)
                    .map(plist_to_json)
                    .unwrap_or(serde_json::Value::Null),
            );
        }
        out.record(&rec);
        let when = match info.get("Last Backup Date") {
            Some(Value::Date(d)) => plist_date(d),
            _ => None,
        };
        let device = info
            .get("Device Name")
            .and_then(Value::as_string)
            .unwrap_or("the device");
        out.timeline(when, "backup", format!("Last backup of {device}"));
        if let Some(version) = info.get("Product Version").and_then(Value::as_string)
            && let Some((level, msg)) = outdated(version)
        {
            out.alert(level, msg, None, &rec, None);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_table() {
        assert_eq!(outdated("17.5.1").map(|x| x.0), Some(Level::Medium));
        assert_eq!(outdated("17.7.7").map(|x| x.0), Some(Level::Low));
        assert_eq!(outdated("26.6.1"), None);
        assert_eq!(outdated("27.0"), None);
        assert_eq!(outdated("8.1").map(|x| x.0), Some(Level::Medium));
        assert_eq!(outdated("21F90"), None);
        assert_eq!(outdated(""), None);
        assert!(outdated("16.0").unwrap().1.contains("16.7.16"));
        assert!(cmp_versions(&[13, 7], &[13, 7, 0]).is_eq());
    }
}
