//! Helpers shared by the iOS modules, one function per job: finding an artifact's copies and running a
//! module over each, opening a database, SQLite values as record values, plist times, links in text,
//! hosts, indicator matches. Plist parsing, plist → JSON and base64 live in [`crate::nska`].

use jiff::Timestamp;
use rusqlite::types::ValueRef;
use serde_json::Value;
use telltale_core::{Emitter, Evidence, EvidenceError, ModuleContext, ModuleError, sqlite, time};

pub use crate::nska::{base64, load_plist, plist_to_json};

/// Every logical path matching any of `patterns`, deduplicated, in pattern order then path order.
pub fn find_all(evidence: &dyn Evidence, patterns: &[&str]) -> Result<Vec<String>, ModuleError> {
    let mut out: Vec<String> = Vec::new();
    for p in patterns {
        for e in evidence.find(p)? {
            if !out.contains(&e.path) {
                out.push(e.path);
            }
        }
    }
    Ok(out)
}

/// Runs `f` on each file. A file that fails becomes a warning while others succeed; when every file
/// fails, the first error is returned (so a lone corrupt artifact fails the module, naming the file).
/// A file listed in the acquisition's index but absent is a coverage fact ([`Emitter::not_checked`]),
/// not a failure.
pub fn each_file(
    paths: &[String],
    out: &mut Emitter<'_>,
    mut f: impl FnMut(&str, &mut Emitter<'_>) -> Result<(), ModuleError>,
) -> Result<(), ModuleError> {
    let mut first_err = None;
    let mut ok = 0usize;
    let mut absent = 0usize;
    for p in paths {
        match f(p, out) {
            Ok(()) => ok += 1,
            Err(e) if e.absent_path().is_some() => {
                absent += 1;
                let path = e.absent_path().unwrap_or(p).to_string();
                out.not_checked(format!("{path}: {}", telltale_core::engine::ABSENT));
            }
            Err(e) if first_err.is_none() => first_err = Some(e),
            Err(e) => out.warn(e.to_string()),
        }
    }
    match first_err {
        Some(e) if ok == 0 => Err(e),
        Some(e) => {
            out.warn(e.to_string());
            Ok(())
        }
        None if ok == 0 && absent > 0 => {
            out.no_data(format!(
                "{absent} file(s) listed in the acquisition but not in it"
            ));
            Ok(())
        }
        None => Ok(()),
    }
}

/// The usual run of a module whose artifact may exist in several copies (profiles, app groups): finds
/// every path matching `patterns`, reports `missing` as no data when there is none, and runs `f` on each
/// copy ([`each_file`]).
pub fn each_artifact(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    patterns: &[&str],
    missing: &str,
    f: impl FnMut(&str, &mut Emitter<'_>) -> Result<(), ModuleError>,
) -> Result<(), ModuleError> {
    let paths = find_all(ctx.evidence, patterns)?;
    if paths.is_empty() {
        out.no_data(missing);
        return Ok(());
    }
    each_file(&paths, out, f)
}

/// Opens a database for a module ([`sqlite::open_for_module`]): damaged databases are recovered as far as
/// possible and what was lost becomes warnings; a file that is not a database is an error naming it.
pub fn open_db(
    evidence: &dyn Evidence,
    path: &str,
    out: &mut Emitter<'_>,
) -> Result<sqlite::ForensicDb, ModuleError> {
    let (db, warnings) = sqlite::open_for_module(evidence, path)?;
    for w in warnings {
        out.warn(w);
    }
    Ok(db)
}

/// [`open_db`] for a database at a fixed path: `Ok(None)` (after `no_data`) when it is absent.
pub fn open_if_present(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    path: &str,
) -> Result<Option<sqlite::ForensicDb>, ModuleError> {
    if !ctx.evidence.exists(path) {
        // Listed in the acquisition's index (a backup's Manifest.db) but absent: say what was not checked.
        if let Err(EvidenceError::Absent { .. }) = ctx.evidence.local_file(path) {
            out.not_checked(format!("{path}: {}", telltale_core::engine::ABSENT));
            out.no_data(format!("{path}: {}", telltale_core::engine::ABSENT));
        } else {
            out.no_data(format!("{path} is not in the acquisition"));
        }
        return Ok(None);
    }
    open_db(ctx.evidence, path, out).map(Some)
}

/// Like [`open_if_present`], without the up-front integrity check (for large databases that a module
/// reads with [`stream_rows`], which meets any damage that matters while reading and then switches to the
/// checked, recovering opener). The schema is read at once, so a file that is not a database (or whose
/// schema is damaged) goes through [`open_db`] and its clear error or recovery.
pub fn open_if_present_lazy(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    path: &str,
) -> Result<Option<sqlite::ForensicDb>, ModuleError> {
    if !ctx.evidence.exists(path) {
        return open_if_present(ctx, out, path);
    }
    open_lazy(ctx.evidence, out, path).map(Some)
}

/// [`open_db`] without the full integrity check (see [`open_if_present_lazy`]).
pub fn open_lazy(
    evidence: &dyn Evidence,
    out: &mut Emitter<'_>,
    path: &str,
) -> Result<sqlite::ForensicDb, ModuleError> {
    let db = sqlite::open(evidence, path)?;
    match db
        .conn()
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
        Ok(_) => Ok(db),
        Err(_) => {
            drop(db);
            open_db(evidence, path, out)
        }
    }
}

/// Whether a module error says that reading met a damaged database.
pub fn is_damage(e: &ModuleError) -> bool {
    matches!(e, ModuleError::Sqlite(sqlite::SqliteError::Sqlite { source, .. }) if sqlite::is_corrupt(source))
}

/// Reads everything `read` needs from the database at `path` opened by [`open_lazy`]; when reading meets
/// damage, reads it all again from the checked, recovered copy ([`open_db`]). For readers that collect
/// before they emit.
pub fn read_lazily<T>(
    evidence: &dyn Evidence,
    out: &mut Emitter<'_>,
    path: &str,
    read: impl Fn(&sqlite::ForensicDb) -> Result<T, ModuleError>,
) -> Result<T, ModuleError> {
    let db = open_lazy(evidence, out, path)?;
    match read(&db) {
        Err(e) if is_damage(&e) => {
            drop(db);
            let db = open_db(evidence, path, out)?;
            read(&db)
        }
        r => r,
    }
}

/// Runs `sql` over `db` and gives each row to `f`. `sql` takes the last row id read as `?1` and must
/// filter and order on it (`WHERE t.ROWID > ?1 … ORDER BY t.ROWID`), with that row id selected as column
/// `rowid_col`. When reading meets damage in a database opened by [`open_if_present_lazy`], the database
/// is opened again with the checked, recovering opener ([`open_db`]; the loss becomes warnings) and the
/// query goes on after the last row given to `f`: no row is given twice.
pub fn stream_rows(
    evidence: &dyn Evidence,
    out: &mut Emitter<'_>,
    db: &mut sqlite::ForensicDb,
    sql: &str,
    rowid_col: usize,
    mut f: impl FnMut(&rusqlite::Row<'_>, &mut Emitter<'_>) -> Result<(), ModuleError>,
) -> Result<(), ModuleError> {
    let mut last = i64::MIN;
    let mut recovered = false;
    loop {
        let result = {
            let mut st = db.conn().prepare(sql).map_err(|e| db.err(e))?;
            let mut rows = st.query([last]).map_err(|e| db.err(e))?;
            loop {
                match rows.next() {
                    Ok(Some(row)) => {
                        f(row, out)?;
                        if let Ok(id) = row.get::<_, i64>(rowid_col) {
                            last = id;
                        }
                    }
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            }
        };
        match result {
            Ok(()) => return Ok(()),
            Err(e) if !recovered && sqlite::is_corrupt(&e) => {
                let path = db.path().to_string();
                *db = open_db(evidence, &path, out)?;
                recovered = true;
            }
            Err(e) => return Err(db.err(e).into()),
        }
    }
}

/// `"{qualifier}.{column}"` when `column` is among `cols` (case-insensitive), `NULL` otherwise: for
/// SELECTs that work across schema versions.
pub fn col_or_null(cols: &[String], qualifier: &str, column: &str) -> String {
    if cols.iter().any(|c| c.eq_ignore_ascii_case(column)) {
        if qualifier.is_empty() {
            column.to_string()
        } else {
            format!("{qualifier}.{column}")
        }
    } else {
        "NULL".to_string()
    }
}

/// A SQLite value as a record value: text as is, blobs as UTF-8 text when they are (and hold no NUL),
/// base64 otherwise.
pub fn sql_to_json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => match std::str::from_utf8(b) {
            Ok(s) if !s.contains('\0') => Value::from(s),
            _ => Value::String(base64(b)),
        },
    }
}

/// A SQLite value as text (CoreData sometimes stores strings as blobs, decoded lossily; numbers
/// formatted).
pub fn sql_string(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// A SQLite value as a number (integers, reals, numeric text).
pub fn sql_f64(v: ValueRef<'_>) -> Option<f64> {
    match v {
        ValueRef::Integer(i) => Some(i as f64),
        ValueRef::Real(f) => Some(f),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// A SQLite value as an integer (reals truncated, numeric text parsed).
pub fn sql_i64(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(f) if f.is_finite() => Some(f as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// Reads a plist that must be a dictionary: `Ok(None)` when it is absent, an error naming the file when
/// it does not parse or is not a dictionary.
pub fn load_plist_dict(
    evidence: &dyn Evidence,
    out: &mut Emitter<'_>,
    path: &str,
) -> Result<Option<plist::Dictionary>, ModuleError> {
    match load_plist(evidence, out, path)? {
        None => Ok(None),
        Some(plist::Value::Dictionary(d)) => Ok(Some(d)),
        Some(_) => Err(ModuleError::parse(
            path,
            "the property list is not a dictionary",
        )),
    }
}

/// A plist value that holds a time: a date, or a number converted by `from_number` (e.g.
/// [`time::from_unix`]).
pub fn plist_time_as(
    v: &plist::Value,
    from_number: fn(f64) -> Option<Timestamp>,
) -> Option<Timestamp> {
    match v {
        plist::Value::Date(d) => crate::nska::plist_date(d),
        plist::Value::Real(f) => from_number(*f),
        plist::Value::Integer(i) => from_number(i.as_signed()? as f64),
        _ => None,
    }
}

/// A plist value that holds a time: a date, or a number of Mac absolute seconds.
pub fn plist_time(v: &plist::Value) -> Option<Timestamp> {
    plist_time_as(v, time::from_mac_absolute)
}

/// Characters dropped from the end of a link found in text.
const TRAILING: [char; 13] = [
    '.', ',', ';', ':', '!', '?', ')', ']', '}', '"', '\'', '>', '*',
];

/// The links in free text, in order and without duplicates: links with a scheme (`https://…`,
/// `ftp://…`) and bare `www.…` words. Trailing punctuation is dropped.
pub fn extract_links(text: &str) -> Vec<String> {
    let mut found: Vec<(usize, &str)> = Vec::new();
    let bytes = text.as_bytes();
    let mut search = 0;
    while let Some(pos) = text[search..].find("://") {
        let sep = search + pos;
        // Walk back over the scheme; schemes start with a letter.
        let mut start = sep;
        while start > 0 {
            let c = bytes[start - 1];
            if c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.') {
                start -= 1;
            } else {
                break;
            }
        }
        while start < sep && !bytes[start].is_ascii_alphabetic() {
            start += 1;
        }
        let mut end = sep + 3;
        while end < bytes.len()
            && !bytes[end].is_ascii_whitespace()
            && !matches!(bytes[end], b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\')
        {
            end += 1;
        }
        // `start` and `end` stop on ASCII bytes only, so they are char boundaries.
        let link = text[start..end].trim_end_matches(TRAILING);
        if start < sep && link.len() > sep - start + 3 {
            found.push((start, link));
        }
        search = end.max(sep + 3);
    }
    for w in text.split_whitespace() {
        let off = w.as_ptr() as usize - text.as_ptr() as usize;
        let w = w.trim_start_matches(['(', '[', '<', '"', '\'']);
        if w.len() > 4
            && w.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("www."))
            && !w.contains("://")
        {
            let link = w.trim_end_matches(TRAILING);
            if link.len() > 4 {
                found.push((off, link));
            }
        }
    }
    found.sort_by_key(|(pos, _)| *pos);
    let mut out: Vec<String> = Vec::with_capacity(found.len());
    for (_, l) in found {
        if !out.iter().any(|x| x == l) {
            out.push(l.to_string());
        }
    }
    out
}

/// The lower-cased host of a URL, without a leading `www.`.
pub fn url_host(u: &str) -> Option<String> {
    let parsed = url::Url::parse(u.trim()).ok()?;
    let host = parsed
        .host_str()?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    Some(match host.strip_prefix("www.") {
        Some(h) => h.to_string(),
        None => host,
    })
}

/// Whether two hosts belong to the same site: equal, or one a subdomain of the other.
pub fn same_site(a: &str, b: &str) -> bool {
    let sub = |x: &str, y: &str| {
        x.len() > y.len() && x.ends_with(y) && x.as_bytes()[x.len() - y.len() - 1] == b'.'
    };
    a == b || sub(a, b) || sub(b, a)
}

/// The backup domain of a logical path (`HomeDomain`, `AppDomain-com.x`).
pub fn backup_domain(path: &str) -> &str {
    path.split('/').next().unwrap_or("")
}

/// A text field of a record (`None` when absent or not text).
pub fn field_str<'a>(rec: &'a telltale_core::Record, key: &str) -> Option<&'a str> {
    rec.get(key).and_then(|v| v.as_str())
}

/// Removes duplicate indicator matches (same indicator value and kind), keeping the first.
pub fn dedup_matches(ms: &mut Vec<telltale_ioc::Match>) {
    if ms.len() < 2 {
        return;
    }
    let mut seen = std::collections::HashSet::new();
    ms.retain(|m| seen.insert((m.kind, m.value.clone())));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_in_text() {
        assert_eq!(
            extract_links("see https://a.example/x, and www.b.example. ok"),
            vec!["https://a.example/x", "www.b.example"]
        );
        assert_eq!(
            extract_links("see https://evil.com/x?a=1, and (http://a.b/c). ftp://x.y"),
            vec!["https://evil.com/x?a=1", "http://a.b/c", "ftp://x.y"]
        );
        assert_eq!(
            extract_links("(www.first.example) then https://second.example https://second.example"),
            vec!["www.first.example", "https://second.example"]
        );
        assert!(extract_links("no links here").is_empty());
        assert!(extract_links("no link :// here").is_empty());
        assert_eq!(extract_links("«https://é.fr/ü»").len(), 1);
        assert_eq!(extract_links("x\"https://q.com\""), vec!["https://q.com"]);
    }

    #[test]
    fn hosts() {
        assert_eq!(
            url_host("http://WWW.Example.com:8080/a").as_deref(),
            Some("example.com")
        );
        assert!(same_site("example.com", "m.example.com"));
        assert!(!same_site("example.com", "notexample.com"));
        assert_eq!(url_host("garbage"), None);
    }

    #[test]
    fn blobs_as_text_or_base64() {
        assert_eq!(sql_to_json(ValueRef::Blob(b"abc")), "abc");
        assert_eq!(
            sql_to_json(ValueRef::Blob(b"a\0c")),
            base64(b"a\0c").as_str()
        );
        assert_eq!(sql_i64(ValueRef::Text(b" 42 ")), Some(42));
        assert_eq!(sql_f64(ValueRef::Null), None);
    }
}

/// Test harness: runs one module and collects what it emits (shared with the integration tests).
#[cfg(test)]
#[path = "../tests/common/harness.rs"]
pub mod testing;
