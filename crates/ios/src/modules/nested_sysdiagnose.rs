//! nested_sysdiagnose: the sysdiagnose archives kept on the device
//! (`private/var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose/sysdiagnose_*.tar.gz`),
//! found in a filesystem dump, are checked with the sysdiagnose modules (`shutdown_log`,
//! `crash_reports`, `processes`, …). Their records and alerts say where they come from: the fields
//! `sysdiagnose` (the archive's path in the dump) and `sysdiagnose_module`, and alert messages start
//! with "In the sysdiagnose …".

use std::sync::Arc;

use telltale_core::tar::{TarEvidence, TarOptions};
use telltale_core::{
    Acquisition, Emitter, Evidence, Module, ModuleContext, ModuleError, OpenOptions, RunOptions,
    record,
};

use crate::sysdiagnose::SysdiagnoseAcquisition;
use crate::util::find_all;

pub struct NestedSysdiagnose;

pub const PATTERNS: &[&str] = &[
    "private/var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose/*.tar.gz",
    "private/var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose/*.tgz",
    "private/var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose/*.tar",
];

/// Opens a sysdiagnose archive kept in `parent` at `path`.
pub fn open(parent: &dyn Evidence, path: &str) -> Result<Option<SysdiagnoseAcquisition>, String> {
    let tar = TarEvidence::open_nested(parent, path, 0, &TarOptions::default())
        .map_err(|e| e.to_string())?;
    let warnings = tar.warnings().to_vec();
    SysdiagnoseAcquisition::from_evidence(
        Arc::new(tar),
        &format!("sysdiagnose {path}"),
        &OpenOptions::default(),
        warnings,
    )
    .map_err(|e| e.to_string())
}

impl Module for NestedSysdiagnose {
    fn name(&self) -> &'static str {
        "nested_sysdiagnose"
    }
    fn description(&self) -> &'static str {
        "Sysdiagnose archives kept in the dump, checked with the sysdiagnose modules (findings name the archive)"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let paths = find_all(ctx.evidence, PATTERNS)?;
        if paths.is_empty() {
            out.no_data("no sysdiagnose archive kept in the acquisition");
            return Ok(());
        }
        for path in paths {
            let name = path.rsplit('/').next().unwrap_or(&path).to_string();
            let acq = match open(ctx.evidence, &path) {
                Ok(Some(a)) => a,
                Ok(None) => {
                    out.warn(format!("{path}: not a sysdiagnose archive (no sysdiagnose_… top folder); not checked"));
                    out.not_checked(format!("{path}: not read as a sysdiagnose"));
                    continue;
                }
                Err(e) => {
                    out.warn(format!("{path}: {e}"));
                    out.not_checked(format!("{path}: could not be read ({e})"));
                    continue;
                }
            };
            for w in acq.read_warnings() {
                out.warn(format!("{path}: {w}"));
            }
            let opts = RunOptions {
                timezone: acq.timezone().or_else(|| ctx.options.timezone.clone()),
            };
            let inner_ctx = ModuleContext {
                evidence: acq.evidence(),
                iocs: ctx.iocs,
                options: &opts,
            };
            for m in acq.modules() {
                let context = record! { "sysdiagnose" => path, "sysdiagnose_module" => m.name() };
                let prefix = format!(
                    "In the sysdiagnose {name} kept on the device ({}): ",
                    m.name()
                );
                let r = out.with_context(&context, &prefix, |e| m.run(&inner_ctx, e));
                if let Err(e) = r {
                    out.warn(format!("{path}: {}: {e}", m.name()));
                }
            }
        }
        Ok(())
    }
}
