//! Mount lines and their checks, shared by the AndroidQF (`mounts.json`) and bugreport (dumpstate mount
//! section) modules: both read `device on mount_point type fs (options)` and `device mount_point fs
//! options 0 0` lines into the same record, and judge system partitions the same way (MVT's checks).

use telltale_core::{Emitter, Level, ModuleContext, Record, record};

const SYSTEM_MOUNT_POINTS: &[&str] = &["/system", "/vendor", "/product", "/system_ext"];
const SUSPICIOUS_OPTIONS: &[&str] = &["rw", "remount", "noatime", "nodiratime"];
/// Mount points where `noatime` alone is normal.
const ALLOWLIST_NOATIME: &[&str] = &[
    "/system_dlkm",
    "/system_ext",
    "/product",
    "/vendor",
    "/vendor_dlkm",
];

/// One mount line as a record (`device`, `mount_point`, `filesystem_type`, `mount_options`,
/// `options_list`, `is_system_partition`, `is_read_write`); `None` for any other line.
pub fn parse_line(line: &str) -> Option<Record> {
    let line = line.trim();
    let (device, mount_point, fs, opts) = if let Some((dev, rest)) = line.split_once(" on ") {
        let (mp, fs_part) = rest.split_once(" type ")?;
        let fs_part = fs_part.trim();
        let (fs, opts) = match fs_part.find('(') {
            Some(i) if fs_part.ends_with(')') => {
                (fs_part[..i].trim(), &fs_part[i + 1..fs_part.len() - 1])
            }
            _ => (fs_part, ""),
        };
        (dev.trim(), mp.trim(), fs, opts.trim())
    } else {
        // `/proc/mounts`: device, mount point, type, options, then two numbers (or nothing).
        let t: Vec<&str> = line.split_whitespace().collect();
        let numbers = |a: &str, b: &str| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok();
        let ok = match t.len() {
            4 => true,
            6 => numbers(t[4], t[5]),
            _ => false,
        };
        if !ok || !t[1].starts_with('/') {
            return None;
        }
        (t[0], t[1], t[2], t[3])
    };
    if device.is_empty() || mount_point.is_empty() || fs.is_empty() {
        return None;
    }
    let options: Vec<&str> = opts
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .collect();
    let system = SYSTEM_MOUNT_POINTS
        .iter()
        .any(|p| mount_point.starts_with(p));
    Some(record! {
        "device" => device,
        "mount_point" => mount_point,
        "filesystem_type" => fs,
        "mount_options" => opts,
        "options_list" => options,
        "is_system_partition" => system,
        "is_read_write" => options.contains(&"rw"),
    })
}

/// The checks of one mount record: a system partition mounted read-write (HIGH: a sign of rooting or
/// system modification), other unusual options on a system partition (MEDIUM; `noatime` alone is normal
/// on some), the mount point and the device against path indicators (CRITICAL).
pub fn check(ctx: &ModuleContext<'_>, out: &mut Emitter<'_>, rec: &Record) {
    let s = |k: &str| rec.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let b = |k: &str| rec.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
    let mp = s("mount_point");
    if b("is_system_partition") && b("is_read_write") {
        let msg = if mp == "/system" {
            "The /system partition is mounted read-write (rw): a sign that the phone is rooted"
                .to_string()
        } else {
            format!(
                "System partition {mp} is mounted read-write (rw): this may indicate system modifications"
            )
        };
        out.alert(Level::High, msg, None, rec, None);
    } else if b("is_system_partition") {
        let unusual: Vec<&str> = s("mount_options")
            .split(',')
            .map(str::trim)
            .filter(|o| SUSPICIOUS_OPTIONS.contains(o))
            .collect();
        let allowed = ALLOWLIST_NOATIME.contains(&mp) && unusual.iter().all(|o| *o == "noatime");
        if !unusual.is_empty() && !allowed {
            out.alert(
                Level::Medium,
                format!(
                    "Unusual mount options for system partition {mp}: {}",
                    unusual.join(", ")
                ),
                None,
                rec,
                None,
            );
        }
    }
    for key in ["mount_point", "device"] {
        let p = s(key);
        let m = ctx.iocs.match_file_path(p);
        out.ioc_alerts(&m, &format!("Mount {p}"), None, rec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_line_forms_and_other_lines() {
        let r = parse_line("/dev/block/dm-1 on /system type ext4 (rw,seclabel,relatime)").unwrap();
        assert_eq!(r["mount_point"], "/system");
        assert_eq!(r["filesystem_type"], "ext4");
        assert_eq!(r["is_read_write"], true);
        assert_eq!(r["is_system_partition"], true);
        let r = parse_line("/dev/block/dm-3 /product ext4 ro,nodiratime 0 0").unwrap();
        assert_eq!(r["options_list"], serde_json::json!(["ro", "nodiratime"]));
        assert_eq!(r["is_read_write"], false);
        assert!(parse_line("/dev/x /data f2fs rw").is_some());
        for other in ["garbage", "", "a b c d e f", "x on y", "Total 5 mounts 0 0"] {
            assert!(parse_line(other).is_none(), "{other}");
        }
    }
}
