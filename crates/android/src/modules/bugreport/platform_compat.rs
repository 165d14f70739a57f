//! `dumpsys_platform_compat`: packages with compatibility overrides in `DUMP OF SERVICE
//! platform_compat:` (the `ChangeId(168419799; name=DOWNSCALED; …; rawOverrides={pkg=…, …};` line keeps
//! entries of apps since uninstalled, as MVT reads it). Records: `package_name`. Checks: `match_app_id`.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record};

use super::{Shared, dumpstate_or_no_data, service_or_no_data};

pub struct DumpsysPlatformCompat(pub Shared);

pub fn parse(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        if !line.starts_with("ChangeId(168419799; name=DOWNSCALED;") {
            continue;
        }
        let Some((_, rest)) = line.split_once("rawOverrides={") else {
            continue;
        };
        let inner = rest
            .split_once("};")
            .map(|(a, _)| a)
            .unwrap_or(rest.trim_end_matches('}'));
        for entry in inner.split(", ") {
            let pkg = entry.split('=').next().unwrap_or("").trim();
            if !pkg.is_empty() {
                out.push(pkg.to_string());
            }
        }
    }
    out
}

impl Module for DumpsysPlatformCompat {
    fn name(&self) -> &'static str {
        "dumpsys_platform_compat"
    }
    fn description(&self) -> &'static str {
        "Packages with compatibility overrides, including uninstalled ones (dumpsys platform_compat)"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = service_or_no_data(&d, "platform_compat", out) else {
            return Ok(());
        };
        for pkg in parse(&text) {
            let rec = record! { "package_name" => pkg };
            out.record(&rec);
            let m = ctx.iocs.match_app_id(&pkg);
            out.ioc_alerts(&m, "Package with compatibility overrides", None, &rec);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::bugreport::{DumpstateCache, testutil::*};
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::bugreport::Bugreport;

    const PC: &str = "ChangeId(180326845; name=OVERRIDE_MIN_ASPECT_RATIO_MEDIUM; disabled; overridable)\nChangeId(168419799; name=DOWNSCALED; disabled; overridable; rawOverrides={com.evil.spy=false, com.b=true}; activeOverrides={})\nChangeId(168419799; name=DOWNSCALED; rawOverrides={\n";

    #[test]
    fn positive_negative_malformed() {
        assert_eq!(parse(PC), vec!["com.evil.spy", "com.b"]);
        let br = Bugreport::new().service("platform_compat", PC);
        let r = run_bugreport(
            &DumpsysPlatformCompat(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil.spy")]),
        );
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.severe(), 1);
        let r = run_bugreport(
            &DumpsysPlatformCompat(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil")]),
        );
        assert_eq!(r.severe(), 0);
    }
}
