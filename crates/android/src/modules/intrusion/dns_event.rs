//! `dns_event`: DNS lookups of the intrusion logs. Records: the event's fields (`hostname`,
//! `ip_addresses`, `package_name`, `event_time`) and `timestamp` (UTC). Checks: `match_host` on the
//! hostname, `match_ip` on each resolved address, `match_app_id` on the package (CRITICAL).
//! Timeline: `dns_query`.

use serde_json::Value;
use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

use super::{Shared, clean_ip, event_time, events_or_no_data, str_field};

pub struct DnsEvent(pub Shared);

impl Module for DnsEvent {
    fn name(&self) -> &'static str {
        "dns_event"
    }
    fn description(&self) -> &'static str {
        "DNS lookups in Android intrusion logs: indicator domains, IP addresses and app ids"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(ev) = events_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        for e in ev.of("dns_event") {
            let ts = event_time(e.get("event_time"));
            let mut rec = e.clone();
            rec.insert("event_type".into(), "dns_event".into());
            rec.insert(
                "timestamp".into(),
                telltale_core::time::format_opt(ts)
                    .unwrap_or_default()
                    .into(),
            );
            let host = str_field(e, "hostname").to_string();
            let pkg = str_field(e, "package_name").to_string();
            let ips: Vec<String> = e
                .get("ip_addresses")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|s| clean_ip(s).to_string())
                        .filter(|s| !s.is_empty() && s != "0.0.0.0")
                        .collect()
                })
                .unwrap_or_default();
            let desc = if ips.is_empty() {
                format!("DNS query for {host} by {pkg}")
            } else {
                format!("DNS query for {host} by {pkg} [IPs: {}]", ips.join(", "))
            };
            out.timeline(ts, "dns_query", desc);
            out.record(&rec);
            if !host.is_empty() {
                out.ioc_alerts(&ctx.iocs.match_host(&host), "DNS query hostname", ts, &rec);
            }
            for ip in &ips {
                out.ioc_alerts(&ctx.iocs.match_ip(ip), "DNS answer address", ts, &rec);
            }
            if !pkg.is_empty() {
                out.ioc_alerts(
                    &ctx.iocs.match_app_id(&pkg),
                    "App making a DNS query",
                    ts,
                    &rec,
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::bugreport::testutil::*;
    use crate::modules::intrusion::IntrusionCache;
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::bugreport::IntrusionLogs;

    fn run(logs: &IntrusionLogs, iocs: &telltale_core::ioc::IocIndex) -> Run {
        let dir = tempfile::tempdir().unwrap();
        logs.write_folder(dir.path()).unwrap();
        run_dir(&DnsEvent(IntrusionCache::new()), dir.path(), iocs, None)
    }

    #[test]
    fn positive_negative_malformed() {
        let logs = IntrusionLogs::new()
            .dns(
                "a.txt",
                1_700_000_000_000,
                "c2.evil.com",
                &["/1.2.3.4"],
                "com.example",
            )
            .dns(
                "b.txt",
                1_700_000_000_000,
                "c2.evil.com",
                &["/1.2.3.4"],
                "com.example",
            )
            .dns(
                "a.txt",
                1_700_000_001_000,
                "notevil.com",
                &["/5.6.7.8"],
                "com.other",
            )
            .line("a.txt", "{not json")
            .line("a.txt", "[1,2]");
        let r = run(
            &logs,
            &iocs(&[
                (IndicatorKind::Domain, "evil.com"),
                (IndicatorKind::Ipv4, "5.6.7.8"),
            ]),
        );
        assert_eq!(r.records.len(), 2, "duplicate across files kept once");
        assert_eq!(r.records[0]["timestamp"], "2023-11-14 22:13:20.000000");
        assert_eq!(r.severe(), 2);
        assert_eq!(r.timeline.len(), 2);
        assert!(r.outcome.warnings.iter().any(|w| w.contains("2 lines")));
        let r = run(&logs, &iocs(&[(IndicatorKind::Domain, "vil.com")]));
        assert_eq!(r.severe(), 0);
    }
}
