//! `network_dns`: DNS transactions (UDP, TCP, mDNS, LLMNR; Zeek dns.log; EVE dns). Records: one per
//! name and type looked up, with answers and provenance. Checks: the question, answer owners,
//! CNAME/DNAME/HTTPS/SVCB targets (match_host) and A/AAAA addresses (match_ip); a PTR lookup of an
//! indicator address (LOW); free dynamic DNS (MEDIUM) and suspect TLDs (LOW) from a TinyCheck
//! iocs.json. Timeline: `dns_query`.

use std::collections::HashSet;

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError};

use super::{Shared, heuristic, indicator_alerts, name_heuristics, parsed};

pub struct NetworkDns(pub Shared);

impl Module for NetworkDns {
    fn name(&self) -> &'static str {
        "network_dns"
    }
    fn description(&self) -> &'static str {
        "DNS lookups in a capture or logs: questions, answer names and targets, addresses"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let p = parsed(&self.0, ctx)?;
        let c = &p.capture.counters;
        if c.dot_flows + c.doh_flows + c.doq_flows + c.private_relay_flows > 0 {
            out.not_checked(format!(
                "names looked up over encrypted DNS ({} DoT, {} DoH, {} DoQ, {} Private Relay connections)",
                c.dot_flows, c.doh_flows, c.doq_flows, c.private_relay_flows
            ));
        }
        if p.capture.dns.items.is_empty() {
            out.no_data("no DNS transaction in the capture");
            return Ok(());
        }
        for r in &p.capture.dns.items {
            let input = p.input(r.prov.input);
            let rec = r.to_record(input);
            let ts = r.prov.first_ts();
            out.record(&rec);
            let answers: Vec<&str> = r.answers.iter().map(|a| a.2.as_str()).take(8).collect();
            out.timeline(
                ts,
                "dns_query",
                format!(
                    "DNS {} {} ({}×){}",
                    crate::dns::qtype_name(r.qtype),
                    r.query,
                    r.prov.count,
                    if answers.is_empty() {
                        String::new()
                    } else {
                        format!(" → {}", answers.join(", "))
                    }
                ),
            );
            let mut seen = HashSet::new();
            let iocs = ctx.iocs;
            indicator_alerts(
                out,
                &p,
                &mut seen,
                &iocs.match_host(&r.query),
                "DNS lookup of",
                &r.query,
                ts,
                &rec,
            );
            for (owner, _, value) in &r.answers {
                if owner != &r.query {
                    indicator_alerts(
                        out,
                        &p,
                        &mut seen,
                        &iocs.match_host(owner),
                        "DNS answer for",
                        owner,
                        ts,
                        &rec,
                    );
                }
                if value.parse::<std::net::IpAddr>().is_ok() {
                    indicator_alerts(
                        out,
                        &p,
                        &mut seen,
                        &iocs.match_ip(value),
                        "DNS answer address",
                        value,
                        ts,
                        &rec,
                    );
                } else {
                    indicator_alerts(
                        out,
                        &p,
                        &mut seen,
                        &iocs.match_host(value),
                        "DNS answer target",
                        value,
                        ts,
                        &rec,
                    );
                }
            }
            if r.qtype == 12
                && let Some(ip) = ptr_address(&r.query)
                && !iocs.match_ip(&ip).is_empty()
            {
                heuristic(
                    out,
                    Level::Low,
                    format!("reverse (PTR) lookup of the indicator address {ip}"),
                    ts,
                    &rec,
                );
            }
            name_heuristics(out, ctx, &p, &r.query, "DNS lookup of", ts, &rec);
        }
        Ok(())
    }
}

/// The address a PTR name (`4.3.2.1.in-addr.arpa`, nibbles `.ip6.arpa`) stands for.
pub fn ptr_address(name: &str) -> Option<String> {
    if let Some(v4) = name.strip_suffix(".in-addr.arpa") {
        let parts: Vec<&str> = v4.split('.').collect();
        if parts.len() == 4 {
            let ip = format!("{}.{}.{}.{}", parts[3], parts[2], parts[1], parts[0]);
            return ip.parse::<std::net::Ipv4Addr>().ok().map(|a| a.to_string());
        }
    }
    if let Some(v6) = name.strip_suffix(".ip6.arpa") {
        let nib: Vec<&str> = v6.split('.').collect();
        if nib.len() == 32 {
            let hex: String = nib.iter().rev().copied().collect();
            let groups: Vec<&str> = (0..8).map(|i| &hex[i * 4..i * 4 + 4]).collect();
            return groups
                .join(":")
                .parse::<std::net::Ipv6Addr>()
                .ok()
                .map(|a| a.to_string());
        }
    }
    None
}
