//! Modules of the intrusion group: Android Advanced Protection intrusion logs (one file per event type).
//!
//! Format (as Android 16's Intrusion Logging exports it and MVT reads it): `.txt` files of JSON lines,
//! each line one object wrapping one event under its type: `{"dns_event": {"event_time": <Unix ms>,
//! "hostname", "ip_addresses": ["/1.2.3.4"], "package_name"}}`, `{"connect_event": {"event_time": <ms>,
//! "ip_address", "port", "package_name"}}`, `{"security_event": {"event_time": <Unix ns>, "event_id",
//! "<tag>": {fields}}}` where `<tag>` is a SecurityLog tag name (`app_process_start`, `adb_shell_cmd`,
//! `cert_authority_installed` …). Times are absolute (UTC); their unit is also guessed from their size.
//! Every `.txt` file is read once ([`IntrusionCache`]); identical events repeated across overlapping
//! files are kept once.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use serde_json::{Map, Value};
use telltale_core::{Emitter, Evidence, Module, ModuleContext, ModuleError};

pub mod connect_event;
pub mod dns_event;
pub mod security_event;

/// Largest log file read.
pub const FILE_LIMIT: u64 = 1 << 30;
/// At most this many files are read.
pub const MAX_FILES: usize = 100_000;

/// Every module of this group, sharing one event cache.
pub fn all() -> Vec<Box<dyn Module>> {
    with_cache(IntrusionCache::new())
}

pub fn with_cache(cache: Shared) -> Vec<Box<dyn Module>> {
    vec![
        Box::new(dns_event::DnsEvent(cache.clone())),
        Box::new(connect_event::ConnectEvent(cache.clone())),
        Box::new(security_event::SecurityEvent(cache)),
    ]
}

/// The events of a set of intrusion logs, by type, in file order.
#[derive(Debug, Default)]
pub struct Events {
    pub by_type: Vec<(String, Vec<Map<String, Value>>)>,
    pub files: usize,
    pub lines: usize,
    pub duplicates: usize,
    /// Lines that are not JSON objects (file, line number, error); at most 100 kept.
    pub bad_lines: Vec<String>,
    pub bad_count: usize,
}

impl Events {
    pub fn of(&self, kind: &str) -> &[Map<String, Value>] {
        self.by_type
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }
}

pub type Shared = Arc<IntrusionCache>;

#[derive(Default)]
pub struct IntrusionCache {
    inner: Mutex<Option<(String, Arc<Events>)>>,
}

impl IntrusionCache {
    pub fn new() -> Shared {
        Arc::new(IntrusionCache::default())
    }

    pub fn get(&self, ev: &dyn Evidence) -> Result<Arc<Events>, ModuleError> {
        let key = format!(
            "{:p} {}",
            ev as *const dyn Evidence as *const (),
            ev.describe()
        );
        let mut g = self
            .inner
            .lock()
            .map_err(|_| ModuleError::Other("intrusion log cache poisoned".into()))?;
        if let Some((k, e)) = g.as_ref()
            && *k == key
        {
            return Ok(e.clone());
        }
        let e = Arc::new(load(ev)?);
        *g = Some((key, e.clone()));
        Ok(e)
    }
}

/// Whether a line looks like an intrusion log event.
pub fn is_event_line(line: &str) -> bool {
    serde_json::from_str::<Map<String, Value>>(line.trim()).is_ok_and(|m| {
        m.keys()
            .any(|k| matches!(k.as_str(), "dns_event" | "connect_event" | "security_event"))
    })
}

/// Reads every `.txt` file of the evidence once.
pub fn load(ev: &dyn Evidence) -> Result<Events, ModuleError> {
    let mut files = ev.find("**.txt")?;
    files.truncate(MAX_FILES);
    let mut out = Events::default();
    let mut seen: HashSet<u64> = HashSet::new();
    for f in files {
        let data = match ev.read_limited(&f.path, FILE_LIMIT) {
            Ok(d) => d,
            Err(e) => {
                out.bad_count += 1;
                out.bad_lines.push(format!("{e}"));
                continue;
            }
        };
        let text = String::from_utf8_lossy(&data);
        out.files += 1;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            out.lines += 1;
            let obj: Map<String, Value> = match serde_json::from_str(line) {
                Ok(o) => o,
                Err(e) => {
                    out.bad_count += 1;
                    if out.bad_lines.len() < 100 {
                        out.bad_lines
                            .push(format!("{} line {}: {e}", f.path, n + 1));
                    }
                    continue;
                }
            };
            for (kind, data) in obj {
                let Value::Object(data) = data else { continue };
                let mut h = std::collections::hash_map::DefaultHasher::new();
                kind.hash(&mut h);
                serde_json::to_string(&data)
                    .unwrap_or_default()
                    .hash(&mut h);
                if !seen.insert(h.finish()) {
                    out.duplicates += 1;
                    continue;
                }
                match out.by_type.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, v)) => v.push(data),
                    None => out.by_type.push((kind, vec![data])),
                }
            }
        }
    }
    Ok(out)
}

/// The events, with warnings about unreadable lines; `no_data` when there are no log files.
pub(crate) fn events_or_no_data(
    cache: &IntrusionCache,
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
) -> Result<Option<Arc<Events>>, ModuleError> {
    let e = cache.get(ctx.evidence)?;
    if e.files == 0 {
        out.no_data("no intrusion log files (.txt) in this acquisition");
        return Ok(None);
    }
    if e.bad_count > 0 {
        out.warn(format!(
            "{} lines or files could not be read and were skipped (first: {})",
            e.bad_count,
            e.bad_lines.first().cloned().unwrap_or_default()
        ));
    }
    Ok(Some(e))
}

/// An event time in any unit (s, ms, µs or ns since 1970, guessed from its size).
pub fn event_time(v: Option<&Value>) -> Option<Timestamp> {
    let v = v?;
    let n = v
        .as_i64()
        .or_else(|| v.as_f64().map(|f| f as i64))
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))?;
    if n <= 0 {
        return None;
    }
    if n >= 100_000_000_000_000_000 {
        telltale_core::time::from_unix_us(n / 1000)
    } else if n >= 100_000_000_000_000 {
        telltale_core::time::from_unix_us(n)
    } else if n >= 100_000_000_000 {
        telltale_core::time::from_unix_ms(n)
    } else {
        telltale_core::time::from_unix(n as f64)
    }
}

/// An address without Java's `host/` prefix (`/1.2.3.4`, `ip6-localhost/::1`).
pub fn clean_ip(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s).trim()
}

pub fn is_local_ip(ip: &str) -> bool {
    matches!(ip, "" | "::1" | "127.0.0.1" | "0.0.0.0" | "::")
}

pub(crate) fn str_field<'a>(m: &'a Map<String, Value>, k: &str) -> &'a str {
    m.get(k).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_units() {
        let s = 1_700_000_000i64;
        for v in [s, s * 1000, s * 1_000_000, s * 1_000_000_000] {
            assert_eq!(event_time(Some(&v.into())).unwrap().as_second(), s);
        }
        assert!(event_time(Some(&Value::from("x"))).is_none());
        assert!(event_time(Some(&Value::from(-5))).is_none());
        assert_eq!(clean_ip("/1.2.3.4"), "1.2.3.4");
        assert_eq!(clean_ip("ip6-localhost/::1"), "::1");
    }
}
