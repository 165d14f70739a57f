//! sms: messages of `HomeDomain/Library/SMS/sms.db` (message ⟕ handle).
//!
//! Records every message with the meaningful columns of `message` (see [`COLUMNS`]) plus
//! `phone_number`, `isodate`, `isodate_read`, `direction` and `links`. When `text` is NULL (common from
//! iOS 16) the text is recovered from the `attributedBody` typedstream. Checks the links of each message
//! against the indicators, and raises HIGH for Apple's threat notification (Apple's own iMessage telling
//! the user that state-sponsored / mercenary spyware attackers targeted the phone).

use serde_json::Value;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, time};

use crate::util::{
    extract_links, field_str, open_if_present_lazy, sql_f64, sql_to_json, stream_rows,
};

pub const PATH: &str = "HomeDomain/Library/SMS/sms.db";

/// The openings of Apple's threat notifications (older and newer wording).
pub const APPLE_THREAT_NOTIFICATIONS: [&str; 2] = [
    "ALERT: State-sponsored attackers may be targeting your iPhone",
    "ALERT: Apple detected a targeted mercenary spyware attack against your iPhone",
];

/// The columns of `message` put in each record (when present): the meaningful ones of the ~90 columns
/// (MVT dumps them all; binary columns are left out, the text recovered from `attributedBody` is kept).
pub const COLUMNS: [&str; 30] = [
    "ROWID",
    "guid",
    "text",
    "service",
    "account",
    "handle_id",
    "subject",
    "date",
    "date_read",
    "date_delivered",
    "is_from_me",
    "is_read",
    "is_sent",
    "is_delivered",
    "is_finished",
    "error",
    "cache_has_attachments",
    "cache_roomnames",
    "item_type",
    "group_title",
    "associated_message_guid",
    "balloon_bundle_id",
    "expressive_send_style_id",
    "destination_caller_id",
    "reply_to_guid",
    "thread_originator_guid",
    "is_spam",
    "date_edited",
    "date_retracted",
    "was_detonated",
];

pub struct Sms;

/// Best-effort extraction of the NSString of a `message.attributedBody` typedstream.
pub fn text_from_attributed_body(blob: &[u8]) -> Option<String> {
    let pos = memchr::memmem::find(blob, b"NSString")?;
    let rest = &blob[pos + 8..];
    // After the class name: a few type bytes, then `+` (0x2B) and the length of the UTF-8 bytes.
    let plus = rest.iter().take(16).position(|&b| b == b'+')?;
    let rest = &rest[plus + 1..];
    let (len, skip): (usize, usize) = match *rest.first()? {
        0x81 => (
            u16::from_le_bytes([*rest.get(1)?, *rest.get(2)?]) as usize,
            3,
        ),
        0x82 => (
            u32::from_le_bytes([*rest.get(1)?, *rest.get(2)?, *rest.get(3)?, *rest.get(4)?])
                as usize,
            5,
        ),
        n if n < 0x80 => (n as usize, 1),
        _ => return None,
    };
    let bytes = rest.get(skip..skip.checked_add(len)?)?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}

impl Module for Sms {
    fn name(&self) -> &'static str {
        "sms"
    }
    fn description(&self) -> &'static str {
        "SMS/iMessage messages (sms.db): links against indicators, Apple threat notifications"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(mut db) = open_if_present_lazy(ctx, out, PATH)? else {
            return Ok(());
        };
        if !db.has_table("message") {
            out.no_data(format!("{PATH} has no message table"));
            return Ok(());
        }
        let cols = db.columns("message")?;
        let mut select: Vec<String> = COLUMNS
            .iter()
            .filter(|c| cols.iter().any(|x| x.eq_ignore_ascii_case(c)))
            .map(|c| format!("message.\"{c}\""))
            .collect();
        if cols.iter().any(|x| x == "attributedBody") {
            select.push("CASE WHEN message.text IS NULL OR message.text = '' THEN message.attributedBody END AS \"attributedBody\"".into());
        }
        let join = if db.has_table("handle") {
            select.push("handle.id AS phone_number".into());
            "LEFT JOIN handle ON handle.ROWID = message.handle_id"
        } else {
            select.push("NULL AS phone_number".into());
            ""
        };
        // The row id comes last, for resuming after damage (see `stream_rows`); it is not a field.
        let sql = format!(
            "SELECT {}, message.ROWID AS \"__rowid\" FROM message {join} WHERE message.ROWID > ?1 \
             ORDER BY message.ROWID",
            select.join(", ")
        );
        let names: Vec<String> = {
            let st = db.conn().prepare(&sql).map_err(|e| db.err(e))?;
            st.column_names().map(|s| s.to_string()).collect()
        };
        let i_rowid = names.len() - 1;
        let idx = |n: &str| names.iter().position(|c| c == n);
        let (i_body, i_date, i_read, i_from_me) = (
            idx("attributedBody"),
            idx("date"),
            idx("date_read"),
            idx("is_from_me"),
        );
        // The keys are the same for every message: the record is built once and only its values are
        // replaced, in key order (no per-message key allocation or hashing).
        let columns: Vec<usize> = (0..i_rowid).filter(|i| Some(*i) != i_body).collect();
        let mut rec = Record::new();
        for &i in &columns {
            if let Some(n) = names.get(i) {
                rec.insert(n.clone(), Value::Null);
            }
        }
        rec.insert("text".into(), Value::Null);
        let text_slot = rec.keys().position(|k| k == "text").unwrap_or(0);
        let fixed = rec.len();
        for k in ["isodate", "isodate_read", "direction", "links"] {
            rec.insert(k.into(), Value::Null);
        }
        let path = db.path().to_string();
        let ev = ctx.evidence;
        stream_rows(ev, out, &mut db, &sql, i_rowid, |row, out| {
            for (slot, &i) in rec.values_mut().zip(&columns) {
                *slot = sql_to_json(row.get_ref(i).map_err(|e| ModuleError::parse(&path, e))?);
            }
            let get_f = |i: Option<usize>| i.and_then(|i| row.get_ref(i).ok()).and_then(sql_f64);
            let date = get_f(i_date).and_then(time::from_mac_absolute);
            let date_read = get_f(i_read).and_then(time::from_mac_absolute);
            let from_me = get_f(i_from_me) == Some(1.0);
            let text_value = rec.values_mut().nth(text_slot);
            let mut text = match text_value {
                Some(Value::String(t)) => std::mem::take(t),
                _ => String::new(),
            };
            let mut from_body = false;
            if text.is_empty()
                && let Some(blob) = i_body
                    .and_then(|i| row.get_ref(i).ok())
                    .and_then(|v| v.as_blob().ok())
                && let Some(t) = text_from_attributed_body(blob)
            {
                text = t;
                from_body = true;
            }
            let links = extract_links(&text);
            for l in &links {
                out.url_found(l, date, "sms");
            }
            let threat = APPLE_THREAT_NOTIFICATIONS
                .iter()
                .any(|p| text.trim_start().starts_with(p));
            let matches = ctx.iocs.match_text(&text);
            let desc = format!(
                "{}: {} \"{}\" {} {} ({})",
                field_str(&rec, "service").unwrap_or(""),
                field_str(&rec, "guid").unwrap_or(""),
                text.replace('\n', "\\n"),
                if from_me { "to" } else { "from" },
                field_str(&rec, "phone_number").unwrap_or(""),
                field_str(&rec, "account").unwrap_or("")
            );
            if let Some(slot) = rec.values_mut().nth(text_slot) {
                *slot = Value::String(text);
            }
            let extra = [
                time::format_opt(date).into(),
                time::format_opt(date_read).into(),
                if from_me { "sent" } else { "received" }.into(),
                links.into(),
            ];
            for (slot, v) in rec.values_mut().skip(fixed).zip(extra) {
                *slot = v;
            }
            if from_body {
                rec.insert("text_from_attributed_body".into(), true.into());
            }
            out.record(&rec);

            let event = if from_me { "sms_sent" } else { "sms_received" };
            if date_read.is_some() {
                out.timeline(date, event, desc.clone());
                out.timeline(date_read, "sms_read", desc);
            } else {
                out.timeline(date, event, desc);
            }
            if threat {
                out.alert(
                    Level::High,
                    format!(
                        "Apple threat notification received on {}: Apple sends this message when it believes the \
                         phone was targeted by state-sponsored or mercenary spyware attackers",
                        time::format_opt(date).unwrap_or_else(|| "an unknown date".into())
                    ),
                    date,
                    &rec,
                    None,
                );
            }
            out.ioc_alerts(&matches, "A link in a message", date, &rec);
            if from_body {
                rec.remove("text_from_attributed_body");
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{Folder, iocs, run};
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::ios_dbs::{IosVersion, SmsDb, SmsMessage, attributed_body};

    #[test]
    fn link_to_indicator_domain_alerts_high() {
        let f = Folder::new();
        SmsDb::new(IosVersion::V17)
            .message(
                "+15555550100",
                "Your parcel: https://track.evil.com/x?id=1",
                700_000_000.0,
            )
            .message("+15555550101", "see https://notevil.com/ok", 700_000_100.0)
            .write(f.path(PATH))
            .unwrap();
        let r = run(&Sms, &f, &iocs(&[(IndicatorKind::Domain, "evil.com")]));
        assert_eq!(r.records.len(), 2);
        let high = r.at(Level::Critical);
        assert_eq!(high.len(), 1, "{:?}", r.alerts);
        assert_eq!(
            high[0].matched_indicator.as_ref().unwrap().value,
            "evil.com"
        );
        assert_eq!(high[0].event["phone_number"], "+15555550100");
        assert_eq!(
            high[0].event_time.as_deref(),
            Some("2023-03-08 20:26:40.000000")
        );
        assert_eq!(r.records[0]["links"][0], "https://track.evil.com/x?id=1");
        assert_eq!(r.records[0]["direction"], "received");
        assert!(r.timeline.iter().any(|t| t.event == "sms_received"));
    }

    #[test]
    fn apple_threat_notification_is_high() {
        let f = Folder::new();
        let text = "ALERT: Apple detected a targeted mercenary spyware attack against your iPhone. More at https://support.apple.com/en-us/102174";
        SmsDb::new(IosVersion::V16)
            .message("threat-notification@apple.com", text, 700_000_000.0)
            .message(
                "+15555550100",
                "Apple detected a targeted attack? lol",
                700_000_000.0,
            )
            .write(f.path(PATH))
            .unwrap();
        let r = run(&Sms, &f, &iocs(&[]));
        let high = r.at(Level::High);
        assert_eq!(high.len(), 1);
        assert!(high[0].message.contains("Apple threat notification"));
        assert!(high[0].matched_indicator.is_none());
    }

    #[test]
    fn wikipedia_link_about_nso_raises_nothing() {
        let f = Folder::new();
        SmsDb::new(IosVersion::V14)
            .message(
                "+15555550100",
                "Read this: https://en.wikipedia.org/wiki/NSO_Group about Pegasus",
                650_000_000.0,
            )
            .write(f.path(PATH))
            .unwrap();
        let r = run(
            &Sms,
            &f,
            &iocs(&[
                (IndicatorKind::Domain, "evil.com"),
                (IndicatorKind::ProcessName, "bh"),
            ]),
        );
        assert_eq!(r.records.len(), 1);
        assert!(r.alerts.is_empty());
    }

    #[test]
    fn text_only_in_attributed_body_is_recovered_and_checked() {
        let f = Folder::new();
        let long = format!("{} https://evil.com/p", "x".repeat(300));
        SmsDb::new(IosVersion::V18)
            .push(SmsMessage {
                handle: Some("+15555550100".into()),
                text: None,
                attributed_body: Some(attributed_body("hello https://a.evil.com/z")),
                date: 720_000_000.0,
                date_read: 720_000_060.0,
                is_from_me: false,
                service: "iMessage".into(),
            })
            .push(SmsMessage {
                text: None,
                attributed_body: Some(attributed_body(&long)),
                ..SmsMessage::received("+1", "", 720_000_000.0)
            })
            .write(f.path(PATH))
            .unwrap();
        let r = run(&Sms, &f, &iocs(&[(IndicatorKind::Domain, "evil.com")]));
        assert_eq!(r.records[0]["text"], "hello https://a.evil.com/z");
        assert_eq!(r.records[1]["text"], long.as_str());
        assert_eq!(r.at(Level::Critical).len(), 2);
        assert!(r.timeline.iter().any(|t| t.event == "sms_read"));
    }

    #[test]
    fn every_schema_variant_reads_with_dates() {
        for v in IosVersion::ALL {
            let f = Folder::new();
            SmsDb::new(v)
                .message("+15555550100", "hi", 600_000_000.0)
                .push(SmsMessage {
                    handle: None,
                    is_from_me: true,
                    ..SmsMessage::received("", "group hello", 600_000_010.0)
                })
                .write(f.path(PATH))
                .unwrap();
            let r = run(&Sms, &f, &iocs(&[]));
            assert_eq!(r.records.len(), 2, "{v:?}");
            assert_eq!(
                r.records[0]["isodate"], "2020-01-06 10:40:00.000000",
                "{v:?}"
            );
            assert_eq!(r.records[1]["direction"], "sent");
            assert!(r.records[1]["phone_number"].is_null());
        }
    }

    #[test]
    fn garbage_fails_naming_the_file_and_missing_is_no_data() {
        let f = Folder::new();
        f.put(
            PATH,
            b"this is not a database at all, just some bytes......................................",
        );
        let r = run(&Sms, &f, &iocs(&[]));
        assert!(r.failed_with("sms.db"), "{:?}", r.outcome.status);
        let r = run(&Sms, Folder::new(), &iocs(&[]));
        assert!(matches!(
            r.outcome.status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }

    #[test]
    fn truncated_database_is_recovered_or_reported() {
        let ms = (0..3000).map(|i| {
            SmsMessage::received(
                "+1555",
                &format!("message number {i} padding padding"),
                600_000_000.0 + i as f64,
            )
        });
        let bytes = SmsDb::new(IosVersion::V17).extend(ms).to_bytes();
        let f = Folder::new();
        f.put(PATH, &bytes[..bytes.len() * 6 / 10]);
        let r = run(&Sms, &f, &iocs(&[]));
        let recovered = matches!(r.outcome.status, telltale_core::ModuleStatus::Ok)
            && !r.outcome.warnings.is_empty();
        assert!(
            recovered || r.failed_with("sms.db"),
            "{:?} {:?}",
            r.outcome.status,
            r.outcome.warnings
        );
        if recovered {
            assert!(r.records.len() < 3000);
        }
    }

    #[test]
    fn attributed_body_parser_is_bounded() {
        assert_eq!(
            text_from_attributed_body(&attributed_body("abc")).as_deref(),
            Some("abc")
        );
        assert_eq!(
            text_from_attributed_body(b"NSString\x01\x94\x84\x01+\x81\xff\xff"),
            None
        );
        assert_eq!(text_from_attributed_body(b"nothing"), None);
    }
}

#[cfg(test)]
mod bulk {
    use super::*;
    use crate::util::testing::{Folder, iocs, run};
    use telltale_testkit::ios_dbs::{DataUsageDb, IosVersion, SmsDb, SmsMessage};

    /// Size check for the benchmark layout (run with `--ignored`).
    #[test]
    #[ignore]
    fn bulk_200k_messages_and_20k_processes() {
        let t = std::time::Instant::now();
        let f = Folder::new();
        let ms = (0..200_000).map(|i| {
            SmsMessage::received(
                &format!("+1555{:07}", i % 3000),
                "hello there https://example.org/x",
                600_000_000.0 + i as f64,
            )
        });
        SmsDb::new(IosVersion::V17)
            .extend(ms)
            .write(f.path(PATH))
            .unwrap();
        eprintln!("write sms: {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let r = run(&Sms, &f, &iocs(&[]));
        eprintln!("run sms: {:?}", t.elapsed());
        assert_eq!(r.records.len(), 200_000);
        let t = std::time::Instant::now();
        let mut d = DataUsageDb::new(IosVersion::V17);
        for i in 0..20_000 {
            d = d
                .process(&format!("proc{i}"), None, 600_000_000.0, 600_000_000.0)
                .usage(i + 1, 600_000_000.0, 0.0, 0.0, 1.0, 1.0);
        }
        d.write(f.path(crate::modules::datausage::PATH)).unwrap();
        eprintln!("write datausage: {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let r = run(&crate::modules::datausage::Datausage, &f, &iocs(&[]));
        eprintln!("run datausage: {:?}", t.elapsed());
        assert_eq!(r.records.len(), 20_000);
    }
}
