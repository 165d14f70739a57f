//! Small helpers shared by the browser, WebKit, WhatsApp and Shortcuts modules: finding an artifact's
//! copies, turning SQLite values into record values, pulling links out of text, comparing hosts.

use rusqlite::types::ValueRef;
use serde_json::Value;
use telltale_core::{Emitter, Evidence, ModuleError, sqlite};

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
pub fn each_file(
    paths: &[String],
    out: &mut Emitter<'_>,
    mut f: impl FnMut(&str, &mut Emitter<'_>) -> Result<(), ModuleError>,
) -> Result<(), ModuleError> {
    let mut first_err = None;
    let mut ok = 0usize;
    for p in paths {
        match f(p, out) {
            Ok(()) => ok += 1,
            Err(e) => {
                if first_err.is_none() {
                    first_err = Some(e);
                } else {
                    out.warn(e.to_string());
                }
            }
        }
    }
    match first_err {
        Some(e) if ok == 0 => Err(e),
        Some(e) => {
            out.warn(e.to_string());
            Ok(())
        }
        None => Ok(()),
    }
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

/// A SQLite value as a record value (text as is, blobs as UTF-8 when they are, hex otherwise).
pub fn value_json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => match std::str::from_utf8(b) {
            Ok(s) if !s.contains('\0') => Value::from(s),
            _ => Value::from(hex::encode(b)),
        },
    }
}

/// A text or UTF-8 blob column as a string (CoreData sometimes stores strings as blobs).
pub fn value_str(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Null => None,
    }
}

/// A numeric column as f64 (text holding a number is accepted).
pub fn value_f64(v: ValueRef<'_>) -> Option<f64> {
    match v {
        ValueRef::Integer(i) => Some(i as f64),
        ValueRef::Real(f) => Some(f),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// A numeric column as i64.
pub fn value_i64(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(f) if f.is_finite() => Some(f as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// Links with a scheme (`http://`, `https://`, other `scheme://`) found in free text, in order, without
/// duplicates. Trailing punctuation is dropped.
pub fn extract_urls(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let bytes = text.as_bytes();
    let mut search = 0;
    while let Some(pos) = text[search..].find("://") {
        let sep = search + pos;
        // Walk back over the scheme.
        let mut start = sep;
        while start > 0 {
            let c = bytes[start - 1];
            if c.is_ascii_alphanumeric() || c == b'+' || c == b'-' || c == b'.' {
                start -= 1;
            } else {
                break;
            }
        }
        // Schemes start with a letter.
        while start < sep && !bytes[start].is_ascii_alphabetic() {
            start += 1;
        }
        let mut end = sep + 3;
        while end < bytes.len() {
            let c = bytes[end];
            if c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\') {
                break;
            }
            end += 1;
        }
        // `end` stops on ASCII bytes only, so it is a char boundary.
        let mut link = &text[start..end];
        while let Some(last) = link.chars().last() {
            if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}') {
                link = &link[..link.len() - last.len_utf8()];
            } else {
                break;
            }
        }
        if start < sep && link.len() > sep - start + 3 && !out.iter().any(|l| l == link) {
            out.push(link.to_string());
        }
        search = end.max(sep + 3);
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
    Some(
        host.strip_prefix("www.")
            .map(str::to_string)
            .unwrap_or(host),
    )
}

/// Whether two hosts belong to the same site: equal, or one a subdomain of the other.
pub fn same_site(a: &str, b: &str) -> bool {
    a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}"))
}

/// The backup domain of a logical path (`HomeDomain`, `AppDomain-com.x`).
pub fn backup_domain(path: &str) -> &str {
    path.split('/').next().unwrap_or("")
}

/// Removes duplicate indicator matches (same indicator value and kind), keeping the first.
pub fn dedup_matches(ms: &mut Vec<telltale_ioc::Match>) {
    let mut seen = std::collections::HashSet::new();
    ms.retain(|m| seen.insert((m.kind, m.value.clone())));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_in_text() {
        assert_eq!(
            extract_urls("see https://evil.com/x?a=1, and (http://a.b/c). ftp://x.y"),
            vec!["https://evil.com/x?a=1", "http://a.b/c", "ftp://x.y"]
        );
        assert!(extract_urls("no link :// here").is_empty());
        assert_eq!(extract_urls("«https://é.fr/ü»").len(), 1);
        assert_eq!(extract_urls("x\"https://q.com\""), vec!["https://q.com"]);
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
}

/// Test harness: runs one module over a folder and collects everything it emits.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;
    use std::sync::Mutex;

    use telltale_core::engine::{ModuleOutcome, Output, run_one};
    use telltale_core::ioc::{IndicatorKind, IocIndex};
    use telltale_core::{
        Alert, FolderEvidence, Level, Module, ModuleContext, ModuleStatus, Record, RunOptions,
        TimelineEvent,
    };

    #[derive(Default)]
    struct Collect {
        records: Mutex<Vec<Record>>,
        alerts: Mutex<Vec<Alert>>,
        timeline: Mutex<Vec<TimelineEvent>>,
    }
    impl Output for Collect {
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

    pub struct Collected {
        pub outcome: ModuleOutcome,
        pub records: Vec<Record>,
        pub alerts: Vec<Alert>,
        pub timeline: Vec<TimelineEvent>,
    }

    impl Collected {
        pub fn at(&self, level: Level) -> Vec<&Alert> {
            self.alerts.iter().filter(|a| a.level == level).collect()
        }
        pub fn failed(&self) -> Option<&str> {
            match &self.outcome.status {
                ModuleStatus::Failed(m) => Some(m),
                _ => None,
            }
        }
        pub fn is_ok(&self) -> bool {
            self.outcome.status == ModuleStatus::Ok
        }
        pub fn is_no_data(&self) -> bool {
            matches!(self.outcome.status, ModuleStatus::NoData(_))
        }
    }

    /// The indicators used by module tests: domain `evil.com` of collection "Pegasus".
    pub fn iocs() -> IocIndex {
        IocIndex::from_values(&[(IndicatorKind::Domain, "evil.com")], "Pegasus")
    }

    pub fn run(m: &dyn Module, root: &Path) -> Collected {
        let ev = FolderEvidence::new(root).unwrap();
        let iocs = iocs();
        let opts = RunOptions::default();
        let ctx = ModuleContext {
            evidence: &ev,
            iocs: &iocs,
            options: &opts,
        };
        let out = Collect::default();
        let outcome = run_one(m, &ctx, &out);
        if let ModuleStatus::Panicked(p) = &outcome.status {
            panic!("module panicked: {p}");
        }
        Collected {
            outcome,
            records: out.records.into_inner().unwrap(),
            alerts: out.alerts.into_inner().unwrap(),
            timeline: out.timeline.into_inner().unwrap(),
        }
    }
}
