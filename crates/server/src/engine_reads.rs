//! [`EngineReads`]: where point reads that miss the item cache run, from how long recent
//! ones took.
//!
//! Such a read is a memtable and block-cache lookup when the engine's files are in the
//! page cache (11-25 µs at 10M records on the bench machine), and one or two disk reads
//! when they are not (80 µs to milliseconds). A hop to the blocking pool costs about as
//! much as the quick read (~17 µs of server CPU per read measured at 10M records, and
//! always hopping made cold GetItem at 1M records 20-30% slower), so quick reads run
//! inline on the request worker. Slow ones must not: there is one request worker on two
//! cores, and inline, every connection waited behind each disk read in turn and one read
//! at a time reached the disk (GetItem at 10M records out of the page cache, first and
//! second 15-s run: 12k/24k per second inline, 21-23k/38-41k placed as here;
//! bench/README.md, sixteenth round).
//!
//! Invariants a reader must keep:
//! 1. Durations are measured around the read itself, wherever it runs: the hop's own cost
//!    and the wait for a pool thread never count as slowness, or reads once sent to the
//!    pool would stay there.
//! 2. The choice is only ever a placement: both places run the same read, so a wrong
//!    guess costs time, never a different answer.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A moving average of engine-read durations and the placement it implies. Shared by
/// every request; updated without a lock (a lost update among concurrent readers only
/// blurs the average).
#[derive(Debug, Default)]
pub struct EngineReads {
    /// Recent reads' mean duration in nanoseconds, each new one weighing 1/8 and
    /// counting for at most [`EngineReads::CLAMP_NS`]: two or three disk reads in a row
    /// move reads to the pool, while a single stall (the worker preempted in the middle
    /// of a quick read, common with the load generator on the same two cores) does not.
    /// Unclamped, such stalls sent ~5% of the misses of a cold 1M-record GetItem run to
    /// the pool.
    mean_ns: AtomicU64,
    /// Whether reads run on the blocking pool now.
    offload: AtomicBool,
    /// Reads run inline and on the pool, for metrics.
    inline_total: AtomicU64,
    pool_total: AtomicU64,
}

impl EngineReads {
    /// Reads go to the pool when the mean rises above this: above a read served from
    /// the page cache at 10M records, below one that waits for the disk.
    pub const SLOW_NS: u64 = 50_000;
    /// They come back inline when it falls under this. Between the two the placement
    /// stays as it is: a disk-bound load has quick reads too (items whose blocks are
    /// cached), and inline stretches between its slow reads halved its rate.
    pub const QUICK_NS: u64 = 25_000;
    /// The most one read adds to the average, however long it took.
    pub const CLAMP_NS: u64 = 4 * Self::SLOW_NS;

    /// Whether the next read should run on the blocking pool; counts it as run where
    /// the answer says.
    pub fn offload(&self) -> bool {
        let offload = self.offload.load(Ordering::Relaxed);
        let counter = if offload {
            &self.pool_total
        } else {
            &self.inline_total
        };
        counter.fetch_add(1, Ordering::Relaxed);
        offload
    }

    /// Reads placed inline and on the pool so far.
    pub fn totals(&self) -> (u64, u64) {
        (
            self.inline_total.load(Ordering::Relaxed),
            self.pool_total.load(Ordering::Relaxed),
        )
    }

    /// `read`, timed into the average when it runs (invariant 1).
    pub fn timed<T>(self: &Arc<Self>, read: impl FnOnce() -> T) -> impl FnOnce() -> T {
        let reads = Arc::clone(self);
        move || {
            let start = Instant::now();
            let out = read();
            reads.record(start.elapsed().as_nanos());
            out
        }
    }

    /// Adds one read's duration to the average and moves the placement past a threshold.
    pub fn record(&self, took_ns: u128) {
        let took = u64::try_from(took_ns).map_or(Self::CLAMP_NS, |t| t.min(Self::CLAMP_NS));
        let mean = self.mean_ns.load(Ordering::Relaxed);
        let next = mean - mean / 8 + took / 8;
        self.mean_ns.store(next, Ordering::Relaxed);
        if next > Self::SLOW_NS {
            self.offload.store(true, Ordering::Relaxed);
        } else if next < Self::QUICK_NS {
            self.offload.store(false, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISK_READ_NS: u128 = 400_000;
    const CACHED_READ_NS: u128 = 15_000;

    #[test]
    fn reads_start_inline_and_are_counted_where_they_run() {
        let reads = EngineReads::default();
        assert!(!reads.offload());
        assert!(!reads.offload());
        for _ in 0..3 {
            reads.record(DISK_READ_NS);
        }
        assert!(reads.offload());
        assert_eq!(reads.totals(), (2, 1));
    }

    #[test]
    fn a_run_of_disk_reads_moves_reads_to_the_pool_and_quick_ones_bring_them_back() {
        let reads = EngineReads::default();
        for _ in 0..3 {
            reads.record(DISK_READ_NS);
        }
        assert!(reads.offload(), "three disk reads: {:?}", reads);
        let mut quick = 0;
        while reads.offload() {
            reads.record(CACHED_READ_NS);
            quick += 1;
            assert!(quick < 100, "quick reads never brought reads back inline");
        }
        // From a mean of ~66 µs down to under 25 µs at 1/8 per read: 13 reads.
        assert!(
            (10..20).contains(&quick),
            "back inline after {quick} quick reads"
        );
    }

    #[test]
    fn between_the_thresholds_the_placement_stays() {
        let reads = EngineReads::default();
        for _ in 0..100 {
            reads.record(40_000);
        }
        assert!(!reads.offload(), "40 µs reads from inline: {reads:?}");
        for _ in 0..100 {
            reads.record(DISK_READ_NS);
        }
        for _ in 0..100 {
            reads.record(40_000);
        }
        assert!(reads.offload(), "40 µs reads from the pool: {reads:?}");
    }

    #[test]
    fn a_single_stall_among_quick_reads_moves_nothing_two_in_a_row_do() {
        let reads = EngineReads::default();
        for _ in 0..50 {
            reads.record(CACHED_READ_NS);
        }
        reads.record(2_000_000);
        assert!(!reads.offload(), "one stall: {reads:?}");
        reads.record(2_000_000);
        assert!(reads.offload(), "two stalls: {reads:?}");
    }

    #[test]
    fn timed_reads_count_what_they_took() {
        let reads = Arc::new(EngineReads::default());
        for _ in 0..3 {
            let read = reads.timed(|| std::thread::sleep(std::time::Duration::from_millis(1)));
            read();
        }
        assert!(reads.offload(), "{reads:?}");
        assert_eq!(reads.timed(|| 7)(), 7);
    }
}
