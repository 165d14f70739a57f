//! Helpers to build small STIX bundles in tests.
#![allow(dead_code)]

use telltale_ioc::{IocIndex, Match};

/// A bundle with one malware object per family and one indicator per (family, pattern).
pub fn bundle(families: &[(&str, &[&str])]) -> String {
    let mut objs = Vec::new();
    let mut n = 0;
    for (fi, (fam, patterns)) in families.iter().enumerate() {
        objs.push(serde_json::json!({"type": "malware", "id": format!("malware--{fi}"), "name": fam, "is_family": true}));
        for p in patterns.iter() {
            n += 1;
            objs.push(serde_json::json!({"type": "indicator", "id": format!("indicator--{n}"), "pattern": p,
                "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}));
            objs.push(serde_json::json!({"type": "relationship", "id": format!("relationship--{n}"),
                "relationship_type": "indicates", "source_ref": format!("indicator--{n}"), "target_ref": format!("malware--{fi}")}));
        }
    }
    serde_json::json!({"type": "bundle", "id": "bundle--t", "objects": objs}).to_string()
}

pub fn index(families: &[(&str, &[&str])]) -> IocIndex {
    let mut b = IocIndex::builder();
    b.add_bundle(bundle(families).as_bytes(), "test.stix2", None)
        .expect("bundle loads");
    b.build()
}

pub fn values(m: &[Match]) -> Vec<String> {
    let mut v: Vec<String> = m.iter().map(|m| m.value.to_string()).collect();
    v.sort();
    v
}
