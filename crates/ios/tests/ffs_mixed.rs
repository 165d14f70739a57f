//! Every backup module MVT also runs on a filesystem dump (the "mixed" modules of the spec's appendix)
//! reads its artifact at its dump path, unchanged: the dump's evidence serves the backup path. Each case
//! plants one artifact where iOS keeps it on the device and checks the module reads it (records, and
//! the indicator planted in it).

#[allow(dead_code)]
#[path = "common/harness.rs"]
mod harness;

use harness::run_on;
use plist::{Dictionary, Value};
use telltale_core::{AcquisitionKind, Module, ModuleStatus, OpenOptions};
use telltale_ioc::{IndicatorKind as K, IocIndex};
use telltale_ios::IosFsKind;
use telltale_ios::modules::*;
use telltale_testkit::ios_dbs::{
    AddressBookDb, CalendarDb, CalendarEvent, CallHistoryDb, DataUsageDb, IdStatusCache,
    Interaction, InteractionCDb, IosVersion, LocationdClients, OsAnalyticsAdDaily, SmsDb, TccDb,
};
use telltale_testkit::ios_fs::{Dump, DumpLayout, bytes_of};
use telltale_testkit::ios_web::{
    ChromeFavicons, ChromeHistory, FirefoxBrowser, ResourceLogEntry, SafariBrowserState,
    SafariHistory, SessionResourceLog, ShortcutAction, Shortcuts, WaContact, WebkitObservations,
    WhatsappChatStorage, WhatsappContacts, utc,
};

fn plist_xml(d: Dictionary) -> Vec<u8> {
    let mut b = Vec::new();
    Value::Dictionary(d).to_writer_xml(&mut b).unwrap();
    b
}

fn iocs() -> IocIndex {
    IocIndex::from_values(
        &[
            (K::Domain, "evil.com"),
            (K::ProcessName, "bh"),
            (K::Email, "op@evil.com"),
            (K::AppId, "com.evil.app"),
            (K::ConfigurationProfileId, "BAD-PROFILE-UUID"),
        ],
        "Pegasus",
    )
}

/// `(module, where the artifact is planted (device path or container), bytes, wants an indicator alert)`.
struct Case {
    module: Box<dyn Module>,
    plant: Box<dyn Fn(Dump) -> Dump>,
    alert: bool,
}

fn case(
    module: impl Module + 'static,
    alert: bool,
    plant: impl Fn(Dump) -> Dump + 'static,
) -> Case {
    Case {
        module: Box::new(module),
        plant: Box::new(plant),
        alert,
    }
}

fn cases() -> Vec<Case> {
    let t = utc("2023-01-01T10:00:00Z");
    let profile = |uuid: &str| {
        let mut d = Dictionary::new();
        d.insert("PayloadUUID".into(), uuid.into());
        d.insert("PayloadIdentifier".into(), "com.example.profile".into());
        d.insert("PayloadDisplayName".into(), "Profile".into());
        d.insert("PayloadType".into(), "Configuration".into());
        d.insert(
            "InstallDate".into(),
            Value::Date(
                (std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_650_000_000)).into(),
            ),
        );
        plist_xml(d)
    };
    vec![
        case(calls::Calls, false, |d| {
            d.file(
                "private/var/mobile/Library/CallHistoryDB/CallHistory.storedata",
                &CallHistoryDb::new(IosVersion::V17)
                    .call("+15555550100", 7e8, 60.0, false)
                    .to_bytes(),
            )
        }),
        case(contacts::Contacts, false, |d| {
            d.file(
                "private/var/mobile/Library/AddressBook/AddressBook.sqlitedb",
                &AddressBookDb::new()
                    .person("A", "B", None, &["+15555550100"], &[])
                    .to_bytes(),
            )
        }),
        case(sms::Sms, true, |d| {
            d.file(
                "private/var/mobile/Library/SMS/sms.db",
                &SmsDb::new(IosVersion::V17)
                    .message("+15555550100", "https://evil.com/x", 7e8)
                    .to_bytes(),
            )
        }),
        case(sms_attachments::SmsAttachments, false, |d| {
            d.file(
                "private/var/mobile/Library/SMS/sms.db",
                &SmsDb::new(IosVersion::V17)
                    .attachment(
                        "+15555550100",
                        "~/Library/SMS/Attachments/ab/12/X/a.jpg",
                        "image/jpeg",
                        7e8,
                    )
                    .to_bytes(),
            )
        }),
        case(tcc::Tcc::BACKUP, false, |d| {
            d.file(
                "private/var/mobile/Library/TCC/TCC.db",
                &TccDb::new(IosVersion::V17)
                    .access("kTCCServiceCamera", "com.example.app", 0, 2, 1_700_000_000)
                    .to_bytes(),
            )
        }),
        case(calendar::Calendar, false, |d| {
            d.file(
                "private/var/mobile/Library/Calendar/Calendar.sqlitedb",
                &CalendarDb::new()
                    .event(CalendarEvent::new("Lunch", None, 7e8))
                    .to_bytes(),
            )
        }),
        case(datausage::Datausage, true, |d| {
            d.file(
                "private/var/wireless/Library/Databases/DataUsage.sqlite",
                &DataUsageDb::new(IosVersion::V17)
                    .process("bh", None, 7e8, 7e8)
                    .to_bytes(),
            )
        }),
        case(interaction_c::InteractionC, true, |d| {
            d.file(
                "private/var/mobile/Library/CoreDuet/People/interactionC.db",
                &InteractionCDb::new(IosVersion::V17)
                    .interaction(Interaction::incoming(
                        "com.apple.MobileSMS",
                        "Op",
                        "op@evil.com",
                        7e8,
                    ))
                    .to_bytes(),
            )
        }),
        case(id_status_cache::IdStatusCache, true, |d| {
            d.file(
                "private/var/mobile/Library/Preferences/com.apple.identityservices.idstatuscache.plist",
                &IdStatusCache::new()
                    .lookup("com.apple.madrid", "mailto:op@evil.com", 7e8, 1)
                    .to_bytes(),
            )
        }),
        case(locationd_clients::LocationdClients, true, |d| {
            d.file(
                "private/var/root/Library/Caches/locationd/clients.plist",
                &LocationdClients::new()
                    .client("bh", 7e8, &[("BundlePath", "/private/var/tmp/bh")])
                    .to_bytes(),
            )
        }),
        case(os_analytics_ad_daily::OsAnalyticsAdDaily, true, |d| {
            d.file(
                "private/var/mobile/Library/Preferences/com.apple.osanalytics.addaily.plist",
                &OsAnalyticsAdDaily::new()
                    .usage("bh", 7e8, 1, 1, 1, 1)
                    .to_bytes(),
            )
        }),
        case(global_preferences::GlobalPreferences, false, |d| {
            let mut p = Dictionary::new();
            p.insert("LDMGlobalEnabled".into(), true.into());
            d.file(
                "private/var/mobile/Library/Preferences/.GlobalPreferences.plist",
                &plist_xml(p),
            )
        }),
        case(safari_history::SafariHistory, true, move |d| {
            d.app_file(
                "com.apple.mobilesafari",
                "Library/Safari/History.db",
                &bytes_of(|p| SafariHistory::new().visit("https://evil.com/", t).write(p)),
            )
        }),
        case(safari_browser_state::SafariBrowserState, true, move |d| {
            d.file(
                "private/var/mobile/Library/Safari/BrowserState.db",
                &bytes_of(|p| {
                    SafariBrowserState::new()
                        .tab("Evil", "https://evil.com/tab", t, &[])
                        .write(p)
                }),
            )
        }),
        case(chrome_history::ChromeHistory, true, move |d| {
            d.app_file(
                "com.google.chrome.ios",
                "Library/Application Support/Google/Chrome/Default/History",
                &bytes_of(|p| {
                    ChromeHistory::new()
                        .visit("https://evil.com/", "x", t)
                        .write(p)
                }),
            )
        }),
        case(chrome_favicon::ChromeFavicon, true, move |d| {
            d.app_file(
                "com.google.chrome.ios",
                "Library/Application Support/Google/Chrome/Default/Favicons",
                &bytes_of(|p| {
                    ChromeFavicons::new()
                        .icon("https://evil.com/", "https://evil.com/i.ico", t)
                        .write(p)
                }),
            )
        }),
        case(firefox_history::FirefoxHistory, true, move |d| {
            d.group_file(
                "group.org.mozilla.ios.Firefox",
                "profile.profile/browser.db",
                &bytes_of(|p| {
                    FirefoxBrowser::new()
                        .visit("https://evil.com/", "x", t)
                        .write(p)
                }),
            )
        }),
        case(firefox_favicon::FirefoxFavicon, true, move |d| {
            d.group_file(
                "group.org.mozilla.ios.Firefox",
                "profile.profile/browser.db",
                &bytes_of(|p| {
                    FirefoxBrowser::new()
                        .favicon("https://evil.com/", "https://evil.com/i.ico", t)
                        .write(p)
                }),
            )
        }),
        case(
            webkit_resource_load_statistics::WebkitResourceLoadStatistics,
            true,
            move |d| {
                d.app_file(
                    "com.example.app",
                    "Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db",
                    &bytes_of(|p| {
                        WebkitObservations::new()
                            .domain("evil.com", t, true)
                            .write(p)
                    }),
                )
            },
        ),
        case(
            webkit_session_resource_log::WebkitSessionResourceLog,
            true,
            |d| {
                d.app_file(
                "com.example.app",
                "Library/WebKit/WebsiteData/ResourceLoadStatistics/full_browsing_session_resourceLog.plist",
                &SessionResourceLog::new()
                    .entry(ResourceLogEntry::new("evil.com"))
                    .to_bytes(),
            )
            },
        ),
        case(whatsapp::Whatsapp, true, move |d| {
            d.group_file(
                "group.net.whatsapp.WhatsApp.shared",
                "ChatStorage.sqlite",
                &bytes_of(|p| {
                    WhatsappChatStorage::new()
                        .chat("1@s.whatsapp.net", "X")
                        .received(1, "https://evil.com/w", t)
                        .write(p)
                }),
            )
        }),
        case(whatsapp_contacts::WhatsappContacts, false, |d| {
            d.group_file(
                "group.net.whatsapp.WhatsApp.shared",
                "ContactsV2.sqlite",
                &bytes_of(|p| {
                    WhatsappContacts::new()
                        .contact(WaContact::new("A B", "+15555550100"))
                        .write(p)
                }),
            )
        }),
        case(shortcuts::Shortcuts, true, move |d| {
            d.file(
                "private/var/mobile/Library/Shortcuts/Shortcuts.sqlite",
                &bytes_of(|p| {
                    Shortcuts::new()
                        .shortcut("s", t, t, &[ShortcutAction::open_url("https://evil.com/s")])
                        .write(p)
                }),
            )
        }),
        case(applications::Applications, true, |d| {
            let mut m = Dictionary::new();
            m.insert("softwareVersionBundleId".into(), "com.evil.app".into());
            m.insert("itemName".into(), "Evil".into());
            m.insert("sourceApp".into(), "com.apple.AppStore".into());
            d.bundle_app("com.evil.app", "Evil", Some(&plist_xml(m)))
                .bundle_app("com.example.fine", "Fine", None)
        }),
        case(
            configuration_profiles::ConfigurationProfiles,
            true,
            move |d| {
                d.system_group_file(
                    "systemgroup.com.apple.configurationprofiles",
                    "Library/ConfigurationProfiles/profile-abc.stub",
                    &profile("BAD-PROFILE-UUID"),
                )
            },
        ),
    ]
}

#[test]
fn mixed_modules_read_their_artifacts_on_a_dump() {
    let iocs = iocs();
    let dir = tempfile::tempdir().unwrap();
    for (i, c) in cases().into_iter().enumerate() {
        let d = (c.plant)(Dump::new());
        for (j, tar) in [false, true].into_iter().enumerate() {
            let p = if tar {
                let p = dir.path().join(format!("c{i}-{j}.tar"));
                d.write_tar(&p, &DumpLayout::Ufed).unwrap();
                p
            } else {
                d.write_dir(&dir.path().join(format!("c{i}-{j}")), &DumpLayout::Plain)
                    .unwrap()
            };
            let acq = IosFsKind
                .open(&p, &OpenOptions::default())
                .unwrap()
                .unwrap();
            let r = run_on(c.module.as_ref(), acq.evidence(), &iocs);
            let name = c.module.name();
            assert_eq!(
                r.outcome.status,
                ModuleStatus::Ok,
                "{name}: {:?}",
                r.outcome
            );
            assert!(!r.records.is_empty(), "{name}: no record");
            if c.alert {
                assert!(
                    r.alerts.iter().any(|a| a.matched_indicator.is_some()),
                    "{name}: the planted indicator was not found: {:#?}",
                    r.alerts
                );
            }
        }
    }
}

#[test]
fn the_dump_lists_the_modules_mvt_runs_on_dumps() {
    let names: Vec<&str> = telltale_ios::ffs::all_modules()
        .iter()
        .map(|m| m.name())
        .collect::<Vec<_>>()
        .leak()
        .to_vec();
    for m in [
        // MVT's filesystem modules.
        "cache_files",
        "filesystem",
        "netusage",
        "analytics",
        "analytics_ios_versions",
        "safari_favicon",
        "shutdown_log",
        "ios_version_history",
        "webkit_indexeddb",
        "webkit_local_storage",
        "webkit_safari_view_service",
        // MVT's mixed modules.
        "calls",
        "chrome_favicon",
        "chrome_history",
        "contacts",
        "firefox_favicon",
        "firefox_history",
        "id_status_cache",
        "interaction_c",
        "locationd_clients",
        "os_analytics_ad_daily",
        "datausage",
        "safari_browser_state",
        "safari_history",
        "tcc",
        "sms",
        "sms_attachments",
        "webkit_resource_load_statistics",
        "webkit_session_resource_log",
        "whatsapp",
        "whatsapp_contacts",
        "shortcuts",
        "applications",
        "calendar",
        "global_preferences",
        // Beyond MVT.
        "crash_reports",
        "nested_sysdiagnose",
    ] {
        assert!(names.contains(&m), "{m} is not run on dumps");
    }
    assert!(!names.contains(&"backup_info"));
    assert!(!names.contains(&"manifest"));
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "a slug twice");
}

#[test]
fn a_compressed_dump_is_decompressed_once() {
    // Every artifact of every case, and the filesystem modules' own: a `.tar.gz` dump is read in its
    // single indexing pass, no member needs a second decompression.
    use telltale_core::engine::{MemoryOutput, run_modules};
    use telltale_core::{Acquisition, ModuleContext, RunOptions};
    use telltale_testkit::ios_fs_dbs::{
        CacheDb, FaviconsDb, SfAnalyticsDb, analytics_journal, sf_event,
    };
    let mut d = Dump::new().system_volume("17.5.1", "21F90");
    for c in cases() {
        d = (c.plant)(d);
    }
    d = d
        .file(
            "private/var/networkd/db/netusage.sqlite",
            &DataUsageDb::netusage()
                .process("bh", None, 7e8, 7e8)
                .to_bytes(),
        )
        .file(
            "private/var/Keychains/Analytics/ckks_analytics.db",
            &SfAnalyticsDb::new()
                .event("notes", 1.6e9, sf_event("x", 1, "21F90", &[]))
                .to_bytes(),
        )
        .file(
            "private/var/db/analyticsd/Analytics-Journal-1.ips",
            &analytics_journal("2024-01-01 10:00:00.00 +0000", "iPhone OS 17.5.1 (21F90)"),
        )
        .app_file(
            "com.apple.mobilesafari",
            FaviconsDb::CONTAINER_PATH,
            &FaviconsDb::new()
                .icon("https://a.example/", "https://a.example/i", 7e8 as i64)
                .to_bytes(),
        )
        .app_file(
            "com.example.app",
            "Library/Caches/com.example.app/Cache.db",
            &CacheDb::new()
                .response("https://a.example/", "2024-01-01 10:00:00")
                .to_bytes(),
        )
        .file(
            "private/var/db/diagnostics/shutdown.log",
            b"SIGTERM: [1700000000]\n",
        )
        .file(
            "private/var/mobile/Library/Logs/CrashReporter/x.ips",
            b"{\"bug_type\":\"309\"}\n{}\n",
        )
        .executable("private/var/tmp/tool");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dump.tgz");
    d.write_tar_gz(&p, &DumpLayout::Wrapper("00008030-001A".into()))
        .unwrap();
    let acq = IosFsKind::open_dump(&p, &OpenOptions::default())
        .unwrap()
        .unwrap();
    let iocs = iocs();
    let opts = RunOptions::default();
    let ctx = ModuleContext {
        evidence: acq.evidence(),
        iocs: &iocs,
        options: &opts,
    };
    let out = MemoryOutput::default();
    let summary = run_modules(&acq.modules(), &ctx, &out);
    assert!(summary.failed().next().is_none());
    assert_eq!(
        acq.restreams(),
        Some(0),
        "a member was read by decompressing again"
    );
}
