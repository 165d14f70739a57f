//! Modules of the bugreport group (one file per artifact).
//!
//! Logical layout of a bugreport (zip or extracted folder): `main_entry.txt` names the dumpstate text
//! (`bugreport-<device>-<date>.txt`); older reports have `dumpState_*.log`, `bugreport-*.txt` or
//! `<dir>/dumpsys.txt`; tombstones are under `FS/data/tombstones/`. The dumpstate text is read and split
//! once ([`DumpstateCache`]) and shared by every module as an `Arc<Dumpstate>`.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use telltale_core::{Emitter, Evidence, EvidenceError, Module, ModuleContext, ModuleError, Record};

use crate::dumpsys::Dumpstate;

pub mod accessibility;
pub mod activities;
pub mod adb;
pub mod appops;
pub mod battery_daily;
pub mod battery_history;
pub mod dbinfo;
pub mod getprop;
pub mod mounts;
pub mod packages;
pub mod platform_compat;
pub mod processes;
pub mod receivers;
pub mod settings;
pub mod timestamps;
pub mod tombstones;

/// Largest dumpstate text read (real ones are 10–150 MB).
pub const DUMPSTATE_LIMIT: u64 = 1 << 30;

/// Every module of this group, sharing one dumpstate cache.
pub fn all() -> Vec<Box<dyn Module>> {
    with_cache(DumpstateCache::new())
}

/// Every module of this group, sharing `cache` (the kind pre-loads it when it opens a bugreport).
pub fn with_cache(cache: Shared) -> Vec<Box<dyn Module>> {
    vec![
        Box::new(accessibility::DumpsysAccessibility(cache.clone())),
        Box::new(activities::DumpsysActivities(cache.clone())),
        Box::new(appops::DumpsysAppops(cache.clone())),
        Box::new(battery_daily::DumpsysBatteryDaily(cache.clone())),
        Box::new(battery_history::DumpsysBatteryHistory(cache.clone())),
        Box::new(dbinfo::DumpsysDbInfo(cache.clone())),
        Box::new(getprop::DumpsysGetProp(cache.clone())),
        Box::new(packages::DumpsysPackages(cache.clone())),
        Box::new(platform_compat::DumpsysPlatformCompat(cache.clone())),
        Box::new(receivers::DumpsysReceivers(cache.clone())),
        Box::new(adb::DumpsysAdbState(cache.clone())),
        Box::new(settings::Settings(cache.clone())),
        Box::new(processes::Processes(cache.clone())),
        Box::new(mounts::Mounts(cache.clone())),
        Box::new(tombstones::Tombstones(cache.clone())),
        Box::new(timestamps::BugreportTimestamps(cache)),
    ]
}

/// The dumpstate cache shared by a set of modules.
pub type Shared = Arc<DumpstateCache>;

/// Reads and splits the dumpstate of an evidence once; later calls for the same evidence share it.
#[derive(Default)]
pub struct DumpstateCache {
    inner: Mutex<Option<(String, Option<Arc<Dumpstate>>)>>,
}

fn evidence_key(ev: &dyn Evidence) -> String {
    format!(
        "{:p} {}",
        ev as *const dyn Evidence as *const (),
        ev.describe()
    )
}

impl DumpstateCache {
    pub fn new() -> Shared {
        Arc::new(DumpstateCache::default())
    }

    /// Stores an already split dumpstate for `ev`.
    pub fn preload(&self, ev: &dyn Evidence, d: Option<Arc<Dumpstate>>) {
        if let Ok(mut g) = self.inner.lock() {
            *g = Some((evidence_key(ev), d));
        }
    }

    /// The dumpstate of `ev` (`None`: the evidence has none).
    pub fn get(&self, ev: &dyn Evidence) -> Result<Option<Arc<Dumpstate>>, ModuleError> {
        let key = evidence_key(ev);
        let mut g = self
            .inner
            .lock()
            .map_err(|_| ModuleError::Other("dumpstate cache poisoned".into()))?;
        if let Some((k, d)) = g.as_ref()
            && *k == key
        {
            return Ok(d.clone());
        }
        let d = load_dumpstate(ev)?.map(Arc::new);
        *g = Some((key, d.clone()));
        Ok(d)
    }
}

/// The logical path of the dumpstate text: the file `main_entry.txt` names, else `dumpState_*.log`,
/// `bugreport-*.txt`, `*/dumpsys.txt` (the first found, as MVT looks for them).
pub fn locate_dumpstate(ev: &dyn Evidence) -> Result<Option<String>, EvidenceError> {
    if ev.exists("main_entry.txt") {
        let named = ev.read_limited("main_entry.txt", 4096)?;
        let named = String::from_utf8_lossy(&named)
            .trim()
            .trim_start_matches("./")
            .to_string();
        if !named.is_empty() && ev.exists(&named) {
            return Ok(Some(named));
        }
    }
    for pattern in [
        "dumpState_*.log",
        "bugreport-*.txt",
        "*/bugreport-*.txt",
        "*/dumpsys.txt",
    ] {
        if let Some(e) = ev.find(pattern)?.into_iter().next() {
            return Ok(Some(e.path));
        }
    }
    Ok(None)
}

/// Reads and splits the dumpstate text of `ev`.
pub fn load_dumpstate(ev: &dyn Evidence) -> Result<Option<Dumpstate>, ModuleError> {
    let Some(path) = locate_dumpstate(ev)? else {
        return Ok(None);
    };
    let data = ev.read_limited(&path, DUMPSTATE_LIMIT)?;
    let mut d = Dumpstate::parse(data);
    d.path = path;
    Ok(Some(d))
}

/// The dumpstate, or `no_data` and `None`.
pub(crate) fn dumpstate_or_no_data(
    cache: &DumpstateCache,
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
) -> Result<Option<Arc<Dumpstate>>, ModuleError> {
    let d = cache.get(ctx.evidence)?;
    if d.is_none() {
        out.no_data("no dumpstate text in this bugreport (main_entry.txt, dumpState_*.log, bugreport-*.txt)");
    } else if let Some(d) = &d
        && d.truncated
    {
        out.warn(format!(
            "{}: more than {} sections, the rest were not read",
            d.path,
            crate::dumpsys::MAX_SECTIONS
        ));
    }
    Ok(d)
}

/// The body of `DUMP OF SERVICE <name>:`, or `no_data` and `None`.
pub(crate) fn service_or_no_data(
    d: &Dumpstate,
    name: &str,
    out: &mut Emitter<'_>,
) -> Option<String> {
    match d.service(name) {
        Some(t) => Some(t.into_owned()),
        None => {
            out.no_data(format!(
                "no `DUMP OF SERVICE {name}:` section in {}",
                d.path
            ));
            None
        }
    }
}

/// Converts the device's wall-clock times to UTC with the device's zone: `--timezone` (run options),
/// else `persist.sys.timezone` from the dumpstate. When the zone is unknown, times are taken as UTC and
/// records say so (`timezone: "unknown (device time taken as UTC)"`).
pub struct DeviceClock {
    tz: Option<TimeZone>,
    name: Option<String>,
}

/// The `timezone` value of records whose device times had no known zone.
pub const UNKNOWN_ZONE: &str = "unknown (device time taken as UTC)";

impl DeviceClock {
    pub fn new(ctx: &ModuleContext<'_>, d: Option<&Dumpstate>, out: &mut Emitter<'_>) -> Self {
        let name = ctx
            .options
            .timezone
            .clone()
            .or_else(|| d.and_then(|d| d.timezone()));
        let tz = name.as_deref().and_then(|n| match TimeZone::get(n) {
            Ok(tz) => Some(tz),
            Err(_) => {
                out.warn(format!(
                    "unknown time zone {n:?}: device times are taken as UTC"
                ));
                None
            }
        });
        if name.is_none() {
            out.warn("the device's time zone is unknown (no persist.sys.timezone, no --timezone): device times are taken as UTC");
        }
        DeviceClock {
            name: if tz.is_some() { name } else { None },
            tz,
        }
    }

    /// A clock for a known zone (tests, other callers).
    pub fn fixed(name: Option<&str>) -> Self {
        let tz = name.and_then(|n| TimeZone::get(n).ok());
        DeviceClock {
            name: if tz.is_some() {
                name.map(str::to_string)
            } else {
                None
            },
            tz,
        }
    }

    pub fn known(&self) -> bool {
        self.tz.is_some()
    }

    /// The zone's name, or [`UNKNOWN_ZONE`].
    pub fn zone_label(&self) -> &str {
        self.name.as_deref().unwrap_or(UNKNOWN_ZONE)
    }

    /// A device wall-clock time as UTC.
    pub fn to_utc(&self, dt: DateTime) -> Option<Timestamp> {
        let tz = self.tz.clone().unwrap_or(TimeZone::UTC);
        tz.to_ambiguous_timestamp(dt).compatible().ok()
    }

    /// Parses and converts a device time string (see [`parse_device_time`]).
    pub fn parse(&self, s: &str) -> Option<Timestamp> {
        parse_device_time(s).and_then(|dt| self.to_utc(dt))
    }

    /// Adds `timezone` to a record holding converted device times.
    pub fn note(&self, rec: &mut Record) {
        rec.insert("timezone".into(), self.zone_label().into());
    }
}

/// Parses the device-time forms found in dumpstate: `YYYY-MM-DD HH:MM:SS[.fff]`, `YYYY-MM-DD-HH-MM-SS`,
/// `YYYY-MM-DD`, and `MM-DD HH:MM:SS.fff` is not accepted (no year).
pub fn parse_device_time(s: &str) -> Option<DateTime> {
    let s = s.trim();
    if let Ok(dt) = s.parse::<DateTime>() {
        return Some(dt);
    }
    if s.len() == 10
        && let Ok(d) = s.parse::<jiff::civil::Date>()
    {
        return Some(d.to_datetime(jiff::civil::Time::midnight()));
    }
    // 2022-08-16-15-56-39
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() == 6
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let n: Vec<i64> = parts.iter().filter_map(|p| p.parse().ok()).collect();
        if n.len() == 6 {
            return DateTime::new(
                i16::try_from(n[0]).ok()?,
                i8::try_from(n[1]).ok()?,
                i8::try_from(n[2]).ok()?,
                i8::try_from(n[3]).ok()?,
                i8::try_from(n[4]).ok()?,
                i8::try_from(n[5]).ok()?,
                0,
            )
            .ok();
        }
    }
    None
}

/// The formatted UTC time, or an empty string.
pub(crate) fn fmt_ts(ts: Option<Timestamp>) -> String {
    telltale_core::time::format_opt(ts).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod testutil;
