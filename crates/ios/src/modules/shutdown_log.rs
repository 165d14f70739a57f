//! shutdown_log: the clients launchd waited for at each reboot (`shutdown.log`, iOS 26 `shutdown.0.log`,
//! found by name anywhere: sysdiagnose `system_logs.logarchive/Extra/`, dump `private/var/db/diagnostics/`).
//!
//! One record per client per reboot (MVT's `isodate`, `pid`, `client`, `delay`, `times_delayed`, plus
//! `path` without the `/<UUID>` suffix). Checks, one alert per client per reboot with the SIGTERM time:
//! process indicators equal to a component of the path and `file:path`/`file:name` indicators (CRITICAL,
//! as MVT); Kaspersky's iShutdown heuristics: a client in an unusual location (HIGH in the roleaccountd
//! staging folder, MEDIUM elsewhere under `/private/var/db/` or `/private/var/tmp/`) and a reboot delayed
//! by three or more "these clients are still here" notices (LOW).

use telltale_core::{Emitter, Evidence, Level, Module, ModuleContext, ModuleError, record, time};

use crate::device_paths::{
    match_path, match_process_components, unusual_location, unusual_message,
};
use crate::parsers::shutdown;
use crate::util::{each_file, find_all};

/// Where shutdown logs are looked for: by name, anywhere in the acquisition.
pub const PATTERNS: &[&str] = &["shutdown*.log", "**/shutdown*.log"];
/// The dump location alone (faster on a large dump than a search by name).
pub const DUMP_PATTERNS: &[&str] = &["private/var/db/diagnostics/shutdown*.log"];
/// Largest shutdown log read.
const MAX_SIZE: u64 = 256 << 20;
/// Delay notices before one reboot from which it is reported (iShutdown's threshold).
pub const DELAY_NOTICES: u32 = 3;

/// The module. [`ShutdownLog::new`] searches [`PATTERNS`]; a kind that knows where the logs are passes
/// its own patterns to [`ShutdownLog::with_patterns`].
#[derive(Debug, Clone, Copy)]
pub struct ShutdownLog {
    patterns: &'static [&'static str],
}

impl Default for ShutdownLog {
    fn default() -> Self {
        Self::new()
    }
}

impl ShutdownLog {
    pub const fn new() -> Self {
        ShutdownLog { patterns: PATTERNS }
    }
    pub const fn with_patterns(patterns: &'static [&'static str]) -> Self {
        ShutdownLog { patterns }
    }
}

fn check_file(
    ctx: &ModuleContext<'_>,
    ev: &dyn Evidence,
    file: &str,
    out: &mut Emitter<'_>,
) -> Result<(), ModuleError> {
    let bytes = ev.read_limited(file, MAX_SIZE)?;
    let text = String::from_utf8_lossy(&bytes);
    let reboots = shutdown::parse(&text);
    if reboots.is_empty() && !text.trim().is_empty() && !text.contains("SIGTERM") {
        out.warn(format!("{file}: no shutdown entries in it"));
    }
    for r in &reboots {
        let when = r.time;
        let isodate = time::format_opt(when);
        for c in &r.clients {
            let path = c.path();
            let rec = record! {
                "isodate" => isodate,
                "pid" => c.pid,
                "client" => c.client,
                "path" => path,
                "delay" => c.delay,
                "times_delayed" => c.times_delayed,
                "reboot_delay_notices" => r.notices,
                "file" => file,
            };
            out.record(&rec);
            out.timeline(
                when,
                "shutdown",
                format!(
                    "Client {} with PID {} was running when the device was shut down",
                    c.client, c.pid
                ),
            );
            let mut m = match_path(ctx.iocs, path);
            m.extend(match_process_components(ctx.iocs, path));
            crate::util::dedup_matches(&mut m);
            out.ioc_alerts(&m, &format!("shutdown.log client {path}"), when, &rec);
            if let Some((level, folder)) = unusual_location(path) {
                out.alert(
                    level,
                    format!(
                        "{} (still running at the reboot of {})",
                        unusual_message("shutdown.log client", path, folder),
                        isodate.as_deref().unwrap_or("an unknown time")
                    ),
                    when,
                    &rec,
                    None,
                );
            }
        }
        if r.notices >= DELAY_NOTICES {
            let clients: Vec<&str> = r.clients.iter().map(|c| c.path()).collect();
            let rec = record! {
                "isodate" => isodate,
                "reboot_delay_notices" => r.notices,
                "clients" => clients,
                "file" => file,
            };
            out.alert(
                Level::Low,
                format!(
                    "The reboot of {} had a shutdown delay: {} \"these clients are still here\" notices \
                     (iShutdown's threshold is {DELAY_NOTICES}); processes that hold up a reboot were seen with \
                     Pegasus, but slow shutdowns are also common on clean phones",
                    isodate.as_deref().unwrap_or("an unknown time"),
                    r.notices
                ),
                when,
                &rec,
                None,
            );
        }
    }
    Ok(())
}

impl Module for ShutdownLog {
    fn name(&self) -> &'static str {
        "shutdown_log"
    }
    fn description(&self) -> &'static str {
        "shutdown.log: clients still running at each reboot against process and file-path indicators; unusual locations and reboot delays (iShutdown)"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let files = find_all(ctx.evidence, self.patterns)?;
        if files.is_empty() {
            out.no_data("no shutdown log (shutdown.log, shutdown.0.log) in the acquisition");
            return Ok(());
        }
        each_file(&files, out, |f, out| check_file(ctx, ctx.evidence, f, out))
    }
}
