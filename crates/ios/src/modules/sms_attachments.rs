//! sms_attachments: attachments of `HomeDomain/Library/SMS/sms.db`
//! (attachment ⟕ message_attachment_join ⟕ message ⟕ handle).
//!
//! Records every attachment with all columns of `attachment` (binary columns base64) plus `attachment_id`,
//! `service`, `phone_number`, `isodate`, `direction` and `has_user_info` (MVT's fields). Checks the file
//! path and name against the indicators (HIGH, as MVT), and raises MEDIUM for a received attachment stored directly under
//! `/var/tmp/` with a name ending in `-1`: the trace left by the FORCEDENTRY zero-click exploit (Pegasus),
//! as MVT flags it.

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, time};

use crate::util::{open_if_present, sql_f64, sql_to_json};

pub const PATH: &str = "HomeDomain/Library/SMS/sms.db";

pub struct SmsAttachments;

impl Module for SmsAttachments {
    fn name(&self) -> &'static str {
        "sms_attachments"
    }
    fn description(&self) -> &'static str {
        "SMS/iMessage attachments (sms.db): file names against indicators, FORCEDENTRY-style /var/tmp files"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(db) = open_if_present(ctx, out, PATH)? else {
            return Ok(());
        };
        let tables = db.tables()?;
        if !tables.contains("attachment") {
            out.no_data(format!("{PATH} has no attachment table"));
            return Ok(());
        }
        let joined = ["message_attachment_join", "message", "handle"]
            .iter()
            .all(|t| tables.contains(*t));
        let sql = if joined {
            "SELECT attachment.ROWID AS attachment_id, attachment.*, message.service AS service, \
             handle.id AS phone_number FROM attachment \
             LEFT JOIN message_attachment_join ON message_attachment_join.attachment_id = attachment.ROWID \
             LEFT JOIN message ON message.ROWID = message_attachment_join.message_id \
             LEFT JOIN handle ON handle.ROWID = message.handle_id ORDER BY attachment.ROWID"
        } else {
            "SELECT attachment.ROWID AS attachment_id, attachment.*, NULL AS service, NULL AS phone_number \
             FROM attachment ORDER BY attachment.ROWID"
        };
        let mut st = db.conn().prepare(sql).map_err(|e| db.err(e))?;
        let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
        let mut rows = st.query([]).map_err(|e| db.err(e))?;
        while let Some(row) = rows.next().map_err(|e| db.err(e))? {
            let mut rec = Record::new();
            let mut num = std::collections::HashMap::new();
            for (i, n) in names.iter().enumerate() {
                let v = row.get_ref(i).map_err(|e| db.err(e))?;
                if let Some(f) = sql_f64(v) {
                    num.insert(n.as_str(), f);
                }
                rec.insert(n.clone(), sql_to_json(v));
            }
            let created = num
                .get("created_date")
                .copied()
                .and_then(time::from_mac_absolute);
            let start = num
                .get("start_date")
                .copied()
                .and_then(time::from_mac_absolute);
            let outgoing = num.get("is_outgoing").copied() == Some(1.0);
            rec.insert("isodate".into(), time::format_opt(created).into());
            rec.insert("start_date".into(), time::format_opt(start).into());
            rec.insert(
                "direction".into(),
                if outgoing { "sent" } else { "received" }.into(),
            );
            let has_user_info = rec.get("user_info").is_some_and(|v| !v.is_null());
            rec.insert("has_user_info".into(), has_user_info.into());
            if rec.get("service").is_none_or(|v| v.is_null()) {
                rec.insert("service".into(), "Unknown".into());
            }
            let filename = rec
                .get("filename")
                .and_then(|v| v.as_str())
                .unwrap_or("NULL")
                .to_string();
            rec.insert("filename".into(), filename.clone().into());
            out.record(&rec);

            let s = |k: &str| match rec.get(k) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => "".into(),
                Some(v) => v.to_string(),
            };
            out.timeline(
                created,
                "sms_attachment",
                format!(
                    "{}: Attachment '{}' {} {} {} with {} bytes (is_sticker: {}, has_user_info: {})",
                    s("service"),
                    s("transfer_name"),
                    s("direction"),
                    if outgoing { "to" } else { "from" },
                    s("phone_number"),
                    s("total_bytes"),
                    s("is_sticker"),
                    has_user_info
                ),
            );

            if filename != "NULL" {
                let mut matches = ctx.iocs.match_file_path(&filename);
                let mut by_name = ctx.iocs.match_file_name(&filename);
                if let Some(t) = rec.get("transfer_name").and_then(|v| v.as_str())
                    && t != filename.rsplit('/').next().unwrap_or("")
                {
                    by_name.extend(ctx.iocs.match_file_name(t));
                }
                matches.extend(by_name);
                // MVT rates attachment file matches HIGH.
                out.ioc_alerts_at(
                    Level::High,
                    &matches,
                    &format!("Message attachment {filename}"),
                    created,
                    &rec,
                );
            }
            if !outgoing && filename.starts_with("/var/tmp/") && filename.ends_with("-1") {
                out.alert(
                    Level::Medium,
                    format!(
                        "Suspicious iMessage attachment {filename} received on {}: a file directly under /var/tmp \
                         whose name ends in -1 is the trace left by the FORCEDENTRY zero-click exploit used to \
                         install Pegasus (ordinary attachments live under ~/Library/SMS/Attachments)",
                        time::format_opt(created).unwrap_or_else(|| "an unknown date".into())
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
    use telltale_testkit::ios_dbs::{IosVersion, SmsAttachment, SmsDb};

    #[test]
    fn forcedentry_style_attachment_is_medium() {
        let f = Folder::new();
        SmsDb::new(IosVersion::V14)
            .attachment(
                "attacker@example.org",
                "/var/tmp/com.apple.messages/3A2B-1",
                "image/gif",
                650_000_000.0,
            )
            .attachment(
                "+15555550100",
                "~/Library/SMS/Attachments/ab/11/X/IMG_0001-1",
                "image/jpeg",
                650_000_000.0,
            )
            .push_attachment(SmsAttachment {
                handle: "+15555550100".into(),
                filename: Some("/var/tmp/sent-1".into()),
                mime_type: None,
                transfer_name: None,
                created_date: 650_000_000.0,
                is_outgoing: true,
                total_bytes: 1,
            })
            .write(f.path(PATH))
            .unwrap();
        let r = run(&SmsAttachments, &f, &iocs(&[]));
        assert_eq!(r.records.len(), 3);
        let med = r.at(Level::Medium);
        assert_eq!(med.len(), 1, "{:?}", r.alerts);
        assert_eq!(med[0].event["phone_number"], "attacker@example.org");
        assert!(med[0].message.contains("FORCEDENTRY"));
        assert!(r.severe().is_empty());
        assert_eq!(r.records[0]["direction"], "received");
        assert_eq!(r.records[0]["service"], "iMessage");
        assert_eq!(r.timeline.len(), 3);
    }

    #[test]
    fn file_name_indicator_matches_and_similar_name_does_not() {
        let f = Folder::new();
        SmsDb::new(IosVersion::V17)
            .attachment(
                "+1",
                "~/Library/SMS/Attachments/00/00/A/payload.gif",
                "image/gif",
                700_000_000.0,
            )
            .attachment(
                "+1",
                "~/Library/SMS/Attachments/00/00/B/notpayload.gif",
                "image/gif",
                700_000_000.0,
            )
            .write(f.path(PATH))
            .unwrap();
        let r = run(
            &SmsAttachments,
            &f,
            &iocs(&[(IndicatorKind::FileName, "payload.gif")]),
        );
        let high = r.at(Level::High);
        assert_eq!(high.len(), 1, "{:?}", r.alerts);
        assert_eq!(
            high[0].matched_indicator.as_ref().unwrap().value,
            "payload.gif"
        );
        assert!(
            high[0].event["filename"]
                .as_str()
                .unwrap()
                .ends_with("/A/payload.gif")
        );
    }

    #[test]
    fn old_layout_and_malformed() {
        let f = Folder::new();
        SmsDb::new(IosVersion::V10)
            .attachment("+1", "/var/tmp/x-1", "image/gif", 500_000_000.0)
            .write(f.path(PATH))
            .unwrap();
        let r = run(&SmsAttachments, &f, &iocs(&[]));
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0]["isodate"], "2016-11-05 00:53:20.000000");
        let f = Folder::new();
        f.put(PATH, &[0x42; 4096]);
        assert!(run(&SmsAttachments, &f, &iocs(&[])).failed_with("sms.db"));
        assert!(matches!(
            run(&SmsAttachments, Folder::new(), &iocs(&[]))
                .outcome
                .status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
