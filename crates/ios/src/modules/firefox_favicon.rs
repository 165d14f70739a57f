//! firefox_favicon: favicons of Firefox for iOS' `browser.db` (favicons ⟕ favicon_sites ⟕ history).
//! Icon and page URLs are checked against the indicators.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use super::firefox_history::{PATTERNS, firefox_time};
use crate::util::{dedup_matches, each_artifact, open_db, sql_f64, sql_i64, sql_string};

pub struct FirefoxFavicon;

impl Module for FirefoxFavicon {
    fn name(&self) -> &'static str {
        "firefox_favicon"
    }
    fn description(&self) -> &'static str {
        "Firefox for iOS favicons (browser.db): icon and page URLs checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "Firefox is not in this acquisition (no browser.db)",
            |p, out| process(ctx, p, out),
        )
    }
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let db = open_db(ctx.evidence, path, out)?;
    let tables = db.tables()?;
    if !tables.contains("favicons")
        || !tables.contains("favicon_sites")
        || !tables.contains("history")
    {
        return Err(ModuleError::parse(
            path,
            "not a Firefox browser database (no favicons/favicon_sites/history)",
        ));
    }
    let q = "SELECT favicons.id, favicons.url, favicons.width, favicons.height, favicons.type, favicons.date, \
             history.id, history.url FROM favicons \
             JOIN favicon_sites ON favicon_sites.faviconID = favicons.id \
             JOIN history ON favicon_sites.siteID = history.id ORDER BY favicons.date";
    let mut st = db.conn().prepare(q).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let get = |i| r.get_ref(i).map_err(|e| db.err(e));
        let url = sql_string(get(1)?).unwrap_or_default();
        let history_url = sql_string(get(7)?).unwrap_or_default();
        let ts = sql_f64(get(5)?).and_then(firefox_time);
        let rec = record! {
            "id" => sql_i64(get(0)?),
            "url" => url,
            "width" => sql_i64(get(2)?),
            "height" => sql_i64(get(3)?),
            "type" => sql_i64(get(4)?),
            "isodate" => time::format_opt(ts),
            "history_id" => sql_i64(get(6)?),
            "history_url" => history_url,
        };
        out.record(&rec);
        out.timeline(
            ts,
            "firefox_favicon",
            format!("Firefox favicon {url} when visiting {history_url}"),
        );
        let mut m = ctx.iocs.match_url(&url);
        m.extend(ctx.iocs.match_url(&history_url));
        dedup_matches(&mut m);
        out.ioc_alerts(
            &m,
            &format!("Firefox favicon {url} of page {history_url}"),
            ts,
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
    use telltale_testkit::ios_web::{FirefoxBrowser as F, FirefoxVariant, utc, write_garbage};

    #[test]
    fn icon_or_page_on_indicator_is_high() {
        for v in [FirefoxVariant::Modern, FirefoxVariant::Legacy] {
            let dir = tempfile::tempdir().unwrap();
            F::new()
                .variant(v)
                .visit(
                    "https://en.wikipedia.org/wiki/NSO_Group",
                    "NSO",
                    utc("2021-07-01T10:00:00Z"),
                )
                .favicon(
                    "https://en.wikipedia.org/wiki/NSO_Group",
                    "https://en.wikipedia.org/favicon.ico",
                    utc("2021-07-01T10:00:00Z"),
                )
                .favicon(
                    "https://page.evil.com/",
                    "https://page.evil.com/favicon.ico",
                    utc("2021-07-01T10:01:00Z"),
                )
                .favicon(
                    "https://notevil.com/",
                    "https://notevil.com/favicon.ico",
                    utc("2021-07-01T10:02:00Z"),
                )
                .write_in(dir.path());
            let r = run(&FirefoxFavicon, dir.path(), &evil());
            assert!(r.is_ok());
            assert_eq!(r.records.len(), 3);
            assert_eq!(r.records[1]["isodate"], "2021-07-01 10:01:00.000000");
            let high = r.at(Level::Critical);
            assert_eq!(high.len(), 1, "{:?}", r.alerts);
            assert_eq!(high[0].event["history_url"], "https://page.evil.com/");
        }
    }

    #[test]
    fn missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&FirefoxFavicon, dir.path(), &evil()).is_no_data());
        write_garbage(&dir.path().join(F::LOGICAL_PATH));
        assert!(
            run(&FirefoxFavicon, dir.path(), &evil())
                .failed()
                .unwrap()
                .contains("browser.db")
        );
    }
}
