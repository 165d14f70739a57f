//! `dumpsys_receivers`: broadcast receivers from the package manager's receiver resolver table
//! (`DUMP OF SERVICE package:`, `Receiver Resolver Table:` → `Non-Data Actions:`). Records: `intent`,
//! `package_name`, `receiver`. Receivers of intents that spyware uses (incoming/outgoing SMS, data SMS,
//! phone state, outgoing calls) are INFORMATIONAL alerts, as MVT logs them; `match_app_id` is CRITICAL.

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record};

use super::activities::parse_resolver_table;
use super::{Shared, dumpstate_or_no_data, service_or_no_data};

pub struct DumpsysReceivers(pub Shared);

/// The intents whose receivers are reported, and what a receiver of each can do.
pub const RISKY_INTENTS: &[(&str, &str)] = &[
    (
        "android.provider.Telephony.NEW_OUTGOING_SMS",
        "intercept outgoing SMS messages",
    ),
    (
        "android.provider.Telephony.SMS_RECEIVED",
        "intercept incoming SMS messages",
    ),
    (
        "android.intent.action.DATA_SMS_RECEIVED",
        "intercept incoming data SMS messages",
    ),
    (
        "android.intent.action.PHONE_STATE",
        "monitor the telephony state and incoming calls",
    ),
    (
        "android.intent.action.NEW_OUTGOING_CALL",
        "monitor outgoing calls",
    ),
];

impl Module for DumpsysReceivers {
    fn name(&self) -> &'static str {
        "dumpsys_receivers"
    }
    fn description(&self) -> &'static str {
        "Broadcast receivers (dumpsys package receiver resolver table): SMS/call receivers, indicator app ids"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = service_or_no_data(&d, "package", out) else {
            return Ok(());
        };
        for (intent, receiver) in parse_resolver_table(&text, "Receiver Resolver Table:") {
            let pkg = receiver.split('/').next().unwrap_or(&receiver).to_string();
            let rec = record! { "intent" => intent, "package_name" => pkg, "receiver" => receiver };
            out.record(&rec);
            let m = ctx.iocs.match_app_id(&pkg);
            if !m.is_empty() {
                out.ioc_alerts(&m, "Package with a broadcast receiver", None, &rec);
            } else if let Some((_, what)) = RISKY_INTENTS.iter().find(|(i, _)| *i == intent) {
                out.alert(
                    Level::Informational,
                    format!("Found a receiver able to {what}: \"{receiver}\""),
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

    const PKG: &str = "Receiver Resolver Table:\n  Non-Data Actions:\n      android.provider.Telephony.SMS_RECEIVED:\n        1 com.evil.spy/.Sms\n        2 com.google.android.gms/.Sms\n      android.intent.action.BOOT_COMPLETED:\n        3 com.a/.Boot\n               com.mis.indented.ACTION:\n        4 com.b/.R\n\n";

    #[test]
    fn positive_negative_malformed() {
        let br = Bugreport::new().service("package", PKG);
        let r = run_bugreport(
            &DumpsysReceivers(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::AppId, "com.evil.spy")]),
        );
        assert_eq!(r.records.len(), 4);
        assert_eq!(r.records[3]["intent"], "com.mis.indented.ACTION");
        assert_eq!(r.severe(), 1);
        assert_eq!(r.at(Level::Informational).len(), 1);
        let r = run_bugreport(&DumpsysReceivers(DumpstateCache::new()), &br, &iocs(&[]));
        assert_eq!(r.severe(), 0);
        assert_eq!(r.at(Level::Informational).len(), 2);
        let br = Bugreport::new().service(
            "package",
            "Receiver Resolver Table:\n  Non-Data Actions:\n\u{0}\u{1}:\n   \n",
        );
        let r = run_bugreport(&DumpsysReceivers(DumpstateCache::new()), &br, &iocs(&[]));
        assert!(r.records.is_empty());
    }
}
