//! Properties of name matching on observed names (specification §5.4): a glued prefix never matches,
//! a subdomain always does, and host normalisation is idempotent.

use proptest::prelude::*;
use telltale_ioc::{IndicatorKind as K, IocIndex};

fn idx() -> IocIndex {
    IocIndex::from_values(&[(K::Domain, "evil.com")], "P")
}

proptest! {
    #[test]
    fn label_boundaries(prefix in "[a-z0-9-]{1,20}", sub in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,10}){0,3}") {
        let i = idx();
        // `x` + indicator (no dot between): never a match.
        let glued = format!("{prefix}evil.com");
        prop_assert!(i.match_host(&glued).is_empty());
        // The indicator as the first labels of a longer name: never a match.
        let longer = format!("evil.com.{sub}");
        prop_assert!(i.match_host(&longer).is_empty());
        // A subdomain at any depth: always a match.
        let subdomain = format!("{sub}.evil.com");
        prop_assert_eq!(i.match_host(&subdomain).len(), 1);
    }

    #[test]
    fn host_normalisation_is_idempotent(h in "[A-Za-z0-9.-]{1,40}(:[0-9]{1,5})?\\.?") {
        if let Some(n) = telltale_network::http::normalise_host(&h) {
            prop_assert_eq!(telltale_network::http::normalise_host(&n), Some(n.clone()));
        }
    }
}
