//! analytics: the Security framework's SFAnalytics databases (`private/var/Keychains/Analytics/*.db`,
//! one per client: `ckks_analytics`, `trust_analytics`, `networking_analytics` …). Each event is a
//! binary property list (`eventType`, `eventTime` in Unix milliseconds, `build`, `product` and the
//! event's own attributes) in the tables `hard_failures`, `soft_failures`, `notes` and, in older
//! versions, `all_events`; `timestamp` is Unix seconds.
//!
//! One record per event (its property-list keys, `isodate`, `artifact`, `table`). Every text value, at
//! any depth, is checked against process indicators (exact name), and values that are a URL or a host
//! name against domain indicators (CRITICAL, as MVT). MVT reads neither `notes` nor nested values, and
//! searches free text for domains (which makes false positives); telltale reads all three event tables
//! and matches domains only in values that are URLs or host names.

use serde_json::Value;
use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record, time};
use telltale_ioc::Match;

use crate::nska::{parse_plist, plist_to_json};
use crate::util::{dedup_matches, each_artifact, open_db, sql_f64};

pub struct Analytics;

pub const PATTERNS: &[&str] = &["private/var/Keychains/Analytics/*.db"];
/// The event tables, in the order they are read.
pub const TABLES: [&str; 4] = ["hard_failures", "soft_failures", "notes", "all_events"];

/// One event of an SFAnalytics database.
pub struct Event {
    pub table: &'static str,
    pub time: Option<jiff::Timestamp>,
    pub data: Record,
}

/// Every event of the database at `path`.
pub fn read_events(
    ctx: &ModuleContext<'_>,
    path: &str,
    out: &mut Emitter<'_>,
) -> Result<Vec<Event>, ModuleError> {
    let db = open_db(ctx.evidence, path, out)?;
    let tables = db.tables()?;
    let present: Vec<&'static str> = TABLES
        .iter()
        .copied()
        .filter(|t| tables.contains(*t))
        .collect();
    if present.is_empty() {
        return Err(ModuleError::parse(
            path,
            "not an SFAnalytics database (no hard_failures, soft_failures, notes or all_events table)",
        ));
    }
    let mut events = Vec::new();
    let mut bad = 0u64;
    for table in present {
        let cols = db.columns(table)?;
        if !cols.iter().any(|c| c == "data") {
            continue;
        }
        let ts_col = if cols.iter().any(|c| c == "timestamp") {
            "timestamp"
        } else {
            "NULL"
        };
        let q = format!("SELECT {ts_col}, data FROM {table} ORDER BY rowid");
        let mut st = db.conn().prepare(&q).map_err(|e| db.err(e))?;
        let mut rows = st.query([]).map_err(|e| db.err(e))?;
        while let Some(r) = rows.next().map_err(|e| db.err(e))? {
            let time = r
                .get_ref(0)
                .ok()
                .and_then(sql_f64)
                .and_then(time::from_unix);
            let blob: Option<Vec<u8>> = r.get(1).ok();
            let mut data = match blob.as_deref().map(parse_plist) {
                Some(Ok(v)) => match plist_to_json(&v) {
                    Value::Object(m) => m,
                    other => {
                        let mut m = Record::new();
                        m.insert("value".into(), other);
                        m
                    }
                },
                Some(Err(_)) => {
                    bad += 1;
                    Record::new()
                }
                None => Record::new(),
            };
            if time.is_none() && data.is_empty() {
                continue;
            }
            data.insert("isodate".into(), time::format_opt(time).into());
            data.insert(
                "artifact".into(),
                path.rsplit('/').next().unwrap_or(path).into(),
            );
            data.insert("table".into(), table.into());
            events.push(Event { table, time, data });
        }
    }
    if bad > 0 {
        out.warn(format!(
            "{path}: {bad} events whose data is not a property list"
        ));
    }
    Ok(events)
}

/// Whether a value may be a URL or a host name (no spaces, a dot or a scheme).
fn urlish(s: &str) -> bool {
    !s.is_empty()
        && !s.contains(char::is_whitespace)
        && (s.contains("://") || (s.contains('.') && !s.starts_with('/')))
}

/// Indicator matches of every text value of an event, at any depth (bounded).
pub fn value_matches(iocs: &telltale_ioc::IocIndex, v: &Value, depth: usize, out: &mut Vec<Match>) {
    if depth > 16 {
        return;
    }
    match v {
        Value::String(s) => {
            let proc = iocs.match_process(s);
            // Exact names only: a path's basename is matched by match_process itself.
            out.extend(proc);
            if urlish(s) {
                out.extend(iocs.match_url(s));
            }
        }
        Value::Array(a) => {
            for x in a.iter().take(10_000) {
                value_matches(iocs, x, depth + 1, out);
            }
        }
        Value::Object(m) => {
            for x in m.values().take(10_000) {
                value_matches(iocs, x, depth + 1, out);
            }
        }
        _ => {}
    }
}

impl Module for Analytics {
    fn name(&self) -> &'static str {
        "analytics"
    }
    fn description(&self) -> &'static str {
        "SFAnalytics event databases (Keychains/Analytics/*.db, notes included): process names and domains against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "no SFAnalytics database in the acquisition",
            |p, out| {
                for ev in read_events(ctx, p, out)? {
                    out.record(&ev.data);
                    let artifact = ev.data.get("artifact").and_then(Value::as_str).unwrap_or(p);
                    out.timeline(
                        ev.time,
                        artifact,
                        format!(
                            "{} event {} ({})",
                            artifact,
                            ev.data
                                .get("eventType")
                                .and_then(Value::as_str)
                                .unwrap_or("without type"),
                            ev.table
                        ),
                    );
                    let mut matches = Vec::new();
                    for (k, v) in &ev.data {
                        if matches!(k.as_str(), "isodate" | "artifact" | "table") {
                            continue;
                        }
                        value_matches(ctx.iocs, v, 0, &mut matches);
                    }
                    dedup_matches(&mut matches);
                    out.ioc_alerts(
                        &matches,
                        &format!("Event of {artifact} ({})", ev.table),
                        ev.time,
                        &ev.data,
                    );
                }
                Ok(())
            },
        )
    }
}
