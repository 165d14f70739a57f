//! Nothing panics on arbitrary input.

use proptest::prelude::*;
use telltale_ioc::{IndicatorKind as K, IocIndex, pattern, stix};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn pattern_parser_never_panics(s in ".{0,200}") {
        if let Ok(e) = pattern::parse(&s) {
            let _ = pattern::extract(&e);
        }
    }

    #[test]
    fn pattern_parser_never_panics_on_pattern_like_input(
        s in r"[\[\]()' a-z:.=!<>,*\\-]{0,120}|\[[a-z-]{1,12}:[a-z.']{1,12} ?(=|!=|IN|LIKE|MATCHES) ?'[^']{0,20}'( (AND|OR) [a-z]:[a-z] = '[a-z]')*\]( (AND|OR|FOLLOWEDBY) \[[a-z]:[a-z] = 'x'\])*( WITHIN [0-9] SECONDS)?"
    ) {
        if let Ok(e) = pattern::parse(&s) {
            let _ = pattern::extract(&e);
        }
    }

    #[test]
    fn pattern_fast_path_agrees_with_the_parser(
        s in r"[ \t]?\[[ \n]?(domain-name|url|process|file|Domain-Name):(value|name|path) ?(=|!=|<=|IN) ?'[a-zA-Z.\\' -]{0,12}'[ ]?\]( WITHIN 1 SECONDS)?"
    ) {
        if let Some((kind, value)) = pattern::simple(&s) {
            let x = pattern::extract(&pattern::parse(&s).expect("fast path accepted it"));
            prop_assert!(x.unsupported.is_empty());
            prop_assert_eq!(x.leaves, vec![(kind, value.to_string())]);
        }
    }

    #[test]
    fn bundle_loader_never_panics(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = stix::parse_bundle(&b, "fuzz");
    }

    #[test]
    fn matchers_never_panic(s in "\\PC{0,80}") {
        let i = IocIndex::from_values(&[(K::Domain, "evil.com"), (K::FilePath, "/a/"), (K::ProcessName, "averyveryverylongname"), (K::Url, "http://x.com/a")], "E");
        let _ = i.match_host(&s);
        let _ = i.match_url(&s);
        let _ = i.match_text(&s);
        let _ = i.match_process(&s);
        let _ = i.match_file_path(&s);
        let _ = i.match_ip(&s);
        let _ = i.lookup(&s);
    }
}
