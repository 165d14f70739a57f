//! Writes the synthetic phone capture of the network benchmark:
//! `cargo run --release -p telltale-testkit --bin make-net-bench -- OUT.pcap [MB]` (default 500 MB);
//! `… -- --short-flows N OUT.pcap` writes N short TCP flows (the flow-table bound's input).

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("--short-flows") {
        args.next();
        let n: u64 = args
            .next()
            .and_then(|s| s.parse().ok())
            .expect("a number of flows");
        let out = args.next().unwrap_or_else(|| "short-flows.pcap".into());
        let f = std::fs::File::create(&out).expect("create the output file");
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        let b = telltale_testkit::net_bench::short_flows(&mut w, n).expect("write");
        std::io::Write::flush(&mut w).expect("flush");
        println!("wrote {out}: {b} bytes, {n} short flows");
        return;
    }
    let out = args.next().unwrap_or_else(|| "net-bench.pcap".into());
    let mb: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(500);
    let f = std::fs::File::create(&out).expect("create the output file");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    let g = telltale_testkit::net_bench::phone_capture(&mut w, mb * 1_000_000, 42).expect("write");
    std::io::Write::flush(&mut w).expect("flush");
    println!(
        "wrote {out}: {} bytes, {} TLS and {} QUIC flows ({} post-quantum ClientHellos), {} names planted",
        g.bytes, g.tls_flows, g.quic_flows, g.post_quantum, g.names
    );
}
