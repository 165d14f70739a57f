//! `mounts`: mounted file systems (`mounts.json`, a list of `mount` or `/proc/mounts` lines). System
//! partitions mounted read-write (a sign of rooting or tampering) raise HIGH alerts, other unusual options
//! on them MEDIUM; mount points and devices are checked against path indicators (the line reader and the
//! checks are shared with the bugreport module: [`crate::mounts`]).

use serde_json::Value;
use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

use super::read_text;

pub struct Mounts;

impl Module for Mounts {
    fn name(&self) -> &'static str {
        "mounts"
    }
    fn description(&self) -> &'static str {
        "Mounted file systems (mounts.json): system partitions mounted read-write"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(text) = read_text(ctx.evidence, "mounts.json")? else {
            out.no_data("mounts.json not in the acquisition");
            return Ok(());
        };
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| ModuleError::parse("mounts.json", format!("not JSON: {e}")))?;
        let Value::Array(lines) = v else {
            return Err(ModuleError::parse(
                "mounts.json",
                "expected a JSON list of mount lines",
            ));
        };
        for line in lines.iter().filter_map(Value::as_str) {
            let Some(rec) = crate::mounts::parse_line(line) else {
                continue;
            };
            out.record(&rec);
            crate::mounts::check(ctx, out, &rec);
        }
        Ok(())
    }
}
