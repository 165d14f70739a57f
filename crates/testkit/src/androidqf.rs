//! Writes AndroidQF acquisitions (folder or zip) with exactly the artifacts a test plants.
//!
//! ```ignore
//! AndroidQf::new().package(Package::new("com.evil").installer("null")).process("bh")
//!     .prop("persist.sys.timezone", "Europe/Rome").setting("secure", "package_verifier_enable", "0")
//!     .file(FileEntry::new("/data/local/tmp/x")).write_zip(&path)?;
//! ```

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

/// One entry of `packages.json`.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub installer: String,
    pub system: bool,
    pub disabled: bool,
    pub files: Vec<Value>,
}

impl Package {
    /// A non-system app installed from the Play Store.
    pub fn new(name: &str) -> Self {
        Package {
            name: name.into(),
            installer: "com.android.vending".into(),
            system: false,
            disabled: false,
            files: vec![],
        }
    }
    pub fn installer(mut self, i: &str) -> Self {
        self.installer = i.into();
        self
    }
    pub fn system(mut self, s: bool) -> Self {
        self.system = s;
        self
    }
    pub fn disabled(mut self, d: bool) -> Self {
        self.disabled = d;
        self
    }
    /// An APK file with its SHA-256 and signing certificate SHA-256 (keys as AndroidQF writes them).
    pub fn apk(mut self, path: &str, sha256: &str, cert_sha256: &str) -> Self {
        self.files.push(json!({
            "path": path, "local_name": "", "md5": "", "sha1": "", "sha256": sha256, "sha512": "",
            "error": "", "verified_certificate": true,
            "certificate": {"Md5": "", "Sha1": "", "Sha256": cert_sha256, "ValidFrom": "", "ValidTo": "",
                            "Issuer": "CN=test", "Subject": "CN=test", "SignatureAlgorithm": "SHA256-RSA",
                            "SerialNumber": 1},
            "certificate_error": "", "trusted_certificate": false
        }));
        self
    }
    /// An APK whose signing certificate is given by its SHA-1 (as stalkerware indicators list them).
    pub fn apk_cert_sha1(mut self, path: &str, sha256: &str, cert_sha1: &str) -> Self {
        self = self.apk(path, sha256, "");
        if let Some(cert) = self
            .files
            .last_mut()
            .and_then(|f| f.get_mut("certificate"))
            .and_then(Value::as_object_mut)
        {
            cert.insert("Sha1".into(), cert_sha1.into());
        }
        self
    }
    fn to_json(&self) -> Value {
        json!({
            "name": self.name, "files": self.files, "installer": self.installer, "uid": 10100,
            "disabled": self.disabled, "system": self.system, "third_party": !self.system
        })
    }
}

/// One entry of `files.json`.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub path: String,
    pub mode: String,
    pub sha256: String,
    /// Unix seconds.
    pub modified: i64,
}

impl FileEntry {
    pub fn new(path: &str) -> Self {
        FileEntry {
            path: path.into(),
            mode: "-rw-r--r--".into(),
            sha256: String::new(),
            modified: 1_700_000_000,
        }
    }
    pub fn mode(mut self, m: &str) -> Self {
        self.mode = m.into();
        self
    }
    pub fn sha256(mut self, h: &str) -> Self {
        self.sha256 = h.into();
        self
    }
    pub fn modified(mut self, t: i64) -> Self {
        self.modified = t;
        self
    }
    fn to_json(&self) -> Value {
        json!({
            "path": self.path, "size": 10, "mode": self.mode, "user_id": 2000, "group_id": 2000,
            "changed_time": self.modified, "modified_time": self.modified, "access_time": self.modified + 60,
            "error": "", "context": "u:object_r:shell_data_file:s0", "md5": "", "sha1": "",
            "sha256": self.sha256, "sha512": "", "mime_type": ""
        })
    }
}

/// Builder of an AndroidQF acquisition.
#[derive(Debug, Clone, Default)]
pub struct AndroidQf {
    packages: Vec<Package>,
    processes: Vec<String>,
    props: Vec<(String, String)>,
    settings: Vec<(String, String, String)>,
    files: Vec<FileEntry>,
    files_as_lines: bool,
    root_binaries: Option<Vec<String>>,
    mounts: Option<Vec<String>>,
    acquisition: bool,
    extra: Vec<(String, Vec<u8>)>,
    top_folder: Option<String>,
}

impl AndroidQf {
    /// An acquisition with `acquisition.json` and otherwise only what is planted (files are written only
    /// when something was planted in them).
    pub fn new() -> Self {
        AndroidQf {
            acquisition: true,
            ..Default::default()
        }
    }
    pub fn without_acquisition_json(mut self) -> Self {
        self.acquisition = false;
        self
    }
    pub fn package(mut self, p: Package) -> Self {
        self.packages.push(p);
        self
    }
    /// A running process (a `ps -A` line in `ps.txt`).
    pub fn process(mut self, name: &str) -> Self {
        self.processes.push(name.into());
        self
    }
    pub fn prop(mut self, k: &str, v: &str) -> Self {
        self.props.push((k.into(), v.into()));
        self
    }
    pub fn setting(mut self, namespace: &str, k: &str, v: &str) -> Self {
        self.settings.push((namespace.into(), k.into(), v.into()));
        self
    }
    pub fn file(mut self, f: FileEntry) -> Self {
        self.files.push(f);
        self
    }
    /// Writes `files.json` as JSON lines instead of one list.
    pub fn files_as_json_lines(mut self) -> Self {
        self.files_as_lines = true;
        self
    }
    pub fn root_binary(mut self, path: &str) -> Self {
        self.root_binaries
            .get_or_insert_with(Vec::new)
            .push(path.into());
        self
    }
    /// A mount line (`dev on /mp type fs (opts)`).
    pub fn mount(mut self, line: &str) -> Self {
        self.mounts.get_or_insert_with(Vec::new).push(line.into());
        self
    }
    /// A device log file copied under `logs/`.
    pub fn log(self, device_path: &str, data: &[u8]) -> Self {
        let p = format!("logs/{}", device_path.trim_start_matches('/'));
        self.raw(&p, data)
    }
    /// A nested bugreport (`bugreport.zip`).
    pub fn bugreport(self, zip_bytes: &[u8]) -> Self {
        self.raw("bugreport.zip", zip_bytes)
    }
    /// A nested Android backup (`backup.ab`).
    pub fn backup(self, ab_bytes: &[u8]) -> Self {
        self.raw("backup.ab", ab_bytes)
    }
    /// Any file, at a path relative to the acquisition root.
    pub fn raw(mut self, path: &str, data: &[u8]) -> Self {
        self.extra.push((path.into(), data.to_vec()));
        self
    }
    /// Puts everything under one top folder (as AndroidQF's own zips do).
    pub fn in_folder(mut self, name: &str) -> Self {
        self.top_folder = Some(name.into());
        self
    }

    /// Every file of the acquisition: (relative path, bytes).
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = Vec::new();
        if self.acquisition {
            let acq = json!({
                "uuid": "6c4b2a0e-0000-4000-8000-000000000001", "androidqf_version": "1.7.0",
                "storage_path": "/tmp/acq", "started": "2024-03-01T10:00:00Z",
                "completed": "2024-03-01T10:05:00Z", "collector": null, "tmp_dir": "/data/local/tmp/",
                "sdcard": "/sdcard/", "cpu": "arm64-v8a", "streaming_mode": false
            });
            out.push(("acquisition.json".into(), acq.to_string().into_bytes()));
        }
        if !self.packages.is_empty() {
            let v = Value::Array(self.packages.iter().map(Package::to_json).collect());
            out.push(("packages.json".into(), v.to_string().into_bytes()));
        }
        if !self.processes.is_empty() {
            let mut s = String::from(
                "USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME\n",
            );
            s.push_str("root             1     0 10894200  9588 do_epoll_wait      0 S init\n");
            for (i, p) in self.processes.iter().enumerate() {
                s.push_str(&format!(
                    "u0_a123       {}  700 14000000 80000 0                  0 S {p}\n",
                    5000 + i
                ));
            }
            out.push(("ps.txt".into(), s.into_bytes()));
        }
        if !self.props.is_empty() {
            let s: String = self
                .props
                .iter()
                .map(|(k, v)| format!("[{k}]: [{v}]\n"))
                .collect();
            out.push(("getprop.txt".into(), s.into_bytes()));
        }
        let mut namespaces: Vec<&str> = self.settings.iter().map(|(n, _, _)| n.as_str()).collect();
        namespaces.sort();
        namespaces.dedup();
        for ns in namespaces {
            let s: String = self
                .settings
                .iter()
                .filter(|(n, _, _)| n == ns)
                .map(|(_, k, v)| format!("{k}={v}\n"))
                .collect();
            out.push((format!("settings_{ns}.txt"), s.into_bytes()));
        }
        if !self.files.is_empty() {
            let s = if self.files_as_lines {
                self.files
                    .iter()
                    .map(|f| format!("{}\n", f.to_json()))
                    .collect::<String>()
            } else {
                Value::Array(self.files.iter().map(FileEntry::to_json).collect()).to_string()
            };
            out.push(("files.json".into(), s.into_bytes()));
        }
        if let Some(r) = &self.root_binaries {
            out.push((
                "root_binaries.json".into(),
                json!(r).to_string().into_bytes(),
            ));
        }
        if let Some(m) = &self.mounts {
            out.push(("mounts.json".into(), json!(m).to_string().into_bytes()));
        }
        out.extend(self.extra.iter().cloned());
        if let Some(top) = &self.top_folder {
            out = out
                .into_iter()
                .map(|(p, d)| (format!("{top}/{p}"), d))
                .collect();
        }
        out
    }

    /// Writes the acquisition as a folder at `dir` (created if needed).
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<()> {
        for (p, data) in self.files() {
            let full = dir.join(&p);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(full, data)?;
        }
        std::fs::create_dir_all(dir)
    }

    /// Writes the acquisition as a zip at `path`.
    pub fn write_zip(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_zip_bytes()?)
    }

    /// The acquisition as zip bytes.
    pub fn to_zip_bytes(&self) -> std::io::Result<Vec<u8>> {
        zip_bytes(&self.files())
    }
}

/// A zip holding `files` (deflated), for acquisitions and nested archives.
pub fn zip_bytes(files: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (p, data) in files {
        w.start_file(p.as_str(), opts)
            .map_err(std::io::Error::other)?;
        w.write_all(data)?;
    }
    Ok(w.finish().map_err(std::io::Error::other)?.into_inner())
}

/// A large AndroidQF acquisition for benchmarks: `packages` apps (one APK each, with file and certificate
/// SHA-256), `files` records in `files.json` (every one with a SHA-256), 800 processes, 900 properties,
/// 600 settings, 20 log files; three traces of public indicator sets are planted (a stalkerware app id,
/// a NoviSpy signing certificate, the 2023 campaign's `/data/local/tmp/dropbox`).
pub fn big_androidqf(packages: usize, files: usize) -> AndroidQf {
    use sha2::{Digest, Sha256};
    let h = |tag: &str, i: usize| hex::encode(Sha256::digest(format!("{tag}{i}").as_bytes()));
    let name = |i: usize| {
        if i.is_multiple_of(17) {
            format!("com.android.system.part{i}")
        } else {
            format!("com.example{}.app{i}", i % 97)
        }
    };
    let mut qf = AndroidQf::new();
    for i in 0..packages {
        let n = match i {
            10 => "com.apspy.app".to_string(),
            _ => name(i),
        };
        let cert = if i == 20 {
            "3ac97735164824657b683e805133b1274b2dedabf9fdd6aa9aca31089d501e64".to_string()
        } else {
            h("cert", i % 400)
        };
        qf = qf.package(Package::new(&n).system(i.is_multiple_of(17)).apk(
            &format!("/data/app/~~{i}/{n}/base.apk"),
            &h("apk", i),
            &cert,
        ));
    }
    for i in 0..files {
        let path = if i == files / 2 {
            "/data/local/tmp/dropbox".to_string()
        } else {
            format!(
                "/data/data/{}/files/cache/f{i}.dat",
                name(i % packages.max(1))
            )
        };
        qf = qf.file(
            FileEntry::new(&path)
                .sha256(&h("file", i))
                .modified(1_700_000_000 + i as i64),
        );
    }
    for i in 0..800 {
        qf = qf.process(&name(i));
    }
    for i in 0..900 {
        qf = qf.prop(&format!("ro.vendor.prop{i}"), &format!("value{i}"));
    }
    qf = qf
        .prop("persist.sys.timezone", "Europe/Paris")
        .prop("ro.product.model", "Bench");
    for ns in ["global", "secure", "system"] {
        for i in 0..200 {
            qf = qf.setting(ns, &format!("setting_{i}"), &i.to_string());
        }
    }
    for i in 0..20 {
        qf = qf.log(
            &format!("/data/misc/logd/logcat.{i}"),
            &b"01-02 03:04:05.678  1000  1234  1250 I ActivityManager: Start proc\n".repeat(100),
        );
    }
    qf
}
