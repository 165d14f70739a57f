//! The `ios-fs` kind: a dump is recognised in a folder, a `.tar`, a `.tar.gz` and a `.zip`, whatever the
//! layout (plain, `filesystem1/`, wrapper folder, absolute names, `var/`, `/private/var` alone), and the
//! backup modules MVT also runs on a dump read their artifacts at their dump paths, with the same
//! results in every container.

#[allow(dead_code)]
#[path = "common/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

use telltale_core::engine::{MemoryOutput, run_modules};
use telltale_core::{
    Acquisition, AcquisitionKind, Level, ModuleContext, ModuleStatus, OpenOptions, RunOptions,
};
use telltale_ioc::{IndicatorKind as K, IocIndex};
use telltale_ios::IosFsKind;
use telltale_testkit::ios_dbs::{DataUsageDb, IosVersion, SmsDb, TccDb};
use telltale_testkit::ios_fs::{Dump, DumpLayout, bytes_of};
use telltale_testkit::ios_web::{SafariHistory, WhatsappChatStorage, utc};

fn iocs() -> IocIndex {
    IocIndex::from_values(
        &[
            (K::Domain, "evil.com"),
            (K::ProcessName, "bh"),
            (K::ProcessName, "evilproc"),
        ],
        "Pegasus",
    )
}

/// A dump with backup artifacts at their device paths, each carrying one indicator.
fn dump() -> Dump {
    let sms = SmsDb::new(IosVersion::V17)
        .message("+15555550100", "see https://evil.com/x", 700_000_000.0)
        .message("+15555550101", "see https://notevil.com/x", 700_000_100.0)
        .to_bytes();
    let usage = DataUsageDb::new(IosVersion::V17)
        .process("bh", None, 700_000_000.0, 700_000_100.0)
        .process(
            "com.apple.WebKit.Networking",
            Some("com.apple.mobilesafari"),
            1.0,
            2.0,
        )
        .usage(1, 700_000_050.0, 0.0, 0.0, 10.0, 20.0)
        .to_bytes();
    let tcc = TccDb::new(IosVersion::V17)
        .access("kTCCServiceMicrophone", "evilproc", 1, 2, 1_700_000_000)
        .to_bytes();
    let history = bytes_of(|p| {
        SafariHistory::new()
            .visit("https://sub.evil.com/landing", utc("2023-01-01T10:00:00Z"))
            .write(p)
    });
    let wa = bytes_of(|p| {
        WhatsappChatStorage::new()
            .chat("123@s.whatsapp.net", "Someone")
            .received(1, "hello https://evil.com/wa", utc("2023-01-01T10:00:00Z"))
            .write(p)
    });
    Dump::new()
        .backup_path(SmsDb::PATH, &sms)
        .backup_path(DataUsageDb::PATH, &usage)
        .backup_path(TccDb::PATH, &tcc)
        // Safari's data container (iOS 13+ keeps History.db there).
        .app_file(
            "com.apple.mobilesafari",
            "Library/Safari/History.db",
            &history,
        )
        .group_file(
            "group.net.whatsapp.WhatsApp.shared",
            "ChatStorage.sqlite",
            &wa,
        )
        .file(
            "private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG",
            b"jpeg",
        )
}

enum Box_ {
    Folder,
    Tar,
    TarGz,
    Zip,
}

fn write(d: &Dump, dir: &Path, c: &Box_, layout: &DumpLayout, name: &str) -> PathBuf {
    match c {
        Box_::Folder => d.write_dir(&dir.join(name), layout).unwrap(),
        Box_::Tar => {
            let p = dir.join(format!("{name}.tar"));
            d.write_tar(&p, layout).unwrap();
            p
        }
        Box_::TarGz => {
            let p = dir.join(format!("{name}.tar.gz"));
            d.write_tar_gz(&p, layout).unwrap();
            p
        }
        Box_::Zip => {
            let p = dir.join(format!("{name}.zip"));
            d.write_zip(&p, layout, true).unwrap();
            p
        }
    }
}

fn open(p: &Path) -> Box<dyn Acquisition> {
    IosFsKind
        .open(p, &OpenOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .unwrap_or_else(|| panic!("{}: not recognised", p.display()))
}

/// (level, module, matched value) of every alert of a run of every module.
fn alerts(acq: &dyn Acquisition) -> Vec<(Level, String, String)> {
    let iocs = iocs();
    let opts = RunOptions::default();
    let ctx = ModuleContext {
        evidence: acq.evidence(),
        iocs: &iocs,
        options: &opts,
    };
    let out = MemoryOutput::default();
    let summary = run_modules(&acq.modules(), &ctx, &out);
    for m in &summary.modules {
        assert!(
            !matches!(
                m.status,
                ModuleStatus::Failed(_) | ModuleStatus::Panicked(_)
            ),
            "{}: {:?}",
            m.module,
            m.status
        );
    }
    let (_, alerts, _) = out.into_parts();
    let mut v: Vec<_> = alerts
        .into_iter()
        .map(|a| {
            (
                a.level,
                a.module,
                a.matched_indicator.map(|m| m.value).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn same_alerts_in_every_container_and_layout() {
    let d = dump();
    let dir = tempfile::tempdir().unwrap();
    let base = alerts(
        open(&write(
            &d,
            dir.path(),
            &Box_::Folder,
            &DumpLayout::Plain,
            "base",
        ))
        .as_ref(),
    );
    let modules: Vec<&str> = base.iter().map(|a| a.1.as_str()).collect();
    for m in ["sms", "datausage", "tcc", "safari_history", "whatsapp"] {
        assert!(modules.contains(&m), "{m} found nothing: {base:?}");
    }
    assert!(!base.iter().any(|a| a.2 == "notevil.com"));
    let layouts = [
        DumpLayout::Plain,
        DumpLayout::Ufed,
        DumpLayout::Wrapper("00008030-001A2B3C4D5E802E".into()),
        DumpLayout::Absolute,
        DumpLayout::VarAlias,
        DumpLayout::VarOnly,
    ];
    let mut n = 0;
    for c in [Box_::Folder, Box_::Tar, Box_::TarGz, Box_::Zip] {
        for layout in &layouts {
            n += 1;
            let p = write(&d, dir.path(), &c, layout, &format!("d{n}"));
            let acq = open(&p);
            assert_eq!(acq.kind(), "ios-fs");
            assert_eq!(alerts(acq.as_ref()), base, "{} {layout:?}", p.display());
        }
    }
}

#[test]
fn backup_paths_and_device_paths() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.tar");
    dump().write_tar(&p, &DumpLayout::Ufed).unwrap();
    let acq = open(&p);
    let ev = acq.evidence();
    assert!(ev.exists("HomeDomain/Library/SMS/sms.db"));
    assert!(ev.exists("private/var/mobile/Library/SMS/sms.db"));
    assert!(ev.exists("WirelessDomain/Library/Databases/DataUsage.sqlite"));
    assert!(ev.exists("AppDomain-com.apple.mobilesafari/Library/Safari/History.db"));
    assert!(!ev.exists("AppDomain-com.nope/Library/Safari/History.db"));
    let found: Vec<String> = ev
        .find("AppDomain-*/Library/Safari/History.db")
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(
        found,
        vec!["AppDomain-com.apple.mobilesafari/Library/Safari/History.db"]
    );
    let groups = ev
        .find("AppDomainGroup-group.net.whatsapp.*.shared/ChatStorage.sqlite")
        .unwrap();
    assert_eq!(groups.len(), 1);
    assert!(ev.find("*/Library/SMS/sms.db").unwrap()[0].path == "HomeDomain/Library/SMS/sms.db");
    // Reading through either name gives the same bytes.
    assert_eq!(
        ev.read("HomeDomain/Library/SMS/sms.db").unwrap(),
        ev.read("private/var/mobile/Library/SMS/sms.db").unwrap()
    );
    assert_eq!(
        acq.evidence()
            .modified("HomeDomain/Library/SMS/sms.db")
            .map(|t| t.as_second()),
        Some(1_700_000_000)
    );
}

#[test]
fn inputs_that_are_not_dumps_are_not_this_kind() {
    let dir = tempfile::tempdir().unwrap();
    let not = Dump::empty()
        .file("photos/a.jpg", b"x")
        .file("mobile/notes.txt", b"x");
    for (i, c) in [Box_::Folder, Box_::Tar, Box_::TarGz, Box_::Zip]
        .iter()
        .enumerate()
    {
        let p = write(&not, dir.path(), c, &DumpLayout::Plain, &format!("n{i}"));
        assert!(
            IosFsKind
                .open(&p, &OpenOptions::default())
                .unwrap()
                .is_none(),
            "{}",
            p.display()
        );
    }
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, [7u8; 4096]).unwrap();
    assert!(
        IosFsKind
            .open(&junk, &OpenOptions::default())
            .unwrap()
            .is_none()
    );
    // Two dumps side by side: an error naming them.
    let two = Dump::empty()
        .file("a/private/var/mobile/x", b"x")
        .file("b/private/var/mobile/x", b"x");
    let p = write(&two, dir.path(), &Box_::Tar, &DumpLayout::Plain, "two");
    let e = IosFsKind.open(&p, &OpenOptions::default()).err().unwrap();
    assert!(e.to_string().contains("2 filesystem dumps"), "{e}");
}
