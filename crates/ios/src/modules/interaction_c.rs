//! interaction_c: people interactions recorded by CoreDuet, `HomeDomain/Library/CoreDuet/People/interactionC.db`
//! (ZINTERACTIONS ⟕ ZCONTACTS as sender ⟕ attachments ⟕ recipients).
//!
//! The layout varies across iOS versions (attachment and recipient join tables, ZRECIPIENTCOUNT,
//! ZGROUPNAME, ZDERIVEDINTENTIDENTIFIER, ZPHOTOLOCALIDENTIFIER …): the SELECT is built from the tables and
//! columns present. Records use MVT's field names; times are UTC. Timeline: start and end dates, the
//! record's creation date when it is more than an hour away from the start (a backfilled record), and the
//! sender contact's first/last interaction dates (once per contact). Checks sender/recipient email
//! addresses, links in content and URLs, and bundle ids against the indicators.

use std::collections::HashSet;

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record, time};

use crate::util::{dedup_matches, open_if_present, sql_f64, sql_to_json};

pub const PATH: &str = "HomeDomain/Library/CoreDuet/People/interactionC.db";

/// (table alias, column, output field). `I` interaction, `C` sender contact, `RC` recipient contact,
/// `A` attachment.
const FIELDS: [(&str, &str, &str); 40] = [
    ("I", "ZSTARTDATE", "start_date"),
    ("I", "ZENDDATE", "end_date"),
    ("I", "ZBUNDLEID", "bundle_id"),
    ("I", "ZACCOUNT", "account"),
    ("I", "ZTARGETBUNDLEID", "target_bundle_id"),
    ("I", "ZDIRECTION", "direction"),
    ("C", "ZDISPLAYNAME", "sender_display_name"),
    ("C", "ZIDENTIFIER", "sender_identifier"),
    ("C", "ZPERSONID", "sender_personid"),
    ("RC", "ZDISPLAYNAME", "recipient_display_name"),
    ("RC", "ZIDENTIFIER", "recipient_identifier"),
    ("RC", "ZPERSONID", "recipient_personid"),
    ("I", "ZRECIPIENTCOUNT", "recipient_count"),
    ("I", "ZDOMAINIDENTIFIER", "domain_identifier"),
    ("I", "ZISRESPONSE", "is_response"),
    ("I", "ZMECHANISM", "mechanism"),
    ("A", "ZCONTENTTEXT", "content"),
    ("A", "ZUTI", "uti"),
    ("A", "ZCONTENTURL", "attachment_content_url"),
    ("A", "ZSIZEINBYTES", "size"),
    ("A", "ZPHOTOLOCALIDENTIFIER", "photo_local_id"),
    ("A", "ZIDENTIFIER", "attachment_id"),
    ("A", "ZCLOUDIDENTIFIER", "cloud_id"),
    ("C", "ZINCOMINGRECIPIENTCOUNT", "incoming_recipient_count"),
    ("C", "ZINCOMINGSENDERCOUNT", "incoming_sender_count"),
    ("C", "ZOUTGOINGRECIPIENTCOUNT", "outgoing_recipient_count"),
    ("I", "ZCREATIONDATE", "interactions_creation_date"),
    ("C", "ZCREATIONDATE", "contacts_creation_date"),
    (
        "C",
        "ZFIRSTINCOMINGRECIPIENTDATE",
        "first_incoming_recipient_date",
    ),
    (
        "C",
        "ZFIRSTINCOMINGSENDERDATE",
        "first_incoming_sender_date",
    ),
    (
        "C",
        "ZFIRSTOUTGOINGRECIPIENTDATE",
        "first_outgoing_recipient_date",
    ),
    ("C", "ZLASTINCOMINGSENDERDATE", "last_incoming_sender_date"),
    (
        "C",
        "ZLASTINCOMINGRECIPIENTDATE",
        "last_incoming_recipient_date",
    ),
    (
        "C",
        "ZLASTOUTGOINGRECIPIENTDATE",
        "last_outgoing_recipient_date",
    ),
    ("C", "ZCUSTOMIDENTIFIER", "custom_id"),
    ("I", "ZCONTENTURL", "interaction_content_url"),
    ("I", "ZLOCATIONUUID", "location_uuid"),
    ("I", "ZGROUPNAME", "group_name"),
    ("I", "ZDERIVEDINTENTIDENTIFIER", "derivied_intent_id"),
    ("I", "Z_PK", "table_id"),
];

const TIMESTAMPS: [&str; 9] = [
    "start_date",
    "end_date",
    "interactions_creation_date",
    "contacts_creation_date",
    "first_incoming_recipient_date",
    "first_incoming_sender_date",
    "first_outgoing_recipient_date",
    "last_incoming_sender_date",
    "last_incoming_recipient_date",
];
const LAST_OUTGOING: &str = "last_outgoing_recipient_date";

/// Contact-level dates and how they read on the timeline.
const CONTACT_EVENTS: [(&str, &str); 7] = [
    (
        "contacts_creation_date",
        "Contact {} first recorded in interactionC",
    ),
    (
        "first_incoming_sender_date",
        "First incoming interaction from {}",
    ),
    (
        "last_incoming_sender_date",
        "Last incoming interaction from {}",
    ),
    (
        "first_incoming_recipient_date",
        "First incoming interaction where {} was a recipient",
    ),
    (
        "last_incoming_recipient_date",
        "Last incoming interaction where {} was a recipient",
    ),
    (
        "first_outgoing_recipient_date",
        "First outgoing interaction to {}",
    ),
    (
        "last_outgoing_recipient_date",
        "Last outgoing interaction to {}",
    ),
];

pub struct InteractionC;

fn party(rec: &Record, prefix: &str) -> Option<String> {
    let s = |k: &str| {
        rec.get(&format!("{prefix}_{k}"))
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    match (s("display_name"), s("identifier")) {
        (Some(n), Some(i)) => {
            let digits = |x: &str| x.chars().filter(char::is_ascii_digit).collect::<String>();
            if !digits(n).is_empty() && digits(n) == digits(i) {
                Some(i.into())
            } else {
                Some(format!("{n} ({i})"))
            }
        }
        (n, i) => n.or(i).map(str::to_string),
    }
}

impl Module for InteractionC {
    fn name(&self) -> &'static str {
        "interaction_c"
    }
    fn description(&self) -> &'static str {
        "People interactions (CoreDuet interactionC.db): addresses, links and apps against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(db) = open_if_present(ctx, out, PATH)? else {
            return Ok(());
        };
        let icols = db.columns("ZINTERACTIONS")?;
        if icols.is_empty() {
            out.no_data(format!("{PATH} has no ZINTERACTIONS table"));
            return Ok(());
        }
        let has_i = |c: &str| icols.iter().any(|x| x == c);
        let ccols = if has_i("ZSENDER") {
            db.columns("ZCONTACTS")?
        } else {
            Vec::new()
        };
        let tables = db.tables()?;
        let att = tables.contains("Z_1INTERACTIONS") && tables.contains("ZATTACHMENT");
        let acols = if att {
            db.columns("ZATTACHMENT")?
        } else {
            Vec::new()
        };
        let rcp = !ccols.is_empty() && tables.contains("Z_2INTERACTIONRECIPIENT");
        let mut select = Vec::new();
        for (alias, col, field) in FIELDS {
            let cols = match alias {
                "I" => &icols,
                "C" => &ccols,
                "RC" if rcp => &ccols,
                "A" => &acols,
                _ => continue,
            };
            if !cols.iter().any(|x| x == col) {
                continue;
            }
            let expr = if field == "attachment_id" {
                format!("HEX({alias}.{col})")
            } else {
                format!("{alias}.{col}")
            };
            select.push(format!("{expr} AS \"{field}\""));
        }
        let mut from = String::from("ZINTERACTIONS I");
        if !ccols.is_empty() {
            from.push_str(" LEFT JOIN ZCONTACTS C ON I.ZSENDER = C.Z_PK");
        }
        if att {
            from.push_str(
                " LEFT JOIN Z_1INTERACTIONS J1 ON I.Z_PK = J1.Z_3INTERACTIONS \
                 LEFT JOIN ZATTACHMENT A ON J1.Z_1ATTACHMENTS = A.Z_PK",
            );
        }
        if rcp {
            from.push_str(
                " LEFT JOIN Z_2INTERACTIONRECIPIENT J2 ON I.Z_PK = J2.Z_3INTERACTIONRECIPIENT \
                 LEFT JOIN ZCONTACTS RC ON J2.Z_2RECIPIENTS = RC.Z_PK",
            );
        }
        let sql = format!("SELECT {} FROM {from} ORDER BY I.Z_PK", select.join(", "));
        let mut st = db.conn().prepare(&sql).map_err(|e| db.err(e))?;
        let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
        let mut rows = st.query([]).map_err(|e| db.err(e))?;
        let mut contact_events_seen: HashSet<(String, &'static str)> = HashSet::new();
        while let Some(row) = rows.next().map_err(|e| db.err(e))? {
            let mut rec = Record::new();
            let mut times = std::collections::HashMap::new();
            for (i, n) in names.iter().enumerate() {
                let v = row.get_ref(i).map_err(|e| db.err(e))?;
                let is_time = TIMESTAMPS.contains(&n.as_str()) || n == LAST_OUTGOING;
                if is_time
                    && !matches!(
                        v,
                        rusqlite::types::ValueRef::Text(_) | rusqlite::types::ValueRef::Null
                    )
                {
                    let ts = sql_f64(v).and_then(time::from_mac_absolute);
                    times.insert(n.clone(), ts);
                    rec.insert(n.clone(), time::format_opt(ts).into());
                } else if n == "direction" {
                    let d = match sql_f64(v) {
                        Some(0.0) => "INCOMING".into(),
                        Some(1.0) => "OUTGOING".into(),
                        _ => sql_to_json(v),
                    };
                    rec.insert(n.clone(), d);
                } else {
                    rec.insert(n.clone(), sql_to_json(v));
                }
            }
            out.record(&rec);

            let s = |k: &str| {
                rec.get(k)
                    .and_then(|v| v.as_str())
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let direction = s("direction");
            let mut sender = party(&rec, "sender");
            let mut recipient = party(&rec, "recipient").or_else(|| s("domain_identifier"));
            if sender.is_none() && direction.as_deref() == Some("OUTGOING") {
                sender = Some("local user".into());
            }
            if recipient.is_none() && direction.as_deref() == Some("INCOMING") {
                recipient = Some("local user".into());
            }
            let mut data = format!("[{}]", s("bundle_id").unwrap_or_default());
            if let Some(a) = s("account") {
                data.push_str(&format!(" {a}"));
            }
            if let Some(d) = &direction {
                data.push_str(&format!(" {d}"));
            }
            data.push_str(&format!(
                " from {} to {}",
                sender.as_deref().unwrap_or("unknown"),
                recipient.as_deref().unwrap_or("unknown")
            ));
            if let Some(g) = s("group_name") {
                data.push_str(&format!(" (group: {g})"));
            }
            if let Some(c) = s("content") {
                data.push_str(&format!(": {c}"));
            }
            let start = times.get("start_date").copied().flatten();
            let end = times.get("end_date").copied().flatten();
            out.timeline(start, "start_date", data.clone());
            if end != start {
                out.timeline(end, "end_date", data.clone());
            }
            if let Some(created) = times.get("interactions_creation_date").copied().flatten() {
                match start {
                    None => out.timeline(Some(created), "interactions_creation_date", data.clone()),
                    Some(st) => {
                        let delta = created.as_second() - st.as_second();
                        if delta.abs() >= 3600 {
                            let span = if delta.abs() >= 86_400 {
                                format!("{} days", delta.abs() / 86_400)
                            } else {
                                format!("{} hours", delta.abs() / 3600)
                            };
                            let when = if delta > 0 { "after" } else { "before" };
                            out.timeline(
                                Some(created),
                                "interactions_creation_date",
                                format!(
                                    "Interaction record created {span} {when} the event: {data}"
                                ),
                            );
                        }
                    }
                }
            }
            if let Some(p) = party(&rec, "sender") {
                for (field, template) in CONTACT_EVENTS {
                    let Some(ts) = times.get(field).copied().flatten() else {
                        continue;
                    };
                    if contact_events_seen.insert((format!("{p}\u{0}{}", time::format(ts)), field))
                    {
                        out.timeline(Some(ts), field, template.replace("{}", &p));
                    }
                }
            }

            let mut matches = Vec::new();
            for k in [
                "sender_identifier",
                "recipient_identifier",
                "domain_identifier",
                "custom_id",
                "account",
            ] {
                if let Some(v) = s(k).filter(|v| v.contains('@') && !v.contains("@s.whatsapp.net"))
                {
                    matches.extend(
                        ctx.iocs
                            .match_email(v.strip_prefix("mailto:").unwrap_or(&v)),
                    );
                }
            }
            for k in [
                "content",
                "attachment_content_url",
                "interaction_content_url",
            ] {
                if let Some(v) = s(k) {
                    matches.extend(ctx.iocs.match_text(&v));
                }
            }
            for k in ["bundle_id", "target_bundle_id"] {
                if let Some(v) = s(k) {
                    matches.extend(ctx.iocs.match_app_id(&v));
                }
            }
            dedup_matches(&mut matches);
            out.ioc_alerts(&matches, "An interaction", start, &rec);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{Folder, iocs, run};
    use telltale_core::Level;
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::ios_dbs::{Interaction, InteractionCDb, InteractionCLayout};

    const LAYOUTS: [InteractionCLayout; 4] = [
        InteractionCLayout::Full,
        InteractionCLayout::NoGroupName,
        InteractionCLayout::NoJoins,
        InteractionCLayout::Oldest,
    ];

    #[test]
    fn every_layout_reads_and_matches_sender_email() {
        for l in LAYOUTS {
            let f = Folder::new();
            let mut a =
                Interaction::incoming("com.apple.MobileSMS", "Op", "op@evil.com", 650_000_000.0);
            a.recipient = Some(("Me".into(), "+15555550100".into()));
            a.attachment_url = Some("https://x.evil.com/a".into());
            a.group_name = Some("group".into());
            let b = Interaction::incoming(
                "com.apple.MobileSMS",
                "Friend",
                "friend@notevil.com",
                650_000_100.0,
            );
            InteractionCDb::with_layout(l)
                .interaction(a)
                .interaction(b)
                .write(f.path(PATH))
                .unwrap();
            let r = run(
                &InteractionC,
                &f,
                &iocs(&[
                    (IndicatorKind::Email, "op@evil.com"),
                    (IndicatorKind::Domain, "evil.com"),
                ]),
            );
            assert_eq!(r.records.len(), 2, "{l:?}");
            let rec = &r.records[0];
            assert_eq!(rec["start_date"], "2021-08-07 03:33:20.000000", "{l:?}");
            assert_eq!(rec["direction"], "INCOMING");
            assert_eq!(rec["sender_identifier"], "op@evil.com");
            assert_eq!(
                rec.contains_key("recipient_count"),
                l != InteractionCLayout::Oldest,
                "{l:?}"
            );
            assert_eq!(
                rec.contains_key("group_name"),
                l == InteractionCLayout::Full,
                "{l:?}"
            );
            let joined = matches!(
                l,
                InteractionCLayout::Full | InteractionCLayout::NoGroupName
            );
            assert_eq!(rec.contains_key("recipient_identifier"), joined, "{l:?}");
            let high = r.at(Level::Critical);
            assert_eq!(
                high.len(),
                if joined { 2 } else { 1 },
                "{l:?} {:?}",
                r.alerts
            );
            assert!(
                high.iter()
                    .all(|a| a.event["sender_identifier"] == "op@evil.com")
            );
            assert!(
                r.timeline
                    .iter()
                    .any(|t| t.event == "start_date" && t.description.contains("Op (op@evil.com)"))
            );
            assert!(
                r.timeline
                    .iter()
                    .any(|t| t.event == "first_incoming_sender_date")
            );
            assert!(
                !r.timeline
                    .iter()
                    .any(|t| t.event == "interactions_creation_date"),
                "creation 0.5s after start"
            );
        }
    }

    #[test]
    fn backfilled_record_creation_goes_on_timeline() {
        let f = Folder::new();
        let mut a =
            Interaction::incoming("net.whatsapp.WhatsApp", "X", "+15555550100", 650_000_000.0);
        a.creation = 650_000_000.0 + 3.0 * 86_400.0;
        InteractionCDb::new(telltale_testkit::ios_dbs::IosVersion::V17)
            .interaction(a)
            .write(f.path(PATH))
            .unwrap();
        let r = run(&InteractionC, &f, &iocs(&[]));
        let ev: Vec<_> = r
            .timeline
            .iter()
            .filter(|t| t.event == "interactions_creation_date")
            .collect();
        assert_eq!(ev.len(), 1);
        assert!(ev[0].description.contains("3 days after"));
        assert!(r.alerts.is_empty());
    }

    #[test]
    fn malformed_and_missing() {
        let f = Folder::new();
        f.put(PATH, b"\x00garbage\xff".repeat(200).as_slice());
        assert!(run(&InteractionC, &f, &iocs(&[])).failed_with("interactionC.db"));
        assert!(matches!(
            run(&InteractionC, Folder::new(), &iocs(&[])).outcome.status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
