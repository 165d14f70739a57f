//! observables.parquet: written as records stream and from saved folders; hunted with the same answers
//! as `recheck`'s re-matching; statistics and dictionary skipping; bad files.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::write_json;
use serde_json::json;
use telltale_core::engine::Output;
use telltale_core::ioc::{IndicatorKind as K, IocIndex};
use telltale_core::{Record, record};
use telltale_report::hunt::{self, IndicatorTable, ScanFilter};
use telltale_report::observables::{self, CaseIds, ObservablesWriter};
use telltale_report::{OutputDir, OutputOptions};

fn index() -> IocIndex {
    IocIndex::from_values(
        &[
            (K::Domain, "evil.com"),
            (K::Url, "https://files.example.org/payload"),
            (K::ProcessName, "averyveryverylongname"),
            (K::Email, "bad@evil-mail.org"),
            (K::AppId, "com.spy.app"),
            (K::FilePath, "/private/var/db/spy/"),
            (K::FileName, "spy.dylib"),
            (K::FileSha256, &"a".repeat(64)),
            (K::Ipv4, "203.0.113.7"),
        ],
        "Pegasus",
    )
}

fn ids() -> CaseIds {
    CaseIds::from_info(
        &json!({"target_path": "/cases/p1", "date": "2025-03-04T00:00:00+00:00", "acquisition": "ios-backup"}),
        Path::new("/out"),
    )
}

/// Records of several modules: matching values of every kind, look-alikes, nesting, and clean data.
fn records() -> Vec<(&'static str, Record)> {
    vec![
        (
            "safari_history",
            record! {"isodate" => "2024-05-03 10:00:00.000000", "url" => "https://sub.evil.com/x"},
        ),
        (
            "safari_history",
            record! {"isodate" => "2024-05-04 10:00:00.000000", "url" => "https://notevil.com/"},
        ),
        (
            "safari_history",
            record! {"isodate" => "2024-06-01 00:00:00.000000", "url" => "https://FILES.example.org:443/payload/"},
        ),
        (
            "datausage",
            record! {"isodate" => "2024-05-05 00:00:00.000000", "proc_name" => "averyveryverylo"},
        ),
        (
            "sms",
            record! {"text" => "hi see evil.com/a and write bad@Evil-Mail.org", "isodate" => "2024-01-01 00:00:00.000000"},
        ),
        (
            "sms",
            record! {"text" => "nothing here", "isodate" => "2024-01-02 00:00:00.000000"},
        ),
        (
            "applications",
            record! {"bundleIdentifier" => "com.spy.app"},
        ),
        (
            "files",
            record! {"file_path" => "/private/var/db/spy/x.plist", "sha256" => "A".repeat(64)},
        ),
        ("files", record! {"relative_path" => "Library/spy.dylib"}),
        (
            "netusage",
            record! {"remote" => "203.0.113.7", "nested" => json!({"deep": {"host": "www.EVIL.com."}})},
        ),
        (
            "urls",
            record! {"url" => "https://evil.com/only-in-urls-json"},
        ),
    ]
}

/// (module, field, indicator) found by `recheck`'s matcher over the records (urls.json excluded, as
/// recheck does).
fn by_rematch(index: &IocIndex, recs: &[(&str, Record)]) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for (m, r) in recs {
        if *m == "urls" {
            continue;
        }
        for (x, field) in telltale_report::rematch::rematch_record(index, m, r) {
            out.insert((m.to_string(), field, x.value.to_string()));
        }
    }
    out
}

fn by_hunt(index: &IocIndex, file: &Path) -> BTreeSet<(String, String, String)> {
    let table = IndicatorTable::new(index);
    let (hits, _) = hunt::scan_file(file, &table, &ScanFilter::default()).unwrap();
    let mut out = BTreeSet::new();
    for h in hits {
        for e in h.entries {
            out.insert((
                h.module.clone(),
                h.field.clone(),
                index.entry(e).unwrap().value.to_string(),
            ));
        }
    }
    out
}

#[test]
fn hunting_the_written_file_finds_what_rematch_finds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("observables.parquet");
    let w = ObservablesWriter::create_at(&path, &ids()).unwrap();
    for (m, r) in records() {
        w.record(m, &r);
    }
    let rows = w.finish().unwrap();
    assert!(rows > 10, "{rows}");
    assert!(!dir.path().join(".observables.parquet.tmp").exists());
    let index = index();
    let want = by_rematch(&index, &records());
    assert_eq!(want.len(), 11, "{want:#?}");
    assert_eq!(by_hunt(&index, &path), want);

    // The aggregated rows: per indicator, with first and last seen and record counts.
    let table = IndicatorTable::new(&index);
    let (hits, stats) = hunt::scan_file(&path, &table, &ScanFilter::default()).unwrap();
    assert_eq!(stats.files, 1);
    let agg = hunt::aggregate(&index, &hits);
    let evil = agg.iter().find(|m| m.indicator == "evil.com").unwrap();
    assert_eq!(evil.case_id, ids().case_id);
    assert_eq!(evil.observations, 3, "{evil:?}");
    assert_eq!(
        evil.first_seen.as_deref(),
        Some("2024-01-01 00:00:00.000000")
    );
    assert_eq!(
        evil.last_seen.as_deref(),
        Some("2024-05-03 10:00:00.000000")
    );
    assert_eq!(evil.modules, ["netusage", "safari_history", "sms"]);
    assert_eq!(evil.collections, ["Pegasus"]);
    let proc_ = agg
        .iter()
        .find(|m| m.indicator_type == "process:name")
        .unwrap();
    assert_eq!(proc_.modules, ["datausage"]);

    // --since leaves out older rows and rows without a time.
    let since = jiff::Timestamp::from_second(1_714_600_000).unwrap(); // 2024-05-01 21:46 UTC
    let (hits, _) = hunt::scan_file(
        &path,
        &table,
        &ScanFilter {
            since: Some(since.as_microsecond()),
        },
    )
    .unwrap();
    let found: BTreeSet<String> = hunt::aggregate(&index, &hits)
        .into_iter()
        .map(|m| m.indicator)
        .collect();
    assert_eq!(
        found,
        [
            "averyveryverylongname",
            "evil.com",
            "https://files.example.org/payload"
        ]
        .map(String::from)
        .into()
    );
}

#[test]
fn row_groups_without_indicator_keys_are_skipped_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.parquet");
    let w = ObservablesWriter::create_at(&path, &ids()).unwrap();
    // Three row groups of clean hosts, then one match in the last.
    let n = observables::ROW_GROUP_ROWS * 3 / 2;
    for i in 0..n {
        w.record("m", &record! {"domain" => format!("h{i}.clean.org")});
    }
    w.record("m", &record! {"domain" => "x.evil.com"});
    w.finish().unwrap();
    let index = index();
    let table = IndicatorTable::new(&index);
    let (hits, stats) = hunt::scan_file(&path, &table, &ScanFilter::default()).unwrap();
    assert!(stats.row_groups >= 4, "{stats:?}");
    assert_eq!(
        stats.skipped_by_dictionary,
        stats.row_groups - 1,
        "{stats:?}"
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].record_index, n as i64);
    // An indicator set of kinds the file has none of: skipped by the kind statistics.
    let only_apps = IocIndex::from_values(&[(K::AppId, "com.spy.app")], "X");
    let t2 = IndicatorTable::new(&only_apps);
    let (hits, stats) = hunt::scan_file(&path, &t2, &ScanFilter::default()).unwrap();
    assert!(hits.is_empty());
    assert_eq!(stats.skipped_by_statistics, stats.row_groups, "{stats:?}");
}

#[test]
fn the_check_writer_streams_observables_with_record_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let out = OutputDir::create(
        dir.path(),
        OutputOptions {
            observables: Some(ids()),
            ..Default::default()
        },
    )
    .unwrap();
    // Modules write from several threads at once.
    std::thread::scope(|s| {
        for t in 0..4 {
            let out = &out;
            s.spawn(move || {
                let module = format!("mod_{t}");
                for i in 0..500 {
                    let host = if i == 250 + t {
                        "evil.com".to_string()
                    } else {
                        format!("h{i}.org")
                    };
                    out.record(&module, &record! {"domain" => host, "n" => i});
                }
            });
        }
    });
    out.finish().unwrap();
    let index = index();
    let table = IndicatorTable::new(&index);
    let (hits, _) = hunt::scan_file(
        &dir.path().join("observables.parquet"),
        &table,
        &ScanFilter::default(),
    )
    .unwrap();
    let mut got: Vec<(String, i64, String)> = hits
        .iter()
        .map(|h| (h.module.clone(), h.record_index, h.source_file.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        (0..4)
            .map(|t| (format!("mod_{t}"), 250 + t as i64, format!("mod_{t}.json")))
            .collect::<Vec<_>>()
    );
    // The index points at the right record of <module>.json.
    let found =
        hunt::alerts_for_hits(dir.path(), &index, &hits.iter().collect::<Vec<_>>()).unwrap();
    assert_eq!(found.len(), 4);
    for (m, rec, alerts) in &found {
        let t: i64 = m[4..].parse().unwrap();
        assert_eq!(rec["n"], json!(250 + t));
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            alerts[0].message,
            format!(
                "field domain of a {m} record matches indicator evil.com (domain-name:value) of Pegasus"
            )
        );
    }
}

#[test]
fn an_mvt_folder_gets_observables_and_the_ids_follow_info_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_json(
        d,
        "info.json",
        &json!({"target_path": "/evidence/backup", "mvt_version": "2.6.0", "date": "2024-02-03 04:05:06.000000", "ioc_files": [], "hashes": []}),
    );
    write_json(
        d,
        "safari_history.json",
        &json!([{"url": "https://evil.com/", "isodate": "2024-01-01 00:00:00.000000"}]),
    );
    write_json(d, "sms_detected.json", &json!([]));
    write_json(d, "alerts.json", &json!([]));
    let rep = observables::write_from_dir(d).unwrap();
    assert_eq!(rep.records, 1);
    assert!(observables::is_current(d));
    let ids = CaseIds::from_output_dir(d);
    assert_eq!(ids.month(), "2024-02");
    assert_eq!(ids.case_id.len(), 16);
    // Same info.json → same ids (publishing again replaces the case).
    assert_eq!(ids, CaseIds::from_output_dir(d));
    let index = index();
    let table = IndicatorTable::new(&index);
    let (hits, _) = hunt::scan_file(
        &d.join("observables.parquet"),
        &table,
        &ScanFilter::default(),
    )
    .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].case_id, ids.case_id);
    // With --hashes, the acquisition id is the manifest's hash.
    let with_hash = CaseIds::from_info(
        &json!({"target_path": "/e/b", "date": "2025-01-01", "hashes": [{"file_path": "/e/b/Manifest.db", "sha256": "AB".repeat(32)}]}),
        d,
    );
    assert_eq!(with_hash.acquisition_id, "ab".repeat(32));
}

#[test]
fn corrupt_and_foreign_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let index = index();
    let table = IndicatorTable::new(&index);
    let bad = dir.path().join("bad.parquet");
    std::fs::write(&bad, b"PAR1 this is not parquet at all PAR1").unwrap();
    let e = hunt::scan_file(&bad, &table, &ScanFilter::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad.parquet") && e.contains("not a readable observables file"),
        "{e}"
    );
    // A truncated real file.
    let good = dir.path().join("good.parquet");
    let w = ObservablesWriter::create_at(&good, &ids()).unwrap();
    w.record("m", &record! {"domain" => "evil.com"});
    w.finish().unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert!(hunt::scan_file(&cut, &table, &ScanFilter::default()).is_err());
    // Flipped bytes in the data: an error or the same answer, never a panic.
    for i in (4..bytes.len() - 8).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0x5a;
        let p = dir.path().join("flip.parquet");
        std::fs::write(&p, &b).unwrap();
        let _ = hunt::scan_file(&p, &table, &ScanFilter::default());
    }
    // The indicator export is not an observables file.
    let iocs = dir.path().join("iocs.parquet");
    hunt::export_indicators(&index, &iocs).unwrap();
    let e = hunt::scan_file(&iocs, &table, &ScanFilter::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a telltale observables file"), "{e}");
}

#[test]
fn dataset_files_are_found_recursively() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("acq_month=2024-01/case=ab");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("part-0.parquet"), b"x").unwrap();
    std::fs::write(p.join(".part-1.parquet.tmp"), b"x").unwrap();
    std::fs::write(dir.path().join("_SUCCESS"), b"").unwrap();
    let files = hunt::dataset_files(dir.path()).unwrap();
    assert_eq!(files, [p.join("part-0.parquet")]);
}
