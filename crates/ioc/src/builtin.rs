//! The built-in snapshot: the 15 public indicator sets of MVT's `indicators.yaml`, compiled into
//! the binary (reduced to the fields the loader reads, zlib-compressed by `build.rs`). Where each
//! set comes from (upstream repository, commit, licence) is in `data/sets.json` and
//! `data/README.md`.

use crate::{IndexBuilder, IocError, SetOrigin};
use std::io::Read;

include!(concat!(env!("OUT_DIR"), "/builtin_blobs.rs"));

const SETS_JSON: &str = include_str!("../data/sets.json");

/// One built-in set, as described in `data/sets.json`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct BuiltinSet {
    pub file: String,
    pub name: String,
    pub upstream_repo: String,
    pub upstream_path: String,
    pub commit: String,
    pub date: String,
    pub licence: String,
    pub licence_file: String,
    pub sources: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(serde::Deserialize)]
struct SetsFile {
    snapshot_date: String,
    sets: Vec<BuiltinSet>,
}

fn sets_file() -> SetsFile {
    serde_json::from_str(SETS_JSON).expect("data/sets.json is checked at build time")
}

/// The built-in sets with their provenance.
pub fn sets() -> Vec<BuiltinSet> {
    sets_file().sets
}

/// Date of the snapshot (newest upstream commit in it), `YYYY-MM-DD`.
pub fn snapshot_date() -> String {
    sets_file().snapshot_date
}

impl BuiltinSet {
    pub fn origin(&self) -> SetOrigin {
        SetOrigin {
            name: self.name.clone(),
            upstream_repo: self.upstream_repo.clone(),
            commit: Some(self.commit.clone()),
            licence: Some(self.licence.clone()),
            date: Some(self.date.clone()),
            sources: self.sources.clone(),
        }
    }
}

/// One built-in set, decompressed, in the compact format of [`crate::stix::Bundle::to_compact`].
pub fn compact_text(file: &str) -> Option<String> {
    let (_, z) = BLOBS.iter().find(|(f, _)| *f == file)?;
    let mut out = String::with_capacity(z.len() * 3);
    flate2::read::ZlibDecoder::new(*z)
        .read_to_string(&mut out)
        .ok()?;
    Some(out)
}

/// One built-in set, parsed.
pub fn bundle(file: &str) -> Option<crate::stix::Bundle> {
    crate::stix::Bundle::from_compact(&compact_text(file)?, file).ok()
}

pub(crate) fn add_all(b: &mut IndexBuilder) -> Result<(), IocError> {
    for set in sets() {
        let source = format!("builtin:{}", set.file);
        let text = compact_text(&set.file).ok_or_else(|| IocError::Invalid {
            file: source.clone(),
            message: "built-in blob is corrupt".into(),
        })?;
        let bundle = crate::stix::Bundle::from_compact(&text, &source)?;
        b.add_parsed(bundle, &source, Some(set.origin()));
    }
    Ok(())
}
