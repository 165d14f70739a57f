//! `dumpsys_battery_history`: job, wake-alarm and top-app events of the battery history
//! (`DUMP OF SERVICE batterystats:`, lines after `Battery History …`). Records: `time_elapsed`, `event`
//! (start_job, end_job, wake, start_top, end_top), `uid`, `package_name`, `service`.
//! Checks: `match_app_id` (CRITICAL). Times are relative to the history's start, so there is no timeline.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record};

use super::{Shared, dumpstate_or_no_data, service_or_no_data};

pub struct DumpsysBatteryHistory(pub Shared);

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub time_elapsed: String,
    pub event: &'static str,
    pub uid: String,
    pub package: String,
    pub service: String,
}

fn uid_service(payload: &str) -> Option<(String, String)> {
    let (uid, service) = payload.split_once(':')?;
    let service = service
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches('"')
        .to_string();
    Some((uid.to_string(), service))
}

pub fn parse(text: &str) -> Vec<Event> {
    let mut out = Vec::new();
    let mut started = false;
    for line in text.lines() {
        if line.starts_with("Battery History ") {
            started = true;
            continue;
        }
        if !started {
            continue;
        }
        if line.trim().is_empty() {
            break;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = parts.first() else { continue };
        let mut time_elapsed = first.to_string();
        if parts.len() > 1
            && first.len() == 5
            && first.as_bytes()[2] == b'-'
            && parts[1].contains(':')
        {
            time_elapsed = format!("{} {}", parts[0], parts[1]);
        }
        let (event, uid, package, service) = if let Some((_, p)) = line.split_once("+job=") {
            let Some((uid, svc)) = uid_service(p) else {
                continue;
            };
            (
                "start_job",
                uid,
                svc.split('/').next().unwrap_or("").to_string(),
                svc,
            )
        } else if let Some((_, p)) = line.split_once("-job=") {
            let Some((uid, svc)) = uid_service(p) else {
                continue;
            };
            (
                "end_job",
                uid,
                svc.split('/').next().unwrap_or("").to_string(),
                svc,
            )
        } else if let Some((_, p)) = line.split_once("+running +wake_lock=") {
            let Some((uid, _)) = p.split_once(':') else {
                continue;
            };
            let Some((_, after)) = line.split_once("*walarm*:") else {
                continue;
            };
            let svc = after
                .split(' ')
                .next()
                .unwrap_or("")
                .trim_matches('"')
                .trim()
                .to_string();
            if !svc.contains('/') {
                continue;
            }
            (
                "wake",
                uid.to_string(),
                svc.split('/').next().unwrap_or("").to_string(),
                svc,
            )
        } else if let Some((_, p)) = line
            .split_once("+top=")
            .or_else(|| line.split_once("-top="))
        {
            let ev = if line.contains("+top=") {
                "start_top"
            } else {
                "end_top"
            };
            let Some((uid, pkg)) = p.split_once(':') else {
                continue;
            };
            let pkg = pkg
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_matches('"')
                .to_string();
            (ev, uid.to_string(), pkg, String::new())
        } else {
            continue;
        };
        out.push(Event {
            time_elapsed,
            event,
            uid,
            package,
            service,
        });
    }
    out
}

impl Module for DumpsysBatteryHistory {
    fn name(&self) -> &'static str {
        "dumpsys_battery_history"
    }
    fn description(&self) -> &'static str {
        "Job, alarm and foreground events in the battery history (dumpsys batterystats): indicator app ids"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = service_or_no_data(&d, "batterystats", out) else {
            return Ok(());
        };
        for e in parse(&text) {
            let rec = record! {
                "time_elapsed" => e.time_elapsed, "event" => e.event, "uid" => e.uid,
                "package_name" => e.package, "service" => e.service,
            };
            out.record(&rec);
            let m = ctx.iocs.match_app_id(&e.package);
            out.ioc_alerts(&m, "Package in battery history", None, &rec);
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

    const BH: &str = "Battery History (0% used, 2720 used of 4096KB, 31 strings using 2694):\n                    0 (15) RESET:TIME: 2022-08-16-11-34-30\n            +47s645ms (2) 100 +job=u0a94:\"com.evil.spy/.Job\"\n            +48s000ms (2) 100 -job=u0a94:\"com.evil.spy/.Job\"\n       +1h26m18s315ms (2) 095 +top=u0a280:\"com.whatsapp\"\n       +1h27m (2) 095 +running +wake_lock=u0a1:\"*walarm*:com.b/.Alarm\"\n       +1h28m (2) 095 +job=broken\n\nnext part\n      +1s +job=u0a1:\"com.after/.X\"\n";

    #[test]
    fn positive_negative_malformed() {
        let br = Bugreport::new().service("batterystats", BH);
        let r = run_bugreport(
            &DumpsysBatteryHistory(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil.spy")]),
        );
        assert_eq!(r.records.len(), 4);
        assert_eq!(r.records[2]["package_name"], "com.whatsapp");
        assert_eq!(r.records[3]["event"], "wake");
        assert_eq!(r.records[3]["service"], "com.b/.Alarm");
        assert_eq!(r.severe(), 2);
        let r = run_bugreport(
            &DumpsysBatteryHistory(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil")]),
        );
        assert_eq!(r.severe(), 0);
        let br = Bugreport::new().service(
            "batterystats",
            "Battery History x\n ab-cd\n+job=\n-top=\u{0}\n",
        );
        let r = run_bugreport(
            &DumpsysBatteryHistory(DumpstateCache::new()),
            &br,
            &iocs(&[]),
        );
        assert!(r.records.len() <= 1);
    }
}
