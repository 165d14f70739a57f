//! Small helpers shared by the iOS modules: SQLite values to JSON, plist times, link extraction, and
//! opening an optional artifact (plist → JSON and base64 come from [`crate::nska`]).

use jiff::Timestamp;
use serde_json::Value;
use telltale_core::{Emitter, ModuleContext, ModuleError, time};

pub use crate::nska::{base64, plist_to_json};

/// A SQLite value as JSON (blobs as base64).
pub fn sql_to_json(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(base64(b)),
    }
}

/// A SQLite value as a number (integers, reals, numeric text).
pub fn sql_f64(v: rusqlite::types::ValueRef<'_>) -> Option<f64> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Integer(i) => Some(i as f64),
        ValueRef::Real(f) => Some(f),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// A SQLite value as text (blobs decoded as UTF-8, lossy; numbers formatted).
pub fn sql_string(v: rusqlite::types::ValueRef<'_>) -> Option<String> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// A plist value that holds a time: a date, or a number of Mac absolute seconds.
pub fn plist_time(v: &plist::Value) -> Option<Timestamp> {
    match v {
        plist::Value::Date(d) => crate::nska::plist_date(d),
        plist::Value::Real(f) => time::from_mac_absolute(*f),
        plist::Value::Integer(i) => time::from_mac_absolute(i.as_signed()? as f64),
        _ => None,
    }
}

/// Reads and parses a plist (binary or XML) at a logical path; `Ok(None)` when it is absent.
pub fn read_plist(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    path: &str,
) -> Result<Option<plist::Value>, ModuleError> {
    crate::nska::load_plist(ctx.evidence, out, path)
}

/// Opens a database of the evidence; `Ok(None)` (after `no_data`) when it is absent.
pub fn open_db(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    path: &str,
) -> Result<Option<telltale_core::sqlite::ForensicDb>, ModuleError> {
    if !ctx.evidence.exists(path) {
        out.no_data(format!("{path} is not in the backup"));
        return Ok(None);
    }
    // Damaged databases are recovered as far as possible (with warnings); a file that is not a database
    // is an error naming it.
    let (db, warnings) = telltale_core::sqlite::open_for_module(ctx.evidence, path)?;
    for w in warnings {
        out.warn(w);
    }
    db.tables()?;
    Ok(Some(db))
}

/// The links in free text (`http(s)://…` and `www.…` words), as MVT lists them in `links`.
pub fn extract_links(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|w| {
            let lower = w.to_ascii_lowercase();
            let start = lower
                .find("http://")
                .or_else(|| lower.find("https://"))
                .or_else(|| {
                    (lower.starts_with("www.") || lower.starts_with("(www."))
                        .then(|| lower.find("www.").unwrap_or(0))
                })?;
            let link =
                w[start..].trim_end_matches(['.', ',', ')', '!', '?', ';', ':', '"', '\'', '>']);
            (link.len() > 4).then(|| link.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links() {
        assert_eq!(
            extract_links("see https://a.example/x, and www.b.example. ok"),
            vec!["https://a.example/x", "www.b.example"]
        );
        assert!(extract_links("no links here").is_empty());
    }
}

/// Test harness: runs one module over a folder of logical paths and collects what it emits.
#[cfg(test)]
pub mod testing {
    use std::sync::Mutex;

    use telltale_core::engine::{ModuleStatus, Output, run_one};
    use telltale_core::ioc::{IndicatorKind, IocIndex};
    use telltale_core::{
        Alert, FolderEvidence, Level, Module, ModuleContext, Record, RunOptions, TimelineEvent,
    };

    #[derive(Default)]
    pub struct Collected {
        pub records: Mutex<Vec<Record>>,
        pub alerts: Mutex<Vec<Alert>>,
        pub timeline: Mutex<Vec<TimelineEvent>>,
    }
    impl Output for Collected {
        fn record(&self, _: &str, rec: &Record) {
            self.records.lock().unwrap().push(rec.clone());
        }
        fn detected(&self, _: &str, _: &Record) {}
        fn timeline(&self, e: TimelineEvent) {
            self.timeline.lock().unwrap().push(e);
        }
        fn alert(&self, a: &Alert) {
            self.alerts.lock().unwrap().push(a.clone());
        }
    }

    pub struct Run {
        pub status: ModuleStatus,
        pub records: Vec<Record>,
        pub alerts: Vec<Alert>,
        pub timeline: Vec<TimelineEvent>,
        pub warnings: Vec<String>,
    }
    impl Run {
        pub fn at(&self, level: Level) -> Vec<&Alert> {
            self.alerts.iter().filter(|a| a.level == level).collect()
        }
        pub fn severe(&self) -> Vec<&Alert> {
            self.alerts.iter().filter(|a| a.level.is_severe()).collect()
        }
        pub fn failed_with(&self, needle: &str) -> bool {
            matches!(&self.status, ModuleStatus::Failed(m) if m.contains(needle))
        }
    }

    /// A temporary folder with files at logical paths.
    pub struct Folder(pub tempfile::TempDir);
    impl Default for Folder {
        fn default() -> Self {
            Self::new()
        }
    }
    impl Folder {
        pub fn new() -> Self {
            Folder(tempfile::tempdir().unwrap())
        }
        pub fn path(&self, logical: &str) -> std::path::PathBuf {
            let p = self.0.path().join(logical);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            p
        }
        pub fn put(&self, logical: &str, bytes: &[u8]) -> &Self {
            std::fs::write(self.path(logical), bytes).unwrap();
            self
        }
    }

    pub fn iocs(values: &[(IndicatorKind, &str)]) -> IocIndex {
        IocIndex::from_values(values, "Test")
    }

    pub fn run(module: &dyn Module, folder: &Folder, iocs: &IocIndex) -> Run {
        let ev = FolderEvidence::new(folder.0.path()).unwrap();
        let opts = RunOptions::default();
        let ctx = ModuleContext {
            evidence: &ev,
            iocs,
            options: &opts,
        };
        let out = Collected::default();
        let outcome = run_one(module, &ctx, &out);
        assert!(
            !matches!(outcome.status, ModuleStatus::Panicked(_)),
            "module panicked: {:?}",
            outcome.status
        );
        Run {
            status: outcome.status,
            records: out.records.into_inner().unwrap(),
            alerts: out.alerts.into_inner().unwrap(),
            timeline: out.timeline.into_inner().unwrap(),
            warnings: outcome.warnings,
        }
    }
}
