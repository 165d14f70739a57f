//! TinyCheck's Snort-subset rules: `alert tcp|udp|ip <src> <ports> -> <dst> <ports> (msg; content with
//! `|hex|`; offset; depth; nocase; flow: established, to_server/to_client/from_server/from_client;
//! classtype; sid; rev)`, run over the first 64 KiB of each direction of a TCP connection and over each
//! UDP payload. Rules with other keywords are refused when loaded (`unsupported rule sid N`).

/// Bytes of each direction of a TCP connection the rules see.
pub const RULE_WINDOW: usize = 64 * 1024;

#[derive(Debug, Clone)]
struct Content {
    pat: Vec<u8>,
    offset: usize,
    depth: Option<usize>,
    nocase: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Ports {
    Any,
    List {
        ranges: Vec<(u16, u16)>,
        negated: bool,
    },
}

impl Ports {
    fn parse(s: &str) -> Result<Ports, String> {
        let s = s.trim();
        if s == "any" || s.starts_with('$') {
            return Ok(Ports::Any);
        }
        let (negated, s) = match s.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let s = s.trim_start_matches('[').trim_end_matches(']');
        let mut ranges = Vec::new();
        for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = match p.split_once(':') {
                Some((a, b)) => (a.trim(), b.trim()),
                None => (p, p),
            };
            let lo = if a.is_empty() {
                0
            } else {
                a.parse::<u16>().map_err(|_| format!("port {p:?}"))?
            };
            let hi = if b.is_empty() {
                u16::MAX
            } else {
                b.parse::<u16>().map_err(|_| format!("port {p:?}"))?
            };
            ranges.push((lo, hi));
        }
        Ok(Ports::List { ranges, negated })
    }
    fn matches(&self, port: u16) -> bool {
        match self {
            Ports::Any => true,
            Ports::List { ranges, negated } => {
                ranges.iter().any(|(a, b)| (*a..=*b).contains(&port)) != *negated
            }
        }
    }
}

/// One rule of the subset.
#[derive(Debug, Clone)]
pub struct Rule {
    pub sid: u64,
    pub msg: String,
    pub tag: String,
    proto: u8,
    sport: Ports,
    dport: Ports,
    /// Data direction the rule applies to: `Some(true)` client→server, `Some(false)` server→client.
    to_server: Option<bool>,
    established: bool,
    contents: Vec<Content>,
}

fn content_bytes(v: &str) -> Result<Vec<u8>, String> {
    let v = v.trim();
    let v = v
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .ok_or("content is not quoted")?;
    let mut out = Vec::new();
    let mut hex = false;
    let mut esc = false;
    let mut digits = String::new();
    for c in v.chars() {
        if esc {
            out.extend(c.to_string().as_bytes());
            esc = false;
            continue;
        }
        match (c, hex) {
            ('|', false) => hex = true,
            ('|', true) => {
                hex = false;
                if !digits.is_empty() {
                    return Err("odd number of hex digits".into());
                }
            }
            (c, true) if c.is_ascii_hexdigit() => {
                digits.push(c);
                if digits.len() == 2 {
                    out.push(u8::from_str_radix(&digits, 16).map_err(|e| e.to_string())?);
                    digits.clear();
                }
            }
            (c, true) if c.is_whitespace() => {}
            (_, true) => return Err("bad hex in content".into()),
            ('\\', false) => esc = true,
            (c, false) => out.extend(c.to_string().as_bytes()),
        }
    }
    if out.is_empty() {
        return Err("empty content".into());
    }
    Ok(out)
}

impl Rule {
    pub fn parse(text: &str, tag: &str) -> Result<Rule, String> {
        let sid = telltale_ioc::tinycheck::check_snort(text)?;
        let head: Vec<&str> = text[..text.find('(').unwrap_or(0)]
            .split_whitespace()
            .collect();
        if head.len() != 7 || head[0] != "alert" || !matches!(head[4], "->" | "<>") {
            return Err(format!(
                "unsupported rule sid {sid}: header {:?}",
                head.join(" ")
            ));
        }
        let proto = match head[1] {
            "tcp" => 6,
            "udp" => 17,
            _ => 0,
        };
        let mut r = Rule {
            sid,
            msg: String::new(),
            tag: tag.to_string(),
            proto,
            sport: Ports::parse(head[3])?,
            dport: Ports::parse(head[6])?,
            to_server: match (head[2], head[5]) {
                ("$HOME_NET", _) | (_, "$EXTERNAL_NET") if head[4] == "->" => Some(true),
                ("$EXTERNAL_NET", _) | (_, "$HOME_NET") if head[4] == "->" => Some(false),
                _ => None,
            },
            established: false,
            contents: Vec::new(),
        };
        for (k, v) in telltale_ioc::tinycheck::snort_options(text).unwrap_or_default() {
            match k.as_str() {
                "msg" => r.msg = v.trim_matches('"').to_string(),
                "content" => r.contents.push(Content {
                    pat: content_bytes(&v).map_err(|e| format!("rule sid {sid}: {e}"))?,
                    offset: 0,
                    depth: None,
                    nocase: false,
                }),
                "offset" | "depth" => {
                    let n: usize = v
                        .parse()
                        .map_err(|_| format!("rule sid {sid}: {k} {v:?}"))?;
                    let c = r
                        .contents
                        .last_mut()
                        .ok_or(format!("rule sid {sid}: {k} before content"))?;
                    if k == "offset" {
                        c.offset = n;
                    } else {
                        c.depth = Some(n);
                    }
                }
                "nocase" => {
                    if let Some(c) = r.contents.last_mut() {
                        c.nocase = true;
                    }
                }
                "flow" => {
                    for f in v.split(',').map(str::trim) {
                        match f {
                            "established" => r.established = true,
                            "to_server" | "from_client" => r.to_server = Some(true),
                            "to_client" | "from_server" => r.to_server = Some(false),
                            "stateless" | "not_established" => {}
                            other => {
                                return Err(format!("unsupported rule sid {sid}: flow {other:?}"));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if r.contents.is_empty() {
            return Err(format!("unsupported rule sid {sid}: no content"));
        }
        Ok(r)
    }

    /// Whether the rule fires on `data` sent in one direction of a flow.
    pub fn matches(
        &self,
        proto: u8,
        client_port: u16,
        server_port: u16,
        to_server: bool,
        established: bool,
        data: &[u8],
    ) -> bool {
        if self.proto != 0 && self.proto != proto {
            return false;
        }
        if self.established && !established {
            return false;
        }
        if self.to_server.is_some_and(|d| d != to_server) {
            return false;
        }
        let (sp, dp) = if to_server {
            (client_port, server_port)
        } else {
            (server_port, client_port)
        };
        if !self.sport.matches(sp) || !self.dport.matches(dp) {
            return false;
        }
        self.contents.iter().all(|c| {
            if c.offset >= data.len() {
                return false;
            }
            let end = c
                .depth
                .map_or(data.len(), |d| (c.offset + d).min(data.len()));
            let hay = &data[c.offset..end];
            if c.nocase {
                let h = hay.to_ascii_lowercase();
                let p = c.pat.to_ascii_lowercase();
                memchr::memmem::find(&h, &p).is_some()
            } else {
                memchr::memmem::find(hay, &c.pat).is_some()
            }
        })
    }

    /// Rules tagged with a spyware or stalkerware family are HIGH; the others MEDIUM.
    pub fn is_spyware(&self) -> bool {
        let t = self.tag.to_ascii_lowercase();
        ["spyware", "stalkerware", "pegasus", "apt"]
            .iter()
            .any(|k| t.contains(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tinycheck_style_rules() {
        let r = Rule::parse(
            r#"alert tcp $HOME_NET any -> $EXTERNAL_NET [80,8080:8090] (msg:"Stalker beacon"; content:"POST"; depth:4; content:"|22|imei|22 3a|"; nocase; classtype:trojan-activity; sid:9001; rev:1;)"#,
            "stalkerware",
        )
        .unwrap();
        assert!(r.is_spyware());
        let d = b"POST /api HTTP/1.1\r\n\r\n{\"IMEI\":123}";
        assert!(r.matches(6, 40000, 8085, true, true, d));
        assert!(!r.matches(6, 40000, 443, true, true, d), "port list");
        assert!(!r.matches(6, 40000, 80, false, true, d), "direction");
        assert!(
            !r.matches(6, 40000, 80, true, true, b"GET / {\"imei\":1}"),
            "depth"
        );
        let m = Rule::parse(
            r#"alert tcp $EXTERNAL_NET any -> $HOME_NET any (msg:"Cryptominer"; flow:established,to_client; content:"|22|job|22 3A 7B 22|blob|22 3A 22|"; classtype:trojan-activity; sid:6666667; rev:1;)"#,
            "cybercrime",
        )
        .unwrap();
        assert!(m.matches(6, 50000, 3333, false, true, b"x {\"job\":{\"blob\":\"aa"));
        assert!(!m.matches(6, 50000, 3333, false, false, b"x {\"job\":{\"blob\":\"aa"));
        assert!(
            Rule::parse(
                r#"alert tcp any any -> any any (msg:"x"; pcre:"/a/"; sid:5;)"#,
                "x"
            )
            .unwrap_err()
            .starts_with("unsupported rule sid 5")
        );
        assert!(Ports::parse("!443").unwrap().matches(80));
        assert!(!Ports::parse("!443").unwrap().matches(443));
    }
}
