//! The iOS artifacts the `ios_artifact` and `ios_db_values` targets plant, each with a well-formed
//! example written by the testkit (the seeds, and the templates whose values `ios_db_values` replaces).

use telltale_testkit::ios_backup::BackupBuilder;
use telltale_testkit::ios_dbs::{
    AddressBookDb, CalendarDb, CalendarEvent, CallHistoryDb, DataUsageDb, IdStatusCache,
    Interaction, InteractionCDb, IosVersion, LocationdClients, OsAnalyticsAdDaily, SmsDb, TccDb,
};
use telltale_testkit::ios_web::{
    ChromeFavicons, ChromeHistory, FirefoxBrowser, ResourceLogEntry, SafariBrowserState,
    SafariHistory, SessionResourceLog, ShortcutAction, Shortcuts, WaContact, WebkitObservations,
    WhatsappChatStorage, WhatsappContacts, utc,
};

/// Logical paths of the artifacts (indexes are the selector byte of the targets' inputs, so keep the
/// order: committed corpora depend on it; append new ones at the end).
pub const PATHS: &[&str] = &[
    "Manifest.db",
    "Info.plist",
    "HomeDomain/Library/SMS/sms.db",
    "HomeDomain/Library/CallHistoryDB/CallHistory.storedata",
    "HomeDomain/Library/AddressBook/AddressBook.sqlitedb",
    "WirelessDomain/Library/Databases/DataUsage.sqlite",
    "HomeDomain/Library/Preferences/com.apple.identityservices.idstatuscache.plist",
    "HomeDomain/Library/CoreDuet/People/interactionC.db",
    "RootDomain/Library/Caches/locationd/clients.plist",
    "HomeDomain/Library/Preferences/com.apple.osanalytics.addaily.plist",
    "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles/Library/ConfigurationProfiles/MCProfileEvents.plist",
    "HomeDomain/Library/Preferences/.GlobalPreferences.plist",
    "HomeDomain/Library/TCC/TCC.db",
    "HomeDomain/Library/Calendar/Calendar.sqlitedb",
    "AppDomain-com.google.chrome.ios/Library/Application Support/Google/Chrome/Default/Favicons",
    "AppDomain-com.google.chrome.ios/Library/Application Support/Google/Chrome/Default/History",
    "AppDomainGroup-group.org.mozilla.ios.Firefox/profile.profile/browser.db",
    "HomeDomain/Library/Safari/BrowserState.db",
    "HomeDomain/Library/Safari/History.db",
    "HomeDomain/Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db",
    "HomeDomain/Library/WebKit/WebsiteData/ResourceLoadStatistics/full_browsing_session_resourceLog.plist",
    "AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ChatStorage.sqlite",
    "AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ContactsV2.sqlite",
    "HomeDomain/Library/Shortcuts/Shortcuts.sqlite",
    "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles/Library/ConfigurationProfiles/profile-0a1b2c.stub",
];

const DAY: f64 = 700_000_000.0;

fn written(write: impl FnOnce(&std::path::Path)) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("f");
    write(&p);
    std::fs::read(&p).expect("read back")
}

fn plist_bytes(v: plist::Value) -> Vec<u8> {
    let mut out = Vec::new();
    v.to_writer_binary(&mut out).expect("plist");
    out
}

/// One well-formed example of artifact `i` of [`PATHS`] (with something worth checking in it).
pub fn example(i: usize) -> Vec<u8> {
    let t = utc("2023-03-01T10:00:00Z");
    let t2 = utc("2023-03-01T10:00:01Z");
    match i {
        0 | 1 => {
            let dir = tempfile::tempdir().expect("tempdir");
            let root = BackupBuilder::new()
                .product_version("16.5")
                .add_application("com.evil.app", None)
                .add_file(
                    "RootDomain",
                    "Library/Preferences/roleaccountd.plist",
                    b"<plist/>",
                )
                .add_file("HomeDomain", "Library/SMS/sms.db", b"x")
                .write(dir.path());
            let name = if i == 0 { "Manifest.db" } else { "Info.plist" };
            std::fs::read(root.join(name)).expect("backup file")
        }
        2 => SmsDb::new(IosVersion::V16)
            .message("+15555550100", "see https://evil.com/x now", DAY)
            .message("e:ops@evil.com", "", DAY + 1.0)
            .attachment(
                "+15555550100",
                "~/Library/SMS/Attachments/aa/00/x/IMG.HEIC",
                "image/heic",
                DAY,
            )
            .to_bytes(),
        3 => written(|p| {
            CallHistoryDb::new(IosVersion::V16)
                .call("+15555550100", DAY, 12.5, false)
                .write(p)
                .expect("calls")
        }),
        4 => written(|p| {
            AddressBookDb::new()
                .person("A", "B", Some("Org"), &["+15555550100"], &["ops@evil.com"])
                .write(p)
                .expect("contacts")
        }),
        5 => DataUsageDb::new(IosVersion::V16)
            .process("bh", None, DAY, DAY + 10.0)
            .process("BackupAgent", Some("com.apple.backup"), DAY, DAY + 5.0)
            .usage(1, DAY, 1.0, 2.0, 3.0, 4.0)
            .usage(2, DAY, 0.0, 0.0, 9.0, 9.0)
            .delete_process(1)
            .to_bytes(),
        6 => IdStatusCache::new()
            .lookup("com.apple.madrid", "mailto:ops@evil.com", DAY, 1)
            .to_bytes(),
        7 => written(|p| {
            InteractionCDb::new(IosVersion::V16)
                .interaction(Interaction::incoming(
                    "com.apple.MobileSMS",
                    "x",
                    "ops@evil.com",
                    DAY,
                ))
                .write(p)
                .expect("interactionC")
        }),
        8 => LocationdClients::new()
            .client("com.evil.app", DAY, &[("BundlePath", "/private/var/x")])
            .to_bytes(),
        9 => OsAnalyticsAdDaily::new()
            .usage("bh", DAY, 1, 2, 3, 4)
            .to_bytes(),
        10 => {
            let mut ev = plist::Dictionary::new();
            ev.insert("operation".into(), "install".into());
            ev.insert("process".into(), "profiled".into());
            ev.insert(
                "timestamp".into(),
                plist::Value::Date(telltale_testkit::ios_dbs::mac_date(DAY)),
            );
            let mut inner = plist::Dictionary::new();
            inner.insert(
                "com.evil.profile".into(),
                plist::Value::Array(vec![ev.into()]),
            );
            let mut root = plist::Dictionary::new();
            root.insert(
                "ProfileEvents".into(),
                plist::Value::Array(vec![inner.into()]),
            );
            plist_bytes(root.into())
        }
        11 => {
            let mut d = plist::Dictionary::new();
            d.insert("LDMGlobalEnabled".into(), true.into());
            d.insert("AppleLocale".into(), "en_US".into());
            plist_bytes(d.into())
        }
        12 => written(|p| {
            TccDb::new(IosVersion::V16)
                .access("kTCCServiceCamera", "com.evil.app", 0, 2, DAY as i64)
                .write(p)
                .expect("tcc")
        }),
        13 => written(|p| {
            CalendarDb::new()
                .event(CalendarEvent::new(
                    "x",
                    Some("https://evil.com/invite"),
                    DAY,
                ))
                .write(p)
                .expect("calendar")
        }),
        14 => written(|p| {
            ChromeFavicons::new()
                .icon("https://evil.com/", "https://evil.com/f.ico", t)
                .write(p)
        }),
        15 => written(|p| {
            ChromeHistory::new()
                .visit("https://evil.com/a", "A", t)
                .write(p)
        }),
        16 => written(|p| {
            FirefoxBrowser::new()
                .visit("https://evil.com/a", "A", t)
                .favicon("https://evil.com/", "https://evil.com/f.ico", t)
                .write(p)
        }),
        17 => written(|p| {
            SafariBrowserState::new()
                .tab("A", "https://evil.com/a", t, &[("https://evil.com/b", "B")])
                .write(p)
        }),
        18 => written(|p| {
            SafariHistory::new()
                .visit("http://x.org/", t)
                .visit("https://evil.com/a", t2)
                .redirect(1, 2)
                .write(p)
        }),
        19 => written(|p| {
            WebkitObservations::new()
                .domain("evil.com", t, true)
                .redirect("x.org", "evil.com")
                .write(p)
        }),
        20 => SessionResourceLog::new()
            .entry(
                ResourceLogEntry::new("x.org")
                    .redirects_to("evil.com")
                    .last_seen(t),
            )
            .to_bytes(),
        21 => written(|p| {
            WhatsappChatStorage::new()
                .chat("15555550100@s.whatsapp.net", "A")
                .received(1, "https://evil.com/x", t)
                .with_media("https://evil.com/m")
                .write(p)
        }),
        22 => written(|p| {
            WhatsappContacts::new()
                .contact(WaContact::new("A", "+1 555 555 0100").about("hi", t))
                .write(p)
        }),
        23 => written(|p| {
            Shortcuts::new()
                .shortcut(
                    "s",
                    t,
                    t2,
                    &[ShortcutAction::open_url("https://evil.com/x")],
                )
                .write(p)
        }),
        24 => {
            let mut d = plist::Dictionary::new();
            d.insert("PayloadUUID".into(), "0A1B2C".into());
            d.insert("PayloadIdentifier".into(), "com.evil.profile".into());
            d.insert(
                "PayloadContent".into(),
                plist::Value::Array(vec![{
                    let mut c = plist::Dictionary::new();
                    c.insert(
                        "PayloadType".into(),
                        "com.apple.notificationsettings".into(),
                    );
                    c.into()
                }]),
            );
            plist_bytes(d.into())
        }
        _ => panic!("no artifact {i}"),
    }
}
