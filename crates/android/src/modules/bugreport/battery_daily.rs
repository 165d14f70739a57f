//! `dumpsys_battery_daily`: package updates recorded in the daily battery stats
//! (`DUMP OF SERVICE batterystats:`, `Daily from A to B:` → `Update <package> vers=<n>`). Records:
//! `action` (update, downgrade, uninstall), `from`, `to`, `package_name`, `vers`, `previous_vers`.
//! Checks: `match_app_id` (CRITICAL); a downgrade MEDIUM (installing an older, vulnerable version is an
//! exploitation technique); an uninstall (`vers=0`) MEDIUM (as MVT) (removal of an app, possibly after use).

use std::collections::HashMap;

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record};

use super::{DeviceClock, Shared, dumpstate_or_no_data, fmt_ts, service_or_no_data};

pub struct DumpsysBatteryDaily(pub Shared);

#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub from: String,
    pub to: String,
    pub package: String,
    pub vers: String,
}

pub fn parse(text: &str) -> Vec<Update> {
    let mut out: Vec<Update> = Vec::new();
    let mut day: Option<(String, String)> = None;
    let mut day_start = 0;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("  Daily from ") {
            let rest = rest.trim().trim_end_matches(':');
            day = rest
                .split_once(" to ")
                .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()));
            day_start = out.len();
            continue;
        }
        let Some((from, to)) = &day else { continue };
        let Some(rest) = line.trim().strip_prefix("Update ") else {
            continue;
        };
        let Some((pkg, vers)) = rest.split_once(' ') else {
            continue;
        };
        let Some(vers) = vers.trim().strip_prefix("vers=") else {
            continue;
        };
        let vers = vers.split_whitespace().next().unwrap_or("").to_string();
        if out[day_start..]
            .iter()
            .any(|u| u.package == pkg && u.vers == vers)
        {
            continue;
        }
        out.push(Update {
            from: from.clone(),
            to: to.clone(),
            package: pkg.to_string(),
            vers,
        });
    }
    out
}

fn date_part(s: &str) -> &str {
    s.get(..10).unwrap_or(s)
}

impl Module for DumpsysBatteryDaily {
    fn name(&self) -> &'static str {
        "dumpsys_battery_daily"
    }
    fn description(&self) -> &'static str {
        "Package updates, downgrades and uninstalls in daily battery stats (dumpsys batterystats)"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = service_or_no_data(&d, "batterystats", out) else {
            return Ok(());
        };
        let clock = DeviceClock::new(ctx, Some(&d), out);
        let mut updates = parse(&text);
        updates.sort_by(|a, b| (&a.from, &a.to, &a.package).cmp(&(&b.from, &b.to, &b.package)));
        let mut versions: HashMap<String, i64> = HashMap::new();
        for u in updates {
            let ts = clock.parse(date_part(&u.from));
            let mut action = "update";
            let mut previous = None;
            if u.vers == "0" {
                action = "uninstall";
                versions.remove(&u.package);
            } else if let Ok(v) = u.vers.parse::<i64>() {
                if let Some(p) = versions.get(&u.package)
                    && v < *p
                {
                    action = "downgrade";
                    previous = Some(p.to_string());
                }
                versions.insert(u.package.clone(), v);
            }
            let mut rec = record! {
                "action" => action, "from" => date_part(&u.from), "to" => date_part(&u.to),
                "package_name" => u.package, "vers" => u.vers, "timestamp" => fmt_ts(ts),
            };
            if let Some(p) = &previous {
                rec.insert("previous_vers".into(), p.clone().into());
            }
            clock.note(&mut rec);
            let desc = match action {
                "uninstall" => format!("Recorded uninstall of package {} (vers 0)", u.package),
                "downgrade" => format!(
                    "Recorded downgrade of package {} from vers {} to vers {}",
                    u.package,
                    previous.clone().unwrap_or_default(),
                    u.vers
                ),
                _ => format!(
                    "Recorded update of package {} with vers {}",
                    u.package, u.vers
                ),
            };
            out.timeline(ts, "battery_daily", desc.clone());
            out.record(&rec);
            let m = ctx.iocs.match_app_id(&u.package);
            if !m.is_empty() {
                out.ioc_alerts(&m, "Package in daily battery stats", ts, &rec);
            } else if action == "downgrade" {
                out.alert(Level::Medium, format!("{desc}: installing an older version of an app can be used to reintroduce a known vulnerability"), ts, &rec, None);
            } else if action == "uninstall" {
                out.alert(
                    Level::Medium,
                    format!("{desc}: an app was removed; spyware may be removed after use"),
                    ts,
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

    const BS: &str = "Daily stats:\n  Daily from 2022-08-15-15-56-39 to 2022-08-16-01-15-45:\n      Update com.a vers=20\n      Update com.a vers=20\n      Update com.evil.spy vers=5\n  Daily from 2022-08-16-15-56-39 to 2022-08-17-01-15-45:\n      Update com.a vers=10\n      Update com.evil.spy vers=0\n      Update broken\n";

    #[test]
    fn positive_negative_malformed() {
        let br = Bugreport::new().service("batterystats", BS);
        let r = run_bugreport(
            &DumpsysBatteryDaily(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil.spy")]),
        );
        assert_eq!(r.records.len(), 4);
        assert_eq!(r.severe(), 2);
        assert_eq!(r.at(Level::Medium).len(), 1);
        assert_eq!(r.records[2]["action"], "downgrade");
        assert_eq!(r.records[2]["previous_vers"], "20");
        assert_eq!(r.records[0]["from"], "2022-08-15");
        let r = run_bugreport(&DumpsysBatteryDaily(DumpstateCache::new()), &br, &iocs(&[]));
        assert_eq!(r.severe(), 0);
        // The downgrade and the uninstall (vers=0): MEDIUM as in MVT.
        assert_eq!(r.at(Level::Medium).len(), 2);
        let br = Bugreport::new().service(
            "batterystats",
            "  Daily from garbage\n      Update x vers=\n",
        );
        let r = run_bugreport(&DumpsysBatteryDaily(DumpstateCache::new()), &br, &iocs(&[]));
        assert!(r.records.is_empty());
    }
}
