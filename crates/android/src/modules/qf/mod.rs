//! Modules of the AndroidQF group (one file per artifact). Logical paths are relative to the
//! acquisition's root folder (`packages.json`, `getprop.txt`, `logs/…`); the kind finds that root.

use telltale_core::ioc::{IocIndex, Match};
use telltale_core::{Evidence, EvidenceError, Module};

pub mod acquisition;
pub mod files;
pub mod getprop;
pub mod log_timestamps;
pub mod mounts;
pub mod packages;
pub mod processes;
pub mod root_binaries;
pub mod settings;

/// Every module of this group.
pub fn all() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(packages::Packages),
        Box::new(processes::Processes),
        Box::new(getprop::GetProp),
        Box::new(settings::Settings),
        Box::new(files::Files),
        Box::new(log_timestamps::LogTimestamps),
        Box::new(root_binaries::RootBinaries),
        Box::new(mounts::Mounts),
        Box::new(acquisition::AcquisitionInfo),
    ]
}

/// Bound on a text or JSON artifact read whole.
pub const MAX_ARTIFACT: u64 = 512 << 20;

/// Reads `path` as (lossy) text, `None` when absent.
pub fn read_text(ev: &dyn Evidence, path: &str) -> Result<Option<String>, EvidenceError> {
    if !ev.exists(path) {
        return Ok(None);
    }
    let bytes = ev.read_limited(path, MAX_ARTIFACT)?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The file-hash indicator matches of the first of `sha256`, `sha1`, `md5` in `obj` that matches (empty
/// hashes skipped): a file listed with several hashes raises one alert, not three.
pub fn first_hash_matches(
    iocs: &IocIndex,
    obj: &serde_json::Map<String, serde_json::Value>,
) -> Vec<Match> {
    ["sha256", "sha1", "md5"]
        .iter()
        .filter_map(|k| obj.get(*k).and_then(serde_json::Value::as_str))
        .filter(|h| !h.is_empty())
        .map(|h| iocs.match_file_hash(h))
        .find(|m| !m.is_empty())
        .unwrap_or_default()
}
