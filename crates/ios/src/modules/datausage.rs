//! datausage: per-process network usage, `WirelessDomain/Library/Databases/DataUsage.sqlite` (on a dump
//! `private/var/wireless/Library/Databases/DataUsage.sqlite`). The store and its checks are shared with
//! `netusage`: see [`crate::usage_db`].

use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

pub use crate::usage_db::backup_agent_alert;
use crate::util::open_if_present;

pub const PATH: &str = "WirelessDomain/Library/Databases/DataUsage.sqlite";

pub struct Datausage;

impl Module for Datausage {
    fn name(&self) -> &'static str {
        "datausage"
    }
    fn description(&self) -> &'static str {
        "Per-process network usage (DataUsage.sqlite): process names against indicators, deleted process rows"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(db) = open_if_present(ctx, out, PATH)? else {
            return Ok(());
        };
        crate::usage_db::check(ctx, out, PATH, db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{Folder, iocs, run};
    use telltale_core::Level;
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::ios_dbs::{DataUsageDb, IosVersion};

    fn base(v: IosVersion) -> DataUsageDb {
        DataUsageDb::new(v)
            .process(
                "com.apple.WebKit.Networking",
                Some("com.apple.mobilesafari"),
                600_000_000.0,
                600_100_000.0,
            )
            .process("bh", None, 600_000_000.0, 600_100_000.0)
            .process("bhd", None, 600_000_000.0, 600_100_000.0)
            .usage(1, 600_100_000.0, 10.0, 20.0, 30.0, 40.0)
            .usage(2, 600_100_000.0, 1.0, 2.0, 3.0, 4.0)
    }

    #[test]
    fn indicator_process_matches_and_similar_does_not() {
        for v in [IosVersion::V13, IosVersion::V17] {
            let f = Folder::new();
            base(v).write(f.path(PATH)).unwrap();
            let r = run(&Datausage, &f, &iocs(&[(IndicatorKind::ProcessName, "bh")]));
            assert_eq!(r.records.len(), 3, "{v:?}");
            let high = r.at(Level::Critical);
            assert_eq!(high.len(), 1, "{v:?} {:?}", r.alerts);
            assert_eq!(high[0].event["proc_name"], "bh");
            assert_eq!(r.alerts.len(), 1);
            let safari = &r.records[0];
            assert_eq!(safari["wwan_in"], 30.0);
            if v.major() <= 14 {
                assert_eq!(safari["wifi_in"], 10.0);
            } else {
                assert!(safari["wifi_in"].is_null());
            }
            assert_eq!(safari["first_isodate"], "2020-01-06 10:40:00.000000");
        }
    }

    #[test]
    fn deleted_process_rows_and_gaps() {
        let f = Folder::new();
        base(IosVersion::V16)
            .process("a", None, 600_000_000.0, 600_000_000.0)
            .process("b", None, 600_000_000.0, 600_000_000.0)
            .process("c", None, 600_000_000.0, 600_000_000.0)
            .usage(5, 600_200_000.0, 0.0, 0.0, 5.0, 5.0)
            .usage(5, 600_300_000.0, 0.0, 0.0, 6.0, 6.0)
            .delete_process(5)
            .delete_process(2)
            .write(f.path(PATH))
            .unwrap();
        let r = run(&Datausage, &f, &iocs(&[]));
        let high = r.at(Level::High);
        assert_eq!(
            high.len(),
            2,
            "one alert per deleted process (5 has two usage rows): {:?}",
            r.alerts
        );
        assert_eq!(high[0].event["live_proc_id"], 2);
        assert_eq!(high[1].event["live_proc_id"], 5);
        assert_eq!(
            high[1].event["proc_name"],
            "MANIPULATED [process record deleted]"
        );
        assert_eq!(
            r.records
                .iter()
                .filter(|r| r["live_proc_id"] == 5 && !r["live_id"].is_null())
                .count(),
            2
        );
        let low = r.at(Level::Low);
        assert_eq!(low.len(), 2, "{:?}", low);
        let missing: Vec<_> = r
            .records
            .iter()
            .filter(|x| x["proc_name"].as_str().unwrap_or("").starts_with("MISSING"))
            .collect();
        assert_eq!(missing.len(), 2, "one placeholder per missing id, as MVT");
        assert_eq!(missing[0]["proc_id"], 2);
        assert_eq!(missing[0]["live_proc_id"], 2);
        assert_eq!(
            missing[0]["proc_name"],
            "MISSING [follows com.apple.WebKit.Networking]"
        );
        assert_eq!(low[0].event["missing_proc_ids"], "2");
        assert_eq!(low[1].event["missing_proc_ids"], "5");
    }

    #[test]
    fn backupagent_network_use_is_medium() {
        let f = Folder::new();
        DataUsageDb::new(IosVersion::V15)
            .process("BackupAgent", None, 650_000_000.0, 650_000_000.0)
            .process("BackupAgent2", None, 650_000_000.0, 650_000_000.0)
            .usage(1, 650_000_000.0, 0.0, 0.0, 100.0, 50.0)
            .usage(2, 650_000_000.0, 0.0, 0.0, 100.0, 50.0)
            .write(f.path(PATH))
            .unwrap();
        let r = run(&Datausage, &f, &iocs(&[]));
        let med = r.at(Level::Medium);
        assert_eq!(med.len(), 1);
        assert_eq!(med[0].event["proc_name"], "BackupAgent");
        assert!(r.severe().is_empty());
    }

    #[test]
    fn malformed_and_missing() {
        let f = Folder::new();
        f.put(PATH, &vec![0xAB; 8192]);
        assert!(run(&Datausage, &f, &iocs(&[])).failed_with("DataUsage.sqlite"));
        assert!(matches!(
            run(&Datausage, Folder::new(), &iocs(&[])).outcome.status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
