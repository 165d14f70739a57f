//! STIX 2.1 bundle loading: objects, collection attribution (reports, `indicates` relationships),
//! dangling references, per-object problems.

use crate::IocError;
use crate::fxhash::FxMap;
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
struct LooseBundle<'a> {
    #[serde(borrow, default)]
    objects: Option<Vec<&'a RawValue>>,
}

/// An indicator of a [`Parsed`] bundle, borrowing from the input where possible.
pub(crate) struct IndRef<'a> {
    pub id: Cow<'a, str>,
    pub pattern: Cow<'a, str>,
}

/// A parsed bundle that borrows its strings from the input (what the index loads from); the
/// collections of indicator `i` are `combos[combo[i]]` (combinations interned, `combos[0]` empty).
#[derive(Default)]
pub(crate) struct Parsed<'a> {
    pub indicators: Vec<IndRef<'a>>,
    pub combo: Vec<u32>,
    pub combos: Vec<Vec<u32>>,
    pub collections: Vec<String>,
    pub malware: Vec<String>,
    pub dangling_refs: usize,
    pub problems: Vec<LoadProblem>,
}

impl<'a> Parsed<'a> {
    pub fn into_owned(self) -> Bundle {
        let Parsed {
            indicators,
            combo,
            combos,
            collections,
            malware,
            dangling_refs,
            problems,
        } = self;
        Bundle {
            indicators: indicators
                .into_iter()
                .zip(combo)
                .map(|(i, c)| RawIndicator {
                    id: i.id.into_owned(),
                    pattern: i.pattern.into_owned(),
                    collections: combos[c as usize].clone(),
                })
                .collect(),
            collections,
            malware,
            dangling_refs,
            problems,
        }
    }

    /// A borrowed view of an owned bundle.
    pub fn from_bundle(b: &'a Bundle) -> Parsed<'a> {
        let mut combos: Vec<Vec<u32>> = vec![Vec::new()];
        let mut ids: HashMap<&[u32], u32> = HashMap::new();
        ids.insert(&[], 0);
        let mut combo = Vec::with_capacity(b.indicators.len());
        let mut indicators = Vec::with_capacity(b.indicators.len());
        for i in &b.indicators {
            let c = *ids.entry(&i.collections).or_insert_with(|| {
                combos.push(i.collections.clone());
                combos.len() as u32 - 1
            });
            combo.push(c);
            indicators.push(IndRef {
                id: Cow::Borrowed(&i.id),
                pattern: Cow::Borrowed(&i.pattern),
            });
        }
        Parsed {
            indicators,
            combo,
            combos,
            collections: b.collections.clone(),
            malware: b.malware.clone(),
            dangling_refs: b.dangling_refs,
            problems: b.problems.clone(),
        }
    }
}

/// Parse a STIX 2.1 bundle (or a bare JSON array of STIX objects).
pub fn parse_bundle(bytes: &[u8], file: &str) -> Result<Bundle, IocError> {
    parse(bytes, file).map(Parsed::into_owned)
}

/// [`parse_bundle`] without copying the strings out of `bytes`.
pub(crate) fn parse<'a>(bytes: &'a [u8], file: &str) -> Result<Parsed<'a>, IocError> {
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(IocError::TooLarge {
            file: file.to_string(),
            limit: MAX_FILE_SIZE,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Fast path: a well-typed bundle, streamed object by object (ignored values are depth-checked
    // as they are skipped, so the whole-file depth scan only runs when this fails).
    {
        let mut acc = Acc::new(file);
        let mut de = serde_json::Deserializer::from_slice(bytes);
        if serde::de::DeserializeSeed::deserialize(BundleSeed(&mut acc), &mut de).is_ok()
            && de.end().is_ok()
        {
            return Ok(acc.finish());
        }
    }
    check_depth(bytes).map_err(|message| IocError::Invalid {
        file: file.to_string(),
        message,
    })?;
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
    let mut acc = Acc::new(file);
    for (i, raw) in raws.iter().enumerate() {
        match serde_json::from_str::<Obj>(raw.get()) {
            Ok(o) => acc.push(o),
            Err(e) => {
                #[derive(Deserialize)]
                struct IdOnly {
                    id: Option<String>,
                }
                let id = serde_json::from_str::<IdOnly>(raw.get())
                    .ok()
                    .and_then(|o| o.id);
                acc.parse_problems.push(LoadProblem {
                    file: file.to_string(),
                    message: format!("object #{i} is malformed: {e}"),
                    id,
                });
            }
        }
    }
    Ok(acc.finish())
}

/// Deepest JSON nesting accepted (STIX objects need about 5 levels).
pub const MAX_DEPTH: usize = 100;

/// Reject JSON nested deeper than [`MAX_DEPTH`] before parsing (serde_json skips unknown fields
/// without a depth limit).
fn check_depth(bytes: &[u8]) -> Result<(), String> {
    match depth_exceeds(bytes, MAX_DEPTH) {
        Some(i) => Err(format!(
            "JSON nested deeper than {MAX_DEPTH} levels (at byte {i})"
        )),
        None => Ok(()),
    }
}

/// The offset of the first bracket nested deeper than `limit` in `bytes`, if any.
fn depth_exceeds(bytes: &[u8], limit: usize) -> Option<usize> {
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
                if depth > limit {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

// ---- Streaming deserialisation of the fast path ------------------------------------------------

/// A string that borrows from the input unless it holds escapes.
#[derive(Deserialize)]
struct B<'a>(#[serde(borrow)] Cow<'a, str>);

/// A skipped value: rejected if nested deeper than the file-wide limit allows at its position.
fn skip<'de, A: serde::de::MapAccess<'de>>(map: &mut A, enclosing: usize) -> Result<(), A::Error> {
    let raw: &RawValue = map.next_value()?;
    let b = raw.get().as_bytes();
    if matches!(b.first(), Some(b'[' | b'{')) && depth_exceeds(b, MAX_DEPTH - enclosing).is_some() {
        return Err(serde::de::Error::custom("nested too deep"));
    }
    Ok(())
}

struct BundleSeed<'s, 'a>(&'s mut Acc<'a>);

impl<'de, 's> serde::de::DeserializeSeed<'de> for BundleSeed<'s, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 's> serde::de::Visitor<'de> for BundleSeed<'s, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a STIX bundle")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(k) = map.next_key::<B<'de>>()? {
            if k.0 == "objects" {
                if std::mem::replace(&mut seen, true) {
                    return Err(serde::de::Error::custom("duplicate objects"));
                }
                map.next_value_seed(ObjectsSeed(&mut *self.0))?;
            } else {
                skip(&mut map, 1)?;
            }
        }
        if !seen {
            return Err(serde::de::Error::custom("no objects"));
        }
        Ok(())
    }
}

struct ObjectsSeed<'s, 'a>(&'s mut Acc<'a>);

impl<'de, 's> serde::de::DeserializeSeed<'de> for ObjectsSeed<'s, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, 's> serde::de::Visitor<'de> for ObjectsSeed<'s, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of STIX objects")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some(n) = seq.size_hint() {
            self.0.indicators.reserve(n / 2);
        }
        while let Some(o) = seq.next_element_seed(ObjSeed)? {
            self.0.push(o);
        }
        Ok(())
    }
}

struct ObjSeed;

impl<'de> serde::de::DeserializeSeed<'de> for ObjSeed {
    type Value = Obj<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Obj<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ObjSeed {
    type Value = Obj<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a STIX object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Obj<'de>, A::Error> {
        type S<'a> = Option<Cow<'a, str>>;
        let (mut ty, mut id, mut name, mut pattern, mut pattern_type): (S, S, S, S, S) =
            (None, None, None, None, None);
        let (mut rel, mut src, mut dst): (S, S, S) = (None, None, None);
        let mut refs: Option<Vec<Cow<'de, str>>> = None;
        let mut seen = 0u16;
        let dup = || serde::de::Error::custom("duplicate field");
        while let Some(k) = map.next_key::<B<'de>>()? {
            let (bit, slot) = match k.0.as_ref() {
                "type" => (0, &mut ty),
                "id" => (1, &mut id),
                "name" => (2, &mut name),
                "pattern" => (3, &mut pattern),
                "pattern_type" => (4, &mut pattern_type),
                "relationship_type" => (5, &mut rel),
                "source_ref" => (6, &mut src),
                "target_ref" => (7, &mut dst),
                "object_refs" => {
                    if seen & (1 << 8) != 0 {
                        return Err(dup());
                    }
                    seen |= 1 << 8;
                    refs = map
                        .next_value::<Option<Vec<B<'de>>>>()?
                        .map(|v| v.into_iter().map(|b| b.0).collect());
                    continue;
                }
                _ => {
                    skip(&mut map, 3)?;
                    continue;
                }
            };
            if seen & (1 << bit) != 0 {
                return Err(dup());
            }
            seen |= 1 << bit;
            *slot = if bit == 0 {
                Some(map.next_value::<B<'de>>()?.0)
            } else {
                map.next_value::<Option<B<'de>>>()?.map(|b| b.0)
            };
        }
        Ok(Obj {
            ty: ty.ok_or_else(|| serde::de::Error::missing_field("type"))?,
            id,
            name,
            pattern,
            pattern_type,
            relationship_type: rel,
            source_ref: src,
            target_ref: dst,
            object_refs: refs,
        })
    }
}

// ---- Attribution -------------------------------------------------------------------------------

/// Deferred attribution steps, in file order.
enum Attr<'a> {
    Indicates(Cow<'a, str>, Cow<'a, str>),
    MissingRefs(Option<Cow<'a, str>>),
    Report(Cow<'a, str>, Vec<Cow<'a, str>>),
}

/// First pass over the objects (as they stream in), then [`Acc::finish`] attributes.
struct Acc<'a> {
    file: String,
    indicators: Vec<IndRef<'a>>,
    /// (id, name) of the named non-indicator objects.
    named: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    attrs: Vec<Attr<'a>>,
    malware: Vec<String>,
    parse_problems: Vec<LoadProblem>,
    problems: Vec<LoadProblem>,
}

impl<'a> Acc<'a> {
    fn new(file: &str) -> Self {
        Acc {
            file: file.to_string(),
            indicators: Vec::new(),
            named: Vec::new(),
            attrs: Vec::new(),
            malware: Vec::new(),
            parse_problems: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, id: Option<&str>, message: String) {
        self.problems.push(LoadProblem {
            file: self.file.clone(),
            id: id.map(str::to_string),
            message,
        })
    }

    fn push(&mut self, o: Obj<'a>) {
        // Relationships and reports are attributed whatever the first pass says about them.
        match o.ty.as_ref() {
            "relationship" if o.relationship_type.as_deref() == Some("indicates") => self
                .attrs
                .push(match (o.source_ref.clone(), o.target_ref.clone()) {
                    (Some(s), Some(d)) => Attr::Indicates(s, d),
                    _ => Attr::MissingRefs(o.id.clone()),
                }),
            "report" => {
                if let Some(name) = &o.name {
                    self.attrs.push(Attr::Report(
                        name.clone(),
                        o.object_refs.clone().unwrap_or_default(),
                    ))
                }
            }
            _ => {}
        }
        let id = o.id.as_deref();
        if id.is_some_and(|i| i.len() > MAX_NAME_LEN)
            || o.name.as_deref().is_some_and(|n| n.len() > MAX_NAME_LEN)
        {
            self.problem(
                None,
                format!("{} object with an over-long id or name skipped", o.ty),
            );
            return;
        }
        if o.ty == "indicator" {
            let Some(id) = o.id else {
                self.problem(None, "indicator without an id".into());
                return;
            };
            let Some(pattern) = o.pattern else {
                self.problem(Some(&id), "indicator without a pattern".into());
                return;
            };
            if let Some(pt) = o
                .pattern_type
                .as_deref()
                .filter(|t| !t.eq_ignore_ascii_case("stix"))
            {
                self.problem(Some(&id), format!("pattern_type {pt:?} is not evaluated"));
                return;
            }
            self.indicators.push(IndRef { id, pattern });
        } else if let (Some(id), Some(name)) = (o.id, o.name) {
            if o.ty == "malware" {
                self.malware.push(name.to_string());
            }
            self.named.push((id, name));
        }
    }

    fn finish(self) -> Parsed<'a> {
        let Acc {
            file,
            indicators,
            named,
            attrs,
            malware,
            mut parse_problems,
            problems,
            ..
        } = self;
        parse_problems.extend(problems);
        let mut problems = parse_problems;
        let n = indicators.len();
        // Indicator id → first position; `same_id` chains repeated objects (real data repeats
        // some indicator objects verbatim).
        let mut ind_pos: FxMap<&str, u32> = FxMap::default();
        ind_pos.reserve(n);
        let mut same_id: Vec<u32> = Vec::new();
        let mut last_of: FxMap<u32, u32> = FxMap::default();
        for (pos, ind) in indicators.iter().enumerate() {
            let pos = pos as u32;
            match ind_pos.entry(&ind.id) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    let first = *e.get();
                    if same_id.is_empty() {
                        same_id = vec![NIL; n];
                    }
                    let last = last_of.get(&first).copied().unwrap_or(first);
                    same_id[last as usize] = pos;
                    last_of.insert(first, pos);
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(pos);
                }
            }
        }
        let mut names: FxMap<&str, &str> = FxMap::default();
        for (id, name) in &named {
            names.insert(id, name);
        }
        let mut out = Parsed {
            combo: vec![0; n],
            combos: vec![Vec::new()],
            malware,
            ..Default::default()
        };
        let mut st = AddState {
            coll_idx: FxMap::default(),
            trans: FxMap::default(),
            last_coll: None,
            same_id: &same_id,
        };
        for a in &attrs {
            match a {
                Attr::Indicates(src, dst) => {
                    match (ind_pos.get(src.as_ref()), names.get(dst.as_ref())) {
                        (Some(&i), Some(name)) => st.add(&mut out, i, name),
                        _ => out.dangling_refs += 1,
                    }
                }
                Attr::MissingRefs(id) => problems.push(LoadProblem {
                    file: file.clone(),
                    id: id.as_deref().map(str::to_string),
                    message: "relationship without source_ref/target_ref".into(),
                }),
                Attr::Report(name, refs) => {
                    for r in refs {
                        match ind_pos.get(r.as_ref()) {
                            Some(&i) => st.add(&mut out, i, name),
                            None if r.starts_with("indicator--") => out.dangling_refs += 1,
                            None => {}
                        }
                    }
                }
            }
        }
        if out.combo.contains(&0) {
            out.collections.push(DEFAULT_COLLECTION.to_string());
            let d = out.collections.len() as u32 - 1;
            out.combos.push(vec![d]);
            let k = out.combos.len() as u32 - 1;
            for c in &mut out.combo {
                if *c == 0 {
                    *c = k;
                }
            }
        }
        out.indicators = indicators;
        out.problems = problems;
        out
    }
}

const NIL: u32 = u32::MAX;

struct AddState<'n> {
    coll_idx: FxMap<&'n str, u32>,
    trans: FxMap<(u32, u32), u32>,
    last_coll: Option<(&'n str, u32)>,
    same_id: &'n [u32],
}

impl<'n> AddState<'n> {
    /// Add collection `name` to the indicator at `first` and its repetitions.
    fn add(&mut self, out: &mut Parsed<'_>, first: u32, name: &'n str) {
        let c = match self.last_coll {
            Some((l, c)) if l == name => c,
            _ => {
                let c = *self.coll_idx.entry(name).or_insert_with(|| {
                    out.collections.push(name.to_string());
                    out.collections.len() as u32 - 1
                });
                self.last_coll = Some((name, c));
                c
            }
        };
        let mut i = first;
        while i != NIL {
            let k = out.combo[i as usize];
            if !out.combos[k as usize].contains(&c) {
                out.combo[i as usize] = *self.trans.entry((k, c)).or_insert_with(|| {
                    let mut v = out.combos[k as usize].clone();
                    v.push(c);
                    out.combos.push(v);
                    out.combos.len() as u32 - 1
                });
            }
            i = self.same_id.get(i as usize).copied().unwrap_or(NIL);
        }
    }
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
    fn streaming_and_object_by_object_paths_agree() {
        // Escaped strings (owned), unknown nested fields, null options: streamed.
        let ok = br#"{"type":"bundle","x":{"y":[1,{"z":null}]},"objects":[
          {"type":"malware","id":"malware--m","name":"Ev\u0069l","extra":[[{}]]},
          {"type":"indicator","id":"indicator--a","name":null,"pattern":"[domain-name:value='a.com']"},
          {"type":"relationship","relationship_type":"indicates","source_ref":"indicator--a","target_ref":"malware--m"}]}"#;
        let b = parse_bundle(ok, "t").unwrap();
        assert_eq!(b.names(&b.indicators[0]), vec!["Evil"]);
        assert!(b.problems.is_empty());
        // A duplicate field makes that one object a problem (object-by-object path).
        let dup = br#"{"objects":[
          {"type":"indicator","id":"indicator--a","id":"indicator--b","pattern":"[domain-name:value='a.com']"},
          {"type":"indicator","id":"indicator--c","pattern":"[domain-name:value='c.com']"}]}"#;
        let b = parse_bundle(dup, "t").unwrap();
        assert_eq!(b.indicators.len(), 1);
        assert_eq!(b.problems.len(), 1);
        assert!(
            b.problems[0].message.contains("duplicate"),
            "{:?}",
            b.problems
        );
    }

    #[test]
    fn bare_array_and_bom() {
        let b = b"\xEF\xBB\xBF[{\"type\":\"indicator\",\"id\":\"indicator--x\",\"pattern\":\"[process:name='bh']\"}, 3]";
        let b = parse_bundle(b, "a.json").unwrap();
        assert_eq!(b.indicators.len(), 1);
        assert_eq!(b.problems.len(), 1);
    }
}
