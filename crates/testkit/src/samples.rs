//! The sample acquisitions shipped in `examples/` (regenerate with
//! `cargo run -p telltale-testkit --bin make-samples -- examples`).
//!
//! The iOS sample is an ordinary-looking iPhone backup with a few real Pegasus traces from Amnesty's 2021
//! indicators planted in it, so that `telltale check` on it shows what detections look like:
//! a Pegasus process (`bh`) in DataUsage and OSAnalytics, an SMS with a link on a Pegasus domain, a Safari
//! plain-http visit redirected in 0.4 s to a Pegasus domain, an iMessage lookup of a Pegasus e-mail account,
//! and a Pegasus file name in the Manifest. Ordinary data sits beside it (a Wikipedia article about NSO Group,
//! ordinary messages, apps and visits) and must raise nothing severe.

use std::path::{Path, PathBuf};

use crate::ios_backup::BackupBuilder;
use crate::ios_dbs::{
    CalendarDb, CalendarEvent, DataUsageDb, IdStatusCache, IosVersion, OsAnalyticsAdDaily, SmsDb,
};
use crate::ios_web::{SafariHistory, utc};

/// Mac absolute time (seconds since 2001-01-01 UTC) of 2021-07-01 10:00:00 UTC, the sample's "day".
const DAY: f64 = 646_826_400.0;

fn bytes_of(write: impl FnOnce(&Path)) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("db");
    write(&p);
    std::fs::read(&p).expect("read back")
}

/// Writes the iOS sample backup into `root` (created). Returns `root`.
pub fn ios_sample_backup(root: &Path) -> PathBuf {
    let sms = SmsDb::new(IosVersion::V14)
        .message("+15555550101", "See you at 7 at the usual place?", DAY)
        .message(
            "+15555550102",
            "Interesting read: https://en.wikipedia.org/wiki/NSO_Group",
            DAY + 600.0,
        )
        .message(
            "+15555550199",
            "Your parcel is waiting, confirm delivery: https://free247downloads.com/4Xv9sP2k",
            DAY + 3_600.0,
        )
        .to_bytes();

    let datausage = DataUsageDb::new(IosVersion::V14)
        .process(
            "com.apple.mobilesafari",
            Some("com.apple.mobilesafari"),
            DAY - 86_400.0,
            DAY,
        )
        .process("bh", None, DAY + 3_620.0, DAY + 3_650.0)
        .process("mDNSResponder", None, DAY - 86_400.0, DAY + 7_200.0)
        .usage(1, DAY, 120_000.0, 30_000.0, 0.0, 0.0)
        .usage(2, DAY + 3_640.0, 0.0, 0.0, 512_000.0, 2_048_000.0)
        .usage(3, DAY + 7_000.0, 4_000.0, 2_000.0, 0.0, 0.0)
        .to_bytes();

    let analytics = OsAnalyticsAdDaily::new()
        .usage("bh", DAY + 3_650.0, 0, 0, 512_000, 2_048_000)
        .usage("mDNSResponder", DAY + 3_650.0, 4_000, 2_000, 0, 0)
        .to_bytes();

    let idstatus = IdStatusCache::new()
        .lookup(
            "com.apple.madrid",
            "mailto:ameliehaggart@gmail.com",
            DAY + 3_500.0,
            1,
        )
        .lookup("com.apple.madrid", "tel:+15555550101", DAY - 3_600.0, 1)
        .to_bytes();

    let calendar = bytes_of(|p| {
        CalendarDb::new()
            .event(CalendarEvent::new(
                "Meeting",
                Some("Quarterly budget review"),
                DAY + 86_400.0,
            ))
            .write(p)
            .expect("calendar");
    });

    let safari = bytes_of(|p| {
        SafariHistory::new()
            .visit_titled(
                "https://en.wikipedia.org/wiki/NSO_Group",
                utc("2021-07-01T10:10:00Z"),
                "NSO Group - Wikipedia",
            )
            // A plain-http visit redirected within 0.4 s to a Pegasus domain (network injection).
            .visit("http://news.example.org/", utc("2021-07-01T11:05:00Z"))
            .visit("https://urlpush.net/2kQ8xv", utc("2021-07-01T11:05:00.4Z"))
            .redirect(2, 3)
            .visit(
                "https://www.example.com/weather",
                utc("2021-07-01T12:00:00Z"),
            )
            .write(p)
    });

    BackupBuilder::new()
        .product_version("14.6")
        .info(
            "Device Name",
            Some(plist::Value::String("Sample iPhone".into())),
        )
        .add_application("com.apple.mobilesafari", None)
        .add_application("net.whatsapp.WhatsApp", None)
        .add_file("HomeDomain", "Library/SMS/sms.db", sms)
        .add_file(
            "WirelessDomain",
            "Library/Databases/DataUsage.sqlite",
            datausage,
        )
        .add_file(
            "HomeDomain",
            "Library/Preferences/com.apple.osanalytics.addaily.plist",
            analytics,
        )
        .add_file(
            "HomeDomain",
            "Library/Preferences/com.apple.identityservices.idstatuscache.plist",
            idstatus,
        )
        .add_file("HomeDomain", "Library/Calendar/Calendar.sqlitedb", calendar)
        .add_file("HomeDomain", "Library/Safari/History.db", safari)
        // A Pegasus file name (Amnesty 2021: roleaccountd.plist).
        .add_file(
            "RootDomain",
            "Library/Preferences/roleaccountd.plist",
            b"<plist/>",
        )
        .add_file(
            "HomeDomain",
            "Library/Preferences/com.apple.weather.plist",
            b"<plist/>",
        )
        .write(root)
}
