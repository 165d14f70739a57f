//! firefox_history: Firefox for iOS' `browser.db` (in its app group). One record per visit
//! (history ⟕ visits, microseconds since 1970); every URL is checked against the indicators.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use crate::util::{each_artifact, open_db, sql_f64, sql_i64, sql_string};

pub struct FirefoxHistory;

/// Firefox, Firefox Beta and other Mozilla builds keep `profile.profile/browser.db` in their app group.
pub(crate) const PATTERNS: &[&str] =
    &["AppDomainGroup-group.org.mozilla.ios.*/profile.profile/browser.db"];

/// Firefox timestamps: microseconds since 1970 normally; milliseconds or seconds accepted by magnitude.
pub(crate) fn firefox_time(v: f64) -> Option<jiff::Timestamp> {
    let a = v.abs();
    if a > 1e14 {
        time::from_unix(v / 1e6)
    } else if a > 1e11 {
        time::from_unix(v / 1e3)
    } else if v != 0.0 {
        time::from_unix(v)
    } else {
        None
    }
}

impl Module for FirefoxHistory {
    fn name(&self) -> &'static str {
        "firefox_history"
    }
    fn description(&self) -> &'static str {
        "Firefox for iOS visits (browser.db): URLs checked against indicators"
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
    if !tables.contains("history") || !tables.contains("visits") {
        return Err(ModuleError::parse(
            path,
            "not a Firefox browser database (no history/visits)",
        ));
    }
    let q = "SELECT visits.id, visits.date, history.url, history.title, visits.is_local, visits.type \
             FROM visits JOIN history ON visits.siteID = history.id ORDER BY visits.date";
    let mut st = db.conn().prepare(q).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let get = |i| r.get_ref(i).map_err(|e| db.err(e));
        let id = sql_i64(get(0)?);
        let ts = sql_f64(get(1)?).and_then(firefox_time);
        let url = sql_string(get(2)?).unwrap_or_default();
        let rec = record! {
            "id" => id,
            "isodate" => time::format_opt(ts),
            "url" => url,
            "title" => sql_string(get(3)?),
            "is_local" => sql_i64(get(4)?),
            "type" => sql_i64(get(5)?),
            "firefox_db" => path,
        };
        out.record(&rec);
        out.timeline(
            ts,
            "firefox_history",
            format!("Firefox visit with ID {} to URL: {url}", id.unwrap_or(0)),
        );
        let m = ctx.iocs.match_url(&url);
        out.ioc_alerts(&m, &format!("Firefox visit to {url}"), ts, &rec);
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
    fn indicator_visit_is_high() {
        for v in [FirefoxVariant::Modern, FirefoxVariant::Legacy] {
            let dir = tempfile::tempdir().unwrap();
            F::new()
                .variant(v)
                .visit(
                    "https://en.wikipedia.org/wiki/NSO_Group",
                    "NSO Group",
                    utc("2021-07-01T10:00:00Z"),
                )
                .visit("https://notevil.com/", "fine", utc("2021-07-01T10:01:00Z"))
                .visit("https://evil.com/a", "bad", utc("2021-07-01T10:02:00.25Z"))
                .write_in(dir.path());
            let r = run(&FirefoxHistory, dir.path(), &evil());
            assert!(r.is_ok());
            assert_eq!(r.records.len(), 3);
            assert_eq!(r.records[2]["isodate"], "2021-07-01 10:02:00.250000");
            let high = r.at(Level::Critical);
            assert_eq!(high.len(), 1, "{v:?} {:?}", r.alerts);
            assert_eq!(high[0].event["url"], "https://evil.com/a");
        }
    }

    #[test]
    fn missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&FirefoxHistory, dir.path(), &evil()).is_no_data());
        write_garbage(&dir.path().join(F::LOGICAL_PATH));
        assert!(
            run(&FirefoxHistory, dir.path(), &evil())
                .failed()
                .unwrap()
                .contains("browser.db")
        );
    }

    #[test]
    fn time_magnitudes() {
        let t = utc("2021-07-01T10:00:00Z");
        let s = t.as_second() as f64;
        assert_eq!(firefox_time(s * 1e6), Some(t));
        assert_eq!(firefox_time(s * 1e3), Some(t));
        assert_eq!(firefox_time(s), Some(t));
        assert_eq!(firefox_time(0.0), None);
    }
}
