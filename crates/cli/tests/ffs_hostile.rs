//! Hostile filesystem-dump archives, through the binary, within bounds of memory and time (the hang
//! guard and peak-RSS measurement of `bounded.rs`): traversal names, links out of the dump, device
//! nodes, a gzip bomb, a 10 GiB sparse member and a tar of 4 Mi entries each end with a documented
//! exit code and a clear message, and nothing is written outside the output folder.

#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::{Path, PathBuf};

use telltale_testkit::ios_fs::{Dump, DumpLayout};
use telltale_testkit::tar_raw::{self, Member, StreamWriter};

mod common;
use common::measure::{MAX_RSS_MB, Outcome, check};

fn gz_writer(p: &Path) -> flate2::write::GzEncoder<std::io::BufWriter<std::fs::File>> {
    flate2::write::GzEncoder::new(
        std::io::BufWriter::new(std::fs::File::create(p).unwrap()),
        flate2::Compression::fast(),
    )
}

/// A dump whose members try to leave it: `..` names, an absolute name through `..`, a link to
/// `/etc/passwd` where sms.db should be, a hard link out, device nodes.
fn traversal(dir: &Path) -> PathBuf {
    let p = dir.join("traversal.tar");
    let mut members = Dump::new().members(&DumpLayout::Plain);
    members.push(Member::file("../../escape.txt", b"x", 1));
    members.push(Member::file("/private/var/../../../etc/cron.d/x", b"x", 1));
    members.push(Member::symlink(
        "private/var/mobile/Library/SMS/sms.db",
        "/etc/passwd",
        1,
    ));
    members.push(Member {
        typeflag: b'1',
        link: "../../../etc/shadow".into(),
        ..Member::file("private/var/mobile/hardlink", b"", 1)
    });
    members.push(Member {
        typeflag: b'3',
        ..Member::file("private/var/mobile/dev-null", b"", 1)
    });
    std::fs::write(&p, tar_raw::archive(&members)).unwrap();
    p
}

/// A `.tar.gz` dump holding 2 GiB of zeros and a 256 MiB "sms.db" of zeros (a few MiB compressed).
fn gzip_bomb(dir: &Path) -> PathBuf {
    let p = dir.join("bomb.tar.gz");
    let mut w = StreamWriter::new(gz_writer(&p));
    for m in Dump::new().members(&DumpLayout::Ufed) {
        w.append(&m).unwrap();
    }
    w.append_reader(
        "filesystem1/private/var/mobile/Media/bomb.bin",
        2 << 30,
        1,
        std::io::repeat(0),
    )
    .unwrap();
    w.append_reader(
        "filesystem1/private/var/mobile/Library/SMS/sms.db",
        256 << 20,
        1,
        std::io::repeat(0),
    )
    .unwrap();
    w.finish().unwrap().finish().unwrap().flush().unwrap();
    p
}

/// A GNU sparse member of 10 GiB (one 512-byte block stored) where sms.db should be.
fn sparse(dir: &Path) -> PathBuf {
    let p = dir.join("sparse.tar");
    let mut out = Vec::new();
    for m in Dump::new().members(&DumpLayout::Plain) {
        tar_raw::append(&mut out, &m);
    }
    let mut h = tar_raw::header(
        b"private/var/mobile/Library/SMS/sms.db",
        b'S',
        512,
        1,
        0o644,
        b"",
    );
    h[386..398].copy_from_slice(b"00000000000\0");
    h[398..410].copy_from_slice(b"00000001000\0");
    h[483..495].copy_from_slice(format!("{:012o}", 10u64 << 30).as_bytes());
    tar_raw::set_checksum(&mut h);
    out.extend_from_slice(&h);
    out.extend_from_slice(&[7u8; 512]);
    tar_raw::finish(&mut out);
    std::fs::write(&p, out).unwrap();
    p
}

/// A `.tar.gz` dump of 4 Mi members (2 GiB of headers once decompressed).
fn many_entries(dir: &Path) -> PathBuf {
    let p = dir.join("many.tar.gz");
    let mut w = StreamWriter::new(gz_writer(&p));
    for m in Dump::new().members(&DumpLayout::Plain) {
        w.append(&m).unwrap();
    }
    for i in 0..(4u32 << 20) {
        let name = format!("private/var/mobile/Media/x/{:03}/{i}", i % 1000);
        w.append(&Member::file(&name, b"", 1)).unwrap();
    }
    w.finish().unwrap().finish().unwrap().flush().unwrap();
    p
}

fn assert_bounded(name: &str, o: &Outcome, out: &Path) {
    eprintln!(
        "{name}: exit {:?}, peak RSS {} MB, {:.1} s",
        o.code,
        o.peak_rss_mb,
        o.elapsed.as_secs_f64()
    );
    assert!(
        matches!(o.code, Some(0..=2)),
        "{name}: {:?}: {}",
        o.code,
        o.stderr
    );
    if o.code == Some(2) {
        assert!(
            !o.stderr.trim().is_empty(),
            "{name}: exit 2 without a message"
        );
    } else {
        assert!(out.join("info.json").is_file(), "{name}: no results");
    }
    assert!(
        o.peak_rss_mb < MAX_RSS_MB,
        "{name}: peak RSS {} MB ≥ {MAX_RSS_MB} MB",
        o.peak_rss_mb
    );
}

#[test]
fn hostile_dump_archives_stay_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    type Build = fn(&Path) -> PathBuf;
    // The 4 Mi-entry archive is indexed whole (bounded at 2,000,000 members) and checked by one module:
    // the walk of every module would write gigabytes of records, which is not what is tested here.
    let cases: [(&str, Build, &[&str], &[&str]); 4] = [
        (
            "traversal and links",
            traversal,
            &["refused", "hard link"],
            &[],
        ),
        ("gzip bomb", gzip_bomb, &["sms.db"], &[]),
        ("10 GiB sparse member", sparse, &["sparse member"], &[]),
        (
            "4 Mi entries",
            many_entries,
            &["more than 2000000 members"],
            &["--module", "shutdown_log"],
        ),
    ];
    for (i, (name, build, expect, extra)) in cases.iter().enumerate() {
        let case = dir.path().join(format!("case{i}"));
        std::fs::create_dir_all(&case).unwrap();
        let input = build(&case);
        let before: Vec<_> = std::fs::read_dir(&case)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        let out = dir.path().join(format!("out{i}"));
        let data = dir.path().join(format!("data{i}"));
        std::fs::create_dir_all(&data).unwrap();
        let mut args = vec!["--no-builtin-iocs"];
        args.extend(extra.iter());
        let o = check(&input, &out, &args, &data);
        assert_bounded(name, &o, &out);
        let log = std::fs::read_to_string(out.join("command.log")).unwrap_or_default();
        for e in *expect {
            assert!(
                o.stderr.contains(e) || log.contains(e),
                "{name}: no message with {e:?}: {}",
                o.stderr
            );
        }
        // Nothing written next to the input (the escape attempts included).
        let after: Vec<_> = std::fs::read_dir(&case)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert_eq!(before, after, "{name}");
        assert!(!dir.path().join("escape.txt").exists());
        std::fs::remove_file(&input).unwrap();
    }
}
