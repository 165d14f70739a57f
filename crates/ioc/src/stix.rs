//! STIX 2.1 bundle loading: objects, collection attribution (reports, `indicates` relationships),
//! dangling references, per-object problems.

use crate::IocError;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;

/// Largest STIX file accepted.
pub const MAX_FILE_SIZE: u64 = 512 * 1024 * 1024;
/// Longest name/id string accepted in an object.
const MAX_NAME_LEN: usize = 4096;

/// The collection of indicators nobody names.
pub const DEFAULT_COLLECTION: &str = "Default collection";

/// An indicator object of a bundle, with the collections it belongs to.
#[derive(Debug, Clone)]
pub struct RawIndicator {
    pub id: String,
    pub pattern: String,
    /// Indexes into [`Bundle::collections`].
    pub collections: Vec<u32>,
}

/// A problem with one object that did not stop the rest of the file loading.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadProblem {
    pub file: String,
    pub id: Option<String>,
    pub message: String,
}

impl std::fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{}: {}: {}", self.file, id, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// A parsed bundle.
#[derive(Debug, Default)]
pub struct Bundle {
    pub indicators: Vec<RawIndicator>,
    /// Collection names (malware / report names, "Default collection"), in order of first use.
    pub collections: Vec<String>,
    /// Names of the `malware` objects, in file order.
    pub malware: Vec<String>,
    /// Relationships / report references that point to objects not in the bundle.
    pub dangling_refs: usize,
    pub problems: Vec<LoadProblem>,
}

impl Bundle {
    /// The collection names of one indicator.
    pub fn names(&self, ind: &RawIndicator) -> Vec<&str> {
        ind.collections
            .iter()
            .map(|&c| self.collections[c as usize].as_str())
            .collect()
    }

    /// A compact line-based encoding of the parsed bundle (used for the built-in snapshot, so the
    /// binary does not parse JSON at start-up). `None` if a string holds a tab or a newline.
    pub fn to_compact(&self) -> Option<String> {
        let bad = |s: &str| s.contains(['\t', '\n', '\r']);
        let mut o = format!("S\t{}\t{}\n", self.indicators.len(), self.dangling_refs);
        for c in &self.collections {
            if bad(c) {
                return None;
            }
            o.push_str(&format!("C\t{c}\n"));
        }
        for m in &self.malware {
            if bad(m) {
                return None;
            }
            o.push_str(&format!("M\t{m}\n"));
        }
        for i in &self.indicators {
            if bad(&i.id) || bad(&i.pattern) {
                return None;
            }
            let cs: Vec<String> = i.collections.iter().map(|c| c.to_string()).collect();
            o.push_str(&format!("I\t{}\t{}\t{}\n", i.id, cs.join(","), i.pattern));
        }
        for p in &self.problems {
            let line = format!("P\t{}\t{}\n", p.id.as_deref().unwrap_or(""), p.message);
            if bad(line.trim_end()) {
                return None;
            }
            o.push_str(&line);
        }
        Some(o)
    }

    /// Decode [`Bundle::to_compact`].
    pub fn from_compact(text: &str, file: &str) -> Result<Bundle, IocError> {
        let bad = |n: usize| IocError::Invalid {
            file: file.to_string(),
            message: format!("compact line {n} is corrupt"),
        };
        let mut b = Bundle::default();
        for (n, line) in text.lines().enumerate() {
            let mut f = line.splitn(4, '\t');
            match f.next() {
                Some("S") => {
                    b.indicators.reserve(
                        f.next()
                            .and_then(|x| x.parse().ok())
                            .ok_or_else(|| bad(n))?,
                    );
                    b.dangling_refs = f
                        .next()
                        .and_then(|x| x.parse().ok())
                        .ok_or_else(|| bad(n))?;
                }
                Some("C") => b
                    .collections
                    .push(f.next().ok_or_else(|| bad(n))?.to_string()),
                Some("M") => b.malware.push(f.next().ok_or_else(|| bad(n))?.to_string()),
                Some("I") => {
                    let (Some(id), Some(cs), Some(pattern)) = (f.next(), f.next(), f.next()) else {
                        return Err(bad(n));
                    };
                    let collections = cs
                        .split(',')
                        .map(|c| {
                            c.parse::<u32>()
                                .ok()
                                .filter(|&c| (c as usize) < b.collections.len())
                        })
                        .collect::<Option<Vec<u32>>>()
                        .ok_or_else(|| bad(n))?;
                    b.indicators.push(RawIndicator {
                        id: id.to_string(),
                        pattern: pattern.to_string(),
                        collections,
                    });
                }
                Some("P") => {
                    let id = f.next().filter(|s| !s.is_empty()).map(str::to_string);
                    let message = f.next().unwrap_or("").to_string();
                    b.problems.push(LoadProblem {
                        file: file.to_string(),
                        id,
                        message,
                    });
                }
                _ => return Err(bad(n)),
            }
        }
        Ok(b)
    }
}

#[derive(Deserialize)]
struct Obj<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pattern: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pattern_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    relationship_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    source_ref: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    target_ref: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    object_refs: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct TypedBundle<'a> {
    #[serde(borrow)]
    objects: Vec<Obj<'a>>,
}

#[derive(Deserialize)]
struct LooseBundle<'a> {
    #[serde(borrow, default)]
    objects: Option<Vec<&'a RawValue>>,
}

/// Parse a STIX 2.1 bundle (or a bare JSON array of STIX objects).
pub fn parse_bundle(bytes: &[u8], file: &str) -> Result<Bundle, IocError> {
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(IocError::TooLarge {
            file: file.to_string(),
            limit: MAX_FILE_SIZE,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    check_depth(bytes).map_err(|message| IocError::Invalid {
        file: file.to_string(),
        message,
    })?;
    // Fast path: everything well-typed.
    if let Ok(b) = serde_json::from_slice::<TypedBundle>(bytes) {
        return Ok(attribute(b.objects, Vec::new(), file));
    }
    // Slow path: object by object, so one bad object never stops the others.
    let json_err = |e: serde_json::Error| IocError::Json {
        file: file.to_string(),
        source: e,
    };
    let trimmed = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| bytes[i]);
    let raws: Vec<&RawValue> = if trimmed == Some(b'[') {
        serde_json::from_slice(bytes).map_err(json_err)?
    } else {
        let b: LooseBundle = serde_json::from_slice(bytes).map_err(json_err)?;
        b.objects.ok_or_else(|| IocError::Invalid {
            file: file.to_string(),
            message: "not a STIX bundle (no \"objects\" array)".into(),
        })?
    };
    let mut objs = Vec::with_capacity(raws.len());
    let mut problems = Vec::new();
    for (i, raw) in raws.iter().enumerate() {
        match serde_json::from_str::<Obj>(raw.get()) {
            Ok(o) => objs.push(o),
            Err(e) => {
                #[derive(Deserialize)]
                struct IdOnly {
                    id: Option<String>,
                }
                let id = serde_json::from_str::<IdOnly>(raw.get())
                    .ok()
                    .and_then(|o| o.id);
                problems.push(LoadProblem {
                    file: file.to_string(),
                    message: format!("object #{i} is malformed: {e}"),
                    id,
                });
            }
        }
    }
    Ok(attribute(objs, problems, file))
}

/// Deepest JSON nesting accepted (STIX objects need about 5 levels).
pub const MAX_DEPTH: usize = 100;

/// Reject JSON nested deeper than [`MAX_DEPTH`] before parsing (serde_json skips unknown fields
/// without a depth limit).
fn check_depth(bytes: &[u8]) -> Result<(), String> {
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!(
                        "JSON nested deeper than {MAX_DEPTH} levels (at byte {i})"
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn attribute(objs: Vec<Obj<'_>>, mut problems: Vec<LoadProblem>, file: &str) -> Bundle {
    let mut out = Bundle::default();
    // Indicator id → first position; `same_id` chains repeated objects (real data repeats some
    // indicator objects verbatim).
    let mut ind_pos: HashMap<&str, usize> = HashMap::with_capacity(objs.len() / 2);
    let mut same_id: Vec<usize> = Vec::new();
    let mut last_of: HashMap<usize, usize> = HashMap::new();
    let mut names: HashMap<&str, &str> = HashMap::new();
    let problem = |problems: &mut Vec<LoadProblem>, id: Option<&str>, message: String| {
        problems.push(LoadProblem {
            file: file.to_string(),
            id: id.map(str::to_string),
            message,
        })
    };
    for o in &objs {
        let id = o.id.as_deref();
        if id.is_some_and(|i| i.len() > MAX_NAME_LEN)
            || o.name.as_deref().is_some_and(|n| n.len() > MAX_NAME_LEN)
        {
            problem(
                &mut problems,
                None,
                format!("{} object with an over-long id or name skipped", o.ty),
            );
            continue;
        }
        match o.ty.as_ref() {
            "indicator" => {
                let Some(id) = id else {
                    problem(&mut problems, None, "indicator without an id".into());
                    continue;
                };
                let Some(pattern) = o.pattern.as_deref() else {
                    problem(
                        &mut problems,
                        Some(id),
                        "indicator without a pattern".into(),
                    );
                    continue;
                };
                if let Some(pt) = o
                    .pattern_type
                    .as_deref()
                    .filter(|t| !t.eq_ignore_ascii_case("stix"))
                {
                    problem(
                        &mut problems,
                        Some(id),
                        format!("pattern_type {pt:?} is not evaluated"),
                    );
                    continue;
                }
                let pos = out.indicators.len();
                same_id.push(usize::MAX);
                match ind_pos.get(id) {
                    Some(&first) => {
                        let last = last_of.get(&first).copied().unwrap_or(first);
                        same_id[last] = pos;
                        last_of.insert(first, pos);
                    }
                    None => {
                        ind_pos.insert(id, pos);
                    }
                }
                out.indicators.push(RawIndicator {
                    id: id.to_string(),
                    pattern: pattern.to_string(),
                    collections: Vec::new(),
                });
            }
            ty => {
                if let (Some(id), Some(name)) = (id, o.name.as_deref()) {
                    names.insert(id, name);
                    if ty == "malware" {
                        out.malware.push(name.to_string());
                    }
                }
            }
        }
    }
    let mut coll_idx: HashMap<String, u32> = HashMap::new();
    let mut add = |out: &mut Bundle, first: usize, name: &str| {
        let c = match coll_idx.get(name) {
            Some(&c) => c,
            None => {
                out.collections.push(name.to_string());
                let c = out.collections.len() as u32 - 1;
                coll_idx.insert(name.to_string(), c);
                c
            }
        };
        let mut i = first;
        while i != usize::MAX {
            let ind = &mut out.indicators[i];
            if !ind.collections.contains(&c) {
                ind.collections.push(c);
            }
            i = same_id[i];
        }
    };
    for o in &objs {
        match o.ty.as_ref() {
            "relationship" => {
                if o.relationship_type.as_deref() != Some("indicates") {
                    continue;
                }
                let (Some(src), Some(dst)) = (o.source_ref.as_deref(), o.target_ref.as_deref())
                else {
                    problem(
                        &mut problems,
                        o.id.as_deref(),
                        "relationship without source_ref/target_ref".into(),
                    );
                    continue;
                };
                match (ind_pos.get(src), names.get(dst)) {
                    (Some(&i), Some(name)) => add(&mut out, i, name),
                    _ => out.dangling_refs += 1,
                }
            }
            "report" => {
                let Some(name) = o.name.as_deref() else {
                    continue;
                };
                for r in o.object_refs.iter().flatten() {
                    match ind_pos.get(r.as_ref()) {
                        Some(&i) => add(&mut out, i, name),
                        None if r.starts_with("indicator--") => out.dangling_refs += 1,
                        None => {}
                    }
                }
            }
            _ => {}
        }
    }
    let mut default = None;
    for ind in &mut out.indicators {
        if ind.collections.is_empty() {
            let d = *default.get_or_insert_with(|| {
                out.collections.push(DEFAULT_COLLECTION.to_string());
                out.collections.len() as u32 - 1
            });
            ind.collections.push(d);
        }
    }
    out.problems = problems;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribution_reports_relationships_default() {
        let b = br#"{"type":"bundle","id":"bundle--1","objects":[
          {"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--a","target_ref":"malware--m"},
          {"type":"malware","id":"malware--m","name":"Evil"},
          {"type":"indicator","id":"indicator--a","pattern":"[domain-name:value='a.com']","pattern_type":"stix"},
          {"type":"indicator","id":"indicator--b","pattern":"[domain-name:value='b.com']","pattern_type":"stix"},
          {"type":"indicator","id":"indicator--c","pattern":"[domain-name:value='c.com']"},
          {"type":"report","id":"report--r","name":"Report R","object_refs":["indicator--a","indicator--b","indicator--zzz","malware--m"]},
          {"type":"relationship","id":"relationship--2","relationship_type":"indicates","source_ref":"indicator--gone","target_ref":"malware--m"}
        ]}"#;
        let b = parse_bundle(b, "t.stix2").unwrap();
        assert_eq!(b.indicators.len(), 3);
        assert_eq!(b.names(&b.indicators[0]), vec!["Evil", "Report R"]);
        assert_eq!(b.names(&b.indicators[1]), vec!["Report R"]);
        assert_eq!(b.names(&b.indicators[2]), vec![DEFAULT_COLLECTION]);
        assert_eq!(b.dangling_refs, 2);
        assert_eq!(b.malware, vec!["Evil"]);
        assert!(b.problems.is_empty());
    }

    #[test]
    fn bad_object_does_not_stop_the_rest() {
        let b = br#"{"type":"bundle","objects":[
          {"type":"indicator","id":"indicator--bad","pattern":42},
          {"type":"indicator","id":"indicator--nopat"},
          {"type":"indicator","id":"indicator--yara","pattern":"rule x {}","pattern_type":"yara"},
          "not an object",
          {"type":"indicator","id":"indicator--ok","pattern":"[domain-name:value='ok.com']"}
        ]}"#;
        let b = parse_bundle(b, "bad.stix2").unwrap();
        assert_eq!(b.indicators.len(), 1);
        assert_eq!(b.indicators[0].id, "indicator--ok");
        assert_eq!(b.problems.len(), 4);
        assert_eq!(b.problems[0].id.as_deref(), Some("indicator--bad"));
        assert!(
            b.problems[0]
                .to_string()
                .starts_with("bad.stix2: indicator--bad: ")
        );
        let ids: Vec<_> = b.problems.iter().map(|p| p.id.as_deref()).collect();
        assert!(
            ids.contains(&Some("indicator--nopat")) && ids.contains(&Some("indicator--yara")),
            "{ids:?}"
        );
    }

    #[test]
    fn malformed_files_error_with_file_name() {
        for (bytes, what) in [
            (&b"{not json"[..], "not valid"),
            (&b"{\"type\":\"bundle\"}"[..], "no \"objects\""),
            (&b""[..], "not valid"),
        ] {
            let e = parse_bundle(bytes, "x.json").unwrap_err().to_string();
            assert!(e.starts_with("x.json"), "{e}");
            assert!(e.contains(what), "{e}");
        }
    }

    #[test]
    fn deep_nesting_errors_cleanly() {
        let deep = format!(
            "{{\"objects\":[{{\"type\":\"x\",\"z\":{}1{}}}]}}",
            "[".repeat(1_000_000),
            "]".repeat(1_000_000)
        );
        let e = parse_bundle(deep.as_bytes(), "deep.stix2")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("deep.stix2") && e.contains("nested deeper"),
            "{e}"
        );
        let deep = "[".repeat(1_000_000);
        assert!(parse_bundle(deep.as_bytes(), "deep.stix2").is_err());
    }

    #[test]
    fn compact_round_trip() {
        let b = br#"{"objects":[{"type":"malware","id":"malware--m","name":"Evil"},
          {"type":"indicator","id":"indicator--a","pattern":"[domain-name:value='a.com']"},
          {"type":"indicator","id":"indicator--a","pattern":"[domain-name:value='a.com']"},
          {"type":"indicator","id":"indicator--b","pattern":"[domain-name:value='b.com']"},
          {"type":"relationship","relationship_type":"indicates","source_ref":"indicator--a","target_ref":"malware--m"},
          {"type":"relationship","relationship_type":"indicates","source_ref":"indicator--x","target_ref":"malware--m"}]}"#;
        let b = parse_bundle(b, "t").unwrap();
        assert_eq!(
            b.names(&b.indicators[1]),
            vec!["Evil"],
            "repeated objects share attribution"
        );
        let c = b.to_compact().unwrap();
        let d = Bundle::from_compact(&c, "t").unwrap();
        assert_eq!(d.indicators.len(), 3);
        assert_eq!(d.dangling_refs, 1);
        assert_eq!(d.names(&d.indicators[2]), vec![DEFAULT_COLLECTION]);
        assert_eq!(d.malware, vec!["Evil"]);
        assert!(Bundle::from_compact("X\tjunk", "t").is_err());
        assert!(Bundle::from_compact("I\ta\t7\tp", "t").is_err());
    }

    #[test]
    fn bare_array_and_bom() {
        let b = b"\xEF\xBB\xBF[{\"type\":\"indicator\",\"id\":\"indicator--x\",\"pattern\":\"[process:name='bh']\"}, 3]";
        let b = parse_bundle(b, "a.json").unwrap();
        assert_eq!(b.indicators.len(), 1);
        assert_eq!(b.problems.len(), 1);
    }
}
