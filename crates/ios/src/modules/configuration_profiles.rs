//! configuration_profiles: the installed configuration profiles (`profile-*` plists of the
//! `SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles` domain) — their UUIDs, payloads
//! and install dates. Known malicious profile UUIDs are indicators; profiles that change notification
//! settings (used to hide spyware traces) and every installed profile are flagged.

use plist::Value;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record};

use crate::backup::file_id;
use crate::nska::{load_plist, plist_date, plist_to_json};

pub struct ConfigurationProfiles;

pub const DOMAIN: &str = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles";
/// Payload types that deserve a closer look.
const SUSPICIOUS_PAYLOADS: [&str; 1] = ["com.apple.notificationsettings"];

impl Module for ConfigurationProfiles {
    fn name(&self) -> &'static str {
        "configuration_profiles"
    }
    fn description(&self) -> &'static str {
        "Installed configuration profiles: UUIDs, payloads, install dates; known-bad and notification-hiding profiles"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let entries = ctx.evidence.find(&format!("{DOMAIN}/**"))?;
        let mut found = false;
        for e in entries {
            let Some(rel) = e
                .path
                .strip_prefix(DOMAIN)
                .and_then(|r| r.strip_prefix('/'))
            else {
                continue;
            };
            let base = rel.rsplit('/').next().unwrap_or(rel);
            if !base.starts_with("profile-") {
                continue;
            }
            let plist = match load_plist(ctx.evidence, out, &e.path) {
                Ok(Some(v)) => v,
                Ok(None) => continue,
                Err(err) => {
                    out.warn(format!("{err}"));
                    continue;
                }
            };
            let Some(d) = plist.as_dictionary() else {
                out.warn(format!("{}: not a dictionary", e.path));
                continue;
            };
            found = true;
            let install = match d.get("InstallDate") {
                Some(Value::Date(x)) => plist_date(x),
                _ => None,
            };
            let mut rec = Record::new();
            rec.insert("file_id".into(), file_id(DOMAIN, rel).into());
            rec.insert("relative_path".into(), rel.into());
            rec.insert("domain".into(), DOMAIN.into());
            rec.insert("plist".into(), plist_to_json(&plist));
            rec.insert(
                "install_date".into(),
                install
                    .map(telltale_core::time::format)
                    .map(Into::into)
                    .unwrap_or(serde_json::Value::Null),
            );
            out.record(&rec);
            let s = |k: &str| {
                d.get(k)
                    .and_then(Value::as_string)
                    .unwrap_or("")
                    .to_string()
            };
            let (uuid, name, ident, ptype) = (
                s("PayloadUUID"),
                s("PayloadDisplayName"),
                s("PayloadIdentifier"),
                s("PayloadType"),
            );
            out.timeline(
                install,
                "configuration_profile_install",
                format!(
                    "{ptype} installed: {uuid} - {name}: {}",
                    s("PayloadDescription")
                ),
            );
            let mut m = ctx.iocs.match_profile_id(&uuid);
            if !ident.is_empty() && ident != uuid {
                m.extend(ctx.iocs.match_profile_id(&ident));
            }
            out.ioc_alerts(
                &m,
                &format!("Configuration profile \"{name}\" ({uuid})"),
                install,
                &rec,
            );
            let payload_types: Vec<String> = d
                .get("PayloadContent")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|p| {
                            p.as_dictionary()?
                                .get("PayloadType")?
                                .as_string()
                                .map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default();
            for t in payload_types
                .iter()
                .filter(|t| SUSPICIOUS_PAYLOADS.contains(&t.as_str()))
            {
                out.alert(
                    Level::Medium,
                    format!(
                        "Configuration profile \"{name}\" ({uuid}) has a {t} payload, which changes how \
                         notifications are shown; spyware operators have used such profiles to hide traces of \
                         an infection"
                    ),
                    install,
                    &rec,
                    None,
                );
            }
            out.alert(
                Level::Low,
                format!(
                    "Configuration profile \"{name}\" ({uuid}) is installed. Profiles can change settings, add \
                     trusted certificates or route traffic; check that this one is expected"
                ),
                install,
                &rec,
                None,
            );
        }
        if !found {
            out.no_data("no configuration profiles in the backup");
        }
        Ok(())
    }
}
