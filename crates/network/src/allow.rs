//! The allow-list: benign platforms whose contacts do not raise heuristic alerts. It never silences
//! an indicator match (an indicator under an allow-listed parent, e.g. a C2 on `s3.amazonaws.com`,
//! is reported with a note). Seed: TinyCheck's `whitelist.json` (Kaspersky, Apache-2.0; see
//! `data/tinycheck-LICENSE.txt`), bundled; users add their own files in the same format or as one
//! domain, address or CIDR per line.

use std::collections::HashSet;
use std::net::IpAddr;

/// TinyCheck's whitelist at commit 4f989dcd94fa8d8bcb89a3f1f5d8ee4815392410.
pub const TINYCHECK_WHITELIST: &str = include_str!("../data/tinycheck-whitelist.json");

#[derive(Debug, Default, Clone)]
pub struct AllowList {
    domains: HashSet<String>,
    nets: Vec<(IpAddr, u8)>,
    pub entries: usize,
}

/// Parses `a.b.c.d/len` or an address (a full-length prefix).
pub fn parse_net(s: &str) -> Option<(IpAddr, u8)> {
    let s = s.trim();
    let (a, l) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let ip: IpAddr = a.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let l = l.unwrap_or(max);
    (l <= max).then_some((ip, l))
}

/// Whether `ip` lies in `net/len`.
pub fn in_net(ip: IpAddr, (net, len): (IpAddr, u8)) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - len as u32)
            };
            u32::from(a) & m == u32::from(n) & m
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len as u32)
            };
            u128::from(a) & m == u128::from(n) & m
        }
        _ => false,
    }
}

impl AllowList {
    /// The bundled seed list.
    pub fn builtin() -> Self {
        let mut a = AllowList::default();
        a.add_text(TINYCHECK_WHITELIST);
        a
    }

    /// Adds a TinyCheck-format JSON list, or one entry per line (`#` comments).
    pub fn add_text(&mut self, text: &str) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
            let deleted: Vec<&str> = v
                .get("to_delete")
                .and_then(|d| d.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.get("element")?.as_str())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(els) = v.get("elements").and_then(|e| e.as_array()) {
                for e in els {
                    let Some(val) = e.get("element").and_then(|x| x.as_str()) else {
                        continue;
                    };
                    if !deleted.contains(&val) {
                        self.add_entry(val);
                    }
                }
            }
            return;
        }
        for l in text.lines() {
            let l = l.split('#').next().unwrap_or("").trim();
            if !l.is_empty() {
                self.add_entry(l);
            }
        }
    }

    fn add_entry(&mut self, v: &str) {
        if let Some(n) = parse_net(v) {
            self.nets.push(n);
            self.entries += 1;
        } else {
            let d = v.trim().trim_end_matches('.').to_ascii_lowercase();
            if !d.is_empty() && !d.contains(['/', ' ']) {
                self.domains.insert(d);
                self.entries += 1;
            }
        }
    }

    /// The allow-listed parent of a name (label boundary), if any.
    pub fn host_parent(&self, host: &str) -> Option<&str> {
        let h = host.trim_end_matches('.');
        let mut rest = h;
        loop {
            if let Some(d) = self.domains.get(rest) {
                return Some(d.as_str());
            }
            match rest.find('.') {
                Some(i) => rest = &rest[i + 1..],
                None => return None,
            }
        }
    }

    pub fn allows_host(&self, host: &str) -> bool {
        self.host_parent(host).is_some()
    }

    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| in_net(ip, *n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_is_loaded_and_matches_at_label_boundaries() {
        let a = AllowList::builtin();
        assert!(a.entries > 1500);
        assert!(a.allows_host("s3.amazonaws.com") || a.allows_host("amazonaws.com"));
        assert!(a.allows_host("www.google.com"));
        assert!(!a.allows_host("notgoogle.com"));
        assert!(a.allows_ip("192.168.1.10".parse().unwrap()));
        assert!(!a.allows_ip("203.0.113.9".parse().unwrap()));
        let mut u = AllowList::default();
        u.add_text("# lab\nrouter.lan\n2001:db8::/32\n");
        assert!(u.allows_host("x.router.lan"));
        assert!(u.allows_ip("2001:db8::5".parse().unwrap()));
        assert_eq!(parse_net("10.0.0.0/33"), None);
    }
}
