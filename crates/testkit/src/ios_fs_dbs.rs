//! Testkit writers for the artifacts only a filesystem dump holds, with their real layouts:
//!
//! * [`FaviconsDb`]: Safari's `Favicons.db` (SafariShared's schema: `page_url`, `icon_info` with the v2
//!   and v3 columns, `rejected_resources` of v4, `database_info`); times are integer Mac seconds;
//! * [`CacheDb`]: an NSURLCache `Cache.db` (`cfurl_cache_response`, `cfurl_cache_blob_data`,
//!   `cfurl_cache_receiver_data`, as iOS 17 writes it); `time_stamp` is `YYYY-MM-DD HH:MM:SS` UTC;
//! * [`SfAnalyticsDb`]: an SFAnalytics database (`hard_failures`, `soft_failures`, `notes`, `samples`,
//!   `success_count`, optionally the older `all_events`); each event a binary plist, `timestamp` Unix
//!   seconds;
//! * [`analytics_journal`]: an `Analytics-Journal-*.ips` (a JSON header line, then the body).
//!
//! The netusage store is [`crate::ios_dbs::DataUsageDb::netusage`].

use rusqlite::params;

use crate::ios_dbs::build;

/// Safari's favicon database.
#[derive(Default)]
pub struct FaviconsDb {
    /// (page URL, icon URL, Mac seconds)
    icons: Vec<(String, String, i64)>,
    rejected: Vec<(String, String, i64)>,
}

impl FaviconsDb {
    pub const PATH: &'static str = "private/var/mobile/Library/Image Cache/Favicons/Favicons.db";
    /// Relative to Safari's data container (iOS 12+).
    pub const CONTAINER_PATH: &'static str = "Library/Image Cache/Favicons/Favicons.db";
    pub fn new() -> Self {
        Self::default()
    }
    /// A page and its icon, fetched at `mac` (Mac absolute seconds).
    pub fn icon(mut self, page: &str, icon: &str, mac: i64) -> Self {
        self.icons.push((page.into(), icon.into(), mac));
        self
    }
    pub fn rejected(mut self, page: &str, icon: &str, mac: i64) -> Self {
        self.rejected.push((page.into(), icon.into(), mac));
        self
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        build(
            "CREATE TABLE page_url (url TEXT NOT NULL UNIQUE, uuid TEXT NOT NULL);
             CREATE INDEX PageURLIndex ON page_url (url);
             CREATE TABLE icon_info (uuid TEXT PRIMARY KEY, url TEXT NOT NULL, timestamp INTEGER, \
             width REAL DEFAULT 0, height REAL DEFAULT 0, has_generated_representations INTEGER DEFAULT 0);
             CREATE TABLE rejected_resources (page_url TEXT NOT NULL, icon_url TEXT NOT NULL, \
             timestamp INTEGER, UNIQUE(page_url, icon_url));
             CREATE TABLE database_info (key TEXT UNIQUE, value TEXT);
             INSERT INTO database_info VALUES ('version', '4');",
            |tx| {
                for (i, (page, icon, t)) in self.icons.iter().enumerate() {
                    let uuid = format!("00000000-0000-4000-8000-{:012X}", i + 1);
                    tx.execute("INSERT INTO page_url VALUES (?1, ?2)", params![page, uuid])?;
                    tx.execute(
                        "INSERT INTO icon_info (uuid, url, timestamp, width, height) VALUES (?1, ?2, ?3, 32, 32)",
                        params![uuid, icon, t],
                    )?;
                }
                for (page, icon, t) in &self.rejected {
                    tx.execute(
                        "INSERT INTO rejected_resources VALUES (?1, ?2, ?3)",
                        params![page, icon, t],
                    )?;
                }
                Ok(())
            },
        )
    }
}

/// An NSURLCache database.
#[derive(Default)]
pub struct CacheDb {
    /// (URL, `YYYY-MM-DD HH:MM:SS` UTC)
    responses: Vec<(String, String)>,
}

impl CacheDb {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn response(mut self, url: &str, time_stamp: &str) -> Self {
        self.responses.push((url.into(), time_stamp.into()));
        self
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        build(
            "CREATE TABLE cfurl_cache_response (entry_ID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, \
             version INTEGER, hash_value INTEGER, storage_policy INTEGER, request_key TEXT UNIQUE, \
             time_stamp NOT NULL DEFAULT CURRENT_TIMESTAMP, partition TEXT);
             CREATE TABLE cfurl_cache_blob_data (entry_ID INTEGER PRIMARY KEY, response_object BLOB, \
             request_object BLOB, proto_props BLOB, user_info BLOB);
             CREATE TABLE cfurl_cache_receiver_data (entry_ID INTEGER PRIMARY KEY, isDataOnFS INTEGER, \
             receiver_data BLOB);
             CREATE INDEX request_key_index ON cfurl_cache_response(request_key);
             CREATE INDEX time_stamp_index ON cfurl_cache_response(time_stamp);
             CREATE INDEX proto_props_index ON cfurl_cache_blob_data(entry_ID);
             CREATE INDEX receiver_data_index ON cfurl_cache_receiver_data(entry_ID);",
            |tx| {
                for (i, (url, ts)) in self.responses.iter().enumerate() {
                    tx.execute(
                        "INSERT INTO cfurl_cache_response (version, hash_value, storage_policy, request_key, \
                         time_stamp, partition) VALUES (0, ?1, 0, ?2, ?3, NULL)",
                        params![-(i as i64) - 1_000_000, url, ts],
                    )?;
                    let id = tx.last_insert_rowid();
                    tx.execute(
                        "INSERT INTO cfurl_cache_blob_data VALUES (?1, x'00', x'00', NULL, NULL)",
                        [id],
                    )?;
                    tx.execute(
                        "INSERT INTO cfurl_cache_receiver_data VALUES (?1, 0, x'3c68746d6c3e')",
                        [id],
                    )?;
                }
                Ok(())
            },
        )
    }
}

/// An SFAnalytics event: a dictionary stored as a binary plist.
pub fn sf_event(
    event_type: &str,
    event_time_ms: i64,
    build: &str,
    extra: &[(&str, plist::Value)],
) -> Vec<u8> {
    let mut d = plist::Dictionary::new();
    d.insert("eventType".into(), event_type.into());
    d.insert("eventTime".into(), event_time_ms.into());
    d.insert("eventClass".into(), 1.into());
    d.insert("build".into(), build.into());
    d.insert("product".into(), "iPhone OS".into());
    d.insert("modelid".into(), "iPhone14,2".into());
    for (k, v) in extra {
        d.insert((*k).into(), v.clone());
    }
    let mut out = Vec::new();
    plist::Value::Dictionary(d)
        .to_writer_binary(&mut out)
        .expect("plist");
    out
}

/// An SFAnalytics database.
#[derive(Default)]
pub struct SfAnalyticsDb {
    /// (table, Unix seconds, data)
    events: Vec<(&'static str, f64, Vec<u8>)>,
    all_events: bool,
}

impl SfAnalyticsDb {
    pub const DIR: &'static str = "private/var/Keychains/Analytics";
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds the older `all_events` table.
    pub fn with_all_events(mut self) -> Self {
        self.all_events = true;
        self
    }
    /// An event in `table` (`hard_failures`, `soft_failures`, `notes`, `all_events`) at `unix` seconds.
    pub fn event(mut self, table: &'static str, unix: f64, data: Vec<u8>) -> Self {
        self.events.push((table, unix, data));
        self
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut schema = String::from(
            "CREATE TABLE hard_failures (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL, data BLOB);
             CREATE TABLE soft_failures (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL, data BLOB);
             CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL, data BLOB);
             CREATE TABLE samples (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL, name STRING, value REAL);
             CREATE TABLE success_count (event_type STRING PRIMARY KEY, success_count INTEGER, \
             hard_failure_count INTEGER, soft_failure_count INTEGER);
             CREATE TRIGGER maxhardfailures AFTER INSERT ON hard_failures BEGIN \
             DELETE FROM hard_failures WHERE id <= NEW.id - 1000; END;",
        );
        if self.all_events {
            schema.push_str(
                "CREATE TABLE all_events (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL, data BLOB);",
            );
        }
        build(&schema, |tx| {
            for (table, t, data) in &self.events {
                tx.execute(
                    &format!("INSERT INTO {table} (timestamp, data) VALUES (?1, ?2)"),
                    params![t, data],
                )?;
            }
            Ok(())
        })
    }
}

/// An `Analytics-Journal-*.ips`: the JSON header (`timestamp` local time with offset, `os_version`),
/// then a body.
pub fn analytics_journal(timestamp: &str, os_version: &str) -> Vec<u8> {
    format!(
        "{{\"bug_type\":\"211\",\"timestamp\":\"{timestamp}\",\"os_version\":\"{os_version}\",\
         \"incident_id\":\"6B1D5A52-0000-4000-8000-000000000001\",\"name\":\"Analytics-Journal\"}}\n\
         {{\"_marker\":\"<metadata>\",\"startTimestamp\":\"{timestamp}\"}}\n"
    )
    .into_bytes()
}

/// One origin of a WebKit `origin` file: scheme, host, port.
pub type WebOrigin<'a> = (&'a str, &'a str, Option<u16>);

/// A WebKit `origin` file (`…/WebsiteData/Default/<hash>/<hash>/origin`): the top origin, then the
/// frame's, each written as WebKit's persistent encoder writes a security origin (a variant index byte,
/// the scheme and host as strings — 32-bit little-endian length, an 8-bit flag, the characters — and an
/// optional 16-bit port: a presence byte, then the port).
pub fn webkit_origin_file(top: WebOrigin<'_>, frame: WebOrigin<'_>) -> Vec<u8> {
    let mut b = Vec::new();
    for (scheme, host, port) in [top, frame] {
        b.push(0);
        for s in [scheme, host] {
            b.extend((s.len() as u32).to_le_bytes());
            b.push(1);
            b.extend(s.as_bytes());
        }
        match port {
            Some(p) => {
                b.push(1);
                b.extend(p.to_le_bytes());
            }
            None => b.push(0),
        }
    }
    b
}
