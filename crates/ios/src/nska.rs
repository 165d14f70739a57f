//! A small, bounded resolver for NSKeyedArchiver archives (`$archiver`, `$objects`, `$top`, UID references),
//! the MBFile record that Manifest.db stores in its `file` column, and plist → JSON helpers.
//!
//! The resolver turns an archive into a plain [`plist::Value`] tree: UIDs are replaced by the objects they
//! point to, `$class` becomes the class name (`"$class": "MBFile"`), `NSDictionary`/`NSArray`/`NSData`/
//! `NSString`/`NSDate` containers become plain dictionaries, arrays, data, strings and dates. Reference
//! cycles, excessive depth and excessive expansion (shared sub-objects referenced many times) are errors,
//! never panics or unbounded work.

use std::time::{SystemTime, UNIX_EPOCH};

use plist::{Dictionary, Value};

/// Deepest nesting resolved.
pub const MAX_DEPTH: usize = 64;
/// Most nodes produced by one resolution (bounds "billion laughs" style shared references).
pub const MAX_NODES: usize = 200_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NskaError {
    #[error("not a property list: {0}")]
    Plist(String),
    #[error("not an NSKeyedArchiver archive: {0}")]
    NotArchive(&'static str),
    #[error("reference to object {0} is out of range")]
    BadUid(u64),
    #[error("reference cycle through object {0}")]
    Cycle(u64),
    #[error("nesting deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("archive expands to more than {MAX_NODES} objects")]
    TooLarge,
    #[error("{0}")]
    Invalid(String),
}

struct Resolver<'a> {
    objects: &'a [Value],
    stack: Vec<u64>,
    nodes: usize,
}

impl Resolver<'_> {
    fn resolve_uid(&mut self, uid: u64, depth: usize) -> Result<Value, NskaError> {
        let idx = usize::try_from(uid).map_err(|_| NskaError::BadUid(uid))?;
        let obj = self.objects.get(idx).ok_or(NskaError::BadUid(uid))?;
        if self.stack.contains(&uid) {
            return Err(NskaError::Cycle(uid));
        }
        if let Value::String(s) = obj
            && s == "$null"
        {
            return Ok(Value::String("$null".into()));
        }
        self.stack.push(uid);
        let r = self.resolve(obj, depth + 1);
        self.stack.pop();
        r
    }

    fn class_name(&mut self, v: &Value) -> Option<String> {
        let Value::Uid(u) = v else { return None };
        let Value::Dictionary(d) = self.objects.get(usize::try_from(u.get()).ok()?)? else {
            return None;
        };
        d.get("$classname")
            .and_then(Value::as_string)
            .map(str::to_string)
    }

    fn resolve(&mut self, v: &Value, depth: usize) -> Result<Value, NskaError> {
        if depth > MAX_DEPTH {
            return Err(NskaError::TooDeep);
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(NskaError::TooLarge);
        }
        match v {
            Value::Uid(u) => self.resolve_uid(u.get(), depth),
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len().min(1024));
                for x in a {
                    out.push(self.resolve(x, depth + 1)?);
                }
                Ok(Value::Array(out))
            }
            Value::Dictionary(d) => self.resolve_dict(d, depth),
            other => Ok(other.clone()),
        }
    }

    fn resolve_dict(&mut self, d: &Dictionary, depth: usize) -> Result<Value, NskaError> {
        let class = d.get("$class").and_then(|c| self.class_name(c));
        // Foundation containers become plain values.
        if let (Some(keys), Some(Value::Array(objs))) = (d.get("NS.keys"), d.get("NS.objects"))
            && let Value::Array(keys) = keys
        {
            let mut out = Dictionary::new();
            for (k, o) in keys.iter().zip(objs) {
                let key = match self.resolve(k, depth + 1)? {
                    Value::String(s) => s,
                    Value::Integer(i) => i.to_string(),
                    _ => continue,
                };
                let val = self.resolve(o, depth + 1)?;
                out.insert(key, val);
            }
            return Ok(Value::Dictionary(out));
        }
        if let Some(Value::Array(objs)) = d.get("NS.objects") {
            let mut out = Vec::new();
            for o in objs {
                out.push(self.resolve(o, depth + 1)?);
            }
            return Ok(Value::Array(out));
        }
        if let Some(data) = d.get("NS.data") {
            return self.resolve(data, depth + 1);
        }
        if let Some(s) = d.get("NS.string") {
            return self.resolve(s, depth + 1);
        }
        if let Some(t) = d.get("NS.time").and_then(Value::as_real) {
            let secs = t + telltale_core::time::MAC_EPOCH_OFFSET as f64;
            if secs.is_finite() && (0.0..4.2e9).contains(&secs) {
                return Ok(Value::Date(
                    (UNIX_EPOCH + std::time::Duration::from_secs_f64(secs)).into(),
                ));
            }
            return Ok(Value::Real(t));
        }
        let mut out = Dictionary::new();
        for (k, x) in d {
            if k == "$class" {
                if let Some(c) = &class {
                    out.insert("$class".into(), Value::String(c.clone()));
                }
                continue;
            }
            let val = self.resolve(x, depth + 1)?;
            out.insert(k.clone(), val);
        }
        Ok(Value::Dictionary(out))
    }
}

/// Parses a property list (XML or binary) from bytes.
pub fn parse_plist(bytes: &[u8]) -> Result<Value, NskaError> {
    Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| NskaError::Plist(e.to_string()))
}

/// Resolves an already parsed NSKeyedArchiver archive: returns its root object (`$top.root`, or the only
/// `$top` entry) with every reference resolved.
pub fn resolve(archive: &Value) -> Result<Value, NskaError> {
    let d = archive
        .as_dictionary()
        .ok_or(NskaError::NotArchive("not a dictionary"))?;
    match d.get("$archiver").and_then(Value::as_string) {
        Some("NSKeyedArchiver") => {}
        Some(_) => return Err(NskaError::NotArchive("unknown $archiver")),
        None => return Err(NskaError::NotArchive("no $archiver")),
    }
    let objects = d
        .get("$objects")
        .and_then(Value::as_array)
        .ok_or(NskaError::NotArchive("no $objects array"))?;
    let top = d
        .get("$top")
        .and_then(Value::as_dictionary)
        .ok_or(NskaError::NotArchive("no $top"))?;
    let root = top
        .get("root")
        .or_else(|| {
            if top.len() == 1 {
                top.values().next()
            } else {
                None
            }
        })
        .ok_or(NskaError::NotArchive("no $top root"))?;
    let mut r = Resolver {
        objects,
        stack: Vec::new(),
        nodes: 0,
    };
    r.resolve(root, 0)
}

/// Parses and resolves an NSKeyedArchiver archive given as bytes.
pub fn decode(bytes: &[u8]) -> Result<Value, NskaError> {
    resolve(&parse_plist(bytes)?)
}

/// The MBFile record of one backup file (Manifest.db `file` column). Times are Unix seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MbFile {
    pub size: Option<u64>,
    pub mode: Option<u64>,
    pub inode: Option<u64>,
    pub user_id: Option<i64>,
    pub group_id: Option<i64>,
    pub last_modified: Option<i64>,
    pub last_status_change: Option<i64>,
    pub birth: Option<i64>,
    pub protection_class: Option<i64>,
    pub flags: Option<i64>,
    pub relative_path: Option<String>,
    /// Target of a symbolic link.
    pub target: Option<String>,
    /// The wrapped per-file key of an encrypted backup (4-byte class prefix + wrapped key), kept as is.
    pub encryption_key: Option<Vec<u8>>,
    /// Extended attributes: name → value bytes (when the archive holds them as a dictionary or as an
    /// embedded property list).
    pub extended_attributes: Option<Vec<(String, Vec<u8>)>>,
}

fn as_int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Integer(i) => i
            .as_signed()
            .or_else(|| i.as_unsigned().and_then(|u| i64::try_from(u).ok())),
        Value::Real(r) if r.is_finite() => Some(*r as i64),
        Value::Date(d) => {
            let t: SystemTime = (*d).into();
            match t.duration_since(UNIX_EPOCH) {
                Ok(x) => i64::try_from(x.as_secs()).ok(),
                Err(e) => i64::try_from(e.duration().as_secs()).ok().map(|s| -s),
            }
        }
        _ => None,
    }
}

fn as_str(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if s != "$null" => Some(s.clone()),
        _ => None,
    }
}

fn xattrs(v: &Value, depth: usize) -> Option<Vec<(String, Vec<u8>)>> {
    match v {
        Value::Dictionary(d) => Some(
            d.iter()
                .map(|(k, v)| {
                    let bytes = match v {
                        Value::Data(b) => b.clone(),
                        Value::String(s) => s.as_bytes().to_vec(),
                        _ => Vec::new(),
                    };
                    (k.clone(), bytes)
                })
                .collect(),
        ),
        Value::Data(b) if depth == 0 => xattrs(&parse_plist(b).ok()?, 1),
        _ => None,
    }
}

impl MbFile {
    /// Decodes an MBFile from the bytes of Manifest.db's `file` column.
    pub fn from_archive(bytes: &[u8]) -> Result<MbFile, NskaError> {
        if let Some(m) = fast::mbfile(bytes) {
            return Ok(m);
        }
        let root = decode(bytes)?;
        MbFile::from_value(&root)
    }

    /// Reads the MBFile fields from a resolved archive root.
    pub fn from_value(root: &Value) -> Result<MbFile, NskaError> {
        let d = root
            .as_dictionary()
            .ok_or_else(|| NskaError::Invalid("MBFile is not a dictionary".into()))?;
        let u = |k: &str| as_int(d.get(k)).and_then(|x| u64::try_from(x).ok());
        Ok(MbFile {
            size: u("Size"),
            mode: u("Mode"),
            inode: u("InodeNumber"),
            user_id: as_int(d.get("UserID")),
            group_id: as_int(d.get("GroupID")),
            last_modified: as_int(d.get("LastModified")),
            last_status_change: as_int(d.get("LastStatusChange")),
            birth: as_int(d.get("Birth")),
            protection_class: as_int(d.get("ProtectionClass")),
            flags: as_int(d.get("Flags")),
            relative_path: as_str(d.get("RelativePath")),
            target: as_str(d.get("Target")),
            encryption_key: match d.get("EncryptionKey") {
                Some(Value::Data(b)) => Some(b.clone()),
                _ => None,
            },
            extended_attributes: d.get("ExtendedAttributes").and_then(|v| xattrs(v, 0)),
        })
    }
}

/// A direct reader for the usual shape of an MBFile archive in a binary plist: the root object is a
/// dictionary of integers (`Size`, `Mode`, times …), `$class`, and `RelativePath`/`Target` references to
/// strings. It reads only the objects it needs, without building a value tree; any other shape (an
/// `EncryptionKey`, extended attributes, XML, unexpected types) gives `None` and the general resolver
/// decodes the archive.
mod fast {
    use super::MbFile;

    struct Bplist<'a> {
        b: &'a [u8],
        offset_size: usize,
        ref_size: usize,
        num_objects: u64,
        table: usize,
    }

    fn be(b: &[u8]) -> Option<u64> {
        if b.is_empty() || b.len() > 8 {
            return None;
        }
        Some(b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
    }

    enum Obj<'a> {
        Int(i64),
        Ascii(&'a [u8]),
        Utf16(&'a [u8]),
        Uid(u64),
        /// Refs of an array, or keys then values of a dictionary.
        Array(&'a [u8], usize),
        Dict(&'a [u8], usize),
        Other,
    }

    impl<'a> Bplist<'a> {
        fn new(b: &'a [u8]) -> Option<Bplist<'a>> {
            if b.len() < 8 + 32 || &b[..8] != b"bplist00" {
                return None;
            }
            let t = &b[b.len() - 32..];
            let offset_size = usize::from(t[6]);
            let ref_size = usize::from(t[7]);
            if !(1..=8).contains(&offset_size) || !(1..=8).contains(&ref_size) {
                return None;
            }
            let num_objects = be(&t[8..16])?;
            let table = usize::try_from(be(&t[24..32])?).ok()?;
            let end = table.checked_add(
                usize::try_from(num_objects)
                    .ok()?
                    .checked_mul(offset_size)?,
            )?;
            if end > b.len() - 32 || table < 8 {
                return None;
            }
            Some(Bplist {
                b,
                offset_size,
                ref_size,
                num_objects,
                table,
            })
        }

        fn top(&self) -> Option<u64> {
            be(&self.b[self.b.len() - 32..][16..24])
        }

        fn offset(&self, obj: u64) -> Option<usize> {
            if obj >= self.num_objects {
                return None;
            }
            let at = self.table + usize::try_from(obj).ok()? * self.offset_size;
            let off = usize::try_from(be(self.b.get(at..at + self.offset_size)?)?).ok()?;
            (8..self.table).contains(&off).then_some(off)
        }

        /// The length of a container/string object and where its content starts.
        fn len_at(&self, marker: u8, at: usize) -> Option<(usize, usize)> {
            let n = marker & 0x0f;
            if n != 0x0f {
                return Some((usize::from(n), at + 1));
            }
            let m = *self.b.get(at + 1)?;
            if m & 0xf0 != 0x10 || m & 0x0f > 3 {
                return None;
            }
            let w = 1usize << (m & 0x0f);
            let len = usize::try_from(be(self.b.get(at + 2..at + 2 + w)?)?).ok()?;
            Some((len, at + 2 + w))
        }

        fn obj(&self, obj: u64) -> Option<Obj<'a>> {
            let at = self.offset(obj)?;
            let marker = *self.b.get(at)?;
            let b = self.b;
            let region = |start: usize, len: usize| {
                let end = start.checked_add(len)?;
                (end <= self.table).then(|| &b[start..end])
            };
            Some(match marker >> 4 {
                0x1 => {
                    let w = 1usize << (marker & 0x0f);
                    // 1, 2 and 4-byte integers are unsigned, 8-byte ones signed (as the plist crate
                    // reads them); 16-byte ones are left to the general path.
                    Obj::Int(be(region(at + 1, w)?)? as i64)
                }
                0x5 => {
                    let (len, start) = self.len_at(marker, at)?;
                    Obj::Ascii(region(start, len)?)
                }
                0x6 => {
                    let (len, start) = self.len_at(marker, at)?;
                    Obj::Utf16(region(start, len.checked_mul(2)?)?)
                }
                0x8 => Obj::Uid(be(region(at + 1, usize::from(marker & 0x0f) + 1)?)?),
                0xa => {
                    let (len, start) = self.len_at(marker, at)?;
                    Obj::Array(region(start, len.checked_mul(self.ref_size)?)?, len)
                }
                0xd => {
                    let (len, start) = self.len_at(marker, at)?;
                    Obj::Dict(region(start, len.checked_mul(2 * self.ref_size)?)?, len)
                }
                _ => Obj::Other,
            })
        }

        fn reference(&self, refs: &[u8], i: usize) -> Option<u64> {
            be(refs.get(i * self.ref_size..(i + 1) * self.ref_size)?)
        }

        /// The (key object, value object) pairs of a dictionary.
        fn entries(
            &self,
            refs: &'a [u8],
            n: usize,
        ) -> impl Iterator<Item = Option<(u64, u64)>> + '_ {
            (0..n).map(move |i| Some((self.reference(refs, i)?, self.reference(refs, n + i)?)))
        }

        fn text(&self, obj: u64) -> Option<String> {
            match self.obj(obj)? {
                Obj::Ascii(a) if a.is_ascii() => Some(String::from_utf8(a.to_vec()).ok()?),
                Obj::Utf16(u) => {
                    let units: Vec<u16> = u
                        .chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .collect();
                    String::from_utf16(&units).ok()
                }
                _ => None,
            }
        }

        fn key(&self, obj: u64) -> Option<&'a [u8]> {
            match self.obj(obj)? {
                Obj::Ascii(a) => Some(a),
                _ => None,
            }
        }
    }

    pub(super) fn mbfile(bytes: &[u8]) -> Option<MbFile> {
        let p = Bplist::new(bytes)?;
        let Obj::Dict(refs, n) = p.obj(p.top()?)? else {
            return None;
        };
        let (mut archiver, mut objects, mut top) = (None, None, None);
        for e in p.entries(refs, n) {
            let (k, v) = e?;
            match p.key(k)? {
                b"$archiver" => archiver = Some(v),
                b"$objects" => objects = Some(v),
                b"$top" => top = Some(v),
                _ => {}
            }
        }
        if p.text(archiver?)? != "NSKeyedArchiver" {
            return None;
        }
        let Obj::Array(objs, nobjs) = p.obj(objects?)? else {
            return None;
        };
        let Obj::Dict(trefs, tn) = p.obj(top?)? else {
            return None;
        };
        let mut root = None;
        for e in p.entries(trefs, tn) {
            let (k, v) = e?;
            if p.key(k)? == b"root" || tn == 1 {
                root = Some(v);
            }
        }
        let Obj::Uid(root) = p.obj(root?)? else {
            return None;
        };
        let archived = |uid: u64| -> Option<u64> {
            let i = usize::try_from(uid).ok()?;
            (i < nobjs).then(|| p.reference(objs, i))?
        };
        let Obj::Dict(mrefs, mn) = p.obj(archived(root)?)? else {
            return None;
        };
        let mut m = MbFile::default();
        for e in p.entries(mrefs, mn) {
            let (k, v) = e?;
            let key = p.key(k)?;
            let int = || match p.obj(v)? {
                Obj::Int(i) => Some(i),
                _ => None,
            };
            match key {
                b"$class" => {}
                b"RelativePath" | b"Target" => {
                    let Obj::Uid(u) = p.obj(v)? else {
                        return None;
                    };
                    let s = p.text(archived(u)?)?;
                    let s = (s != "$null").then_some(s);
                    if key == b"Target" {
                        m.target = s;
                    } else {
                        m.relative_path = s;
                    }
                }
                b"Size" => m.size = u64::try_from(int()?).ok(),
                b"Mode" => m.mode = u64::try_from(int()?).ok(),
                b"InodeNumber" => m.inode = u64::try_from(int()?).ok(),
                b"UserID" => m.user_id = Some(int()?),
                b"GroupID" => m.group_id = Some(int()?),
                b"LastModified" => m.last_modified = Some(int()?),
                b"LastStatusChange" => m.last_status_change = Some(int()?),
                b"Birth" => m.birth = Some(int()?),
                b"ProtectionClass" => m.protection_class = Some(int()?),
                b"Flags" => m.flags = Some(int()?),
                _ => return None,
            }
        }
        Some(m)
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (how binary plist values are written to JSON, as MVT does).
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A plist date as a timestamp.
pub fn plist_date(d: &plist::Date) -> Option<jiff::Timestamp> {
    let t: SystemTime = (*d).into();
    jiff::Timestamp::try_from(t).ok()
}

/// Converts a plist value to JSON: data → base64, dates → `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), UIDs →
/// their number. Nesting is bounded.
pub fn plist_to_json(v: &Value) -> serde_json::Value {
    fn conv(v: &Value, depth: usize) -> serde_json::Value {
        use serde_json::Value as J;
        if depth > MAX_DEPTH {
            return J::Null;
        }
        match v {
            Value::String(s) => J::String(s.clone()),
            Value::Boolean(b) => J::Bool(*b),
            Value::Integer(i) => match i.as_signed() {
                Some(x) => J::from(x),
                None => i.as_unsigned().map(J::from).unwrap_or(J::Null),
            },
            Value::Real(r) => serde_json::Number::from_f64(*r)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Data(b) => J::String(base64(b)),
            Value::Date(d) => plist_date(d)
                .map(|t| J::String(telltale_core::time::format(t)))
                .unwrap_or(J::Null),
            Value::Uid(u) => J::from(u.get()),
            Value::Array(a) => J::Array(a.iter().map(|x| conv(x, depth + 1)).collect()),
            Value::Dictionary(d) => J::Object(
                d.iter()
                    .map(|(k, x)| (k.clone(), conv(x, depth + 1)))
                    .collect(),
            ),
            _ => J::Null,
        }
    }
    conv(v, 0)
}

/// Largest property list a module reads whole.
pub const MODULE_PLIST_LIMIT: u64 = 64 << 20;

/// Reads and parses a property list (XML or binary) for a module: `Ok(None)` when the file is not in the
/// acquisition, or listed but its data is absent (then a warning is emitted); an error naming the file
/// when it does not parse.
pub fn load_plist(
    evidence: &dyn telltale_core::Evidence,
    out: &mut telltale_core::Emitter<'_>,
    path: &str,
) -> Result<Option<Value>, telltale_core::ModuleError> {
    use telltale_core::EvidenceError;
    let bytes = match evidence.read_limited(path, MODULE_PLIST_LIMIT) {
        Ok(b) => b,
        Err(EvidenceError::NotFound { .. }) => return Ok(None),
        Err(EvidenceError::Absent { path }) => {
            out.not_checked(format!("{path}: {}", telltale_core::engine::ABSENT));
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    parse_plist(&bytes)
        .map(Some)
        .map_err(|e| telltale_core::ModuleError::parse(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plist::Uid;

    fn archive(objects: Vec<Value>, root: u64) -> Value {
        let mut top = Dictionary::new();
        top.insert("root".into(), Value::Uid(Uid::new(root)));
        let mut d = Dictionary::new();
        d.insert("$archiver".into(), "NSKeyedArchiver".into());
        d.insert("$version".into(), Value::Integer(100000.into()));
        d.insert("$top".into(), Value::Dictionary(top));
        d.insert("$objects".into(), Value::Array(objects));
        Value::Dictionary(d)
    }

    fn dict(pairs: Vec<(&str, Value)>) -> Value {
        Value::Dictionary(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn uid(n: u64) -> Value {
        Value::Uid(Uid::new(n))
    }

    fn to_bytes(v: &Value) -> Vec<u8> {
        let mut b = Vec::new();
        v.to_writer_binary(&mut b).unwrap();
        b
    }

    #[test]
    fn mbfile_fields() {
        let a = archive(
            vec![
                "$null".into(),
                dict(vec![
                    ("Size", Value::Integer(42.into())),
                    ("Mode", Value::Integer(0o100644.into())),
                    ("InodeNumber", Value::Integer(7.into())),
                    ("UserID", Value::Integer(501.into())),
                    ("GroupID", Value::Integer(501.into())),
                    ("LastModified", Value::Integer(1_600_000_000.into())),
                    ("LastStatusChange", Value::Integer(1_600_000_001.into())),
                    ("Birth", Value::Integer(1_500_000_000.into())),
                    ("ProtectionClass", Value::Integer(3.into())),
                    ("Flags", Value::Integer(0.into())),
                    ("RelativePath", uid(2)),
                    ("EncryptionKey", uid(4)),
                    ("$class", uid(3)),
                ]),
                "Library/SMS/sms.db".into(),
                dict(vec![
                    ("$classname", "MBFile".into()),
                    (
                        "$classes",
                        Value::Array(vec!["MBFile".into(), "NSObject".into()]),
                    ),
                ]),
                dict(vec![
                    ("NS.data", Value::Data(vec![1, 2, 3])),
                    ("$class", uid(5)),
                ]),
                dict(vec![("$classname", "NSMutableData".into())]),
            ],
            1,
        );
        let m = MbFile::from_archive(&to_bytes(&a)).unwrap();
        assert_eq!(m.size, Some(42));
        assert_eq!(m.mode, Some(0o100644));
        assert_eq!(m.inode, Some(7));
        assert_eq!(m.user_id, Some(501));
        assert_eq!(m.birth, Some(1_500_000_000));
        assert_eq!(m.last_status_change, Some(1_600_000_001));
        assert_eq!(m.protection_class, Some(3));
        assert_eq!(m.relative_path.as_deref(), Some("Library/SMS/sms.db"));
        assert_eq!(m.encryption_key, Some(vec![1, 2, 3]));
        assert_eq!(m.target, None);
        let root = decode(&to_bytes(&a)).unwrap();
        assert_eq!(
            root.as_dictionary()
                .unwrap()
                .get("$class")
                .unwrap()
                .as_string(),
            Some("MBFile")
        );
    }

    #[test]
    fn fast_path_agrees_with_the_resolver() {
        let general = |b: &[u8]| MbFile::from_value(&decode(b).unwrap()).unwrap();
        type Fields = Vec<(&'static str, Value)>;
        let cases: Vec<(Fields, Vec<Value>)> = vec![
            (
                vec![
                    ("Size", Value::Integer(4096.into())),
                    ("Mode", Value::Integer(0o40755.into())),
                    ("UserID", Value::Integer((-2i64).into())),
                    ("InodeNumber", Value::Integer((-5i64).into())),
                    ("Birth", Value::Integer(70_000.into())),
                    ("LastModified", Value::Integer(1_700_000_000_000i64.into())),
                    ("RelativePath", uid(3)),
                    ("Target", uid(0)),
                ],
                vec!["Library/Caches/é ü 日本".into()],
            ),
            (
                vec![
                    ("RelativePath", uid(3)),
                    ("Flags", Value::Integer(255.into())),
                ],
                vec!["plain/ascii".into()],
            ),
            (vec![], vec![]),
        ];
        for (fields, extra) in cases {
            let mut pairs = fields.clone();
            pairs.push(("$class", uid(2)));
            let mut objects = vec![
                "$null".into(),
                dict(pairs),
                dict(vec![("$classname", "MBFile".into())]),
            ];
            objects.extend(extra);
            let bytes = to_bytes(&archive(objects, 1));
            let fast = fast::mbfile(&bytes).expect("usual shape");
            assert_eq!(fast, general(&bytes), "{fields:?}");
            // XML archives and unusual shapes go through the general path with the same result.
            assert_eq!(MbFile::from_archive(&bytes).unwrap(), fast);
        }
        // Unusual values (a real, a string where an integer is expected): no fast path.
        for odd in [Value::Real(1.5), Value::String("x".into())] {
            let objects = vec!["$null".into(), dict(vec![("Size", odd)])];
            let bytes = to_bytes(&archive(objects, 1));
            assert!(fast::mbfile(&bytes).is_none());
            assert_eq!(MbFile::from_archive(&bytes).unwrap(), general(&bytes));
        }
    }

    #[test]
    fn cycles_bad_uids_and_bombs_are_errors() {
        // Object 1 refers to itself.
        let a = archive(vec!["$null".into(), dict(vec![("x", uid(1))])], 1);
        assert_eq!(resolve(&a), Err(NskaError::Cycle(1)));
        // Out-of-range reference.
        let a = archive(vec!["$null".into(), dict(vec![("x", uid(99))])], 1);
        assert_eq!(resolve(&a), Err(NskaError::BadUid(99)));
        assert_eq!(
            resolve(&archive(vec!["$null".into()], 5)),
            Err(NskaError::BadUid(5))
        );
        // Deep chain 1 → 2 → … → 200.
        let mut objs: Vec<Value> = vec!["$null".into()];
        for i in 1..200u64 {
            objs.push(dict(vec![("next", uid(i + 1))]));
        }
        objs.push("end".into());
        assert_eq!(resolve(&archive(objs, 1)), Err(NskaError::TooDeep));
        // Each level references the next twice: 2^25 nodes if expanded naively.
        let mut objs: Vec<Value> = vec!["$null".into()];
        for i in 1..25u64 {
            objs.push(Value::Array(vec![uid(i + 1), uid(i + 1)]));
        }
        objs.push("leaf".into());
        assert_eq!(resolve(&archive(objs, 1)), Err(NskaError::TooLarge));
        // Not archives.
        assert!(matches!(decode(b"garbage"), Err(NskaError::Plist(_))));
        assert!(matches!(
            resolve(&Value::Array(vec![])),
            Err(NskaError::NotArchive(_))
        ));
        assert!(MbFile::from_value(&Value::String("x".into())).is_err());
    }

    #[test]
    fn foundation_containers() {
        let a = archive(
            vec![
                "$null".into(),
                dict(vec![
                    ("NS.keys", Value::Array(vec![uid(2)])),
                    ("NS.objects", Value::Array(vec![uid(3)])),
                ]),
                "k".into(),
                dict(vec![("NS.objects", Value::Array(vec![uid(4), uid(5)]))]),
                dict(vec![("NS.time", Value::Real(0.0))]),
                dict(vec![("NS.string", "s".into())]),
            ],
            1,
        );
        let v = plist_to_json(&resolve(&a).unwrap());
        assert_eq!(
            v,
            serde_json::json!({"k": ["2001-01-01 00:00:00.000000", "s"]})
        );
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b"hi!"), "aGkh");
        assert_eq!(base64(b""), "");
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = MbFile::from_archive(&bytes);
            let mut with_header = b"bplist00".to_vec();
            with_header.extend_from_slice(&bytes);
            let _ = MbFile::from_archive(&with_header);
        }

        #[test]
        fn random_archives_never_panic(refs in proptest::collection::vec((0u64..12, 0u64..12), 1..12), root in 0u64..14) {
            let mut objs: Vec<Value> = vec!["$null".into()];
            for (a, b) in refs {
                objs.push(dict(vec![("a", uid(a)), ("NS.objects", Value::Array(vec![uid(b)]))]));
            }
            let _ = resolve(&archive(objs, root));
        }
    }
}
