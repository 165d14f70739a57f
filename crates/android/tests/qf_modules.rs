//! AndroidQF modules: positive, negative and malformed cases, over folder and zip acquisitions.

use std::sync::Arc;

use telltale_android::modules::qf;
use telltale_core::archive::ZipEvidence;
use telltale_core::ioc::{IndicatorKind, IocIndex};
use telltale_core::{
    Evidence, FolderEvidence, Level, MemoryOutput, Module, ModuleContext, ModuleOutcome,
    ModuleStatus, RunOptions, engine::run_one,
};
use telltale_testkit::androidqf::{AndroidQf, FileEntry, Package};

type Collect = MemoryOutput;

fn run(module: &dyn Module, ev: &dyn Evidence, iocs: &IocIndex) -> (ModuleOutcome, Collect) {
    let out = Collect::default();
    let opts = RunOptions::default();
    let ctx = ModuleContext {
        evidence: ev,
        iocs,
        options: &opts,
    };
    let o = run_one(module, &ctx, &out);
    (o, out)
}

fn folder(acq: &AndroidQf) -> (tempfile::TempDir, FolderEvidence) {
    let dir = tempfile::tempdir().unwrap();
    acq.write_dir(dir.path()).unwrap();
    let ev = FolderEvidence::new(dir.path()).unwrap();
    (dir, ev)
}

fn iocs() -> IocIndex {
    IocIndex::from_values(
        &[
            (IndicatorKind::AppId, "com.evil.spy"),
            (IndicatorKind::ProcessName, "bh"),
            (IndicatorKind::FileSha256, "aa".repeat(32).as_str()),
            (IndicatorKind::AppCertSha256, "bb".repeat(32).as_str()),
            (IndicatorKind::AndroidProperty, "persist.evil.flag"),
            (IndicatorKind::FilePath, "/data/local/tmp/evil"),
            (IndicatorKind::FileName, "pwn.so"),
            (IndicatorKind::Domain, "evil.com"),
        ],
        "Pegasus",
    )
}

#[test]
fn packages_positive_negative_malformed() {
    let acq = AndroidQf::new()
        .package(Package::new("com.evil.spy"))
        .package(Package::new("org.app").apk(
            "/data/app/base.apk",
            &"aa".repeat(32),
            &"00".repeat(32),
        ))
        .package(Package::new("org.signed").apk(
            "/data/app/s.apk",
            &"11".repeat(32),
            &"BB".repeat(32),
        ))
        .package(Package::new("com.topjohnwu.magisk"))
        .package(Package::new("org.sideloaded").installer("com.google.android.packageinstaller"))
        .package(Package::new("org.adb").installer("null"))
        .package(
            Package::new("com.android.systemui")
                .installer("null")
                .system(true),
        )
        .package(
            Package::new("com.sec.android.soagent")
                .system(true)
                .disabled(true),
        )
        .package(Package::new("org.fdroid.app").installer("org.fdroid.fdroid"))
        .package(Package::new("com.evil.spy.notreally"));
    let (_d, ev) = folder(&acq);
    let (o, out) = run(&qf::packages::Packages, &ev, &iocs());
    assert_eq!(o.status, ModuleStatus::Ok);
    assert_eq!(out.n_records(), 10);
    // app id, APK hash, certificate hash
    assert_eq!(
        out.count(Level::Critical),
        3,
        "{:?}",
        out.alerts.lock().unwrap()
    );
    // magisk, browser install, adb install, disabled security package
    assert_eq!(out.count(Level::Medium), 4);
    assert_eq!(out.count(Level::Informational), 1);
    let alerts = out.alerts.lock().unwrap();
    assert!(
        alerts
            .iter()
            .any(|a| a.message.contains("browser") && a.message.contains("org.sideloaded"))
    );
    assert!(
        !alerts
            .iter()
            .any(|a| a.message.contains("com.android.systemui"))
    );
    assert!(!alerts.iter().any(|a| a.message.contains("notreally")));

    let (_d, ev) = folder(&AndroidQf::new().raw("packages.json", b"{not json"));
    let (o, _) = run(&qf::packages::Packages, &ev, &iocs());
    assert!(matches!(o.status, ModuleStatus::Failed(ref m) if m.contains("packages.json")));
    let (_d, ev) = folder(&AndroidQf::new());
    let (o, _) = run(&qf::packages::Packages, &ev, &iocs());
    assert!(matches!(o.status, ModuleStatus::NoData(_)));
}

#[test]
fn processes_header_driven() {
    let acq = AndroidQf::new()
        .process("bh")
        .process("com.evil.spy")
        .process("com.whatsapp")
        .process("bhx");
    let (_d, ev) = folder(&acq);
    let (o, out) = run(&qf::processes::Processes, &ev, &iocs());
    assert_eq!(o.status, ModuleStatus::Ok);
    assert_eq!(out.n_records(), 5);
    assert_eq!(out.count(Level::Critical), 2);
    let recs = out.records.lock().unwrap();
    assert_eq!(recs[1].1["proc_name"], "bh");
    assert_eq!(recs[1].1["pid"], 5000);
    assert_eq!(recs[0].1["wchan"], "do_epoll_wait");

    // Label column and empty WCHAN.
    let text = "LABEL USER PID PPID VSZ RSS WCHAN ADDR S NAME\n\
                u:r:init:s0 root 1 0 100 10 SyS_epoll_wait 0 S init\n\
                u:r:untrusted_app:s0 u0_a1 42 1 100 10 0 R bh\n";
    let (recs, bad) = qf::processes::parse_ps(text);
    assert_eq!(bad, 0);
    assert_eq!(recs[1]["label"], "u:r:untrusted_app:s0");
    assert_eq!(recs[1]["proc_name"], "bh");
    assert_eq!(recs[1]["wchan"], "");

    let (_d, ev) =
        folder(&AndroidQf::new().raw("ps.txt", b"USER PID NAME\nroot notanumber x\nroot\n"));
    let (o, _) = run(&qf::processes::Processes, &ev, &iocs());
    assert!(matches!(o.status, ModuleStatus::Failed(_)));

    let json = br#"[{"pid": 7, "uid": 10001, "ppid": 1, "filename": "bh", "path": "/data/local/tmp/bh", "context": "u:r:su:s0", "command_line": ["bh"]}]"#;
    let (_d, ev) = folder(&AndroidQf::new().raw("processes.json", json));
    let (_, out) = run(&qf::processes::Processes, &ev, &iocs());
    assert_eq!(out.count(Level::Critical), 1);
}

#[test]
fn getprop_patch_level_and_property_indicators() {
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let acq = AndroidQf::new()
        .prop("ro.build.version.security_patch", "2019-05-01")
        .prop("persist.evil.flag", "1")
        .prop("persist.sys.timezone", "Europe/Rome");
    let (_d, ev) = folder(&acq);
    let (_, out) = run(&qf::getprop::GetProp, &ev, &iocs());
    assert_eq!(out.n_records(), 3);
    assert_eq!(out.count(Level::Medium), 1);
    assert_eq!(out.count(Level::Critical), 1);

    let (_d, ev) = folder(
        &AndroidQf::new()
            .prop("ro.build.version.security_patch", &today)
            .prop("persist.evil.flagx", "1"),
    );
    let (_, out) = run(&qf::getprop::GetProp, &ev, &iocs());
    assert!(out.levels().is_empty());

    let (_d, ev) = folder(&AndroidQf::new().raw("getprop.txt", b"\x00\xffgarbage\nmore garbage"));
    let (o, _) = run(&qf::getprop::GetProp, &ev, &iocs());
    assert!(matches!(o.status, ModuleStatus::Failed(_)));
}

#[test]
fn settings_dangerous_values() {
    let acq = AndroidQf::new()
        .setting("global", "package_verifier_enable", "0")
        .setting("secure", "install_non_market_apps", "1")
        .setting("global", "adb_install_need_confirm", "1")
        .setting("system", "screen_brightness", "100");
    let (_d, ev) = folder(&acq);
    let (o, out) = run(&qf::settings::Settings, &ev, &iocs());
    assert_eq!(o.status, ModuleStatus::Ok);
    assert_eq!(out.n_records(), 4);
    assert_eq!(out.count(Level::Medium), 2);
    let alerts = out.alerts.lock().unwrap();
    assert!(alerts.iter().any(|a| {
        a.message
            .contains("\"global\" setting \"package_verifier_enable = 0\"")
    }));

    let (_d, ev) =
        folder(&AndroidQf::new().raw("settings_global.txt", b"\xff\xfe no equals sign here\n"));
    let (o, out) = run(&qf::settings::Settings, &ev, &iocs());
    assert_eq!(o.status, ModuleStatus::Ok);
    assert!(out.levels().is_empty());
}

#[test]
fn files_tmp_hashes_and_json_lines() {
    for lines in [false, true] {
        let mut acq = AndroidQf::new()
            .file(FileEntry::new("/data/local/tmp/evil"))
            .file(FileEntry::new("/data/local/tmp/dropper").mode("-rwxr-xr-x"))
            .file(FileEntry::new("/data/local/tmp/collector").mode("-rwxr-xr-x"))
            .file(FileEntry::new("/sdcard/x.bin").sha256(&"aa".repeat(32)))
            .file(FileEntry::new("/system/lib/pwn.so"))
            .file(FileEntry::new("/sdcard/DCIM/photo.jpg"));
        if lines {
            acq = acq.files_as_json_lines();
        }
        let (_d, ev) = folder(&acq);
        let (o, out) = run(&qf::files::Files, &ev, &iocs());
        assert_eq!(o.status, ModuleStatus::Ok);
        assert_eq!(out.n_records(), 6);
        // path indicator, hash, file name (CRITICAL), tmp executable (HIGH, as MVT)
        assert_eq!(out.count(Level::High), 1);
        assert_eq!(
            out.count(Level::Critical),
            3,
            "{:?}",
            out.alerts.lock().unwrap()
        );
        assert!(
            out.alerts
                .lock()
                .unwrap()
                .iter()
                .any(|a| a.message.contains("executable file"))
        );
        let tl = out.timeline.lock().unwrap();
        assert!(
            tl.iter()
                .any(|e| e.event == "M-C-" && e.timestamp == "2023-11-14 22:13:20.000000")
        );
    }
    let (_d, ev) = folder(&AndroidQf::new().raw("files.json", b"{\"path\": 1}\nnot json\n"));
    let (o, _) = run(&qf::files::Files, &ev, &iocs());
    assert!(matches!(o.status, ModuleStatus::Failed(_)));
}

#[test]
fn root_binaries_and_mounts() {
    let acq = AndroidQf::new()
        .root_binary("/system/xbin/su")
        .root_binary("/sbin/magisk");
    let (_d, ev) = folder(&acq);
    let (_, out) = run(&qf::root_binaries::RootBinaries, &ev, &iocs());
    assert_eq!(out.count(Level::High), 2);
    assert_eq!(
        out.records.lock().unwrap()[1].1["description"],
        "Magisk root framework"
    );
    let (_d, ev) = folder(&AndroidQf::new().raw("root_binaries.json", b"[]"));
    let (_, out) = run(&qf::root_binaries::RootBinaries, &ev, &iocs());
    assert!(out.levels().is_empty());
    let (_d, ev) = folder(&AndroidQf::new().raw("root_binaries.json", b"{\"a\":1}"));
    let (o, _) = run(&qf::root_binaries::RootBinaries, &ev, &iocs());
    assert!(matches!(o.status, ModuleStatus::Failed(_)));

    let acq = AndroidQf::new()
        .mount("/dev/block/dm-0 on / type ext4 (ro,seclabel,relatime)")
        .mount("/dev/block/dm-1 on /system type ext4 (rw,seclabel,relatime)")
        .mount("/dev/block/dm-2 on /vendor type ext4 (ro,seclabel,noatime)")
        .mount("/dev/block/dm-3 /product ext4 ro,nodiratime 0 0")
        .mount("tmpfs on /data/local/tmp/evil type tmpfs (rw)")
        .mount("garbage");
    let (_d, ev) = folder(&acq);
    let (_, out) = run(&qf::mounts::Mounts, &ev, &iocs());
    assert_eq!(out.n_records(), 5);
    // /system rw (HIGH, as MVT), the path indicator on a mount point (CRITICAL)
    assert_eq!(out.count(Level::High), 1);
    assert_eq!(
        out.count(Level::Critical),
        1,
        "{:?}",
        out.alerts.lock().unwrap()
    );
    // /product nodiratime (vendor noatime is allowed)
    assert_eq!(out.count(Level::Medium), 1);
    let (_d, ev) = folder(&AndroidQf::new().raw("mounts.json", b"\"x\""));
    let (o, _) = run(&qf::mounts::Mounts, &ev, &iocs());
    assert!(matches!(o.status, ModuleStatus::Failed(_)));
}

#[test]
fn log_timestamps_and_acquisition_context_in_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("acq.zip");
    AndroidQf::new()
        .log("/data/system/uiderrors.txt", b"x")
        .raw("adb_host_key.pub", b"QAAAA... user@host\n")
        .in_folder("6c4b2a0e")
        .write_zip(&p)
        .unwrap();
    let z: Arc<dyn Evidence> = Arc::new(ZipEvidence::open(&p).unwrap());
    let ev = telltale_core::archive::SubEvidence::new(z, "6c4b2a0e");
    let (o, out) = run(&qf::log_timestamps::LogTimestamps, &ev, &iocs());
    assert_eq!(o.status, ModuleStatus::Ok);
    assert_eq!(
        out.records.lock().unwrap()[0].1["path"],
        "logs/data/system/uiderrors.txt"
    );
    assert_eq!(out.timeline.lock().unwrap().len(), 1);

    let (o, out) = run(&qf::acquisition::AcquisitionInfo, &ev, &iocs());
    assert_eq!(o.status, ModuleStatus::Ok);
    let recs = out.records.lock().unwrap();
    assert_eq!(recs[0].1["androidqf_version"], "1.7.0");
    assert_eq!(recs[0].1["adb_host_public_key"], "QAAAA... user@host");
    assert_eq!(
        out.timeline.lock().unwrap()[0].timestamp,
        "2024-03-01 10:00:00.000000"
    );
    assert!(out.levels().is_empty());
}
