//! End-to-end checks of network captures through the binary: exit codes 0/1/2, standard input,
//! TinyCheck's iocs.json through --iocs, the coverage statement in the summary and info.json, the
//! per-host summary of report.html, and re-checking the outputs.

mod common;

use common::telltale;
use telltale_testkit::net::{Capture, Link, ServerFlight};
use telltale_testkit::net_proto::{HelloSpec, Rr};

fn ip(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}

const TINYCHECK_IOCS: &str = r#"{"iocs": [
 {"id": 1, "type": "domain", "tag": "stalkerware", "tlp": "white", "value": "evil-stalker.com"},
 {"id": 2, "type": "freedns", "tag": "suspect", "tlp": "white", "value": "duckdns.org"},
 {"id": 3, "type": "snort", "tag": "spyware", "tlp": "white", "value": "alert tcp any any -> any any (msg:\"x\"; pcre:\"/a/\"; sid:77; rev:1;)"}
]}"#;

fn capture(evil: bool) -> Vec<u8> {
    let mut c = Capture::new(Link::Ethernet);
    let phone = ip("192.168.1.23");
    let dns = ip("192.168.1.1");
    let host = if evil {
        "c2.evil-stalker.com"
    } else {
        "example.org"
    };
    c.dns(phone, dns, host, &[Rr::addr("203.0.113.9")]);
    c.tls(
        phone,
        (ip("203.0.113.9"), 443),
        &HelloSpec::sni(host),
        ServerFlight::Tls13,
    );
    c.dns(phone, dns, "cam.duckdns.org", &[Rr::addr("203.0.113.10")]);
    c.to_pcapng(&Default::default())
}

#[test]
fn exit_codes_coverage_and_report() {
    let d = tempfile::tempdir().unwrap();
    let iocs = d.path().join("iocs.json");
    std::fs::write(&iocs, TINYCHECK_IOCS).unwrap();
    let evil = d.path().join("capture.pcap");
    std::fs::write(&evil, capture(true)).unwrap();
    let clean = d.path().join("clean.pcapng");
    std::fs::write(&clean, capture(false)).unwrap();

    let out = d.path().join("out-evil");
    let a = telltale()
        .args(["check", "--no-builtin-iocs", "--iocs"])
        .arg(&iocs)
        .arg(&evil)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("a server name (DNS, SNI, QUIC or Host) was visible for every connection"),
        "{err}"
    );
    assert!(
        err.contains("1 indicator pattern(s) cannot be evaluated"),
        "{err}"
    );
    let list = telltale()
        .args(["iocs", "list", "--no-builtin-iocs", "--iocs"])
        .arg(&iocs)
        .assert()
        .success();
    let list = String::from_utf8_lossy(&list.get_output().stdout).to_string();
    assert!(list.contains("unsupported rule sid 77"), "{list}");
    let alerts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("alerts.json")).unwrap()).unwrap();
    let a = alerts.as_array().unwrap();
    let tls = a
        .iter()
        .find(|x| x["module"] == "network_tls" && x["matched_indicator"].is_object())
        .unwrap();
    assert_eq!(tls["level"], "CRITICAL");
    assert_eq!(tls["matched_indicator"]["name"], "TinyCheck stalkerware");
    assert!(
        a.iter().any(|x| x["level"] == "MEDIUM"
            && x["message"].as_str().unwrap().contains("free dynamic DNS"))
    );
    for m in ["network_dns", "network_tls", "network_flows"] {
        assert!(out.join(format!("{m}.json")).exists(), "{m}");
    }
    assert!(out.join("network_tls_detected.json").exists());
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("info.json")).unwrap()).unwrap();
    assert_eq!(info["acquisition"], "network-capture");
    let cov: Vec<&str> = info["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(cov.iter().any(|c| c.contains("SHA-256")), "{cov:?}");
    let timeline = std::fs::read_to_string(out.join("timeline.csv")).unwrap();
    assert!(timeline.contains("c2.evil-stalker.com"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("c2.evil-stalker.com"));
    assert!(html.contains("Network hosts"), "per-host summary");

    let out = d.path().join("out-clean");
    telltale()
        .args(["check", "--no-builtin-iocs", "--iocs"])
        .arg(&iocs)
        .arg(&clean)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0);

    // Not a capture: exit 2.
    let junk = d.path().join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture at all").unwrap();
    telltale()
        .arg("check")
        .arg(&junk)
        .arg("-o")
        .arg(d.path().join("o3"))
        .assert()
        .code(2);
}

#[test]
fn standard_input_with_kind() {
    let d = tempfile::tempdir().unwrap();
    let iocs = d.path().join("iocs.json");
    std::fs::write(&iocs, TINYCHECK_IOCS).unwrap();
    let out = d.path().join("out");
    telltale()
        .args([
            "check",
            "-",
            "--kind",
            "pcap",
            "--no-builtin-iocs",
            "--iocs",
        ])
        .arg(&iocs)
        .arg("-o")
        .arg(&out)
        .write_stdin(capture(true))
        .assert()
        .code(1);
    assert!(out.join("network_dns.json").exists());
    // Without --kind, standard input is refused (exit 2); garbage on stdin too.
    telltale()
        .args(["check", "-"])
        .arg("-o")
        .arg(d.path().join("o2"))
        .write_stdin(capture(true))
        .assert()
        .code(2);
    telltale()
        .args(["check", "-", "--kind", "pcap"])
        .arg("-o")
        .arg(d.path().join("o3"))
        .write_stdin(b"nope".to_vec())
        .assert()
        .code(2);
}

#[test]
fn allow_list_silences_heuristics_only_and_recheck_rematches() {
    let d = tempfile::tempdir().unwrap();
    let iocs = d.path().join("iocs.json");
    std::fs::write(&iocs, TINYCHECK_IOCS).unwrap();
    let cap = d.path().join("c.pcap");
    std::fs::write(&cap, capture(true)).unwrap();
    let allow = d.path().join("allow.txt");
    std::fs::write(&allow, "duckdns.org\nevil-stalker.com\n").unwrap();
    let out = d.path().join("out");
    telltale()
        .args(["check", "--no-builtin-iocs", "--iocs"])
        .arg(&iocs)
        .arg("--allow-list")
        .arg(&allow)
        .arg(&cap)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let alerts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("alerts.json")).unwrap()).unwrap();
    let a = alerts.as_array().unwrap();
    assert!(
        !a.iter()
            .any(|x| x["message"].as_str().unwrap().contains("free dynamic DNS"))
    );
    assert!(a.iter().any(|x| {
        x["level"] == "CRITICAL"
            && x["message"]
                .as_str()
                .unwrap()
                .contains("allow-listed platform")
    }));

    // The same outputs checked again (no indicators first, then with them) through recheck.
    let out2 = d.path().join("out2");
    telltale()
        .args(["check", "--no-builtin-iocs"])
        .arg(&cap)
        .arg("-o")
        .arg(&out2)
        .assert()
        .code(0);
    telltale()
        .args(["recheck", "--no-builtin-iocs", "--iocs"])
        .arg(&iocs)
        .arg(&out2)
        .assert()
        .code(1);
}

#[test]
fn the_network_sample_finds_its_planted_traces_with_the_built_in_indicators() {
    let d = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/network-capture.pcapng");
    assert_eq!(
        std::fs::read(&sample).unwrap(),
        telltale_testkit::samples::network_sample_capture(),
        "examples/network-capture.pcapng is regenerated with make-samples"
    );
    let out = d.path().join("out");
    telltale()
        .arg("check")
        .arg(&sample)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let alerts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("alerts.json")).unwrap()).unwrap();
    let a = alerts.as_array().unwrap();
    let crit: Vec<(String, String)> = a
        .iter()
        .filter(|x| x["level"] == "CRITICAL")
        .map(|x| {
            (
                x["module"].as_str().unwrap().to_string(),
                x["matched_indicator"]["value"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert!(
        crit.contains(&("network_tls".into(), "2-gis.kz".into())),
        "{crit:?}"
    );
    assert!(
        crit.contains(&("network_dns".into(), "2-gis.kz".into())),
        "{crit:?}"
    );
    assert!(
        crit.contains(&("network_flows".into(), "116.205.4.18".into())),
        "{crit:?}"
    );
    assert!(
        !a.iter().any(|x| x["event"]["observed"] == "not2-gis.kz"),
        "the look-alike never matches"
    );
}
