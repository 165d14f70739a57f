//! `mounts`: mounted file systems from the dumpstate's mount section (a command section whose title or
//! command mentions mounts, e.g. `/proc/mounts`). Both forms are read: `device mount_point type
//! options 0 0` and `device on mount_point type fs (options)`. Records: `device`, `mount_point`,
//! `filesystem_type`, `mount_options`, `options_list`, `is_system_partition`, `is_read_write`.
//! Checks (MVT's): a system partition mounted read-write HIGH (a sign of rooting or system
//! modification); other unusual options on system partitions MEDIUM; `match_file_path` on mount
//! points and devices (HIGH).

use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, record};

use super::{Shared, dumpstate_or_no_data};
use crate::dumpsys::{Dumpstate, SectionKind};

pub struct Mounts(pub Shared);

const SYSTEM_MOUNT_POINTS: &[&str] = &["/system", "/vendor", "/product", "/system_ext"];
const SUSPICIOUS_OPTIONS: &[&str] = &["rw", "remount", "noatime", "nodiratime"];
const ALLOWLIST_NOATIME: &[&str] = &[
    "/system_dlkm",
    "/system_ext",
    "/product",
    "/vendor",
    "/vendor_dlkm",
];

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

fn entry(device: &str, mount_point: &str, fs: &str, options: &str) -> Record {
    let list: Vec<String> = options
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect();
    let system = SYSTEM_MOUNT_POINTS
        .iter()
        .any(|p| mount_point.starts_with(p));
    let rw = list.iter().any(|o| o == "rw");
    record! {
        "device" => device, "mount_point" => mount_point, "filesystem_type" => fs,
        "mount_options" => options, "options_list" => list,
        "is_system_partition" => system, "is_read_write" => rw,
    }
}

pub fn parse(text: &str) -> Vec<Record> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some((device, rest)) = line.split_once(" on ")
            && let Some((mp, fs_part)) = rest.split_once(" type ")
        {
            let (fs, opts) = match fs_part.find('(') {
                Some(i) if fs_part.ends_with(')') => {
                    (fs_part[..i].trim(), &fs_part[i + 1..fs_part.len() - 1])
                }
                _ => (fs_part.trim(), ""),
            };
            if !device.trim().is_empty() && !mp.trim().is_empty() && !fs.is_empty() {
                out.push(entry(device.trim(), mp.trim(), fs, opts.trim()));
            }
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() == 6
            && f[1].starts_with('/')
            && f[4].parse::<u32>().is_ok()
            && f[5].parse::<u32>().is_ok()
        {
            out.push(entry(f[0], f[1], f[2], f[3]));
        }
    }
    out
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
                let mp = rec["mount_point"].as_str().unwrap_or("").to_string();
                let dev = rec["device"].as_str().unwrap_or("").to_string();
                let system = rec["is_system_partition"].as_bool().unwrap_or(false);
                let opts: Vec<String> = rec["options_list"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if system && rec["is_read_write"].as_bool().unwrap_or(false) {
                    let msg = if mp == "/system" {
                        "The /system partition is mounted read-write (rw): a sign that the phone is rooted".to_string()
                    } else {
                        format!(
                            "System partition {mp} is mounted read-write (rw): this may indicate system modifications"
                        )
                    };
                    out.alert(Level::High, msg, None, &rec, None);
                } else if system {
                    let sus: Vec<&String> = opts
                        .iter()
                        .filter(|o| SUSPICIOUS_OPTIONS.contains(&o.as_str()))
                        .collect();
                    let allowed = ALLOWLIST_NOATIME.contains(&mp.as_str())
                        && sus.iter().all(|o| *o == "noatime");
                    if !sus.is_empty() && !allowed {
                        let list: Vec<&str> = sus.iter().map(|s| s.as_str()).collect();
                        out.alert(
                            Level::Medium,
                            format!(
                                "Unusual mount options for system partition {mp}: {}",
                                list.join(", ")
                            ),
                            None,
                            &rec,
                            None,
                        );
                    }
                }
                let mut m = ctx.iocs.match_file_path(&mp);
                m.extend(ctx.iocs.match_file_path(&dev));
                out.ioc_alerts(&m, "Mount", None, &rec);
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
        assert_eq!(r.high(), 2);
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
