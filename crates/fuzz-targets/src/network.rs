//! Network capture targets: the pcap/pcapng reader with the whole streaming pass, each dissector
//! (DNS, TLS, QUIC, HTTP, certificates) and the Zeek and EVE readers.

use std::io::Cursor;

use telltale_core::ioc::{IndicatorKind, IocIndex};
use telltale_network::engine::{Engine, Limits};
use telltale_network::{cert, dns, http, quic, tls};

fn index() -> IocIndex {
    IocIndex::from_values(
        &[
            (IndicatorKind::Domain, "evil.com"),
            (IndicatorKind::Ipv4, "203.0.113.0/24"),
            (IndicatorKind::Url, "http://evil.com/x"),
        ],
        "Fuzz",
    )
}

/// Small bounds, so that the fuzzer reaches the limits (eviction, give-ups, records not kept).
fn small_limits() -> Limits {
    Limits {
        max_flows: 64,
        c2s_window: 4096,
        s2c_window: 8192,
        ooo_segments: 4,
        reassembly_total: 64 * 1024,
        max_records: 32,
        max_ip_names: 64,
        ..Limits::default()
    }
}

/// Any input through format sniffing (pcap, pcapng, gzip/zstd, Zeek, EVE) and the whole pass.
pub fn pcap_reader(data: &[u8]) {
    let iocs = index();
    let mut e = Engine::new(&iocs, small_limits());
    let _ = telltale_network::input::read_input(&mut e, "fuzz", Cursor::new(data), None);
    let _ = e.finish();
    // The raw packet reader alone, with the default bounds.
    let Ok(mut r) = telltale_network::pcap::PacketReader::new(telltale_network::pcap::Source::new(
        Cursor::new(data),
    )) else {
        return;
    };
    let mut e = Engine::new(&iocs, Limits::default());
    while let Ok(Some(p)) = r.next_packet() {
        e.packet(&p);
    }
    let _ = e.finish();
}

pub fn net_dns(data: &[u8]) {
    if let Ok(m) = dns::parse(data) {
        for (q, t) in &m.questions {
            let _ = dns::qtype_name(*t);
            let _ = telltale_network::modules::dns::ptr_address(q);
        }
    }
    for off in 0..data.len().min(64) {
        let _ = dns::name(data, off);
    }
}

pub fn net_tls(data: &[u8]) {
    let _ = tls::client_hello_from_stream(data);
    let _ = tls::client_hello_from_handshake(data);
    let _ = tls::parse_client_hello(data);
    let _ = tls::server_flight(data);
    let _ = cert::info(data);
}

/// The first byte picks the version; the rest is a datagram decrypted with the keys of its own DCID.
pub fn net_quic(data: &[u8]) {
    let Some((&v, d)) = data.split_first() else {
        return;
    };
    let version = [quic::V1, quic::V2, quic::DRAFT29, 0][v as usize % 4];
    let mut rest = d;
    for _ in 0..4 {
        let Some(h) = quic::long_header(rest) else {
            break;
        };
        let _ = quic::packet_type(h.first, version);
        if let Some(k) = quic::initial_keys(version, h.dcid, true)
            && let Some(p) = quic::decrypt(rest, &h, &k)
        {
            let mut c = quic::CryptoBuf::default();
            for (o, f) in quic::crypto_frames(&p) {
                c.add(o, f);
            }
            let _ = c.hello();
        }
        if h.packet_len >= rest.len() {
            break;
        }
        rest = &rest[h.packet_len..];
    }
    let _ = quic::crypto_frames(d);
    let mut c = quic::CryptoBuf::default();
    for ch in d.chunks(7) {
        if ch.len() > 2 {
            c.add(ch[0] as u64 * 8, &ch[1..]);
        }
    }
    let _ = c.hello();
}

pub fn net_http(data: &[u8]) {
    let _ = http::looks_like_request(data);
    let (reqs, used) = http::requests(data);
    assert!(used <= data.len());
    for r in reqs {
        if let Some(h) = http::request_host(&r) {
            let _ = http::request_url(&r, &h, 8080);
        }
    }
}

pub fn zeek_log(data: &[u8]) {
    let iocs = index();
    let mut e = Engine::new(&iocs, small_limits());
    let mut w = Vec::new();
    telltale_network::zeek::read(
        &mut e,
        "dns.log",
        Cursor::new(data),
        Some("dns.log"),
        &mut w,
    );
    telltale_network::zeek::read(&mut e, "x.log", Cursor::new(data), None, &mut w);
    let _ = e.finish();
}

pub fn eve_log(data: &[u8]) {
    let iocs = index();
    let mut e = Engine::new(&iocs, small_limits());
    let mut w = Vec::new();
    telltale_network::eve::read(&mut e, "eve.json", Cursor::new(data), &mut w);
    let _ = e.finish();
}
