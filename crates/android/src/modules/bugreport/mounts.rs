//! `mounts`: mounted file systems from the dumpstate's mount section (a command section whose title or
//! command mentions mounts, e.g. `/proc/mounts`). Both forms are read: `device mount_point type
//! options 0 0` and `device on mount_point type fs (options)`. Records: `device`, `mount_point`,
//! `filesystem_type`, `mount_options`, `options_list`, `is_system_partition`, `is_read_write`.
//! Checks (MVT's, shared with the AndroidQF module in [`crate::mounts`]): a system partition mounted
//! read-write HIGH (a sign of rooting or system modification); other unusual options on system
//! partitions MEDIUM; `match_file_path` on mount points and devices (CRITICAL).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record};

use super::{Shared, dumpstate_or_no_data};
use crate::dumpsys::{Dumpstate, SectionKind};

pub struct Mounts(pub Shared);

/// The text of every mount section.
pub fn mount_sections(d: &Dumpstate) -> Vec<String> {
    d.sections()
        .iter()
        .filter(|s| s.kind == SectionKind::Command)
        .filter(|s| {
            let t = s.name.to_ascii_uppercase();
            let c = s.command.as_deref().unwrap_or("");
            (t.contains("MOUNT") && !t.contains("UNMOUNT"))
                || c.contains("/proc/mounts")
                || c.trim() == "mount"
        })
        .map(|s| String::from_utf8_lossy(d.body(s)).into_owned())
        .collect()
}

/// The mount lines of a section; other lines are skipped.
pub fn parse(text: &str) -> Vec<Record> {
    text.lines().filter_map(crate::mounts::parse_line).collect()
}

impl Module for Mounts {
    fn name(&self) -> &'static str {
        "bugreport_mounts"
    }
    fn description(&self) -> &'static str {
        "Mounted file systems (dumpstate mount section): system partitions mounted read-write"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let sections = mount_sections(&d);
        if sections.is_empty() {
            out.no_data(format!("no mount section in {}", d.path));
            return Ok(());
        }
        for text in sections {
            for rec in parse(&text) {
                out.record(&rec);
                crate::mounts::check(ctx, out, &rec);
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
    use telltale_testkit::bugreport::Bugreport;

    const M: &str = "/dev/block/dm-0 / ext4 ro,seclabel,relatime 0 0\n/dev/block/dm-1 /system ext4 rw,seclabel 0 0\n/dev/block/dm-2 on /vendor type ext4 (ro,seclabel,noatime)\ntmpfs /data/local/evil tmpfs rw 0 0\ngarbage line\n";

    #[test]
    fn positive_negative_malformed() {
        let br = Bugreport::new().command("MOUNTS", "/proc/mounts", M);
        let r = run_bugreport(
            &Mounts(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::FilePath, "/data/local/evil")]),
        );
        assert_eq!(r.records.len(), 4);
        assert_eq!(r.severe(), 2);
        let br = Bugreport::new().command(
            "MOUNTS",
            "/proc/mounts",
            "/dev/block/dm-2 on /vendor type ext4 (ro,seclabel,noatime)\n",
        );
        let r = run_bugreport(&Mounts(DumpstateCache::new()), &br, &iocs(&[]));
        assert!(r.alerts.is_empty());
        let br =
            Bugreport::new().command("MOUNTS", "/proc/mounts", "x on  type (\n on on type type\n");
        let r = run_bugreport(&Mounts(DumpstateCache::new()), &br, &iocs(&[]));
        assert!(r.alerts.is_empty());
    }
}
