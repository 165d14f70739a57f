//! Zeek logs, TSV (columns mapped by their `#fields` names, `\xHH` unescaped, `-` unset, `(empty)`
//! empty) and JSON (one object per line): dns, conn, ssl, http, x509, files and quic logs give the
//! same records as a capture. Logs carry no packets: provenance is the log line and the `uid`.

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;

use serde_json::Value;

use crate::cert::CertInfo;
use crate::engine::Engine;
use crate::log_lines::LogLines;
use crate::records::{Seen, Tuple};

/// One log row: field name → values (vectors split).
type Row = HashMap<String, Vec<String>>;

/// Which log a row comes from.
fn log_kind(path: Option<&str>, row: &Row) -> &'static str {
    if let Some(p) = path {
        let base = p.rsplit('/').next().unwrap_or(p);
        for k in ["dns", "conn", "ssl", "http", "x509", "files", "quic"] {
            if base == k || base.starts_with(&format!("{k}.")) {
                return k;
            }
        }
    }
    let has = |k: &str| row.contains_key(k);
    if has("query") && (has("qtype_name") || has("qtype") || has("answers")) {
        "dns"
    } else if has("conn_state") {
        "conn"
    } else if has("fingerprint") && (has("certificate.subject") || has("san.dns")) {
        "x509"
    } else if has("server_name") && (has("established") || has("cert_chain_fps") || has("cipher")) {
        "ssl"
    } else if has("server_name") && (has("client_initial_dcid") || has("history") || has("version"))
    {
        "quic"
    } else if has("method") && (has("host") || has("uri")) {
        "http"
    } else if has("fuid") && has("mime_type") {
        "files"
    } else {
        ""
    }
}

fn unescape(s: &str) -> String {
    if !s.contains("\\x") {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1] == b'x'
            && let Some(v) = std::str::from_utf8(&b[i + 2..i + 4])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads a Zeek log (TSV or JSON lines) into the engine.
pub fn read<R: Read>(
    engine: &mut Engine<'_>,
    name: &str,
    r: R,
    hint: Option<&str>,
    warnings: &mut Vec<String>,
) {
    let mut sep = "\t".to_string();
    let mut set_sep = ",".to_string();
    let mut empty = "(empty)".to_string();
    let mut unset = "-".to_string();
    let mut fields: Vec<String> = Vec::new();
    let mut path: Option<String> = hint.map(str::to_string);
    let mut lines = LogLines::new(r);
    while let Some(line) = lines.next_line(name, warnings) {
        let t = line.as_str();
        if t.is_empty() {
            continue;
        }
        engine.cap.counters.log_lines += 1;
        if let Some(d) = t.strip_prefix('#') {
            let (k, v) = d
                .split_once(sep.as_str())
                .or_else(|| d.split_once(' '))
                .unwrap_or((d, ""));
            match k {
                "separator" => sep = unescape(v.trim()),
                "set_separator" => set_sep = v.to_string(),
                "empty_field" => empty = v.to_string(),
                "unset_field" => unset = v.to_string(),
                "path" => path = Some(v.to_string()),
                "fields" => fields = v.split(sep.as_str()).map(str::to_string).collect(),
                _ => {}
            }
            continue;
        }
        let row: Option<Row> = if t.starts_with('{') {
            match serde_json::from_str::<serde_json::Map<String, Value>>(t) {
                Ok(o) => Some(json_row(o)),
                Err(_) => None,
            }
        } else if !fields.is_empty() && t.split(sep.as_str()).count() == fields.len() {
            let mut row = Row::new();
            for (f, v) in fields.iter().zip(t.split(sep.as_str())) {
                if v == unset {
                    continue;
                }
                let vals = if v == empty {
                    Vec::new()
                } else {
                    v.split(set_sep.as_str()).map(unescape).collect()
                };
                row.insert(f.clone(), vals);
            }
            Some(row)
        } else {
            None
        };
        let Some(row) = row else {
            lines.mark_bad();
            continue;
        };
        let kind = log_kind(path.as_deref(), &row);
        apply(engine, kind, &row, lines.line_no);
    }
    lines.finish(engine, name, warnings);
}

fn json_row(o: serde_json::Map<String, Value>) -> Row {
    let mut row = Row::new();
    for (k, v) in o {
        let vals = match v {
            Value::Null => continue,
            Value::Array(a) => a
                .into_iter()
                .map(|x| match x {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect(),
            Value::String(s) => vec![s],
            Value::Bool(b) => vec![if b { "T".into() } else { "F".into() }],
            other => vec![other.to_string()],
        };
        row.insert(k, vals);
    }
    row
}

fn one<'a>(row: &'a Row, k: &str) -> Option<&'a str> {
    row.get(k).and_then(|v| v.first()).map(String::as_str)
}

/// `ts`: epoch seconds (float) or ISO 8601.
fn ts_ns(row: &Row) -> Option<i64> {
    let t = one(row, "ts")?;
    if let Ok(f) = t.parse::<f64>() {
        return Some((f * 1e9) as i64);
    }
    t.parse::<jiff::Timestamp>()
        .ok()
        .map(|x| x.as_nanosecond() as i64)
}

fn tuple(row: &Row, proto: Option<u8>) -> Option<Tuple> {
    let src: IpAddr = one(row, "id.orig_h")?.parse().ok()?;
    let dst: IpAddr = one(row, "id.resp_h")?.parse().ok()?;
    let proto = proto.or_else(|| match one(row, "proto") {
        Some("tcp") => Some(6),
        Some("udp") => Some(17),
        _ => None,
    })?;
    Some(Tuple {
        proto,
        src,
        sport: one(row, "id.orig_p")?.parse().ok()?,
        dst,
        dport: one(row, "id.resp_p")?.parse().ok()?,
    })
}

fn apply(engine: &mut Engine<'_>, kind: &str, row: &Row, line: u64) {
    let input = engine.input;
    let uid = one(row, "uid");
    let seen = |t: Option<Tuple>| Seen {
        input,
        frame: line,
        ts_ns: ts_ns(row),
        tuple: t,
    };
    match kind {
        "dns" => {
            let Some(q) = one(row, "query") else { return };
            let qtype = one(row, "qtype")
                .and_then(|x| x.parse().ok())
                .unwrap_or_else(|| match one(row, "qtype_name") {
                    Some("AAAA") => 28,
                    Some("HTTPS") => 65,
                    Some("CNAME") => 5,
                    Some("PTR") => 12,
                    _ => 1,
                });
            let rcode = one(row, "rcode").and_then(|x| x.parse().ok());
            let answers: Vec<String> = row.get("answers").cloned().unwrap_or_default();
            let t = tuple(row, None);
            let transport = if t.is_some_and(|t| t.proto == 6) {
                "tcp"
            } else if t.is_some_and(|t| t.dport == 5353) {
                "mdns"
            } else {
                "udp"
            };
            engine.log_dns(q, qtype, rcode, &answers, transport, &seen(t), uid);
        }
        "ssl" => {
            let t = tuple(row, Some(6));
            let est = one(row, "established") == Some("T");
            engine.log_hello(one(row, "server_name"), false, est, &seen(t), uid);
            if let Some(fps) = row.get("cert_chain_fps") {
                for (i, fp) in fps.iter().enumerate() {
                    cert_hash(
                        engine,
                        fp,
                        i == 0,
                        t,
                        one(row, "server_name"),
                        &seen(t),
                        None,
                    );
                }
            }
        }
        "quic" => {
            let t = tuple(row, Some(17));
            let est =
                one(row, "history").is_some_and(|h| h.chars().any(|c| c.is_ascii_uppercase()));
            engine.log_hello(one(row, "server_name"), true, est, &seen(t), uid);
        }
        "conn" => {
            let t = tuple(row, None);
            let ob: u64 = one(row, "orig_bytes")
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            let rb: u64 = one(row, "resp_bytes")
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            let state = one(row, "conn_state").unwrap_or("");
            let est = match t.map(|t| t.proto) {
                Some(6) => {
                    matches!(state, "SF" | "S1" | "S2" | "S3" | "RSTO" | "RSTR") && ob + rb > 0
                }
                _ => rb > 0 && ob > 0,
            };
            let l7 = match one(row, "service") {
                Some(s) if s.contains("ssl") => Some("tls"),
                Some(s) if s.contains("quic") => Some("quic"),
                Some(s) if s.contains("http") => Some("http"),
                Some(s) if s.contains("dns") => Some("dns"),
                _ => None,
            };
            engine.log_flow((ob, rb), est, &[], l7, &seen(t), uid);
        }
        "http" => {
            let t = tuple(row, Some(6));
            let req = crate::http::Request {
                method: one(row, "method").unwrap_or("GET").to_string(),
                target: one(row, "uri").unwrap_or("/").to_string(),
                host: one(row, "host").map(str::to_string),
                duplicate_host: false,
                user_agent: one(row, "user_agent").map(str::to_string),
                version: "HTTP/1.1".into(),
            };
            let (server, port) = t
                .map(|t| (t.dst, t.dport))
                .unwrap_or((IpAddr::from([0, 0, 0, 0]), 80));
            engine.add_http(&req, server, port, &seen(t));
        }
        "x509" => {
            let Some(fp) = one(row, "fingerprint") else {
                return;
            };
            let subject = one(row, "certificate.subject").unwrap_or("").to_string();
            let issuer = one(row, "certificate.issuer").unwrap_or("").to_string();
            let san: Vec<String> = row.get("san.dns").cloned().unwrap_or_default();
            let extra = CertExtra {
                subject,
                issuer,
                san,
            };
            cert_hash(engine, fp, true, None, None, &seen(None), Some(extra));
        }
        "files" => {
            let mime = one(row, "mime_type").unwrap_or("");
            if mime.contains("x509") || mime.contains("x-x509") {
                for k in ["sha256", "sha1"] {
                    if let Some(h) = one(row, k) {
                        cert_hash(engine, h, false, None, None, &seen(None), None);
                        break;
                    }
                }
            }
        }
        _ => {}
    }
}

pub struct CertExtra {
    pub subject: String,
    pub issuer: String,
    pub san: Vec<String>,
}

/// A certificate known only by its hash (and, from x509.log/EVE, its names).
pub fn cert_hash(
    engine: &mut Engine<'_>,
    fp: &str,
    leaf: bool,
    t: Option<Tuple>,
    sni: Option<&str>,
    s: &Seen,
    extra: Option<CertExtra>,
) {
    let h = telltale_ioc::normalize::hash(fp);
    if !h.bytes().all(|b| b.is_ascii_hexdigit()) || !(h.len() == 40 || h.len() == 64) {
        return;
    }
    let (sha1, sha256) = if h.len() == 40 {
        (h, String::new())
    } else {
        (String::new(), h)
    };
    let mut info = CertInfo {
        sha1,
        sha256,
        subject: String::new(),
        issuer: String::new(),
        common_name: None,
        san: Vec::new(),
        not_before: None,
        not_after: None,
        self_signed: false,
        unparsed: false,
    };
    if let Some(x) = extra {
        info.self_signed = !x.subject.is_empty() && x.subject == x.issuer;
        info.common_name = x
            .subject
            .split(',')
            .find_map(|p| p.trim().strip_prefix("CN="))
            .map(|s| s.to_ascii_lowercase());
        info.subject = x.subject;
        info.issuer = x.issuer;
        info.san = x.san.into_iter().map(|s| s.to_ascii_lowercase()).collect();
    }
    engine.add_cert_info(
        info,
        leaf,
        t.map(|t| t.dst),
        t.map(|t| t.dport),
        sni.map(str::to_string),
        s,
    );
}
