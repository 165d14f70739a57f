//! Updating the indicator sets (library side of `telltale iocs update`).
//!
//! [`update`] downloads an index in the format of MVT's `indicators.yaml` and every STIX file it
//! lists into `<data_dir>/iocs/`, atomically: files go to a temporary directory inside the data
//! dir, each must parse as STIX, then the directory is renamed into place and the `current`
//! pointer file is replaced (rename). A failed or partial download leaves the previous set active.
//! From then on the updated files replace the built-in snapshot ([`ActiveSnapshot`]).
//!
//! Only the index URL given by the caller and the URLs it lists are contacted; never indicator
//! hosts.

use crate::{IndexBuilder, IocError, SetOrigin, stix};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Largest file accepted from the network.
pub const MAX_DOWNLOAD: u64 = 128 * 1024 * 1024;
const SUBDIR: &str = "iocs";
const CURRENT: &str = "current";
const META: &str = "meta.json";

/// Errors of [`update`].
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// No network / connection refused / DNS failure / timeout (the CLI maps this to exit 2).
    #[error("cannot reach {url} (offline?): {message}")]
    Offline { url: String, message: String },
    #[error("{url}: HTTP status {status}")]
    Http { url: String, status: u16 },
    #[error("{url}: download failed: {message}")]
    Download { url: String, message: String },
    #[error("{url}: invalid indicator index: {message}")]
    InvalidIndex { url: String, message: String },
    #[error("{url}: downloaded file is not a valid STIX bundle: {source}")]
    InvalidStix { url: String, source: IocError },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl UpdateError {
    /// True for network unavailability (as opposed to a bad server answer or bad data).
    pub fn is_offline(&self) -> bool {
        matches!(self, UpdateError::Offline { .. })
    }
}

#[derive(Debug, Deserialize)]
struct IndexFile {
    #[serde(default)]
    indicators: Vec<IndexEntry>,
}

#[derive(Debug, Deserialize)]
struct IndexEntry {
    #[serde(rename = "type", default)]
    ty: Option<String>,
    name: String,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    github: Option<Github>,
    #[serde(default)]
    download_url: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Github {
    owner: String,
    repo: String,
    #[serde(default = "main_branch")]
    branch: String,
    path: String,
}

fn main_branch() -> String {
    "main".into()
}

/// One downloaded set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdatedFile {
    /// File name inside the set directory.
    pub file: String,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub upstream_repo: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    pub indicators: usize,
}

/// What [`update`] installed (also stored as `meta.json` in the set directory).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateReport {
    /// RFC 3339 UTC time of the update.
    pub updated_at: String,
    pub updated_unix: i64,
    pub index_url: String,
    pub files: Vec<UpdatedFile>,
    pub total_indicators: usize,
    /// Directory holding the files.
    #[serde(skip)]
    pub dir: PathBuf,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        .timeout_connect(Some(Duration::from_secs(15)))
        .user_agent(concat!("telltale/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

fn download(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>, UpdateError> {
    let map = |e: ureq::Error| match e {
        ureq::Error::StatusCode(status) => UpdateError::Http {
            url: url.to_string(),
            status,
        },
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound | ureq::Error::Timeout(_) => {
            UpdateError::Offline {
                url: url.to_string(),
                message: e.to_string(),
            }
        }
        ureq::Error::Io(ref io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::NotConnected
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::HostUnreachable
                    | std::io::ErrorKind::NetworkUnreachable
                    | std::io::ErrorKind::NetworkDown
                    | std::io::ErrorKind::AddrNotAvailable
            ) =>
        {
            UpdateError::Offline {
                url: url.to_string(),
                message: e.to_string(),
            }
        }
        other => UpdateError::Download {
            url: url.to_string(),
            message: other.to_string(),
        },
    };
    let mut resp = agent.get(url).call().map_err(map)?;
    resp.body_mut()
        .with_config()
        .limit(MAX_DOWNLOAD)
        .read_to_vec()
        .map_err(map)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> UpdateError + '_ {
    move |e| UpdateError::Io {
        path: path.display().to_string(),
        source: e,
    }
}

fn safe_file_name(path_or_url: &str, taken: &[UpdatedFile]) -> String {
    let base = path_or_url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("");
    let mut base: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect();
    base = base.trim_start_matches('.').to_string();
    if base.is_empty() || base == META || base == CURRENT {
        base = "set.stix2".into();
    }
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|f| f.file == name) {
        name = format!("{n}-{base}");
        n += 1;
    }
    name
}

/// Download the index at `index_url` and every STIX file it lists into `data_dir`, atomically.
pub fn update(index_url: &str, data_dir: &Path) -> Result<UpdateReport, UpdateError> {
    let agent = agent();
    let yaml = download(&agent, index_url)?;
    let index: IndexFile =
        serde_norway::from_slice(&yaml).map_err(|e| UpdateError::InvalidIndex {
            url: index_url.to_string(),
            message: e.to_string(),
        })?;
    if index.indicators.is_empty() {
        return Err(UpdateError::InvalidIndex {
            url: index_url.to_string(),
            message: "no `indicators` entries".into(),
        });
    }
    let root = data_dir.join(SUBDIR);
    std::fs::create_dir_all(&root).map_err(io_err(&root))?;
    let tmp = tempfile::Builder::new()
        .prefix(".download-")
        .tempdir_in(&root)
        .map_err(io_err(&root))?;
    let mut files: Vec<UpdatedFile> = Vec::new();
    for e in &index.indicators {
        let (url, repo) = match (&e.download_url, &e.url, &e.github) {
            (Some(u), _, _) | (None, Some(u), _) => (u.clone(), None),
            (None, None, Some(g)) => (
                format!(
                    "https://raw.githubusercontent.com/{}/{}/{}/{}",
                    g.owner, g.repo, g.branch, g.path
                ),
                Some(format!("https://github.com/{}/{}", g.owner, g.repo)),
            ),
            (None, None, None) => {
                return Err(UpdateError::InvalidIndex {
                    url: index_url.to_string(),
                    message: format!(
                        "entry {:?} (type {:?}) has no github/download_url",
                        e.name, e.ty
                    ),
                });
            }
        };
        let bytes = download(&agent, &url)?;
        let bundle =
            stix::parse_bundle(&bytes, &url).map_err(|source| UpdateError::InvalidStix {
                url: url.clone(),
                source,
            })?;
        let file = safe_file_name(
            e.github.as_ref().map(|g| g.path.as_str()).unwrap_or(&url),
            &files,
        );
        let path = tmp.path().join(&file);
        std::fs::write(&path, &bytes).map_err(io_err(&path))?;
        files.push(UpdatedFile {
            file,
            name: e.name.clone(),
            url,
            upstream_repo: repo,
            sources: e.sources.clone(),
            references: e.references.clone(),
            indicators: bundle.indicators.len(),
        });
    }
    let now = jiff::Timestamp::now();
    let mut report = UpdateReport {
        updated_at: now.to_string(),
        updated_unix: now.as_second(),
        index_url: index_url.to_string(),
        total_indicators: files.iter().map(|f| f.indicators).sum(),
        files,
        dir: PathBuf::new(),
    };
    let meta = serde_json::to_vec_pretty(&report).expect("serialisable");
    let meta_path = tmp.path().join(META);
    std::fs::write(&meta_path, meta).map_err(io_err(&meta_path))?;
    // Move into place: rename the directory, then switch the pointer file (atomic rename).
    let suffix = tmp.path().file_name().map(|n| {
        n.to_string_lossy()
            .trim_start_matches(".download-")
            .to_string()
    });
    let dir_name = format!("set-{}-{}", now.as_second(), suffix.unwrap_or_default());
    let final_dir = root.join(&dir_name);
    let tmp_path = tmp.keep();
    if let Err(e) = std::fs::rename(&tmp_path, &final_dir) {
        let _ = std::fs::remove_dir_all(&tmp_path);
        return Err(io_err(&final_dir)(e));
    }
    let ptr_tmp = root.join(".current.tmp");
    let ptr = root.join(CURRENT);
    let switch = std::fs::write(&ptr_tmp, &dir_name).and_then(|_| std::fs::rename(&ptr_tmp, &ptr));
    if let Err(e) = switch {
        let _ = std::fs::remove_dir_all(&final_dir);
        return Err(io_err(&ptr)(e));
    }
    // Remove older sets and stale downloads.
    if let Ok(rd) = std::fs::read_dir(&root) {
        for d in rd.flatten() {
            let n = d.file_name().to_string_lossy().to_string();
            if (n.starts_with("set-") && n != dir_name) || n.starts_with(".download-") {
                let _ = std::fs::remove_dir_all(d.path());
            }
        }
    }
    report.dir = final_dir;
    Ok(report)
}

/// Which indicator snapshot is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SnapshotKind {
    /// The snapshot compiled into the binary.
    Builtin,
    /// A set downloaded by [`update`].
    Updated,
}

/// The active snapshot and how old it is.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveSnapshot {
    pub kind: SnapshotKind,
    /// `YYYY-MM-DD` of the built-in snapshot, or the RFC 3339 time of the update.
    pub date: String,
    /// Seconds since the Unix epoch of `date`.
    pub unix: i64,
    pub index_url: Option<String>,
    pub dir: Option<PathBuf>,
    pub files: Vec<String>,
}

impl ActiveSnapshot {
    /// Time since the snapshot date (zero if the clock is behind).
    pub fn age(&self) -> Duration {
        let now = jiff::Timestamp::now().as_second();
        Duration::from_secs(now.saturating_sub(self.unix).max(0) as u64)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn builtin_snapshot() -> ActiveSnapshot {
    let date = crate::builtin::snapshot_date();
    let p: Vec<i64> = date.split('-').filter_map(|x| x.parse().ok()).collect();
    let unix = if p.len() == 3 {
        days_from_civil(p[0], p[1], p[2]) * 86_400
    } else {
        0
    };
    ActiveSnapshot {
        kind: SnapshotKind::Builtin,
        date,
        unix,
        index_url: None,
        dir: None,
        files: crate::builtin::sets().into_iter().map(|s| s.file).collect(),
    }
}

/// The installed updated set in `data_dir`, if any.
pub fn installed(data_dir: &Path) -> Option<UpdateReport> {
    let root = data_dir.join(SUBDIR);
    let name = std::fs::read_to_string(root.join(CURRENT)).ok()?;
    let name = name.trim();
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return None;
    }
    let dir = root.join(name);
    let meta = std::fs::read(dir.join(META)).ok()?;
    let mut r: UpdateReport = serde_json::from_slice(&meta).ok()?;
    r.dir = dir;
    Some(r)
}

/// Which snapshot [`IndexBuilder::add_active`] would load.
pub fn active_snapshot(data_dir: Option<&Path>) -> ActiveSnapshot {
    match data_dir.and_then(installed) {
        Some(r) => ActiveSnapshot {
            kind: SnapshotKind::Updated,
            date: r.updated_at.clone(),
            unix: r.updated_unix,
            index_url: Some(r.index_url.clone()),
            files: r.files.iter().map(|f| f.file.clone()).collect(),
            dir: Some(r.dir),
        },
        None => builtin_snapshot(),
    }
}

pub(crate) fn add_active(
    b: &mut IndexBuilder,
    data_dir: Option<&Path>,
) -> Result<ActiveSnapshot, IocError> {
    let Some(r) = data_dir.and_then(installed) else {
        b.add_builtin()?;
        return Ok(builtin_snapshot());
    };
    for f in &r.files {
        let path = r.dir.join(&f.file);
        let name = path.display().to_string();
        let bytes = std::fs::read(&path).map_err(|e| IocError::Io {
            file: name.clone(),
            source: e,
        })?;
        let origin = SetOrigin {
            name: f.name.clone(),
            upstream_repo: f.upstream_repo.clone().unwrap_or_else(|| f.url.clone()),
            commit: None,
            licence: None,
            date: Some(r.updated_at.clone()),
            sources: f.sources.clone(),
        };
        b.add_bundle(&bytes, &name, Some(origin))?;
    }
    Ok(active_snapshot(data_dir))
}
