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

/// Reads one installed profile (a `profile-*` plist at `path`), emits its record (`rec` holds where it
/// was found, the profile's fields are added) and runs the checks. `false` when it could not be read
/// (a warning says why). Shared by the backup module and the sysdiagnose/dump locations.
pub fn check_profile(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    path: &str,
    mut rec: Record,
) -> bool {
    let plist = match load_plist(ctx.evidence, out, path) {
        Ok(Some(v)) => v,
        Ok(None) => return false,
        Err(err) => {
            out.warn(format!("{err}"));
            return false;
        }
    };
    let Some(d) = plist.as_dictionary() else {
        out.warn(format!("{path}: not a dictionary"));
        return false;
    };
    let install = match d.get("InstallDate") {
        Some(Value::Date(x)) => plist_date(x),
        _ => None,
    };
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
    true
}

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
            let mut rec = Record::new();
            rec.insert("file_id".into(), file_id(DOMAIN, rel).into());
            rec.insert("relative_path".into(), rel.into());
            rec.insert("domain".into(), DOMAIN.into());
            found |= check_profile(ctx, out, &e.path, rec);
        }
        if !found {
            out.no_data("no configuration profiles in the backup");
        }
        Ok(())
    }
}

/// Where a sysdiagnose keeps the installed profiles.
pub const SYSDIAGNOSE_STUBS: &[&str] = &["logs/MCState/Shared/profile-*.stub"];

/// The same module over profile files found by pattern outside a backup (a sysdiagnose's
/// `logs/MCState/Shared/profile-*.stub`, a dump's configuration-profiles folder): one implementation,
/// [`check_profile`]; the records name the `file`.
#[derive(Debug, Clone, Copy)]
pub struct ProfileFiles {
    patterns: &'static [&'static str],
}

impl ProfileFiles {
    pub const fn new(patterns: &'static [&'static str]) -> Self {
        ProfileFiles { patterns }
    }
}

impl Module for ProfileFiles {
    fn name(&self) -> &'static str {
        "configuration_profiles"
    }
    fn description(&self) -> &'static str {
        "Installed configuration profiles (profile stubs): UUIDs, payloads, install dates; known-bad and notification-hiding profiles"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let mut found = false;
        let paths = crate::util::find_all(ctx.evidence, self.patterns)?;
        for path in &paths {
            let mut rec = Record::new();
            rec.insert("file".into(), path.clone().into());
            found |= check_profile(ctx, out, path, rec);
        }
        if let (false, Some(first)) = (found, paths.first()) {
            return Err(ModuleError::parse(
                first,
                format!("none of the {} profile files could be read", paths.len()),
            ));
        }
        if !found {
            out.no_data(format!(
                "no configuration profiles ({}) in the acquisition",
                self.patterns.join(", ")
            ));
        }
        Ok(())
    }
}
