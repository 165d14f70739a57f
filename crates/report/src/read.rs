//! Reading an output folder back (for re-checking old results against new indicators).

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::Deserializer as _;
use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use telltale_core::{Alert, Record};

use crate::error::ReportError;

/// Files of an output folder that are not a module's records (`urls.json` lists again the links of the
/// sms and whatsapp records, as MVT writes it).
const NOT_MODULES: [&str; 4] = [
    "alerts.json",
    "info.json",
    "alerts.original.json",
    "urls.json",
];

/// The modules that wrote `<module>.json` in `dir`, sorted.
pub fn list_modules(dir: &Path) -> Result<Vec<String>, ReportError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| ReportError::io(dir, e))? {
        let entry = entry.map_err(|e| ReportError::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if NOT_MODULES.contains(&name) || name.starts_with('.') {
            continue;
        }
        if let Some(stem) = name.strip_suffix(".json")
            && !stem.ends_with("_detected")
            && entry.file_type().map(|t| t.is_file()).unwrap_or(false)
        {
            out.push(stem.to_string());
        }
    }
    out.sort();
    Ok(out)
}

/// Streams the elements of the JSON array in `path` to `f`, one at a time (the file is never held whole).
/// Returns how many elements were read.
pub fn each_in_array<T: DeserializeOwned>(
    path: &Path,
    mut f: impl FnMut(T),
) -> Result<u64, ReportError> {
    struct V<'f, T, F>(&'f mut F, PhantomData<T>);
    impl<'de, T: DeserializeOwned, F: FnMut(T)> Visitor<'de> for V<'_, T, F> {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
            let mut n = 0;
            while let Some(item) = seq.next_element::<T>()? {
                (self.0)(item);
                n += 1;
            }
            Ok(n)
        }
    }
    let file = File::open(path).map_err(|e| ReportError::io(path, e))?;
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(file));
    let n = (&mut de)
        .deserialize_seq(V(&mut f, PhantomData))
        .map_err(|e| ReportError::json(path, e))?;
    de.end().map_err(|e| ReportError::json(path, e))?;
    Ok(n)
}

fn module_path(dir: &Path, module: &str, detected: bool) -> PathBuf {
    let stem = crate::writer::file_stem(module);
    if detected {
        dir.join(format!("{stem}_detected.json"))
    } else {
        dir.join(format!("{stem}.json"))
    }
}

/// Streams the records of `<dir>/<module>.json`. A module without a file has no records (`Ok(0)`).
pub fn each_record(dir: &Path, module: &str, f: impl FnMut(Record)) -> Result<u64, ReportError> {
    let path = module_path(dir, module, false);
    if !path.exists() {
        return Ok(0);
    }
    each_in_array(&path, f)
}

/// The records of `<dir>/<module>.json` (empty when the module wrote no file).
pub fn read_records(dir: &Path, module: &str) -> Result<Vec<Record>, ReportError> {
    let mut v = Vec::new();
    each_record(dir, module, |r| v.push(r))?;
    Ok(v)
}

/// The records of `<dir>/<module>_detected.json` (empty when absent).
pub fn read_detected(dir: &Path, module: &str) -> Result<Vec<Record>, ReportError> {
    let path = module_path(dir, module, true);
    let mut v = Vec::new();
    if path.exists() {
        each_in_array(&path, |r| v.push(r))?;
    }
    Ok(v)
}

/// The alerts of `<dir>/alerts.json` (empty when absent).
pub fn read_alerts(dir: &Path) -> Result<Vec<Alert>, ReportError> {
    let path = dir.join("alerts.json");
    let mut v = Vec::new();
    if path.exists() {
        each_in_array(&path, |a| v.push(a))?;
    }
    Ok(v)
}
