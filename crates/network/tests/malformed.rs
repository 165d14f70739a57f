//! Hostile and broken inputs give a result or a clear error: never a panic, never unbounded memory.

mod common;

use common::*;
use telltale_core::{AcquisitionKind, ModuleStatus, OpenOptions};
use telltale_network::NetworkCaptureKind;
use telltale_testkit::net::{Capture, Link, ServerFlight};
use telltale_testkit::net_proto::{HelloSpec, Rr};

fn sample() -> Capture {
    let mut c = Capture::new(Link::Ethernet);
    c.dns(
        ip("10.0.0.5"),
        ip("10.0.0.1"),
        "a.evil.com",
        &[Rr::addr("203.0.113.66")],
    );
    c.tls(
        ip("10.0.0.5"),
        (ip("203.0.113.66"), 443),
        &HelloSpec::sni("b.evil.com"),
        ServerFlight::Tls13,
    );
    c
}

#[test]
fn a_last_record_cut_in_half_keeps_what_came_before() {
    let bytes = sample().to_pcap(false, false);
    for cut in [bytes.len() - 10, bytes.len() - 70] {
        let r = run_bytes("cut.pcap", &bytes[..cut], &iocs());
        assert!(!r.severe().is_empty());
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("ends inside a record")),
            "{:?}",
            r.warnings
        );
    }
    let ng = sample().to_pcapng(&Default::default());
    let r = run_bytes("cut.pcapng", &ng[..ng.len() - 30], &iocs());
    assert!(!r.severe().is_empty());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("ends inside a record"))
    );
}

#[test]
fn a_4_gib_claimed_length_is_a_clear_error() {
    let mut bytes = sample().to_pcap(false, false);
    // The second record's incl_len.
    let first_len = u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
    let at = 24 + 16 + first_len + 8;
    bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let r = run_bytes("huge.pcap", &bytes, &iocs());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("record length 4294967295")),
        "{:?}",
        r.warnings
    );
    // pcapng: a block claiming 4 GiB.
    let mut ng = sample().to_pcapng(&Default::default());
    let l = ng.len();
    ng.extend([6, 0, 0, 0, 0xfc, 0xff, 0xff, 0xff]);
    ng.extend([0u8; 64]);
    let r = run_bytes("huge.pcapng", &ng, &iocs());
    assert!(
        !r.severe().is_empty(),
        "the packets before the bad block are kept"
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains(&format!("offset {l}"))),
        "{:?}",
        r.warnings
    );
}

#[test]
fn an_unreadable_first_record_refuses_the_capture() {
    let mut bytes = sample().to_pcap(false, false);
    bytes[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("bad.pcap");
    std::fs::write(&p, &bytes).unwrap();
    let e = NetworkCaptureKind::default().open(&p, &OpenOptions::default());
    assert!(
        e.is_err(),
        "a capture with nothing readable is an error at open"
    );
    // A truncated header, garbage, an empty file: not a capture.
    for junk in [&bytes[..10], b"garbage that is no capture", b""] {
        std::fs::write(&p, junk).unwrap();
        let o = NetworkCaptureKind::default().open(&p, &OpenOptions::default());
        assert!(!matches!(o, Ok(Some(_))), "{junk:?}");
    }
}

#[test]
fn dns_compression_loops_and_garbage_payloads() {
    let mut c = Capture::new(Link::Raw);
    let phone = ip("10.0.0.5");
    let res = ip("10.0.0.1");
    // A response whose answer owner points at itself, one pointing forward, and random bytes.
    let mut looped = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    looped.extend(telltale_testkit::net_proto::dns_name("x.evil.com"));
    looped.extend([0, 1, 0, 1]);
    let here = looped.len() as u16;
    looped.extend((0xc000 | here).to_be_bytes());
    looped.extend([0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4]);
    c.udp((res, 53), (phone, 5000), &looped);
    let mut fwd = vec![0x12, 0x35, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x20];
    fwd.extend([0; 30]);
    c.udp((phone, 5001), (res, 53), &fwd);
    let mut rng = telltale_testkit::rng::XorShift(7);
    for _ in 0..200 {
        let n = (rng.next_u64() % 300) as usize;
        let b: Vec<u8> = rng.bytes(n);
        c.udp((phone, 5002), (res, 53), &b);
        c.udp((phone, 5003), (res, 443), &{
            let mut q = b.clone();
            if !q.is_empty() {
                q[0] |= 0xc0;
            }
            q
        });
        c.ip(phone, res, 6, &b);
        c.raw_frame(b.clone());
    }
    let r = run_bytes("junk.pcap", &c.to_pcap(false, false), &iocs());
    assert!(r.summary.failed().next().is_none(), "{:?}", r.summary);
    assert!(
        r.coverage
            .iter()
            .any(|l| l.contains("malformed DNS messages")),
        "{:?}",
        r.coverage
    );
}

#[test]
fn modules_report_a_capture_that_breaks_mid_way_without_failing() {
    let mut bytes = sample().to_pcapng(&Default::default());
    let n = bytes.len();
    bytes[n - 4] ^= 0xff; // trailing length of the last block differs
    let r = run_bytes("bad.pcapng", &bytes, &iocs());
    assert!(
        r.summary
            .modules
            .iter()
            .all(|m| matches!(m.status, ModuleStatus::Ok | ModuleStatus::NoData(_)))
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("trailing length differs")),
        "{:?}",
        r.warnings
    );
}
