//! [`DumpEvidence`]: a filesystem dump seen through two logical namespaces.
//!
//! * **Device paths**, relative to the device's root: `private/var/mobile/Library/SMS/sms.db`,
//!   `System/Library/…` (whatever wrapper, absolute member names or `var/` spelling the container uses;
//!   a dump of `/private/var` alone is mounted at `private/var/`). The filesystem modules use these.
//! * **Backup paths**, `<domain>/<relativePath>` as in an iTunes/Finder backup, so that the backup
//!   modules read a dump unchanged: `HomeDomain/…` → `private/var/mobile/…`, `WirelessDomain/…` →
//!   `private/var/wireless/…`, `RootDomain/…` → `private/var/root/…`, `AppDomain-<bundle>/…` → the app's
//!   data container, `AppDomainGroup-<group>/…` → the group container, `SysSharedContainerDomain-<id>/…`
//!   → the system group container … Containers are identified by the `MCMMetadataIdentifier` of their
//!   `.com.apple.mobile_container_manager.metadata.plist` (or, without one, by a folder name that is not
//!   a UUID). In a pattern, a wildcard in the first component (`*/Library/…`, `AppDomain-*/…`)
//!   enumerates domains; `**…` searches device paths.
//!
//! Nothing is followed out of the dump: the container ([`telltale_core::FolderEvidence`] and friends)
//! refuses escaping links, and symbolic links are listed, never read through.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Arc, OnceLock};

use telltale_core::evidence::glob_match;
use telltale_core::{Entry, Evidence, EvidenceError, LocalFile, WalkEntry};

use super::root::Layout;

/// Backup domains stored at a fixed place of the device.
pub const FIXED_DOMAINS: &[(&str, &str)] = &[
    ("HomeDomain", "private/var/mobile"),
    ("RootDomain", "private/var/root"),
    ("WirelessDomain", "private/var/wireless"),
    ("SystemPreferencesDomain", "private/var/preferences"),
    (
        "ManagedPreferencesDomain",
        "private/var/Managed Preferences",
    ),
    ("KeychainDomain", "private/var/Keychains"),
    ("DatabaseDomain", "private/var/db"),
    ("MobileDeviceDomain", "private/var/MobileDevice"),
    ("InstallDomain", "private/var/installd"),
    ("NetworkDomain", "private/var/networkd"),
    ("ProtectedDomain", "private/var/protected"),
    // Aliases of the home folder: resolved, never enumerated (a file would be listed twice).
    ("MediaDomain", "private/var/mobile"),
    ("CameraRollDomain", "private/var/mobile"),
];
const ALIASES: [&str; 2] = ["MediaDomain", "CameraRollDomain"];

/// Backup domains of containers: domain prefix → folder of the containers.
pub const CONTAINER_DOMAINS: &[(&str, &str)] = &[
    (
        "AppDomain-",
        "private/var/mobile/Containers/Data/Application",
    ),
    (
        "AppDomainGroup-",
        "private/var/mobile/Containers/Shared/AppGroup",
    ),
    (
        "AppDomainPlugin-",
        "private/var/mobile/Containers/Data/PluginKitPlugin",
    ),
    ("SysContainerDomain-", "private/var/containers/Data/System"),
    (
        "SysSharedContainerDomain-",
        "private/var/containers/Shared/SystemGroup",
    ),
];

/// The file that names a container.
pub const CONTAINER_METADATA: &str = ".com.apple.mobile_container_manager.metadata.plist";
/// The folder of installed app bundles (each container names its app the same way).
pub const BUNDLE_CONTAINERS: &str = "private/var/containers/Bundle/Application";

/// Containers by identifier, per container domain.
#[derive(Debug, Default)]
pub struct ContainerMap {
    /// domain prefix → identifier → device folder of the container.
    by_domain: BTreeMap<&'static str, BTreeMap<String, String>>,
    /// device folder → identifier (bundle containers included).
    by_folder: BTreeMap<String, String>,
    /// Containers named twice (the first is used).
    pub duplicates: Vec<String>,
}

impl ContainerMap {
    /// The device folder of a container domain (`AppDomain-com.x`), if the dump holds it.
    pub fn folder(&self, domain: &str) -> Option<&str> {
        CONTAINER_DOMAINS.iter().find_map(|(p, _)| {
            let id = domain.strip_prefix(p)?;
            self.by_domain.get(p)?.get(id).map(String::as_str)
        })
    }
    /// Every container domain name (`AppDomain-com.x` …).
    pub fn domains(&self) -> impl Iterator<Item = String> + '_ {
        self.by_domain
            .iter()
            .flat_map(|(p, m)| m.keys().map(move |id| format!("{p}{id}")))
    }
    /// The identifier of the container at a device folder (data, group, system or bundle container).
    pub fn identifier(&self, folder: &str) -> Option<&str> {
        self.by_folder.get(folder).map(String::as_str)
    }
    /// How many containers were identified.
    pub fn len(&self) -> usize {
        self.by_folder.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_folder.is_empty()
    }
}

/// Whether a folder name is a UUID.
fn is_uuid(s: &str) -> bool {
    crate::device_paths::is_uuid(s)
}

/// A filesystem dump as evidence. See the module documentation.
pub struct DumpEvidence {
    inner: Arc<dyn Evidence>,
    layout: Layout,
    containers: OnceLock<ContainerMap>,
}

impl DumpEvidence {
    pub fn new(inner: Arc<dyn Evidence>, layout: Layout) -> Self {
        DumpEvidence {
            inner,
            layout,
            containers: OnceLock::new(),
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn inner(&self) -> &Arc<dyn Evidence> {
        &self.inner
    }

    /// The containers, identified on first use.
    pub fn containers(&self) -> &ContainerMap {
        self.containers.get_or_init(|| self.read_containers())
    }

    fn read_containers(&self) -> ContainerMap {
        let mut map = ContainerMap::default();
        let mut bases: Vec<(Option<&'static str>, &str)> = CONTAINER_DOMAINS
            .iter()
            .map(|(p, f)| (Some(*p), *f))
            .collect();
        bases.push((None, BUNDLE_CONTAINERS));
        for (domain, base) in bases {
            for (name, kind) in self.children(base) {
                if kind != telltale_core::EntryKind::Dir {
                    continue;
                }
                let folder = format!("{base}/{name}");
                let id = self
                    .read_limited(&format!("{folder}/{CONTAINER_METADATA}"), 1 << 20)
                    .ok()
                    .and_then(|b| plist::from_bytes::<plist::Value>(&b).ok())
                    .and_then(|v| {
                        v.as_dictionary()?
                            .get("MCMMetadataIdentifier")?
                            .as_string()
                            .map(str::to_string)
                    })
                    .filter(|id| !id.is_empty() && !id.contains('/'))
                    .or_else(|| (!is_uuid(&name)).then(|| name.clone()));
                let Some(id) = id else { continue };
                map.by_folder.insert(folder.clone(), id.clone());
                if let Some(d) = domain {
                    match map.by_domain.entry(d).or_default().entry(id) {
                        std::collections::btree_map::Entry::Occupied(o) => {
                            map.duplicates.push(format!("{d}{}", o.key()));
                        }
                        std::collections::btree_map::Entry::Vacant(v) => {
                            v.insert(folder);
                        }
                    }
                }
            }
        }
        map
    }

    /// The direct children of a device folder.
    pub fn children(&self, folder: &str) -> Vec<(String, telltale_core::EntryKind)> {
        let mut out = Vec::new();
        let folder = folder.trim_matches('/');
        let cut = if folder.is_empty() {
            0
        } else {
            folder.len() + 1
        };
        let _ = self.walk(folder, &mut |e| {
            if let Some(n) = e.path.get(cut..)
                && !n.contains('/')
            {
                out.push((n.to_string(), e.kind));
            }
            false
        });
        out
    }

    /// Whether a device folder exists and holds something.
    pub fn has_entries(&self, folder: &str) -> bool {
        let mut any = false;
        let _ = self.walk(folder, &mut |_| {
            any = true;
            false
        });
        any
    }

    /// The device folder a backup domain maps to.
    fn domain_folder(&self, domain: &str) -> Option<String> {
        if let Some((_, f)) = FIXED_DOMAINS.iter().find(|(d, _)| *d == domain) {
            return Some(f.to_string());
        }
        if CONTAINER_DOMAINS.iter().any(|(p, _)| domain.starts_with(p)) {
            return self.containers().folder(domain).map(str::to_string);
        }
        None
    }

    /// Whether a first path component names a backup domain (known or not yet resolved).
    fn is_domain(c0: &str) -> bool {
        FIXED_DOMAINS.iter().any(|(d, _)| *d == c0)
            || CONTAINER_DOMAINS.iter().any(|(p, _)| c0.starts_with(p))
    }

    /// The device path of a logical path (backup paths translated); `None` when a domain is not in the
    /// dump.
    pub fn device_path(&self, path: &str) -> Option<String> {
        let path = path.trim_matches('/');
        let (c0, rest) = path.split_once('/').unwrap_or((path, ""));
        if Self::is_domain(c0) {
            let folder = self.domain_folder(c0)?;
            return Some(if rest.is_empty() {
                folder
            } else {
                format!("{folder}/{rest}")
            });
        }
        Some(path.to_string())
    }

    fn inner_path(&self, path: &str) -> Result<String, EvidenceError> {
        self.device_path(path)
            .and_then(|d| self.layout.to_inner(&d))
            .ok_or_else(|| EvidenceError::NotFound { path: path.into() })
    }

    /// Device paths matching a device pattern.
    fn device_find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        let literal_end = pattern.find(['*', '?']).unwrap_or(pattern.len());
        if literal_end == pattern.len() {
            // No wildcard: one file or none.
            let Some(inner) = self.layout.to_inner(pattern) else {
                return Ok(Vec::new());
            };
            return Ok(self
                .inner
                .find(&inner)?
                .into_iter()
                .map(|e| Entry {
                    path: pattern.to_string(),
                    size: e.size,
                })
                .collect());
        }
        // The literal folders before the first wildcard, translated as a whole when possible.
        let lit_dir = pattern[..literal_end]
            .rfind('/')
            .map_or("", |i| &pattern[..i]);
        if !lit_dir.is_empty()
            && let Some(inner_dir) = self.layout.to_inner(lit_dir)
        {
            let rest = &pattern[lit_dir.len()..];
            let inner_pattern = format!("{inner_dir}{rest}");
            return Ok(self
                .inner
                .find(&inner_pattern)?
                .into_iter()
                .filter_map(|e| {
                    let d = self.layout.to_device(&e.path)?;
                    glob_match(pattern, &d).then_some(Entry {
                        path: d,
                        size: e.size,
                    })
                })
                .collect());
        }
        if !lit_dir.is_empty() {
            // A folder the dump cannot hold (e.g. System/ in a dump of /private/var alone).
            return Ok(Vec::new());
        }
        // A wildcard in the first component: search the whole dump.
        let inner_pattern = format!("{}**", self.layout.prefix());
        let mut out: Vec<Entry> = self
            .inner
            .find(&inner_pattern)?
            .into_iter()
            .filter_map(|e| {
                let d = self.layout.to_device(&e.path)?;
                glob_match(pattern, &d).then_some(Entry {
                    path: d,
                    size: e.size,
                })
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}

impl Evidence for DumpEvidence {
    fn describe(&self) -> String {
        format!("iOS filesystem dump in {}", self.inner.describe())
    }
    fn exists(&self, path: &str) -> bool {
        self.inner_path(path)
            .map(|p| self.inner.exists(&p))
            .unwrap_or(false)
    }
    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        let pattern = pattern.trim_start_matches('/');
        let (c0, rest) = pattern.split_once('/').unwrap_or((pattern, ""));
        let wild = c0.contains(['*', '?']);
        if c0.starts_with("**") || (!wild && !Self::is_domain(c0)) {
            return self.device_find(pattern);
        }
        // Backup domains: one, or every domain the first component matches.
        let mut domains: Vec<String> = Vec::new();
        if wild {
            domains.extend(
                FIXED_DOMAINS
                    .iter()
                    .map(|(d, _)| d.to_string())
                    .filter(|d| !ALIASES.contains(&d.as_str())),
            );
            domains.extend(self.containers().domains());
            domains.retain(|d| glob_match(c0, d));
        } else {
            domains.push(c0.to_string());
        }
        let mut out = Vec::new();
        for d in domains {
            let Some(folder) = self.domain_folder(&d) else {
                continue;
            };
            let dev_pattern = if rest.is_empty() {
                folder.clone()
            } else {
                format!("{folder}/{rest}")
            };
            for e in self.device_find(&dev_pattern)? {
                let Some(rel) = e.path.strip_prefix(&folder) else {
                    continue;
                };
                out.push(Entry {
                    path: format!("{d}{rel}"),
                    size: e.size,
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        let p = self.inner_path(path)?;
        self.inner.open(&p).map_err(|e| rename(e, &p, path))
    }
    fn read_limited(&self, path: &str, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        let p = self.inner_path(path)?;
        self.inner
            .read_limited(&p, limit)
            .map_err(|e| rename(e, &p, path))
    }
    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        let p = self.inner_path(path)?;
        self.inner.local_file(&p).map_err(|e| rename(e, &p, path))
    }
    fn modified(&self, path: &str) -> Option<jiff::Timestamp> {
        self.inner.modified(&self.inner_path(path).ok()?)
    }
    fn modified_local(&self, path: &str) -> Option<jiff::civil::DateTime> {
        self.inner.modified_local(&self.inner_path(path).ok()?)
    }
    fn walk(
        &self,
        folder: &str,
        visit: &mut dyn FnMut(&WalkEntry<'_>) -> bool,
    ) -> Result<(), EvidenceError> {
        let folder = folder.trim_matches('/');
        let dev = self.device_path(folder).unwrap_or_default();
        // A dump of /private/var alone: the folders above it are implied.
        if let Layout::VarOnly { .. } = self.layout
            && (dev.is_empty() || dev == "private")
        {
            let implied: &[&str] = if dev.is_empty() {
                &["private", "private/var"]
            } else {
                &["private/var"]
            };
            for p in implied {
                let descend = visit(&WalkEntry {
                    path: p,
                    kind: telltale_core::EntryKind::Dir,
                    size: None,
                    modified: None,
                    time_source: None,
                    link_target: None,
                    mode: None,
                });
                if !descend {
                    return Ok(());
                }
            }
            return self.walk("private/var", visit);
        }
        let Some(inner) = self.layout.to_inner(&dev) else {
            return Ok(());
        };
        let inner_folder = inner.trim_end_matches('/');
        let mut mapped = String::new();
        self.inner.walk(inner_folder, &mut |e| {
            let Some(d) = self.layout.to_device(e.path) else {
                return false;
            };
            // In a dump with `var/` as /private/var, the container's `var` is shown as `private/var`.
            mapped.clear();
            mapped.push_str(&d);
            visit(&WalkEntry {
                path: &mapped,
                ..*e
            })
        })
    }
}

/// An error about a container path, said about the logical path asked for.
fn rename(e: EvidenceError, inner: &str, logical: &str) -> EvidenceError {
    match e {
        EvidenceError::NotFound { .. } => EvidenceError::NotFound {
            path: logical.into(),
        },
        EvidenceError::Absent { .. } => EvidenceError::Absent {
            path: logical.into(),
        },
        EvidenceError::Refused { reason, .. } => EvidenceError::Refused {
            path: logical.into(),
            reason,
        },
        EvidenceError::TooLarge { size, limit, .. } => EvidenceError::TooLarge {
            path: logical.into(),
            size,
            limit,
        },
        EvidenceError::Io { source, .. } => EvidenceError::Io {
            path: logical.into(),
            source,
        },
        EvidenceError::Other { message, .. } => EvidenceError::Other {
            path: logical.into(),
            message: if inner == logical {
                message
            } else {
                format!("{message} (stored as {inner})")
            },
        },
    }
}
