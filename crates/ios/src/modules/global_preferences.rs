//! global_preferences: `HomeDomain/Library/Preferences/.GlobalPreferences.plist` — every preference as an
//! `{entry, value}` record, and the state of Lockdown Mode (`LDMGlobalEnabled`).

use plist::Value;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record};

use crate::util::{load_plist_dict, plist_to_json};

pub struct GlobalPreferences;

pub const PATH: &str = "HomeDomain/Library/Preferences/.GlobalPreferences.plist";

impl Module for GlobalPreferences {
    fn name(&self) -> &'static str {
        "global_preferences"
    }
    fn description(&self) -> &'static str {
        "Global preferences (.GlobalPreferences.plist): whether Lockdown Mode is on"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = load_plist_dict(ctx.evidence, out, PATH)? else {
            out.no_data("no .GlobalPreferences.plist in the backup");
            return Ok(());
        };
        for (k, v) in &d {
            let rec = record! { "entry" => k, "value" => plist_to_json(v) };
            out.record(&rec);
            if k == "LDMGlobalEnabled" {
                let on = match v {
                    Value::Boolean(b) => *b,
                    Value::Integer(i) => i.as_signed().is_some_and(|x| x != 0),
                    _ => false,
                };
                if on {
                    out.alert(
                        Level::Informational,
                        "Lockdown Mode is enabled: an optional iOS protection for people who may be targeted \
                         by mercenary spyware, which blocks many attack paths (message attachments, web \
                         technologies, wired connections, configuration profiles)",
                        None,
                        &rec,
                        None,
                    );
                } else {
                    out.alert(
                        Level::Low,
                        "Lockdown Mode is disabled. Lockdown Mode is an optional iOS protection for people who \
                         may be targeted by mercenary spyware; it blocks many attack paths used by spyware \
                         such as Pegasus. Consider enabling it if the owner is at risk",
                        None,
                        &rec,
                        None,
                    );
                }
            }
        }
        Ok(())
    }
}
