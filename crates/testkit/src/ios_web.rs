//! Testkit writers for the iOS browser, WebKit, WhatsApp and Shortcuts artifacts, with the real schemas
//! (CREATE TABLE statements as the apps write them, per supported variant).
//!
//! Every writer is a builder: plant rows, then `write(path)` (any file) or `write_in(root)` (at the
//! artifact's logical path of an iTunes/Finder backup laid out as `<domain>/<relativePath>` under `root`).
//! Times are [`jiff::Timestamp`]s; each writer encodes them as its database does. Rows are inserted in
//! one transaction, so large planted sets (100,000 visits) are fast. Writers panic on I/O errors
//! (tests only).

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use plist::{Dictionary, Value};
use rusqlite::{Connection, params};

/// Parses `2021-07-01T10:00:00Z` or `2021-07-01 10:00:00` (UTC).
pub fn utc(s: &str) -> Timestamp {
    if let Ok(t) = s.parse::<Timestamp>() {
        return t;
    }
    let dt: jiff::civil::DateTime = s.parse().expect("a date-time");
    jiff::tz::TimeZone::UTC
        .to_timestamp(dt)
        .expect("a valid UTC time")
}

const MAC_EPOCH: i64 = 978_307_200;
const WEBKIT_EPOCH: i64 = 11_644_473_600;

/// Seconds since 2001-01-01 (Mac absolute time).
pub fn mac_time(t: Timestamp) -> f64 {
    (t.as_second() - MAC_EPOCH) as f64 + t.subsec_nanosecond() as f64 / 1e9
}
/// Microseconds since 1601-01-01 (Chrome).
pub fn webkit_time(t: Timestamp) -> i64 {
    t.as_microsecond() + WEBKIT_EPOCH * 1_000_000
}
/// Microseconds since 1970 (Firefox visits).
pub fn unix_us(t: Timestamp) -> i64 {
    t.as_microsecond()
}
/// Seconds since 1970.
pub fn unix_secs(t: Timestamp) -> f64 {
    t.as_second() as f64 + t.subsec_nanosecond() as f64 / 1e9
}

fn create(path: &Path) -> Connection {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent folders");
    }
    if path.exists() {
        std::fs::remove_file(path).expect("replace existing file");
    }
    let c = Connection::open(path).expect("create database");
    c.execute_batch("PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF;")
        .expect("pragmas");
    c
}

fn commit(c: Connection) {
    c.close().map_err(|(_, e)| e).expect("close database");
}

// ---------------------------------------------------------------------------------------------------
// Safari History.db
// ---------------------------------------------------------------------------------------------------

/// Safari `History.db` schema variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SafariHistoryVariant {
    /// iOS 12 and later: `history_items.status_code`, `history_visits.attributes`/`score`.
    #[default]
    Modern,
    /// Older iOS: no `status_code`, no `attributes`/`score`.
    Legacy,
}

#[derive(Debug, Clone)]
struct SafariVisit {
    url: String,
    time: Timestamp,
    title: Option<String>,
    load_successful: bool,
    redirect_source: Option<i64>,
    redirect_destination: Option<i64>,
}

/// Builder for `HomeDomain/Library/Safari/History.db`. Visit ids are 1, 2, 3 … in planting order.
#[derive(Debug, Clone, Default)]
pub struct SafariHistory {
    variant: SafariHistoryVariant,
    visits: Vec<SafariVisit>,
}

impl SafariHistory {
    pub const LOGICAL_PATH: &'static str = "HomeDomain/Library/Safari/History.db";

    pub fn new() -> Self {
        Self::default()
    }
    pub fn variant(mut self, v: SafariHistoryVariant) -> Self {
        self.variant = v;
        self
    }
    /// Plants a visit (id = number of visits planted so far + 1).
    pub fn visit(mut self, url: &str, time: Timestamp) -> Self {
        self.push(url, time, None);
        self
    }
    /// Plants a visit with a page title.
    pub fn visit_titled(mut self, url: &str, time: Timestamp, title: &str) -> Self {
        self.push(url, time, Some(title));
        self
    }
    /// Plants a visit and returns its id (for bulk building with `&mut`).
    pub fn push(&mut self, url: &str, time: Timestamp, title: Option<&str>) -> i64 {
        self.visits.push(SafariVisit {
            url: url.to_string(),
            time,
            title: title.map(str::to_string),
            load_successful: true,
            redirect_source: None,
            redirect_destination: None,
        });
        self.visits.len() as i64
    }
    /// Marks the visit with id `from` as redirected to the visit with id `to`.
    pub fn redirect(mut self, from: i64, to: i64) -> Self {
        if let Some(v) = self.visits.get_mut((from - 1) as usize) {
            v.redirect_destination = Some(to);
        }
        if let Some(v) = self.visits.get_mut((to - 1) as usize) {
            v.redirect_source = Some(from);
        }
        self
    }
    /// Marks the visit with id `id` as a failed load.
    pub fn failed(mut self, id: i64) -> Self {
        if let Some(v) = self.visits.get_mut((id - 1) as usize) {
            v.load_successful = false;
        }
        self
    }

    pub fn write_in(&self, root: &Path) -> PathBuf {
        let p = root.join(Self::LOGICAL_PATH);
        self.write(&p);
        p
    }

    pub fn write(&self, path: &Path) {
        let mut c = create(path);
        let modern = self.variant == SafariHistoryVariant::Modern;
        let items = if modern {
            "CREATE TABLE history_items (id INTEGER PRIMARY KEY AUTOINCREMENT,url TEXT NOT NULL UNIQUE,domain_expansion TEXT NULL,visit_count INTEGER NOT NULL,daily_visit_counts BLOB NOT NULL,weekly_visit_counts BLOB NULL,autocomplete_triggers BLOB NULL,should_recompute_derived_visit_counts INTEGER NOT NULL,visit_count_score INTEGER NOT NULL,status_code INTEGER NOT NULL DEFAULT 0);"
        } else {
            "CREATE TABLE history_items (id INTEGER PRIMARY KEY AUTOINCREMENT,url TEXT NOT NULL UNIQUE,domain_expansion TEXT NULL,visit_count INTEGER NOT NULL,daily_visit_counts BLOB NOT NULL,weekly_visit_counts BLOB NULL,autocomplete_triggers BLOB NULL,should_recompute_derived_visit_counts INTEGER NOT NULL,visit_count_score INTEGER NOT NULL);"
        };
        let visits = if modern {
            "CREATE TABLE history_visits (id INTEGER PRIMARY KEY AUTOINCREMENT,history_item INTEGER NOT NULL REFERENCES history_items(id) ON DELETE CASCADE,visit_time REAL NOT NULL,title TEXT NULL,load_successful BOOLEAN NOT NULL DEFAULT 1,http_non_get BOOLEAN NOT NULL DEFAULT 0,synthesized BOOLEAN NOT NULL DEFAULT 0,redirect_source INTEGER NULL UNIQUE REFERENCES history_visits(id) ON DELETE CASCADE,redirect_destination INTEGER NULL UNIQUE REFERENCES history_visits(id) ON DELETE CASCADE,origin INTEGER NOT NULL DEFAULT 0,generation INTEGER NOT NULL DEFAULT 0,attributes INTEGER NOT NULL DEFAULT 0,score INTEGER NOT NULL DEFAULT 0);"
        } else {
            "CREATE TABLE history_visits (id INTEGER PRIMARY KEY AUTOINCREMENT,history_item INTEGER NOT NULL REFERENCES history_items(id) ON DELETE CASCADE,visit_time REAL NOT NULL,title TEXT NULL,load_successful BOOLEAN NOT NULL DEFAULT 1,http_non_get BOOLEAN NOT NULL DEFAULT 0,synthesized BOOLEAN NOT NULL DEFAULT 0,redirect_source INTEGER NULL UNIQUE REFERENCES history_visits(id) ON DELETE CASCADE,redirect_destination INTEGER NULL UNIQUE REFERENCES history_visits(id) ON DELETE CASCADE,origin INTEGER NOT NULL DEFAULT 0,generation INTEGER NOT NULL DEFAULT 0);"
        };
        c.execute_batch(&format!(
            "{items}\n{visits}\n\
             CREATE TABLE history_tombstones (id INTEGER PRIMARY KEY AUTOINCREMENT,start_time REAL NOT NULL,end_time REAL NOT NULL,url TEXT,generation INTEGER NOT NULL DEFAULT 0);\n\
             CREATE TABLE metadata (key TEXT NOT NULL UNIQUE, value);\n\
             CREATE TABLE history_client_versions (client_version INTEGER PRIMARY KEY,last_seen REAL NOT NULL);\n\
             CREATE INDEX history_items__domain_expansion ON history_items (domain_expansion);\n\
             CREATE INDEX history_visits__last_visit ON history_visits (history_item, visit_time DESC, synthesized ASC);\n\
             CREATE INDEX history_visits__origin ON history_visits (origin, generation);"
        ))
        .expect("Safari History schema");
        let tx = c.transaction().expect("transaction");
        {
            let mut item_ids: std::collections::HashMap<&str, i64> = Default::default();
            let mut counts: std::collections::HashMap<&str, i64> = Default::default();
            for v in &self.visits {
                *counts.entry(v.url.as_str()).or_default() += 1;
            }
            let mut ins_item = tx
                .prepare(
                    "INSERT INTO history_items (url, domain_expansion, visit_count, daily_visit_counts, should_recompute_derived_visit_counts, visit_count_score) VALUES (?1, ?2, ?3, X'', 0, ?3)",
                )
                .expect("prepare");
            // Visits reference each other (redirects): insert them first without links, then link.
            let mut ins_visit = tx
                .prepare(
                    "INSERT INTO history_visits (id, history_item, visit_time, title, load_successful) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .expect("prepare");
            for (i, v) in self.visits.iter().enumerate() {
                let item = match item_ids.get(v.url.as_str()) {
                    Some(id) => *id,
                    None => {
                        let host = v
                            .url
                            .split("://")
                            .nth(1)
                            .and_then(|r| r.split(['/', '?', '#']).next());
                        let expansion = host.map(|h| h.trim_start_matches("www.").to_string());
                        ins_item
                            .execute(params![v.url, expansion, counts[v.url.as_str()]])
                            .expect("insert item");
                        let id = tx.last_insert_rowid();
                        item_ids.insert(v.url.as_str(), id);
                        id
                    }
                };
                ins_visit
                    .execute(params![
                        i as i64 + 1,
                        item,
                        mac_time(v.time),
                        v.title,
                        v.load_successful
                    ])
                    .expect("insert visit");
            }
            let mut link = tx
                .prepare("UPDATE history_visits SET redirect_source = ?2, redirect_destination = ?3 WHERE id = ?1")
                .expect("prepare");
            for (i, v) in self.visits.iter().enumerate() {
                if v.redirect_source.is_some() || v.redirect_destination.is_some() {
                    link.execute(params![
                        i as i64 + 1,
                        v.redirect_source,
                        v.redirect_destination
                    ])
                    .expect("link");
                }
            }
        }
        tx.commit().expect("commit");
        commit(c);
    }
}

// ---------------------------------------------------------------------------------------------------
// Safari BrowserState.db
// ---------------------------------------------------------------------------------------------------

/// `BrowserState.db` schema variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BrowserStateVariant {
    /// iOS 12 and later: sessions in `tab_sessions`, joined on the tab's uuid.
    #[default]
    Modern,
    /// Older iOS: `session_data` is a column of `tabs`.
    Legacy,
}

#[derive(Debug, Clone)]
struct Tab {
    title: String,
    url: String,
    last_viewed: Timestamp,
    session: Vec<(String, String)>,
    raw_session: Option<Vec<u8>>,
}

/// Builder for `HomeDomain/Library/Safari/BrowserState.db`.
#[derive(Debug, Clone, Default)]
pub struct SafariBrowserState {
    variant: BrowserStateVariant,
    tabs: Vec<Tab>,
}

/// Encodes a tab's session history the way Safari stores it: a 4-byte header, then a binary plist with
/// `SessionHistory.SessionHistoryEntries[]` (`SessionHistoryEntryURL`, `…OriginalURL`, `…Title`, `…Data`).
pub fn safari_session_blob(entries: &[(String, String)]) -> Vec<u8> {
    let list: Vec<Value> = entries
        .iter()
        .map(|(url, title)| {
            let mut d = Dictionary::new();
            d.insert("SessionHistoryEntryURL".into(), Value::String(url.clone()));
            d.insert(
                "SessionHistoryEntryOriginalURL".into(),
                Value::String(url.clone()),
            );
            d.insert(
                "SessionHistoryEntryTitle".into(),
                Value::String(title.clone()),
            );
            d.insert("SessionHistoryEntryData".into(), Value::Data(vec![0u8; 16]));
            d.insert(
                "SessionHistoryEntryShouldOpenExternalURLsPolicyKey".into(),
                Value::Integer(1.into()),
            );
            Value::Dictionary(d)
        })
        .collect();
    let mut hist = Dictionary::new();
    hist.insert(
        "SessionHistoryCurrentIndex".into(),
        Value::Integer((entries.len().saturating_sub(1) as u64).into()),
    );
    hist.insert("SessionHistoryEntries".into(), Value::Array(list));
    hist.insert("SessionHistoryVersion".into(), Value::Integer(1.into()));
    let mut root = Dictionary::new();
    root.insert("SessionHistory".into(), Value::Dictionary(hist));
    root.insert("IsAppInitiated".into(), Value::Boolean(false));
    let mut buf = vec![0u8, 0, 0, 2];
    plist::to_writer_binary(&mut buf, &Value::Dictionary(root)).expect("session plist");
    buf
}

impl SafariBrowserState {
    pub const LOGICAL_PATH: &'static str = "HomeDomain/Library/Safari/BrowserState.db";

    pub fn new() -> Self {
        Self::default()
    }
    pub fn variant(mut self, v: BrowserStateVariant) -> Self {
        self.variant = v;
        self
    }
    /// Plants a tab with its session history entries `(url, title)`.
    pub fn tab(
        mut self,
        title: &str,
        url: &str,
        last_viewed: Timestamp,
        session: &[(&str, &str)],
    ) -> Self {
        self.tabs.push(Tab {
            title: title.into(),
            url: url.into(),
            last_viewed,
            session: session
                .iter()
                .map(|(u, t)| (u.to_string(), t.to_string()))
                .collect(),
            raw_session: None,
        });
        self
    }
    /// Plants a tab whose session blob is exactly `blob` (for malformed-data tests).
    pub fn tab_raw_session(
        mut self,
        title: &str,
        url: &str,
        last_viewed: Timestamp,
        blob: &[u8],
    ) -> Self {
        self.tabs.push(Tab {
            title: title.into(),
            url: url.into(),
            last_viewed,
            session: vec![],
            raw_session: Some(blob.to_vec()),
        });
        self
    }

    pub fn write_in(&self, root: &Path) -> PathBuf {
        let p = root.join(Self::LOGICAL_PATH);
        self.write(&p);
        p
    }

    pub fn write(&self, path: &Path) {
        let mut c = create(path);
        let legacy = self.variant == BrowserStateVariant::Legacy;
        c.execute_batch("CREATE TABLE browser_windows (id INTEGER PRIMARY KEY AUTOINCREMENT,uuid TEXT NOT NULL,type INTEGER DEFAULT 0,active_document_index INTEGER DEFAULT 0,active_private_document_index INTEGER DEFAULT 0,active_document_is_valid BOOL DEFAULT 1,tab_state_successfully_loaded BOOL DEFAULT 0,legacy_plist_file_version INTEGER DEFAULT 0, scene_id TEXT,CONSTRAINT uuid_type_index UNIQUE(uuid, type));").expect("schema");
        if legacy {
            c.execute_batch("CREATE TABLE tabs (id INTEGER PRIMARY KEY AUTOINCREMENT,uuid TEXT NOT NULL UNIQUE,title TEXT,url TEXT COLLATE NOCASE,user_visible_url TEXT COLLATE NOCASE,order_index INTEGER NOT NULL,last_viewed_time REAL DEFAULT NULL,readinglist_bookmark_id INTEGER DEFAULT 0,opened_from_link BOOL DEFAULT 0,showing_reader BOOL DEFAULT 0,reader_view_top_scroll_offset INTEGER DEFAULT 0,private_browsing BOOL DEFAULT 0,displaying_standalone_image BOOL DEFAULT 0,browser_window_uuid TEXT NOT NULL,browser_window_id INTEGER NOT NULL,session_data BLOB DEFAULT NULL,FOREIGN KEY(browser_window_id) REFERENCES browser_windows(id) ON DELETE CASCADE);").expect("schema");
        } else {
            c.execute_batch("CREATE TABLE tabs (id INTEGER PRIMARY KEY AUTOINCREMENT,uuid TEXT NOT NULL UNIQUE,title TEXT,url TEXT COLLATE NOCASE,user_visible_url TEXT COLLATE NOCASE,order_index INTEGER NOT NULL,last_viewed_time REAL DEFAULT NULL,readinglist_bookmark_id INTEGER DEFAULT 0,opened_from_link BOOL DEFAULT 0,showing_reader BOOL DEFAULT 0,reader_view_top_scroll_offset INTEGER DEFAULT 0,private_browsing BOOL DEFAULT 0,displaying_standalone_image BOOL DEFAULT 0,browser_window_uuid TEXT NOT NULL,browser_window_id INTEGER NOT NULL,FOREIGN KEY(browser_window_id) REFERENCES browser_windows(id) ON DELETE CASCADE);
CREATE TABLE tab_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT,tab_uuid TEXT NOT NULL UNIQUE,session_data BLOB DEFAULT NULL,uncompressed_session_data_size INTEGER NOT NULL DEFAULT 0,FOREIGN KEY(tab_uuid) REFERENCES tabs(uuid) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE INDEX tabs__uuid ON tabs (uuid);
CREATE INDEX tab_sessions__uuid ON tab_sessions (tab_uuid);").expect("schema");
        }
        let tx = c.transaction().expect("tx");
        tx.execute(
            "INSERT INTO browser_windows (uuid) VALUES ('8E2A6C3B-0000-4000-8000-000000000001')",
            [],
        )
        .expect("window");
        for (i, t) in self.tabs.iter().enumerate() {
            let uuid = format!("50EA13F9-44D1-4B88-A418-{:012X}", i + 1);
            let blob = t
                .raw_session
                .clone()
                .unwrap_or_else(|| safari_session_blob(&t.session));
            if legacy {
                tx.execute(
                    "INSERT INTO tabs (uuid, title, url, user_visible_url, order_index, last_viewed_time, browser_window_uuid, browser_window_id, session_data) VALUES (?1, ?2, ?3, ?3, ?4, ?5, '8E2A6C3B-0000-4000-8000-000000000001', 1, ?6)",
                    params![uuid, t.title, t.url, i as i64, mac_time(t.last_viewed), blob],
                )
                .expect("tab");
            } else {
                tx.execute(
                    "INSERT INTO tabs (uuid, title, url, user_visible_url, order_index, last_viewed_time, browser_window_uuid, browser_window_id) VALUES (?1, ?2, ?3, ?3, ?4, ?5, '8E2A6C3B-0000-4000-8000-000000000001', 1)",
                    params![uuid, t.title, t.url, i as i64, mac_time(t.last_viewed)],
                )
                .expect("tab");
                tx.execute(
                    "INSERT INTO tab_sessions (tab_uuid, session_data, uncompressed_session_data_size) VALUES (?1, ?2, ?3)",
                    params![uuid, blob, blob.len() as i64],
                )
                .expect("session");
            }
        }
        tx.commit().expect("commit");
        commit(c);
    }
}

// ---------------------------------------------------------------------------------------------------
// WebKit ResourceLoadStatistics observations.db
// ---------------------------------------------------------------------------------------------------

/// `observations.db` schema variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ObservationsVariant {
    /// With `mostRecentUserInteractionTime` (iOS 14+).
    #[default]
    Modern,
    /// Only the columns MVT requires plus the prevalence flags (older WebKit).
    Legacy,
}

/// Builder for `…/Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db`.
#[derive(Debug, Clone, Default)]
pub struct WebkitObservations {
    variant: ObservationsVariant,
    domains: Vec<(String, Timestamp, bool)>,
    redirects: Vec<(String, String)>,
}

impl WebkitObservations {
    pub const RELATIVE_PATH: &'static str =
        "Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db";

    pub fn new() -> Self {
        Self::default()
    }
    pub fn variant(mut self, v: ObservationsVariant) -> Self {
        self.variant = v;
        self
    }
    /// Plants an observed registrable domain.
    pub fn domain(
        mut self,
        registrable_domain: &str,
        last_seen: Timestamp,
        had_user_interaction: bool,
    ) -> Self {
        self.domains
            .push((registrable_domain.into(), last_seen, had_user_interaction));
        self
    }
    /// Plants a top-frame redirect between two planted domains.
    pub fn redirect(mut self, from: &str, to: &str) -> Self {
        self.redirects.push((from.into(), to.into()));
        self
    }
    /// Writes at `<root>/<backup domain>/Library/WebKit/…/observations.db`.
    pub fn write_in(&self, root: &Path, backup_domain: &str) -> PathBuf {
        let p = root.join(backup_domain).join(Self::RELATIVE_PATH);
        self.write(&p);
        p
    }

    pub fn write(&self, path: &Path) {
        let mut c = create(path);
        let od = match self.variant {
            ObservationsVariant::Modern => {
                "CREATE TABLE ObservedDomains (domainID INTEGER PRIMARY KEY, registrableDomain TEXT NOT NULL UNIQUE ON CONFLICT FAIL, lastSeen REAL NOT NULL, hadUserInteraction INTEGER NOT NULL, mostRecentUserInteractionTime REAL NOT NULL, grandfathered INTEGER NOT NULL, isPrevalent INTEGER NOT NULL, isVeryPrevalent INTEGER NOT NULL, dataRecordsRemoved INTEGER NOT NULL,timesAccessedAsFirstPartyDueToUserInteraction INTEGER NOT NULL, timesAccessedAsFirstPartyDueToStorageAccessAPI INTEGER NOT NULL,isScheduledForAllButCookieDataRemoval INTEGER NOT NULL);"
            }
            ObservationsVariant::Legacy => {
                "CREATE TABLE ObservedDomains (domainID INTEGER PRIMARY KEY, registrableDomain TEXT NOT NULL UNIQUE ON CONFLICT FAIL, lastSeen REAL NOT NULL, hadUserInteraction INTEGER NOT NULL, grandfathered INTEGER NOT NULL, isPrevalent INTEGER NOT NULL, isVeryPrevalent INTEGER NOT NULL, dataRecordsRemoved INTEGER NOT NULL,timesAccessedAsFirstPartyDueToUserInteraction INTEGER NOT NULL, timesAccessedAsFirstPartyDueToStorageAccessAPI INTEGER NOT NULL);"
            }
        };
        c.execute_batch(&format!("{od}
CREATE TABLE TopLevelDomains (topLevelDomainID INTEGER PRIMARY KEY, CONSTRAINT fkDomainID FOREIGN KEY(topLevelDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE);
CREATE TABLE TopFrameUniqueRedirectsTo (sourceDomainID INTEGER NOT NULL, toDomainID INTEGER NOT NULL, FOREIGN KEY(sourceDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE, FOREIGN KEY(toDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE);
CREATE TABLE TopFrameUniqueRedirectsFrom (targetDomainID INTEGER NOT NULL, fromDomainID INTEGER NOT NULL, FOREIGN KEY(targetDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE, FOREIGN KEY(fromDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE);
CREATE TABLE SubframeUnderTopFrameDomains (subFrameDomainID INTEGER NOT NULL, lastUpdated REAL NOT NULL, topFrameDomainID INTEGER NOT NULL, FOREIGN KEY(subFrameDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE, FOREIGN KEY(topFrameDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE);
CREATE TABLE SubresourceUnderTopFrameDomains (subresourceDomainID INTEGER NOT NULL, lastUpdated REAL NOT NULL, topFrameDomainID INTEGER NOT NULL, FOREIGN KEY(subresourceDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE, FOREIGN KEY(topFrameDomainID) REFERENCES ObservedDomains(domainID) ON DELETE CASCADE);
CREATE TABLE OperatingDates (year INTEGER NOT NULL, month INTEGER NOT NULL, monthDay INTEGER NOT NULL);")).expect("schema");
        let tx = c.transaction().expect("tx");
        for (i, (d, seen, ui)) in self.domains.iter().enumerate() {
            let id = i as i64 + 1;
            let secs = unix_secs(*seen).floor();
            match self.variant {
                ObservationsVariant::Modern => tx.execute(
                    "INSERT INTO ObservedDomains VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, 0, 0, 0, 0, 0)",
                    params![id, d, secs, *ui as i64, if *ui { secs } else { -1.0 }],
                ),
                ObservationsVariant::Legacy => tx.execute(
                    "INSERT INTO ObservedDomains VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, 0)",
                    params![id, d, secs, *ui as i64],
                ),
            }
            .expect("domain");
        }
        let id_of = |d: &str| {
            self.domains
                .iter()
                .position(|x| x.0 == d)
                .map(|i| i as i64 + 1)
        };
        for (from, to) in &self.redirects {
            if let (Some(a), Some(b)) = (id_of(from), id_of(to)) {
                tx.execute(
                    "INSERT INTO TopFrameUniqueRedirectsTo VALUES (?1, ?2)",
                    params![a, b],
                )
                .expect("redirect");
                tx.execute(
                    "INSERT INTO TopFrameUniqueRedirectsFrom VALUES (?1, ?2)",
                    params![b, a],
                )
                .expect("redirect");
            }
        }
        tx.commit().expect("commit");
        commit(c);
    }
}

// ---------------------------------------------------------------------------------------------------
// WebKit full_browsing_session_resourceLog.plist
// ---------------------------------------------------------------------------------------------------

/// One `browsingStatistics` entry of the resource log.
#[derive(Debug, Clone, Default)]
pub struct ResourceLogEntry {
    pub origin: String,
    pub redirects_to: Vec<String>,
    pub redirects_from: Vec<String>,
    pub subframe_under: Vec<String>,
    pub subresource_under: Vec<String>,
    pub had_user_interaction: bool,
    pub last_seen: Option<Timestamp>,
    pub most_recent_interaction: Option<Timestamp>,
}

impl ResourceLogEntry {
    pub fn new(origin: &str) -> Self {
        ResourceLogEntry {
            origin: origin.into(),
            ..Default::default()
        }
    }
    pub fn redirects_to(mut self, d: &str) -> Self {
        self.redirects_to.push(d.into());
        self
    }
    pub fn redirects_from(mut self, d: &str) -> Self {
        self.redirects_from.push(d.into());
        self
    }
    pub fn subframe_under(mut self, d: &str) -> Self {
        self.subframe_under.push(d.into());
        self
    }
    pub fn subresource_under(mut self, d: &str) -> Self {
        self.subresource_under.push(d.into());
        self
    }
    pub fn last_seen(mut self, t: Timestamp) -> Self {
        self.last_seen = Some(t);
        self
    }
    pub fn interaction(mut self, t: Timestamp) -> Self {
        self.had_user_interaction = true;
        self.most_recent_interaction = Some(t);
        self
    }
}

/// How the domain lists are encoded: arrays of `{origin: …}` dictionaries (WebKit's encoder), arrays of
/// `{domain: …}` (newer WebKit), or plain string arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResourceLogVariant {
    #[default]
    OriginDicts,
    DomainDicts,
    Strings,
}

/// Builder for `…/Library/WebKit/WebsiteData/ResourceLoadStatistics/full_browsing_session_resourceLog.plist`.
#[derive(Debug, Clone, Default)]
pub struct SessionResourceLog {
    variant: ResourceLogVariant,
    entries: Vec<ResourceLogEntry>,
}

fn plist_date(t: Timestamp) -> Value {
    let st =
        std::time::UNIX_EPOCH + std::time::Duration::from_nanos(t.as_nanosecond().max(0) as u64);
    Value::Date(plist::Date::from(st))
}

impl SessionResourceLog {
    pub const RELATIVE_PATH: &'static str =
        "Library/WebKit/WebsiteData/ResourceLoadStatistics/full_browsing_session_resourceLog.plist";

    pub fn new() -> Self {
        Self::default()
    }
    pub fn variant(mut self, v: ResourceLogVariant) -> Self {
        self.variant = v;
        self
    }
    pub fn entry(mut self, e: ResourceLogEntry) -> Self {
        self.entries.push(e);
        self
    }

    fn list(&self, items: &[String]) -> Value {
        Value::Array(
            items
                .iter()
                .map(|s| match self.variant {
                    ResourceLogVariant::Strings => Value::String(s.clone()),
                    v => {
                        let mut d = Dictionary::new();
                        let key = if v == ResourceLogVariant::DomainDicts {
                            "domain"
                        } else {
                            "origin"
                        };
                        d.insert(key.into(), Value::String(s.clone()));
                        Value::Dictionary(d)
                    }
                })
                .collect(),
        )
    }

    /// The plist as bytes (binary, as WebKit writes it).
    pub fn to_bytes(&self) -> Vec<u8> {
        let stats: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                let mut d = Dictionary::new();
                d.insert(
                    "PrevalentResourceOrigin".into(),
                    Value::String(e.origin.clone()),
                );
                d.insert(
                    "topFrameUniqueRedirectsTo".into(),
                    self.list(&e.redirects_to),
                );
                d.insert(
                    "topFrameUniqueRedirectsFrom".into(),
                    self.list(&e.redirects_from),
                );
                d.insert(
                    "subframeUnderTopFrameOrigins".into(),
                    self.list(&e.subframe_under),
                );
                d.insert(
                    "subresourceUnderTopFrameOrigins".into(),
                    self.list(&e.subresource_under),
                );
                d.insert(
                    "hadUserInteraction".into(),
                    Value::Boolean(e.had_user_interaction),
                );
                if let Some(t) = e.last_seen {
                    d.insert("lastSeen".into(), plist_date(t));
                }
                if let Some(t) = e.most_recent_interaction {
                    d.insert("mostRecentUserInteraction".into(), plist_date(t));
                }
                d.insert("isPrevalentResource".into(), Value::Boolean(false));
                Value::Dictionary(d)
            })
            .collect();
        let mut root = Dictionary::new();
        root.insert("version".into(), Value::Integer(15.into()));
        root.insert("browsingStatistics".into(), Value::Array(stats));
        let mut buf = Vec::new();
        plist::to_writer_binary(&mut buf, &Value::Dictionary(root)).expect("plist");
        buf
    }

    pub fn write_in(&self, root: &Path, backup_domain: &str) -> PathBuf {
        let p = root.join(backup_domain).join(Self::RELATIVE_PATH);
        self.write(&p);
        p
    }

    pub fn write(&self, path: &Path) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, self.to_bytes()).expect("write plist");
    }
}

// ---------------------------------------------------------------------------------------------------
// Chrome History and Favicons
// ---------------------------------------------------------------------------------------------------

/// Chrome database schema variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChromeVariant {
    /// Recent Chrome for iOS.
    #[default]
    Modern,
    /// Older Chrome: `urls.favicon_id`, fewer `visits` columns, no `favicon_bitmaps.last_requested`.
    Legacy,
}

/// Builder for Chrome for iOS' `History` database.
#[derive(Debug, Clone, Default)]
pub struct ChromeHistory {
    variant: ChromeVariant,
    visits: Vec<(String, String, Timestamp, i64)>,
}

impl ChromeHistory {
    pub const LOGICAL_PATH: &'static str =
        "AppDomain-com.google.chrome.ios/Library/Application Support/Google/Chrome/Default/History";

    pub fn new() -> Self {
        Self::default()
    }
    pub fn variant(mut self, v: ChromeVariant) -> Self {
        self.variant = v;
        self
    }
    /// Plants a visit (visit ids 1, 2, 3 …).
    pub fn visit(mut self, url: &str, title: &str, time: Timestamp) -> Self {
        self.visits.push((url.into(), title.into(), time, 0));
        self
    }
    /// Plants a visit that came from visit `from_visit`.
    pub fn visit_from(mut self, url: &str, title: &str, time: Timestamp, from_visit: i64) -> Self {
        self.visits
            .push((url.into(), title.into(), time, from_visit));
        self
    }
    pub fn write_in(&self, root: &Path) -> PathBuf {
        let p = root.join(Self::LOGICAL_PATH);
        self.write(&p);
        p
    }
    pub fn write(&self, path: &Path) {
        let mut c = create(path);
        let schema = match self.variant {
            ChromeVariant::Modern => "CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title LONGVARCHAR,visit_count INTEGER DEFAULT 0 NOT NULL,typed_count INTEGER DEFAULT 0 NOT NULL,last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT,url INTEGER NOT NULL,visit_time INTEGER NOT NULL,from_visit INTEGER,external_referrer_url TEXT,transition INTEGER DEFAULT 0 NOT NULL,segment_id INTEGER,visit_duration INTEGER DEFAULT 0 NOT NULL,incremented_omnibox_typed_score BOOLEAN DEFAULT FALSE NOT NULL,opener_visit INTEGER,originator_cache_guid TEXT,originator_visit_id INTEGER,originator_from_visit INTEGER,originator_opener_visit INTEGER,is_known_to_sync BOOLEAN DEFAULT FALSE NOT NULL,consider_for_ntp_most_visited BOOLEAN DEFAULT FALSE NOT NULL,visited_link_id INTEGER DEFAULT 0 NOT NULL,app_id TEXT);
CREATE INDEX visits_url_index ON visits (url);
CREATE INDEX visits_time_index ON visits (visit_time);
CREATE INDEX urls_url_index ON urls (url);",
            ChromeVariant::Legacy => "CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY,url LONGVARCHAR,title LONGVARCHAR,visit_count INTEGER DEFAULT 0 NOT NULL,typed_count INTEGER DEFAULT 0 NOT NULL,last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL,favicon_id INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY,url INTEGER NOT NULL,visit_time INTEGER NOT NULL,from_visit INTEGER,transition INTEGER DEFAULT 0 NOT NULL,segment_id INTEGER,visit_duration INTEGER DEFAULT 0 NOT NULL);
CREATE INDEX visits_url_index ON visits (url);
CREATE INDEX visits_time_index ON visits (visit_time);",
        };
        c.execute_batch(schema).expect("schema");
        let tx = c.transaction().expect("tx");
        {
            let mut ids: std::collections::HashMap<&str, i64> = Default::default();
            let mut ins_url = tx
                .prepare("INSERT INTO urls (url, title, visit_count, typed_count, last_visit_time, hidden) VALUES (?1, ?2, 1, 0, ?3, 0)")
                .expect("prepare");
            let mut ins_visit = tx
                .prepare("INSERT INTO visits (id, url, visit_time, from_visit, transition, segment_id, visit_duration) VALUES (?1, ?2, ?3, ?4, 805306368, 0, 0)")
                .expect("prepare");
            for (i, (url, title, t, from)) in self.visits.iter().enumerate() {
                let uid = match ids.get(url.as_str()) {
                    Some(id) => *id,
                    None => {
                        ins_url
                            .execute(params![url, title, webkit_time(*t)])
                            .expect("url");
                        let id = tx.last_insert_rowid();
                        ids.insert(url.as_str(), id);
                        id
                    }
                };
                ins_visit
                    .execute(params![i as i64 + 1, uid, webkit_time(*t), from])
                    .expect("visit");
            }
        }
        tx.commit().expect("commit");
        commit(c);
    }
}

/// Builder for Chrome for iOS' `Favicons` database.
#[derive(Debug, Clone, Default)]
pub struct ChromeFavicons {
    variant: ChromeVariant,
    icons: Vec<(String, String, Timestamp)>,
}

impl ChromeFavicons {
    pub const LOGICAL_PATH: &'static str = "AppDomain-com.google.chrome.ios/Library/Application Support/Google/Chrome/Default/Favicons";

    pub fn new() -> Self {
        Self::default()
    }
    pub fn variant(mut self, v: ChromeVariant) -> Self {
        self.variant = v;
        self
    }
    /// Plants a page → icon mapping with the icon's last update time.
    pub fn icon(mut self, page_url: &str, icon_url: &str, last_updated: Timestamp) -> Self {
        self.icons
            .push((page_url.into(), icon_url.into(), last_updated));
        self
    }
    pub fn write_in(&self, root: &Path) -> PathBuf {
        let p = root.join(Self::LOGICAL_PATH);
        self.write(&p);
        p
    }
    pub fn write(&self, path: &Path) {
        let mut c = create(path);
        let bitmaps = match self.variant {
            ChromeVariant::Modern => {
                "CREATE TABLE favicon_bitmaps(id INTEGER PRIMARY KEY,icon_id INTEGER NOT NULL,last_updated INTEGER DEFAULT 0,image_data BLOB,width INTEGER DEFAULT 0,height INTEGER DEFAULT 0,last_requested INTEGER DEFAULT 0);"
            }
            ChromeVariant::Legacy => {
                "CREATE TABLE favicon_bitmaps(id INTEGER PRIMARY KEY,icon_id INTEGER NOT NULL,last_updated INTEGER DEFAULT 0,image_data BLOB,width INTEGER DEFAULT 0,height INTEGER DEFAULT 0);"
            }
        };
        c.execute_batch(&format!(
            "CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE icon_mapping(id INTEGER PRIMARY KEY,page_url LONGVARCHAR NOT NULL,icon_id INTEGER);
CREATE TABLE favicons(id INTEGER PRIMARY KEY,url LONGVARCHAR NOT NULL,icon_type INTEGER DEFAULT 1);
{bitmaps}
CREATE INDEX icon_mapping_page_url_idx ON icon_mapping(page_url);
CREATE INDEX icon_mapping_icon_id_idx ON icon_mapping(icon_id);
CREATE INDEX favicons_url ON favicons(url);
CREATE INDEX favicon_bitmaps_icon_id ON favicon_bitmaps(icon_id);"
        ))
        .expect("schema");
        let tx = c.transaction().expect("tx");
        for (i, (page, icon, t)) in self.icons.iter().enumerate() {
            let id = i as i64 + 1;
            tx.execute(
                "INSERT INTO favicons (id, url, icon_type) VALUES (?1, ?2, 1)",
                params![id, icon],
            )
            .expect("icon");
            tx.execute(
                "INSERT INTO favicon_bitmaps (id, icon_id, last_updated, image_data, width, height) VALUES (?1, ?1, ?2, X'89504E47', 16, 16)",
                params![id, webkit_time(*t)],
            )
            .expect("bitmap");
            tx.execute(
                "INSERT INTO icon_mapping (id, page_url, icon_id) VALUES (?1, ?2, ?1)",
                params![id, page],
            )
            .expect("mapping");
        }
        tx.commit().expect("commit");
        commit(c);
    }
}

// ---------------------------------------------------------------------------------------------------
// Firefox for iOS browser.db
// ---------------------------------------------------------------------------------------------------

/// Firefox `browser.db` schema variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FirefoxVariant {
    /// Schema ≥ 6: `history.domain_id` and a `domains` table.
    #[default]
    Modern,
    /// Schema < 6: no `domains`.
    Legacy,
}

/// Builder for `AppDomainGroup-group.org.mozilla.ios.Firefox/profile.profile/browser.db`.
#[derive(Debug, Clone, Default)]
pub struct FirefoxBrowser {
    variant: FirefoxVariant,
    visits: Vec<(String, String, Timestamp)>,
    favicons: Vec<(String, String, Timestamp)>,
}

impl FirefoxBrowser {
    pub const LOGICAL_PATH: &'static str =
        "AppDomainGroup-group.org.mozilla.ios.Firefox/profile.profile/browser.db";

    pub fn new() -> Self {
        Self::default()
    }
    pub fn variant(mut self, v: FirefoxVariant) -> Self {
        self.variant = v;
        self
    }
    pub fn visit(mut self, url: &str, title: &str, time: Timestamp) -> Self {
        self.visits.push((url.into(), title.into(), time));
        self
    }
    /// Plants a favicon `icon_url` for the page `page_url` (added to history when not visited).
    pub fn favicon(mut self, page_url: &str, icon_url: &str, date: Timestamp) -> Self {
        self.favicons.push((page_url.into(), icon_url.into(), date));
        self
    }
    pub fn write_in(&self, root: &Path) -> PathBuf {
        let p = root.join(Self::LOGICAL_PATH);
        self.write(&p);
        p
    }
    pub fn write(&self, path: &Path) {
        let mut c = create(path);
        let modern = self.variant == FirefoxVariant::Modern;
        let domains = if modern {
            "CREATE TABLE IF NOT EXISTS domains (id INTEGER PRIMARY KEY AUTOINCREMENT, domain TEXT NOT NULL UNIQUE, showOnTopSites TINYINT NOT NULL DEFAULT 1);"
        } else {
            ""
        };
        let domain_col = if modern {
            ", domain_id INTEGER REFERENCES domains(id) ON DELETE CASCADE"
        } else {
            ""
        };
        c.execute_batch(&format!("{domains}
CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT NOT NULL UNIQUE, url TEXT UNIQUE, title TEXT NOT NULL, server_modified INTEGER, local_modified INTEGER, is_deleted TINYINT NOT NULL, should_upload TINYINT NOT NULL{domain_col}, CONSTRAINT urlOrDeleted CHECK (url IS NOT NULL OR is_deleted = 1));
CREATE TABLE IF NOT EXISTS favicons (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL UNIQUE, width INTEGER, height INTEGER, type INTEGER NOT NULL, date REAL NOT NULL);
CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY AUTOINCREMENT, siteID INTEGER NOT NULL REFERENCES history(id) ON DELETE CASCADE, date REAL NOT NULL, type INTEGER NOT NULL, is_local TINYINT NOT NULL, UNIQUE (siteID, date, type));
CREATE TABLE IF NOT EXISTS favicon_sites (id INTEGER PRIMARY KEY AUTOINCREMENT, siteID INTEGER NOT NULL REFERENCES history(id) ON DELETE CASCADE, faviconID INTEGER NOT NULL REFERENCES favicons(id) ON DELETE CASCADE, UNIQUE (siteID, faviconID));
CREATE INDEX IF NOT EXISTS idx_visits_siteID_is_local_date ON visits (siteID, is_local, date);")).expect("schema");
        let tx = c.transaction().expect("tx");
        {
            let mut sites: std::collections::HashMap<String, i64> = Default::default();
            let mut site = |url: &str, title: &str, t: Timestamp| -> i64 {
                if let Some(id) = sites.get(url) {
                    return *id;
                }
                let guid = format!("guid{:08}", sites.len() + 1);
                let ms = t.as_millisecond();
                if modern {
                    let host = url
                        .split("://")
                        .nth(1)
                        .and_then(|r| r.split(['/', '?', '#', ':']).next())
                        .unwrap_or("");
                    tx.execute(
                        "INSERT OR IGNORE INTO domains (domain) VALUES (?1)",
                        params![host],
                    )
                    .expect("domain");
                    tx.execute(
                        "INSERT INTO history (guid, url, title, local_modified, is_deleted, should_upload, domain_id) VALUES (?1, ?2, ?3, ?4, 0, 1, (SELECT id FROM domains WHERE domain = ?5))",
                        params![guid, url, title, ms, host],
                    )
                    .expect("history");
                } else {
                    tx.execute(
                        "INSERT INTO history (guid, url, title, local_modified, is_deleted, should_upload) VALUES (?1, ?2, ?3, ?4, 0, 1)",
                        params![guid, url, title, ms],
                    )
                    .expect("history");
                }
                let id = tx.last_insert_rowid();
                sites.insert(url.to_string(), id);
                id
            };
            let mut visit_rows = Vec::new();
            for (url, title, t) in &self.visits {
                visit_rows.push((site(url, title, *t), *t));
            }
            let mut icon_rows = Vec::new();
            for (page, icon, t) in &self.favicons {
                icon_rows.push((site(page, "", *t), icon.clone(), *t));
            }
            for (sid, t) in visit_rows {
                tx.execute(
                    "INSERT OR IGNORE INTO visits (siteID, date, type, is_local) VALUES (?1, ?2, 1, 1)",
                    params![sid, unix_us(t) as f64],
                )
                .expect("visit");
            }
            for (sid, icon, t) in icon_rows {
                tx.execute(
                    "INSERT OR IGNORE INTO favicons (url, width, height, type, date) VALUES (?1, 32, 32, 1, ?2)",
                    params![icon, unix_secs(t)],
                )
                .expect("favicon");
                tx.execute(
                    "INSERT OR IGNORE INTO favicon_sites (siteID, faviconID) VALUES (?1, (SELECT id FROM favicons WHERE url = ?2))",
                    params![sid, icon],
                )
                .expect("favicon_sites");
            }
        }
        tx.commit().expect("commit");
        commit(c);
    }
}

// ---------------------------------------------------------------------------------------------------
// WhatsApp ChatStorage.sqlite
// ---------------------------------------------------------------------------------------------------

/// `ChatStorage.sqlite` schema variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhatsappVariant {
    /// With `ZWAMESSAGEDATAITEM` (link previews) and `ZWAPHONENUMBERLIDPAIR`.
    #[default]
    Modern,
    /// Older WhatsApp: no `ZWAMESSAGEDATAITEM`, no LID pairs.
    Legacy,
}

#[derive(Debug, Clone)]
struct WaMessage {
    chat: i64,
    from_jid: Option<String>,
    to_jid: Option<String>,
    text: Option<String>,
    time: Timestamp,
    from_me: bool,
    media_url: Option<String>,
    preview: Option<(String, String)>,
}

/// Builder for `AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ChatStorage.sqlite`.
#[derive(Debug, Clone, Default)]
pub struct WhatsappChatStorage {
    variant: WhatsappVariant,
    chats: Vec<(String, String, Option<Timestamp>)>,
    messages: Vec<WaMessage>,
    lid_pairs: Vec<(String, String, Timestamp)>,
}

impl WhatsappChatStorage {
    pub const LOGICAL_PATH: &'static str =
        "AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ChatStorage.sqlite";

    pub fn new() -> Self {
        Self::default()
    }
    pub fn variant(mut self, v: WhatsappVariant) -> Self {
        self.variant = v;
        self
    }
    /// Plants a chat session (ids 1, 2, 3 …). Group chats have a `…@g.us` jid.
    pub fn chat(mut self, contact_jid: &str, partner_name: &str) -> Self {
        self.chats
            .push((contact_jid.into(), partner_name.into(), None));
        self
    }
    /// Plants a group chat with its creation time.
    pub fn group(mut self, group_jid: &str, subject: &str, created: Timestamp) -> Self {
        self.chats
            .push((group_jid.into(), subject.into(), Some(created)));
        self
    }
    /// Plants a received message in chat `chat` (message ids 1, 2, 3 …).
    pub fn received(mut self, chat: i64, text: &str, time: Timestamp) -> Self {
        let from = self.chats.get((chat - 1) as usize).map(|c| c.0.clone());
        self.messages.push(WaMessage {
            chat,
            from_jid: from,
            to_jid: None,
            text: Some(text.into()),
            time,
            from_me: false,
            media_url: None,
            preview: None,
        });
        self
    }
    /// Plants a sent message in chat `chat`.
    pub fn sent(mut self, chat: i64, text: &str, time: Timestamp) -> Self {
        let to = self.chats.get((chat - 1) as usize).map(|c| c.0.clone());
        self.messages.push(WaMessage {
            chat,
            from_jid: None,
            to_jid: to,
            text: Some(text.into()),
            time,
            from_me: true,
            media_url: None,
            preview: None,
        });
        self
    }
    /// Attaches a media item with `url` to the last planted message.
    pub fn with_media(mut self, url: &str) -> Self {
        if let Some(m) = self.messages.last_mut() {
            m.media_url = Some(url.into());
        }
        self
    }
    /// Attaches a link preview (`ZWAMESSAGEDATAITEM`: url in ZCONTENT1/ZMATCHEDTEXT, title) to the last message.
    pub fn with_preview(mut self, url: &str, title: &str) -> Self {
        if let Some(m) = self.messages.last_mut() {
            m.preview = Some((url.into(), title.into()));
        }
        self
    }
    /// Plants an LID ↔ phone number pair (modern variant).
    pub fn lid_pair(mut self, lid: &str, phone_number: &str, time: Timestamp) -> Self {
        self.lid_pairs.push((lid.into(), phone_number.into(), time));
        self
    }
    pub fn write_in(&self, root: &Path) -> PathBuf {
        let p = root.join(Self::LOGICAL_PATH);
        self.write(&p);
        p
    }
    pub fn write(&self, path: &Path) {
        let mut c = create(path);
        let modern = self.variant == WhatsappVariant::Modern;
        c.execute_batch("CREATE TABLE ZWACHATSESSION ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZARCHIVED INTEGER, ZCONTACTABID INTEGER, ZFLAGS INTEGER, ZHIDDEN INTEGER, ZIDENTITYVERIFICATIONEPOCH INTEGER, ZIDENTITYVERIFICATIONSTATE INTEGER, ZMESSAGECOUNTER INTEGER, ZREMOVED INTEGER, ZSESSIONTYPE INTEGER, ZSPOTLIGHTSTATUS INTEGER, ZUNREADCOUNT INTEGER, ZGROUPINFO INTEGER, ZLASTMESSAGE INTEGER, ZPROPERTIES INTEGER, ZLASTMESSAGEDATE TIMESTAMP, ZLOCATIONSHARINGENDDATE TIMESTAMP, ZCONTACTIDENTIFIER VARCHAR, ZCONTACTJID VARCHAR, ZETAG VARCHAR, ZLASTMESSAGETEXT VARCHAR, ZPARTNERNAME VARCHAR, ZSAVEDINPUT VARCHAR );
CREATE TABLE ZWAGROUPINFO ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZSTATE INTEGER, ZCHATSESSION INTEGER, ZLASTMESSAGEOWNER INTEGER, ZPRIMARYADMIN INTEGER, ZCREATIONDATE TIMESTAMP, ZSUBJECTTIMESTAMP TIMESTAMP, ZCREATORJID VARCHAR, ZOWNERJID VARCHAR, ZPICTUREID VARCHAR, ZPICTUREPATH VARCHAR, ZSOURCEJID VARCHAR, ZSUBJECTOWNERJID VARCHAR );
CREATE TABLE ZWAGROUPMEMBER ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCONTACTABID INTEGER, ZISACTIVE INTEGER, ZISADMIN INTEGER, ZSENDERKEYSENT INTEGER, ZCHATSESSION INTEGER, ZRECENTGROUPCHAT INTEGER, ZCONTACTIDENTIFIER VARCHAR, ZCONTACTNAME VARCHAR, ZFIRSTNAME VARCHAR, ZMEMBERJID VARCHAR );
CREATE TABLE ZWAMESSAGE ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCHILDMESSAGESDELIVEREDCOUNT INTEGER, ZCHILDMESSAGESPLAYEDCOUNT INTEGER, ZCHILDMESSAGESREADCOUNT INTEGER, ZDATAITEMVERSION INTEGER, ZDOCID INTEGER, ZENCRETRYCOUNT INTEGER, ZFILTEREDRECIPIENTCOUNT INTEGER, ZFLAGS INTEGER, ZGROUPEVENTTYPE INTEGER, ZISFROMME INTEGER, ZMESSAGEERRORSTATUS INTEGER, ZMESSAGESTATUS INTEGER, ZMESSAGETYPE INTEGER, ZSORT INTEGER, ZSPOTLIGHTSTATUS INTEGER, ZSTARRED INTEGER, ZCHATSESSION INTEGER, ZGROUPMEMBER INTEGER, ZLASTSESSION INTEGER, ZMEDIAITEM INTEGER, ZMESSAGEINFO INTEGER, ZPARENTMESSAGE INTEGER, ZMESSAGEDATE TIMESTAMP, ZSENTDATE TIMESTAMP, ZFROMJID VARCHAR, ZMEDIASECTIONID VARCHAR, ZPHASH VARCHAR, ZPUSHNAME VARCHAR, ZSTANZAID VARCHAR, ZTEXT VARCHAR, ZTOJID VARCHAR );
CREATE TABLE ZWAMEDIAITEM ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCLOUDSTATUS INTEGER, ZFILESIZE INTEGER, ZMEDIAORIGIN INTEGER, ZMOVIEDURATION INTEGER, ZMESSAGE INTEGER, ZASPECTRATIO FLOAT, ZHACCURACY FLOAT, ZLATITUDE FLOAT, ZLONGITUDE FLOAT, ZMEDIAURLDATE TIMESTAMP, ZAUTHORNAME VARCHAR, ZCOLLECTIONNAME VARCHAR, ZMEDIALOCALPATH VARCHAR, ZMEDIAURL VARCHAR, ZTHUMBNAILLOCALPATH VARCHAR, ZTITLE VARCHAR, ZVCARDNAME VARCHAR, ZVCARDSTRING VARCHAR, ZXMPPTHUMBPATH VARCHAR, ZMEDIAKEY BLOB, ZMETADATA BLOB );
CREATE INDEX ZWAMESSAGE_ZCHATSESSION_INDEX ON ZWAMESSAGE (ZCHATSESSION);
CREATE INDEX ZWAMEDIAITEM_ZMESSAGE_INDEX ON ZWAMEDIAITEM (ZMESSAGE);").expect("schema");
        if modern {
            c.execute_batch("CREATE TABLE ZWAMESSAGEDATAITEM ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZINDEX INTEGER, ZMESSAGE INTEGER, ZDATE TIMESTAMP, ZCONTENT1 VARCHAR, ZCONTENT2 VARCHAR, ZMATCHEDTEXT VARCHAR, ZSECTIONID VARCHAR, ZSENDERJID VARCHAR, ZSUMMARY VARCHAR, ZTITLE VARCHAR, ZTYPE VARCHAR, ZMETADATA BLOB );
CREATE TABLE ZWAPHONENUMBERLIDPAIR ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZTIMESTAMP TIMESTAMP, ZLID VARCHAR, ZPHONENUMBER VARCHAR );
CREATE INDEX ZWAMESSAGEDATAITEM_ZMESSAGE_INDEX ON ZWAMESSAGEDATAITEM (ZMESSAGE);").expect("schema");
        }
        let tx = c.transaction().expect("tx");
        {
            for (i, (jid, name, created)) in self.chats.iter().enumerate() {
                let id = i as i64 + 1;
                let count = self.messages.iter().filter(|m| m.chat == id).count() as i64;
                let last = self
                    .messages
                    .iter()
                    .filter(|m| m.chat == id)
                    .map(|m| m.time)
                    .max();
                let group = if created.is_some() { Some(id) } else { None };
                tx.execute(
                    "INSERT INTO ZWACHATSESSION (Z_PK, Z_ENT, Z_OPT, ZARCHIVED, ZHIDDEN, ZMESSAGECOUNTER, ZREMOVED, ZSESSIONTYPE, ZUNREADCOUNT, ZGROUPINFO, ZLASTMESSAGEDATE, ZCONTACTJID, ZPARTNERNAME) VALUES (?1, 5, 1, 0, 0, ?2, 0, ?3, 0, ?4, ?5, ?6, ?7)",
                    params![id, count, if created.is_some() { 1 } else { 0 }, group, last.map(mac_time), jid, name],
                )
                .expect("chat");
                if let Some(t) = created {
                    tx.execute(
                        "INSERT INTO ZWAGROUPINFO (Z_PK, Z_ENT, Z_OPT, ZSTATE, ZCHATSESSION, ZCREATIONDATE, ZCREATORJID) VALUES (?1, 3, 1, 0, ?1, ?2, NULL)",
                        params![id, mac_time(*t)],
                    )
                    .expect("group");
                }
            }
            let mut ins = tx
                .prepare("INSERT INTO ZWAMESSAGE (Z_PK, Z_ENT, Z_OPT, ZISFROMME, ZMESSAGESTATUS, ZMESSAGETYPE, ZSORT, ZCHATSESSION, ZMEDIAITEM, ZMESSAGEDATE, ZSENTDATE, ZFROMJID, ZSTANZAID, ZTEXT, ZTOJID) VALUES (?1, 9, 1, ?2, ?3, ?4, ?1, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11)")
                .expect("prepare");
            for (i, m) in self.messages.iter().enumerate() {
                let id = i as i64 + 1;
                let media = m.media_url.as_ref().map(|_| id);
                let mtype = if m.media_url.is_some() { 1 } else { 0 };
                ins.execute(params![
                    id,
                    m.from_me as i64,
                    if m.from_me { 8 } else { 6 },
                    mtype,
                    m.chat,
                    media,
                    mac_time(m.time),
                    m.from_jid,
                    format!("3EB0{:016X}", id),
                    m.text,
                    m.to_jid
                ])
                .expect("message");
                if let Some(u) = &m.media_url {
                    tx.execute(
                        "INSERT INTO ZWAMEDIAITEM (Z_PK, Z_ENT, Z_OPT, ZFILESIZE, ZMESSAGE, ZMEDIAURL, ZMEDIALOCALPATH) VALUES (?1, 7, 1, 1024, ?1, ?2, ?3)",
                        params![id, u, format!("Media/{id}.jpg")],
                    )
                    .expect("media");
                }
                if let (Some((u, title)), true) = (&m.preview, modern) {
                    tx.execute(
                        "INSERT INTO ZWAMESSAGEDATAITEM (Z_PK, Z_ENT, Z_OPT, ZINDEX, ZMESSAGE, ZCONTENT1, ZMATCHEDTEXT, ZTITLE, ZTYPE) VALUES (?1, 8, 1, 0, ?1, ?2, ?2, ?3, 'link')",
                        params![id, u, title],
                    )
                    .expect("preview");
                }
            }
            if modern {
                for (i, (lid, phone, t)) in self.lid_pairs.iter().enumerate() {
                    tx.execute(
                        "INSERT INTO ZWAPHONENUMBERLIDPAIR VALUES (?1, 1, 1, ?2, ?3, ?4)",
                        params![i as i64 + 1, mac_time(*t), lid, phone],
                    )
                    .expect("lid");
                }
            }
        }
        tx.commit().expect("commit");
        commit(c);
    }
}

// ---------------------------------------------------------------------------------------------------
// WhatsApp ContactsV2.sqlite
// ---------------------------------------------------------------------------------------------------

/// `ContactsV2.sqlite` schema variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhatsappContactsVariant {
    /// Current: LID, usernames, disappearing-mode columns, `ZPHONESTATUS`; strings stored as BLOBs.
    #[default]
    Modern,
    /// Older: no LID/username/disappearing-mode/about-expiration columns, `ZPHONENUMBERSTATUS`, TEXT strings.
    Legacy,
}

/// One planted WhatsApp contact.
#[derive(Debug, Clone, Default)]
pub struct WaContact {
    pub full_name: String,
    pub phone_number: String,
    pub whatsapp_id: String,
    pub about_text: Option<String>,
    pub about_time: Option<Timestamp>,
    pub business_name: Option<String>,
    pub notes: Option<String>,
    pub disappearing_seconds: Option<i64>,
    pub disappearing_time: Option<Timestamp>,
    pub last_updated: Option<Timestamp>,
}

impl WaContact {
    pub fn new(full_name: &str, phone_number: &str) -> Self {
        let digits: String = phone_number
            .chars()
            .filter(|c| c.is_ascii_digit())
            .collect();
        WaContact {
            full_name: full_name.into(),
            phone_number: phone_number.into(),
            whatsapp_id: format!("{digits}@s.whatsapp.net"),
            ..Default::default()
        }
    }
    pub fn about(mut self, text: &str, at: Timestamp) -> Self {
        self.about_text = Some(text.into());
        self.about_time = Some(at);
        self
    }
    pub fn business(mut self, name: &str) -> Self {
        self.business_name = Some(name.into());
        self
    }
    pub fn notes(mut self, n: &str) -> Self {
        self.notes = Some(n.into());
        self
    }
    pub fn disappearing(mut self, seconds: i64, at: Timestamp) -> Self {
        self.disappearing_seconds = Some(seconds);
        self.disappearing_time = Some(at);
        self
    }
    pub fn updated(mut self, at: Timestamp) -> Self {
        self.last_updated = Some(at);
        self
    }
}

/// Builder for `AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ContactsV2.sqlite`.
#[derive(Debug, Clone, Default)]
pub struct WhatsappContacts {
    variant: WhatsappContactsVariant,
    contacts: Vec<WaContact>,
}

impl WhatsappContacts {
    pub const LOGICAL_PATH: &'static str =
        "AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ContactsV2.sqlite";

    pub fn new() -> Self {
        Self::default()
    }
    pub fn variant(mut self, v: WhatsappContactsVariant) -> Self {
        self.variant = v;
        self
    }
    pub fn contact(mut self, c: WaContact) -> Self {
        self.contacts.push(c);
        self
    }
    pub fn write_in(&self, root: &Path) -> PathBuf {
        let p = root.join(Self::LOGICAL_PATH);
        self.write(&p);
        p
    }
    pub fn write(&self, path: &Path) {
        let mut c = create(path);
        let modern = self.variant == WhatsappContactsVariant::Modern;
        if modern {
            c.execute_batch("CREATE TABLE ZWAADDRESSBOOKCONTACT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZFULLNAME BLOB, ZGIVENNAME BLOB, ZLASTNAME BLOB, ZUSERNAME BLOB, ZBUSINESSNAME BLOB, ZPHONENUMBER BLOB, ZLOCALIZEDPHONENUMBER BLOB, ZWHATSAPPID BLOB, ZLID BLOB, ZABOUTTEXT BLOB, ZABOUTEMOJI BLOB, ZNOTES BLOB, ZDISAPPEARINGMODEDURATION REAL, ZDISAPPEARINGMODETIMESTAMP REAL, ZABOUTTIMESTAMP REAL, ZABOUTEXPIRATIONTIMESTAMP REAL, ZLASTUPDATED REAL, ZPHONESTATUS INTEGER, ZSYNCPOLICY INTEGER );").expect("schema");
        } else {
            c.execute_batch("CREATE TABLE ZWAADDRESSBOOKCONTACT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZPHONENUMBERSTATUS INTEGER, ZABOUTTIMESTAMP TIMESTAMP, ZLASTUPDATED TIMESTAMP, ZABOUTTEXT VARCHAR, ZBUSINESSNAME VARCHAR, ZFULLNAME VARCHAR, ZGIVENNAME VARCHAR, ZLASTNAME VARCHAR, ZLOCALIZEDPHONENUMBER VARCHAR, ZPHONENUMBER VARCHAR, ZWHATSAPPID VARCHAR );").expect("schema");
        }
        let tx = c.transaction().expect("tx");
        for (i, k) in self.contacts.iter().enumerate() {
            let id = i as i64 + 1;
            let given = k
                .full_name
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string();
            let last = k
                .full_name
                .split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ");
            if modern {
                let b = |s: &str| s.as_bytes().to_vec();
                let ob = |s: &Option<String>| s.as_ref().map(|x| x.as_bytes().to_vec());
                tx.execute(
                    "INSERT INTO ZWAADDRESSBOOKCONTACT (Z_PK, Z_ENT, Z_OPT, ZFULLNAME, ZGIVENNAME, ZLASTNAME, ZBUSINESSNAME, ZPHONENUMBER, ZLOCALIZEDPHONENUMBER, ZWHATSAPPID, ZABOUTTEXT, ZNOTES, ZDISAPPEARINGMODEDURATION, ZDISAPPEARINGMODETIMESTAMP, ZABOUTTIMESTAMP, ZLASTUPDATED, ZPHONESTATUS, ZSYNCPOLICY) VALUES (?1, 2, 1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, 0)",
                    params![
                        id,
                        b(&k.full_name),
                        b(&given),
                        b(&last),
                        ob(&k.business_name),
                        b(&k.phone_number),
                        b(&k.whatsapp_id),
                        ob(&k.about_text),
                        ob(&k.notes),
                        k.disappearing_seconds.map(|s| s as f64).unwrap_or(0.0),
                        k.disappearing_time.map(mac_time),
                        k.about_time.map(mac_time),
                        k.last_updated.map(mac_time),
                    ],
                )
                .expect("contact");
            } else {
                tx.execute(
                    "INSERT INTO ZWAADDRESSBOOKCONTACT (Z_PK, Z_ENT, Z_OPT, ZPHONENUMBERSTATUS, ZABOUTTIMESTAMP, ZLASTUPDATED, ZABOUTTEXT, ZBUSINESSNAME, ZFULLNAME, ZGIVENNAME, ZLASTNAME, ZLOCALIZEDPHONENUMBER, ZPHONENUMBER, ZWHATSAPPID) VALUES (?1, 2, 1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
                    params![
                        id,
                        k.about_time.map(mac_time),
                        k.last_updated.map(mac_time),
                        k.about_text,
                        k.business_name,
                        k.full_name,
                        given,
                        last,
                        k.phone_number,
                        k.whatsapp_id
                    ],
                )
                .expect("contact");
            }
        }
        tx.commit().expect("commit");
        commit(c);
    }
}

// ---------------------------------------------------------------------------------------------------
// Shortcuts.sqlite
// ---------------------------------------------------------------------------------------------------

/// `Shortcuts.sqlite` schema variants (how ZSHORTCUT and ZSHORTCUTACTIONS are linked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShortcutsVariant {
    /// Both sides of the relationship: `ZSHORTCUT.ZACTIONS` and `ZSHORTCUTACTIONS.ZSHORTCUT`.
    #[default]
    Modern,
    /// Only `ZSHORTCUT.ZACTIONS` points at the actions row.
    ActionsPointer,
}

/// One action of a planted shortcut: identifier and parameters (a plist dictionary).
#[derive(Debug, Clone)]
pub struct ShortcutAction {
    pub identifier: String,
    pub parameters: Dictionary,
}

impl ShortcutAction {
    pub fn new(identifier: &str) -> Self {
        ShortcutAction {
            identifier: identifier.into(),
            parameters: Dictionary::new(),
        }
    }
    pub fn param(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.parameters.insert(key.into(), value.into());
        self
    }
    /// `is.workflow.actions.openurl` with `WFInput` = url (as a text token, as Shortcuts stores it).
    pub fn open_url(url: &str) -> Self {
        let mut inner = Dictionary::new();
        inner.insert("string".into(), Value::String(url.into()));
        inner.insert(
            "attachmentsByRange".into(),
            Value::Dictionary(Dictionary::new()),
        );
        let mut tok = Dictionary::new();
        tok.insert("Value".into(), Value::Dictionary(inner));
        tok.insert(
            "WFSerializationType".into(),
            Value::String("WFTextTokenString".into()),
        );
        ShortcutAction::new("is.workflow.actions.openurl").param("WFInput", Value::Dictionary(tok))
    }
    /// `is.workflow.actions.downloadurl` (Get Contents of URL) with `WFURL`.
    pub fn download_url(url: &str) -> Self {
        ShortcutAction::new("is.workflow.actions.downloadurl")
            .param("WFURL", Value::String(url.into()))
            .param("WFHTTPMethod", Value::String("GET".into()))
    }
    /// `is.workflow.actions.url` with `WFURLActionURL`.
    pub fn url(url: &str) -> Self {
        ShortcutAction::new("is.workflow.actions.url")
            .param("WFURLActionURL", Value::String(url.into()))
    }
    /// `is.workflow.actions.comment` with text.
    pub fn comment(text: &str) -> Self {
        ShortcutAction::new("is.workflow.actions.comment")
            .param("WFCommentActionText", Value::String(text.into()))
    }
}

/// Encodes actions as `ZSHORTCUTACTIONS.ZDATA` (a binary plist array of action dictionaries).
pub fn shortcut_actions_blob(actions: &[ShortcutAction]) -> Vec<u8> {
    let arr: Vec<Value> = actions
        .iter()
        .map(|a| {
            let mut d = Dictionary::new();
            d.insert(
                "WFWorkflowActionIdentifier".into(),
                Value::String(a.identifier.clone()),
            );
            d.insert(
                "WFWorkflowActionParameters".into(),
                Value::Dictionary(a.parameters.clone()),
            );
            Value::Dictionary(d)
        })
        .collect();
    let mut buf = Vec::new();
    plist::to_writer_binary(&mut buf, &Value::Array(arr)).expect("plist");
    buf
}

#[derive(Debug, Clone)]
struct Shortcut {
    name: String,
    description: Option<String>,
    created: Timestamp,
    modified: Timestamp,
    data: Option<Vec<u8>>,
    count: usize,
}

/// Builder for `HomeDomain/Library/Shortcuts/Shortcuts.sqlite`.
#[derive(Debug, Clone, Default)]
pub struct Shortcuts {
    variant: ShortcutsVariant,
    shortcuts: Vec<Shortcut>,
}

impl Shortcuts {
    pub const LOGICAL_PATH: &'static str = "HomeDomain/Library/Shortcuts/Shortcuts.sqlite";

    pub fn new() -> Self {
        Self::default()
    }
    pub fn variant(mut self, v: ShortcutsVariant) -> Self {
        self.variant = v;
        self
    }
    pub fn shortcut(
        mut self,
        name: &str,
        created: Timestamp,
        modified: Timestamp,
        actions: &[ShortcutAction],
    ) -> Self {
        self.shortcuts.push(Shortcut {
            name: name.into(),
            description: None,
            created,
            modified,
            data: Some(shortcut_actions_blob(actions)),
            count: actions.len(),
        });
        self
    }
    /// Sets ZACTIONSDESCRIPTION of the last planted shortcut.
    pub fn described(mut self, description: &str) -> Self {
        if let Some(s) = self.shortcuts.last_mut() {
            s.description = Some(description.into());
        }
        self
    }
    /// Plants a shortcut whose action data is exactly `data` (for malformed-data tests).
    pub fn shortcut_raw(mut self, name: &str, created: Timestamp, data: &[u8]) -> Self {
        self.shortcuts.push(Shortcut {
            name: name.into(),
            description: None,
            created,
            modified: created,
            data: Some(data.to_vec()),
            count: 0,
        });
        self
    }
    pub fn write_in(&self, root: &Path) -> PathBuf {
        let p = root.join(Self::LOGICAL_PATH);
        self.write(&p);
        p
    }
    pub fn write(&self, path: &Path) {
        let mut c = create(path);
        let back_link = if self.variant == ShortcutsVariant::Modern {
            " ZSHORTCUT INTEGER,"
        } else {
            ""
        };
        c.execute_batch(&format!("CREATE TABLE ZSHORTCUT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZACTIONCOUNT INTEGER, ZHASOUTPUTFALLBACK INTEGER, ZHASSHORTCUTINPUTVARIABLES INTEGER, ZHIDDENFROMLIBRARYANDSYNC INTEGER, ZLASTMIGRATEDCLIENTVERSION INTEGER, ZTOMBSTONED INTEGER, ZACTIONS INTEGER, ZICON INTEGER, ZCREATIONDATE TIMESTAMP, ZMODIFICATIONDATE TIMESTAMP, ZLASTSYNCEDHASH INTEGER, ZACTIONSDESCRIPTION VARCHAR, ZASSOCIATEDAPPBUNDLEIDENTIFIER VARCHAR, ZGALLERYIDENTIFIER VARCHAR, ZMINIMUMCLIENTVERSION VARCHAR, ZNAME VARCHAR, ZSOURCE VARCHAR, ZWORKFLOWID VARCHAR, ZWORKFLOWSUBTITLE VARCHAR, ZIMPORTQUESTIONSDATA BLOB, ZINPUTCLASSESDATA BLOB, ZOUTPUTCLASSESDATA BLOB, ZWORKFLOWTYPESDATA BLOB );
CREATE TABLE ZSHORTCUTACTIONS ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,{back_link} ZDATA BLOB );
CREATE TABLE ZSHORTCUTRUNEVENT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZSHORTCUT INTEGER, ZDATE TIMESTAMP, ZOUTCOME VARCHAR, ZSOURCE VARCHAR );")).expect("schema");
        let tx = c.transaction().expect("tx");
        for (i, s) in self.shortcuts.iter().enumerate() {
            let id = i as i64 + 1;
            tx.execute(
                "INSERT INTO ZSHORTCUT (Z_PK, Z_ENT, Z_OPT, ZACTIONCOUNT, ZHASSHORTCUTINPUTVARIABLES, ZHIDDENFROMLIBRARYANDSYNC, ZTOMBSTONED, ZACTIONS, ZCREATIONDATE, ZMODIFICATIONDATE, ZACTIONSDESCRIPTION, ZNAME, ZWORKFLOWID) VALUES (?1, 11, 1, ?2, 0, 0, 0, ?1, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    s.count as i64,
                    mac_time(s.created),
                    mac_time(s.modified),
                    s.description,
                    s.name,
                    format!("6F1B5C3A-0000-4000-8000-{:012X}", id)
                ],
            )
            .expect("shortcut");
            if self.variant == ShortcutsVariant::Modern {
                tx.execute(
                    "INSERT INTO ZSHORTCUTACTIONS (Z_PK, Z_ENT, Z_OPT, ZSHORTCUT, ZDATA) VALUES (?1, 12, 1, ?1, ?2)",
                    params![id, s.data],
                )
            } else {
                tx.execute(
                    "INSERT INTO ZSHORTCUTACTIONS (Z_PK, Z_ENT, Z_OPT, ZDATA) VALUES (?1, 12, 1, ?2)",
                    params![id, s.data],
                )
            }
            .expect("actions");
        }
        tx.commit().expect("commit");
        commit(c);
    }
}

/// Writes garbage bytes at `path` (malformed-input tests).
pub fn write_garbage(path: &Path) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(path, bytes).expect("write garbage");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_safari_history_is_one_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = SafariHistory::new();
        let t = utc("2021-07-01T10:00:00Z");
        for i in 0..20_000 {
            h.push(&format!("https://site{}.example/page", i % 500), t, None);
        }
        let p = h.redirect(1, 2).write_in(dir.path());
        let c = Connection::open(p).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM history_visits", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 20_000);
        let items: i64 = c
            .query_row("SELECT count(*) FROM history_items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(items, 500);
        let dest: i64 = c
            .query_row(
                "SELECT redirect_destination FROM history_visits WHERE id=1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(dest, 2);
    }

    #[test]
    fn times_encode() {
        let t = utc("2001-01-01 00:00:10");
        assert_eq!(mac_time(t), 10.0);
        assert_eq!(
            webkit_time(utc("1970-01-01T00:00:00Z")),
            WEBKIT_EPOCH * 1_000_000
        );
    }
}
