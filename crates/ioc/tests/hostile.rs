//! Hostile indicator files and texts: million-level nesting, a 100 MB string, patterns made of nothing
//! but parentheses, link extraction over megabytes of near-links. No panic, bounded work, errors that name
//! the file.

use telltale_ioc::{IndicatorKind, IocIndex, pattern, stix};

#[test]
fn a_million_levels_of_nesting_is_an_error_naming_the_file() {
    let mut s = String::from(r#"{"type":"bundle","objects":"#);
    s.push_str(&"[".repeat(1_000_000));
    s.push_str(&"]".repeat(1_000_000));
    s.push('}');
    let e = stix::parse_bundle(s.as_bytes(), "deep.stix2").unwrap_err();
    assert!(e.to_string().contains("deep.stix2"), "{e}");
    // Nesting hidden inside an unknown field of an object.
    let mut s = String::from(r#"{"type":"bundle","objects":[{"type":"x","id":"x--1","y":"#);
    s.push_str(&"{\"a\":".repeat(200_000));
    s.push('1');
    s.push_str(&"}".repeat(200_000));
    s.push_str("}]}");
    assert!(stix::parse_bundle(s.as_bytes(), "deep2.stix2").is_err());
}

#[test]
fn a_100_mb_string_is_loaded_or_refused_without_trouble() {
    let long = "a".repeat(100 << 20);
    let bundle = format!(
        r#"{{"type":"bundle","id":"bundle--1","objects":[{{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[domain-name:value = '{long}.com']","description":"{long}"}},{{"type":"indicator","id":"indicator--2","pattern_type":"stix","pattern":"[domain-name:value = 'evil.com']"}}]}}"#
    );
    drop(long);
    let mut b = IocIndex::builder();
    match b.add_bundle(bundle.as_bytes(), "big.stix2", None) {
        Ok(_) => {
            let idx = b.build();
            assert!(
                !idx.match_host("evil.com").is_empty(),
                "the sane indicator is kept"
            );
        }
        Err(e) => assert!(e.to_string().contains("big.stix2"), "{e}"),
    }
}

#[test]
fn patterns_of_parentheses_and_brackets_are_errors() {
    for p in [
        "(".repeat(1_000_000),
        "[".repeat(1_000_000),
        format!(
            "{}[domain-name:value = 'a']{}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        ),
        format!("[domain-name:value = '{}']", "\\".repeat(100_001)),
        "[a:b = 'x' AND NOT ".repeat(50_000),
    ] {
        assert!(pattern::parse(&p).is_err());
    }
}

#[test]
fn link_extraction_over_megabytes_of_near_links() {
    let idx = IocIndex::from_values(&[(IndicatorKind::Domain, "evil.com")], "T");
    let mut text = "http://".repeat(200_000);
    text.push_str(&"a.".repeat(500_000));
    text.push_str(&"www.".repeat(200_000));
    text.push_str(&"x@".repeat(200_000));
    text.push_str(" https://evil.com/\u{fffd}\u{202e}");
    assert!(!idx.match_text(&text).is_empty());
    let _ = idx.match_url(&text);
    let _ = idx.match_host(&text);
}

/// A path of a million folders (as an AndroidQF `files.json` can hold) against folder indicators:
/// only prefixes as long as the longest folder indicator are looked up. Hashing every prefix, as the
/// first version did, is quadratic: an 8 MB path kept a check busy for more than 10 minutes.
#[test]
fn a_path_of_a_million_folders_is_matched_with_bounded_work() {
    let idx = IocIndex::from_values(
        &[
            (IndicatorKind::FilePath, "/data/local/tmp/"),
            (IndicatorKind::FilePath, "/data/local/tmp/evil"),
        ],
        "Hostile",
    );
    let deep_inside = format!("/data/local/tmp/{}x", "a/".repeat(1_000_000));
    assert_eq!(idx.match_file_path(&deep_inside).len(), 1);
    let elsewhere = format!("/sdcard/{}x", "a/".repeat(1_000_000));
    assert!(idx.match_file_path(&elsewhere).is_empty());
    assert_eq!(idx.match_file_path("/data/local/tmp").len(), 1);
    assert_eq!(idx.match_file_path("/data/local/tmp/evil").len(), 2);
    assert!(idx.match_file_path("/data/local/tmpx/a").is_empty());
}
