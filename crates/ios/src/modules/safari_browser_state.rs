//! safari_browser_state: Safari's open tabs (`BrowserState.db`, default profile and iOS 17+ profiles).
//! One record per tab with the session history decoded from its binary plist; the tab URLs and every
//! session entry URL are checked against the indicators.

use serde_json::Value;
use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use crate::util::{each_artifact, open_db, sql_f64, sql_string};

pub struct SafariBrowserState;

const PATTERNS: &[&str] = &[
    "HomeDomain/Library/Safari/BrowserState.db",
    "HomeDomain/Library/Safari/Profiles/*/BrowserState.db",
];

/// Session blobs larger than this are not decoded.
const MAX_SESSION: usize = 64 << 20;

impl Module for SafariBrowserState {
    fn name(&self) -> &'static str {
        "safari_browser_state"
    }
    fn description(&self) -> &'static str {
        "Safari open tabs and their session history (BrowserState.db), URLs checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "no Safari BrowserState.db in this backup",
            |p, out| process(ctx, p, out),
        )
    }
}

/// Session entries `(title, url, original url, data length)` of a session blob: a binary plist after a
/// short header (4 bytes in the iOS versions seen).
fn session_entries(blob: &[u8]) -> Result<Vec<Value>, String> {
    if blob.len() > MAX_SESSION {
        return Err(format!("session data of {} bytes is too large", blob.len()));
    }
    let start = memchr::memmem::find(&blob[..blob.len().min(64)], b"bplist")
        .ok_or("no binary plist in session data")?;
    let v: plist::Value =
        plist::from_bytes(&blob[start..]).map_err(|e| format!("session plist: {e}"))?;
    let entries = v
        .as_dictionary()
        .and_then(|d| d.get("SessionHistory"))
        .and_then(|h| h.as_dictionary())
        .and_then(|h| h.get("SessionHistoryEntries"))
        .and_then(|e| e.as_array());
    let mut out = Vec::new();
    for e in entries.into_iter().flatten() {
        let Some(d) = e.as_dictionary() else { continue };
        let s = |k: &str| d.get(k).and_then(|v| v.as_string()).map(str::to_string);
        let data_length = d
            .get("SessionHistoryEntryData")
            .and_then(|v| v.as_data())
            .map(|b| b.len())
            .unwrap_or(0);
        out.push(serde_json::json!({
            "entry_title": s("SessionHistoryEntryTitle"),
            "entry_url": s("SessionHistoryEntryURL"),
            "entry_original_url": s("SessionHistoryEntryOriginalURL"),
            "data_length": data_length,
        }));
    }
    Ok(out)
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let db = open_db(ctx.evidence, path, out)?;
    let tables = db.tables()?;
    if !tables.contains("tabs") {
        return Err(ModuleError::parse(
            path,
            "not a Safari BrowserState database (no tabs table)",
        ));
    }
    let visible = if db.has_column("tabs", "user_visible_url") {
        "tabs.user_visible_url"
    } else {
        "NULL"
    };
    let q = if tables.contains("tab_sessions") {
        format!(
            "SELECT tabs.title, tabs.url, {visible}, tabs.last_viewed_time, tab_sessions.session_data \
             FROM tabs LEFT JOIN tab_sessions ON tabs.uuid = tab_sessions.tab_uuid ORDER BY tabs.last_viewed_time"
        )
    } else if db.has_column("tabs", "session_data") {
        format!(
            "SELECT title, url, {visible}, last_viewed_time, session_data FROM tabs ORDER BY last_viewed_time"
        )
    } else {
        format!(
            "SELECT title, url, {visible}, last_viewed_time, NULL FROM tabs ORDER BY last_viewed_time"
        )
    };
    let mut st = db.conn().prepare(&q).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let get = |i| r.get_ref(i).map_err(|e| db.err(e));
        let title = sql_string(get(0)?);
        let url = sql_string(get(1)?);
        let visible_url = sql_string(get(2)?);
        let ts = sql_f64(get(3)?).and_then(time::from_mac_absolute);
        let entries = match get(4)? {
            rusqlite::types::ValueRef::Blob(b) if !b.is_empty() => match session_entries(b) {
                Ok(e) => e,
                Err(e) => {
                    out.warn(format!(
                        "{path}: tab {}: {e}",
                        url.as_deref().unwrap_or("?")
                    ));
                    Vec::new()
                }
            },
            _ => Vec::new(),
        };
        let rec = record! {
            "tab_title" => title,
            "tab_url" => url,
            "tab_visible_url" => visible_url,
            "last_viewed_timestamp" => time::format_opt(ts),
            "session_data" => entries,
            "safari_browser_state_db" => path,
        };
        out.record(&rec);
        out.timeline(
            ts,
            "tab",
            format!(
                "{} - {}",
                title.as_deref().unwrap_or(""),
                url.as_deref().unwrap_or("")
            ),
        );

        let mut urls: Vec<String> = [url, visible_url].into_iter().flatten().collect();
        for e in &entries {
            for k in ["entry_url", "entry_original_url"] {
                if let Some(u) = e[k].as_str() {
                    urls.push(u.to_string());
                }
            }
        }
        urls.sort();
        urls.dedup();
        let mut seen = std::collections::HashSet::new();
        for u in urls.iter().filter(|u| !u.is_empty()) {
            let fresh: Vec<_> = ctx
                .iocs
                .match_url(u)
                .into_iter()
                .filter(|m| seen.insert((m.kind, m.value.clone())))
                .collect();
            out.ioc_alerts(
                &fresh,
                &format!("Safari tab or tab history URL {u}"),
                ts,
                &rec,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{evil, run};
    use telltale_core::Level;
    use telltale_testkit::ios_web::{
        BrowserStateVariant, SafariBrowserState as B, utc, write_garbage,
    };

    #[test]
    fn tab_and_session_urls_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        B::new()
            .tab(
                "NSO is bad",
                "https://en.wikipedia.org/wiki/NSO_Group",
                utc("2021-09-01T10:00:00Z"),
                &[("https://en.wikipedia.org/wiki/NSO_Group", "NSO Group")],
            )
            .tab(
                "News",
                "https://news.example.org/",
                utc("2021-09-01T11:00:00Z"),
                &[
                    ("https://news.example.org/", "News"),
                    ("https://redirect.evil.com/p", "loading"),
                ],
            )
            .tab(
                "x",
                "https://notevil.com/",
                utc("2021-09-01T12:00:00Z"),
                &[],
            )
            .write_in(dir.path());
        let r = run(&SafariBrowserState, dir.path(), &evil());
        assert!(r.is_ok());
        assert_eq!(r.records.len(), 3);
        assert_eq!(
            r.records[1]["session_data"][1]["entry_url"],
            "https://redirect.evil.com/p"
        );
        assert_eq!(r.records[1]["session_data"][1]["entry_title"], "loading");
        let high = r.at(Level::Critical);
        assert_eq!(high.len(), 1, "{:?}", r.alerts);
        assert_eq!(high[0].event["tab_url"], "https://news.example.org/");
        assert_eq!(
            high[0].matched_indicator.as_ref().unwrap().value,
            "evil.com"
        );
        assert_eq!(r.timeline.len(), 3);
        assert_eq!(
            r.records[0]["last_viewed_timestamp"],
            "2021-09-01 10:00:00.000000"
        );
    }

    #[test]
    fn legacy_schema_and_bad_session_blob() {
        let dir = tempfile::tempdir().unwrap();
        B::new()
            .variant(BrowserStateVariant::Legacy)
            .tab(
                "evil",
                "https://evil.com/",
                utc("2018-01-01T00:00:00Z"),
                &[("https://evil.com/", "e")],
            )
            .tab_raw_session(
                "broken",
                "https://ok.example/",
                utc("2018-01-02T00:00:00Z"),
                b"\0\0\0\x02bplist00garbage",
            )
            .write_in(dir.path());
        let r = run(&SafariBrowserState, dir.path(), &evil());
        assert!(r.is_ok());
        assert_eq!(r.records.len(), 2);
        assert_eq!(
            r.at(Level::Critical).len(),
            1,
            "tab and session URL give one alert per indicator"
        );
        assert_eq!(r.outcome.warnings.len(), 1);
    }

    #[test]
    fn missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&SafariBrowserState, dir.path(), &evil()).is_no_data());
        write_garbage(&dir.path().join(B::LOGICAL_PATH));
        let r = run(&SafariBrowserState, dir.path(), &evil());
        assert!(r.failed().unwrap().contains("BrowserState.db"));
    }
}
