//! HTTP/1.x requests on client→server streams: request line, Host, User-Agent, CONNECT authority.

/// One request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub target: String,
    /// The first Host header, raw.
    pub host: Option<String>,
    pub duplicate_host: bool,
    pub user_agent: Option<String>,
    pub version: String,
}

const METHODS: [&str; 9] = [
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE",
];

/// Whether a stream starts like an HTTP/1.x request (a method and a space).
pub fn looks_like_request(b: &[u8]) -> bool {
    METHODS
        .iter()
        .any(|m| b.len() > m.len() && b.starts_with(m.as_bytes()) && b[m.len()] == b' ')
        || (b.len() < 8 && METHODS.iter().any(|m| m.as_bytes().starts_with(b)) && !b.is_empty())
}

/// Parses the requests complete in `b` (pipelined and keep-alive ones, bodies skipped by
/// Content-Length); returns them and how many bytes they took.
pub fn requests(b: &[u8]) -> (Vec<Request>, usize) {
    let mut out = Vec::new();
    let mut off = 0;
    while out.len() < 64 {
        let rest = &b[off..];
        let Some(end) = memchr::memmem::find(rest, b"\r\n\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&rest[..end]);
        let mut lines = head.split("\r\n");
        let line = lines.next().unwrap_or("");
        let mut parts = line.splitn(3, ' ');
        let (Some(method), Some(target), Some(version)) =
            (parts.next(), parts.next(), parts.next())
        else {
            break;
        };
        if !METHODS.contains(&method) || !version.starts_with("HTTP/1") {
            break;
        }
        let mut req = Request {
            method: method.to_string(),
            target: target.to_string(),
            host: None,
            duplicate_host: false,
            user_agent: None,
            version: version.to_string(),
        };
        let mut body = 0usize;
        for l in lines {
            let Some((k, v)) = l.split_once(':') else {
                continue;
            };
            let v = v.trim();
            if k.eq_ignore_ascii_case("host") {
                if req.host.is_some() {
                    req.duplicate_host = true;
                } else {
                    req.host = Some(v.to_string());
                }
            } else if k.eq_ignore_ascii_case("user-agent") {
                req.user_agent = Some(v.chars().take(512).collect());
            } else if k.eq_ignore_ascii_case("content-length") {
                body = v.parse().unwrap_or(0);
            }
        }
        out.push(req);
        // A claimed length may be anything up to u64::MAX: saturate, the request ends at the buffer's end.
        off = off.saturating_add(end + 4).saturating_add(body);
        if off > b.len() {
            off = b.len();
            break;
        }
    }
    (out, off)
}

/// The host of a request: the CONNECT authority, the absolute-form target's host, else Host;
/// normalised: no port, no trailing dot, lower-case, IPv6 unbracketed.
pub fn request_host(r: &Request) -> Option<String> {
    let raw = if r.method == "CONNECT" {
        Some(r.target.as_str())
    } else if let Some(rest) = r
        .target
        .strip_prefix("http://")
        .or_else(|| r.target.strip_prefix("https://"))
    {
        Some(rest.split(['/', '?', '#']).next().unwrap_or(""))
    } else {
        r.host.as_deref()
    }?;
    normalise_host(raw)
}

pub fn normalise_host(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let raw = raw.rsplit_once('@').map(|(_, h)| h).unwrap_or(raw);
    let h = if let Some(r) = raw.strip_prefix('[') {
        r.split(']').next().unwrap_or("")
    } else if raw.matches(':').count() == 1 {
        raw.split(':').next().unwrap_or("")
    } else {
        raw
    };
    let h = h.trim_end_matches('.').to_ascii_lowercase();
    (!h.is_empty()).then_some(h)
}

/// The URL of a request as `http://host/target` (absolute-form targets as they are).
pub fn request_url(r: &Request, host: &str, port: u16) -> String {
    if r.target.starts_with("http://") || r.target.starts_with("https://") {
        return r.target.clone();
    }
    if r.method == "CONNECT" {
        return format!("https://{}", r.target);
    }
    let h = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let p = if port == 80 {
        String::new()
    } else {
        format!(":{port}")
    };
    let t = if r.target.starts_with('/') {
        r.target.clone()
    } else {
        format!("/{}", r.target)
    };
    format!("http://{h}{p}{t}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelined_and_host_forms() {
        let b = b"GET /a?x=evil.com HTTP/1.1\r\nHost: WWW.Example.COM.:8080\r\n\r\nPOST /b HTTP/1.1\r\nhost: b.org\r\nContent-Length: 3\r\n\r\nabcCONNECT evil.com:443 HTTP/1.1\r\nHost: evil.com:443\r\n\r\n";
        let (r, used) = requests(b);
        assert_eq!(used, b.len());
        assert_eq!(r.len(), 3);
        assert_eq!(request_host(&r[0]).as_deref(), Some("www.example.com"));
        assert_eq!(
            request_url(&r[0], "www.example.com", 80),
            "http://www.example.com/a?x=evil.com"
        );
        assert_eq!(request_host(&r[2]).as_deref(), Some("evil.com"));
        assert_eq!(
            normalise_host("[2001:db8::1]:80").as_deref(),
            Some("2001:db8::1")
        );
        assert!(looks_like_request(b"GET / HTTP/1.1"));
        assert!(looks_like_request(b"PO"));
        assert!(!looks_like_request(b"\x16\x03\x01"));
    }
}
