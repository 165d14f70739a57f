//! `bugreport_timestamps`: modification times of the files copied from the device (`FS/…`). Zip
//! entries carry the device's wall-clock time without a zone: it is converted with the device's zone
//! when known. Records: `path`, `modified_time` (UTC). Timeline: each file (`M---`).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record};

use super::{DeviceClock, Shared, fmt_ts};

pub struct BugreportTimestamps(pub Shared);

const MAX_ENTRIES: usize = 1_000_000;

impl Module for BugreportTimestamps {
    fn name(&self) -> &'static str {
        "bugreport_timestamps"
    }
    fn description(&self) -> &'static str {
        "Modification times of the device files in the bugreport (FS/), for the timeline"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let mut files = ctx.evidence.find("FS/**")?;
        if files.is_empty() {
            out.no_data("no FS/ folder in this bugreport");
            return Ok(());
        }
        files.truncate(MAX_ENTRIES);
        let d = self.0.get(ctx.evidence).ok().flatten();
        let clock = DeviceClock::new(ctx, d.as_deref(), out);
        let mut without = 0usize;
        for e in files {
            let ts = match ctx.evidence.modified_local(&e.path) {
                Some(dt) => clock.to_utc(dt),
                None => ctx.evidence.modified(&e.path),
            };
            if ts.is_none() {
                without += 1;
            }
            let mut rec = record! { "path" => e.path.clone(), "modified_time" => fmt_ts(ts) };
            clock.note(&mut rec);
            out.timeline(ts, "M---", e.path.clone());
            out.record(&rec);
        }
        if without > 0 {
            out.warn(format!(
                "{without} files have no modification time in this container"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::bugreport::{DumpstateCache, testutil::*};
    use telltale_testkit::bugreport::Bugreport;

    #[test]
    fn lists_fs_files() {
        let br = Bugreport::new()
            .file("FS/data/a", "x")
            .file("FS/proc/b", "y")
            .file("other", "z");
        let r = run_bugreport(&BugreportTimestamps(DumpstateCache::new()), &br, &iocs(&[]));
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.timeline.len(), 2);
        assert!(r.alerts.is_empty());
        let r = run_bugreport(
            &BugreportTimestamps(DumpstateCache::new()),
            &Bugreport::new(),
            &iocs(&[]),
        );
        assert!(r.records.is_empty());
    }
}
