//! safari_history: Safari's `History.db` (default profile and iOS 17+ profiles). One record per visit
//! (history_items ⟕ history_visits); every URL is checked against the indicators, and plain-http visits
//! redirected to another domain in under a second are flagged as possible network injection.

use std::collections::HashMap;

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record, sqlite, time};

use crate::util::{
    col_or_null, each_artifact, read_lazily, same_site, sql_f64, sql_i64, sql_string, url_host,
};

pub struct SafariHistory;

const PATTERNS: &[&str] = &[
    "HomeDomain/Library/Safari/History.db",
    "HomeDomain/Library/Safari/Profiles/*/History.db",
];

struct Visit {
    id: i64,
    url: String,
    visit_id: i64,
    time: f64,
    redirect_source: Option<i64>,
    redirect_destination: Option<i64>,
    title: Option<String>,
    load_successful: Option<bool>,
}

impl Module for SafariHistory {
    fn name(&self) -> &'static str {
        "safari_history"
    }
    fn description(&self) -> &'static str {
        "Safari visits (History.db): URLs checked against indicators; fast cross-domain redirects of http visits flagged"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "no Safari History.db in this backup",
            |p, out| process(ctx, p, out),
        )
    }
}

fn read_visits(db: &sqlite::ForensicDb, path: &str) -> Result<Vec<Visit>, ModuleError> {
    let tables = db.tables()?;
    if !tables.contains("history_items") || !tables.contains("history_visits") {
        return Err(ModuleError::parse(
            path,
            "not a Safari history database (no history_items/history_visits)",
        ));
    }
    let cols = db.columns("history_visits")?;
    let opt = |c: &str| col_or_null(&cols, "history_visits", c);
    let q = format!(
        "SELECT history_items.id, history_items.url, history_visits.id, history_visits.visit_time, {}, {}, {}, {} \
         FROM history_items JOIN history_visits ON history_visits.history_item = history_items.id \
         ORDER BY history_visits.visit_time",
        opt("redirect_source"),
        opt("redirect_destination"),
        opt("title"),
        opt("load_successful"),
    );
    let mut st = db.conn().prepare(&q).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    let mut visits = Vec::new();
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let get = |i| r.get_ref(i).map_err(|e| db.err(e));
        visits.push(Visit {
            id: sql_i64(get(0)?).unwrap_or_default(),
            url: sql_string(get(1)?).unwrap_or_default(),
            visit_id: sql_i64(get(2)?).unwrap_or_default(),
            time: sql_f64(get(3)?).unwrap_or_default(),
            redirect_source: sql_i64(get(4)?),
            redirect_destination: sql_i64(get(5)?),
            title: sql_string(get(6)?),
            load_successful: sql_i64(get(7)?).map(|v| v != 0),
        });
    }
    Ok(visits)
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    // Collected before anything is emitted: read without the up-front integrity check, and again from the
    // recovered copy if reading meets damage.
    let visits = read_lazily(ctx.evidence, out, path, |db| read_visits(db, path))?;
    let by_visit: HashMap<i64, usize> = visits
        .iter()
        .enumerate()
        .map(|(i, v)| (v.visit_id, i))
        .collect();

    for v in &visits {
        let ts = time::from_mac_absolute(v.time);
        let mut rec = record! {
            "id" => v.id,
            "url" => v.url,
            "visit_id" => v.visit_id,
            "timestamp" => v.time,
            "isodate" => time::format_opt(ts),
            "redirect_source" => v.redirect_source,
            "redirect_destination" => v.redirect_destination,
            "safari_history_db" => path,
        };
        if let Some(t) = &v.title {
            rec.insert("title".into(), t.clone().into());
        }
        if let Some(ok) = v.load_successful {
            rec.insert("load_successful".into(), ok.into());
        }
        out.record(&rec);
        out.timeline(
            ts,
            "safari_history",
            format!(
                "Safari visit to {} (ID: {}, Visit ID: {})",
                v.url, v.id, v.visit_id
            ),
        );
        let matches = ctx.iocs.match_url(&v.url);
        out.ioc_alerts(&matches, &format!("Safari visit to {}", v.url), ts, &rec);

        // Network injection heuristic: an http:// visit redirected to another domain within a second.
        if !v.url.to_ascii_lowercase().starts_with("http://") {
            continue;
        }
        let Some(dest) = v
            .redirect_destination
            .and_then(|d| by_visit.get(&d))
            .map(|&i| &visits[i])
        else {
            continue;
        };
        let (Some(from_host), Some(to_host)) = (url_host(&v.url), url_host(&dest.url)) else {
            continue;
        };
        if same_site(&from_host, &to_host) {
            continue;
        }
        let elapsed = dest.time - v.time;
        if (0.0..1.0).contains(&elapsed) {
            let ms = (elapsed * 1000.0).round() as i64;
            out.alert(
                Level::Medium,
                format!(
                    "Unencrypted (http) visit to {} was redirected to another domain, {}, after only {ms} ms. \
                     Such an instant cross-domain redirect of a plain-http page is how network injection attacks \
                     (e.g. Pegasus delivered by a compromised network) look; check the destination.",
                    v.url, dest.url
                ),
                ts,
                &rec,
                None,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{evil, run};
    use telltale_testkit::ios_web::{SafariHistory as H, SafariHistoryVariant, utc, write_garbage};

    fn t(s: &str) -> jiff::Timestamp {
        utc(s)
    }

    #[test]
    fn indicator_visit_is_high() {
        let dir = tempfile::tempdir().unwrap();
        H::new()
            .visit_titled(
                "https://en.wikipedia.org/wiki/NSO_Group",
                t("2021-07-01T10:00:00Z"),
                "NSO Group - Wikipedia",
            )
            .visit(
                "https://sub.evil.com/landing?x=1",
                t("2021-07-01T10:05:00Z"),
            )
            .visit("https://notevil.com/", t("2021-07-01T10:06:00Z"))
            .write_in(dir.path());
        let r = run(&SafariHistory, dir.path(), &evil());
        assert!(r.is_ok());
        assert_eq!(r.records.len(), 3);
        assert_eq!(r.records[0]["title"], "NSO Group - Wikipedia");
        assert_eq!(r.records[1]["isodate"], "2021-07-01 10:05:00.000000");
        let high = r.at(Level::Critical);
        assert_eq!(high.len(), 1, "{:?}", r.alerts);
        assert_eq!(high[0].event["url"], "https://sub.evil.com/landing?x=1");
        assert_eq!(
            high[0].matched_indicator.as_ref().unwrap().value,
            "evil.com"
        );
        assert_eq!(r.timeline.len(), 3);
    }

    #[test]
    fn fast_cross_domain_http_redirect_is_medium() {
        let dir = tempfile::tempdir().unwrap();
        H::new()
            .visit("http://news.example.org/", t("2021-07-01T10:00:00.000Z"))
            .visit(
                "https://injected.example.net/x",
                t("2021-07-01T10:00:00.300Z"),
            )
            .redirect(1, 2)
            .write_in(dir.path());
        let r = run(&SafariHistory, dir.path(), &evil());
        let med = r.at(Level::Medium);
        assert_eq!(med.len(), 1, "{:?}", r.alerts);
        assert!(med[0].message.contains("300 ms"));
        assert_eq!(med[0].event["url"], "http://news.example.org/");
        assert!(r.at(Level::High).is_empty());
    }

    #[test]
    fn redirect_to_indicator_domain_is_high_too() {
        let dir = tempfile::tempdir().unwrap();
        H::new()
            .visit("http://news.example.org/", t("2021-07-01T10:00:00.000Z"))
            .visit("https://evil.com/stage1", t("2021-07-01T10:00:00.100Z"))
            .redirect(1, 2)
            .write_in(dir.path());
        let r = run(&SafariHistory, dir.path(), &evil());
        assert_eq!(r.at(Level::Medium).len(), 1);
        assert_eq!(r.at(Level::Critical).len(), 1);
        assert_eq!(
            r.at(Level::Critical)[0].event["url"],
            "https://evil.com/stage1"
        );
    }

    #[test]
    fn benign_redirects_raise_nothing() {
        let dir = tempfile::tempdir().unwrap();
        H::new()
            // https redirect to another domain
            .visit("https://a.example.org/", t("2021-07-01T10:00:00.000Z"))
            .visit("https://b.example.net/", t("2021-07-01T10:00:00.200Z"))
            // http → https upgrade on the same site
            .visit("http://example.com/", t("2021-07-01T11:00:00.000Z"))
            .visit("https://www.example.com/", t("2021-07-01T11:00:00.100Z"))
            // cross-domain http redirect after 5 s
            .visit("http://slow.example.org/", t("2021-07-01T12:00:00Z"))
            .visit("https://other.example.net/", t("2021-07-01T12:00:05Z"))
            .visit(
                "https://en.wikipedia.org/wiki/NSO_Group",
                t("2021-07-01T13:00:00Z"),
            )
            .redirect(1, 2)
            .redirect(3, 4)
            .redirect(5, 6)
            .write_in(dir.path());
        let r = run(&SafariHistory, dir.path(), &evil());
        assert!(r.is_ok());
        assert_eq!(r.records.len(), 7);
        assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    }

    #[test]
    fn legacy_schema_and_profiles() {
        let dir = tempfile::tempdir().unwrap();
        H::new()
            .variant(SafariHistoryVariant::Legacy)
            .visit("https://evil.com/", t("2019-01-01T00:00:00Z"))
            .write_in(dir.path());
        H::new()
            .visit("https://ok.example/", t("2024-01-01T00:00:00Z"))
            .write(
                &dir.path()
                    .join("HomeDomain/Library/Safari/Profiles/ABCD/History.db"),
            );
        let r = run(&SafariHistory, dir.path(), &evil());
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.at(Level::Critical).len(), 1);
        assert!(
            r.records[1]["safari_history_db"]
                .as_str()
                .unwrap()
                .contains("Profiles/ABCD")
        );
    }

    #[test]
    fn truncated_database_is_recovered_or_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = H::new();
        for i in 0..5000 {
            h.push(
                &format!("https://site{i}.example/"),
                t("2021-07-01T10:00:00Z"),
                Some("title"),
            );
        }
        h.push("https://evil.com/", t("2021-07-01T11:00:00Z"), None);
        let p = h.write_in(dir.path());
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let r = run(&SafariHistory, dir.path(), &evil());
        match r.failed() {
            Some(msg) => assert!(msg.contains("History.db"), "{msg}"),
            None => assert!(!r.outcome.warnings.is_empty(), "damage is reported"),
        }
    }

    #[test]
    fn missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&SafariHistory, dir.path(), &evil()).is_no_data());
        write_garbage(&dir.path().join(H::LOGICAL_PATH));
        let r = run(&SafariHistory, dir.path(), &evil());
        let msg = r.failed().expect("fails");
        assert!(msg.contains("History.db"), "{msg}");
    }
}
