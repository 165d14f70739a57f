//! `dumpsys_appops`: per-package app operations from `DUMP OF SERVICE appops:` (`Uid N:` → `Package p:` →
//! `OP (mode):` → `Access:`/`Reject:` entries with device-local times). Records: `package_name`, `uid`,
//! `permissions` [{`name`, `access`, `entries` [{`access`, `type`, `timestamp`}]}].
//! Checks: `match_app_id` (CRITICAL); `REQUEST_INSTALL_PACKAGES` (the app may install other apps)
//! MEDIUM; operations of `com.android.shell` (done over ADB) MEDIUM (both as MVT). Timeline: each dated entry.

use serde_json::{Value, json};
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, record};

use super::{DeviceClock, Shared, dumpstate_or_no_data, fmt_ts, service_or_no_data};

pub struct DumpsysAppops(pub Shared);

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Entry {
    pub access: String,
    pub kind: String,
    pub local_time: String,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Op {
    pub name: String,
    pub mode: Option<String>,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Package {
    pub name: String,
    pub uid: String,
    pub ops: Vec<Op>,
}

pub fn parse(text: &str) -> Vec<Package> {
    let mut out: Vec<Package> = Vec::new();
    let mut in_packages = false;
    let mut uid = String::new();
    let mut current: Option<Package> = None;
    for line in text.lines() {
        if line.starts_with("  Uid 0:") {
            in_packages = true;
        }
        if !in_packages {
            continue;
        }
        if line.trim().is_empty() {
            break;
        }
        if let Some(rest) = line.strip_prefix("  Uid ") {
            out.extend(current.take());
            uid = rest.trim_end().trim_end_matches(':').to_string();
            continue;
        }
        if let Some(rest) = line.strip_prefix("    Package ") {
            out.extend(current.take());
            current = Some(Package {
                name: rest.trim_end().trim_end_matches(':').to_string(),
                uid: uid.clone(),
                ops: vec![],
            });
            continue;
        }
        let Some(pkg) = current.as_mut() else {
            continue;
        };
        if line.starts_with("      ") && !line[6..].starts_with(' ') {
            let t = line.trim();
            let mut parts = t.split_whitespace();
            let name = parts.next().unwrap_or("").trim_end_matches(':').to_string();
            let mode = parts.next().map(|m| {
                m.trim_end_matches(':')
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .to_string()
            });
            pkg.ops.push(Op {
                name,
                mode,
                entries: vec![],
            });
            continue;
        }
        if line.starts_with("          ") {
            let t = line.trim();
            let Some((access, rest)) = t.split_once(':') else {
                continue;
            };
            if access != "Access" && access != "Reject" {
                continue;
            }
            let Some(op) = pkg.ops.last_mut() else {
                continue;
            };
            let (kind, after) = match (rest.find('['), rest.find(']')) {
                (Some(a), Some(b)) if a < b => (rest[a + 1..b].to_string(), &rest[b + 1..]),
                _ => (String::new(), rest),
            };
            let local_time = after.split('(').next().unwrap_or("").trim().to_string();
            op.entries.push(Entry {
                access: access.to_string(),
                kind,
                local_time,
            });
        }
    }
    out.extend(current);
    out
}

impl Module for DumpsysAppops {
    fn name(&self) -> &'static str {
        "dumpsys_appops"
    }
    fn description(&self) -> &'static str {
        "App operations per package (dumpsys appops): indicator app ids, install permission, shell operations"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = service_or_no_data(&d, "appops", out) else {
            return Ok(());
        };
        let clock = DeviceClock::new(ctx, Some(&d), out);
        for pkg in parse(&text) {
            let mut first_ts = None;
            let mut perms = Vec::new();
            for op in &pkg.ops {
                let entries: Vec<Value> = op
                    .entries
                    .iter()
                    .map(|e| {
                        let ts = clock.parse(&e.local_time);
                        if first_ts.is_none() {
                            first_ts = ts;
                        }
                        out.timeline(ts, &e.access, format!("{} access to {}: {}", pkg.name, op.name, e.access));
                        json!({"access": e.access, "type": e.kind, "timestamp": fmt_ts(ts), "device_time": e.local_time})
                    })
                    .collect();
                perms.push(json!({"name": op.name, "access": op.mode, "entries": entries}));
            }
            let mut rec =
                record! { "package_name" => pkg.name, "uid" => pkg.uid, "permissions" => perms };
            clock.note(&mut rec);
            out.record(&rec);
            let m = ctx.iocs.match_app_id(&pkg.name);
            if !m.is_empty() {
                out.ioc_alerts(&m, "Package in App-Ops", first_ts, &rec);
                continue;
            }
            for op in &pkg.ops {
                let mut one: Record = rec.clone();
                one.insert(
                    "permissions".into(),
                    json!([{"name": op.name, "access": op.mode}]),
                );
                let allowed = op
                    .mode
                    .as_deref()
                    .is_some_and(|m| m == "allow" || m.starts_with("mode=allow"))
                    || op.entries.iter().any(|e| e.access == "Access");
                // MVT rates both checks MEDIUM, whatever the access mode.
                if op.name == "REQUEST_INSTALL_PACKAGES" {
                    let how = if allowed { "is allowed" } else { "asked" };
                    out.alert(
                        Level::Medium,
                        format!("Package '{}' {how} to install other apps (REQUEST_INSTALL_PACKAGES, access {}); spyware is often installed this way, check that this app is expected to do so", pkg.name, op.mode.as_deref().unwrap_or("unknown")),
                        first_ts,
                        &one,
                        None,
                    );
                } else if pkg.name == "com.android.shell" {
                    out.alert(
                        Level::Medium,
                        format!("The ADB shell (com.android.shell) used '{}': someone ran commands on the phone over a USB/ADB connection", op.name),
                        first_ts,
                        &one,
                        None,
                    );
                }
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

    const APPOPS: &str = "Current AppOps Service state:\n  Settings:\n    x=1\n\n  Uid 0:\n    state=cch\n    Package com.android.phone:\n      MANAGE_IPSEC_TUNNELS (allow):\n  Uid u0a12:\n    Package com.evil.spy:\n      READ_SMS (allow):\n          Access: [fg-s] 2022-03-29 18:37:30.315 (-4h50m23s772ms)\n          Reject: [bg-s]2022-03-10 19:35:06.426 (-19d)\n          Weird: x\n      REQUEST_INSTALL_PACKAGES (allow):\n  Uid 2000:\n    Package com.android.shell:\n      WRITE_SETTINGS (allow):\n          Access: [top-s] 2022-03-29 18:00:00.000 (-1h)\n";

    #[test]
    fn parses() {
        let p = parse(APPOPS);
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].name, "com.evil.spy");
        assert_eq!(p[1].uid, "u0a12");
        assert_eq!(p[1].ops[0].entries.len(), 2);
        assert_eq!(p[1].ops[0].entries[1].kind, "bg-s");
        assert_eq!(p[1].ops[0].entries[1].local_time, "2022-03-10 19:35:06.426");
        assert_eq!(p[1].ops[1].mode.as_deref(), Some("allow"));
    }

    #[test]
    fn positive_negative_timezone() {
        let br = Bugreport::new()
            .getprop(&[("persist.sys.timezone", "Europe/Paris")])
            .service("appops", APPOPS);
        let r = run_bugreport(
            &DumpsysAppops(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil.spy")]),
        );
        assert_eq!(r.records.len(), 3);
        assert_eq!(r.severe(), 1);
        // com.android.shell's operation: MEDIUM as in MVT.
        assert_eq!(r.at(Level::Medium).len(), 1);
        // 18:37:30.315 in Paris (CEST, UTC+2) is 16:37:30.315 UTC.
        let e = &r.records[1]["permissions"][0]["entries"][0];
        assert_eq!(e["timestamp"], "2022-03-29 16:37:30.315000");
        assert_eq!(r.records[1]["timezone"], "Europe/Paris");
        assert_eq!(r.timeline.len(), 3);
        let r = run_bugreport(
            &DumpsysAppops(DumpstateCache::new()),
            &Bugreport::new().service("appops", APPOPS),
            &iocs(&[]),
        );
        assert_eq!(r.severe(), 0);
        // REQUEST_INSTALL_PACKAGES and the shell's operation: MEDIUM as in MVT.
        assert_eq!(r.at(Level::Medium).len(), 2, "{:?}", r.alerts);
        assert_eq!(
            r.records[1]["timezone"],
            crate::modules::bugreport::UNKNOWN_ZONE
        );
        assert!(
            r.outcome
                .warnings
                .iter()
                .any(|w| w.contains("time zone is unknown"))
        );
    }

    #[test]
    fn malformed() {
        let br = Bugreport::new().service(
            "appops",
            "  Uid 0:\n          Access: [\n      X\n    Package \n          Access: ]x[ (\n",
        );
        let r = run_bugreport(&DumpsysAppops(DumpstateCache::new()), &br, &iocs(&[]));
        assert_eq!(r.severe(), 0);
    }
}
