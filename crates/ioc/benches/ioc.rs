//! Indicator engine benchmarks: `cargo bench -p telltale-ioc`.
//!
//! * load all built-in sets (target < 50 ms),
//! * load 1,000,000 synthetic domain indicators from a STIX bundle (target < 1.5 s),
//! * match hosts against them (target ≥ 5 M hosts/s on one core): the original mix (3-label hosts,
//!   10 % subdomains of indicators) and a more realistic one (2–5 labels, 12 % matching).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use telltale_ioc::IocIndex;

#[path = "support/synthetic.rs"]
mod synthetic;
use synthetic::*;

fn load_builtin(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    g.sample_size(20);
    g.bench_function("builtin_15_sets", |b| {
        b.iter(|| black_box(IocIndex::builtin().unwrap()))
    });
    let doms = domains(N, 0x9e37_79b9_7f4a_7c15);
    let bytes = bundle(&doms);
    eprintln!(
        "synthetic bundle: {} indicators, {} MiB",
        N,
        bytes.len() / (1024 * 1024)
    );
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("stix_1M_domains", |b| {
        b.iter(|| {
            let mut bld = IocIndex::builder();
            bld.add_bundle(black_box(&bytes), "synthetic.stix2", None)
                .unwrap();
            black_box(bld.build())
        })
    });
    g.finish();
}

fn match_hosts(c: &mut Criterion) {
    let doms = domains(N, 0x9e37_79b9_7f4a_7c15);
    let mut bld = IocIndex::builder();
    bld.add_bundle(&bundle(&doms), "synthetic.stix2", None)
        .unwrap();
    let idx = bld.build();
    let mut g = c.benchmark_group("match");
    for (name, observed) in [
        ("hosts_vs_1M_domains", observed_3_labels(&doms, 100_000)),
        ("hosts_mixed_vs_1M_domains", observed_mixed(&doms, 100_000)),
    ] {
        let hits = observed
            .iter()
            .filter(|h| !idx.match_host(h).is_empty())
            .count();
        assert!(hits >= observed.len() / 10, "{name}: {hits} hits");
        g.throughput(Throughput::Elements(observed.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0usize;
                for h in &observed {
                    n += idx.match_host(black_box(h)).len();
                }
                black_box(n)
            })
        });
    }
    g.finish();
}
criterion_group!(benches, load_builtin, match_hosts);
criterion_main!(benches);
