//! `dbinfo`: recent SQLite operations per database (`DUMP OF SERVICE dbinfo:`, `Connection pool for
//! <path>:` → `Most recently executed operations:`). Records: `isodate` (UTC), `device_time`, `action`,
//! `sql`, `path`, `pid`. Checks: `match_file_path` on the database path and `match_app_id` on each of
//! its path components (CRITICAL). Timeline: each operation.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record};

use super::{DeviceClock, Shared, dumpstate_or_no_data, fmt_ts, service_or_no_data};

pub struct DumpsysDbInfo(pub Shared);

#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    pub time: String,
    pub pid: Option<String>,
    pub action: String,
    pub sql: String,
    pub path: String,
}

/// `N: [time] [Pid:(p)]action … sql="…"`
fn parse_op(line: &str, path: &str) -> Option<Op> {
    let open = line.find('[')?;
    let close = open + line[open..].find(']')?;
    let time = line[open + 1..close].to_string();
    let digits = time.bytes().filter(u8::is_ascii_digit).count();
    if digits < 13 {
        return None;
    }
    let mut rest = line[close + 1..].trim_start();
    let mut pid = None;
    if let Some(r) = rest.strip_prefix("[Pid:(") {
        let end = r.find(")]")?;
        pid = Some(r[..end].to_string());
        rest = &r[end + 2..];
    }
    let action: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if action.is_empty() {
        return None;
    }
    let sql_start = rest.find("sql=\"")? + 5;
    let sql_rest = &rest[sql_start..];
    let sql_end = sql_rest.find("\", ").or_else(|| sql_rest.rfind('"'))?;
    Some(Op {
        time,
        pid,
        action,
        sql: sql_rest[..sql_end].to_string(),
        path: path.to_string(),
    })
}

pub fn parse(text: &str) -> Vec<Op> {
    let mut out = Vec::new();
    let mut pool: Option<String> = None;
    let mut in_ops = false;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("Connection pool for ") {
            pool = Some(p.trim_end().trim_end_matches(':').to_string());
            in_ops = false;
        }
        let Some(path) = &pool else { continue };
        if line.trim() == "Most recently executed operations:" {
            in_ops = true;
            continue;
        }
        if !in_ops {
            continue;
        }
        if !line.starts_with("        ") {
            in_ops = false;
            pool = None;
            continue;
        }
        if let Some(op) = parse_op(line, path) {
            out.push(op);
        }
    }
    out
}

impl Module for DumpsysDbInfo {
    fn name(&self) -> &'static str {
        "dbinfo"
    }
    fn description(&self) -> &'static str {
        "Recent database operations per app (dumpsys dbinfo): indicator file paths and app ids"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = service_or_no_data(&d, "dbinfo", out) else {
            return Ok(());
        };
        let clock = DeviceClock::new(ctx, Some(&d), out);
        for op in parse(&text) {
            let ts = clock.parse(&op.time);
            let mut rec = record! {
                "isodate" => fmt_ts(ts), "device_time" => op.time, "action" => op.action,
                "sql" => op.sql, "path" => op.path,
            };
            if let Some(p) = &op.pid {
                rec.insert("pid".into(), p.clone().into());
            }
            clock.note(&mut rec);
            out.timeline(
                ts,
                "database_operation",
                format!("{} on {}", op.action, op.path),
            );
            out.record(&rec);
            let mut m = ctx.iocs.match_file_path(&op.path);
            if m.is_empty() {
                m = op
                    .path
                    .split('/')
                    .filter(|p| !p.is_empty())
                    .flat_map(|p| ctx.iocs.match_app_id(p))
                    .take(1)
                    .collect();
            }
            out.ioc_alerts(&m, "Database used by an app", ts, &rec);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::bugreport::{DumpstateCache, testutil::*};
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::bugreport::Bugreport;

    const DB: &str = "Applications Database Info:\n\n** Database info for pid 8817 [com.evil.spy] **\n\nConnection pool for /data/user/0/com.evil.spy/databases/idmsdk.db:\n  Open: true\n      Most recently executed operations:\n        0: [2023-07-27 12:21:44.097] [Pid:(0)]executeForCursorWindow took 2ms - succeeded, sql=\"PRAGMA database_list;\", path=/data/user/0/com.evil.spy/databases/idmsdk.db\n        1: [07-27 12:21:44.096] executeForLong took 0ms - succeeded, sql=\"PRAGMA page_size;\", path=/x\n        2: [garbage\n  Max connections: 1\n";

    #[test]
    fn positive_negative_malformed() {
        let br = Bugreport::new().service("dbinfo", DB);
        let r = run_bugreport(
            &DumpsysDbInfo(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil.spy")]),
        );
        // A time without a year is kept (as MVT reads it) but has no UTC time.
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.records[1]["isodate"], "");
        assert_eq!(r.records[0]["sql"], "PRAGMA database_list;");
        assert_eq!(r.records[0]["pid"], "0");
        assert_eq!(r.records[0]["isodate"], "2023-07-27 12:21:44.097000");
        // Both operations are on the indicator app's database.
        assert_eq!(r.severe(), 2);
        let r = run_bugreport(
            &DumpsysDbInfo(DumpstateCache::new()),
            &br,
            &iocs(&[(
                IndicatorKind::FilePath,
                "/data/user/0/com.evil.spy/databases/idmsdk.db",
            )]),
        );
        assert_eq!(r.severe(), 2);
        let r = run_bugreport(
            &DumpsysDbInfo(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil")]),
        );
        assert_eq!(r.severe(), 0);
        assert!(parse("Connection pool for x:\nMost recently executed operations:\n        0: [2023-07-27 12:21:44.097] [Pid:(0\n").is_empty());
    }
}
