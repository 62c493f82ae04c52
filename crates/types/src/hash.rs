//! [`SeededState`]: the hasher of in-memory tables keyed by bytes that requests choose
//! (storage keys in the item cache, table names in the catalog).
//!
//! std's default, SipHash-1-3, cost ~300 instructions per lookup of a 30-byte storage key,
//! three lookups per PutItem (bench/README.md, twentieth round). This hasher runs the bytes
//! through xxh3 (~30 instructions at that length) seeded per process, so that a client
//! who chooses keys cannot aim them at one bucket without knowing the seed.
//!
//! Invariants a reader must keep:
//! 1. Hashes are for in-memory tables of one process only: the seed is drawn anew at every
//!    start, so a hash must never be stored or sent. ([`crate::key::point`] is the stable
//!    hash that is on disk.)
//! 2. Every write goes through the seed and the result is avalanched in `finish`, so
//!    integer keys are spread too, not only byte strings.

use std::hash::{BuildHasher, Hasher};

/// Builds [`SeededHasher`]s with this process's seed.
#[derive(Debug, Clone, Copy)]
pub struct SeededState {
    seed: u64,
}

impl SeededState {
    /// The process's seed, drawn once from std's random source.
    pub fn new() -> SeededState {
        static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let seed =
            *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0u64));
        SeededState { seed }
    }
}

impl Default for SeededState {
    fn default() -> SeededState {
        SeededState::new()
    }
}

impl BuildHasher for SeededState {
    type Hasher = SeededHasher;

    fn build_hasher(&self) -> SeededHasher {
        SeededHasher { state: self.seed }
    }
}

/// xxh3 of each byte write, seeded by the state so far; integers are folded in.
#[derive(Debug, Clone)]
pub struct SeededHasher {
    state: u64,
}

/// An odd constant (2^64 / golden ratio): multiplying by it is a bijection that carries
/// every bit upward.
const FOLD: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for SeededHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.state = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.state);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.state = (self.state ^ n).wrapping_mul(FOLD).rotate_left(29);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        // xxh3's (and murmur3's) final mix: every input bit reaches every output bit, so
        // the low bits a table indexes by depend on the whole state.
        let mut h = self.state;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
#[path = "hash_test.rs"]
mod tests;
