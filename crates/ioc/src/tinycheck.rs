//! TinyCheck's `iocs.json` (`{"iocs": [{"id", "type", "tag", "tlp", "value"}]}`), accepted by
//! `--iocs` beside STIX: `domain`, `ip4addr`, `ip6addr`, `cidr` and `sha1cert` become indicators
//! (collection `TinyCheck <tag>`); `freedns`, `tld` and `snort` go to the network lists; `ns` needs
//! live lookups, which telltale never does, and is counted as unsupported.

use std::sync::Arc;

use crate::index::{IndexBuilder, SetStats, UnsupportedPattern};
use crate::{IndicatorKind, IocError};

/// Whether bytes look like TinyCheck's format (a JSON object with an `iocs` array first).
pub fn looks_like(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let t = head.trim_start();
    t.starts_with('{') && t[1..].trim_start().starts_with("\"iocs\"")
}

/// Snort rule options the matcher supports.
pub const SNORT_KEYWORDS: [&str; 9] = [
    "msg",
    "sid",
    "rev",
    "content",
    "offset",
    "nocase",
    "depth",
    "flow",
    "classtype",
];

/// The option keywords of a Snort rule (`(k:v; k2:v2; …)`), quotes respected.
pub fn snort_options(rule: &str) -> Option<Vec<(String, String)>> {
    let open = rule.find('(')?;
    let body = rule[open + 1..].trim_end().strip_suffix(')')?;
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut esc = false;
    for c in body.chars() {
        if esc {
            cur.push(c);
            esc = false;
            continue;
        }
        match c {
            '\\' => {
                cur.push(c);
                esc = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => {
                let part = std::mem::take(&mut cur);
                let part = part.trim();
                if !part.is_empty() {
                    let (k, v) = part.split_once(':').unwrap_or((part, ""));
                    out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        let part = cur.trim();
        let (k, v) = part.split_once(':').unwrap_or((part, ""));
        out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    Some(out)
}

/// Why a Snort rule cannot be run (`unsupported rule sid N: …`), if it cannot.
pub fn check_snort(rule: &str) -> Result<u64, String> {
    let opts = snort_options(rule).ok_or("not a rule: no option list")?;
    let sid = opts
        .iter()
        .find(|(k, _)| k == "sid")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .ok_or("rule without a sid")?;
    if let Some((k, _)) = opts
        .iter()
        .find(|(k, _)| !SNORT_KEYWORDS.contains(&k.as_str()))
    {
        return Err(format!("unsupported rule sid {sid}: keyword {k:?}"));
    }
    let proto = rule.split_whitespace().nth(1).unwrap_or("");
    if !matches!(proto, "tcp" | "udp" | "ip") {
        return Err(format!("unsupported rule sid {sid}: protocol {proto:?}"));
    }
    Ok(sid)
}

pub fn add<'b>(
    b: &'b mut IndexBuilder,
    bytes: &[u8],
    source: &str,
) -> Result<&'b SetStats, IocError> {
    #[derive(serde::Deserialize)]
    struct File {
        iocs: Vec<Ioc>,
    }
    #[derive(serde::Deserialize)]
    struct Ioc {
        #[serde(default)]
        id: serde_json::Value,
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        tag: String,
        value: String,
    }
    let f: File = serde_json::from_slice(bytes).map_err(|e| IocError::Json {
        file: source.into(),
        source: e,
    })?;
    let src: Arc<str> = Arc::from(source);
    let mut st = SetStats {
        source: source.to_string(),
        ..Default::default()
    };
    let mut unsupported = Vec::new();
    let unsup = |id: &serde_json::Value, pattern: String, reason: String| UnsupportedPattern {
        file: source.to_string(),
        id: id.to_string(),
        pattern,
        reason,
        evaluated_values: 0,
    };
    for i in &f.iocs {
        st.indicators += 1;
        let tag = if i.tag.is_empty() {
            "unknown"
        } else {
            i.tag.as_str()
        };
        let coll = format!("TinyCheck {tag}");
        let kind = match i.kind.as_str() {
            "domain" => Some(IndicatorKind::Domain),
            "ip4addr" => Some(IndicatorKind::Ipv4),
            "ip6addr" => Some(IndicatorKind::Ipv6),
            "cidr" if i.value.contains(':') => Some(IndicatorKind::Ipv6),
            "cidr" => Some(IndicatorKind::Ipv4),
            "sha1cert" => Some(IndicatorKind::X509Sha1),
            _ => None,
        };
        if let Some(k) = kind {
            let id = i.id.to_string();
            match b.insert_value(k, &i.value, &coll, &src, Some(&id)) {
                Ok(()) => {
                    *st.by_kind.entry(k).or_insert(0) += 1;
                    if !st.collections.contains(&coll) {
                        st.collections.push(coll);
                    }
                }
                Err(r) => {
                    st.unsupported += 1;
                    unsupported.push(unsup(&i.id, format!("{} {}", i.kind, i.value), r));
                }
            }
            continue;
        }
        let v = i.value.trim().trim_start_matches('.').to_ascii_lowercase();
        match i.kind.as_str() {
            "freedns" => {
                b.network_lists_mut().free_dns.insert(v);
            }
            "tld" => {
                b.network_lists_mut().tlds.insert(v);
            }
            "snort" => match check_snort(&i.value) {
                Ok(sid) => {
                    b.network_lists_mut()
                        .snort
                        .push((sid, tag.to_string(), i.value.clone()))
                }
                Err(reason) => {
                    st.unsupported += 1;
                    unsupported.push(unsup(&i.id, i.value.chars().take(300).collect(), reason));
                }
            },
            "ns" => {
                st.unsupported += 1;
                unsupported.push(unsup(
                    &i.id,
                    format!("ns {}", i.value),
                    "name-server indicators need live DNS lookups, which telltale never does"
                        .into(),
                ));
            }
            other => {
                st.unsupported += 1;
                unsupported.push(unsup(
                    &i.id,
                    format!("{other} {}", i.value),
                    format!("unknown TinyCheck type {other:?}"),
                ));
            }
        }
    }
    b.push_stats(st, unsupported);
    Ok(b.last_stats())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IocIndex;

    const SAMPLE: &str = r#"{"iocs": [
        {"id": 1, "type": "domain", "tag": "stalkerware", "tlp": "white", "value": "evil.com"},
        {"id": 2, "type": "domain", "tag": "tracker", "tlp": "white", "value": "track.net"},
        {"id": 3, "type": "ip4addr", "tag": "pegasus", "tlp": "white", "value": "203.0.113.7"},
        {"id": 4, "type": "cidr", "tag": "suspect", "tlp": "white", "value": "198.51.100.0/24"},
        {"id": 5, "type": "sha1cert", "tag": "stalkerware", "tlp": "white", "value": "AABBCCDDEEFF00112233445566778899AABBCCDD"},
        {"id": 6, "type": "freedns", "tag": "suspect", "tlp": "white", "value": "duckdns.org"},
        {"id": 7, "type": "tld", "tag": "suspect", "tlp": "white", "value": ".xyz"},
        {"id": 8, "type": "snort", "tag": "spyware", "tlp": "white", "value": "alert tcp $HOME_NET any -> $EXTERNAL_NET any (msg:\"x; y\"; content:\"|00 01|abc\"; depth:10; sid:42; rev:1;)"},
        {"id": 9, "type": "snort", "tag": "spyware", "tlp": "white", "value": "alert tcp any any -> any any (msg:\"p\"; pcre:\"/a/\"; sid:43; rev:1;)"},
        {"id": 10, "type": "ns", "tag": "suspect", "tlp": "white", "value": "njalla.no"}
    ]}"#;

    #[test]
    fn loads_every_type() {
        assert!(looks_like(SAMPLE.as_bytes()));
        let mut b = IocIndex::builder();
        let st = add(&mut b, SAMPLE.as_bytes(), "iocs.json").unwrap().clone();
        assert_eq!(st.indicators, 10);
        assert_eq!(st.unsupported, 2);
        let idx = b.build();
        assert_eq!(idx.match_host("a.evil.com").len(), 1);
        assert!(idx.match_host("notevil.com").is_empty());
        assert_eq!(
            &*idx.match_host("track.net")[0].collections[0],
            "TinyCheck tracker"
        );
        assert_eq!(idx.match_ip("203.0.113.7").len(), 1);
        assert_eq!(idx.match_ip("198.51.100.200").len(), 1);
        assert!(idx.match_ip("198.51.101.1").is_empty());
        let m = idx.match_cert_hash("aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd");
        assert_eq!(m[0].kind, IndicatorKind::X509Sha1);
        let l = idx.network_lists();
        assert_eq!(l.free_dns_suffix("cam.duckdns.org"), Some("duckdns.org"));
        assert_eq!(l.free_dns_suffix("duckdns.org"), None);
        assert_eq!(l.free_dns_suffix("notduckdns.org"), None);
        assert_eq!(l.suspect_tld("a.xyz"), Some("xyz"));
        assert_eq!(l.snort.len(), 1);
        let reasons: Vec<&str> = idx
            .stats()
            .unsupported
            .iter()
            .map(|u| u.reason.as_str())
            .collect();
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("unsupported rule sid 43")),
            "{reasons:?}"
        );
    }
}
