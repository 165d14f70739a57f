//! cache_files: NSURLCache databases (`Cache.db`, table `cfurl_cache_response`) anywhere in a
//! filesystem dump: every app keeps its own (`…/Library/Caches/<bundle>/Cache.db`), and a WebView app's
//! cache can hold the URL of an exploit page.
//!
//! One record per cached response (MVT's `entry_id`, `version`, `hash_value`, `storage_policy`, `url`,
//! `isodate`, and `cache_file`); columns are read by name, not by position. The URL's host is checked
//! against domain indicators (CRITICAL, as MVT): an indicator domain that only appears inside the URL
//! (a search for it, `?q=evil.com`) does not match.

use telltale_core::{EntryKind, Module, ModuleContext, ModuleError, record, time};

use crate::util::{col_or_null, each_file, open_db, sql_i64, sql_string, sql_to_json};

pub struct CacheFiles;

/// The cache's file name.
pub const NAME: &str = "Cache.db";

/// `time_stamp` is SQLite's `CURRENT_TIMESTAMP`: `YYYY-MM-DD HH:MM:SS`, UTC.
fn parse_time(s: &str) -> Option<jiff::Timestamp> {
    let dt: jiff::civil::DateTime = s.trim().replace(' ', "T").parse().ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()
}

impl Module for CacheFiles {
    fn name(&self) -> &'static str {
        "cache_files"
    }
    fn description(&self) -> &'static str {
        "Cached web responses (every Cache.db of the dump): URL hosts checked against indicators"
    }
    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        out: &mut telltale_core::Emitter<'_>,
    ) -> Result<(), ModuleError> {
        let mut paths = Vec::new();
        ctx.evidence.walk("", &mut |e| {
            if e.kind == EntryKind::File && e.path.rsplit('/').next() == Some(NAME) {
                paths.push(e.path.to_string());
            }
            true
        })?;
        if paths.is_empty() {
            out.no_data("no Cache.db in the acquisition");
            return Ok(());
        }
        each_file(&paths, out, |path, out| {
            let db = open_db(ctx.evidence, path, out)?;
            if !db.has_table("cfurl_cache_response") {
                out.warn(format!("{path}: no cfurl_cache_response table"));
                return Ok(());
            }
            let cols = db.columns("cfurl_cache_response")?;
            let c = |n: &str| col_or_null(&cols, "", n);
            let q = format!(
                "SELECT {}, {}, {}, {}, {}, {} FROM cfurl_cache_response ORDER BY {}",
                c("entry_ID"),
                c("version"),
                c("hash_value"),
                c("storage_policy"),
                c("request_key"),
                c("time_stamp"),
                c("entry_ID"),
            );
            let mut st = db.conn().prepare(&q).map_err(|e| db.err(e))?;
            let mut rows = st.query([]).map_err(|e| db.err(e))?;
            while let Some(r) = rows.next().map_err(|e| db.err(e))? {
                let get = |i| r.get_ref(i).map_err(|e| db.err(e));
                let url = sql_string(get(4)?).unwrap_or_default();
                let stamp = sql_string(get(5)?);
                let ts = stamp.as_deref().and_then(parse_time);
                let rec = record! {
                    "entry_id" => sql_i64(get(0)?),
                    "version" => sql_to_json(get(1)?),
                    "hash_value" => sql_to_json(get(2)?),
                    "storage_policy" => sql_to_json(get(3)?),
                    "url" => url,
                    "isodate" => time::format_opt(ts).or(stamp),
                    "cache_file" => path,
                };
                out.record(&rec);
                out.timeline(
                    ts,
                    "cache_response",
                    format!("{path} recorded visit to URL {url}"),
                );
                let matches = ctx.iocs.match_url(&url);
                out.ioc_alerts(
                    &matches,
                    &format!("Cached response for {url} in {path}"),
                    ts,
                    &rec,
                );
            }
            Ok(())
        })
    }
}
