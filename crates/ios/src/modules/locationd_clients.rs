//! locationd_clients: the clients of the location daemon, `RootDomain/Library/Caches/locationd/clients.plist`
//! (client key → dictionary). Keys are bundle ids (`com.apple.Maps`) or executable paths
//! (`/usr/libexec/…:`); Pegasus processes have been seen here.
//!
//! Records each client dictionary with `package` (the key without its trailing `:`) and its time fields
//! (MVT's list) as UTC times. Checks the key's last path component and `BundleId` against the process
//! indicators, and `BundlePath`, `Executable` and `Registered` against the file-path indicators.

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, time};

use crate::util::{dedup_matches, load_plist_dict, plist_time, plist_to_json};

pub const PATH: &str = "RootDomain/Library/Caches/locationd/clients.plist";

/// The time fields of a client entry (Mac absolute seconds).
pub const TIMESTAMPS: [&str; 9] = [
    "ConsumptionPeriodBegin",
    "ReceivingLocationInformationTimeStopped",
    "VisitTimeStopped",
    "LocationTimeStopped",
    "BackgroundLocationTimeStopped",
    "SignificantTimeStopped",
    "NonPersistentSignificantTimeStopped",
    "FenceTimeStopped",
    "BeaconRegionTimeStopped",
];

pub struct LocationdClients;

impl Module for LocationdClients {
    fn name(&self) -> &'static str {
        "locationd_clients"
    }
    fn description(&self) -> &'static str {
        "Location daemon clients (locationd clients.plist): process names and paths against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(root) = load_plist_dict(ctx.evidence, out, PATH)? else {
            out.no_data(format!("{PATH} is not in the acquisition"));
            return Ok(());
        };
        for (key, v) in root {
            // Some top-level values are migration markers, not clients.
            let Some(d) = v.as_dictionary() else { continue };
            let package = key.trim_end_matches(':').to_string();
            let mut rec = Record::new();
            rec.insert("package".into(), package.clone().into());
            let mut times = Vec::new();
            for (k, v) in d {
                if TIMESTAMPS.contains(&k.as_str()) {
                    let ts = plist_time(v);
                    rec.insert(k.clone(), time::format_opt(ts).into());
                    times.push((k.as_str(), ts));
                } else {
                    rec.insert(k.clone(), plist_to_json(v));
                }
            }
            out.record(&rec);
            for (k, ts) in &times {
                out.timeline(*ts, k, format!("{k} from {package}"));
            }
            let latest = times.iter().filter_map(|(_, t)| *t).max();

            let proc_name = package.rsplit('/').next().unwrap_or(&package);
            let mut matches = ctx.iocs.match_process(proc_name);
            if let Some(b) = d.get("BundleId").and_then(|v| v.as_string()) {
                matches.extend(ctx.iocs.match_process(b));
                matches.extend(ctx.iocs.match_app_id(b));
            }
            for field in ["BundlePath", "Executable", "Registered"] {
                if let Some(p) = d.get(field).and_then(|v| v.as_string()) {
                    matches.extend(ctx.iocs.match_file_path(p));
                }
            }
            dedup_matches(&mut matches);
            // MVT rates location-client matches HIGH.
            out.ioc_alerts_at(
                Level::High,
                &matches,
                &format!("Location client {package}"),
                latest,
                &rec,
            );
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
    use telltale_testkit::ios_dbs::LocationdClients as Writer;

    #[test]
    fn process_and_path_indicators() {
        let f = Folder::new();
        f.put(
            PATH,
            &Writer::new()
                .client(
                    "/usr/libexec/roleaccountd:",
                    650_000_000.0,
                    &[("Executable", "/usr/libexec/roleaccountd")],
                )
                .client(
                    "com.apple.Maps",
                    650_000_000.0,
                    &[("BundleId", "com.apple.Maps")],
                )
                .client(
                    "com.evil.app",
                    650_000_000.0,
                    &[(
                        "BundlePath",
                        "/private/var/containers/Bundle/Application/X/evil.app",
                    )],
                )
                .client("/usr/libexec/notroleaccountd:", 650_000_000.0, &[])
                .raw("LastMigration", plist::Value::Integer(3.into()))
                .to_bytes(),
        );
        let ioc = iocs(&[
            (IndicatorKind::ProcessName, "roleaccountd"),
            (
                IndicatorKind::FilePath,
                "/private/var/containers/Bundle/Application/X/evil.app",
            ),
        ]);
        let r = run(&LocationdClients, &f, &ioc);
        assert_eq!(r.records.len(), 4);
        let high = r.at(Level::High);
        assert_eq!(high.len(), 2, "{:?}", r.alerts);
        assert_eq!(high[0].event["package"], "/usr/libexec/roleaccountd");
        assert_eq!(
            high[0].event["LocationTimeStopped"],
            "2021-08-07 03:33:20.000000"
        );
        assert_eq!(
            high[1].matched_indicator.as_ref().unwrap().kind,
            "file_paths"
        );
        assert_eq!(
            high[1]
                .matched_indicator
                .as_ref()
                .unwrap()
                .stix_type
                .as_deref(),
            Some("file:path")
        );
        assert_eq!(r.timeline.len(), 8);
    }

    #[test]
    fn malformed_and_missing() {
        let f = Folder::new();
        f.put(PATH, b"bplist00garbage");
        assert!(run(&LocationdClients, &f, &iocs(&[])).failed_with("clients.plist"));
        assert!(matches!(
            run(&LocationdClients, Folder::new(), &iocs(&[]))
                .outcome
                .status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
