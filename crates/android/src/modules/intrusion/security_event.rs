//! `security_event`: SecurityLog events of the intrusion logs (`{"security_event": {"event_time": ns,
//! "event_id": n, "<tag>": {fields}}}`; tag names as Android's SecurityLog: `app_process_start`
//! {process, uid, pid}, `package_installed|updated|uninstalled` {package_name, version_code, user_id},
//! `adb_shell_cmd` {command}, `adb_shell_interactive`, `adb_sync_recv_file|send_file` {path},
//! `cert_authority_installed` {subject, success}, `os_startup` {verified_boot_state, dm_verity_mode} …).
//! Records: the event's fields plus `event_type` (the tag) and `timestamp` (UTC). Timeline: the tag.
//! Checks:
//! * `match_app_id` on started processes (and their `:`-separated parts) and on installed, updated or
//!   removed packages; `match_file_path` on files moved over ADB (CRITICAL);
//! * commands run over ADB LOW, an ADB shell opened or a file pulled INFORMATIONAL, a file pushed LOW;
//! * a CA certificate installed MEDIUM (lets its owner read encrypted traffic); a boot with a verified
//!   boot state other than green or dm-verity not enforcing HIGH (the system's integrity is not
//!   checked: unlocked or modified phone); key integrity violations, certificate validation failures,
//!   failed cryptographic self tests and wipe failures MEDIUM.

use serde_json::{Map, Value};
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record};

use super::{Shared, event_time, events_or_no_data, str_field};

pub struct SecurityEvent(pub Shared);

/// The SecurityLog tag names known (Android 16), to report unknown ones.
pub const KNOWN_TAGS: &[&str] = &[
    "adb_shell_interactive",
    "adb_shell_cmd",
    "adb_sync_recv_file",
    "adb_sync_send_file",
    "app_process_start",
    "keyguard_dismissed",
    "keyguard_dismiss_auth_attempt",
    "keyguard_secured",
    "os_startup",
    "os_shutdown",
    "logging_started",
    "logging_stopped",
    "media_mount",
    "media_unmount",
    "log_buffer_size_critical",
    "password_expiration_set",
    "password_complexity_set",
    "password_history_length_set",
    "max_screen_lock_timeout_set",
    "max_password_attempts_set",
    "keyguard_disabled_features_set",
    "remote_lock",
    "wipe_failure",
    "key_generated",
    "key_import",
    "key_destruction",
    "user_restriction_added",
    "user_restriction_removed",
    "cert_authority_installed",
    "cert_authority_removed",
    "crypto_self_test_completed",
    "key_integrity_violation",
    "cert_validation_failure",
    "camera_policy_set",
    "password_complexity_required",
    "password_changed",
    "wifi_connection",
    "wifi_disconnection",
    "bluetooth_connection",
    "bluetooth_disconnection",
    "package_installed",
    "package_updated",
    "package_uninstalled",
    "backup_service_toggled",
    "nfc_enabled",
    "nfc_disabled",
];

const METADATA: &[&str] = &["event_id", "event_time", "event_type", "timestamp"];

/// The event's tag: its first key that is not metadata.
pub fn tag(e: &Map<String, Value>) -> Option<&str> {
    e.keys().map(String::as_str).find(|k| !METADATA.contains(k))
}

fn success(v: &Value) -> bool {
    let v = if v.is_object() {
        v.get("success")
    } else {
        Some(v)
    };
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() != Some(0),
        _ => true,
    }
}

fn describe(tag: &str, info: &Value) -> String {
    let f = |k: &str| {
        info.get(k)
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .unwrap_or_default()
    };
    match tag {
        "adb_shell_interactive" => "ADB interactive shell opened".into(),
        "adb_shell_cmd" => format!("ADB shell command: {}", f("command")),
        "adb_sync_recv_file" => format!("File pulled via ADB: {}", f("path")),
        "adb_sync_send_file" => format!("File pushed via ADB: {}", f("path")),
        "app_process_start" => format!(
            "Process started: {} (UID: {}, PID: {})",
            f("process"),
            f("uid"),
            f("pid")
        ),
        "package_installed" | "package_updated" | "package_uninstalled" => format!(
            "{}: {} (version {})",
            tag.replace('_', " "),
            f("package_name"),
            f("version_code")
        ),
        "cert_authority_installed" => format!("CA certificate installed: {}", f("subject")),
        "os_startup" => format!(
            "OS started (verified boot: {}, dm-verity: {})",
            f("verified_boot_state"),
            f("dm_verity_mode")
        ),
        "keyguard_dismissed" => "Keyguard dismissed".into(),
        "keyguard_secured" => "Device locked".into(),
        _ => format!("{tag}: {info}"),
    }
}

impl Module for SecurityEvent {
    fn name(&self) -> &'static str {
        "security_event"
    }
    fn description(&self) -> &'static str {
        "Security events in Android intrusion logs: app starts/installs, ADB use, CA certificates, boot integrity"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(ev) = events_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let mut unknown: Vec<String> = Vec::new();
        for e in ev.of("security_event") {
            let ts = event_time(e.get("event_time"));
            let Some(t) = tag(e).map(str::to_string) else {
                continue;
            };
            if !KNOWN_TAGS.contains(&t.as_str()) && !unknown.contains(&t) {
                unknown.push(t.clone());
            }
            let info = e.get(&t).cloned().unwrap_or(Value::Null);
            let mut rec: Record = e.clone();
            rec.insert("event_type".into(), t.clone().into());
            rec.insert(
                "timestamp".into(),
                telltale_core::time::format_opt(ts)
                    .unwrap_or_default()
                    .into(),
            );
            let desc = describe(&t, &info);
            out.timeline(ts, &t, desc.clone());
            out.record(&rec);
            let empty = Map::new();
            let fields = info.as_object().unwrap_or(&empty);
            match t.as_str() {
                "app_process_start" => {
                    let process = str_field(fields, "process");
                    let mut m = ctx.iocs.match_app_id(process);
                    if m.is_empty() {
                        m = process.split(':').skip(1).filter(|p| !p.is_empty()).flat_map(|p| ctx.iocs.match_app_id(p)).take(1).collect();
                    }
                    out.ioc_alerts(&m, "Started app process", ts, &rec);
                }
                "package_installed" | "package_updated" | "package_uninstalled" => {
                    let m = ctx.iocs.match_app_id(str_field(fields, "package_name"));
                    out.ioc_alerts(&m, "Installed, updated or removed package", ts, &rec);
                }
                "adb_shell_cmd" => {
                    let cmd = str_field(fields, "command");
                    let m: Vec<_> = cmd.split_whitespace().flat_map(|w| ctx.iocs.match_app_id(w)).collect();
                    if m.is_empty() {
                        out.alert(Level::Low, format!("A command was run on the phone over ADB (USB debugging): {cmd}"), ts, &rec, None);
                    } else {
                        out.ioc_alerts(&m, "ADB shell command", ts, &rec);
                    }
                }
                "adb_shell_interactive" => {
                    out.alert(Level::Informational, "An interactive shell was opened on the phone over ADB (USB debugging)", ts, &rec, None);
                }
                "adb_sync_recv_file" | "adb_sync_send_file" => {
                    let path = str_field(fields, "path");
                    let m = ctx.iocs.match_file_path(path);
                    if !m.is_empty() {
                        out.ioc_alerts(&m, "File transferred over ADB", ts, &rec);
                    } else if t == "adb_sync_send_file" {
                        out.alert(Level::Low, format!("A file was pushed onto the phone over ADB: {path}"), ts, &rec, None);
                    } else {
                        out.alert(Level::Informational, format!("A file was copied from the phone over ADB: {path}"), ts, &rec, None);
                    }
                }
                "cert_authority_installed" if success(&info) => {
                    out.alert(
                        Level::Medium,
                        format!("A CA certificate was installed ({}): whoever holds its key can read the phone's encrypted traffic; check that it is expected (work profile, VPN)", str_field(fields, "subject")),
                        ts,
                        &rec,
                        None,
                    );
                }
                "os_startup" => {
                    let vb = str_field(fields, "verified_boot_state").to_ascii_lowercase();
                    let dm = str_field(fields, "dm_verity_mode").to_ascii_lowercase();
                    if (!vb.is_empty() && vb != "green") || (!dm.is_empty() && dm != "enforcing") {
                        let level = if vb == "yellow" && (dm.is_empty() || dm == "enforcing") { Level::Medium } else { Level::High };
                        out.alert(
                            level,
                            format!("The phone booted with verified boot state '{vb}' and dm-verity '{dm}': the system's integrity was not fully checked (unlocked bootloader or modified system), which spyware can exploit to persist"),
                            ts,
                            &rec,
                            None,
                        );
                    }
                }
                "key_integrity_violation" => out.alert(Level::Medium, format!("Key integrity violation: {info}; a stored cryptographic key failed its integrity check"), ts, &rec, None),
                "cert_validation_failure" => out.alert(Level::Medium, format!("Certificate validation failure: {info}"), ts, &rec, None),
                "crypto_self_test_completed" if !success(&info) => {
                    out.alert(Level::Medium, "The cryptographic self test failed", ts, &rec, None)
                }
                "wipe_failure" => out.alert(Level::Medium, "A device wipe failed", ts, &rec, None),
                _ => {}
            }
        }
        if !unknown.is_empty() {
            out.warn(format!(
                "unknown intrusion log security event type(s): {} (kept as records)",
                unknown.join(", ")
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::bugreport::testutil::*;
    use crate::modules::intrusion::IntrusionCache;
    use serde_json::json;
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::bugreport::IntrusionLogs;

    fn logs() -> IntrusionLogs {
        let ns = 1_700_000_002_000_000_000i64;
        IntrusionLogs::new()
            .security("l.txt", ns, "app_process_start", json!({"process": "com.google.android.webview:com.evil.spy:0", "uid": 10000, "pid": 1234}))
            .security("l.txt", ns + 1, "package_installed", json!({"package_name": "com.evil.spy", "version_code": 1, "user_id": 0}))
            .security("l.txt", ns + 2, "adb_shell_cmd", json!({"command": "pm list packages"}))
            .security("l.txt", ns + 3, "adb_sync_send_file", json!({"path": "/data/local/tmp/x"}))
            .security("l.txt", ns + 4, "cert_authority_installed", json!({"subject": "CN=Evil", "success": true}))
            .security("l.txt", ns + 5, "cert_authority_installed", json!({"subject": "CN=Failed", "success": false}))
            .security("l.txt", ns + 6, "os_startup", json!({"verified_boot_state": "orange", "dm_verity_mode": "enforcing"}))
            .security("l.txt", ns + 7, "os_startup", json!({"verified_boot_state": "green", "dm_verity_mode": "enforcing"}))
            .security("l.txt", ns + 8, "future_google_event", json!({"field": "value"}))
            .line("l.txt", "{\"security_event\": {\"event_id\": 1}}")
    }

    fn run(iocs: &telltale_core::ioc::IocIndex) -> Run {
        let dir = tempfile::tempdir().unwrap();
        logs().write_folder(dir.path()).unwrap();
        run_dir(
            &SecurityEvent(IntrusionCache::new()),
            dir.path(),
            iocs,
            None,
        )
    }

    #[test]
    fn positive() {
        let r = run(&iocs(&[
            (IndicatorKind::AppId, "com.evil.spy"),
            (IndicatorKind::FilePath, "/data/local/tmp/x"),
        ]));
        assert_eq!(r.records.len(), 9);
        assert_eq!(r.records[0]["event_type"], "app_process_start");
        assert_eq!(r.records[0]["timestamp"], "2023-11-14 22:13:22.000000");
        // process part, installed package, pushed file, orange boot
        assert_eq!(r.severe(), 4);
        assert_eq!(r.at(Level::Medium).len(), 1);
        assert_eq!(r.at(Level::Low).len(), 1);
        assert!(
            r.outcome
                .warnings
                .iter()
                .any(|w| w.contains("future_google_event"))
        );
        assert_eq!(r.timeline.len(), 9);
    }

    #[test]
    fn negative() {
        let r = run(&iocs(&[
            (IndicatorKind::AppId, "com.evil"),
            (IndicatorKind::FilePath, "/data/local/tmp/y"),
        ]));
        assert_eq!(r.severe(), 1, "only the orange boot");
        assert_eq!(r.at(Level::Low).len(), 2);
    }
}
