//! `network_certs`: server certificates of TLS ≤ 1.2 handshakes (Zeek x509/ssl/files logs and EVE
//! tls give their hashes too). Records: one per certificate (SHA-1/SHA-256 of the DER, subject,
//! issuer, SAN). Checks: certificate hashes (match_cert_hash), SAN and CN names (match_host), a
//! self-signed leaf (MEDIUM). Timeline: `tls_certificate`.

use std::collections::HashSet;

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError};

use super::{Shared, allowed, heuristic, indicator_alerts, parsed};

pub struct NetworkCerts(pub Shared);

impl Module for NetworkCerts {
    fn name(&self) -> &'static str {
        "network_certs"
    }
    fn description(&self) -> &'static str {
        "TLS server certificates in a capture or logs: hashes, names, self-signed leaves"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let p = parsed(&self.0, ctx)?;
        let c = &p.capture.counters;
        if c.tls13_sessions > 0 {
            out.not_checked(format!(
                "{} TLS 1.3 sessions: their certificates are encrypted",
                c.tls13_sessions
            ));
        }
        if p.capture.certs.items.is_empty() {
            out.no_data("no server certificate visible in the capture");
            return Ok(());
        }
        for r in &p.capture.certs.items {
            let rec = r.to_record(p.input(r.prov.input));
            let ts = r.prov.first_ts();
            out.record(&rec);
            let i = &r.info;
            out.timeline(
                ts,
                "tls_certificate",
                format!(
                    "certificate {} ({}) issued by {}",
                    if i.subject.is_empty() {
                        &i.sha256
                    } else {
                        &i.subject
                    },
                    if i.sha1.is_empty() {
                        &i.sha256
                    } else {
                        &i.sha1
                    },
                    i.issuer
                ),
            );
            let mut seen = HashSet::new();
            for h in [&i.sha1, &i.sha256] {
                if !h.is_empty() {
                    indicator_alerts(
                        out,
                        &p,
                        &mut seen,
                        &ctx.iocs.match_cert_hash(h),
                        "server certificate",
                        h,
                        ts,
                        &rec,
                    );
                }
            }
            for n in i.san.iter().chain(i.common_name.iter()) {
                let name = n.strip_prefix("*.").unwrap_or(n);
                indicator_alerts(
                    out,
                    &p,
                    &mut seen,
                    &ctx.iocs.match_host(name),
                    "certificate name",
                    n,
                    ts,
                    &rec,
                );
            }
            if r.leaf && i.self_signed && !allowed(&p, r.sni.as_deref(), r.server) {
                heuristic(
                    out,
                    Level::Medium,
                    format!("self-signed server certificate {}", i.subject),
                    ts,
                    &rec,
                );
            }
        }
        Ok(())
    }
}
