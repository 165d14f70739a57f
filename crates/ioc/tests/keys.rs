//! Match keys against the index's own answers: for random indicators and random observed values of
//! every kind, "an observed key equals an exported indicator key" ⇔ "the index's matcher matches".

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use telltale_ioc::keys::{self, Observed};
use telltale_ioc::{IndicatorKind as K, IocIndex, KeyKind, Match};

fn ident(m: &Match) -> (String, K, String) {
    (m.value.to_string(), m.kind, m.source_file.to_string())
}

/// What a plain equi-join on `(kind, key)` of the observable's keys with the exported keys finds.
fn join(index: &IocIndex, how: Observed, value: &str) -> BTreeSet<(String, K, String)> {
    let mut table: HashMap<(KeyKind, String), Vec<u32>> = HashMap::new();
    for k in index.export_keys() {
        table
            .entry((k.kind, k.key.to_string()))
            .or_default()
            .push(k.entry);
    }
    let mut ks = Vec::new();
    keys::observed_keys(how, value, &mut ks);
    let mut out = BTreeSet::new();
    for k in ks {
        for e in table.get(&k).into_iter().flatten() {
            out.insert(ident(&index.entry(*e).expect("exported entry exists")));
        }
    }
    out
}

fn check(index: &IocIndex, how: Observed, value: &str) -> Result<(), TestCaseError> {
    let direct: BTreeSet<_> = index.match_observed(how, value).iter().map(ident).collect();
    let joined = join(index, how, value);
    prop_assert_eq!(&direct, &joined, "{:?} {:?}: matcher vs join", how, value);
    let mut ks = Vec::new();
    keys::observed_keys(how, value, &mut ks);
    let via_keys: BTreeSet<_> = index.match_keys(&ks).iter().map(ident).collect();
    prop_assert_eq!(
        &direct,
        &via_keys,
        "{:?} {:?}: matcher vs match_keys",
        how,
        value
    );
    Ok(())
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("evil".to_string()),
        Just("com".to_string()),
        Just("www".to_string()),
        Just("a".to_string()),
        Just("Evil".to_string()),
        Just("notevil".to_string()),
        Just("bücher".to_string()),
        Just("xn--bcher-kva".to_string()),
        Just("x-y".to_string()),
        Just("1".to_string()),
        "[a-c]{1,3}",
    ]
}

fn domain() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(label(), 1..5),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(ls, dot, space)| {
            let mut d = ls.join(".");
            if dot {
                d.push('.');
            }
            if space {
                d = format!(" {d} ");
            }
            d
        })
}

fn ip() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("203.0.113.7".to_string()),
        Just("::ffff:203.0.113.7".to_string()),
        Just("[2001:db8::1]".to_string()),
        Just("2001:db8::1".to_string()),
        Just("203.0.113.7:443".to_string()),
        Just("1.1.1.1".to_string()),
    ]
}

fn url() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just(""),
            Just("http://"),
            Just("https://"),
            Just("HTTPS://"),
            Just("//")
        ],
        prop_oneof![domain(), ip()],
        prop_oneof![Just(""), Just(":443"), Just(":80"), Just(":8080")],
        prop_oneof![
            Just(""),
            Just("/"),
            Just("/a"),
            Just("/a/"),
            Just("/a?x=1"),
            Just("/a#f"),
            Just("?q")
        ],
    )
        .prop_map(|(s, h, p, t)| format!("{s}{}{p}{t}", h.trim()))
}

fn path() -> impl Strategy<Value = String> {
    (
        prop::bool::weighted(0.8),
        prop::collection::vec(
            prop_oneof![
                Just("var"),
                Just("db"),
                Just("a"),
                Just("spy"),
                Just("x.plist"),
                Just("")
            ],
            0..5,
        ),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(abs, cs, slash)| {
            let mut p = cs.join("/");
            if abs {
                p.insert(0, '/');
            }
            if slash {
                p.push('/');
            }
            p
        })
}

fn process() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just("/usr/libexec/"), Just("C:\\bin\\")],
        prop_oneof![
            (10usize..22).prop_map(|n| "abcdefghijklmnopqrstuvwxyz"[..n].to_string()),
            (13usize..18).prop_map(|n| "éabcdefghijklmnopqrst"[..n + 1].to_string()),
            Just("bh".to_string()),
            Just("roleaccountd".to_string()),
        ],
    )
        .prop_map(|(d, n)| format!("{d}{n}"))
}

fn email() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("bad@evil.com".to_string()),
        Just("Bad@Evil.COM".to_string()),
        Just("mailto:bad@evil.com".to_string()),
        Just("good@evil.com".to_string()),
    ]
}

fn hash() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("ab".repeat(16)),
        Just("AB".repeat(16)),
        Just("ab:".repeat(15) + "ab:ab"),
        Just("cd".repeat(20)),
    ]
}

fn simple_id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("com.spy.app".to_string()),
        Just(" com.spy.app ".to_string()),
        Just("com.spy.app.other".to_string()),
        Just("persist.spy".to_string()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            url(),
            email(),
            domain(),
            Just("hello".to_string()),
            Just("(see".to_string()),
            Just("evil.com.".to_string()),
            Just("x@y".to_string())
        ],
        0..5,
    )
    .prop_map(|w| w.join(" "))
}

fn indicators() -> impl Strategy<Value = Vec<(K, String)>> {
    prop::collection::vec(
        prop_oneof![
            domain().prop_map(|v| (K::Domain, v)),
            url().prop_map(|v| (K::Domain, v)),
            ip().prop_map(|v| (K::Ipv4, v)),
            url().prop_map(|v| (K::Url, v)),
            process().prop_map(|v| (K::ProcessName, v)),
            email().prop_map(|v| (K::Email, v)),
            path().prop_map(|v| (K::FilePath, v)),
            path().prop_map(|v| (K::FileName, v)),
            hash().prop_map(|v| (K::FileSha256, v)),
            hash().prop_map(|v| (K::AppCertSha1, v)),
            simple_id().prop_map(|v| (K::AppId, v)),
            simple_id().prop_map(|v| (K::ConfigurationProfileId, v)),
            simple_id().prop_map(|v| (K::AndroidProperty, v)),
        ],
        1..12,
    )
}

fn build(values: &[(K, String)]) -> IocIndex {
    let v: Vec<(K, &str)> = values.iter().map(|(k, s)| (*k, s.as_str())).collect();
    IocIndex::from_values(&v, "C")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn hosts_and_urls(ind in indicators(), d in domain(), u in url(), i in ip()) {
        let index = build(&ind);
        for how in [Observed::Host, Observed::Url] {
            check(&index, how, &d)?;
            check(&index, how, &u)?;
            check(&index, how, &i)?;
        }
        check(&index, Observed::Ip, &i)?;
    }

    #[test]
    fn paths_names_and_processes(ind in indicators(), p in path(), q in process()) {
        let index = build(&ind);
        for how in [Observed::FilePath, Observed::FileName, Observed::Process] {
            check(&index, how, &p)?;
            check(&index, how, &q)?;
        }
    }

    #[test]
    fn emails_hashes_ids_and_text(ind in indicators(), e in email(), h in hash(), s in simple_id(), t in text()) {
        let index = build(&ind);
        check(&index, Observed::Email, &e)?;
        check(&index, Observed::FileHash, &h)?;
        check(&index, Observed::CertHash, &h)?;
        for how in [Observed::AppId, Observed::ProfileId, Observed::AndroidProperty] {
            check(&index, how, &s)?;
        }
        check(&index, Observed::Text, &t)?;
    }

    #[test]
    fn arbitrary_strings(ind in indicators(), s in "\\PC{0,40}") {
        let index = build(&ind);
        for how in [Observed::Host, Observed::Url, Observed::Text, Observed::FilePath, Observed::Process, Observed::Email] {
            check(&index, how, &s)?;
        }
    }
}

#[test]
fn documented_examples() {
    let mut k = Vec::new();
    keys::observed_keys(Observed::Url, "https://WWW.a.Evil.com:443/x/?q=1#f", &mut k);
    let s: Vec<String> = k.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    assert_eq!(
        s,
        [
            "url:a.evil.com/x?q=1",
            "domain:a.evil.com",
            "domain:evil.com",
            "domain:com"
        ]
    );
    let mut k = Vec::new();
    keys::observed_keys(Observed::FilePath, "/private/var/db/x", &mut k);
    let s: Vec<&str> = k.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(
        s,
        [
            "/private/var/db/x",
            "/private/",
            "/private/var/",
            "/private/var/db/",
        ]
    );
    // An indicator's truncation keys: a 15-byte observed name matches the longer indicator.
    let index = IocIndex::from_values(&[(K::ProcessName, "averyveryverylongname")], "C");
    let ks: Vec<String> = index
        .export_keys()
        .iter()
        .map(|k| format!("{}:{}", k.kind, k.key))
        .collect();
    assert_eq!(
        ks,
        [
            "process:averyveryverylo",
            "process:averyveryverylon",
            "process:averyveryverylongname"
        ]
    );
    // A folder indicator is exported as the folder and its own path (the path `/a/b` is in `/a/b/`);
    // the root `/` is no indicator (it would match every file).
    let index = IocIndex::from_values(&[(K::FilePath, "/private/var/tmp/l/")], "C");
    let ks: Vec<String> = index
        .export_keys()
        .iter()
        .map(|k| k.key.to_string())
        .collect();
    assert_eq!(ks, ["/private/var/tmp/l", "/private/var/tmp/l/"]);
    assert_eq!(
        join(&index, Observed::FilePath, "/private/var/tmp/l").len(),
        1
    );
    assert_eq!(
        join(&index, Observed::FilePath, "/private/var/tmp/l/x").len(),
        1
    );
    assert!(
        join(
            &index,
            Observed::FilePath,
            "/private/var/tmp/l10n-cache.plist"
        )
        .is_empty()
    );
    assert!(IocIndex::from_values(&[(K::FilePath, "/")], "C").is_empty());
    // notevil.com is not under evil.com.
    let index = IocIndex::from_values(&[(K::Domain, "evil.com")], "C");
    assert!(join(&index, Observed::Host, "notevil.com").is_empty());
    assert_eq!(join(&index, Observed::Host, "x.EVIL.com.").len(), 1);
    // Hostile sizes are bounded.
    let mut k = Vec::new();
    keys::observed_keys(Observed::Host, &"a.".repeat(500).to_string(), &mut k);
    assert!(k.len() <= keys::MAX_DOMAIN_LABELS);
    let mut k = Vec::new();
    keys::observed_keys(Observed::FilePath, &"/".repeat(5000), &mut k);
    assert!(k.len() <= keys::MAX_DIR_DEPTH + 2);
}

proptest! {
    /// CIDR ranges of any length: an address inside a range is found by the join as by the matcher
    /// (ranges are exported as the blocks observed addresses get keys for).
    #[test]
    fn cidr_ranges_join_like_the_matcher(
        a in any::<u32>(), len in 0u8..=32, probe in any::<u32>(), near in any::<bool>(),
        v6 in any::<u128>(), len6 in 0u8..=128, probe6 in any::<u128>(),
    ) {
        let net = std::net::Ipv4Addr::from(a);
        // Half the probes inside the range.
        let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
        let p = if near { (a & mask) | (probe & !mask) } else { probe };
        let net6 = std::net::Ipv6Addr::from(v6);
        let mask6 = u128::MAX.checked_shl(128 - u32::from(len6)).unwrap_or(0);
        let p6 = if near { (v6 & mask6) | (probe6 & !mask6) } else { probe6 };
        let index = IocIndex::from_values(
            &[(K::Ipv4, &format!("{net}/{len}")), (K::Ipv6, &format!("{net6}/{len6}"))],
            "Test",
        );
        check(&index, Observed::Ip, &std::net::Ipv4Addr::from(p).to_string())?;
        check(&index, Observed::Host, &std::net::Ipv4Addr::from(p).to_string())?;
        check(&index, Observed::Ip, &std::net::Ipv6Addr::from(p6).to_string())?;
    }
}
