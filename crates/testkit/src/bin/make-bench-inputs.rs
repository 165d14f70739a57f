//! Writes the benchmark inputs of the Android issue into a folder:
//! `cargo run --release -p telltale-testkit --bin make-bench-inputs -- /tmp/bench`
//!
//! * `bugreport-100MB.zip`: a bugreport whose dumpstate is about 100 MB;
//! * `androidqf-5000pkg/` and `androidqf-5000pkg.zip`: an AndroidQF acquisition with 5,000 packages and
//!   200,000 file records;
//! * `sysdiagnose-300MiB/` (extracted) and `sysdiagnose_…_21F90.tar.gz`: a 300 MiB sysdiagnose
//!   (`testkit::sysdiagnose::big_sysdiagnose`).

fn main() -> std::io::Result<()> {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "bench-inputs".to_string()),
    );
    std::fs::create_dir_all(&out)?;

    let text = telltale_testkit::bugreport::big_dumpstate(100 * 1024 * 1024);
    let bug = telltale_testkit::androidqf::zip_bytes(&[
        ("main_entry.txt".into(), b"bugreport-bench.txt".to_vec()),
        ("bugreport-bench.txt".into(), text),
    ])?;
    let p = out.join("bugreport-100MB.zip");
    std::fs::write(&p, bug)?;
    println!("wrote {}", p.display());

    let qf = telltale_testkit::androidqf::big_androidqf(5_000, 200_000);
    let dir = out.join("androidqf-5000pkg");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    qf.write_dir(&dir)?;
    println!("wrote {}", dir.display());
    let z = out.join("androidqf-5000pkg.zip");
    qf.write_zip(&z)?;
    println!("wrote {}", z.display());

    let sd = telltale_testkit::sysdiagnose::big_sysdiagnose(300);
    let dir = out.join("sysdiagnose-300MiB");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    sd.write_folder(&dir)?;
    println!("wrote {}", dir.display());
    let t = out.join(format!("{}.tar.gz", sd.name()));
    sd.write_tar_gz(&t)?;
    println!("wrote {}", t.display());
    Ok(())
}
