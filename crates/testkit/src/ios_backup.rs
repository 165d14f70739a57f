//! [`BackupBuilder`]: writes a real iTunes/Finder backup folder from code.
//!
//! ```ignore
//! let b = BackupBuilder::new()
//!     .add_file("HomeDomain", "Library/SMS/sms.db", &sms_bytes)
//!     .product_version("16.1")
//!     .build();                       // TempBackup: b.path() is the backup folder
//! ```
//!
//! Manifest.db rows carry NSKeyedArchiver-archived MBFile records (binary plists with `$archiver`,
//! `$version`, `$top.root = UID(1)`, `$objects` starting with `$null`, the MBFile dictionary whose
//! `$class` points at `{$classname: MBFile, $classes: [MBFile, NSObject]}`). Files are stored at
//! `<xx>/<sha1>` (or flat `<sha1>` with [`BackupBuilder::flat_layout`]).

use std::path::{Path, PathBuf};

use plist::{Dictionary, Uid, Value};

/// `SHA1("<domain>-<relativePath>")`, lowercase hex.
pub fn file_id(domain: &str, relative_path: &str) -> String {
    use sha1::Digest;
    let mut h = sha1::Sha1::new();
    h.update(format!("{domain}-{relative_path}").as_bytes());
    hex::encode(h.finalize())
}

/// MBFile metadata of one file. `Default` gives a regular file (mode 0100644, owner mobile 501) with
/// fixed times (2023-01-01 … 2023-01-03).
#[derive(Debug, Clone, PartialEq)]
pub struct MbFileMeta {
    /// `None`: the length of the bytes.
    pub size: Option<u64>,
    pub mode: u64,
    pub inode: u64,
    pub user_id: i64,
    pub group_id: i64,
    pub birth: i64,
    pub last_modified: i64,
    pub last_status_change: i64,
    pub protection_class: i64,
    pub flags: i64,
    /// Symbolic link target.
    pub target: Option<String>,
    /// Stored as NSMutableData (encrypted backups).
    pub encryption_key: Option<Vec<u8>>,
    /// Stored as NSData holding a binary plist dictionary `{name: data}`.
    pub extended_attributes: Option<Vec<(String, Vec<u8>)>>,
}

impl Default for MbFileMeta {
    fn default() -> Self {
        MbFileMeta {
            size: None,
            mode: 0o100644,
            inode: 1000,
            user_id: 501,
            group_id: 501,
            birth: 1_672_531_200,
            last_modified: 1_672_617_600,
            last_status_change: 1_672_704_000,
            protection_class: 3,
            flags: 0,
            target: None,
            encryption_key: None,
            extended_attributes: None,
        }
    }
}

fn uid(n: u64) -> Value {
    Value::Uid(Uid::new(n))
}

fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

fn class(objects: &mut Vec<Value>, names: &[&str]) -> Value {
    let mut d = Dictionary::new();
    d.insert("$classname".into(), names[0].into());
    d.insert(
        "$classes".into(),
        Value::Array(names.iter().map(|n| Value::from(*n)).collect()),
    );
    objects.push(Value::Dictionary(d));
    uid(objects.len() as u64 - 1)
}

/// Archives an MBFile record with NSKeyedArchiver (binary plist), as Manifest.db stores it.
pub fn mbfile_archive(relative_path: &str, size: u64, meta: &MbFileMeta) -> Vec<u8> {
    let mut objects: Vec<Value> = vec!["$null".into(), Value::Boolean(false)];
    let mut mb = Dictionary::new();
    mb.insert(
        "Size".into(),
        Value::Integer(meta.size.unwrap_or(size).into()),
    );
    mb.insert("Mode".into(), Value::Integer(meta.mode.into()));
    mb.insert("InodeNumber".into(), Value::Integer(meta.inode.into()));
    mb.insert("UserID".into(), int(meta.user_id));
    mb.insert("GroupID".into(), int(meta.group_id));
    mb.insert("Birth".into(), int(meta.birth));
    mb.insert("LastModified".into(), int(meta.last_modified));
    mb.insert("LastStatusChange".into(), int(meta.last_status_change));
    mb.insert("ProtectionClass".into(), int(meta.protection_class));
    mb.insert("Flags".into(), int(meta.flags));
    objects.push(relative_path.into());
    mb.insert("RelativePath".into(), uid(objects.len() as u64 - 1));
    if let Some(t) = &meta.target {
        objects.push(t.as_str().into());
        mb.insert("Target".into(), uid(objects.len() as u64 - 1));
    }
    if let Some(k) = &meta.encryption_key {
        let idx = objects.len();
        objects.push(Value::Boolean(false)); // placeholder, replaced below
        let c = class(&mut objects, &["NSMutableData", "NSData", "NSObject"]);
        let mut d = Dictionary::new();
        d.insert("NS.data".into(), Value::Data(k.clone()));
        d.insert("$class".into(), c);
        objects[idx] = Value::Dictionary(d);
        mb.insert("EncryptionKey".into(), uid(idx as u64));
    }
    if let Some(x) = &meta.extended_attributes {
        let inner: Dictionary = x
            .iter()
            .map(|(k, v)| (k.clone(), Value::Data(v.clone())))
            .collect();
        let mut bytes = Vec::new();
        Value::Dictionary(inner)
            .to_writer_binary(&mut bytes)
            .expect("xattr plist");
        objects.push(Value::Data(bytes));
        mb.insert("ExtendedAttributes".into(), uid(objects.len() as u64 - 1));
    }
    let c = class(&mut objects, &["MBFile", "NSObject"]);
    mb.insert("$class".into(), c);
    objects[1] = Value::Dictionary(mb);
    let mut top = Dictionary::new();
    top.insert("root".into(), uid(1));
    let mut a = Dictionary::new();
    a.insert("$version".into(), int(100000));
    a.insert("$archiver".into(), "NSKeyedArchiver".into());
    a.insert("$top".into(), Value::Dictionary(top));
    a.insert("$objects".into(), Value::Array(objects));
    let mut out = Vec::new();
    Value::Dictionary(a)
        .to_writer_binary(&mut out)
        .expect("archive");
    out
}

#[derive(Debug, Clone)]
enum Kind {
    File { bytes: Vec<u8>, missing: bool },
    Dir,
    Symlink,
}

#[derive(Debug, Clone)]
struct Planned {
    domain: String,
    rel: String,
    kind: Kind,
    meta: MbFileMeta,
    /// `None`: the archived MBFile; `Some(bytes)`: this raw `file` column value.
    raw_file_column: Option<Option<Vec<u8>>>,
}

/// Builds a backup folder. Defaults: XML plists, nested `<xx>/<fileID>` layout, not encrypted, an iPhone
/// running iOS 17.5.1.
#[derive(Debug, Clone)]
pub struct BackupBuilder {
    files: Vec<Planned>,
    info: Dictionary,
    manifest: Dictionary,
    status: Dictionary,
    binary: bool,
    flat: bool,
    manifest_db_override: Option<Vec<u8>>,
    skip: Vec<&'static str>,
}

impl Default for BackupBuilder {
    fn default() -> Self {
        BackupBuilder::new()
    }
}

fn date(secs: u64) -> Value {
    Value::Date((std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)).into())
}

/// A backup folder in a temporary directory (removed when dropped).
pub struct TempBackup {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl TempBackup {
    /// The backup folder.
    pub fn path(&self) -> &Path {
        &self.root
    }
}

impl BackupBuilder {
    pub fn new() -> Self {
        let udid = "00008030-001A2B3C4D5E6F70";
        let mut info = Dictionary::new();
        for (k, v) in [
            ("Build Version", "21F90"),
            ("Device Name", "Test iPhone"),
            ("Display Name", "Test iPhone"),
            ("GUID", "0123456789ABCDEF0123456789ABCDEF"),
            ("ICCID", "89014103211118510720"),
            ("IMEI", "356938035643809"),
            ("Phone Number", "+1 555 0100"),
            ("Product Name", "iPhone 12"),
            ("Product Type", "iPhone13,2"),
            ("Product Version", "17.5.1"),
            ("Serial Number", "F2LXXXXXXXXX"),
            ("Target Identifier", udid),
            ("Target Type", "Device"),
            ("Unique Identifier", udid),
            ("iTunes Version", "12.13"),
        ] {
            info.insert(k.into(), v.into());
        }
        info.insert("Last Backup Date".into(), date(1_717_200_000));
        info.insert("Installed Applications".into(), Value::Array(vec![]));
        info.insert("Applications".into(), Value::Dictionary(Dictionary::new()));
        let mut lockdown = Dictionary::new();
        lockdown.insert("ProductVersion".into(), "17.5.1".into());
        lockdown.insert("BuildVersion".into(), "21F90".into());
        lockdown.insert("DeviceName".into(), "Test iPhone".into());
        lockdown.insert("UniqueDeviceID".into(), udid.into());
        lockdown.insert("SerialNumber".into(), "F2LXXXXXXXXX".into());
        let mut manifest = Dictionary::new();
        manifest.insert("IsEncrypted".into(), false.into());
        manifest.insert("Version".into(), "10.0".into());
        manifest.insert("Date".into(), date(1_717_200_000));
        manifest.insert("SystemDomainsVersion".into(), "24.0".into());
        manifest.insert("WasPasscodeSet".into(), true.into());
        manifest.insert("Lockdown".into(), Value::Dictionary(lockdown));
        manifest.insert("Applications".into(), Value::Dictionary(Dictionary::new()));
        let mut status = Dictionary::new();
        status.insert("BackupState".into(), "new".into());
        status.insert("Date".into(), date(1_717_200_000));
        status.insert("IsFullBackup".into(), false.into());
        status.insert("SnapshotState".into(), "finished".into());
        status.insert("UUID".into(), "5D1E8A3C-0000-4000-8000-000000000001".into());
        status.insert("Version".into(), "3.3".into());
        BackupBuilder {
            files: Vec::new(),
            info,
            manifest,
            status,
            binary: false,
            flat: false,
            manifest_db_override: None,
            skip: Vec::new(),
        }
    }

    /// A regular file with default metadata.
    pub fn add_file(self, domain: &str, relative_path: &str, bytes: impl AsRef<[u8]>) -> Self {
        self.add_file_meta(domain, relative_path, bytes, MbFileMeta::default())
    }

    /// A regular file with explicit MBFile metadata.
    pub fn add_file_meta(
        mut self,
        domain: &str,
        relative_path: &str,
        bytes: impl AsRef<[u8]>,
        meta: MbFileMeta,
    ) -> Self {
        self.files.push(Planned {
            domain: domain.into(),
            rel: relative_path.into(),
            kind: Kind::File {
                bytes: bytes.as_ref().to_vec(),
                missing: false,
            },
            meta,
            raw_file_column: None,
        });
        self
    }

    /// A file listed in Manifest.db whose data is not in the folder.
    pub fn add_missing_file(mut self, domain: &str, relative_path: &str) -> Self {
        self.files.push(Planned {
            domain: domain.into(),
            rel: relative_path.into(),
            kind: Kind::File {
                bytes: b"gone".to_vec(),
                missing: true,
            },
            meta: MbFileMeta::default(),
            raw_file_column: None,
        });
        self
    }

    /// A file whose Manifest.db `file` column holds `column` instead of an archived MBFile (`None`: NULL).
    pub fn add_file_raw_mbfile(
        mut self,
        domain: &str,
        relative_path: &str,
        bytes: impl AsRef<[u8]>,
        column: Option<Vec<u8>>,
    ) -> Self {
        self.files.push(Planned {
            domain: domain.into(),
            rel: relative_path.into(),
            kind: Kind::File {
                bytes: bytes.as_ref().to_vec(),
                missing: false,
            },
            meta: MbFileMeta::default(),
            raw_file_column: Some(column),
        });
        self
    }

    /// A directory row (flags 2).
    pub fn add_dir(mut self, domain: &str, relative_path: &str) -> Self {
        let meta = MbFileMeta {
            mode: 0o40755,
            ..MbFileMeta::default()
        };
        self.files.push(Planned {
            domain: domain.into(),
            rel: relative_path.into(),
            kind: Kind::Dir,
            meta,
            raw_file_column: None,
        });
        self
    }

    /// A symbolic link row (flags 4).
    pub fn add_symlink(mut self, domain: &str, relative_path: &str, target: &str) -> Self {
        let meta = MbFileMeta {
            mode: 0o120755,
            target: Some(target.into()),
            ..MbFileMeta::default()
        };
        self.files.push(Planned {
            domain: domain.into(),
            rel: relative_path.into(),
            kind: Kind::Symlink,
            meta,
            raw_file_column: None,
        });
        self
    }

    /// Writes the plists as binary (`true`) or XML (`false`, the default).
    pub fn binary_plists(mut self, yes: bool) -> Self {
        self.binary = yes;
        self
    }

    /// Stores files flat as `<fileID>` (old backups) instead of `<xx>/<fileID>`.
    pub fn flat_layout(mut self, yes: bool) -> Self {
        self.flat = yes;
        self
    }

    /// Sets Manifest.plist `IsEncrypted`.
    pub fn encrypted(mut self, yes: bool) -> Self {
        self.manifest.insert("IsEncrypted".into(), yes.into());
        self
    }

    /// Sets Info.plist `Product Version` (and the Lockdown copy in Manifest.plist).
    pub fn product_version(mut self, v: &str) -> Self {
        self.info.insert("Product Version".into(), v.into());
        if let Some(Value::Dictionary(l)) = self.manifest.get_mut("Lockdown") {
            l.insert("ProductVersion".into(), v.into());
        }
        self
    }

    /// Sets any Info.plist key (`None` removes it).
    pub fn info(mut self, key: &str, value: Option<Value>) -> Self {
        match value {
            Some(v) => self.info.insert(key.into(), v),
            None => self.info.remove(key),
        };
        self
    }

    /// Sets any Manifest.plist key.
    pub fn manifest_key(mut self, key: &str, value: Value) -> Self {
        self.manifest.insert(key.into(), value);
        self
    }

    /// An installed application: listed in Info.plist `Installed Applications`, and in `Applications`
    /// with `iTunesMetadata` (a binary plist of `itunes_metadata`, when given).
    pub fn add_application(mut self, bundle_id: &str, itunes_metadata: Option<Dictionary>) -> Self {
        if let Some(Value::Array(a)) = self.info.get_mut("Installed Applications") {
            a.push(bundle_id.into());
        }
        let mut app = Dictionary::new();
        if let Some(md) = itunes_metadata {
            let mut bytes = Vec::new();
            Value::Dictionary(md)
                .to_writer_binary(&mut bytes)
                .expect("metadata plist");
            app.insert("iTunesMetadata".into(), Value::Data(bytes));
        }
        app.insert(
            "PlaceholderIcon".into(),
            Value::Data(vec![0x89, b'P', b'N', b'G']),
        );
        if let Some(Value::Dictionary(d)) = self.info.get_mut("Applications") {
            d.insert(bundle_id.into(), Value::Dictionary(app));
        }
        self
    }

    /// Writes these bytes as Manifest.db instead of building it.
    pub fn manifest_db_bytes(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.manifest_db_override = Some(bytes.as_ref().to_vec());
        self
    }

    /// Leaves one of the backup's own files out (`Info.plist`, `Manifest.plist`, `Status.plist`,
    /// `Manifest.db`).
    pub fn without(mut self, name: &'static str) -> Self {
        self.skip.push(name);
        self
    }

    fn write_plist(&self, d: &Dictionary, path: &Path) {
        let v = Value::Dictionary(d.clone());
        if self.binary {
            v.to_file_binary(path).expect("write plist");
        } else {
            v.to_file_xml(path).expect("write plist");
        }
    }

    /// Writes the backup into `root` (created if needed). Returns `root`.
    pub fn write(&self, root: &Path) -> PathBuf {
        std::fs::create_dir_all(root).expect("create backup folder");
        for (name, d) in [
            ("Info.plist", &self.info),
            ("Manifest.plist", &self.manifest),
            ("Status.plist", &self.status),
        ] {
            if !self.skip.contains(&name) {
                self.write_plist(d, &root.join(name));
            }
        }
        if !self.skip.contains(&"Manifest.db") {
            let db_path = root.join("Manifest.db");
            if let Some(bytes) = &self.manifest_db_override {
                std::fs::write(&db_path, bytes).expect("write Manifest.db");
            } else {
                self.write_manifest_db(&db_path);
            }
        }
        for f in &self.files {
            let Kind::File { bytes, missing } = &f.kind else {
                continue;
            };
            if *missing {
                continue;
            }
            let id = file_id(&f.domain, &f.rel);
            let path = if self.flat {
                root.join(&id)
            } else {
                let dir = root.join(&id[..2]);
                std::fs::create_dir_all(&dir).expect("create fileID folder");
                dir.join(&id)
            };
            std::fs::write(path, bytes).expect("write backup file");
        }
        root.to_path_buf()
    }

    fn write_manifest_db(&self, path: &Path) {
        let c = rusqlite::Connection::open(path).expect("create Manifest.db");
        c.execute_batch(
            "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB);
             CREATE INDEX FilesDomainIdx ON Files(domain);
             CREATE INDEX FilesRelativePathIdx ON Files(relativePath);
             CREATE INDEX FilesFlagsIdx ON Files(flags);
             CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB);",
        )
        .expect("Manifest.db schema");
        let tx = c.unchecked_transaction().expect("transaction");
        for f in &self.files {
            let (flags, size) = match &f.kind {
                Kind::File { bytes, .. } => (1, bytes.len() as u64),
                Kind::Dir => (2, 0),
                Kind::Symlink => (4, 0),
            };
            let blob = match &f.raw_file_column {
                Some(raw) => raw.clone(),
                None => Some(mbfile_archive(&f.rel, size, &f.meta)),
            };
            c.execute(
                "INSERT OR REPLACE INTO Files VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![file_id(&f.domain, &f.rel), f.domain, f.rel, flags, blob],
            )
            .expect("insert file row");
        }
        tx.commit().expect("commit");
    }

    /// Writes the backup into a fresh temporary folder (`<tmp>/Backup/<UDID>`).
    pub fn build(&self) -> TempBackup {
        let dir = tempfile::tempdir().expect("tempdir");
        let udid = self
            .info
            .get("Unique Identifier")
            .and_then(Value::as_string)
            .unwrap_or("backup")
            .to_string();
        let root = self.write(&dir.path().join("Backup").join(udid));
        TempBackup { dir, root }
    }
}

/// A WAL-mode SQLite database whose last rows live only in the WAL: `(db, wal, shm)` bytes, as found on a
/// device that was backed up while the database was open. `sql` runs after WAL mode is on.
pub fn wal_database(sql: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    wal_database_from(&[], sql)
}

/// Like [`wal_database`], starting from the database `base` (e.g. a testkit `sms.db`): the changes made
/// by `sql` are only in the returned `-wal` file, the main file stays as `base` had it.
pub fn wal_database_from(base: &[u8], sql: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("w.db");
    if !base.is_empty() {
        std::fs::write(&p, base).expect("write base");
    }
    let c = rusqlite::Connection::open(&p).expect("open");
    c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;")
        .expect("wal mode");
    c.execute_batch(sql).expect("sql");
    let read = |s: &str| std::fs::read(dir.path().join(s)).expect("read side file");
    let out = (read("w.db"), read("w.db-wal"), read("w.db-shm"));
    drop(c);
    out
}
