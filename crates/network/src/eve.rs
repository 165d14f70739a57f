//! Suricata `eve.json`: dns (v1, v2 and v3 layouts), tls, http, quic, flow, alert and fileinfo
//! events give the same records as a capture; `pcap_cnt` maps back to a frame number.

use std::io::Read;
use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::engine::Engine;
use crate::log_lines::LogLines;
use crate::records::{IdsRec, Prov, Seen, Tuple};
use crate::zeek::{CertExtra, cert_hash};

pub fn read<R: Read>(engine: &mut Engine<'_>, name: &str, r: R, warnings: &mut Vec<String>) {
    let mut lines = LogLines::new(r);
    while let Some(line) = lines.next_line(name, warnings) {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        engine.cap.counters.log_lines += 1;
        match serde_json::from_str::<Map<String, Value>>(t) {
            Ok(o) => event(engine, &o, lines.line_no),
            Err(_) => lines.mark_bad(),
        }
    }
    lines.finish(engine, name, warnings);
}

fn s<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str)
}

fn tuple(o: &Map<String, Value>, swap: bool) -> Option<Tuple> {
    let src: IpAddr = s(o, "src_ip")?.parse().ok()?;
    let dst: IpAddr = s(o, "dest_ip")?.parse().ok()?;
    let sport = o.get("src_port").and_then(Value::as_u64).unwrap_or(0) as u16;
    let dport = o.get("dest_port").and_then(Value::as_u64).unwrap_or(0) as u16;
    let proto = match s(o, "proto").map(|p| p.to_ascii_uppercase()) {
        Some(p) if p == "TCP" || p == "6" => 6,
        Some(p) if p == "UDP" || p == "17" => 17,
        _ => 0,
    };
    Some(if swap {
        Tuple {
            proto,
            src: dst,
            sport: dport,
            dst: src,
            dport: sport,
        }
    } else {
        Tuple {
            proto,
            src,
            sport,
            dst,
            dport,
        }
    })
}

fn rrtype(v: Option<&str>) -> u16 {
    match v {
        Some("AAAA") => 28,
        Some("CNAME") => 5,
        Some("HTTPS") => 65,
        Some("SVCB") => 64,
        Some("PTR") => 12,
        Some("TXT") => 16,
        _ => 1,
    }
}

fn rcode(v: Option<&str>) -> Option<u8> {
    Some(match v? {
        "NOERROR" => 0,
        "FORMERR" => 1,
        "SERVFAIL" => 2,
        "NXDOMAIN" => 3,
        "NOTIMP" => 4,
        "REFUSED" => 5,
        _ => 255,
    })
}

fn event(engine: &mut Engine<'_>, o: &Map<String, Value>, line: u64) {
    let frame = o.get("pcap_cnt").and_then(Value::as_u64).unwrap_or(line);
    let ts = s(o, "timestamp").and_then(parse_ts);
    let uid = o.get("flow_id").map(|v| v.to_string());
    let input = engine.input;
    let seen = |t: Option<Tuple>| Seen {
        input,
        frame,
        ts_ns: ts,
        tuple: t,
    };
    match s(o, "event_type") {
        Some("dns") => {
            let Some(d) = o.get("dns").and_then(Value::as_object) else {
                return;
            };
            let ty = s(d, "type").unwrap_or("");
            let v3 = d.get("version").and_then(Value::as_u64) == Some(3);
            let response = matches!(ty, "answer" | "response");
            // v3 responses name the responder as src_ip.
            let t = tuple(o, v3 && response);
            let mut answers: Vec<String> = Vec::new();
            if let Some(a) = d.get("answers").and_then(Value::as_array) {
                for x in a.iter().filter_map(Value::as_object) {
                    if let Some(rd) = s(x, "rdata") {
                        answers.push(rd.to_string());
                    }
                }
            }
            if let Some(g) = d.get("grouped").and_then(Value::as_object) {
                for (k, v) in g {
                    if matches!(k.as_str(), "A" | "AAAA" | "CNAME" | "HTTPS" | "SVCB")
                        && let Some(a) = v.as_array()
                    {
                        for x in a.iter().filter_map(Value::as_str) {
                            if !answers.iter().any(|y| y == x) {
                                answers.push(x.to_string());
                            }
                        }
                    }
                }
            }
            // v1: one event per answer with rdata at the top.
            if let Some(rd) = s(d, "rdata") {
                answers.push(rd.to_string());
            }
            let rc = if response {
                rcode(s(d, "rcode")).or(Some(0))
            } else {
                None
            };
            let mut qs: Vec<(String, u16)> = Vec::new();
            if let Some(q) = d.get("queries").and_then(Value::as_array) {
                for x in q.iter().filter_map(Value::as_object) {
                    if let Some(n) = s(x, "rrname") {
                        qs.push((n.to_string(), rrtype(s(x, "rrtype"))));
                    }
                }
            }
            if qs.is_empty()
                && let Some(n) = s(d, "rrname")
            {
                qs.push((n.to_string(), rrtype(s(d, "rrtype"))));
            }
            let transport = if t.is_some_and(|t| t.proto == 6) {
                "tcp"
            } else {
                "udp"
            };
            for (q, qt) in qs {
                engine.log_dns(&q, qt, rc, &answers, transport, &seen(t), uid.as_deref());
            }
        }
        Some("tls") => {
            let t = tuple(o, false);
            let Some(x) = o.get("tls").and_then(Value::as_object) else {
                return;
            };
            engine.log_hello(s(x, "sni"), false, true, &seen(t), uid.as_deref());
            if let Some(fp) = s(x, "fingerprint") {
                let extra = CertExtra {
                    subject: s(x, "subject").unwrap_or("").to_string(),
                    issuer: s(x, "issuerdn").unwrap_or("").to_string(),
                    san: Vec::new(),
                };
                cert_hash(engine, fp, true, t, s(x, "sni"), &seen(t), Some(extra));
            }
        }
        Some("quic") => {
            let t = tuple(o, false);
            let Some(x) = o.get("quic").and_then(Value::as_object) else {
                return;
            };
            engine.log_hello(s(x, "sni"), true, false, &seen(t), uid.as_deref());
        }
        Some("http") => {
            let t = tuple(o, false);
            let Some(x) = o.get("http").and_then(Value::as_object) else {
                return;
            };
            let req = crate::http::Request {
                method: s(x, "http_method").unwrap_or("GET").to_string(),
                target: s(x, "url").unwrap_or("/").to_string(),
                host: s(x, "hostname").map(str::to_string),
                duplicate_host: false,
                user_agent: s(x, "http_user_agent").map(str::to_string),
                version: "HTTP/1.1".into(),
            };
            let (server, port) = t
                .map(|t| (t.dst, t.dport))
                .unwrap_or((IpAddr::from([0, 0, 0, 0]), 80));
            engine.add_http(&req, server, port, &seen(t));
        }
        Some("flow") => {
            let t = tuple(o, false);
            let Some(f) = o.get("flow").and_then(Value::as_object) else {
                return;
            };
            let ts_b = f.get("bytes_toserver").and_then(Value::as_u64).unwrap_or(0);
            let tc_b = f.get("bytes_toclient").and_then(Value::as_u64).unwrap_or(0);
            let state = s(f, "state").unwrap_or("");
            let est = if t.is_some_and(|t| t.proto == 6) {
                matches!(state, "established" | "closed") && tc_b > 0
            } else {
                tc_b > 0 && ts_b > 0
            };
            let l7 = match s(o, "app_proto") {
                Some("tls") => Some("tls"),
                Some("http") => Some("http"),
                Some("quic") => Some("quic"),
                Some("dns") => Some("dns"),
                _ => None,
            };
            engine.log_flow((ts_b, tc_b), est, &[], l7, &seen(t), uid.as_deref());
        }
        Some("alert") => {
            let t = tuple(o, false);
            let Some(a) = o.get("alert").and_then(Value::as_object) else {
                return;
            };
            let mut p = Prov::new(&seen(t));
            p.add(&seen(t));
            p.uid = uid;
            if engine.cap.ids.len() < 100_000 {
                engine.cap.ids.push(IdsRec {
                    signature: s(a, "signature").unwrap_or("").to_string(),
                    signature_id: a.get("signature_id").and_then(Value::as_u64).unwrap_or(0),
                    severity: a.get("severity").and_then(Value::as_u64).unwrap_or(3),
                    prov: p,
                });
            }
        }
        Some("fileinfo") => {
            let Some(f) = o.get("fileinfo").and_then(Value::as_object) else {
                return;
            };
            if s(f, "magic").is_some_and(|m| m.contains("certificate"))
                && let Some(h) = s(f, "sha256")
            {
                cert_hash(engine, h, false, None, None, &seen(None), None);
            }
        }
        _ => {}
    }
}

fn parse_ts(t: &str) -> Option<i64> {
    // Suricata writes `2024-05-01T12:00:00.123456+0000`.
    let b = t.as_bytes();
    let fixed = if b.len() > 5
        && (b[b.len() - 5] == b'+' || b[b.len() - 5] == b'-')
        && b[b.len() - 4..].iter().all(u8::is_ascii_digit)
    {
        let (a, b) = t.split_at(t.len() - 2);
        format!("{a}:{b}")
    } else {
        t.to_string()
    };
    fixed
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|x| x.as_nanosecond() as i64)
}
