//! [`KeyRange`]: an inclusive range of the 64-bit point space a partition owns, and the
//! arithmetic the planner needs (width, share, even division).

/// Points in the whole key space: 2^64.
pub const SPACE: u128 = 1 << 64;

/// The inclusive point range `[start, end]` of a partition (as `PartitionDesc` in
/// `shoal-storage`). Invariant: `start <= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyRange {
    /// First point, inclusive.
    pub start: u64,
    /// Last point, inclusive.
    pub end: u64,
}

impl KeyRange {
    /// The whole key space.
    pub const FULL: KeyRange = KeyRange {
        start: 0,
        end: u64::MAX,
    };

    /// `[start, end]`, or `None` when `end < start`.
    pub fn new(start: u64, end: u64) -> Option<Self> {
        (start <= end).then_some(Self { start, end })
    }

    /// Number of points, `1..=2^64`.
    pub fn width(&self) -> u128 {
        u128::from(self.end) - u128::from(self.start) + 1
    }

    /// The fraction of the key space it covers, in `(0, 1]`.
    pub fn share(&self) -> f64 {
        self.width() as f64 / SPACE as f64
    }

    /// Whether `point` is in the range.
    pub fn contains(&self, point: u64) -> bool {
        self.start <= point && point <= self.end
    }

    /// The first point of the `i`-th of `n` near-equal parts (`i` in `0..=n`; `i == n`
    /// gives one past the end, as a `u128`). Parts differ in width by at most one point.
    fn boundary(&self, i: u64, n: u64) -> u128 {
        u128::from(self.start) + self.width() * u128::from(i) / u128::from(n.max(1))
    }

    /// Parts `[a, b)` of `n` near-equal parts, as one range; `None` when empty (more
    /// parts than points) or out of bounds.
    pub fn parts(&self, a: u64, b: u64, n: u64) -> Option<KeyRange> {
        if a >= b || b > n {
            return None;
        }
        let lo = self.boundary(a, n);
        let hi = self.boundary(b, n);
        if hi <= lo {
            return None;
        }
        let start = u64::try_from(lo).ok()?;
        let end = u64::try_from(hi - 1).ok()?;
        KeyRange::new(start, end)
    }

    /// The range divided into `n` contiguous near-equal parts in key order; `None` when
    /// `n` is 0 or exceeds the number of points.
    pub fn split_even(&self, n: u64) -> Option<Vec<KeyRange>> {
        if n == 0 || u128::from(n) > self.width() {
            return None;
        }
        (0..n).map(|i| self.parts(i, i + 1, n)).collect()
    }
}

/// Whether `ranges`, in key order, cover the whole key space exactly once.
pub fn covers_space(ranges: &[KeyRange]) -> bool {
    let mut next: u128 = 0;
    for r in ranges {
        if u128::from(r.start) != next || r.end < r.start {
            return false;
        }
        next = u128::from(r.end) + 1;
    }
    next == SPACE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_space() {
        assert_eq!(KeyRange::FULL.width(), SPACE);
        assert_eq!(KeyRange::FULL.share(), 1.0);
        assert!(covers_space(&[KeyRange::FULL]));
        assert!(KeyRange::new(2, 1).is_none());
    }

    #[test]
    fn split_even_covers_exactly() {
        for n in [1u64, 2, 3, 7, 20, 1000] {
            let parts = KeyRange::FULL.split_even(n).unwrap_or_default();
            assert_eq!(parts.len() as u64, n);
            assert!(covers_space(&parts), "n={n}");
            let total: f64 = parts.iter().map(KeyRange::share).sum();
            assert!((total - 1.0).abs() < 1e-12);
        }
        let halves = KeyRange::FULL.split_even(2).unwrap_or_default();
        assert_eq!(
            halves[0],
            KeyRange {
                start: 0,
                end: (1 << 63) - 1
            }
        );
        assert_eq!(halves[1].share(), 0.5);
    }

    #[test]
    fn narrow_ranges() {
        let r = KeyRange { start: 10, end: 12 };
        assert_eq!(r.width(), 3);
        assert!(r.split_even(4).is_none());
        assert!(r.split_even(0).is_none());
        let p = r.split_even(3).unwrap_or_default();
        assert_eq!(
            p,
            vec![
                KeyRange { start: 10, end: 10 },
                KeyRange { start: 11, end: 11 },
                KeyRange { start: 12, end: 12 },
            ]
        );
        assert_eq!(r.parts(0, 2, 3), Some(KeyRange { start: 10, end: 11 }));
        assert!(r.contains(12) && !r.contains(13));
    }

    #[test]
    fn gaps_and_overlaps_do_not_cover() {
        let a = KeyRange { start: 0, end: 99 };
        let b = KeyRange {
            start: 101,
            end: u64::MAX,
        };
        assert!(!covers_space(&[a, b]));
        let b = KeyRange {
            start: 99,
            end: u64::MAX,
        };
        assert!(!covers_space(&[a, b]));
        let b = KeyRange {
            start: 100,
            end: u64::MAX,
        };
        assert!(covers_space(&[a, b]));
        assert!(!covers_space(&[a]));
    }
}
