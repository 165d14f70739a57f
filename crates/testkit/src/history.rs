//! A synthetic history of checks for the hunt's scale benchmark: deterministic records of the usual
//! modules (Safari visits, messages with links, data usage processes, backup file paths, installed apps,
//! network hosts), with a known indicator planted in a known set of cases.

use serde_json::{Map, Value, json};

use crate::rng::XorShift;

/// The built-in Pegasus domain planted in the infected cases (a `domain-name:value` of pegasus.stix2).
pub const PLANTED_DOMAIN: &str = "free247downloads.com";

/// Whether case `i` of a history is planted (one in a thousand, from case 7 on).
pub fn is_planted(i: u64) -> bool {
    i % 1000 == 7
}

/// A host name of a pool of `pool` shared names (popular sites seen by many phones).
fn shared_host(r: &mut XorShift, pool: u64) -> String {
    let n = r.next_u64() % pool;
    format!("s{}.cdn{}.site{}.com", n % 97, n % 1013, n)
}

/// A host only this case sees.
fn own_host(r: &mut XorShift, case: u64) -> String {
    format!(
        "h{}.c{case}.example{}.org",
        r.next_u64() % 100_000,
        r.next_u64() % 50
    )
}

/// The ids written in a case's info.json: the check's date (months spread over 2021–2026).
pub fn case_info(case: u64) -> Value {
    let month = case % 60;
    json!({
        "target_path": format!("/lab/acquisitions/phone-{case:05}"),
        "telltale_version": "0.1.0",
        "date": format!("{}-{:02}-15T10:00:00.000000+00:00", 2021 + month / 12, month % 12 + 1),
        "ioc_files": [],
        "hashes": [],
        "acquisition": "ios-backup",
        "device": [{"key": "ProductType", "value": "iPhone14,2"}],
        "alerts": {"CRITICAL": 0, "HIGH": 0, "MEDIUM": 0, "LOW": 0, "INFORMATIONAL": 0},
        "modules": []
    })
}

/// `records` records of case `case`, as (module, record). Each record gives about five observables
/// rows (a URL gives its URL key and its host's suffixes). Planted cases hold one visit to
/// [`PLANTED_DOMAIN`].
pub fn case_records(case: u64, records: usize) -> Vec<(&'static str, Map<String, Value>)> {
    let mut r = XorShift(0x9e37_79b9_7f4a_7c15 ^ (case + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
    let base = 1_600_000_000 + (case % 60) * 2_600_000;
    let mut out = Vec::with_capacity(records);
    for i in 0..records {
        let t = base + r.next_u64() % 2_000_000;
        let time = jiff::Timestamp::from_second(t as i64)
            .map(|ts| ts.strftime("%Y-%m-%d %H:%M:%S.000000").to_string())
            .unwrap_or_default();
        let mut m = Map::new();
        let module = match i % 10 {
            0..=3 => {
                let host = if i % 3 == 0 {
                    own_host(&mut r, case)
                } else {
                    shared_host(&mut r, 20_000)
                };
                m.insert(
                    "url".into(),
                    format!("https://{host}/p/{}", r.next_u64() % 1000).into(),
                );
                m.insert("isodate".into(), time.into());
                "safari_history"
            }
            4 | 5 => {
                let host = shared_host(&mut r, 5_000);
                m.insert(
                    "text".into(),
                    format!("see https://{host}/a{} later", r.next_u64() % 100).into(),
                );
                m.insert("isodate".into(), time.into());
                "sms"
            }
            6 => {
                m.insert(
                    "proc_name".into(),
                    format!("daemon{}", r.next_u64() % 3000).into(),
                );
                m.insert("isodate".into(), time.into());
                "datausage"
            }
            7 => {
                m.insert(
                    "relative_path".into(),
                    format!(
                        "Library/Caches/com.app{}/f{}.db",
                        r.next_u64() % 500,
                        r.next_u64() % 50
                    )
                    .into(),
                );
                "manifest"
            }
            8 => {
                m.insert(
                    "bundleIdentifier".into(),
                    format!("com.vendor{}.app", r.next_u64() % 2000).into(),
                );
                "applications"
            }
            _ => {
                m.insert("domain".into(), shared_host(&mut r, 2_000).into());
                m.insert("isodate".into(), time.into());
                "netusage"
            }
        };
        out.push((module, m));
    }
    if is_planted(case) && !out.is_empty() {
        let k = out.len() / 2;
        let mut m = Map::new();
        m.insert("url".into(), format!("https://{PLANTED_DOMAIN}/x7").into());
        m.insert("isodate".into(), "2023-03-04 05:06:07.000000".into());
        out[k] = ("safari_history", m);
    }
    out
}
