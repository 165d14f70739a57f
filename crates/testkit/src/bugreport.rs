//! Testkit writers: Android bugreports (folder or zip: `main_entry.txt`, a dumpstate text with chosen
//! sections, tombstones as text and protobuf) and Android intrusion logs (JSON lines), plus a generator
//! of large dumpstate texts for benchmarks.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// A bugreport to write.
#[derive(Clone)]
pub struct Bugreport {
    dumpstate_name: String,
    main_entry: bool,
    commands: Vec<String>,
    services: Vec<String>,
    raw: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
    /// Modification time of zip entries (`YYYY, M, D, h, m, s`).
    pub zip_time: (u16, u8, u8, u8, u8, u8),
}

impl Default for Bugreport {
    fn default() -> Self {
        Bugreport::new()
    }
}

impl Bugreport {
    /// An empty bugreport whose `main_entry.txt` names `bugreport-test-2024-01-02-03-04-05.txt`.
    pub fn new() -> Self {
        Bugreport {
            dumpstate_name: "bugreport-test-2024-01-02-03-04-05.txt".into(),
            main_entry: true,
            commands: Vec::new(),
            services: Vec::new(),
            raw: Vec::new(),
            files: Vec::new(),
            zip_time: (2024, 1, 2, 3, 4, 6),
        }
    }

    /// Names the dumpstate file differently (e.g. `dumpState_123.log`).
    pub fn dumpstate_name(mut self, name: &str) -> Self {
        self.dumpstate_name = name.into();
        self
    }

    /// Writes no `main_entry.txt`.
    pub fn without_main_entry(mut self) -> Self {
        self.main_entry = false;
        self
    }

    /// A `DUMP OF SERVICE <name>:` section.
    pub fn service(self, name: &str, body: &str) -> Self {
        self.service_with_header(&format!("DUMP OF SERVICE {name}:"), name, body)
    }

    /// A service section with a chosen header line (vendor variants).
    pub fn service_with_header(mut self, header: &str, name: &str, body: &str) -> Self {
        let mut s = String::new();
        s.push_str(&"-".repeat(79));
        s.push('\n');
        s.push_str(header);
        s.push('\n');
        s.push_str(body);
        if !body.ends_with('\n') {
            s.push('\n');
        }
        let _ = writeln!(
            s,
            "--------- 0.002s was the duration of dumpsys {name}, ending at: 2024-01-02 03:04:05"
        );
        self.services.push(s);
        self
    }

    /// A `------ TITLE (command) ------` section.
    pub fn command(mut self, title: &str, command: &str, body: &str) -> Self {
        let mut s = format!("------ {title} ({command}) ------\n{body}");
        if !body.ends_with('\n') {
            s.push('\n');
        }
        let _ = writeln!(s, "------ 0.010s was the duration of '{title}' ------");
        self.commands.push(s);
        self
    }

    /// The getprop section with these properties.
    pub fn getprop(self, props: &[(&str, &str)]) -> Self {
        let body: String = props
            .iter()
            .map(|(k, v)| format!("[{k}]: [{v}]\n"))
            .collect();
        self.command("SYSTEM PROPERTIES", "getprop", &body)
    }

    /// Text appended verbatim at the end of the dumpstate.
    pub fn raw(mut self, text: &str) -> Self {
        self.raw.push(text.into());
        self
    }

    /// Any other file of the bugreport (e.g. `FS/data/tombstones/tombstone_00`).
    pub fn file(mut self, path: &str, data: impl Into<Vec<u8>>) -> Self {
        self.files.push((path.into(), data.into()));
        self
    }

    /// The dumpstate text.
    pub fn dumpstate_text(&self) -> String {
        let mut s = String::from(
            "========================================================\n== dumpstate: 2024-01-02 03:04:05\n========================================================\n\nBuild: TEST.240102.001\n",
        );
        for c in &self.commands {
            s.push_str(c);
        }
        if !self.services.is_empty() {
            s.push_str("------ DUMPSYS (/system/bin/dumpsys) ------\n");
            for x in &self.services {
                s.push_str(x);
            }
            s.push_str("------ 1.234s was the duration of 'DUMPSYS' ------\n");
        }
        for r in &self.raw {
            s.push_str(r);
        }
        s
    }

    fn entries(&self) -> Vec<(String, Vec<u8>)> {
        let mut v = Vec::new();
        if self.main_entry {
            v.push((
                "main_entry.txt".to_string(),
                self.dumpstate_name.clone().into_bytes(),
            ));
        }
        v.push((
            self.dumpstate_name.clone(),
            self.dumpstate_text().into_bytes(),
        ));
        v.extend(self.files.iter().cloned());
        v
    }

    /// Writes the bugreport as an extracted folder.
    pub fn write_folder(&self, dir: &Path) -> std::io::Result<()> {
        for (name, data) in self.entries() {
            let p = dir.join(&name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(p, data)?;
        }
        Ok(())
    }

    /// Writes the bugreport as a zip file.
    pub fn write_zip(&self, path: &Path) -> std::io::Result<()> {
        write_zip(path, &self.entries(), self.zip_time)
    }
}

fn write_zip(
    path: &Path,
    entries: &[(String, Vec<u8>)],
    t: (u16, u8, u8, u8, u8, u8),
) -> std::io::Result<()> {
    let f = std::fs::File::create(path)?;
    let mut z = zip::ZipWriter::new(f);
    let dt = zip::DateTime::from_date_and_time(t.0, t.1, t.2, t.3, t.4, t.5)
        .map_err(std::io::Error::other)?;
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(dt);
    for (name, data) in entries {
        z.start_file(name.as_str(), opts)
            .map_err(std::io::Error::other)?;
        z.write_all(data)?;
    }
    z.finish().map_err(std::io::Error::other)?;
    Ok(())
}

/// A text tombstone (the debuggerd format).
pub fn tombstone_text(
    pid: u32,
    uid: u32,
    thread_name: &str,
    binary: &str,
    timestamp: &str,
) -> String {
    format!(
        "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***\n\
         Build fingerprint: 'google/test/test:14/TEST/1:user/release-keys'\n\
         Revision: '0'\n\
         ABI: 'arm64'\n\
         Timestamp: {timestamp}\n\
         Process uptime: 12s\n\
         Cmdline: {binary}\n\
         pid: {pid}, tid: {pid}, name: {thread_name}  >>> {binary} <<<\n\
         uid: {uid}\n\
         signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0\n\
         Cause: null pointer dereference\n\
         \x20   x0  0000000000000000  x1  0000000000000001\n\
         \n\
         backtrace:\n\
         \x20     #00 pc 000603ca  /apex/com.android.runtime/lib64/bionic/libc.so (abort+166)\n\
         pid: {pid}, tid: 99999, name: other  >>> {binary} <<<\n"
    )
}

/// Fields of a protobuf tombstone (`debuggerd/proto/tombstone.proto`).
#[derive(Debug, Clone, Default)]
pub struct TombstonePb {
    pub build_fingerprint: String,
    pub revision: String,
    pub timestamp: String,
    pub pid: u32,
    pub tid: u32,
    pub uid: u32,
    pub selinux_label: String,
    pub command_line: Vec<String>,
    pub signal_number: i32,
    pub signal_name: String,
    pub code: i32,
    pub code_name: String,
    pub abort_message: String,
    /// (thread id, thread name)
    pub threads: Vec<(u32, String)>,
    pub process_uptime: u32,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
}
fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}
fn pb_varint(out: &mut Vec<u8>, field: u32, v: u64) {
    key(out, field, 0);
    varint(out, v);
}
fn pb_bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    key(out, field, 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

impl TombstonePb {
    /// The protobuf encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut o = Vec::new();
        pb_varint(&mut o, 1, 1); // arch ARM64
        pb_bytes(&mut o, 2, self.build_fingerprint.as_bytes());
        pb_bytes(&mut o, 3, self.revision.as_bytes());
        pb_bytes(&mut o, 4, self.timestamp.as_bytes());
        pb_varint(&mut o, 5, u64::from(self.pid));
        pb_varint(&mut o, 6, u64::from(self.tid));
        pb_varint(&mut o, 7, u64::from(self.uid));
        pb_bytes(&mut o, 8, self.selinux_label.as_bytes());
        for c in &self.command_line {
            pb_bytes(&mut o, 9, c.as_bytes());
        }
        let mut sig = Vec::new();
        pb_varint(&mut sig, 1, self.signal_number as i64 as u64);
        pb_bytes(&mut sig, 2, self.signal_name.as_bytes());
        pb_varint(&mut sig, 3, self.code as i64 as u64);
        pb_bytes(&mut sig, 4, self.code_name.as_bytes());
        pb_bytes(&mut o, 10, &sig);
        pb_bytes(&mut o, 14, self.abort_message.as_bytes());
        for (id, name) in &self.threads {
            let mut th = Vec::new();
            pb_varint(&mut th, 1, u64::from(*id));
            pb_bytes(&mut th, 2, name.as_bytes());
            let mut entry = Vec::new();
            pb_varint(&mut entry, 1, u64::from(*id));
            pb_bytes(&mut entry, 2, &th);
            pb_bytes(&mut o, 16, &entry);
        }
        pb_varint(&mut o, 20, u64::from(self.process_uptime));
        // An unknown fixed64 and fixed32 field, as newer Android versions may add.
        key(&mut o, 900, 1);
        o.extend_from_slice(&[0; 8]);
        key(&mut o, 901, 5);
        o.extend_from_slice(&[0; 4]);
        o
    }
}

/// A dumpstate text of about `target` bytes with realistic sections (packages, appops, batterystats,
/// dbinfo, ps, getprop, a few hundred small services and a long logcat), for benchmarks.
pub fn big_dumpstate(target: usize) -> Vec<u8> {
    let mut b = Bugreport::new().getprop(&[
        ("persist.sys.timezone", "Europe/Paris"),
        ("ro.build.version.security_patch", "2024-01-05"),
        ("ro.product.vendor.model", "Bench"),
    ]);
    let mut ps = String::from(
        "LABEL                          USER           PID   TID  PPID     VSZ    RSS WCHAN            ADDR S CMD\n",
    );
    for i in 0..3000 {
        let _ = writeln!(
            ps,
            "u:r:untrusted_app:s0:c1,c2     u0_a{}       {} {} 700 1000 2000 0 0 S com.example.app{}",
            i % 300,
            1000 + i,
            1000 + i,
            i
        );
    }
    b = b.command(
        "PROCESSES AND THREADS",
        "ps -A -T -Z -O pri,nice,rtprio,sched,pcy,time",
        &ps,
    );
    let mut pkg = String::from("Activity Resolver Table:\n  Non-Data Actions:\n");
    for i in 0..2000 {
        let _ = writeln!(
            pkg,
            "      com.example.ACTION{i}:\n        1a2b3c com.example.app{i}/.Main"
        );
    }
    pkg.push_str("\nReceiver Resolver Table:\n  Non-Data Actions:\n      android.provider.Telephony.SMS_RECEIVED:\n");
    for i in 0..50 {
        let _ = writeln!(pkg, "        4d5e6f com.example.app{i}/.SmsReceiver");
    }
    pkg.push_str("\nPackages:\n");
    for i in 0..3000 {
        let _ = write!(
            pkg,
            "  Package [com.example.app{i}] (abc{i}):\n    userId={}\n    versionCode=1 minSdk=28 targetSdk=34\n    versionName=1.0\n    timeStamp=2023-05-01 10:00:00\n    firstInstallTime=2023-05-01 10:00:00\n    lastUpdateTime=2023-06-01 10:00:00\n    installerPackageName=com.android.vending\n    pkgFlags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ]\n    requested permissions:\n      android.permission.INTERNET\n      android.permission.CAMERA\n    install permissions:\n      android.permission.INTERNET: granted=true\n    User 0: ceDataInode=1 installed=true hidden=false\n      firstInstallTime=2023-05-01 10:00:00\n      runtime permissions:\n        android.permission.CAMERA: granted=true, flags=[ USER_SET ]\n",
            10000 + i
        );
    }
    b = b.service("package", &pkg);
    let mut appops = String::from("Current AppOps Service state:\n  Uid 0:\n    state=cch\n");
    for i in 0..3000 {
        let _ = write!(
            appops,
            "  Uid u0a{i}:\n    state=cch\n    Package com.example.app{i}:\n      CAMERA (allow):\n          Access: [fg-s] 2024-01-01 12:00:00.000 (-1d0h0m0s0ms)\n      READ_SMS (ignore):\n          Reject: [bg-s] 2024-01-01 12:00:01.000 (-1d0h0m0s0ms)\n"
        );
    }
    b = b.service("appops", &appops);
    let mut bs =
        String::from("Battery History (1% used, 40KB used of 4096KB, 10 strings using 1KB):\n");
    for i in 0..20000 {
        let _ = writeln!(
            bs,
            "       +{i}s000ms (2) 100 +job=u0a{}:\"com.example.app{}/.Job\"",
            i % 300,
            i % 3000
        );
    }
    bs.push_str("\nDaily stats:\n  Daily from 2024-01-01-00-00-00 to 2024-01-02-00-00-00:\n");
    for i in 0..2000 {
        let _ = writeln!(bs, "      Update com.example.app{i} vers={}", 100 + i);
    }
    b = b.service("batterystats", &bs);
    let mut db = String::from("Applications Database Info:\n\n");
    for i in 0..300 {
        let _ = write!(
            db,
            "** Database info for pid {i} [com.example.app{i}] **\n\nConnection pool for /data/user/0/com.example.app{i}/databases/a.db:\n  Open: true\n      Most recently executed operations:\n        0: [2024-01-01 12:21:44.097] [Pid:({i})]executeForCursorWindow took 2ms - succeeded, sql=\"PRAGMA database_list;\", path=/data/user/0/com.example.app{i}/databases/a.db\n\n"
        );
    }
    b = b.service("dbinfo", &db);
    for i in 0..300 {
        b = b.service(&format!("vendor.service{i}"), "nothing to dump\n");
    }
    let mut text = b.dumpstate_text().into_bytes();
    text.extend_from_slice(
        b"------ SYSTEM LOG (logcat -v threadtime -v printable -v uid -d *:v) ------\n",
    );
    let line = b"01-02 03:04:05.678  1000  1234  1250 I ActivityManager: Start proc 4321:com.example.app/u0a123 for service {com.example.app/com.example.app.Service}\n";
    while text.len() + line.len() < target {
        text.extend_from_slice(line);
    }
    text.extend_from_slice(b"------ 0.500s was the duration of 'SYSTEM LOG' ------\n");
    text
}

/// Intrusion logs (Android Advanced Protection): JSON-lines files, each line `{"<event_type>": {...}}`.
#[derive(Clone, Default)]
pub struct IntrusionLogs {
    files: Vec<(String, Vec<String>)>,
}

impl IntrusionLogs {
    pub fn new() -> Self {
        IntrusionLogs::default()
    }

    fn push(&mut self, file: &str, line: String) {
        match self.files.iter_mut().find(|(n, _)| n == file) {
            Some((_, v)) => v.push(line),
            None => self.files.push((file.into(), vec![line])),
        }
    }

    /// Any line, verbatim.
    pub fn line(mut self, file: &str, line: &str) -> Self {
        self.push(file, line.into());
        self
    }

    /// A `dns_event` (`event_time` in Unix milliseconds).
    pub fn dns(mut self, file: &str, ms: i64, hostname: &str, ips: &[&str], package: &str) -> Self {
        let v = serde_json::json!({"dns_event": {"event_time": ms, "hostname": hostname, "ip_addresses": ips, "package_name": package}});
        self.push(file, v.to_string());
        self
    }

    /// A `connect_event` (`event_time` in Unix milliseconds).
    pub fn connect(mut self, file: &str, ms: i64, ip: &str, port: u16, package: &str) -> Self {
        let v = serde_json::json!({"connect_event": {"event_time": ms, "ip_address": ip, "port": port, "package_name": package}});
        self.push(file, v.to_string());
        self
    }

    /// A `security_event` (`event_time` in Unix nanoseconds) with one tag and its fields.
    pub fn security(mut self, file: &str, ns: i64, tag: &str, fields: serde_json::Value) -> Self {
        let mut inner = serde_json::Map::new();
        inner.insert("event_time".into(), ns.into());
        inner.insert(tag.into(), fields);
        let mut outer = serde_json::Map::new();
        outer.insert("security_event".into(), serde_json::Value::Object(inner));
        self.push(file, serde_json::Value::Object(outer).to_string());
        self
    }

    fn entries(&self) -> Vec<(String, Vec<u8>)> {
        self.files
            .iter()
            .map(|(n, l)| (n.clone(), (l.join("\n") + "\n").into_bytes()))
            .collect()
    }

    pub fn write_folder(&self, dir: &Path) -> std::io::Result<()> {
        for (name, data) in self.entries() {
            let p = dir.join(&name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(p, data)?;
        }
        Ok(())
    }

    pub fn write_zip(&self, path: &Path) -> std::io::Result<()> {
        write_zip(path, &self.entries(), (2026, 5, 1, 0, 0, 0))
    }
}
