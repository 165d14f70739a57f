//! A dumpstate (`adb bugreport`) text cut into sections, in one pass over the whole text.
//!
//! A dumpstate file is a long text made of
//! * command sections: `------ TITLE (command) ------`, ending at the next such line (dumpstate writes
//!   `------ 0.012s was the duration of 'TITLE' ------` after each; a bare `------` line also ends one);
//! * service sections (inside the `------ DUMPSYS (dumpsys) ------` command sections, also `DUMPSYS
//!   CRITICAL`, `DUMPSYS HIGH`): `DUMP OF SERVICE name:`, with vendor and priority variants
//!   (`DUMP OF SERVICE CRITICAL name:`, `DUMP OF SERVICE HIGH name:`), ending at the
//!   `--------- N.NNNs was the duration of dumpsys name` line, at the 78-dash delimiter, or at the next
//!   header.
//!
//! [`Dumpstate::parse`] finds every header with `memchr` over lines and keeps only byte ranges, so the
//! text is read and split once and then shared (`Arc<Dumpstate>`) by every module. The number of
//! sections and the length of names are bounded; any input (binary garbage included) is accepted.

use std::borrow::Cow;
use std::ops::Range;

/// At most this many sections are indexed (a real dumpstate has a few hundred).
pub const MAX_SECTIONS: usize = 100_000;
/// Names and titles longer than this are not headers.
const MAX_NAME: usize = 256;
/// The delimiter dumpstate writes between services (78 dashes and more).
const DELIMITER: &[u8] =
    b"------------------------------------------------------------------------------";

/// What kind of header opened a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// `DUMP OF SERVICE [PRIORITY ]name:`
    Service,
    /// `------ TITLE (command) ------`
    Command,
}

/// One section: its header's fields and the byte range of its body (the lines after the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: SectionKind,
    /// The service name (`package`) or the command section's title (`SYSTEM PROPERTIES`).
    pub name: String,
    /// The command in parentheses of a command header (`getprop`), if any.
    pub command: Option<String>,
    /// The priority of a service header (`CRITICAL`, `HIGH`, `NORMAL`), if any.
    pub priority: Option<String>,
    /// Byte offset of the header line.
    pub header: usize,
    /// The body's byte range.
    pub body: Range<usize>,
}

/// A dumpstate text and its sections.
#[derive(Debug, Default)]
pub struct Dumpstate {
    data: Vec<u8>,
    sections: Vec<Section>,
    /// More than [`MAX_SECTIONS`] headers: the rest were not indexed.
    pub truncated: bool,
    /// The logical path the text was read from.
    pub path: String,
}

enum Header<'a> {
    Service {
        priority: Option<&'a [u8]>,
        name: &'a [u8],
    },
    Command {
        title: &'a [u8],
        command: Option<&'a [u8]>,
    },
    /// `------ N was the duration of 'X' ------` or a bare `------`.
    CommandEnd,
    /// `--------- N.NNNs was the duration of dumpsys name` or the dash delimiter.
    ServiceEnd,
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

fn classify(line: &[u8]) -> Option<Header<'_>> {
    match line.first()? {
        b'D' => {
            let rest = line.strip_prefix(b"DUMP OF SERVICE ")?;
            let rest = trim(rest);
            let rest = rest.strip_suffix(b":")?;
            let (priority, name) = ["CRITICAL ", "HIGH ", "NORMAL "]
                .iter()
                .find_map(|p| {
                    rest.strip_prefix(p.as_bytes())
                        .map(|n| (Some(trim(&p.as_bytes()[..p.len() - 1])), n))
                })
                .unwrap_or((None, rest));
            let name = trim(name);
            if name.is_empty() || name.len() > MAX_NAME || name.contains(&b' ') {
                return None;
            }
            Some(Header::Service { priority, name })
        }
        b'-' => {
            let line = trim(line);
            if line == b"------" {
                return Some(Header::CommandEnd);
            }
            if line.starts_with(DELIMITER) {
                return Some(Header::ServiceEnd);
            }
            if line.starts_with(b"--------- ") {
                return memchr::memmem::find(line, b"was the duration of")
                    .map(|_| Header::ServiceEnd);
            }
            let inner = line.strip_prefix(b"------ ")?.strip_suffix(b" ------")?;
            let inner = trim(inner);
            if inner.is_empty() || inner.len() > MAX_NAME * 4 {
                return None;
            }
            if memchr::memmem::find(inner, b"was the duration of").is_some() {
                return Some(Header::CommandEnd);
            }
            // `TITLE (command)`: the command is in the first parenthesis of the line.
            if inner.ends_with(b")")
                && let Some(open) = memchr::memchr(b'(', inner)
            {
                let title = trim(&inner[..open]);
                let command = &inner[open + 1..inner.len() - 1];
                if !title.is_empty() {
                    return Some(Header::Command {
                        title,
                        command: Some(command),
                    });
                }
            }
            Some(Header::Command {
                title: inner,
                command: None,
            })
        }
        _ => None,
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Dumpstate {
    /// Splits a dumpstate text. Never fails: a text without headers simply has no sections.
    pub fn parse(data: Vec<u8>) -> Self {
        let mut sections: Vec<Section> = Vec::new();
        let mut truncated = false;
        let mut open_service: Option<usize> = None;
        let mut open_command: Option<usize> = None;
        let len = data.len();
        let mut start = 0usize;
        while start < len {
            let nl = memchr::memchr(b'\n', &data[start..]).map(|i| start + i);
            let end = nl.unwrap_or(len);
            let next = nl.map(|i| i + 1).unwrap_or(len);
            let first = data[start];
            if (first == b'D' || first == b'-')
                && let Some(h) = classify(&data[start..end])
            {
                let close = |sections: &mut Vec<Section>, idx: &mut Option<usize>| {
                    if let Some(i) = idx.take() {
                        sections[i].body.end = start.max(sections[i].body.start);
                    }
                };
                match h {
                    Header::ServiceEnd => close(&mut sections, &mut open_service),
                    Header::CommandEnd => {
                        close(&mut sections, &mut open_service);
                        close(&mut sections, &mut open_command);
                    }
                    Header::Service { priority, name } => {
                        close(&mut sections, &mut open_service);
                        if sections.len() < MAX_SECTIONS {
                            sections.push(Section {
                                kind: SectionKind::Service,
                                name: lossy(name),
                                command: None,
                                priority: priority.map(lossy),
                                header: start,
                                body: next..len,
                            });
                            open_service = Some(sections.len() - 1);
                        } else {
                            truncated = true;
                        }
                    }
                    Header::Command { title, command } => {
                        close(&mut sections, &mut open_service);
                        close(&mut sections, &mut open_command);
                        if sections.len() < MAX_SECTIONS {
                            sections.push(Section {
                                kind: SectionKind::Command,
                                name: lossy(title),
                                command: command.map(lossy),
                                priority: None,
                                header: start,
                                body: next..len,
                            });
                            open_command = Some(sections.len() - 1);
                        } else {
                            truncated = true;
                        }
                    }
                }
            }
            start = next;
        }
        Dumpstate {
            data,
            sections,
            truncated,
            path: String::new(),
        }
    }

    /// The whole text.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// Every section, in the order of the text.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The body of a section.
    pub fn body(&self, s: &Section) -> &[u8] {
        let end = s.body.end.min(self.data.len());
        let start = s.body.start.min(end);
        &self.data[start..end]
    }

    /// Every service section named `name` (a service may be dumped at several priorities).
    pub fn services<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Section> + 'a {
        self.sections
            .iter()
            .filter(move |s| s.kind == SectionKind::Service && s.name == name)
    }

    /// The body of service `name` (the longest when it was dumped more than once), as text.
    pub fn service(&self, name: &str) -> Option<Cow<'_, str>> {
        self.services(name)
            .max_by_key(|s| s.body.len())
            .map(|s| String::from_utf8_lossy(self.body(s)))
    }

    /// The first command section accepted by `pred`, as text.
    pub fn command(&self, pred: impl Fn(&Section) -> bool) -> Option<Cow<'_, str>> {
        self.sections
            .iter()
            .find(|s| s.kind == SectionKind::Command && pred(s))
            .map(|s| String::from_utf8_lossy(self.body(s)))
    }

    /// The `------ SYSTEM PROPERTIES (getprop) ------` section.
    pub fn getprop(&self) -> Option<Cow<'_, str>> {
        self.command(|s| {
            s.name.eq_ignore_ascii_case("SYSTEM PROPERTIES")
                || s.command.as_deref().is_some_and(|c| c.trim() == "getprop")
        })
    }

    /// The value of one system property (from the getprop section).
    pub fn property(&self, name: &str) -> Option<String> {
        let text = self.getprop()?;
        parse_getprop(&text)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The device's time zone (`persist.sys.timezone`), when the getprop section gives it.
    pub fn timezone(&self) -> Option<String> {
        self.property("persist.sys.timezone")
            .filter(|v| !v.trim().is_empty())
    }
}

/// Parses `[name]: [value]` lines (getprop output).
pub fn parse_getprop(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix('[') else {
            continue;
        };
        let Some((name, rest)) = rest.split_once("]: [") else {
            continue;
        };
        let Some(value) = rest.strip_suffix(']') else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        out.push((name.to_string(), value.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = "\
== dumpstate: 2024-01-01 10:00:00
------ SYSTEM PROPERTIES (getprop) ------
[persist.sys.timezone]: [Europe/Paris]
[ro.build.version.sdk]: [34]
------ 0.012s was the duration of 'SYSTEM PROPERTIES' ------
------ DUMPSYS CRITICAL (/system/bin/dumpsys) ------
-------------------------------------------------------------------------------
DUMP OF SERVICE CRITICAL cpuinfo:
load: 1.0
--------- 0.001s was the duration of dumpsys cpuinfo, ending at: 2024-01-01 10:00:01
------ 1.0s was the duration of 'DUMPSYS CRITICAL' ------
------ DUMPSYS (dumpsys) ------
-------------------------------------------------------------------------------
DUMP OF SERVICE HIGH adb:
adb body
-------------------------------------------------------------------------------
DUMP OF SERVICE package:
Packages:
  Package [com.a] (1):
--------- 0.053s was the duration of dumpsys package
DUMP OF SERVICE appops:
appops body
------ 2.0s was the duration of 'DUMPSYS' ------
------ PROCESSES AND THREADS (ps -A -T) ------
USER PID
";

    #[test]
    fn splits_headers_and_variants() {
        let d = Dumpstate::parse(SAMPLE.as_bytes().to_vec());
        let names: Vec<_> = d
            .sections()
            .iter()
            .map(|s| (s.kind, s.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                (SectionKind::Command, "SYSTEM PROPERTIES"),
                (SectionKind::Command, "DUMPSYS CRITICAL"),
                (SectionKind::Service, "cpuinfo"),
                (SectionKind::Command, "DUMPSYS"),
                (SectionKind::Service, "adb"),
                (SectionKind::Service, "package"),
                (SectionKind::Service, "appops"),
                (SectionKind::Command, "PROCESSES AND THREADS"),
            ]
        );
        assert_eq!(d.service("cpuinfo").unwrap(), "load: 1.0\n");
        assert_eq!(
            d.services("cpuinfo").next().unwrap().priority.as_deref(),
            Some("CRITICAL")
        );
        assert_eq!(d.service("adb").unwrap(), "adb body\n");
        assert_eq!(
            d.service("package").unwrap(),
            "Packages:\n  Package [com.a] (1):\n"
        );
        assert_eq!(d.service("appops").unwrap(), "appops body\n");
        assert_eq!(d.timezone().as_deref(), Some("Europe/Paris"));
        assert_eq!(d.property("ro.build.version.sdk").as_deref(), Some("34"));
        let ps = d.command(|s| s.name.starts_with("PROCESSES")).unwrap();
        assert_eq!(ps, "USER PID\n");
        assert_eq!(d.sections()[7].command.as_deref(), Some("ps -A -T"));
        assert!(d.service("missing").is_none());
    }

    #[test]
    fn crlf_and_no_trailing_newline() {
        let d =
            Dumpstate::parse(b"DUMP OF SERVICE x:\r\nline\r\nDUMP OF SERVICE y:\r\nend".to_vec());
        assert_eq!(d.service("x").unwrap(), "line\r\n");
        assert_eq!(d.service("y").unwrap(), "end");
    }

    #[test]
    fn not_headers() {
        let d =
            Dumpstate::parse(b"DUMP OF SERVICE :\nDUMP OF SERVICE a b:\n------ \n-\nD\n".to_vec());
        assert!(d.sections().is_empty());
    }

    proptest! {
        #[test]
        fn never_panics_on_garbage(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let d = Dumpstate::parse(data);
            for s in d.sections() {
                prop_assert!(s.body.start <= s.body.end);
                let _ = d.body(s);
            }
            let _ = d.timezone();
        }

        #[test]
        fn never_panics_on_header_soup(parts in proptest::collection::vec(
            prop_oneof![
                Just("DUMP OF SERVICE a:\n".to_string()),
                Just("DUMP OF SERVICE HIGH b:\n".to_string()),
                Just("------ X (y) ------\n".to_string()),
                Just("------ 1s was the duration of 'X' ------\n".to_string()),
                Just("--------- 0.1s was the duration of dumpsys a\n".to_string()),
                Just("------\n".to_string()),
                Just(format!("{}\n", "-".repeat(79))),
                "[a-z \\[\\]:-]{0,20}\n",
                "[\\x00-\\xff]{0,8}",
            ], 0..60)) {
            let text: String = parts.concat();
            let d = Dumpstate::parse(text.into_bytes());
            for s in d.sections() {
                prop_assert!(s.body.start <= s.body.end && s.body.end <= d.bytes().len());
            }
        }
    }
}
