//! Every matching rule, positive and negative.

mod common;
use common::values;
use telltale_ioc::{IndicatorKind as K, IocIndex};

fn idx() -> IocIndex {
    IocIndex::from_values(
        &[
            (K::Domain, "evil.com"),
            (K::Domain, "b.bad.org"),
            (K::Domain, "bücher.de"),
            (K::Domain, "xn--mnchen-3ya.de"),
            (K::Domain, "www.wwwprefixed.net"),
            (K::Domain, "Trailing.Example."),
            (K::Ipv4, "10.1.2.3"),
            (K::Ipv6, "2001:db8::1"),
            (K::Url, "https://phish.example/login?a=b&c=d"),
            (K::ProcessName, "bh"),
            (K::ProcessName, "com.apple.averylongname"),
            (K::Email, "Bad.Actor@iCloud.com"),
            (K::AppId, "com.evil.app"),
            (K::AppCertSha1, "AABBCCDDEEFF00112233445566778899AABBCCDD"),
            (
                K::FileSha256,
                "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
            ),
            (K::FileMd5, "0123456789abcdef0123456789abcdef"),
            (K::FileName, "roleaccountd.plist"),
            (K::FilePath, "/private/var/tmp/evil.db"),
            (K::FilePath, "/data/local/tmp/wd/"),
            (K::ConfigurationProfileId, "com.evil.profile"),
            (K::AndroidProperty, "persist.evil.flag"),
        ],
        "Evil",
    )
}

#[test]
fn host_equal_and_subdomains() {
    let i = idx();
    for h in [
        "evil.com",
        "a.evil.com",
        "a.b.c.evil.com",
        "EVIL.COM",
        "evil.com.",
        "www.evil.com",
        "b.bad.org",
        "x.b.bad.org",
    ] {
        assert_eq!(i.match_host(h).len(), 1, "{h}");
    }
    for h in [
        "notevil.com",
        "evil.com.au",
        "evil.co",
        "bad.org",
        "com",
        "",
        "evil",
        "xevil.com",
    ] {
        assert!(i.match_host(h).is_empty(), "{h}");
    }
    // A host that matches two indicator domains at different depths gets both.
    let j = IocIndex::from_values(&[(K::Domain, "b.evil.com"), (K::Domain, "evil.com")], "E");
    assert_eq!(
        values(&j.match_host("a.b.evil.com")),
        vec!["b.evil.com", "evil.com"]
    );
    assert_eq!(values(&j.match_host("c.evil.com")), vec!["evil.com"]);
}

#[test]
fn host_idna_www_trailing_dot() {
    let i = idx();
    assert_eq!(i.match_host("xn--bcher-kva.de").len(), 1);
    assert_eq!(i.match_host("BÜCHER.de").len(), 1);
    assert_eq!(i.match_host("shop.bücher.de").len(), 1);
    assert_eq!(i.match_host("münchen.de").len(), 1);
    assert!(i.match_host("bucher.de").is_empty());
    // `www.` stripped on both sides.
    assert_eq!(i.match_host("wwwprefixed.net").len(), 1);
    assert_eq!(i.match_host("www.wwwprefixed.net").len(), 1);
    assert_eq!(i.match_host("trailing.example").len(), 1);
    let m = &i.match_host("www.evil.com")[0];
    assert_eq!(&*m.value, "evil.com");
    assert_eq!(m.kind, K::Domain);
    assert_eq!(
        m.collections
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>(),
        vec!["Evil"]
    );
}

#[test]
fn host_fast_path_normalises_like_the_general_path() {
    let i = idx();
    // ASCII hosts are normalised in place (case, trailing dot, `www.`, spaces) without the
    // general path; these must agree with it.
    for h in [
        "EVIL.COM",
        " a.B.Evil.Com. ",
        "WWW.evil.com",
        "www.Www.WwwPrefixed.NET",
        "x.b.BAD.org",
    ] {
        assert_eq!(i.match_host(h).len(), 1, "{h}");
    }
    for h in [
        "bad.org",
        "evil.co",
        "www.",
        ".",
        "",
        "evil.com.evil",
        "notevil.com",
    ] {
        assert!(i.match_host(h).is_empty(), "{h}");
    }
    let long = format!("{}.evil.com", "a.".repeat(200));
    assert_eq!(i.match_host(&long).len(), 1);
    // Bracketed IP literals with trailing bytes go through the IP parser as before.
    assert_eq!(i.match_host("[2001:db8::1]zz").len(), 1);
}

#[test]
fn ip_literals() {
    let i = idx();
    assert_eq!(i.match_host("10.1.2.3").len(), 1);
    assert_eq!(i.match_ip("10.1.2.3").len(), 1);
    assert_eq!(i.match_ip("10.1.2.3:443").len(), 1);
    assert_eq!(i.match_host("[2001:db8::1]").len(), 1);
    assert_eq!(i.match_ip("2001:0db8:0:0:0:0:0:1").len(), 1);
    assert_eq!(i.match_ip("[2001:db8::1]:8080").len(), 1);
    assert_eq!(i.match_url("http://[2001:db8::1]:8080/x").len(), 1);
    assert_eq!(i.match_url("http://10.1.2.3/x").len(), 1);
    assert!(i.match_ip("10.1.2.4").is_empty());
    assert!(i.match_ip("not an ip").is_empty());
    assert!(i.match_host("3.10.1.2.3").is_empty());
}

#[test]
fn urls() {
    let i = idx();
    // Exact URL indicator (with `=` in it), normalised.
    for u in [
        "https://phish.example/login?a=b&c=d",
        "http://PHISH.example/login/?a=b&c=d",
        "https://www.phish.example:443/login?a=b&c=d#frag",
    ] {
        let m = i.match_url(u);
        assert_eq!(m.len(), 1, "{u}");
        assert_eq!(m[0].kind, K::Url);
    }
    assert!(i.match_url("https://phish.example/login?a=b").is_empty());
    assert!(i.match_url("https://phish.example/other").is_empty());
    // Host of the URL.
    for u in [
        "https://a.evil.com/path?q=1",
        "http://user:pw@evil.com:8080/",
        "evil.com/path",
        "evil.com:443",
        "//evil.com/x",
        "HTTPS://EVIL.COM",
    ] {
        assert_eq!(values(&i.match_url(u)), vec!["evil.com"], "{u}");
    }
    for u in [
        "https://notevil.com/evil.com",
        "https://good.com/?u=evil.com",
        "/evil.com/x",
        "",
        "https://",
    ] {
        assert!(i.match_url(u).is_empty(), "{u}");
    }
}

#[test]
fn free_text() {
    let i = idx();
    let sms = "Your parcel is waiting: https://track.evil.com/p/123 reply STOP";
    assert_eq!(values(&i.match_text(sms)), vec!["evil.com"]);
    assert_eq!(
        values(&i.match_text("go to evil.com now")),
        vec!["evil.com"]
    );
    assert_eq!(
        values(&i.match_text("(see x.b.bad.org/abc).")),
        vec!["b.bad.org"]
    );
    assert_eq!(
        values(&i.match_text("write to bad.actor@icloud.com!")),
        vec!["Bad.Actor@iCloud.com"]
    );
    assert_eq!(
        values(&i.match_text("login at https://phish.example/login?a=b&c=d")),
        vec!["https://phish.example/login?a=b&c=d"]
    );
    assert_eq!(
        values(&i.match_text("ping 10.1.2.3 please")),
        vec!["10.1.2.3"]
    );
    assert_eq!(
        values(&i.match_text("two: evil.com and https://sub.evil.com/x")),
        vec!["evil.com"]
    );
    assert!(
        i.match_text("nothing to see on notevil.com or good.org, end.")
            .is_empty()
    );
    assert!(i.match_text("").is_empty());
    assert!(i.match_text("a.b").is_empty());
}

#[test]
fn processes() {
    let i = idx();
    assert_eq!(i.match_process("bh").len(), 1);
    assert_eq!(i.match_process("/usr/libexec/bh").len(), 1);
    assert!(i.match_process("bhd").is_empty());
    assert!(i.match_process("b").is_empty());
    assert!(i.match_process("BH").is_empty());
    // Kernel truncation: 15 or 16 characters observed match a longer indicator.
    assert_eq!(i.match_process("com.apple.avery").len(), 1); // 15
    assert_eq!(i.match_process("com.apple.averyl").len(), 1); // 16
    assert_eq!(i.match_process("com.apple.averylongname").len(), 1);
    assert!(i.match_process("com.apple.ave").is_empty()); // 13: too short to be a truncation
    assert!(i.match_process("com.apple.averyX").is_empty());
}

#[test]
fn equality_kinds() {
    let i = idx();
    assert_eq!(i.match_email("bad.actor@icloud.com").len(), 1);
    assert_eq!(i.match_email(" BAD.ACTOR@ICLOUD.COM ").len(), 1);
    assert!(i.match_email("bad.actor@icloud.co").is_empty());
    assert_eq!(i.match_app_id("com.evil.app").len(), 1);
    assert!(i.match_app_id("com.evil.app2").is_empty());
    assert!(i.match_app_id("com.evil").is_empty());
    assert_eq!(
        i.match_cert_hash("aabbccddeeff00112233445566778899aabbccdd")
            .len(),
        1
    );
    assert_eq!(
        i.match_cert_hash("AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD")
            .len(),
        1
    );
    assert!(
        i.match_cert_hash("aabbccddeeff00112233445566778899aabbccde")
            .is_empty()
    );
    assert_eq!(
        i.match_file_hash("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")
            .len(),
        1
    );
    assert_eq!(
        i.match_file_hash("0123456789ABCDEF0123456789ABCDEF").len(),
        1
    );
    assert!(
        i.match_file_hash("0123456789abcdef0123456789abcdee")
            .is_empty()
    );
    // Cert hashes and file hashes are separate.
    assert!(
        i.match_file_hash("aabbccddeeff00112233445566778899aabbccdd")
            .is_empty()
    );
    assert_eq!(i.match_profile_id("com.evil.profile").len(), 1);
    assert!(i.match_profile_id("com.evil.profile2").is_empty());
    assert_eq!(i.match_android_property("persist.evil.flag").len(), 1);
    assert!(i.match_android_property("persist.evil").is_empty());
}

#[test]
fn files() {
    let i = idx();
    assert_eq!(i.match_file_name("roleaccountd.plist").len(), 1);
    assert_eq!(
        i.match_file_name("/private/var/db/com.apple.xpc.roleaccountd.staging/roleaccountd.plist")
            .len(),
        1
    );
    assert!(i.match_file_name("roleaccountd.plist.bak").is_empty());
    assert_eq!(i.match_file_path("/private/var/tmp/evil.db").len(), 1);
    assert!(i.match_file_path("/private/var/tmp/evil.db-wal").is_empty());
    assert!(i.match_file_path("/private/var/tmp/").is_empty());
    // Directory indicator: prefix match.
    for p in [
        "/data/local/tmp/wd/",
        "/data/local/tmp/wd/x",
        "/data/local/tmp/wd/a/b/c",
        "/data/local/tmp/wd",
    ] {
        assert_eq!(i.match_file_path(p).len(), 1, "{p}");
    }
    for p in [
        "/data/local/tmp/wdx",
        "/data/local/tmp/",
        "/data/local/tmp/w",
        "data/local/tmp/wd/x",
    ] {
        assert!(i.match_file_path(p).is_empty(), "{p}");
    }
}

#[test]
fn lookup_tries_every_kind() {
    let i = idx();
    for (v, kind) in [
        ("sub.evil.com", K::Domain),
        ("https://evil.com/x", K::Domain),
        ("10.1.2.3", K::Ipv4),
        ("bh", K::ProcessName),
        ("BAD.ACTOR@icloud.com", K::Email),
        ("com.evil.app", K::AppId),
        ("aabbccddeeff00112233445566778899aabbccdd", K::AppCertSha1),
        ("0123456789abcdef0123456789abcdef", K::FileMd5),
        ("roleaccountd.plist", K::FileName),
        ("/data/local/tmp/wd/file", K::FilePath),
        ("com.evil.profile", K::ConfigurationProfileId),
        ("persist.evil.flag", K::AndroidProperty),
        ("see https://phish.example/login?a=b&c=d now", K::Url),
    ] {
        let m = i.lookup(v);
        assert!(m.iter().any(|m| m.kind == kind), "{v}: {m:?}");
    }
    assert!(i.lookup("notevil.com").is_empty());
    assert!(i.lookup("").is_empty());
}

#[test]
fn empty_index_and_stats() {
    let e = IocIndex::empty();
    assert!(e.match_host("evil.com").is_empty());
    assert!(e.lookup("evil.com").is_empty());
    assert!(e.is_empty());
    let i = idx();
    let by = i.stats().by_kind();
    assert_eq!(by[&K::Domain], 6);
    assert_eq!(by[&K::FilePath], 2);
    assert_eq!(i.stats().total_indicators(), 21);
    // Unusable values are listed, not fatal (a CIDR range is usable; a prefix over 32 is not).
    let j = IocIndex::from_values(
        &[
            (K::Ipv4, "10.0.0.0/33"),
            (K::Domain, "ok.com"),
            (K::Domain, " "),
        ],
        "X",
    );
    assert_eq!(j.stats().unsupported.len(), 2);
    assert_eq!(j.match_host("ok.com").len(), 1);
}

#[test]
fn files_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.stix2");
    std::fs::write(
        &p,
        common::bundle(&[("Fam", &["[domain-name:value='disk.example']"])]),
    )
    .unwrap();
    let mut b = IocIndex::builder();
    b.add_file(&p).unwrap();
    let i = b.build();
    let m = i.match_host("disk.example");
    assert_eq!(m.len(), 1);
    assert_eq!(&*m[0].source_file, p.display().to_string());
    assert_eq!(m[0].indicator_id.as_deref(), Some("indicator--1"));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"objects\": [").unwrap();
    let e = IocIndex::builder()
        .add_file(&bad)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.json"), "{e}");
    let e = IocIndex::builder()
        .add_file(dir.path().join("missing.stix2"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.stix2"), "{e}");
}

#[test]
fn folder_indicators_have_path_segment_semantics() {
    // Predator's `/private/var/tmp/l/`: the folder and what it holds, never a sibling that only starts
    // with the same letters.
    let i = IocIndex::from_values(
        &[
            (K::FilePath, "/private/var/tmp/l/"),
            (K::FilePath, "/private/var/tmp/UserEventAgent"),
        ],
        "Predator",
    );
    assert!(
        i.match_file_path("/private/var/tmp/l10n-cache.plist")
            .is_empty()
    );
    assert!(i.match_file_path("/private/var/tmp/l10n/x").is_empty());
    assert!(i.match_file_path("/private/var/tmp/lx/").is_empty());
    assert_eq!(i.match_file_path("/private/var/tmp/l").len(), 1);
    assert_eq!(i.match_file_path("/private/var/tmp/l/").len(), 1);
    assert_eq!(i.match_file_path("/private/var/tmp/l/payload").len(), 1);
    assert_eq!(i.match_file_path("/private/var/tmp/l/a/b/c").len(), 1);
    // A path indicator is a path: a system daemon of the same name elsewhere is not it.
    assert!(i.match_file_path("/usr/libexec/UserEventAgent").is_empty());
    assert_eq!(
        i.match_file_path("/private/var/tmp/UserEventAgent").len(),
        1
    );
    assert!(
        i.match_file_path("/private/var/tmp/UserEventAgent2")
            .is_empty()
    );
    // Relative paths (as MVT compares them) never match absolute indicators.
    assert!(i.match_file_path("private/var/tmp/l/payload").is_empty());
}
