//! Network captures built byte by byte: link layers (Ethernet with VLAN/QinQ, RAW, NULL, LOOP, SLL,
//! SLL2, radiotap/802.11), IPv4/IPv6, TCP with coherent sequence numbers, UDP, and the pcap (4
//! magics) and pcapng (sections, interfaces, EPB/SPB/obsolete PB, DSB, NRB, ISB) file formats. The
//! [`Capture`] builder also records what it plants as [`Event`]s, from which
//! [`crate::net_logs`] writes the Zeek and Suricata logs of the same traffic.

use std::net::IpAddr;

use crate::net_proto as proto;

/// Link layers the builder can frame packets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    /// Ethernet with one 802.1Q tag.
    Vlan,
    /// Ethernet with an 802.1ad outer tag and an 802.1Q inner tag.
    QinQ,
    Raw,
    /// DLT_RAW as old BSD writers number it (12).
    Raw12,
    Null,
    Loop,
    Sll,
    Sll2,
    /// Radiotap (with a Flags field saying "FCS at end") + 802.11 QoS data + LLC/SNAP, and a 4-byte FCS.
    Radiotap,
    Wifi,
}

impl Link {
    pub fn linktype(self) -> u32 {
        match self {
            Link::Ethernet | Link::Vlan | Link::QinQ => 1,
            Link::Raw => 101,
            Link::Raw12 => 12,
            Link::Null => 0,
            Link::Loop => 108,
            Link::Sll => 113,
            Link::Sll2 => 276,
            Link::Radiotap => 127,
            Link::Wifi => 105,
        }
    }

    /// Frames an IP packet.
    pub fn frame(self, ip: &[u8]) -> Vec<u8> {
        let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
        let et: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
        let mac = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
        let mut f = Vec::new();
        match self {
            Link::Ethernet => {
                f.extend(mac);
                f.extend(et);
                f.extend(ip);
                // Pad short frames to 60 bytes, as Ethernet does.
                while f.len() < 60 {
                    f.push(0);
                }
            }
            Link::Vlan => {
                f.extend(mac);
                f.extend([0x81, 0x00, 0x00, 0x0a]);
                f.extend(et);
                f.extend(ip);
            }
            Link::QinQ => {
                f.extend(mac);
                f.extend([0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0a]);
                f.extend(et);
                f.extend(ip);
            }
            Link::Raw | Link::Raw12 => f.extend(ip),
            Link::Null => {
                f.extend((if v6 { 30u32 } else { 2u32 }).to_le_bytes());
                f.extend(ip);
            }
            Link::Loop => {
                f.extend((if v6 { 30u32 } else { 2u32 }).to_be_bytes());
                f.extend(ip);
            }
            Link::Sll => {
                f.extend([0, 0, 0, 1, 0, 6]);
                f.extend([2, 0, 0, 0, 0, 1, 0, 0]);
                f.extend(et);
                f.extend(ip);
            }
            Link::Sll2 => {
                f.extend(et);
                f.extend([0, 0]);
                f.extend(3u32.to_be_bytes());
                f.extend([0, 1, 0, 6]);
                f.extend([2, 0, 0, 0, 0, 1, 0, 0]);
                f.extend(ip);
            }
            Link::Radiotap => {
                // Version 0, length 12, present = TSFT? no: Flags (bit 1) + Rate (bit 2).
                f.extend([0, 0, 12, 0]);
                f.extend(0b110u32.to_le_bytes());
                f.extend([0x10, 0x02, 0, 0]); // Flags: FCS at end; rate; padding
                f.extend(wifi_data(ip, et, false));
                f.extend([0xde, 0xad, 0xbe, 0xef]); // FCS
            }
            Link::Wifi => f.extend(wifi_data(ip, et, false)),
        }
        f
    }
}

/// An 802.11 QoS data frame (from DS) carrying an IP packet, optionally marked protected.
pub fn wifi_data(ip: &[u8], et: [u8; 2], protected: bool) -> Vec<u8> {
    let mut f = vec![0x88, if protected { 0x42 } else { 0x02 }, 0, 0];
    f.extend([0x02, 0, 0, 0, 0, 1]);
    f.extend([0x02, 0, 0, 0, 0, 2]);
    f.extend([0x02, 0, 0, 0, 0, 3]);
    f.extend([0, 0]); // sequence control
    f.extend([0, 0]); // QoS control
    if protected {
        f.extend([0u8; 8]); // CCMP header
        f.extend(ip.iter().map(|b| b ^ 0x5a));
        return f;
    }
    f.extend([0xAA, 0xAA, 0x03, 0, 0, 0]);
    f.extend(et);
    f.extend(ip);
    f
}

fn checksum(data: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in data.chunks(2) {
        s += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// An IP packet (v4 or v6 by the addresses) with a transport payload.
pub fn ip_packet(src: IpAddr, dst: IpAddr, proto: u8, payload: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = 20 + payload.len();
            let mut h = vec![0x45, 0];
            h.extend((total as u16).to_be_bytes());
            h.extend([0, 1, 0x40, 0, 64, proto, 0, 0]);
            h.extend(s.octets());
            h.extend(d.octets());
            let c = checksum(&h);
            h[10..12].copy_from_slice(&c.to_be_bytes());
            h.extend(payload);
            h
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut h = vec![0x60, 0, 0, 0];
            h.extend((payload.len() as u16).to_be_bytes());
            h.extend([proto, 64]);
            h.extend(s.octets());
            h.extend(d.octets());
            h.extend(payload);
            h
        }
        _ => panic!("mixed address families"),
    }
}

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

pub fn tcp_segment(
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend(sport.to_be_bytes());
    t.extend(dport.to_be_bytes());
    t.extend(seq.to_be_bytes());
    t.extend(ack.to_be_bytes());
    t.extend([0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend(payload);
    t
}

pub fn udp_datagram(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + payload.len());
    u.extend(sport.to_be_bytes());
    u.extend(dport.to_be_bytes());
    u.extend(((8 + payload.len()) as u16).to_be_bytes());
    u.extend([0, 0]);
    u.extend(payload);
    u
}

/// One frame of a capture.
#[derive(Debug, Clone)]
pub struct Frame {
    pub ts_ns: i64,
    pub data: Vec<u8>,
    /// Original length when the frame was cut by a snap length.
    pub orig_len: Option<u32>,
    pub iface: u32,
}

/// What the builder planted, for the log writers.
#[derive(Debug, Clone)]
pub enum Event {
    Dns {
        ts_ns: i64,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        name: String,
        qtype: u16,
        answers: Vec<String>,
        tcp: bool,
        id: u16,
    },
    Tls {
        ts_ns: i64,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        sni: Option<String>,
        established: bool,
        cert_sha1: Vec<String>,
        cert_sha256: Vec<String>,
        cert_subject: Option<String>,
        bytes: (u64, u64),
    },
    Quic {
        ts_ns: i64,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        sni: Option<String>,
        answered: bool,
        bytes: (u64, u64),
    },
    Http {
        ts_ns: i64,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        method: String,
        host: String,
        target: String,
        bytes: (u64, u64),
    },
    Conn {
        ts_ns: i64,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        tcp: bool,
        established: bool,
        bytes: (u64, u64),
    },
}

/// A capture being built.
#[derive(Debug, Clone)]
pub struct Capture {
    pub link: Link,
    pub frames: Vec<Frame>,
    pub events: Vec<Event>,
    /// Current time (ns since the epoch); each frame advances it by `step_ns`.
    pub now_ns: i64,
    pub step_ns: i64,
    next_port: u16,
    next_id: u16,
    iface: u32,
}

/// 2024-05-01 12:00:00 UTC.
pub const START_NS: i64 = 1_714_564_800_000_000_000;

impl Capture {
    pub fn new(link: Link) -> Self {
        Capture {
            link,
            frames: Vec::new(),
            events: Vec::new(),
            now_ns: START_NS,
            step_ns: 1_000_000,
            next_port: 40_000,
            next_id: 0x1000,
            iface: 0,
        }
    }

    /// Frames after this go to interface `i` (pcapng with several interfaces).
    pub fn on_interface(&mut self, i: u32) -> &mut Self {
        self.iface = i;
        self
    }

    pub fn ephemeral_port(&mut self) -> u16 {
        self.next_port = self.next_port.wrapping_add(1).max(1024);
        self.next_port
    }

    /// Appends a raw link-layer frame.
    pub fn raw_frame(&mut self, data: Vec<u8>) -> &mut Self {
        self.now_ns += self.step_ns;
        self.frames.push(Frame {
            ts_ns: self.now_ns,
            data,
            orig_len: None,
            iface: self.iface,
        });
        self
    }

    pub fn ip(&mut self, src: IpAddr, dst: IpAddr, proto: u8, payload: &[u8]) -> &mut Self {
        let f = self.link.frame(&ip_packet(src, dst, proto, payload));
        self.raw_frame(f)
    }

    pub fn udp(&mut self, src: (IpAddr, u16), dst: (IpAddr, u16), payload: &[u8]) -> &mut Self {
        self.ip(src.0, dst.0, 17, &udp_datagram(src.1, dst.1, payload))
    }

    /// A DNS lookup over UDP: the query and its response.
    pub fn dns(
        &mut self,
        client: IpAddr,
        resolver: IpAddr,
        name: &str,
        answers: &[proto::Rr],
    ) -> &mut Self {
        let id = self.next_id;
        self.next_id += 1;
        let qtype = answers.first().map(|a| a.qtype_of_question()).unwrap_or(1);
        let sp = self.ephemeral_port();
        let ts = self.now_ns + self.step_ns;
        self.udp(
            (client, sp),
            (resolver, 53),
            &proto::dns_query(id, name, qtype),
        );
        self.udp(
            (resolver, 53),
            (client, sp),
            &proto::dns_response(id, name, qtype, answers),
        );
        self.events.push(Event::Dns {
            ts_ns: ts,
            client: (client, sp),
            server: (resolver, 53),
            name: name.to_string(),
            qtype,
            answers: answers.iter().map(|a| a.value()).collect(),
            tcp: false,
            id,
        });
        self
    }

    /// A DNS query without an answer (an NXDOMAIN-less timeout).
    pub fn dns_query_only(&mut self, client: IpAddr, resolver: IpAddr, name: &str) -> &mut Self {
        let id = self.next_id;
        self.next_id += 1;
        let sp = self.ephemeral_port();
        let ts = self.now_ns + self.step_ns;
        self.udp((client, sp), (resolver, 53), &proto::dns_query(id, name, 1));
        self.events.push(Event::Dns {
            ts_ns: ts,
            client: (client, sp),
            server: (resolver, 53),
            name: name.to_string(),
            qtype: 1,
            answers: vec![],
            tcp: false,
            id,
        });
        self
    }

    /// Opens a TCP connection (three-way handshake).
    pub fn tcp_open(&mut self, client: (IpAddr, u16), server: (IpAddr, u16)) -> Tcp {
        let t = Tcp {
            client,
            server,
            seq: [0x1000_0000, 0xfff0_0000],
            start_ns: self.now_ns + self.step_ns,
            bytes: (0, 0),
        };
        self.ip(
            client.0,
            server.0,
            6,
            &tcp_segment(client.1, server.1, t.seq[0] - 1, 0, SYN, &[]),
        );
        self.ip(
            server.0,
            client.0,
            6,
            &tcp_segment(server.1, client.1, t.seq[1] - 1, t.seq[0], SYN | ACK, &[]),
        );
        self.ip(
            client.0,
            server.0,
            6,
            &tcp_segment(client.1, server.1, t.seq[0], t.seq[1], ACK, &[]),
        );
        t
    }

    /// A TLS connection: handshake, ClientHello (in `segments` pieces, sent in `order`), the server's
    /// flight (TLS 1.2 with `certs`, or TLS 1.3), application data, close.
    pub fn tls(
        &mut self,
        client: IpAddr,
        server: (IpAddr, u16),
        hello: &proto::HelloSpec,
        server_flight: ServerFlight,
    ) -> &mut Self {
        let cp = self.ephemeral_port();
        let mut t = self.tcp_open((client, cp), server);
        let ch = proto::tls_records(&proto::client_hello(hello), hello.record_size);
        t.send_split(self, 0, &ch, &hello.segments, &hello.order);
        let mut sha1 = Vec::new();
        let mut sha256 = Vec::new();
        let mut subject = None;
        let established = !matches!(server_flight, ServerFlight::None);
        match &server_flight {
            ServerFlight::Tls12(certs) => {
                for c in certs {
                    sha1.push(proto::sha1_hex(c));
                    sha256.push(proto::sha256_hex(c));
                }
                subject = certs.first().map(|_| "leaf".to_string());
                let f = proto::server_flight_tls12(certs);
                t.send_split(self, 1, &f, &[1400], &[]);
                t.send(self, 1, &[0x17, 3, 3, 0, 4, 1, 2, 3, 4]);
            }
            ServerFlight::Tls13 => {
                let f = proto::server_hello_tls13();
                t.send(self, 1, &f);
            }
            ServerFlight::None => {}
        }
        if established {
            t.send(self, 0, &[0x17, 3, 3, 0, 4, 9, 9, 9, 9]);
        }
        t.close(self);
        self.events.push(Event::Tls {
            ts_ns: t.start_ns,
            client: (client, cp),
            server,
            sni: hello.sni.clone(),
            established,
            cert_sha1: sha1,
            cert_sha256: sha256,
            cert_subject: subject,
            bytes: t.bytes,
        });
        self
    }

    /// A plain HTTP/1.1 request and a small response.
    pub fn http(
        &mut self,
        client: IpAddr,
        server: (IpAddr, u16),
        method: &str,
        host: &str,
        target: &str,
    ) -> &mut Self {
        let cp = self.ephemeral_port();
        let mut t = self.tcp_open((client, cp), server);
        let req = format!(
            "{method} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: testkit/1\r\nAccept: */*\r\n\r\n"
        );
        t.send(self, 0, req.as_bytes());
        t.send(self, 1, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        t.close(self);
        self.events.push(Event::Http {
            ts_ns: t.start_ns,
            client: (client, cp),
            server,
            method: method.into(),
            host: host.into(),
            target: target.into(),
            bytes: t.bytes,
        });
        self
    }

    /// A QUIC connection: the client's Initial(s) carrying a ClientHello (split over `initials`
    /// packets, CRYPTO frames reordered inside each), and, when `answered`, a server Initial.
    pub fn quic(
        &mut self,
        client: IpAddr,
        server: (IpAddr, u16),
        hello: &proto::HelloSpec,
        version: u32,
        initials: usize,
        answered: bool,
    ) -> &mut Self {
        let cp = self.ephemeral_port();
        let ts = self.now_ns + self.step_ns;
        let dcid = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, (cp & 0xff) as u8];
        let scid = [0xc1, 0x01, 0x02, 0x03];
        let ch = proto::client_hello(hello);
        let n = initials.max(1);
        let chunk = ch.len().div_ceil(n);
        let mut sent = 0u64;
        for (i, piece) in ch.chunks(chunk).enumerate() {
            let off = (i * chunk) as u64;
            // Two CRYPTO frames per packet, the second half first.
            let mid = piece.len() / 2;
            let frames = vec![
                (off + mid as u64, piece[mid..].to_vec()),
                (off, piece[..mid].to_vec()),
            ];
            let pkt = proto::quic_initial(version, &dcid, &scid, i as u64, &frames, 1200);
            sent += pkt.len() as u64;
            self.udp((client, cp), server, &pkt);
        }
        let mut got = 0;
        if answered {
            let pkt = proto::quic_server_initial(version, &scid, &[0x5e, 0x77, 0x01, 0x02]);
            got = pkt.len() as u64;
            self.udp(server, (client, cp), &pkt);
        }
        self.events.push(Event::Quic {
            ts_ns: ts,
            client: (client, cp),
            server,
            sni: hello.sni.clone(),
            answered,
            bytes: (sent, got),
        });
        self
    }

    /// The 24-byte classic pcap header (little-endian, µs) of this capture's link type.
    pub fn pcap_header(&self) -> Vec<u8> {
        let mut c = self.clone();
        c.frames.clear();
        c.to_pcap(false, false)
    }

    /// Writes the frames built so far as little-endian µs pcap records, and forgets them (for
    /// captures too large to hold in memory).
    pub fn flush_pcap_records<W: std::io::Write>(&mut self, w: &mut W) -> std::io::Result<u64> {
        let mut n = 0;
        for f in self.frames.drain(..) {
            let sec = (f.ts_ns / 1_000_000_000) as u32;
            let us = ((f.ts_ns % 1_000_000_000) / 1000) as u32;
            w.write_all(&sec.to_le_bytes())?;
            w.write_all(&us.to_le_bytes())?;
            w.write_all(&(f.data.len() as u32).to_le_bytes())?;
            w.write_all(&f.orig_len.unwrap_or(f.data.len() as u32).to_le_bytes())?;
            w.write_all(&f.data)?;
            n += 16 + f.data.len() as u64;
        }
        Ok(n)
    }

    /// Writes a classic pcap (`be`: big-endian; `nanos`: ns magic).
    pub fn to_pcap(&self, be: bool, nanos: bool) -> Vec<u8> {
        let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let w16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut out = Vec::new();
        out.extend(w32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
        out.extend(w16(2));
        out.extend(w16(4));
        out.extend(w32(0));
        out.extend(w32(0));
        out.extend(w32(262_144));
        out.extend(w32(self.link.linktype()));
        for f in &self.frames {
            let sec = (f.ts_ns / 1_000_000_000) as u32;
            let frac = (f.ts_ns % 1_000_000_000) as u32;
            out.extend(w32(sec));
            out.extend(w32(if nanos { frac } else { frac / 1000 }));
            out.extend(w32(f.data.len() as u32));
            out.extend(w32(f.orig_len.unwrap_or(f.data.len() as u32)));
            out.extend(&f.data);
        }
        out
    }

    /// Writes a pcapng with one section and the interfaces used (interface `i` has time unit
    /// `tsresol[i]`, default µs).
    pub fn to_pcapng(&self, opts: &PcapngOpts) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(pcapng_section(self, opts));
        out
    }
}

/// A TCP connection in progress (sequence numbers tracked per direction).
pub struct Tcp {
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub seq: [u32; 2],
    pub start_ns: i64,
    pub bytes: (u64, u64),
}

impl Tcp {
    fn ends(&self, dir: usize) -> ((IpAddr, u16), (IpAddr, u16)) {
        if dir == 0 {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        }
    }

    /// Sends `data` in one segment in direction `dir` (0 client→server).
    pub fn send(&mut self, cap: &mut Capture, dir: usize, data: &[u8]) {
        self.send_split(cap, dir, data, &[], &[]);
    }

    /// Sends `data` cut in segments of the given sizes (the last size repeats), in `order` (indices
    /// into the segments; empty: in order). Repeated indices are retransmissions.
    pub fn send_split(
        &mut self,
        cap: &mut Capture,
        dir: usize,
        data: &[u8],
        sizes: &[usize],
        order: &[usize],
    ) {
        let mut segs = Vec::new();
        let mut off = 0;
        let mut i = 0;
        while off < data.len() {
            let sz = sizes
                .get(i)
                .or(sizes.last())
                .copied()
                .unwrap_or(data.len())
                .max(1);
            let end = (off + sz).min(data.len());
            segs.push((off, &data[off..end]));
            off = end;
            i += 1;
        }
        let order: Vec<usize> = if order.is_empty() {
            (0..segs.len()).collect()
        } else {
            order.to_vec()
        };
        let (src, dst) = self.ends(dir);
        for &k in &order {
            let (o, d) = segs[k];
            let seq = self.seq[dir].wrapping_add(o as u32);
            let ack = self.seq[1 - dir];
            cap.ip(
                src.0,
                dst.0,
                6,
                &tcp_segment(src.1, dst.1, seq, ack, ACK | PSH, d),
            );
        }
        self.seq[dir] = self.seq[dir].wrapping_add(data.len() as u32);
        if dir == 0 {
            self.bytes.0 += data.len() as u64;
        } else {
            self.bytes.1 += data.len() as u64;
        }
    }

    pub fn close(&mut self, cap: &mut Capture) {
        let (c, s) = (self.client, self.server);
        cap.ip(
            c.0,
            s.0,
            6,
            &tcp_segment(c.1, s.1, self.seq[0], self.seq[1], FIN | ACK, &[]),
        );
        cap.ip(
            s.0,
            c.0,
            6,
            &tcp_segment(s.1, c.1, self.seq[1], self.seq[0] + 1, FIN | ACK, &[]),
        );
        cap.ip(
            c.0,
            s.0,
            6,
            &tcp_segment(c.1, s.1, self.seq[0] + 1, self.seq[1] + 1, ACK, &[]),
        );
    }
}

/// What the server answers to a ClientHello.
#[derive(Debug, Clone)]
pub enum ServerFlight {
    /// No answer (a SYN-ACK but no data: not an established exchange... the handshake only).
    None,
    /// TLS 1.2 with a certificate chain (DER, leaf first).
    Tls12(Vec<Vec<u8>>),
    Tls13,
}

/// pcapng writing options.
#[derive(Debug, Clone, Default)]
pub struct PcapngOpts {
    pub big_endian: bool,
    /// `if_tsresol` per interface (10^-n when the high bit is clear); absent: µs.
    pub tsresol: Vec<u8>,
    /// Write frames of interface 0 as Simple Packet Blocks.
    pub spb: bool,
    /// Write frames as obsolete Packet Blocks (type 2).
    pub obsolete_pb: bool,
    /// Add a Decryption Secrets Block (TLS key log).
    pub dsb: bool,
    /// Add a Name Resolution Block (never to be taken as traffic).
    pub nrb: Option<(std::net::Ipv4Addr, String)>,
    /// Add an Interface Statistics Block with this drop count.
    pub isb_drops: Option<u64>,
    /// Add a comment option to the section header.
    pub comment: Option<String>,
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

fn block(be: bool, btype: u32, body: &[u8]) -> Vec<u8> {
    let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut b = body.to_vec();
    pad4(&mut b);
    let len = (b.len() + 12) as u32;
    let mut out = Vec::new();
    out.extend(w32(btype));
    out.extend(w32(len));
    out.extend(b);
    out.extend(w32(len));
    out
}

fn opt(be: bool, code: u16, val: &[u8]) -> Vec<u8> {
    let w16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut o = Vec::new();
    o.extend(w16(code));
    o.extend(w16(val.len() as u16));
    o.extend(val);
    pad4(&mut o);
    o
}

/// One pcapng section holding every frame of `cap`.
pub fn pcapng_section(cap: &Capture, o: &PcapngOpts) -> Vec<u8> {
    let be = o.big_endian;
    let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let w16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut out = Vec::new();
    let mut shb = Vec::new();
    shb.extend(w32(0x1A2B_3C4D));
    shb.extend(w16(1));
    shb.extend(w16(0));
    shb.extend([0xff; 8]);
    if let Some(c) = &o.comment {
        shb.extend(opt(be, 1, c.as_bytes()));
        shb.extend(opt(be, 0, &[]));
    }
    out.extend(block(be, 0x0A0D_0D0A, &shb));
    let n_if = cap.frames.iter().map(|f| f.iface).max().unwrap_or(0) + 1;
    for i in 0..n_if {
        let mut idb = Vec::new();
        idb.extend(w16(cap.link.linktype() as u16));
        idb.extend(w16(0));
        idb.extend(w32(262_144));
        if let Some(&r) = o.tsresol.get(i as usize) {
            idb.extend(opt(be, 9, &[r]));
            idb.extend(opt(be, 0, &[]));
        }
        out.extend(block(be, 1, &idb));
    }
    if o.dsb {
        let keylog = b"CLIENT_RANDOM 00 11\n";
        let mut d = Vec::new();
        d.extend(w32(0x544c_534b));
        d.extend(w32(keylog.len() as u32));
        d.extend(keylog);
        out.extend(block(be, 0x0A, &d));
    }
    if let Some((ip, name)) = &o.nrb {
        let mut r = Vec::new();
        let mut v = ip.octets().to_vec();
        v.extend(name.as_bytes());
        v.push(0);
        r.extend(w16(1));
        r.extend(w16(v.len() as u16));
        r.extend(&v);
        pad4(&mut r);
        r.extend(w16(0));
        r.extend(w16(0));
        out.extend(block(be, 4, &r));
    }
    for f in &cap.frames {
        let res = o.tsresol.get(f.iface as usize).copied().unwrap_or(6);
        let units = if res & 0x80 != 0 {
            ((f.ts_ns as i128) << (res & 0x7f)) / 1_000_000_000
        } else {
            (f.ts_ns as i128) / 10i128.pow(9 - res.min(9) as u32)
        } as u64;
        let orig = f.orig_len.unwrap_or(f.data.len() as u32);
        let mut b = Vec::new();
        if o.spb && f.iface == 0 {
            b.extend(w32(orig));
            b.extend(&f.data);
            out.extend(block(be, 3, &b));
            continue;
        }
        if o.obsolete_pb {
            b.extend(w16(f.iface as u16));
            b.extend(w16(0));
        } else {
            b.extend(w32(f.iface));
        }
        b.extend(w32((units >> 32) as u32));
        b.extend(w32(units as u32));
        b.extend(w32(f.data.len() as u32));
        b.extend(w32(orig));
        b.extend(&f.data);
        pad4(&mut b);
        b.extend(opt(be, 2, &w32(1)));
        b.extend(opt(be, 0, &[]));
        out.extend(block(be, if o.obsolete_pb { 2 } else { 6 }, &b));
    }
    if let Some(d) = o.isb_drops {
        let mut b = Vec::new();
        b.extend(w32(0));
        b.extend(w32(0));
        b.extend(w32(0));
        let dv = if be { d.to_be_bytes() } else { d.to_le_bytes() };
        b.extend(opt(be, 5, &dv));
        b.extend(opt(be, 0, &[]));
        out.extend(block(be, 5, &b));
    }
    out
}

/// gzip of bytes.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip in memory");
    e.finish().expect("gzip in memory")
}

/// A zstd frame of raw blocks (valid zstd; uncompressed data) — enough to test decompression.
pub fn zstd_raw(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd];
    // Frame header: Single_Segment_flag set, FCS field 8 bytes (FCS_Field_Size = 3).
    out.push(0b1110_0000);
    out.extend((data.len() as u64).to_le_bytes());
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(100_000).collect()
    };
    let n = chunks.len();
    for (i, c) in chunks.into_iter().enumerate() {
        let last = (i + 1 == n) as u32;
        let h = last | (c.len() as u32) << 3; // Block_Type 0 = Raw
        out.extend(&h.to_le_bytes()[..3]);
        out.extend(c);
    }
    out
}
