//! The network-usage store iOS keeps twice with one Core Data model: `DataUsage.sqlite` (`datausage`,
//! backups and dumps) and `netusage.sqlite` (`netusage`, dumps): ZLIVEUSAGE ⟕ ZPROCESS, plus processes
//! without usage rows. Both modules call [`check`]; MVT's checks and telltale's own are here once.
//!
//! Records MVT's fields (`first_isodate`, `isodate`, `proc_name`, `bundle_id`, `proc_id`, `wifi_in`,
//! `wifi_out`, `wwan_in`, `wwan_out`, `live_id`, `live_proc_id`, `live_isodate`). Checks:
//! * process names against the process indicators and bundle names against the app-id indicators
//!   (CRITICAL);
//! * usage rows whose process row is gone (HIGH): iOS does not delete a process while keeping its
//!   usage, so this is a sign the database was edited to hide a process (as Amnesty found with Pegasus);
//! * gaps in the process ids (LOW): process rows deleted, which can be cleanup or hiding; each missing id
//!   also gets a placeholder record (`proc_name` "MISSING [follows …]"), as MVT writes;
//! * `Z_PRIMARYKEY.Z_MAX` of the Process entity above the last process row (LOW, not in MVT): the newest
//!   process rows were deleted (a gap the previous check cannot see);
//! * `BackupAgent` (a retired daemon replaced by BackupAgent2) with network usage (MEDIUM): a known trace
//!   of Operation Triangulation;
//! * on a filesystem dump only, as MVT: a process without bundle id whose executable is nowhere among
//!   the system volume's and the apps' files (MEDIUM), and a process row with an empty name (MEDIUM).
//!   Only when the dump holds the system volume: without it every daemon would be "not found", so the
//!   check is reported as not done instead.

use std::collections::{BTreeSet, HashMap, HashSet};

use telltale_core::{
    Emitter, EntryKind, Evidence, Level, ModuleContext, ModuleError, Record, record, time,
};

use telltale_core::sqlite::ForensicDb;

use crate::util::{col_or_null, sql_f64, sql_i64, sql_string};

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

/// Reads the store `db` (opened from `path`) and runs every check.
pub fn check(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    path: &str,
    db: ForensicDb,
) -> Result<(), ModuleError> {
    let pcols = db.columns("ZPROCESS")?;
    let lcols = db.columns("ZLIVEUSAGE")?;
    if pcols.is_empty() || lcols.is_empty() {
        out.no_data(format!("{path} has no ZPROCESS/ZLIVEUSAGE tables"));
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
            let usage = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_else(|| "None".into());
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

    // Core Data hands out process ids from Z_PRIMARYKEY.Z_MAX: ids above the last row were deleted.
    if let Some(&last) = ids.last()
        && let Some(z_max) = z_max(&db, "Process")
        && z_max > last
    {
        let missing = if z_max == last + 1 {
            format!("entry {z_max} is")
        } else {
            format!("entries {} to {z_max} are", last + 1)
        };
        let (first, name) = by_id.get(&last).cloned().unwrap_or((None, String::new()));
        let rec = record! {
            "proc_id" => last + 1,
            "missing_proc_ids" => if z_max == last + 1 {
                z_max.to_string()
            } else {
                format!("{} to {z_max}", last + 1)
            },
            "z_max" => z_max,
            "last_proc_id" => last,
            "last_proc_name" => name,
        };
        out.alert(
                Level::Low,
                format!(
                    "Process {missing} missing from the end of the network usage database: Core Data \
                     recorded {z_max} as the last process id handed out (Z_PRIMARYKEY.Z_MAX) but the last \
                     process entry is {last}: the newest entries were deleted, which may be routine cleanup or \
                     an attempt to hide a process"
                ),
                first,
                &rec,
                None,
            );
    }
    if on_dump(ctx.evidence) {
        binaries_not_found(ctx.evidence, out, &rows);
    }
    Ok(())
}

/// `Z_PRIMARYKEY.Z_MAX` of an entity.
fn z_max(db: &ForensicDb, entity: &str) -> Option<i64> {
    if !db.has_table("Z_PRIMARYKEY") {
        return None;
    }
    db.conn()
        .query_row(
            "SELECT Z_MAX FROM Z_PRIMARYKEY WHERE lower(Z_NAME) = lower(?1)",
            [entity],
            |r| Ok(r.get_ref(0).ok().and_then(sql_i64)),
        )
        .ok()
        .flatten()
}

/// Whether the evidence is a filesystem dump (device paths under `private/var/`).
fn on_dump(ev: &dyn Evidence) -> bool {
    let mut any = false;
    let _ = ev.walk("private/var", &mut |_| {
        any = true;
        false
    });
    any
}

/// Where executables live on the device: the system volume, its cryptexes and the installed apps.
const BINARY_FOLDERS: [&str; 8] = [
    "System",
    "usr",
    "bin",
    "sbin",
    "Applications",
    "Developer",
    "private/preboot/Cryptexes",
    "private/var/containers/Bundle/Application",
];

/// MVT's "binary not found" and "empty process name" checks (dumps only, system volume required).
fn binaries_not_found(ev: &dyn Evidence, out: &mut Emitter<'_>, rows: &[Row]) {
    let candidates: Vec<&Row> = rows
        .iter()
        .filter(|r| r.proc_id.is_some() && r.bundle_id.as_deref().unwrap_or("").is_empty())
        .collect();
    if candidates.is_empty() {
        return;
    }
    if !crate::ffs::system_volume_present(ev) {
        out.not_checked(
            "processes without a bundle id were not looked up among the device's executables: the dump \
             does not hold the system volume",
        );
        return;
    }
    let mut names: HashSet<String> = HashSet::new();
    for folder in BINARY_FOLDERS {
        let _ = ev.walk(folder, &mut |e| {
            if e.kind != EntryKind::Dir
                && let Some(n) = e.path.rsplit('/').next()
            {
                names.insert(n.to_string());
            }
            true
        });
    }
    let mut seen = HashSet::new();
    for r in candidates {
        let name = r.proc_name.clone().unwrap_or_default();
        if !seen.insert((name.clone(), r.proc_id)) {
            continue;
        }
        let ts = r.live_ts.or(r.first);
        let rec = record! {
            "proc_name" => name,
            "proc_id" => r.proc_id,
            "first_isodate" => time::format_opt(r.first),
            "live_isodate" => time::format_opt(ts),
        };
        if name.is_empty() {
            out.alert(
                Level::Medium,
                format!(
                    "Process entry {} has an empty name (first seen {})",
                    r.proc_id.unwrap_or_default(),
                    time::format_opt(r.first).unwrap_or_else(|| "at an unknown date".into())
                ),
                ts,
                &rec,
                None,
            );
            continue;
        }
        // Names in the database may be a path's last component or a `daemon/sub` pair.
        let base = name.split('/').next().unwrap_or(&name);
        let base = base.rsplit('/').next().unwrap_or(base);
        if names.contains(base) || names.contains(name.as_str()) {
            continue;
        }
        let truncated = if name.len() == 16 {
            " (the name may have been truncated to 16 characters in the database)"
        } else {
            ""
        };
        out.alert(
            Level::Medium,
            format!(
                "No executable of the process {name} (no bundle id) was found on the system volume or among \
                 the installed apps{truncated}: a process that ran without a binary on the device may have been \
                 injected, or removed after it ran"
            ),
            ts,
            &rec,
            None,
        );
    }
}
