//! A small, fast non-cryptographic hasher (FxHash-style with a final avalanche), shared by the
//! STIX loader (also compiled into build.rs) and the index.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast non-cryptographic hasher (FxHash-style). Keys come from indicator sets, lookups
/// from observed values; there is no adversarial insertion, so HashDoS resistance is not needed.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

pub(crate) const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            self.add(u64::from_le_bytes(a));
        }
        let r = chunks.remainder();
        if !r.is_empty() {
            let mut a = [0u8; 8];
            a[..r.len()].copy_from_slice(r);
            self.add(u64::from_le_bytes(a) ^ ((r.len() as u64) << 56));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche so that hashbrown's top-7-bit tags are well distributed.
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
