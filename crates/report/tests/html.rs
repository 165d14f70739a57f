//! report.html: content, escaping, counts and the verdict, on planted output folders.

mod common;

use common::*;
use serde_json::{Value, json};
use telltale_report::{HtmlOptions, render_html_report, write_html_report_with};

fn opts() -> HtmlOptions {
    HtmlOptions {
        generated: Some(GENERATED.to_string()),
    }
}

fn render(dir: &std::path::Path) -> String {
    render_html_report(dir, &opts()).unwrap()
}

/// The text between `<span id="alert-count">` and `</span>`.
fn shown_count(html: &str) -> usize {
    let start = html.find("<span id=\"alert-count\">").unwrap() + "<span id=\"alert-count\">".len();
    let end = start + html[start..].find("</span>").unwrap();
    html[start..end].parse().unwrap()
}

/// The JSON data block of the page, parsed.
fn script_data(html: &str) -> Value {
    let tag = "<script type=\"application/json\" id=\"tt-data\">";
    let start = html.find(tag).unwrap() + tag.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn small_report_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    small_folder(dir.path());
    let path = write_html_report_with(dir.path(), &opts()).unwrap();
    assert_eq!(path, dir.path().join("report.html"));
    let html = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!("small_report", html);
}

#[test]
fn small_report_content() {
    let dir = tempfile::tempdir().unwrap();
    small_folder(dir.path());
    let html = render(dir.path());
    assert!(html.contains("Traces of Pegasus found"));
    assert!(html.contains("verdict verdict-found"));
    assert!(html.contains("Access Now"));
    assert_eq!(shown_count(&html), 2);
    // Evidence, indicator, set and its source.
    assert!(html.contains("https://evil.example/x"));
    assert!(html.contains("builtin:pegasus.stix2"));
    assert!(html.contains("NSO Group Pegasus Indicators of Compromise — by Amnesty International"));
    // Device, modules, hashes, versions.
    assert!(html.contains("iPhone12,1"));
    assert!(html.contains("TCC.db: file is not a database"));
    // What could not be checked, next to the verdict.
    let cov = html
        .find("What could not be checked")
        .expect("coverage section");
    assert!(cov < html.find("id=\"alerts\"").unwrap());
    assert!(html.contains("chrome_history: AppDomain-com.google.chrome.ios"));
    assert!(html.contains("ChatStorage.sqlite not in the backup"));
    assert!(html.contains(&"ab".repeat(32)));
    assert!(html.contains("telltale 0.1.0"));
    assert!(html.contains("1 module(s) failed"));
    // Heuristic explanation table.
    assert!(html.contains("The log of processes still running when the phone was shut down."));
    // The context events: ±10 minutes around 10:00 → 09:55, 10:00, 10:09:59 and not 10:30.
    let data = script_data(&html);
    let times: Vec<&str> = data["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["t"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2024-05-03 09:55:00.000000",
            "2024-05-03 10:00:00.000000",
            "2024-05-03 10:09:59.000000"
        ]
    );
    let hits: Vec<bool> = data["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["hit"].as_bool().unwrap())
        .collect();
    assert_eq!(hits, [false, true, false]);
    assert_eq!(data["alert_count"], 2);
    // Chart: 5 days from 05-01 to 05-05, bars for the 3 days with events, the detection day marked.
    assert!(html.contains("6 event(s) from 2024-05-01 to 2024-05-05, one bar per day"));
    assert_eq!(html.matches("<rect class=\"bar").count(), 3);
    assert_eq!(html.matches("<rect class=\"bar det\"").count(), 1);
    assert!(html.contains("<title>Detection: 2024-05-03</title>"));
}

#[test]
fn csp_allows_only_the_inline_style_and_script_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    small_folder(dir.path());
    let html = render(dir.path());
    let csp = telltale_report::html::csp();
    assert!(html.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        csp.replace('\'', "&#x27;").replace('/', "&#x2f;")
    )));
    assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
    assert!(csp.contains("img-src data:"));
    assert!(!csp.contains("unsafe"));
    // Nothing is fetched: no src/href attributes pointing anywhere.
    assert!(!html.contains(" src=\"http"));
    assert!(!html.contains("<link"));
    assert!(!html.contains("@import"));
}

#[test]
fn alert_count_equals_alerts_json_even_when_not_all_are_shown() {
    let dir = tempfile::tempdir().unwrap();
    let mut alerts = Vec::new();
    for i in 0..(telltale_report::html::MAX_ALERTS_SHOWN + 7) {
        alerts.push(heuristic_alert(
            "LOW",
            "aqf_files",
            Some("2024-01-01 00:00:00.000000"),
            &format!("odd file {i}"),
            json!({"path": format!("/data/local/tmp/{i}")}),
        ));
    }
    write_json(dir.path(), "alerts.json", &Value::Array(alerts));
    let html = render(dir.path());
    let n: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.path().join("alerts.json")).unwrap()).unwrap();
    assert_eq!(shown_count(&html), n.len());
    assert_eq!(
        html.matches("<article class=\"alert").count(),
        telltale_report::html::MAX_ALERTS_SHOWN
    );
    assert!(html.contains("7 more alert(s) are not shown here"));
    // LOW only: nothing found.
    assert!(html.contains("Nothing found — which does not prove the phone is clean"));
    assert!(html.contains("no info.json"));
}

#[test]
fn verdicts() {
    let dir = tempfile::tempdir().unwrap();
    // No alerts.json at all.
    let html = render(dir.path());
    assert!(html.contains("verdict verdict-nothing"));
    assert_eq!(shown_count(&html), 0);
    // A HIGH heuristic: suspicious.
    write_json(
        dir.path(),
        "alerts.json",
        &json!([heuristic_alert(
            "HIGH",
            "aqf_settings",
            None,
            "Package verification is off",
            json!({})
        )]),
    );
    let html = render(dir.path());
    assert!(html.contains("verdict verdict-suspicious"));
    assert!(html.contains("Suspicious, needs expert review"));
    // MEDIUM only: suspicious too.
    write_json(
        dir.path(),
        "alerts.json",
        &json!([heuristic_alert("MEDIUM", "x", None, "m", json!({}))]),
    );
    assert!(render(dir.path()).contains("verdict verdict-suspicious"));
    // Two families named.
    write_json(
        dir.path(),
        "alerts.json",
        &json!([
            ioc_alert(
                "sms",
                "2024-01-01 00:00:00.000000",
                json!({"text": "a"}),
                "a.example",
                "Predator"
            ),
            ioc_alert(
                "sms",
                "2024-01-01 00:00:01.000000",
                json!({"text": "b"}),
                "b.example",
                "Pegasus, Predator"
            ),
        ]),
    );
    let html = render(dir.path());
    assert!(html.contains("Traces of Predator, Pegasus found"));
}

#[test]
fn hostile_strings_appear_only_escaped() {
    let dir = tempfile::tempdir().unwrap();
    hostile_folder(dir.path());
    let html = render(dir.path());
    for raw in [
        HOSTILE_SCRIPT,
        HOSTILE_CLOSE,
        HOSTILE_IMG,
        "<img",
        "<b id",
        "\u{2028}",
        "\u{2029}",
    ] {
        assert!(!html.contains(raw), "{raw:?} appears unescaped");
    }
    // Exactly the page's own two script elements.
    assert_eq!(html.matches("<script").count(), 2);
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(document.domain)&gt;"));
    // The script data still round-trips the hostile text exactly.
    let data = script_data(&html);
    let d = data["events"][1]["d"].as_str().unwrap();
    assert!(d.contains(HOSTILE_CLOSE) && d.contains(LINE_SEP));
    assert_eq!(data["events"][0]["m"], HOSTILE_IMG);
    assert_eq!(shown_count(&html), 2);
}
