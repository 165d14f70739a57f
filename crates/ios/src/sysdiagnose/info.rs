//! The device facts of a sysdiagnose: the archive's name (`sysdiagnose_YYYY.MM.DD_HH-MM-SS±ZZZZ_iPhone-OS_
//! iPhone_<build>`, older `…_iPhone_OS_iPhone_<build>`), `remotectl_dumpstate.txt` (the `Local device`
//! block's `Properties`) and `logs/SystemVersion/SystemVersion.plist`.

use std::collections::BTreeMap;

use jiff::Timestamp;
use telltale_core::Evidence;

/// What the archive's name says.
#[derive(Debug, Clone, PartialEq)]
pub struct NameInfo {
    /// The local time of creation, as written.
    pub local: jiff::civil::DateTime,
    /// The device's UTC offset at creation.
    pub offset: jiff::tz::Offset,
    pub created: Timestamp,
    /// The build (`21F90`), when the name carries one.
    pub build: Option<String>,
    /// The platform part (`iPhone-OS_iPhone`, `iPhone_OS_iPhone`, `iPadOS_iPad` …).
    pub platform: Option<String>,
}

impl NameInfo {
    /// The offset as `±HH:MM`.
    pub fn offset_text(&self) -> String {
        let s = self.offset.seconds();
        let sign = if s < 0 { '-' } else { '+' };
        let a = s.unsigned_abs();
        format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
    }
}

/// Parses a sysdiagnose archive or top-folder name (with or without `.tar.gz`).
pub fn parse_name(name: &str) -> Option<NameInfo> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let base = base
        .strip_suffix(".tar.gz")
        .or_else(|| base.strip_suffix(".tgz"))
        .or_else(|| base.strip_suffix(".tar"))
        .unwrap_or(base);
    let rest = base.strip_prefix("sysdiagnose_")?;
    // "2024.05.24_13-29-15-0700_iPhone-OS_iPhone_21F90"
    let (date, rest) = rest.split_once('_')?;
    let time_zone: String = rest.chars().take(13).collect();
    if time_zone.len() != 13 {
        return None;
    }
    let (hms, zone) = time_zone.split_at(8);
    let after = rest.get(13..).unwrap_or("");
    let d: Vec<&str> = date.split('.').collect();
    let t: Vec<&str> = hms.split('-').collect();
    if d.len() != 3 || t.len() != 3 {
        return None;
    }
    let num = |s: &str| s.parse::<i16>().ok();
    let local = jiff::civil::DateTime::new(
        num(d[0])?,
        i8::try_from(num(d[1])?).ok()?,
        i8::try_from(num(d[2])?).ok()?,
        i8::try_from(num(t[0])?).ok()?,
        i8::try_from(num(t[1])?).ok()?,
        i8::try_from(num(t[2])?).ok()?,
        0,
    )
    .ok()?;
    let zb = zone.as_bytes();
    if !(zb[0] == b'+' || zb[0] == b'-') || !zone[1..].bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let secs = (zone[1..3].parse::<i32>().ok()? * 3600 + zone[3..5].parse::<i32>().ok()? * 60)
        * if zb[0] == b'-' { -1 } else { 1 };
    let offset = jiff::tz::Offset::from_seconds(secs).ok()?;
    let created = offset.to_timestamp(local).ok()?;
    let after = after.strip_prefix('_').unwrap_or(after);
    let (platform, build) = match after.rsplit_once('_') {
        Some((p, b)) if !b.is_empty() && b.chars().all(|c| c.is_ascii_alphanumeric()) => {
            (Some(p.to_string()), Some(b.to_string()))
        }
        _ if !after.is_empty() => (Some(after.to_string()), None),
        _ => (None, None),
    };
    Some(NameInfo {
        local,
        offset,
        created,
        build,
        platform,
    })
}

/// The `Properties` of the `Local device` block of `remotectl_dumpstate.txt` (`Key => Value` lines).
pub fn parse_remotectl(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut in_local = false;
    let mut in_props = false;
    for line in text.lines() {
        if !line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            in_local = line.trim() == "Local device";
            in_props = false;
            continue;
        }
        if !in_local {
            continue;
        }
        let l = line.trim();
        if l.starts_with("Properties:") {
            in_props = true;
            continue;
        }
        if in_props && l == "}" {
            in_props = false;
            continue;
        }
        if in_props && let Some((k, v)) = l.split_once(" => ") {
            out.insert(k.trim().to_string(), v.trim().to_string());
        } else if !in_props && let Some((k, v)) = l.split_once(": ") {
            // "Product Type: iPhone14,2", "OS Build: 17.5.1 (21F90)"
            out.entry(format!("({})", k.trim()))
                .or_insert_with(|| v.trim().to_string());
        }
    }
    out
}

/// Every device fact a sysdiagnose holds, read once when the acquisition is opened.
#[derive(Debug, Clone, Default)]
pub struct DeviceInfo {
    /// The top folder's (or archive's) name.
    pub name: String,
    pub from_name: Option<NameInfo>,
    /// `remotectl_dumpstate.txt` local-device properties.
    pub remotectl: BTreeMap<String, String>,
    /// `SystemVersion.plist` string values.
    pub system_version: BTreeMap<String, String>,
    /// Problems reading them.
    pub warnings: Vec<String>,
}

pub const REMOTECTL: &str = "remotectl_dumpstate.txt";
pub const SYSTEM_VERSION: &str = "logs/SystemVersion/SystemVersion.plist";

impl DeviceInfo {
    /// Reads the facts from a sysdiagnose rooted at its top folder named `name`.
    pub fn read(ev: &dyn Evidence, name: &str) -> DeviceInfo {
        let mut info = DeviceInfo {
            name: name.to_string(),
            from_name: parse_name(name),
            ..Default::default()
        };
        match ev.read_limited(REMOTECTL, 16 << 20) {
            Ok(b) => info.remotectl = parse_remotectl(&String::from_utf8_lossy(&b)),
            Err(e) if e.is_not_found() => {}
            Err(e) => info.warnings.push(e.to_string()),
        }
        match ev.read_limited(SYSTEM_VERSION, 1 << 20) {
            Ok(b) => match crate::nska::parse_plist(&b) {
                Ok(plist::Value::Dictionary(d)) => {
                    for (k, v) in d {
                        if let Some(s) = v.as_string() {
                            info.system_version.insert(k, s.to_string());
                        }
                    }
                }
                Ok(_) => info
                    .warnings
                    .push(format!("{SYSTEM_VERSION}: not a dictionary")),
                Err(e) => info.warnings.push(format!("{SYSTEM_VERSION}: {e}")),
            },
            Err(e) if e.is_not_found() => {}
            Err(e) => info.warnings.push(e.to_string()),
        }
        info
    }

    fn rc(&self, k: &str) -> Option<&str> {
        self.remotectl
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The iOS version (`17.5.1`).
    pub fn version(&self) -> Option<&str> {
        self.rc("OSVersion")
            .or_else(|| {
                self.system_version
                    .get("ProductVersion")
                    .map(String::as_str)
            })
            .or_else(|| {
                self.rc("(OS Build)")
                    .and_then(|v| v.split_whitespace().next())
            })
    }

    /// The build (`21F90`).
    pub fn build(&self) -> Option<&str> {
        self.rc("BuildVersion")
            .or_else(|| {
                self.system_version
                    .get("ProductBuildVersion")
                    .map(String::as_str)
            })
            .or_else(|| self.from_name.as_ref().and_then(|n| n.build.as_deref()))
    }

    /// The model identifier (`iPhone14,2`).
    pub fn model(&self) -> Option<&str> {
        self.rc("ProductType").or_else(|| self.rc("(Product Type)"))
    }

    /// The facts as `(label, value)` pairs, in a stable order.
    pub fn facts(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        out.push(("Sysdiagnose", self.name.clone()));
        if let Some(m) = self.model() {
            out.push(("Product Type", m.to_string()));
        }
        if let Some(v) = self.version() {
            out.push(("iOS Version", v.to_string()));
        }
        if let Some(b) = self.build() {
            out.push(("Build Version", b.to_string()));
        }
        for (label, key) in [
            ("Serial Number", "SerialNumber"),
            ("UDID", "UniqueDeviceID"),
            ("Device Class", "DeviceClass"),
        ] {
            if let Some(v) = self.rc(key) {
                out.push((label, v.to_string()));
            }
        }
        if let Some(n) = &self.from_name {
            out.push((
                "Created",
                format!(
                    "{} (local time {} {})",
                    telltale_core::time::format(n.created),
                    n.local,
                    n.offset_text()
                ),
            ));
            out.push((
                "Time zone",
                format!("UTC{} (from the archive name)", n.offset_text()),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = parse_name("sysdiagnose_2023.05.24_13-29-15-0700_iPhone-OS_iPhone_19H349.tar.gz")
            .unwrap();
        assert_eq!(n.build.as_deref(), Some("19H349"));
        assert_eq!(n.platform.as_deref(), Some("iPhone-OS_iPhone"));
        assert_eq!(n.offset_text(), "-07:00");
        assert_eq!(
            telltale_core::time::format(n.created),
            "2023-05-24 20:29:15.000000"
        );
        let old =
            parse_name("sysdiagnose_2019.01.02_03-04-05+0530_iPhone_OS_iPhone_16C101").unwrap();
        assert_eq!(old.build.as_deref(), Some("16C101"));
        assert_eq!(old.platform.as_deref(), Some("iPhone_OS_iPhone"));
        let bare = parse_name("sysdiagnose_2016.01.02_03-04-05+0000").unwrap();
        assert_eq!(bare.build, None);
        for bad in [
            "sysdiagnose_",
            "sysdiagnose_x",
            "sysdiagnose_2016.13.02_03-04-05+0000",
            "sysdiagnose_2016.01.02_03-04-05X0000_a_b",
            "other_2016.01.02_03-04-05+0000",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn remotectl() {
        let t = "Local device\n\tUUID: X\n\tProduct Type: iPhone14,2\n\tOS Build: 17.5.1 (21F90)\n\tProperties: {\n\t\tBuildVersion => 21F90\n\t\tOSVersion => 17.5.1\n\t}\n\nFound localbridge (bridge)\n\tProperties: {\n\t\tBuildVersion => 99Z999\n\t}\n";
        let p = parse_remotectl(t);
        assert_eq!(p["BuildVersion"], "21F90");
        assert_eq!(p["(Product Type)"], "iPhone14,2");
        assert_eq!(p.len(), 5);
    }
}
