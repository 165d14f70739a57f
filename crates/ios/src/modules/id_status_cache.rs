//! id_status_cache: Apple identity services lookups (iMessage/FaceTime), from
//! `HomeDomain/Library/Preferences/com.apple.identityservices.idstatuscache.plist` (older iOS) and
//! `HomeDomain/Library/IdentityServices/idstatuscache.plist` (newer iOS): service → { `mailto:…`/`tel:…`
//! → { LookupDate, IDStatus } }.
//!
//! Records `package`, `user` (NUL characters written `\x00`), `isodate`, `idstatus`, `occurrences` (MVT's
//! fields). Looked-up email addresses are checked against the email indicators (Pegasus operators'
//! iCloud accounts appear here). A looked-up address with embedded NUL characters is a trace of crafted
//! iMessage lookups seen in Pegasus zero-click attacks: HIGH for two NULs in a row (MVT's check), MEDIUM
//! for a single one.

use std::collections::HashMap;

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record, time};

use crate::util::{load_plist_dict, plist_time};

pub const PATHS: [&str; 2] = [
    "HomeDomain/Library/Preferences/com.apple.identityservices.idstatuscache.plist",
    "HomeDomain/Library/IdentityServices/idstatuscache.plist",
];

pub struct IdStatusCache;

impl Module for IdStatusCache {
    fn name(&self) -> &'static str {
        "id_status_cache"
    }
    fn description(&self) -> &'static str {
        "iMessage/FaceTime identity lookups (idstatuscache.plist): emails against indicators, NUL-byte lookups"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let mut entries = Vec::new();
        let mut found = false;
        for path in PATHS {
            let Some(services) = load_plist_dict(ctx.evidence, out, path)? else {
                continue;
            };
            found = true;
            for (package, users) in &services {
                let Some(users) = users.as_dictionary() else {
                    continue;
                };
                for (user, v) in users {
                    let Some(d) = v.as_dictionary() else { continue };
                    let (Some(date), Some(status)) = (d.get("LookupDate"), d.get("IDStatus"))
                    else {
                        continue;
                    };
                    let ts = plist_time(date);
                    let status = status.as_signed_integer();
                    entries.push((package.clone(), user.clone(), ts, status));
                }
            }
        }
        if !found {
            out.no_data("no idstatuscache.plist in the backup");
            return Ok(());
        }
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (_, user, _, _) in &entries {
            *counts.entry(user.as_str()).or_default() += 1;
        }
        for (package, user, ts, status) in &entries {
            let shown = user.replace('\0', "\\x00");
            let rec = record! {
                "package" => package,
                "user" => shown,
                "isodate" => time::format_opt(*ts),
                "idstatus" => status,
                "occurrences" => counts.get(user.as_str()).copied().unwrap_or(1),
            };
            out.record(&rec);
            out.timeline(
                *ts,
                "lookup",
                format!(
                    "Lookup of {shown} within {package} (Status {})",
                    status.map(|s| s.to_string()).unwrap_or_default()
                ),
            );
            if let Some(email) = user.strip_prefix("mailto:") {
                let email = email.trim_matches('\'');
                let matches = ctx.iocs.match_email(email);
                out.ioc_alerts(&matches, &format!("Identity lookup of {email}"), *ts, &rec);
            }
            if user.contains("\0\0") {
                out.alert(
                    Level::High,
                    format!(
                        "Identity lookup of an address with embedded NUL bytes ({shown}): ordinary addresses never \
                         contain them; crafted lookups like this were left by Pegasus zero-click iMessage attacks"
                    ),
                    *ts,
                    &rec,
                    None,
                );
            } else if user.contains('\0') {
                out.alert(
                    Level::Medium,
                    format!(
                        "Identity lookup of an address with an embedded NUL byte ({shown}): ordinary addresses never \
                         contain one; it may come from a crafted iMessage lookup"
                    ),
                    *ts,
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
    use crate::util::testing::{Folder, iocs, run};
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::ios_dbs::IdStatusCache as Writer;

    #[test]
    fn email_indicator_and_nul_lookups() {
        let f = Folder::new();
        f.put(
            PATHS[0],
            &Writer::new()
                .lookup("com.apple.madrid", "mailto:op@evil.com", 650_000_000.0, 1)
                .lookup(
                    "com.apple.madrid",
                    "mailto:friend@notevil.com",
                    650_000_000.0,
                    1,
                )
                .lookup("com.apple.madrid", "tel:+15555550100", 650_000_000.0, 1)
                .lookup(
                    "com.apple.madrid",
                    "mailto:x\0\0@example.org",
                    650_000_100.0,
                    2,
                )
                .lookup("com.apple.ess", "mailto:op@evil.com", 650_000_200.0, 1)
                .to_bytes(),
        );
        let r = run(
            &IdStatusCache,
            &f,
            &iocs(&[(IndicatorKind::Email, "op@evil.com")]),
        );
        assert_eq!(r.records.len(), 5);
        let ioc: Vec<_> = r
            .alerts
            .iter()
            .filter(|a| a.matched_indicator.is_some())
            .collect();
        assert_eq!(ioc.len(), 2);
        assert!(
            ioc.iter()
                .all(|a| a.level == Level::Critical && a.event["occurrences"] == 2)
        );
        let nul: Vec<_> = r
            .alerts
            .iter()
            .filter(|a| a.matched_indicator.is_none())
            .collect();
        assert_eq!(nul.len(), 1);
        assert_eq!(nul[0].level, Level::High);
        assert_eq!(nul[0].event["user"], "mailto:x\\x00\\x00@example.org");
        assert_eq!(r.timeline.len(), 5);
    }

    #[test]
    fn newer_path_and_ordinary_lookups() {
        let f = Folder::new();
        f.put(
            PATHS[1],
            &Writer::new()
                .lookup("com.apple.madrid", "mailto:a@example.org", 700_000_000.0, 1)
                .to_bytes(),
        );
        let r = run(
            &IdStatusCache,
            &f,
            &iocs(&[(IndicatorKind::Email, "evil@example.org")]),
        );
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0]["isodate"], "2023-03-08 20:26:40.000000");
        assert!(r.alerts.is_empty());
    }

    #[test]
    fn malformed_and_missing() {
        let f = Folder::new();
        f.put(PATHS[0], b"\x00\x01garbage that is not a plist");
        assert!(run(&IdStatusCache, &f, &iocs(&[])).failed_with("idstatuscache.plist"));
        assert!(matches!(
            run(&IdStatusCache, Folder::new(), &iocs(&[]))
                .outcome
                .status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
