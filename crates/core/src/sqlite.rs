//! Forensic SQLite access: the evidence is never modified.
//!
//! * no `-wal`/`-shm` beside the database: opened read-only with `immutable=1` in place;
//! * otherwise (or when the bytes are not in a plain folder): the database and its side files are copied
//!   into a private temporary folder and the copy is opened, so rows that only live in the WAL are seen.
//!
//! Schema variants are detected from the actual columns ([`ForensicDb::columns`]).

use std::collections::HashSet;
use std::path::Path;

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
    let err = |source| SqliteError::Sqlite { path: path.to_string(), source };

    if !has_wal && !has_shm {
        let conn = open_immutable(local.path()).map_err(err)?;
        return Ok(ForensicDb { conn, path: path.into(), copied: !local.is_original(), _temp: None, _local: local });
    }
    // Copy the database with its side files into a private folder; open the copy.
    let io = |e| SqliteError::Other { path: path.to_string(), message: format!("copying to a private folder: {e}") };
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
    Ok(ForensicDb { conn, path: path.into(), copied: true, _temp: Some(temp), _local: local })
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
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
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
        SqliteError::Sqlite { path: self.path.clone(), source }
    }
    /// Names of all tables.
    pub fn tables(&self) -> Result<HashSet<String>, SqliteError> {
        let mut st = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type='table'")
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
    pub fn has_table(&self, table: &str) -> bool {
        self.tables().map(|t| t.contains(table)).unwrap_or(false)
    }
    /// Column names of a table (empty when the table does not exist).
    pub fn columns(&self, table: &str) -> Result<Vec<String>, SqliteError> {
        let q = format!("PRAGMA table_info(\"{}\")", table.replace('"', "\"\""));
        let mut st = self.conn.prepare(&q).map_err(|e| self.err(e))?;
        let rows = st.query_map([], |r| r.get::<_, String>(1)).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
    pub fn has_column(&self, table: &str, column: &str) -> bool {
        self.columns(table).map(|c| c.iter().any(|x| x.eq_ignore_ascii_case(column))).unwrap_or(false)
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
            .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
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
            c.execute_batch("CREATE TABLE t(x INTEGER, y TEXT); INSERT INTO t VALUES (1,'a');").unwrap();
        }
        let before = hash_tree(dir.path());
        let ev = FolderEvidence::new(dir.path()).unwrap();
        let db = open(&ev, "a.db").unwrap();
        assert!(!db.copied);
        let n: i64 = db.conn().query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
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
        let n: i64 = db.conn().query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "the row that lives only in the WAL is read");
        drop(db);
        assert_eq!(before, hash_tree(snap.path()));
    }
}
