//! `mounts`: mounted file systems (`mounts.json`, a list of `mount` or `/proc/mounts` lines). System
//! partitions mounted read-write (a sign of rooting or tampering) raise HIGH alerts, other unusual options
//! on them MEDIUM; mount points and devices are checked against path indicators.

use serde_json::Value;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, record};

use super::read_text;

pub struct Mounts;

const SYSTEM_MOUNT_POINTS: &[&str] = &["/system", "/vendor", "/product", "/system_ext"];
const SUSPICIOUS_OPTIONS: &[&str] = &["rw", "remount", "noatime", "nodiratime"];
const ALLOWLIST_NOATIME: &[&str] = &[
    "/system_dlkm",
    "/system_ext",
    "/product",
    "/vendor",
    "/vendor_dlkm",
];

/// Parses `dev on /mp type fs (opts)` or `dev /mp fs opts 0 0`.
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
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() < 4 {
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
            let Some(rec) = parse_line(line) else {
                continue;
            };
            out.record(&rec);
            let mp = rec
                .get("mount_point")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let opts = rec
                .get("mount_options")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let system = rec
                .get("is_system_partition")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let rw = rec
                .get("is_read_write")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if system && rw {
                let msg = if mp == "/system" {
                    "Root detected: the /system partition is mounted read-write (rw)".to_string()
                } else {
                    format!(
                        "System partition {mp} is mounted read-write (rw). This may indicate system modifications."
                    )
                };
                out.alert(Level::High, msg, None, &rec, None);
            } else if system {
                let odd: Vec<&str> = opts
                    .split(',')
                    .map(str::trim)
                    .filter(|o| SUSPICIOUS_OPTIONS.contains(o))
                    .collect();
                let allowed = opts.contains("noatime") && ALLOWLIST_NOATIME.contains(&mp.as_str());
                if !odd.is_empty() && !allowed {
                    out.alert(
                        Level::Medium,
                        format!(
                            "Suspicious mount options found for {mp}: {}",
                            odd.join(", ")
                        ),
                        None,
                        &rec,
                        None,
                    );
                }
            }
            for key in ["mount_point", "device"] {
                let p = rec.get(key).and_then(Value::as_str).unwrap_or("");
                let m = ctx.iocs.match_file_path(p);
                out.ioc_alerts(&m, &format!("Mount {p}"), None, &rec);
            }
        }
        Ok(())
    }
}
