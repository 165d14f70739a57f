//! `aqf_get_prop`: system properties from `getprop.txt` (`[name]: [value]` lines). Property names are
//! checked against indicators; a security patch level older than six months raises a MEDIUM alert.

use jiff::Timestamp;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record};

use super::read_text;

pub struct GetProp;

/// Parses `getprop` output into (name, value) pairs; other lines are skipped (the same reader as the
/// bugreport's getprop section).
pub use crate::dumpsys::parse_getprop as parse;

/// The value of one property in `getprop` output.
pub fn property(text: &str, name: &str) -> Option<String> {
    parse(text)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// Whether a `YYYY-MM-DD` patch level is more than six months (6 × 31 days) before `now`.
pub fn patch_is_old(patch: &str, now: Timestamp) -> Option<bool> {
    let date: jiff::civil::Date = patch.trim().parse().ok()?;
    let ts = jiff::tz::TimeZone::UTC
        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .ok()?;
    Some(now.duration_since(ts).as_secs() > 6 * 31 * 86_400)
}

impl Module for GetProp {
    fn name(&self) -> &'static str {
        "aqf_get_prop"
    }
    fn description(&self) -> &'static str {
        "System properties (getprop.txt): indicator property names, outdated security patch"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(text) = read_text(ctx.evidence, "getprop.txt")? else {
            out.no_data("getprop.txt not in the acquisition");
            return Ok(());
        };
        let props = parse(&text);
        if props.is_empty() && !text.trim().is_empty() {
            return Err(ModuleError::parse(
                "getprop.txt",
                "no `[name]: [value]` line found",
            ));
        }
        for (name, value) in props {
            let rec = record! { "name" => name, "value" => value };
            out.record(&rec);
            if name == "ro.build.version.security_patch"
                && patch_is_old(&value, Timestamp::now()) == Some(true)
            {
                out.alert(
                    Level::Medium,
                    format!(
                        "This phone has not received security updates for more than six months (last update: {value})"
                    ),
                    None,
                    &rec,
                    None,
                );
            }
            let m = ctx.iocs.match_android_property(&name);
            out.ioc_alerts(&m, &format!("Android property {name}"), None, &rec);
        }
        Ok(())
    }
}
