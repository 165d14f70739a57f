//! Hostile inputs for the Android side: `.ab` headers with absurd lines and counts, tar entries declaring
//! huge sizes, dumpstate texts made of one giant line or of countless headers, tombstone protobufs with
//! impossible lengths, random bytes everywhere. No panic, bounded work, clear errors.

use std::io::Cursor;

use telltale_android::ab::{self, AbError, AbEvidence};
use telltale_android::dumpsys::Dumpstate;
use telltale_android::modules::bugreport::tombstones;
use telltale_core::Evidence;

use telltale_testkit::rng::XorShift as Rng;

fn header(s: &[u8]) -> Result<ab::AbHeader, AbError> {
    ab::read_header(&mut Cursor::new(s))
}

#[test]
fn ab_headers_with_absurd_lines_are_errors() {
    let mut long = b"ANDROID BACKUP\n".to_vec();
    long.extend(std::iter::repeat_n(b'5', 1 << 20));
    assert!(matches!(header(&long), Err(AbError::Invalid(_))));
    assert!(matches!(
        header(b"ANDROID BACKUP\n99999999999999999999\n1\nnone\n"),
        Err(AbError::Invalid(_))
    ));
    assert!(matches!(
        header(b"ANDROID BACKUP\n5\n1\nAES-256\n00\n00\n4294967295\n00\n00\n"),
        Err(AbError::Invalid(_))
    ));
    assert!(matches!(
        header(b"ANDROID BACKUP\n5\n\xff\xfe\nnone\n"),
        Err(AbError::Invalid(_))
    ));
    let mut rng = Rng(5);
    for _ in 0..2000 {
        let mut b = b"ANDROID BACKUP\n".to_vec();
        let n = (rng.next_u64() % 200) as usize;
        b.extend(rng.bytes(n));
        let _ = header(&b);
    }
}

/// A tar header block for `name` declaring `size` (octal field written as given).
fn tar_header(name: &str, size_field: &[u8; 11]) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(size_field);
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

#[test]
fn tar_entries_declaring_huge_sizes_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.ab");
    let mut b = b"ANDROID BACKUP\n5\n0\nnone\n".to_vec();
    b.extend(tar_header(
        "apps/com.android.providers.telephony/d_f/000000_sms_backup",
        b"77777777777",
    ));
    b.extend(vec![b'x'; 1024]);
    std::fs::write(&p, &b).unwrap();
    match AbEvidence::open(&p, None) {
        Err(e) => assert!(!e.to_string().is_empty()),
        Ok(ev) => {
            for e in ev.find("**").unwrap() {
                // Reading is bounded by the real data, whatever the header says.
                if let Ok(d) = ev.read_limited(&e.path, 1 << 20) {
                    assert!(d.len() <= 1024, "{}", d.len());
                }
            }
        }
    }
}

#[test]
fn dumpstate_of_one_giant_line_or_countless_headers() {
    let line = vec![b'a'; 16 << 20];
    let d = Dumpstate::parse(line);
    assert!(d.sections().is_empty());

    let mut many = Vec::new();
    for i in 0..200_000 {
        many.extend_from_slice(
            format!("DUMP OF SERVICE s{i}:\n-------------------------------------------------------------------------------\n")
                .as_bytes(),
        );
    }
    many.extend_from_slice(b"\xff\xfe\x00 invalid utf-8 \xc3");
    let d = Dumpstate::parse(many);
    assert!(d.sections().len() <= 200_000);
    let _ = d.service("s199999");
    let _ = d.getprop();
    let _ = d.timezone();
}

#[test]
fn tombstone_protobufs_with_impossible_lengths_are_errors() {
    // Field 2 (bytes) declaring 2^60 bytes.
    let mut b = vec![0x12];
    let mut v: u64 = 1 << 60;
    while v >= 0x80 {
        b.push((v as u8) | 0x80);
        v >>= 7;
    }
    b.push(v as u8);
    b.extend_from_slice(b"short");
    assert!(tombstones::parse_protobuf(&b).is_err());
    // A varint that never ends.
    assert!(
        tombstones::parse_protobuf(
            &[0x28; 1]
                .iter()
                .chain([0xff; 64].iter())
                .copied()
                .collect::<Vec<_>>()
        )
        .is_err()
    );
    let mut rng = Rng(77);
    for _ in 0..3000 {
        let n = (rng.next_u64() % 256) as usize;
        let b = rng.bytes(n);
        let _ = tombstones::parse_protobuf(&b);
        let _ = tombstones::parse_text(&String::from_utf8_lossy(&b));
    }
}
