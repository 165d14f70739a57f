//! processes: the processes running when a sysdiagnose was taken, from `ps.txt`, `ps_thread.txt`,
//! `taskinfo.txt` and `spindump-nosymbols.txt`, merged into one inventory: one record per distinct
//! process (by executable path, else by name) with the pids and the sources that list it.
//!
//! Checks, once per distinct process: the executable's path against `file:path`/`file:name` indicators
//! and its components against process indicators (exact), a name without a path against process
//! indicators (CRITICAL); an executable in an unusual location (HIGH in the roleaccountd staging folder,
//! MEDIUM elsewhere under `/private/var/db/` or `/private/var/tmp/`). Spyware that does not persist may
//! be gone by the time of the capture: an empty result proves nothing.

use std::collections::HashMap;

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record};

use crate::device_paths::{
    match_path, match_process_components, match_process_name, unusual_location, unusual_message,
};
use crate::parsers::ps::{self, Proc};
use crate::util::dedup_matches;

/// A process-list parser.
pub type Parser = fn(&str) -> Vec<Proc>;

/// The process lists and their parsers.
pub const SOURCES: [(&str, Parser); 4] = [
    ("ps.txt", ps::parse_ps),
    ("ps_thread.txt", ps::parse_ps),
    ("taskinfo.txt", ps::parse_taskinfo),
    ("spindump-nosymbols.txt", ps::parse_spindump),
];
const MAX_SIZE: u64 = 512 << 20;

pub struct Processes;

#[derive(Default)]
struct Merged {
    name: String,
    path: Option<String>,
    pids: Vec<u32>,
    sources: Vec<&'static str>,
    command: String,
}

impl Module for Processes {
    fn name(&self) -> &'static str {
        "processes"
    }
    fn description(&self) -> &'static str {
        "Processes at capture time (ps, ps_thread, taskinfo, spindump): names and executable paths against indicators; unusual locations"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let mut merged: Vec<Merged> = Vec::new();
        let mut by_key: HashMap<String, usize> = HashMap::new();
        // pid → index, to attach name-only listings (taskinfo) to the path another source gives.
        let mut by_pid: HashMap<(u32, String), usize> = HashMap::new();
        let mut found = 0;
        for (file, parse) in SOURCES {
            if !ctx.evidence.exists(file) {
                continue;
            }
            found += 1;
            let bytes = match ctx.evidence.read_limited(file, MAX_SIZE) {
                Ok(b) => b,
                Err(e) => {
                    out.warn(e.to_string());
                    continue;
                }
            };
            let procs = parse(&String::from_utf8_lossy(&bytes));
            if procs.is_empty() {
                out.warn(format!("{file}: no process listed in it (unknown layout?)"));
            }
            for p in procs {
                let key = p.path.clone().unwrap_or_else(|| p.name.clone());
                let i = match (
                    by_key.get(&key),
                    p.pid.and_then(|pid| by_pid.get(&(pid, p.name.clone()))),
                ) {
                    (Some(&i), _) => i,
                    (None, Some(&i)) if p.path.is_none() => i,
                    _ => {
                        merged.push(Merged {
                            name: p.name.clone(),
                            path: p.path.clone(),
                            ..Default::default()
                        });
                        by_key.insert(key, merged.len() - 1);
                        merged.len() - 1
                    }
                };
                let m = &mut merged[i];
                if m.path.is_none() && p.path.is_some() {
                    m.path = p.path.clone();
                }
                if let Some(pid) = p.pid {
                    if !m.pids.contains(&pid) {
                        m.pids.push(pid);
                    }
                    by_pid.insert((pid, p.name.clone()), i);
                }
                if !m.sources.contains(&file) {
                    m.sources.push(file);
                }
                if m.command.is_empty() {
                    m.command = p.command;
                }
            }
        }
        if found == 0 {
            out.no_data(
                "no process list (ps.txt, ps_thread.txt, taskinfo.txt, spindump-nosymbols.txt)",
            );
            return Ok(());
        }
        for m in &merged {
            let rec = record! {
                "name" => m.name,
                "path" => m.path,
                "pids" => m.pids,
                "sources" => m.sources,
                "command" => m.command,
            };
            out.record(&rec);
            let mut hits = match &m.path {
                Some(p) => {
                    let mut h = match_path(ctx.iocs, p);
                    h.extend(match_process_components(ctx.iocs, p));
                    h
                }
                None => match_process_name(ctx.iocs, &m.name),
            };
            dedup_matches(&mut hits);
            let what = format!(
                "Process {} listed in {}",
                m.path.as_deref().unwrap_or(&m.name),
                m.sources.join(", ")
            );
            out.ioc_alerts(&hits, &what, None, &rec);
            if let Some(p) = &m.path
                && let Some((level, folder)) = unusual_location(p)
            {
                out.alert(
                    level,
                    format!(
                        "{} (listed in {})",
                        unusual_message("Process", p, folder),
                        m.sources.join(", ")
                    ),
                    None,
                    &rec,
                    None,
                );
            }
        }
        Ok(())
    }
}
