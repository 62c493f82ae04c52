//! Runs one measured phase: `concurrency` worker tasks, each with its own keep-alive
//! connection, claiming operations from a shared counter until the operation count or the
//! deadline is reached.
//!
//! ```text
//! run_phase --> spawn C workers ---------------------------> join, merge histograms
//!          \--> progress ticker (reads `completed` every 100 ms; no per-op locking)
//! worker: claim op i (fetch_add) --> choose op + key --> sign + send --> record latency/error
//! ```
//!
//! Invariants:
//! - **Bounded.** A worker stops when `operations` are claimed, the deadline passed, the stop
//!   flag is set (Ctrl-C, or another worker aborted), or after [`MAX_CONSECUTIVE_FAILURES`]
//!   transport failures in a row (the endpoint is gone: the phase is marked aborted). Each
//!   request is bounded by the client's timeouts, and failure back-off is capped, so a phase
//!   ends within `duration + request_timeout + ~2 s` in the worst case.
//! - **No shared locks on the hot path.** Each worker owns its generators, connection and
//!   histograms; they are merged once at the end.
//! - Latencies are recorded for successful operations only (microseconds, HDR, 3 significant
//!   digits); failures are counted by type, as YCSB does.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;

use crate::client::{ClientConfig, Conn, Endpoint, Outcome};
use crate::generator::{key_name, Distribution, KeyChooser, Rng, Values};
use crate::sigv4::Signer;
use crate::workload::{Op, Requests, Workload, MAX_SCAN_LENGTH};

/// Transport failures in a row after which a worker declares the endpoint unreachable.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 10;
const MAX_BACKOFF: Duration = Duration::from_millis(200);
const HIST_MAX_MICROS: u64 = 3_600_000_000;

/// Everything a phase needs.
#[derive(Clone)]
pub struct PhaseConfig {
    /// Workload to run.
    pub workload: Workload,
    /// Records assumed present (load: records to insert).
    pub records: u64,
    /// Operations to run (`u64::MAX` with a duration: until the deadline).
    pub operations: u64,
    /// Optional wall-clock limit.
    pub duration: Option<Duration>,
    /// Worker tasks = connections.
    pub concurrency: usize,
    /// Request distribution.
    pub distribution: Distribution,
    /// Request body builder.
    pub requests: Requests,
    /// Target.
    pub endpoint: Endpoint,
    /// Timeouts.
    pub client: ClientConfig,
    /// Credentials and region.
    pub signer: Signer,
    /// Progress bar label, or `None` for no progress bar.
    pub progress: Option<String>,
    /// Seed for the workers' generators.
    pub seed: u64,
    /// Client OS threads, each running a current-thread runtime.
    pub threads: usize,
}

/// Results of one operation kind.
#[derive(Clone, Debug)]
pub struct OpStats {
    /// Latencies of successful operations, in microseconds.
    pub hist: Histogram<u64>,
    /// Failures by kind: `<DynamoDB type>` or `transport: <what>`.
    pub errors: BTreeMap<String, u64>,
}

impl OpStats {
    fn new() -> Self {
        Self {
            hist: new_histogram(),
            errors: BTreeMap::new(),
        }
    }

    /// Number of failed operations.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    fn merge(&mut self, other: &OpStats) {
        let _ = self.hist.add(&other.hist);
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
    }
}

#[allow(
    clippy::expect_used,
    reason = "constant bounds (1 us .. 1 h, 3 digits) are within hdrhistogram's limits"
)]
fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_MICROS, 3).expect("valid constant histogram bounds")
}

/// The merged result of a phase.
#[derive(Clone, Debug)]
pub struct PhaseResult {
    /// Wall time from the first worker start to the last worker end.
    pub elapsed: Duration,
    /// Per-operation results, indexed by [`Op::index`]; `None` if the op never ran.
    pub ops: [Option<OpStats>; 5],
    /// Successful reads that found no item.
    pub read_misses: u64,
    /// Why the phase stopped early, if it did.
    pub aborted: Option<String>,
    /// Successful operations (a read-modify-write counts once, not its parts).
    pub total_ok: u64,
    /// Failed operations, counted the same way.
    pub total_errors: u64,
}

impl PhaseResult {
    /// Successful operations per second (a read-modify-write counts as one operation).
    pub fn throughput(&self) -> f64 {
        per_second(self.total_ok, self.elapsed)
    }
}

/// `count / elapsed`, 0 for an empty interval.
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        count as f64 / secs
    } else {
        0.0
    }
}

struct Shared {
    next_op: AtomicU64,
    /// Next record number for an insert during a transaction phase.
    next_insert: AtomicU64,
    /// Records known to exist (`records` + acknowledged inserts): the choosers' range.
    present: AtomicU64,
    completed: AtomicU64,
    /// Set by the first worker that aborts; ends this phase only.
    stop: AtomicBool,
    /// Set from outside (Ctrl-C); ends every phase.
    interrupt: Arc<AtomicBool>,
    abort: Mutex<Option<String>>,
}

/// Runs one phase to completion. `stop` may be set from outside (Ctrl-C) to end it early.
pub async fn run_phase(cfg: PhaseConfig, interrupt: Arc<AtomicBool>) -> PhaseResult {
    let records = cfg.records.max(1);
    let shared = Arc::new(Shared {
        next_op: AtomicU64::new(0),
        next_insert: AtomicU64::new(records),
        present: AtomicU64::new(records),
        completed: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        interrupt,
        abort: Mutex::new(None),
    });
    let chooser = KeyChooser::new(cfg.distribution, records);
    let start = Instant::now();
    let deadline = cfg.duration.map(|d| start + d);

    let progress = cfg
        .progress
        .as_ref()
        .map(|label| spawn_progress(label, &cfg, Arc::clone(&shared), start));

    // NOTE: one current-thread runtime per client thread, each driving its share of the
    // connections (like wrk's per-thread event loops): no work stealing and no cross-thread
    // wake-ups on the hot path, which keeps the client's CPU share (on a machine it shares with
    // the server) as small as possible.
    let concurrency = cfg.concurrency.max(1);
    let threads = cfg.threads.clamp(1, concurrency);
    let mut receivers = Vec::with_capacity(concurrency);
    for t in 0..threads {
        let ids: Vec<u64> = (0..concurrency as u64)
            .filter(|w| *w as usize % threads == t)
            .collect();
        let mut senders = Vec::with_capacity(ids.len());
        for _ in &ids {
            let (tx, rx) = tokio::sync::oneshot::channel::<WorkerResult>();
            senders.push(tx);
            receivers.push(rx);
        }
        let cfg = cfg.clone();
        let shared_t = Arc::clone(&shared);
        let chooser = chooser.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("bench-client-{t}"))
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return; // the dropped senders report the failure
                };
                rt.block_on(async move {
                    let mut tasks = tokio::task::JoinSet::new();
                    for (id, tx) in ids.into_iter().zip(senders) {
                        let fut = worker(
                            id,
                            cfg.clone(),
                            Arc::clone(&shared_t),
                            chooser.clone(),
                            deadline,
                        );
                        tasks.spawn(async move {
                            let _ = tx.send(fut.await);
                        });
                    }
                    while tasks.join_next().await.is_some() {}
                });
            });
        if let Err(e) = spawned {
            let mut abort = shared.abort.lock().unwrap_or_else(|p| p.into_inner());
            abort.get_or_insert_with(|| format!("cannot start a client thread: {e}"));
            shared.stop.store(true, Ordering::Relaxed);
        }
    }
    let mut ops: [Option<OpStats>; 5] = Default::default();
    let (mut read_misses, mut total_ok, mut total_errors) = (0, 0, 0);
    for rx in receivers {
        match rx.await {
            Ok(result) => {
                read_misses += result.read_misses;
                total_ok += result.total_ok;
                total_errors += result.total_errors;
                for (slot, theirs) in ops.iter_mut().zip(result.ops.iter()) {
                    if let Some(theirs) = theirs {
                        slot.get_or_insert_with(OpStats::new).merge(theirs);
                    }
                }
            }
            Err(_) => {
                let mut abort = shared.abort.lock().unwrap_or_else(|p| p.into_inner());
                abort.get_or_insert_with(|| "a worker failed (panicked or never started)".into());
            }
        }
    }
    let elapsed = start.elapsed();
    if let Some((bar, ticker)) = progress {
        ticker.abort();
        bar.finish_and_clear();
    }
    let aborted = shared
        .abort
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    PhaseResult {
        elapsed,
        ops,
        read_misses,
        aborted,
        total_ok,
        total_errors,
    }
}

fn spawn_progress(
    label: &str,
    cfg: &PhaseConfig,
    shared: Arc<Shared>,
    _start: Instant,
) -> (indicatif::ProgressBar, tokio::task::JoinHandle<()>) {
    let finite = cfg.operations != u64::MAX;
    let bar = if finite {
        indicatif::ProgressBar::new(cfg.operations)
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    let template = if finite {
        "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})"
    } else {
        "{prefix} [{elapsed_precise}] {spinner} {pos} ops ({per_sec})"
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_prefix(label.to_owned());
    let ticker_bar = bar.clone();
    // Aborted by `run_phase` when the workers are done.
    let ticker = tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(100));
        loop {
            interval.tick().await;
            ticker_bar.set_position(shared.completed.load(Ordering::Relaxed));
        }
    });
    (bar, ticker)
}

struct WorkerResult {
    ops: [Option<OpStats>; 5],
    read_misses: u64,
    total_ok: u64,
    total_errors: u64,
}

struct Worker {
    conn: Conn,
    rng: Rng,
    values: Values,
    ops: [Option<OpStats>; 5],
    read_misses: u64,
    consecutive_failures: u32,
}

impl Worker {
    fn stats(&mut self, op: Op) -> &mut OpStats {
        self.ops[op.index()].get_or_insert_with(OpStats::new)
    }

    /// Sends one request and records it under `op`. Returns the body on success.
    async fn timed(&mut self, op: Op, target: &str, body: String) -> Result<Bytes, String> {
        let t0 = Instant::now();
        let outcome = self.conn.call(target, body).await;
        let micros = (t0.elapsed().as_micros() as u64).clamp(1, HIST_MAX_MICROS);
        self.record(op, outcome, micros)
    }

    fn record(&mut self, op: Op, outcome: Outcome, micros: u64) -> Result<Bytes, String> {
        match outcome {
            Outcome::Ok(body) => {
                self.consecutive_failures = 0;
                let _ = self.stats(op).hist.record(micros);
                Ok(body)
            }
            Outcome::Service(kind) => {
                self.consecutive_failures = 0;
                *self.stats(op).errors.entry(kind.clone()).or_default() += 1;
                Err(kind)
            }
            Outcome::Transport(what) => {
                self.consecutive_failures += 1;
                let kind = format!("transport: {what}");
                *self.stats(op).errors.entry(kind.clone()).or_default() += 1;
                Err(kind)
            }
        }
    }
}

async fn worker(
    id: u64,
    cfg: PhaseConfig,
    shared: Arc<Shared>,
    mut chooser: KeyChooser,
    deadline: Option<Instant>,
) -> WorkerResult {
    let mut rng = Rng::new(cfg.seed ^ super::generator::mix64(id + 1));
    let values = Values::new(&mut rng, cfg.requests.field_len());
    let mut w = Worker {
        conn: Conn::new(cfg.endpoint.clone(), cfg.client.clone(), cfg.signer.clone()),
        rng,
        values,
        ops: Default::default(),
        read_misses: 0,
        consecutive_failures: 0,
    };
    let load = cfg.workload == Workload::Load;
    let (mut total_ok, mut total_errors) = (0u64, 0u64);
    loop {
        if shared.stop.load(Ordering::Relaxed)
            || shared.interrupt.load(Ordering::Relaxed)
            || deadline.is_some_and(|d| Instant::now() >= d)
        {
            break;
        }
        let i = shared.next_op.fetch_add(1, Ordering::Relaxed);
        if i >= cfg.operations {
            break;
        }
        let op = if load {
            Op::Insert
        } else {
            cfg.workload.choose(&mut w.rng)
        };
        let present = shared.present.load(Ordering::Relaxed);
        let ok = match op {
            Op::Insert => {
                let n = if load {
                    i
                } else {
                    shared.next_insert.fetch_add(1, Ordering::Relaxed)
                };
                let body = cfg.requests.put_item(&key_name(n), &w.values, &mut w.rng);
                let ok = w.timed(Op::Insert, "PutItem", body).await.is_ok();
                if ok && !load {
                    shared.present.fetch_add(1, Ordering::Relaxed);
                }
                ok
            }
            Op::Read => {
                let key = key_name(chooser.next(&mut w.rng, present));
                let read = w
                    .timed(Op::Read, "GetItem", cfg.requests.get_item(&key))
                    .await;
                if let Ok(body) = &read {
                    if !contains(body, b"\"Item\"") {
                        w.read_misses += 1;
                    }
                }
                read.is_ok()
            }
            Op::Update => {
                let key = key_name(chooser.next(&mut w.rng, present));
                let body = cfg.requests.update_item(&key, &w.values, &mut w.rng);
                w.timed(Op::Update, "UpdateItem", body).await.is_ok()
            }
            Op::Scan => {
                let key = key_name(chooser.next(&mut w.rng, present));
                let limit = 1 + w.rng.below(MAX_SCAN_LENGTH);
                let scan = cfg.requests.scan(&key, limit);
                w.timed(Op::Scan, "Scan", scan).await.is_ok()
            }
            Op::ReadModifyWrite => {
                let key = key_name(chooser.next(&mut w.rng, present));
                let t0 = Instant::now();
                let read = w
                    .timed(Op::Read, "GetItem", cfg.requests.get_item(&key))
                    .await;
                let outcome = match read {
                    Ok(_) => {
                        let body = cfg.requests.update_item(&key, &w.values, &mut w.rng);
                        match w.timed(Op::Update, "UpdateItem", body).await {
                            Ok(b) => Outcome::Ok(b),
                            Err(kind) => Outcome::Service(kind),
                        }
                    }
                    Err(kind) => Outcome::Service(kind),
                };
                let micros = (t0.elapsed().as_micros() as u64).clamp(1, HIST_MAX_MICROS);
                // The parts already updated the failure streak; do not count it twice.
                let streak = w.consecutive_failures;
                let ok = w.record(Op::ReadModifyWrite, outcome, micros).is_ok();
                w.consecutive_failures = streak;
                ok
            }
        };
        if ok {
            total_ok += 1;
        } else {
            total_errors += 1;
        }
        shared.completed.fetch_add(1, Ordering::Relaxed);

        if w.consecutive_failures > 0 {
            if w.consecutive_failures >= MAX_CONSECUTIVE_FAILURES {
                let last = w
                    .ops
                    .iter()
                    .flatten()
                    .flat_map(|s| s.errors.keys())
                    .find(|k| k.starts_with("transport: "))
                    .cloned()
                    .unwrap_or_default();
                let mut abort = shared.abort.lock().unwrap_or_else(|p| p.into_inner());
                abort.get_or_insert_with(|| {
                    format!(
                        "endpoint unreachable: {MAX_CONSECUTIVE_FAILURES} consecutive transport \
                         failures on one connection (e.g. {last})"
                    )
                });
                shared.stop.store(true, Ordering::Relaxed);
                break;
            }
            let backoff =
                Duration::from_millis(10 << w.consecutive_failures.min(5)).min(MAX_BACKOFF);
            tokio::time::sleep(backoff).await;
        }
    }
    WorkerResult {
        ops: w.ops,
        read_misses: w.read_misses,
        total_ok,
        total_errors,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
