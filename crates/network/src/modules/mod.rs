//! The network modules: one per kind of record, all reading the capture parsed once.
//!
//! Levels: an indicator match is HIGH for a lookup and CRITICAL when the same indicator shows an
//! established exchange (a TCP handshake with data, or an answered QUIC handshake); TinyCheck's
//! "tracker" indicators are MEDIUM. Heuristics are LOW or MEDIUM, never HIGH, and silenced by the
//! allow-list, which never silences an indicator match (it only adds a note).

use std::collections::HashSet;

use jiff::Timestamp;
use serde_json::json;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record};
use telltale_ioc::Match;

use crate::capture::{CaptureCache, Parsed, Shared};
use crate::engine::Limits;

pub mod certs;
pub mod dns;
pub mod flows;
pub mod http;
pub mod tls;

pub fn with_cache(cache: Shared) -> Vec<Box<dyn Module>> {
    vec![
        Box::new(dns::NetworkDns(cache.clone())),
        Box::new(tls::NetworkTls(cache.clone())),
        Box::new(http::NetworkHttp(cache.clone())),
        Box::new(certs::NetworkCerts(cache.clone())),
        Box::new(flows::NetworkFlows(cache)),
    ]
}

/// Every module (for `--list-modules`).
pub fn all() -> Vec<Box<dyn Module>> {
    with_cache(CaptureCache::new(
        Vec::new(),
        crate::allow::AllowList::default(),
        Limits::default(),
    ))
}

/// The parsed capture, or the module's error.
pub fn parsed(
    cache: &Shared,
    ctx: &ModuleContext<'_>,
) -> Result<std::sync::Arc<Parsed>, ModuleError> {
    cache.get(ctx)
}

/// Whether every collection of a match is a "tracker" set (TinyCheck's tag): MEDIUM, not HIGH.
fn tracker_only(m: &Match) -> bool {
    !m.collections.is_empty()
        && m.collections
            .iter()
            .all(|c| c.to_ascii_lowercase().contains("tracker"))
}

/// Raises one alert per indicator (deduplicated within the record through `seen`).
#[allow(clippy::too_many_arguments)]
pub fn indicator_alerts(
    out: &mut Emitter<'_>,
    p: &Parsed,
    seen: &mut HashSet<(String, String)>,
    matches: &[Match],
    what: &str,
    observed: &str,
    ts: Option<Timestamp>,
    rec: &Record,
) {
    for m in matches {
        if !seen.insert((m.value.to_string(), m.source_file.to_string())) {
            continue;
        }
        let established = p.is_established(m);
        let level = if tracker_only(m) {
            Level::Medium
        } else if established {
            Level::Critical
        } else {
            Level::High
        };
        let mut ev = rec.clone();
        ev.insert("observed".into(), json!(observed));
        let mut msg = format!(
            "{what} {observed} matches indicator {} ({}) of {}",
            m.value,
            m.kind.as_stix(),
            m.collections.join(", ")
        );
        if established {
            msg.push_str("; an exchange with it was established");
        }
        if let Some(parent) = observed_parent(p, observed) {
            msg.push_str(&format!("; hosted on an allow-listed platform ({parent})"));
            ev.insert(
                "note".into(),
                json!(format!(
                    "hosted on an allow-listed platform ({parent}): reported all the same"
                )),
            );
        }
        out.alert(level, msg, ts, &ev, Some(m));
    }
}

fn observed_parent(p: &Parsed, observed: &str) -> Option<String> {
    if observed.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let host = crate::http::normalise_host(
        telltale_ioc::normalize::split_authority(observed)
            .map(|(h, _, _)| h)
            .unwrap_or(observed),
    )?;
    p.allow.host_parent(&host).map(str::to_string)
}

/// A heuristic alert (LOW or MEDIUM only).
pub fn heuristic(
    out: &mut Emitter<'_>,
    level: Level,
    msg: String,
    ts: Option<Timestamp>,
    rec: &Record,
) {
    let level = level.min(Level::Medium);
    out.alert(level, msg, ts, rec, None);
}

/// Whether a name or address is allow-listed (heuristics are skipped for it).
pub fn allowed(p: &Parsed, host: Option<&str>, ip: Option<std::net::IpAddr>) -> bool {
    host.is_some_and(|h| p.allow.allows_host(h)) || ip.is_some_and(|i| p.allow.allows_ip(i))
}

/// TinyCheck's free dynamic DNS and suspect-TLD lists, when an iocs.json was loaded.
pub fn name_heuristics(
    out: &mut Emitter<'_>,
    ctx: &ModuleContext<'_>,
    p: &Parsed,
    name: &str,
    what: &str,
    ts: Option<Timestamp>,
    rec: &Record,
) {
    if allowed(p, Some(name), None) {
        return;
    }
    let lists = ctx.iocs.network_lists();
    if let Some(s) = lists.free_dns_suffix(name) {
        heuristic(
            out,
            Level::Medium,
            format!("{what} {name} is under the free dynamic DNS domain {s}"),
            ts,
            rec,
        );
    }
    if let Some(t) = lists.suspect_tld(name) {
        heuristic(
            out,
            Level::Low,
            format!("{what} {name} is under the suspect top-level domain {t}"),
            ts,
            rec,
        );
    }
}
