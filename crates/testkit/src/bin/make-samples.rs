//! Regenerates the sample acquisitions in `examples/`: `cargo run -p telltale-testkit --bin make-samples -- examples`

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples".to_string());
    let root = std::path::Path::new(&out).join("ios-backup");
    if root.exists() {
        std::fs::remove_dir_all(&root).expect("remove the old sample");
    }
    let p = telltale_testkit::samples::ios_sample_backup(&root);
    println!("wrote {}", p.display());
    let net = std::path::Path::new(&out).join("network-capture.pcapng");
    std::fs::write(&net, telltale_testkit::samples::network_sample_capture())
        .expect("write the network sample");
    println!("wrote {}", net.display());
    let sd = std::path::Path::new(&out).join("ios-sysdiagnose");
    if sd.exists() {
        std::fs::remove_dir_all(&sd).expect("remove the old sample");
    }
    let p = telltale_testkit::samples::ios_sample_sysdiagnose(&sd);
    println!("wrote {}", p.display());
}
