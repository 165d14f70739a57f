//! Hostile inputs for the iOS side: invalid UTF-8 in SMS text, random and crafted property lists,
//! NSKeyedArchiver archives built to explode, keybags with absurd lengths, Manifest.db rows whose paths
//! leave the backup. No panic, bounded work, errors that name what failed.

#[allow(dead_code)]
#[path = "common/harness.rs"]
mod harness;

use plist::{Dictionary, Uid, Value};
use telltale_ios::BackupEvidence;
use telltale_ios::crypto::Keybag;
use telltale_ios::modules::sms::Sms;
use telltale_ios::nska::{self, NskaError};
use telltale_testkit::ios_backup::BackupBuilder;
use telltale_testkit::ios_dbs::{IosVersion, SmsDb};

use telltale_testkit::rng::XorShift as Rng;

#[test]
fn sms_text_with_invalid_utf8_still_yields_its_link() {
    let db = SmsDb::new(IosVersion::V17)
        .message("+1555", "placeholder", 700_000_000.0)
        .to_bytes();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sms.db");
    std::fs::write(&p, db).unwrap();
    {
        let c = rusqlite::Connection::open(&p).unwrap();
        // Bytes that are not UTF-8 stored as TEXT, around a link.
        c.execute(
            "UPDATE message SET text = CAST(X'FFFE20687474703A2F2F6576696C2E636F6D2F7820C3' AS TEXT)",
            [],
        )
        .unwrap();
    }
    let bytes = std::fs::read(&p).unwrap();
    let b = BackupBuilder::new()
        .add_file("HomeDomain", "Library/SMS/sms.db", &bytes)
        .build();
    let ev = BackupEvidence::open(b.path()).unwrap();
    let r = harness::run_on(&Sms, &ev, &harness::evil());
    assert!(r.is_ok(), "{:?}", r.outcome);
    assert_eq!(r.records.len(), 1);
    assert_eq!(
        r.severe().len(),
        1,
        "the link after the invalid bytes is found"
    );
}

#[test]
fn random_bytes_are_never_a_plist_or_archive() {
    let mut rng = Rng(0xdead_beef);
    for i in 0..2000 {
        let n = (rng.next_u64() % 512) as usize;
        let mut b = rng.bytes(n);
        // Half of them with a real header, to go past the first check.
        if i % 2 == 0 && b.len() > 8 {
            b[..8].copy_from_slice(b"bplist00");
        }
        if let Ok(v) = nska::parse_plist(&b) {
            let _ = nska::plist_to_json(&v);
        }
        let _ = nska::decode(&b);
        let _ = telltale_ios::MbFile::from_archive(&b);
    }
}

#[test]
fn binary_plist_with_absurd_trailer_is_an_error() {
    // A trailer declaring 2^62 objects and an offset table far beyond the data.
    let mut b = b"bplist00".to_vec();
    b.push(0x08); // false
    let mut trailer = vec![0u8; 6];
    trailer.push(1); // offset size
    trailer.push(1); // ref size
    trailer.extend_from_slice(&(1u64 << 62).to_be_bytes()); // object count
    trailer.extend_from_slice(&0u64.to_be_bytes()); // top object
    trailer.extend_from_slice(&(u64::MAX - 7).to_be_bytes()); // offset table offset
    b.extend_from_slice(&trailer);
    assert!(nska::parse_plist(&b).is_err());
}

fn archive(objects: Vec<Value>) -> Vec<u8> {
    let mut top = Dictionary::new();
    top.insert("root".into(), Value::Uid(Uid::new(1)));
    let mut d = Dictionary::new();
    d.insert("$archiver".into(), "NSKeyedArchiver".into());
    d.insert("$version".into(), Value::Integer(100000.into()));
    d.insert("$top".into(), Value::Dictionary(top));
    d.insert("$objects".into(), Value::Array(objects));
    let mut out = Vec::new();
    Value::Dictionary(d).to_writer_binary(&mut out).unwrap();
    out
}

#[test]
fn archives_built_to_explode_are_bounded() {
    // A chain of 100 000 references: too deep.
    let mut objects: Vec<Value> = vec!["$null".into()];
    for i in 1..100_000u64 {
        objects.push(Value::Array(vec![Value::Uid(Uid::new(i + 1))]));
    }
    objects.push("end".into());
    assert_eq!(nska::decode(&archive(objects)), Err(NskaError::TooDeep));

    // "Billion laughs": each level references the next one 16 times.
    let mut objects: Vec<Value> = vec!["$null".into()];
    for i in 1..20u64 {
        objects.push(Value::Array(vec![Value::Uid(Uid::new(i + 1)); 16]));
    }
    objects.push("lol".into());
    assert_eq!(nska::decode(&archive(objects)), Err(NskaError::TooLarge));

    // A cycle and a reference out of range.
    let objects = vec!["$null".into(), Value::Array(vec![Value::Uid(Uid::new(1))])];
    assert_eq!(nska::decode(&archive(objects)), Err(NskaError::Cycle(1)));
    let objects = vec![
        "$null".into(),
        Value::Array(vec![Value::Uid(Uid::new(u64::MAX))]),
    ];
    assert_eq!(
        nska::decode(&archive(objects)),
        Err(NskaError::BadUid(u64::MAX))
    );
}

#[test]
fn keybag_with_absurd_lengths_is_an_error_with_its_offset() {
    let mut b = Vec::new();
    b.extend_from_slice(b"VERS");
    b.extend_from_slice(&4u32.to_be_bytes());
    b.extend_from_slice(&4u32.to_be_bytes());
    b.extend_from_slice(b"SALT");
    b.extend_from_slice(&u32::MAX.to_be_bytes());
    b.extend_from_slice(&[0; 20]);
    let e = Keybag::parse(&b).unwrap_err().to_string();
    assert!(e.contains("keybag") && e.contains("offset"), "{e}");
    let mut rng = Rng(99);
    for _ in 0..2000 {
        let n = (rng.next_u64() % 300) as usize;
        let _ = Keybag::parse(&rng.bytes(n));
    }
}

#[test]
fn manifest_rows_leaving_the_backup_are_not_served() {
    let b = BackupBuilder::new()
        .add_file("HomeDomain", "../../escape.txt", b"x")
        .add_file("HomeDomain", "/etc/passwd", b"x")
        .add_file("HomeDomain", "Library/ok.txt", b"fine")
        .build();
    let ev = BackupEvidence::open(b.path()).unwrap();
    use telltale_core::Evidence;
    assert_eq!(ev.read("HomeDomain/Library/ok.txt").unwrap(), b"fine");
    // Whatever a listing says, reading never leaves the backup folder: the data comes from the
    // hashed blob inside it, or the read fails.
    for p in [
        "HomeDomain/../../escape.txt",
        "../../escape.txt",
        "/etc/passwd",
    ] {
        if let Ok(d) = ev.read(p) {
            assert_eq!(d, b"x", "{p}: only the blob inside the backup is read");
        }
    }
    assert!(telltale_ios::crypto::tree_path("HomeDomain", "../../escape.txt").is_none());
    assert!(telltale_ios::crypto::tree_path("HomeDomain", "/etc/passwd").is_none());
}
