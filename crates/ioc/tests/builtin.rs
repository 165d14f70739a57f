//! The built-in snapshot: every set loads with the counts of the upstream files.

use std::collections::BTreeMap;
use telltale_ioc::{IndicatorKind as K, IocIndex, builtin};

type Expected = Vec<(&'static str, usize, Vec<(K, usize)>)>;

fn expected() -> Expected {
    vec![
        (
            "pegasus.stix2",
            1549,
            vec![
                (K::Domain, 1438),
                (K::ProcessName, 81),
                (K::Email, 29),
                (K::FileName, 1),
            ],
        ),
        (
            "predator.stix2",
            585,
            vec![
                (K::Domain, 569),
                (K::FilePath, 15),
                (K::ConfigurationProfileId, 1),
            ],
        ),
        (
            "rcs.stix2",
            40,
            vec![(K::Domain, 26), (K::FileSha256, 9), (K::AppId, 5)],
        ),
        (
            "stalkerware.stix2",
            5046,
            vec![
                (K::FileSha256, 2910),
                (K::Domain, 1447),
                (K::AppId, 590),
                (K::AppCertSha1, 99),
            ],
        ),
        (
            "malware.stix2",
            2187,
            vec![(K::Domain, 2183), (K::AndroidProperty, 3), (K::FilePath, 1)],
        ),
        (
            "kingspawn.stix2",
            167,
            vec![(K::Domain, 164), (K::FilePath, 2), (K::ProcessName, 1)],
        ),
        (
            "operation_triangulation.stix2",
            112,
            vec![(K::Domain, 75), (K::Email, 36), (K::ProcessName, 1)],
        ),
        (
            "wyrmspy_dragonegg.stix2",
            53,
            vec![
                (K::FileSha256, 34),
                (K::Domain, 7),
                (K::AppId, 7),
                (K::Ipv4, 5),
            ],
        ),
        ("wintego_helios.stix2", 175, vec![(K::Domain, 175)]),
        (
            "novispy.stix2",
            18,
            vec![
                (K::Domain, 7),
                (K::AppId, 4),
                (K::FileSha256, 4),
                (K::AppCertSha256, 3),
            ],
        ),
        ("candiru.stix2", 125, vec![(K::Domain, 125)]),
        (
            "residentbat.stix2",
            48,
            vec![
                (K::Ipv4, 24),
                (K::AppId, 8),
                (K::AppCertSha256, 8),
                (K::FileSha256, 8),
            ],
        ),
        ("cellebrite.stix2", 1, vec![(K::AppId, 1)]),
        (
            "darksword.stix2",
            43,
            vec![
                (K::FilePath, 22),
                (K::Domain, 10),
                (K::FileName, 7),
                (K::Ipv4, 3),
                (K::FileSha256, 1),
            ],
        ),
        (
            "coruna.stix2",
            216,
            vec![
                (K::Domain, 177),
                (K::FileSha256, 20),
                (K::FilePath, 12),
                (K::FileName, 7),
            ],
        ),
    ]
}

#[test]
fn all_builtin_sets_load_with_upstream_counts() {
    let i = IocIndex::builtin().unwrap();
    let st = i.stats();
    assert_eq!(st.sets.len(), 15);
    for (file, n, kinds) in expected() {
        let s = st
            .sets
            .iter()
            .find(|s| s.source == format!("builtin:{file}"))
            .unwrap_or_else(|| panic!("{file}"));
        assert_eq!(s.indicators, n, "{file}");
        let want: BTreeMap<K, usize> = kinds.into_iter().collect();
        assert_eq!(s.by_kind, want, "{file}");
        assert_eq!(s.unsupported, 0, "{file}");
        let o = s.origin.as_ref().unwrap();
        assert!(
            o.commit.as_ref().unwrap().len() == 40 && o.licence.is_some() && !o.sources.is_empty(),
            "{file}"
        );
    }
    assert!(st.unsupported.is_empty(), "{:#?}", st.unsupported);
    assert!(st.problems.is_empty());
    let helios = st
        .sets
        .iter()
        .find(|s| s.source == "builtin:wintego_helios.stix2")
        .unwrap();
    assert_eq!(helios.dangling_refs, 1);
    let stalker = st
        .sets
        .iter()
        .find(|s| s.source == "builtin:stalkerware.stix2")
        .unwrap();
    assert_eq!(stalker.collections.len(), 137);
    let peg = st
        .sets
        .iter()
        .find(|s| s.source == "builtin:pegasus.stix2")
        .unwrap();
    assert_eq!(peg.collections, vec!["Pegasus"]);
    assert_eq!(
        peg.origin.as_ref().unwrap().name,
        "NSO Group Pegasus Indicators of Compromise"
    );
}

#[test]
fn builtin_matches_known_values() {
    let i = IocIndex::builtin().unwrap();
    let m = i.match_process("bh");
    assert!(
        m.iter()
            .any(|m| m.collections.iter().any(|c| &**c == "Pegasus")),
        "{m:?}"
    );
    assert_eq!(&*m[0].source_file, "builtin:pegasus.stix2");
    assert!(
        m[0].indicator_id
            .as_deref()
            .unwrap()
            .starts_with("indicator--")
    );
    assert!(!i.match_file_name("roleaccountd.plist").is_empty());
    assert!(!i.match_url("http://fgr1w2gnsdvsb.xyz/x").is_empty());
    assert!(
        !i.match_file_path("/data/local/tmp/wd/anything").is_empty()
            || !i
                .match_file_path(
                    "/private/var/db/com.apple.xpc.roleaccountd.staging/PlugIns/fud.appex/x"
                )
                .is_empty()
    );
    // Stalkerware: identical patterns across families are one value with several collections.
    // (5046 patterns, 4873 distinct: 173 repeats, 4 of them shared by two families.)
    let m = i.match_app_id("com.sc.spyier.v2");
    assert_eq!(m.len(), 1);
    let mut c: Vec<&str> = m[0].collections.iter().map(|c| &**c).collect();
    c.sort();
    assert_eq!(c, vec!["Cocospy", "Spyier"]);
    assert!(
        i.match_host("definitely-not-an-indicator.example")
            .is_empty()
    );
}

#[test]
fn builtin_metadata() {
    let sets = builtin::sets();
    assert_eq!(sets.len(), 15);
    assert!(sets.iter().all(|s| builtin::bundle(&s.file).is_some()));
    assert!(
        !sets
            .iter()
            .any(|s| s.file.contains("eaglemsgspy") || s.file.contains("cytrox"))
    );
    assert_eq!(builtin::snapshot_date(), "2026-04-08");
}

#[test]
fn cidr_and_x509_indicators() {
    use telltale_ioc::{IndicatorKind as K, IocIndex};
    let idx = IocIndex::from_values(
        &[
            (K::Ipv4, "10.20.0.0/16"),
            (K::Ipv4, "192.0.2.1"),
            (K::Ipv6, "2001:db8:aa::/48"),
            (K::X509Sha256, &"ab".repeat(32)),
        ],
        "T",
    );
    assert!(
        idx.stats().unsupported.is_empty(),
        "{:?}",
        idx.stats().unsupported
    );
    assert_eq!(idx.match_ip("10.20.255.1").len(), 1);
    assert!(idx.match_ip("10.21.0.1").is_empty());
    assert_eq!(idx.match_ip("192.0.2.1").len(), 1);
    assert!(idx.match_ip("192.0.2.2").is_empty());
    assert_eq!(idx.match_ip("2001:db8:aa:1::5").len(), 1);
    assert!(idx.match_ip("2001:db8:ab::5").is_empty());
    assert_eq!(idx.match_ip("::ffff:10.20.1.1").len(), 1);
    assert_eq!(idx.match_host("10.20.3.4").len(), 1);
    assert_eq!(idx.lookup("10.20.3.4").len(), 1);
    assert_eq!(
        idx.match_cert_hash(&"AB".repeat(32))[0].kind.as_stix(),
        "x509-certificate:hashes.'SHA-256'"
    );
    // A STIX pattern on x509 certificate hashes is evaluated.
    let x = telltale_ioc::pattern::extract(
        &telltale_ioc::pattern::parse("[x509-certificate:hashes.'SHA-1' = 'aa']").unwrap(),
    );
    assert_eq!(x.leaves, vec![(K::X509Sha1, "aa".to_string())]);
    assert!(telltale_ioc::normalize::cidr("10.0.0.0/33").is_none());
}
