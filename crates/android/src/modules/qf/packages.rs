//! `aqf_packages`: installed apps (`packages.json`: name, installer, system/disabled flags, APK files
//! with hashes and signing certificates). App ids, APK hashes and certificate hashes are checked against
//! indicators; root packages, apps installed from a browser or by adb, and disabled security or update
//! packages raise heuristic alerts.

use serde_json::Value;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record};

use super::read_text;

pub struct Packages;

pub use crate::lists::ROOT_PACKAGES;

/// Manufacturer security agents.
pub const SECURITY_PACKAGES: &[&str] = &[
    "com.policydm",
    "com.samsung.android.app.omcagent",
    "com.samsung.android.securitylogagent",
    "com.sec.android.soagent",
];

/// System (OTA) update packages.
pub const SYSTEM_UPDATE_PACKAGES: &[&str] = &[
    "com.android.updater",
    "com.google.android.gms",
    "com.huawei.android.hwouc",
    "com.lge.lgdmsclient",
    "com.motorola.ccc.ota",
    "com.oneplus.opbackup",
    "com.oppo.ota",
    "com.transsion.systemupdate",
    "com.wssyncmldm",
];

pub const THIRD_PARTY_STORE_INSTALLERS: &[&str] = &["com.aurora.store", "org.fdroid.fdroid"];
/// The package installer: what installs an APK downloaded with a browser.
pub const BROWSER_INSTALLERS: &[&str] = &[
    "com.google.android.packageinstaller",
    "com.android.packageinstaller",
];

fn get_ci<'a>(obj: &'a Record, key: &str) -> Option<&'a str> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str())
}

impl Module for Packages {
    fn name(&self) -> &'static str {
        "aqf_packages"
    }
    fn description(&self) -> &'static str {
        "Installed apps (packages.json): indicator app ids, APK and certificate hashes; root apps, \
         unusual installers, disabled security packages"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(text) = read_text(ctx.evidence, "packages.json")? else {
            out.no_data("packages.json not in the acquisition");
            return Ok(());
        };
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| ModuleError::parse("packages.json", format!("not JSON: {e}")))?;
        let Value::Array(list) = v else {
            return Err(ModuleError::parse(
                "packages.json",
                "expected a JSON list of packages",
            ));
        };
        for item in list {
            let Value::Object(pkg) = item else { continue };
            out.record(&pkg);
            let name = pkg
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let installer = pkg
                .get("installer")
                .and_then(Value::as_str)
                .unwrap_or("null");
            let system = pkg.get("system").and_then(Value::as_bool).unwrap_or(false);
            let disabled = pkg
                .get("disabled")
                .and_then(Value::as_bool)
                .unwrap_or(false);

            if ROOT_PACKAGES.contains(&name.as_str()) {
                out.alert(
                    Level::Medium,
                    format!(
                        "Found an installed package related to rooting/jailbreaking: \"{name}\""
                    ),
                    None,
                    &pkg,
                    None,
                );
            }
            if THIRD_PARTY_STORE_INSTALLERS.contains(&installer) {
                out.alert(
                    Level::Informational,
                    format!("Found a package installed via a third party store (installer=\"{installer}\"): \"{name}\""),
                    None,
                    &pkg,
                    None,
                );
            } else if BROWSER_INSTALLERS.contains(&installer) {
                out.alert(
                    Level::Medium,
                    format!(
                        "Found a package installed via a browser (installer=\"{installer}\"): \"{name}\"; apps \
                         installed outside an app store are not reviewed and are a common way to plant spyware"
                    ),
                    None,
                    &pkg,
                    None,
                );
            } else if (installer == "null" || installer.is_empty()) && !system {
                out.alert(
                    Level::Medium,
                    format!(
                        "Found a non-system package installed via adb or another method: \"{name}\"; it did not \
                         come from an app store"
                    ),
                    None,
                    &pkg,
                    None,
                );
            }
            if disabled && SECURITY_PACKAGES.contains(&name.as_str()) {
                out.alert(
                    Level::Medium,
                    format!("Security package \"{name}\" disabled on the phone"),
                    None,
                    &pkg,
                    None,
                );
            }
            if disabled && SYSTEM_UPDATE_PACKAGES.contains(&name.as_str()) {
                out.alert(
                    Level::Medium,
                    format!("System OTA update package \"{name}\" disabled on the phone: it stops security updates"),
                    None,
                    &pkg,
                    None,
                );
            }

            if !name.is_empty() {
                let m = ctx.iocs.match_app_id(&name);
                out.ioc_alerts(&m, &format!("Installed app {name}"), None, &pkg);
            }
            let files = pkg
                .get("files")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for file in files {
                let Value::Object(file) = file else { continue };
                let path = file.get("path").and_then(Value::as_str).unwrap_or("");
                let m = super::first_hash_matches(ctx.iocs, &file);
                if !m.is_empty() {
                    out.ioc_alerts(&m, &format!("APK {path} of {name}"), None, &pkg);
                }
                let Some(Value::Object(cert)) = file.get("certificate") else {
                    continue;
                };
                for key in ["Md5", "Sha1", "Sha256"] {
                    let Some(h) = get_ci(cert, key).filter(|h| !h.is_empty()) else {
                        continue;
                    };
                    let m = ctx.iocs.match_cert_hash(h);
                    if !m.is_empty() {
                        out.ioc_alerts(&m, &format!("Signing certificate of {name}"), None, &pkg);
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}
