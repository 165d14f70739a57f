//! filesystem: every file, folder and symbolic link of a filesystem dump, with its modification time
//! (MVT's `path` — here absolute, `/private/var/…` — and `modified`, plus `type`, `size`, `link`).
//!
//! Checks, one walk of the dump:
//! * `file:path` indicators, absolute, with path-segment semantics (an indicator `P/` is the folder `P`
//!   and everything below it, `P` is `P` and `P/…`; `/private/var/tmp/l/` is not
//!   `/private/var/tmp/l10n-cache.plist`), through the device's links (`/var`, `/tmp`), and `file:name`
//!   indicators on the name (HIGH, as MVT's file checks; MVT compares dump-relative paths with
//!   absolute indicators and so never matches a `file:path`);
//! * process-name indicators equal to a path component, exact and case-sensitive (`diagnosticd` is
//!   not Pegasus's `Diagnosticd`) (HIGH, as MVT);
//! * an entry below a folder that matched is not reported again for the same indicator;
//! * a file in the roleaccountd staging folder (`/private/var/db/com.apple.xpc.roleaccountd.staging/`,
//!   where Pegasus and KingsPawn ran from; the folder itself exists on clean phones) or an executable
//!   (Mach-O or script) in `/private/var/tmp/` (where Predator ran from): "unusual location" (MEDIUM).

use std::collections::HashSet;

use telltale_core::{Emitter, EntryKind, Level, Module, ModuleContext, ModuleError, record, time};
use telltale_ioc::Match;

use crate::device_paths::{STAGING_DIR, spellings};

pub struct Filesystem;

/// The indicators a folder matched.
type Seen = HashSet<(telltale_ioc::IndicatorKind, std::sync::Arc<str>)>;

const TMP_DIR: &str = "/private/var/tmp/";

/// Whether the first bytes are a Mach-O (thin or fat) or a script.
pub fn is_executable_magic(head: &[u8]) -> bool {
    matches!(
        head.get(..4),
        Some([0xfe, 0xed, 0xfa, 0xce | 0xcf])
            | Some([0xce | 0xcf, 0xfa, 0xed, 0xfe])
            | Some([0xca, 0xfe, 0xba, 0xbe])
    ) || head.starts_with(b"#!")
}

fn matches_of(ctx: &ModuleContext<'_>, abs: &str) -> Vec<Match> {
    let name = abs.rsplit('/').next().unwrap_or(abs);
    let mut out = Vec::new();
    // The entry's own path: ancestors were checked when the walk met them.
    for s in spellings(abs) {
        out.extend(ctx.iocs.match_file_path(&s));
    }
    out.extend(ctx.iocs.match_file_name(name));
    out.extend(
        ctx.iocs
            .match_process(name)
            .into_iter()
            .filter(|m| telltale_ioc::normalize::basename(&m.value) == name),
    );
    crate::util::dedup_matches(&mut out);
    out
}

impl Module for Filesystem {
    fn name(&self) -> &'static str {
        "filesystem"
    }
    fn description(&self) -> &'static str {
        "Every file and folder of the dump: paths, names and process names against indicators; files in unusual locations"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        // Folders that matched, with the indicators they matched (their contents are not reported again).
        let mut matched: Vec<(String, Seen)> = Vec::new();
        let mut n = 0u64;
        let mut tmp_files: Vec<(
            String,
            Option<u32>,
            Option<jiff::Timestamp>,
            telltale_core::Record,
        )> = Vec::new();
        ctx.evidence.walk("", &mut |e| {
            n += 1;
            let abs = format!("/{}", e.path);
            let kind = match e.kind {
                EntryKind::File => "file",
                EntryKind::Dir => "dir",
                EntryKind::Symlink => "symlink",
            };
            let mut rec = record! {
                "path" => abs,
                "modified" => time::format_opt(e.modified),
                "type" => kind,
            };
            if let Some(s) = e.size {
                rec.insert("size".into(), s.into());
            }
            if let Some(l) = e.link_target {
                rec.insert("link".into(), l.into());
            }
            out.record(&rec);
            out.timeline(e.modified, "entry_modified", abs.clone());
            while let Some((p, _)) = matched.last() {
                if abs.starts_with(p.as_str()) && abs.as_bytes().get(p.len()) == Some(&b'/') {
                    break;
                }
                matched.pop();
            }
            let mut ms = matches_of(ctx, &abs);
            ms.retain(|m| {
                !matched
                    .iter()
                    .any(|(_, set)| set.contains(&(m.kind, m.value.clone())))
            });
            if !ms.is_empty() {
                let what = match e.kind {
                    EntryKind::Dir => format!("Folder {abs}"),
                    EntryKind::Symlink => format!("Symbolic link {abs}"),
                    EntryKind::File => format!("File {abs}"),
                };
                out.ioc_alerts_at(Level::High, &ms, &what, e.modified, &rec);
                if e.kind == EntryKind::Dir {
                    matched.push((
                        abs.clone(),
                        ms.iter().map(|m| (m.kind, m.value.clone())).collect(),
                    ));
                }
            }
            if e.kind == EntryKind::File {
                if abs.starts_with(STAGING_DIR) {
                    out.alert(
                        Level::Medium,
                        format!(
                            "File {abs} is in an unusual location: the roleaccountd staging folder \
                             ({STAGING_DIR}), where Pegasus and KingsPawn (Reign) placed the executables they ran; \
                             iOS does not normally keep files there"
                        ),
                        e.modified,
                        &rec,
                        None,
                    );
                } else if abs.starts_with(TMP_DIR) {
                    tmp_files.push((e.path.to_string(), e.mode, e.modified, rec));
                }
            }
            true
        })?;
        if n == 0 {
            out.no_data("the acquisition lists no files");
            return Ok(());
        }
        // Executables in /private/var/tmp/: their first bytes say (the mode when they cannot be read).
        for (path, mode, ts, rec) in tmp_files {
            let mut head = [0u8; 4];
            let exec = match ctx.evidence.open(&path) {
                Ok(mut r) => {
                    let k = std::io::Read::read(&mut r, &mut head).unwrap_or(0);
                    is_executable_magic(&head[..k])
                }
                Err(_) => mode.is_some_and(|m| m & 0o111 != 0),
            };
            if exec {
                out.alert(
                    Level::Medium,
                    format!(
                        "Executable /{path} is in an unusual location: {TMP_DIR}, a temporary folder system \
                         executables do not run from (Predator ran from there; some legitimate tools do too)"
                    ),
                    ts,
                    &rec,
                    None,
                );
            }
        }
        Ok(())
    }
}
