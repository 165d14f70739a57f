//! Zeek logs (TSV and JSON) and Suricata eve.json (DNS v2 and v3) of the traffic a
//! [`crate::net::Capture`] planted, written from its [`Event`]s: "the same traffic" seen by a sensor.

use std::net::IpAddr;

use serde_json::json;

use crate::net::{Capture, Event};

fn ts(ns: i64) -> String {
    format!("{}.{:06}", ns / 1_000_000_000, (ns % 1_000_000_000) / 1000)
}

fn iso(ns: i64) -> String {
    let t = jiff::Timestamp::from_nanosecond(ns as i128).expect("time");
    format!("{}+0000", t.strftime("%Y-%m-%dT%H:%M:%S%.6f"))
}

fn uid(i: usize) -> String {
    format!("C{:016x}", 0x5eed_0000u64 + i as u64)
}

/// One Zeek log as TSV.
fn tsv(path: &str, fields: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut s = String::new();
    s.push_str("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n");
    s.push_str(&format!(
        "#path\t{path}\n#open\t2024-05-01-12-00-00\n#fields\t{}\n",
        fields.join("\t")
    ));
    s.push_str(&format!(
        "#types\t{}\n",
        fields
            .iter()
            .map(|_| "string")
            .collect::<Vec<_>>()
            .join("\t")
    ));
    for r in rows {
        s.push_str(&r.join("\t"));
        s.push('\n');
    }
    s.push_str("#close\t2024-05-01-13-00-00\n");
    s.into_bytes()
}

fn endpoints(c: (IpAddr, u16), s: (IpAddr, u16)) -> Vec<String> {
    vec![
        c.0.to_string(),
        c.1.to_string(),
        s.0.to_string(),
        s.1.to_string(),
    ]
}

/// Zeek logs of the capture's events: `(file name, bytes)`; `json` picks the JSON layout.
pub fn zeek_logs(cap: &Capture, json: bool) -> Vec<(String, Vec<u8>)> {
    let mut dns = Vec::new();
    let mut ssl = Vec::new();
    let mut http = Vec::new();
    let mut quic = Vec::new();
    let mut conn = Vec::new();
    let mut x509 = Vec::new();
    for (i, e) in cap.events.iter().enumerate() {
        let u = uid(i);
        match e {
            Event::Dns {
                ts_ns,
                client,
                server,
                name,
                qtype,
                answers,
                tcp,
                id,
            } => {
                let mut r = vec![ts(*ts_ns), u.clone()];
                r.extend(endpoints(*client, *server));
                r.extend([
                    if *tcp { "tcp" } else { "udp" }.to_string(),
                    id.to_string(),
                    name.clone(),
                    qtype.to_string(),
                    if answers.is_empty() {
                        "-".into()
                    } else {
                        "0".into()
                    },
                    if answers.is_empty() {
                        "-".into()
                    } else {
                        answers.join(",")
                    },
                ]);
                dns.push(r);
            }
            Event::Tls {
                ts_ns,
                client,
                server,
                sni,
                established,
                cert_sha256,
                cert_subject,
                bytes,
                ..
            } => {
                let mut r = vec![ts(*ts_ns), u.clone()];
                r.extend(endpoints(*client, *server));
                r.extend([
                    sni.clone().unwrap_or_else(|| "-".into()),
                    if *established { "T".into() } else { "F".into() },
                    if cert_sha256.is_empty() {
                        "(empty)".into()
                    } else {
                        cert_sha256.join(",")
                    },
                ]);
                ssl.push(r);
                if let (Some(fp), Some(_)) = (cert_sha256.first(), cert_subject) {
                    x509.push(vec![
                        ts(*ts_ns),
                        fp.clone(),
                        "CN=leaf".into(),
                        "CN=issuer".into(),
                        "-".into(),
                    ]);
                }
                conn.push(conn_row(
                    *ts_ns,
                    &u,
                    *client,
                    *server,
                    "tcp",
                    "ssl",
                    *established,
                    *bytes,
                ));
            }
            Event::Quic {
                ts_ns,
                client,
                server,
                sni,
                answered,
                bytes,
            } => {
                let mut r = vec![ts(*ts_ns), u.clone()];
                r.extend(endpoints(*client, *server));
                r.extend([
                    "1".into(),
                    sni.clone().unwrap_or_else(|| "-".into()),
                    if *answered {
                        "ISiIh".into()
                    } else {
                        "I".into()
                    },
                ]);
                quic.push(r);
                conn.push(conn_row(
                    *ts_ns, &u, *client, *server, "udp", "quic", *answered, *bytes,
                ));
            }
            Event::Http {
                ts_ns,
                client,
                server,
                method,
                host,
                target,
                bytes,
            } => {
                let mut r = vec![ts(*ts_ns), u.clone()];
                r.extend(endpoints(*client, *server));
                r.extend([
                    method.clone(),
                    host.clone(),
                    target.clone(),
                    "testkit/1".into(),
                ]);
                http.push(r);
                conn.push(conn_row(
                    *ts_ns, &u, *client, *server, "tcp", "http", true, *bytes,
                ));
            }
            Event::Conn {
                ts_ns,
                client,
                server,
                tcp,
                established,
                bytes,
            } => {
                conn.push(conn_row(
                    *ts_ns,
                    &u,
                    *client,
                    *server,
                    if *tcp { "tcp" } else { "udp" },
                    "-",
                    *established,
                    *bytes,
                ));
            }
        }
    }
    let id = [
        "ts",
        "uid",
        "id.orig_h",
        "id.orig_p",
        "id.resp_h",
        "id.resp_p",
    ];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        id.iter().copied().chain(extra.iter().copied()).collect()
    };
    type Log<'a> = (&'a str, Vec<&'a str>, Vec<Vec<String>>);
    let logs: Vec<Log<'_>> = vec![
        (
            "dns",
            with(&["proto", "trans_id", "query", "qtype", "rcode", "answers"]),
            dns,
        ),
        (
            "ssl",
            with(&["server_name", "established", "cert_chain_fps"]),
            ssl,
        ),
        ("quic", with(&["version", "server_name", "history"]), quic),
        ("http", with(&["method", "host", "uri", "user_agent"]), http),
        (
            "conn",
            with(&["proto", "service", "conn_state", "orig_bytes", "resp_bytes"]),
            conn,
        ),
        (
            "x509",
            vec![
                "ts",
                "fingerprint",
                "certificate.subject",
                "certificate.issuer",
                "san.dns",
            ],
            x509,
        ),
    ];
    let mut out = Vec::new();
    for (name, fields, rows) in logs {
        if rows.is_empty() {
            continue;
        }
        let bytes = if json {
            let mut s = String::new();
            for r in &rows {
                let mut o = serde_json::Map::new();
                for (f, v) in fields.iter().zip(r) {
                    if v == "-" {
                        continue;
                    }
                    let val = match *f {
                        "ts" => json!(v.parse::<f64>().unwrap_or(0.0)),
                        "id.orig_p" | "id.resp_p" | "trans_id" | "qtype" | "rcode"
                        | "orig_bytes" | "resp_bytes" => {
                            json!(v.parse::<u64>().unwrap_or(0))
                        }
                        "answers" | "cert_chain_fps" | "san.dns" => {
                            if v == "(empty)" {
                                json!([])
                            } else {
                                json!(v.split(',').collect::<Vec<_>>())
                            }
                        }
                        "established" => json!(v == "T"),
                        _ => json!(v),
                    };
                    o.insert(f.to_string(), val);
                }
                s.push_str(&serde_json::to_string(&o).expect("json"));
                s.push('\n');
            }
            s.into_bytes()
        } else {
            tsv(name, &fields, &rows)
        };
        out.push((format!("{name}.log"), bytes));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn conn_row(
    ts_ns: i64,
    u: &str,
    c: (IpAddr, u16),
    s: (IpAddr, u16),
    proto: &str,
    service: &str,
    est: bool,
    bytes: (u64, u64),
) -> Vec<String> {
    let mut r = vec![ts(ts_ns), u.to_string()];
    r.extend(endpoints(c, s));
    r.extend([
        proto.to_string(),
        service.to_string(),
        if est { "SF".into() } else { "S0".into() },
        bytes.0.to_string(),
        bytes.1.to_string(),
    ]);
    r
}

/// Suricata eve.json of the capture's events; `dns_v3` picks Suricata 8's DNS layout (else v2).
pub fn eve(cap: &Capture, dns_v3: bool) -> Vec<u8> {
    let mut lines = Vec::new();
    let base = |ts_ns: i64, i: usize, ev: &str, c: (IpAddr, u16), s: (IpAddr, u16), proto: &str| {
        json!({
            "timestamp": iso(ts_ns), "flow_id": 1000 + i, "event_type": ev,
            "src_ip": c.0.to_string(), "src_port": c.1, "dest_ip": s.0.to_string(), "dest_port": s.1,
            "proto": proto,
        })
    };
    for (i, e) in cap.events.iter().enumerate() {
        match e {
            Event::Dns {
                ts_ns,
                client,
                server,
                name,
                qtype,
                answers,
                id,
                ..
            } => {
                let qt = match qtype {
                    28 => "AAAA",
                    65 => "HTTPS",
                    _ => "A",
                };
                let mut q = base(*ts_ns, i, "dns", *client, *server, "UDP");
                let ans: Vec<serde_json::Value> = answers
                    .iter()
                    .map(|a| {
                        let t = match a.parse::<IpAddr>() {
                            Ok(IpAddr::V4(_)) => "A",
                            Ok(IpAddr::V6(_)) => "AAAA",
                            Err(_) => "CNAME",
                        };
                        json!({"rrname": name, "rrtype": t, "ttl": 60, "rdata": a})
                    })
                    .collect();
                if dns_v3 {
                    q["dns"] = json!({"version": 3, "type": "request", "id": id, "queries": [{"rrname": name, "rrtype": qt}]});
                    lines.push(q);
                    if !answers.is_empty() {
                        // v3 responses: src is the responder.
                        let mut r = base(*ts_ns + 1000, i, "dns", *server, *client, "UDP");
                        r["dns"] = json!({"version": 3, "type": "response", "id": id, "rcode": "NOERROR",
                            "queries": [{"rrname": name, "rrtype": qt}], "answers": ans});
                        lines.push(r);
                    }
                } else {
                    q["dns"] = json!({"type": "query", "id": id, "rrname": name, "rrtype": qt, "tx_id": 0});
                    lines.push(q);
                    if !answers.is_empty() {
                        let mut r = base(*ts_ns + 1000, i, "dns", *client, *server, "UDP");
                        r["dns"] = json!({"version": 2, "type": "answer", "id": id, "rrname": name, "rrtype": qt,
                            "rcode": "NOERROR", "answers": ans});
                        lines.push(r);
                    }
                }
            }
            Event::Tls {
                ts_ns,
                client,
                server,
                sni,
                established,
                cert_sha1,
                bytes,
                ..
            } => {
                if *established {
                    let mut t = base(*ts_ns, i, "tls", *client, *server, "TCP");
                    let mut tls = json!({"version": "TLS 1.2"});
                    if let Some(n) = sni {
                        tls["sni"] = json!(n);
                    }
                    if let Some(fp) = cert_sha1.first() {
                        let colon: Vec<String> = fp
                            .as_bytes()
                            .chunks(2)
                            .map(|c| String::from_utf8_lossy(c).into_owned())
                            .collect();
                        tls["fingerprint"] = json!(colon.join(":"));
                        tls["subject"] = json!("CN=leaf");
                        tls["issuerdn"] = json!("CN=issuer");
                    }
                    t["tls"] = tls;
                    lines.push(t);
                }
                lines.push(flow(
                    base(*ts_ns, i, "flow", *client, *server, "TCP"),
                    "tls",
                    *established,
                    *bytes,
                ));
            }
            Event::Quic {
                ts_ns,
                client,
                server,
                sni,
                answered,
                bytes,
            } => {
                let mut q = base(*ts_ns, i, "quic", *client, *server, "UDP");
                q["quic"] = json!({"version": "1", "sni": sni});
                lines.push(q);
                lines.push(flow(
                    base(*ts_ns, i, "flow", *client, *server, "UDP"),
                    "quic",
                    *answered,
                    *bytes,
                ));
            }
            Event::Http {
                ts_ns,
                client,
                server,
                method,
                host,
                target,
                bytes,
            } => {
                let mut h = base(*ts_ns, i, "http", *client, *server, "TCP");
                h["http"] = json!({"hostname": host, "url": target, "http_method": method, "http_user_agent": "testkit/1", "status": 200});
                lines.push(h);
                lines.push(flow(
                    base(*ts_ns, i, "flow", *client, *server, "TCP"),
                    "http",
                    true,
                    *bytes,
                ));
            }
            Event::Conn {
                ts_ns,
                client,
                server,
                tcp,
                established,
                bytes,
            } => {
                let p = if *tcp { "TCP" } else { "UDP" };
                lines.push(flow(
                    base(*ts_ns, i, "flow", *client, *server, p),
                    "failed",
                    *established,
                    *bytes,
                ));
            }
        }
    }
    let mut out = Vec::new();
    for l in lines {
        out.extend(serde_json::to_vec(&l).expect("json"));
        out.push(b'\n');
    }
    out
}

fn flow(mut v: serde_json::Value, app: &str, est: bool, bytes: (u64, u64)) -> serde_json::Value {
    v["app_proto"] = json!(app);
    v["flow"] = json!({"pkts_toserver": 4, "pkts_toclient": if est { 3 } else { 0 },
        "bytes_toserver": bytes.0, "bytes_toclient": if est { bytes.1.max(1) } else { 0 },
        "state": if est { "closed" } else { "new" }});
    v
}
