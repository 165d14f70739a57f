use std::io::Write;

use super::*;

/// A raw 512-byte header (ustar or GNU), checksum filled in.
fn header(name: &[u8], typeflag: u8, size: u64, mtime: u64, gnu: bool) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(format!("{mtime:011o}\0").as_bytes());
    h[156] = typeflag;
    if gnu {
        h[257..265].copy_from_slice(b"ustar  \0");
    } else {
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
    }
    set_checksum(&mut h);
    h
}

fn set_checksum(h: &mut [u8; 512]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| b as u64).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

fn pad(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(512) {
        v.push(0);
    }
}

/// Raw tar bytes: `(header, data)` pairs, then the end marker.
fn raw_tar(members: &[([u8; 512], &[u8])]) -> Vec<u8> {
    let mut v = Vec::new();
    for (h, d) in members {
        v.extend_from_slice(h);
        v.extend_from_slice(d);
        pad(&mut v);
    }
    v.extend_from_slice(&[0u8; 1024]);
    v
}

fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}{body}").len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A tar built with the `tar` crate (GNU long names, directories, a symbolic link, a hard link).
fn sample_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let add = |b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8], mtime: u64| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(mtime);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
    };
    add(
        &mut b,
        "./private/var/mobile/Library/SMS/sms.db",
        b"SQLite format 3\0rest",
        1_600_000_000,
    );
    let long = format!("private/var/mobile/{}/deep.txt", "d".repeat(150));
    add(&mut b, &long, b"long name", 1_600_000_001);
    // The tar crate refuses absolute names: write that header by hand.
    let abs = header(b"/private/var/db/abs.txt", b'0', 8, 1_600_000_002, true);
    b.append(tar::Header::from_byte_slice(&abs), &b"absolute"[..])
        .unwrap();
    add(&mut b, "private/var/._sms.db", b"appledouble", 1);
    add(&mut b, "__MACOSX/private/var/x", b"noise", 1);
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_size(0);
    h.set_mtime(1_500_000_000);
    b.append_data(&mut h, "private/var/empty/", &[][..])
        .unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "var", "private/var").unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Link);
    h.set_size(0);
    b.append_link(
        &mut h,
        "private/var/hardlink.db",
        "private/var/mobile/Library/SMS/sms.db",
    )
    .unwrap();
    b.into_inner().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn check_sample(t: &TarEvidence) {
    assert!(t.exists("private/var/mobile/Library/SMS/sms.db"));
    assert_eq!(
        t.read("private/var/mobile/Library/SMS/sms.db").unwrap(),
        b"SQLite format 3\0rest"
    );
    let long = format!("private/var/mobile/{}/deep.txt", "d".repeat(150));
    assert_eq!(t.read(&long).unwrap(), b"long name");
    assert_eq!(t.read("private/var/db/abs.txt").unwrap(), b"absolute");
    assert!(!t.exists("private/var/._sms.db"));
    assert!(t.find("__MACOSX/**").unwrap().is_empty());
    assert_eq!(t.stats().appledouble_ignored, 2);
    assert!(t.is_dir("private/var/empty"));
    assert!(t.is_dir("private/var/mobile"));
    assert!(!t.exists("var"), "a symbolic link is not a file");
    assert_eq!(t.link_target("var"), Some("private/var"));
    assert!(
        t.read("var/mobile/Library/SMS/sms.db").is_err(),
        "links are never followed"
    );
    assert_eq!(
        t.read("private/var/hardlink.db").unwrap(),
        b"SQLite format 3\0rest"
    );
    assert_eq!(
        t.modified("private/var/mobile/Library/SMS/sms.db")
            .unwrap()
            .as_second(),
        1_600_000_000
    );
    let found: Vec<_> = t
        .find("private/var/**.db")
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(
        found,
        vec![
            "private/var/hardlink.db",
            "private/var/mobile/Library/SMS/sms.db"
        ]
    );
    let local = t
        .local_file("private/var/mobile/Library/SMS/sms.db")
        .unwrap();
    assert!(!local.is_original());
    assert_eq!(
        std::fs::read(local.path()).unwrap(),
        b"SQLite format 3\0rest"
    );
    // The walk lists folders, files and links, parents first, with tar times.
    let mut seen = Vec::new();
    t.walk("", &mut |e| {
        seen.push((e.path.to_string(), e.kind, e.time_source));
        true
    })
    .unwrap();
    assert!(seen.contains(&(
        "private/var/empty".to_string(),
        EntryKind::Dir,
        Some(TimeSource::TarMtime)
    )));
    assert!(seen.contains(&("private".to_string(), EntryKind::Dir, None)));
    assert!(seen.contains(&(
        "var".to_string(),
        EntryKind::Symlink,
        Some(TimeSource::TarMtime)
    )));
    let pos = |p: &str| seen.iter().position(|s| s.0 == p).unwrap();
    assert!(pos("private/var") < pos("private/var/mobile/Library/SMS/sms.db"));
    let mut below = Vec::new();
    t.walk("private/var/mobile/Library", &mut |e| {
        below.push(e.path.to_string());
        true
    })
    .unwrap();
    assert_eq!(
        below,
        vec![
            "private/var/mobile/Library/SMS",
            "private/var/mobile/Library/SMS/sms.db"
        ]
    );
}

#[test]
fn plain_tar_reads_members_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "dump.tar", &sample_tar());
    assert_eq!(tar_compression(&p), Some(TarCompression::None));
    let t = TarEvidence::open(&p).unwrap();
    assert_eq!(t.compression(), TarCompression::None);
    assert!(t.describe().starts_with("tar "));
    check_sample(&t);
    assert_eq!(t.restreams(), 0);
    // Nothing written next to the input.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn gzip_tar_keeps_selected_members_and_restreams_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "dump.tar.gz", &gz(&sample_tar()));
    assert_eq!(tar_compression(&p), Some(TarCompression::Gzip));
    let opts = TarOptions {
        keep: Some(Arc::new(|name: &str, _| name.ends_with(".db"))),
        keep_in_memory_max: 4,
        ..Default::default()
    };
    let t = TarEvidence::open_with(&p, &opts).unwrap();
    assert!(t.describe().starts_with("tar.gz "));
    assert_eq!(t.stats().kept_on_disk, 1, "{:?}", t.stats());
    check_sample(&t);
    // sms.db (and its hard link) were kept; the long-named text file and abs.txt were read again.
    assert_eq!(t.restreams(), 2);
    let all_kept = TarOptions {
        keep: Some(Arc::new(|_: &str, _| true)),
        ..Default::default()
    };
    let t = TarEvidence::open_with(&p, &all_kept).unwrap();
    check_sample(&t);
    assert_eq!(t.restreams(), 0);
    assert!(t.stats().kept_in_memory >= 3);
    let none = TarEvidence::open(&p).unwrap();
    check_sample(&none);
}

#[test]
fn pax_names_sizes_and_subsecond_times() {
    let long = format!("private/var/{}/pax.txt", "p".repeat(200));
    let mut ext = pax_record("path", &long);
    ext.extend(pax_record("mtime", "1700000000.123456789"));
    let data = b"pax data";
    let t = raw_tar(&[
        (
            header(b"PaxHeaders/x", b'x', ext.len() as u64, 0, false),
            &ext,
        ),
        (header(b"short", b'0', data.len() as u64, 5, false), data),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "pax.tar", &t);
    let ev = TarEvidence::open(&p).unwrap();
    assert_eq!(ev.read(&long).unwrap(), data);
    assert!(!ev.exists("short"));
    let m = ev.modified(&long).unwrap();
    assert_eq!(m.as_second(), 1_700_000_000);
    assert_eq!(m.subsec_nanosecond(), 123_456_789);
    assert_eq!(parse_pax_time("-1.5"), Some((-2, 500_000_000)));
    assert_eq!(parse_pax_time("12"), Some((12, 0)));
    assert_eq!(parse_pax_time("1.x"), None);
}

#[test]
fn ustar_prefix_and_base256_sizes() {
    let mut h = header(b"name.txt", b'0', 3, 7, false);
    h[345..345 + 11].copy_from_slice(b"private/var");
    set_checksum(&mut h);
    let t = raw_tar(&[(h, b"abc")]);
    let dir = tempfile::tempdir().unwrap();
    let ev = TarEvidence::open(&write(dir.path(), "u.tar", &t)).unwrap();
    assert_eq!(ev.read("private/var/name.txt").unwrap(), b"abc");
    let mut f = [0u8; 12];
    f[0] = 0x80;
    f[11] = 0x05;
    f[10] = 0x01;
    assert_eq!(parse_num(&f), Ok(261));
    assert_eq!(parse_num(b"0000644\0"), Ok(0o644));
    assert!(parse_num(b"12x").is_err());
}

#[test]
fn hostile_members_are_refused_or_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let long_name = "a/".repeat(3000) + "x";
    let mut gnu_long = long_name.clone().into_bytes();
    gnu_long.push(0);
    let t = raw_tar(&[
        (header(b"../escape.txt", b'0', 1, 1, false), b"x"),
        (header(b"a/../../b.txt", b'0', 1, 1, false), b"x"),
        (header(b"c:/win.txt", b'0', 1, 1, false), b"x"),
        (header(b"dev/null", b'3', 0, 1, false), b""),
        (header(b"dev/sda", b'4', 0, 1, false), b""),
        (header(b"fifo", b'6', 0, 1, false), b""),
        (
            header(b"././@LongLink", b'L', gnu_long.len() as u64, 0, true),
            &gnu_long,
        ),
        (header(b"ignored", b'0', 1, 1, true), b"x"),
        (header(b"hard", b'1', 0, 1, false), b""),
        (header(b"ok.txt", b'0', 2, 1, false), b"ok"),
        (header(b"ok.txt", b'0', 3, 2, false), b"new"),
    ]);
    let p = write(dir.path(), "evil.tar", &t);
    let ev = TarEvidence::open(&p).unwrap();
    let names: Vec<_> = ev.entries().into_iter().map(|e| e.path).collect();
    assert_eq!(names, vec!["ok.txt"]);
    assert_eq!(ev.read("ok.txt").unwrap(), b"new", "the last copy is used");
    let st = ev.stats();
    assert_eq!(st.special_skipped, 3);
    assert_eq!(st.refused, 5, "{:?} {:?}", st, ev.warnings());
    assert_eq!(st.duplicates, 1);
    let w = ev.warnings().join("\n");
    assert!(w.contains(".."), "{w}");
    assert!(w.contains("over the limit"), "{w}");
    assert!(w.contains("listed twice"), "{w}");
    assert!(w.contains("hard link"), "{w}");
}

#[test]
fn oversized_extension_headers_are_not_read_into_memory() {
    // A GNU long name that declares 2 MiB: skipped, and the member it names is left out.
    let big = vec![b'a'; 2 << 20];
    let t = raw_tar(&[
        (
            header(b"././@LongLink", b'L', big.len() as u64, 0, true),
            &big,
        ),
        (header(b"victim", b'0', 1, 1, true), b"x"),
        (header(b"after.txt", b'0', 5, 1, true), b"after"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let ev = TarEvidence::open(&write(dir.path(), "big.tar", &t)).unwrap();
    let names: Vec<_> = ev.entries().into_iter().map(|e| e.path).collect();
    assert_eq!(names, vec!["after.txt"]);
    assert!(ev.warnings().iter().any(|w| w.contains("long name")));
}

#[test]
fn sparse_members_are_listed_not_read() {
    // Old GNU sparse: 10 GiB real size, one 512-byte block of data on disk.
    let mut h = header(b"private/var/sparse.img", b'S', 512, 9, true);
    // One sparse entry: offset 0, length 512.
    h[386..398].copy_from_slice(b"00000000000\0");
    h[398..410].copy_from_slice(b"00000001000\0");
    h[483..495].copy_from_slice(format!("{:012o}", 10u64 << 30).as_bytes());
    set_checksum(&mut h);
    let t = raw_tar(&[
        (h, &[7u8; 512][..]),
        (header(b"private/var/after", b'0', 2, 1, true), b"ok"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let ev = TarEvidence::open(&write(dir.path(), "sparse.tar", &t)).unwrap();
    let e = ev.find("private/var/sparse.img").unwrap();
    assert_eq!(e[0].size, Some(10 << 30));
    assert!(matches!(
        ev.read("private/var/sparse.img"),
        Err(EvidenceError::Refused { .. })
    ));
    assert_eq!(ev.read("private/var/after").unwrap(), b"ok");
    assert_eq!(ev.stats().sparse, 1);
}

#[test]
fn damaged_and_truncated_archives() {
    let dir = tempfile::tempdir().unwrap();
    // Not a tar at all.
    let p = write(dir.path(), "junk.tar", &[0x41; 2048]);
    let e = TarEvidence::open(&p).err().unwrap();
    assert!(e.to_string().contains("not a readable tar archive"), "{e}");
    assert_eq!(tar_compression(&p), None);
    let p = write(dir.path(), "empty.tar", b"");
    assert!(TarEvidence::open(&p).is_err());
    // Damage after the first members: what came before is kept, with a warning.
    let mut t = raw_tar(&[
        (header(b"a.txt", b'0', 1, 1, false), b"a"),
        (header(b"b.txt", b'0', 1, 1, false), b"b"),
    ]);
    t[1024 + 10] ^= 0xff;
    let p = write(dir.path(), "damaged.tar", &t);
    let ev = TarEvidence::open(&p).unwrap();
    assert!(ev.exists("a.txt"));
    assert!(!ev.exists("b.txt"));
    assert!(ev.stats().incomplete);
    assert!(ev.warnings()[0].contains("damaged header"));
    // Truncated inside a member's data.
    let t = raw_tar(&[
        (header(b"a.txt", b'0', 1, 1, false), b"a"),
        (
            header(b"big.bin", b'0', 100_000, 1, false),
            &[1u8; 100_000][..],
        ),
    ]);
    let p = write(dir.path(), "cut.tar", &t[..2048]);
    let ev = TarEvidence::open(&p).unwrap();
    assert_eq!(ev.read("a.txt").unwrap(), b"a");
    assert!(ev.read("big.bin").is_err());
    assert!(ev.stats().incomplete);
    let p = write(dir.path(), "cut.tar.gz", &gz(&t)[..300]);
    match TarEvidence::open(&p) {
        Ok(ev) => assert!(ev.stats().incomplete),
        Err(e) => assert!(e.to_string().contains("tar"), "{e}"),
    }
}

#[test]
fn limits_end_the_index_with_a_warning() {
    let mut members = Vec::new();
    for i in 0..50 {
        members.push((
            header(format!("f{i}").as_bytes(), b'0', 1, 1, false),
            &b"x"[..],
        ));
    }
    let t = raw_tar(&members);
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "many.tar", &t);
    let opts = TarOptions {
        limits: ArchiveLimits {
            max_entries: 10,
            ..Default::default()
        },
        ..Default::default()
    };
    let ev = TarEvidence::open_with(&p, &opts).unwrap();
    assert_eq!(ev.entries().len(), 10);
    assert!(ev.stats().incomplete);
    assert!(
        ev.warnings()
            .iter()
            .any(|w| w.contains("more than 10 members"))
    );
    // A gzip bomb: the decompressed stream is bounded.
    let zeros = vec![0u8; 4 << 20];
    let t = raw_tar(&[(
        header(b"bomb.bin", b'0', zeros.len() as u64, 1, false),
        &zeros,
    )]);
    let p = write(dir.path(), "bomb.tar.gz", &gz(&t));
    let opts = TarOptions {
        limits: ArchiveLimits {
            max_total_size: 1 << 20,
            max_entry_size: 1 << 20,
            ..Default::default()
        },
        keep: Some(Arc::new(|_: &str, _| true)),
        ..Default::default()
    };
    let ev = TarEvidence::open_with(&p, &opts).unwrap();
    assert!(matches!(
        ev.read("bomb.bin"),
        Err(EvidenceError::TooLarge { .. })
    ));
    assert_eq!(ev.stats().kept_in_memory + ev.stats().kept_on_disk, 0);
}

#[test]
fn nested_archive_and_temp_cleanup() {
    let dir = tempfile::tempdir().unwrap();
    let inner = gz(&raw_tar(&[(
        header(b"sysdiagnose_x/ps.txt", b'0', 2, 1, false),
        &b"ps"[..],
    )]));
    let outer = raw_tar(&[(
        header(
            b"private/var/inner.tar.gz",
            b'0',
            inner.len() as u64,
            1,
            false,
        ),
        &inner,
    )]);
    let p = write(dir.path(), "outer.tar", &outer);
    let ev = TarEvidence::open(&p).unwrap();
    let nested =
        TarEvidence::open_nested(&ev, "private/var/inner.tar.gz", 0, &TarOptions::default())
            .unwrap();
    assert_eq!(nested.depth(), 1);
    assert_eq!(nested.read("sysdiagnose_x/ps.txt").unwrap(), b"ps");
    assert!(nested.describe().contains("in tar"));
    let opts = TarOptions {
        limits: ArchiveLimits {
            max_depth: 0,
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(matches!(
        TarEvidence::open_nested(&ev, "private/var/inner.tar.gz", 0, &opts),
        Err(EvidenceError::Refused { .. })
    ));
    let local = ev.local_file("private/var/inner.tar.gz").unwrap();
    let tmp = local.path().parent().unwrap().to_path_buf();
    assert!(tmp.exists());
    assert!(crate::archive::live_temp_dirs().contains(&tmp));
    assert!(crate::archive::cleanup_temp_dirs() >= 1);
    assert!(!tmp.exists());
}

#[test]
fn member_records_stay_small() {
    assert!(std::mem::size_of::<Member>() <= 40);
}

#[test]
fn many_members_index_compactly() {
    // 100,000 members in a few hundred folders: the index stays small.
    let mut b = tar::Builder::new(Vec::new());
    for i in 0..100_000u32 {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_mtime(1);
        h.set_entry_type(tar::EntryType::Regular);
        let name = format!(
            "private/var/mobile/Containers/Data/Application/{:08X}/Library/f{i}",
            i / 300
        );
        b.append_data(&mut h, name, &[][..]).unwrap();
    }
    let bytes = b.into_inner().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ev = TarEvidence::open(&write(dir.path(), "many.tar", &bytes)).unwrap();
    assert_eq!(ev.stats().files, 100_000);
    assert!(
        ev.memory_bytes() < 100 * 100_000,
        "{} bytes",
        ev.memory_bytes()
    );
    assert_eq!(
        ev.find("private/var/mobile/Containers/Data/Application/*/Library/f99999")
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn first_member_without_indexing() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!("sysdiagnose_x/{}", "d".repeat(150));
    let mut ext = pax_record("path", &long);
    ext.extend(pax_record("mtime", "1.5"));
    let t = raw_tar(&[
        (
            header(b"PaxHeaders/x", b'x', ext.len() as u64, 0, false),
            &ext,
        ),
        (header(b"short", b'0', 1, 5, false), b"x"),
        (header(b"second", b'0', 1, 5, false), b"y"),
    ]);
    let p = write(dir.path(), "a.tar.gz", &gz(&t));
    assert_eq!(first_member_name(&p).as_deref(), Some(long.as_str()));
    let p = write(dir.path(), "b.tar", &sample_tar());
    assert_eq!(
        first_member_name(&p).as_deref(),
        Some("private/var/mobile/Library/SMS/sms.db")
    );
    let p = write(dir.path(), "junk", b"junk");
    assert_eq!(first_member_name(&p), None);
}
