//! Synthetic indicator data shared by the `ioc` bench and the `ioc_perf` example.

#![allow(dead_code)]

pub const N: usize = 1_000_000;

pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn label(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| (b'a' + (self.next() % 26) as u8) as char)
            .collect()
    }
}

pub const TLDS: &[&str] = &["com", "net", "org", "xyz", "info", "io"];

pub fn domains(n: usize, seed: u64) -> Vec<String> {
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
pub fn bundle(domains: &[String]) -> Vec<u8> {
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

/// Observed hosts of the original benchmark: 1 in 10 is a subdomain of an indicator, the rest are
/// unrelated 3-label hosts.
pub fn observed_3_labels(doms: &[String], n: usize) -> Vec<String> {
    let mut r = Rng(42);
    (0..n)
        .map(|i| {
            if i % 10 == 0 {
                format!(
                    "{}.{}",
                    r.label(5),
                    doms[(r.next() % doms.len() as u64) as usize]
                )
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
        .collect()
}

/// A more realistic mix of observed hosts: 88 % unrelated hosts of 2 to 5 labels (a tenth of them
/// with `www.`), 10 % subdomains of an indicator, 2 % an indicator domain itself.
pub fn observed_mixed(doms: &[String], n: usize) -> Vec<String> {
    let mut r = Rng(4242);
    (0..n)
        .map(|i| {
            let pick = |r: &mut Rng| doms[(r.next() % doms.len() as u64) as usize].clone();
            match i % 50 {
                0 => pick(&mut r),
                1..=5 => {
                    let l = 2 + (r.next() % 6) as usize;
                    format!("{}.{}", r.label(l), pick(&mut r))
                }
                _ => {
                    let labels = 2 + (r.next() % 4) as usize;
                    let mut h = if r.next().is_multiple_of(10) {
                        String::from("www.")
                    } else {
                        String::new()
                    };
                    for _ in 0..labels - 1 {
                        let l = 2 + (r.next() % 12) as usize;
                        h.push_str(&r.label(l));
                        h.push('.');
                    }
                    h.push_str(TLDS[(r.next() % TLDS.len() as u64) as usize]);
                    h
                }
            }
        })
        .collect()
}
