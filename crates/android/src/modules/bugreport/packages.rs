//! `dumpsys_packages`: installed packages from `DUMP OF SERVICE package:` (`Packages:` → `Package [name]`
//! blocks). Records: `package_name`, `uid`, `version_name`, `version_code`, `timestamp`,
//! `first_install_time`, `last_update_time` (UTC), `installer`, `system`, `permissions`
//! [{`name`, `granted`, `type`}], `requested_permissions`.
//! Checks: `match_app_id` (CRITICAL); root/jailbreak tool packages MEDIUM (as MVT); non-system packages
//! installed outside an app store (no installer, the package installer or the ADB shell) LOW.
//! Timeline: install, first install and last update.

use std::collections::HashSet;

use serde_json::json;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record};

use super::{DeviceClock, Shared, dumpstate_or_no_data, fmt_ts, service_or_no_data};

pub struct DumpsysPackages(pub Shared);

pub use crate::lists::ROOT_PACKAGES;

/// Installers meaning "installed by hand" (an APK file opened, or `adb install`).
const SIDELOAD_INSTALLERS: &[&str] = &[
    "",
    "null",
    "com.google.android.packageinstaller",
    "com.android.packageinstaller",
    "com.android.shell",
];

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Perm {
    pub name: String,
    pub granted: Option<bool>,
    pub kind: &'static str,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Package {
    pub name: String,
    pub uid: String,
    pub version_name: String,
    pub version_code: String,
    pub timestamp: String,
    pub first_install_time: String,
    pub last_update_time: String,
    pub installer: String,
    pub system: bool,
    pub permissions: Vec<Perm>,
    pub requested: Vec<String>,
}

fn perm_line(t: &str, kind: &'static str) -> Perm {
    let (name, rest) = t.split_once(':').unwrap_or((t, ""));
    let granted = if rest.contains("granted=") {
        Some(rest.contains("granted=true"))
    } else {
        None
    };
    Perm {
        name: name.trim().to_string(),
        granted,
        kind,
    }
}

fn details(name: String, lines: &[&str]) -> Package {
    let mut p = Package {
        name,
        ..Default::default()
    };
    #[derive(PartialEq)]
    enum Block {
        None,
        Install,
        Runtime,
        Declared,
        Requested,
    }
    let mut block = Block::None;
    let mut user: Option<i64> = None;
    let mut first_installs: Vec<(Option<i64>, String)> = Vec::new();
    let mut runtime: Vec<(Option<i64>, Perm)> = Vec::new();
    for line in lines {
        let t = line.trim();
        let indent = line.len() - line.trim_start().len();
        if let Some(rest) = t.strip_prefix("User ")
            && let Some((n, _)) = rest.split_once(':')
            && let Ok(n) = n.parse()
        {
            user = Some(n);
        }
        match block {
            Block::Install if indent >= 6 => {
                p.permissions.push(perm_line(t, "install"));
                continue;
            }
            Block::Runtime if indent >= 8 => {
                runtime.push((user, perm_line(t, "runtime")));
                continue;
            }
            Block::Declared if indent >= 6 => {
                p.permissions.push(Perm {
                    name: t.split(':').next().unwrap_or("").to_string(),
                    granted: None,
                    kind: "declared",
                });
                continue;
            }
            Block::Requested if indent >= 6 => {
                p.requested.push(t.to_string());
                continue;
            }
            _ => block = Block::None,
        }
        let value = |k: &str| t.strip_prefix(k).map(|v| v.trim().to_string());
        if let Some(v) = value("userId=") {
            p.uid = v;
        } else if let Some(v) = value("versionName=") {
            p.version_name = v;
        } else if let Some(v) = value("versionCode=") {
            p.version_code = v.split_whitespace().next().unwrap_or("").to_string();
        } else if let Some(v) = value("timeStamp=") {
            p.timestamp = v;
        } else if let Some(v) = value("installerPackageName=") {
            p.installer = v;
        } else if let Some(v) = value("pkgFlags=") {
            p.system = v
                .trim_matches(|c| c == '[' || c == ']')
                .split_whitespace()
                .any(|f| f == "SYSTEM");
        } else if let Some(v) = value("firstInstallTime=") {
            first_installs.push((user, v));
        } else if let Some(v) = value("lastUpdateTime=") {
            p.last_update_time = v;
        } else if t == "install permissions:" {
            block = Block::Install;
        } else if t == "runtime permissions:" {
            block = Block::Runtime;
        } else if t == "declared permissions:" {
            block = Block::Declared;
        } else if t == "requested permissions:" {
            block = Block::Requested;
        }
    }
    let pick = |users: &[Option<i64>]| {
        users
            .iter()
            .find(|u| **u == Some(0))
            .or_else(|| users.iter().find(|u| u.is_none()))
            .or(users.first())
            .copied()
    };
    let fi_users: Vec<Option<i64>> = first_installs.iter().map(|(u, _)| *u).collect();
    if let Some(u) = pick(&fi_users) {
        p.first_install_time = first_installs
            .iter()
            .find(|(x, _)| *x == u)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
    }
    let rt_users: Vec<Option<i64>> = runtime.iter().map(|(u, _)| *u).collect();
    if let Some(u) = pick(&rt_users) {
        p.permissions.extend(
            runtime
                .into_iter()
                .filter(|(x, _)| *x == u)
                .map(|(_, perm)| perm),
        );
    }
    p
}

pub fn parse(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let mut in_list = false;
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in text.lines() {
        if line.starts_with("Packages:") {
            in_list = true;
            continue;
        }
        if !in_list {
            continue;
        }
        if line.trim().is_empty() {
            break;
        }
        if let Some(rest) = line.strip_prefix("  Package [") {
            if let Some((name, lines)) = current.take() {
                out.push(details(name, &lines));
            }
            if let Some((name, _)) = rest.split_once(']') {
                current = Some((name.to_string(), Vec::new()));
            }
            continue;
        }
        if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    if let Some((name, lines)) = current {
        out.push(details(name, &lines));
    }
    out
}

impl Module for DumpsysPackages {
    fn name(&self) -> &'static str {
        "dumpsys_packages"
    }
    fn description(&self) -> &'static str {
        "Installed packages (dumpsys package): indicator app ids, rooting tools, sideloaded apps, install times"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = service_or_no_data(&d, "package", out) else {
            return Ok(());
        };
        let clock = DeviceClock::new(ctx, Some(&d), out);
        let mut root_seen = HashSet::new();
        for p in parse(&text) {
            let ts = clock.parse(&p.timestamp);
            let first = clock.parse(&p.first_install_time);
            let last = clock.parse(&p.last_update_time);
            let perms: Vec<_> = p
                .permissions
                .iter()
                .map(|x| json!({"name": x.name, "granted": x.granted, "type": x.kind}))
                .collect();
            let mut rec = record! {
                "package_name" => p.name, "uid" => p.uid, "version_name" => p.version_name,
                "version_code" => p.version_code, "timestamp" => fmt_ts(ts),
                "first_install_time" => fmt_ts(first), "last_update_time" => fmt_ts(last),
                "installer" => p.installer, "system" => p.system, "permissions" => perms,
                "requested_permissions" => p.requested,
            };
            clock.note(&mut rec);
            let desc = format!("Install or update of package {}", p.name);
            out.timeline(ts, "package_install", desc.clone());
            out.timeline(first, "package_first_install", desc.clone());
            out.timeline(last, "package_last_update", desc);
            out.record(&rec);
            let m = ctx.iocs.match_app_id(&p.name);
            if !m.is_empty() {
                out.ioc_alerts(&m, "Installed package", first, &rec);
                continue;
            }
            if ROOT_PACKAGES.contains(&p.name.as_str()) {
                if root_seen.insert(p.name.clone()) {
                    out.alert(
                        Level::Medium,
                        format!("Found an installed package related to rooting/jailbreaking: \"{}\"; a rooted phone is easier to spy on", p.name),
                        first,
                        &rec,
                        None,
                    );
                }
                continue;
            }
            if !p.system && SIDELOAD_INSTALLERS.contains(&p.installer.as_str()) {
                let how = if p.installer == "com.android.shell" {
                    "over ADB (USB debugging)"
                } else {
                    "from an APK file, outside an app store"
                };
                out.alert(
                    Level::Low,
                    format!("Package \"{}\" was installed {how}; check that the user installed it knowingly", p.name),
                    first,
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

    const PKG: &str = "Activity Resolver Table:\n\nPackages:\n  Package [com.evil.spy] (d64f8e0):\n    userId=10100\n    versionCode=5 minSdk=28 targetSdk=28\n    versionName=5.0.07\n    timeStamp=2023-01-10 10:00:00\n    firstInstallTime=2023-01-10 10:00:00\n    lastUpdateTime=2023-02-10 10:00:00\n    installerPackageName=com.android.shell\n    pkgFlags=[ HAS_CODE ]\n    requested permissions:\n      android.permission.READ_SMS\n      android.permission.CAMERA\n    install permissions:\n      android.permission.INTERNET: granted=true\n    User 0: ceDataInode=1 installed=true\n      runtime permissions:\n        android.permission.CAMERA: granted=true, flags=[ USER_SET ]\n    User 10: installed=true\n      runtime permissions:\n        android.permission.READ_SMS: granted=false\n  Package [com.topjohnwu.magisk] (1):\n    userId=10200\n    pkgFlags=[ HAS_CODE ]\n    installerPackageName=com.android.vending\n  Package [com.android.settings] (2):\n    userId=1000\n    pkgFlags=[ SYSTEM HAS_CODE ]\n    firstInstallTime=garbage\n\nHidden system packages:\n  Package [com.hidden] (3):\n";

    #[test]
    fn parses() {
        let p = parse(PKG);
        assert_eq!(p.len(), 3);
        assert_eq!(
            p[0].requested,
            vec!["android.permission.READ_SMS", "android.permission.CAMERA"]
        );
        assert_eq!(p[0].permissions.len(), 2);
        assert_eq!(p[0].permissions[1].name, "android.permission.CAMERA");
        assert_eq!(p[0].version_code, "5");
        assert!(p[2].system);
    }

    #[test]
    fn positive_negative_malformed() {
        let br = Bugreport::new().service("package", PKG);
        let r = run_bugreport(
            &DumpsysPackages(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil.spy")]),
        );
        assert_eq!(r.records.len(), 3);
        assert_eq!(r.severe(), 1);
        assert_eq!(r.at(Level::Medium).len(), 1);
        assert_eq!(
            r.records[0]["first_install_time"],
            "2023-01-10 10:00:00.000000"
        );
        assert_eq!(r.timeline.len(), 3);
        let r = run_bugreport(
            &DumpsysPackages(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil")]),
        );
        assert_eq!(r.severe(), 0);
        assert_eq!(r.at(Level::Low).len(), 1);
        let br = Bugreport::new().service("package", "Packages:\n  Package [unterminated\n    install permissions:\n      :\n  Package [x]\n    runtime permissions:\n        \u{0}\n");
        let r = run_bugreport(&DumpsysPackages(DumpstateCache::new()), &br, &iocs(&[]));
        assert_eq!(r.records.len(), 1);
    }
}
