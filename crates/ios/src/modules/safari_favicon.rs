//! safari_favicon: Safari's favicon cache (`Favicons.db`: `page_url` ⨝ `icon_info`, and
//! `rejected_resources`), in the home folder (older iOS) and in app data containers (Safari's, iOS 12+).
//! It survives history clearing. One record per page/icon pair (MVT's `url`, `icon_url`, `timestamp`,
//! `isodate`, `type` valid/rejected, `safari_favicon_db_path`); the page URL and the icon URL are checked
//! against the indicators (CRITICAL, as MVT). Times are Mac absolute seconds, or Unix seconds when the
//! value is past 2001 in Unix time (as iLEAPP reads iOS 26's).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use crate::util::{dedup_matches, each_artifact, open_db, sql_f64, sql_string};

pub struct SafariFavicon;

pub const PATTERNS: &[&str] = &[
    "private/var/mobile/Library/Image Cache/Favicons/Favicons.db",
    "private/var/mobile/Containers/Data/Application/*/Library/Image Cache/Favicons/Favicons.db",
];

/// Mac absolute seconds, or Unix seconds when the value is too large to be a Mac time of this era.
fn favicon_time(v: f64) -> Option<jiff::Timestamp> {
    if v > 978_307_200.0 {
        time::from_unix(v)
    } else {
        time::from_mac_absolute(v)
    }
}

impl Module for SafariFavicon {
    fn name(&self) -> &'static str {
        "safari_favicon"
    }
    fn description(&self) -> &'static str {
        "Safari favicon cache (Favicons.db): page and icon URLs checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "no Safari Favicons.db in the acquisition",
            |p, out| process(ctx, p, out),
        )
    }
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let db = open_db(ctx.evidence, path, out)?;
    let tables = db.tables()?;
    if !tables.contains("page_url") || !tables.contains("icon_info") {
        return Err(ModuleError::parse(
            path,
            "not a favicon database (no page_url/icon_info)",
        ));
    }
    let mut queries = vec![(
        "valid",
        "SELECT page_url.url, icon_info.url, icon_info.timestamp FROM page_url \
         JOIN icon_info ON page_url.uuid = icon_info.uuid ORDER BY icon_info.timestamp",
    )];
    if tables.contains("rejected_resources") {
        queries.push((
            "rejected",
            "SELECT page_url, icon_url, timestamp FROM rejected_resources ORDER BY timestamp",
        ));
    }
    for (kind, q) in queries {
        let mut st = db.conn().prepare(q).map_err(|e| db.err(e))?;
        let mut rows = st.query([]).map_err(|e| db.err(e))?;
        while let Some(r) = rows.next().map_err(|e| db.err(e))? {
            let get = |i| r.get_ref(i).map_err(|e| db.err(e));
            let url = sql_string(get(0)?).unwrap_or_default();
            let icon = sql_string(get(1)?).unwrap_or_default();
            let raw = sql_f64(get(2)?);
            let ts = raw.and_then(favicon_time);
            let rec = record! {
                "url" => url,
                "icon_url" => icon,
                "timestamp" => raw,
                "isodate" => time::format_opt(ts),
                "type" => kind,
                "safari_favicon_db_path" => path,
            };
            out.record(&rec);
            out.timeline(
                ts,
                "safari_favicon",
                format!("Safari favicon from {url} with icon URL {icon} ({kind})"),
            );
            let mut matches = ctx.iocs.match_url(&url);
            matches.extend(ctx.iocs.match_url(&icon));
            dedup_matches(&mut matches);
            out.ioc_alerts(
                &matches,
                &format!("Safari favicon of {url} (icon {icon})"),
                ts,
                &rec,
            );
        }
    }
    Ok(())
}
