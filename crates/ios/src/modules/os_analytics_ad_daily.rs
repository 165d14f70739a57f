//! os_analytics_ad_daily: per-process network usage of `com.apple.osanalytics.addaily.plist`
//! (`netUsageBaseline`: process → [date, Wi-Fi in, Wi-Fi out, WWAN in, WWAN out]).
//!
//! MVT reads it at `HomeDomain/Library/Preferences/`; `WirelessDomain/Library/Databases/` is also tried.
//! Records `package`, `ts`, `wifi_in`, `wifi_out`, `wwan_in`, `wwan_out` (MVT's fields). Process names are
//! checked against the process indicators (Pegasus processes appear here); `BackupAgent` (the retired
//! backup daemon, replaced by BackupAgent2) using the network is flagged MEDIUM (Operation Triangulation).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use super::datausage::backup_agent_alert;
use crate::util::{load_plist_dict, plist_time};

pub const PATHS: [&str; 2] = [
    "HomeDomain/Library/Preferences/com.apple.osanalytics.addaily.plist",
    "WirelessDomain/Library/Databases/com.apple.osanalytics.addaily.plist",
];

pub struct OsAnalyticsAdDaily;

fn num(v: Option<&plist::Value>) -> serde_json::Value {
    match v {
        Some(plist::Value::Integer(i)) => i
            .as_signed()
            .map(serde_json::Value::from)
            .unwrap_or(serde_json::Value::Null),
        Some(plist::Value::Real(f)) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or_default(),
        _ => serde_json::Value::Null,
    }
}

impl Module for OsAnalyticsAdDaily {
    fn name(&self) -> &'static str {
        "os_analytics_ad_daily"
    }
    fn description(&self) -> &'static str {
        "Per-process network usage (com.apple.osanalytics.addaily.plist): process names against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let mut found = false;
        for path in PATHS {
            let Some(root) = load_plist_dict(ctx.evidence, out, path)? else {
                continue;
            };
            found = true;
            let Some(baseline) = root.get("netUsageBaseline").and_then(|v| v.as_dictionary())
            else {
                out.warn(format!("{path}: no netUsageBaseline dictionary"));
                continue;
            };
            for (package, values) in baseline {
                let Some(values) = values.as_array() else {
                    continue;
                };
                let ts = values.first().and_then(plist_time);
                let [wifi_in, wifi_out, wwan_in, wwan_out] =
                    [1, 2, 3, 4].map(|i| num(values.get(i)));
                let desc = format!(
                    "{package} WIFI IN: {wifi_in}, WIFI OUT: {wifi_out} - WWAN IN: {wwan_in}, WWAN OUT: {wwan_out}"
                );
                let rec = record! {
                    "package" => package,
                    "ts" => time::format_opt(ts),
                    "wifi_in" => wifi_in,
                    "wifi_out" => wifi_out,
                    "wwan_in" => wwan_in,
                    "wwan_out" => wwan_out,
                };
                out.record(&rec);
                out.timeline(ts, "osanalytics_addaily", desc);
                let matches = ctx.iocs.match_process(package);
                out.ioc_alerts(
                    &matches,
                    &format!("Process {package} with network usage"),
                    ts,
                    &rec,
                );
                backup_agent_alert(out, package, ts, &rec);
            }
        }
        if !found {
            out.no_data("no com.apple.osanalytics.addaily.plist in the backup");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{Folder, iocs, run};
    use telltale_core::Level;
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::ios_dbs::OsAnalyticsAdDaily as Writer;

    #[test]
    fn pegasus_process_and_backupagent() {
        let f = Folder::new();
        f.put(
            PATHS[0],
            &Writer::new()
                .usage("bh", 650_000_000.0, 10, 20, 30, 40)
                .usage("bhd", 650_000_000.0, 10, 20, 30, 40)
                .usage("BackupAgent", 650_000_000.0, 0, 0, 1000, 2000)
                .usage("BackupAgent2", 650_000_000.0, 0, 0, 1000, 2000)
                .usage("com.apple.WebKit.Networking", 650_000_000.0, 1, 1, 1, 1)
                .to_bytes(),
        );
        let r = run(
            &OsAnalyticsAdDaily,
            &f,
            &iocs(&[(IndicatorKind::ProcessName, "bh")]),
        );
        assert_eq!(r.records.len(), 5);
        let high = r.at(Level::Critical);
        assert_eq!(high.len(), 1);
        assert_eq!(high[0].event["package"], "bh");
        assert_eq!(high[0].event["wwan_out"], 40);
        let med = r.at(Level::Medium);
        assert_eq!(med.len(), 1);
        assert_eq!(med[0].event["package"], "BackupAgent");
        assert_eq!(r.timeline.len(), 5);
        assert_eq!(r.records[0]["ts"], "2021-08-07 03:33:20.000000");
    }

    #[test]
    fn malformed_and_missing() {
        let f = Folder::new();
        f.put(
            PATHS[0],
            b"<?xml version=\"1.0\"?><plist><dict><key>x</key>",
        );
        assert!(run(&OsAnalyticsAdDaily, &f, &iocs(&[])).failed_with("addaily.plist"));
        assert!(matches!(
            run(&OsAnalyticsAdDaily, Folder::new(), &iocs(&[]))
                .outcome
                .status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
