//! chrome_favicon: Chrome for iOS' `Favicons` database. One record per page → icon mapping
//! (icon_mapping ⟕ favicons ⟕ favicon_bitmaps); page and icon URLs are checked against the indicators.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use crate::util::{each_artifact, open_db, sql_i64, sql_string};

pub struct ChromeFavicon;

const PATTERNS: &[&str] =
    &["AppDomain-com.google.chrome.ios/Library/Application Support/Google/Chrome/Default/Favicons"];

impl Module for ChromeFavicon {
    fn name(&self) -> &'static str {
        "chrome_favicon"
    }
    fn description(&self) -> &'static str {
        "Chrome for iOS favicon cache (Favicons): page and icon URLs checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "Chrome is not in this acquisition (no Favicons database)",
            |p, out| process(ctx, p, out),
        )
    }
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let db = open_db(ctx.evidence, path, out)?;
    let tables = db.tables()?;
    if !tables.contains("icon_mapping") || !tables.contains("favicons") {
        return Err(ModuleError::parse(
            path,
            "not a Chrome favicon database (no icon_mapping/favicons)",
        ));
    }
    let (join, updated, requested) = if tables.contains("favicon_bitmaps") {
        let req = if db.has_column("favicon_bitmaps", "last_requested") {
            "favicon_bitmaps.last_requested"
        } else {
            "0"
        };
        (
            "LEFT JOIN favicon_bitmaps ON icon_mapping.icon_id = favicon_bitmaps.icon_id",
            "favicon_bitmaps.last_updated",
            req,
        )
    } else {
        ("", "0", "0")
    };
    let q = format!(
        "SELECT icon_mapping.page_url, favicons.url, {updated}, {requested} FROM icon_mapping \
         JOIN favicons ON icon_mapping.icon_id = favicons.id {join} ORDER BY icon_mapping.id"
    );
    let mut st = db.conn().prepare(&q).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    let mut recs = Vec::new();
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let get = |i| r.get_ref(i).map_err(|e| db.err(e));
        let page = sql_string(get(0)?).unwrap_or_default();
        let icon = sql_string(get(1)?).unwrap_or_default();
        let updated = sql_i64(get(2)?).unwrap_or(0);
        let raw = if updated != 0 {
            updated
        } else {
            sql_i64(get(3)?).unwrap_or(0)
        };
        recs.push((page, icon, raw));
    }
    recs.sort_by_key(|r| r.2);
    for (page, icon, raw) in recs {
        let ts = time::from_webkit(raw);
        let rec = record! {
            "url" => page,
            "icon_url" => icon,
            "timestamp" => raw,
            "isodate" => time::format_opt(ts),
        };
        out.record(&rec);
        out.timeline(ts, "new_favicon", format!("{icon} from {page}"));
        let mut m = ctx.iocs.match_url(&page);
        m.extend(ctx.iocs.match_url(&icon));
        crate::util::dedup_matches(&mut m);
        out.ioc_alerts(
            &m,
            &format!("Chrome favicon {icon} of page {page}"),
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
    use telltale_testkit::ios_web::{ChromeFavicons as F, ChromeVariant, utc, write_garbage};

    #[test]
    fn page_or_icon_on_indicator_is_high() {
        for v in [ChromeVariant::Modern, ChromeVariant::Legacy] {
            let dir = tempfile::tempdir().unwrap();
            F::new()
                .variant(v)
                .icon(
                    "https://en.wikipedia.org/wiki/NSO_Group",
                    "https://en.wikipedia.org/favicon.ico",
                    utc("2021-07-01T10:00:00Z"),
                )
                .icon(
                    "https://news.example.org/",
                    "https://cdn.evil.com/f.ico",
                    utc("2021-07-01T10:01:00Z"),
                )
                .icon(
                    "https://notevil.com/",
                    "https://notevil.com/favicon.ico",
                    utc("2021-07-01T10:02:00Z"),
                )
                .write_in(dir.path());
            let r = run(&ChromeFavicon, dir.path(), &evil());
            assert!(r.is_ok());
            assert_eq!(r.records.len(), 3);
            assert_eq!(r.records[1]["isodate"], "2021-07-01 10:01:00.000000");
            let high = r.at(Level::Critical);
            assert_eq!(high.len(), 1, "{:?}", r.alerts);
            assert_eq!(high[0].event["icon_url"], "https://cdn.evil.com/f.ico");
        }
    }

    #[test]
    fn missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&ChromeFavicon, dir.path(), &evil()).is_no_data());
        write_garbage(&dir.path().join(F::LOGICAL_PATH));
        assert!(
            run(&ChromeFavicon, dir.path(), &evil())
                .failed()
                .unwrap()
                .contains("Favicons")
        );
    }
}
