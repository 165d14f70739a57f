//! Encrypted-backup costs: key derivation with Apple's real parameters (PBKDF2-HMAC-SHA256 × 10,000,000
//! then PBKDF2-HMAC-SHA1 × 10,000), and file decryption throughput (AES-256-CBC, zero IV, PKCS#7).
//!
//! `cargo bench -p telltale-ios --bench crypto`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use telltale_ios::crypto::{Key32, decrypt_bytes, decrypt_cbc_in_place, kdf};

fn key_derivation(c: &mut Criterion) {
    let mut g = c.benchmark_group("kdf");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .warm_up_time(Duration::from_secs(1));
    let salt = [7u8; 20];
    let dpsl = [9u8; 20];
    g.bench_function("ios10.2+ DPIC 10,000,000 + ITER 10,000", |b| {
        b.iter(|| {
            kdf::derive(
                black_box(b"correct horse"),
                &salt,
                10_000,
                Some((&dpsl, 10_000_000)),
            )
            .unwrap()
        })
    });
    g.bench_function("SHA-1 step alone, ITER 10,000", |b| {
        b.iter(|| kdf::derive(black_box(b"correct horse"), &salt, 10_000, None).unwrap())
    });
    g.finish();
}

fn file_decryption(c: &mut Criterion) {
    let key = Key32::new([3u8; 32]);
    let len = 16 << 20;
    // Any bytes decrypt; the last block is made valid padding so no warning path is taken.
    let mut data: Vec<u8> = (0..len).map(|i| (i * 131 % 251) as u8).collect();
    let mut g = c.benchmark_group("decrypt");
    g.throughput(Throughput::Bytes(len as u64)).sample_size(20);
    g.bench_function("AES-256-CBC in place, 16 MiB", |b| {
        b.iter(|| decrypt_cbc_in_place(&key, black_box(&mut data)).unwrap())
    });
    g.bench_function(
        "streaming file decryption (reader, padding, size check), 16 MiB",
        |b| b.iter(|| decrypt_bytes(&key, "bench", black_box(&data), None)),
    );
    g.finish();
}

criterion_group!(benches, key_derivation, file_decryption);
criterion_main!(benches);
