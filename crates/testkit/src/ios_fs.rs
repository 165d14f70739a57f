//! Testkit writer for iOS full-filesystem dumps: a tree of device paths (`private/var/mobile/…`,
//! `System/Library/…`) with files, folders and symbolic links, written as a folder, a `.tar`, a `.tar.gz`
//! or a `.zip`, in the layouts acquisition tools use ([`DumpLayout`]: plain, Cellebrite's
//! `filesystem1/`, a wrapper folder, absolute member names, `var/` for `private/var/`, `/private/var`
//! alone).
//!
//! Containers (app data, app groups, system groups, app bundles) are created with their
//! `.com.apple.mobile_container_manager.metadata.plist`, at UUIDs derived from their identifier
//! ([`container_uuid`]), so a test can plant a backup artifact at its dump path with
//! [`Dump::backup_file`] (`AppDomain-com.x/Library/…` lands in com.x's data container).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha1::Digest;

use crate::tar_raw::{self, Member};

/// Default modification time of planted entries (2023-11-14 22:13:20 UTC).
pub const MTIME: i64 = 1_700_000_000;

/// How the dump is stored in its container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DumpLayout {
    /// Device paths as they are (`private/var/…`).
    Plain,
    /// Cellebrite's `filesystem1/` wrapper.
    Ufed,
    /// A wrapper folder (`<UDID>/`, `dump/` …).
    Wrapper(String),
    /// Absolute member names (`/private/var/…`; archives only, a folder is written as `Plain`).
    Absolute,
    /// `var/…` instead of `private/var/…` (and no `private/var/`).
    VarAlias,
    /// The contents of `/private/var` alone, at the top.
    VarOnly,
}

impl DumpLayout {
    /// The stored name of a device path (`None`: not stored in this layout).
    pub fn name(&self, dev: &str) -> Option<String> {
        match self {
            DumpLayout::Plain => Some(dev.to_string()),
            DumpLayout::Ufed => Some(format!("filesystem1/{dev}")),
            DumpLayout::Wrapper(w) => Some(format!("{w}/{dev}")),
            DumpLayout::Absolute => Some(format!("/{dev}")),
            DumpLayout::VarAlias => {
                // `var/` holds /private/var: the device's `var` link has no place.
                if dev == "private/var" || dev == "private" || dev == "var" {
                    return None;
                }
                match dev.strip_prefix("private/var/") {
                    Some(r) => Some(format!("var/{r}")),
                    None => Some(dev.to_string()),
                }
            }
            DumpLayout::VarOnly => dev.strip_prefix("private/var/").map(str::to_string),
        }
    }
}

#[derive(Debug, Clone)]
enum Node {
    File {
        data: Vec<u8>,
        mtime: i64,
        nanos: u32,
        mode: u32,
    },
    Dir {
        mtime: i64,
    },
    Link {
        target: String,
    },
}

/// The folder of each kind of container.
pub const APP_DATA: &str = "private/var/mobile/Containers/Data/Application";
pub const APP_GROUP: &str = "private/var/mobile/Containers/Shared/AppGroup";
pub const SYSTEM_GROUP: &str = "private/var/containers/Shared/SystemGroup";
pub const APP_BUNDLE: &str = "private/var/containers/Bundle/Application";
pub const METADATA: &str = ".com.apple.mobile_container_manager.metadata.plist";

/// A stable UUID for a container of `id` in `base`.
pub fn container_uuid(base: &str, id: &str) -> String {
    let mut h = sha1::Sha1::new();
    h.update(base.as_bytes());
    h.update(b"/");
    h.update(id.as_bytes());
    let x = hex::encode_upper(h.finalize());
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// The device folder of a container.
pub fn container_dir(base: &str, id: &str) -> String {
    format!("{base}/{}", container_uuid(base, id))
}

/// A small Mach-O executable (64-bit magic, then filler).
pub fn macho() -> Vec<u8> {
    let mut v = vec![0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01];
    v.extend_from_slice(&[0u8; 56]);
    v
}

/// A dump to write.
#[derive(Debug, Clone)]
pub struct Dump {
    nodes: BTreeMap<String, Node>,
}

impl Default for Dump {
    fn default() -> Self {
        Self::new()
    }
}

impl Dump {
    /// The folders every `/private/var` has (no system volume, no artifact).
    pub fn new() -> Dump {
        let mut d = Dump {
            nodes: BTreeMap::new(),
        };
        for f in [
            "private/var/mobile/Library/Preferences",
            "private/var/root/Library",
            "private/var/db",
            "private/var/Keychains",
            "private/var/networkd",
            "private/var/wireless/Library/Databases",
            "private/var/preferences",
            "private/var/containers/Bundle/Application",
            "private/var/mobile/Containers/Data/Application",
            "private/var/mobile/Containers/Shared/AppGroup",
            "private/var/tmp",
        ] {
            d = d.dir(f);
        }
        d
    }

    /// An empty tree (for archives that are not dumps).
    pub fn empty() -> Dump {
        Dump {
            nodes: BTreeMap::new(),
        }
    }

    pub fn file(self, path: &str, data: &[u8]) -> Dump {
        self.file_with(path, data, MTIME, 0o644)
    }

    pub fn file_with(mut self, path: &str, data: &[u8], mtime: i64, mode: u32) -> Dump {
        self.nodes.insert(
            path.trim_matches('/').to_string(),
            Node::File {
                data: data.to_vec(),
                mtime,
                nanos: 0,
                mode,
            },
        );
        self
    }

    /// A file with a sub-second modification time.
    pub fn file_nanos(mut self, path: &str, data: &[u8], mtime: i64, nanos: u32) -> Dump {
        self.nodes.insert(
            path.to_string(),
            Node::File {
                data: data.to_vec(),
                mtime,
                nanos,
                mode: 0o644,
            },
        );
        self
    }

    /// An executable (a small Mach-O, mode 0755).
    pub fn executable(self, path: &str) -> Dump {
        self.file_with(path, &macho(), MTIME, 0o755)
    }

    pub fn dir(mut self, path: &str) -> Dump {
        self.nodes
            .entry(path.trim_matches('/').to_string())
            .or_insert(Node::Dir { mtime: MTIME });
        self
    }

    pub fn symlink(mut self, path: &str, target: &str) -> Dump {
        self.nodes.insert(
            path.to_string(),
            Node::Link {
                target: target.into(),
            },
        );
        self
    }

    /// The system volume: SystemVersion.plist, a few daemons in `/usr/libexec` and `/usr/sbin`, the
    /// `var` link, and the device's time-zone link.
    pub fn system_volume(mut self, version: &str, build: &str) -> Dump {
        let plist = system_version_plist(version, build);
        self = self.file("System/Library/CoreServices/SystemVersion.plist", &plist);
        for d in [
            "usr/libexec/UserEventAgent",
            "usr/libexec/mobileassetd",
            "usr/libexec/diagnosticd",
            "usr/libexec/nehelper",
            "usr/sbin/mDNSResponder",
            "System/Library/PrivateFrameworks/ApplePushService.framework/apsd",
        ] {
            self = self.executable(d);
        }
        self.symlink("var", "private/var").symlink(
            "private/var/db/timezone",
            "/usr/share/zoneinfo/Europe/Paris",
        )
    }

    fn container_file(self, base: &str, id: &str, rel: &str, data: &[u8]) -> Dump {
        let dir = container_dir(base, id);
        let meta = container_metadata(id);
        self.file(&format!("{dir}/{METADATA}"), &meta)
            .file(&format!("{dir}/{}", rel.trim_start_matches('/')), data)
    }

    /// A file in the data container of app `bundle_id`.
    pub fn app_file(self, bundle_id: &str, rel: &str, data: &[u8]) -> Dump {
        self.container_file(APP_DATA, bundle_id, rel, data)
    }

    /// A file in the app-group container `group`.
    pub fn group_file(self, group: &str, rel: &str, data: &[u8]) -> Dump {
        self.container_file(APP_GROUP, group, rel, data)
    }

    /// A file in the system-group container `group`.
    pub fn system_group_file(self, group: &str, rel: &str, data: &[u8]) -> Dump {
        self.container_file(SYSTEM_GROUP, group, rel, data)
    }

    /// An installed app bundle with its iTunesMetadata.plist (`metadata`, XML) and an executable.
    pub fn bundle_app(self, bundle_id: &str, name: &str, metadata: Option<&[u8]>) -> Dump {
        let dir = container_dir(APP_BUNDLE, bundle_id);
        let mut d = self
            .file(&format!("{dir}/{METADATA}"), &container_metadata(bundle_id))
            .executable(&format!("{dir}/{name}.app/{name}"));
        if let Some(m) = metadata {
            d = d.file(&format!("{dir}/iTunesMetadata.plist"), m);
        }
        d
    }

    /// A backup artifact at its dump path: `HomeDomain/…`, `RootDomain/…`, `WirelessDomain/…`,
    /// `AppDomain-<bundle>/…`, `AppDomainGroup-<group>/…`, `SysSharedContainerDomain-<group>/…`.
    pub fn backup_file(self, domain: &str, rel: &str, data: &[u8]) -> Dump {
        for (d, dir) in [
            ("HomeDomain", "private/var/mobile"),
            ("MediaDomain", "private/var/mobile"),
            ("RootDomain", "private/var/root"),
            ("WirelessDomain", "private/var/wireless"),
            ("KeychainDomain", "private/var/Keychains"),
            ("SystemPreferencesDomain", "private/var/preferences"),
        ] {
            if domain == d {
                return self.file(&format!("{dir}/{rel}"), data);
            }
        }
        if let Some(id) = domain.strip_prefix("AppDomain-") {
            return self.app_file(id, rel, data);
        }
        if let Some(id) = domain.strip_prefix("AppDomainGroup-") {
            return self.group_file(id, rel, data);
        }
        if let Some(id) = domain.strip_prefix("SysSharedContainerDomain-") {
            return self.system_group_file(id, rel, data);
        }
        panic!("testkit: no dump path for backup domain {domain}");
    }

    /// [`Dump::backup_file`] for a logical backup path `<domain>/<relativePath>`.
    pub fn backup_path(self, logical: &str, data: &[u8]) -> Dump {
        let (d, rel) = logical.split_once('/').expect("domain/relativePath");
        self.backup_file(d, rel, data)
    }

    /// Every device path (files, folders, links), with each folder implied by a member.
    fn all(&self) -> BTreeMap<String, Node> {
        let mut out = self.nodes.clone();
        for p in self.nodes.keys() {
            let mut cur = p.as_str();
            while let Some((parent, _)) = cur.rsplit_once('/') {
                out.entry(parent.to_string())
                    .or_insert(Node::Dir { mtime: MTIME });
                cur = parent;
            }
        }
        out
    }

    /// The members of the archive in `layout` order (parents first).
    pub fn members(&self, layout: &DumpLayout) -> Vec<Member> {
        let mut out = Vec::new();
        for (dev, node) in self.all() {
            let Some(name) = layout.name(&dev) else {
                continue;
            };
            out.push(match node {
                Node::File {
                    data,
                    mtime,
                    nanos,
                    mode,
                } => Member::file(&name, &data, mtime)
                    .with_mode(mode)
                    .with_nanos(nanos),
                Node::Dir { mtime } => Member::dir(&format!("{name}/"), mtime),
                Node::Link { target } => Member::symlink(&name, &target, MTIME),
            });
        }
        out
    }

    pub fn tar_bytes(&self, layout: &DumpLayout) -> Vec<u8> {
        tar_raw::archive(&self.members(layout))
    }

    pub fn write_tar(&self, path: &Path, layout: &DumpLayout) -> std::io::Result<()> {
        std::fs::write(path, self.tar_bytes(layout))
    }

    pub fn write_tar_gz(&self, path: &Path, layout: &DumpLayout) -> std::io::Result<()> {
        let f = std::fs::File::create(path)?;
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        gz.write_all(&self.tar_bytes(layout))?;
        gz.finish()?.flush()
    }

    /// A zip; `extended_times`: each file also gets an extended-timestamp field (UTC).
    pub fn write_zip(
        &self,
        path: &Path,
        layout: &DumpLayout,
        extended_times: bool,
    ) -> std::io::Result<()> {
        use zip::write::{FullFileOptions, SimpleFileOptions};
        let mut w = zip::ZipWriter::new(std::fs::File::create(path)?);
        for m in self.members(layout) {
            let dt = jiff::Timestamp::from_second(m.mtime)
                .map(|t| jiff::tz::TimeZone::UTC.to_datetime(t))
                .ok();
            let dos = dt
                .and_then(|d| {
                    zip::DateTime::from_date_and_time(
                        d.year() as u16,
                        d.month() as u8,
                        d.day() as u8,
                        d.hour() as u8,
                        d.minute() as u8,
                        d.second() as u8,
                    )
                    .ok()
                })
                .unwrap_or_default();
            let simple = SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .last_modified_time(dos)
                .unix_permissions(m.mode)
                .large_file(m.data.len() > (1 << 30));
            match m.typeflag {
                b'5' => w.add_directory(m.name.trim_end_matches('/'), simple)?,
                b'2' => w.add_symlink(m.name.as_str(), m.link.as_str(), simple)?,
                _ if extended_times => {
                    let full = FullFileOptions::default()
                        .compression_method(zip::CompressionMethod::Deflated)
                        .last_modified_time(dos)
                        .unix_permissions(m.mode)
                        .with_extended_timestamp(Some(m.mtime as u32), None, None)?;
                    w.start_file(m.name.as_str(), full)?;
                    w.write_all(&m.data)?;
                }
                _ => {
                    w.start_file(m.name.as_str(), simple)?;
                    w.write_all(&m.data)?;
                }
            }
        }
        w.finish()?;
        Ok(())
    }

    /// Writes a folder at `root` (created) and returns the path to give telltale. `Absolute` is written
    /// as `Plain`. File times are set; links are created as links.
    pub fn write_dir(&self, root: &Path, layout: &DumpLayout) -> std::io::Result<PathBuf> {
        let layout = if *layout == DumpLayout::Absolute {
            &DumpLayout::Plain
        } else {
            layout
        };
        std::fs::create_dir_all(root)?;
        let mut dirs = Vec::new();
        for (dev, node) in self.all() {
            let Some(name) = layout.name(&dev) else {
                continue;
            };
            let p = root.join(&name);
            match node {
                Node::Dir { mtime } => {
                    std::fs::create_dir_all(&p)?;
                    dirs.push((p, mtime));
                }
                Node::File { data, mtime, .. } => {
                    if let Some(parent) = p.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    let f = std::fs::File::create(&p)?;
                    let mut f = std::io::BufWriter::new(f);
                    f.write_all(&data)?;
                    let f = f.into_inner().map_err(|e| e.into_error())?;
                    f.set_modified(
                        std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime as u64),
                    )?;
                }
                Node::Link { target } => {
                    if let Some(parent) = p.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    #[cfg(unix)]
                    std::os::unix::fs::symlink(&target, &p)?;
                }
            }
        }
        // Folder times last (writing files changed them).
        for (p, mtime) in dirs.into_iter().rev() {
            if let Ok(f) = std::fs::File::open(&p) {
                let _ = f.set_modified(
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime as u64),
                );
            }
        }
        Ok(root.to_path_buf())
    }
}

/// A container's `.com.apple.mobile_container_manager.metadata.plist` (binary, as on the device).
pub fn container_metadata(id: &str) -> Vec<u8> {
    let mut d = plist::Dictionary::new();
    d.insert("MCMMetadataIdentifier".into(), id.into());
    d.insert("MCMMetadataContentClass".into(), 2.into());
    d.insert(
        "MCMMetadataUUID".into(),
        container_uuid("metadata", id).into(),
    );
    let mut out = Vec::new();
    plist::to_writer_binary(&mut out, &plist::Value::Dictionary(d)).expect("plist");
    out
}

/// `System/Library/CoreServices/SystemVersion.plist`.
pub fn system_version_plist(version: &str, build: &str) -> Vec<u8> {
    let mut d = plist::Dictionary::new();
    d.insert("ProductName".into(), "iPhone OS".into());
    d.insert("ProductVersion".into(), version.into());
    d.insert("ProductBuildVersion".into(), build.into());
    let mut out = Vec::new();
    plist::to_writer_xml(&mut out, &plist::Value::Dictionary(d)).expect("plist");
    out
}

/// The bytes a writer that only writes files (`write(path)`) produces.
pub fn bytes_of(write: impl FnOnce(&Path)) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("artifact");
    write(&p);
    std::fs::read(&p).expect("the writer wrote the file")
}
