//! `connect_event`: outgoing network connections of the intrusion logs. Records: the event's fields
//! (`ip_address`, `port`, `package_name`, `event_time`) and `timestamp` (UTC). Checks: `match_ip` on
//! the address (local addresses skipped) and `match_app_id` on the package (CRITICAL). Timeline:
//! `network_connection`.

use serde_json::Value;
use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

use super::{Shared, clean_ip, event_time, events_or_no_data, is_local_ip, str_field};

pub struct ConnectEvent(pub Shared);

impl Module for ConnectEvent {
    fn name(&self) -> &'static str {
        "connect_event"
    }
    fn description(&self) -> &'static str {
        "Network connections in Android intrusion logs: indicator IP addresses and app ids"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(ev) = events_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        for e in ev.of("connect_event") {
            let ts = event_time(e.get("event_time"));
            let mut rec = e.clone();
            rec.insert("event_type".into(), "connect_event".into());
            rec.insert(
                "timestamp".into(),
                telltale_core::time::format_opt(ts)
                    .unwrap_or_default()
                    .into(),
            );
            let ip = clean_ip(str_field(e, "ip_address")).to_string();
            let port = e.get("port").map(Value::to_string).unwrap_or_default();
            let pkg = str_field(e, "package_name").to_string();
            out.timeline(
                ts,
                "network_connection",
                format!("Connection to {ip}:{port} by {pkg}"),
            );
            out.record(&rec);
            if !is_local_ip(&ip) {
                out.ioc_alerts(&ctx.iocs.match_ip(&ip), "Connection address", ts, &rec);
            }
            if !pkg.is_empty() {
                out.ioc_alerts(
                    &ctx.iocs.match_app_id(&pkg),
                    "App making a connection",
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

    #[test]
    fn positive_negative_malformed() {
        let logs = IntrusionLogs::new()
            .connect("x/a.txt", 1_700_000_000_000, "/6.6.6.6", 443, "com.example")
            .connect(
                "x/a.txt",
                1_700_000_000_001,
                "ip6-localhost/::1",
                80,
                "com.evil.spy",
            )
            .line("x/a.txt", "{\"connect_event\": 5}")
            .line("x/a.txt", "\u{0}\u{1}");
        let dir = tempfile::tempdir().unwrap();
        logs.write_folder(dir.path()).unwrap();
        let r = run_dir(
            &ConnectEvent(IntrusionCache::new()),
            dir.path(),
            &iocs(&[
                (IndicatorKind::Ipv4, "6.6.6.6"),
                (IndicatorKind::AppId, "com.evil.spy"),
            ]),
            None,
        );
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.severe(), 2);
        let r = run_dir(
            &ConnectEvent(IntrusionCache::new()),
            dir.path(),
            &iocs(&[
                (IndicatorKind::Ipv4, "6.6.6.66"),
                (IndicatorKind::Ipv6, "::1"),
            ]),
            None,
        );
        assert_eq!(r.severe(), 0, "local addresses are not checked");
        let empty = tempfile::tempdir().unwrap();
        let r = run_dir(
            &ConnectEvent(IntrusionCache::new()),
            empty.path(),
            &iocs(&[]),
            None,
        );
        assert!(matches!(
            r.outcome.status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
