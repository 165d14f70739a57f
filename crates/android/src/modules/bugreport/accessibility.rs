//! `dumpsys_accessibility`: accessibility services from `DUMP OF SERVICE accessibility:`.
//!
//! Two formats: before Android 14 an `installed services: { N : pkg/Service … }` block; from Android 14
//! an `Enabled services:{{pkg/Service}, {…}}` line. Records: `package_name`, `service`, `enabled`.
//! Checks: `match_app_id` on the package (CRITICAL); every other service MEDIUM, enabled or not, as MVT (it
//! can read the screen and act for the user, which stalkerware relies on).

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record};

use super::{Shared, dumpstate_or_no_data, service_or_no_data};

pub struct DumpsysAccessibility(pub Shared);

/// `(package_name, service, enabled)` for each service listed.
pub fn parse(text: &str) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    let mut in_installed = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("installed services:") {
            in_installed = true;
            continue;
        }
        if in_installed {
            if t == "}" || t.is_empty() && !out.is_empty() {
                in_installed = false;
                continue;
            }
            if let Some((_, service)) = t.split_once(':') {
                let service = service.trim();
                if !service.is_empty() {
                    let pkg = service.split('/').next().unwrap_or(service);
                    out.push((pkg.to_string(), service.to_string(), false));
                }
            }
            continue;
        }
        if let Some(rest) = t.strip_prefix("Enabled services:") {
            // {{a/b}, {c/d}}: every innermost brace pair.
            let mut s = rest;
            while let Some(close) = s.find('}') {
                let inner = &s[..close];
                if let Some(open) = inner.rfind('{') {
                    let item = inner[open + 1..].trim();
                    if !item.is_empty() {
                        let (pkg, svc) = item.split_once('/').unwrap_or((item, ""));
                        out.push((pkg.to_string(), svc.to_string(), true));
                    }
                }
                s = &s[close + 1..];
            }
        }
    }
    out
}

impl Module for DumpsysAccessibility {
    fn name(&self) -> &'static str {
        "dumpsys_accessibility"
    }
    fn description(&self) -> &'static str {
        "Accessibility services (dumpsys accessibility): indicator app ids, enabled services"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = service_or_no_data(&d, "accessibility", out) else {
            return Ok(());
        };
        for (pkg, service, enabled) in parse(&text) {
            let rec = record! { "package_name" => pkg, "service" => service, "enabled" => enabled };
            out.record(&rec);
            let m = ctx.iocs.match_app_id(&pkg);
            if !m.is_empty() {
                out.ioc_alerts(&m, "Accessibility service package", None, &rec);
            } else if enabled {
                out.alert(
                    Level::Medium,
                    format!("Enabled accessibility service \"{pkg}/{service}\": it can read the screen and act on the user's behalf, which stalkerware relies on; check that the user knows this app"),
                    None,
                    &rec,
                    None,
                );
            } else {
                // MVT rates every accessibility service MEDIUM, enabled or not.
                out.alert(
                    Level::Medium,
                    format!("Installed accessibility service \"{pkg}/{service}\": when enabled it can read the screen and act on the user's behalf, which stalkerware relies on; check that the user knows this app"),
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
    use telltale_core::Level;
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::bugreport::Bugreport;

    const OLD: &str = "ACCESSIBILITY MANAGER (dumpsys accessibility)\n\nUser state[attributes:{id=0, currentUser=true\n  }\n  installed services: {\n    0 : com.android.settings/.Gpu\n    1 : com.evil.spy/.Svc\n  }\n";
    const NEW: &str = "User state[\n     Enabled services:{{com.azure.authenticator/com.microsoft.A}, {com.evil.spy/com.evil.Svc}}\n";

    #[test]
    fn both_formats() {
        assert_eq!(parse(OLD).len(), 2);
        assert_eq!(
            parse(OLD)[1],
            ("com.evil.spy".into(), "com.evil.spy/.Svc".into(), false)
        );
        let n = parse(NEW);
        assert_eq!(
            n,
            vec![
                (
                    "com.azure.authenticator".into(),
                    "com.microsoft.A".into(),
                    true
                ),
                ("com.evil.spy".into(), "com.evil.Svc".into(), true)
            ]
        );
    }

    #[test]
    fn positive_negative() {
        let evil = iocs(&[(IndicatorKind::AppId, "com.evil.spy")]);
        let br = Bugreport::new().service("accessibility", NEW);
        let r = run_bugreport(&DumpsysAccessibility(DumpstateCache::new()), &br, &evil);
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.severe(), 1);
        assert_eq!(r.at(Level::Medium).len(), 1);
        let br = Bugreport::new().service("accessibility", OLD);
        let r = run_bugreport(
            &DumpsysAccessibility(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil")]),
        );
        assert_eq!(r.severe(), 0);
        assert_eq!(r.records.len(), 2);
    }

    #[test]
    fn malformed_and_absent() {
        let br = Bugreport::new().service(
            "accessibility",
            "\u{0}\u{1}garbage{{{}}}\ninstalled services: {\n :\n",
        );
        let r = run_bugreport(
            &DumpsysAccessibility(DumpstateCache::new()),
            &br,
            &iocs(&[]),
        );
        assert_eq!(r.severe(), 0);
        let r = run_bugreport(
            &DumpsysAccessibility(DumpstateCache::new()),
            &Bugreport::new(),
            &iocs(&[]),
        );
        assert!(matches!(
            r.outcome.status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
