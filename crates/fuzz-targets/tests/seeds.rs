//! Writes the seed corpora of the fuzz targets from the testkit:
//! `cargo test -p telltale-fuzz-targets --test seeds -- --ignored` (files `seed-*` in
//! `fuzz/corpus/<target>/`, overwritten; the fuzzer's own finds are left alone).

use std::path::PathBuf;

use plist::{Dictionary, Value};
use telltale_testkit::{android_backup, androidqf, bugreport, ios_backup, ios_crypto, ios_dbs};

fn write(target: &str, name: &str, data: impl AsRef<[u8]>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
}

fn plist_bytes(v: &Value, binary: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if binary {
        v.to_writer_binary(&mut out).unwrap();
    } else {
        v.to_writer_xml(&mut out).unwrap();
    }
    out
}

#[test]
#[ignore = "writes fuzz/corpus; run by hand"]
fn write_seeds() {
    // plist
    let mut d = Dictionary::new();
    d.insert("Product Version".into(), "17.4".into());
    d.insert("IsEncrypted".into(), Value::Boolean(false));
    d.insert("Date".into(), Value::Date(ios_dbs_date()));
    d.insert("Data".into(), Value::Data(vec![1, 2, 3]));
    d.insert(
        "Applications".into(),
        Value::Array(vec!["com.apple.mobilesafari".into(), Value::Real(1.5)]),
    );
    let v = Value::Dictionary(d);
    write("plist", "info.xml", plist_bytes(&v, false));
    write("plist", "info.bin", plist_bytes(&v, true));

    // nska
    let meta = ios_backup::MbFileMeta::default();
    write(
        "nska",
        "mbfile",
        ios_backup::mbfile_archive("Library/SMS/sms.db", 4096, &meta),
    );
    write(
        "nska",
        "mbfile-long",
        ios_backup::mbfile_archive(&"a/".repeat(40), u64::MAX, &meta),
    );

    // keybag
    let mut rng = ios_crypto::TestRng::new(b"seed");
    let spec = ios_crypto::KeybagSpec {
        salt: rng.bytes(20),
        iterations: 10,
        dp: Some((rng.bytes(20), 10)),
        class_keys: [(1u32, rng.key()), (3, rng.key())].into_iter().collect(),
    };
    write(
        "keybag",
        "double-kdf",
        ios_crypto::build_keybag(&spec, &[7; 32], &mut rng),
    );
    let spec10 = ios_crypto::KeybagSpec { dp: None, ..spec };
    write(
        "keybag",
        "ios10",
        ios_crypto::build_keybag(&spec10, &[1; 32], &mut rng),
    );

    // stix_bundle
    write("stix_bundle", "small.stix2", STIX);
    // stix_pattern
    for (i, p) in [
        "[domain-name:value = 'evil.com']",
        "[url:value = 'https://x.y/z?a=1'] OR [process:name = 'bh']",
        "[file:hashes.sha256 = 'ab' AND file:name = 'x'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS",
        "([app:id = 'com.evil'] OR ([android-property:name = 'persist.x'])) REPEATS 2 TIMES",
        "[email-addr:value LIKE '%@evil.com' AND NOT x:y IN ('a', 'b\\'c')]",
    ]
    .iter()
    .enumerate()
    {
        write("stix_pattern", &i.to_string(), p);
    }

    // match_text
    write(
        "match_text",
        "sms",
        "Your parcel: https://bit.ly/3xYz hxxp://evil[.]com/a www.ex-ample.co.uk/p?q=1 mail me@evil.com 10.6.6.6 xn--bcher-kva.example",
    );
    write(
        "match_text",
        "idn",
        "Visit https://bücher.example/ü and http://[::1]:80/ or ftp://x",
    );

    // dumpsys
    let br = bugreport::Bugreport::new()
        .service(
            "package",
            "Packages:\n  Package [com.evil.app] (abc):\n    versionName=1.0\n",
        )
        .service(
            "appops",
            "  Package com.evil.app:\n    CAMERA (allow / switch COARSE_LOCATION=allow):\n",
        )
        .service("accessibility", "Enabled services:{{com.evil.app/.Svc}}\n")
        .getprop(&[
            ("ro.build.version.sdk", "34"),
            ("persist.sys.timezone", "Europe/Paris"),
        ]);
    write("dumpsys", "services", br.dumpstate_text());
    let mut big = bugreport::big_dumpstate(3000);
    big.truncate(6000);
    write("dumpsys", "big", big);

    // ab_header
    let sms = [android_backup::Sms::received(
        "+100",
        "hi https://evil.com/x",
        1_700_000_000_000,
    )];
    write(
        "ab_header",
        "compressed",
        android_backup::AndroidBackup::new()
            .sms("sms_backup", &sms)
            .to_bytes(),
    );
    write(
        "ab_header",
        "plain",
        android_backup::AndroidBackup::new()
            .compressed(false)
            .version(1)
            .file("apps/com.x/f/a.txt", b"abc")
            .to_bytes(),
    );
    write(
        "ab_header",
        "encrypted",
        android_backup::AndroidBackup::new()
            .password("fuzz")
            .rounds(1)
            .to_bytes(),
    );

    // androidqf_json
    let qf = androidqf::AndroidQf::new()
        .package(androidqf::Package::new("com.evil.app").installer("com.android.vending"))
        .process("bh")
        .file(androidqf::FileEntry::new("/data/local/tmp/evil").sha256("00"))
        .root_binary("/system/xbin/su")
        .mount("/dev/block/dm-0 /system ext4 rw,seclabel 0 0");
    for (path, data) in qf.files() {
        if path.ends_with(".json") {
            write("androidqf_json", &path.replace('/', "_"), data);
        }
    }

    new_target_seeds();
    results_folder_seeds();

    // ios_decrypt: flags (bit 0: a recorded size follows) + ciphertext under the target's key
    let key = [9u8; 32];
    for (name, plain, size) in [
        (
            "sized",
            b"SQLite format 3\0 and more".as_slice(),
            Some(26u32),
        ),
        ("short-size", b"0123456789abcdef0123".as_slice(), Some(7)),
        ("unsized-block", b"0123456789abcdef".as_slice(), None),
        ("empty", b"".as_slice(), None),
    ] {
        let mut d = vec![if size.is_some() { 0x0b } else { 0x0a }];
        if let Some(s) = size {
            d.extend(s.to_le_bytes());
        }
        d.extend(ios_crypto::encrypt_cbc(&key, plain));
        write("ios_decrypt", name, d);
    }

    // tombstone
    let pb = bugreport::TombstonePb {
        build_fingerprint: "google/x/x:14".into(),
        timestamp: "2024-01-02 03:04:05.678901234+0100".into(),
        pid: 42,
        tid: 42,
        uid: 10123,
        command_line: vec!["/system/bin/bh".into()],
        signal_number: 11,
        signal_name: "SIGSEGV".into(),
        threads: vec![(42, "bh".into())],
        ..Default::default()
    };
    write("tombstone", "pb", pb.encode());
    write(
        "tombstone",
        "text",
        bugreport::tombstone_text(
            42,
            10123,
            "bh",
            "/system/bin/bh",
            "2024-01-02 03:04:05.678+0100",
        ),
    );
}

/// Seeds of the targets added with the second round of hardening (iOS artifacts, database values, zip
/// containers, intrusion logs, AndroidQF text files).
fn new_target_seeds() {
    use telltale_fuzz_targets::ios_artifacts::{PATHS, example};

    // ios_artifact: selector byte + a well-formed example of each artifact
    for (i, path) in PATHS.iter().enumerate() {
        let mut d = vec![i as u8];
        d.extend(example(i));
        let base = path.rsplit('/').next().unwrap_or(path);
        write("ios_artifact", &format!("{i:02}-{base}"), d);
    }

    // ios_db_values: selector byte (index among the SQLite artifacts) + cells
    let n_dbs = (0..PATHS.len())
        .filter(|&i| example(i).starts_with(b"SQLite format 3\0"))
        .count();
    for j in 0..n_dbs {
        let mut d = vec![j as u8];
        // NULL, i64::MIN, NaN, text "https://evil.com/x", invalid UTF-8 text, blob, small ints
        d.push(0);
        d.push(1);
        d.extend(i64::MIN.to_le_bytes());
        d.push(2);
        d.extend(f64::NAN.to_le_bytes());
        let url = b"https://evil.com/x";
        d.push(4);
        d.push(url.len() as u8);
        d.extend(url);
        d.extend([4, 3, 0xff, 0xc3, 0x28]);
        d.extend([5, 4, 0, 1, 2, 3]);
        d.extend([3, 9, 15, 0xff]);
        write("ios_db_values", &format!("{j:02}"), d);
    }

    // zip_evidence: an AndroidQF archive with a nested bugreport, and a bugreport on its own
    let br = bugreport::Bugreport::new()
        .service("package", "Packages:\n  Package [com.evil.app] (abc):\n")
        .getprop(&[("ro.build.version.sdk", "34")]);
    let dir = tempfile::tempdir().unwrap();
    let brzip = dir.path().join("bugreport.zip");
    br.write_zip(&brzip).unwrap();
    let brbytes = std::fs::read(&brzip).unwrap();
    write("zip_evidence", "bugreport", &brbytes);
    let qf = androidqf::AndroidQf::new()
        .package(androidqf::Package::new("com.evil.app"))
        .process("bh")
        .prop("persist.evil", "1")
        .setting("secure", "install_non_market_apps", "1")
        .log("/data/system/dropbox/x.txt", b"log")
        .bugreport(&brbytes);
    write("zip_evidence", "androidqf", qf.to_zip_bytes().unwrap());

    // intrusion_log
    let logs = bugreport::IntrusionLogs::new()
        .dns(
            "a.txt",
            1_700_000_000_000,
            "evil.com",
            &["10.6.6.6"],
            "com.evil.app",
        )
        .connect("a.txt", 1_700_000_000_001, "10.6.6.6", 443, "com.evil.app")
        .security(
            "a.txt",
            1_700_000_000_002_000_000,
            "adb_shell_cmd",
            serde_json::json!({"command": "pm list packages"}),
        )
        .security(
            "a.txt",
            1_700_000_000_003_000_000,
            "os_startup",
            serde_json::json!({"verified_boot_state": "orange", "dm_verity_mode": "enforcing"}),
        )
        .line("a.txt", "{not json");
    let ldir = tempfile::tempdir().unwrap();
    logs.write_folder(ldir.path()).unwrap();
    write(
        "intrusion_log",
        "events",
        std::fs::read(ldir.path().join("a.txt")).unwrap(),
    );

    // androidqf_text: the text files of an AndroidQF acquisition
    let qf = androidqf::AndroidQf::new()
        .process("bh")
        .prop("persist.evil", "1")
        .prop("ro.build.version.sdk", "34")
        .setting("secure", "package_verifier_enable", "0");
    for (path, data) in qf.files() {
        if path.ends_with(".txt") {
            write("androidqf_text", &path.replace('/', "_"), data);
        }
    }
}

/// `results_folder`: each file of the output folder of a real check of the iOS sample (built by the
/// binary's library parts: engine + writers), selector byte first.
fn results_folder_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let backup = telltale_testkit::samples::ios_sample_backup(&dir.path().join("b"));
    let out = dir.path().join("out");
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/telltale");
    let st = std::process::Command::new(&bin)
        .args(["check", "-q", "-o"])
        .arg(&out)
        .arg(&backup)
        .env("TELLTALE_DATA_DIR", dir.path().join("data"))
        .status()
        .expect("build the binary first: cargo build -p telltale-cli");
    assert_eq!(st.code(), Some(1));
    for (i, f) in [
        "alerts.json",
        "info.json",
        "sms.json",
        "sms_detected.json",
        "timeline.csv",
    ]
    .iter()
    .enumerate()
    {
        let mut d = vec![i as u8];
        d.extend(std::fs::read(out.join(f)).unwrap());
        write("results_folder", f, d);
    }
}

fn ios_dbs_date() -> plist::Date {
    telltale_testkit::ios_dbs::mac_date(700_000_000.0)
}

const STIX: &str = r#"{"type":"bundle","id":"bundle--1","objects":[
{"type":"malware","id":"malware--1","name":"Fuzzware","is_family":false},
{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[domain-name:value = 'evil.com']"},
{"type":"indicator","id":"indicator--2","pattern_type":"stix","pattern":"[url:value = 'https://bad.example/x'] OR [process:name = 'bh']"},
{"type":"indicator","id":"indicator--3","pattern_type":"stix","pattern":"[app:id = 'com.evil.app']"},
{"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--1"},
{"type":"report","id":"report--1","name":"R","object_refs":["indicator--2","indicator--3"]}
]}"#;

/// The seeds of the sysdiagnose parser targets alone:
/// `cargo test -p telltale-fuzz-targets --test seeds write_sysdiagnose_seeds -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus; run by hand"]
fn write_sysdiagnose_seeds() {
    use telltale_testkit::sysdiagnose::{self as sd, ShutdownLog, with_uuid};
    let staging = "/private/var/db/com.apple.xpc.roleaccountd.staging";
    let log = ShutdownLog::new()
        .notice(
            0.5,
            &[
                (51, "/usr/libexec/mobileassetd"),
                (431, &with_uuid(&format!("{staging}/bh"))),
            ],
        )
        .notice(1.5, &[(431, &with_uuid(&format!("{staging}/bh")))])
        .notice(2.5, &[(77, "/private/var/tmp/l/x (y).app/x (y)")])
        .sigterm(1_650_000_000)
        .notice(0.2, &[(9, "/private/var/tmp/hooker")]);
    write("shutdown_log", "uuid-and-delays", log.to_string());
    write(
        "shutdown_log",
        "old-time",
        "remaining client pid: 12 (/usr/libexec/a)\nSIGTERM: [x] @1650003600\n",
    );
    write(
        "ips",
        "crash-309",
        sd::ips_crash(
            &format!("{staging}/bh"),
            Some("com.evil.app"),
            "2024-05-20 10:11:12.3456 -0700",
            &["/private/var/tmp/hooker"],
        ),
    );
    write(
        "ips",
        "jetsam-298",
        sd::ips_jetsam("2024-05-20 10:11:12.00 -0700", &["bh", "SpringBoard"]),
    );
    write(
        "ips",
        "legacy-109",
        sd::ips_legacy("/private/var/db/x/bh", "2019-01-01 10:00:00.00 +0000"),
    );
    let mut ps = vec![0u8];
    ps.extend(
        sd::ps_txt(&[
            ("root", 1, 0, "/sbin/launchd"),
            ("mobile", 431, 1, &format!("{staging}/bh -d")),
            (
                "mobile",
                432,
                1,
                "/var/containers/Bundle/Application/X/My App.app/My App -x",
            ),
        ])
        .as_bytes(),
    );
    write("ps_lists", "ps", ps);
    let mut th = vec![1u8];
    th.extend(
        sd::ps_thread_txt(&[
            ("root", 1, "/sbin/launchd"),
            ("mobile", 7, "/private/var/tmp/hooker"),
        ])
        .as_bytes(),
    );
    write("ps_lists", "ps-thread", th);
    let mut ti = vec![2u8];
    ti.extend(sd::taskinfo_txt(&[("launchd", 1), ("bh", 7)]).as_bytes());
    write("ps_lists", "taskinfo", ti);
    let mut sp = vec![3u8];
    sp.extend(sd::spindump_txt(&[("bh", 7, &format!("{staging}/bh"))]).as_bytes());
    write("ps_lists", "spindump", sp);

    network_seeds();
}

fn network_seeds() {
    use telltale_testkit::net::{Capture, Link, PcapngOpts, ServerFlight, gzip};
    use telltale_testkit::net_logs;
    use telltale_testkit::net_proto::{self as np, HelloSpec, Rr};
    let ip = |s: &str| -> std::net::IpAddr { s.parse().unwrap() };
    let mut c = Capture::new(Link::Ethernet);
    c.dns(
        ip("10.0.0.5"),
        ip("10.0.0.1"),
        "a.evil.com",
        &[Rr::Cname("b.evil.com".into()), Rr::addr("203.0.113.5")],
    );
    let mut h = HelloSpec::sni("b.evil.com");
    h.post_quantum = true;
    h.segments = vec![600];
    h.order = vec![1, 0, 2, 1];
    c.tls(
        ip("10.0.0.5"),
        (ip("203.0.113.5"), 443),
        &h,
        ServerFlight::Tls12(vec![np::certificate(
            "b.evil.com",
            "b.evil.com",
            &["b.evil.com"],
        )]),
    );
    c.http(
        ip("10.0.0.5"),
        (ip("203.0.113.6"), 8080),
        "GET",
        "evil.com",
        "/x?y=1",
    );
    c.quic(
        ip("10.0.0.5"),
        (ip("203.0.113.7"), 443),
        &HelloSpec::sni("q.evil.com"),
        np::QUIC_V1,
        2,
        true,
    );
    write("pcap_reader", "ethernet.pcap", c.to_pcap(false, false));
    write("pcap_reader", "ethernet-be-ns.pcap", c.to_pcap(true, true));
    write(
        "pcap_reader",
        "ethernet.pcapng",
        c.to_pcapng(&PcapngOpts {
            tsresol: vec![9],
            dsb: true,
            isb_drops: Some(3),
            ..Default::default()
        }),
    );
    write(
        "pcap_reader",
        "ethernet.pcap.gz",
        gzip(&c.to_pcap(false, false)),
    );
    let mut w = Capture::new(Link::Radiotap);
    w.dns(ip("10.0.0.5"), ip("10.0.0.1"), "w.evil.com", &[]);
    write("pcap_reader", "radiotap.pcap", w.to_pcap(false, false));
    let mut s2 = Capture::new(Link::Sll2);
    s2.dns(
        ip("2001:db8::5"),
        ip("2001:db8::1"),
        "v6.evil.com",
        &[Rr::addr("2001:db8::66")],
    );
    write(
        "pcap_reader",
        "sll2-v6.pcapng",
        s2.to_pcapng(&PcapngOpts {
            big_endian: true,
            spb: true,
            ..Default::default()
        }),
    );
    for (n, b) in net_logs::zeek_logs(&c, false) {
        write("zeek_log", &format!("tsv-{n}"), b);
    }
    for (n, b) in net_logs::zeek_logs(&c, true) {
        write("zeek_log", &format!("json-{n}"), b);
    }
    write("eve_log", "v2.json", net_logs::eve(&c, false));
    write("eve_log", "v3.json", net_logs::eve(&c, true));
    write(
        "net_dns",
        "response",
        np::dns_response(
            7,
            "a.evil.com",
            65,
            &[
                Rr::Https("svc.evil.com".into(), true),
                Rr::Cname("c.evil.com".into()),
                Rr::addr("203.0.113.9"),
            ],
        ),
    );
    write("net_dns", "query", np::dns_query(8, "x.in-addr.arpa", 12));
    write(
        "net_tls",
        "client-hello",
        np::tls_records(&np::client_hello(&h), 700),
    );
    write(
        "net_tls",
        "server-flight",
        np::server_flight_tls12(&[np::certificate(
            "s.evil.com",
            "ca",
            &["s.evil.com", "*.evil.com"],
        )]),
    );
    write("net_tls", "tls13", np::server_hello_tls13());
    write(
        "net_tls",
        "certificate",
        np::certificate("leaf", "ca", &["a.b"]),
    );
    let mut q = vec![0u8];
    q.extend(np::quic_initial(
        np::QUIC_V1,
        &[1, 2, 3, 4, 5, 6, 7, 8],
        &[9],
        0,
        &[(0, np::client_hello(&HelloSpec::sni("q.evil.com")))],
        1200,
    ));
    write("net_quic", "v1-initial", q);
    let mut q2 = vec![1u8];
    q2.extend(np::quic_initial(
        np::QUIC_V2,
        &[8, 7, 6, 5],
        &[],
        1,
        &[(5, vec![1, 2, 3]), (0, vec![1, 0, 0, 2, 3])],
        1200,
    ));
    write("net_quic", "v2-initial", q2);
    write("net_http", "pipelined", b"GET /a HTTP/1.1\r\nHost: evil.com\r\n\r\nPOST http://x.evil.com/b HTTP/1.1\r\nContent-Length: 2\r\n\r\nokCONNECT evil.com:443 HTTP/1.1\r\n\r\n");
}

/// The seeds of `tar_dump` and `zip_dump` alone:
/// `cargo test -p telltale-fuzz-targets --test seeds write_dump_seeds -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus; run by hand"]
fn write_dump_seeds() {
    // tar_dump, zip_dump: small dumps with an artifact of each kind of module, in several layouts.
    use telltale_testkit::ios_fs::{Dump, DumpLayout};
    let dump = Dump::new()
        .system_volume("17.5.1", "21F90")
        .backup_path(
            ios_dbs::SmsDb::PATH,
            &ios_dbs::SmsDb::new(ios_dbs::IosVersion::V17)
                .message("+15555550100", "https://evil.com/x", 7e8)
                .to_bytes(),
        )
        .file(
            "private/var/networkd/netusage.sqlite",
            &ios_dbs::DataUsageDb::netusage()
                .process("bh", None, 7e8, 7e8)
                .to_bytes(),
        )
        .app_file(
            "com.example.app",
            "Library/Caches/com.example.app/Cache.db",
            &telltale_testkit::ios_fs_dbs::CacheDb::new()
                .response("https://evil.com/a", "2021-07-01 10:00:00")
                .to_bytes(),
        )
        .file("private/var/tmp/l/x", &telltale_testkit::ios_fs::macho())
        .file(
            "private/var/db/diagnostics/shutdown.log",
            b"remaining client pid: 1 (/private/var/tmp/bh)\nSIGTERM: [1650000000]\n",
        );
    for (name, layout) in [
        ("plain", DumpLayout::Plain),
        ("ufed", DumpLayout::Ufed),
        ("absolute", DumpLayout::Absolute),
        ("var-only", DumpLayout::VarOnly),
    ] {
        write("tar_dump", name, dump.tar_bytes(&layout));
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("d.zip");
        dump.write_zip(&z, &layout, name == "plain").unwrap();
        write("zip_dump", name, std::fs::read(&z).unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("d.tar.gz");
    dump.write_tar_gz(&g, &DumpLayout::VarAlias).unwrap();
    write("tar_dump", "var-alias-gz", std::fs::read(&g).unwrap());
}
