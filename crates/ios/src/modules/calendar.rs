//! calendar: calendar items, `HomeDomain/Library/Calendar/Calendar.sqlitedb` (CalendarItem ⟕ Participant
//! as organizer).
//!
//! Records MVT's fields (`id`, `summary`, `description`, `start_date`, `end_date`, …, `participant_email`)
//! with times in UTC. The organizer's email is checked against the email indicators (CRITICAL). HIGH for an event
//! titled "Meeting" whose notes are "Notes": the trace left by QuaDream's ENDOFDAYS zero-click exploit,
//! which delivered invisible iCloud calendar invitations (Citizen Lab / Microsoft, April 2023; MVT's check).

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, time};

use crate::util::{open_if_present, sql_f64, sql_to_json};

pub const PATH: &str = "HomeDomain/Library/Calendar/Calendar.sqlitedb";

const ITEM_COLUMNS: [(&str, &str); 18] = [
    ("ROWID", "id"),
    ("summary", "summary"),
    ("description", "description"),
    ("start_date", "start_date"),
    ("end_date", "end_date"),
    ("all_day", "all_day"),
    ("calendar_id", "calendar_id"),
    ("organizer_id", "organizer_id"),
    ("url", "url"),
    ("last_modified", "last_modified"),
    ("external_id", "external_id"),
    ("external_mod_tag", "external_mod_tag"),
    ("unique_identifier", "unique_identifier"),
    ("hidden", "hidden"),
    ("UUID", "uuid"),
    ("creation_date", "creation_date"),
    ("action", "action"),
    ("created_by_id", "created_by_id"),
];
const PARTICIPANT_COLUMNS: [(&str, &str); 5] = [
    ("UUID", "participant_uuid"),
    ("email", "participant_email"),
    ("phone_number", "participant_phone"),
    ("comment", "participant_comment"),
    ("last_modified", "participant_last_modified"),
];
const TIMESTAMPS: [&str; 5] = [
    "start_date",
    "end_date",
    "last_modified",
    "creation_date",
    "participant_last_modified",
];

pub struct Calendar;

impl Module for Calendar {
    fn name(&self) -> &'static str {
        "calendar"
    }
    fn description(&self) -> &'static str {
        "Calendar events (Calendar.sqlitedb): organizer emails against indicators, QuaDream invitations"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(db) = open_if_present(ctx, out, PATH)? else {
            return Ok(());
        };
        let icols = db.columns("CalendarItem")?;
        if icols.is_empty() {
            out.no_data(format!("{PATH} has no CalendarItem table"));
            return Ok(());
        }
        let pcols = db.columns("Participant")?;
        let has = |cols: &[String], c: &str| {
            c == "ROWID" || cols.iter().any(|x| x.eq_ignore_ascii_case(c))
        };
        let mut select = Vec::new();
        for (c, alias) in ITEM_COLUMNS {
            let expr = if has(&icols, c) {
                format!("CalendarItem.{c}")
            } else {
                "NULL".into()
            };
            select.push(format!("{expr} AS \"{alias}\""));
        }
        let join = !pcols.is_empty() && has(&icols, "organizer_id");
        for (c, alias) in PARTICIPANT_COLUMNS {
            let expr = if join && has(&pcols, c) {
                format!("Participant.{c}")
            } else {
                "NULL".into()
            };
            select.push(format!("{expr} AS \"{alias}\""));
        }
        let from = if join {
            "CalendarItem LEFT JOIN Participant ON Participant.ROWID = CalendarItem.organizer_id"
        } else {
            "CalendarItem"
        };
        let sql = format!(
            "SELECT {} FROM {from} ORDER BY CalendarItem.ROWID",
            select.join(", ")
        );
        let mut st = db.conn().prepare(&sql).map_err(|e| db.err(e))?;
        let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
        let mut rows = st.query([]).map_err(|e| db.err(e))?;
        while let Some(row) = rows.next().map_err(|e| db.err(e))? {
            let mut rec = Record::new();
            let mut times = Vec::new();
            for (i, n) in names.iter().enumerate() {
                let v = row.get_ref(i).map_err(|e| db.err(e))?;
                if TIMESTAMPS.contains(&n.as_str())
                    && !matches!(v, rusqlite::types::ValueRef::Text(_))
                {
                    let ts = sql_f64(v).and_then(time::from_mac_absolute);
                    rec.insert(n.clone(), time::format_opt(ts).into());
                    times.push((n.clone(), ts));
                } else {
                    rec.insert(n.clone(), sql_to_json(v));
                }
            }
            out.record(&rec);
            let s = |k: &str| rec.get(k).and_then(|v| v.as_str()).map(str::to_string);
            let (summary, description, email) =
                (s("summary"), s("description"), s("participant_email"));
            let desc = format!(
                "Calendar event {} ({}) (invitation by {})",
                summary.as_deref().unwrap_or(""),
                description.as_deref().unwrap_or(""),
                email.as_deref().unwrap_or("nobody")
            );
            for (n, ts) in &times {
                out.timeline(*ts, n, desc.clone());
            }
            let created = times
                .iter()
                .find(|(n, _)| n == "creation_date")
                .and_then(|(_, t)| *t);
            if let Some(email) = &email {
                let addr = email.strip_prefix("mailto:").unwrap_or(email);
                let matches = ctx.iocs.match_email(addr);
                out.ioc_alerts(
                    &matches,
                    &format!("Calendar invitation from {addr}"),
                    created,
                    &rec,
                );
            }
            if summary.as_deref() == Some("Meeting") && description.as_deref() == Some("Notes") {
                out.alert(
                    Level::High,
                    format!(
                        "Calendar event \"Meeting\" with notes \"Notes\" ({}): this is the trace left by QuaDream's \
                         ENDOFDAYS exploit, which installed spyware through invisible iCloud calendar invitations",
                        s("uuid").unwrap_or_default()
                    ),
                    created,
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
    use telltale_testkit::ios_dbs::{CalendarDb, CalendarEvent};

    #[test]
    fn quadream_trace_and_organizer_indicator() {
        let f = Folder::new();
        let mut invite = CalendarEvent::new("Lunch", Some("talk"), 700_000_000.0);
        invite.organizer_email = Some("mailto:op@evil.com".into());
        let mut ok = CalendarEvent::new("Lunch", None, 700_000_000.0);
        ok.organizer_email = Some("friend@notevil.com".into());
        CalendarDb::new()
            .event(CalendarEvent::new("Meeting", Some("Notes"), 600_000_000.0))
            .event(CalendarEvent::new(
                "Meeting",
                Some("Quarterly review"),
                600_000_000.0,
            ))
            .event(CalendarEvent::new("Meeting", None, 600_000_000.0))
            .event(invite)
            .event(ok)
            .write(f.path(PATH))
            .unwrap();
        let r = run(
            &Calendar,
            &f,
            &iocs(&[(IndicatorKind::Email, "op@evil.com")]),
        );
        assert_eq!(r.records.len(), 5);
        assert_eq!(r.records[0]["start_date"], "2020-01-06 10:40:00.000000");
        assert_eq!(r.records[0]["summary"], "Meeting");
        let high = r.at(Level::High);
        assert_eq!(high.len(), 1, "{:?}", r.alerts);
        assert!(high[0].message.contains("QuaDream"));
        assert_eq!(high[0].event["description"], "Notes");
        let crit = r.at(Level::Critical);
        assert_eq!(crit.len(), 1, "{:?}", r.alerts);
        assert_eq!(
            crit[0].matched_indicator.as_ref().unwrap().value,
            "op@evil.com"
        );
        assert_eq!(r.alerts.len(), 2);
        assert!(r.timeline.len() >= 5 * 4);
    }

    #[test]
    fn malformed_and_missing() {
        let f = Folder::new();
        f.put(PATH, b"not sqlite, not anything");
        assert!(run(&Calendar, &f, &iocs(&[])).failed_with("Calendar.sqlitedb"));
        assert!(matches!(
            run(&Calendar, Folder::new(), &iocs(&[])).outcome.status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
