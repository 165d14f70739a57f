//! `network_flows`: connections by destination (protocol, address, port), the phone's side first.
//! Records: connections, established ones, bytes each way, names seen on them or resolved to the
//! address. Checks: the destination address against IP indicators, exact or CIDR (match_ip); a
//! destination contacted without any name (LOW, TinyCheck PROTO-05); a host with several heuristic
//! findings (MEDIUM, ADV-01 per-host summary). Timeline: `connection`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError};

use super::{Shared, allowed, heuristic, indicator_alerts, parsed};

pub struct NetworkFlows(pub Shared);

impl Module for NetworkFlows {
    fn name(&self) -> &'static str {
        "network_flows"
    }
    fn description(&self) -> &'static str {
        "connections in a capture or logs: destination addresses, per-host summary"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let p = parsed(&self.0, ctx)?;
        let c = &p.capture.counters;
        let unnamed = c.flows_considered.saturating_sub(c.flows_named);
        if unnamed > 0 {
            out.not_checked(crate::coverage::sentence(&p));
        }
        if p.capture.flows.items.is_empty()
            && p.capture.rule_hits.items.is_empty()
            && p.capture.ids.is_empty()
        {
            out.no_data("no connection in the capture");
            return Ok(());
        }
        // Heuristic findings by host, for the per-host summary.
        let mut by_host: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let by_dest = findings_by_destination(&p);
        for r in &p.capture.flows.items {
            let rec = r.to_record(p.input(r.prov.input));
            let ts = r.prov.first_ts();
            out.record(&rec);
            let names = if r.names.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.names.join(", "))
            };
            out.timeline(
                ts,
                "connection",
                format!(
                    "{} {}:{}{} — {} connection(s), {} established",
                    if r.proto == 6 { "TCP" } else { "UDP" },
                    r.server,
                    r.port,
                    names,
                    r.connections,
                    r.established
                ),
            );
            let ip = r.server.to_string();
            let mut seen = HashSet::new();
            indicator_alerts(
                out,
                &p,
                &mut seen,
                &ctx.iocs.match_ip(&ip),
                "connection to",
                &ip,
                ts,
                &rec,
            );
            let host = r.names.first().cloned().unwrap_or_else(|| ip.clone());
            if allowed(&p, r.names.first().map(String::as_str), Some(r.server))
                || r.server.is_multicast()
            {
                continue;
            }
            if r.names.is_empty() && r.established > 0 {
                heuristic(
                    out,
                    Level::Low,
                    format!(
                        "connection to {ip}:{} without any name (no DNS answer, SNI or Host)",
                        r.port
                    ),
                    ts,
                    &rec,
                );
                by_host
                    .entry(host.clone())
                    .or_default()
                    .push("contacted without a name".into());
            }
            for f in by_dest
                .get(&(r.server, r.port))
                .into_iter()
                .flatten()
                .cloned()
            {
                let v = by_host.entry(host.clone()).or_default();
                if !v.contains(&f) {
                    v.push(f);
                }
            }
        }
        // Snort-subset rules (TinyCheck) and IDS alerts passed through from eve.json.
        for h in &p.capture.rule_hits.items {
            let rec = h.to_record(p.input(h.prov.input));
            let ts = h.prov.first_ts();
            out.record(&rec);
            let level = if h.spyware {
                Level::High
            } else {
                Level::Medium
            };
            let dest = h
                .prov
                .tuple
                .map(|t| format!("{}:{}", t.dst, t.dport))
                .unwrap_or_default();
            out.alert(
                level,
                format!(
                    "rule sid {} ({}, {}) matched traffic with {dest}: {}",
                    h.sid,
                    h.tag,
                    if h.to_server {
                        "to the server"
                    } else {
                        "from the server"
                    },
                    h.msg
                ),
                ts,
                &rec,
                None,
            );
            let host = dest
                .rsplit_once(':')
                .map(|(h, _)| h.to_string())
                .unwrap_or_default();
            by_host
                .entry(host)
                .or_default()
                .push(format!("rule sid {}", h.sid));
        }
        for a in &p.capture.ids {
            let rec = a.to_record(p.input(a.prov.input));
            let ts = a.prov.first_ts();
            out.record(&rec);
            // Suricata's own severity, not re-scored: 1 high, 2 medium, 3 and more low.
            let level = match a.severity {
                1 => Level::High,
                2 => Level::Medium,
                _ => Level::Low,
            };
            out.alert(
                level,
                format!(
                    "IDS alert (Suricata) sid {}: {}",
                    a.signature_id, a.signature
                ),
                ts,
                &rec,
                None,
            );
        }
        for (host, f) in by_host {
            if f.len() >= 3 {
                let rec = telltale_core::record! { "host" => host, "findings" => f };
                heuristic(
                    out,
                    Level::Medium,
                    format!(
                        "{} heuristic findings on one host: check it",
                        rec["findings"].as_array().map_or(0, |a| a.len())
                    ),
                    None,
                    &rec,
                );
            }
        }
        Ok(())
    }
}

/// Heuristic findings by destination `(address, port)`, from the other records (one pass each).
fn findings_by_destination(p: &crate::capture::Parsed) -> HashMap<(IpAddr, u16), Vec<String>> {
    let mut m: HashMap<(IpAddr, u16), Vec<String>> = HashMap::new();
    let mut add = |k: (IpAddr, u16), f: String| {
        let v = m.entry(k).or_default();
        if !v.contains(&f) && v.len() < 16 {
            v.push(f);
        }
    };
    for h in &p.capture.hellos.items {
        if !h.quic && !super::tls::TLS_PORTS.contains(&h.port) {
            add((h.server, h.port), format!("TLS on port {}", h.port));
        }
    }
    for h in &p.capture.http.items {
        if let Some(t) = h.prov.tuple {
            add(
                (t.dst, t.dport),
                if h.port == 80 {
                    "plain HTTP".to_string()
                } else {
                    format!("HTTP on port {}", h.port)
                },
            );
        }
    }
    for c in &p.capture.certs.items {
        if let (Some(s), Some(port)) = (c.server, c.port)
            && c.leaf
            && c.info.self_signed
        {
            add((s, port), "self-signed certificate".into());
        }
    }
    m
}
