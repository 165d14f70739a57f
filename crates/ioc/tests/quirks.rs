//! Quirks of the real indicator data and of STIX loading (each one planted in a small bundle).

mod common;
use common::{bundle, index, values};
use telltale_ioc::{DEFAULT_COLLECTION, IndicatorKind as K, IocIndex};

#[test]
fn hash_property_spellings() {
    let h = "AA11BB22CC33DD44EE55FF6600112233445566778899AABBCCDDEEFF00112233";
    let i = index(&[(
        "Coruna",
        &[
            &format!("[file:hashes.'SHA-256' = '{h}']") as &str,
            "[file:hashes.sha256 = '1111111111111111111111111111111111111111111111111111111111111111']",
            "[file:hashes.'SHA-1' = '2222222222222222222222222222222222222222']",
            "[file:hashes.MD5 = '33333333333333333333333333333333']",
            "[file:hashes.md5 = '44444444444444444444444444444444']",
        ],
    )]);
    let m = i.match_file_hash(&h.to_lowercase());
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].kind, K::FileSha256);
    assert_eq!(i.match_file_hash(&"1".repeat(64))[0].kind, K::FileSha256);
    assert_eq!(i.match_file_hash(&"2".repeat(40))[0].kind, K::FileSha1);
    assert_eq!(i.match_file_hash(&"3".repeat(32))[0].kind, K::FileMd5);
    assert_eq!(i.match_file_hash(&"4".repeat(32))[0].kind, K::FileMd5);
    assert!(i.stats().unsupported.is_empty());
}

#[test]
fn domain_that_is_a_url_fragment() {
    let i = index(&[("Coruna", &["[domain-name:value='fgr1w2gnsdvsb.xyz/x']"])]);
    for u in [
        "http://fgr1w2gnsdvsb.xyz/x",
        "https://fgr1w2gnsdvsb.xyz/x/",
        "fgr1w2gnsdvsb.xyz/x",
    ] {
        let m = i.match_url(u);
        assert_eq!(m.len(), 1, "{u}");
        assert_eq!(&*m[0].value, "fgr1w2gnsdvsb.xyz/x");
        assert_eq!(m[0].kind, K::Domain);
    }
    // Its host counts as an indicator domain too (attacker-controlled, random-looking).
    assert_eq!(i.match_host("fgr1w2gnsdvsb.xyz").len(), 1);
    assert_eq!(i.match_url("https://fgr1w2gnsdvsb.xyz/other").len(), 1);
    assert!(i.match_host("w2gnsdvsb.xyz").is_empty());
    assert_eq!(i.stats().by_kind()[&K::Domain], 1);
}

#[test]
fn directory_file_paths_are_prefixes() {
    let i = index(&[(
        "Pegasus",
        &[
            "[file:path='/private/var/db/com.apple.xpc.roleaccountd.staging/PlugIns/fud.appex/']",
            "[file:path='/data/local/tmp/wd/']",
        ],
    )]);
    assert_eq!(
        i.match_file_path(
            "/private/var/db/com.apple.xpc.roleaccountd.staging/PlugIns/fud.appex/fud"
        )
        .len(),
        1
    );
    assert_eq!(i.match_file_path("/data/local/tmp/wd/payload.so").len(), 1);
    assert!(
        i.match_file_path(
            "/private/var/db/com.apple.xpc.roleaccountd.staging/PlugIns/other.appex/x"
        )
        .is_empty()
    );
}

#[test]
fn non_standard_object_types() {
    let i = index(&[(
        "Mixed",
        &[
            "[app:id='com.spy.app']",
            "[app:cert.sha1='A1B2C3D4E5F60718293A4B5C6D7E8F9001122334']",
            "[app:cert.sha256='aa00000000000000000000000000000000000000000000000000000000000000']",
            "[android-property:name='persist.spy.enabled']",
            "[configuration-profile:id='com.spy.profile']",
            "[process:name='spyd']",
            "[email-addr:value='spy@example.com']",
            "[ipv4-addr:value='192.0.2.7']",
            "[ipv6-addr:value='2001:db8::7']",
            "[url:value='https://spy.example/a?b=c']",
            "[file:name='spy.dylib']",
        ],
    )]);
    assert_eq!(i.match_app_id("com.spy.app")[0].kind, K::AppId);
    assert_eq!(
        i.match_cert_hash("a1b2c3d4e5f60718293a4b5c6d7e8f9001122334")[0].kind,
        K::AppCertSha1
    );
    assert_eq!(
        i.match_cert_hash(&format!("AA{}", "0".repeat(62)))[0].kind,
        K::AppCertSha256
    );
    assert_eq!(
        i.match_android_property("persist.spy.enabled")[0].kind,
        K::AndroidProperty
    );
    assert_eq!(
        i.match_profile_id("com.spy.profile")[0].kind,
        K::ConfigurationProfileId
    );
    assert_eq!(i.match_process("spyd")[0].kind, K::ProcessName);
    assert_eq!(i.match_email("SPY@example.com")[0].kind, K::Email);
    assert_eq!(i.match_ip("192.0.2.7")[0].kind, K::Ipv4);
    assert_eq!(i.match_ip("2001:db8:0::7")[0].kind, K::Ipv6);
    assert_eq!(i.match_url("https://spy.example/a?b=c")[0].kind, K::Url);
    assert_eq!(i.match_file_name("spy.dylib")[0].kind, K::FileName);
    assert_eq!(i.stats().sets[0].by_kind.len(), 11);
    assert!(i.stats().unsupported.is_empty());
}

#[test]
fn multi_family_bundle() {
    let shared = "[domain-name:value='shared-c2.example']";
    let i = index(&[
        ("FamilyA", &[shared, "[app:id='com.a']"]),
        ("FamilyB", &[shared, "[app:id='com.b']"]),
        ("FamilyC", &["[app:id='com.c']"]),
    ]);
    let m = i.match_host("shared-c2.example");
    assert_eq!(m.len(), 1, "one indicator value");
    let c: Vec<String> = m[0].collections.iter().map(|c| c.to_string()).collect();
    assert_eq!(c, vec!["FamilyA", "FamilyB"]);
    assert_eq!(values(&i.match_app_id("com.b")), vec!["com.b"]);
    assert_eq!(
        i.match_app_id("com.c")[0].collections[0].as_ref(),
        "FamilyC"
    );
    let st = &i.stats().sets[0];
    assert_eq!(st.collections, vec!["FamilyA", "FamilyB", "FamilyC"]);
    assert_eq!(st.indicators, 5);
}

#[test]
fn dangling_relationship_and_reports() {
    let b = r#"{"type":"bundle","id":"bundle--1","objects":[
      {"type":"malware","id":"malware--h","name":"Wintego Helios"},
      {"type":"indicator","id":"indicator--1","pattern":"[domain-name:value='helios.example']","pattern_type":"stix"},
      {"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--h"},
      {"type":"relationship","id":"relationship--2","relationship_type":"indicates","source_ref":"indicator--missing","target_ref":"malware--h"},
      {"type":"indicator","id":"indicator--2","pattern":"[domain-name:value='orphan.example']","pattern_type":"stix"},
      {"type":"indicator","id":"indicator--3","pattern":"[domain-name:value='reported.example']","pattern_type":"stix"},
      {"type":"report","id":"report--1","name":"Some Report","object_refs":["indicator--3","indicator--1"]}
    ]}"#;
    let mut bld = IocIndex::builder();
    let st = bld.add_bundle(b.as_bytes(), "helios.stix2", None).unwrap();
    assert_eq!(st.dangling_refs, 1);
    assert_eq!(st.indicators, 3);
    let i = bld.build();
    assert_eq!(i.stats().dangling_refs(), 1);
    let cols = |h: &str| -> Vec<String> {
        i.match_host(h)[0]
            .collections
            .iter()
            .map(|c| c.to_string())
            .collect()
    };
    assert_eq!(
        cols("helios.example"),
        vec!["Wintego Helios", "Some Report"]
    );
    assert_eq!(cols("orphan.example"), vec![DEFAULT_COLLECTION]);
    assert_eq!(cols("reported.example"), vec!["Some Report"]);
}

#[test]
fn no_valid_until_needed_and_expiry_ignored() {
    // No `valid_until` anywhere in the real data: indicators never expire in telltale.
    let b = bundle(&[("X", &["[domain-name:value='old.example']"])]);
    assert!(!b.contains("valid_until"));
    let mut bld = IocIndex::builder();
    bld.add_bundle(b.as_bytes(), "x.stix2", None).unwrap();
    assert_eq!(bld.build().match_host("old.example").len(), 1);
}

#[test]
fn url_indicator_with_equals_sign_loads() {
    let i = index(&[(
        "P",
        &[
            r"[url:value='https://x.example/r?id=1&t=a%3Db']",
            "[url:value = 'http://y.example/\\'q\\'=1']",
        ],
    )]);
    assert_eq!(i.match_url("https://x.example/r?id=1&t=a%3Db").len(), 1);
    assert_eq!(i.match_url("http://y.example/'q'=1").len(), 1);
    assert!(i.stats().unsupported.is_empty());
}

#[test]
fn unsupported_patterns_are_counted_and_listed() {
    let i = index(&[(
        "U",
        &[
            "[domain-name:value LIKE '%.evil.example']",
            "[domain-name:value = 'a.example'] AND [process:name = 'p']",
            "[domain-name:value = 'ok.example' OR domain-name:value MATCHES '^x']",
            "[domain-name:value = 'broken",
            "[ipv4-addr:value = '10.0.0.0/33']",
            "[domain-name:value IN ('in1.example', 'in2.example')]",
            "[domain-name:value = 'q.example'] WITHIN 60 SECONDS",
        ],
    )]);
    let u = &i.stats().unsupported;
    assert_eq!(u.len(), 5, "{u:#?}");
    assert!(
        u.iter()
            .all(|u| u.file == "test.stix2" && u.id.starts_with("indicator--"))
    );
    assert!(
        u.iter()
            .any(|u| u.reason.contains("syntax error at position"))
    );
    assert_eq!(
        u.iter()
            .find(|u| u.id == "indicator--3")
            .unwrap()
            .evaluated_values,
        1
    );
    assert_eq!(i.stats().sets[0].unsupported, 5);
    assert_eq!(i.match_host("ok.example").len(), 1);
    assert_eq!(i.match_host("in2.example").len(), 1);
    assert_eq!(i.match_host("q.example").len(), 1);
    assert!(
        i.match_host("a.example").is_empty(),
        "AND is not evaluated from one leaf"
    );
    assert!(i.match_host("x.evil.example").is_empty());
}

#[test]
fn one_bad_indicator_never_stops_the_rest() {
    let b = r#"{"type":"bundle","objects":[
      {"type":"indicator","id":"indicator--bad","pattern":["not","a","string"]},
      {"type":"indicator","id":"indicator--good","pattern":"[domain-name:value='good.example']"}
    ]}"#;
    let mut bld = IocIndex::builder();
    bld.add_bundle(b.as_bytes(), "mixed.stix2", None).unwrap();
    let i = bld.build();
    assert_eq!(i.match_host("good.example").len(), 1);
    let p = &i.stats().problems;
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].file, "mixed.stix2");
    assert_eq!(p[0].id.as_deref(), Some("indicator--bad"));
}

#[test]
fn hostile_input_errors_cleanly() {
    let deep = format!(
        "{{\"type\":\"bundle\",\"objects\":[{}]}}",
        "{\"a\":".repeat(1_000_000)
    );
    let e = IocIndex::builder()
        .add_bundle(deep.as_bytes(), "deep.stix2", None)
        .map(|_| ())
        .unwrap_err();
    assert!(e.to_string().contains("deep.stix2"));
    // A huge pattern string is refused by the pattern parser, the rest loads.
    let huge = format!("[domain-name:value='{}.example']", "a".repeat(1_000_000));
    let i = index(&[("H", &[&huge as &str, "[domain-name:value='fine.example']"])]);
    assert_eq!(i.stats().unsupported.len(), 1);
    assert_eq!(i.match_host("fine.example").len(), 1);
}
