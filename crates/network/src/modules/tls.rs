//! `network_tls`: TLS ClientHellos (TCP, any port) and QUIC Initials decrypted to their ClientHello.
//! Records: one per SNI and destination, with ALPN, version, ECH and post-quantum key share.
//! Checks: the SNI (match_host); TLS on a non-standard port (MEDIUM, TinyCheck SSL-01).
//! Timeline: `tls_client_hello` / `quic_client_hello`.

use std::collections::HashSet;

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError};

use super::{Shared, allowed, heuristic, indicator_alerts, name_heuristics, parsed};

pub struct NetworkTls(pub Shared);

/// Ports where TLS is expected (TinyCheck's list, plus DoT).
pub const TLS_PORTS: [u16; 9] = [443, 465, 636, 853, 989, 990, 993, 995, 5223];

impl Module for NetworkTls {
    fn name(&self) -> &'static str {
        "network_tls"
    }
    fn description(&self) -> &'static str {
        "TLS and QUIC ClientHellos in a capture or logs: server names (SNI), ECH"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let p = parsed(&self.0, ctx)?;
        let c = &p.capture.counters;
        if c.hellos_no_sni > 0 {
            out.not_checked(format!(
                "{} ClientHellos without a server name",
                c.hellos_no_sni
            ));
        }
        if c.hellos_ech > 0 {
            out.not_checked(format!(
                "{} ClientHellos with ECH: the real server name is encrypted",
                c.hellos_ech
            ));
        }
        if c.quic_failed > 0 {
            out.not_checked(format!(
                "{} QUIC connections whose Initials could not be decrypted",
                c.quic_failed
            ));
        }
        if p.capture.hellos.items.is_empty() {
            out.no_data("no TLS or QUIC ClientHello in the capture");
            return Ok(());
        }
        for r in &p.capture.hellos.items {
            let rec = r.to_record(p.input(r.prov.input));
            let ts = r.prov.first_ts();
            out.record(&rec);
            let proto = if r.quic { "QUIC" } else { "TLS" };
            let name = r.sni.as_deref().unwrap_or("(no SNI)");
            out.timeline(
                ts,
                if r.quic {
                    "quic_client_hello"
                } else {
                    "tls_client_hello"
                },
                format!(
                    "{proto} to {name} at {}:{} ({}×){}",
                    r.server,
                    r.port,
                    r.prov.count,
                    if r.ech { ", ECH" } else { "" }
                ),
            );
            let mut seen = HashSet::new();
            if let Some(sni) = &r.sni {
                let what = if r.quic {
                    "QUIC server name"
                } else {
                    "TLS server name"
                };
                indicator_alerts(
                    out,
                    &p,
                    &mut seen,
                    &ctx.iocs.match_host(sni),
                    what,
                    sni,
                    ts,
                    &rec,
                );
                name_heuristics(out, ctx, &p, sni, what, ts, &rec);
            }
            if !r.quic
                && !TLS_PORTS.contains(&r.port)
                && !allowed(&p, r.sni.as_deref(), Some(r.server))
            {
                heuristic(
                    out,
                    Level::Medium,
                    format!(
                        "TLS on the non-standard port {} to {name} ({})",
                        r.port, r.server
                    ),
                    ts,
                    &rec,
                );
            }
        }
        Ok(())
    }
}
