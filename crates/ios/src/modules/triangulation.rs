//! triangulation: Kaspersky's Operation Triangulation heuristic (2023), over four artifacts of a backup.
//!
//! Kaspersky described infections that leave, within about five minutes, traces of several *classes* of
//! events: (file) changes to `RootDomain/Library/Preferences/com.apple.ImageIO.plist`,
//! `HomeDomain/Library/Preferences/com.apple.locationd.StatusBarIconManager.plist` or
//! `HomeDomain/Library/Preferences/com.apple.imservice.ids.FaceTime.plist`; (sms) an SMS attachment folder
//! (`MediaDomain/Library/SMS/Attachments/xx[/yy]`, no file inside) both modified and changed; (net) network
//! use by `BackupAgent`, `nehelper`, `com.apple.WebKit.WebContent`, `powerd/com.apple.datausage.diagnostics`
//! or `lockdownd/com.apple.datausage.security` (DataUsage.sqlite, osanalytics addaily); (location) the
//! IonosphereHarvest or WRMLinkSelection location bundles stopping (locationd clients.plist).
//! Two classes or more in one window of at most ten events and five minutes → MEDIUM alert. A real
//! attachment file in the window (a legitimate message) cancels it, as in Kaspersky's tool.
//! Records: one per window that fired, with its events.

use jiff::Timestamp;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record, time};

use crate::nska::MbFile;
use crate::util::{load_plist_dict, open_db, plist_time};

pub struct Triangulation;

const SUSPICIOUS_FILES: [(&str, &str); 3] = [
    ("RootDomain", "Library/Preferences/com.apple.ImageIO.plist"),
    (
        "HomeDomain",
        "Library/Preferences/com.apple.locationd.StatusBarIconManager.plist",
    ),
    (
        "HomeDomain",
        "Library/Preferences/com.apple.imservice.ids.FaceTime.plist",
    ),
];
const NET_PROCESSES: [&str; 5] = [
    "BackupAgent",
    "nehelper",
    "com.apple.WebKit.WebContent",
    "powerd/com.apple.datausage.diagnostics",
    "lockdownd/com.apple.datausage.security",
];
const LOCATION_CLIENTS: [&str; 2] = [
    "com.apple.locationd.bundle-/System/Library/LocationBundles/IonosphereHarvest.bundle",
    "com.apple.locationd.bundle-/System/Library/LocationBundles/WRMLinkSelection.bundle",
];
const WINDOW_SECONDS: i64 = 300;
const WINDOW_EVENTS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// File metadata time: 'M' modified, 'C' status change, 'B' birth.
    File(char, String),
    Net(String),
    Location(String),
}

impl Kind {
    fn describe(&self) -> String {
        match self {
            Kind::File('M', p) => format!("file modified: {p}"),
            Kind::File('C', p) => format!("file attributes changed: {p}"),
            Kind::File(_, p) => format!("file created: {p}"),
            Kind::Net(p) => format!("network use by {p}"),
            Kind::Location(c) => format!("location service stopped: {c}"),
        }
    }
}

type Event = (Timestamp, Kind);

/// The classes of suspicious events in a window, or `None` when the window must be discarded.
fn classes(window: &[Event]) -> Option<Vec<&'static str>> {
    let mut classes = Vec::new();
    let mut dirs: Vec<(&str, bool, bool)> = Vec::new();
    for (_, k) in window {
        match k {
            Kind::File(t, path) if path.starts_with("Library/SMS/Attachments/") => {
                match path.matches('/').count() {
                    3 | 4 => {
                        let i = match dirs.iter().position(|d| d.0 == path.as_str()) {
                            Some(i) => i,
                            None => {
                                dirs.push((path.as_str(), false, false));
                                dirs.len() - 1
                            }
                        };
                        dirs[i].1 |= *t == 'M';
                        dirs[i].2 |= *t == 'C';
                    }
                    // A file inside an attachment folder: an ordinary received attachment.
                    _ => return None,
                }
            }
            Kind::File(..) => classes.push("file"),
            Kind::Net(_) => classes.push("net"),
            Kind::Location(_) => classes.push("location"),
        }
    }
    if dirs.iter().any(|d| !(d.1 && d.2)) {
        return None;
    }
    if !dirs.is_empty() {
        classes.push("sms");
    }
    classes.sort_unstable();
    classes.dedup();
    Some(classes)
}

fn manifest_events(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    ev: &mut Vec<Event>,
) -> Result<(), ModuleError> {
    if !ctx.evidence.exists("Manifest.db") {
        return Ok(());
    }
    let db = open_db(ctx.evidence, "Manifest.db", out)?;
    let mut st = db
        .conn()
        .prepare(
            "SELECT domain, relativePath, file FROM Files WHERE \
             (domain = 'MediaDomain' AND relativePath LIKE 'Library/SMS/Attachments/%') \
             OR (domain = ?1 AND relativePath = ?2) OR (domain = ?3 AND relativePath = ?4) \
             OR (domain = ?5 AND relativePath = ?6)",
        )
        .map_err(|e| db.err(e))?;
    let [(d1, p1), (d2, p2), (d3, p3)] = SUSPICIOUS_FILES;
    let mut rows = st.query([d1, p1, d2, p2, d3, p3]).map_err(|e| db.err(e))?;
    while let Some(row) = rows.next().map_err(|e| db.err(e))? {
        let path: String = row.get(1).unwrap_or_default();
        let Ok(blob) = row.get::<_, Vec<u8>>(2) else {
            continue;
        };
        let Ok(mb) = MbFile::from_archive(&blob) else {
            continue;
        };
        for (t, secs) in [
            ('M', mb.last_modified),
            ('C', mb.last_status_change),
            ('B', mb.birth),
        ] {
            if let Some(ts) = secs.and_then(|s| time::from_unix(s as f64)) {
                ev.push((ts, Kind::File(t, path.clone())));
            }
        }
    }
    Ok(())
}

fn datausage_events(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    ev: &mut Vec<Event>,
) -> Result<(), ModuleError> {
    let path = "WirelessDomain/Library/Databases/DataUsage.sqlite";
    if !ctx.evidence.exists(path) {
        return Ok(());
    }
    let db = open_db(ctx.evidence, path, out)?;
    if !db.has_table("ZPROCESS") {
        return Ok(());
    }
    let live = db.has_table("ZLIVEUSAGE");
    let q = if live {
        "SELECT p.ZPROCNAME, p.ZFIRSTTIMESTAMP, p.ZTIMESTAMP, l.ZTIMESTAMP FROM ZPROCESS p \
         LEFT JOIN ZLIVEUSAGE l ON l.ZHASPROCESS = p.Z_PK"
    } else {
        "SELECT ZPROCNAME, ZFIRSTTIMESTAMP, ZTIMESTAMP, NULL FROM ZPROCESS"
    };
    let mut st = db.conn().prepare(q).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    while let Some(row) = rows.next().map_err(|e| db.err(e))? {
        let Ok(Some(name)) = row.get::<_, Option<String>>(0) else {
            continue;
        };
        if !NET_PROCESSES.contains(&name.as_str()) {
            continue;
        }
        for i in 1..=3 {
            if let Some(ts) = row
                .get::<_, Option<f64>>(i)
                .ok()
                .flatten()
                .and_then(time::from_mac_absolute)
            {
                ev.push((ts, Kind::Net(name.clone())));
            }
        }
    }
    Ok(())
}

fn plist_events(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    ev: &mut Vec<Event>,
) -> Result<(), ModuleError> {
    for path in super::os_analytics_ad_daily::PATHS {
        let Some(root) = load_plist_dict(ctx.evidence, out, path)? else {
            continue;
        };
        if let Some(baseline) = root.get("netUsageBaseline").and_then(|v| v.as_dictionary()) {
            for (process, values) in baseline {
                if NET_PROCESSES.contains(&process.as_str())
                    && let Some(ts) = values
                        .as_array()
                        .and_then(|a| a.first())
                        .and_then(plist_time)
                {
                    ev.push((ts, Kind::Net(process.clone())));
                }
            }
        }
    }
    let clients = "RootDomain/Library/Caches/locationd/clients.plist";
    if let Some(root) = load_plist_dict(ctx.evidence, out, clients)? {
        for (key, v) in &root {
            let client = key.trim_end_matches(':');
            if LOCATION_CLIENTS.contains(&client)
                && let Some(ts) = v
                    .as_dictionary()
                    .and_then(|d| d.get("LocationTimeStopped"))
                    .and_then(plist_time)
            {
                ev.push((ts, Kind::Location(client.to_string())));
            }
        }
    }
    Ok(())
}

impl Module for Triangulation {
    fn name(&self) -> &'static str {
        "triangulation"
    }
    fn description(&self) -> &'static str {
        "Operation Triangulation heuristic: suspicious file, network, SMS-attachment and location events within five minutes"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let mut events = Vec::new();
        manifest_events(ctx, out, &mut events)?;
        datausage_events(ctx, out, &mut events)?;
        plist_events(ctx, out, &mut events)?;
        if events.is_empty() {
            out.no_data(
                "none of the artifacts of the Triangulation heuristic holds a relevant event",
            );
            return Ok(());
        }
        events.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.describe().cmp(&b.1.describe()))
        });
        let mut reported_until: Option<Timestamp> = None;
        for i in 0..events.len() {
            let start = events[i].0;
            if reported_until.is_some_and(|end| start <= end) {
                continue;
            }
            let mut end = (i + WINDOW_EVENTS).min(events.len());
            while end > i + 1 && events[end - 1].0.as_second() - start.as_second() > WINDOW_SECONDS
            {
                end -= 1;
            }
            let window = &events[i..end];
            let Some(classes) = classes(window) else {
                continue;
            };
            if classes.len() < 2 {
                continue;
            }
            let lines: Vec<String> = window
                .iter()
                .map(|(t, k)| format!("{} {}", time::format(*t), k.describe()))
                .collect();
            let rec = record! {
                "start" => time::format(start),
                "end" => time::format(window[window.len() - 1].0),
                "classes" => classes,
                "events" => lines,
            };
            out.record(&rec);
            out.timeline(Some(start), "triangulation_window", lines.join("; "));
            out.alert(
                Level::Medium,
                format!(
                    "Within five minutes from {}, the backup shows {} — the combination of traces Kaspersky \
                     described for Operation Triangulation infections. On its own this can happen by chance; \
                     an expert should look at these events.",
                    time::format(start),
                    classes.join(" + "),
                ),
                Some(start),
                &rec,
                None,
            );
            reported_until = Some(window[window.len() - 1].0);
        }
        Ok(())
    }
}
