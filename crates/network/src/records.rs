//! The normalised records of a capture, aggregated by what they observed (a name, a certificate, a
//! destination), each with its provenance: input, first 20 frames (or log lines), first/last time,
//! count, the 5-tuple and Community ID of its first occurrence, and whether an exchange was
//! established on it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::{Value, json};
use telltale_core::Record;

use crate::cert::CertInfo;
use crate::community_id::community_id;

/// Frames (or log lines) kept per record.
pub const MAX_FRAMES: usize = 20;

/// A flow's endpoints, client (the side that opened it) first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tuple {
    pub proto: u8,
    pub src: IpAddr,
    pub sport: u16,
    pub dst: IpAddr,
    pub dport: u16,
}

impl Tuple {
    pub fn proto_name(&self) -> &'static str {
        match self.proto {
            6 => "tcp",
            17 => "udp",
            1 => "icmp",
            58 => "icmpv6",
            _ => "other",
        }
    }
    pub fn community_id(&self) -> String {
        community_id(self.proto, self.src, self.sport, self.dst, self.dport)
    }
}

/// Where one observation was made.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub input: u32,
    /// Frame number (captures) or line number (logs).
    pub frame: u64,
    pub ts_ns: Option<i64>,
    pub tuple: Option<Tuple>,
}

/// Provenance of an aggregated record.
#[derive(Debug, Clone)]
pub struct Prov {
    pub input: u32,
    pub count: u64,
    pub frames: Vec<u64>,
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
    pub tuple: Option<Tuple>,
    /// An exchange was established on a flow this was seen on.
    pub established: bool,
    /// Zeek uid or Suricata flow id, for log inputs.
    pub uid: Option<String>,
}

impl Prov {
    pub fn new(s: &Seen) -> Self {
        Prov {
            input: s.input,
            count: 0,
            frames: Vec::new(),
            first_ns: s.ts_ns,
            last_ns: s.ts_ns,
            tuple: s.tuple,
            established: false,
            uid: None,
        }
    }
    pub fn add(&mut self, s: &Seen) {
        self.count += 1;
        if self.frames.len() < MAX_FRAMES && !self.frames.contains(&s.frame) {
            self.frames.push(s.frame);
        }
        if let Some(t) = s.ts_ns {
            self.first_ns = Some(self.first_ns.map_or(t, |f| f.min(t)));
            self.last_ns = Some(self.last_ns.map_or(t, |l| l.max(t)));
        }
        if self.tuple.is_none() {
            self.tuple = s.tuple;
        }
    }
    pub fn first_ts(&self) -> Option<jiff::Timestamp> {
        self.first_ns
            .and_then(|n| jiff::Timestamp::from_nanosecond(n as i128).ok())
    }
    /// Adds the provenance fields to a record.
    pub fn write(&self, r: &mut Record, input: &InputInfo) {
        let t = |n: Option<i64>| {
            n.and_then(|n| jiff::Timestamp::from_nanosecond(n as i128).ok())
                .map(telltale_core::time::format)
        };
        r.insert("first_seen".into(), json!(t(self.first_ns)));
        r.insert("last_seen".into(), json!(t(self.last_ns)));
        r.insert("count".into(), json!(self.count));
        if input.is_log {
            r.insert("lines".into(), json!(self.frames));
        } else {
            r.insert("frames".into(), json!(self.frames));
        }
        if let Some(tp) = &self.tuple {
            r.insert("proto".into(), json!(tp.proto_name()));
            r.insert("src_ip".into(), json!(tp.src.to_string()));
            r.insert("src_port".into(), json!(tp.sport));
            r.insert("dst_ip".into(), json!(tp.dst.to_string()));
            r.insert("dst_port".into(), json!(tp.dport));
            r.insert("community_id".into(), json!(tp.community_id()));
        }
        if let Some(u) = &self.uid {
            r.insert("uid".into(), json!(u));
        }
        r.insert("established".into(), json!(self.established));
        r.insert("input".into(), json!(input.name));
        if let Some(h) = &input.sha256 {
            r.insert("input_sha256".into(), json!(h));
        }
    }
}

/// One input file of the capture.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct InputInfo {
    pub name: String,
    pub format: String,
    pub is_log: bool,
    pub sha256: Option<String>,
    pub bytes: u64,
}

/// A DNS name looked up (all transactions for one name and type).
#[derive(Debug, Clone)]
pub struct DnsRec {
    pub query: String,
    pub qtype: u16,
    pub transport: &'static str,
    pub prov: Prov,
    pub responses: u64,
    pub rcode: Option<u8>,
    /// `(owner, type, value)` of answers, distinct, bounded.
    pub answers: Vec<(String, u16, String)>,
    /// Resolver (server) address of the first transaction.
    pub server: Option<IpAddr>,
    pub ech: bool,
}

/// A TLS or QUIC ClientHello to one destination with one SNI.
#[derive(Debug, Clone)]
pub struct HelloRec {
    pub sni: Option<String>,
    pub quic: bool,
    pub quic_version: Option<u32>,
    pub alpn: Vec<String>,
    pub version: u16,
    pub ech: bool,
    pub post_quantum: bool,
    pub server: IpAddr,
    pub port: u16,
    pub prov: Prov,
}

/// A server certificate.
#[derive(Debug, Clone)]
pub struct CertRec {
    pub info: CertInfo,
    pub leaf: bool,
    pub server: Option<IpAddr>,
    pub port: Option<u16>,
    pub sni: Option<String>,
    pub prov: Prov,
}

/// HTTP/1.x requests with one method, host and URL.
#[derive(Debug, Clone)]
pub struct HttpRec {
    pub method: String,
    pub host: Option<String>,
    pub url: String,
    pub user_agent: Option<String>,
    pub port: u16,
    pub prov: Prov,
}

/// Connections to one destination (protocol, address, port).
#[derive(Debug, Clone)]
pub struct FlowRec {
    pub proto: u8,
    pub server: IpAddr,
    pub port: u16,
    pub client: IpAddr,
    pub connections: u64,
    pub established: u64,
    pub bytes_to_server: u64,
    pub bytes_to_client: u64,
    /// Names seen on these connections (SNI, Host) or that resolved to the address.
    pub names: Vec<String>,
    /// Application protocols recognised by content.
    pub l7: Vec<&'static str>,
    pub prov: Prov,
}

/// A Snort-subset rule (TinyCheck's iocs.json) that fired on a destination.
#[derive(Debug, Clone)]
pub struct RuleHit {
    pub sid: u64,
    pub msg: String,
    pub tag: String,
    pub spyware: bool,
    pub to_server: bool,
    pub prov: Prov,
}

impl RuleHit {
    pub fn to_record(&self, input: &InputInfo) -> Record {
        let mut r = Record::new();
        r.insert("record_type".into(), json!("rule_hit"));
        r.insert("signature".into(), json!(self.msg));
        r.insert("signature_id".into(), json!(self.sid));
        r.insert("rule_tag".into(), json!(self.tag));
        r.insert(
            "direction".into(),
            json!(if self.to_server {
                "to_server"
            } else {
                "to_client"
            }),
        );
        self.prov.write(&mut r, input);
        r
    }
}

/// An IDS alert passed through from Suricata's eve.json.
#[derive(Debug, Clone)]
pub struct IdsRec {
    pub signature: String,
    pub signature_id: u64,
    pub severity: u64,
    pub prov: Prov,
}

impl DnsRec {
    pub fn to_record(&self, input: &InputInfo) -> Record {
        let mut r = Record::new();
        r.insert("query_domain".into(), json!(self.query));
        r.insert("qtype".into(), json!(crate::dns::qtype_name(self.qtype)));
        r.insert("transport".into(), json!(self.transport));
        r.insert("responses".into(), json!(self.responses));
        if let Some(c) = self.rcode {
            r.insert("rcode".into(), json!(rcode_name(c)));
        }
        let answers: Vec<Value> = self
            .answers
            .iter()
            .map(|(o, t, v)| {
                let key = if v.parse::<IpAddr>().is_ok() {
                    "address"
                } else {
                    "target_domain"
                };
                json!({"owner_domain": o, "type": crate::dns::qtype_name(*t), key: v})
            })
            .collect();
        r.insert("answers".into(), Value::Array(answers));
        if let Some(s) = self.server {
            r.insert("resolver".into(), json!(s.to_string()));
        }
        if self.ech {
            r.insert("ech_announced".into(), json!(true));
        }
        self.prov.write(&mut r, input);
        r
    }
}

pub fn rcode_name(c: u8) -> &'static str {
    match c {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "OTHER",
    }
}

impl HelloRec {
    pub fn to_record(&self, input: &InputInfo) -> Record {
        let mut r = Record::new();
        r.insert("server_name".into(), json!(self.sni));
        r.insert(
            "protocol".into(),
            json!(if self.quic { "quic" } else { "tls" }),
        );
        if let Some(v) = self.quic_version {
            r.insert("quic_version".into(), json!(format!("{v:#010x}")));
        }
        r.insert(
            "tls_version".into(),
            json!(crate::tls::version_name(self.version)),
        );
        r.insert("alpn".into(), json!(self.alpn));
        r.insert("ech".into(), json!(self.ech));
        r.insert("post_quantum_key_share".into(), json!(self.post_quantum));
        r.insert("server_ip".into(), json!(self.server.to_string()));
        r.insert("server_port".into(), json!(self.port));
        self.prov.write(&mut r, input);
        r
    }
}

impl CertRec {
    pub fn to_record(&self, input: &InputInfo) -> Record {
        let i = &self.info;
        let mut r = Record::new();
        r.insert("cert_sha1".into(), json!(i.sha1));
        r.insert("cert_sha256".into(), json!(i.sha256));
        r.insert("subject".into(), json!(i.subject));
        r.insert("issuer".into(), json!(i.issuer));
        r.insert("common_name_domain".into(), json!(i.common_name));
        r.insert("san_domains".into(), json!(i.san));
        let t = |s: Option<i64>| {
            s.and_then(|s| jiff::Timestamp::from_second(s).ok())
                .map(telltale_core::time::format)
        };
        r.insert("not_before".into(), json!(t(i.not_before)));
        r.insert("not_after".into(), json!(t(i.not_after)));
        r.insert("self_signed".into(), json!(i.self_signed));
        r.insert("leaf".into(), json!(self.leaf));
        r.insert("server_name".into(), json!(self.sni));
        if let Some(s) = self.server {
            r.insert("server_ip".into(), json!(s.to_string()));
        }
        if let Some(p) = self.port {
            r.insert("server_port".into(), json!(p));
        }
        if i.unparsed {
            r.insert("unparsed".into(), json!(true));
        }
        self.prov.write(&mut r, input);
        r
    }
}

impl HttpRec {
    pub fn to_record(&self, input: &InputInfo) -> Record {
        let mut r = Record::new();
        r.insert("method".into(), json!(self.method));
        r.insert("host".into(), json!(self.host));
        r.insert("url".into(), json!(self.url));
        r.insert("user_agent".into(), json!(self.user_agent));
        r.insert("server_port".into(), json!(self.port));
        self.prov.write(&mut r, input);
        r
    }
}

impl FlowRec {
    pub fn to_record(&self, input: &InputInfo) -> Record {
        let mut r = Record::new();
        r.insert(
            "protocol".into(),
            json!(match self.proto {
                6 => "tcp",
                17 => "udp",
                _ => "other",
            }),
        );
        r.insert("server_ip".into(), json!(self.server.to_string()));
        r.insert("server_port".into(), json!(self.port));
        r.insert("client_ip".into(), json!(self.client.to_string()));
        r.insert("connections".into(), json!(self.connections));
        r.insert("established_connections".into(), json!(self.established));
        r.insert("bytes_to_server".into(), json!(self.bytes_to_server));
        r.insert("bytes_to_client".into(), json!(self.bytes_to_client));
        r.insert("server_names".into(), json!(self.names));
        r.insert("application".into(), json!(self.l7));
        self.prov.write(&mut r, input);
        r
    }
}

impl IdsRec {
    pub fn to_record(&self, input: &InputInfo) -> Record {
        let mut r = Record::new();
        r.insert("record_type".into(), json!("ids_alert"));
        r.insert("signature".into(), json!(self.signature));
        r.insert("signature_id".into(), json!(self.signature_id));
        r.insert("severity".into(), json!(self.severity));
        self.prov.write(&mut r, input);
        r
    }
}

/// Counters of what was and was not visible (see [`crate::coverage`]).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Counters {
    pub packets: u64,
    pub bytes: u64,
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
    pub linktypes: BTreeMap<String, u64>,
    pub truncated_packets: u64,
    pub protected_80211: u64,
    pub unsupported_link: u64,
    pub non_ip: u64,
    pub bad_ip: u64,
    pub other_ip_proto: u64,
    pub ip_fragments_skipped: u64,
    pub tunnels: u64,
    pub tcp_flows: u64,
    pub udp_flows: u64,
    pub flows_considered: u64,
    pub flows_named: u64,
    pub dns_udp: u64,
    pub dns_tcp: u64,
    pub dns_mdns: u64,
    pub dns_llmnr: u64,
    pub dns_errors: u64,
    pub dot_flows: u64,
    pub doh_flows: u64,
    pub doq_flows: u64,
    pub private_relay_flows: u64,
    pub hellos: u64,
    pub hellos_no_sni: u64,
    pub hellos_ech: u64,
    pub hellos_post_quantum: u64,
    pub tls12_chains: u64,
    pub tls13_sessions: u64,
    pub quic_decrypted: u64,
    pub quic_failed: u64,
    pub quic_unknown_version: u64,
    pub reassembly_giveups: u64,
    pub overlap_inconsistencies: u64,
    pub flows_evicted_full: u64,
    pub pcapng_drops: u64,
    pub dsb_blocks: u64,
    pub records_not_kept: u64,
    pub allowlisted_flows: u64,
    pub log_lines: u64,
    pub log_bad_lines: u64,
    pub http_requests: u64,
    pub rule_bytes_dropped: u64,
}
