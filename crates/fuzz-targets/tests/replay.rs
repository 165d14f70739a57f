//! Replays every committed fuzz corpus (`fuzz/corpus/<target>/*`, seeds, fuzzer finds and crash
//! regressions alike) through the target bodies with the ordinary test harness: no nightly, no fuzzing.
//! A panic here is a regression of a crash the fuzzer once found (or a new one).

use std::path::PathBuf;

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

fn replay(target: &str) -> usize {
    let f = telltale_fuzz_targets::target(target).expect("known target");
    let dir = corpus_dir(target);
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for p in entries {
        let data = std::fs::read(&p).unwrap();
        let r = std::panic::catch_unwind(|| f(&data));
        assert!(r.is_ok(), "target {target} panicked on {}", p.display());
        n += 1;
    }
    assert!(n > 0, "no corpus for {target} in {}", dir.display());
    n
}

macro_rules! replay_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let n = replay(stringify!($name));
                eprintln!("{}: {n} inputs replayed", stringify!($name));
            }
        )*
        #[test]
        fn every_target_has_a_replay_test() {
            let listed = [$(stringify!($name)),*];
            for (t, _) in telltale_fuzz_targets::TARGETS {
                assert!(listed.contains(t), "target {t} has no replay test");
            }
        }
    };
}

replay_tests!(
    plist,
    nska,
    keybag,
    stix_bundle,
    stix_pattern,
    match_text,
    dumpsys,
    ab_header,
    androidqf_json,
    tombstone,
    ios_artifact,
    ios_db_values,
    zip_evidence,
    intrusion_log,
    androidqf_text,
    results_folder,
    ios_decrypt,
    shutdown_log,
    ips,
    ps_lists,
    pcap_reader,
    net_dns,
    net_tls,
    net_quic,
    net_http,
    zeek_log,
    eve_log,
    tar_dump,
    zip_dump,
);

/// Found by the `match_text` target in its first 40 executions: a whitespace-separated word starting with
/// a multi-byte character (`ü…`, `\u{fffd}\u{fffd}`) made `telltale_ios::util::extract_links` slice
/// inside that character and panic (the SMS, iMessage and WhatsApp modules call it on message text).
#[test]
fn regression_extract_links_multibyte_word() {
    let data =
        std::fs::read(corpus_dir("match_text").join("regression-extract-links-multibyte-word"))
            .expect("the crash input is committed");
    telltale_fuzz_targets::match_text(&data);
    assert!(
        telltale_ios::util::extract_links("\u{fffd}\u{fffd} üüü www.x.org")
            .contains(&"www.x.org".to_string())
    );
}
