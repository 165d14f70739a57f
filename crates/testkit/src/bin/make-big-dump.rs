//! Writes the filesystem-dump benchmark inputs (`testkit::big_dump`):
//! `cargo run --release -p telltale-testkit --bin make-big-dump -- DIR [FILES] [MIB] [folder,tar,tgz]`
//! (defaults: 1,000,000 files, 2048 MiB, all three forms) → `DIR/dump/`, `DIR/dump.tar`, `DIR/dump.tar.gz`.

use std::time::Instant;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).cloned().unwrap_or_else(|| "bench-dump".into()));
    let files: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mib: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2048);
    let forms = args
        .get(4)
        .cloned()
        .unwrap_or_else(|| "folder,tar,tgz".into());
    std::fs::create_dir_all(&out)?;
    let bytes = mib << 20;
    for form in forms.split(',') {
        let t = Instant::now();
        let (path, st) = match form {
            "folder" => {
                let p = out.join("dump");
                if p.exists() {
                    std::fs::remove_dir_all(&p)?;
                }
                let st = telltale_testkit::big_dump::big_dump_folder(&p, files, bytes)?;
                (p, st)
            }
            "tar" => {
                let p = out.join("dump.tar");
                let st = telltale_testkit::big_dump::big_dump_tar(&p, files, bytes, false)?;
                (p, st)
            }
            "tgz" => {
                let p = out.join("dump.tar.gz");
                let st = telltale_testkit::big_dump::big_dump_tar(&p, files, bytes, true)?;
                (p, st)
            }
            other => panic!("unknown form {other}: folder, tar or tgz"),
        };
        println!(
            "wrote {}: {} files, {:.0} MiB, in {:.1} s",
            path.display(),
            st.files,
            st.bytes as f64 / (1 << 20) as f64,
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
