//! profile_events: `MCProfileEvents.plist` of the configuration-profiles system group — configuration
//! profile install/remove events with the process that performed them.

use plist::Value;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record};

use crate::nska::{load_plist, plist_date, plist_to_json};

pub struct ProfileEvents;

pub const PATH: &str = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles/Library/ConfigurationProfiles/MCProfileEvents.plist";
const PATTERN: &str = "*/Library/ConfigurationProfiles/MCProfileEvents.plist";

/// One event: `(record, time)`.
fn parse_events(v: &Value) -> Vec<(Record, Option<jiff::Timestamp>)> {
    let mut out = Vec::new();
    let Some(events) = v
        .as_dictionary()
        .and_then(|d| d.get("ProfileEvents"))
        .and_then(Value::as_array)
    else {
        return out;
    };
    for ev in events {
        let Some(d) = ev.as_dictionary() else {
            continue;
        };
        for (profile_id, details) in d {
            let mut rec = Record::new();
            rec.insert("profile_id".into(), profile_id.clone().into());
            rec.insert("timestamp".into(), "".into());
            rec.insert("operation".into(), "".into());
            rec.insert("process".into(), "".into());
            let mut ts = None;
            if let Some(details) = details.as_dictionary() {
                for (k, x) in details {
                    let k = k.to_ascii_lowercase();
                    if k == "timestamp"
                        && let Value::Date(date) = x
                    {
                        ts = plist_date(date);
                    }
                    rec.insert(k, plist_to_json(x));
                }
            }
            out.push((rec, ts));
        }
    }
    out
}

fn text(rec: &Record, k: &str) -> String {
    rec.get(k)
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string()
}

impl Module for ProfileEvents {
    fn name(&self) -> &'static str {
        "profile_events"
    }
    fn description(&self) -> &'static str {
        "Configuration profile install/remove events (MCProfileEvents.plist) and the processes behind them"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let mut paths: Vec<String> = ctx
            .evidence
            .find(PATTERN)?
            .into_iter()
            .map(|e| e.path)
            .collect();
        if paths.is_empty() && ctx.evidence.exists(PATH) {
            paths.push(PATH.into());
        }
        let mut found = false;
        for path in paths {
            let Some(v) = load_plist(ctx.evidence, out, &path)? else {
                continue;
            };
            if v.as_dictionary().is_none() {
                return Err(ModuleError::parse(&path, "not a dictionary"));
            }
            found = true;
            for (rec, ts) in parse_events(&v) {
                let (profile, op, process) = (
                    text(&rec, "profile_id"),
                    text(&rec, "operation"),
                    text(&rec, "process"),
                );
                out.record(&rec);
                out.timeline(
                    ts,
                    "profile_operation",
                    format!("Process {process} started operation {op} of profile {profile}"),
                );
                let m = ctx.iocs.match_process(&process);
                out.ioc_alerts(
                    &m,
                    &format!("Process \"{process}\" that operated on a configuration profile"),
                    ts,
                    &rec,
                );
                let m = ctx.iocs.match_profile_id(&profile);
                out.ioc_alerts(&m, &format!("Configuration profile {profile}"), ts, &rec);
                let what = if op.eq_ignore_ascii_case("install") {
                    "installed".to_string()
                } else {
                    format!("had operation \"{op}\"")
                };
                out.alert(
                    Level::Low,
                    format!(
                        "Configuration profile {profile} {what} by process \"{process}\". Configuration profiles \
                         can change device settings, add certificates or route traffic; check that this one \
                         is expected"
                    ),
                    ts,
                    &rec,
                    None,
                );
            }
        }
        if !found {
            out.no_data("no MCProfileEvents.plist in the backup");
        }
        Ok(())
    }
}
