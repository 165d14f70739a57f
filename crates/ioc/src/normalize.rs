//! Normalisation of observed values and indicator values, applied identically on both sides.

use std::borrow::Cow;
use std::net::IpAddr;

/// Normalise a host name: trim, strip a trailing dot, lower-case, IDNA → punycode, strip a leading
/// `www.`. Returns `None` for an empty or unusable host.
pub fn host(h: &str) -> Option<Cow<'_, str>> {
    let h = h.trim();
    let h = h.strip_suffix('.').unwrap_or(h);
    if h.is_empty() || h.len() > 1024 {
        return None;
    }
    let mut out: Cow<'_, str> = if h.is_ascii() {
        if h.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(h.to_ascii_lowercase())
        } else {
            Cow::Borrowed(h)
        }
    } else {
        match idna::domain_to_ascii(h) {
            Ok(a) if !a.is_empty() => Cow::Owned(a),
            // Not a valid IDN: fall back to plain lower-casing so it can still match itself.
            _ => Cow::Owned(h.to_lowercase()),
        }
    };
    if out
        .strip_prefix("www.")
        .is_some_and(|rest| !rest.is_empty())
    {
        out = match out {
            Cow::Borrowed(b) => Cow::Borrowed(&b[4..]),
            Cow::Owned(o) => Cow::Owned(o[4..].to_string()),
        };
    }
    if out.is_empty() { None } else { Some(out) }
}

/// Parse an IP literal, also in `[::1]` form, with an optional port (`1.2.3.4:80`, `[::1]:443`).
pub fn ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(a) = s.parse::<IpAddr>() {
        return Some(a);
    }
    if let Some(rest) = s.strip_prefix('[') {
        let inner = rest.split(']').next()?;
        return inner.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6);
    }
    if let Some((h, p)) = s.rsplit_once(':')
        && p.bytes().all(|b| b.is_ascii_digit())
        && !p.is_empty()
    {
        return h.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4);
    }
    None
}

/// The canonical text form of an IP address (IPv4-mapped IPv6 addresses become IPv4).
pub fn ip_key(a: IpAddr) -> String {
    match a {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// Parse a CIDR range `net/len` (IPv4 or IPv6); the address is masked to the prefix.
pub fn cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (a, l) = s.trim().split_once('/')?;
    let a: IpAddr = a.trim().parse().ok()?;
    let l: u8 = l.trim().parse().ok()?;
    let max = if a.is_ipv4() { 32 } else { 128 };
    (l <= max).then_some((a, l))
}

/// The key of a CIDR range: the masked network address and the length (`10.1.0.0/16`).
pub fn cidr_key(a: IpAddr, len: u8) -> String {
    match a {
        IpAddr::V4(v) => {
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - len.min(32) as u32)
            };
            format!("{}/{len}", std::net::Ipv4Addr::from(u32::from(v) & m))
        }
        IpAddr::V6(v) => {
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len.min(128) as u32)
            };
            format!("{}/{len}", std::net::Ipv6Addr::from(u128::from(v) & m))
        }
    }
}

/// Split a URL-ish string (`https://u@evil.com:443/p?q`, `evil.com/path`, `evil.com:443`) into its
/// authority host (raw, not normalised) and the rest starting at the path.
pub fn split_authority(s: &str) -> Option<(&str, Option<&str>, &str)> {
    let s = s.trim();
    let rest = match s.find("://") {
        Some(i)
            if s[..i]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.') =>
        {
            &s[i + 3..]
        }
        _ => s.strip_prefix("//").unwrap_or(s),
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    if authority.is_empty() {
        return None;
    }
    let (host, port) = if let Some(r) = authority.strip_prefix('[') {
        let close = r.find(']')?;
        let port = r[close + 1..].strip_prefix(':');
        (&authority[..close + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some((host, port.filter(|p| !p.is_empty()), tail))
}

/// The host of a URL-ish string, normalised (see [`host`]); for IP literals, the raw literal.
pub fn url_host(s: &str) -> Option<String> {
    let (h, _, _) = split_authority(s)?;
    host(h).map(Cow::into_owned)
}

/// A URL key that ignores the scheme, `www.`, host case, default ports, the fragment and a
/// trailing `/`: `HTTPS://www.Evil.com:443/a/?x=1#f` → `evil.com/a?x=1`.
pub fn url_key(s: &str) -> Option<String> {
    let s = s.trim();
    let scheme = s.find("://").map(|i| s[..i].to_ascii_lowercase());
    let (h, port, tail) = split_authority(s)?;
    let mut key = match ip(h) {
        Some(a) => ip_key(a),
        None => host(h)?.into_owned(),
    };
    let default = matches!(
        (scheme.as_deref(), port),
        (_, None) | (Some("http") | None, Some("80")) | (Some("https") | None, Some("443"))
    );
    if !default && let Some(p) = port {
        key.push(':');
        key.push_str(p);
    }
    let tail = tail.split('#').next().unwrap_or("");
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    key.push_str(path.trim_end_matches('/'));
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        key.push('?');
        key.push_str(q);
    }
    Some(key)
}

/// The last component of a `/` (or `\`) separated path.
pub fn basename(p: &str) -> &str {
    let p = p.trim();
    p.rsplit(['/', '\\']).next().unwrap_or(p)
}

/// Lower-case hex with `:`/whitespace separators removed (certificate and file hashes).
pub fn hash(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Does `s` look like a host name (labels of letters, digits, hyphens, at least one dot, last label
/// not numeric)?
pub fn looks_like_domain(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.len() < 3 || s.len() > 253 || !s.contains('.') {
        return false;
    }
    let mut last = "";
    for label in s.split('.') {
        if label.is_empty()
            || label.len() > 63
            || !label
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            || label.starts_with('-')
        {
            return false;
        }
        last = label;
    }
    !last.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(host("WWW.Evil.COM.").as_deref(), Some("evil.com"));
        assert_eq!(host("bücher.de").as_deref(), Some("xn--bcher-kva.de"));
        assert_eq!(
            host("xn--bcher-kva.de").as_deref(),
            Some("xn--bcher-kva.de")
        );
        assert_eq!(host("www.").as_deref(), Some("www"));
        assert_eq!(host("  ").as_deref(), None);
    }

    #[test]
    fn urls() {
        assert_eq!(
            url_key("HTTPS://www.Evil.com:443/a/?x=1#f").as_deref(),
            Some("evil.com/a?x=1")
        );
        assert_eq!(url_key("evil.com/a").as_deref(), Some("evil.com/a"));
        assert_eq!(
            url_key("http://evil.com:8080/").as_deref(),
            Some("evil.com:8080")
        );
        assert_eq!(url_key("http://[::1]:80/x").as_deref(), Some("::1/x"));
        assert_eq!(url_host("user@evil.com:443").as_deref(), Some("evil.com"));
        assert_eq!(
            url_host("https://a.b.evil.com/p?q=a=b").as_deref(),
            Some("a.b.evil.com")
        );
        assert_eq!(url_host("/just/a/path"), None);
    }

    #[test]
    fn ips() {
        assert_eq!(ip("[::1]").map(ip_key).as_deref(), Some("::1"));
        assert_eq!(ip("[::1]:443").map(ip_key).as_deref(), Some("::1"));
        assert_eq!(ip("1.2.3.4:80").map(ip_key).as_deref(), Some("1.2.3.4"));
        assert_eq!(ip("0:0:0:0:0:0:0:1").map(ip_key).as_deref(), Some("::1"));
        assert_eq!(ip("::ffff:1.2.3.4").map(ip_key).as_deref(), Some("1.2.3.4"));
        assert!(ip("evil.com").is_none());
    }

    #[test]
    fn misc() {
        assert_eq!(basename("/usr/libexec/bh"), "bh");
        assert_eq!(hash("AB:cd EF"), "abcdef");
        assert!(looks_like_domain("evil.com"));
        assert!(!looks_like_domain("1.2.3.4"));
        assert!(!looks_like_domain("hello"));
        assert!(!looks_like_domain("a..b"));
    }
}
