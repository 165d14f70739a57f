//! `network_http`: plain HTTP/1.x requests. Records: one per method and URL, with Host and
//! User-Agent. Checks: the reconstructed `http://host/target` URL against URL indicators and its
//! host against domains (match_url: never a name found in the path or query); plain HTTP (LOW) and
//! HTTP on a non-standard port (MEDIUM). Timeline: `http_request`.

use std::collections::HashSet;

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError};

use super::{Shared, allowed, heuristic, indicator_alerts, name_heuristics, parsed};

pub struct NetworkHttp(pub Shared);

impl Module for NetworkHttp {
    fn name(&self) -> &'static str {
        "network_http"
    }
    fn description(&self) -> &'static str {
        "plain HTTP requests in a capture or logs: hosts, URLs, CONNECT authorities"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let p = parsed(&self.0, ctx)?;
        if p.capture.http.items.is_empty() {
            out.no_data("no plain HTTP request in the capture");
            return Ok(());
        }
        for r in &p.capture.http.items {
            let rec = r.to_record(p.input(r.prov.input));
            let ts = r.prov.first_ts();
            out.record(&rec);
            out.timeline(
                ts,
                "http_request",
                format!("HTTP {} {} ({}×)", r.method, r.url, r.prov.count),
            );
            let mut seen = HashSet::new();
            indicator_alerts(
                out,
                &p,
                &mut seen,
                &ctx.iocs.match_url(&r.url),
                "HTTP request to",
                &r.url,
                ts,
                &rec,
            );
            let server = r.prov.tuple.map(|t| t.dst);
            if let Some(h) = &r.host {
                name_heuristics(out, ctx, &p, h, "HTTP host", ts, &rec);
            }
            if allowed(&p, r.host.as_deref(), server) || r.method == "CONNECT" {
                continue;
            }
            let host = r.host.as_deref().unwrap_or("(no host)");
            if r.port == 80 {
                heuristic(
                    out,
                    Level::Low,
                    format!("plain (unencrypted) HTTP to {host}"),
                    ts,
                    &rec,
                );
            } else {
                heuristic(
                    out,
                    Level::Medium,
                    format!("HTTP on the non-standard port {} to {host}", r.port),
                    ts,
                    &rec,
                );
            }
        }
        Ok(())
    }
}
