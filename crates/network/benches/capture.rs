//! Throughput of the streaming pass over a synthetic phone capture (testkit's `phone_capture`: DNS,
//! TLS 1.3 with 30 % post-quantum ClientHellos, QUIC with two Initials, bulk data), read from memory
//! with all built-in indicators: `cargo bench -p telltale-network --bench capture`.
//! Figures and the whole-binary measurement on a 500 MB file are in docs/benchmarks.md.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use telltale_ioc::IocIndex;
use telltale_network::engine::{Engine, Limits};

const SIZE: u64 = 64_000_000;

fn bench(c: &mut Criterion) {
    let mut file = Vec::with_capacity(SIZE as usize + (1 << 20));
    telltale_testkit::net_bench::phone_capture(&mut file, SIZE, 42).expect("generate");
    let iocs = IocIndex::builtin().expect("built-in indicators");
    let mut g = c.benchmark_group("network");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(file.len() as u64));
    g.bench_function("pass_64MB_builtin_iocs", |b| {
        b.iter(|| {
            let mut e = Engine::new(&iocs, Limits::default());
            let w = telltale_network::input::read_input(
                &mut e,
                "bench.pcap",
                Cursor::new(&file[..]),
                None,
            )
            .expect("read");
            let cap = e.finish();
            black_box((w, cap.counters.packets))
        })
    });
    g.bench_function("pass_64MB_no_hash", |b| {
        b.iter(|| {
            let mut e = Engine::new(&iocs, Limits::default());
            let mut r = telltale_network::pcap::PacketReader::new(
                telltale_network::pcap::Source::new(Cursor::new(&file[..])),
            )
            .expect("pcap");
            while let Some(p) = r.next_packet().expect("packet") {
                e.packet(&p);
            }
            black_box(e.finish().counters.packets)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
