//! `dumpsys_activities`: the package manager's activity resolver table (`DUMP OF SERVICE package:`,
//! `Activity Resolver Table:` → `Non-Data Actions:`). Records: `intent`, `package_name`, `activity`.
//! Checks: `match_app_id` on the package (CRITICAL).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record};

use super::{Shared, dumpstate_or_no_data, service_or_no_data};

pub struct DumpsysActivities(pub Shared);

/// `(intent, component)` pairs of the `Non-Data Actions:` part of the table starting at `table`.
pub fn parse_resolver_table(text: &str, table: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_table = false;
    let mut in_actions = false;
    let mut intent: Option<String> = None;
    for line in text.lines() {
        if line.starts_with(table) {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        if line.starts_with("  Non-Data Actions:") {
            in_actions = true;
            continue;
        }
        if !in_actions {
            continue;
        }
        if line.trim().is_empty() {
            break;
        }
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if (6..8).contains(&indent) && t.ends_with(':') || (!t.contains(' ') && t.ends_with(':')) {
            intent = Some(t.trim_end_matches(':').to_string());
            continue;
        }
        let Some(current) = &intent else { continue };
        if indent < 8 {
            intent = None;
            continue;
        }
        let mut parts = t.split_whitespace();
        let (Some(_), Some(component)) = (parts.next(), parts.next()) else {
            continue;
        };
        out.push((current.clone(), component.to_string()));
    }
    out
}

impl Module for DumpsysActivities {
    fn name(&self) -> &'static str {
        "dumpsys_activities"
    }
    fn description(&self) -> &'static str {
        "Activities registered for intents (dumpsys package activity resolver table): indicator app ids"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = service_or_no_data(&d, "package", out) else {
            return Ok(());
        };
        for (intent, activity) in parse_resolver_table(&text, "Activity Resolver Table:") {
            let pkg = activity.split('/').next().unwrap_or(&activity).to_string();
            let rec = record! { "intent" => intent, "package_name" => pkg, "activity" => activity };
            out.record(&rec);
            let m = ctx.iocs.match_app_id(&pkg);
            out.ioc_alerts(&m, "Package with a registered activity", None, &rec);
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

    const PKG: &str = "Activity Resolver Table:\n  Full MIME Types:\n      text/plain:\n        18d43d com.a/.X\n\n  Non-Data Actions:\n      android.intent.action.MAIN:\n        b928288 com.evil.spy/.Main\n        e573421 com.android.settings/.Settings\n      com.x.ACTION:\n        f897046 com.b/.Y\n\nReceiver Resolver Table:\n";

    #[test]
    fn positive_negative_malformed() {
        let br = Bugreport::new().service("package", PKG);
        let r = run_bugreport(
            &DumpsysActivities(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil.spy")]),
        );
        assert_eq!(r.records.len(), 3);
        assert_eq!(r.records[0]["intent"], "android.intent.action.MAIN");
        assert_eq!(r.severe(), 1);
        let r = run_bugreport(
            &DumpsysActivities(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil")]),
        );
        assert_eq!(r.severe(), 0);
        let br = Bugreport::new().service("package", "Activity Resolver Table:\n  Non-Data Actions:\n        x\n      a:\n        onlyone\n\u{fffd}\n");
        let r = run_bugreport(&DumpsysActivities(DumpstateCache::new()), &br, &iocs(&[]));
        assert_eq!(r.records.len(), 0);
    }
}
