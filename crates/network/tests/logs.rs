//! Zeek (TSV and JSON) and Suricata EVE (DNS v2 and v3) logs of the same traffic as a capture give
//! the same indicator findings.

mod common;

use common::*;
use telltale_core::Level;
use telltale_testkit::net::{Capture, Link, ServerFlight};
use telltale_testkit::net_logs;
use telltale_testkit::net_proto::{HelloSpec, Rr};

fn traffic() -> Capture {
    let phone = ip("10.0.0.5");
    let dns = ip("10.0.0.1");
    let mut c = Capture::new(Link::Ethernet);
    c.dns(phone, dns, "api.c2.evil.com", &[Rr::addr("203.0.113.66")]);
    c.tls(
        phone,
        (ip("203.0.113.66"), 443),
        &HelloSpec::sni("api.c2.evil.com"),
        ServerFlight::Tls13,
    );
    c.dns(
        phone,
        dns,
        "cdn.innocent.net",
        &[
            Rr::Cname("edge.cname-c2.org".into()),
            Rr::addr("93.184.216.34"),
        ],
    );
    c.http(
        phone,
        (ip("198.51.100.7"), 80),
        "GET",
        "plainc2.net",
        "/gate.php?id=7",
    );
    c.quic(
        phone,
        (ip("192.0.2.9"), 443),
        &HelloSpec::sni("q.evil.com"),
        1,
        2,
        true,
    );
    c.dns(phone, dns, "notevil.com", &[Rr::addr("93.184.216.35")]);
    c.tls(
        phone,
        (ip("93.184.216.35"), 443),
        &HelloSpec::sni("notevil.com"),
        ServerFlight::Tls13,
    );
    c
}

fn folder(files: &[(String, Vec<u8>)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (n, b) in files {
        std::fs::write(d.path().join(n), b).unwrap();
    }
    d
}

#[test]
fn zeek_and_eve_give_the_same_indicator_findings_as_the_pcap() {
    let c = traffic();
    let pcap = run_bytes("t.pcap", &c.to_pcap(false, false), &iocs());
    let want = pcap.findings();
    assert!(want.len() >= 6, "{want:?}");
    assert!(
        pcap.severe()
            .iter()
            .all(|a| a.event["observed"] != "notevil.com")
    );

    let tsv = folder(&net_logs::zeek_logs(&c, false));
    let json = folder(&net_logs::zeek_logs(&c, true));
    let eve2 = folder(&[("eve.json".into(), net_logs::eve(&c, false))]);
    let eve3 = folder(&[("eve.json".into(), net_logs::eve(&c, true))]);
    for (what, dir) in [
        ("zeek tsv", &tsv),
        ("zeek json", &json),
        ("eve v2", &eve2),
        ("eve v3", &eve3),
    ] {
        let r = run_path(dir.path(), &iocs());
        assert_eq!(r.findings(), want, "{what}: {:#?}", r.alerts);
        // Logs carry no packets: provenance is the log line.
        assert!(
            r.severe().iter().all(|a| a.event.get("lines").is_some()),
            "{what}"
        );
        // The contacted C2 is CRITICAL from the logs too.
        assert!(
            r.alerts
                .iter()
                .any(|a| a.module == "network_tls" && a.level == Level::Critical),
            "{what}: {:#?}",
            r.alerts
        );
    }
}

#[test]
fn zeek_tsv_escapes_unset_and_rotated_headers() {
    let log = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tanswers\n1714564800.000000\tC1\t10.0.0.5\t5000\t10.0.0.1\t53\tudp\tx\\x2eevil.com\t(empty)\n1714564801.000000\tC2\t10.0.0.5\t5001\t10.0.0.1\t53\tudp\t-\t-\n#fields\tts\tuid\tquery\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n1714564802.000000\tC3\tnew.evil.com\t10.0.0.5\t5002\t10.0.0.1\t53\tudp\nnot a row\n";
    let d = folder(&[(
        "dns.2024-05-01-12-00-00.log".into(),
        log.as_bytes().to_vec(),
    )]);
    let r = run_path(d.path(), &iocs());
    let obs: Vec<&str> = r
        .severe()
        .iter()
        .map(|a| a.event["observed"].as_str().unwrap())
        .collect();
    assert_eq!(obs, ["x.evil.com", "new.evil.com"], "{:#?}", r.alerts);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("1 line(s) could not be read")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn tinycheck_session_zip_and_folder() {
    let c = traffic();
    let pcapng = c.to_pcapng(&Default::default());
    let d = tempfile::tempdir().unwrap();
    let s = d.path().join("TinyCheck_2024-05-01");
    std::fs::create_dir_all(s.join("assets")).unwrap();
    std::fs::write(s.join("capture.pcap"), &pcapng).unwrap();
    for (n, b) in net_logs::zeek_logs(&c, false) {
        std::fs::write(s.join("assets").join(n), b).unwrap();
    }
    std::fs::write(s.join("assets/device.json"), "{}").unwrap();
    let r = run_path(&s, &iocs());
    assert!(!r.severe().is_empty());
    // The capture is read, not the logs beside it (no double counting).
    let tls = r.records_of("network_tls");
    assert!(tls.iter().all(|t| t.get("frames").is_some()), "{tls:#?}");

    // The same session zipped.
    let z = d.path().join("TinyCheck.zip");
    {
        let f = std::fs::File::create(&z).unwrap();
        let mut w = zip::ZipWriter::new(f);
        let o = zip::write::SimpleFileOptions::default();
        w.start_file("TinyCheck_2024-05-01/capture.pcap", o)
            .unwrap();
        std::io::Write::write_all(&mut w, &pcapng).unwrap();
        w.start_file("TinyCheck_2024-05-01/assets/device.json", o)
            .unwrap();
        std::io::Write::write_all(&mut w, b"{}").unwrap();
        w.finish().unwrap();
    }
    let rz = run_path(&z, &iocs());
    assert_eq!(rz.findings(), r.findings());
}

#[test]
fn pirogue_experiment_folder() {
    let c = traffic();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("traffic.pcap"), c.to_pcap(false, false)).unwrap();
    std::fs::write(d.path().join("experiment.json"), "{}").unwrap();
    std::fs::write(d.path().join("sslkeylog.txt"), "CLIENT_RANDOM a b\n").unwrap();
    let r = run_path(d.path(), &iocs());
    assert!(!r.severe().is_empty());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("sslkeylog.txt is present")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn eve_alerts_are_passed_through_with_suricata_severity() {
    let eve = r#"{"timestamp":"2024-05-01T12:00:00.000000+0000","flow_id":1,"pcap_cnt":42,"event_type":"alert","src_ip":"10.0.0.5","src_port":40000,"dest_ip":"203.0.113.66","dest_port":443,"proto":"TCP","alert":{"signature":"ET MALWARE Stalkerware beacon","signature_id":2030000,"severity":1}}
{"timestamp":"2024-05-01T12:00:01.000000+0000","flow_id":2,"event_type":"alert","src_ip":"10.0.0.5","src_port":40001,"dest_ip":"203.0.113.67","dest_port":80,"proto":"TCP","alert":{"signature":"ET POLICY plain http","signature_id":2010000,"severity":3}}
"#;
    let d = folder(&[("eve.json".into(), eve.as_bytes().to_vec())]);
    let r = run_path(d.path(), &iocs());
    let ids: Vec<_> = r
        .alerts
        .iter()
        .filter(|a| a.message.starts_with("IDS alert"))
        .collect();
    assert_eq!(ids.len(), 2, "{:#?}", r.alerts);
    let high = ids.iter().find(|a| a.level == Level::High).unwrap();
    assert_eq!(high.event["signature_id"], 2030000);
    assert_eq!(
        high.event["lines"],
        serde_json::json!([42]),
        "pcap_cnt is the frame"
    );
    assert!(ids.iter().any(|a| a.level == Level::Low));
}
