//! `dumpsys_adb_state`: computers trusted for USB debugging, from `DUMP OF SERVICE adb:`
//! (`debugging_manager={ user_keys=<base64 key> user@host … keystore=… }`; the keystore is XML
//! `<adbKey key="…" lastConnection="ms"/>` on some devices, binary ABX on others). Records: `user`,
//! `fingerprint` (MD5 of the key, as adb shows it), `key`, `last_connected`, `source`.
//! Checks (as MVT): a key that is not valid base64 LOW. In an AndroidQF acquisition (its
//! `acquisition.json` or `adb_host_key.pub` is at the root), each trusted key is compared with the key of
//! the computer that made the acquisition: a different key, or an acquisition that does not say its key,
//! LOW (another computer can run commands and install apps over USB); the acquisition's own key
//! INFORMATIONAL. In a plain bugreport, every trusted computer is INFORMATIONAL.

use md5::Digest;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, record};

use super::{Shared, dumpstate_or_no_data, fmt_ts, service_or_no_data};

pub struct DumpsysAdbState(pub Shared);

/// What an AndroidQF acquisition says about the computer that made it.
struct AcquisitionHost {
    /// The base64 key material of its ADB key (empty when the acquisition does not say).
    key: String,
    started: Option<jiff::Timestamp>,
}

/// The key material of `<base64 key> user@host`.
fn key_material(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("")
}

/// The acquiring computer of an AndroidQF acquisition, `None` outside one.
fn acquisition_host(ctx: &ModuleContext<'_>) -> Option<AcquisitionHost> {
    let ev = ctx.evidence;
    let read = |p: &str| {
        ev.exists(p)
            .then(|| ev.read_limited(p, 1 << 20).ok())
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let meta = read("acquisition.json");
    let pubkey = read("adb_host_key.pub");
    if meta.is_none() && pubkey.is_none() {
        return None;
    }
    let meta: Option<serde_json::Value> = meta.and_then(|m| serde_json::from_str(&m).ok());
    let field = |k: &str| {
        meta.as_ref()
            .and_then(|m| m.get(k))
            .and_then(|v| v.as_str())
    };
    let key = field("adb_host_public_key")
        .map(str::to_string)
        .or(pubkey)
        .map(|k| key_material(&k).to_string())
        .filter(|k| base64_decode(k).is_some())
        .unwrap_or_default();
    let started = field("started").and_then(|s| s.parse().ok());
    Some(AcquisitionHost { key, started })
}

/// Decodes standard base64 (with padding); `None` when invalid.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.is_empty() || !s.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let last = i == bytes.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let b = n.to_be_bytes();
        out.extend_from_slice(&b[1..4 - pad]);
    }
    Some(out)
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrustedKey {
    pub key: String,
    pub user: String,
    pub fingerprint: String,
    pub last_connected_ms: Option<i64>,
    pub source: &'static str,
}

fn key_info(entry: &str, source: &'static str) -> TrustedKey {
    let entry = entry.trim();
    let (key, user) = entry.split_once(' ').unwrap_or((entry, ""));
    let fingerprint = base64_decode(key)
        .map(|raw| {
            let d = md5::Md5::digest(&raw);
            d.iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .unwrap_or_default();
    TrustedKey {
        key: key.to_string(),
        user: user.trim().to_string(),
        fingerprint,
        last_connected_ms: None,
        source,
    }
}

fn xml_attr(line: &str, name: &str) -> Option<String> {
    let pat = format!("{name}=\"");
    let start = line.find(&pat)? + pat.len();
    let end = line[start..].find('"')?;
    Some(line[start..start + end].to_string())
}

pub fn parse(text: &str) -> Vec<TrustedKey> {
    let mut out: Vec<TrustedKey> = Vec::new();
    let mut in_user_keys = false;
    for line in text.lines() {
        let t = line.trim();
        if in_user_keys {
            // Continuation lines are further keys (`<base64> user@host`); anything else ends the list.
            let is_key = t
                .split_whitespace()
                .next()
                .and_then(base64_decode)
                .is_some_and(|k| k.len() >= 3);
            if !is_key {
                in_user_keys = false;
            } else {
                out.push(key_info(t, "user_keys"));
                continue;
            }
        }
        if let Some(v) = t.strip_prefix("user_keys=") {
            in_user_keys = true;
            if !v.trim().is_empty() {
                out.push(key_info(v, "user_keys"));
            }
            continue;
        }
        if t.contains("<adbKey ")
            && let Some(k) = xml_attr(t, "key")
        {
            let mut info = key_info(&k, "keystore");
            info.last_connected_ms = xml_attr(t, "lastConnection").and_then(|v| v.parse().ok());
            // The keystore entry carries the connection time: it replaces a user_keys entry for the key.
            if let Some(pos) = out.iter().position(|x| x.key == info.key) {
                out[pos] = info;
            } else {
                out.push(info);
            }
        }
    }
    out
}

impl Module for DumpsysAdbState {
    fn name(&self) -> &'static str {
        "dumpsys_adb_state"
    }
    fn description(&self) -> &'static str {
        "Computers trusted for USB debugging (dumpsys adb): trusted host keys with user@host"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = service_or_no_data(&d, "adb", out) else {
            return Ok(());
        };
        if text.contains("Can't find service: adb") {
            out.no_data("the adb service could not be dumped on this device");
            return Ok(());
        }
        let host = acquisition_host(ctx);
        for k in parse(&text) {
            let ts = k
                .last_connected_ms
                .and_then(telltale_core::time::from_unix_ms);
            let rec: Record = record! {
                "user" => k.user, "fingerprint" => k.fingerprint, "key" => k.key,
                "last_connected" => fmt_ts(ts), "source" => k.source,
            };
            out.record(&rec);
            let who = if k.user.is_empty() {
                "unknown user".to_string()
            } else {
                k.user.clone()
            };
            out.timeline(
                ts,
                "adb_last_connection",
                format!("Last ADB connection of trusted computer {who}"),
            );
            if k.fingerprint.is_empty() {
                out.alert(Level::Low, format!("Found an invalid trusted ADB host key ({who}): the key stored for USB debugging is not valid base64"), ts, &rec, None);
                continue;
            }
            let trusted = format!(
                "Computer {who} (key {}) is trusted for USB debugging: whoever uses it can run commands and install apps on the phone over USB",
                k.fingerprint
            );
            match &host {
                Some(h) if h.key.is_empty() => out.alert(
                    Level::Low,
                    format!("{trusted}; the AndroidQF acquisition does not include its own host key, so it cannot be told whether this is the examiner's computer"),
                    ts,
                    &rec,
                    None,
                ),
                Some(h) if h.key != key_material(&k.key) => out.alert(
                    Level::Low,
                    format!("{trusted}; it is not the computer that made this AndroidQF acquisition: check that it is the owner's"),
                    ts,
                    &rec,
                    None,
                ),
                Some(h) => {
                    let earlier = match (ts, h.started) {
                        (Some(t), Some(s)) => s.duration_since(t).as_secs() >= 86_400,
                        _ => false,
                    };
                    if earlier {
                        out.alert(
                            Level::Informational,
                            format!("{trusted}; it is the computer that made this AndroidQF acquisition, and it was last connected at least one day before the acquisition"),
                            ts,
                            &rec,
                            None,
                        );
                    }
                }
                None => out.alert(
                    Level::Informational,
                    format!("{trusted}; check that it is the owner's or the examiner's"),
                    ts,
                    &rec,
                    None,
                ),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::bugreport::{DumpstateCache, testutil::*};
    use telltale_testkit::bugreport::Bugreport;

    const ADB: &str = "ADB MANAGER STATE (dumpsys adb):\n{\n  debugging_manager={\n    connected_to_adb=true\n    user_keys=QUJDRA== user@laptop\n    bm90IGJhc2U2NCE= bob@desk\n\n    keystore=<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n    <keyStore version=\"1\">\n    <adbKey key=\"QUJDRA== user@laptop\" lastConnection=\"1628501829898\" />\n    </keyStore>\n\n  }\n}\n";

    #[test]
    fn base64() {
        assert_eq!(base64_decode("QUJDRA==").unwrap(), b"ABCD");
        assert_eq!(base64_decode("QUJD").unwrap(), b"ABC");
        assert!(base64_decode("QU=D").is_none());
        assert!(base64_decode("Q").is_none());
        assert!(base64_decode("!!!!").is_none());
    }

    #[test]
    fn positive_and_malformed() {
        let br = Bugreport::new().service("adb", ADB);
        let r = run_bugreport(&DumpsysAdbState(DumpstateCache::new()), &br, &iocs(&[]));
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.records[0]["user"], "user@laptop");
        assert_eq!(r.records[0]["source"], "keystore");
        assert_eq!(r.records[0]["last_connected"], "2021-08-09 09:37:09.898000");
        assert_eq!(
            r.records[0]["fingerprint"],
            "CB:08:CA:4A:7B:B5:F9:68:3C:19:13:3A:84:87:2C:A7"
        );
        assert_eq!(r.at(Level::Informational).len(), 2);
        assert_eq!(r.severe(), 0);
        let br = Bugreport::new().service(
            "adb",
            "{\n  debugging_manager={\n    user_keys=%%%% eve@x\n  }\n}\n",
        );
        let r = run_bugreport(&DumpsysAdbState(DumpstateCache::new()), &br, &iocs(&[]));
        assert_eq!(r.at(Level::Low).len(), 1);
        let br = Bugreport::new().service("adb", "Can't find service: adb\n");
        let r = run_bugreport(&DumpsysAdbState(DumpstateCache::new()), &br, &iocs(&[]));
        assert!(r.records.is_empty());
    }

    /// In an AndroidQF acquisition, as MVT: a trusted key other than the acquiring computer's is LOW, the
    /// acquiring computer's own key connected a day or more before the acquisition INFORMATIONAL, and
    /// an acquisition that does not say its key makes every trusted key LOW.
    #[test]
    fn androidqf_context_compares_with_the_acquiring_computer() {
        let meta = |key: &str| {
            format!(r#"{{"started": "2021-08-20T10:00:00Z", "adb_host_public_key": "{key}"}}"#)
        };
        let br = Bugreport::new()
            .service("adb", ADB)
            .file("acquisition.json", meta("QUJDRA== examiner@lab"));
        let r = run_bugreport(&DumpsysAdbState(DumpstateCache::new()), &br, &iocs(&[]));
        let low = r.at(Level::Low);
        assert_eq!(low.len(), 1, "{:?}", r.alerts);
        assert_eq!(low[0].event["user"], "bob@desk");
        assert!(low[0].message.contains("not the computer that made"));
        let info = r.at(Level::Informational);
        assert_eq!(info.len(), 1);
        assert_eq!(info[0].event["user"], "user@laptop");

        let br = Bugreport::new()
            .service("adb", ADB)
            .file("acquisition.json", meta(""));
        let r = run_bugreport(&DumpsysAdbState(DumpstateCache::new()), &br, &iocs(&[]));
        assert_eq!(r.at(Level::Low).len(), 2, "{:?}", r.alerts);
        assert!(r.at(Level::Informational).is_empty());
    }
}
