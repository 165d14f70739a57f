//! Forensic SQLite access: the evidence is never modified.
//!
//! * no `-wal`/`-shm` beside the database: opened read-only with `immutable=1` in place;
//! * otherwise (or when the bytes are not in a plain folder): the database and its side files are copied
//!   into a private temporary folder and the copy is opened, so rows that only live in the WAL are seen.
//!
//! Schema variants are detected from the actual columns ([`ForensicDb::columns`]).

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use crate::evidence::{Evidence, EvidenceError, LocalFile};

#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error("{path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: {message}")]
    Other { path: String, message: String },
}

/// An open database from the evidence, with the private copy it may live in.
pub struct ForensicDb {
    conn: Connection,
    path: String,
    /// Whether the database was opened from a private copy (WAL present, or not a plain folder).
    pub copied: bool,
    _temp: Option<tempfile::TempDir>,
    _local: LocalFile,
}

fn private_tempdir() -> std::io::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new().prefix("telltale-").tempdir()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(dir)
}

/// Opens the database at logical `path` without ever writing to the evidence.
pub fn open(evidence: &dyn Evidence, path: &str) -> Result<ForensicDb, SqliteError> {
    let local = evidence.local_file(path)?;
    let wal = format!("{path}-wal");
    let shm = format!("{path}-shm");
    let has_wal = evidence.exists(&wal);
    let has_shm = evidence.exists(&shm);
    let err = |source| SqliteError::Sqlite {
        path: path.to_string(),
        source,
    };

    if !has_wal && !has_shm {
        let conn = open_immutable(local.path()).map_err(err)?;
        return Ok(ForensicDb {
            conn,
            path: path.into(),
            copied: !local.is_original(),
            _temp: None,
            _local: local,
        });
    }
    // Copy the database with its side files into a private folder; open the copy.
    let io = |e| SqliteError::Other {
        path: path.to_string(),
        message: format!("copying to a private folder: {e}"),
    };
    let temp = private_tempdir().map_err(io)?;
    let dst = temp.path().join("db.sqlite");
    std::fs::copy(local.path(), &dst).map_err(io)?;
    for (side, suffix) in [(&wal, "-wal"), (&shm, "-shm")] {
        if evidence.exists(side) {
            let bytes = evidence.read(side)?;
            std::fs::write(temp.path().join(format!("db.sqlite{suffix}")), bytes).map_err(io)?;
        }
    }
    let conn = Connection::open_with_flags(
        &dst,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    Ok(ForensicDb {
        conn,
        path: path.into(),
        copied: true,
        _temp: Some(temp),
        _local: local,
    })
}

/// Opens a local file read-only and immutable (SQLite will not create side files or take locks).
pub fn open_immutable(p: &Path) -> rusqlite::Result<Connection> {
    let mut uri = String::from("file:");
    for c in p.to_string_lossy().chars() {
        match c {
            '?' | '#' | '%' => uri.push_str(&format!("%{:02X}", c as u32)),
            _ => uri.push(c),
        }
    }
    Connection::open_with_flags(
        format!("{uri}?mode=ro&immutable=1"),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

impl ForensicDb {
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
    /// The logical path of the database.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// Wraps a rusqlite error with the database's path.
    pub fn err(&self, source: rusqlite::Error) -> SqliteError {
        SqliteError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
    /// Names of all tables.
    pub fn tables(&self) -> Result<HashSet<String>, SqliteError> {
        let mut st = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type='table'")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
    pub fn has_table(&self, table: &str) -> bool {
        self.tables().map(|t| t.contains(table)).unwrap_or(false)
    }
    /// Column names of a table (empty when the table does not exist).
    pub fn columns(&self, table: &str) -> Result<Vec<String>, SqliteError> {
        let q = format!("PRAGMA table_info(\"{}\")", table.replace('"', "\"\""));
        let mut st = self.conn.prepare(&q).map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(1))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
    pub fn has_column(&self, table: &str, column: &str) -> bool {
        self.columns(table)
            .map(|c| c.iter().any(|x| x.eq_ignore_ascii_case(column)))
            .unwrap_or(false)
    }
}

/// Whether an error says the database file is damaged or not a database at all.
pub fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// Opens a database for a module: like [`open`], then checks its structure (`PRAGMA quick_check`); when the
/// database is damaged ("database disk image is malformed"), what is still readable is copied into a
/// private database ([`ForensicDb::recover`]) and the loss is described in the returned warnings.
/// A file that is not an SQLite database at all is an error naming the file.
pub fn open_for_module(
    evidence: &dyn Evidence,
    path: &str,
) -> Result<(ForensicDb, Vec<String>), SqliteError> {
    let db = open(evidence, path)?;
    match db.check_once() {
        Ok(Check {
            problem: None,
            unchecked,
        }) => {
            let warnings = unchecked
                .map(|u| format!("{path}: {u}"))
                .into_iter()
                .collect();
            Ok((db, warnings))
        }
        Ok(Check {
            problem: Some(problem),
            ..
        }) => {
            let (rec, mut warnings) = db.recover()?;
            warnings.insert(
                0,
                format!("{path}: database is damaged ({problem}); reading what is still readable"),
            );
            Ok((rec, warnings))
        }
        Err(e)
            if is_corrupt(&e)
                && e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) =>
        {
            Err(SqliteError::Other {
                path: path.into(),
                message: format!("not an SQLite database ({e})"),
            })
        }
        Err(e) if is_corrupt(&e) => {
            let (rec, mut warnings) = db.recover()?;
            warnings.insert(
                0,
                format!("{path}: database is damaged ({e}); reading what is still readable"),
            );
            Ok((rec, warnings))
        }
        Err(e) => Err(db.err(e)),
    }
}

/// The outcome of an integrity check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    /// The first problem found in the tables modules read (`None`: sound).
    pub problem: Option<String>,
    /// What the check could not cover (virtual tables made by iOS), to be reported as a warning.
    pub unchecked: Option<String>,
}

/// Bound on probes spent skipping one damaged region of a table.
const MAX_PROBES: usize = 256;

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// What was read of one rowid table.
struct TableCopy {
    rows: u64,
    /// Rowid ranges that could not be read (inclusive bounds; `None` = open end).
    lost: Vec<(Option<i64>, Option<i64>)>,
    stopped: Option<String>,
}

impl ForensicDb {
    /// `Ok(None)` when `PRAGMA quick_check` finds the database sound, `Ok(Some(problem))` when it reports
    /// damage, `Err` when the check itself fails (e.g. SQLITE_CORRUPT, SQLITE_NOTADB).
    pub fn check(&self) -> rusqlite::Result<Option<String>> {
        self.check_detailed().map(|c| c.problem)
    }

    /// [`check`](ForensicDb::check) with what could not be checked. Since SQLite 3.44 the integrity check
    /// also checks virtual tables, which needs their module and tokenizer: a full-text table declared by
    /// iOS with Apple's own tokenizer (`tokenize=ab_cf_tokenizer` in AddressBook.sqlitedb) cannot be
    /// opened outside iOS and makes the whole check fail although nothing is damaged. When a database has
    /// virtual tables and the whole check does not say "ok", each ordinary table (with its indexes) is
    /// checked on its own; the virtual tables are left out and named in [`Check::unchecked`]. Modules never
    /// read virtual tables, so only damage in ordinary tables calls for recovery.
    pub fn check_detailed(&self) -> rusqlite::Result<Check> {
        let whole = self
            .conn
            .query_row("PRAGMA quick_check(1)", [], |r| r.get::<_, String>(0));
        let why = match &whole {
            Ok(first) if first.eq_ignore_ascii_case("ok") => return Ok(Check::default()),
            Ok(problem) => problem.clone(),
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => {
                return whole.map(|_| Check::default());
            }
            Err(e) => e.to_string(),
        };
        let (virtual_tables, ordinary) = match self.tables_by_kind() {
            Ok(t) if !t.0.is_empty() => t,
            // No virtual table (or the schema is unreadable): the whole check's answer stands.
            _ => {
                return whole.map(|p| Check {
                    problem: Some(p),
                    unchecked: None,
                });
            }
        };
        for t in &ordinary {
            let q = format!("PRAGMA quick_check({})", quote_ident(t));
            let first: String = self.conn.query_row(&q, [], |r| r.get(0))?;
            if !first.eq_ignore_ascii_case("ok") {
                return Ok(Check {
                    problem: Some(first),
                    unchecked: None,
                });
            }
        }
        Ok(Check {
            problem: None,
            unchecked: Some(format!(
                "the integrity check could not cover the virtual table(s) {} ({why}); they are made by iOS \
                 with its own modules or tokenizers and are not read; every ordinary table was checked and is sound",
                virtual_tables.join(", ")
            )),
        })
    }

    /// `(virtual tables, ordinary tables)` of the schema.
    fn tables_by_kind(&self) -> rusqlite::Result<(Vec<String>, Vec<String>)> {
        let mut st = self
            .conn
            .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'table'")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let (mut v, mut o) = (Vec::new(), Vec::new());
        for row in rows {
            let (name, sql) = row?;
            let head: String = sql
                .chars()
                .filter(|c| !c.is_whitespace())
                .take(18)
                .collect::<String>()
                .to_ascii_uppercase();
            if head.starts_with("CREATEVIRTUALTABLE") {
                v.push(name);
            } else if !name.starts_with("sqlite_") {
                o.push(name);
            }
        }
        Ok((v, o))
    }

    /// [`check_detailed`](ForensicDb::check_detailed), remembered for the process: a database opened in
    /// place (immutable) is checked once even when several readers open it (a backup's Manifest.db is
    /// opened by the backup reader and by the manifest module). The file is known by its path, size and
    /// modification time.
    pub fn check_once(&self) -> rusqlite::Result<Check> {
        type Key = (std::path::PathBuf, u64, Option<std::time::SystemTime>);
        static SOUND: Mutex<Vec<(Key, Option<String>)>> = Mutex::new(Vec::new());
        if self._temp.is_some() {
            return self.check_detailed();
        }
        let p = self._local.path();
        let key = std::fs::metadata(p)
            .ok()
            .map(|m| (p.to_path_buf(), m.len(), m.modified().ok()));
        let Some(key) = key else {
            return self.check_detailed();
        };
        let lock = || SOUND.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, unchecked)) = lock().iter().find(|(k, _)| *k == key) {
            return Ok(Check {
                problem: None,
                unchecked: unchecked.clone(),
            });
        }
        let r = self.check_detailed()?;
        if r.problem.is_none() {
            let mut sound = lock();
            // Bounded: a run opens a few dozen databases.
            if sound.len() >= 1024 {
                sound.clear();
            }
            sound.push((key, r.unchecked.clone()));
        }
        Ok(r)
    }

    /// Copies what is still readable into a fresh private database with the same schema: for each table,
    /// rows are read in rowid order and damaged rowid ranges are skipped (found by probing and bisection).
    /// Returns the copy and warnings naming each table that lost rows.
    pub fn recover(&self) -> Result<(ForensicDb, Vec<String>), SqliteError> {
        let path = self.path.clone();
        let io = |e: std::io::Error| SqliteError::Other {
            path: path.clone(),
            message: format!("recovery: {e}"),
        };
        let temp = private_tempdir().map_err(io)?;
        let dst_path = temp.path().join("recovered.sqlite");
        let dst = Connection::open(&dst_path).map_err(|e| self.err(e))?;
        let schema: Vec<(String, String, String)> = {
            let mut st = self
                .conn
                .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL")
                .map_err(|e| self.err(e))?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>()
                .map_err(|e| SqliteError::Other {
                    path: path.clone(),
                    message: format!(
                        "the schema itself is unreadable, nothing can be recovered ({e})"
                    ),
                })?
        };
        let mut warnings = Vec::new();
        for (kind, name, sql) in &schema {
            if kind != "table" || name.starts_with("sqlite_") {
                continue;
            }
            if let Err(e) = dst.execute_batch(sql) {
                warnings.push(format!("{path}: table {name}: could not recreate ({e})"));
                continue;
            }
            if sql.to_ascii_uppercase().contains("VIRTUAL TABLE") {
                continue;
            }
            let copy = self.copy_table(&dst, name, sql);
            let mut parts = Vec::new();
            for (a, b) in &copy.lost {
                let f = |x: &Option<i64>| x.map(|v| v.to_string()).unwrap_or_else(|| "…".into());
                parts.push(format!("{}..{}", f(a), f(b)));
            }
            if !copy.lost.is_empty() || copy.stopped.is_some() {
                let mut w = format!("{path}: table {name}: {} rows recovered", copy.rows);
                if !parts.is_empty() {
                    w.push_str(&format!(
                        "; rows in rowid ranges {} were unreadable and are lost",
                        parts.join(", ")
                    ));
                }
                if let Some(s) = &copy.stopped {
                    w.push_str(&format!("; {s}"));
                }
                warnings.push(w);
            }
        }
        for (kind, name, sql) in &schema {
            if (kind == "index" || kind == "view") && dst.execute_batch(sql).is_err() {
                warnings.push(format!("{path}: {kind} {name} could not be recreated"));
            }
        }
        drop(dst);
        let conn = Connection::open_with_flags(
            &dst_path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| self.err(e))?;
        let local = LocalFile::Original(dst_path);
        Ok((
            ForensicDb {
                conn,
                path: self.path.clone(),
                copied: true,
                _temp: Some(temp),
                _local: local,
            },
            warnings,
        ))
    }

    fn copy_table(&self, dst: &Connection, table: &str, sql: &str) -> TableCopy {
        let cols = self.columns(table).unwrap_or_default();
        let mut out = TableCopy {
            rows: 0,
            lost: Vec::new(),
            stopped: None,
        };
        if cols.is_empty() {
            out.stopped = Some("its columns are unreadable".into());
            return out;
        }
        let q = quote_ident(table);
        let col_list = cols
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        let marks = (0..cols.len())
            .map(|i| format!("?{}", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let without_rowid = sql
            .to_ascii_uppercase()
            .replace(char::is_whitespace, "")
            .contains("WITHOUTROWID");
        let tx = dst.unchecked_transaction().ok();
        if without_rowid {
            // No rowid to seek on: read in order until the first damaged page.
            let insert = format!("INSERT OR IGNORE INTO {q} ({col_list}) VALUES ({marks})");
            if let Err(e) = self.copy_rows(
                dst,
                &format!("SELECT {col_list} FROM {q}"),
                &[],
                &insert,
                None,
                &mut out.rows,
            ) {
                out.stopped = Some(format!("reading stopped at a damaged page ({e})"));
            }
        } else {
            let insert = format!(
                "INSERT OR IGNORE INTO {q} (rowid, {col_list}) VALUES (?{}, {marks})",
                cols.len() + 1
            );
            let select =
                format!("SELECT {col_list}, rowid FROM {q} WHERE rowid >= ?1 ORDER BY rowid");
            let probe = format!("SELECT rowid FROM {q} WHERE rowid >= ?1 ORDER BY rowid LIMIT 1");
            let mut from = i64::MIN;
            let mut guard = 0;
            loop {
                guard += 1;
                if guard > 10_000 {
                    out.stopped = Some("too many damaged regions; gave up".into());
                    break;
                }
                let mut last: Option<i64> = None;
                match self.copy_rows(
                    dst,
                    &select,
                    &[from],
                    &insert,
                    Some(&mut last),
                    &mut out.rows,
                ) {
                    Ok(()) => break,
                    Err(_) => {
                        // Rows after `last` (or from `from`) are unreadable: find where reading works again.
                        let bad_from = last.map(|l| l.saturating_add(1)).unwrap_or(from);
                        match self.next_readable(&probe, bad_from) {
                            Some(next) => {
                                out.lost
                                    .push((Some(bad_from), Some(next.saturating_sub(1))));
                                from = next;
                            }
                            None => {
                                out.lost.push((Some(bad_from), None));
                                break;
                            }
                        }
                    }
                }
            }
        }
        if let Some(tx) = tx {
            let _ = tx.commit();
        }
        out
    }

    /// Copies rows of `select` into `insert`; `last` receives the last rowid copied (the last column).
    fn copy_rows(
        &self,
        dst: &Connection,
        select: &str,
        params: &[i64],
        insert: &str,
        mut last: Option<&mut Option<i64>>,
        count: &mut u64,
    ) -> rusqlite::Result<()> {
        let mut st = self.conn.prepare(select)?;
        let n = st.column_count();
        let mut ins = dst.prepare_cached(insert)?;
        let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(row) = rows.next()? {
            let vals: Vec<rusqlite::types::Value> = (0..n)
                .map(|i| row.get(i))
                .collect::<rusqlite::Result<_>>()?;
            ins.execute(rusqlite::params_from_iter(vals.iter()))?;
            *count += 1;
            if let Some(l) = last.as_deref_mut() {
                *l = match vals.last() {
                    Some(rusqlite::types::Value::Integer(i)) => Some(*i),
                    _ => *l,
                };
            }
        }
        Ok(())
    }

    /// The smallest rowid ≥ some point after `bad` from which reading succeeds (exponential probing, then
    /// bisection between the last failing and the first succeeding probe). `None`: nothing readable after.
    fn next_readable(&self, probe: &str, bad: i64) -> Option<i64> {
        let try_at = |x: i64| -> Result<Option<i64>, ()> {
            self.conn
                .query_row(probe, [x], |r| r.get::<_, i64>(0))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    _ => Err(()),
                })
        };
        let mut fail = bad;
        let mut step: i64 = 1;
        let mut probes = 0;
        let ok_at = loop {
            probes += 1;
            if probes > MAX_PROBES {
                return None;
            }
            let x = fail.checked_add(step)?;
            match try_at(x) {
                Ok(Some(_)) => break x,
                Ok(None) => return None,
                Err(()) => {
                    fail = x;
                    step = step.saturating_mul(2);
                }
            }
        };
        // Bisect (fail, ok_at]: the smallest start that reads.
        let (mut lo, mut hi) = (fail, ok_at);
        while (hi as i128 - lo as i128) > 1 && probes < MAX_PROBES {
            probes += 1;
            let mid = ((lo as i128 + hi as i128) / 2) as i64;
            match try_at(mid) {
                Ok(Some(_)) => hi = mid,
                Ok(None) => return None,
                Err(()) => lo = mid,
            }
        }
        // Start at the first row at or after the readable point.
        try_at(hi).ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::FolderEvidence;

    fn hash_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn immutable_open_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.db");
        {
            let c = Connection::open(&p).unwrap();
            c.execute_batch("CREATE TABLE t(x INTEGER, y TEXT); INSERT INTO t VALUES (1,'a');")
                .unwrap();
        }
        let before = hash_tree(dir.path());
        let ev = FolderEvidence::new(dir.path()).unwrap();
        let db = open(&ev, "a.db").unwrap();
        assert!(!db.copied);
        let n: i64 = db
            .conn()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(db.columns("t").unwrap(), vec!["x", "y"]);
        assert!(db.has_column("t", "Y"));
        assert!(!db.has_table("nope"));
        drop(db);
        assert_eq!(before, hash_tree(dir.path()));
    }

    #[test]
    fn wal_rows_are_seen_and_evidence_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.db");
        let c = Connection::open(&p).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x); INSERT INTO t VALUES (1);",
        )
        .unwrap();
        // Keep the writer open so the WAL is not checkpointed, then snapshot the files.
        let snap = tempfile::tempdir().unwrap();
        for f in ["w.db", "w.db-wal", "w.db-shm"] {
            std::fs::copy(dir.path().join(f), snap.path().join(f)).unwrap();
        }
        drop(c);
        let before = hash_tree(snap.path());
        let ev = FolderEvidence::new(snap.path()).unwrap();
        let db = open(&ev, "w.db").unwrap();
        assert!(db.copied);
        let n: i64 = db
            .conn()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "the row that lives only in the WAL is read");
        drop(db);
        assert_eq!(before, hash_tree(snap.path()));
    }
}

#[cfg(test)]
mod recovery_tests {
    use super::*;
    use crate::evidence::FolderEvidence;

    /// A database with one table of `n` rows spread over many pages (page size 1024).
    fn make_db(dir: &Path, n: i64) -> std::path::PathBuf {
        let p = dir.join("c.db");
        let c = Connection::open(&p).unwrap();
        c.execute_batch("PRAGMA page_size=1024; CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT); CREATE INDEX t_body ON t(body);")
            .unwrap();
        let tx = c.unchecked_transaction().unwrap();
        for i in 1..=n {
            c.execute(
                "INSERT INTO t VALUES (?1, ?2)",
                rusqlite::params![i, format!("row {i:05} {}", "x".repeat(100))],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        drop(c);
        p
    }

    /// The page numbers of the table's leaf pages, read with the dbstat-free approach: walk the file for
    /// leaf-table pages (type 0x0d).
    fn leaf_pages(bytes: &[u8]) -> Vec<usize> {
        (1..bytes.len() / 1024)
            .filter(|&pg| bytes[pg * 1024] == 0x0d)
            .collect()
    }

    #[test]
    fn sound_database_is_not_copied() {
        let dir = tempfile::tempdir().unwrap();
        make_db(dir.path(), 10);
        let ev = FolderEvidence::new(dir.path()).unwrap();
        let (db, w) = open_for_module(&ev, "c.db").unwrap();
        assert!(w.is_empty());
        assert!(!db.copied);
    }

    /// A real AddressBook.sqlitedb holds an FTS4 table with Apple's tokenizer; the integrity check of this
    /// SQLite cannot open it. That is a warning: the database is read in place, not "recovered".
    #[test]
    fn virtual_tables_made_by_ios_do_not_stop_the_check() {
        use telltale_testkit::sqlite_vtab::{AppleVtab, declare};
        let dir = tempfile::tempdir().unwrap();
        let p = make_db(dir.path(), 10);
        let mut vt = AppleVtab::all_traps();
        vt.push(AppleVtab::address_book_fts());
        declare(&p, &vt).unwrap();
        let ev = FolderEvidence::new(dir.path()).unwrap();
        let (db, w) = open_for_module(&ev, "c.db").unwrap();
        assert!(!db.copied, "read in place, not recovered");
        let n: i64 = db
            .conn()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 10);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("could not cover the virtual table")
                && w[0].contains("ABPersonFullTextSearch")
                && w[0].contains("every ordinary table was checked and is sound"),
            "{w:?}"
        );
        // The second opening of the same file (another module) gets the same warning from the cache.
        let (_, w2) = open_for_module(&ev, "c.db").unwrap();
        assert_eq!(w, w2);
    }

    /// Damage in an ordinary table is still found and recovered when iOS virtual tables are present.
    #[test]
    fn damage_beside_ios_virtual_tables_is_still_recovered() {
        use telltale_testkit::sqlite_vtab::{AppleVtab, declare};
        let dir = tempfile::tempdir().unwrap();
        let p = make_db(dir.path(), 400);
        let mut bytes = std::fs::read(&p).unwrap();
        let leaves = leaf_pages(&bytes);
        let victim = leaves[leaves.len() / 2];
        for b in &mut bytes[victim * 1024..victim * 1024 + 1024] {
            *b = 0xA5;
        }
        std::fs::write(&p, &bytes).unwrap();
        // Declared after the damage: the new schema pages sit at the end of the file.
        declare(&p, &[AppleVtab::address_book_fts()]).unwrap();
        let ev = FolderEvidence::new(dir.path()).unwrap();
        let (db, warnings) = open_for_module(&ev, "c.db").unwrap();
        assert!(db.copied, "recovered");
        let n: i64 = db
            .conn()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert!(n > 300 && n < 400, "{n}");
        assert!(
            warnings.join("\n").contains("c.db: database is damaged"),
            "{warnings:?}"
        );
    }

    #[test]
    fn rows_of_intact_pages_come_back_from_a_damaged_database() {
        let dir = tempfile::tempdir().unwrap();
        let p = make_db(dir.path(), 400);
        let mut bytes = std::fs::read(&p).unwrap();
        let leaves = leaf_pages(&bytes);
        assert!(
            leaves.len() > 10,
            "enough pages to damage one in the middle"
        );
        let victim = leaves[leaves.len() / 2];
        for b in &mut bytes[victim * 1024..victim * 1024 + 1024] {
            *b = 0xA5;
        }
        std::fs::write(&p, &bytes).unwrap();
        let before = std::fs::read(&p).unwrap();

        let ev = FolderEvidence::new(dir.path()).unwrap();
        let (db, warnings) = open_for_module(&ev, "c.db").unwrap();
        assert!(db.copied);
        let n: i64 = db
            .conn()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert!(
            n > 300 && n < 400,
            "most rows recovered, the damaged page's rows lost: {n}"
        );
        let first: String = db
            .conn()
            .query_row("SELECT body FROM t WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        assert!(first.starts_with("row 00001"));
        let last: i64 = db
            .conn()
            .query_row("SELECT max(id) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(last, 400, "rows after the damaged page are read too");
        let all = warnings.join("\n");
        assert!(all.contains("c.db: database is damaged"), "{all}");
        assert!(all.contains("table t:") && all.contains("lost"), "{all}");
        drop(db);
        assert_eq!(
            before,
            std::fs::read(&p).unwrap(),
            "the evidence is unchanged"
        );
    }

    #[test]
    fn truncated_database_gives_partial_rows_or_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = make_db(dir.path(), 400);
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let ev = FolderEvidence::new(dir.path()).unwrap();
        match open_for_module(&ev, "c.db") {
            Ok((db, warnings)) => {
                assert!(!warnings.is_empty(), "the loss is reported");
                assert!(warnings[0].contains("c.db"));
                let n: i64 = db
                    .conn()
                    .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .unwrap();
                assert!(n < 400);
            }
            Err(e) => assert!(e.to_string().contains("c.db"), "{e}"),
        }
    }

    #[test]
    fn random_bytes_are_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let junk: Vec<u8> = (0..8192u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(dir.path().join("junk.db"), junk).unwrap();
        let ev = FolderEvidence::new(dir.path()).unwrap();
        let e = open_for_module(&ev, "junk.db")
            .err()
            .expect("random bytes are not a database");
        let msg = e.to_string();
        assert!(
            msg.contains("junk.db") && msg.contains("not an SQLite database"),
            "{msg}"
        );
    }
}
