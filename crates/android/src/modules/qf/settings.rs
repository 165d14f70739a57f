//! `aqf_settings`: Android settings (`settings_<namespace>.txt`, `key=value` lines). Settings that turn
//! off a protection (app verification, Play Protect, security reports …) raise MEDIUM alerts.

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record};

use super::read_text;

pub struct Settings;

/// (key, safe value, what an unsafe value means) — MVT's list plus unknown sources.
pub const DANGEROUS_SETTINGS: &[(&str, &str, &str)] = &[
    (
        "verifier_verify_adb_installs",
        "1",
        "disabled Google Play Services apps verification",
    ),
    (
        "package_verifier_enable",
        "1",
        "disabled Google Play Protect",
    ),
    (
        "package_verifier_state",
        "1",
        "disabled APK package verification",
    ),
    (
        "package_verifier_user_consent",
        "1",
        "disabled Google Play Protect",
    ),
    ("upload_apk_enable", "1", "disabled Google Play Protect"),
    (
        "adb_install_need_confirm",
        "1",
        "disabled confirmation of adb apps installation",
    ),
    (
        "send_security_reports",
        "1",
        "disabled sharing of security reports",
    ),
    (
        "samsung_errorlog_agree",
        "1",
        "disabled sharing of crash logs with manufacturer",
    ),
    (
        "send_action_app_error",
        "1",
        "disabled applications errors reports",
    ),
    (
        "accessibility_enabled",
        "0",
        "enabled accessibility services",
    ),
    (
        "install_non_market_apps",
        "0",
        "allowed installing apps from unknown sources",
    ),
];

impl Module for Settings {
    fn name(&self) -> &'static str {
        "aqf_settings"
    }
    fn description(&self) -> &'static str {
        "Android settings (settings_*.txt): protections turned off"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let files = ctx.evidence.find("settings_*.txt")?;
        if files.is_empty() {
            out.no_data("no settings_*.txt in the acquisition");
            return Ok(());
        }
        for f in files {
            let namespace = f
                .path
                .trim_start_matches("settings_")
                .trim_end_matches(".txt")
                .to_string();
            let Some(text) = read_text(ctx.evidence, &f.path)? else {
                continue;
            };
            for line in text.lines() {
                let Some((key, value)) = line.trim().split_once('=') else {
                    continue;
                };
                let rec = record! { "namespace" => namespace, "key" => key, "value" => value };
                out.record(&rec);
                if let Some((_, safe, what)) = DANGEROUS_SETTINGS.iter().find(|(k, _, _)| *k == key)
                    && value.trim() != *safe
                {
                    let mut rec = rec.clone();
                    rec.insert("description".into(), (*what).into());
                    out.alert(
                        Level::Medium,
                        format!(
                            "Found suspicious \"{namespace}\" setting \"{key} = {value}\" ({what})"
                        ),
                        None,
                        &rec,
                        None,
                    );
                }
            }
        }
        Ok(())
    }
}
