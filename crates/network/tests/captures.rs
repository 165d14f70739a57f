//! End-to-end checks of captures built byte by byte: every format and link type, the matching
//! traps of the specification (§7), levels, coverage, and malformed inputs.

mod common;

use common::*;
use telltale_core::Level;
use telltale_testkit::net::{Capture, Link, PcapngOpts, ServerFlight};
use telltale_testkit::net_proto::{self as p, HelloSpec, Rr};

const PHONE: &str = "192.168.4.20";
const RESOLVER: &str = "192.168.4.1";
const C2: &str = "203.0.113.66";
const BENIGN: &str = "93.184.216.34";

/// DNS lookup of the C2 name, then an established TLS connection to it.
fn c2_traffic(link: Link) -> Capture {
    let mut c = Capture::new(link);
    c.dns(ip(PHONE), ip(RESOLVER), "api.c2.evil.com", &[Rr::addr(C2)]);
    c.tls(
        ip(PHONE),
        (ip(C2), 443),
        &HelloSpec::sni("api.c2.evil.com"),
        ServerFlight::Tls13,
    );
    c.dns(ip(PHONE), ip(RESOLVER), "example.org", &[Rr::addr(BENIGN)]);
    c.tls(
        ip(PHONE),
        (ip(BENIGN), 443),
        &HelloSpec::sni("example.org"),
        ServerFlight::Tls13,
    );
    c
}

#[test]
fn every_link_type_and_pcap_magic_finds_the_c2() {
    let links = [
        Link::Ethernet,
        Link::Vlan,
        Link::QinQ,
        Link::Raw,
        Link::Raw12,
        Link::Null,
        Link::Loop,
        Link::Sll,
        Link::Sll2,
        Link::Radiotap,
        Link::Wifi,
    ];
    for link in links {
        let c = c2_traffic(link);
        for (be, ns) in [(false, false), (true, false), (false, true), (true, true)] {
            let r = run_bytes("c.pcap", &c.to_pcap(be, ns), &iocs());
            let tls: Vec<_> = r
                .alerts
                .iter()
                .filter(|a| a.module == "network_tls")
                .collect();
            assert_eq!(tls.len(), 1, "{link:?} be={be} ns={ns}: {:#?}", r.alerts);
            assert_eq!(
                tls[0].level,
                Level::Critical,
                "{link:?}: established exchange"
            );
            // The ClientHello is frame 6 (2 DNS frames, 3 handshake frames before it).
            assert_eq!(tls[0].event["frames"], serde_json::json!([6]), "{link:?}");
            assert_eq!(tls[0].event["observed"], "api.c2.evil.com");
            assert!(
                tls[0].event["community_id"]
                    .as_str()
                    .unwrap()
                    .starts_with("1:")
            );
            assert_eq!(tls[0].event["first_seen"], "2024-05-01 12:00:00.006000");
            let dns: Vec<_> = r
                .alerts
                .iter()
                .filter(|a| a.module == "network_dns")
                .collect();
            assert_eq!(
                dns.len(),
                2,
                "{link:?}: the lookup and the answer address: {dns:#?}"
            );
            assert!(dns.iter().all(|a| a.level == Level::Critical));
            let flows: Vec<_> = r
                .alerts
                .iter()
                .filter(|a| a.module == "network_flows" && a.matched_indicator.is_some())
                .collect();
            assert_eq!(flows.len(), 1, "{link:?}");
            assert!(
                r.coverage.iter().any(|l| l.contains("link types")),
                "{:?}",
                r.coverage
            );
        }
    }
}

#[test]
fn pcapng_sections_interfaces_blocks() {
    let mut c = Capture::new(Link::Ethernet);
    c.dns(ip(PHONE), ip(RESOLVER), "example.org", &[Rr::addr(BENIGN)]);
    c.on_interface(1);
    c.tls(
        ip(PHONE),
        (ip(C2), 443),
        &HelloSpec::sni("x.evil.com"),
        ServerFlight::Tls13,
    );
    let opts = PcapngOpts {
        tsresol: vec![6, 9],
        dsb: true,
        nrb: Some(("203.0.113.99".parse().unwrap(), "nrb-only.evil.com".into())),
        isb_drops: Some(7),
        comment: Some("made by the testkit".into()),
        ..Default::default()
    };
    let mut file = c.to_pcapng(&opts);
    // A second section in the other byte order, with SPBs and obsolete packet blocks.
    let mut d = Capture::new(Link::Raw);
    d.now_ns += 10_000_000_000;
    d.dns(ip(PHONE), ip(RESOLVER), "second.evil.com", &[]);
    file.extend(d.to_pcapng(&PcapngOpts {
        big_endian: true,
        spb: true,
        ..Default::default()
    }));
    let mut e = Capture::new(Link::Raw);
    e.dns(ip(PHONE), ip(RESOLVER), "third.evil.com", &[]);
    file.extend(e.to_pcapng(&PcapngOpts {
        obsolete_pb: true,
        ..Default::default()
    }));
    let r = run_bytes("capture.pcapng", &file, &iocs());
    let names: Vec<String> = r
        .severe()
        .iter()
        .map(|a| a.event["observed"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(names.contains(&"x.evil.com".to_string()), "{names:?}");
    assert!(names.contains(&"second.evil.com".to_string()), "{names:?}");
    assert!(names.contains(&"third.evil.com".to_string()), "{names:?}");
    assert!(
        !names.iter().any(|n| n.contains("nrb-only")),
        "an NRB is never traffic"
    );
    let tls = r.alerts.iter().find(|a| a.module == "network_tls").unwrap();
    // Interface 1 is in ns: the time is still right.
    assert_eq!(tls.event["first_seen"], "2024-05-01 12:00:00.006000");
    let cov = r.coverage.join("\n");
    assert!(cov.contains("7 packets dropped"), "{cov}");
    assert!(cov.contains("decryption secrets are present"), "{cov}");
}

#[test]
fn compressed_captures_are_read() {
    let c = c2_traffic(Link::Ethernet);
    let raw = c.to_pcapng(&PcapngOpts::default());
    for (name, bytes) in [
        ("c.pcapng.gz", telltale_testkit::net::gzip(&raw)),
        ("c.zst", telltale_testkit::net::zstd_raw(&raw)),
        ("c.gz", telltale_testkit::net::gzip(&c.to_pcap(false, true))),
    ] {
        let r = run_bytes(name, &bytes, &iocs());
        assert_eq!(r.at(Level::Critical).len(), 4, "{name}: {:#?}", r.alerts);
    }
}

#[test]
fn matching_traps() {
    let mut c = Capture::new(Link::Ethernet);
    // Glued prefix, indicator as first labels of a longer name, indicator in a URL query.
    c.dns(ip(PHONE), ip(RESOLVER), "notevil.com", &[Rr::addr(BENIGN)]);
    c.dns(
        ip(PHONE),
        ip(RESOLVER),
        "evil.com.example.net",
        &[Rr::addr(BENIGN)],
    );
    c.http(
        ip(PHONE),
        (ip(BENIGN), 80),
        "GET",
        "example.net",
        "/redirect?to=evil.com&x=http://evil.com/",
    );
    c.tls(
        ip(PHONE),
        (ip(BENIGN), 443),
        &HelloSpec::sni("notevil.com"),
        ServerFlight::Tls13,
    );
    let r = run_bytes("traps.pcap", &c.to_pcap(false, false), &iocs());
    assert!(r.severe().is_empty(), "{:#?}", r.severe());

    // A CNAME-only indicator: the question is benign, the target is not.
    let mut c = Capture::new(Link::Ethernet);
    c.dns(
        ip(PHONE),
        ip(RESOLVER),
        "cdn.innocent.net",
        &[Rr::Cname("edge.cname-c2.org".into()), Rr::addr(BENIGN)],
    );
    let r = run_bytes("cname.pcap", &c.to_pcap(false, false), &iocs());
    let a = r.severe();
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].level, Level::High, "a lookup alone is HIGH");
    assert_eq!(a[0].event["observed"], "edge.cname-c2.org");
    assert_eq!(
        a[0].matched_indicator.as_ref().unwrap().value,
        "cname-c2.org"
    );

    // Host with upper case, a trailing dot and a port; an IDN name.
    let mut c = Capture::new(Link::Ethernet);
    c.http(
        ip(PHONE),
        (ip(BENIGN), 8080),
        "GET",
        "WWW.Evil.COM.:8080",
        "/x",
    );
    c.dns(ip(PHONE), ip(RESOLVER), "xn--bcher-kva.evil.com", &[]);
    let r = run_bytes("host.pcap", &c.to_pcap(false, false), &iocs());
    let obs: Vec<&str> = r
        .severe()
        .iter()
        .map(|a| a.event["observed"].as_str().unwrap())
        .collect();
    assert!(obs.contains(&"http://www.evil.com:8080/x"), "{obs:?}");
    assert!(obs.contains(&"xn--bcher-kva.evil.com"), "{obs:?}");
}

#[test]
fn url_indicator_on_plain_http_and_ip_cidr() {
    let mut c = Capture::new(Link::Ethernet);
    c.http(
        ip(PHONE),
        (ip("198.51.100.7"), 80),
        "GET",
        "plainc2.net",
        "/gate.php?id=7",
    );
    let r = run_bytes("http.pcap", &c.to_pcap(false, false), &iocs());
    let http: Vec<_> = r
        .severe()
        .into_iter()
        .filter(|a| a.module == "network_http")
        .collect();
    assert_eq!(http.len(), 1, "{:#?}", r.alerts);
    assert_eq!(
        http[0]
            .matched_indicator
            .as_ref()
            .unwrap()
            .stix_type
            .as_deref(),
        Some("url:value")
    );
    assert_eq!(http[0].level, Level::Critical);
    let flows: Vec<_> = r
        .severe()
        .into_iter()
        .filter(|a| a.module == "network_flows")
        .collect();
    assert_eq!(flows.len(), 1, "the destination is in a CIDR indicator");
    assert_eq!(
        flows[0].matched_indicator.as_ref().unwrap().value,
        "198.51.100.0/24"
    );
    assert!(
        r.at(Level::Low)
            .iter()
            .any(|a| a.message.contains("plain (unencrypted) HTTP"))
    );
}

#[test]
fn split_out_of_order_retransmitted_post_quantum_hello() {
    let mut c = Capture::new(Link::Ethernet);
    let mut h = HelloSpec::sni("deep.sub.evil.com");
    h.post_quantum = true;
    h.shuffle = true;
    h.record_size = 700; // record-fragmented too
    h.segments = vec![500];
    h.order = vec![2, 0, 3, 1, 0, 2]; // out of order, with retransmissions
    c.tls(ip(PHONE), (ip(C2), 8443), &h, ServerFlight::Tls13);
    let r = run_bytes("split.pcap", &c.to_pcap(false, false), &iocs());
    let tls: Vec<_> = r
        .alerts
        .iter()
        .filter(|a| a.module == "network_tls" && a.matched_indicator.is_some())
        .collect();
    assert_eq!(tls.len(), 1, "{:#?}", r.alerts);
    assert_eq!(tls[0].event["post_quantum_key_share"], true);
    assert!(
        r.alerts
            .iter()
            .any(|a| a.level == Level::Medium && a.message.contains("non-standard port 8443"))
    );
}

#[test]
fn quic_over_two_initials_v1_and_v2() {
    for version in [p::QUIC_V1, p::QUIC_V2] {
        let mut c = Capture::new(Link::Raw);
        let mut h = HelloSpec::sni("q.evil.com");
        h.post_quantum = true;
        c.quic(
            ip("2001:db8::20"),
            (ip("2001:db8:66::1"), 443),
            &h,
            version,
            2,
            true,
        );
        c.quic(
            ip("2001:db8::20"),
            (ip("2001:db8:77::1"), 443),
            &HelloSpec::sni("lookup-only.cname-c2.org"),
            version,
            1,
            false,
        );
        let r = run_bytes("quic.pcap", &c.to_pcap(false, false), &iocs());
        let q: Vec<_> = r
            .alerts
            .iter()
            .filter(|a| a.module == "network_tls")
            .collect();
        assert_eq!(q.len(), 2, "{version:#x}: {:#?} {:?}", r.alerts, r.coverage);
        let answered = q
            .iter()
            .find(|a| a.event["server_name"] == "q.evil.com")
            .unwrap();
        assert_eq!(answered.level, Level::Critical);
        assert_eq!(answered.event["protocol"], "quic");
        assert_eq!(answered.event["frames"], serde_json::json!([2]));
        let unanswered = q
            .iter()
            .find(|a| a.event["server_name"] == "lookup-only.cname-c2.org")
            .unwrap();
        assert_eq!(unanswered.level, Level::High);
        assert!(
            r.coverage
                .iter()
                .any(|l| l.contains("2 connections' Initials decrypted")),
            "{:?}",
            r.coverage
        );
    }
}

#[test]
fn indicator_under_an_allow_listed_parent_is_still_reported() {
    let mut c = Capture::new(Link::Ethernet);
    c.dns(
        ip(PHONE),
        ip(RESOLVER),
        "bad-bucket.s3.amazonaws.com",
        &[Rr::addr("52.216.1.1")],
    );
    c.http(
        ip(PHONE),
        (ip("52.216.1.1"), 80),
        "GET",
        "other.s3.amazonaws.com",
        "/",
    );
    let r = run_bytes("allow.pcap", &c.to_pcap(false, false), &iocs());
    let dns: Vec<_> = r
        .severe()
        .into_iter()
        .filter(|a| a.module == "network_dns")
        .collect();
    assert_eq!(dns.len(), 1, "{:#?}", r.alerts);
    assert!(
        dns[0]
            .message
            .contains("allow-listed platform (amazonaws.com)"),
        "{}",
        dns[0].message
    );
    assert!(
        dns[0].event["note"]
            .as_str()
            .unwrap()
            .contains("reported all the same")
    );
    // The allow-list silences the heuristic on the benign bucket.
    assert!(
        !r.alerts
            .iter()
            .any(|a| a.message.contains("plain (unencrypted) HTTP")),
        "{:#?}",
        r.alerts
    );
}

#[test]
fn certificates_hashes_names_self_signed() {
    let leaf = p::certificate(
        "c2.evil.com",
        "c2.evil.com",
        &["c2.evil.com", "www.c2.evil.com"],
    );
    let other = p::certificate("shop.example", "Example CA", &["shop.example"]);
    let idx = telltale_ioc::IocIndex::from_values(
        &[
            (telltale_ioc::IndicatorKind::Domain, "evil.com"),
            (telltale_ioc::IndicatorKind::X509Sha1, &p::sha1_hex(&other)),
        ],
        "CertSpy",
    );
    let mut c = Capture::new(Link::Ethernet);
    c.tls(
        ip(PHONE),
        (ip(C2), 443),
        &HelloSpec::no_sni(),
        ServerFlight::Tls12(vec![leaf.clone()]),
    );
    c.tls(
        ip(PHONE),
        (ip(BENIGN), 443),
        &HelloSpec::sni("shop.example"),
        ServerFlight::Tls12(vec![other.clone()]),
    );
    let r = run_bytes("certs.pcap", &c.to_pcap(false, false), &idx);
    let certs: Vec<_> = r
        .alerts
        .iter()
        .filter(|a| a.module == "network_certs")
        .collect();
    assert!(
        certs
            .iter()
            .any(|a| a.level == Level::Critical && a.event["observed"] == "c2.evil.com"),
        "{certs:#?}"
    );
    assert!(certs.iter().any(|a| {
        a.matched_indicator
            .as_ref()
            .is_some_and(|m| m.stix_type.as_deref() == Some("x509-certificate:hashes.'SHA-1'"))
    }));
    assert!(
        certs
            .iter()
            .any(|a| a.level == Level::Medium && a.message.contains("self-signed"))
    );
    let rec = r.records_of("network_certs");
    assert_eq!(rec.len(), 2);
    assert_eq!(rec[0]["cert_sha256"], p::sha256_hex(&leaf));
    assert!(
        r.coverage
            .iter()
            .any(|l| l.starts_with("2 TLS ≤ 1.2 certificate chains")),
        "{:?}",
        r.coverage
    );
}

#[test]
fn clean_capture_raises_nothing_severe_and_says_what_it_could_not_see() {
    let mut c = Capture::new(Link::Ethernet);
    c.dns(ip(PHONE), ip(RESOLVER), "example.org", &[Rr::addr(BENIGN)]);
    c.tls(
        ip(PHONE),
        (ip(BENIGN), 443),
        &HelloSpec::sni("example.org"),
        ServerFlight::Tls13,
    );
    c.tls(
        ip(PHONE),
        (ip("8.8.8.8"), 443),
        &HelloSpec::sni("dns.google"),
        ServerFlight::Tls13,
    );
    let mut ech = HelloSpec::sni("cloudflare-ech.com");
    ech.ech = true;
    c.tls(
        ip(PHONE),
        (ip("104.16.1.1"), 443),
        &ech,
        ServerFlight::Tls13,
    );
    c.tls(
        ip(PHONE),
        (ip("104.16.1.2"), 443),
        &HelloSpec::no_sni(),
        ServerFlight::Tls13,
    );
    let r = run_bytes("clean.pcap", &c.to_pcap(false, false), &iocs());
    assert!(r.severe().is_empty(), "{:#?}", r.severe());
    let cov = r.coverage.join("\n");
    assert!(
        cov.contains("1 DoT, 1 DoH") || cov.contains("0 DoT, 1 DoH"),
        "{cov}"
    );
    assert!(cov.contains("1 without SNI, 1 with ECH"), "{cov}");
    assert!(cov.contains("TLS 1.3 sessions"), "{cov}");
    let last = r.coverage.last().unwrap();
    assert!(
        last.starts_with("for 25 % of connections no server name was visible"),
        "{last}"
    );
    // Timeline rows for every name contacted, records for each module.
    assert_eq!(r.records_of("network_tls").len(), 4);
    assert_eq!(r.records_of("network_dns").len(), 1);
}

#[test]
fn tinycheck_snort_rules_run_over_each_direction() {
    let iocs_json = r#"{"iocs": [
      {"id": 1, "type": "snort", "tag": "stalkerware", "tlp": "white", "value": "alert tcp $HOME_NET any -> $EXTERNAL_NET any (msg:\"Stalker upload\"; flow:established,to_server; content:\"|22|imei|22 3a|\"; nocase; sid:9001; rev:1;)"},
      {"id": 2, "type": "snort", "tag": "cybercrime", "tlp": "white", "value": "alert tcp $EXTERNAL_NET any -> $HOME_NET any (msg:\"Cryptominer\"; flow:established,to_client; content:\"|22|job|22 3A 7B 22|blob|22|\"; sid:6666667; rev:1;)"},
      {"id": 3, "type": "snort", "tag": "spyware", "tlp": "white", "value": "alert udp any any -> any 9999 (msg:\"udp beacon\"; content:\"BEACON\"; depth:6; sid:77; rev:1;)"}
    ]}"#;
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("iocs.json");
    std::fs::write(&f, iocs_json).unwrap();
    let mut b = telltale_ioc::IocIndex::builder();
    b.add_file(&f).unwrap();
    let idx = b.build();
    let mut c = Capture::new(Link::Ethernet);
    let cp = c.ephemeral_port();
    let mut t = c.tcp_open((ip(PHONE), cp), (ip(C2), 8080));
    t.send(&mut c, 0, b"POST /up HTTP/1.1\r\n\r\n{\"IMEI\": 1234}");
    t.send(
        &mut c,
        1,
        b"HTTP/1.1 200 OK\r\n\r\n{\"job\":{\"blob\":\"00\"}}",
    );
    t.close(&mut c);
    c.udp((ip(PHONE), 5555), (ip(C2), 9999), b"BEACON 1");
    c.udp((ip(PHONE), 5555), (ip(C2), 9998), b"BEACON 2");
    let r = run_bytes("rules.pcap", &c.to_pcap(false, false), &idx);
    let hits: Vec<(String, String)> = r
        .alerts
        .iter()
        .filter(|a| a.message.starts_with("rule sid"))
        .map(|a| (a.level.to_string(), a.event["signature_id"].to_string()))
        .collect();
    assert_eq!(hits.len(), 3, "{:#?}", r.alerts);
    assert!(hits.contains(&("HIGH".into(), "9001".into())));
    assert!(hits.contains(&("MEDIUM".into(), "6666667".into())));
    assert!(hits.contains(&("HIGH".into(), "77".into())));
}
