//! Writes the encrypted-backup benchmark input: the sample backup (with its planted Pegasus traces) plus
//! about 2 GB of camera-roll files, encrypted with the password `bench` and Apple's real iteration counts.
//! `cargo run --release -p telltale-testkit --bin make-encrypted-bench -- /tmp/enc-bench [GB]`

use telltale_testkit::ios_crypto::{EncryptOptions, encrypt_backup_in_place};

fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

fn main() {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "enc-bench".into()),
    );
    let gb: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let root = out.join("backup");
    if root.exists() {
        std::fs::remove_dir_all(&root).expect("remove the old input");
    }
    telltale_testkit::samples::ios_sample_backup(&root);
    // Add the camera roll straight into the backup folder and Manifest.db, 10 MB per file.
    let files = gb * 1024 / 10;
    let db = rusqlite::Connection::open(root.join("Manifest.db")).expect("Manifest.db");
    for i in 0..files {
        let rel = format!("Media/DCIM/100APPLE/IMG_{i:04}.JPG");
        let bytes = noise(i as u64 + 1, 10 * 1024 * 1024);
        let id = telltale_testkit::ios_backup::file_id("CameraRollDomain", &rel);
        let dir = root.join(&id[..2]);
        std::fs::create_dir_all(&dir).expect("fileID folder");
        std::fs::write(dir.join(&id), &bytes).expect("write file");
        let meta = telltale_testkit::ios_backup::MbFileMeta::default();
        let blob = telltale_testkit::ios_backup::mbfile_archive(&rel, bytes.len() as u64, &meta);
        db.execute(
            "INSERT INTO Files VALUES (?1, 'CameraRollDomain', ?2, 1, ?3)",
            rusqlite::params![id, rel, blob],
        )
        .expect("insert row");
    }
    drop(db);
    let plain = out.join("plain");
    if plain.exists() {
        std::fs::remove_dir_all(&plain).expect("remove the old plain copy");
    }
    // Keep an unencrypted twin for the comparison, then encrypt the original in place.
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&root)
        .arg(&plain)
        .status()
        .expect("cp");
    assert!(status.success());
    encrypt_backup_in_place(&root, &EncryptOptions::new("bench").real_iterations());
    println!(
        "wrote {} (encrypted, password `bench`) and {} ({files} extra files)",
        root.display(),
        plain.display()
    );
}
