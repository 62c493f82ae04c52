//! Asking the scheduler to run the group committer soon after it wakes.
//!
//! Every acknowledged write passes through the committer twice: it wakes to sync the
//! journal, and wakes again when the sync returns, to publish it and wake the writers.
//! It needs little CPU (about a tenth of a core at 10k durable writes/s), but while the
//! request workers and, on a shared machine, other processes keep every core busy, each
//! wake-up waited its turn behind them: `perf sched latency` over a durable load on 2
//! cores (32 connections, load generator on the same machine) gave the committer an
//! average scheduling delay of 0.36-0.47 ms, against 0.06-0.08 ms for the request worker,
//! on writes whose whole server-side time was about 1.5 ms. With the short slice: 0.21-0.28
//! ms, and 300k-record loads ran 3-8% faster on average over 21 alternated pairs (15 of
//! them faster; workload A within this machine's spread). bench/README.md has the runs.
//!
//! Linux's fair scheduler (EEVDF, since 6.6) lets a thread ask for a shorter time slice
//! (`sched_setattr` with `sched_runtime` under `SCHED_OTHER`, honoured since 6.12). A
//! thread with a short slice gets an earlier deadline, so it preempts the running thread
//! when it wakes, without a larger share of the CPU and without privileges (a real-time
//! policy would need them, and measured slower). Older kernels accept the call and
//! ignore the slice; other systems keep their scheduler's default.
//!
//! A yield moves an EEVDF thread's deadline back by one slice, so with the short slice the
//! committer's gathering yields (durability.rs) give the core away for less long than
//! before; restoring the default slice while it gathers measured no different.
//!
//! Invariant: this only changes the slice of the calling thread. Its policy and nice
//! value stay as they were (an operator's `nice` or `chrt` is kept), and a failure only
//! costs the latency.

/// The slice the committer asks for: the shortest Linux grants (0.1 ms). Its wake-ups do
/// a few microseconds of work before they block again, so it never uses a slice up.
#[cfg(target_os = "linux")]
const SHORT_SLICE_NS: u64 = 100_000;

/// Asks for a short time slice for the calling thread (see the module docs). Returns
/// whether the scheduler accepted it.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(crate) fn prefer_short_slices() -> bool {
    const SCHED_OTHER: u32 = 0;
    const SCHED_FLAG_RESET_ON_FORK: u64 = 1;
    // SAFETY: `sched_attr` is plain data and `attr` lives across both calls; the size
    // passed and the one in the struct are its own (the kernel's first layout, which
    // every kernel since 3.14 reads). pid 0 is the calling thread.
    unsafe {
        let mut attr: libc::sched_attr = std::mem::zeroed();
        let size = std::mem::size_of::<libc::sched_attr>() as u32;
        if libc::syscall(libc::SYS_sched_getattr, 0, &mut attr, size, 0) != 0 {
            return false;
        }
        if attr.sched_policy != SCHED_OTHER {
            return false; // a policy the operator chose: leave it alone
        }
        attr.size = size;
        // Only reset-on-fork is a setting of the thread's; the other flags are requests.
        attr.sched_flags &= SCHED_FLAG_RESET_ON_FORK;
        attr.sched_runtime = SHORT_SLICE_NS;
        libc::syscall(libc::SYS_sched_setattr, 0, &attr, 0) == 0
    }
}

/// Elsewhere the scheduler's defaults stay.
#[cfg(not(target_os = "linux"))]
pub(crate) fn prefer_short_slices() -> bool {
    false
}

#[cfg(all(test, target_os = "linux"))]
#[path = "sched_test.rs"]
mod tests;
