//! `tombstones`: native crash reports under `FS/data/tombstones/` (text `tombstone_NN` and protobuf
//! `tombstone_NN.pb`, `debuggerd/proto/tombstone.proto`, read with a small wire-format reader).
//! Records (MVT's fields): `file_name`, `file_timestamp`, `build_fingerprint`, `revision`, `arch`,
//! `timestamp`, `process_uptime`, `command_line`, `pid`, `tid`, `process_name`, `binary_path`,
//! `selinux_label`, `uid`, `signal_info` {`number`, `name`, `code`, `code_name`}, `cause`,
//! `abort_message`. Checks: `match_process` on the process name and the command's file name (CRITICAL: a
//! crash of a process named like spyware); a crash of a process running as root, system or shell
//! MEDIUM (exploits often crash such processes). Timeline: each crash.

use jiff::Timestamp;
use serde_json::json;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, record};

use super::{DeviceClock, Shared, fmt_ts};

pub struct Tombstones(pub Shared);

const MAX_FILE: u64 = 32 << 20;
const MAX_FILES: usize = 10_000;
const DELIMITER: &str = "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***";

/// A decoded crash.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Crash {
    pub build_fingerprint: String,
    pub revision: String,
    pub arch: Option<String>,
    /// As written (with its UTC offset when the device wrote one).
    pub timestamp: String,
    pub process_uptime: Option<u64>,
    pub command_line: Vec<String>,
    pub pid: Option<u64>,
    pub tid: Option<u64>,
    pub process_name: Option<String>,
    pub binary_path: Option<String>,
    pub selinux_label: Option<String>,
    pub uid: Option<u64>,
    pub signal_number: Option<i64>,
    pub signal_name: String,
    pub code: Option<i64>,
    pub code_name: String,
    pub cause: Option<String>,
    pub abort_message: Option<String>,
}

/// Protocol buffers wire format: just enough to read fields.
pub mod pb {
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub enum Value<'a> {
        Varint(u64),
        Fixed64(u64),
        Bytes(&'a [u8]),
        Fixed32(u32),
    }

    pub struct Reader<'a> {
        buf: &'a [u8],
        pos: usize,
    }

    impl<'a> Reader<'a> {
        pub fn new(buf: &'a [u8]) -> Self {
            Reader { buf, pos: 0 }
        }

        fn varint(&mut self) -> Result<u64, String> {
            let mut v = 0u64;
            for i in 0..10 {
                let b = *self.buf.get(self.pos).ok_or("truncated varint")?;
                self.pos += 1;
                v |= u64::from(b & 0x7f) << (7 * i);
                if b & 0x80 == 0 {
                    return Ok(v);
                }
            }
            Err("varint longer than 10 bytes".into())
        }

        fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
            let end = self
                .pos
                .checked_add(n)
                .filter(|e| *e <= self.buf.len())
                .ok_or("truncated field")?;
            let s = &self.buf[self.pos..end];
            self.pos = end;
            Ok(s)
        }

        /// The next `(field number, value)`, `None` at the end.
        pub fn next_field(&mut self) -> Option<Result<(u32, Value<'a>), String>> {
            if self.pos >= self.buf.len() {
                return None;
            }
            Some(self.field())
        }

        fn field(&mut self) -> Result<(u32, Value<'a>), String> {
            let key = self.varint()?;
            let field = u32::try_from(key >> 3).map_err(|_| "field number too large")?;
            if field == 0 {
                return Err("field number 0".into());
            }
            let v = match key & 7 {
                0 => Value::Varint(self.varint()?),
                1 => Value::Fixed64(u64::from_le_bytes(
                    self.take(8)?.try_into().map_err(|_| "bad fixed64")?,
                )),
                2 => {
                    let n = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
                    Value::Bytes(self.take(n)?)
                }
                5 => Value::Fixed32(u32::from_le_bytes(
                    self.take(4)?.try_into().map_err(|_| "bad fixed32")?,
                )),
                w => return Err(format!("unsupported wire type {w}")),
            };
            Ok((field, v))
        }
    }

    /// Every field of a message (an error on malformed input).
    pub fn fields(buf: &[u8]) -> Result<Vec<(u32, Value<'_>)>, String> {
        let mut r = Reader::new(buf);
        let mut out = Vec::new();
        while let Some(f) = r.next_field() {
            out.push(f?);
        }
        Ok(out)
    }
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Decodes a protobuf tombstone.
pub fn parse_protobuf(data: &[u8]) -> Result<Crash, String> {
    use pb::Value::*;
    let mut c = Crash::default();
    let mut threads: Vec<(u64, String)> = Vec::new();
    let mut arch = 0u64;
    for (f, v) in pb::fields(data)? {
        match (f, v) {
            (1, Varint(n)) => arch = n,
            (2, Bytes(b)) => c.build_fingerprint = s(b),
            (3, Bytes(b)) => c.revision = s(b),
            (4, Bytes(b)) => c.timestamp = s(b),
            (5, Varint(n)) => c.pid = Some(n),
            (6, Varint(n)) => c.tid = Some(n),
            (7, Varint(n)) => c.uid = Some(n),
            (8, Bytes(b)) => c.selinux_label = Some(s(b)),
            (9, Bytes(b)) => c.command_line.push(s(b)),
            (10, Bytes(b)) => {
                for (sf, sv) in pb::fields(b)? {
                    match (sf, sv) {
                        (1, Varint(n)) => c.signal_number = Some(n as i32 as i64),
                        (2, Bytes(x)) => c.signal_name = s(x),
                        (3, Varint(n)) => c.code = Some(n as i32 as i64),
                        (4, Bytes(x)) => c.code_name = s(x),
                        _ => {}
                    }
                }
            }
            (14, Bytes(b)) => c.abort_message = Some(s(b)).filter(|m| !m.is_empty()),
            (15, Bytes(b)) if c.cause.is_none() => {
                for (cf, cv) in pb::fields(b)? {
                    if let (1, Bytes(x)) = (cf, cv) {
                        c.cause = Some(s(x));
                    }
                }
            }
            (16, Bytes(b)) => {
                let mut thread = None;
                for (ef, ev) in pb::fields(b)? {
                    if let (2, Bytes(t)) = (ef, ev) {
                        let mut id = 0;
                        let mut name = String::new();
                        for (tf, tv) in pb::fields(t)? {
                            match (tf, tv) {
                                (1, Varint(n)) => id = n as i32 as i64 as u64,
                                (2, Bytes(x)) => name = s(x),
                                _ => {}
                            }
                        }
                        thread = Some((id, name));
                    }
                }
                threads.extend(thread);
            }
            (20, Varint(n)) => c.process_uptime = Some(n),
            _ => {}
        }
    }
    c.arch = Some(
        ["ARM32", "ARM64", "X86", "X86_64", "RISCV64", "NONE"]
            .get(arch as usize)
            .unwrap_or(&"UNKNOWN")
            .to_string(),
    );
    c.process_name = threads
        .iter()
        .find(|(id, name)| Some(*id) == c.tid && !name.is_empty())
        .map(|(_, n)| n.clone())
        .or_else(|| {
            c.command_line
                .first()
                .map(|x| x.rsplit('/').next().unwrap_or(x).to_string())
        });
    if c.pid.is_none() && c.build_fingerprint.is_empty() {
        return Err("no tombstone fields".into());
    }
    Ok(c)
}

fn num_prefix(s: &str) -> Option<i64> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|(i, ch)| !(ch.is_ascii_digit() || (*i == 0 && *ch == '-')))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    s[..end].parse().ok()
}

/// Parses `signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr …`.
fn signal_line(line: &str, c: &mut Crash) {
    let mut parts = line.split(',');
    let name_in = |p: &str| {
        p.split_once('(')
            .and_then(|(_, r)| r.split_once(')'))
            .map(|(n, _)| n.to_string())
            .unwrap_or_else(|| "UNKNOWN".into())
    };
    if let Some(p) = parts.next()
        && let Some(rest) = p.trim().strip_prefix("signal ")
    {
        c.signal_number = num_prefix(rest);
        c.signal_name = name_in(rest);
    }
    if let Some(p) = parts.next()
        && let Some(rest) = p.trim().strip_prefix("code ")
    {
        c.code = num_prefix(rest);
        c.code_name = name_in(rest);
    }
}

/// Parses a text tombstone (the first `pid:` line is the crashing thread).
pub fn parse_text(text: &str) -> Result<Crash, String> {
    let mut c = Crash::default();
    for line in text.lines() {
        if line.trim().is_empty() || line.contains(DELIMITER) {
            continue;
        }
        let kv = |k: &str| {
            line.strip_prefix(k)
                .and_then(|r| r.strip_prefix(':'))
                .map(|v| v.trim().trim_matches('\'').to_string())
        };
        if let Some(v) = kv("Build fingerprint") {
            c.build_fingerprint = v;
        } else if let Some(v) = kv("Revision") {
            c.revision = v;
        } else if let Some(v) = kv("ABI") {
            c.arch = Some(v);
        } else if let Some(v) = kv("Timestamp") {
            c.timestamp = v;
        } else if let Some(v) = kv("Process uptime") {
            c.process_uptime = v.trim_end_matches('s').parse().ok();
        } else if let Some(v) = kv("Cmdline") {
            c.command_line = vec![v];
        } else if let Some(v) = kv("uid") {
            c.uid = v.parse().ok();
        } else if let Some(v) = kv("Cause") {
            c.cause = Some(v);
        } else if let Some(v) = kv("Abort message") {
            c.abort_message = Some(v);
        } else if line.starts_with("pid:") && c.pid.is_none() {
            let (info, binary) = match line.split_once(">>>") {
                Some((a, b)) => (a, Some(b.trim().trim_end_matches("<<<").trim().to_string())),
                None => (line, None),
            };
            for part in info.split(',') {
                let Some((k, v)) = part.split_once(':') else {
                    continue;
                };
                match k.trim() {
                    "pid" => c.pid = v.trim().parse().ok(),
                    "tid" => c.tid = v.trim().parse().ok(),
                    "name" => c.process_name = Some(v.trim().to_string()),
                    _ => {}
                }
            }
            c.binary_path = binary;
        } else if line.starts_with("signal ") && c.signal_number.is_none() {
            signal_line(line, &mut c);
        }
    }
    if c.pid.is_none() {
        return Err("no `pid:` line".into());
    }
    Ok(c)
}

/// A tombstone time: with its offset when written, else in the device's zone.
pub fn crash_time(s: &str, clock: &DeviceClock) -> Option<Timestamp> {
    let s = s.trim();
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%z"] {
        if let Ok(t) = jiff::fmt::strtime::parse(fmt, s)
            && let Ok(ts) = t.to_timestamp()
        {
            return Some(ts);
        }
    }
    clock.parse(s)
}

impl Module for Tombstones {
    fn name(&self) -> &'static str {
        "tombstones"
    }
    fn description(&self) -> &'static str {
        "Native crash reports (FS/data/tombstones, text and protobuf): indicator process names, privileged crashes"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let mut files = ctx.evidence.find("**/tombstone_*")?;
        files.retain(|e| {
            e.path
                .rsplit('/')
                .next()
                .is_some_and(|n| n.starts_with("tombstone_"))
        });
        if files.is_empty() {
            out.no_data("no tombstone files in this bugreport");
            return Ok(());
        }
        if files.len() > MAX_FILES {
            out.warn(format!(
                "{} tombstone files: only the first {MAX_FILES} are read",
                files.len()
            ));
            files.truncate(MAX_FILES);
        }
        let d = self.0.get(ctx.evidence).ok().flatten();
        let clock = DeviceClock::new(ctx, d.as_deref(), out);
        for e in files {
            let file_name = e.path.rsplit('/').next().unwrap_or(&e.path).to_string();
            let data = match ctx.evidence.read_limited(&e.path, MAX_FILE) {
                Ok(d) => d,
                Err(err) => {
                    out.warn(format!("{}: {err}", e.path));
                    continue;
                }
            };
            let parsed = if file_name.ends_with(".pb") {
                parse_protobuf(&data)
            } else {
                parse_text(&String::from_utf8_lossy(&data))
            };
            let c = match parsed {
                Ok(c) => c,
                Err(err) => {
                    out.warn(format!("{}: not a readable tombstone: {err}", e.path));
                    continue;
                }
            };
            let file_ts = match ctx.evidence.modified_local(&e.path) {
                Some(dt) => clock.to_utc(dt),
                None => ctx.evidence.modified(&e.path),
            };
            let ts = crash_time(&c.timestamp, &clock);
            let mut rec: Record = record! {
                "file_name" => file_name, "file_timestamp" => fmt_ts(file_ts),
                "build_fingerprint" => c.build_fingerprint, "revision" => c.revision, "arch" => c.arch,
                "timestamp" => fmt_ts(ts), "device_timestamp" => c.timestamp,
                "process_uptime" => c.process_uptime, "command_line" => c.command_line,
                "pid" => c.pid, "tid" => c.tid, "process_name" => c.process_name, "binary_path" => c.binary_path,
                "selinux_label" => c.selinux_label, "uid" => c.uid,
                "signal_info" => json!({"number": c.signal_number, "name": c.signal_name, "code": c.code, "code_name": c.code_name}),
                "cause" => c.cause, "abort_message" => c.abort_message,
            };
            clock.note(&mut rec);
            let pname = c.process_name.clone().unwrap_or_else(|| "Unknown".into());
            let uid = c.uid.map(|u| u.to_string()).unwrap_or_default();
            out.timeline(
                ts.or(file_ts),
                "Tombstone",
                format!("Crash in '{pname}' process running as UID '{uid}' in file '{}' Crash type '{}' with code '{}'", rec["file_name"].as_str().unwrap_or(""), c.signal_name, c.code_name),
            );
            out.record(&rec);
            let mut m = ctx.iocs.match_process(&pname);
            if m.is_empty()
                && let Some(first) = c.command_line.first()
            {
                let cmd = first.split_whitespace().next().unwrap_or(first);
                m = ctx
                    .iocs
                    .match_process(cmd.rsplit('/').next().unwrap_or(cmd));
            }
            if !m.is_empty() {
                out.ioc_alerts(&m, "Crashed process", ts, &rec);
                continue;
            }
            if matches!(c.uid, Some(0 | 1000 | 2000)) {
                out.alert(
                    Level::Medium,
                    format!("Potentially suspicious crash in process '{pname}' running as UID '{uid}' (root, system or shell) in tombstone '{}': exploits often crash privileged processes", rec["file_name"].as_str().unwrap_or("")),
                    ts,
                    &rec,
                    None,
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::bugreport::{DumpstateCache, testutil::*};
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::bugreport::{Bugreport, TombstonePb, tombstone_text};

    fn pb() -> TombstonePb {
        TombstonePb {
            build_fingerprint: "google/x/x:14/T/1:user/release-keys".into(),
            revision: "0".into(),
            timestamp: "2023-05-11 15:36:36.520716034+0200".into(),
            pid: 4321,
            tid: 4321,
            uid: 10123,
            selinux_label: "u:r:untrusted_app:s0".into(),
            command_line: vec!["/data/local/tmp/bh".into(), "-x".into()],
            signal_number: 11,
            signal_name: "SIGSEGV".into(),
            code: 1,
            code_name: "SEGV_MAPERR".into(),
            abort_message: String::new(),
            threads: vec![(4322, "worker".into()), (4321, "bh".into())],
            process_uptime: 7,
        }
    }

    #[test]
    fn protobuf_decoding() {
        let c = parse_protobuf(&pb().encode()).unwrap();
        assert_eq!(c.pid, Some(4321));
        assert_eq!(c.uid, Some(10123));
        assert_eq!(c.process_name.as_deref(), Some("bh"));
        assert_eq!(c.signal_name, "SIGSEGV");
        assert_eq!(c.code_name, "SEGV_MAPERR");
        assert_eq!(c.arch.as_deref(), Some("ARM64"));
        assert_eq!(c.command_line.len(), 2);
        assert_eq!(c.process_uptime, Some(7));
        assert!(parse_protobuf(b"\xff\xff\xff").is_err());
        assert!(parse_protobuf(&[0x12, 0x50, 0x41]).is_err());
    }

    #[test]
    fn text_parsing() {
        let t = tombstone_text(
            9850,
            2000,
            "UsbFfs-worker",
            "/system/bin/adbd",
            "2021-09-29 17:43:49+0200",
        );
        let c = parse_text(&t).unwrap();
        assert_eq!(c.pid, Some(9850));
        assert_eq!(c.uid, Some(2000));
        assert_eq!(c.process_name.as_deref(), Some("UsbFfs-worker"));
        assert_eq!(c.binary_path.as_deref(), Some("/system/bin/adbd"));
        assert_eq!(c.signal_number, Some(11));
        assert_eq!(c.code_name, "SEGV_MAPERR");
        let ts = crash_time(&c.timestamp, &DeviceClock::fixed(None)).unwrap();
        assert_eq!(
            telltale_core::time::format(ts),
            "2021-09-29 15:43:49.000000"
        );
    }

    #[test]
    fn positive_negative_malformed() {
        let br = Bugreport::new()
            .file(
                "FS/data/tombstones/tombstone_00",
                tombstone_text(
                    9850,
                    2000,
                    "UsbFfs-worker",
                    "/system/bin/adbd",
                    "2021-09-29 17:43:49+0200",
                ),
            )
            .file("FS/data/tombstones/tombstone_01.pb", pb().encode())
            .file("FS/data/tombstones/tombstone_02", "garbage \u{0} no pid")
            .file("FS/data/tombstones/tombstone_03.pb", vec![0x0a, 0xff]);
        let r = run_bugreport(
            &Tombstones(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::ProcessName, "bh")]),
        );
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.severe(), 1);
        assert_eq!(r.at(Level::Medium).len(), 1);
        assert_eq!(
            r.outcome
                .warnings
                .iter()
                .filter(|w| w.contains("not a readable tombstone"))
                .count(),
            2
        );
        assert_eq!(r.records[1]["timestamp"], "2023-05-11 13:36:36.520716");
        assert!(!r.records[0]["file_timestamp"].as_str().unwrap().is_empty());
        assert_eq!(r.timeline.len(), 2);
        let r = run_bugreport(
            &Tombstones(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::ProcessName, "bhh")]),
        );
        assert_eq!(r.severe(), 0);
    }
}
