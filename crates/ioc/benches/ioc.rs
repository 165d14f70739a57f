//! Indicator engine benchmarks: `cargo bench -p telltale-ioc`.
//!
//! * load all built-in sets (target < 50 ms),
//! * load 1,000,000 synthetic domain indicators from a STIX bundle (target < 1.5 s),
//! * match hosts against them (target ≥ 5 M hosts/s on one core).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use telltale_ioc::IocIndex;

const N: usize = 1_000_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn label(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| (b'a' + (self.next() % 26) as u8) as char)
            .collect()
    }
}

const TLDS: &[&str] = &["com", "net", "org", "xyz", "info", "io"];

fn domains(n: usize, seed: u64) -> Vec<String> {
    let mut r = Rng(seed);
    (0..n)
        .map(|_| {
            let len = 6 + (r.next() % 10) as usize;
            let tld = TLDS[(r.next() % TLDS.len() as u64) as usize];
            format!("{}.{tld}", r.label(len))
        })
        .collect()
}

/// A STIX bundle: one malware object, one indicator and one `indicates` relationship per domain
/// (objects reduced to the fields the loader reads plus `valid_from`, ~240 bytes per domain).
fn bundle(domains: &[String]) -> Vec<u8> {
    let mut s = String::with_capacity(domains.len() * 300);
    s.push_str(r#"{"type":"bundle","id":"bundle--bench","objects":[{"type":"malware","id":"malware--0","name":"Synthetic","is_family":false}"#);
    for (i, d) in domains.iter().enumerate() {
        s.push_str(&format!(
            r#",{{"type":"indicator","id":"indicator--{i:036}","pattern":"[domain-name:value='{d}']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}}"#
        ));
        s.push_str(&format!(
            r#",{{"type":"relationship","id":"relationship--{i:036}","relationship_type":"indicates","source_ref":"indicator--{i:036}","target_ref":"malware--0"}}"#
        ));
    }
    s.push_str("]}");
    s.into_bytes()
}

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
    // Observed hosts: 1 in 10 is a subdomain of an indicator, the rest are unrelated 3-label hosts.
    let mut r = Rng(42);
    let observed: Vec<String> = (0..100_000)
        .map(|i| {
            if i % 10 == 0 {
                format!("{}.{}", r.label(5), doms[(r.next() % N as u64) as usize])
            } else {
                let len = 6 + (r.next() % 10) as usize;
                format!(
                    "{}.{}.{}",
                    r.label(3),
                    r.label(len),
                    TLDS[(r.next() % TLDS.len() as u64) as usize]
                )
            }
        })
        .collect();
    let hits: usize = observed
        .iter()
        .filter(|h| !idx.match_host(h).is_empty())
        .count();
    assert!(hits >= observed.len() / 10);
    let mut g = c.benchmark_group("match");
    g.throughput(Throughput::Elements(observed.len() as u64));
    g.bench_function("hosts_vs_1M_domains", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for h in &observed {
                n += idx.match_host(black_box(h)).len();
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, load_builtin, match_hosts);
criterion_main!(benches);
