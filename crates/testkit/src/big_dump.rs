//! A large synthetic filesystem dump for the benchmarks: `files` files (default 1,000,000) totalling
//! about `bytes` (default 2 GiB), with the usual artifacts among them, streamed to a folder, a `.tar`
//! or a `.tar.gz` without ever holding the dump in memory.
//!
//! Layout (deterministic, from a seed): the system volume (`System/Library/…`, `usr/…`, 10 % of the
//! files), 1,500 app bundles and their data containers with caches, WebKit data and preferences (most of
//! the files), `Media/` files, and the artifacts the modules read, with planted traces: an SMS link and
//! netusage/DataUsage processes (`bh`, and 300 processes without a bundle id, half of them not on the
//! system volume), Safari history and favicons, 300 `Cache.db`, SFAnalytics databases, analytics
//! journals, a shutdown log, 200 crash reports, files in `/private/var/tmp/` and the staging folder.
//! File contents are half pseudo-random (compressible about 2:1, like real data).

use std::io::Write;
use std::path::Path;

use crate::ios_dbs::{DataUsageDb, IosVersion, SmsDb, TccDb};
use crate::ios_fs::{Dump, DumpLayout, container_dir, container_metadata, macho};
use crate::ios_fs_dbs::{CacheDb, FaviconsDb, SfAnalyticsDb, analytics_journal, sf_event};
use crate::rng::XorShift;
use crate::tar_raw::{Member, StreamWriter};

/// Where the generator puts a file's bytes.
pub trait Sink {
    fn file(&mut self, path: &str, data: &[u8], mtime: i64, mode: u32) -> std::io::Result<()>;
    fn symlink(&mut self, path: &str, target: &str) -> std::io::Result<()>;
}

/// A folder on disk.
pub struct FolderSink {
    root: std::path::PathBuf,
    last_dir: String,
}

impl FolderSink {
    pub fn new(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(FolderSink {
            root: root.to_path_buf(),
            last_dir: String::new(),
        })
    }
}

impl Sink for FolderSink {
    fn file(&mut self, path: &str, data: &[u8], mtime: i64, _mode: u32) -> std::io::Result<()> {
        let p = self.root.join(path);
        if let Some((dir, _)) = path.rsplit_once('/')
            && dir != self.last_dir
        {
            std::fs::create_dir_all(self.root.join(dir))?;
            self.last_dir = dir.to_string();
        }
        let f = std::fs::File::create(&p)?;
        let mut w = std::io::BufWriter::new(f);
        w.write_all(data)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime as u64))
    }
    fn symlink(&mut self, path: &str, target: &str) -> std::io::Result<()> {
        let p = self.root.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(target, p)?;
        Ok(())
    }
}

/// A tar stream (plain or wrapped in gzip by the caller's writer).
pub struct TarSink<W: Write> {
    w: StreamWriter<W>,
    dirs: std::collections::HashSet<String>,
}

impl<W: Write> TarSink<W> {
    pub fn new(w: W) -> Self {
        TarSink {
            w: StreamWriter::new(w),
            dirs: std::collections::HashSet::new(),
        }
    }
    fn parents(&mut self, path: &str) -> std::io::Result<()> {
        let mut cut = 0;
        while let Some(i) = path[cut..].find('/') {
            let d = &path[..cut + i];
            if self.dirs.insert(d.to_string()) {
                self.w
                    .append(&Member::dir(&format!("{d}/"), crate::ios_fs::MTIME))?;
            }
            cut += i + 1;
        }
        Ok(())
    }
    pub fn finish(self) -> std::io::Result<W> {
        self.w.finish()
    }
}

impl<W: Write> Sink for TarSink<W> {
    fn file(&mut self, path: &str, data: &[u8], mtime: i64, mode: u32) -> std::io::Result<()> {
        self.parents(path)?;
        self.w
            .append(&Member::file(path, data, mtime).with_mode(mode))
    }
    fn symlink(&mut self, path: &str, target: &str) -> std::io::Result<()> {
        self.parents(path)?;
        self.w
            .append(&Member::symlink(path, target, crate::ios_fs::MTIME))
    }
}

/// What the generator planted (for the benchmark's checks).
#[derive(Debug, Default, Clone)]
pub struct BigDumpStats {
    pub files: u64,
    pub bytes: u64,
}

struct Gen<'a> {
    sink: &'a mut dyn Sink,
    rng: XorShift,
    buf: Vec<u8>,
    stats: BigDumpStats,
}

impl Gen<'_> {
    fn put(&mut self, path: &str, data: &[u8]) -> std::io::Result<()> {
        self.put_mode(path, data, 0o644)
    }
    fn put_mode(&mut self, path: &str, data: &[u8], mode: u32) -> std::io::Result<()> {
        self.stats.files += 1;
        self.stats.bytes += data.len() as u64;
        let mtime = 1_600_000_000 + (self.rng.next_u64() % 100_000_000) as i64;
        self.sink.file(path, data, mtime, mode)
    }
    /// A filler file of about `avg` bytes (0.5–1.5×), half noise.
    fn filler(&mut self, path: &str, avg: u64) -> std::io::Result<()> {
        let n = (avg / 2 + self.rng.next_u64() % avg.max(1)) as usize;
        self.buf.clear();
        while self.buf.len() < n {
            let x = self.rng.next_u64();
            self.buf.extend_from_slice(&x.to_le_bytes());
            self.buf.extend_from_slice(b"\0\0\0\0\0\0\0\0");
        }
        self.buf.truncate(n);
        let data = std::mem::take(&mut self.buf);
        let r = self.put(path, &data);
        self.buf = data;
        r
    }
}

/// Artifacts planted in every big dump (backup paths through [`Dump`], written once).
fn artifacts() -> Dump {
    let mut usage = DataUsageDb::new(IosVersion::V17)
        .process(
            "com.apple.WebKit.Networking",
            Some("com.apple.mobilesafari"),
            7e8,
            7e8,
        )
        .process("bh", None, 7.1e8, 7.1e8);
    let mut net = DataUsageDb::netusage().process("bh", None, 7.1e8, 7.1e8);
    for i in 0..300 {
        // Half on the system volume (`usr/libexec/daemonN`), half nowhere.
        let name = format!("daemon{i}");
        usage = usage.process(&name, None, 7e8 + i as f64, 7e8 + i as f64);
        net = net.process(&name, None, 7e8 + i as f64, 7e8 + i as f64);
    }
    for pk in 1..=200 {
        usage = usage.usage(pk, 7.2e8, 0.0, 0.0, 100.0, 100.0);
        net = net.usage(pk, 7.2e8, 0.0, 0.0, 100.0, 100.0);
    }
    let mut sms = SmsDb::new(IosVersion::V17);
    for i in 0..5_000 {
        sms = sms.message(
            "+15555550100",
            &format!("message {i} https://news.example.org/{i}"),
            7e8 + i as f64,
        );
    }
    sms = sms.message("+15555550101", "https://sub.evil.com/track", 7.3e8);
    let mut fav = FaviconsDb::new();
    for i in 0..2_000 {
        fav = fav.icon(
            &format!("https://site{i}.example/"),
            &format!("https://site{i}.example/f.ico"),
            700_000_000 + i,
        );
    }
    fav = fav.icon(
        "https://cdn.evil.com/",
        "https://cdn.evil.com/i.ico",
        700_100_000,
    );
    let mut sf = SfAnalyticsDb::new();
    for i in 0..3_000 {
        let table = ["hard_failures", "soft_failures", "notes"][i % 3];
        sf = sf.event(
            table,
            1.6e9 + i as f64,
            sf_event(
                "ckks",
                1_600_000_000_000 + i as i64,
                "21F90",
                &[("peer", format!("host{i}.example").into())],
            ),
        );
    }
    let mut shutdown = String::new();
    for r in 0..500 {
        shutdown.push_str("After 0.50s, these clients are still here:\n");
        shutdown.push_str("\t\tremaining client pid: 51 (/usr/libexec/mobileassetd)\n");
        shutdown.push_str(&format!(
            "SIGTERM: [{}] All buffers flushed\n",
            1_650_000_000 + r * 86_400
        ));
    }
    let mut d = Dump::new()
        .system_volume("17.5.1", "21F90")
        .backup_path(SmsDb::PATH, &sms.to_bytes())
        .backup_path(DataUsageDb::PATH, &usage.to_bytes())
        .file(DataUsageDb::NETUSAGE_PATH, &net.to_bytes())
        .backup_path(
            TccDb::PATH,
            &TccDb::new(IosVersion::V17)
                .access("kTCCServiceCamera", "com.example.app0", 0, 2, 1_700_000_000)
                .to_bytes(),
        )
        .app_file(
            "com.apple.mobilesafari",
            FaviconsDb::CONTAINER_PATH,
            &fav.to_bytes(),
        )
        .file(
            "private/var/Keychains/Analytics/ckks_analytics.db",
            &sf.to_bytes(),
        )
        .file(
            "private/var/db/diagnostics/shutdown.log",
            shutdown.as_bytes(),
        )
        .executable("private/var/tmp/hooker")
        .file(
            "private/var/db/com.apple.xpc.roleaccountd.staging/roleaccountd.plist",
            b"bplist00",
        );
    for i in 0..150 {
        d = d.executable(&format!("usr/libexec/daemon{i}"));
    }
    for j in 0..12 {
        d = d.file(
            &format!("private/var/db/analyticsd/Analytics-Journal-{j}.ips"),
            &analytics_journal(
                &format!("2024-{:02}-01 10:00:00.00 +0200", j + 1),
                "iPhone OS 17.5.1 (21F90)",
            ),
        );
    }
    for c in 0..200 {
        d = d.file(
            &format!("private/var/mobile/Library/Logs/CrashReporter/app{c}-2024-05-01-101010.ips"),
            &crate::sysdiagnose::ips_crash(
                &format!("/private/var/containers/Bundle/Application/X/App{c}.app/App{c}"),
                Some(&format!("com.example.app{c}")),
                "2024-05-01 10:10:10.00 +0200",
                &[],
            )
            .into_bytes(),
        );
    }
    d
}

/// Streams a big dump into `sink`: `files` files, about `bytes` bytes in total.
pub fn write_big_dump(
    sink: &mut dyn Sink,
    files: u64,
    bytes: u64,
) -> std::io::Result<BigDumpStats> {
    let planted = artifacts();
    let mut g = Gen {
        sink,
        rng: XorShift(0x5eed_1234_5678_9abc),
        buf: Vec::new(),
        stats: BigDumpStats::default(),
    };
    for m in planted.members(&DumpLayout::Plain) {
        match m.typeflag {
            b'5' => {}
            b'2' => g.sink.symlink(&m.name, &m.link)?,
            _ => g.put_mode(&m.name, &m.data, m.mode)?,
        }
    }
    let remaining = files.saturating_sub(g.stats.files);
    let avg = bytes.saturating_sub(g.stats.bytes) / remaining.max(1);
    // 10 % system volume, 2 % media, the rest in app containers.
    let system = remaining / 10;
    let media = remaining / 50;
    let apps = 1_500u64;
    let per_app = (remaining - system - media) / apps;
    for i in 0..system {
        let p = format!(
            "System/Library/PrivateFrameworks/F{:03}.framework/Resources/r{:02}/file{i}.dat",
            i % 700,
            (i / 700) % 50
        );
        g.filler(&p, avg)?;
    }
    for i in 0..media {
        g.filler(
            &format!(
                "private/var/mobile/Media/DCIM/{:03}APPLE/IMG_{i:05}.HEIC",
                100 + i / 1000
            ),
            avg,
        )?;
    }
    let mut left = remaining - system - media;
    for a in 0..apps {
        let id = format!("com.example.app{a}");
        let data = container_dir(crate::ios_fs::APP_DATA, &id);
        let bundle = container_dir(crate::ios_fs::APP_BUNDLE, &id);
        g.put(
            &format!("{data}/{}", crate::ios_fs::METADATA),
            &container_metadata(&id),
        )?;
        g.put(
            &format!("{bundle}/{}", crate::ios_fs::METADATA),
            &container_metadata(&id),
        )?;
        g.put_mode(&format!("{bundle}/App{a}.app/App{a}"), &macho(), 0o755)?;
        let mut n = per_app.min(left).saturating_sub(3);
        if a < 300 {
            let cache = CacheDb::new()
                .response(
                    &format!("https://api{a}.example.com/v1/feed"),
                    "2024-05-01 10:00:00",
                )
                .response(
                    &format!("https://www.google.com/search?q=evil.com&n={a}"),
                    "2024-05-01 10:00:01",
                )
                .to_bytes();
            g.put(&format!("{data}/Library/Caches/{id}/Cache.db"), &cache)?;
            g.put(
                &format!("{data}/Library/WebKit/WebsiteData/LocalStorage/https_site{a}.example_0.localstorage"),
                b"SQLite format 3\0",
            )?;
            n = n.saturating_sub(2);
        }
        for f in 0..n {
            let p = format!("{data}/Library/Caches/{id}/d{:02}/f{f}.bin", f % 40);
            g.filler(&p, avg)?;
        }
        left = left.saturating_sub(n + 3);
    }
    while left > 0 {
        g.filler(
            &format!("private/var/mobile/Media/Downloads/x{left}.bin"),
            avg,
        )?;
        left -= 1;
    }
    Ok(g.stats)
}

/// Writes a big dump as a folder at `root`.
pub fn big_dump_folder(root: &Path, files: u64, bytes: u64) -> std::io::Result<BigDumpStats> {
    let mut s = FolderSink::new(root)?;
    write_big_dump(&mut s, files, bytes)
}

/// Writes a big dump as a `.tar` (`gzip`: `.tar.gz`) at `path`.
pub fn big_dump_tar(
    path: &Path,
    files: u64,
    bytes: u64,
    gzip: bool,
) -> std::io::Result<BigDumpStats> {
    let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    if gzip {
        let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        let mut s = TarSink::new(gz);
        let st = write_big_dump(&mut s, files, bytes)?;
        s.finish()?.finish()?.flush()?;
        Ok(st)
    } else {
        let mut s = TarSink::new(f);
        let st = write_big_dump(&mut s, files, bytes)?;
        s.finish()?.flush()?;
        Ok(st)
    }
}
