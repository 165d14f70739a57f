//! chrome_history: Chrome for iOS' `History` database. One record per visit (urls ⟕ visits, WebKit
//! microsecond times); every URL is checked against the indicators.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use crate::util::{each_artifact, open_db, sql_i64, sql_string};

pub struct ChromeHistory;

const PATTERNS: &[&str] =
    &["AppDomain-com.google.chrome.ios/Library/Application Support/Google/Chrome/Default/History"];

impl Module for ChromeHistory {
    fn name(&self) -> &'static str {
        "chrome_history"
    }
    fn description(&self) -> &'static str {
        "Chrome for iOS visits (History): URLs checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "Chrome is not in this acquisition (no History database)",
            |p, out| process(ctx, p, out),
        )
    }
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let db = open_db(ctx.evidence, path, out)?;
    let tables = db.tables()?;
    if !tables.contains("urls") || !tables.contains("visits") {
        return Err(ModuleError::parse(
            path,
            "not a Chrome history database (no urls/visits)",
        ));
    }
    let from = if db.has_column("visits", "from_visit") {
        "visits.from_visit"
    } else {
        "NULL"
    };
    let title = if db.has_column("urls", "title") {
        "urls.title"
    } else {
        "NULL"
    };
    let q = format!(
        "SELECT urls.id, urls.url, visits.id, visits.visit_time, {from}, {title} \
         FROM urls JOIN visits ON visits.url = urls.id ORDER BY visits.visit_time"
    );
    let mut st = db.conn().prepare(&q).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let get = |i| r.get_ref(i).map_err(|e| db.err(e));
        let id = sql_i64(get(0)?);
        let url = sql_string(get(1)?).unwrap_or_default();
        let visit_id = sql_i64(get(2)?);
        let raw = sql_i64(get(3)?).unwrap_or(0);
        let source = sql_i64(get(4)?);
        let ts = time::from_webkit(raw);
        let rec = record! {
            "id" => id,
            "url" => url,
            "visit_id" => visit_id,
            "timestamp" => raw,
            "isodate" => time::format_opt(ts),
            "redirect_source" => source,
            "title" => sql_string(get(5)?),
        };
        out.record(&rec);
        out.timeline(
            ts,
            "visit",
            format!(
                "{} - {url} (visit ID: {}, redirect source: {})",
                id.unwrap_or(0),
                visit_id.unwrap_or(0),
                source.unwrap_or(0)
            ),
        );
        let m = ctx.iocs.match_url(&url);
        out.ioc_alerts(&m, &format!("Chrome visit to {url}"), ts, &rec);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{evil, run};
    use telltale_core::Level;
    use telltale_testkit::ios_web::{ChromeHistory as C, ChromeVariant, utc, write_garbage};

    #[test]
    fn indicator_visit_is_high() {
        for v in [ChromeVariant::Modern, ChromeVariant::Legacy] {
            let dir = tempfile::tempdir().unwrap();
            C::new()
                .variant(v)
                .visit(
                    "https://en.wikipedia.org/wiki/NSO_Group",
                    "NSO Group",
                    utc("2021-07-01T10:00:00Z"),
                )
                .visit("https://notevil.com/", "fine", utc("2021-07-01T10:01:00Z"))
                .visit_from("https://evil.com/a", "", utc("2021-07-01T10:02:00.5Z"), 2)
                .write_in(dir.path());
            let r = run(&ChromeHistory, dir.path(), &evil());
            assert!(r.is_ok());
            assert_eq!(r.records.len(), 3);
            assert_eq!(r.records[2]["isodate"], "2021-07-01 10:02:00.500000");
            assert_eq!(r.records[2]["redirect_source"], 2);
            let high = r.at(Level::Critical);
            assert_eq!(high.len(), 1, "{v:?} {:?}", r.alerts);
            assert_eq!(high[0].event["url"], "https://evil.com/a");
            assert_eq!(r.timeline.len(), 3);
        }
    }

    #[test]
    fn missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&ChromeHistory, dir.path(), &evil()).is_no_data());
        write_garbage(&dir.path().join(C::LOGICAL_PATH));
        assert!(
            run(&ChromeHistory, dir.path(), &evil())
                .failed()
                .unwrap()
                .contains("Chrome/Default/History")
        );
    }
}
