//! datausage: per-process network usage, `WirelessDomain/Library/Databases/DataUsage.sqlite`
//! (ZLIVEUSAGE ⟕ ZPROCESS, plus processes without usage rows).
//!
//! Records MVT's fields (`first_isodate`, `isodate`, `proc_name`, `bundle_id`, `proc_id`, `wifi_in`,
//! `wifi_out`, `wwan_in`, `wwan_out`, `live_id`, `live_proc_id`, `live_isodate`). Checks:
//! * process names against the process indicators and bundle names against the app-id indicators (CRITICAL);
//! * usage rows whose process row is gone (HIGH): iOS does not delete a process while keeping its usage,
//!   so this is a sign the database was edited to hide a process (as Amnesty found with Pegasus);
//! * gaps in the process ids (LOW): process rows deleted, which can be cleanup or hiding; each missing id
//!   also gets a placeholder record (`proc_name` "MISSING [follows …]"), as MVT writes;
//! * `BackupAgent` (a retired daemon replaced by BackupAgent2) with network usage (MEDIUM): a known trace
//!   of Operation Triangulation.

use std::collections::{BTreeSet, HashMap};

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, record, time};

use crate::util::{col_or_null, open_if_present, sql_f64, sql_string};

pub const PATH: &str = "WirelessDomain/Library/Databases/DataUsage.sqlite";

pub struct Datausage;

/// Most placeholder records written for one run of missing process ids.
const MAX_MISSING_RECORDS: usize = 10_000;

/// MEDIUM when `proc_name` is `BackupAgent` (a retired backup daemon, replaced by BackupAgent2, whose
/// network use is a known trace of Operation Triangulation).
pub fn backup_agent_alert(
    out: &mut Emitter<'_>,
    proc_name: &str,
    ts: Option<jiff::Timestamp>,
    rec: &Record,
) {
    if proc_name == "BackupAgent" {
        out.alert(
            Level::Medium,
            "The process BackupAgent used the network: this retired backup daemon (replaced by BackupAgent2) \
             should not, and its network use is a known trace of the Operation Triangulation spyware",
            ts,
            rec,
            None,
        );
    }
}

struct Row {
    first: Option<jiff::Timestamp>,
    last: Option<jiff::Timestamp>,
    proc_name: Option<String>,
    bundle_id: Option<String>,
    proc_id: Option<i64>,
    live_id: Option<i64>,
    live_proc_id: Option<i64>,
    live_ts: Option<jiff::Timestamp>,
    usage: [Option<f64>; 4],
}

impl Module for Datausage {
    fn name(&self) -> &'static str {
        "datausage"
    }
    fn description(&self) -> &'static str {
        "Per-process network usage (DataUsage.sqlite): process names against indicators, deleted process rows"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(db) = open_if_present(ctx, out, PATH)? else {
            return Ok(());
        };
        let pcols = db.columns("ZPROCESS")?;
        let lcols = db.columns("ZLIVEUSAGE")?;
        if pcols.is_empty() || lcols.is_empty() {
            out.no_data(format!("{PATH} has no ZPROCESS/ZLIVEUSAGE tables"));
            return Ok(());
        }
        let l = |c: &str| col_or_null(&lcols, "ZLIVEUSAGE", c);
        let p = |c: &str| col_or_null(&pcols, "ZPROCESS", c);
        let sql = format!(
            "SELECT {pf}, {pt}, {pn}, {pb}, ZPROCESS.Z_PK, {wi}, {wo}, {ni}, {no}, ZLIVEUSAGE.Z_PK, \
             ZLIVEUSAGE.ZHASPROCESS, {lt} \
             FROM ZLIVEUSAGE LEFT JOIN ZPROCESS ON ZLIVEUSAGE.ZHASPROCESS = ZPROCESS.Z_PK \
             UNION ALL \
             SELECT {pf}, {pt}, {pn}, {pb}, ZPROCESS.Z_PK, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM ZPROCESS \
             WHERE NOT EXISTS (SELECT 1 FROM ZLIVEUSAGE WHERE ZLIVEUSAGE.ZHASPROCESS = ZPROCESS.Z_PK)",
            pf = p("ZFIRSTTIMESTAMP"),
            pt = p("ZTIMESTAMP"),
            pn = p("ZPROCNAME"),
            pb = p("ZBUNDLENAME"),
            wi = l("ZWIFIIN"),
            wo = l("ZWIFIOUT"),
            ni = l("ZWWANIN"),
            no = l("ZWWANOUT"),
            lt = l("ZTIMESTAMP"),
        );
        let mut st = db.conn().prepare(&sql).map_err(|e| db.err(e))?;
        let mut q = st.query([]).map_err(|e| db.err(e))?;
        let mut rows = Vec::new();
        while let Some(r) = q.next().map_err(|e| db.err(e))? {
            let f = |i: usize| r.get_ref(i).ok().and_then(sql_f64);
            let t = |i: usize| f(i).and_then(time::from_mac_absolute);
            let s = |i: usize| r.get_ref(i).ok().and_then(sql_string);
            let id = |i: usize| f(i).map(|x| x as i64);
            rows.push(Row {
                first: t(0),
                last: t(1),
                proc_name: s(2),
                bundle_id: s(3),
                proc_id: id(4),
                usage: [f(5), f(6), f(7), f(8)],
                live_id: id(9),
                live_proc_id: id(10),
                live_ts: t(11),
            });
        }
        drop(q);

        let mut proc_ids = BTreeSet::new();
        let mut by_id: HashMap<i64, (Option<jiff::Timestamp>, String)> = HashMap::new();
        let mut manipulated_seen = BTreeSet::new();
        for row in &rows {
            let live_ts = row.live_ts.or(row.first);
            let fmt = time::format_opt;
            let proc_name = match (&row.proc_name, row.proc_id) {
                (_, None) if row.live_id.is_some() => {
                    "MANIPULATED [process record deleted]".to_string()
                }
                (Some(n), _) => n.clone(),
                (None, _) => String::new(),
            };
            let rec = record! {
                "first_isodate" => fmt(if row.proc_id.is_none() { live_ts } else { row.first }),
                "isodate" => fmt(if row.proc_id.is_none() { live_ts } else { row.last }),
                "proc_name" => proc_name,
                "bundle_id" => row.bundle_id,
                "proc_id" => row.proc_id,
                "wifi_in" => row.usage[0],
                "wifi_out" => row.usage[1],
                "wwan_in" => row.usage[2],
                "wwan_out" => row.usage[3],
                "live_id" => row.live_id,
                "live_proc_id" => row.live_proc_id,
                "live_isodate" => fmt(live_ts),
            };
            out.record(&rec);
            let data = format!(
                "{} (Bundle ID: {}, ID: {})",
                proc_name,
                row.bundle_id.as_deref().unwrap_or("None"),
                row.proc_id
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| "None".into())
            );
            if row.live_id.is_some() {
                let usage =
                    |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_else(|| "None".into());
                out.timeline(
                    live_ts,
                    "live_usage",
                    format!(
                        "{data} WWAN IN: {}, WWAN OUT: {}",
                        usage(row.usage[2]),
                        usage(row.usage[3])
                    ),
                );
            }
            if let Some(id) = row.proc_id {
                if proc_ids.insert(id) {
                    out.timeline(row.first, "first_usage", data.clone());
                    out.timeline(row.last, "current_usage", data.clone());
                }
                by_id.insert(id, (row.first, proc_name.clone()));
                let mut matches = ctx.iocs.match_process(&proc_name);
                if let Some(b) = &row.bundle_id {
                    matches.extend(ctx.iocs.match_app_id(b));
                }
                out.ioc_alerts(
                    &matches,
                    &format!("Process {proc_name} with network usage"),
                    row.first,
                    &rec,
                );
                backup_agent_alert(out, &proc_name, row.live_ts.or(row.first), &rec);
            } else if row.live_id.is_some() && manipulated_seen.insert(row.live_proc_id) {
                out.alert(
                    Level::High,
                    format!(
                        "Network usage recorded on {} for process id {} whose process entry was deleted: iOS keeps \
                         the process entry while usage refers to it, so this database was likely edited to hide \
                         which process used the network (a technique seen with Pegasus)",
                        fmt(live_ts).unwrap_or_else(|| "an unknown date".into()),
                        row.live_proc_id.map(|i| i.to_string()).unwrap_or_else(|| "NULL".into())
                    ),
                    live_ts,
                    &rec,
                    None,
                );
            }
        }

        // Gaps in the process ids: one LOW alert per run of missing ids.
        let ids: Vec<i64> = proc_ids.into_iter().collect();
        for w in ids.windows(2) {
            let (prev, next) = (w[0], w[1]);
            if next - prev <= 1 {
                continue;
            }
            let (first, name) = by_id.get(&prev).cloned().unwrap_or((None, String::new()));
            let missing = if next - prev == 2 {
                format!("{}", prev + 1)
            } else {
                format!("{} to {}", prev + 1, next - 1)
            };
            let what = if next - prev == 2 {
                "Process entry"
            } else {
                "Process entries"
            };
            let verb = if next - prev == 2 { "is" } else { "are" };
            // One placeholder record per missing id, as MVT writes them (bounded: a forged id far away
            // must not make millions of records).
            for id in (prev + 1..next).take(MAX_MISSING_RECORDS) {
                let fmt = time::format_opt(first);
                out.record(&record! {
                    "first_isodate" => fmt,
                    "isodate" => fmt,
                    "proc_name" => format!("MISSING [follows {name}]"),
                    "bundle_id" => serde_json::Value::Null,
                    "proc_id" => id,
                    "wifi_in" => serde_json::Value::Null,
                    "wifi_out" => serde_json::Value::Null,
                    "wwan_in" => serde_json::Value::Null,
                    "wwan_out" => serde_json::Value::Null,
                    "live_id" => serde_json::Value::Null,
                    "live_proc_id" => id,
                    "live_isodate" => fmt,
                });
            }
            if next - prev - 1 > MAX_MISSING_RECORDS as i64 {
                out.warn(format!(
                    "process ids {} to {} are missing: only the first {MAX_MISSING_RECORDS} have a placeholder record",
                    prev + 1,
                    next - 1
                ));
            }
            let mut rec = Record::new();
            rec.insert("proc_id".into(), (prev + 1).into());
            rec.insert("missing_proc_ids".into(), missing.clone().into());
            rec.insert("prev_proc_id".into(), prev.into());
            rec.insert("prev_proc_name".into(), name.clone().into());
            rec.insert("prev_proc_first".into(), time::format_opt(first).into());
            out.alert(
                Level::Low,
                format!(
                    "{what} {missing} {verb} missing from the network usage database (the previous one, \
                     {name}, was first seen {}): deleted entries may be routine cleanup or an attempt to hide a process",
                    time::format_opt(first).unwrap_or_else(|| "at an unknown date".into())
                ),
                first,
                &rec,
                None,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{Folder, iocs, run};
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::ios_dbs::{DataUsageDb, IosVersion};

    fn base(v: IosVersion) -> DataUsageDb {
        DataUsageDb::new(v)
            .process(
                "com.apple.WebKit.Networking",
                Some("com.apple.mobilesafari"),
                600_000_000.0,
                600_100_000.0,
            )
            .process("bh", None, 600_000_000.0, 600_100_000.0)
            .process("bhd", None, 600_000_000.0, 600_100_000.0)
            .usage(1, 600_100_000.0, 10.0, 20.0, 30.0, 40.0)
            .usage(2, 600_100_000.0, 1.0, 2.0, 3.0, 4.0)
    }

    #[test]
    fn indicator_process_matches_and_similar_does_not() {
        for v in [IosVersion::V13, IosVersion::V17] {
            let f = Folder::new();
            base(v).write(f.path(PATH)).unwrap();
            let r = run(&Datausage, &f, &iocs(&[(IndicatorKind::ProcessName, "bh")]));
            assert_eq!(r.records.len(), 3, "{v:?}");
            let high = r.at(Level::Critical);
            assert_eq!(high.len(), 1, "{v:?} {:?}", r.alerts);
            assert_eq!(high[0].event["proc_name"], "bh");
            assert_eq!(r.alerts.len(), 1);
            let safari = &r.records[0];
            assert_eq!(safari["wwan_in"], 30.0);
            if v.major() <= 14 {
                assert_eq!(safari["wifi_in"], 10.0);
            } else {
                assert!(safari["wifi_in"].is_null());
            }
            assert_eq!(safari["first_isodate"], "2020-01-06 10:40:00.000000");
        }
    }

    #[test]
    fn deleted_process_rows_and_gaps() {
        let f = Folder::new();
        base(IosVersion::V16)
            .process("a", None, 600_000_000.0, 600_000_000.0)
            .process("b", None, 600_000_000.0, 600_000_000.0)
            .process("c", None, 600_000_000.0, 600_000_000.0)
            .usage(5, 600_200_000.0, 0.0, 0.0, 5.0, 5.0)
            .usage(5, 600_300_000.0, 0.0, 0.0, 6.0, 6.0)
            .delete_process(5)
            .delete_process(2)
            .write(f.path(PATH))
            .unwrap();
        let r = run(&Datausage, &f, &iocs(&[]));
        let high = r.at(Level::High);
        assert_eq!(
            high.len(),
            2,
            "one alert per deleted process (5 has two usage rows): {:?}",
            r.alerts
        );
        assert_eq!(high[0].event["live_proc_id"], 2);
        assert_eq!(high[1].event["live_proc_id"], 5);
        assert_eq!(
            high[1].event["proc_name"],
            "MANIPULATED [process record deleted]"
        );
        assert_eq!(
            r.records
                .iter()
                .filter(|r| r["live_proc_id"] == 5 && !r["live_id"].is_null())
                .count(),
            2
        );
        let low = r.at(Level::Low);
        assert_eq!(low.len(), 2, "{:?}", low);
        let missing: Vec<_> = r
            .records
            .iter()
            .filter(|x| x["proc_name"].as_str().unwrap_or("").starts_with("MISSING"))
            .collect();
        assert_eq!(missing.len(), 2, "one placeholder per missing id, as MVT");
        assert_eq!(missing[0]["proc_id"], 2);
        assert_eq!(missing[0]["live_proc_id"], 2);
        assert_eq!(
            missing[0]["proc_name"],
            "MISSING [follows com.apple.WebKit.Networking]"
        );
        assert_eq!(low[0].event["missing_proc_ids"], "2");
        assert_eq!(low[1].event["missing_proc_ids"], "5");
    }

    #[test]
    fn backupagent_network_use_is_medium() {
        let f = Folder::new();
        DataUsageDb::new(IosVersion::V15)
            .process("BackupAgent", None, 650_000_000.0, 650_000_000.0)
            .process("BackupAgent2", None, 650_000_000.0, 650_000_000.0)
            .usage(1, 650_000_000.0, 0.0, 0.0, 100.0, 50.0)
            .usage(2, 650_000_000.0, 0.0, 0.0, 100.0, 50.0)
            .write(f.path(PATH))
            .unwrap();
        let r = run(&Datausage, &f, &iocs(&[]));
        let med = r.at(Level::Medium);
        assert_eq!(med.len(), 1);
        assert_eq!(med[0].event["proc_name"], "BackupAgent");
        assert!(r.severe().is_empty());
    }

    #[test]
    fn malformed_and_missing() {
        let f = Folder::new();
        f.put(PATH, &vec![0xAB; 8192]);
        assert!(run(&Datausage, &f, &iocs(&[])).failed_with("DataUsage.sqlite"));
        assert!(matches!(
            run(&Datausage, Folder::new(), &iocs(&[])).outcome.status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
