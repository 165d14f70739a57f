//! whatsapp_contacts: WhatsApp's address book `ContactsV2.sqlite` (ZWAADDRESSBOOKCONTACT). One record per
//! contact: names, phone numbers, WhatsApp id / LID, about text, disappearing-messages timer. Free text
//! (about text, notes, business name) is checked for indicator links with `match_text`.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record, record, time};

use crate::util::{dedup_matches, each_artifact, field_str, open_db, sql_f64, sql_i64, sql_string};

pub struct WhatsappContacts;

const PATTERNS: &[&str] = &["AppDomainGroup-group.net.whatsapp.*.shared/ContactsV2.sqlite"];

/// Output field → candidate columns, in order of preference (WhatsApp renames columns across versions).
const COLUMNS: &[(&str, &[&str])] = &[
    ("whatsapp_id", &["ZWHATSAPPID"]),
    ("lid", &["ZLID"]),
    ("phone_number", &["ZPHONENUMBER"]),
    ("localized_phone_number", &["ZLOCALIZEDPHONENUMBER"]),
    ("full_name", &["ZFULLNAME"]),
    ("given_name", &["ZGIVENNAME"]),
    ("last_name", &["ZLASTNAME"]),
    ("user_name", &["ZUSERNAME"]),
    ("business_name", &["ZBUSINESSNAME"]),
    ("about_text", &["ZABOUTTEXT"]),
    ("about_emoji", &["ZABOUTEMOJI"]),
    ("notes", &["ZNOTES"]),
    ("disappearing_mode_duration", &["ZDISAPPEARINGMODEDURATION"]),
    (
        "disappearing_mode_timestamp",
        &["ZDISAPPEARINGMODETIMESTAMP"],
    ),
    ("about_timestamp", &["ZABOUTTIMESTAMP"]),
    ("about_expiration_timestamp", &["ZABOUTEXPIRATIONTIMESTAMP"]),
    ("last_updated", &["ZLASTUPDATED"]),
    ("phone_status", &["ZPHONESTATUS", "ZPHONENUMBERSTATUS"]),
    ("sync_policy", &["ZSYNCPOLICY"]),
];
const DATES: &[&str] = &[
    "disappearing_mode_timestamp",
    "about_timestamp",
    "about_expiration_timestamp",
    "last_updated",
];
const NUMBERS: &[&str] = &["disappearing_mode_duration", "phone_status", "sync_policy"];
/// Free-text fields checked for indicator links.
const TEXTS: &[&str] = &[
    "about_text",
    "notes",
    "business_name",
    "full_name",
    "user_name",
];

fn duration_label(secs: i64) -> String {
    match secs {
        0 => "off".into(),
        86_400 => "24 hours".into(),
        604_800 => "7 days".into(),
        1_209_600 => "14 days".into(),
        2_592_000 => "30 days".into(),
        7_776_000 => "90 days".into(),
        s => format!("{s} seconds"),
    }
}

impl Module for WhatsappContacts {
    fn name(&self) -> &'static str {
        "whatsapp_contacts"
    }
    fn description(&self) -> &'static str {
        "WhatsApp contacts (ContactsV2.sqlite): numbers, ids, about texts and disappearing-message timers"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "no WhatsApp ContactsV2.sqlite in this backup (often missing from incremental backups)",
            |p, out| process(ctx, p, out),
        )
    }
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let db = open_db(ctx.evidence, path, out)?;
    db.tables()?;
    let cols = db.columns("ZWAADDRESSBOOKCONTACT")?;
    if cols.is_empty() {
        return Err(ModuleError::parse(path, "no ZWAADDRESSBOOKCONTACT table"));
    }
    let selected: Vec<(&str, &str)> = COLUMNS
        .iter()
        .filter_map(|(f, cands)| {
            cands
                .iter()
                .find(|c| cols.iter().any(|x| x == *c))
                .map(|c| (*f, *c))
        })
        .collect();
    let has_duration = selected
        .iter()
        .any(|(f, _)| *f == "disappearing_mode_duration");
    if !has_duration {
        out.warn(format!(
            "{path}: no ZDISAPPEARINGMODEDURATION column: disappearing-messages state unknown"
        ));
    }
    let pk = if cols.iter().any(|c| c == "Z_PK") {
        "Z_PK"
    } else {
        "rowid"
    };
    let q = format!(
        "SELECT {pk}{} FROM ZWAADDRESSBOOKCONTACT ORDER BY {pk}",
        selected
            .iter()
            .map(|(_, c)| format!(", {c}"))
            .collect::<String>()
    );
    let mut st = db.conn().prepare(&q).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let mut rec: Record = record! { "row_pk" => sql_i64(r.get_ref(0).map_err(|e| db.err(e))?) };
        for (f, _) in COLUMNS {
            rec.insert((*f).into(), serde_json::Value::Null);
        }
        for (i, (f, _)) in selected.iter().enumerate() {
            let v = r.get_ref(i + 1).map_err(|e| db.err(e))?;
            let j = if DATES.contains(f) {
                sql_f64(v)
                    .and_then(time::from_mac_absolute)
                    .map(time::format)
                    .into()
            } else if NUMBERS.contains(f) {
                sql_i64(v).into()
            } else {
                sql_string(v).into()
            };
            rec.insert((*f).into(), j);
        }
        let duration = rec
            .get("disappearing_mode_duration")
            .and_then(|v| v.as_i64());
        rec.insert(
            "disappearing_mode_is_on".into(),
            has_duration.then(|| duration.unwrap_or(0) != 0).into(),
        );
        rec.insert(
            "disappearing_mode_label".into(),
            has_duration
                .then(|| duration_label(duration.unwrap_or(0)))
                .into(),
        );
        out.record(&rec);

        let s = |f: &str| field_str(&rec, f).map(str::to_string);
        let mut contact = s("whatsapp_id")
            .or_else(|| s("lid"))
            .or_else(|| s("phone_number"))
            .unwrap_or("unknown".into());
        if let Some(n) = s("full_name").filter(|n| !n.is_empty()) {
            contact = format!("{contact} ({n})");
        }
        let t = |f: &str| field_str(&rec, f).and_then(time::parse);
        out.timeline(
            t("disappearing_mode_timestamp"),
            "disappearing_mode_set",
            format!(
                "WhatsApp disappearing messages timer set to '{}' for {contact}",
                s("disappearing_mode_label").unwrap_or_default()
            ),
        );
        let about = match s("about_text").filter(|a| !a.is_empty()) {
            Some(a) => format!("WhatsApp about text of {contact} changed to \"{a}\""),
            None => format!("WhatsApp about text of {contact} changed"),
        };
        out.timeline(t("about_timestamp"), "about_changed", about);
        out.timeline(
            t("about_expiration_timestamp"),
            "about_expiration",
            format!("WhatsApp about text of {contact} scheduled to expire"),
        );
        out.timeline(
            t("last_updated"),
            "contact_last_updated",
            format!("WhatsApp contact record for {contact} updated"),
        );

        let mut m = Vec::new();
        for f in TEXTS {
            if let Some(text) = field_str(&rec, f) {
                m.extend(ctx.iocs.match_text(text));
            }
        }
        dedup_matches(&mut m);
        out.ioc_alerts(
            &m,
            &format!("WhatsApp contact {contact}"),
            t("about_timestamp").or(t("last_updated")),
            &rec,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{evil, run};
    use telltale_core::Level;
    use telltale_testkit::ios_web::{
        WaContact, WhatsappContacts as W, WhatsappContactsVariant, utc, write_garbage,
    };

    #[test]
    fn contacts_and_about_links() {
        for v in [
            WhatsappContactsVariant::Modern,
            WhatsappContactsVariant::Legacy,
        ] {
            let dir = tempfile::tempdir().unwrap();
            W::new()
                .variant(v)
                .contact(
                    WaContact::new("Alice Example", "+49 151 1234567")
                        .about(
                            "Reading https://en.wikipedia.org/wiki/NSO_Group",
                            utc("2021-06-01T00:00:00Z"),
                        )
                        .disappearing(604_800, utc("2021-06-02T00:00:00Z"))
                        .updated(utc("2021-06-03T00:00:00Z")),
                )
                .contact(
                    WaContact::new("Mallory", "+1 555 0100")
                        .about("promo: https://evil.com/win", utc("2021-06-04T00:00:00Z")),
                )
                .contact(WaContact::new("Bob", "+1 555 0101").business("notevil.com shop"))
                .write_in(dir.path());
            let r = run(&WhatsappContacts, dir.path(), &evil());
            assert!(r.is_ok(), "{:?}", r.outcome);
            assert_eq!(r.records.len(), 3);
            let a = &r.records[0];
            assert_eq!(a["full_name"], "Alice Example");
            assert_eq!(a["whatsapp_id"], "491511234567@s.whatsapp.net");
            assert_eq!(a["about_timestamp"], "2021-06-01 00:00:00.000000");
            let high = r.at(Level::Critical);
            assert_eq!(high.len(), 1, "{v:?} {:?}", r.alerts);
            assert_eq!(high[0].event["full_name"], "Mallory");
            if v == WhatsappContactsVariant::Modern {
                assert_eq!(a["disappearing_mode_label"], "7 days");
                assert_eq!(a["disappearing_mode_is_on"], true);
                assert!(
                    r.timeline
                        .iter()
                        .any(|e| e.event == "disappearing_mode_set")
                );
                assert!(r.outcome.warnings.is_empty());
            } else {
                assert!(a["disappearing_mode_is_on"].is_null());
                assert!(
                    a["phone_status"].is_i64(),
                    "ZPHONENUMBERSTATUS is read as phone_status"
                );
                assert_eq!(r.outcome.warnings.len(), 1);
            }
        }
    }

    #[test]
    fn missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&WhatsappContacts, dir.path(), &evil()).is_no_data());
        write_garbage(&dir.path().join(W::LOGICAL_PATH));
        assert!(
            run(&WhatsappContacts, dir.path(), &evil())
                .failed()
                .unwrap()
                .contains("ContactsV2.sqlite")
        );
    }
}
