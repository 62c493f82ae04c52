//! The committer's time slice (sched.rs), read back from `/proc`.

use std::time::{Duration, Instant};

use crate::{Store, StoreConfig};

/// The `se.slice` line of a thread's `/proc/.../sched`, in nanoseconds (absent on
/// kernels before 6.6).
fn slice_of(sched_file: &str) -> Option<u64> {
    let text = std::fs::read_to_string(sched_file).ok()?;
    text.lines()
        .find(|l| l.starts_with("se.slice"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse().ok())
}

/// Whether this kernel honours a slice asked for by a fair-class thread (6.12 and later).
fn honours_custom_slices() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release.trim().split(['.', '-']);
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (6, 12) && slice_of("/proc/thread-self/sched").is_some()
}

#[test]
fn a_thread_gets_the_short_slice_and_keeps_its_nice_value() {
    std::thread::spawn(|| {
        let before = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        assert!(
            super::prefer_short_slices(),
            "the scheduler refused the slice"
        );
        if honours_custom_slices() {
            assert_eq!(
                slice_of("/proc/thread-self/sched"),
                Some(super::SHORT_SLICE_NS)
            );
        }
        // Field 19 of stat (after the command's closing parenthesis: 17th) is the nice
        // value; the policy is the 41st (39th after it).
        let fields = |stat: &str| -> Vec<String> {
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace().map(String::from).collect())
                .unwrap_or_default()
        };
        let after = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        let (b, a) = (fields(&before), fields(&after));
        assert!(b.len() > 38 && a.len() > 38, "stat: {after}");
        assert_eq!(a[16], b[16], "nice value changed");
        assert_eq!(a[38], b[38], "policy changed");
    })
    .join()
    .expect("the test thread panicked");
}

#[test]
fn the_committer_runs_with_the_short_slice() {
    if !honours_custom_slices() {
        return; // nothing to read back: the kernel ignores the slice
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(StoreConfig {
        path: dir.path().to_path_buf(),
        cache_bytes: 8 << 20,
        item_cache_bytes: 8 << 20,
    })
    .expect("open");
    // Other tests of this process open stores too: every committer thread must get the
    // slice, each within moments of starting.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut committers = Vec::new();
        for task in std::fs::read_dir("/proc/self/task")
            .expect("tasks")
            .flatten()
        {
            let path = task.path();
            let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
            if comm.trim() == "shoal-commit" {
                committers.push(slice_of(&path.join("sched").to_string_lossy()));
            }
        }
        // A thread names itself once it runs, and one that ended between the two reads
        // has no slice to read: wait for at least one, and every one read to be short.
        let read: Vec<u64> = committers.iter().flatten().copied().collect();
        if !read.is_empty() && read.iter().all(|s| *s == super::SHORT_SLICE_NS) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "committer slices: {committers:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    store.close().expect("close");
}
