//! whatsapp: WhatsApp's `ChatStorage.sqlite` (WhatsApp and WhatsApp Business app groups). One record per
//! message (ZWAMESSAGE with its media item and link-preview data) with the links it carries, one per chat
//! session (first/last interaction), one per LID ↔ phone number pair. Links in text and previews are
//! checked with `match_text`, media URLs with `match_url`.

use std::collections::HashMap;

use serde_json::Value;
use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record, record, sqlite, time};

use crate::util::{
    dedup_matches, each_artifact, extract_links, field_str, open_db, sql_f64, sql_string,
    sql_to_json,
};

pub struct Whatsapp;

const PATTERNS: &[&str] = &["AppDomainGroup-group.net.whatsapp.*.shared/ChatStorage.sqlite"];

/// Columns that may hold links.
const TEXT_FIELDS: &[&str] = &["ZTEXT", "ZMATCHEDTEXT", "ZCONTENT1", "ZCONTENT2"];

impl Module for Whatsapp {
    fn name(&self) -> &'static str {
        "whatsapp"
    }
    fn description(&self) -> &'static str {
        "WhatsApp messages, chats and LID pairs (ChatStorage.sqlite): links and media URLs checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "WhatsApp is not in this acquisition (no ChatStorage.sqlite)",
            |p, out| process(ctx, p, out),
        )
    }
}

fn is_whatsapp_media(link: &str) -> bool {
    link.starts_with("https://mmg-fna.whatsapp.net/")
        || link.starts_with("https://mmg.whatsapp.net/")
}

fn mac_iso(v: &Value) -> Option<String> {
    v.as_f64()
        .and_then(time::from_mac_absolute)
        .map(time::format)
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let db = open_db(ctx.evidence, path, out)?;
    let tables = db.tables()?;
    if !tables.contains("ZWAMESSAGE") {
        return Err(ModuleError::parse(
            path,
            "not a WhatsApp database (no ZWAMESSAGE table)",
        ));
    }
    // Joined columns, NULL where this version lacks them.
    let col = |table: &str, c: &str| {
        if tables.contains(table) && db.has_column(table, c) {
            format!("{table}.{c} AS {c}")
        } else {
            format!("NULL AS {c}")
        }
    };
    let mut joins = String::new();
    if tables.contains("ZWAMEDIAITEM") && db.has_column("ZWAMEDIAITEM", "ZMESSAGE") {
        joins.push_str(" LEFT JOIN ZWAMEDIAITEM ON ZWAMEDIAITEM.ZMESSAGE = ZWAMESSAGE.Z_PK");
    }
    if tables.contains("ZWAMESSAGEDATAITEM") && db.has_column("ZWAMESSAGEDATAITEM", "ZMESSAGE") {
        joins.push_str(
            " LEFT JOIN ZWAMESSAGEDATAITEM ON ZWAMESSAGEDATAITEM.ZMESSAGE = ZWAMESSAGE.Z_PK",
        );
    }
    let joined = |table: &str, c: &str| {
        if joins.contains(table) {
            col(table, c)
        } else {
            format!("NULL AS {c}")
        }
    };
    let extra = [
        joined("ZWAMEDIAITEM", "ZAUTHORNAME"),
        joined("ZWAMEDIAITEM", "ZMEDIAURL"),
        joined("ZWAMESSAGEDATAITEM", "ZCONTENT1"),
        joined("ZWAMESSAGEDATAITEM", "ZCONTENT2"),
        joined("ZWAMESSAGEDATAITEM", "ZMATCHEDTEXT"),
        joined("ZWAMESSAGEDATAITEM", "ZSUMMARY"),
        joined("ZWAMESSAGEDATAITEM", "ZTITLE"),
    ];
    let order = if db.has_column("ZWAMESSAGE", "ZMESSAGEDATE") {
        " ORDER BY ZWAMESSAGE.ZMESSAGEDATE"
    } else {
        ""
    };
    let q = format!(
        "SELECT ZWAMESSAGE.*, {} FROM ZWAMESSAGE{joins}{order}",
        extra.join(", ")
    );
    let (lid_map, lid_records) = lid_pairs(ctx, path, &db, &tables, out)?;
    let sessions = session_partners(&db, &tables);
    let mut st = db.conn().prepare(&q).map_err(|e| db.err(e))?;
    let names: Vec<String> = st.column_names().map(str::to_string).collect();
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let mut msg = Record::new();
        for (i, n) in names.iter().enumerate() {
            // A joined NULL must not hide a ZWAMESSAGE column of the same name.
            let v = sql_to_json(r.get_ref(i).map_err(|e| db.err(e))?);
            if v.is_null() && msg.contains_key(n) {
                continue;
            }
            msg.insert(n.clone(), v);
        }
        let ts = msg
            .get("ZMESSAGEDATE")
            .and_then(|v| v.as_f64())
            .and_then(time::from_mac_absolute);
        msg.insert("isodate".into(), time::format_opt(ts).into());
        if !msg.get("ZTEXT").is_some_and(|v| v.is_string()) {
            msg.insert("ZTEXT".into(), "".into());
        }
        let mut links: Vec<String> = Vec::new();
        for f in TEXT_FIELDS.iter().chain(["ZMEDIAURL"].iter()) {
            if let Some(s) = msg.get(*f).and_then(|v| v.as_str()) {
                links.extend(extract_links(s));
            }
        }
        links.retain(|l| !is_whatsapp_media(l));
        links.sort();
        links.dedup();
        msg.insert("links".into(), links.clone().into());
        out.record(&msg);
        for l in &links {
            out.url_found(l, ts, "whatsapp");
        }

        let text = field_str(&msg, "ZTEXT").unwrap_or("").replace('\n', "\\n");
        let from = msg
            .get("ZFROMJID")
            .and_then(|v| v.as_str())
            .unwrap_or("Unknown");
        let mut desc = format!("'{text}' from {from}");
        if !links.is_empty() {
            desc.push_str(&format!(" - Embedded links: {}", links.join(", ")));
        }
        out.timeline(ts, "message", desc);

        // The links the record lists (WhatsApp's own media-server URLs left out, as in `links`), and bare
        // domains or addresses in the text with those media URLs cut out.
        let mut m = Vec::new();
        for f in TEXT_FIELDS {
            if let Some(s) = msg.get(*f).and_then(|v| v.as_str()) {
                m.extend(ctx.iocs.match_text(&without_media_links(s)));
            }
        }
        for l in &links {
            m.extend(ctx.iocs.match_url(l));
        }
        dedup_matches(&mut m);
        if !m.is_empty() {
            let who = sender(&msg, &sessions, &lid_map);
            out.ioc_alerts(&m, &format!("WhatsApp message {who}"), ts, &msg);
        }
    }
    drop(rows);
    drop(st);

    for (rec, ts, desc) in lid_records {
        out.record(&rec);
        out.timeline(ts, "lid_pair_recorded", desc);
    }
    if tables.contains("ZWACHATSESSION") {
        chat_sessions(&db, &tables, &lid_map, out)?;
    }
    Ok(())
}

/// LID ↔ phone number pairs, read before the messages (they name senders) and emitted after them.
type LidPairs = (
    HashMap<String, String>,
    Vec<(Record, Option<jiff::Timestamp>, String)>,
);

/// LID ↔ phone number pairs, from `LID.sqlite` beside ChatStorage (listed in Manifest.db or not: MVT reads
/// it by its file id) or from ChatStorage itself: the map LID → phone number (digits) and the records.
fn lid_pairs(
    ctx: &ModuleContext<'_>,
    path: &str,
    chat_db: &sqlite::ForensicDb,
    chat_tables: &std::collections::HashSet<String>,
    out: &mut Emitter<'_>,
) -> Result<LidPairs, ModuleError> {
    let lid_path = format!(
        "{}/LID.sqlite",
        path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
    );
    let lid_db = if ctx.evidence.exists(&lid_path) {
        match open_db(ctx.evidence, &lid_path, out) {
            Ok(db) => Some(db),
            Err(e) => {
                out.warn(e.to_string());
                None
            }
        }
    } else {
        None
    };
    let db = match &lid_db {
        Some(db) => db,
        None if chat_tables.contains("ZWAPHONENUMBERLIDPAIR") => chat_db,
        None => return Ok((HashMap::new(), Vec::new())),
    };
    let q = "SELECT ZLID, ZPHONENUMBER, ZTIMESTAMP FROM ZWAPHONENUMBERLIDPAIR";
    let rows = db.conn().prepare(q).and_then(|mut st| {
        st.query_map([], |r| {
            Ok((
                sql_string(r.get_ref(0)?),
                sql_string(r.get_ref(1)?),
                sql_f64(r.get_ref(2)?),
            ))
        })?
        .collect::<Result<Vec<_>, _>>()
    });
    let rows = match rows {
        Ok(r) => r,
        Err(e) => {
            out.warn(format!("{}: LID pairs unreadable: {e}", db.path()));
            return Ok((HashMap::new(), Vec::new()));
        }
    };
    let mut map = HashMap::new();
    let mut records = Vec::new();
    for (lid, phone, t) in rows {
        let ts = t.and_then(time::from_mac_absolute);
        let rec = record! {
            "record_type" => "lid_phone_number_pair",
            "lid" => lid,
            "phone_number" => phone,
            "pair_timestamp" => time::format_opt(ts),
        };
        let desc = format!(
            "WhatsApp associated LID {} with phone number {}",
            lid.as_deref().unwrap_or(""),
            phone.as_deref().unwrap_or("")
        );
        records.push((rec, ts, desc));
        if let (Some(l), Some(p)) = (lid, phone) {
            let l = l.split('@').next().unwrap_or("").to_string();
            let p = p
                .split('@')
                .next()
                .unwrap_or("")
                .trim_start_matches('+')
                .to_string();
            map.insert(l, p);
        }
    }
    Ok((map, records))
}

/// The text with WhatsApp's own media-server links cut out.
fn without_media_links(s: &str) -> std::borrow::Cow<'_, str> {
    let media: Vec<String> = extract_links(s)
        .into_iter()
        .filter(|l| is_whatsapp_media(l))
        .collect();
    if media.is_empty() {
        return s.into();
    }
    let mut t = s.to_string();
    for l in media {
        t = t.replace(&l, " ");
    }
    t.into()
}

/// Chat session → (contact JID, partner name), to name who sent or received a message.
fn session_partners(
    db: &sqlite::ForensicDb,
    tables: &std::collections::HashSet<String>,
) -> HashMap<i64, (Option<String>, Option<String>)> {
    let mut map = HashMap::new();
    if !tables.contains("ZWACHATSESSION") {
        return map;
    }
    let c = |n: &str| {
        if db.has_column("ZWACHATSESSION", n) {
            n.to_string()
        } else {
            "NULL".to_string()
        }
    };
    let q = format!(
        "SELECT Z_PK, {}, {} FROM ZWACHATSESSION",
        c("ZCONTACTJID"),
        c("ZPARTNERNAME")
    );
    if let Ok(mut st) = db.conn().prepare(&q)
        && let Ok(rows) = st.query_map([], |r| {
            Ok((
                sql_f64(r.get_ref(0)?).map(|x| x as i64),
                sql_string(r.get_ref(1)?),
                sql_string(r.get_ref(2)?),
            ))
        })
    {
        for (pk, jid, name) in rows.flatten() {
            if let Some(pk) = pk {
                map.insert(pk, (jid, name));
            }
        }
    }
    map
}

/// A JID as a person reads it: a LID resolved to its phone number when the pair is known.
fn show_jid(jid: &str, lids: &HashMap<String, String>) -> String {
    match jid.split_once('@') {
        Some((user, "lid")) => match lids.get(user) {
            Some(p) => format!("+{p} ({jid})"),
            None => jid.to_string(),
        },
        Some((user, "s.whatsapp.net")) => format!("+{user}"),
        _ => jid.to_string(),
    }
}

/// "from +1… (Alice)" or "sent by this phone to +1… (Alice)": who wrote a message, from the message's
/// JIDs, its chat session's partner and the LID pairs.
fn sender(
    msg: &Record,
    sessions: &HashMap<i64, (Option<String>, Option<String>)>,
    lids: &HashMap<String, String>,
) -> String {
    let s = |k: &str| {
        msg.get(k)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let session = msg
        .get("ZCHATSESSION")
        .and_then(|v| v.as_f64())
        .and_then(|pk| sessions.get(&(pk as i64)));
    let partner_jid = session.and_then(|(j, _)| j.as_deref());
    let partner_name = session.and_then(|(_, n)| n.as_deref());
    let named = |jid: Option<&str>| {
        let who = jid.map(|j| show_jid(j, lids));
        match (who, partner_name) {
            (Some(w), Some(n)) => format!("{w} ({n})"),
            (Some(w), None) => w,
            (None, Some(n)) => n.to_string(),
            (None, None) => "an unknown contact".to_string(),
        }
    };
    let from_me = msg.get("ZISFROMME").and_then(|v| v.as_f64()) == Some(1.0);
    if from_me {
        format!(
            "sent by this phone to {}",
            named(s("ZTOJID").or(partner_jid))
        )
    } else {
        let author = s("ZFROMJID").or(partner_jid);
        match (s("ZAUTHORNAME"), author) {
            // A group message: the author's name and JID.
            (Some(a), Some(j)) => {
                format!("from {a} ({}) in {}", show_jid(j, lids), named(partner_jid))
            }
            _ => format!("from {}", named(author)),
        }
    }
}

fn chat_sessions(
    db: &sqlite::ForensicDb,
    tables: &std::collections::HashSet<String>,
    lid_map: &HashMap<String, String>,
    out: &mut Emitter<'_>,
) -> Result<(), ModuleError> {
    let cs = |c: &str, alias: &str| {
        if db.has_column("ZWACHATSESSION", c) {
            format!("ZWACHATSESSION.{c} AS \"{alias}\"")
        } else {
            format!("NULL AS \"{alias}\"")
        }
    };
    let has_group = tables.contains("ZWAGROUPINFO")
        && db.has_column("ZWACHATSESSION", "ZGROUPINFO")
        && db.has_column("ZWAGROUPINFO", "ZCREATIONDATE");
    let has_msg_chat =
        db.has_column("ZWAMESSAGE", "ZCHATSESSION") && db.has_column("ZWAMESSAGE", "ZMESSAGEDATE");
    let q = format!(
        "SELECT ZWACHATSESSION.Z_PK AS session_pk, {}, {}, {}, {}, {}, {}, {}, {} AS group_creation_date, \
         {} AS first_stored_message_date, {} AS last_stored_message_date, {} AS stored_message_count \
         FROM ZWACHATSESSION {} {} GROUP BY ZWACHATSESSION.Z_PK",
        cs("ZCONTACTJID", "contact_jid"),
        cs("ZPARTNERNAME", "partner_name"),
        cs("ZSESSIONTYPE", "session_type"),
        cs("ZARCHIVED", "archived"),
        cs("ZREMOVED", "removed"),
        cs("ZMESSAGECOUNTER", "message_counter"),
        cs("ZLASTMESSAGEDATE", "last_message_date"),
        if has_group {
            "ZWAGROUPINFO.ZCREATIONDATE"
        } else {
            "NULL"
        },
        if has_msg_chat {
            "MIN(ZWAMESSAGE.ZMESSAGEDATE)"
        } else {
            "NULL"
        },
        if has_msg_chat {
            "MAX(ZWAMESSAGE.ZMESSAGEDATE)"
        } else {
            "NULL"
        },
        if has_msg_chat {
            "COUNT(ZWAMESSAGE.Z_PK)"
        } else {
            "0"
        },
        if has_group {
            "LEFT JOIN ZWAGROUPINFO ON ZWACHATSESSION.ZGROUPINFO = ZWAGROUPINFO.Z_PK"
        } else {
            ""
        },
        if has_msg_chat {
            "LEFT JOIN ZWAMESSAGE ON ZWAMESSAGE.ZCHATSESSION = ZWACHATSESSION.Z_PK"
        } else {
            ""
        },
    );
    let mut st = db.conn().prepare(&q).map_err(|e| db.err(e))?;
    let names: Vec<String> = st.column_names().map(str::to_string).collect();
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let mut s = Record::new();
        for (i, n) in names.iter().enumerate() {
            s.insert(n.clone(), sql_to_json(r.get_ref(i).map_err(|e| db.err(e))?));
        }
        let jid = field_str(&s, "contact_jid").unwrap_or("").to_string();
        let resolved = if jid.ends_with("@lid") {
            lid_map
                .get(jid.split('@').next().unwrap_or(""))
                .map(|p| format!("+{p}"))
        } else {
            None
        };
        s.insert("record_type".into(), "chat_session".into());
        s.insert(
            "partner_resolved_phone_number".into(),
            resolved.clone().into(),
        );
        for f in [
            "last_message_date",
            "group_creation_date",
            "first_stored_message_date",
            "last_stored_message_date",
        ] {
            let iso = s.get(f).and_then(mac_iso);
            s.insert(f.into(), iso.into());
        }
        out.record(&s);

        let name = field_str(&s, "partner_name").filter(|n| !n.is_empty());
        let ident = resolved.unwrap_or_else(|| {
            if jid.is_empty() {
                "unknown".into()
            } else {
                jid.clone()
            }
        });
        let label = match name {
            Some(n) => format!("'{n}' ({ident})"),
            None => ident,
        };
        let chat = if jid.ends_with("@g.us")
            || s.get("group_creation_date").is_some_and(|v| !v.is_null())
        {
            format!("WhatsApp group chat {label}")
        } else {
            format!("WhatsApp chat with {label}")
        };
        let t = |f: &str| field_str(&s, f).and_then(time::parse);
        out.timeline(
            t("group_creation_date"),
            "group_created",
            format!("{chat} was created"),
        );
        out.timeline(
            t("first_stored_message_date"),
            "chat_first_message",
            format!("First stored message in {chat}"),
        );
        let last = t("last_message_date").or_else(|| t("last_stored_message_date"));
        out.timeline(last, "chat_last_message", format!("Last message in {chat}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{evil, run};
    use telltale_core::Level;
    use telltale_testkit::ios_web::{
        WhatsappChatStorage as W, WhatsappVariant, utc, write_garbage,
    };

    fn planted(v: WhatsappVariant) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        W::new()
            .variant(v)
            .chat("4915112345678@s.whatsapp.net", "Alice")
            .group("120363000000@g.us", "Family", utc("2021-01-01T00:00:00Z"))
            .received(
                1,
                "Read this: https://en.wikipedia.org/wiki/NSO_Group",
                utc("2021-07-01T10:00:00Z"),
            )
            .received(
                1,
                "check https://evil.com/x?y=1 now",
                utc("2021-07-01T10:01:00Z"),
            )
            .sent(2, "photo", utc("2021-07-01T10:02:00Z"))
            .with_media("https://mmg.whatsapp.net/d/f/abc.enc")
            .received(
                2,
                "see notevil.com and http://notevil.com/a",
                utc("2021-07-01T10:03:00Z"),
            )
            .received(1, "", utc("2021-07-01T10:04:00Z"))
            .with_preview("https://preview.evil.com/p", "Breaking news")
            .write_in(dir.path());
        dir
    }

    #[test]
    fn links_and_previews_on_indicators_are_critical() {
        let dir = planted(WhatsappVariant::Modern);
        let r = run(&Whatsapp, dir.path(), &evil());
        assert!(r.is_ok());
        let msgs: Vec<_> = r
            .records
            .iter()
            .filter(|x| x.contains_key("ZMESSAGEDATE"))
            .collect();
        assert_eq!(msgs.len(), 5);
        assert_eq!(msgs[1]["links"][0], "https://evil.com/x?y=1");
        assert_eq!(msgs[1]["isodate"], "2021-07-01 10:01:00.000000");
        assert!(
            msgs[2]["links"].as_array().unwrap().is_empty(),
            "WhatsApp media URLs are not links"
        );
        assert_eq!(msgs[2]["ZMEDIAURL"], "https://mmg.whatsapp.net/d/f/abc.enc");
        let high = r.at(Level::Critical);
        assert_eq!(high.len(), 2, "{:?}", r.alerts);
        assert_eq!(high[0].event["ZTEXT"], "check https://evil.com/x?y=1 now");
        assert_eq!(high[1].event["ZMATCHEDTEXT"], "https://preview.evil.com/p");
        let sessions: Vec<_> = r
            .records
            .iter()
            .filter(|x| x.get("record_type").and_then(|v| v.as_str()) == Some("chat_session"))
            .collect();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[0]["stored_message_count"], 3);
        assert_eq!(
            sessions[0]["first_stored_message_date"],
            "2021-07-01 10:00:00.000000"
        );
        assert_eq!(
            sessions[1]["group_creation_date"],
            "2021-01-01 00:00:00.000000"
        );
        assert!(
            r.timeline
                .iter()
                .any(|e| e.event == "group_created" && e.description.contains("Family"))
        );
        assert_eq!(
            r.timeline.iter().filter(|e| e.event == "message").count(),
            5
        );
    }

    /// WhatsApp's own media-server URLs are left out of `links` and are not matched, not even against an
    /// indicator of WhatsApp's domain; a link in a message to an indicator domain still is, and the alert
    /// names who wrote the message.
    #[test]
    fn media_server_urls_are_not_matched_but_message_links_are() {
        let dir = tempfile::tempdir().unwrap();
        W::new()
            .chat("4915112345678@s.whatsapp.net", "Alice")
            .sent(1, "photo", utc("2021-07-01T10:02:00Z"))
            .with_media("https://mmg.whatsapp.net/d/f/abc.enc")
            .received(
                1,
                "look https://mmg-fna.whatsapp.net/v/t62/xyz.enc and https://evil.com/a",
                utc("2021-07-01T10:03:00Z"),
            )
            .sent(
                1,
                "read https://news.evil.com/b",
                utc("2021-07-01T10:04:00Z"),
            )
            .write_in(dir.path());
        let idx = crate::util::testing::iocs(&[
            (telltale_core::ioc::IndicatorKind::Domain, "whatsapp.net"),
            (telltale_core::ioc::IndicatorKind::Domain, "evil.com"),
        ]);
        let r = run(&Whatsapp, dir.path(), &idx);
        let crit = r.at(Level::Critical);
        assert_eq!(crit.len(), 2, "{:#?}", r.alerts);
        assert!(
            crit.iter()
                .all(|a| a.matched_indicator.as_ref().unwrap().value == "evil.com")
        );
        assert!(
            crit[0].message.contains("from +4915112345678 (Alice)"),
            "{}",
            crit[0].message
        );
        assert!(
            crit[1]
                .message
                .contains("sent by this phone to +4915112345678 (Alice)"),
            "{}",
            crit[1].message
        );
        assert_eq!(
            crit[0].event["links"],
            serde_json::json!(["https://evil.com/a"])
        );
    }

    #[test]
    fn legacy_schema_without_data_items() {
        let dir = planted(WhatsappVariant::Legacy);
        let r = run(&Whatsapp, dir.path(), &evil());
        assert!(r.is_ok());
        assert_eq!(
            r.at(Level::Critical).len(),
            1,
            "only the text link; no previews in this version"
        );
    }

    #[test]
    fn lid_pairs_resolve_chats() {
        let dir = tempfile::tempdir().unwrap();
        W::new()
            .chat("123456789@lid", "Bob")
            .received(1, "hi", utc("2024-01-01T00:00:00Z"))
            .lid_pair(
                "123456789@lid",
                "+4915100000000@s.whatsapp.net",
                utc("2023-12-01T00:00:00Z"),
            )
            .write_in(dir.path());
        let r = run(&Whatsapp, dir.path(), &evil());
        let s = r
            .records
            .iter()
            .find(|x| x.get("record_type").and_then(|v| v.as_str()) == Some("chat_session"))
            .unwrap();
        assert_eq!(s["partner_resolved_phone_number"], "+4915100000000");
        assert!(r.records.iter().any(
            |x| x.get("record_type").and_then(|v| v.as_str()) == Some("lid_phone_number_pair")
        ));
        assert!(r.alerts.is_empty());
    }

    #[test]
    fn missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&Whatsapp, dir.path(), &evil()).is_no_data());
        write_garbage(&dir.path().join(W::LOGICAL_PATH));
        assert!(
            run(&Whatsapp, dir.path(), &evil())
                .failed()
                .unwrap()
                .contains("ChatStorage.sqlite")
        );
    }
}
