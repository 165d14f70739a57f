//! Matching a record read back from `<module>.json` against indicators, without the module that wrote it:
//! which fields hold URLs, hosts, process names, e-mail addresses, app ids, paths or hashes is guessed
//! from the field names (and, for e-mail addresses, IP addresses and hashes, from the values). This is
//! what lets `telltale recheck` work on any output folder, MVT's included.
//!
//! The guess errs on the side of checking a field with a matcher that fits it: a matcher only reports
//! values that equal (or, for hosts, are under) an indicator, so checking one field more costs time, not
//! false alerts.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use telltale_core::ioc::keys::{self, Observed};
use telltale_core::ioc::{IocIndex, Match};
use telltale_core::{Alert, Level, Record};

/// Values longer than this are not matched (bytes; free text is cut to this length).
const MAX_VALUE: usize = 64 * 1024;
/// Nesting followed into objects and arrays.
const MAX_DEPTH: usize = 8;

/// Modules whose `name`/`client` fields are process names.
const PROCESS_MODULES: [&str; 7] = [
    "process",
    "datausage",
    "netusage",
    "shutdown",
    "analytics",
    "locationd",
    "crash",
];

/// The lower-case words of a field name: split at non-alphanumerics and lower→upper case changes
/// (`bundleIdentifier` → `bundle`, `identifier`; `ZPROCNAME` → `zprocname`).
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct Key {
    lower: String,
    words: Vec<String>,
}

impl Key {
    fn new(k: &str) -> Self {
        Key {
            lower: k.to_lowercase(),
            words: words(k),
        }
    }
    /// A whole word of the name is one of `ws`.
    fn word(&self, ws: &[&str]) -> bool {
        self.words.iter().any(|w| ws.contains(&w.as_str()))
    }
    /// The lower-cased name contains one of `subs` (for longer, unambiguous stems).
    fn has(&self, subs: &[&str]) -> bool {
        subs.iter().any(|s| self.lower.contains(s))
    }
}

fn looks_like_email(v: &str) -> bool {
    let v = v.trim().trim_start_matches("mailto:");
    let Some((user, domain)) = v.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && domain.contains('.')
        && !v.contains("://")
        && !v.chars().any(char::is_whitespace)
}

fn looks_like_hash(v: &str) -> bool {
    matches!(v.len(), 32 | 40 | 64) && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// One observable of a record: a value, how it is matched, and the field that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub how: Observed,
    pub value: String,
    /// The field (dotted path for nested values).
    pub field: String,
}

/// What a field's name (in a module) says about how its string values are matched: computed once per
/// (module, field name), as the same names come back in every record.
#[derive(Debug, Clone, Copy, Default)]
struct FieldClass {
    long_text: bool,
    url: bool,
    host: bool,
    process: bool,
    text: bool,
    app: bool,
    path: bool,
    hash_name: bool,
    cert: bool,
    profile: bool,
    property: bool,
    /// A backup's `relative_path`: checked, as the manifest module does, as the absolute path `/<path>`
    /// and for parts that name web sites (WebKit data folders such as `https_example.com_0`).
    backup_relative: bool,
    /// An identifier of the acquisition's own (a backup's `file_id`, the SHA-1 of the file's domain and
    /// path; a capture's `input_sha256`): neither a path nor a content hash, so not an observable.
    internal_id: bool,
}

impl FieldClass {
    fn new(module: &str, key: &Key) -> Self {
        let module = module.to_lowercase();
        let manifest = module == "manifest";
        if key.words == ["file", "id"]
            || key.lower == "fileid"
            || key.lower == "input_sha256"
            || (manifest && key.lower == "domain")
        {
            // A backup's file ids and its domains (`HomeDomain`, `AppDomain-<bundle id>`: not host
            // names); the SHA-256 of a network capture every network record repeats.
            return FieldClass {
                internal_id: true,
                ..FieldClass::default()
            };
        }
        FieldClass {
            backup_relative: manifest && key.lower == "relative_path",
            internal_id: false,
            long_text: key.has(&["text", "body", "message", "content", "description"]),
            url: key.has(&["url", "link", "href", "referr", "referer", "redirect"])
                || key.word(&["uri", "src", "origin"]),
            host: key.has(&["host", "domain", "server", "fqdn"]) || key.word(&["sni", "site"]),
            process: key.has(&[
                "process",
                "procname",
                "proc_name",
                "executable",
                "binary",
                "cmdline",
            ]) || key.word(&["proc", "exec", "command", "cmd", "comm"])
                || (key.word(&["name", "client", "path"])
                    && PROCESS_MODULES.iter().any(|p| module.contains(p))),
            text: key.has(&[
                "text",
                "body",
                "message",
                "description",
                "content",
                "title",
                "subject",
                "note",
                "summary",
                "snippet",
                "caption",
                "comment",
            ]) || key.word(&["msg"]),
            app: key.has(&[
                "package",
                "bundle",
                "appid",
                "app_id",
                "application",
                "installer",
            ]) || key.word(&["app", "identifier", "pkg"])
                || (key.word(&["name"]) && module.contains("package")),
            path: key.has(&["path", "file", "folder", "directory"]) || key.word(&["dir"]),
            hash_name: key.has(&["sha256", "sha1", "md5", "hash", "digest"]),
            cert: key.has(&["cert", "signature", "signing", "signer"]),
            profile: key.has(&["profile", "payload"])
                && (key.has(&["identifier", "uuid"]) || key.word(&["id"])),
            property: module.contains("prop") && key.word(&["name", "property", "key"]),
        }
    }

    /// The class of field `key` of a `module` record, from a per-thread cache of the last module's
    /// field names (records of one module come in runs; the same names come back in every record).
    fn of(module: &str, key: &str) -> FieldClass {
        struct Cache {
            module: String,
            fields: HashMap<String, FieldClass, std::hash::BuildHasherDefault<crate::hunt::Fnv>>,
        }
        thread_local! {
            static CACHE: std::cell::RefCell<Cache> = std::cell::RefCell::new(Cache {
                module: String::new(),
                fields: HashMap::default(),
            });
        }
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.module != module {
                c.module.clear();
                c.module.push_str(module);
                c.fields.clear();
            }
            if let Some(f) = c.fields.get(key) {
                return *f;
            }
            let f = FieldClass::new(module, &Key::new(key));
            if c.fields.len() > 10_000 {
                c.fields.clear();
            }
            c.fields.insert(key.to_string(), f);
            f
        })
    }
}

/// The observables a string value of a field of class `fc` holds, in matcher order.
fn observe_value(fc: &FieldClass, value: &str, out: &mut dyn FnMut(Observed, &str)) {
    let v = value.trim();
    if v.is_empty() || fc.internal_id {
        return;
    }
    let text = |out: &mut dyn FnMut(Observed, &str), t: &str| {
        for (how, x) in keys::text_observables(t) {
            out(how, x);
        }
    };
    if v.len() > MAX_VALUE {
        // Only free text is worth a look when this long.
        if fc.long_text {
            let mut end = MAX_VALUE;
            while !v.is_char_boundary(end) {
                end -= 1;
            }
            text(out, &v[..end]);
        }
        return;
    }
    if fc.url || v.starts_with("http://") || v.starts_with("https://") {
        out(Observed::Url, v);
    }
    if fc.host {
        out(Observed::Host, v);
    }
    if v.parse::<std::net::IpAddr>().is_ok() {
        out(Observed::Ip, v);
    }
    if fc.process {
        out(Observed::Process, v);
    }
    if looks_like_email(v) {
        out(Observed::Email, v.trim_start_matches("mailto:"));
    }
    if fc.text {
        text(out, v);
    }
    if fc.app {
        out(Observed::AppId, v);
    }
    if fc.path {
        if fc.backup_relative && !v.starts_with('/') {
            out(Observed::FilePath, &format!("/{v}"));
        } else {
            out(Observed::FilePath, v);
        }
        out(Observed::FileName, v);
    }
    if fc.backup_relative {
        for h in keys::path_host_parts(v) {
            out(Observed::Host, &h);
        }
    }
    if looks_like_hash(v) || fc.hash_name {
        if fc.cert {
            out(Observed::CertHash, v);
        } else {
            out(Observed::FileHash, v);
        }
    }
    if fc.profile {
        out(Observed::ProfileId, v);
    }
    if fc.property {
        out(Observed::AndroidProperty, v);
    }
}

fn walk(
    module: &str,
    path: &str,
    fc: &FieldClass,
    v: &Value,
    depth: usize,
    out: &mut dyn FnMut(Observed, &str, &str),
) {
    match v {
        Value::String(s) => observe_value(fc, s, &mut |how, x| out(how, x, path)),
        Value::Array(a) if depth < MAX_DEPTH => {
            for e in a {
                walk(module, path, fc, e, depth + 1, out);
            }
        }
        Value::Object(o) if depth < MAX_DEPTH => {
            for (k, e) in o {
                if !matches!(e, Value::String(_) | Value::Array(_) | Value::Object(_)) {
                    continue;
                }
                let p = format!("{path}.{k}");
                walk(module, &p, &FieldClass::of(module, k), e, depth + 1, out);
            }
        }
        _ => {}
    }
}

/// Calls `f(how, value, field)` for every observable of `rec` (a record of `module`): the
/// extractor shared by [`rematch_record`] and the observables writer, so that a re-check, a hunt
/// and a join over `observables.parquet` look at the same values with the same keys.
pub fn each_observation(module: &str, rec: &Record, f: &mut dyn FnMut(Observed, &str, &str)) {
    for (k, v) in rec {
        // Numbers, booleans and nulls hold no observable: their field name is not even looked at.
        if matches!(v, Value::String(_) | Value::Array(_) | Value::Object(_)) {
            walk(module, k, &FieldClass::of(module, k), v, 0, f);
        }
    }
}

/// The observables of `rec`, in order.
pub fn observations(module: &str, rec: &Record) -> Vec<Observation> {
    let mut out = Vec::new();
    each_observation(module, rec, &mut |how, value, field| {
        out.push(Observation {
            how,
            value: value.to_string(),
            field: field.to_string(),
        })
    });
    out
}

/// The indicators `rec` (a record of `module`) matches, each with the field (dotted path for nested
/// values) that holds the matching value. One entry per (indicator, field). This is the extractor
/// ([`each_observation`]) and the match keys ([`keys::observed_keys`]) looked up in the index.
pub fn rematch_record(iocs: &IocIndex, module: &str, rec: &Record) -> Vec<(Match, String)> {
    let mut out: Vec<(Match, String)> = Vec::new();
    let mut seen: HashSet<(String, String, String)> = HashSet::new();
    let mut ks = Vec::new();
    each_observation(module, rec, &mut |how, value, field| {
        ks.clear();
        keys::observed_keys(how, value, &mut ks);
        for m in iocs.match_keys(&ks) {
            let k = (
                m.value.to_string(),
                m.kind.as_stix().to_string(),
                field.to_string(),
            );
            if seen.insert(k) {
                out.push((m, field.to_string()));
            }
        }
    });
    out
}

/// The time of a record, from its usual time fields (`isodate`, `timestamp`, …), normalised.
pub fn record_time(rec: &Record) -> Option<String> {
    record_timestamp(rec).map(telltale_core::time::format)
}

/// The time [`record_time`] formats.
pub fn record_timestamp(rec: &Record) -> Option<jiff::Timestamp> {
    const FIRST: [&str; 6] = [
        "isodate",
        "timestamp",
        "event_time",
        "datetime",
        "date",
        "time",
    ];
    let parse = |v: &Value| v.as_str().and_then(telltale_core::time::parse);
    for k in FIRST {
        if let Some(t) = rec.get(k).and_then(parse) {
            return Some(t);
        }
    }
    let has = |k: &str, part: &str| {
        k.as_bytes()
            .windows(part.len())
            .any(|w| w.eq_ignore_ascii_case(part.as_bytes()))
    };
    rec.iter()
        .filter(|(k, _)| {
            has(k, "isodate")
                || has(k, "timestamp")
                || (k.len() >= 5 && k.as_bytes()[k.len() - 5..].eq_ignore_ascii_case(b"_date"))
        })
        .find_map(|(_, v)| parse(v))
}

/// [`rematch_record`] as HIGH alerts, one per (indicator, field), for `recheck`.
pub fn rematch_alerts(iocs: &IocIndex, module: &str, rec: &Record) -> Vec<Alert> {
    let time = record_time(rec);
    rematch_record(iocs, module, rec)
        .into_iter()
        .map(|(m, field)| crate::hunt::alert_for(module, &field, &m, time.clone(), rec))
        .collect()
}

/// Modules whose own check rates an indicator match HIGH (MVT's level for them; see docs/alerts.md).
const HIGH_MATCH_MODULES: [&str; 4] = [
    "manifest",
    "locationd_clients",
    "sms_attachments",
    "filesystem",
];

/// The level of an indicator match found again in a saved `module` record (`recheck`, `hunt`): the level
/// the module's own check gives, as MVT's `check-iocs` re-runs each module's check: CRITICAL, HIGH for
/// the modules MVT rates HIGH, and HIGH for network records (a saved record does not say whether the
/// exchange was established, which alone makes a network match CRITICAL).
pub fn indicator_level(module: &str) -> Level {
    if HIGH_MATCH_MODULES.contains(&module) || module.starts_with("network_") {
        Level::High
    } else {
        Level::Critical
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_core::ioc::IndicatorKind as K;
    use telltale_core::record;

    fn index() -> IocIndex {
        IocIndex::from_values(
            &[
                (K::Domain, "evil.com"),
                (K::ProcessName, "bh"),
                (K::Email, "bad@evil-mail.org"),
                (K::AppId, "com.spy.app"),
                (K::FileName, "spy.dylib"),
                (K::FilePath, "/private/var/db/spy/"),
                (K::FileSha256, &"a".repeat(64)),
                (K::AppCertSha1, &"b".repeat(40)),
                (K::ConfigurationProfileId, "com.spy.profile"),
                (K::AndroidProperty, "persist.spy.enabled"),
                (K::Ipv4, "203.0.113.7"),
            ],
            "Pegasus",
        )
    }

    fn fields(module: &str, rec: &Record) -> Vec<(String, String)> {
        let mut v: Vec<_> = rematch_record(&index(), module, rec)
            .into_iter()
            .map(|(m, f)| (f, m.value.to_string()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn field_names_pick_the_matcher() {
        let rec = record! {
            "url" => "https://sub.evil.com/x",
            "redirect_destination" => "http://evil.com/",
            "domain" => "EVIL.com",
            "proc_name" => "bh",
            "ZPROCESS" => "/usr/libexec/bh",
            "sender" => "bad@evil-mail.org",
            "text" => "click https://evil.com/a now",
            "package_name" => "com.spy.app",
            "bundleIdentifier" => "com.spy.app",
            "file_path" => "/private/var/db/spy/x.plist",
            "relative_path" => "Library/spy.dylib",
            "sha256" => "a".repeat(64),
            "cert_sha1" => "b".repeat(40),
            "PayloadIdentifier" => "com.spy.profile",
            "remote" => "203.0.113.7",
            "links" => ["https://ok.org", "https://evil.com/z"],
            "nested" => serde_json::json!({"deep": {"host": "evil.com"}}),
        };
        let got = fields("any", &rec);
        let names: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
        for f in [
            "url",
            "redirect_destination",
            "domain",
            "proc_name",
            "ZPROCESS",
            "sender",
            "text",
            "package_name",
            "bundleIdentifier",
            "file_path",
            "relative_path",
            "sha256",
            "cert_sha1",
            "PayloadIdentifier",
            "remote",
            "links",
            "nested.deep.host",
        ] {
            assert!(names.contains(&f), "{f} not matched: {got:?}");
        }
    }

    #[test]
    fn module_context_for_names_and_properties() {
        let rec = record! { "name" => "bh" };
        assert_eq!(
            fields("aqf_processes", &rec),
            [("name".into(), "bh".into())]
        );
        assert!(fields("contacts", &rec).is_empty());
        let rec = record! { "name" => "persist.spy.enabled", "value" => "1" };
        assert_eq!(fields("aqf_get_prop", &rec).len(), 1);
        // The package lists of AndroidQF and bugreports name apps in `name`.
        let rec = record! { "name" => "com.spy.app", "uid" => 10100 };
        assert_eq!(
            fields("aqf_packages", &rec),
            [("name".into(), "com.spy.app".into())]
        );
        assert_eq!(fields("dumpsys_packages", &rec).len(), 1);
        assert!(fields("contacts", &rec).is_empty());
    }

    #[test]
    fn backup_manifest_fields_as_the_manifest_module_checks_them() {
        let rec = record! {
            "file_id" => "a".repeat(40),
            "domain" => "AppDomain-evil.com",
            "relative_path" => "Library/WebKit/WebsiteData/LocalStorage/https_sub.evil.com_0.localstorage",
        };
        let obs = observations("manifest", &rec);
        // The file id (a SHA-1 of domain and path) is not a content hash, the backup domain not a host.
        assert!(obs.iter().all(|o| o.field == "relative_path"), "{obs:?}");
        assert!(obs.iter().any(|o| o.how == Observed::FilePath
            && o.value
                == "/Library/WebKit/WebsiteData/LocalStorage/https_sub.evil.com_0.localstorage"));
        assert!(
            obs.iter()
                .any(|o| o.how == Observed::Host && o.value == "sub.evil.com")
        );
        let alerts = rematch_alerts(&index(), "manifest", &rec);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(
            alerts[0].level,
            Level::High,
            "MVT rates manifest matches HIGH"
        );
        // An absolute file indicator matches the path as the module checks it (`/` + relative path).
        let rec = record! { "relative_path" => "private/var/db/spy/x.plist" };
        assert_eq!(fields("manifest", &rec).len(), 1);
        // A capture's own hash, repeated by every network record, is not a file hash.
        assert!(
            observations("network_dns", &record! { "input_sha256" => "a".repeat(64) }).is_empty()
        );
        // Elsewhere a `domain` field is a host name.
        assert_eq!(fields("any", &record! { "domain" => "evil.com" }).len(), 1);
    }

    #[test]
    fn lookalikes_and_plain_data_do_not_match() {
        let rec = record! {
            "url" => "https://notevil.com/",
            "domain" => "evil.com.example.org",
            "text" => "evil dot com, nothing here",
            "proc_name" => "bhx",
            "sender" => "good@evil-mail.org.uk",
            "package_name" => "com.spy.app.other",
            "count" => 3,
            "flag" => true,
        };
        assert!(fields("any", &rec).is_empty(), "{:?}", fields("any", &rec));
    }

    #[test]
    fn alerts_carry_time_field_and_indicator() {
        let rec =
            record! { "isodate" => "2024-05-03 10:00:00.000000", "url" => "https://evil.com/" };
        let a = rematch_alerts(&index(), "safari_history", &rec);
        assert_eq!(a.len(), 1);
        assert_eq!(
            a[0].level,
            Level::Critical,
            "MVT rates a Safari history match CRITICAL"
        );
        assert_eq!(
            a[0].event_time.as_deref(),
            Some("2024-05-03 10:00:00.000000")
        );
        assert!(
            a[0].message
                .starts_with("field url of a safari_history record matches")
        );
        assert_eq!(a[0].matched_indicator.as_ref().unwrap().name, "Pegasus");
    }
}
