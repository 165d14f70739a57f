//! Testkit writers for the iOS databases and property lists read by the `calls`, `contacts`,
//! `id_status_cache`, `interaction_c`, `locationd_clients`, `os_analytics_ad_daily`, `datausage`, `tcc`,
//! `sms`, `sms_attachments` and `calendar` modules.
//!
//! Each writer creates the artifact with the table layout of the iOS version it is given (the real column
//! sets, trimmed of columns no module reads only where noted), inserts the planted rows in one transaction
//! and returns the bytes ([`to_bytes`](SmsDb::to_bytes)) or writes them ([`write`](SmsDb::write)).
//! Times are Mac absolute seconds (seconds since 2001-01-01 UTC) unless a writer says otherwise.
//!
//! ```ignore
//! SmsDb::new(IosVersion::V17).message("+15555550100", "hello https://example.org", 700_000_000.0).write(&p)?;
//! ```
//! Logical paths of each artifact in a backup are given as `PATH` constants.

use std::path::Path;

use rusqlite::{Connection, params};

/// The iOS version whose layout a writer produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IosVersion {
    V10,
    V11,
    V12,
    V13,
    V14,
    V15,
    V16,
    V17,
    V18,
}

impl IosVersion {
    pub fn major(self) -> u32 {
        match self {
            IosVersion::V10 => 10,
            IosVersion::V11 => 11,
            IosVersion::V12 => 12,
            IosVersion::V13 => 13,
            IosVersion::V14 => 14,
            IosVersion::V15 => 15,
            IosVersion::V16 => 16,
            IosVersion::V17 => 17,
            IosVersion::V18 => 18,
        }
    }
    pub const ALL: [IosVersion; 9] = [
        IosVersion::V10,
        IosVersion::V11,
        IosVersion::V12,
        IosVersion::V13,
        IosVersion::V14,
        IosVersion::V15,
        IosVersion::V16,
        IosVersion::V17,
        IosVersion::V18,
    ];
}

/// Builds an in-memory database from a schema and a filler run inside one transaction; returns its bytes.
fn build(
    schema: &str,
    fill: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
) -> Vec<u8> {
    let mut conn = Connection::open_in_memory().expect("in-memory database");
    conn.execute_batch(schema).expect("schema");
    {
        let tx = conn.transaction().expect("transaction");
        fill(&tx).expect("insert planted rows");
        tx.commit().expect("commit");
    }
    conn.serialize(rusqlite::MAIN_DB)
        .expect("serialize")
        .to_vec()
}

fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes)
}

fn plist_bytes(v: &plist::Value) -> Vec<u8> {
    let mut out = Vec::new();
    v.to_writer_binary(&mut out).expect("plist");
    out
}

/// Mac absolute seconds to a plist date.
pub fn mac_date(secs: f64) -> plist::Date {
    let unix = secs + 978_307_200.0;
    let st = std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(unix.max(0.0));
    plist::Date::from(st)
}

// ---------------------------------------------------------------------------------------------------------
// sms.db

/// One planted message.
#[derive(Debug, Clone)]
pub struct SmsMessage {
    /// The other party (`handle.id`); `None` for a message with no handle (handle_id 0).
    pub handle: Option<String>,
    /// `message.text`; `None` leaves it NULL (iOS 16+ often keeps the text only in `attributedBody`).
    pub text: Option<String>,
    /// `message.attributedBody` (see [`attributed_body`]).
    pub attributed_body: Option<Vec<u8>>,
    /// Mac absolute seconds; stored as nanoseconds from iOS 11 on.
    pub date: f64,
    pub date_read: f64,
    pub is_from_me: bool,
    /// `iMessage` or `SMS`.
    pub service: String,
}

impl SmsMessage {
    pub fn received(handle: &str, text: &str, date: f64) -> Self {
        SmsMessage {
            handle: Some(handle.to_string()),
            text: Some(text.to_string()),
            attributed_body: None,
            date,
            date_read: 0.0,
            is_from_me: false,
            service: "iMessage".into(),
        }
    }
}

/// One planted attachment, joined to its own message from `handle`.
#[derive(Debug, Clone)]
pub struct SmsAttachment {
    pub handle: String,
    /// `attachment.filename`, e.g. `~/Library/SMS/Attachments/ab/11/<guid>/IMG_0001.jpeg`.
    pub filename: Option<String>,
    pub mime_type: Option<String>,
    pub transfer_name: Option<String>,
    /// Mac absolute seconds (attachments keep seconds on every version).
    pub created_date: f64,
    pub is_outgoing: bool,
    pub total_bytes: i64,
}

/// A `message.attributedBody` typedstream holding `text` as an NSString (the layout iOS writes, enough
/// for readers that look for the string after the `NSString` class name).
pub fn attributed_body(text: &str) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(
        b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00",
    );
    b.extend_from_slice(
        b"\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+",
    );
    let t = text.as_bytes();
    if t.len() < 0x80 {
        b.push(t.len() as u8);
    } else if t.len() <= 0xffff {
        b.push(0x81);
        b.extend_from_slice(&(t.len() as u16).to_le_bytes());
    } else {
        b.push(0x82);
        b.extend_from_slice(&(t.len() as u32).to_le_bytes());
    }
    b.extend_from_slice(t);
    b.extend_from_slice(
        b"\x86\x84\x02iI\x01\x05\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x01\x92\x86\x86",
    );
    b
}

/// Writer for `HomeDomain/Library/SMS/sms.db`.
pub struct SmsDb {
    version: IosVersion,
    messages: Vec<SmsMessage>,
    attachments: Vec<SmsAttachment>,
}

impl SmsDb {
    pub const PATH: &'static str = "HomeDomain/Library/SMS/sms.db";

    pub fn new(version: IosVersion) -> Self {
        SmsDb {
            version,
            messages: Vec::new(),
            attachments: Vec::new(),
        }
    }
    /// A received iMessage from `handle`.
    pub fn message(mut self, handle: &str, text: &str, date: f64) -> Self {
        self.messages.push(SmsMessage::received(handle, text, date));
        self
    }
    /// A fully described message.
    pub fn push(mut self, m: SmsMessage) -> Self {
        self.messages.push(m);
        self
    }
    /// Many messages at once (bulk; same as calling [`push`](Self::push) for each).
    pub fn extend(mut self, ms: impl IntoIterator<Item = SmsMessage>) -> Self {
        self.messages.extend(ms);
        self
    }
    /// A received attachment at `filename`.
    pub fn attachment(
        mut self,
        handle: &str,
        filename: &str,
        mime_type: &str,
        created_date: f64,
    ) -> Self {
        let transfer_name = filename.rsplit('/').next().map(str::to_string);
        self.attachments.push(SmsAttachment {
            handle: handle.into(),
            filename: Some(filename.into()),
            mime_type: Some(mime_type.into()),
            transfer_name,
            created_date,
            is_outgoing: false,
            total_bytes: 1024,
        });
        self
    }
    pub fn push_attachment(mut self, a: SmsAttachment) -> Self {
        self.attachments.push(a);
        self
    }

    fn schema(&self) -> String {
        let v = self.version.major();
        let mut message = String::from(
            "ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT, replace INTEGER DEFAULT 0, \
             service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, country TEXT, attributedBody BLOB, \
             version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, service TEXT, account TEXT, account_guid TEXT, \
             error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER, \
             is_delivered INTEGER DEFAULT 0, is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0, \
             is_from_me INTEGER DEFAULT 0, is_empty INTEGER DEFAULT 0, is_delayed INTEGER DEFAULT 0, \
             is_auto_reply INTEGER DEFAULT 0, is_prepared INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0, \
             is_system_message INTEGER DEFAULT 0, is_sent INTEGER DEFAULT 0, has_dd_results INTEGER DEFAULT 0, \
             is_service_message INTEGER DEFAULT 0, is_forward INTEGER DEFAULT 0, was_downgraded INTEGER DEFAULT 0, \
             is_archive INTEGER DEFAULT 0, cache_has_attachments INTEGER DEFAULT 0, cache_roomnames TEXT, \
             was_data_detected INTEGER DEFAULT 0, was_deduplicated INTEGER DEFAULT 0, is_audio_message INTEGER DEFAULT 0, \
             is_played INTEGER DEFAULT 0, date_played INTEGER, item_type INTEGER DEFAULT 0, other_handle INTEGER DEFAULT 0, \
             group_title TEXT, group_action_type INTEGER DEFAULT 0, share_status INTEGER DEFAULT 0, \
             share_direction INTEGER DEFAULT 0, is_expirable INTEGER DEFAULT 0, expire_state INTEGER DEFAULT 0, \
             message_action_type INTEGER DEFAULT 0, message_source INTEGER DEFAULT 0, associated_message_guid TEXT, \
             associated_message_type INTEGER DEFAULT 0, balloon_bundle_id TEXT, payload_data BLOB, \
             expressive_send_style_id TEXT, associated_message_range_location INTEGER DEFAULT 0, \
             associated_message_range_length INTEGER DEFAULT 0, time_expressive_send_played INTEGER, \
             message_summary_info BLOB",
        );
        if v >= 11 {
            message.push_str(
                ", ck_sync_state INTEGER DEFAULT 0, ck_record_id TEXT, ck_record_change_tag TEXT, \
                 destination_caller_id TEXT, sr_ck_sync_state INTEGER DEFAULT 0, sr_ck_record_id TEXT, \
                 sr_ck_record_change_tag TEXT",
            );
        }
        if v >= 12 {
            message.push_str(", is_corrupt INTEGER DEFAULT 0, reply_to_guid TEXT, sort_id INTEGER");
        }
        if v >= 13 {
            message.push_str(", is_spam INTEGER DEFAULT 0");
        }
        if v >= 14 {
            message.push_str(
                ", has_unseen_mention INTEGER DEFAULT 0, thread_originator_guid TEXT, thread_originator_part TEXT",
            );
        }
        if v >= 15 {
            message.push_str(
                ", syndication_ranges TEXT DEFAULT NULL, was_delivered_quietly INTEGER DEFAULT 0, \
                 did_notify_recipient INTEGER DEFAULT 0, synced_syndication_ranges TEXT DEFAULT NULL",
            );
        }
        if v >= 16 {
            message.push_str(
                ", date_retracted INTEGER DEFAULT 0, date_edited INTEGER DEFAULT 0, was_detonated INTEGER DEFAULT 0, \
                 part_count INTEGER, is_stewie INTEGER DEFAULT 0, is_kt_verified INTEGER DEFAULT 0",
            );
        }
        if v >= 17 {
            message.push_str(", is_sos INTEGER DEFAULT 0, is_critical INTEGER DEFAULT 0, bia_reference_id TEXT DEFAULT NULL");
        }
        if v >= 18 {
            message.push_str(", fallback_hash TEXT DEFAULT NULL, associated_message_emoji TEXT DEFAULT NULL, is_pending_satellite_send INTEGER DEFAULT 0");
        }
        let handle = if v >= 14 {
            "ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT, service TEXT NOT NULL, \
             uncanonicalized_id TEXT, person_centric_id TEXT, UNIQUE (id, service)"
        } else {
            "ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT, service TEXT NOT NULL, \
             uncanonicalized_id TEXT, UNIQUE (id, service)"
        };
        let mut attachment = String::from(
            "ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, created_date INTEGER DEFAULT 0, \
             start_date INTEGER DEFAULT 0, filename TEXT, uti TEXT, mime_type TEXT, transfer_state INTEGER DEFAULT 0, \
             is_outgoing INTEGER DEFAULT 0, user_info BLOB, transfer_name TEXT, total_bytes INTEGER DEFAULT 0, \
             is_sticker INTEGER DEFAULT 0, sticker_user_info BLOB, attribution_info BLOB, hide_attachment INTEGER DEFAULT 0",
        );
        if v >= 11 {
            attachment.push_str(
                ", ck_sync_state INTEGER DEFAULT 0, ck_server_change_token_blob BLOB, ck_record_id TEXT, \
                 original_guid TEXT UNIQUE NOT NULL, sr_ck_sync_state INTEGER DEFAULT 0, \
                 sr_ck_server_change_token_blob BLOB, sr_ck_record_id TEXT",
            );
        }
        if v >= 15 {
            attachment.push_str(", is_commsafety_sensitive INTEGER DEFAULT 0");
        }
        if v >= 17 {
            attachment.push_str(", emoji_image_content_identifier TEXT DEFAULT NULL, emoji_image_short_description TEXT DEFAULT NULL");
        }
        format!(
            "CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
             CREATE TABLE handle ({handle});
             CREATE TABLE message ({message});
             CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER, \
                state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT, service_name TEXT, \
                room_name TEXT, account_login TEXT, is_archived INTEGER DEFAULT 0, last_addressed_handle TEXT, \
                display_name TEXT, group_id TEXT, is_filtered INTEGER DEFAULT 0, successful_query INTEGER);
             CREATE TABLE attachment ({attachment});
             CREATE TABLE chat_handle_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, \
                handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE, UNIQUE(chat_id, handle_id));
             CREATE TABLE chat_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, \
                message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, message_date INTEGER DEFAULT 0, \
                PRIMARY KEY (chat_id, message_id));
             CREATE TABLE message_attachment_join (message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, \
                attachment_id INTEGER REFERENCES attachment (ROWID) ON DELETE CASCADE, UNIQUE(message_id, attachment_id));
             CREATE INDEX message_idx_handle ON message(handle_id, date);"
        )
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let nanos = self.version.major() >= 11;
        let date = |d: f64| -> i64 {
            if d == 0.0 {
                0
            } else if nanos {
                (d * 1e9) as i64
            } else {
                d as i64
            }
        };
        let has_original_guid = self.version.major() >= 11;
        build(&self.schema(), |tx| {
            let mut handles: std::collections::HashMap<String, i64> =
                std::collections::HashMap::new();
            let mut h_ins = tx.prepare(
                "INSERT INTO handle (id, country, service) VALUES (?1, 'us', 'iMessage')",
            )?;
            let mut handle_id = |h: &Option<String>| -> rusqlite::Result<i64> {
                let Some(h) = h else { return Ok(0) };
                if let Some(id) = handles.get(h) {
                    return Ok(*id);
                }
                h_ins.execute([h])?;
                let id = tx.last_insert_rowid();
                handles.insert(h.clone(), id);
                Ok(id)
            };
            let mut m_ins = tx.prepare(
                "INSERT INTO message (guid, text, handle_id, attributedBody, service, account, date, date_read, \
                 date_delivered, is_from_me, is_read, is_sent, is_delivered, is_finished, cache_has_attachments) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?9, 1, 1, ?11)",
            )?;
            for (i, m) in self.messages.iter().enumerate() {
                let hid = handle_id(&m.handle)?;
                m_ins.execute(params![
                    format!("00000000-0000-4000-8000-{i:012X}"),
                    m.text,
                    hid,
                    m.attributed_body,
                    m.service,
                    "e:owner@example.org",
                    date(m.date),
                    date(m.date_read),
                    m.is_from_me as i64,
                    (m.date_read != 0.0) as i64,
                    0,
                ])?;
            }
            let a_sql = if has_original_guid {
                "INSERT INTO attachment (guid, original_guid, created_date, start_date, filename, mime_type, \
                 transfer_name, total_bytes, is_outgoing, transfer_state) VALUES (?1, ?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, 5)"
            } else {
                "INSERT INTO attachment (guid, created_date, start_date, filename, mime_type, \
                 transfer_name, total_bytes, is_outgoing, transfer_state) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, 5)"
            };
            let mut a_ins = tx.prepare(a_sql)?;
            let mut j_ins = tx.prepare(
                "INSERT INTO message_attachment_join (message_id, attachment_id) VALUES (?1, ?2)",
            )?;
            for (i, a) in self.attachments.iter().enumerate() {
                let hid = handle_id(&Some(a.handle.clone()))?;
                m_ins.execute(params![
                    format!("00000000-0000-4000-9000-{i:012X}"),
                    "\u{fffc}",
                    hid,
                    Option::<Vec<u8>>::None,
                    "iMessage",
                    "e:owner@example.org",
                    date(a.created_date),
                    0,
                    a.is_outgoing as i64,
                    0,
                    1,
                ])?;
                let mid = tx.last_insert_rowid();
                a_ins.execute(params![
                    format!("at_0_{i:08X}"),
                    a.created_date as i64,
                    a.filename,
                    a.mime_type,
                    a.transfer_name,
                    a.total_bytes,
                    a.is_outgoing as i64,
                ])?;
                let aid = tx.last_insert_rowid();
                j_ins.execute(params![mid, aid])?;
            }
            Ok(())
        })
    }
    pub fn write(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        write_file(path.as_ref(), &self.to_bytes())
    }
}

// ---------------------------------------------------------------------------------------------------------
// CallHistory.storedata

/// Writer for `HomeDomain/Library/CallHistoryDB/CallHistory.storedata` (Core Data, table ZCALLRECORD).
pub struct CallHistoryDb {
    version: IosVersion,
    calls: Vec<(String, f64, f64, bool)>,
}

impl CallHistoryDb {
    pub const PATH: &'static str = "HomeDomain/Library/CallHistoryDB/CallHistory.storedata";
    pub fn new(version: IosVersion) -> Self {
        CallHistoryDb {
            version,
            calls: Vec::new(),
        }
    }
    /// A call with `number` at `date` (Mac absolute seconds) lasting `duration` seconds.
    pub fn call(mut self, number: &str, date: f64, duration: f64, outgoing: bool) -> Self {
        self.calls.push((number.into(), date, duration, outgoing));
        self
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        let newer = self.version.major() >= 14;
        let extra = if newer {
            "ZHANDLE_TYPE INTEGER, ZJUNKCONFIDENCE INTEGER, ZJUNKIDENTIFICATIONCATEGORY VARCHAR, \
             ZVERIFICATIONSTATUS INTEGER, ZPARTICIPANTGROUPUUID VARCHAR, "
        } else {
            ""
        };
        let schema = format!(
            "CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZANSWERED INTEGER, \
             ZCALLTYPE INTEGER, ZDISCONNECTED_CAUSE INTEGER, ZFACE_TIME_DATA BLOB, ZNUMBER_AVAILABILITY INTEGER, \
             ZORIGINATED INTEGER, ZREAD INTEGER, {extra}ZDATE TIMESTAMP, ZDURATION FLOAT, ZADDRESS VARCHAR, \
             ZDEVICE_ID VARCHAR, ZISO_COUNTRY_CODE VARCHAR, ZLOCATION VARCHAR, ZNAME VARCHAR, \
             ZSERVICE_PROVIDER VARCHAR, ZUNIQUE_ID VARCHAR);
             CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
             CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);"
        );
        build(&schema, |tx| {
            // iOS stores ZADDRESS as a blob on some versions: plant both forms.
            let mut st = tx.prepare(
                "INSERT INTO ZCALLRECORD (Z_ENT, Z_OPT, ZANSWERED, ZCALLTYPE, ZORIGINATED, ZREAD, ZDATE, ZDURATION, \
                 ZADDRESS, ZISO_COUNTRY_CODE, ZLOCATION, ZSERVICE_PROVIDER, ZUNIQUE_ID) \
                 VALUES (2, 1, 1, 1, ?1, 1, ?2, ?3, ?4, 'us', 'United States', 'com.apple.Telephony', ?5)",
            )?;
            for (i, (n, d, dur, out)) in self.calls.iter().enumerate() {
                let addr: rusqlite::types::Value = if newer {
                    rusqlite::types::Value::Text(n.clone())
                } else {
                    rusqlite::types::Value::Blob(n.as_bytes().to_vec())
                };
                st.execute(params![*out as i64, d, dur, addr, format!("CALL-{i}")])?;
            }
            Ok(())
        })
    }
    pub fn write(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        write_file(path.as_ref(), &self.to_bytes())
    }
}

// ---------------------------------------------------------------------------------------------------------
// AddressBook.sqlitedb

/// Writer for `HomeDomain/Library/AddressBook/AddressBook.sqlitedb` (ABPerson, ABMultiValue).
#[derive(Default)]
pub struct AddressBookDb {
    people: Vec<Person>,
}

/// First, last, organization, phone numbers, email addresses.
type Person = (String, String, Option<String>, Vec<String>, Vec<String>);

impl AddressBookDb {
    pub const PATH: &'static str = "HomeDomain/Library/AddressBook/AddressBook.sqlitedb";
    pub fn new() -> Self {
        Self::default()
    }
    /// A person with phone numbers and email addresses.
    pub fn person(
        mut self,
        first: &str,
        last: &str,
        organization: Option<&str>,
        phones: &[&str],
        emails: &[&str],
    ) -> Self {
        self.people.push((
            first.into(),
            last.into(),
            organization.map(str::to_string),
            phones.iter().map(|s| s.to_string()).collect(),
            emails.iter().map(|s| s.to_string()).collect(),
        ));
        self
    }
    /// The database as iOS writes it, with its `ABPersonFullTextSearch` FTS4 table declared with Apple's
    /// `ab_cf_tokenizer` (see [`crate::sqlite_vtab`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let schema = "CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, First TEXT, Last TEXT, Middle TEXT, \
             FirstPhonetic TEXT, MiddlePhonetic TEXT, LastPhonetic TEXT, Organization TEXT, Department TEXT, Note TEXT, \
             Kind INTEGER, Birthday TEXT, JobTitle TEXT, Nickname TEXT, Prefix TEXT, Suffix TEXT, FirstSort TEXT, \
             LastSort TEXT, CreationDate INTEGER, ModificationDate INTEGER, CompositeNameFallback TEXT, \
             ExternalIdentifier TEXT, ExternalModificationTag TEXT, ExternalUUID TEXT, StoreID INTEGER, \
             DisplayName TEXT, ExternalRepresentation BLOB, FirstSortSection TEXT, LastSortSection TEXT, \
             FirstSortLanguageIndex INTEGER DEFAULT 2147483647, LastSortLanguageIndex INTEGER DEFAULT 2147483647, \
             PersonLink INTEGER DEFAULT -1, ImageURI TEXT, IsPreferredName INTEGER DEFAULT 1, guid TEXT, \
             PhonemeData TEXT, AlternateBirthday TEXT, MapsData TEXT, FirstPronunciation TEXT, \
             MiddlePronunciation TEXT, LastPronunciation TEXT, OrganizationPhonetic TEXT, \
             OrganizationPronunciation TEXT, PreviousFamilyName TEXT, PreferredLikenessSource TEXT, \
             PreferredPersonaIdentifier TEXT);
             CREATE TABLE ABMultiValue (UID INTEGER PRIMARY KEY, record_id INTEGER, property INTEGER, \
             identifier INTEGER, label INTEGER, value TEXT, guid TEXT);
             CREATE TABLE ABMultiValueLabel (value TEXT, UNIQUE(value));";
        let bytes = build(schema, |tx| {
            let mut p = tx.prepare(
                "INSERT INTO ABPerson (First, Last, Organization, Kind, CreationDate, ModificationDate, guid) \
                 VALUES (?1, ?2, ?3, 0, 700000000, 700000000, ?4)",
            )?;
            let mut mv = tx.prepare(
                "INSERT INTO ABMultiValue (record_id, property, identifier, label, value) VALUES (?1, ?2, ?3, 1, ?4)",
            )?;
            for (i, (f, l, o, phones, emails)) in self.people.iter().enumerate() {
                p.execute(params![f, l, o, format!("PERSON-{i}")])?;
                let id = tx.last_insert_rowid();
                for (j, ph) in phones.iter().enumerate() {
                    mv.execute(params![id, 3, j as i64, ph])?;
                }
                for (j, em) in emails.iter().enumerate() {
                    mv.execute(params![id, 4, j as i64, em])?;
                }
            }
            Ok(())
        });
        // As on a real phone: the full-text table is declared with Apple's own tokenizer, which no SQLite
        // outside iOS has.
        crate::sqlite_vtab::declare_in_bytes(
            &bytes,
            &[crate::sqlite_vtab::AppleVtab::address_book_fts()],
        )
        .expect("declare the full-text table")
    }
    pub fn write(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        write_file(path.as_ref(), &self.to_bytes())
    }
}

// ---------------------------------------------------------------------------------------------------------
// interactionC.db

/// The four interactionC.db layouts modules must read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InteractionCLayout {
    /// Attachments and recipients joined, ZGROUPNAME, ZDERIVEDINTENTIDENTIFIER, ZPHOTOLOCALIDENTIFIER (newest).
    Full,
    /// Attachments and recipients joined, without the newest columns.
    NoGroupName,
    /// No attachment/recipient join tables; ZMECHANISM and ZRECIPIENTCOUNT.
    NoJoins,
    /// No join tables and no ZRECIPIENTCOUNT (oldest).
    Oldest,
}

impl InteractionCLayout {
    /// The layout of an iOS version (approximate boundaries).
    pub fn of(v: IosVersion) -> Self {
        match v.major() {
            0..=11 => InteractionCLayout::Oldest,
            12 => InteractionCLayout::NoJoins,
            13 | 14 => InteractionCLayout::NoGroupName,
            _ => InteractionCLayout::Full,
        }
    }
}

/// One planted interaction.
#[derive(Debug, Clone)]
pub struct Interaction {
    pub bundle_id: String,
    /// 0 incoming, 1 outgoing.
    pub direction: i64,
    pub sender: Option<(String, String)>,
    pub recipient: Option<(String, String)>,
    pub start: f64,
    pub end: f64,
    pub creation: f64,
    pub content_url: Option<String>,
    pub attachment_url: Option<String>,
    pub group_name: Option<String>,
}

impl Interaction {
    /// An incoming interaction in `bundle_id` from a sender (display name, identifier).
    pub fn incoming(bundle_id: &str, sender_name: &str, sender_id: &str, start: f64) -> Self {
        Interaction {
            bundle_id: bundle_id.into(),
            direction: 0,
            sender: Some((sender_name.into(), sender_id.into())),
            recipient: None,
            start,
            end: start + 30.0,
            creation: start + 0.5,
            content_url: None,
            attachment_url: None,
            group_name: None,
        }
    }
}

/// Writer for `HomeDomain/Library/CoreDuet/People/interactionC.db`.
pub struct InteractionCDb {
    layout: InteractionCLayout,
    items: Vec<Interaction>,
}

impl InteractionCDb {
    pub const PATH: &'static str = "HomeDomain/Library/CoreDuet/People/interactionC.db";
    pub fn new(version: IosVersion) -> Self {
        Self::with_layout(InteractionCLayout::of(version))
    }
    pub fn with_layout(layout: InteractionCLayout) -> Self {
        InteractionCDb {
            layout,
            items: Vec::new(),
        }
    }
    pub fn interaction(mut self, i: Interaction) -> Self {
        self.items.push(i);
        self
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        use InteractionCLayout::*;
        let l = self.layout;
        let mut inter = String::from(
            "Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZDIRECTION INTEGER, ZISRESPONSE INTEGER, \
             ZMECHANISM INTEGER",
        );
        if l != Oldest {
            inter.push_str(", ZRECIPIENTCOUNT INTEGER");
        }
        inter.push_str(
            ", ZSENDER INTEGER, ZCREATIONDATE TIMESTAMP, ZENDDATE TIMESTAMP, ZSTARTDATE TIMESTAMP, ZACCOUNT VARCHAR, \
             ZBUNDLEID VARCHAR, ZCONTENTURL VARCHAR, ZDOMAINIDENTIFIER VARCHAR, ZLOCATIONUUID VARCHAR, \
             ZTARGETBUNDLEID VARCHAR, ZUUID VARCHAR",
        );
        if l == Full {
            inter.push_str(", ZDERIVEDINTENTIDENTIFIER VARCHAR, ZGROUPNAME VARCHAR");
        }
        let mut schema = format!(
            "CREATE TABLE ZINTERACTIONS ({inter});
             CREATE TABLE ZCONTACTS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, \
             ZINCOMINGRECIPIENTCOUNT INTEGER, ZINCOMINGSENDERCOUNT INTEGER, ZOUTGOINGRECIPIENTCOUNT INTEGER, \
             ZTYPE INTEGER, ZCREATIONDATE TIMESTAMP, ZFIRSTINCOMINGRECIPIENTDATE TIMESTAMP, \
             ZFIRSTINCOMINGSENDERDATE TIMESTAMP, ZFIRSTOUTGOINGRECIPIENTDATE TIMESTAMP, \
             ZLASTINCOMINGRECIPIENTDATE TIMESTAMP, ZLASTINCOMINGSENDERDATE TIMESTAMP, \
             ZLASTOUTGOINGRECIPIENTDATE TIMESTAMP, ZCUSTOMIDENTIFIER VARCHAR, ZDISPLAYNAME VARCHAR, \
             ZIDENTIFIER VARCHAR, ZPERSONID VARCHAR, ZPERSONIDTYPE INTEGER);
             CREATE TABLE ZKEYWORDS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZKEYWORD VARCHAR);
             CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);"
        );
        if matches!(l, Full | NoGroupName) {
            let photo = if l == Full {
                ", ZPHOTOLOCALIDENTIFIER VARCHAR"
            } else {
                ""
            };
            schema.push_str(&format!(
                "CREATE TABLE ZATTACHMENT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, \
                 ZSIZEINBYTES INTEGER, ZCREATIONDATE TIMESTAMP, ZCLOUDIDENTIFIER VARCHAR, ZCONTENTTEXT VARCHAR, \
                 ZCONTENTURL VARCHAR, ZUTI VARCHAR, ZIDENTIFIER BLOB{photo});
                 CREATE TABLE Z_1INTERACTIONS (Z_1ATTACHMENTS INTEGER, Z_3INTERACTIONS INTEGER, \
                 PRIMARY KEY (Z_1ATTACHMENTS, Z_3INTERACTIONS));
                 CREATE TABLE Z_2INTERACTIONRECIPIENT (Z_2RECIPIENTS INTEGER, Z_3INTERACTIONRECIPIENT INTEGER, \
                 PRIMARY KEY (Z_2RECIPIENTS, Z_3INTERACTIONRECIPIENT));"
            ));
        }
        let joins = matches!(l, Full | NoGroupName);
        build(&schema, |tx| {
            let mut contact = tx.prepare(
                "INSERT INTO ZCONTACTS (Z_ENT, Z_OPT, ZINCOMINGSENDERCOUNT, ZCREATIONDATE, ZFIRSTINCOMINGSENDERDATE, \
                 ZLASTINCOMINGSENDERDATE, ZDISPLAYNAME, ZIDENTIFIER, ZPERSONID) VALUES (2, 1, 1, ?1, ?1, ?1, ?2, ?3, ?4)",
            )?;
            for (i, it) in self.items.iter().enumerate() {
                let sender = match &it.sender {
                    Some((n, id)) => {
                        contact.execute(params![it.start, n, id, format!("PERSON-{i}")])?;
                        Some(tx.last_insert_rowid())
                    }
                    None => None,
                };
                let mut cols = vec![
                    "Z_ENT",
                    "Z_OPT",
                    "ZDIRECTION",
                    "ZISRESPONSE",
                    "ZMECHANISM",
                    "ZSENDER",
                    "ZCREATIONDATE",
                    "ZENDDATE",
                    "ZSTARTDATE",
                    "ZACCOUNT",
                    "ZBUNDLEID",
                    "ZCONTENTURL",
                    "ZDOMAINIDENTIFIER",
                    "ZUUID",
                ];
                let mut vals: Vec<rusqlite::types::Value> = vec![
                    3.into(),
                    1.into(),
                    it.direction.into(),
                    0.into(),
                    4.into(),
                    sender.into(),
                    it.creation.into(),
                    it.end.into(),
                    it.start.into(),
                    Some("owner@example.org".to_string()).into(),
                    it.bundle_id.clone().into(),
                    it.content_url.clone().into(),
                    it.sender.as_ref().map(|s| s.1.clone()).into(),
                    format!("INTERACTION-{i}").into(),
                ];
                if l != Oldest {
                    cols.push("ZRECIPIENTCOUNT");
                    vals.push((it.recipient.is_some() as i64).into());
                }
                if l == Full {
                    cols.push("ZGROUPNAME");
                    vals.push(it.group_name.clone().into());
                }
                let ph: Vec<String> = (1..=cols.len()).map(|n| format!("?{n}")).collect();
                tx.execute(
                    &format!(
                        "INSERT INTO ZINTERACTIONS ({}) VALUES ({})",
                        cols.join(", "),
                        ph.join(", ")
                    ),
                    rusqlite::params_from_iter(vals),
                )?;
                let iid = tx.last_insert_rowid();
                if joins {
                    if let Some((n, id)) = &it.recipient {
                        contact.execute(params![it.start, n, id, format!("RPERSON-{i}")])?;
                        let rid = tx.last_insert_rowid();
                        tx.execute(
                            "INSERT INTO Z_2INTERACTIONRECIPIENT VALUES (?1, ?2)",
                            params![rid, iid],
                        )?;
                    }
                    if let Some(u) = &it.attachment_url {
                        tx.execute(
                            "INSERT INTO ZATTACHMENT (Z_ENT, Z_OPT, ZSIZEINBYTES, ZCONTENTURL, ZUTI, ZIDENTIFIER) \
                             VALUES (1, 1, 100, ?1, 'public.url', x'0102')",
                            [u],
                        )?;
                        let aid = tx.last_insert_rowid();
                        tx.execute(
                            "INSERT INTO Z_1INTERACTIONS VALUES (?1, ?2)",
                            params![aid, iid],
                        )?;
                    }
                }
            }
            Ok(())
        })
    }
    pub fn write(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        write_file(path.as_ref(), &self.to_bytes())
    }
}

// ---------------------------------------------------------------------------------------------------------
// TCC.db

/// Writer for `HomeDomain/Library/TCC/TCC.db` (table `access`).
pub struct TccDb {
    version: IosVersion,
    rows: Vec<(String, String, i64, i64, i64, i64)>,
}

impl TccDb {
    pub const PATH: &'static str = "HomeDomain/Library/TCC/TCC.db";
    pub fn new(version: IosVersion) -> Self {
        TccDb {
            version,
            rows: Vec::new(),
        }
    }
    /// A decision: `auth` is `auth_value` on iOS 14+ (0 denied, 2 allowed, 3 limited) and `allowed`
    /// (0/1) before; `last_modified` is Unix seconds.
    pub fn access(
        mut self,
        service: &str,
        client: &str,
        client_type: i64,
        auth: i64,
        last_modified: i64,
    ) -> Self {
        self.rows.push((
            service.into(),
            client.into(),
            client_type,
            auth,
            2,
            last_modified,
        ));
        self
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        let v = self.version.major();
        let (schema, sql) = if v >= 14 {
            (
                "CREATE TABLE access (service TEXT NOT NULL, client TEXT NOT NULL, client_type INTEGER NOT NULL, \
                 auth_value INTEGER NOT NULL, auth_reason INTEGER NOT NULL, auth_version INTEGER NOT NULL, \
                 csreq BLOB, policy_id INTEGER, indirect_object_identifier_type INTEGER, \
                 indirect_object_identifier TEXT NOT NULL DEFAULT 'UNUSED', indirect_object_code_identity BLOB, \
                 flags INTEGER, last_modified INTEGER NOT NULL DEFAULT (CAST(strftime('%s','now') AS INTEGER)), \
                 PRIMARY KEY (service, client, client_type, indirect_object_identifier));",
                "INSERT INTO access (service, client, client_type, auth_value, auth_reason, auth_version, last_modified) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
            )
        } else if v >= 12 {
            (
                "CREATE TABLE access (service TEXT NOT NULL, client TEXT NOT NULL, client_type INTEGER NOT NULL, \
                 allowed INTEGER NOT NULL, prompt_count INTEGER NOT NULL, csreq BLOB, policy_id INTEGER, \
                 indirect_object_identifier_type INTEGER, indirect_object_identifier TEXT, \
                 indirect_object_code_identity BLOB, flags INTEGER, \
                 last_modified INTEGER NOT NULL DEFAULT (CAST(strftime('%s','now') AS INTEGER)), \
                 PRIMARY KEY (service, client, client_type, indirect_object_identifier));",
                "INSERT INTO access (service, client, client_type, allowed, prompt_count, last_modified) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
        } else {
            (
                "CREATE TABLE access (service TEXT NOT NULL, client TEXT NOT NULL, client_type INTEGER NOT NULL, \
                 allowed INTEGER NOT NULL, prompt_count INTEGER NOT NULL, csreq BLOB, policy_id INTEGER, \
                 PRIMARY KEY (service, client, client_type));",
                "INSERT INTO access (service, client, client_type, allowed, prompt_count) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
        };
        let schema = format!(
            "{schema} CREATE TABLE admin (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
             CREATE TABLE policies (id INTEGER NOT NULL PRIMARY KEY, bundle_id TEXT NOT NULL, uuid TEXT NOT NULL, \
             display TEXT NOT NULL, UNIQUE (bundle_id, uuid));"
        );
        build(&schema, |tx| {
            let mut st = tx.prepare(sql)?;
            for (s, c, ct, a, r, lm) in &self.rows {
                if v >= 12 {
                    st.execute(params![s, c, ct, a, r, lm])?;
                } else {
                    st.execute(params![s, c, ct, a, r])?;
                }
            }
            Ok(())
        })
    }
    pub fn write(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        write_file(path.as_ref(), &self.to_bytes())
    }
}

// ---------------------------------------------------------------------------------------------------------
// Calendar.sqlitedb

/// One planted calendar item.
#[derive(Debug, Clone)]
pub struct CalendarEvent {
    pub summary: String,
    pub description: Option<String>,
    pub start: f64,
    pub end: f64,
    pub creation: f64,
    pub organizer_email: Option<String>,
    pub uuid: String,
}

impl CalendarEvent {
    pub fn new(summary: &str, description: Option<&str>, start: f64) -> Self {
        CalendarEvent {
            summary: summary.into(),
            description: description.map(str::to_string),
            start,
            end: start + 3600.0,
            creation: start - 86_400.0,
            organizer_email: None,
            uuid: format!("EVENT-{}", start as i64),
        }
    }
}

/// Writer for `HomeDomain/Library/Calendar/Calendar.sqlitedb` (CalendarItem, Participant).
#[derive(Default)]
pub struct CalendarDb {
    events: Vec<CalendarEvent>,
}

impl CalendarDb {
    pub const PATH: &'static str = "HomeDomain/Library/Calendar/Calendar.sqlitedb";
    pub fn new() -> Self {
        Self::default()
    }
    pub fn event(mut self, e: CalendarEvent) -> Self {
        self.events.push(e);
        self
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        let schema = "CREATE TABLE Calendar (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, store_id INTEGER, title TEXT, \
             flags INTEGER, color TEXT, type TEXT, UUID TEXT, external_id TEXT);
             CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, summary TEXT, location_id INTEGER, \
             description TEXT, start_date REAL, start_tz TEXT, end_date REAL, all_day INTEGER, calendar_id INTEGER, \
             orig_item_id INTEGER, orig_date REAL, organizer_id INTEGER, self_attendee_id INTEGER, status INTEGER, \
             invitation_status INTEGER, availability INTEGER, privacy_level INTEGER, url TEXT, last_modified REAL, \
             sequence_num INTEGER, birthday_id INTEGER, modified_properties INTEGER, \
             external_tracking_status INTEGER, external_id TEXT, external_mod_tag TEXT, unique_identifier TEXT, \
             external_schedule_id TEXT, external_rep BLOB, response_comment TEXT, hidden INTEGER, \
             has_recurrences INTEGER, has_attendees INTEGER, UUID TEXT, entity_type INTEGER, priority INTEGER, \
             due_date REAL, due_tz TEXT, due_all_day INTEGER, completion_date REAL, creation_date REAL, \
             conference TEXT, display_order INTEGER, created_by_id INTEGER, modified_by_id INTEGER, \
             shared_item_created_date REAL, shared_item_created_tz TEXT, shared_item_modified_date REAL, \
             shared_item_modified_tz TEXT, invitation_changed_properties INTEGER, default_alarm_removed INTEGER, \
             phantom_master INTEGER, participation_status_modified_date REAL, calendar_scale TEXT, \
             travel_time INTEGER, travel_advisory_behavior INTEGER, start_location_id INTEGER, \
             conference_url_detected TEXT, action TEXT, action_string TEXT);
             CREATE TABLE Participant (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, entity_type INTEGER, type INTEGER, \
             status INTEGER, pending_status INTEGER, role INTEGER, identity_id INTEGER, owner_id INTEGER, \
             external_rep BLOB, UUID TEXT, email TEXT, phone_number TEXT, is_self INTEGER, flags INTEGER, \
             comment TEXT, proposed_start_date REAL, proposed_start_date_tz TEXT, proposed_start_date_status INTEGER, \
             last_modified REAL);";
        build(schema, |tx| {
            tx.execute(
                "INSERT INTO Calendar (title, UUID) VALUES ('Calendar', 'CAL-1')",
                [],
            )?;
            for e in &self.events {
                let organizer = match &e.organizer_email {
                    Some(m) => {
                        tx.execute(
                            "INSERT INTO Participant (entity_type, type, UUID, email, last_modified) \
                             VALUES (7, 1, ?1, ?2, ?3)",
                            params![format!("P-{}", e.uuid), m, e.creation],
                        )?;
                        Some(tx.last_insert_rowid())
                    }
                    None => None,
                };
                tx.execute(
                    "INSERT INTO CalendarItem (summary, description, start_date, end_date, all_day, calendar_id, \
                     organizer_id, last_modified, hidden, UUID, unique_identifier, entity_type, creation_date) \
                     VALUES (?1, ?2, ?3, ?4, 0, 1, ?5, ?6, 0, ?7, ?7, 2, ?6)",
                    params![e.summary, e.description, e.start, e.end, organizer, e.creation, e.uuid],
                )?;
            }
            Ok(())
        })
    }
    pub fn write(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        write_file(path.as_ref(), &self.to_bytes())
    }
}

// ---------------------------------------------------------------------------------------------------------
// DataUsage.sqlite

/// Writer for `WirelessDomain/Library/Databases/DataUsage.sqlite` (ZPROCESS, ZLIVEUSAGE).
/// Processes get Z_PK 1, 2, 3 … in the order they are added.
pub struct DataUsageDb {
    version: IosVersion,
    processes: Vec<(String, Option<String>, f64, f64)>,
    /// (process Z_PK, timestamp, wifi in, wifi out, wwan in, wwan out)
    usage: Vec<(i64, f64, f64, f64, f64, f64)>,
    deleted: Vec<i64>,
}

impl DataUsageDb {
    pub const PATH: &'static str = "WirelessDomain/Library/Databases/DataUsage.sqlite";
    pub fn new(version: IosVersion) -> Self {
        DataUsageDb {
            version,
            processes: Vec::new(),
            usage: Vec::new(),
            deleted: Vec::new(),
        }
    }
    /// A process (ZPROCNAME, ZBUNDLENAME) first seen at `first` and last at `last`; its Z_PK is its 1-based
    /// position.
    pub fn process(mut self, name: &str, bundle: Option<&str>, first: f64, last: f64) -> Self {
        self.processes
            .push((name.into(), bundle.map(str::to_string), first, last));
        self
    }
    /// A ZLIVEUSAGE row for process `pk`, in bytes.
    pub fn usage(
        mut self,
        pk: i64,
        ts: f64,
        wifi_in: f64,
        wifi_out: f64,
        wwan_in: f64,
        wwan_out: f64,
    ) -> Self {
        self.usage
            .push((pk, ts, wifi_in, wifi_out, wwan_in, wwan_out));
        self
    }
    /// Deletes ZPROCESS row `pk` after everything is inserted (leaves its ZLIVEUSAGE rows, as a
    /// manipulated database would).
    pub fn delete_process(mut self, pk: i64) -> Self {
        self.deleted.push(pk);
        self
    }
    /// Whether this version's ZLIVEUSAGE has the Wi-Fi columns.
    pub fn has_wifi(&self) -> bool {
        self.version.major() <= 14
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        let wifi = self.has_wifi();
        let wifi_cols = if wifi {
            "ZWIFIIN FLOAT, ZWIFIOUT FLOAT, "
        } else {
            ""
        };
        let schema = format!(
            "CREATE TABLE ZPROCESS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, \
             ZFIRSTTIMESTAMP TIMESTAMP, ZTIMESTAMP TIMESTAMP, ZBUNDLENAME VARCHAR, ZPROCNAME VARCHAR);
             CREATE TABLE ZLIVEUSAGE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZKIND INTEGER, \
             ZMETADATA INTEGER, ZTAG INTEGER, ZHASPROCESS INTEGER, ZBILLCYCLEEND TIMESTAMP, ZTIMESTAMP TIMESTAMP, \
             {wifi_cols}ZWWANIN FLOAT, ZWWANOUT FLOAT);
             CREATE INDEX ZLIVEUSAGE_ZHASPROCESS_INDEX ON ZLIVEUSAGE (ZHASPROCESS);
             CREATE TABLE ZPLANUSAGE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZTIMESTAMP TIMESTAMP);
             CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
             CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);"
        );
        build(&schema, |tx| {
            let mut p = tx.prepare(
                "INSERT INTO ZPROCESS (Z_PK, Z_ENT, Z_OPT, ZFIRSTTIMESTAMP, ZTIMESTAMP, ZBUNDLENAME, ZPROCNAME) \
                 VALUES (?1, 5, 1, ?2, ?3, ?4, ?5)",
            )?;
            for (i, (n, b, f, l)) in self.processes.iter().enumerate() {
                p.execute(params![i as i64 + 1, f, l, b, n])?;
            }
            let sql = if wifi {
                "INSERT INTO ZLIVEUSAGE (Z_ENT, Z_OPT, ZKIND, ZMETADATA, ZTAG, ZHASPROCESS, ZTIMESTAMP, ZWIFIIN, \
                 ZWIFIOUT, ZWWANIN, ZWWANOUT) VALUES (3, 1, 0, 0, 0, ?1, ?2, ?3, ?4, ?5, ?6)"
            } else {
                "INSERT INTO ZLIVEUSAGE (Z_ENT, Z_OPT, ZKIND, ZMETADATA, ZTAG, ZHASPROCESS, ZTIMESTAMP, ZWWANIN, \
                 ZWWANOUT) VALUES (3, 1, 0, 0, 0, ?1, ?2, ?5, ?6)"
            };
            let mut u = tx.prepare(sql)?;
            for (pk, ts, wi, wo, ni, no) in &self.usage {
                if wifi {
                    u.execute(params![pk, ts, wi, wo, ni, no])?;
                } else {
                    u.execute(params![
                        pk,
                        ts,
                        Option::<f64>::None,
                        Option::<f64>::None,
                        ni,
                        no
                    ])?;
                }
            }
            for pk in &self.deleted {
                tx.execute("DELETE FROM ZPROCESS WHERE Z_PK = ?1", [pk])?;
            }
            Ok(())
        })
    }
    pub fn write(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        write_file(path.as_ref(), &self.to_bytes())
    }
}

// ---------------------------------------------------------------------------------------------------------
// Property lists

/// Writer for the identity services status cache (`IdStatusCache::PATH`, or `PATH_NEW` on recent iOS):
/// service → { `mailto:…`/`tel:…` → { LookupDate, IDStatus } }.
#[derive(Default)]
pub struct IdStatusCache {
    root: plist::Dictionary,
}

impl IdStatusCache {
    pub const PATH: &'static str =
        "HomeDomain/Library/Preferences/com.apple.identityservices.idstatuscache.plist";
    pub const PATH_NEW: &'static str = "HomeDomain/Library/IdentityServices/idstatuscache.plist";
    pub fn new() -> Self {
        Self::default()
    }
    /// A lookup of `user` (e.g. `mailto:a@b.c`, `tel:+1555…`) by `service` (e.g. `com.apple.madrid`) at
    /// `date` (Mac absolute seconds), with IDStatus `status` (1 registered, 2 not registered).
    pub fn lookup(mut self, service: &str, user: &str, date: f64, status: i64) -> Self {
        if !self.root.contains_key(service) {
            self.root.insert(
                service.to_string(),
                plist::Value::Dictionary(plist::Dictionary::new()),
            );
        }
        if let Some(plist::Value::Dictionary(d)) = self.root.get_mut(service) {
            let mut e = plist::Dictionary::new();
            e.insert("LookupDate".into(), plist::Value::Real(date));
            e.insert("IDStatus".into(), plist::Value::Integer(status.into()));
            d.insert(user.to_string(), plist::Value::Dictionary(e));
        }
        self
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        plist_bytes(&plist::Value::Dictionary(self.root.clone()))
    }
}

/// Writer for `RootDomain/Library/Caches/locationd/clients.plist`: client key → dictionary.
#[derive(Default)]
pub struct LocationdClients {
    root: plist::Dictionary,
}

impl LocationdClients {
    pub const PATH: &'static str = "RootDomain/Library/Caches/locationd/clients.plist";
    pub fn new() -> Self {
        Self::default()
    }
    /// A client: `key` is a bundle id (`com.apple.Maps`) or a path-based key (`/usr/libexec/x:`); `fields`
    /// are extra keys (e.g. `BundlePath`, `Executable`); times are Mac absolute seconds, as iOS stores them.
    pub fn client(mut self, key: &str, time: f64, fields: &[(&str, &str)]) -> Self {
        let mut d = plist::Dictionary::new();
        d.insert("Authorization".into(), plist::Value::Integer(2.into()));
        d.insert("LocationTimeStopped".into(), plist::Value::Real(time));
        d.insert(
            "ReceivingLocationInformationTimeStopped".into(),
            plist::Value::Real(time),
        );
        d.insert("Whitelisted".into(), plist::Value::Boolean(false));
        for (k, v) in fields {
            d.insert((*k).into(), plist::Value::String((*v).into()));
        }
        self.root.insert(key.into(), plist::Value::Dictionary(d));
        self
    }
    /// A raw top-level entry (iOS keeps a few non-dictionary migration values there).
    pub fn raw(mut self, key: &str, v: plist::Value) -> Self {
        self.root.insert(key.into(), v);
        self
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        plist_bytes(&plist::Value::Dictionary(self.root.clone()))
    }
}

/// Writer for `HomeDomain/Library/Preferences/com.apple.osanalytics.addaily.plist`:
/// `netUsageBaseline` → process → [date, wifi in, wifi out, wwan in, wwan out].
#[derive(Default)]
pub struct OsAnalyticsAdDaily {
    baseline: plist::Dictionary,
}

impl OsAnalyticsAdDaily {
    pub const PATH: &'static str =
        "HomeDomain/Library/Preferences/com.apple.osanalytics.addaily.plist";
    pub fn new() -> Self {
        Self::default()
    }
    pub fn usage(
        mut self,
        process: &str,
        date: f64,
        wifi_in: i64,
        wifi_out: i64,
        wwan_in: i64,
        wwan_out: i64,
    ) -> Self {
        let arr = vec![
            plist::Value::Date(mac_date(date)),
            plist::Value::Integer(wifi_in.into()),
            plist::Value::Integer(wifi_out.into()),
            plist::Value::Integer(wwan_in.into()),
            plist::Value::Integer(wwan_out.into()),
        ];
        self.baseline
            .insert(process.into(), plist::Value::Array(arr));
        self
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut root = plist::Dictionary::new();
        root.insert(
            "netUsageBaseline".into(),
            plist::Value::Dictionary(self.baseline.clone()),
        );
        root.insert(
            "lastSubmission".into(),
            plist::Value::Date(mac_date(700_000_000.0)),
        );
        plist_bytes(&plist::Value::Dictionary(root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(bytes: &[u8]) -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        c.deserialize_read_exact(rusqlite::MAIN_DB, bytes, bytes.len(), true)
            .unwrap();
        c
    }

    #[test]
    fn sms_layouts_and_dates() {
        for v in IosVersion::ALL {
            let b = SmsDb::new(v)
                .message("+1555", "hi", 600_000_000.0)
                .attachment("+1555", "/var/tmp/x-1", "image/gif", 600_000_000.0)
                .to_bytes();
            let c = open(&b);
            let d: i64 = c
                .query_row("SELECT date FROM message WHERE ROWID=1", [], |r| r.get(0))
                .unwrap();
            if v.major() >= 11 {
                assert_eq!(d, 600_000_000_000_000_000);
            } else {
                assert_eq!(d, 600_000_000);
            }
            let n: i64 = c.query_row("SELECT count(*) FROM attachment JOIN message_attachment_join ON attachment_id = attachment.ROWID", [], |r| r.get(0)).unwrap();
            assert_eq!(n, 1);
        }
    }

    #[test]
    fn bulk_is_fast_enough_and_counts() {
        let ms = (0..5000).map(|i| {
            SmsMessage::received(&format!("+1555{}", i % 50), "x", 600_000_000.0 + i as f64)
        });
        let b = SmsDb::new(IosVersion::V17).extend(ms).to_bytes();
        let n: i64 = open(&b)
            .query_row("SELECT count(*) FROM message", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 5000);
    }

    #[test]
    fn plists_parse() {
        let b = IdStatusCache::new()
            .lookup("com.apple.madrid", "mailto:a@b.c", 600_000_000.0, 1)
            .to_bytes();
        let v = plist::Value::from_reader(std::io::Cursor::new(b)).unwrap();
        assert!(v.as_dictionary().unwrap().contains_key("com.apple.madrid"));
        let b = OsAnalyticsAdDaily::new()
            .usage("bh", 600_000_000.0, 1, 2, 3, 4)
            .to_bytes();
        assert!(plist::Value::from_reader(std::io::Cursor::new(b)).is_ok());
    }
}
