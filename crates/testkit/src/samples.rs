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

/// Writes the iOS sample sysdiagnose (extracted, as `<dir>/sysdiagnose_…/`) and returns its top folder.
///
/// An ordinary-looking iOS 17.5.1 sysdiagnose whose shutdown log holds the trace Kaspersky's iShutdown
/// method looks for: at one reboot (2024-05-20), two clients still running from Pegasus's staging folder
/// `/private/var/db/com.apple.xpc.roleaccountd.staging/` — `rolexd`, a Pegasus process name of Amnesty's
/// indicators, and a fake `com.apple.WebKit.Networking` (the 2022 Pegasus pattern iVerify described) —
/// holding up the reboot for three delay notices. Ordinary data sits beside it (processes, a crash and a
/// jetsam report of system daemons, a Wi-Fi profile, app installs, privacy permissions) and must raise
/// nothing severe.
pub fn ios_sample_sysdiagnose(dir: &Path) -> PathBuf {
    use crate::ios_dbs::TccDb;
    use crate::sysdiagnose::{self as sd, ShutdownLog, Sysdiagnose, with_uuid};
    let staging = "/private/var/db/com.apple.xpc.roleaccountd.staging";
    let rolexd = with_uuid(&format!("{staging}/rolexd"));
    let webkit = with_uuid(&format!("{staging}/com.apple.WebKit.Networking"));
    let cryptex_webkit = with_uuid(
        "/private/preboot/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/XPCServices/\
         com.apple.WebKit.Networking.xpc/com.apple.WebKit.Networking",
    );
    let log = ShutdownLog::new()
        .notice(0.41, &[(81, &with_uuid("/usr/libexec/mobileassetd"))])
        .sigterm(1_715_900_000)
        .notice(
            0.52,
            &[(312, &cryptex_webkit), (2044, &rolexd), (2051, &webkit)],
        )
        .notice(1.53, &[(2044, &rolexd), (2051, &webkit)])
        .notice(2.54, &[(2044, &rolexd)])
        .sigterm(1_716_200_000)
        .notice(0.33, &[(96, &with_uuid("/usr/libexec/nehelper"))])
        .sigterm(1_716_560_000);
    let ps = sd::ps_txt(&[
        ("root", 1, 0, "/sbin/launchd"),
        ("root", 29, 1, "/usr/libexec/UserEventAgent (System)"),
        ("_logd", 30, 1, "/usr/libexec/logd"),
        ("mobile", 64, 1, "/usr/libexec/backboardd"),
        ("mobile", 99, 1, "/usr/libexec/lsd"),
        ("mobile", 137, 1, "/usr/sbin/mDNSResponder"),
        (
            "mobile",
            2023,
            1,
            "/var/containers/Bundle/Application/5AEE13F6-22FD-46FF-8D5D-B96176B7DD32/Signal.app/Signal",
        ),
    ]);
    let tcc = TccDb::new(crate::ios_dbs::IosVersion::V17)
        .access(
            "kTCCServiceMicrophone",
            "org.whispersystems.signal",
            0,
            2,
            1_715_000_000,
        )
        .access(
            "kTCCServiceCamera",
            "org.whispersystems.signal",
            0,
            2,
            1_715_000_000,
        )
        .to_bytes();
    let installs = sd::MobileInstallationLog::new()
        .install("Tue May 14 09:12:40 2024", "org.whispersystems.signal")
        .install("Wed May 15 18:03:11 2024", "com.duolingo.DuolingoMobile")
        .uninstall("Thu May 16 07:45:02 2024", "com.duolingo.DuolingoMobile");
    let s = Sysdiagnose::new()
        .shutdown_log(&log)
        .file(sd::PS, ps.as_bytes())
        .file(
            sd::TASKINFO,
            sd::taskinfo_txt(&[("launchd", 1), ("backboardd", 64), ("Signal", 2023)]).as_bytes(),
        )
        .ips(
            "SpringBoard-2024-05-18-081500.ips",
            &sd::ips_crash(
                "/System/Library/CoreServices/SpringBoard.app/SpringBoard",
                Some("com.apple.springboard"),
                "2024-05-18 08:15:00.1200 -0700",
                &["/usr/lib/dyld"],
            ),
        )
        .ips(
            "JetsamEvent-2024-05-19-221001.ips",
            &sd::ips_jetsam(
                "2024-05-19 22:10:01.00 -0700",
                &["SpringBoard", "backboardd", "mediaserverd", "Signal"],
            ),
        )
        .file(
            "logs/MCState/Shared/profile-6b0c9e1d3a.stub",
            &sd::profile_stub(
                "5E3B1C1A-8C43-4A7E-9B3B-2F1D0C9E8A71",
                "Office Wi-Fi",
                "org.example.office.wifi",
                1_714_000_000,
            ),
        )
        .file(sd::MOBILE_INSTALLATION, installs.to_string().as_bytes())
        .file(sd::TCC, &tcc)
        .file(
            "sysdiagnose.log",
            format!(
                "Sysdiagnose started\nOutput path: /private/var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose/{}.tar.gz\n",
                sd::DEFAULT_NAME
            )
            .as_bytes(),
        );
    s.write_folder(dir).expect("write the sample sysdiagnose")
}

/// The sample network capture in `examples/network-capture.pcapng`: a phone's traffic behind a Wi-Fi
/// access point (Ethernet, pcapng as TinyCheck writes it) with benign lookups and connections, a DNS
/// lookup and TLS connection to a public Predator domain (`2-gis.kz`, a label-boundary subdomain of
/// it), a look-alike that must not match (`not2-gis.kz`), a QUIC connection, plain HTTP, and a
/// connection to a public WyrmSpy address without any name.
pub fn network_sample_capture() -> Vec<u8> {
    use crate::net::{Capture, Link, PcapngOpts, ServerFlight};
    use crate::net_proto::{HelloSpec, QUIC_V1, Rr};
    let ip = |s: &str| -> std::net::IpAddr { s.parse().expect("address") };
    let phone = ip("192.168.8.23");
    let gw = ip("192.168.8.1");
    let mut c = Capture::new(Link::Ethernet);
    c.step_ns = 35_000_000;
    c.dns(phone, gw, "www.apple.com", &[Rr::addr("17.253.144.10")]);
    c.tls(
        phone,
        (ip("17.253.144.10"), 443),
        &HelloSpec::sni("www.apple.com"),
        ServerFlight::Tls13,
    );
    c.dns(phone, gw, "not2-gis.kz", &[Rr::addr("198.51.100.20")]);
    c.tls(
        phone,
        (ip("198.51.100.20"), 443),
        &HelloSpec::sni("not2-gis.kz"),
        ServerFlight::Tls13,
    );
    c.dns(phone, gw, "update.2-gis.kz", &[Rr::addr("203.0.113.80")]);
    let mut h = HelloSpec::sni("update.2-gis.kz");
    h.post_quantum = true;
    h.segments = vec![1000];
    h.order = vec![1, 0];
    c.tls(phone, (ip("203.0.113.80"), 443), &h, ServerFlight::Tls13);
    c.dns(phone, gw, "www.google.com", &[Rr::addr("142.250.74.36")]);
    c.quic(
        phone,
        (ip("142.250.74.36"), 443),
        &HelloSpec::sni("www.google.com"),
        QUIC_V1,
        2,
        true,
    );
    c.http(
        phone,
        (ip("93.184.216.34"), 80),
        "GET",
        "example.com",
        "/index.html",
    );
    let cp = c.ephemeral_port();
    let mut t = c.tcp_open((phone, cp), (ip("116.205.4.18"), 8443));
    t.send(&mut c, 0, b"\x00\x01hello");
    t.send(&mut c, 1, b"\x00\x01world");
    t.close(&mut c);
    c.to_pcapng(&PcapngOpts {
        comment: Some(
            "telltale sample: synthetic phone traffic, generated by telltale-testkit".into(),
        ),
        ..Default::default()
    })
}
