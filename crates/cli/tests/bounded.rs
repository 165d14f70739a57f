//! Hostile inputs stay within bounds of memory and time, through the binary: each check runs as a
//! child whose peak resident memory (`VmHWM` of `/proc/<pid>/status`, a high-water mark, read every
//! 10 ms until it exits) is compared with a bound, under a watchdog that kills it if it has not finished
//! long after it should (a hang guard, not a speed measurement: speed is measured in benches/). Every
//! case must also end with a documented exit code and leave a results folder or a message.

#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::{Path, PathBuf};

mod common;
use common::measure::{MAX_RSS_MB, check};

fn zip_of(path: &Path, entries: &mut dyn FnMut(&mut zip::ZipWriter<std::fs::File>)) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    entries(&mut z);
    z.finish().unwrap();
}

fn deflated() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true)
}

/// An AndroidQF zip whose packages.json inflates to 600 MiB (under a megabyte compressed).
fn androidqf_zip_bomb(dir: &Path) -> PathBuf {
    let p = dir.join("bomb.zip");
    zip_of(&p, &mut |z| {
        z.start_file("packages.json", deflated()).unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..600 {
            z.write_all(&chunk).unwrap();
        }
        z.start_file("processes.json", deflated()).unwrap();
        z.write_all(br#"[{"pid":1,"name":"bh","ppid":0}]"#).unwrap();
        z.start_file("acquisition.json", deflated()).unwrap();
        z.write_all(br#"{"uuid":"x"}"#).unwrap();
    });
    p
}

/// A bugreport zip whose dumpstate is one 64 MiB line followed by 200,000 section headers.
fn bugreport_giant_lines(dir: &Path) -> PathBuf {
    let p = dir.join("bugreport-x-2024-01-02-03-04-05.zip");
    zip_of(&p, &mut |z| {
        z.start_file("main_entry.txt", deflated()).unwrap();
        z.write_all(b"dumpstate.txt").unwrap();
        z.start_file("dumpstate.txt", deflated()).unwrap();
        z.write_all(b"== dumpstate: 2024-01-02 03:04:05\n").unwrap();
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..64 {
            z.write_all(&chunk).unwrap();
        }
        z.write_all(b"\n").unwrap();
        for i in 0..200_000 {
            write!(z, "DUMP OF SERVICE s{i}:\n{}\n", "-".repeat(79)).unwrap();
        }
    });
    p
}

/// An AndroidQF acquisition whose files.json holds one path of 4 Mi folders (8 MiB): matching it
/// against folder indicators once hashed every prefix (quadratic: more than 10 minutes).
fn androidqf_deep_path(dir: &Path) -> PathBuf {
    use telltale_testkit::androidqf::{AndroidQf, FileEntry};
    let p = dir.join("qf");
    AndroidQf::new()
        .file(FileEntry::new(&format!(
            "/data/local/{}x",
            "a/".repeat(4 << 20)
        )))
        .write_dir(&p)
        .unwrap();
    p
}

/// A STIX file with one 100 MiB string (a pattern and a description).
fn stix_huge_string(dir: &Path) -> PathBuf {
    let p = dir.join("big.stix2");
    let long = "a".repeat(100 << 20);
    std::fs::write(
        &p,
        format!(
            r#"{{"type":"bundle","id":"bundle--1","objects":[{{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[domain-name:value = '{long}.com']","description":"{long}"}}]}}"#
        ),
    )
    .unwrap();
    p
}

/// A STIX file nested a million levels deep.
fn stix_deep(dir: &Path) -> PathBuf {
    let p = dir.join("deep.stix2");
    let mut s = String::from(r#"{"type":"bundle","objects":"#);
    s.push_str(&"[".repeat(1_000_000));
    s.push_str(&"]".repeat(1_000_000));
    s.push('}');
    std::fs::write(&p, s).unwrap();
    p
}

/// An iOS backup whose sms.db holds one message of 8 MiB (4 Mi words: link extraction and the
/// timeline writer must stay linear; the CSV writer once took 4 s in release for 32 MiB).
fn ios_huge_message(dir: &Path) -> PathBuf {
    use telltale_testkit::ios_dbs::{IosVersion, SmsDb};
    let text = format!("{} https://example.org/x", "w ".repeat(4 << 20));
    let sms = SmsDb::new(IosVersion::V16)
        .message("+15555550100", &text, 700_000_000.0)
        .to_bytes();
    telltale_testkit::ios_backup::BackupBuilder::new()
        .add_file("HomeDomain", "Library/SMS/sms.db", sms)
        .write(&dir.join("backup"))
}

#[test]
fn hostile_inputs_stay_within_memory_and_time_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let sample = telltale_testkit::samples::ios_sample_backup(&dir.path().join("sample"));
    let mut measured = Vec::new();
    let iocs = |f: PathBuf| {
        vec![
            "--no-builtin-iocs".to_string(),
            "--iocs".into(),
            f.display().to_string(),
        ]
    };
    // Each input is built just before its check (the test process stays small).
    type Build<'a> = Box<dyn Fn(&Path) -> (PathBuf, Vec<String>) + 'a>;
    let cases: Vec<(&str, Build)> = vec![
        (
            "androidqf zip bomb (600 MiB entry)",
            Box::new(|d| (androidqf_zip_bomb(d), vec![])),
        ),
        (
            "bugreport: 64 MiB line + 200,000 headers",
            Box::new(|d| (bugreport_giant_lines(d), vec![])),
        ),
        (
            "AndroidQF files.json with an 8 MiB path",
            Box::new(|d| (androidqf_deep_path(d), vec![])),
        ),
        (
            "iOS sms.db with an 8 MiB message",
            Box::new(|d| (ios_huge_message(d), vec![])),
        ),
        (
            "STIX with a 100 MiB string",
            Box::new(|d| (sample.clone(), iocs(stix_huge_string(d)))),
        ),
        (
            "STIX nested a million levels",
            Box::new(|d| (sample.clone(), iocs(stix_deep(d)))),
        ),
    ];
    for (i, (name, build)) in cases.iter().enumerate() {
        let case_dir = dir.path().join(format!("case{i}"));
        std::fs::create_dir_all(&case_dir).unwrap();
        let (input, extra) = build(&case_dir);
        let out = dir.path().join(format!("out{i}"));
        let data = dir.path().join(format!("data{i}"));
        std::fs::create_dir_all(&data).unwrap();
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let o = check(&input, &out, &extra, &data);
        assert!(
            matches!(o.code, Some(0..=2)),
            "{name}: exit {:?}: {}",
            o.code,
            o.stderr
        );
        if o.code != Some(2) {
            assert!(out.join("info.json").is_file(), "{name}: no results");
        } else {
            assert!(
                !o.stderr.trim().is_empty(),
                "{name}: exit 2 without a message"
            );
        }
        eprintln!(
            "{name}: exit {:?}, peak RSS {} MB, {:.1} s",
            o.code,
            o.peak_rss_mb,
            o.elapsed.as_secs_f64()
        );
        measured.push((name, o.peak_rss_mb));
        assert!(
            o.peak_rss_mb < MAX_RSS_MB,
            "{name}: peak RSS {} MB ≥ {MAX_RSS_MB} MB",
            o.peak_rss_mb
        );
    }
    assert_eq!(measured.len(), cases.len());
}

/// Peak resident memory allowed to a network capture check (the specification's default bound).
const NETWORK_MAX_RSS_MB: u64 = 256;

#[test]
fn one_million_short_flows_stay_within_the_network_memory_bound() {
    let d = tempfile::tempdir().unwrap();
    let cap = d.path().join("flows.pcap");
    {
        let f = std::fs::File::create(&cap).unwrap();
        let mut w = std::io::BufWriter::new(f);
        telltale_testkit::net_bench::short_flows(&mut w, 1_000_000).unwrap();
        w.flush().unwrap();
    }
    let out = d.path().join("out");
    let o = check(&cap, &out, &[], d.path());
    eprintln!(
        "1M short flows: peak RSS {} MiB in {:?}",
        o.peak_rss_mb, o.elapsed
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.peak_rss_mb <= NETWORK_MAX_RSS_MB,
        "peak RSS {} MiB over {NETWORK_MAX_RSS_MB} MiB ({:?})",
        o.peak_rss_mb,
        o.elapsed
    );
    // Past the record bound, what matched nothing is counted, not kept.
    assert!(o.stderr.contains("records not kept"), "{}", o.stderr);
    assert!(o.stderr.contains("1000000 TCP"), "{}", o.stderr);
}
