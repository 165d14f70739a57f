//! Testkit writers for iOS sysdiagnose archives: a top folder `sysdiagnose_<date>_iPhone-OS_iPhone_<build>`
//! holding the artifacts telltale reads, written as a folder, a `.tar` or a `.tar.gz`, with the real text
//! formats:
//!
//! * `system_logs.logarchive/Extra/shutdown.log` (or iOS 26's `shutdown.0.log`): [`ShutdownLog`], with or
//!   without the `/<UUID>` suffix of recent clients;
//! * `crashes_and_spins/*.ips`: [`ips_crash`] (bug_type 309, JSON body), [`ips_jetsam`] (298),
//!   [`ips_legacy`] (109, text body);
//! * `ps.txt` ([`ps_txt`]), `ps_thread.txt`, `taskinfo.txt` ([`taskinfo_txt`]), `spindump-nosymbols.txt`
//!   ([`spindump_txt`]);
//! * `remotectl_dumpstate.txt` ([`remotectl_dumpstate`]), `logs/SystemVersion/SystemVersion.plist`
//!   ([`system_version_plist`]);
//! * `logs/MCState/Shared/profile-*.stub` ([`profile_stub`]);
//! * `logs/MobileInstallation/mobile_installation.log.0` ([`MobileInstallationLog`]);
//! * `logs/Accessibility/TCC.db` (the backup's [`crate::ios_dbs::TccDb`] writer).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The default top-folder name (a device in UTC−7 on 2024-05-24 13:29:15, build 21F90 = iOS 17.5.1).
pub const DEFAULT_NAME: &str = "sysdiagnose_2024.05.24_13-29-15-0700_iPhone-OS_iPhone_21F90";

/// Logical paths (relative to the top folder).
pub const SHUTDOWN_LOG: &str = "system_logs.logarchive/Extra/shutdown.log";
pub const SHUTDOWN_LOG_26: &str = "system_logs.logarchive/Extra/shutdown.0.log";
pub const PS: &str = "ps.txt";
pub const PS_THREAD: &str = "ps_thread.txt";
pub const TASKINFO: &str = "taskinfo.txt";
pub const SPINDUMP: &str = "spindump-nosymbols.txt";
pub const REMOTECTL: &str = "remotectl_dumpstate.txt";
pub const SYSTEM_VERSION: &str = "logs/SystemVersion/SystemVersion.plist";
pub const TCC: &str = "logs/Accessibility/TCC.db";
pub const MOBILE_INSTALLATION: &str = "logs/MobileInstallation/mobile_installation.log.0";

/// A sysdiagnose archive to write.
#[derive(Clone)]
pub struct Sysdiagnose {
    name: String,
    files: BTreeMap<String, Vec<u8>>,
    /// Extra members outside the top folder (AppleDouble files, a second top folder …), by raw name.
    outside: Vec<(String, Vec<u8>)>,
    /// Modification time of tar members (Unix seconds).
    pub mtime: u64,
}

impl Default for Sysdiagnose {
    fn default() -> Self {
        Self::new()
    }
}

impl Sysdiagnose {
    /// An archive named [`DEFAULT_NAME`] with the usual device-identity files (iPhone14,2, iOS 17.5.1
    /// 21F90), a unified-log archive stub and a clean shutdown log. No process list, crash report or
    /// profile.
    pub fn new() -> Self {
        Self::named(DEFAULT_NAME)
            .file(
                REMOTECTL,
                remotectl_dumpstate("iPhone14,2", "17.5.1", "21F90", "F2LXXXXXXXXX").as_bytes(),
            )
            .file(SYSTEM_VERSION, &system_version_plist("17.5.1", "21F90"))
            .file(
                "system_logs.logarchive/Info.plist",
                &system_version_plist("0", "0"),
            )
            .file(
                "system_logs.logarchive/Persist/0000000000000001.tracev3",
                &[0u8; 64],
            )
            .file(
                SHUTDOWN_LOG,
                ShutdownLog::new()
                    .notice(0.5, &[(51, "/usr/libexec/mobileassetd")])
                    .sigterm(1_716_500_000)
                    .to_string()
                    .as_bytes(),
            )
    }

    /// An archive with the given top-folder name and no files.
    pub fn named(name: &str) -> Self {
        Sysdiagnose {
            name: name.into(),
            files: BTreeMap::new(),
            outside: Vec::new(),
            mtime: 1_716_582_555,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A file at a path relative to the top folder (replaces an earlier one).
    pub fn file(mut self, path: &str, bytes: &[u8]) -> Self {
        self.files.insert(path.into(), bytes.to_vec());
        self
    }

    /// Removes a file.
    pub fn without(mut self, path: &str) -> Self {
        self.files.remove(path);
        self
    }

    /// A member outside the top folder, by its raw archive name (e.g. `._sysdiagnose_x`).
    pub fn outside(mut self, raw_name: &str, bytes: &[u8]) -> Self {
        self.outside.push((raw_name.into(), bytes.to_vec()));
        self
    }

    /// The shutdown log at its usual place.
    pub fn shutdown_log(self, log: &ShutdownLog) -> Self {
        self.file(SHUTDOWN_LOG, log.to_string().as_bytes())
    }

    /// iOS 26: only `shutdown.0.log`.
    pub fn shutdown_log_26(self, log: &ShutdownLog) -> Self {
        self.without(SHUTDOWN_LOG)
            .file(SHUTDOWN_LOG_26, log.to_string().as_bytes())
    }

    /// A crash report under `crashes_and_spins/`.
    pub fn ips(self, name: &str, text: &str) -> Self {
        self.file(&format!("crashes_and_spins/{name}"), text.as_bytes())
    }

    /// Every file, by path relative to the top folder.
    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    /// Writes `<dir>/<name>/…`; returns the top folder.
    pub fn write_folder(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let top = dir.join(&self.name);
        for (p, b) in &self.files {
            let f = top.join(p);
            std::fs::create_dir_all(f.parent().expect("parent"))?;
            std::fs::write(f, b)?;
        }
        for (p, b) in &self.outside {
            let f = dir.join(p);
            std::fs::create_dir_all(f.parent().expect("parent"))?;
            std::fs::write(f, b)?;
        }
        Ok(top)
    }

    /// The uncompressed tar bytes (members `<name>/…`, folders first, GNU/ustar headers).
    pub fn tar_bytes(&self) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut dirs: Vec<String> = vec![self.name.clone()];
        for p in self.files.keys() {
            let mut acc = self.name.clone();
            let parts: Vec<&str> = p.split('/').collect();
            for part in &parts[..parts.len() - 1] {
                acc = format!("{acc}/{part}");
                if !dirs.contains(&acc) {
                    dirs.push(acc.clone());
                }
            }
        }
        for d in &dirs {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
            h.set_mode(0o755);
            h.set_mtime(self.mtime);
            b.append_data(&mut h, format!("{d}/"), std::io::empty())
                .expect("tar dir");
        }
        let mut add = |name: &str, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(self.mtime);
            b.append_data(&mut h, name, data).expect("tar member");
        };
        for (p, data) in &self.files {
            add(&format!("{}/{p}", self.name), data);
        }
        for (p, data) in &self.outside {
            add(p, data);
        }
        b.into_inner().expect("tar")
    }

    /// Writes a `.tar`.
    pub fn write_tar(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.tar_bytes())
    }

    /// Writes a `.tar.gz`.
    pub fn write_tar_gz(&self, path: &Path) -> std::io::Result<()> {
        let f = std::fs::File::create(path)?;
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        gz.write_all(&self.tar_bytes())?;
        gz.finish()?.flush()
    }
}

/// A shutdown log: notices listing the clients still running, each reboot ended by a `SIGTERM` line.
#[derive(Clone, Default)]
pub struct ShutdownLog {
    text: String,
}

impl ShutdownLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// An "After `delay`s, these clients are still here:" notice listing `(pid, path)` clients.
    pub fn notice(mut self, delay: f64, clients: &[(u32, &str)]) -> Self {
        let _ = writeln!(
            self.text,
            "After {delay:.2}s, these clients are still here:"
        );
        for (pid, path) in clients {
            let _ = writeln!(self.text, "\t\tremaining client pid: {pid} ({path})");
        }
        self
    }

    /// The `SIGTERM: [t]` line ending a reboot (`t` Unix seconds).
    pub fn sigterm(mut self, t: i64) -> Self {
        let _ = writeln!(self.text, "SIGTERM: [{t}] All buffers flushed");
        self
    }

    /// A raw line.
    pub fn line(mut self, line: &str) -> Self {
        self.text.push_str(line);
        self.text.push('\n');
        self
    }
}

impl std::fmt::Display for ShutdownLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A client path with the executable UUID recent iOS appends (`<path>/<UUID>`), the UUID derived from the
/// path so that tests are reproducible.
pub fn with_uuid(path: &str) -> String {
    use sha2::Digest;
    let h = hex::encode_upper(sha2::Sha256::digest(path.as_bytes()));
    format!(
        "{path}/{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The one-line JSON header of an `.ips` report.
fn ips_header(bug_type: &str, app_name: &str, timestamp: &str) -> String {
    serde_json::json!({
        "app_name": app_name,
        "timestamp": timestamp,
        "app_version": "",
        "slice_uuid": "6f2a5a55-0a4b-3c3f-9c1a-6d5b0b0e7f21",
        "build_version": "",
        "platform": 2,
        "share_with_app_devs": 0,
        "is_first_party": 1,
        "bug_type": bug_type,
        "os_version": "iPhone OS 17.5.1 (21F90)",
        "roots_installed": 0,
        "incident_id": "8D0C1C2E-3D8A-4C39-9F1D-2E7A3B1C0D9E",
        "name": app_name,
    })
    .to_string()
}

/// A bug_type 309 crash report (JSON body): `proc_path` is the executable's path, `time` the local time
/// and offset (`2024-05-20 10:11:12.3456 -0700`), `images` extra loaded image paths.
pub fn ips_crash(proc_path: &str, bundle_id: Option<&str>, time: &str, images: &[&str]) -> String {
    let name = proc_path.rsplit('/').next().unwrap_or(proc_path);
    let mut used: Vec<serde_json::Value> = vec![serde_json::json!({
        "source": "P", "arch": "arm64e", "base": 4_295_000_000u64, "size": 65536,
        "uuid": "6f2a5a55-0a4b-3c3f-9c1a-6d5b0b0e7f21", "path": proc_path, "name": name
    })];
    for p in images {
        used.push(
            serde_json::json!({"source": "P", "arch": "arm64e", "path": p,
            "name": p.rsplit('/').next().unwrap_or(p)}),
        );
    }
    let mut body = serde_json::json!({
        "uptime": 120_000,
        "procRole": "Unspecified",
        "version": 2,
        "userID": 501,
        "deployVersion": 210,
        "modelCode": "iPhone14,2",
        "procStartAbsTime": 2_000_000_000u64,
        "coalitionID": 451,
        "osVersion": {"train": "iPhone OS 17.5.1", "build": "21F90", "releaseType": "User"},
        "captureTime": time,
        "incident": "8D0C1C2E-3D8A-4C39-9F1D-2E7A3B1C0D9E",
        "pid": 431,
        "cpuType": "ARM-64",
        "procName": name,
        "procPath": proc_path,
        "parentProc": "launchd",
        "parentPid": 1,
        "coalitionName": bundle_id.unwrap_or(name),
        "procLaunch": time,
        "exception": {"codes": "0x0000000000000001, 0x0000000000000000", "type": "EXC_CRASH", "signal": "SIGABRT"},
        "termination": {"flags": 0, "code": 6, "namespace": "SIGNAL", "indicator": "Abort trap: 6"},
        "usedImages": used,
    });
    if let Some(b) = bundle_id {
        body["bundleInfo"] =
            serde_json::json!({"CFBundleIdentifier": b, "CFBundleShortVersionString": "1.0"});
    }
    format!(
        "{}\n{}",
        ips_header("309", name, time),
        serde_json::to_string_pretty(&body).expect("json")
    )
}

/// A bug_type 298 JetsamEvent listing the named processes.
pub fn ips_jetsam(time: &str, names: &[&str]) -> String {
    let procs: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            serde_json::json!({"uuid": "00000000-0000-0000-0000-000000000000", "states": ["daemon"],
                "lifetimeMax": 12, "age": 1000, "purgeable": 0, "fds": 25, "coalition": 100 + i,
                "rpages": 500, "priority": 0, "physicalPages": {"internal": [200, 20]}, "pid": 100 + i,
                "cpuTime": 0.5, "name": n})
        })
        .collect();
    let body = serde_json::json!({
        "crashReporterKey": "0000000000000000000000000000000000000000",
        "kernel": "Darwin Kernel Version 23.5.0",
        "product": "iPhone14,2",
        "incident": "8D0C1C2E-3D8A-4C39-9F1D-2E7A3B1C0D9F",
        "date": time,
        "build": "iPhone OS 17.5.1 (21F90)",
        "timeDelta": 5,
        "memoryStatus": {"pageSize": 16384},
        "largestProcess": names.first().copied().unwrap_or(""),
        "genCounter": 0,
        "processes": procs,
    });
    format!(
        "{}\n{}",
        ips_header("298", "JetsamEvent", time),
        serde_json::to_string_pretty(&body).expect("json")
    )
}

/// A bug_type 109 legacy crash report (text body, iOS ≤ 14).
pub fn ips_legacy(proc_path: &str, time: &str) -> String {
    let name = proc_path.rsplit('/').next().unwrap_or(proc_path);
    format!(
        "{}\nIncident Identifier: 8D0C1C2E-3D8A-4C39-9F1D-2E7A3B1C0DA0\nCrashReporter Key:   0000\n\
         Hardware Model:      iPhone12,1\nProcess:             {name} [431]\nPath:                {proc_path}\n\
         Identifier:          {name}\nVersion:             ???\nCode Type:           ARM-64 (Native)\n\
         Role:                Unspecified\nParent Process:      launchd [1]\nCoalition:           {name} [451]\n\n\
         Date/Time:           {time}\nLaunch Time:         {time}\nOS Version:          iPhone OS 14.6 (18F72)\n\
         Release Type:        User\n\nException Type:  EXC_CRASH (SIGABRT)\n\nThread 0 Crashed:\n\
         0   libsystem_kernel.dylib        \t0x00000001bd8b9414 0x1bd892000 + 160788\n\n\
         Binary Images:\n0x100d8c000 - 0x100d93fff {name} arm64  <6f2a5a550a4b3c3f9c1a6d5b0b0e7f21> {proc_path}\n\
         0x1bd892000 - 0x1bd8c7fff libsystem_kernel.dylib arm64e  <a1b2c3d4e5f60718293a4b5c6d7e8f90> /usr/lib/system/libsystem_kernel.dylib\n",
        ips_header("109", name, time)
    )
}

/// `ps.txt` with the columns of `ps axwwo user,uid,prsna,pid,ppid,flags,%cpu,%mem,pri,ni,vsz,rss,wchan,tt,stat,start,time,command`;
/// rows `(user, pid, ppid, command)`.
pub fn ps_txt(rows: &[(&str, u32, u32, &str)]) -> String {
    let mut s = String::from(
        "USER             UID PRSNA   PID  PPID        F  %CPU %MEM PRI NI      VSZ    RSS WCHAN    TT  STAT STARTED      TIME COMMAND\n",
    );
    for (user, pid, ppid, cmd) in rows {
        let uid = if *user == "root" { 0 } else { 501 };
        let _ = writeln!(
            s,
            "{user:<16} {uid:>4} {:>5} {pid:>5} {ppid:>5} {:>8}   0.0  0.1  31  0 407921200   1936 -        ??  Ss   Mon07AM   0:04.91 {cmd}",
            199, "4004004"
        );
    }
    s
}

/// `ps_thread.txt` (`ps -M` layout: one row per thread, the first with user and command).
pub fn ps_thread_txt(rows: &[(&str, u32, &str)]) -> String {
    let mut s = String::from("USER     PID   TT  %CPU STAT PRI     STIME     UTIME COMMAND\n");
    for (user, pid, cmd) in rows {
        let _ = writeln!(
            s,
            "{user:<8} {pid:>4}   ??    0.0 S    31T   0:00.39   0:00.62 {cmd}"
        );
        let _ = writeln!(
            s,
            "         {pid:>4}         0.0 S    31T   0:00.00   0:00.00"
        );
    }
    s
}

/// `taskinfo.txt` with one block per `(name, pid)`.
pub fn taskinfo_txt(tasks: &[(&str, u32)]) -> String {
    let mut s = format!("num tasks: {}\n\n", tasks.len());
    for (name, pid) in tasks {
        let _ = write!(
            s,
            "process: \"{name}\" [{pid}]\n\tarchitecture: arm64e\n\tcoalition (type 0/resource-coalition): 38\n\
             \trun time: 1200 s\n\tthreads:\n\t\tthread ID: 0x1a2b / 6699\n\t\tthread name: \"\"\n\n\n"
        );
    }
    s
}

/// `spindump-nosymbols.txt` with one process block per `(name, pid, path)`.
pub fn spindump_txt(procs: &[(&str, u32, &str)]) -> String {
    let mut s = String::from(
        "Date/Time:        2024-05-24 13:29:20.123 -0700\nEnd time:         2024-05-24 13:29:21.123 -0700\n\
         OS Version:       iPhone OS 17.5.1 (Build 21F90)\nArchitecture:     arm64e\nReport Version:   53\n\n\
         Data Source:      Stackshots\nShared Cache:     6F2A5A55-0A4B-3C3F-9C1A-6D5B0B0E7F21 slid base address 0x1a0000000, slide 0x20000000\n\n\
         ------------------------------------------------------------\n",
    );
    for (name, pid, path) in procs {
        let _ = write!(
            s,
            "\nProcess:          {name} [{pid}]\nUUID:             6F2A5A55-0A4B-3C3F-9C1A-6D5B0B0E7F21\nPath:             {path}\n\
             Architecture:     arm64e\nParent:           launchd [1]\nUID:              501\nFootprint:        1.2 MB\n\
             Time Since Fork:  1200s\nNum samples:      10 (1-10)\n\n  Thread 0x1a2b    10 samples (1-10)    priority 31 (base 31)\n\
             \x20 10  ??? [0x1a2b3c]\n\n  Binary Images:\n\
             \x20          0x100d8c000 -        0x100d93fff  {name} <6F2A5A55-0A4B-3C3F-9C1A-6D5B0B0E7F21>  {path}\n"
        );
    }
    s
}

/// `remotectl_dumpstate.txt` with the local device's properties.
pub fn remotectl_dumpstate(product_type: &str, version: &str, build: &str, serial: &str) -> String {
    format!(
        "Local device\n\tUUID: 1C2D3E4F-5A6B-4C7D-8E9F-A0B1C2D3E4F5\n\tMessaging Protocol Version: 3\n\
         \tProduct Type: {product_type}\n\tOS Build: {version} ({build})\n\tProperties: {{\n\
         \t\tAppleInternal => false\n\t\tBuildVersion => {build}\n\t\tCPUArchitecture => arm64e\n\
         \t\tDeviceClass => iPhone\n\t\tHWModel => D63AP\n\t\tOSVersion => {version}\n\
         \t\tProductName => iPhone OS\n\t\tProductType => {product_type}\n\t\tSerialNumber => {serial}\n\
         \t\tUniqueDeviceID => 00008110-000A1B2C3D4E5F60\n\t}}\n\tServices:\n\t\tcom.apple.mobile.lockdown.remote.trusted\n\n\
         Found localbridge (bridge)\n\tProperties: {{\n\t\tBuildVersion => 99Z999\n\t\tProductType => Other1,1\n\t}}\n"
    )
}

fn plist_xml(v: &plist::Value) -> Vec<u8> {
    let mut out = Vec::new();
    v.to_writer_xml(&mut out).expect("plist");
    out
}

/// `SystemVersion.plist` (XML).
pub fn system_version_plist(version: &str, build: &str) -> Vec<u8> {
    let mut d = plist::Dictionary::new();
    d.insert("ProductBuildVersion".into(), build.into());
    d.insert("ProductCopyright".into(), "1983-2024 Apple Inc.".into());
    d.insert("ProductName".into(), "iPhone OS".into());
    d.insert("ProductVersion".into(), version.into());
    plist_xml(&plist::Value::Dictionary(d))
}

/// A `profile-<hash>.stub` of `logs/MCState/Shared/` (an XML plist of the installed profile):
/// `install_date` is Unix seconds.
pub fn profile_stub(
    uuid: &str,
    display_name: &str,
    identifier: &str,
    install_date: i64,
) -> Vec<u8> {
    let mut payload = plist::Dictionary::new();
    payload.insert("PayloadType".into(), "com.apple.wifi.managed".into());
    payload.insert(
        "PayloadUUID".into(),
        "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0".into(),
    );
    payload.insert(
        "PayloadIdentifier".into(),
        format!("{identifier}.wifi").into(),
    );
    let mut d = plist::Dictionary::new();
    d.insert("PayloadDisplayName".into(), display_name.into());
    d.insert("PayloadIdentifier".into(), identifier.into());
    d.insert("PayloadUUID".into(), uuid.into());
    d.insert("PayloadType".into(), "Configuration".into());
    d.insert("PayloadVersion".into(), 1.into());
    d.insert("PayloadDescription".into(), "Network settings".into());
    d.insert(
        "InstallDate".into(),
        plist::Value::Date(plist::Date::from(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(install_date.max(0) as u64),
        )),
    );
    d.insert(
        "PayloadContent".into(),
        plist::Value::Array(vec![plist::Value::Dictionary(payload)]),
    );
    plist_xml(&plist::Value::Dictionary(d))
}

/// `mobile_installation.log.*`: lines `Fri May 24 10:00:00 2024 [98] <notice> (0x16b…) -[…]: message`
/// (device local time, no zone).
#[derive(Clone, Default)]
pub struct MobileInstallationLog {
    text: String,
}

impl MobileInstallationLog {
    pub fn new() -> Self {
        Self::default()
    }
    fn line(mut self, when: &str, method: &str, msg: &str) -> Self {
        let _ = writeln!(
            self.text,
            "{when} [98] <notice> (0x16b57b000) -[{method}]: {msg}"
        );
        self
    }
    /// `when` like `Fri May 24 10:00:00 2024`.
    pub fn install(self, when: &str, bundle_id: &str) -> Self {
        self.line(
            when,
            "MIInstaller performInstallationWithError:",
            &format!(
                "Install Successful for (Placeholder:{bundle_id}); Staging: 0.00s; Waiting: 0.00s; Preflight: 0.00s; \
                 Patching: 0.00s; Verifying: 0.00s; Overall: 0.15s"
            ),
        )
    }
    pub fn uninstall(self, when: &str, bundle_id: &str) -> Self {
        self.line(
            when,
            "MIClientConnection _uninstallIdentifiers:withOptions:completion:",
            &format!(
                "Uninstall requested by installcoordinationd (pid 127) for identifier {bundle_id} with options: {{\n}}"
            ),
        )
        .line(
            when,
            "MIUninstaller _uninstallBundleWithIdentity:linkedToChildren:waitForDeletion:uninstallReason:temporaryReference:wasLastReference:error:",
            &format!("Uninstalling identifier {bundle_id}"),
        )
    }
    /// A line with free text.
    pub fn other(self, when: &str, msg: &str) -> Self {
        self.line(
            when,
            "MIContainer makeContainerLiveReplacingContainer:reason:waitForDeletion:withError:",
            msg,
        )
    }
}

impl std::fmt::Display for MobileInstallationLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A large sysdiagnose for benchmarks, of about `mib` MiB uncompressed, shaped like a real one: most of
/// the bytes in the unified log archive (incompressible `.tracev3` chunks, which no module reads), then
/// the text artifacts the modules do read — a shutdown log of 2,000 reboots, 1,000 `.ips` reports, process
/// lists of 600 processes (spindump padded with thread stacks), a mobile installation log of some
/// 200,000 lines — and two planted traces (a Pegasus client in the shutdown log, a crash of `bh`).
pub fn big_sysdiagnose(mib: usize) -> Sysdiagnose {
    let mut rng = crate::rng::XorShift(0x5eed_5d1a);
    let mut s = Sysdiagnose::new();
    // Shutdown log: 2,000 reboots of ~8 clients.
    let mut log = ShutdownLog::new();
    let daemons: Vec<String> = (0..600)
        .map(|i| match i % 4 {
            0 => format!("/usr/libexec/daemon{i}"),
            1 => format!("/System/Library/PrivateFrameworks/F{i}.framework/Support/agent{i}"),
            2 => with_uuid(&format!(
                "/private/preboot/Cryptexes/OS/System/Library/Frameworks/W{i}.framework/XPCServices/x{i}.xpc/x{i}"
            )),
            _ => format!(
                "/private/var/containers/Bundle/Application/1A2B3C4D-0000-0000-0000-{i:012}/App {i}.app/App {i}"
            ),
        })
        .collect();
    for r in 0..2_000i64 {
        let n = 1 + (r as usize % 4);
        for k in 0..n {
            let clients: Vec<(u32, &str)> = (0..8)
                .map(|j| {
                    let d = (r as usize * 7 + j * 13 + k) % daemons.len();
                    (100 + d as u32, daemons[d].as_str())
                })
                .collect();
            log = log.notice(0.5 + k as f64, &clients);
        }
        if r == 1_500 {
            log = log.notice(
                3.0,
                &[(
                    431,
                    &with_uuid("/private/var/db/com.apple.xpc.roleaccountd.staging/rolexd"),
                )],
            );
        }
        log = log.sigterm(1_600_000_000 + r * 43_200);
    }
    s = s.shutdown_log(&log);
    // 1,000 reports.
    for i in 0..1_000 {
        let name = &daemons[i % daemons.len()];
        let text = match i % 3 {
            0 => {
                let names: Vec<&str> = daemons
                    .iter()
                    .take(300)
                    .map(|d| d.rsplit('/').next().unwrap_or(d))
                    .collect();
                ips_jetsam("2024-05-20 10:11:12.00 -0700", &names)
            }
            1 => ips_crash(
                name,
                Some(&format!("com.example.app{i}")),
                "2024-05-20 10:11:12.3456 -0700",
                &[
                    "/usr/lib/dyld",
                    "/usr/lib/libobjc.A.dylib",
                    "/System/Library/Frameworks/UIKit.framework/UIKit",
                ],
            ),
            _ => ips_legacy(name, "2020-01-01 10:00:00.00 +0000"),
        };
        let sub = if i.is_multiple_of(10) { "Retired/" } else { "" };
        s = s.ips(&format!("{sub}report{i:04}-2024-05-20-101112.ips"), &text);
    }
    s = s.ips(
        "bh-2024-05-20-101112.ips",
        &ips_crash(
            "/private/var/db/com.apple.xpc.roleaccountd.staging/bh",
            None,
            "2024-05-20 10:11:12.3456 -0700",
            &[],
        ),
    );
    // Process lists.
    let rows: Vec<(String, u32, String)> = daemons
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                "mobile".to_string(),
                100 + i as u32,
                format!("{d} -launchd"),
            )
        })
        .collect();
    let ps_rows: Vec<(&str, u32, u32, &str)> = rows
        .iter()
        .map(|(u, p, c)| (u.as_str(), *p, 1, c.as_str()))
        .collect();
    s = s.file(PS, ps_txt(&ps_rows).as_bytes());
    let th: Vec<(&str, u32, &str)> = rows
        .iter()
        .flat_map(|(u, p, c)| std::iter::repeat_n((u.as_str(), *p, c.as_str()), 10))
        .collect();
    s = s.file(PS_THREAD, ps_thread_txt(&th).as_bytes());
    let tasks: Vec<(&str, u32)> = daemons
        .iter()
        .enumerate()
        .map(|(i, d)| (d.rsplit('/').next().unwrap_or(d), 100 + i as u32))
        .collect();
    s = s.file(TASKINFO, taskinfo_txt(&tasks).as_bytes());
    let mut spin = spindump_txt(
        &daemons
            .iter()
            .enumerate()
            .map(|(i, d)| {
                (
                    d.rsplit('/').next().unwrap_or(d),
                    100 + i as u32,
                    d.as_str(),
                )
            })
            .collect::<Vec<_>>(),
    );
    while spin.len() < 30 << 20 {
        let _ = writeln!(
            spin,
            "  Thread 0x{:x}    10 samples (1-10)    priority 31 (base 31)\n    10  ??? (libsystem_kernel.dylib + 4660) [0x1bd8b9414]",
            rng.next_u64() & 0xffff_ffff
        );
    }
    s = s.file(SPINDUMP, spin.as_bytes());
    // Installation log, four rotations of ~10 MB.
    for part in 0..4 {
        let mut l = MobileInstallationLog::new();
        let mut n = 0usize;
        while l.text.len() < 10 << 20 {
            let id = format!("com.example.app{}", n % 5_000);
            l = if n.is_multiple_of(2) {
                l.install("Fri May 24 10:00:00 2024", &id)
            } else {
                l.other("Fri May 24 10:00:01 2024", &format!("Made container live for {id} at /private/var/containers/Bundle/Application/X"))
            };
            n += 1;
        }
        s = s.file(
            &format!("logs/MobileInstallation/mobile_installation.log.{part}"),
            l.to_string().as_bytes(),
        );
    }
    // The unified log archive makes up the rest, in 8 MiB chunks.
    let used: usize = s.files.values().map(Vec::len).sum();
    let mut rest = (mib << 20).saturating_sub(used);
    let mut k = 0;
    while rest > 0 {
        let n = rest.min(8 << 20);
        s = s.file(
            &format!("system_logs.logarchive/Persist/{k:016x}.tracev3"),
            &rng.bytes(n),
        );
        rest -= n;
        k += 1;
    }
    s
}
