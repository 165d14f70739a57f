//! The Ctrl-C cleanup: `cleanup_temp_dirs` removes every private folder of decrypted data still alive.
//! (Its own test binary: the cleanup is process-wide.)

use std::sync::Arc;

use telltale_core::{AcquisitionKind, OpenOptions, SecretProvider};
use telltale_ios::IosBackupKind;
use telltale_ios::crypto;
use telltale_testkit::ios_backup::BackupBuilder;
use telltale_testkit::ios_crypto::EncryptOptions;

struct Pw;
impl SecretProvider for Pw {
    fn password(&self, _: &str) -> Option<String> {
        Some("pw".into())
    }
}

#[test]
fn cleanup_removes_live_decrypted_copies() {
    let (t, _) = BackupBuilder::new()
        .add_file("HomeDomain", "Library/a.db", b"secret bytes")
        .build_encrypted(&EncryptOptions::new("pw"));
    let opts = OpenOptions {
        secrets: Some(Arc::new(Pw)),
        ..Default::default()
    };
    let acq = IosBackupKind.open(t.path(), &opts).unwrap().unwrap();
    let lf = acq
        .evidence()
        .local_file("HomeDomain/Library/a.db")
        .unwrap();
    assert_eq!(std::fs::read(lf.path()).unwrap(), b"secret bytes");
    let dir = lf.path().parent().unwrap().to_path_buf();
    assert!(crypto::live_temp_dirs().contains(&dir));
    assert!(crypto::cleanup_temp_dirs() >= 1);
    assert!(!dir.exists());
    assert!(crypto::live_temp_dirs().is_empty());
    // Dropping afterwards is harmless.
    drop(lf);
    drop(acq);
    assert_eq!(crypto::cleanup_temp_dirs(), 0);
}
