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
//! 2. Only the disk moves reads to the pool. A read slower than [`EngineReads::SLOW_NS`]
//!    during which its thread read nothing from storage (the kernel's per-thread I/O
//!    accounting, [`StorageReads`]) was preempted or waited for a lock: it is not
//!    counted. With the load generator on the same two cores such stalls are common,
//!    and a pool thread, which competes for a core with the request worker, stalls
//!    more than the worker; counted, they kept 39% of the misses of a cold 1M-record
//!    GetItem run on the pool with every file in the page cache (bench/README.md,
//!    seventeenth round). Where the accounting is not available every read counts.
//! 3. The choice is only ever a placement: both places run the same read, so a wrong
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

    /// `read`, timed into the average when it runs (invariant 1), unless it was slow
    /// without reading from storage (invariant 2).
    pub fn timed<T>(self: &Arc<Self>, read: impl FnOnce() -> T) -> impl FnOnce() -> T {
        let reads = Arc::clone(self);
        move || {
            let start = Instant::now();
            let out = read();
            let took = start.elapsed().as_nanos();
            if took <= u128::from(Self::SLOW_NS) || StorageReads::since_last_asked() != Some(false)
            {
                reads.record(took);
            }
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

/// Whether the calling thread has read from storage: the `read_bytes` of
/// `/proc/thread-self/io`, which counts the bytes a thread made the kernel fetch from the
/// disk (a read served from the page cache adds nothing).
///
/// Asked only after a slow read, so a quick read costs nothing; each thread keeps its
/// file open and the count it saw last, and the bytes read since then are put down to
/// the slow read that asks (a thread's storage reads are its engine reads).
struct StorageReads {
    file: std::fs::File,
    last: u64,
}

impl StorageReads {
    /// Whether the calling thread read from storage since it last asked; `None` the first
    /// time it asks, and where the kernel does not account I/O per thread.
    fn since_last_asked() -> Option<bool> {
        thread_local! {
            /// `None` until the thread first asks; then the open counters, or `None`
            /// inside if they could not be read (not asked for again).
            static READS: std::cell::RefCell<Option<Option<StorageReads>>> =
                const { std::cell::RefCell::new(None) };
        }
        READS.with_borrow_mut(|reads| match reads {
            Some(Some(r)) => {
                let now = read_bytes(&r.file)?;
                let moved = now != r.last;
                r.last = now;
                Some(moved)
            }
            Some(None) => None,
            None => {
                *reads = Some(StorageReads::open());
                None
            }
        })
    }

    fn open() -> Option<StorageReads> {
        let file = std::fs::File::open("/proc/thread-self/io").ok()?;
        let last = read_bytes(&file)?;
        Some(StorageReads { file, last })
    }
}

/// The `read_bytes` line of a `/proc/<pid>/task/<tid>/io` file, read afresh from its start.
#[cfg(unix)]
fn read_bytes(file: &std::fs::File) -> Option<u64> {
    use std::os::unix::fs::FileExt;
    let mut buf = [0u8; 512];
    let n = file.read_at(&mut buf, 0).ok()?;
    parse_read_bytes(buf.get(..n)?)
}

#[cfg(not(unix))]
fn read_bytes(_: &std::fs::File) -> Option<u64> {
    None
}

fn parse_read_bytes(io: &[u8]) -> Option<u64> {
    std::str::from_utf8(io)
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("read_bytes:"))?
        .trim()
        .parse()
        .ok()
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

    /// A read that takes a millisecond without touching storage: a stalled thread.
    fn stall() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }

    #[test]
    fn timed_reads_that_stall_without_reading_storage_count_nothing() {
        let reads = Arc::new(EngineReads::default());
        for _ in 0..10 {
            reads.timed(stall)();
        }
        let accounted = std::path::Path::new("/proc/thread-self/io").exists();
        // Without the kernel's accounting, stalls count like disk reads.
        assert_eq!(reads.offload(), !accounted, "{reads:?}");
        assert_eq!(reads.timed(|| 7)(), 7);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn timed_reads_that_read_from_the_disk_count_what_they_took() {
        if !std::path::Path::new("/proc/thread-self/io").exists() {
            return;
        }
        // Under the build directory, which is on a disk (a tmpfs keeps its pages), or
        // beside the sources when the build directory is elsewhere.
        let target = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target");
        let dir = tempfile::tempdir_in(target)
            .or_else(|_| tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")))
            .expect("temporary directory");
        let path = dir.path().join("blocks");
        let block = vec![7u8; 64 << 10];
        std::fs::write(&path, block.repeat(64)).expect("write");
        let file = std::fs::File::open(&path).expect("open");
        file.sync_all().expect("sync");
        let evict = || {
            rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).expect("fadvise");
        };
        let reads = Arc::new(EngineReads::default());
        // The first slow read on a thread only learns its count.
        reads.timed(stall)();
        for i in 0..3u64 {
            evict();
            let read = reads.timed(|| {
                use std::os::unix::fs::FileExt;
                let mut buf = vec![0u8; 4096];
                file.read_exact_at(&mut buf, i << 20).expect("read");
                // However quickly the disk answered, the read is slow.
                stall();
                buf
            });
            assert_eq!(read().first(), Some(&7));
        }
        assert!(reads.offload(), "three disk reads: {reads:?}");
    }

    #[test]
    fn read_bytes_is_found_among_the_io_counters() {
        let io = b"rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 0\nread_bytes: 40960\nwrite_bytes: 0\ncancelled_write_bytes: 0\n";
        assert_eq!(parse_read_bytes(io), Some(40_960));
        assert_eq!(parse_read_bytes(b"rchar: 1\n"), None);
    }
}
