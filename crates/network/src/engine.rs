//! The streaming pass: packets → flows → reassembled streams → DNS/TLS/QUIC/HTTP records, with
//! bounded state (flow table, reassembly windows, record maps; every limit hit is counted).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::net::IpAddr;

use telltale_ioc::IocIndex;

use crate::cert;
use crate::dns::{self, AnswerData};
use crate::http;
use crate::link::{self, Fragment, NotIp};
use crate::pcap::Packet;
use crate::quic::{self, CryptoBuf};
use crate::records::*;
use crate::tls::{self, Progress};

/// A small fast hasher (FxHash) for the hot maps.
#[derive(Default, Clone, Copy)]
pub struct Fx(u64);
impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut a = [0u8; 8];
            a[..c.len()].copy_from_slice(c);
            self.add(u64::from_le_bytes(a));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64)
    }
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64)
    }
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64)
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i)
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64)
    }
}
impl Fx {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Bounds of the pass (defaults from the specification).
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_flows: usize,
    pub c2s_window: usize,
    pub s2c_window: usize,
    pub ooo_segments: usize,
    pub reassembly_total: usize,
    /// Distinct records kept per kind; past it, only records that match an indicator are kept.
    pub max_records: usize,
    pub max_ip_names: usize,
    pub tcp_idle_s: i64,
    pub closed_idle_s: i64,
    pub udp_idle_s: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_flows: 1_000_000,
            c2s_window: 16 * 1024,
            s2c_window: 64 * 1024,
            ooo_segments: 32,
            reassembly_total: 64 << 20,
            max_records: 200_000,
            max_ip_names: 500_000,
            tcp_idle_s: 300,
            closed_idle_s: 10,
            udp_idle_s: 60,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct FlowKey {
    proto: u8,
    a: IpAddr,
    ap: u16,
    b: IpAddr,
    bp: u16,
}

fn addr_bits(a: &IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u32::from(*v) as u128 | (1 << 127),
        IpAddr::V6(v) => u128::from(*v),
    }
}

impl Hash for FlowKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let a = addr_bits(&self.a);
        let b = addr_bits(&self.b);
        state.write_u64(a as u64 ^ (a >> 64) as u64);
        state.write_u64(b as u64 ^ (b >> 64) as u64);
        state.write_u64(((self.ap as u64) << 32) | ((self.bp as u64) << 8) | self.proto as u64);
    }
}

impl FlowKey {
    fn new(proto: u8, s: IpAddr, sp: u16, d: IpAddr, dp: u16) -> Self {
        if (s, sp) <= (d, dp) {
            FlowKey {
                proto,
                a: s,
                ap: sp,
                b: d,
                bp: dp,
            }
        } else {
            FlowKey {
                proto,
                a: d,
                ap: dp,
                b: s,
                bp: sp,
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum L7 {
    Unknown,
    Tls,
    Http,
    DnsTcp,
    Other,
}

/// One direction of a TCP stream, reassembled from its start while it is of interest.
#[derive(Default)]
struct Stream {
    base: Option<u32>,
    /// Stream offset of `data[0]`.
    start: u64,
    data: Vec<u8>,
    ooo: Vec<(u64, Vec<u8>)>,
    done: bool,
    /// Bytes of the stream already parsed (DNS over TCP, HTTP).
    parsed: usize,
}

struct Flow {
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    first_ns: Option<i64>,
    last_ns: Option<i64>,
    first_frame: u64,
    input: u32,
    syn: bool,
    synack: bool,
    closed: bool,
    data: [bool; 2],
    bytes: [u64; 2],
    l7: L7,
    streams: [Option<Box<Stream>>; 2],
    quic: Option<Box<QuicConn>>,
    hello: Option<u32>,
    http: Vec<u32>,
    named: bool,
    /// The first bytes of each direction, for Snort-subset rules (only when rules are loaded).
    rule_data: Option<Box<[Vec<u8>; 2]>>,
}

#[derive(Default)]
struct QuicConn {
    version: u32,
    keys: Option<quic::Keys>,
    crypto: CryptoBuf,
    done: bool,
    initials: u32,
    failed: bool,
    answered: bool,
    retry: bool,
}

impl Flow {
    fn tuple(&self, proto: u8) -> Tuple {
        Tuple {
            proto,
            src: self.client.0,
            sport: self.client.1,
            dst: self.server.0,
            dport: self.server.1,
        }
    }
    fn established(&self, proto: u8) -> bool {
        match proto {
            6 => {
                (self.synack && (self.data[0] || self.data[1]))
                    || (!self.syn && self.data[0] && self.data[1])
            }
            _ => self
                .quic
                .as_ref()
                .is_some_and(|q| q.answered && q.initials > 0),
        }
    }
}

/// Known encrypted-DNS resolvers (SNI) and the iCloud Private Relay ingress names.
const DOH_NAMES: [&str; 16] = [
    "dns.google",
    "dns.google.com",
    "dns64.dns.google",
    "cloudflare-dns.com",
    "mozilla.cloudflare-dns.com",
    "chrome.cloudflare-dns.com",
    "1dot1dot1dot1.cloudflare-dns.com",
    "one.one.one.one",
    "dns.quad9.net",
    "dns9.quad9.net",
    "dns11.quad9.net",
    "doh.opendns.com",
    "dns.adguard.com",
    "dns.adguard-dns.com",
    "dns.nextdns.io",
    "doh.cleanbrowsing.org",
];
const RELAY_NAMES: [&str; 3] = [
    "mask.icloud.com",
    "mask-h2.icloud.com",
    "mask-api.icloud.com",
];
const DOH_ADDRS: [&str; 10] = [
    "8.8.8.8",
    "8.8.4.4",
    "1.1.1.1",
    "1.0.0.1",
    "9.9.9.9",
    "149.112.112.112",
    "208.67.222.222",
    "208.67.220.220",
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
];

fn is_doh_name(n: &str) -> bool {
    DOH_NAMES.contains(&n) || n.ends_with(".dns.nextdns.io")
}

/// A map of records with a cap on distinct keys.
pub struct RecMap<K, V> {
    pub index: FxMap<K, u32>,
    pub items: Vec<V>,
}

impl<K: Hash + Eq, V> Default for RecMap<K, V> {
    fn default() -> Self {
        RecMap {
            index: FxMap::default(),
            items: Vec::new(),
        }
    }
}

impl<K: Hash + Eq, V> RecMap<K, V> {
    /// The record of `k`, created by `make` when absent and under the cap (or `keep` says so).
    fn get_or(
        &mut self,
        k: K,
        cap: usize,
        dropped: &mut u64,
        keep: impl FnOnce() -> bool,
        make: impl FnOnce() -> V,
    ) -> Option<u32> {
        if let Some(&i) = self.index.get(&k) {
            return Some(i);
        }
        if self.items.len() >= cap && !keep() {
            *dropped += 1;
            return None;
        }
        let i = self.items.len() as u32;
        self.items.push(make());
        self.index.insert(k, i);
        Some(i)
    }
}

/// Everything the pass produced.
#[derive(Default)]
pub struct Capture {
    pub inputs: Vec<InputInfo>,
    pub dns: RecMap<(String, u16), DnsRec>,
    pub hellos: RecMap<(Option<String>, IpAddr, u16, bool), HelloRec>,
    pub certs: RecMap<String, CertRec>,
    pub http: RecMap<(String, String), HttpRec>,
    pub flows: RecMap<(u8, IpAddr, u16), FlowRec>,
    pub ids: Vec<IdsRec>,
    pub rule_hits: RecMap<(u64, IpAddr, u16), RuleHit>,
    pub counters: Counters,
    pub linktype_unsupported: Vec<String>,
    pub warnings: Vec<String>,
    pub secrets_present: bool,
}

/// The streaming pass over packets (and the sink of log readers).
pub struct Engine<'a> {
    pub cap: Capture,
    limits: Limits,
    iocs: &'a IocIndex,
    flows: FxMap<FlowKey, Flow>,
    ip_names: FxMap<IpAddr, u32>,
    reasm_bytes: usize,
    last_sweep_ns: i64,
    pub input: u32,
    rules: Vec<crate::snort::Rule>,
    rule_bytes: usize,
}

impl<'a> Engine<'a> {
    pub fn new(iocs: &'a IocIndex, limits: Limits) -> Self {
        let mut cap = Capture::default();
        let mut rules = Vec::new();
        for (_, tag, text) in &iocs.network_lists().snort {
            match crate::snort::Rule::parse(text, tag) {
                Ok(r) => rules.push(r),
                Err(e) => cap.warnings.push(e),
            }
        }
        Engine {
            rules,
            rule_bytes: 0,
            cap,
            limits,
            iocs,
            flows: FxMap::default(),
            ip_names: FxMap::default(),
            reasm_bytes: 0,
            last_sweep_ns: i64::MIN,
            input: 0,
        }
    }

    /// Runs the rules over one direction's data; records the hits.
    fn run_rules(&mut self, t: Tuple, to_server: bool, established: bool, data: &[u8], s: &Seen) {
        let hits: Vec<(u64, String, String, bool)> = self
            .rules
            .iter()
            .filter(|r| r.matches(t.proto, t.sport, t.dport, to_server, established, data))
            .map(|r| (r.sid, r.msg.clone(), r.tag.clone(), r.is_spyware()))
            .collect();
        for (sid, msg, tag, spyware) in hits {
            let cap = self.limits.max_records;
            let Some(i) = self.cap.rule_hits.get_or(
                (sid, t.dst, t.dport),
                cap,
                &mut self.cap.counters.records_not_kept,
                || spyware,
                || RuleHit {
                    sid,
                    msg,
                    tag,
                    spyware,
                    to_server,
                    prov: Prov::new(s),
                },
            ) else {
                continue;
            };
            let r = &mut self.cap.rule_hits.items[i as usize];
            r.prov.add(s);
            r.prov.established |= established;
        }
    }

    pub fn iocs(&self) -> &IocIndex {
        self.iocs
    }

    fn name_keep(&self, n: &str) -> bool {
        !self.iocs.match_host(n).is_empty()
    }

    /// One packet of a capture.
    pub fn packet(&mut self, p: &Packet<'_>) {
        let c = &mut self.cap.counters;
        c.packets += 1;
        c.bytes += p.data.len() as u64;
        if let Some(t) = p.ts_ns {
            c.first_ns = Some(c.first_ns.map_or(t, |f| f.min(t)));
            c.last_ns = Some(c.last_ns.map_or(t, |l| l.max(t)));
        }
        let ipb = match link::ip_of(p.linktype, p.data) {
            Ok(b) => b,
            Err(NotIp::Protected) => {
                c.protected_80211 += 1;
                return;
            }
            Err(NotIp::Unsupported) => {
                c.unsupported_link += 1;
                return;
            }
            Err(_) => {
                c.non_ip += 1;
                return;
            }
        };
        let Ok(ip) = link::ip(ipb) else {
            c.bad_ip += 1;
            return;
        };
        if ip.fragment == Fragment::Later {
            c.ip_fragments_skipped += 1;
            return;
        }
        let seen = |t: Option<Tuple>| Seen {
            input: self.input,
            frame: p.frame,
            ts_ns: p.ts_ns,
            tuple: t,
        };
        match ip.proto {
            6 => {
                if let Some(t) = link::tcp(ip.payload) {
                    self.tcp(ip.src, ip.dst, &t, &seen(None), p.ts_ns);
                } else {
                    c.bad_ip += 1;
                }
            }
            17 => {
                if let Some((sp, dp, pl)) = link::udp(ip.payload) {
                    self.udp(ip.src, sp, ip.dst, dp, pl, &seen(None), p.ts_ns);
                } else {
                    c.bad_ip += 1;
                }
            }
            4 | 41 | 47 | 50 => c.tunnels += 1,
            _ => c.other_ip_proto += 1,
        }
        if let Some(t) = p.ts_ns
            && t.saturating_sub(self.last_sweep_ns) > 5_000_000_000
        {
            self.last_sweep_ns = t;
            self.sweep(t);
        }
    }

    /// Creates the flow of `key` when absent (evicting the oldest tenth when the table is full).
    fn ensure_flow(
        &mut self,
        key: FlowKey,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        s: &Seen,
    ) {
        if self.flows.contains_key(&key) {
            return;
        }
        if self.flows.len() >= self.limits.max_flows {
            self.evict_oldest();
        }
        if key.proto == 6 {
            self.cap.counters.tcp_flows += 1;
        } else {
            self.cap.counters.udp_flows += 1;
        }
        self.flows.insert(
            key,
            Flow {
                client,
                server,
                first_ns: s.ts_ns,
                last_ns: s.ts_ns,
                first_frame: s.frame,
                input: self.input,
                syn: false,
                synack: false,
                closed: false,
                data: [false; 2],
                bytes: [0; 2],
                l7: L7::Unknown,
                streams: [None, None],
                quic: None,
                hello: None,
                http: Vec::new(),
                named: false,
                rule_data: None,
            },
        );
    }

    fn tcp(&mut self, src: IpAddr, dst: IpAddr, t: &link::Tcp<'_>, s0: &Seen, ts: Option<i64>) {
        let key = FlowKey::new(6, src, t.sport, dst, t.dport);
        let syn_only = t.flags & link::SYN != 0 && t.flags & link::ACK == 0;
        let synack = t.flags & link::SYN != 0 && t.flags & link::ACK != 0;
        let (client, server) = if syn_only {
            ((src, t.sport), (dst, t.dport))
        } else if synack {
            ((dst, t.dport), (src, t.sport))
        } else if t.dport < t.sport || well_known(t.dport) {
            ((src, t.sport), (dst, t.dport))
        } else {
            ((dst, t.dport), (src, t.sport))
        };
        let limits = self.limits.clone();
        self.ensure_flow(key, client, server, s0);
        // A SYN on a flow that had closed starts a new connection on the same ports.
        if syn_only && self.flows.get(&key).is_some_and(|f| f.closed) {
            let old = self.flows.remove(&key);
            if let Some(f) = old {
                self.finish_flow(&key, f);
            }
            self.ensure_flow(key, client, server, s0);
        }
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        flow.last_ns = ts.or(flow.last_ns);
        let dir = if (src, t.sport) == flow.client { 0 } else { 1 };
        if syn_only {
            flow.syn = true;
            flow.client = (src, t.sport);
            flow.server = (dst, t.dport);
            stream(&mut flow.streams[0]).base = Some(t.seq.wrapping_add(1));
        } else if synack {
            flow.synack = true;
            stream(&mut flow.streams[1]).base = Some(t.seq.wrapping_add(1));
        }
        if t.flags & (link::FIN | link::RST) != 0 {
            flow.closed = true;
        }
        if t.payload.is_empty() {
            return;
        }
        let dir = if flow.syn {
            if (src, t.sport) == flow.client { 0 } else { 1 }
        } else {
            dir
        };
        flow.data[dir] = true;
        flow.bytes[dir] += t.payload.len() as u64;
        if !self.rules.is_empty() {
            let buf = &mut flow.rule_data.get_or_insert_with(Default::default)[dir];
            let room = crate::snort::RULE_WINDOW.saturating_sub(buf.len());
            let take = room.min(t.payload.len());
            if take > 0 {
                if self.rule_bytes + take > limits.reassembly_total {
                    self.cap.counters.rule_bytes_dropped += take as u64;
                } else {
                    buf.extend_from_slice(&t.payload[..take]);
                    self.rule_bytes += take;
                }
            }
        }
        let tuple = flow.tuple(6);
        let s = Seen {
            tuple: Some(tuple),
            ..*s0
        };
        // Reassemble only while the direction is of interest.
        let interested = match dir {
            0 => flow.l7 != L7::Other,
            _ => matches!(flow.l7, L7::Tls | L7::DnsTcp) || flow.l7 == L7::Unknown,
        };
        let st = stream(&mut flow.streams[dir]);
        if st.done || !interested {
            return;
        }
        let window = if dir == 0 {
            limits.c2s_window
        } else {
            limits.s2c_window
        };
        let before = st.data.len() + st.ooo.iter().map(|o| o.1.len()).sum::<usize>();
        let res = insert(st, t.seq, t.payload, window, limits.ooo_segments);
        let after = st.data.len() + st.ooo.iter().map(|o| o.1.len()).sum::<usize>();
        self.reasm_bytes = (self.reasm_bytes + after).saturating_sub(before);
        if res.inconsistent {
            self.cap.counters.overlap_inconsistencies += 1;
        }
        if res.gave_up {
            self.cap.counters.reassembly_giveups += 1;
        }
        if self.reasm_bytes > limits.reassembly_total {
            // Over the global budget: this stream stops here.
            let flow = self.flows.get_mut(&key).expect("flow exists");
            let st = stream(&mut flow.streams[dir]);
            self.reasm_bytes = self.reasm_bytes.saturating_sub(st.data.len());
            st.done = true;
            st.data = Vec::new();
            st.ooo = Vec::new();
            self.cap.counters.reassembly_giveups += 1;
            return;
        }
        if res.grew {
            self.l7_tcp(key, dir, &s, window);
        }
    }

    fn l7_tcp(&mut self, key: FlowKey, dir: usize, s: &Seen, window: usize) {
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        let server_port = flow.server.1;
        let server_ip = flow.server.0;
        if flow.l7 == L7::Unknown {
            let st = stream(&mut flow.streams[dir]);
            let d = &st.data;
            if d.is_empty() {
                return;
            }
            flow.l7 = if dir == 0 && (d[0] == 22) {
                L7::Tls
            } else if dir == 0 && http::looks_like_request(d) {
                if d.len() < 8 {
                    return;
                }
                L7::Http
            } else if server_port == 53 || server_port == 5353 || server_port == 5355 {
                L7::DnsTcp
            } else if dir == 1 {
                // Server spoke first (or the client's start was missed): nothing to read.
                L7::Other
            } else {
                L7::Other
            };
            if server_port == 853 {
                self.cap.counters.dot_flows += 1;
            }
            if flow.l7 == L7::Other {
                for st in flow.streams.iter_mut().flatten() {
                    self.reasm_bytes = self.reasm_bytes.saturating_sub(st.data.len());
                    st.done = true;
                    st.data = Vec::new();
                    st.ooo = Vec::new();
                }
                return;
            }
        }
        let l7 = flow.l7;
        let tuple = flow.tuple(6);
        match (l7, dir) {
            (L7::Tls, 0) => {
                let st = stream(&mut flow.streams[0]);
                match tls::client_hello_from_stream(&st.data) {
                    Progress::Need if st.data.len() < window => {}
                    Progress::Need => {
                        self.cap.counters.reassembly_giveups += 1;
                        self.close_stream(key, 0);
                    }
                    Progress::No => self.close_stream(key, 0),
                    Progress::Done(h) => {
                        self.close_stream(key, 0);
                        self.add_hello(h, false, None, server_ip, server_port, s, Some(key));
                    }
                }
            }
            (L7::Tls, 1) => {
                let st = stream(&mut flow.streams[1]);
                match tls::server_flight(&st.data) {
                    Progress::Need if st.data.len() < window => {}
                    Progress::Need | Progress::No => self.close_stream(key, 1),
                    Progress::Done(f) => {
                        self.close_stream(key, 1);
                        let sni = flow_sni(&self.cap, self.flows.get(&key));
                        if f.tls13 {
                            self.cap.counters.tls13_sessions += 1;
                        } else if !f.certificates.is_empty() {
                            self.cap.counters.tls12_chains += 1;
                            for (i, der) in f.certificates.iter().enumerate() {
                                self.add_cert(
                                    der,
                                    i == 0,
                                    Some(server_ip),
                                    Some(server_port),
                                    sni.clone(),
                                    s,
                                );
                            }
                        }
                    }
                }
            }
            (L7::Http, 0) => {
                let st = stream(&mut flow.streams[0]);
                let (reqs, used) = http::requests(&st.data[st.parsed..]);
                st.parsed += used;
                let full = st.data.len() >= window;
                let mut ids = Vec::new();
                for r in reqs {
                    if let Some(i) = self.add_http(&r, server_ip, server_port, s) {
                        ids.push(i);
                    }
                }
                if let Some(f) = self.flows.get_mut(&key) {
                    if !ids.is_empty() {
                        f.named = true;
                    }
                    for i in ids {
                        if !f.http.contains(&i) && f.http.len() < 16 {
                            f.http.push(i);
                        }
                    }
                }
                if full {
                    self.close_stream(key, 0);
                }
            }
            (L7::DnsTcp, d) => {
                let st = stream(&mut flow.streams[d]);
                let mut msgs = Vec::new();
                loop {
                    let b = &st.data[st.parsed..];
                    if b.len() < 2 {
                        break;
                    }
                    let l = u16::from_be_bytes([b[0], b[1]]) as usize;
                    if b.len() < 2 + l {
                        break;
                    }
                    msgs.push(dns::parse(&b[2..2 + l]));
                    st.parsed += 2 + l;
                }
                // Drop what was parsed so long-lived connections stay within the window.
                if st.parsed > 0 {
                    let n = st.parsed;
                    st.data.drain(..n);
                    st.start += n as u64;
                    st.parsed = 0;
                    self.reasm_bytes = self.reasm_bytes.saturating_sub(n);
                }
                for m in msgs {
                    match m {
                        Ok(m) => self.add_dns_msg(&m, "tcp", tuple, s),
                        Err(_) => self.cap.counters.dns_errors += 1,
                    }
                }
            }
            _ => {}
        }
    }

    fn close_stream(&mut self, key: FlowKey, dir: usize) {
        if let Some(f) = self.flows.get_mut(&key) {
            let st = stream(&mut f.streams[dir]);
            self.reasm_bytes = self
                .reasm_bytes
                .saturating_sub(st.data.len() + st.ooo.iter().map(|o| o.1.len()).sum::<usize>());
            st.done = true;
            st.data = Vec::new();
            st.ooo = Vec::new();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn udp(
        &mut self,
        src: IpAddr,
        sp: u16,
        dst: IpAddr,
        dp: u16,
        pl: &[u8],
        s0: &Seen,
        ts: Option<i64>,
    ) {
        let key = FlowKey::new(17, src, sp, dst, dp);
        let dns_port = |p: u16| matches!(p, 53 | 5353 | 5355);
        let (client, server) =
            if (dns_port(sp) || well_known(sp)) && !(dns_port(dp) || well_known(dp)) {
                ((dst, dp), (src, sp))
            } else {
                ((src, sp), (dst, dp))
            };
        self.ensure_flow(key, client, server, s0);
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        flow.last_ns = ts.or(flow.last_ns);
        let dir = if (src, sp) == flow.client { 0 } else { 1 };
        if !pl.is_empty() {
            flow.data[dir] = true;
            flow.bytes[dir] += pl.len() as u64;
        }
        let tuple = flow.tuple(17);
        let s = Seen {
            tuple: Some(tuple),
            ..*s0
        };
        if !self.rules.is_empty() && !pl.is_empty() {
            let est = self.flows.get(&key).is_some_and(|f| f.data[0] && f.data[1]);
            self.run_rules(tuple, dir == 0, est, pl, &s);
        }
        if dns_port(sp) || dns_port(dp) {
            let transport = if sp == 5353 || dp == 5353 {
                "mdns"
            } else if sp == 5355 || dp == 5355 {
                "llmnr"
            } else {
                "udp"
            };
            match dns::parse(pl) {
                Ok(m) => self.add_dns_msg(&m, transport, tuple, &s),
                Err(_) => self.cap.counters.dns_errors += 1,
            }
            return;
        }
        if pl.len() >= 7 && pl[0] & 0xc0 == 0xc0 {
            self.quic(key, dir, pl, &s);
        }
    }

    fn quic(&mut self, key: FlowKey, dir: usize, pl: &[u8], s: &Seen) {
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        let server = flow.server;
        let q = flow.quic.get_or_insert_with(Default::default);
        if q.done && dir == 0 {
            return;
        }
        let mut rest = pl;
        let mut hello = None;
        for _ in 0..8 {
            let Some(h) = quic::long_header(rest) else {
                break;
            };
            if dir == 1 {
                q.answered = true;
                if h.ptype == 3 {
                    // Retry: the next client Initial's DCID gives the keys.
                    q.keys = None;
                    q.retry = true;
                }
                break;
            }
            if h.ptype == 0 {
                if !quic::known_version(h.version) {
                    self.cap.counters.quic_unknown_version += 1;
                    q.done = true;
                    break;
                }
                q.initials += 1;
                q.version = h.version;
                if q.keys.is_none() {
                    q.keys = quic::initial_keys(h.version, h.dcid, true);
                }
                let mut plain = q.keys.as_ref().and_then(|k| quic::decrypt(rest, &h, k));
                if plain.is_none() {
                    // The client's first Initial may be missing: try this packet's DCID.
                    if let Some(k) = quic::initial_keys(h.version, h.dcid, true)
                        && let Some(p) = quic::decrypt(rest, &h, &k)
                    {
                        q.keys = Some(k);
                        plain = Some(p);
                    }
                }
                match plain {
                    Some(p) => {
                        for (off, d) in quic::crypto_frames(&p) {
                            q.crypto.add(off, d);
                        }
                        match q.crypto.hello() {
                            Progress::Done(hl) => {
                                q.done = true;
                                hello = Some(hl);
                            }
                            Progress::No => {
                                q.done = true;
                                q.failed = true;
                            }
                            Progress::Need => {}
                        }
                    }
                    None => q.failed = true,
                }
            }
            if h.packet_len >= rest.len() || hello.is_some() {
                break;
            }
            rest = &rest[h.packet_len..];
            if rest.first().is_none_or(|b| b & 0x80 == 0) {
                break;
            }
        }
        let version = q.version;
        if let Some(h) = hello {
            q.failed = false;
            q.crypto = CryptoBuf::default();
            self.cap.counters.quic_decrypted += 1;
            if server.1 == 853 {
                self.cap.counters.doq_flows += 1;
            }
            self.add_hello(h, true, Some(version), server.0, server.1, s, Some(key));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_hello(
        &mut self,
        h: tls::Hello,
        quic: bool,
        quic_version: Option<u32>,
        server: IpAddr,
        port: u16,
        s: &Seen,
        flow: Option<FlowKey>,
    ) -> Option<u32> {
        let c = &mut self.cap.counters;
        c.hellos += 1;
        if h.sni.is_none() {
            c.hellos_no_sni += 1;
        }
        if h.ech {
            c.hellos_ech += 1;
        }
        if h.post_quantum {
            c.hellos_post_quantum += 1;
        }
        if let Some(n) = &h.sni {
            if is_doh_name(n) || (port == 443 && DOH_ADDRS.contains(&server.to_string().as_str())) {
                c.doh_flows += 1;
            }
            if RELAY_NAMES.contains(&n.as_str()) {
                c.private_relay_flows += 1;
            }
        }
        let key = (h.sni.clone(), server, port, quic);
        let keep = || {
            h.sni.as_deref().is_some_and(|n| self.name_keep(n))
                || !self.iocs.match_ip(&server.to_string()).is_empty()
        };
        let keep = keep();
        let cap = self.limits.max_records;
        let i = self.cap.hellos.get_or(
            key,
            cap,
            &mut self.cap.counters.records_not_kept,
            || keep,
            || HelloRec {
                sni: h.sni.clone(),
                quic,
                quic_version,
                alpn: h.alpn.clone(),
                version: h.version,
                ech: h.ech,
                post_quantum: h.post_quantum,
                server,
                port,
                prov: Prov::new(s),
            },
        )?;
        self.cap.hellos.items[i as usize].prov.add(s);
        if let Some(k) = flow
            && let Some(f) = self.flows.get_mut(&k)
        {
            f.hello = Some(i);
            if h.sni.is_some() {
                f.named = true;
            }
        }
        Some(i)
    }

    fn add_cert(
        &mut self,
        der: &[u8],
        leaf: bool,
        server: Option<IpAddr>,
        port: Option<u16>,
        sni: Option<String>,
        s: &Seen,
    ) {
        let info = cert::info(der);
        self.add_cert_info(info, leaf, server, port, sni, s);
    }

    pub fn add_cert_info(
        &mut self,
        info: cert::CertInfo,
        leaf: bool,
        server: Option<IpAddr>,
        port: Option<u16>,
        sni: Option<String>,
        s: &Seen,
    ) {
        let keep = !self.iocs.match_cert_hash(&info.sha1).is_empty()
            || !self.iocs.match_cert_hash(&info.sha256).is_empty()
            || info.san.iter().any(|n| self.name_keep(n));
        let cap = self.limits.max_records;
        let key = info.sha256.clone();
        let Some(i) = self.cap.certs.get_or(
            key,
            cap,
            &mut self.cap.counters.records_not_kept,
            || keep,
            || CertRec {
                info,
                leaf,
                server,
                port,
                sni,
                prov: Prov::new(s),
            },
        ) else {
            return;
        };
        let r = &mut self.cap.certs.items[i as usize];
        r.prov.add(s);
        r.leaf |= leaf;
        if let Some(t) = s.tuple
            && self
                .flows
                .get(&FlowKey::new(t.proto, t.src, t.sport, t.dst, t.dport))
                .is_some_and(|f| f.synack)
        {
            r.prov.established = true;
        }
    }

    pub fn add_http(
        &mut self,
        r: &http::Request,
        server: IpAddr,
        port: u16,
        s: &Seen,
    ) -> Option<u32> {
        self.cap.counters.http_requests += 1;
        let host = http::request_host(r);
        let h = host.clone().unwrap_or_else(|| server.to_string());
        let url = http::request_url(r, &h, port);
        let keep = host.as_deref().is_some_and(|n| self.name_keep(n))
            || !self.iocs.match_url(&url).is_empty();
        let cap = self.limits.max_records;
        let i = self.cap.http.get_or(
            (r.method.clone(), url.clone()),
            cap,
            &mut self.cap.counters.records_not_kept,
            || keep,
            || HttpRec {
                method: r.method.clone(),
                host,
                url,
                user_agent: r.user_agent.clone(),
                port,
                prov: Prov::new(s),
            },
        )?;
        self.cap.http.items[i as usize].prov.add(s);
        Some(i)
    }

    fn add_dns_msg(&mut self, m: &dns::Message, transport: &'static str, tuple: Tuple, s: &Seen) {
        if !m.response {
            match transport {
                "mdns" => self.cap.counters.dns_mdns += 1,
                "llmnr" => self.cap.counters.dns_llmnr += 1,
                "tcp" => self.cap.counters.dns_tcp += 1,
                _ => self.cap.counters.dns_udp += 1,
            }
        }
        let server = if m.response { tuple.src } else { tuple.dst };
        let server =
            if (tuple.dport == 53 || tuple.dport == 5353 || tuple.dport == 5355) || !m.response {
                tuple.dst
            } else {
                server
            };
        // mDNS responses are often unsolicited: their answers are recorded under their owners.
        let mut names: Vec<(String, u16)> = m.questions.clone();
        if m.response && m.questions.is_empty() {
            for a in &m.answers {
                if !names.iter().any(|(n, _)| *n == a.owner) && names.len() < 16 {
                    names.push((a.owner.clone(), a.rtype));
                }
            }
        }
        let answers: Vec<(String, u16, String, Option<IpAddr>, bool)> = m
            .answers
            .iter()
            .filter_map(|a| match &a.data {
                AnswerData::Addr(ip) => {
                    Some((a.owner.clone(), a.rtype, ip.to_string(), Some(*ip), false))
                }
                AnswerData::Name(n) => Some((a.owner.clone(), a.rtype, n.clone(), None, false)),
                AnswerData::NameEch(n) => Some((a.owner.clone(), a.rtype, n.clone(), None, true)),
                AnswerData::Other => None,
            })
            .collect();
        for (q, qt) in names {
            let keep = self.name_keep(&q)
                || answers.iter().any(|a| {
                    self.name_keep(&a.0)
                        || (a.3.is_none() && self.name_keep(&a.2))
                        || a.3
                            .is_some_and(|ip| !self.iocs.match_ip(&ip.to_string()).is_empty())
                });
            let cap = self.limits.max_records;
            let Some(i) = self.cap.dns.get_or(
                (q.clone(), qt),
                cap,
                &mut self.cap.counters.records_not_kept,
                || keep,
                || DnsRec {
                    query: q.clone(),
                    qtype: qt,
                    transport,
                    prov: Prov::new(s),
                    responses: 0,
                    rcode: None,
                    answers: Vec::new(),
                    server: Some(server),
                    ech: false,
                },
            ) else {
                continue;
            };
            let r = &mut self.cap.dns.items[i as usize];
            r.prov.add(s);
            if m.response {
                r.responses += 1;
                r.rcode = Some(m.rcode);
                for a in &answers {
                    if r.answers.len() < 64
                        && !r
                            .answers
                            .iter()
                            .any(|x| x.0 == a.0 && x.1 == a.1 && x.2 == a.2)
                    {
                        r.answers.push((a.0.clone(), a.1, a.2.clone()));
                    }
                    r.ech |= a.4;
                }
            }
            for a in &answers {
                if let Some(ip) = a.3
                    && (self.ip_names.len() < self.limits.max_ip_names
                        || self.ip_names.contains_key(&ip))
                {
                    self.ip_names.insert(ip, i);
                }
            }
        }
    }

    fn sweep(&mut self, now: i64) {
        let l = &self.limits;
        let (tcp, closed, udp) = (
            l.tcp_idle_s * 1_000_000_000,
            l.closed_idle_s * 1_000_000_000,
            l.udp_idle_s * 1_000_000_000,
        );
        let expired: Vec<FlowKey> = self
            .flows
            .iter()
            .filter(|(k, f)| {
                let idle = now.saturating_sub(f.last_ns.unwrap_or(now));
                match (k.proto, f.closed) {
                    (6, true) => idle > closed,
                    (6, false) => idle > tcp,
                    _ => idle > udp,
                }
            })
            .map(|(k, _)| *k)
            .collect();
        for k in expired {
            if let Some(f) = self.flows.remove(&k) {
                self.finish_flow(&k, f);
            }
        }
    }

    fn evict_oldest(&mut self) {
        let mut v: Vec<(i64, FlowKey)> = self
            .flows
            .iter()
            .map(|(k, f)| (f.last_ns.unwrap_or(i64::MIN), *k))
            .collect();
        let n = (v.len() / 10).max(1);
        if n < v.len() {
            v.select_nth_unstable(n);
        }
        for (_, k) in v.into_iter().take(n) {
            if let Some(f) = self.flows.remove(&k) {
                self.cap.counters.flows_evicted_full += 1;
                self.finish_flow(&k, f);
            }
        }
    }

    fn finish_flow(&mut self, key: &FlowKey, f: Flow) {
        for st in f.streams.iter().flatten() {
            self.reasm_bytes = self
                .reasm_bytes
                .saturating_sub(st.data.len() + st.ooo.iter().map(|o| o.1.len()).sum::<usize>());
        }
        let proto = key.proto;
        let established = f.established(proto);
        if let Some(rd) = &f.rule_data {
            self.rule_bytes = self.rule_bytes.saturating_sub(rd[0].len() + rd[1].len());
            let t = f.tuple(proto);
            let s = Seen {
                input: f.input,
                frame: f.first_frame,
                ts_ns: f.first_ns,
                tuple: Some(t),
            };
            for (d, data) in rd.iter().enumerate() {
                if !data.is_empty() {
                    self.run_rules(t, d == 0, established, data, &s);
                }
            }
        }
        if let Some(q) = &f.quic
            && q.initials > 0
            && !q.done
            && q.failed
        {
            self.cap.counters.quic_failed += 1;
        } else if let Some(q) = &f.quic
            && q.failed
            && q.done
        {
            self.cap.counters.quic_failed += 1;
        }
        let is_dns = matches!(f.server.1, 53 | 5353 | 5355) || matches!(f.client.1, 5353 | 5355);
        let resolved = self.ip_names.get(&f.server.0).copied();
        let mut names: Vec<String> = Vec::new();
        if let Some(h) = f.hello
            && let Some(r) = self.cap.hellos.items.get_mut(h as usize)
        {
            if established {
                r.prov.established = true;
            }
            if let Some(n) = &r.sni {
                names.push(n.clone());
            }
        }
        for &h in &f.http {
            if let Some(r) = self.cap.http.items.get_mut(h as usize) {
                if established {
                    r.prov.established = true;
                }
                if let Some(n) = &r.host
                    && !names.contains(n)
                {
                    names.push(n.clone());
                }
            }
        }
        if let Some(d) = resolved
            && let Some(r) = self.cap.dns.items.get(d as usize)
            && !names.contains(&r.query)
        {
            names.push(r.query.clone());
        }
        if !is_dns {
            self.cap.counters.flows_considered += 1;
            if f.named || resolved.is_some() {
                self.cap.counters.flows_named += 1;
            }
        }
        if is_dns {
            return;
        }
        // Flows with no payload at all (scans, failed SYNs) are still destinations.
        let tuple = f.tuple(proto);
        let s = Seen {
            input: f.input,
            frame: f.first_frame,
            ts_ns: f.first_ns,
            tuple: Some(tuple),
        };
        let server = f.server;
        let keep = !self.iocs.match_ip(&server.0.to_string()).is_empty()
            || names.iter().any(|n| self.name_keep(n));
        let cap = self.limits.max_records;
        let l7: Option<&'static str> = match f.l7 {
            L7::Tls => Some("tls"),
            L7::Http => Some("http"),
            L7::DnsTcp => Some("dns"),
            _ if f.quic.as_ref().is_some_and(|q| q.initials > 0) => Some("quic"),
            _ => None,
        };
        let Some(i) = self.cap.flows.get_or(
            (proto, server.0, server.1),
            cap,
            &mut self.cap.counters.records_not_kept,
            || keep,
            || FlowRec {
                proto,
                server: server.0,
                port: server.1,
                client: f.client.0,
                connections: 0,
                established: 0,
                bytes_to_server: 0,
                bytes_to_client: 0,
                names: Vec::new(),
                l7: Vec::new(),
                prov: Prov::new(&s),
            },
        ) else {
            return;
        };
        let r = &mut self.cap.flows.items[i as usize];
        r.prov.add(&s);
        if let Some(t) = f.last_ns {
            r.prov.last_ns = Some(r.prov.last_ns.map_or(t, |l| l.max(t)));
        }
        r.connections += 1;
        if established {
            r.established += 1;
            r.prov.established = true;
        }
        r.bytes_to_server += f.bytes[0];
        r.bytes_to_client += f.bytes[1];
        for n in names {
            if r.names.len() < 16 && !r.names.contains(&n) {
                r.names.push(n);
            }
        }
        if let Some(l) = l7
            && !r.l7.contains(&l)
        {
            r.l7.push(l);
        }
    }

    /// Ends the pass: every open flow is finished.
    pub fn finish(mut self) -> Capture {
        let flows: Vec<(FlowKey, Flow)> = self.flows.drain().collect();
        for (k, f) in flows {
            self.finish_flow(&k, f);
        }
        // A DNS name is "contacted" when a flow to one of its addresses was established.
        let mut est: Vec<u32> = Vec::new();
        for fr in &self.cap.flows.items {
            if fr.established > 0
                && let Some(&d) = self.ip_names.get(&fr.server)
            {
                est.push(d);
            }
        }
        for d in est {
            if let Some(r) = self.cap.dns.items.get_mut(d as usize) {
                r.prov.established = true;
            }
        }
        self.cap
    }

    /// Log readers: a DNS transaction.
    #[allow(clippy::too_many_arguments)]
    pub fn log_dns(
        &mut self,
        query: &str,
        qtype: u16,
        rcode: Option<u8>,
        answers: &[String],
        transport: &'static str,
        s: &Seen,
        uid: Option<&str>,
    ) {
        let q = query.trim_end_matches('.').to_ascii_lowercase();
        if q.is_empty() {
            return;
        }
        if transport == "tcp" {
            self.cap.counters.dns_tcp += 1;
        } else {
            self.cap.counters.dns_udp += 1;
        }
        let server = s.tuple.map(|t| t.dst);
        let keep = self.name_keep(&q)
            || answers
                .iter()
                .any(|a| self.name_keep(a) || !self.iocs.match_ip(a).is_empty());
        let cap = self.limits.max_records;
        let Some(i) = self.cap.dns.get_or(
            (q.clone(), qtype),
            cap,
            &mut self.cap.counters.records_not_kept,
            || keep,
            || DnsRec {
                query: q.clone(),
                qtype,
                transport,
                prov: Prov::new(s),
                responses: 0,
                rcode: None,
                answers: Vec::new(),
                server,
                ech: false,
            },
        ) else {
            return;
        };
        let r = &mut self.cap.dns.items[i as usize];
        r.prov.add(s);
        if r.prov.uid.is_none() {
            r.prov.uid = uid.map(str::to_string);
        }
        if rcode.is_some() || !answers.is_empty() {
            r.responses += 1;
            r.rcode = rcode.or(r.rcode);
        }
        for a in answers {
            let a = a.trim_end_matches('.').to_ascii_lowercase();
            let (t, ip) = match a.parse::<IpAddr>() {
                Ok(ip @ IpAddr::V4(_)) => (1, Some(ip)),
                Ok(ip @ IpAddr::V6(_)) => (28, Some(ip)),
                Err(_) => (5, None),
            };
            if r.answers.len() < 64 && !r.answers.iter().any(|x| x.2 == a) {
                r.answers.push((q.clone(), t, a.clone()));
            }
            if let Some(ip) = ip
                && self.ip_names.len() < self.limits.max_ip_names
            {
                self.ip_names.insert(ip, i);
            }
        }
    }

    /// Log readers: a ClientHello (SNI) seen by the sensor.
    #[allow(clippy::too_many_arguments)]
    pub fn log_hello(
        &mut self,
        sni: Option<&str>,
        quic: bool,
        established: bool,
        s: &Seen,
        uid: Option<&str>,
    ) {
        let Some(t) = s.tuple else { return };
        let h = tls::Hello {
            sni: sni
                .filter(|x| !x.is_empty())
                .map(|x| x.trim_end_matches('.').to_ascii_lowercase()),
            version: 0,
            ..Default::default()
        };
        if let Some(i) = self.add_hello(h, quic, None, t.dst, t.dport, s, None) {
            let r = &mut self.cap.hellos.items[i as usize];
            r.prov.established |= established;
            if r.prov.uid.is_none() {
                r.prov.uid = uid.map(str::to_string);
            }
        }
    }

    /// Log readers: a connection summary (Zeek conn.log, EVE flow).
    #[allow(clippy::too_many_arguments)]
    pub fn log_flow(
        &mut self,
        bytes: (u64, u64),
        established: bool,
        names: &[String],
        l7: Option<&'static str>,
        s: &Seen,
        uid: Option<&str>,
    ) {
        let Some(t) = s.tuple else { return };
        if matches!(t.dport, 53 | 5353 | 5355) {
            return;
        }
        let resolved = self.ip_names.get(&t.dst).copied();
        let mut names: Vec<String> = names.to_vec();
        if let Some(d) = resolved
            && let Some(r) = self.cap.dns.items.get(d as usize)
            && !names.contains(&r.query)
        {
            names.push(r.query.clone());
        }
        if t.proto == 6 {
            self.cap.counters.tcp_flows += 1;
        } else {
            self.cap.counters.udp_flows += 1;
        }
        self.cap.counters.flows_considered += 1;
        if !names.is_empty() {
            self.cap.counters.flows_named += 1;
        }
        let keep = !self.iocs.match_ip(&t.dst.to_string()).is_empty()
            || names.iter().any(|n| self.name_keep(n));
        let cap = self.limits.max_records;
        let Some(i) = self.cap.flows.get_or(
            (t.proto, t.dst, t.dport),
            cap,
            &mut self.cap.counters.records_not_kept,
            || keep,
            || FlowRec {
                proto: t.proto,
                server: t.dst,
                port: t.dport,
                client: t.src,
                connections: 0,
                established: 0,
                bytes_to_server: 0,
                bytes_to_client: 0,
                names: Vec::new(),
                l7: Vec::new(),
                prov: Prov::new(s),
            },
        ) else {
            return;
        };
        let r = &mut self.cap.flows.items[i as usize];
        r.prov.add(s);
        if r.prov.uid.is_none() {
            r.prov.uid = uid.map(str::to_string);
        }
        r.connections += 1;
        r.bytes_to_server += bytes.0;
        r.bytes_to_client += bytes.1;
        if established {
            r.established += 1;
            r.prov.established = true;
            if let Some(d) = resolved
                && let Some(dr) = self.cap.dns.items.get_mut(d as usize)
            {
                dr.prov.established = true;
            }
        }
        for n in names {
            if r.names.len() < 16 && !r.names.contains(&n) {
                r.names.push(n);
            }
        }
        if let Some(l) = l7
            && !r.l7.contains(&l)
        {
            r.l7.push(l);
        }
    }
}

fn flow_sni(cap: &Capture, f: Option<&Flow>) -> Option<String> {
    let h = f?.hello?;
    cap.hellos.items.get(h as usize)?.sni.clone()
}

fn well_known(p: u16) -> bool {
    matches!(
        p,
        80 | 443 | 853 | 8080 | 8443 | 5223 | 993 | 995 | 465 | 587 | 25 | 22 | 53
    )
}

fn stream(s: &mut Option<Box<Stream>>) -> &mut Stream {
    s.get_or_insert_with(Default::default)
}

#[derive(Default)]
struct Inserted {
    grew: bool,
    inconsistent: bool,
    gave_up: bool,
}

/// Adds a segment to a stream: in order, after a gap (kept aside, bounded), or overlapping (first
/// data wins; different bytes for the same range are counted).
fn insert(st: &mut Stream, seq: u32, payload: &[u8], window: usize, max_ooo: usize) -> Inserted {
    let mut res = Inserted::default();
    let base = *st.base.get_or_insert(seq);
    // Stream offset of this segment (sequence numbers compared modulo 2^32).
    let rel = seq.wrapping_sub(base) as i32 as i64;
    let (rel, payload) = if rel < 0 {
        let skip = (-rel) as usize;
        if skip >= payload.len() {
            return res;
        }
        (0u64, &payload[skip..])
    } else {
        (rel as u64, payload)
    };
    let end_have = st.start + st.data.len() as u64;
    if rel > end_have {
        if rel - st.start >= window as u64 {
            return res;
        }
        if st.ooo.len() >= max_ooo {
            res.gave_up = true;
            st.done = true;
            return res;
        }
        if !st.ooo.iter().any(|(o, _)| *o == rel) {
            let room = window - (rel - st.start) as usize;
            st.ooo
                .push((rel, payload[..payload.len().min(room)].to_vec()));
        }
        return res;
    }
    append(st, rel, payload, window, &mut res);
    // Segments kept aside that now fit.
    loop {
        let end = st.start + st.data.len() as u64;
        let Some(pos) = st.ooo.iter().position(|(o, _)| *o <= end) else {
            break;
        };
        let (o, d) = st.ooo.swap_remove(pos);
        append(st, o, &d, window, &mut res);
    }
    res
}

fn append(st: &mut Stream, rel: u64, payload: &[u8], window: usize, res: &mut Inserted) {
    let end_have = st.start + st.data.len() as u64;
    let overlap = (end_have - rel) as usize;
    if overlap > 0 && rel >= st.start {
        let from = (rel - st.start) as usize;
        let n = overlap.min(payload.len());
        if st.data[from..from + n] != payload[..n] {
            res.inconsistent = true;
        }
    }
    if overlap < payload.len() {
        let room = window.saturating_sub(st.data.len());
        let new = &payload[overlap..];
        let take = new.len().min(room);
        if take > 0 {
            st.data.extend_from_slice(&new[..take]);
            res.grew = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassembly_out_of_order_and_retransmissions() {
        let mut st = Stream {
            base: Some(1000),
            ..Default::default()
        };
        let r = insert(&mut st, 1005, b"world", 100, 4);
        assert!(!r.grew);
        let r = insert(&mut st, 1000, b"hello", 100, 4);
        assert!(r.grew);
        assert_eq!(st.data, b"helloworld");
        let r = insert(&mut st, 1000, b"hellX", 100, 4);
        assert!(r.inconsistent);
        assert_eq!(st.data, b"helloworld");
        // Sequence wrap-around.
        let mut st = Stream {
            base: Some(u32::MAX - 1),
            ..Default::default()
        };
        insert(&mut st, u32::MAX - 1, b"ab", 100, 4);
        insert(&mut st, 0, b"cd", 100, 4);
        assert_eq!(st.data, b"abcd");
        // The window bounds the buffer.
        let mut st = Stream::default();
        insert(&mut st, 0, &[1; 50], 10, 4);
        assert_eq!(st.data.len(), 10);
    }
}
