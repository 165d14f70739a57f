//! Large synthetic captures, written as a stream: a phone's traffic for the throughput benchmark
//! (tens of thousands of flows, a DNS lookup each, 30 % post-quantum ClientHellos with shuffled
//! extensions, some split and out of order, QUIC with two Initials, bulk data), and a capture of
//! short flows for the flow-table bound.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};

use crate::net::{Capture, Link};
use crate::net_proto::{HelloSpec, QUIC_V1, Rr};
use crate::rng::XorShift;

/// What a generated capture holds.
#[derive(Debug, Default, Clone)]
pub struct Generated {
    pub bytes: u64,
    pub tls_flows: u64,
    pub quic_flows: u64,
    pub post_quantum: u64,
    /// Names planted (DNS lookups, SNI): every one of them must be found.
    pub names: u64,
}

fn server(i: u64) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        100 + (i % 100) as u8,
        (i >> 16) as u8,
        (i >> 8) as u8,
        i as u8 | 1,
    ))
}

/// A phone's traffic of about `target` bytes as a classic pcap (Ethernet, µs).
pub fn phone_capture<W: Write>(w: &mut W, target: u64, seed: u64) -> io::Result<Generated> {
    let mut rng = XorShift(seed.max(1));
    let mut c = Capture::new(Link::Ethernet);
    c.step_ns = 200_000;
    let header = c.pcap_header();
    w.write_all(&header)?;
    let mut g = Generated {
        bytes: header.len() as u64,
        ..Default::default()
    };
    let phone = IpAddr::V4(Ipv4Addr::new(192, 168, 7, 23));
    let resolver = IpAddr::V4(Ipv4Addr::new(192, 168, 7, 1));
    let mut i = 0u64;
    while g.bytes < target {
        i += 1;
        let name = format!("host{i}.svc{}.example-cdn.net", i % 97);
        let srv = server(i);
        c.dns(phone, resolver, &name, &[Rr::addr(&srv.to_string())]);
        g.names += 1;
        let mut h = HelloSpec::sni(&name);
        let r = rng.next_u64() % 100;
        if r < 30 {
            h.post_quantum = true;
            h.shuffle = true;
            h.segments = vec![1200];
            g.post_quantum += 1;
            if r < 5 {
                h.order = vec![1, 0];
            }
        }
        if r >= 90 {
            c.quic(
                phone,
                (srv, 443),
                &h,
                QUIC_V1,
                if h.post_quantum { 2 } else { 1 },
                true,
            );
            // Bulk data on short-header packets.
            let n = 20 + rng.next_u64() % 30;
            let port = c.ephemeral_port();
            for _ in 0..n {
                let mut payload = vec![0x40u8; 1200];
                payload[1..9].copy_from_slice(&rng.next_u64().to_le_bytes());
                c.udp((srv, 443), (phone, port), &payload);
            }
            g.quic_flows += 1;
        } else {
            let cp = c.ephemeral_port();
            let mut t = c.tcp_open((phone, cp), (srv, 443));
            let ch = crate::net_proto::tls_records(&crate::net_proto::client_hello(&h), 16_384);
            t.send_split(&mut c, 0, &ch, &h.segments, &h.order);
            t.send(&mut c, 1, &crate::net_proto::server_hello_tls13());
            let n = 10 + rng.next_u64() % 30;
            let mut rec = vec![23u8, 3, 3, 5, 0x5b];
            rec.resize(1400, 0xa5);
            for _ in 0..n {
                t.send(&mut c, 1, &rec);
            }
            t.send(&mut c, 0, &[23, 3, 3, 0, 4, 1, 2, 3, 4]);
            t.close(&mut c);
            g.tls_flows += 1;
        }
        g.names += 1;
        if i.is_multiple_of(64) {
            g.bytes += c.flush_pcap_records(w)?;
            c.events.clear();
        }
    }
    g.bytes += c.flush_pcap_records(w)?;
    Ok(g)
}

/// `n` short TCP flows (SYN, SYN-ACK, RST) to distinct destinations, 1 ms apart, as a RAW pcap.
pub fn short_flows<W: Write>(w: &mut W, n: u64) -> io::Result<u64> {
    let mut c = Capture::new(Link::Raw);
    let header = c.pcap_header();
    w.write_all(&header)?;
    let mut bytes = header.len() as u64;
    let phone = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    for i in 0..n {
        let dst = IpAddr::V4(Ipv4Addr::new(
            11 + (i >> 24) as u8,
            (i >> 16) as u8,
            (i >> 8) as u8,
            i as u8,
        ));
        let sp = 1024 + (i % 60_000) as u16;
        use crate::net::{ACK, RST, SYN, tcp_segment};
        c.ip(phone, dst, 6, &tcp_segment(sp, 443, 1, 0, SYN, &[]));
        c.ip(dst, phone, 6, &tcp_segment(443, sp, 7, 2, SYN | ACK, &[]));
        c.ip(phone, dst, 6, &tcp_segment(sp, 443, 2, 8, RST, &[]));
        if i % 4096 == 0 {
            bytes += c.flush_pcap_records(w)?;
        }
    }
    bytes += c.flush_pcap_records(w)?;
    Ok(bytes)
}
