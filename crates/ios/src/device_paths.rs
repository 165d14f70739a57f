//! On-device executable and file paths, as shutdown.log, crash reports and process lists write them:
//! normalising (`/var` and `/tmp` are links to `/private/var` and `/private/var/tmp`, a trailing
//! executable UUID), indicator matching with path-segment semantics, and the "unusual location"
//! heuristic. Shared by every module that sees device paths (sysdiagnose and filesystem dumps alike).

use std::borrow::Cow;

use telltale_core::Level;
use telltale_ioc::{IocIndex, Match};

use crate::util::dedup_matches;

/// The folder Pegasus and KingsPawn ran from (Amnesty 2021, Citizen Lab 2023).
pub const STAGING_DIR: &str = "/private/var/db/com.apple.xpc.roleaccountd.staging/";

/// Whether `s` is a UUID in its textual form (8-4-4-4-12 hex digits, any case).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The path without a final `/<UUID>` component (recent iOS appends the executable's UUID to shutdown
/// clients: `/usr/libexec/x/0A1B…`).
pub fn strip_uuid_suffix(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some((head, last)) if is_uuid(last) && !head.is_empty() => head,
        _ => path,
    }
}

/// The canonical `/private/var/…` form of a path that starts with one of the device's links (`/var/…`,
/// `/tmp/…`, `/etc/…`), else the path itself.
pub fn canonical(path: &str) -> Cow<'_, str> {
    for (link, target) in [
        ("/var/", "/private/var/"),
        ("/tmp/", "/private/var/tmp/"),
        ("/etc/", "/private/etc/"),
    ] {
        if let Some(rest) = path.strip_prefix(link) {
            return Cow::Owned(format!("{target}{rest}"));
        }
    }
    Cow::Borrowed(path)
}

/// The ways indicators write the same file: as given, canonical (`/private/var/tmp/x`) and through the
/// links (`/var/tmp/x`, `/tmp/x`).
fn spellings(path: &str) -> Vec<String> {
    let c = canonical(path).into_owned();
    let mut out = vec![path.to_string()];
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    if let Some(rest) = c.strip_prefix("/private/var/tmp/") {
        push(format!("/tmp/{rest}"));
    }
    if let Some(rest) = c.strip_prefix("/private/") {
        push(format!("/{rest}"));
    }
    push(c);
    out
}

/// `file:path` indicators with path-segment semantics, and `file:name` indicators on the basename:
/// an indicator `P/` matches `P` and everything below it, an indicator `P` matches `P` and `P/…`;
/// `/private/var/tmp/l/` does not match `/private/var/tmp/l10n-cache.plist`. The path is tried as
/// given and through the device's links (`/var` = `/private/var`, `/tmp` = `/private/var/tmp`).
pub fn match_path(iocs: &IocIndex, path: &str) -> Vec<Match> {
    let path = path.trim();
    if !path.starts_with('/') {
        return Vec::new();
    }
    let mut out = Vec::new();
    for p in spellings(path) {
        // The path itself (exact and folder-indicator prefixes), then each ancestor for exact `P`.
        out.extend(iocs.match_file_path(&p));
        for (i, _) in p.match_indices('/').skip(1) {
            out.extend(
                iocs.match_file_path(&p[..i])
                    .into_iter()
                    .filter(|m| !m.value.ends_with('/')),
            );
        }
    }
    out.extend(iocs.match_file_name(path.rsplit('/').next().unwrap_or(path)));
    dedup_matches(&mut out);
    out
}

/// Process-name indicators equal to a component of the path: exact and case-sensitive
/// (`diagnosticd` is not Pegasus's `Diagnosticd`; `/usr/libexec/UserEventAgent` matches only a process
/// indicator `UserEventAgent`, never Predator's path `/private/var/tmp/UserEventAgent`).
pub fn match_process_components(iocs: &IocIndex, path: &str) -> Vec<Match> {
    let mut out = Vec::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        out.extend(
            iocs.match_process(part)
                .into_iter()
                .filter(|m| telltale_ioc::normalize::basename(&m.value) == part),
        );
    }
    dedup_matches(&mut out);
    out
}

/// Process-name indicators for a name the kernel may have truncated (jetsam reports, `ps` without
/// paths): exact, or the 15/16-byte start of a longer indicator.
pub fn match_process_name(iocs: &IocIndex, name: &str) -> Vec<Match> {
    iocs.match_process(name)
}

/// The unusual-location finding for an executable or file path: HIGH inside the roleaccountd staging
/// folder, MEDIUM elsewhere under `/private/var/db/` or `/private/var/tmp/`. `None` for every other
/// place (system volume, cryptexes, app bundles, containers).
pub fn unusual_location(path: &str) -> Option<(Level, &'static str)> {
    let c = canonical(path.trim());
    if c.starts_with(STAGING_DIR) {
        Some((
            Level::High,
            "/private/var/db/com.apple.xpc.roleaccountd.staging/",
        ))
    } else if c.starts_with("/private/var/db/") {
        Some((Level::Medium, "/private/var/db/"))
    } else if c.starts_with("/private/var/tmp/") {
        Some((Level::Medium, "/private/var/tmp/"))
    } else {
        None
    }
}

/// The sentence of an unusual-location alert.
pub fn unusual_message(what: &str, path: &str, folder: &str) -> String {
    if folder == STAGING_DIR {
        format!(
            "{what} {path} ran from an unusual location: {folder}, where Pegasus and KingsPawn (Reign) \
             placed their executables"
        )
    } else {
        format!(
            "{what} {path} ran from an unusual location: {folder}, a writable data folder that system \
             executables do not run from (spyware such as Predator and Pegasus did; some legitimate tools do too)"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_ioc::IndicatorKind as K;

    fn idx(v: &[(K, &str)]) -> IocIndex {
        IocIndex::from_values(v, "T")
    }

    #[test]
    fn uuid_suffix() {
        assert_eq!(
            strip_uuid_suffix("/usr/libexec/x/0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9"),
            "/usr/libexec/x"
        );
        assert_eq!(strip_uuid_suffix("/usr/libexec/x"), "/usr/libexec/x");
        assert_eq!(
            strip_uuid_suffix("/a/0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8FZ"),
            "/a/0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8FZ"
        );
    }

    #[test]
    fn segment_semantics() {
        let i = idx(&[
            (K::FilePath, "/private/var/tmp/l/"),
            (K::FilePath, "/private/var/tmp/UserEventAgent"),
            (K::FilePath, "/tmp/kusama.txt"),
        ]);
        assert!(match_path(&i, "/private/var/tmp/l10n-cache.plist").is_empty());
        assert_eq!(match_path(&i, "/private/var/tmp/l/x").len(), 1);
        assert_eq!(match_path(&i, "/private/var/tmp/l").len(), 1);
        assert!(match_path(&i, "/usr/libexec/UserEventAgent").is_empty());
        assert_eq!(match_path(&i, "/var/tmp/UserEventAgent").len(), 1);
        assert_eq!(
            match_path(&i, "/private/var/tmp/UserEventAgent/sub").len(),
            1
        );
        assert!(match_path(&i, "/private/var/tmp/UserEventAgentX").is_empty());
        assert_eq!(match_path(&i, "/private/var/tmp/kusama.txt").len(), 1);
    }

    #[test]
    fn components_are_exact() {
        let i = idx(&[(K::ProcessName, "Diagnosticd"), (K::ProcessName, "fmld")]);
        assert!(match_process_components(&i, "/usr/libexec/diagnosticd").is_empty());
        assert_eq!(
            match_process_components(&i, "/private/var/db/x/fmld").len(),
            1
        );
        assert!(match_process_components(&i, "/private/var/db/x/fmldx").is_empty());
    }

    #[test]
    fn locations() {
        assert_eq!(
            unusual_location(
                "/private/var/db/com.apple.xpc.roleaccountd.staging/com.apple.WebKit.Networking"
            )
            .map(|x| x.0),
            Some(Level::High)
        );
        assert_eq!(
            unusual_location("/var/tmp/hooker").map(|x| x.0),
            Some(Level::Medium)
        );
        assert_eq!(
            unusual_location("/private/var/db/foo").map(|x| x.0),
            Some(Level::Medium)
        );
        for normal in [
            "/private/preboot/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/XPCServices/com.apple.WebKit.Networking.xpc/com.apple.WebKit.Networking",
            "/private/var/containers/Bundle/Application/5AEE13F6-22FD-46FF-8D5D-B96176B7DD32/Audible.app/Audible",
            "/usr/libexec/UserEventAgent",
            "/private/var/dbx/y",
        ] {
            assert_eq!(unusual_location(normal), None, "{normal}");
        }
    }
}
