//! `sms`: the telephony provider's SMS and MMS backups in an Android backup
//! (`apps/com.android.providers.telephony/d_f/*_sms_backup` and `*_mms_backup`: zlib-compressed JSON
//! lists of messages with `address`, `body` (`mms_body` for MMS), `date`, `date_sent` …).
//! Records keep the provider's fields and add `isodate`, `direction` and `links`; links in message
//! bodies are checked against indicators.

use std::io::Read;

use serde_json::Value;
use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record, time};

const SMS_GLOB: &str = "apps/com.android.providers.telephony/d_f/*_sms_backup";
const MMS_GLOB: &str = "apps/com.android.providers.telephony/d_f/*_mms_backup";
/// Bounds on one compressed file and on its inflated JSON.
const MAX_COMPRESSED: u64 = 256 << 20;
const MAX_JSON: u64 = 1 << 30;

pub struct Sms;

fn as_i64(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The web links in a message body (`http(s)://…` or `www.…` words), as MVT lists them in `links`.
pub fn links_in(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| matches!(c, '"' | '\'' | '(' | ')' | '<' | '>' | ',' | ';'))
        })
        .filter(|w| {
            let l = w.to_ascii_lowercase();
            l.starts_with("http://") || l.starts_with("https://") || l.starts_with("www.")
        })
        .map(str::to_string)
        .collect()
}

/// Parses one `*_sms_backup` / `*_mms_backup` file into records.
pub fn parse_backup_file(artifact: &str, compressed: &[u8]) -> Result<Vec<Record>, ModuleError> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| ModuleError::parse(artifact, format!("not zlib-compressed data: {e}")))?;
    if json.len() as u64 > MAX_JSON {
        return Err(ModuleError::parse(artifact, "inflated data is over 1 GiB"));
    }
    let v: Value = serde_json::from_slice(&json)
        .map_err(|e| ModuleError::parse(artifact, format!("not JSON: {e}")))?;
    let Value::Array(list) = v else {
        return Err(ModuleError::parse(
            artifact,
            "expected a JSON list of messages",
        ));
    };
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let Value::Object(mut m) = item else { continue };
        if let Some(b) = m.remove("mms_body") {
            m.insert("body".into(), b);
        }
        let date = as_i64(m.get("date"));
        let ts = date.and_then(time::from_unix_ms);
        m.insert(
            "isodate".into(),
            ts.map(time::format)
                .map(Value::String)
                .unwrap_or(Value::Null),
        );
        let sent = as_i64(m.get("date_sent")).unwrap_or(0) != 0;
        m.insert(
            "direction".into(),
            Value::String(if sent { "sent" } else { "received" }.into()),
        );
        let body = m
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let links = links_in(&body);
        m.insert("links".into(), Value::from(links));
        out.push(m);
    }
    Ok(out)
}

impl Module for Sms {
    fn name(&self) -> &'static str {
        "sms"
    }
    fn description(&self) -> &'static str {
        "SMS and MMS from the telephony provider's backup; links in messages checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let mut files = ctx.evidence.find(SMS_GLOB)?;
        files.extend(ctx.evidence.find(MMS_GLOB)?);
        if files.is_empty() {
            out.no_data("no SMS/MMS backup of the telephony provider in the backup");
            return Ok(());
        }
        let mut parsed_any = false;
        let mut last_err = None;
        for f in files {
            let data = ctx.evidence.read_limited(&f.path, MAX_COMPRESSED)?;
            let records = match parse_backup_file(&f.path, &data) {
                Ok(r) => r,
                Err(e) => {
                    out.warn(e.to_string());
                    last_err = Some(e);
                    continue;
                }
            };
            parsed_any = true;
            for rec in records {
                let ts = rec
                    .get("isodate")
                    .and_then(Value::as_str)
                    .and_then(time::parse);
                let address = rec.get("address").and_then(Value::as_str).unwrap_or("");
                let body = rec.get("body").and_then(Value::as_str).unwrap_or("");
                let sent = rec.get("direction").and_then(Value::as_str) == Some("sent");
                out.record(&rec);
                for l in rec
                    .get("links")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(l) = l.as_str() {
                        out.url_found(l, ts, "sms");
                    }
                }
                out.timeline(
                    ts,
                    if sent { "sms_sent" } else { "sms_received" },
                    format!("{address}: {body}"),
                );
                let matches = ctx.iocs.match_text(body);
                out.ioc_alerts(
                    &matches,
                    &format!("Link in an SMS with {address}"),
                    ts,
                    &rec,
                );
            }
        }
        match (parsed_any, last_err) {
            (false, Some(e)) => Err(e),
            _ => Ok(()),
        }
    }
}
