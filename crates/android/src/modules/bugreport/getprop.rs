//! `dumpsys_get_prop`: system properties from `------ SYSTEM PROPERTIES (getprop) ------`. Records:
//! `name`, `value`. Checks: `match_android_property` on names (CRITICAL); a security patch level older than
//! six months MEDIUM (the phone misses fixes for vulnerabilities that spyware exploits).

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record};

use super::{Shared, dumpstate_or_no_data};
use crate::dumpsys::parse_getprop;

pub struct DumpsysGetProp(pub Shared);

/// Whether a `YYYY-MM-DD` patch level is more than six months (186 days) before `now`.
pub fn patch_is_old(patch: &str, now: jiff::Timestamp) -> Option<bool> {
    let date: jiff::civil::Date = patch.trim().parse().ok()?;
    let ts = jiff::tz::TimeZone::UTC
        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .ok()?;
    Some(now.as_second() - ts.as_second() > 186 * 86_400)
}

impl Module for DumpsysGetProp {
    fn name(&self) -> &'static str {
        "dumpsys_get_prop"
    }
    fn description(&self) -> &'static str {
        "System properties (getprop section): indicator property names, security patch age"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = d.getprop() else {
            out.no_data(format!(
                "no SYSTEM PROPERTIES (getprop) section in {}",
                d.path
            ));
            return Ok(());
        };
        for (name, value) in parse_getprop(&text) {
            let rec = record! { "name" => name, "value" => value };
            out.record(&rec);
            let m = ctx.iocs.match_android_property(&name);
            out.ioc_alerts(&m, "System property", None, &rec);
            if name == "ro.build.version.security_patch"
                && patch_is_old(&value, jiff::Timestamp::now()) == Some(true)
            {
                out.alert(
                    Level::Medium,
                    format!("This phone has not received security updates for more than six months (last update: {value}); it lacks fixes for vulnerabilities that spyware exploits"),
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
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::bugreport::Bugreport;

    #[test]
    fn positive_negative_malformed() {
        let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
        let br = Bugreport::new().getprop(&[
            ("persist.sys.evil", "1"),
            ("ro.build.version.security_patch", "2015-01-01"),
        ]);
        let r = run_bugreport(
            &DumpsysGetProp(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AndroidProperty, "persist.sys.evil")]),
        );
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.severe(), 1);
        assert_eq!(r.at(Level::Medium).len(), 1);
        let br = Bugreport::new().getprop(&[
            ("persist.sys.evilx", "1"),
            ("ro.build.version.security_patch", &today),
        ]);
        let r = run_bugreport(
            &DumpsysGetProp(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AndroidProperty, "persist.sys.evil")]),
        );
        assert_eq!(r.severe() + r.at(Level::Medium).len(), 0);
        let br = Bugreport::new()
            .getprop(&[("ro.build.version.security_patch", "not a date")])
            .raw("[x]: [\n[]: []\n");
        let r = run_bugreport(&DumpsysGetProp(DumpstateCache::new()), &br, &iocs(&[]));
        assert!(r.alerts.is_empty());
        assert!(patch_is_old("garbage", jiff::Timestamp::now()).is_none());
    }
}
