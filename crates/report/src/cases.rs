//! The case index: a small SQLite store (by default `<user data dir>/telltale/cases.sqlite`, the path is
//! the caller's choice) listing every check made on this computer: which acquisition, which device, when,
//! with which tool and indicators, how many alerts, and where the results are. `telltale cases` lists it and
//! `telltale recheck --all` re-checks every output folder in it.
//!
//! The schema is versioned with `PRAGMA user_version`; [`CaseDb::open`] applies the migrations from the
//! store's version to the current one, each in a transaction, and refuses a store made by a newer version.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use crate::info::AlertCounts;

/// `MIGRATIONS[i]` takes a store from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the checks.
    "CREATE TABLE checks (
        id INTEGER PRIMARY KEY,
        acquisition TEXT NOT NULL,
        acquisition_sha256 TEXT,
        device TEXT,
        checked_at TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        indicators TEXT,
        critical INTEGER NOT NULL DEFAULT 0,
        high INTEGER NOT NULL DEFAULT 0,
        medium INTEGER NOT NULL DEFAULT 0,
        low INTEGER NOT NULL DEFAULT 0,
        informational INTEGER NOT NULL DEFAULT 0,
        output_dir TEXT NOT NULL
    );
    CREATE INDEX checks_output_dir ON checks(output_dir);",
    // 2: the acquisition kind, and the re-checks of each output folder.
    "ALTER TABLE checks ADD COLUMN acquisition_kind TEXT;
    CREATE TABLE rechecks (
        id INTEGER PRIMARY KEY,
        output_dir TEXT NOT NULL,
        rechecked_at TEXT NOT NULL,
        indicators TEXT,
        new_critical INTEGER NOT NULL DEFAULT 0,
        new_high INTEGER NOT NULL DEFAULT 0,
        new_medium INTEGER NOT NULL DEFAULT 0,
        new_low INTEGER NOT NULL DEFAULT 0,
        new_informational INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX rechecks_output_dir ON rechecks(output_dir);",
];

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A failure of the case index.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("case index {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("case index {}: {message}", path.display())]
    Other { path: PathBuf, message: String },
}

/// The default place of the index under a user data folder: `<data>/telltale/cases.sqlite`.
pub fn default_path(user_data_dir: &Path) -> PathBuf {
    user_data_dir.join("telltale").join("cases.sqlite")
}

/// One check, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckRecord {
    /// The acquisition's path as given.
    pub acquisition: String,
    /// SHA-256 of the acquisition's manifest-like file (Manifest.db, acquisition.json, the zip …), if known.
    pub acquisition_sha256: Option<String>,
    pub acquisition_kind: Option<String>,
    /// Device facts in one line.
    pub device: Option<String>,
    /// ISO 8601.
    pub checked_at: String,
    pub tool_version: String,
    /// The indicator snapshot description.
    pub indicators: Option<String>,
    pub alerts: AlertCounts,
    pub output_dir: String,
}

/// A recorded check with its re-checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRow {
    pub id: i64,
    #[serde(flatten)]
    pub check: CheckRecord,
    pub rechecks: u64,
    pub last_recheck: Option<String>,
    /// New alerts found by all re-checks, by level.
    pub recheck_alerts: AlertCounts,
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

impl CheckRecord {
    /// The record of the check whose results are in `dir`, from its info.json.
    pub fn from_output_dir(dir: &Path) -> Result<Self, crate::ReportError> {
        let path = dir.join("info.json");
        let bytes = std::fs::read(&path).map_err(|e| crate::ReportError::io(&path, e))?;
        let info: Value =
            serde_json::from_slice(&bytes).map_err(|e| crate::ReportError::json(&path, e))?;
        let target = s(&info, "target_path").unwrap_or("").to_string();
        let count = |l: &str| {
            info.get("alerts")
                .and_then(|a| a.get(l))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        let device: Vec<String> = info
            .get("device")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| Some(format!("{}: {}", s(f, "key")?, s(f, "value")?)))
                    .collect()
            })
            .unwrap_or_default();
        let mut device = device.join(", ");
        if device.chars().count() > 300 {
            device = device.chars().take(300).collect::<String>() + "…";
        }
        Ok(CheckRecord {
            acquisition_sha256: manifest_hash(&info, &target),
            acquisition: target,
            acquisition_kind: s(&info, "acquisition").map(str::to_string),
            device: (!device.is_empty()).then_some(device),
            checked_at: s(&info, "date").unwrap_or("").to_string(),
            tool_version: s(&info, "telltale_version")
                .or_else(|| s(&info, "mvt_version"))
                .unwrap_or("")
                .to_string(),
            indicators: s(&info, "indicators").map(str::to_string),
            alerts: AlertCounts {
                critical: count("CRITICAL"),
                high: count("HIGH"),
                medium: count("MEDIUM"),
                low: count("LOW"),
                informational: count("INFORMATIONAL"),
            },
            output_dir: std::fs::canonicalize(dir)
                .unwrap_or_else(|_| dir.to_path_buf())
                .display()
                .to_string(),
        })
    }
}

/// The hash of the acquisition itself (a file input), else of its manifest-like file, from info.json.
pub(crate) fn manifest_hash(info: &Value, target: &str) -> Option<String> {
    let hashes = info.get("hashes")?.as_array()?;
    let find = |pred: &dyn Fn(&str) -> bool| {
        hashes.iter().find_map(|h| {
            let p = s(h, "file_path")?;
            pred(p).then(|| s(h, "sha256").map(str::to_string))?
        })
    };
    find(&|p| p == target)
        .or_else(|| find(&|p| p.ends_with("Manifest.db")))
        .or_else(|| find(&|p| p.ends_with("Manifest.plist")))
        .or_else(|| find(&|p| p.ends_with("acquisition.json")))
}

/// The case index.
pub struct CaseDb {
    conn: Connection,
    path: PathBuf,
}

impl CaseDb {
    /// Opens (creating it and its folder if needed) the index at `path`, migrating it to the current schema.
    pub fn open(path: &Path) -> Result<Self, CaseError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| CaseError::Other {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        }
        let conn = Connection::open(path).map_err(|e| sql(path, e))?;
        Self::init(conn, path)
    }

    /// An index in memory (tests).
    pub fn open_in_memory() -> Result<Self, CaseError> {
        let path = Path::new(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| sql(path, e))?;
        Self::init(conn, path)
    }

    fn init(mut conn: Connection, path: &Path) -> Result<Self, CaseError> {
        let e = |err| sql(path, err);
        conn.busy_timeout(Duration::from_secs(10)).map_err(e)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(e)?;
        if version > SCHEMA_VERSION {
            return Err(CaseError::Other {
                path: path.to_path_buf(),
                message: format!(
                    "made by a newer telltale (schema {version}, this one knows up to {SCHEMA_VERSION}); \
                     update telltale or use another --case-db"
                ),
            });
        }
        for v in version..SCHEMA_VERSION {
            let tx = conn.transaction().map_err(e)?;
            tx.execute_batch(MIGRATIONS[v as usize]).map_err(e)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", v + 1))
                .map_err(e)?;
            tx.commit().map_err(e)?;
        }
        Ok(CaseDb {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The store's schema version (after migration: [`SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<i64, CaseError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sql(&self.path, e))
    }

    /// Records one check; returns its id.
    pub fn record_check(&self, c: &CheckRecord) -> Result<i64, CaseError> {
        self.conn
            .execute(
                "INSERT INTO checks (acquisition, acquisition_sha256, acquisition_kind, device, checked_at,
                    tool_version, indicators, critical, high, medium, low, informational, output_dir)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    c.acquisition,
                    c.acquisition_sha256,
                    c.acquisition_kind,
                    c.device,
                    c.checked_at,
                    c.tool_version,
                    c.indicators,
                    c.alerts.critical as i64,
                    c.alerts.high as i64,
                    c.alerts.medium as i64,
                    c.alerts.low as i64,
                    c.alerts.informational as i64,
                    c.output_dir,
                ],
            )
            .map_err(|e| sql(&self.path, e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records a re-check of the output folder `output_dir` (as recorded by [`record_check`]) and the new
    /// alerts it found.
    ///
    /// [`record_check`]: CaseDb::record_check
    pub fn record_recheck(
        &self,
        output_dir: &str,
        rechecked_at: &str,
        indicators: Option<&str>,
        new: &AlertCounts,
    ) -> Result<(), CaseError> {
        self.conn
            .execute(
                "INSERT INTO rechecks (output_dir, rechecked_at, indicators, new_critical, new_high,
                    new_medium, new_low, new_informational)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    output_dir,
                    rechecked_at,
                    indicators,
                    new.critical as i64,
                    new.high as i64,
                    new.medium as i64,
                    new.low as i64,
                    new.informational as i64,
                ],
            )
            .map_err(|e| sql(&self.path, e))?;
        Ok(())
    }

    /// Every recorded check, most recent first.
    pub fn list_cases(&self) -> Result<Vec<CaseRow>, CaseError> {
        let e = |err| sql(&self.path, err);
        let mut st = self
            .conn
            .prepare(
                "SELECT c.id, c.acquisition, c.acquisition_sha256, c.acquisition_kind, c.device, c.checked_at,
                        c.tool_version, c.indicators, c.critical, c.high, c.medium, c.low, c.informational,
                        c.output_dir,
                        (SELECT COUNT(*) FROM rechecks r WHERE r.output_dir = c.output_dir),
                        (SELECT MAX(rechecked_at) FROM rechecks r WHERE r.output_dir = c.output_dir),
                        (SELECT TOTAL(new_critical) FROM rechecks r WHERE r.output_dir = c.output_dir),
                        (SELECT TOTAL(new_high) FROM rechecks r WHERE r.output_dir = c.output_dir),
                        (SELECT TOTAL(new_medium) FROM rechecks r WHERE r.output_dir = c.output_dir),
                        (SELECT TOTAL(new_low) FROM rechecks r WHERE r.output_dir = c.output_dir),
                        (SELECT TOTAL(new_informational) FROM rechecks r WHERE r.output_dir = c.output_dir)
                 FROM checks c ORDER BY c.checked_at DESC, c.id DESC",
            )
            .map_err(e)?;
        let rows = st
            .query_map([], |r| {
                let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
                let f = |i: usize| r.get::<_, f64>(i).map(|v| v.max(0.0) as u64);
                Ok(CaseRow {
                    id: r.get(0)?,
                    check: CheckRecord {
                        acquisition: r.get(1)?,
                        acquisition_sha256: r.get(2)?,
                        acquisition_kind: r.get(3)?,
                        device: r.get(4)?,
                        checked_at: r.get(5)?,
                        tool_version: r.get(6)?,
                        indicators: r.get(7)?,
                        alerts: AlertCounts {
                            critical: n(8)?,
                            high: n(9)?,
                            medium: n(10)?,
                            low: n(11)?,
                            informational: n(12)?,
                        },
                        output_dir: r.get(13)?,
                    },
                    rechecks: n(14)?,
                    last_recheck: r.get(15)?,
                    recheck_alerts: AlertCounts {
                        critical: f(16)?,
                        high: f(17)?,
                        medium: f(18)?,
                        low: f(19)?,
                        informational: f(20)?,
                    },
                })
            })
            .map_err(e)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(e)
    }

    /// The output folders to re-check with `recheck --all`: each recorded folder once (most recent check
    /// first) with the id of its latest check, and whether it still exists.
    pub fn cases_for_recheck(&self) -> Result<Vec<(i64, PathBuf, bool)>, CaseError> {
        let e = |err| sql(&self.path, err);
        let mut st = self
            .conn
            .prepare(
                "SELECT MAX(id), output_dir, MAX(checked_at) AS last FROM checks
                 GROUP BY output_dir ORDER BY last DESC",
            )
            .map_err(e)?;
        let rows = st
            .query_map([], |r| {
                let p = PathBuf::from(r.get::<_, String>(1)?);
                let exists = p.join("alerts.json").exists() || p.join("info.json").exists();
                Ok((r.get(0)?, p, exists))
            })
            .map_err(e)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(e)
    }

    /// The latest check recorded for `output_dir`, if any.
    pub fn check_for_output(&self, output_dir: &str) -> Result<Option<i64>, CaseError> {
        self.conn
            .query_row(
                "SELECT MAX(id) FROM checks WHERE output_dir = ?1",
                [output_dir],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| sql(&self.path, e))
    }
}

fn sql(path: &Path, source: rusqlite::Error) -> CaseError {
    CaseError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: u64) -> CheckRecord {
        CheckRecord {
            acquisition: format!("/cases/phone-{n}"),
            acquisition_sha256: Some("ab".repeat(32)),
            acquisition_kind: Some("ios-backup".into()),
            device: Some("ProductType: iPhone12,1".into()),
            checked_at: format!("2025-01-0{n}T00:00:00+00:00"),
            tool_version: "0.1.0".into(),
            indicators: Some("builtin snapshot".into()),
            alerts: AlertCounts {
                high: n,
                ..Default::default()
            },
            output_dir: format!("/out/{n}"),
        }
    }

    #[test]
    fn record_list_and_recheck() {
        let db = CaseDb::open_in_memory().unwrap();
        assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
        let a = db.record_check(&sample(1)).unwrap();
        let b = db.record_check(&sample(2)).unwrap();
        assert_ne!(a, b);
        db.record_recheck(
            "/out/1",
            "2025-02-01T00:00:00+00:00",
            None,
            &AlertCounts {
                high: 2,
                ..Default::default()
            },
        )
        .unwrap();
        let rows = db.list_cases().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].check, sample(2));
        assert_eq!(rows[1].check, sample(1));
        assert_eq!(rows[1].rechecks, 1);
        assert_eq!(rows[1].recheck_alerts.high, 2);
        assert_eq!(
            rows[1].last_recheck.as_deref(),
            Some("2025-02-01T00:00:00+00:00")
        );
        assert_eq!(rows[0].rechecks, 0);
        // The same folder checked twice is re-checked once.
        db.record_check(&sample(1)).unwrap();
        let all = db.cases_for_recheck().unwrap();
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|(_, _, exists)| !exists));
        assert_eq!(db.check_for_output("/out/1").unwrap(), Some(3));
        assert_eq!(db.check_for_output("/nowhere").unwrap(), None);
    }

    #[test]
    fn a_v1_store_is_migrated_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cases.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch("PRAGMA user_version = 1").unwrap();
            conn.execute(
                "INSERT INTO checks (acquisition, checked_at, tool_version, high, output_dir)
                 VALUES ('/cases/old', '2024-01-01T00:00:00+00:00', '0.0.9', 4, '/out/old')",
                [],
            )
            .unwrap();
        }
        let db = CaseDb::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
        let rows = db.list_cases().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].check.acquisition, "/cases/old");
        assert_eq!(rows[0].check.alerts.high, 4);
        assert_eq!(rows[0].check.acquisition_kind, None);
        // And the new schema is usable on it.
        db.record_recheck("/out/old", "2025-01-01", None, &AlertCounts::default())
            .unwrap();
        drop(db);
        let db = CaseDb::open(&path).unwrap();
        assert_eq!(db.list_cases().unwrap()[0].rechecks, 1);
    }

    #[test]
    fn a_store_from_a_newer_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/cases.sqlite");
        drop(CaseDb::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
            .unwrap();
        let err = CaseDb::open(&path).err().unwrap().to_string();
        assert!(err.contains("newer telltale"), "{err}");
        // Not a database at all.
        std::fs::write(dir.path().join("bad.sqlite"), b"garbage garbage garbage").unwrap();
        assert!(CaseDb::open(&dir.path().join("bad.sqlite")).is_err());
    }

    #[test]
    fn record_from_an_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("info.json"),
            serde_json::to_vec(&serde_json::json!({
                "target_path": "/cases/p.zip", "telltale_version": "0.1.0", "date": "2025-01-01T00:00:00+00:00",
                "hashes": [{"file_path": "/cases/p.zip", "sha256": "cd".repeat(32)}],
                "acquisition": "androidqf", "device": [{"key": "model", "value": "Pixel 7"}],
                "indicators": "snap", "alerts": {"CRITICAL": 0, "HIGH": 2, "MEDIUM": 1, "LOW": 0, "INFORMATIONAL": 0},
                "modules": []
            }))
            .unwrap(),
        )
        .unwrap();
        let c = CheckRecord::from_output_dir(dir.path()).unwrap();
        assert_eq!(c.acquisition, "/cases/p.zip");
        assert_eq!(c.acquisition_sha256, Some("cd".repeat(32)));
        assert_eq!(c.acquisition_kind.as_deref(), Some("androidqf"));
        assert_eq!(c.device.as_deref(), Some("model: Pixel 7"));
        assert_eq!(c.alerts.high, 2);
        assert_eq!(c.alerts.medium, 1);
        assert!(CheckRecord::from_output_dir(&dir.path().join("nope")).is_err());
    }
}
