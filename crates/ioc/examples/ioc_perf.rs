//! Quick timing of the indicator engine with wall-clock and per-thread CPU time (the development
//! machine is shared, so CPU time is the steadier figure):
//! `cargo run --release -p telltale-ioc --example ioc_perf [rounds]`.

use std::hint::black_box;
use std::time::Instant;
use telltale_ioc::IocIndex;

#[path = "../benches/support/synthetic.rs"]
mod synthetic;
use synthetic::*;

/// User + system CPU time of this thread in seconds (Linux; 0 elsewhere), 10 ms resolution.
fn thread_cpu() -> (f64, f64) {
    let Ok(s) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return (0.0, 0.0);
    };
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

fn measure<T>(what: &str, per: f64, unit: &str, mut f: impl FnMut() -> T) {
    let (u0, s0) = thread_cpu();
    let t0 = Instant::now();
    black_box(f());
    let wall = t0.elapsed().as_secs_f64();
    let (u1, s1) = thread_cpu();
    let (user, sys) = (u1 - u0, s1 - s0);
    if per > 0.0 {
        println!(
            "{what}: wall {wall:.3} s ({:.2} M {unit}/s), user {user:.2} s, sys {sys:.2} s ({:.2} M {unit}/s of user+sys CPU)",
            per / wall / 1e6,
            per / (user + sys).max(0.01) / 1e6
        );
    } else {
        println!("{what}: wall {wall:.3} s, user {user:.2} s, sys {sys:.2} s");
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let doms = domains(N, 0x9e37_79b9_7f4a_7c15);
    let bytes = bundle(&doms);
    let load_rounds = if std::env::var_os("IOC_PERF_MATCH_ONLY").is_some() {
        0
    } else {
        rounds
    };
    for _ in 0..load_rounds {
        measure("load stix_1M_domains", 0.0, "", || {
            let mut b = IocIndex::builder();
            b.add_bundle(&bytes, "synthetic.stix2", None).unwrap();
            b.build()
        });
    }
    let mut b = IocIndex::builder();
    b.add_bundle(&bytes, "synthetic.stix2", None).unwrap();
    let idx = b.build();
    drop(bytes);
    for (name, observed) in [
        (
            "match hosts_vs_1M_domains",
            observed_3_labels(&doms, 100_000),
        ),
        (
            "match hosts_mixed_vs_1M_domains",
            observed_mixed(&doms, 100_000),
        ),
        ("match hosts_mixed_hot_cache (1000 distinct)", {
            let o = observed_mixed(&doms, 1000);
            (0..100_000).map(|i| o[i % 1000].clone()).collect()
        }),
    ] {
        let reps = 30;
        for _ in 0..rounds {
            measure(name, (observed.len() * reps) as f64, "hosts", || {
                let mut n = 0usize;
                for _ in 0..reps {
                    for h in &observed {
                        n += idx.match_host(black_box(h)).len();
                    }
                }
                n
            });
        }
    }
}
