//! The files modules read on a filesystem dump, for the single pass over a `.tar.gz` (which has no
//! random access): [`keep`] says, from a member's name alone, whether the index pass keeps it, so that
//! modules read it later without decompressing the archive again. The dump's root is not known yet
//! when the pass runs, so names are judged by their last components. A member missed here is still
//! read, by decompressing again (slower); the test suite checks that a dump holding every artifact is
//! read without that.

/// File names read wherever they are (SQLite side files `-wal`, `-shm`, `-journal` included).
const NAMES: &[&str] = &[
    // Backup modules, at their device paths.
    "sms.db",
    "CallHistory.storedata",
    "AddressBook.sqlitedb",
    "interactionC.db",
    "TCC.db",
    "Calendar.sqlitedb",
    "DataUsage.sqlite",
    "Shortcuts.sqlite",
    "History.db",
    "BrowserState.db",
    "observations.db",
    "full_browsing_session_resourceLog.plist",
    "ChatStorage.sqlite",
    "ContactsV2.sqlite",
    "LID.sqlite",
    "browser.db",
    "clients.plist",
    "iTunesMetadata.plist",
    "MCProfileEvents.plist",
    "idstatuscache.plist",
    ".GlobalPreferences.plist",
    "com.apple.identityservices.idstatuscache.plist",
    "com.apple.osanalytics.addaily.plist",
    "com.apple.ImageIO.plist",
    "com.apple.locationd.StatusBarIconManager.plist",
    "com.apple.imservice.ids.FaceTime.plist",
    super::evidence::CONTAINER_METADATA,
    // Filesystem modules.
    "Cache.db",
    "netusage.sqlite",
    "Favicons.db",
    "SystemVersion.plist",
];

/// Chrome's databases have generic names: kept only inside Chrome's folder.
const CHROME_DIR: &str = "Google/Chrome/Default/";
const CHROME_NAMES: &[&str] = &["Favicons", "History"];

/// Largest member kept whatever its kind (the budgets of the tar options bound the total).
const MAX_KEPT: u64 = 4 << 30;

fn base_name(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Whether the single pass over a compressed dump keeps the member `name` (its normalised name in the
/// archive, any wrapper included) of `size` bytes.
pub fn keep(name: &str, size: u64) -> bool {
    if size > MAX_KEPT {
        return false;
    }
    let mut base = base_name(name);
    for side in ["-wal", "-shm", "-journal"] {
        if let Some(b) = base.strip_suffix(side) {
            base = b;
        }
    }
    if NAMES.contains(&base) {
        return true;
    }
    if CHROME_NAMES.contains(&base) && name.contains(CHROME_DIR) {
        return true;
    }
    let within = |dir: &str| name.contains(dir);
    // Configuration profiles (backup module) and their stubs.
    if base.starts_with("profile-") && within("ConfigurationProfiles/") {
        return true;
    }
    // Shutdown logs, crash and analytics reports, SFAnalytics databases.
    if base.starts_with("shutdown") && base.ends_with(".log") {
        return true;
    }
    if base.ends_with(".ips") {
        return true;
    }
    if base.ends_with(".db") && within("Keychains/Analytics/") {
        return true;
    }
    // A sysdiagnose kept inside the dump.
    if base.starts_with("sysdiagnose_") && within("DiagnosticLogs/sysdiagnose/") {
        return true;
    }
    // Files in unusual locations: the filesystem module reads their first bytes.
    if (within("tmp/") || within("com.apple.xpc.roleaccountd.staging/")) && size <= 64 << 20 {
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(keep(
            "filesystem1/private/var/mobile/Library/SMS/sms.db",
            10
        ));
        assert!(keep("private/var/mobile/Library/SMS/sms.db-wal", 10));
        assert!(keep(
            "private/var/mobile/Containers/Data/Application/X/Library/Application Support/Google/Chrome/Default/History",
            10
        ));
        assert!(!keep("private/var/mobile/Media/History", 10));
        assert!(keep("private/var/db/diagnostics/shutdown.0.log", 10));
        assert!(keep(
            "private/var/Keychains/Analytics/ckks_analytics.db",
            10
        ));
        assert!(!keep(
            "private/var/mobile/Media/DCIM/100APPLE/IMG_0001.HEIC",
            10
        ));
        assert!(!keep("private/var/mobile/Library/SMS/sms.db", 8 << 30));
    }
}
