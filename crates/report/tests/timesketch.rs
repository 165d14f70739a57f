//! timeline.jsonl follows Timesketch's JSON-lines import format: one JSON object per line with `message`,
//! `datetime` (ISO 8601) and `timestamp_desc`, flat string-valued extra fields without dots.

mod common;

use common::*;
use serde_json::{Map, Value, json};
use telltale_report::timesketch::write_timesketch_from_dir;

/// Checks one line against the import format; returns the object.
fn check_line(line: &str) -> Map<String, Value> {
    let v: Value = serde_json::from_str(line).expect("each line is one JSON value");
    let o = v.as_object().expect("each line is an object").clone();
    for required in ["message", "datetime", "timestamp_desc"] {
        assert!(
            o.get(required).is_some_and(Value::is_string),
            "{required} missing in {line}"
        );
    }
    let dt = o["datetime"].as_str().unwrap();
    let ts: jiff::Timestamp = dt.parse().expect("datetime is ISO 8601 / RFC 3339");
    assert!(dt.ends_with("+00:00") && dt.as_bytes()[10] == b'T', "{dt}");
    assert_eq!(o["timestamp"].as_i64(), Some(ts.as_microsecond()));
    for (k, v) in &o {
        assert!(
            k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !k.starts_with('_'),
            "field name {k:?}"
        );
        if k != "timestamp" {
            assert!(v.is_string(), "{k} is not a string: {v}");
        }
    }
    o
}

#[test]
fn jsonl_from_an_output_folder_is_importable() {
    let dir = tempfile::tempdir().unwrap();
    small_folder(dir.path());
    // A record field named like a Timesketch field, and dotted / odd names.
    let mut alerts: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.path().join("alerts.json")).unwrap()).unwrap();
    alerts[0]["event"]["message"] = json!("record's own message");
    alerts[0]["event"]["a.b c"] = json!({"nested": [1, 2]});
    alerts[0]["event"]["count"] = json!(3);
    write_json(dir.path(), "alerts.json", &Value::Array(alerts));

    let n = write_timesketch_from_dir(dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("timeline.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(n, 6);
    assert_eq!(lines.len(), 6);
    let objs: Vec<_> = lines.iter().map(|l| check_line(l)).collect();
    // The detected visit carries the alert and its record.
    let hit = &objs[2];
    assert_eq!(hit["timestamp_desc"], "visit");
    assert_eq!(hit["message"], "https://evil.example/x");
    assert_eq!(hit["alert_level"], "HIGH");
    assert_eq!(hit["indicator"], "evil.example");
    assert_eq!(hit["indicator_type"], "domain-name:value");
    assert_eq!(hit["indicator_family"], "Pegasus");
    assert_eq!(hit["url"], "https://evil.example/x");
    assert_eq!(hit["record_message"], "record's own message");
    assert_eq!(hit["a_b_c"], "{\"nested\":[1,2]}");
    assert_eq!(hit["count"], "3");
    assert_eq!(hit["data_type"], "telltale:safari_history");
    // Other events have no alert fields.
    assert!(objs[0].get("alert_level").is_none());
    assert_eq!(objs[1]["timestamp_desc"], "sms_received");
    assert_eq!(objs[1]["datetime"], "2024-05-03T09:55:00.000000+00:00");
}

#[test]
fn no_timeline_no_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(write_timesketch_from_dir(dir.path()).unwrap(), 0);
    assert!(!dir.path().join("timeline.jsonl").exists());
}
