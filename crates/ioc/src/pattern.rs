//! STIX 2.1 patterning language: tokenizer, recursive-descent parser and the extraction of the
//! equality leaves the index can evaluate.
//!
//! Grammar (STIX 2.1 §9, simplified where the difference does not matter for evaluation):
//! ```text
//! pattern      := obs_followed EOF
//! obs_followed := obs_or ( FOLLOWEDBY obs_or )*
//! obs_or       := obs_and ( OR obs_and )*
//! obs_and      := obs_unit ( AND obs_unit )*
//! obs_unit     := ( '[' cmp_or ']' | '(' obs_followed ')' ) qualifier*
//! qualifier    := WITHIN number SECONDS | REPEATS int TIMES | START t'..' STOP t'..'
//! cmp_or       := cmp_and ( OR cmp_and )*
//! cmp_and      := cmp_unit ( AND cmp_unit )*
//! cmp_unit     := '(' cmp_or ')' | EXISTS path | path NOT? op literal
//! path         := type ':' key ( '.' key | '[' (int | '*') ']' )*      key: ident | 'quoted'
//! ```

use crate::IndicatorKind;
use std::fmt;

/// Maximum nesting of parentheses/brackets in a pattern.
pub const MAX_DEPTH: usize = 64;
/// Maximum pattern length in bytes.
pub const MAX_LEN: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset in the pattern where the problem was found.
    pub pos: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at position {}: {}", self.pos, self.message)
    }
}
impl std::error::Error for ParseError {}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Binary(String),
    Hex(String),
    Timestamp(String),
    Set(Vec<Literal>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Neq,
    Gt,
    Lt,
    Ge,
    Le,
    In,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
    Exists,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Key(String),
    /// `[n]`, or `[*]` as `None`.
    Index(Option<i64>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    pub object_type: String,
    pub steps: Vec<PathStep>,
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, s) in self.steps.iter().enumerate() {
            match s {
                PathStep::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?
                }
                PathStep::Index(Some(n)) => write!(f, "[{n}]")?,
                PathStep::Index(None) => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub path: ObjectPath,
    pub negated: bool,
    pub op: Op,
    /// `None` for `EXISTS`.
    pub value: Option<Literal>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CmpExpr {
    Or(Vec<CmpExpr>),
    And(Vec<CmpExpr>),
    Test(Comparison),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    Within(f64),
    Repeats(i64),
    StartStop(String, String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ObsExpr {
    Observation(CmpExpr),
    And(Vec<ObsExpr>),
    Or(Vec<ObsExpr>),
    FollowedBy(Vec<ObsExpr>),
    Qualified(Box<ObsExpr>, Qualifier),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LBracket,
    RBracket,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
    Op(Op),
    /// Identifiers and keywords (AND, OR, NOT, …), as written.
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Prefixed(char, String),
}

fn err<T>(pos: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        pos,
        message: message.into(),
    })
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, ParseError> {
    if src.len() > MAX_LEN {
        return err(MAX_LEN, format!("pattern longer than {MAX_LEN} bytes"));
    }
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b':' => Tok::Colon,
            b'.' => Tok::Dot,
            b',' => Tok::Comma,
            b'*' => Tok::Star,
            b'=' => Tok::Op(Op::Eq),
            b'!' if b.get(i + 1) == Some(&b'=') => {
                i += 1;
                Tok::Op(Op::Neq)
            }
            b'<' if b.get(i + 1) == Some(&b'>') => {
                i += 1;
                Tok::Op(Op::Neq)
            }
            b'<' if b.get(i + 1) == Some(&b'=') => {
                i += 1;
                Tok::Op(Op::Le)
            }
            b'>' if b.get(i + 1) == Some(&b'=') => {
                i += 1;
                Tok::Op(Op::Ge)
            }
            b'<' => Tok::Op(Op::Lt),
            b'>' => Tok::Op(Op::Gt),
            b'\'' => {
                let (s, end) = lex_string(src, i)?;
                out.push((start, Tok::Str(s)));
                i = end;
                continue;
            }
            b'-' | b'+' | b'0'..=b'9' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                    j += 1;
                }
                let text = &src[i..j];
                let tok = if text.contains('.') {
                    Tok::Float(text.parse().map_err(|_| ParseError {
                        pos: i,
                        message: format!("bad number {text:?}"),
                    })?)
                } else {
                    Tok::Int(text.parse().map_err(|_| ParseError {
                        pos: i,
                        message: format!("bad number {text:?}"),
                    })?)
                };
                out.push((start, tok));
                i = j;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                // Prefixed literals: t'..', b'..', h'..'.
                if matches!(c, b't' | b'b' | b'h') && b.get(i + 1) == Some(&b'\'') {
                    let (s, end) = lex_string(src, i + 1)?;
                    out.push((start, Tok::Prefixed(c as char, s)));
                    i = end;
                    continue;
                }
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-')
                {
                    j += 1;
                }
                out.push((start, Tok::Ident(src[i..j].to_string())));
                i = j;
                continue;
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return err(i, format!("unexpected character {ch:?}"));
            }
        };
        out.push((start, tok));
        i += 1;
    }
    Ok(out)
}

/// Lex a quoted string starting at the `'` at byte `start`; returns the value and the index after
/// the closing quote. Escapes: `\'` and `\\` (any other escaped character is kept as is).
fn lex_string(src: &str, start: usize) -> Result<(String, usize), ParseError> {
    let mut s = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((k, ch)) = chars.next() {
        match ch {
            '\'' => return Ok((s, start + 1 + k + 1)),
            '\\' => match chars.next() {
                Some((_, e)) => s.push(e),
                None => break,
            },
            c => s.push(c),
        }
    }
    err(start, "unterminated string literal")
}

struct Parser<'a> {
    toks: &'a mut [(usize, Tok)],
    i: usize,
    end: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|(_, t)| t)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.i).map(|(p, _)| *p).unwrap_or(self.end)
    }
    fn next(&mut self) -> Option<Tok> {
        // Tokens are consumed once: move them out instead of cloning their strings.
        let t = self
            .toks
            .get_mut(self.i)
            .map(|(_, t)| std::mem::replace(t, Tok::Comma));
        self.i += 1;
        t
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, t: Tok, what: &str) -> Result<(), ParseError> {
        let pos = self.pos();
        match self.next() {
            Some(x) if x == t => Ok(()),
            Some(x) => err(pos, format!("expected {what}, found {}", describe(&x))),
            None => err(pos, format!("expected {what}, found end of pattern")),
        }
    }
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            err(self.pos(), format!("nesting deeper than {MAX_DEPTH}"))
        } else {
            Ok(())
        }
    }

    fn obs_followed(&mut self) -> Result<ObsExpr, ParseError> {
        let mut v = vec![self.obs_or()?];
        while self.eat_kw("FOLLOWEDBY") {
            v.push(self.obs_or()?);
        }
        Ok(if v.len() == 1 {
            v.pop().unwrap_or(ObsExpr::Or(vec![]))
        } else {
            ObsExpr::FollowedBy(v)
        })
    }
    fn obs_or(&mut self) -> Result<ObsExpr, ParseError> {
        let mut v = vec![self.obs_and()?];
        while self.eat_kw("OR") {
            v.push(self.obs_and()?);
        }
        Ok(if v.len() == 1 {
            v.pop().unwrap_or(ObsExpr::Or(vec![]))
        } else {
            ObsExpr::Or(v)
        })
    }
    fn obs_and(&mut self) -> Result<ObsExpr, ParseError> {
        let mut v = vec![self.obs_unit()?];
        while self.eat_kw("AND") {
            v.push(self.obs_unit()?);
        }
        Ok(if v.len() == 1 {
            v.pop().unwrap_or(ObsExpr::And(vec![]))
        } else {
            ObsExpr::And(v)
        })
    }
    fn obs_unit(&mut self) -> Result<ObsExpr, ParseError> {
        self.enter()?;
        let pos = self.pos();
        let mut e = match self.next() {
            Some(Tok::LBracket) => {
                let c = self.cmp_or()?;
                self.expect(Tok::RBracket, "']'")?;
                ObsExpr::Observation(c)
            }
            Some(Tok::LParen) => {
                let e = self.obs_followed()?;
                self.expect(Tok::RParen, "')'")?;
                e
            }
            Some(t) => return err(pos, format!("expected '[' or '(', found {}", describe(&t))),
            None => return err(pos, "expected '[' or '(', found end of pattern"),
        };
        loop {
            let q = if self.eat_kw("WITHIN") {
                let pos = self.pos();
                let n = match self.next() {
                    Some(Tok::Int(n)) => n as f64,
                    Some(Tok::Float(f)) => f,
                    _ => return err(pos, "expected a number after WITHIN"),
                };
                if !self.eat_kw("SECONDS") {
                    return err(self.pos(), "expected SECONDS");
                }
                Qualifier::Within(n)
            } else if self.eat_kw("REPEATS") {
                let pos = self.pos();
                let Some(Tok::Int(n)) = self.next() else {
                    return err(pos, "expected an integer after REPEATS");
                };
                if !self.eat_kw("TIMES") {
                    return err(self.pos(), "expected TIMES");
                }
                Qualifier::Repeats(n)
            } else if self.eat_kw("START") {
                let pos = self.pos();
                let Some(Tok::Prefixed('t', a)) = self.next() else {
                    return err(pos, "expected t'…' after START");
                };
                if !self.eat_kw("STOP") {
                    return err(self.pos(), "expected STOP");
                }
                let pos = self.pos();
                let Some(Tok::Prefixed('t', b)) = self.next() else {
                    return err(pos, "expected t'…' after STOP");
                };
                Qualifier::StartStop(a, b)
            } else {
                break;
            };
            e = ObsExpr::Qualified(Box::new(e), q);
        }
        self.depth -= 1;
        Ok(e)
    }

    fn cmp_or(&mut self) -> Result<CmpExpr, ParseError> {
        let mut v = vec![self.cmp_and()?];
        while self.eat_kw("OR") {
            v.push(self.cmp_and()?);
        }
        Ok(if v.len() == 1 {
            v.pop().unwrap_or(CmpExpr::Or(vec![]))
        } else {
            CmpExpr::Or(v)
        })
    }
    fn cmp_and(&mut self) -> Result<CmpExpr, ParseError> {
        let mut v = vec![self.cmp_unit()?];
        while self.eat_kw("AND") {
            v.push(self.cmp_unit()?);
        }
        Ok(if v.len() == 1 {
            v.pop().unwrap_or(CmpExpr::And(vec![]))
        } else {
            CmpExpr::And(v)
        })
    }
    fn cmp_unit(&mut self) -> Result<CmpExpr, ParseError> {
        if self.peek() == Some(&Tok::LParen) {
            self.enter()?;
            self.i += 1;
            let c = self.cmp_or()?;
            self.expect(Tok::RParen, "')'")?;
            self.depth -= 1;
            return Ok(c);
        }
        if self.eat_kw("EXISTS") {
            let path = self.path()?;
            return Ok(CmpExpr::Test(Comparison {
                path,
                negated: false,
                op: Op::Exists,
                value: None,
            }));
        }
        let path = self.path()?;
        let negated = self.eat_kw("NOT");
        let pos = self.pos();
        let op = match self.next() {
            Some(Tok::Op(op)) => op,
            Some(Tok::Ident(s)) => match s.to_ascii_uppercase().as_str() {
                "IN" => Op::In,
                "LIKE" => Op::Like,
                "MATCHES" => Op::Matches,
                "ISSUBSET" => Op::IsSubset,
                "ISSUPERSET" => Op::IsSuperset,
                _ => return err(pos, format!("expected a comparison operator, found {s:?}")),
            },
            Some(t) => {
                return err(
                    pos,
                    format!("expected a comparison operator, found {}", describe(&t)),
                );
            }
            None => return err(pos, "expected a comparison operator, found end of pattern"),
        };
        let value = if op == Op::In {
            self.set()?
        } else {
            self.literal()?
        };
        match (&op, &value) {
            (Op::Like | Op::Matches | Op::IsSubset | Op::IsSuperset, Literal::Str(_)) => {}
            (Op::Like | Op::Matches | Op::IsSubset | Op::IsSuperset, _) => {
                return err(pos, "this operator needs a string literal");
            }
            _ => {}
        }
        Ok(CmpExpr::Test(Comparison {
            path,
            negated,
            op,
            value: Some(value),
        }))
    }
    fn path(&mut self) -> Result<ObjectPath, ParseError> {
        let pos = self.pos();
        let object_type = match self.next() {
            Some(Tok::Ident(s)) => s,
            Some(t) => {
                return err(
                    pos,
                    format!("expected an object type, found {}", describe(&t)),
                );
            }
            None => return err(pos, "expected an object type, found end of pattern"),
        };
        self.expect(Tok::Colon, "':' after the object type")?;
        let mut steps = vec![self.key()?];
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.i += 1;
                    steps.push(self.key()?);
                }
                Some(Tok::LBracket) => {
                    self.i += 1;
                    let pos = self.pos();
                    let idx = match self.next() {
                        Some(Tok::Int(n)) => Some(n),
                        Some(Tok::Star) => None,
                        _ => return err(pos, "expected an index or '*'"),
                    };
                    self.expect(Tok::RBracket, "']'")?;
                    steps.push(PathStep::Index(idx));
                }
                _ => break,
            }
        }
        Ok(ObjectPath { object_type, steps })
    }
    fn key(&mut self) -> Result<PathStep, ParseError> {
        let pos = self.pos();
        match self.next() {
            Some(Tok::Ident(s)) | Some(Tok::Str(s)) => Ok(PathStep::Key(s)),
            Some(t) => err(
                pos,
                format!("expected a property name, found {}", describe(&t)),
            ),
            None => err(pos, "expected a property name, found end of pattern"),
        }
    }
    fn literal(&mut self) -> Result<Literal, ParseError> {
        let pos = self.pos();
        Ok(match self.next() {
            Some(Tok::Str(s)) => Literal::Str(s),
            Some(Tok::Int(n)) => Literal::Int(n),
            Some(Tok::Float(f)) => Literal::Float(f),
            Some(Tok::Prefixed('t', s)) => Literal::Timestamp(s),
            Some(Tok::Prefixed('b', s)) => Literal::Binary(s),
            Some(Tok::Prefixed(_, s)) => Literal::Hex(s),
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(t) => return err(pos, format!("expected a literal, found {}", describe(&t))),
            None => return err(pos, "expected a literal, found end of pattern"),
        })
    }
    fn set(&mut self) -> Result<Literal, ParseError> {
        self.expect(Tok::LParen, "'(' after IN")?;
        let mut v = vec![self.literal()?];
        while self.peek() == Some(&Tok::Comma) {
            self.i += 1;
            v.push(self.literal()?);
        }
        self.expect(Tok::RParen, "')' closing the IN set")?;
        Ok(Literal::Set(v))
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::LBracket => "'['".into(),
        Tok::RBracket => "']'".into(),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Colon => "':'".into(),
        Tok::Dot => "'.'".into(),
        Tok::Comma => "','".into(),
        Tok::Star => "'*'".into(),
        Tok::Op(o) => format!("operator {o:?}"),
        Tok::Ident(s) => format!("{s:?}"),
        Tok::Str(_) => "a string".into(),
        Tok::Int(_) | Tok::Float(_) => "a number".into(),
        Tok::Prefixed(..) => "a literal".into(),
    }
}

/// Parse a STIX 2.1 pattern.
pub fn parse(src: &str) -> Result<ObsExpr, ParseError> {
    let mut toks = lex(src)?;
    let n = toks.len();
    let mut p = Parser {
        toks: &mut toks,
        i: 0,
        end: src.len(),
        depth: 0,
    };
    let e = p.obs_followed()?;
    if p.i < n {
        let pos = p.pos();
        let what = describe(&p.toks[p.i].1);
        return err(
            pos,
            format!("unexpected {what} after the end of the pattern"),
        );
    }
    Ok(e)
}

/// The commonest pattern shape, `[path = 'value']` with one of the plain paths (`domain-name:value`,
/// `url:value`, `process:name`…) and a value without escapes, read without the full parser: the
/// loader's fast path for large sets. `None` for anything else (then use [`parse`]); when `Some`,
/// it is exactly the single leaf `extract(&parse(p)?)` gives.
pub fn simple(p: &str) -> Option<(IndicatorKind, &str)> {
    use IndicatorKind as K;
    if p.len() > MAX_LEN {
        return None;
    }
    let ws: &[char] = &[' ', '\t', '\r', '\n'];
    let inner = p
        .trim_matches(ws)
        .strip_prefix('[')?
        .strip_suffix(']')?
        .trim_matches(ws);
    let (path, rest) = inner.split_once('=')?;
    let kind = match path.trim_end_matches(ws) {
        "domain-name:value" => K::Domain,
        "url:value" => K::Url,
        "ipv4-addr:value" => K::Ipv4,
        "ipv6-addr:value" => K::Ipv6,
        "process:name" => K::ProcessName,
        "email-addr:value" => K::Email,
        "file:name" => K::FileName,
        "file:path" => K::FilePath,
        "app:id" => K::AppId,
        "configuration-profile:id" => K::ConfigurationProfileId,
        "android-property:name" => K::AndroidProperty,
        _ => return None,
    };
    let v = rest
        .trim_start_matches(ws)
        .strip_prefix('\'')?
        .strip_suffix('\'')?;
    if v.contains(['\'', '\\']) {
        return None;
    }
    Some((kind, v))
}

/// The indicator kind an object path denotes, if telltale evaluates it.
pub fn kind_of(path: &ObjectPath) -> Option<IndicatorKind> {
    let keys: Vec<&str> = path
        .steps
        .iter()
        .map(|s| match s {
            PathStep::Key(k) => Some(k.as_str()),
            PathStep::Index(_) => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let hash = |h: &str| -> Option<u8> {
        match h.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "md5" => Some(0),
            "sha1" => Some(1),
            "sha256" => Some(2),
            _ => None,
        }
    };
    use IndicatorKind as K;
    Some(
        match (
            path.object_type.to_ascii_lowercase().as_str(),
            keys.as_slice(),
        ) {
            ("domain-name", ["value"]) => K::Domain,
            ("ipv4-addr", ["value"]) => K::Ipv4,
            ("ipv6-addr", ["value"]) => K::Ipv6,
            ("url", ["value"]) => K::Url,
            ("process", ["name"]) => K::ProcessName,
            ("email-addr", ["value"]) => K::Email,
            ("file", ["name"]) => K::FileName,
            ("file", ["path"]) => K::FilePath,
            ("file", ["hashes", h]) => [K::FileMd5, K::FileSha1, K::FileSha256][hash(h)? as usize],
            ("app", ["id"]) => K::AppId,
            ("app", ["cert", h]) => {
                [K::AppCertMd5, K::AppCertSha1, K::AppCertSha256][hash(h)? as usize]
            }
            ("x509-certificate", ["hashes", h]) => {
                [K::X509Md5, K::X509Sha1, K::X509Sha256][hash(h)? as usize]
            }
            ("configuration-profile", ["id"]) => K::ConfigurationProfileId,
            ("android-property", ["name"]) => K::AndroidProperty,
            _ => return None,
        },
    )
}

/// What the index can use from a pattern.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    /// Equality leaves; the pattern matches an observable if any of them does.
    pub leaves: Vec<(IndicatorKind, String)>,
    /// Why parts of the pattern are not evaluated (empty: the whole pattern is evaluated).
    pub unsupported: Vec<String>,
}

/// Extract the evaluable equality leaves of a pattern (sound: every leaf that matches implies the
/// pattern matches, except that qualifiers are ignored).
pub fn extract(e: &ObsExpr) -> Extracted {
    let mut x = Extracted::default();
    obs(e, &mut x);
    x
}

fn obs(e: &ObsExpr, x: &mut Extracted) {
    match e {
        ObsExpr::Observation(c) => cmp(c, x),
        ObsExpr::Or(v) => v.iter().for_each(|e| obs(e, x)),
        // Qualifiers (WITHIN, REPEATS, START/STOP) are tolerated and ignored.
        ObsExpr::Qualified(e, _) => obs(e, x),
        ObsExpr::And(_) => x
            .unsupported
            .push("AND between observation expressions".into()),
        ObsExpr::FollowedBy(_) => x
            .unsupported
            .push("FOLLOWEDBY between observation expressions".into()),
    }
}

fn cmp(c: &CmpExpr, x: &mut Extracted) {
    match c {
        CmpExpr::Or(v) => v.iter().for_each(|c| cmp(c, x)),
        CmpExpr::Test(t) => leaf(t, x),
        CmpExpr::And(v) => {
            // A conjunction about one object is only evaluable through a leaf that pins the object
            // on its own: a file hash equality (the other properties of that file are implied).
            let mut sub = Extracted::default();
            for c in v {
                if let CmpExpr::Test(t) = c {
                    let mut one = Extracted::default();
                    leaf(t, &mut one);
                    if one.unsupported.is_empty()
                        && one.leaves.len() == 1
                        && matches!(
                            one.leaves[0].0,
                            IndicatorKind::FileMd5
                                | IndicatorKind::FileSha1
                                | IndicatorKind::FileSha256
                        )
                    {
                        sub.leaves.extend(one.leaves);
                        break;
                    }
                }
            }
            if sub.leaves.is_empty() {
                x.unsupported.push("AND inside an observation".into());
            } else {
                x.leaves.extend(sub.leaves);
                x.unsupported
                    .push("AND inside an observation (only the file hash is evaluated)".into());
            }
        }
    }
}

fn leaf(t: &Comparison, x: &mut Extracted) {
    let Some(kind) = kind_of(&t.path) else {
        x.unsupported
            .push(format!("object path {} not evaluated", t.path));
        return;
    };
    if t.negated {
        x.unsupported.push(format!("NOT {:?} not evaluated", t.op));
        return;
    }
    match (&t.op, &t.value) {
        (Op::Eq, Some(Literal::Str(s))) => x.leaves.push((kind, s.clone())),
        (Op::In, Some(Literal::Set(v))) => {
            for l in v {
                match l {
                    Literal::Str(s) => x.leaves.push((kind, s.clone())),
                    _ => x.unsupported.push("non-string value in IN set".into()),
                }
            }
        }
        (Op::Eq, _) => x
            .unsupported
            .push("equality with a non-string literal".into()),
        (op, _) => x.unsupported.push(format!("operator {op:?} not evaluated")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IndicatorKind as K;

    fn leaves(p: &str) -> Vec<(K, String)> {
        extract(&parse(p).unwrap()).leaves
    }

    #[test]
    fn fast_path_agrees_with_the_parser() {
        for p in [
            "[domain-name:value = 'evil.com']",
            "[domain-name:value='evil.com']",
            " \t[ domain-name:value\n=\r'Evil.COM' ] ",
            "[domain-name:value = '']",
            "[url:value = 'http://e.com/?a=b&c=d']",
            "[process:name = 'bh']",
            "[file:path = '/private/var/x/']",
            "[configuration-profile:id = 'ABC-123']",
            "[android-property:name = 'persist.x']",
            "[email-addr:value = 'a@b.c']",
            "[app:id = 'com.x']",
            "[ipv4-addr:value = '1.2.3.4']",
            "[ipv6-addr:value = '::1']",
            "[file:name = 'a b']",
            "[domain-name:value = 'bücher.de']",
        ] {
            let fast = simple(p).unwrap_or_else(|| panic!("no fast path for {p}"));
            let x = extract(&parse(p).unwrap());
            assert!(x.unsupported.is_empty(), "{p}");
            assert_eq!(x.leaves, vec![(fast.0, fast.1.to_string())], "{p}");
        }
        for p in [
            "[domain-name:value != 'evil.com']",
            "[domain-name:value <= 'evil.com']",
            "[domain-name:value = 'a' OR domain-name:value = 'b']",
            "[domain-name:value = 'it\\'s']",
            "[domain-name:value = 'evil.com'] WITHIN 5 SECONDS",
            "[domain-name:value = 'a'] AND [domain-name:value = 'b']",
            "[Domain-Name:value = 'evil.com']",
            "[domain-name : value = 'evil.com']",
            "[file:hashes.'SHA-256' = 'ab']",
            "[domain-name:value IN ('a', 'b')]",
            "[domain-name:value = 'x'",
            "[domain-name:value = x]",
            "\u{a0}[domain-name:value = 'x']",
        ] {
            assert_eq!(simple(p), None, "{p}");
        }
    }

    #[test]
    fn simple_and_escapes() {
        assert_eq!(
            leaves("[domain-name:value = 'evil.com']"),
            vec![(K::Domain, "evil.com".into())]
        );
        assert_eq!(
            leaves(r"[file:name = 'it\'s \\ x']"),
            vec![(K::FileName, r"it's \ x".into())]
        );
        assert_eq!(
            leaves("[url:value='http://e.com/?a=b&c=d']"),
            vec![(K::Url, "http://e.com/?a=b&c=d".into())]
        );
    }

    #[test]
    fn quoted_keys_and_hash_spellings() {
        for p in [
            "[file:hashes.'SHA-256' = 'AB']",
            "[file:hashes.sha256 = 'AB']",
            "[file:hashes.SHA256='AB']",
        ] {
            assert_eq!(leaves(p), vec![(K::FileSha256, "AB".into())], "{p}");
        }
        assert_eq!(
            leaves("[file:hashes.'SHA-1' = 'a']"),
            vec![(K::FileSha1, "a".into())]
        );
        assert_eq!(
            leaves("[file:hashes.md5 = 'a']"),
            vec![(K::FileMd5, "a".into())]
        );
        assert_eq!(
            leaves("[file:hashes.MD5 = 'a']"),
            vec![(K::FileMd5, "a".into())]
        );
        assert_eq!(
            leaves("[app:cert.sha1 = 'a']"),
            vec![(K::AppCertSha1, "a".into())]
        );
        assert_eq!(
            leaves("[app:cert.'SHA-256' = 'a']"),
            vec![(K::AppCertSha256, "a".into())]
        );
    }

    #[test]
    fn or_in_and_qualifiers() {
        assert_eq!(
            leaves(
                "[domain-name:value = 'a.com' OR process:name = 'bh'] OR [email-addr:value IN ('x@y.z', 'q@r.s')]"
            ),
            vec![
                (K::Domain, "a.com".into()),
                (K::ProcessName, "bh".into()),
                (K::Email, "x@y.z".into()),
                (K::Email, "q@r.s".into())
            ]
        );
        let x = extract(&parse("[domain-name:value = 'a.com'] WITHIN 300 SECONDS").unwrap());
        assert_eq!(x.leaves.len(), 1);
        assert!(x.unsupported.is_empty());
        let x = extract(&parse("[domain-name:value = 'a.com'] AND [process:name = 'bh']").unwrap());
        assert!(x.leaves.is_empty());
        assert_eq!(x.unsupported.len(), 1);
        let x = extract(&parse("[file:name = 'a' AND file:hashes.'SHA-256' = 'ff']").unwrap());
        assert_eq!(x.leaves, vec![(K::FileSha256, "ff".into())]);
        let x = extract(&parse("[file:name = 'a' AND process:name = 'b']").unwrap());
        assert!(x.leaves.is_empty());
        let x = extract(&parse("([a:b = 'x'] FOLLOWEDBY [c:d = 'y']) REPEATS 2 TIMES").unwrap());
        assert!(x.leaves.is_empty() && !x.unsupported.is_empty());
        let x = extract(
            &parse("[domain-name:value = 'a.com'] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'").unwrap(),
        );
        assert_eq!(x.leaves.len(), 1);
    }

    #[test]
    fn unsupported_operators() {
        for p in [
            "[domain-name:value LIKE '%.evil.com']",
            "[domain-name:value MATCHES '^evil']",
            "[domain-name:value != 'a.com']",
            "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
            "[ipv4-addr:value ISSUPERSET '10.0.0.0/8']",
            "[domain-name:value NOT = 'a']",
            "[file:size > 10]",
            "[x-custom:foo = 'a']",
            "[file:extensions[*].x = 'a']",
            "[EXISTS file:name]",
        ] {
            let x = extract(&parse(p).unwrap_or_else(|e| panic!("{p}: {e}")));
            assert!(x.leaves.is_empty(), "{p}");
            assert!(!x.unsupported.is_empty(), "{p}");
        }
        // OR with one unsupported branch: the other branch is still evaluated.
        let x = extract(
            &parse("[domain-name:value = 'a.com' OR domain-name:value LIKE '%b']").unwrap(),
        );
        assert_eq!(x.leaves.len(), 1);
        assert_eq!(x.unsupported.len(), 1);
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("[domain-name:value = 'a.com'").unwrap_err();
        assert_eq!(e.pos, 28);
        let e = parse("[domain-name:value = 'a.com]").unwrap_err();
        assert_eq!(e.pos, 21);
        assert!(e.message.contains("unterminated"));
        let e = parse("[domain-name value = 'a']").unwrap_err();
        assert_eq!(e.pos, 13);
        let e = parse("[domain-name:value ~ 'a']").unwrap_err();
        assert_eq!(e.pos, 19);
        let e = parse("[a:b = 'x'] junk").unwrap_err();
        assert_eq!(e.pos, 12);
        assert!(parse("").is_err());
        assert!(parse("[a:b LIKE 3]").is_err());
        let deep = format!("{}[a:b = 'x']{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).unwrap_err().message.contains("nesting"));
        let deep = format!("[{}a:b = 'x'{}]", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).is_err());
    }
}
