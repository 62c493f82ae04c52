//! Random number, key-choice and value generators, following YCSB's core generators.
//!
//! - [`Rng`]: xoshiro256++ seeded through SplitMix64. Fast, not cryptographic; one per worker so
//!   there is no shared state on the hot path.
//! - [`Zipfian`]: YCSB's `ZipfianGenerator` (Gray et al., "Quickly generating billion-record
//!   synthetic databases"), theta 0.99, item 0 the most popular. The item count may grow (the
//!   `latest` distribution and inserts during a run); zeta is then extended incrementally.
//! - [`KeyChooser`]: `uniform`, `zipfian` or `latest` (YCSB's `SkewedLatestGenerator`: the most
//!   recently inserted record is the most popular).
//! - [`key_name`]: record number to key, `user<n>` where `n` is a bijective 64-bit mix of the
//!   record number (YCSB's hashed insert order, without collisions), so popular records are
//!   spread over the key space instead of clustering at one end of it.
//! - [`Values`]: field values cut from a pre-generated buffer of random alphanumerics, so values
//!   vary per request, cost no per-byte work, and never need JSON escaping.
//!
//! Invariants: every chooser returns a record number in `[0, count)` for the `count` it is
//! given (`count >= 1`); values only contain `[0-9A-Za-z]`.

/// xoshiro256++.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

/// SplitMix64's output function: a bijection on `u64`.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator seeded from `seed` (any value, including 0).
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            mix64(x)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[0, n)`; `n == 0` returns 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift; the bias is < n / 2^64, irrelevant here.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// YCSB's Zipfian constant.
pub const ZIPFIAN_THETA: f64 = 0.99;

/// Zipfian over `[0, items)` with item 0 the most popular.
#[derive(Clone, Debug)]
pub struct Zipfian {
    items: u64,
    theta: f64,
    alpha: f64,
    zeta2: f64,
    zetan: f64,
    eta: f64,
}

fn zeta_range(from: u64, to: u64, theta: f64, initial: f64) -> f64 {
    let mut sum = initial;
    for i in from..to {
        sum += 1.0 / ((i + 1) as f64).powf(theta);
    }
    sum
}

impl Zipfian {
    /// A generator over `[0, items)` (`items` is raised to at least 1). Costs O(items) once.
    pub fn new(items: u64) -> Self {
        let items = items.max(1);
        let theta = ZIPFIAN_THETA;
        let zeta2 = zeta_range(0, 2, theta, 0.0);
        let zetan = zeta_range(0, items, theta, 0.0);
        let mut z = Self {
            items,
            theta,
            alpha: 1.0 / (1.0 - theta),
            zeta2,
            zetan,
            eta: 0.0,
        };
        z.eta = z.compute_eta();
        z
    }

    fn compute_eta(&self) -> f64 {
        (1.0 - (2.0 / self.items as f64).powf(1.0 - self.theta)) / (1.0 - self.zeta2 / self.zetan)
    }

    /// A value in `[0, count)`. If `count` grew since the last call, zeta is extended
    /// incrementally (YCSB does the same); a smaller `count` is clamped into range.
    pub fn next(&mut self, rng: &mut Rng, count: u64) -> u64 {
        let count = count.max(1);
        if count > self.items {
            self.zetan = zeta_range(self.items, count, self.theta, self.zetan);
            self.items = count;
            self.eta = self.compute_eta();
        }
        let u = rng.next_f64();
        let uz = u * self.zetan;
        if uz < 1.0 {
            return 0;
        }
        if uz < 1.0 + 0.5f64.powf(self.theta) {
            return 1.min(count - 1);
        }
        let v = (self.items as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        v.min(count - 1)
    }
}

/// Request distribution over record numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Distribution {
    /// Every record equally likely.
    Uniform,
    /// Zipfian (theta 0.99) over record numbers, record 0 the most popular.
    Zipfian,
    /// Zipfian over recency: the most recently inserted record is the most popular.
    Latest,
}

impl Distribution {
    /// The lowercase name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Uniform => "uniform",
            Self::Zipfian => "zipfian",
            Self::Latest => "latest",
        }
    }
}

/// Chooses the record an operation reads or updates.
#[derive(Clone, Debug)]
pub enum KeyChooser {
    /// See [`Distribution::Uniform`].
    Uniform,
    /// See [`Distribution::Zipfian`].
    Zipfian(Zipfian),
    /// See [`Distribution::Latest`].
    Latest(Zipfian),
}

impl KeyChooser {
    /// A chooser for `records` existing records. Zipfian set-up is O(records): build once and
    /// clone per worker.
    pub fn new(dist: Distribution, records: u64) -> Self {
        match dist {
            Distribution::Uniform => Self::Uniform,
            Distribution::Zipfian => Self::Zipfian(Zipfian::new(records)),
            Distribution::Latest => Self::Latest(Zipfian::new(records)),
        }
    }

    /// A record number in `[0, count)`, where `count` is the number of records inserted so far.
    pub fn next(&mut self, rng: &mut Rng, count: u64) -> u64 {
        let count = count.max(1);
        match self {
            Self::Uniform => rng.below(count),
            Self::Zipfian(z) => z.next(rng, count),
            Self::Latest(z) => count - 1 - z.next(rng, count),
        }
    }
}

/// The key of record `n`.
pub fn key_name(n: u64) -> String {
    format!("user{}", mix64(n))
}

/// Random alphanumeric field values.
#[derive(Clone, Debug)]
pub struct Values {
    buf: Vec<u8>,
}

const VALUE_BUFFER: usize = 1 << 16;
const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl Values {
    /// A buffer able to serve values of up to `max_len` bytes.
    pub fn new(rng: &mut Rng, max_len: usize) -> Self {
        let len = VALUE_BUFFER + max_len;
        let buf = (0..len)
            .map(|_| {
                let i = rng.below(ALPHABET.len() as u64) as usize;
                ALPHABET.get(i).copied().unwrap_or(b'x')
            })
            .collect();
        Self { buf }
    }

    /// A value of `len` bytes (at most the `max_len` given to [`Values::new`]).
    pub fn value(&self, rng: &mut Rng, len: usize) -> &str {
        let start = rng.below(VALUE_BUFFER as u64) as usize;
        let bytes = self.buf.get(start..start + len).unwrap_or_default();
        // The buffer is ASCII only, so this cannot fail.
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_and_f64_ranges() {
        let mut rng = Rng::new(1);
        for _ in 0..10_000 {
            assert!(rng.below(7) < 7);
            let f = rng.next_f64();
            assert!((0.0..1.0).contains(&f));
        }
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn zipfian_stays_in_range_and_is_skewed() {
        let mut rng = Rng::new(42);
        let n = 1000;
        let mut z = Zipfian::new(n);
        let mut counts = vec![0u64; n as usize];
        for _ in 0..200_000 {
            let v = z.next(&mut rng, n);
            assert!(v < n);
            counts[v as usize] += 1;
        }
        // Item 0 is the most popular, far above the uniform share (200).
        assert!(
            counts[0] > counts[10] && counts[0] > 10_000,
            "{}",
            counts[0]
        );
        assert!(counts[0] >= *counts.iter().max().unwrap());
        // Every decile of the key space still gets traffic.
        assert!(counts[900..].iter().sum::<u64>() > 0);
    }

    #[test]
    fn zipfian_grows_and_clamps() {
        let mut rng = Rng::new(7);
        let mut z = Zipfian::new(10);
        let mut max_seen = 0;
        for _ in 0..50_000 {
            let v = z.next(&mut rng, 100);
            assert!(v < 100);
            max_seen = max_seen.max(v);
        }
        assert!(max_seen >= 10, "growth reached new items");
        for _ in 0..1000 {
            assert!(z.next(&mut rng, 5) < 5);
            assert_eq!(z.next(&mut rng, 1), 0);
        }
    }

    #[test]
    fn latest_prefers_recent_records() {
        let mut rng = Rng::new(3);
        let mut c = KeyChooser::new(Distribution::Latest, 1000);
        let mut recent = 0;
        for i in 0..10_000u64 {
            let count = 1000 + i / 10;
            let v = c.next(&mut rng, count);
            assert!(v < count);
            if v + 10 >= count {
                recent += 1;
            }
        }
        assert!(recent > 3_000, "{recent}");
    }

    #[test]
    fn uniform_covers_range() {
        let mut rng = Rng::new(9);
        let mut c = KeyChooser::new(Distribution::Uniform, 10);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let v = c.next(&mut rng, 10);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn keys_are_distinct_and_values_alphanumeric() {
        let keys: std::collections::HashSet<String> = (0..10_000).map(key_name).collect();
        assert_eq!(keys.len(), 10_000);
        let mut rng = Rng::new(5);
        let v = Values::new(&mut rng, 100);
        let s = v.value(&mut rng, 100);
        assert_eq!(s.len(), 100);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
