//! A tiny deterministic noise generator (xorshift64) for hostile-input tests: random bytes, bit flips,
//! lengths. Fixtures that must be cryptographically shaped use [`crate::ios_crypto::TestRng`].

/// Xorshift64; the seed must not be 0.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}
