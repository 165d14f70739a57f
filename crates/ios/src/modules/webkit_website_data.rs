//! webkit_website_data: the website data of apps' WebViews in WebKit's current storage layout
//! (network-process storage, iOS 15+): `…/Library/WebKit/WebsiteData/Default/<hash>/<hash>/` per origin,
//! named by salted hashes, with the origin only inside the binary `origin` file beside the data
//! (`LocalStorage/`, `IndexedDB/`, `CacheStorage/` …). MVT reads only the older layout, whose folder names
//! are the origins (`webkit_local_storage`, `webkit_indexeddb`); this module reads the `Default/` folders
//! of every backup domain (apps, SafariViewService; on a dump through its backup paths; iOS includes them
//! in backups once they are a few days old), one record per origin folder: the site
//! (`url`), the top-level site it was embedded in (`top_origin`), the kinds of data kept, the `origin`
//! file's time. Both origins are checked against domain and URL indicators (CRITICAL, as the older
//! layout's modules).
//!
//! The `origin` file is WebKit's persistent encoding of a client origin (top origin, then frame origin;
//! each a scheme string, a host string and an optional port). Its exact framing has changed between
//! WebKit versions, so the reader does not depend on it: it finds the encoded strings (32-bit
//! little-endian length, an 8-bit/16-bit flag byte, the characters) and takes a scheme string directly
//! followed by a host string as an origin, with the port that follows when present.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record};

use crate::util::each_artifact;

pub struct WebkitWebsiteData;

/// The `origin` files, in any backup domain (app containers, SafariViewService); on a dump, through its
/// backup paths.
const PATTERNS: [&str; 2] = [
    "*/Library/WebKit/WebsiteData/Default/*/*/origin",
    "*/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/Default/*/*/origin",
];

/// An `origin` file is a few dozen bytes; anything larger is not one.
const MAX_ORIGIN_FILE: u64 = 64 * 1024;
/// Longest string taken from an `origin` file (a host is at most 253 bytes).
const MAX_STRING: usize = 2048;

/// One encoded string of an `origin` file: its text and the byte range it took (length field included).
struct Encoded {
    start: usize,
    end: usize,
    text: String,
}

/// The strings WebKit's persistent encoder wrote in `b` (see the module's documentation).
fn encoded_strings(b: &[u8]) -> Vec<Encoded> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 5 <= b.len() {
        let len = u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let eight_bit = b[i + 4];
        let start = i + 5;
        let bytes = if eight_bit == 1 { len } else { len * 2 };
        if (1..=MAX_STRING).contains(&len) && eight_bit <= 1 && start + bytes <= b.len() {
            let raw = &b[start..start + bytes];
            let text = if eight_bit == 1 {
                Some(raw.iter().map(|&c| char::from(c)).collect::<String>())
            } else {
                let units: Vec<u16> = raw
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16(&units).ok()
            };
            if let Some(text) = text.filter(|t| !t.chars().any(char::is_control)) {
                out.push(Encoded {
                    start: i,
                    end: start + bytes,
                    text,
                });
                i = start + bytes;
                continue;
            }
        }
        i += 1;
    }
    out
}

fn is_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.bytes().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':' | b'[' | b']')
        })
}

/// The origins (`scheme://host[:port]`) of an `origin` file, in file order, each once: the top origin
/// first, then the frame's when it differs.
pub fn origins(b: &[u8]) -> Vec<String> {
    let strings = encoded_strings(b);
    let mut out: Vec<String> = Vec::new();
    for w in strings.windows(2) {
        let (scheme, host) = (&w[0], &w[1]);
        if !matches!(scheme.text.as_str(), "http" | "https") || host.start != scheme.end {
            continue;
        }
        let h = host.text.to_ascii_lowercase();
        if !is_host(&h) {
            continue;
        }
        // An optional port: a presence byte, then 16 bits little-endian.
        let port = match b.get(host.end..host.end + 3) {
            Some([1, lo, hi]) => Some(u16::from_le_bytes([*lo, *hi])),
            _ => None,
        };
        let default = if scheme.text == "https" { 443 } else { 80 };
        let url = match port {
            Some(p) if p != default && p != 0 => format!("{}://{h}:{p}", scheme.text),
            _ => format!("{}://{h}", scheme.text),
        };
        if !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

impl Module for WebkitWebsiteData {
    fn name(&self) -> &'static str {
        "webkit_website_data"
    }
    fn description(&self) -> &'static str {
        "WebKit website data of apps in the current layout (Default/<hash>/<hash>/origin): origins checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            &PATTERNS,
            "no WebKit website data in the current layout (…/WebsiteData/Default/)",
            |p, out| process(ctx, p, out),
        )
    }
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let bytes = ctx.evidence.read_limited(path, MAX_ORIGIN_FILE)?;
    let found = origins(&bytes);
    let Some(url) = found.last().cloned() else {
        out.warn(format!(
            "{path}: no origin found in the file ({} bytes)",
            bytes.len()
        ));
        return Ok(());
    };
    let folder = path.strip_suffix("/origin").unwrap_or(path);
    // The kinds of data kept for the origin: the first folder level below it.
    let mut kinds: Vec<String> = Vec::new();
    for e in ctx.evidence.find(&format!("{folder}/*/**"))? {
        if let Some((kind, _)) = e.path[folder.len() + 1..].split_once('/')
            && !kinds.iter().any(|k| k == kind)
        {
            kinds.push(kind.to_string());
        }
    }
    kinds.sort();
    let ts = ctx.evidence.modified(path);
    let rec = record! {
        "folder" => folder,
        "url" => url.clone(),
        "top_origin" => found.first().cloned().unwrap_or_default(),
        "storage" => kinds.clone(),
        "isodate" => telltale_core::time::format_opt(ts),
    };
    out.record(&rec);
    out.timeline(
        ts,
        "webkit_website_data",
        format!(
            "WebKit website data ({}) of {url} in {folder}",
            kinds.join(", ")
        ),
    );
    for o in &found {
        let m = ctx.iocs.match_url(o);
        out.ioc_alerts(
            &m,
            &format!("WebKit website data of {o} in {folder}"),
            ts,
            &rec,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s8(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u32).to_le_bytes().to_vec();
        v.push(1);
        v.extend_from_slice(s.as_bytes());
        v
    }

    #[test]
    fn origins_of_encoded_client_origins() {
        // Top origin https://news.example (no port), frame origin https://evil.com:8443.
        let mut b = vec![0u8];
        b.extend(s8("https"));
        b.extend(s8("news.example"));
        b.push(0);
        b.push(0);
        b.extend(s8("https"));
        b.extend(s8("EVIL.com"));
        b.extend([1, 0xfb, 0x20]);
        assert_eq!(
            origins(&b),
            ["https://news.example", "https://evil.com:8443"]
        );
        // 16-bit strings too.
        let mut u = vec![0u8];
        for s in ["http", "evil.com"] {
            u.extend((s.len() as u32).to_le_bytes());
            u.push(0);
            for c in s.encode_utf16() {
                u.extend(c.to_le_bytes());
            }
        }
        assert_eq!(origins(&u), ["http://evil.com"]);
    }

    #[test]
    fn garbage_gives_no_origin() {
        assert!(origins(b"").is_empty());
        assert!(origins(&[0xff; 64]).is_empty());
        // A scheme not directly followed by a host, a length past the end, a file scheme.
        let mut b = s8("https");
        b.push(7);
        b.extend(s8("evil.com"));
        assert!(origins(&b).is_empty());
        assert!(origins(&[5, 0, 0, 0, 1, b'h', b't']).is_empty());
        let mut f = s8("file");
        f.extend(s8("evil.com"));
        assert!(origins(&f).is_empty());
    }

    proptest::proptest! {
        /// Any bytes: no panic, and every origin found is an http(s) URL of a plain host.
        #[test]
        fn any_bytes(b in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            for o in origins(&b) {
                proptest::prop_assert!(o.starts_with("http://") || o.starts_with("https://"));
            }
        }
    }
}
