//! Group commit: many writers, one fsync.
//!
//! A writer reserves a [`Ticket`] (a number that only grows), commits its batch into the
//! engine's journal buffer, then completes the ticket. The committer thread takes as its
//! target the ticket just below the lowest reserved-but-incomplete one (or the newest, if
//! none is pending), fsyncs the journal, and publishes the target as durable: every
//! ticket up to the target belongs to a batch that was in the journal before the sync.
//! Reserving before the commit lets a partition record its latest ticket before the
//! write becomes visible, so readers learn which ticket covers what they read without
//! taking a lock.
//!
//! Batching comes from the sync itself: the journal is not locked while the disk syncs
//! (see `JournalSync` in journal.rs), so writers keep committing during an fsync and the
//! next fsync covers all of them. The committer never sleeps to gather writers
//! (measured: a 1 ms gathering wait set the floor of every write's latency), but before a
//! sync it yields its core while writers are still arriving (see [`Durability::gather`]).
//!
//! Waiting is a plain [`Future`] so the crate needs no async runtime; the committer wakes
//! the wakers of every ticket it made durable. Its thread asks the scheduler for short
//! time slices (sched.rs), so that its wake-ups do not wait behind busy threads.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::{Error, Result};

/// The longest the committer gathers writers before a sync, however slow the syncs are.
const MAX_GATHER: Duration = Duration::from_millis(2);

/// How many yields in a row must see no writer arrive before the committer stops
/// gathering. One was not enough: a yield can hand the core to a thread that is no
/// writer (the load generator, the engine's compactions) and end the gathering early
/// (measured at 32 connections, 300k-record loads in alternated pairs: 3 in a row with
/// three times the sync as budget gave -4% to +18% puts/s against 1 with one sync, the
/// machine's noise, with fewer flushes in most pairs; no change at 8 or 16 connections).
const QUIET_YIELDS: u32 = 3;

/// A position in the journal a writer waits to see synced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(pub u64);

/// Shared state between writers and the committer thread.
pub struct Durability {
    issued: AtomicU64,
    /// Reserved tickets whose batches are not in the journal yet.
    pending: Mutex<std::collections::BTreeSet<u64>>,
    /// Writers inside the write path (reserved or about to reserve).
    durable: AtomicU64,
    failed: Mutex<Option<String>>,
    waiters: Mutex<Vec<(u64, Waker)>>,
    work: Mutex<bool>,
    work_ready: Condvar,
    durable_cv: Condvar,
    stop: AtomicBool,
}

impl std::fmt::Debug for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Durability")
            .field("issued", &self.issued.load(Ordering::Relaxed))
            .field("durable", &self.durable.load(Ordering::Relaxed))
            .finish()
    }
}

impl Durability {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Durability {
            issued: AtomicU64::new(0),
            pending: Mutex::new(std::collections::BTreeSet::new()),
            durable: AtomicU64::new(0),
            failed: Mutex::new(None),
            waiters: Mutex::new(Vec::new()),
            work: Mutex::new(false),
            work_ready: Condvar::new(),
            durable_cv: Condvar::new(),
            stop: AtomicBool::new(false),
        })
    }

    /// Reserves the ticket of a batch about to be committed. It must be completed (also
    /// when the commit fails), or the committer can never publish past it.
    pub(crate) fn reserve(&self) -> Ticket {
        let mut pending = self.pending.lock();
        let t = self.issued.fetch_add(1, Ordering::AcqRel) + 1;
        pending.insert(t);
        Ticket(t)
    }

    /// Marks a reserved ticket's batch as in the journal and wakes the committer.
    pub(crate) fn complete(&self, ticket: Ticket) {
        self.pending.lock().remove(&ticket.0);
        let mut work = self.work.lock();
        *work = true;
        self.work_ready.notify_one();
    }

    /// The highest ticket every batch up to which is in the journal.
    fn syncable(&self) -> u64 {
        let pending = self.pending.lock();
        match pending.first() {
            Some(lowest) => lowest - 1,
            None => self.issued.load(Ordering::Acquire),
        }
    }

    /// The newest ticket handed out: waiting for it covers every committed write.
    pub fn latest(&self) -> Ticket {
        Ticket(self.issued.load(Ordering::Acquire))
    }

    /// A future that resolves once the ticket's batch is on disk.
    pub fn wait(self: &Arc<Self>, ticket: Ticket) -> DurableFuture {
        DurableFuture {
            durability: Arc::clone(self),
            ticket: ticket.0,
        }
    }

    /// Blocks the calling thread until the ticket is durable (for sync callers).
    pub fn wait_blocking(&self, ticket: Ticket) -> Result<()> {
        let mut guard = self.work.lock();
        loop {
            if let Some(e) = self.failed.lock().clone() {
                return Err(Error::SyncFailed(e));
            }
            if self.durable.load(Ordering::Acquire) >= ticket.0 {
                return Ok(());
            }
            self.durable_cv.wait(&mut guard);
        }
    }

    fn poll_ticket(&self, ticket: u64, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if let Some(e) = self.failed.lock().clone() {
            return Poll::Ready(Err(Error::SyncFailed(e)));
        }
        if self.durable.load(Ordering::Acquire) >= ticket {
            return Poll::Ready(Ok(()));
        }
        let mut waiters = self.waiters.lock();
        // Re-check under the waiter lock: the committer publishes `durable` before it
        // takes this lock to wake, so either we see the new value or it sees our waker.
        if self.durable.load(Ordering::Acquire) >= ticket {
            return Poll::Ready(Ok(()));
        }
        waiters.push((ticket, cx.waker().clone()));
        Poll::Pending
    }

    /// Lets writers that are about to commit join the coming sync: yields the core while
    /// new tickets keep being issued or reserved ones are still mid-commit, for at most
    /// `budget` (three times the previous sync's duration, at most [`MAX_GATHER`]).
    ///
    /// Why: when the cores are busy, the committer woken by the first completed write
    /// would otherwise sync it at once while the writers behind it wait for a core, and
    /// every fsync costs about 100 µs of CPU here (most of it in the kernel and the
    /// virtual disk's notification). Yielding hands the core to those writers; once they
    /// have all committed (no new ticket over a few yields) there is nothing left to gather
    /// and the sync starts. A lone writer (one ticket since the last sync) is synced at
    /// once, and on idle cores a yield returns immediately. Measured on 2 cores, 300k
    /// PutItems of 1 KB at 32 connections: about 12 puts per disk flush instead of 6, and
    /// a tenth less server CPU per put (fewer syncs, and fewer wake-ups of the request
    /// workers, which the committer now wakes in larger groups).
    fn gather(&self, budget: Duration) {
        let mut seen = self.issued.load(Ordering::Acquire);
        if seen.saturating_sub(self.durable.load(Ordering::Acquire)) <= 1 {
            return;
        }
        let mut quiet = 0;
        let start = Instant::now();
        while start.elapsed() < budget {
            std::thread::yield_now();
            let now = self.issued.load(Ordering::Acquire);
            if now == seen && self.pending.lock().is_empty() {
                quiet += 1;
                if quiet == QUIET_YIELDS {
                    return;
                }
            } else {
                quiet = 0;
            }
            seen = now;
        }
    }

    /// The committer loop: runs on its own thread until [`Durability::shutdown`].
    pub(crate) fn run_committer(&self, mut sync: impl FnMut() -> std::result::Result<(), String>) {
        let mut last_sync = Duration::ZERO;
        loop {
            {
                let mut pending = self.work.lock();
                while !*pending && !self.stop.load(Ordering::Acquire) {
                    self.work_ready.wait(&mut pending);
                }
                if !*pending && self.stop.load(Ordering::Acquire) {
                    return;
                }
                *pending = false;
            }
            self.gather((last_sync * 3).min(MAX_GATHER));
            let target = self.syncable();
            if target <= self.durable.load(Ordering::Acquire) {
                continue;
            }
            let started = Instant::now();
            let synced = sync();
            last_sync = started.elapsed();
            if let Err(e) = synced {
                tracing::error!(error = %e, "journal fsync failed; refusing further writes");
                *self.failed.lock() = Some(e);
                self.wake_all();
                return;
            }
            self.durable.store(target, Ordering::Release);
            self.wake_upto(target);
        }
    }

    fn wake_upto(&self, target: u64) {
        let ready: Vec<Waker> = {
            let mut waiters = self.waiters.lock();
            let mut ready = Vec::new();
            waiters.retain(|(t, w)| {
                if *t <= target {
                    ready.push(w.clone());
                    false
                } else {
                    true
                }
            });
            ready
        };
        for w in ready {
            w.wake();
        }
        let _guard = self.work.lock();
        self.durable_cv.notify_all();
    }

    fn wake_all(&self) {
        let ready: Vec<(u64, Waker)> = std::mem::take(&mut *self.waiters.lock());
        for (_, w) in ready {
            w.wake();
        }
        let _guard = self.work.lock();
        self.durable_cv.notify_all();
    }

    /// Asks the committer to finish the pending sync and stop.
    pub(crate) fn shutdown(&self) {
        self.stop.store(true, Ordering::Release);
        let mut pending = self.work.lock();
        *pending = true;
        self.work_ready.notify_all();
    }

    /// Tickets issued and tickets durable, for metrics and tests.
    pub fn positions(&self) -> (u64, u64) {
        (
            self.issued.load(Ordering::Acquire),
            self.durable.load(Ordering::Acquire),
        )
    }
}

/// Resolves when a write's journal position has been synced.
pub struct DurableFuture {
    durability: Arc<Durability>,
    ticket: u64,
}

impl Future for DurableFuture {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.durability.poll_ticket(self.ticket, cx)
    }
}

#[cfg(test)]
#[path = "durability_test.rs"]
mod tests;
