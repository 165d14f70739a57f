//! Re-checking output folders against new indicators (telltale's and MVT's folders).

mod common;

use common::*;
use serde_json::{Value, json};
use telltale_core::ioc::{IndicatorKind as K, IocIndex};
use telltale_report::recheck::{RecheckOptions, recheck_dir_with};
use telltale_report::rematch::rematch_alerts;

const DATE: &str = "2025-02-01T00:00:00.000000+00:00";

fn opts() -> RecheckOptions {
    RecheckOptions {
        date: Some(DATE.to_string()),
        ..Default::default()
    }
}

fn read_json(p: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn index() -> IocIndex {
    // evil.example was known at check time (alerts.json has it); newbad.example is new.
    IocIndex::from_values(
        &[(K::Domain, "evil.example"), (K::Domain, "newbad.example")],
        "Pegasus",
    )
}

#[test]
fn new_indicator_matches_are_added_once_and_the_original_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_folder(d);
    write_json(
        d,
        "sms.json",
        &json!([
            {"isodate": "2024-05-03 09:55:00.000000", "text": "Your parcel: https://newbad.example/p", "phone_number": "+100"},
            {"isodate": "2024-05-04 09:55:00.000000", "text": "see you tomorrow", "phone_number": "+101"},
        ]),
    );
    let before = std::fs::read(d.join("alerts.json")).unwrap();
    let iocs = index();
    let matcher = |m: &str, r: &telltale_core::Record| rematch_alerts(&iocs, m, r);

    let rep = recheck_dir_with(d, &matcher, &opts()).unwrap();
    // The Pegasus visit was already alerted: only the SMS is new.
    assert_eq!(rep.new_alerts.len(), 1, "{:?}", rep.new_alerts);
    assert_eq!(rep.new_alerts[0].module, "sms");
    assert!(rep.has_new_severe());
    assert_eq!(rep.records, 4);
    assert_eq!(rep.modules, 2);
    assert!(rep.warnings.is_empty(), "{:?}", rep.warnings);

    assert_eq!(
        std::fs::read(d.join("alerts.original.json")).unwrap(),
        before
    );
    let merged = read_json(&d.join("alerts.json"));
    let merged = merged.as_array().unwrap();
    assert_eq!(merged.len(), 3);
    assert!(merged[0].get("recheck").is_none());
    assert_eq!(merged[2]["recheck"], DATE);
    assert_eq!(merged[2]["matched_indicator"]["value"], "newbad.example");
    assert_eq!(merged[2]["event_time"], "2024-05-03 09:55:00.000000");
    let det = read_json(&d.join("sms_detected.json"));
    assert_eq!(det.as_array().unwrap().len(), 1);
    assert_eq!(det[0]["phone_number"], "+100");
    let tl = std::fs::read_to_string(d.join("alerts_timeline.csv")).unwrap();
    assert_eq!(tl.lines().count(), 3, "{tl}");
    assert!(
        std::fs::read_to_string(d.join("command.log"))
            .unwrap()
            .contains("recheck 2025-02-01")
    );
    let html = std::fs::read_to_string(rep.report_html.as_ref().unwrap()).unwrap();
    assert!(html.contains("new in re-check 2025-02-01"));
    assert!(html.contains("<span id=\"alert-count\">3</span>"));

    // Again: nothing new, the original stays the first one.
    let rep2 = recheck_dir_with(d, &matcher, &opts()).unwrap();
    assert!(rep2.new_alerts.is_empty());
    assert!(!rep2.has_new_severe());
    assert_eq!(
        read_json(&d.join("alerts.json")).as_array().unwrap().len(),
        3
    );
    assert_eq!(
        std::fs::read(d.join("alerts.original.json")).unwrap(),
        before
    );
    assert_eq!(
        read_json(&d.join("sms_detected.json"))
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn mvt_folder_without_alerts_or_info() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // MVT's field names: safari_history url, datausage proc_name, whatsapp links.
    write_json(
        d,
        "safari_history.json",
        &json!([{"isodate": "2021-01-01 00:00:00.000000", "url": "https://evil.example/a", "safari_history_db": "x"}]),
    );
    write_json(
        d,
        "datausage.json",
        &json!([{"proc_name": "bh", "bundle_id": "", "isodate": "2021-01-02 00:00:00.000000"}]),
    );
    write_json(
        d,
        "whatsapp.json",
        &json!([{"links": ["https://ok.example", "https://sub.newbad.example/z"], "isodate": "2021-01-03 00:00:00.000000"}]),
    );
    let iocs = IocIndex::from_values(
        &[
            (K::Domain, "evil.example"),
            (K::Domain, "newbad.example"),
            (K::ProcessName, "bh"),
        ],
        "Predator",
    );
    let rep = recheck_dir_with(d, &|m, r| rematch_alerts(&iocs, m, r), &opts()).unwrap();
    let mut mods: Vec<&str> = rep.new_alerts.iter().map(|a| a.module.as_str()).collect();
    mods.sort();
    assert_eq!(mods, ["datausage", "safari_history", "whatsapp"]);
    assert_eq!(read_json(&d.join("alerts.original.json")), json!([]));
    assert_eq!(
        read_json(&d.join("alerts.json")).as_array().unwrap().len(),
        3
    );
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert!(html.contains("Traces of Predator found"));
    assert!(html.contains("no info.json"));
}

#[test]
fn a_broken_module_file_is_a_warning_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("sms.json"),
        b"[{\"text\": \"https://evil.example/\"}, {\"text\": ",
    )
    .unwrap();
    write_json(d, "calls.json", &json!([{"number": "x"}]));
    let iocs = index();
    let rep = recheck_dir_with(d, &|m, r| rematch_alerts(&iocs, m, r), &opts()).unwrap();
    assert_eq!(rep.warnings.len(), 1, "{:?}", rep.warnings);
    assert!(rep.warnings[0].starts_with("sms: records not re-checked"));
    assert_eq!(rep.modules, 1);
    // The record read before the damage still counts.
    assert_eq!(rep.new_alerts.len(), 1);
    assert!(recheck_dir_with(&d.join("absent"), &|_, _| Vec::new(), &opts()).is_err());
}
