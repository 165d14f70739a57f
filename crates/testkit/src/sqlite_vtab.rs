//! Virtual tables as iOS declares them: full-text tables built with Apple's own tokenizers
//! (`tokenize=ab_cf_tokenizer` in AddressBook.sqlitedb …) or modules that exist only on the phone. A
//! SQLite outside iOS cannot create such a table, so it is declared the way the phone left it: its row in
//! `sqlite_master` written directly, beside the ordinary shadow tables that hold its data. Reading the
//! database's ordinary tables works; touching the virtual table (or `PRAGMA quick_check`, which since
//! SQLite 3.44 checks virtual tables too) fails with "unknown tokenizer" or "no such module".

use std::path::Path;

use rusqlite::Connection;

/// A virtual table to declare.
#[derive(Debug, Clone)]
pub enum AppleVtab {
    /// `CREATE VIRTUAL TABLE <name> USING fts4(<columns>, tokenize=<tokenizer>)` with FTS4's five shadow
    /// tables.
    Fts4 {
        name: String,
        columns: Vec<String>,
        tokenizer: String,
    },
    /// `CREATE VIRTUAL TABLE <name> USING fts5(<columns>, tokenize='<tokenizer>')` with FTS5's shadow
    /// tables.
    Fts5 {
        name: String,
        columns: Vec<String>,
        tokenizer: String,
    },
    /// `CREATE VIRTUAL TABLE <name> USING <module>(<args>)`: a module SQLite does not have.
    Module {
        name: String,
        module: String,
        args: String,
    },
}

impl AppleVtab {
    pub fn fts4(name: &str, columns: &[&str], tokenizer: &str) -> Self {
        AppleVtab::Fts4 {
            name: name.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            tokenizer: tokenizer.into(),
        }
    }
    pub fn fts5(name: &str, columns: &[&str], tokenizer: &str) -> Self {
        AppleVtab::Fts5 {
            name: name.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            tokenizer: tokenizer.into(),
        }
    }
    pub fn module(name: &str, module: &str, args: &str) -> Self {
        AppleVtab::Module {
            name: name.into(),
            module: module.into(),
            args: args.into(),
        }
    }

    /// The full-text table of a real AddressBook.sqlitedb (iOS 15–17), with Apple's tokenizer.
    pub fn address_book_fts() -> Self {
        AppleVtab::fts4(
            "ABPersonFullTextSearch",
            &[
                "First",
                "Last",
                "Middle",
                "FirstPhonetic",
                "MiddlePhonetic",
                "LastPhonetic",
                "Organization",
                "Department",
                "Note",
                "Birthday",
                "JobTitle",
                "Nickname",
                "Prefix",
                "Suffix",
                "DisplayName",
                "Phone",
                "Email",
                "Address",
                "SocialProfile",
                "URL",
                "RelatedNames",
                "IM",
                "Date",
            ],
            "ab_cf_tokenizer",
        )
    }

    /// The three kinds at once, as a database that carries every trap: FTS4 and FTS5 tables with tokenizers
    /// the test SQLite does not have, and a table of an unknown module.
    pub fn all_traps() -> Vec<AppleVtab> {
        vec![
            AppleVtab::fts4("apple_fts4", &["title", "body"], "apple_cf_tokenizer"),
            AppleVtab::fts5("apple_fts5", &["title", "body"], "apple_unicode"),
            AppleVtab::module("apple_spotlight", "spotlight_index", "bundle, text"),
        ]
    }

    fn shadow_ddl(&self) -> Vec<String> {
        match self {
            AppleVtab::Fts4 { name, columns, .. } => {
                let cols: Vec<String> = columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("\"c{i}{c}\""))
                    .collect();
                vec![
                    format!(
                        "CREATE TABLE \"{name}_content\"(docid INTEGER PRIMARY KEY, {})",
                        cols.join(", ")
                    ),
                    format!(
                        "CREATE TABLE \"{name}_segments\"(blockid INTEGER PRIMARY KEY, block BLOB)"
                    ),
                    format!(
                        "CREATE TABLE \"{name}_segdir\"(level INTEGER, idx INTEGER, start_block INTEGER, \
                         leaves_end_block INTEGER, end_block INTEGER, root BLOB, PRIMARY KEY(level, idx))"
                    ),
                    format!(
                        "CREATE TABLE \"{name}_docsize\"(docid INTEGER PRIMARY KEY, size BLOB)"
                    ),
                    format!("CREATE TABLE \"{name}_stat\"(id INTEGER PRIMARY KEY, value BLOB)"),
                ]
            }
            AppleVtab::Fts5 { name, columns, .. } => {
                let cols: Vec<String> = (0..columns.len()).map(|i| format!("c{i}")).collect();
                vec![
                    format!("CREATE TABLE \"{name}_data\"(id INTEGER PRIMARY KEY, block BLOB)"),
                    format!(
                        "CREATE TABLE \"{name}_idx\"(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID"
                    ),
                    format!(
                        "CREATE TABLE \"{name}_content\"(id INTEGER PRIMARY KEY, {})",
                        cols.join(", ")
                    ),
                    format!("CREATE TABLE \"{name}_docsize\"(id INTEGER PRIMARY KEY, sz BLOB)"),
                    format!("CREATE TABLE \"{name}_config\"(k PRIMARY KEY, v) WITHOUT ROWID"),
                    format!("INSERT INTO \"{name}_config\" VALUES ('version', 4)"),
                ]
            }
            AppleVtab::Module { .. } => Vec::new(),
        }
    }

    fn create_sql(&self) -> (String, String) {
        match self {
            AppleVtab::Fts4 {
                name,
                columns,
                tokenizer,
            } => (
                name.clone(),
                format!(
                    "CREATE VIRTUAL TABLE {name} USING fts4({}, tokenize={tokenizer})",
                    columns.join(", ")
                ),
            ),
            AppleVtab::Fts5 {
                name,
                columns,
                tokenizer,
            } => (
                name.clone(),
                format!(
                    "CREATE VIRTUAL TABLE {name} USING fts5({}, tokenize='{tokenizer}')",
                    columns.join(", ")
                ),
            ),
            AppleVtab::Module { name, module, args } => (
                name.clone(),
                format!("CREATE VIRTUAL TABLE {name} USING {module}({args})"),
            ),
        }
    }
}

/// Declares `vtabs` in the database file at `path` (which must exist and be an SQLite database).
pub fn declare(path: &Path, vtabs: &[AppleVtab]) -> rusqlite::Result<()> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    for v in vtabs {
        for ddl in v.shadow_ddl() {
            conn.execute_batch(&ddl)?;
        }
    }
    conn.pragma_update(None, "writable_schema", true)?;
    for v in vtabs {
        let (name, sql) = v.create_sql();
        conn.execute(
            "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES ('table', ?1, ?1, 0, ?2)",
            [&name, &sql],
        )?;
    }
    conn.pragma_update(None, "writable_schema", false)?;
    drop(conn);
    Ok(())
}

/// [`declare`] on a database held in memory as bytes; returns the new bytes.
pub fn declare_in_bytes(bytes: &[u8], vtabs: &[AppleVtab]) -> rusqlite::Result<Vec<u8>> {
    let dir = tempfile::tempdir().map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    let p = dir.path().join("db.sqlite");
    std::fs::write(&p, bytes).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    declare(&p, vtabs)?;
    std::fs::read(&p).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_tables_are_unusable_here_but_ordinary_tables_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.db");
        let c = Connection::open(&p).unwrap();
        c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (42);")
            .unwrap();
        drop(c);
        let mut all = AppleVtab::all_traps();
        all.push(AppleVtab::address_book_fts());
        declare(&p, &all).unwrap();
        let c = Connection::open(&p).unwrap();
        let x: i64 = c.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, 42);
        let e = c
            .query_row("SELECT count(*) FROM ABPersonFullTextSearch", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown tokenizer"), "{e}");
        let e = c
            .prepare("SELECT * FROM apple_spotlight")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("no such module"), "{e}");
        // The integrity check of this SQLite checks virtual tables and cannot complete.
        let qc = c.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0));
        assert!(
            qc.is_err() || qc.as_deref() != Ok("ok"),
            "quick_check must trip on the declared tables: {qc:?}"
        );
    }
}
