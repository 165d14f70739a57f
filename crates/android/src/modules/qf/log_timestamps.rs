//! `aqf_log_timestamps`: the modification times of the device log files AndroidQF copied (`logs/…`),
//! put on the timeline. (Zip archives store these times without a zone; they are shown as UTC.)

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

pub struct LogTimestamps;

impl Module for LogTimestamps {
    fn name(&self) -> &'static str {
        "aqf_log_timestamps"
    }
    fn description(&self) -> &'static str {
        "Modification times of the log files copied from the device (logs/)"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let files = ctx.evidence.find("logs/**")?;
        if files.is_empty() {
            out.no_data("no logs folder in the acquisition");
            return Ok(());
        }
        for f in files {
            let ts = ctx.evidence.modified(&f.path);
            let rec = record! { "path" => f.path, "modified_time" => time::format_opt(ts) };
            out.record(&rec);
            out.timeline(ts, "M---", f.path.clone());
        }
        Ok(())
    }
}
