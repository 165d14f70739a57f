//! `aqf_settings`: Android settings (`settings_<namespace>.txt`, `key=value` lines). Settings that turn
//! off a protection (app verification, Play Protect, security reports …) raise MEDIUM alerts.

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record};

use super::read_text;

pub struct Settings;

pub use crate::lists::DANGEROUS_SETTINGS;

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
