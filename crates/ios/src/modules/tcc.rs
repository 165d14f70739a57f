//! tcc: privacy permissions, `HomeDomain/Library/TCC/TCC.db` (table `access`).
//!
//! Three layouts: iOS ≤ 11 (`allowed`, `prompt_count`), iOS 12–13 (plus `last_modified`), iOS 14+
//! (`auth_value`, `auth_reason`, `last_modified`). Records `service`, `client`, `client_type`, and
//! `auth_value`/`auth_reason_desc` or `allowed_value`/`prompt_count`, `last_modified` (MVT's fields),
//! plus `service_name` (a readable name). Clients are checked against the process and app-id indicators.
//! Camera and microphone grants go on the timeline like every other decision; they raise no alert.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use crate::util::{open_if_present, sql_f64, sql_string};

pub const PATH: &str = "HomeDomain/Library/TCC/TCC.db";

fn auth_value(v: i64) -> &'static str {
    match v {
        0 => "denied",
        1 => "unknown",
        2 => "allowed",
        3 => "limited",
        _ => "",
    }
}

fn auth_reason(v: i64) -> &'static str {
    match v {
        1 => "error",
        2 => "user_consent",
        3 => "user_set",
        4 => "system_set",
        5 => "service_policy",
        6 => "mdm_policy",
        7 => "override_policy",
        8 => "missing_usage_string",
        9 => "prompt_timeout",
        10 => "preflight_unknown",
        11 => "entitled",
        12 => "app_type_policy",
        _ => "unknown",
    }
}

/// A readable name for a `kTCCService…` identifier.
pub fn service_name(s: &str) -> String {
    let known = match s {
        "kTCCServiceCamera" => "camera",
        "kTCCServiceMicrophone" => "microphone",
        "kTCCServicePhotos" => "photos",
        "kTCCServicePhotosAdd" => "photos (add only)",
        "kTCCServiceAddressBook" => "contacts",
        "kTCCServiceCalendar" => "calendar",
        "kTCCServiceReminders" => "reminders",
        "kTCCServiceMediaLibrary" => "media library",
        "kTCCServiceBluetoothAlways" | "kTCCServiceBluetoothPeripheral" => "bluetooth",
        "kTCCServiceMotion" => "motion and fitness",
        "kTCCServiceSpeechRecognition" => "speech recognition",
        "kTCCServiceUserTracking" => "tracking",
        "kTCCServiceFaceID" => "Face ID",
        "kTCCServiceLiverpool" => "location services (system)",
        "kTCCServiceWillow" => "home data",
        "kTCCServiceFocusStatus" => "focus status",
        "kTCCServiceExposureNotification" => "exposure notifications",
        "kTCCServiceSensorKit" => "sensor data",
        "kTCCServiceKeyboardNetwork" => "keyboard network access",
        "kTCCServiceSiri" => "Siri",
        "kTCCServiceNearbyInteraction" => "nearby interaction",
        "kTCCServiceWebKitIntelligentTrackingPrevention" => "cross-site tracking",
        _ => "",
    };
    if known.is_empty() {
        s.strip_prefix("kTCCService").unwrap_or(s).to_string()
    } else {
        known.to_string()
    }
}

/// The module, reading the database at a path the acquisition gives: [`Tcc::BACKUP`] for a backup,
/// [`Tcc::at`] elsewhere (a sysdiagnose's `logs/Accessibility/TCC.db`, a dump's
/// `private/var/mobile/Library/TCC/TCC.db`).
#[derive(Debug, Clone, Copy)]
pub struct Tcc {
    path: &'static str,
}

impl Tcc {
    pub const BACKUP: Tcc = Tcc { path: PATH };
    pub const fn at(path: &'static str) -> Tcc {
        Tcc { path }
    }
}

impl Module for Tcc {
    fn name(&self) -> &'static str {
        "tcc"
    }
    fn description(&self) -> &'static str {
        "Privacy permissions (TCC.db): clients against process and app indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let path = self.path;
        let Some(db) = open_if_present(ctx, out, path)? else {
            return Ok(());
        };
        let cols = db.columns("access")?;
        if cols.is_empty() {
            out.no_data(format!("{path} has no access table"));
            return Ok(());
        }
        let has = |c: &str| cols.iter().any(|x| x == c);
        let v3 = has("auth_value");
        let lm = if has("last_modified") {
            "last_modified"
        } else {
            "NULL"
        };
        let sql = if v3 {
            let reason = if has("auth_reason") {
                "auth_reason"
            } else {
                "NULL"
            };
            format!("SELECT service, client, client_type, auth_value, {reason}, {lm} FROM access")
        } else {
            let pc = if has("prompt_count") {
                "prompt_count"
            } else {
                "NULL"
            };
            format!("SELECT service, client, client_type, allowed, {pc}, {lm} FROM access")
        };
        let mut st = db.conn().prepare(&sql).map_err(|e| db.err(e))?;
        let mut rows = st.query([]).map_err(|e| db.err(e))?;
        while let Some(row) = rows.next().map_err(|e| db.err(e))? {
            let s = |i: usize| row.get_ref(i).ok().and_then(sql_string).unwrap_or_default();
            let n = |i: usize| row.get_ref(i).ok().and_then(sql_f64).map(|x| x as i64);
            let (service, client) = (s(0), s(1));
            let client_type = if n(2) == Some(0) {
                "bundle_id"
            } else {
                "absolute_path"
            };
            let modified = n(5).and_then(|x| time::from_unix(x as f64));
            let mut rec =
                record! { "service" => service, "client" => client, "client_type" => client_type };
            let decision = if v3 {
                let av = auth_value(n(3).unwrap_or(-1));
                rec.insert("auth_value".into(), av.into());
                rec.insert(
                    "auth_reason_desc".into(),
                    auth_reason(n(4).unwrap_or(-1)).into(),
                );
                av
            } else {
                let av = match n(3) {
                    Some(0) => "denied",
                    Some(1) => "allowed",
                    _ => "",
                };
                rec.insert("allowed_value".into(), av.into());
                rec.insert("prompt_count".into(), n(4).into());
                av
            };
            if lm != "NULL" {
                rec.insert("last_modified".into(), time::format_opt(modified).into());
            }
            let readable = service_name(&service);
            rec.insert("service_name".into(), readable.clone().into());
            out.record(&rec);
            out.timeline(
                modified,
                "AccessRequest",
                format!("Access to {readable} ({service}) by {client} {decision}"),
            );

            let mut matches = ctx.iocs.match_process(&client);
            if client_type == "bundle_id" {
                matches.extend(ctx.iocs.match_app_id(&client));
            }
            out.ioc_alerts(
                &matches,
                &format!("Permission holder {client}"),
                modified,
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
    use telltale_testkit::ios_dbs::{IosVersion, TccDb};

    fn ioc() -> telltale_core::ioc::IocIndex {
        iocs(&[
            (IndicatorKind::ProcessName, "msgacntd"),
            (IndicatorKind::AppId, "com.evil.spy"),
        ])
    }

    #[test]
    fn three_layouts() {
        for (v, key, expected) in [
            (IosVersion::V11, "allowed_value", "allowed"),
            (IosVersion::V13, "allowed_value", "allowed"),
            (IosVersion::V17, "auth_value", "allowed"),
        ] {
            let auth = if v.major() >= 14 { 2 } else { 1 };
            let f = Folder::new();
            TccDb::new(v)
                .access(
                    "kTCCServiceMicrophone",
                    "/usr/libexec/msgacntd",
                    1,
                    auth,
                    1_650_000_000,
                )
                .access("kTCCServiceCamera", "com.evil.spy", 0, auth, 1_650_000_000)
                .access(
                    "kTCCServiceCamera",
                    "com.notevil.spy",
                    0,
                    auth,
                    1_650_000_000,
                )
                .access(
                    "kTCCServicePhotos",
                    "com.apple.mobileslideshow",
                    0,
                    0,
                    1_650_000_000,
                )
                .write(f.path(PATH))
                .unwrap();
            let r = run(&Tcc::BACKUP, &f, &ioc());
            assert_eq!(r.records.len(), 4, "{v:?}");
            assert_eq!(r.records[0][key], expected, "{v:?}");
            assert_eq!(r.records[0]["service_name"], "microphone");
            assert_eq!(r.records[0]["client_type"], "absolute_path");
            assert_eq!(r.records[3][key], "denied");
            let high = r.at(Level::Critical);
            assert_eq!(high.len(), 2, "{v:?} {:?}", r.alerts);
            assert_eq!(
                r.alerts.len(),
                2,
                "camera/microphone grants alone raise nothing"
            );
            if v.major() >= 12 {
                assert_eq!(r.records[0]["last_modified"], "2022-04-15 05:20:00.000000");
                assert_eq!(r.timeline.len(), 4);
            } else {
                assert!(r.records[0].get("last_modified").is_none());
                assert!(r.timeline.is_empty());
            }
            if v.major() >= 14 {
                assert_eq!(r.records[0]["auth_reason_desc"], "user_consent");
            }
        }
    }

    #[test]
    fn malformed_and_missing() {
        let f = Folder::new();
        f.put(PATH, &b"SQLite format 3\0".repeat(64));
        assert!(run(&Tcc::BACKUP, &f, &iocs(&[])).failed_with("TCC.db"));
        assert!(matches!(
            run(&Tcc::BACKUP, Folder::new(), &iocs(&[])).outcome.status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
