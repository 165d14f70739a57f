//! shortcuts: the Shortcuts app's `Shortcuts.sqlite` (ZSHORTCUT ⟕ ZSHORTCUTACTIONS). One record per
//! shortcut with its creation/modification dates, its actions (decoded from the binary plist), the URLs
//! found in the actions' parameters and whether it fetches or opens URLs; each URL is checked against
//! the indicators.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use crate::util::{
    dedup_matches, each_artifact, extract_links, open_db, sql_f64, sql_i64, sql_string,
};

pub struct Shortcuts;

const PATTERNS: &[&str] = &["HomeDomain/Library/Shortcuts/Shortcuts.sqlite"];

/// Action data larger than this is not decoded.
const MAX_ACTIONS: usize = 64 << 20;

/// Actions that fetch, open or run web content.
const URL_ACTIONS: &[&str] = &[
    "is.workflow.actions.downloadurl",
    "is.workflow.actions.openurl",
    "is.workflow.actions.url",
    "is.workflow.actions.showwebpage",
    "is.workflow.actions.runjavascriptonwebpage",
    "is.workflow.actions.getwebpagecontents",
    "is.workflow.actions.openxcallbackurl",
];

impl Module for Shortcuts {
    fn name(&self) -> &'static str {
        "shortcuts"
    }
    fn description(&self) -> &'static str {
        "Shortcuts (Shortcuts.sqlite): shortcuts, their actions and the URLs they use, checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "no Shortcuts.sqlite in this backup",
            |p, out| process(ctx, p, out),
        )
    }
}

/// Collects the URLs found in a plist value: links with a scheme in any string, and the whole string
/// when it sits under a key naming a URL (`WFURLActionURL`, `WFURL`…) and looks like a host/path.
fn collect_urls(v: &plist::Value, key: Option<&str>, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        plist::Value::String(s) => {
            let found = extract_links(s);
            if found.is_empty()
                && key.is_some_and(|k| k.to_ascii_lowercase().contains("url"))
                && s.contains('.')
                && !s.trim().contains(char::is_whitespace)
            {
                out.push(s.trim().to_string());
            }
            out.extend(found);
        }
        plist::Value::Array(a) => a.iter().for_each(|x| collect_urls(x, key, out, depth + 1)),
        plist::Value::Dictionary(d) => {
            for (k, x) in d {
                // Text tokens keep the text under "string" inside "Value"; keep the outer key's meaning.
                let k = if k == "Value" || k == "string" {
                    key.unwrap_or(k)
                } else {
                    k.as_str()
                };
                collect_urls(x, Some(k), out, depth + 1);
            }
        }
        _ => {}
    }
}

/// `(identifiers, urls)` of a ZSHORTCUTACTIONS.ZDATA plist.
fn parse_actions(data: &[u8]) -> Result<(Vec<String>, Vec<String>), String> {
    if data.len() > MAX_ACTIONS {
        return Err(format!("action data of {} bytes is too large", data.len()));
    }
    let v: plist::Value = plist::from_bytes(data).map_err(|e| e.to_string())?;
    let list = match &v {
        plist::Value::Array(a) => a.clone(),
        plist::Value::Dictionary(d) => d
            .get("WFWorkflowActions")
            .and_then(|x| x.as_array())
            .cloned()
            .ok_or("no actions in plist")?,
        _ => return Err("action data is not a list".into()),
    };
    let mut ids = Vec::new();
    let mut urls = Vec::new();
    for a in &list {
        let Some(d) = a.as_dictionary() else { continue };
        let id = d
            .get("WFWorkflowActionIdentifier")
            .and_then(|x| x.as_string())
            .unwrap_or("")
            .to_string();
        if let Some(p) = d.get("WFWorkflowActionParameters") {
            collect_urls(p, None, &mut urls, 0);
        }
        ids.push(id);
    }
    let mut seen = std::collections::HashSet::new();
    urls.retain(|u| seen.insert(u.clone()));
    Ok((ids, urls))
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let db = open_db(ctx.evidence, path, out)?;
    let tables = db.tables()?;
    if !tables.contains("ZSHORTCUT") {
        return Err(ModuleError::parse(
            path,
            "not a Shortcuts database (no ZSHORTCUT table)",
        ));
    }
    let has = |t: &str, c: &str| db.has_column(t, c);
    let join = if tables.contains("ZSHORTCUTACTIONS") && has("ZSHORTCUTACTIONS", "ZSHORTCUT") {
        "LEFT JOIN ZSHORTCUTACTIONS ON ZSHORTCUTACTIONS.ZSHORTCUT = ZSHORTCUT.Z_PK"
    } else if tables.contains("ZSHORTCUTACTIONS") && has("ZSHORTCUT", "ZACTIONS") {
        "LEFT JOIN ZSHORTCUTACTIONS ON ZSHORTCUT.ZACTIONS = ZSHORTCUTACTIONS.Z_PK"
    } else {
        ""
    };
    let data = if join.is_empty() {
        "NULL"
    } else {
        "ZSHORTCUTACTIONS.ZDATA"
    };
    let c = |col: &str| {
        if has("ZSHORTCUT", col) {
            format!("ZSHORTCUT.{col}")
        } else {
            "NULL".into()
        }
    };
    let q = format!(
        "SELECT ZSHORTCUT.Z_PK, {}, {}, {}, {}, {data} FROM ZSHORTCUT {join} ORDER BY ZSHORTCUT.Z_PK",
        c("ZNAME"),
        c("ZCREATIONDATE"),
        c("ZMODIFICATIONDATE"),
        c("ZACTIONSDESCRIPTION"),
    );
    let mut st = db.conn().prepare(&q).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let get = |i| r.get_ref(i).map_err(|e| db.err(e));
        let id = sql_i64(get(0)?);
        let name = sql_string(get(1)?).unwrap_or_default();
        let created = sql_f64(get(2)?).and_then(time::from_mac_absolute);
        let modified = sql_f64(get(3)?).and_then(time::from_mac_absolute);
        let description = sql_string(get(4)?);
        let (identifiers, urls) = match get(5)? {
            rusqlite::types::ValueRef::Blob(b) if !b.is_empty() => match parse_actions(b) {
                Ok(x) => x,
                Err(e) => {
                    out.warn(format!(
                        "{path}: shortcut '{name}': actions unreadable: {e}"
                    ));
                    (Vec::new(), Vec::new())
                }
            },
            _ => (Vec::new(), Vec::new()),
        };
        let fetches = identifiers
            .iter()
            .any(|i| URL_ACTIONS.contains(&i.as_str()));
        let rec = record! {
            "shortcut_id" => id,
            "shortcut_name" => name,
            "description" => description,
            "isodate" => time::format_opt(created),
            "modified_date" => time::format_opt(modified),
            "parsed_actions" => identifiers.len(),
            "action_identifiers" => identifiers,
            "action_urls" => urls,
            "uses_urls" => fetches,
        };
        out.record(&rec);
        let found = if urls.is_empty() {
            String::new()
        } else {
            format!(" - URLs in actions: {}", urls.join(", "))
        };
        let desc = description.as_deref().unwrap_or("");
        out.timeline(
            created,
            "shortcut_created",
            format!("iOS Shortcut '{name}': {desc}{found}"),
        );
        out.timeline(
            modified,
            "shortcut_modified",
            format!("iOS Shortcut '{name}': {desc}{found}"),
        );
        let mut m = Vec::new();
        for u in &urls {
            m.extend(ctx.iocs.match_url(u));
        }
        dedup_matches(&mut m);
        out.ioc_alerts(
            &m,
            &format!("iOS Shortcut '{name}' uses a URL that"),
            modified.or(created),
            &rec,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{evil, run};
    use telltale_core::Level;
    use telltale_testkit::ios_web::{
        ShortcutAction as A, Shortcuts as S, ShortcutsVariant, utc, write_garbage,
    };

    #[test]
    fn action_urls_on_indicators_are_high() {
        for v in [ShortcutsVariant::Modern, ShortcutsVariant::ActionsPointer] {
            let dir = tempfile::tempdir().unwrap();
            S::new()
                .variant(v)
                .shortcut(
                    "Read about NSO",
                    utc("2021-01-01T00:00:00Z"),
                    utc("2021-01-02T00:00:00Z"),
                    &[A::open_url("https://en.wikipedia.org/wiki/NSO_Group")],
                )
                .described("Open URL")
                .shortcut(
                    "Update",
                    utc("2021-02-01T00:00:00Z"),
                    utc("2021-02-03T00:00:00Z"),
                    &[
                        A::comment("daily"),
                        A::download_url("https://c2.evil.com/payload"),
                    ],
                )
                .shortcut(
                    "Plain",
                    utc("2021-03-01T00:00:00Z"),
                    utc("2021-03-01T00:00:00Z"),
                    &[A::url("notevil.com/page"), A::comment("nothing to see")],
                )
                .write_in(dir.path());
            let r = run(&Shortcuts, dir.path(), &evil());
            assert!(r.is_ok());
            assert_eq!(r.records.len(), 3);
            assert_eq!(
                r.records[0]["action_urls"][0],
                "https://en.wikipedia.org/wiki/NSO_Group"
            );
            assert_eq!(r.records[0]["description"], "Open URL");
            assert_eq!(r.records[1]["uses_urls"], true);
            assert_eq!(r.records[1]["parsed_actions"], 2);
            assert_eq!(r.records[1]["isodate"], "2021-02-01 00:00:00.000000");
            assert_eq!(r.records[1]["modified_date"], "2021-02-03 00:00:00.000000");
            assert_eq!(r.records[2]["action_urls"][0], "notevil.com/page");
            let high = r.at(Level::Critical);
            assert_eq!(high.len(), 1, "{v:?} {:?}", r.alerts);
            assert_eq!(high[0].event["shortcut_name"], "Update");
            assert_eq!(r.timeline.len(), 6);
        }
    }

    #[test]
    fn bare_url_parameter_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        S::new()
            .shortcut(
                "x",
                utc("2021-01-01T00:00:00Z"),
                utc("2021-01-01T00:00:00Z"),
                &[A::url("evil.com/a")],
            )
            .write_in(dir.path());
        let r = run(&Shortcuts, dir.path(), &evil());
        assert_eq!(r.at(Level::Critical).len(), 1);
    }

    #[test]
    fn bad_action_data_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        S::new()
            .shortcut_raw("broken", utc("2021-01-01T00:00:00Z"), b"bplist00\xff\xff")
            .write_in(dir.path());
        let r = run(&Shortcuts, dir.path(), &evil());
        assert!(r.is_ok());
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0]["parsed_actions"], 0);
        assert_eq!(r.outcome.warnings.len(), 1);
    }

    #[test]
    fn missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&Shortcuts, dir.path(), &evil()).is_no_data());
        write_garbage(&dir.path().join(S::LOGICAL_PATH));
        assert!(
            run(&Shortcuts, dir.path(), &evil())
                .failed()
                .unwrap()
                .contains("Shortcuts.sqlite")
        );
    }
}
