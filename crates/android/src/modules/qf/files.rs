//! `aqf_files`: the file listing AndroidQF makes (`files.json`: a JSON list, or one JSON object per
//! line, with path, mode, times (Unix seconds), context and hashes). Paths, names and hashes are checked
//! against indicators; files in `/data/local/tmp/` (where exploit tools are dropped) raise HIGH alerts.

use serde_json::Value;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, time};

use super::MAX_ARTIFACT;

pub struct Files;

pub const SUSPICIOUS_PATHS: &[&str] = &["/data/local/tmp/"];
/// AndroidQF's own collector binary.
const COLLECTOR: &str = "/data/local/tmp/collector";

/// Calls `each` with every file record of `files.json` (a JSON list, or JSON values one after another:
/// JSON lines or a single object), one at a time as they are parsed: the whole listing (hundreds of
/// thousands of records) is never held at once. Non-object elements are skipped. On a syntax error the
/// records before it have been given and the error says where it is.
pub fn for_each(text: &str, mut each: impl FnMut(Record)) -> Result<(), String> {
    let first = text.bytes().find(|b| !b.is_ascii_whitespace());
    if first == Some(b'[') {
        let mut de = serde_json::Deserializer::from_str(text);
        serde::de::DeserializeSeed::deserialize(EachElement(&mut each), &mut de)
            .and_then(|()| de.end())
            .map_err(|e| format!("not a valid JSON list of files: {e}"))
    } else {
        for v in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
            match v {
                Ok(Value::Object(o)) => each(o),
                Ok(_) => {}
                Err(e) => return Err(format!("not JSON lines of files: {e}")),
            }
        }
        Ok(())
    }
}

/// Parses `files.json` whole (see [`for_each`]).
pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    for_each(text, |r| out.push(r))?;
    Ok(out)
}

/// Deserializes a JSON list, handing each object element to the closure as soon as it is parsed.
struct EachElement<'a, F>(&'a mut F);

impl<'de, F: FnMut(Record)> serde::de::DeserializeSeed<'de> for EachElement<'_, F> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Record)> serde::de::Visitor<'de> for EachElement<'_, F> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of file records")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element_seed(RecordSeed)? {
            if let Some(o) = v {
                (self.0)(o);
            }
        }
        Ok(())
    }
}

/// One element of the list: an object becomes a record (its map sized for AndroidQF's ~16 keys up
/// front, which spares the rehashing of a map grown key by key); anything else is skipped (`None`).
struct RecordSeed;

/// Keys of an AndroidQF file record.
const RECORD_KEYS: usize = 16;

impl<'de> serde::de::DeserializeSeed<'de> for RecordSeed {
    type Value = Option<Record>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RecordSeed {
    type Value = Option<Record>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a file record")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut rec = Record::with_capacity(map.size_hint().unwrap_or(RECORD_KEYS));
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            rec.insert(k, v);
        }
        Ok(Some(rec))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

impl Module for Files {
    fn name(&self) -> &'static str {
        "aqf_files"
    }
    fn description(&self) -> &'static str {
        "File listing (files.json): indicator paths, names and hashes; files in /data/local/tmp"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        if !ctx.evidence.exists("files.json") {
            out.no_data("files.json not in the acquisition");
            return Ok(());
        }
        let bytes = ctx.evidence.read_limited("files.json", MAX_ARTIFACT)?;
        // No copy when the listing is valid UTF-8, as it should be.
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(&bytes),
        };
        for_each(&text, |rec| check_file(ctx, out, rec))
            .map_err(|e| ModuleError::parse("files.json", e))
    }
}

/// Records one file, puts its times on the timeline and checks it.
fn check_file(ctx: &ModuleContext<'_>, out: &mut Emitter<'_>, mut rec: Record) {
    let path = rec
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut stamps = Vec::with_capacity(3);
    // The same time is often in two fields (modified and changed): formatted once.
    let mut formatted: Vec<(jiff::Timestamp, String)> = Vec::with_capacity(3);
    for key in ["modified_time", "access_time", "changed_time"] {
        let ts = rec
            .get(key)
            .and_then(Value::as_f64)
            .and_then(time::from_unix);
        if let Some(ts) = ts {
            let text = match formatted.iter().find(|(t, _)| *t == ts) {
                Some((_, f)) => f.clone(),
                None => {
                    let f = time::format(ts);
                    formatted.push((ts, f.clone()));
                    f
                }
            };
            rec.insert(key.into(), text.into());
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
    let mut seen = Vec::with_capacity(3);
    for ts in stamps.iter().flatten() {
        if seen.contains(ts) {
            continue;
        }
        seen.push(*ts);
        let at = |i: usize| stamps[i] == Some(*ts);
        let macb = match (at(0), at(1), at(2)) {
            (true, true, true) => "MAC-",
            (true, true, false) => "MA--",
            (true, false, true) => "M-C-",
            (true, false, false) => "M---",
            (false, true, true) => "-AC-",
            (false, true, false) => "-A--",
            (false, false, true) => "--C-",
            (false, false, false) => "----",
        };
        out.timeline(Some(*ts), macb, desc.clone());
    }
    let modified = stamps[0];

    let m = ctx.iocs.match_file_path(&path);
    if !m.is_empty() {
        out.ioc_alerts(&m, &format!("File {path}"), modified, &rec);
        return;
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
    let m = super::first_hash_matches(ctx.iocs, &rec);
    if !m.is_empty() {
        out.ioc_alerts(&m, &format!("File {path}"), modified, &rec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(text: &str) -> (Vec<String>, Result<(), String>) {
        let mut v = Vec::new();
        let r = for_each(text, |rec| {
            v.push(rec["path"].as_str().unwrap_or("").to_string());
        });
        (v, r)
    }

    #[test]
    fn list_lines_and_single_object() {
        let (v, r) =
            paths(r#" [{"path": "/a", "size": 1}, 3, "x", [1, [2]], null, {"path": "/b"}] "#);
        assert_eq!(v, ["/a", "/b"]);
        assert!(r.is_ok());
        let (v, r) = paths("{\"path\": \"/a\"}\n\n{\"path\": \"/b\"}\n");
        assert_eq!(v, ["/a", "/b"]);
        assert!(r.is_ok());
        let (v, r) = paths(r#"{"path": "/only"}"#);
        assert_eq!(v, ["/only"]);
        assert!(r.is_ok());
        // Key order is kept (MVT's outputs list the fields as AndroidQF wrote them).
        let recs = parse(r#"[{"path": "/a", "mode": "x", "ctime": 1}]"#).unwrap();
        let keys: Vec<&String> = recs[0].keys().collect();
        assert_eq!(keys, ["path", "mode", "ctime"]);
    }

    #[test]
    fn a_syntax_error_keeps_what_came_before() {
        let (v, r) = paths(r#"[{"path": "/a"}, {"path": "/b"}, {"path": "#);
        assert_eq!(v, ["/a", "/b"]);
        assert!(r.unwrap_err().contains("line 1"));
        let (v, r) = paths("{\"path\": \"/a\"}\n{oops}\n{\"path\": \"/c\"}\n");
        assert_eq!(v, ["/a"]);
        assert!(r.unwrap_err().contains("line 2"));
        assert!(paths("[1, 2").1.is_err());
        assert!(paths("").1.is_ok());
    }
}
