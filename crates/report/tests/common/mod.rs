//! Output folders planted file by file, for the report.html tests.

#![allow(dead_code)]

use std::path::Path;

use serde_json::{Value, json};

pub const GENERATED: &str = "2025-01-02T03:04:05.000000+00:00";

pub const HOSTILE_SCRIPT: &str = "<script>alert(1)</script>";
pub const HOSTILE_CLOSE: &str = "</script><b id=\"pwned\">x</b>";
pub const HOSTILE_IMG: &str = "\"><img src=x onerror=alert(document.domain)>";
pub const LINE_SEP: &str = "line\u{2028}sep\u{2029}para";

pub fn write_json(dir: &Path, name: &str, v: &Value) {
    std::fs::write(dir.join(name), serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

pub fn write_timeline(dir: &Path, rows: &[[&str; 4]]) {
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_path(dir.join("timeline.csv"))
        .unwrap();
    w.write_record(["UTC Timestamp", "Plugin", "Event", "Description"])
        .unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

pub fn ioc_alert(module: &str, time: &str, event: Value, value: &str, family: &str) -> Value {
    json!({
        "level": "HIGH",
        "module": module,
        "message": format!("visited URL matches indicator {value} (domain-name:value) of {family}"),
        "event_time": time,
        "event": event,
        "matched_indicator": {
            "value": value,
            "type": "domain-name:value",
            "name": family,
            "stix2_file_name": "builtin:pegasus.stix2"
        }
    })
}

pub fn heuristic_alert(
    level: &str,
    module: &str,
    time: Option<&str>,
    message: &str,
    event: Value,
) -> Value {
    json!({
        "level": level,
        "module": module,
        "message": message,
        "event_time": time,
        "event": event,
        "matched_indicator": null
    })
}

pub fn info(modules: Value) -> Value {
    json!({
        "target_path": "/cases/phone-1/backup",
        "telltale_version": "0.1.0",
        "date": "2025-01-01T10:00:00.000000+00:00",
        "ioc_files": [],
        "hashes": [{"file_path": "/cases/phone-1/backup/Manifest.db", "sha256": "ab".repeat(32)}],
        "acquisition": "ios-backup",
        "device": [{"key": "ProductType", "value": "iPhone12,1"}, {"key": "ProductVersion", "value": "16.5"}],
        "indicators": "builtin snapshot 2025-01-01; 1234 indicators in 3 set(s)",
        "indicator_sets": [{"file": "builtin:pegasus.stix2", "name": "NSO Group Pegasus Indicators of Compromise",
                            "sources": ["Amnesty International"], "upstream": "AmnestyTech/investigations",
                            "date": "2024-12-01"}],
        "alerts": {},
        "modules": modules,
        "coverage": ["chrome_history: AppDomain-com.google.chrome.ios/Library/Application Support/Google/Chrome/Default/History: listed in the acquisition's index but not in the acquisition"]
    })
}

pub fn module_info(name: &str, status: &str, detail: Option<&str>, records: u64) -> Value {
    let mut v = json!({
        "module": name, "status": status, "records": records, "alerts": {}, "warnings": [], "duration_ms": 1.0
    });
    if let Some(d) = detail {
        v["detail"] = json!(d);
    }
    v
}

/// A small folder: one Pegasus URL visit (HIGH), one MEDIUM heuristic, a timeline of a few events.
pub fn small_folder(dir: &Path) {
    let visit = json!({"isodate": "2024-05-03 10:00:00.000000", "url": "https://evil.example/x", "title": "news"});
    let alerts = json!([
        ioc_alert(
            "safari_history",
            "2024-05-03 10:00:00.000000",
            visit.clone(),
            "evil.example",
            "Pegasus"
        ),
        heuristic_alert(
            "MEDIUM",
            "shutdownlog",
            None,
            "A process ran from an unusual folder (/private/var/tmp): spyware often does",
            json!({"client": "/private/var/tmp/x"})
        ),
    ]);
    write_json(dir, "alerts.json", &alerts);
    write_json(
        dir,
        "safari_history.json",
        &json!([visit, {"isodate": "2024-05-01 08:00:00.000000", "url": "https://example.org/", "title": "home"}]),
    );
    write_json(
        dir,
        "info.json",
        &info(json!([
            module_info("safari_history", "ok", None, 2),
            module_info("shutdownlog", "ok", None, 1),
            module_info(
                "whatsapp",
                "no_data",
                Some("ChatStorage.sqlite not in the backup"),
                0
            ),
            module_info("tcc", "failed", Some("TCC.db: file is not a database"), 0),
        ])),
    );
    write_timeline(
        dir,
        &[
            [
                "2024-05-01 08:00:00.000000",
                "safari_history",
                "visit",
                "https://example.org/",
            ],
            [
                "2024-05-03 09:55:00.000000",
                "sms",
                "sms_received",
                "Your parcel: https://evil.example/x",
            ],
            [
                "2024-05-03 10:00:00.000000",
                "safari_history",
                "visit",
                "https://evil.example/x",
            ],
            [
                "2024-05-03 10:09:59.000000",
                "datausage",
                "process_used_network",
                "bh",
            ],
            [
                "2024-05-03 10:30:00.000000",
                "sms",
                "sms_received",
                "later, outside the window",
            ],
            [
                "2024-05-05 12:00:00.000000",
                "calls",
                "call",
                "+41 00 000 00 00",
            ],
        ],
    );
}

/// A folder with hostile strings everywhere the acquisition can put text.
pub fn hostile_folder(dir: &std::path::Path) {
    let hostile = [HOSTILE_SCRIPT, HOSTILE_CLOSE, HOSTILE_IMG, LINE_SEP].join(" ");
    let event = json!({
        "isodate": "2024-05-03 10:00:00.000000",
        "text": hostile,
        HOSTILE_IMG: HOSTILE_SCRIPT,
        "nested": {"a": [HOSTILE_CLOSE]},
    });
    let mut a = ioc_alert(
        HOSTILE_IMG,
        "2024-05-03 10:00:00.000000",
        event,
        HOSTILE_CLOSE,
        HOSTILE_SCRIPT,
    );
    a["message"] = json!(format!("message {hostile}"));
    a["matched_indicator"]["stix2_file_name"] = json!(HOSTILE_IMG);
    let h = heuristic_alert(
        "MEDIUM",
        HOSTILE_SCRIPT,
        Some("2024-05-03 10:00:00.000000"),
        &hostile,
        json!(hostile),
    );
    write_json(dir, "alerts.json", &json!([a, h]));
    let mut inf = info(json!([module_info(
        HOSTILE_SCRIPT,
        "failed",
        Some(&hostile),
        0
    )]));
    inf["target_path"] = json!(hostile);
    inf["device"] = json!([{"key": HOSTILE_IMG, "value": hostile}]);
    inf["hashes"] = json!([{"file_path": hostile, "sha256": HOSTILE_CLOSE}]);
    inf["indicators"] = json!(hostile);
    write_json(dir, "info.json", &inf);
    write_timeline(
        dir,
        &[
            [
                "2024-05-03 10:00:00.000000",
                HOSTILE_IMG,
                HOSTILE_SCRIPT,
                &hostile,
            ],
            [
                "2024-05-03 10:01:00.000000",
                "sms",
                "sms_received",
                &hostile,
            ],
        ],
    );
}
