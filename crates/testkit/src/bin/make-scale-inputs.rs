//! Writes the scaling probes of the hardening work into a folder:
//! `cargo run --release -p telltale-testkit --bin make-scale-inputs -- /tmp/scale`
//!
//! Each acquisition holds one oversized value (a path, a property, a process or package name, a
//! setting, a bugreport section line, an intrusion-log host, a Safari URL), at 8 MiB and at 32 MiB.
//! Checking both sizes with the release binary shows whether a parser or a writer is superlinear in
//! the size of one value, which the fuzzers (inputs of at most 64 KB) cannot see. See docs/fuzzing.md.

use std::path::Path;

use telltale_testkit::androidqf::{AndroidQf, FileEntry, Package};
use telltale_testkit::bugreport::{Bugreport, IntrusionLogs};
use telltale_testkit::ios_dbs::{IosVersion, SmsDb};
use telltale_testkit::ios_web::{SafariHistory, utc};

fn main() -> std::io::Result<()> {
    let root = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "scale-inputs".to_string()),
    );
    if root.exists() {
        std::fs::remove_dir_all(&root)?;
    }
    std::fs::create_dir_all(&root)?;
    for mb in [8usize, 32] {
        let n = mb << 20;
        let at = |name: &str| root.join(format!("{name}-{mb}"));
        AndroidQf::new()
            .file(FileEntry::new(&format!("/data/{}x", "a/".repeat(n / 2))))
            .write_dir(&at("qf-files"))?;
        AndroidQf::new()
            .prop("ro.x", &"v ".repeat(n / 2))
            .write_dir(&at("qf-prop"))?;
        AndroidQf::new()
            .process(&"p".repeat(n))
            .write_dir(&at("qf-ps"))?;
        AndroidQf::new()
            .package(Package::new(&"c.".repeat(n / 2)))
            .write_dir(&at("qf-pkg"))?;
        AndroidQf::new()
            .setting("secure", "k", &"v,".repeat(n / 2))
            .write_dir(&at("qf-set"))?;
        Bugreport::new()
            .service(
                "package",
                &format!(
                    "Packages:\n  Package [{}] (abc):\n    versionName=1.0\n",
                    "c.".repeat(n / 2)
                ),
            )
            .service(
                "appops",
                &format!("  Package {}:\n    CAMERA (allow):\n", "c".repeat(n)),
            )
            .service("activity", &"a b c\n".repeat(n / 6))
            .getprop(&[("ro.build.version.sdk", "34")])
            .write_folder(&at("br"))?;
        // A first line longer than the kind sniffer reads: the folder is not recognised (exit 2).
        IntrusionLogs::new()
            .dns(
                "a.txt",
                1_700_000_000_000,
                &"a.".repeat(n / 2),
                &["1.2.3.4"],
                "com.x",
            )
            .write_folder(&at("intr"))?;
        let url = format!("https://x.org/{}", "a.".repeat(n / 2));
        let history = root.join("History.db");
        SafariHistory::new()
            .visit(&url, utc("2023-01-01T00:00:00Z"))
            .write(&history);
        let safari = std::fs::read(&history)?;
        std::fs::remove_file(&history)?;
        let sms = SmsDb::new(IosVersion::V16)
            .message(
                "+15555550100",
                &format!("{} https://example.org/x", "w ".repeat(n / 2)),
                700_000_000.0,
            )
            .to_bytes();
        telltale_testkit::ios_backup::BackupBuilder::new()
            .add_file("HomeDomain", "Library/Safari/History.db", safari)
            .add_file("HomeDomain", "Library/SMS/sms.db", sms)
            .write(Path::new(&at("ios")));
        println!("wrote the {mb} MiB probes");
    }
    Ok(())
}
