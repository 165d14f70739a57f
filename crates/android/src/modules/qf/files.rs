//! `aqf_files`: the file listing AndroidQF makes (`files.json`: a JSON list, or one JSON object per
//! line, with path, mode, times (Unix seconds), context and hashes). Paths, names and hashes are checked
//! against indicators; files in `/data/local/tmp/` (where exploit tools are dropped) raise HIGH alerts.

use serde_json::Value;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, time};

use super::read_text;

pub struct Files;

pub const SUSPICIOUS_PATHS: &[&str] = &["/data/local/tmp/"];
/// AndroidQF's own collector binary.
const COLLECTOR: &str = "/data/local/tmp/collector";

/// Parses `files.json`, as a JSON list or JSON lines.
pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return match v {
            Value::Array(list) => Ok(list
                .into_iter()
                .filter_map(|x| {
                    if let Value::Object(o) = x {
                        Some(o)
                    } else {
                        None
                    }
                })
                .collect()),
            Value::Object(o) => Ok(vec![o]),
            _ => Err("expected a JSON list of files".into()),
        };
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(o)) => out.push(o),
            _ => return Err(format!("line {} is not a JSON object", i + 1)),
        }
    }
    Ok(out)
}

impl Module for Files {
    fn name(&self) -> &'static str {
        "aqf_files"
    }
    fn description(&self) -> &'static str {
        "File listing (files.json): indicator paths, names and hashes; files in /data/local/tmp"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(text) = read_text(ctx.evidence, "files.json")? else {
            out.no_data("files.json not in the acquisition");
            return Ok(());
        };
        let files = parse(&text).map_err(|e| ModuleError::parse("files.json", e))?;
        for mut rec in files {
            let path = rec
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let mut stamps = Vec::new();
            for key in ["modified_time", "access_time", "changed_time"] {
                let ts = rec
                    .get(key)
                    .and_then(Value::as_f64)
                    .and_then(time::from_unix);
                if let Some(ts) = ts {
                    rec.insert(key.into(), time::format(ts).into());
                }
                stamps.push(ts);
            }
            out.record(&rec);
            let context = rec.get("context").and_then(Value::as_str).unwrap_or("");
            let desc = if context.is_empty() {
                path.clone()
            } else {
                format!("{path} ({context})")
            };
            let mut seen = Vec::new();
            for ts in stamps.iter().flatten() {
                if seen.contains(ts) {
                    continue;
                }
                seen.push(*ts);
                let macb: String = [('M', 0), ('A', 1), ('C', 2)]
                    .iter()
                    .map(|(c, i)| if stamps[*i] == Some(*ts) { *c } else { '-' })
                    .chain(['-'])
                    .collect();
                out.timeline(Some(*ts), &macb, desc.clone());
            }
            let modified = stamps[0];

            let m = ctx.iocs.match_file_path(&path);
            if !m.is_empty() {
                out.ioc_alerts(&m, &format!("File {path}"), modified, &rec);
                continue;
            }
            let m = ctx.iocs.match_file_name(&path);
            out.ioc_alerts(&m, &format!("File {path}"), modified, &rec);
            if path != COLLECTOR && SUSPICIOUS_PATHS.iter().any(|p| path.starts_with(p)) {
                let exec = rec
                    .get("mode")
                    .and_then(Value::as_str)
                    .is_some_and(|m| m.contains('x'));
                let kind = if exec { "executable file" } else { "file" };
                out.alert(
                    Level::High,
                    format!(
                        "Found {kind} at suspicious path \"{path}\": /data/local/tmp is where exploits and \
                         implants are commonly dropped"
                    ),
                    modified,
                    &rec,
                    None,
                );
            }
            for key in ["sha256", "sha1", "md5"] {
                let Some(h) = rec
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|h| !h.is_empty())
                else {
                    continue;
                };
                let m = ctx.iocs.match_file_hash(h);
                if !m.is_empty() {
                    out.ioc_alerts(&m, &format!("File {path}"), modified, &rec);
                    break;
                }
            }
        }
        Ok(())
    }
}
