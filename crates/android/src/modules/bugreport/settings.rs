//! `settings`: global, secure and system settings from `DUMP OF SERVICE settings:` (`GLOBAL SETTINGS
//! (user 0)` headings, then `_id:N name:key pkg:… value:v default:…` lines). Records: `namespace`,
//! `user`, `key`, `value`. Checks: settings that weaken protections (Play Protect off, unverified ADB
//! installs, accessibility on …, MVT's list) MEDIUM.

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record};

use super::{Shared, dumpstate_or_no_data, service_or_no_data};

pub struct Settings(pub Shared);

pub use crate::lists::DANGEROUS_SETTINGS;

fn field<'a>(line: &'a str, name: &str, next: &[&str]) -> Option<&'a str> {
    let pat = format!("{name}:");
    let start = if line.starts_with(&pat) {
        pat.len()
    } else {
        line.find(&format!(" {pat}"))? + pat.len() + 1
    };
    let rest = &line[start..];
    let end = next
        .iter()
        .filter_map(|n| rest.find(&format!(" {n}:")))
        .min()
        .unwrap_or(rest.len());
    Some(rest[..end].trim())
}

/// `(namespace, user, key, value)`.
pub fn parse(text: &str) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    let mut ns: Option<(String, String)> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some((head, rest)) = t.split_once(" SETTINGS")
            && !head.is_empty()
            && head.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        {
            let user = rest
                .trim()
                .trim_start_matches("(user ")
                .trim_end_matches(')')
                .trim()
                .to_string();
            ns = Some((head.to_ascii_lowercase(), user));
            continue;
        }
        let Some((namespace, user)) = &ns else {
            continue;
        };
        if !(t.starts_with("_id:") || t.starts_with("name:")) {
            continue;
        }
        let Some(key) = field(
            t,
            "name",
            &[
                "pkg",
                "value",
                "default",
                "defaultSystemSet",
                "preserve_in_restore",
            ],
        ) else {
            continue;
        };
        let value = field(
            t,
            "value",
            &[
                "default",
                "defaultSystemSet",
                "defaultPkg",
                "preserve_in_restore",
                "tag",
            ],
        )
        .unwrap_or("");
        if key.is_empty() || key.chars().any(char::is_control) {
            continue;
        }
        out.push((
            namespace.clone(),
            user.clone(),
            key.to_string(),
            value.to_string(),
        ));
    }
    out
}

impl Module for Settings {
    fn name(&self) -> &'static str {
        "settings"
    }
    fn description(&self) -> &'static str {
        "Global, secure and system settings (dumpsys settings): settings that weaken protections"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = service_or_no_data(&d, "settings", out) else {
            return Ok(());
        };
        for (namespace, user, key, value) in parse(&text) {
            let rec = record! { "namespace" => namespace, "user" => user, "key" => key, "value" => value };
            out.record(&rec);
            if let Some((_, safe, what)) = DANGEROUS_SETTINGS.iter().find(|(k, _, _)| *k == key)
                && *safe != value
            {
                out.alert(
                    Level::Medium,
                    format!("Found suspicious \"{namespace}\" setting \"{key} = {value}\" ({what}): this weakens the phone's protection against malicious apps"),
                    None,
                    &rec,
                    None,
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::bugreport::{DumpstateCache, testutil::*};
    use telltale_testkit::bugreport::Bugreport;

    const S: &str = "CONFIG SETTINGS (user 0)\n\nGLOBAL SETTINGS (user 0)\n_id:24 name:adb_enabled pkg:android value:1 default:1 defaultSystemSet:true\n_id:25 name:package_verifier_enable pkg:com.android.vending value:0 default:1\n_id:26 name:device_name pkg:android value:My phone with spaces default:x\nSECURE SETTINGS (user 0)\n  _id:3 name:accessibility_enabled pkg:com.android.settings value:0\n_id:\nname:\u{0}\n";

    #[test]
    fn positive_negative_malformed() {
        let p = parse(S);
        assert_eq!(p.len(), 4);
        assert_eq!(p[2].3, "My phone with spaces");
        assert_eq!(p[3].0, "secure");
        let br = Bugreport::new().service("settings", S);
        let r = run_bugreport(&Settings(DumpstateCache::new()), &br, &iocs(&[]));
        assert_eq!(r.records.len(), 4);
        assert_eq!(r.at(Level::Medium).len(), 1);
        assert_eq!(r.severe(), 0);
    }
}
