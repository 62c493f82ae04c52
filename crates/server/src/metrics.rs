//! The node's metrics, served at `GET /metrics` in the Prometheus text exposition format
//! (version 0.0.4).
//!
//! Three sources, each recorded where the fact is known:
//!
//! | family | recorded by |
//! |---|---|
//! | `shoal_api_requests_total{operation,outcome}`, `shoal_api_request_duration_seconds{operation}` | `api::handle`, once per request, through [`ApiMetrics::record`] |
//! | `shoal_api_throttled_requests_total{table,operation,error_type}` | `api::serve`, for requests refused with ProvisionedThroughputExceededException or ThrottlingException ([`ApiMetrics::throttled`]) |
//! | `shoal_table_consumed_{read,write}_capacity_units_total{table}`, `shoal_table_{read,write}_throttle_events_total{table}` | `TableThroughput` (charge and admission), in the table's [`TableUsage`] |
//! | `shoal_table_provisioned_{read,write}_capacity_units`, `shoal_table_partitions`, `shoal_table_items`, `shoal_table_size_bytes` | computed at scrape time from the catalog |
//! | `shoal_item_cache_{entries,bytes}`, `shoal_item_cache_{hits,misses}_total` | the storage's item cache (per-shard atomics), read at scrape time |
//! | `shoal_engine_point_reads_total{placement}` | `Node::read_engine`, once per GetItem that missed the item cache ([`crate::engine_reads`]) |
//!
//! Throttle *events* count every refused admission, including batch entries handed back
//! as unprocessed (CloudWatch's ReadThrottleEvents/WriteThrottleEvents); throttled
//! *requests* count requests that failed as a whole (CloudWatch's ThrottledRequests).
//!
//! It is **not** the `metrics` + `metrics-exporter-prometheus` pair DESIGN names: their
//! counters are integers, while capacity units are fractional (an eventually consistent
//! read costs 0.5), the exporter pulls ~20 more crates (evmap, left-right, quanta, rand,
//! crossbeam-epoch, sketches-ddsketch, ...), and gauges that describe the catalog would
//! have to be copied into its registry and would outlive deleted tables. A few atomics and
//! a text writer do the job.
//!
//! Invariants:
//! - **The request path neither allocates nor shares a lock for metrics.** An operation's
//!   series are found by its index in `ops::KNOWN_OPERATIONS`, a table's in its
//!   `TableThroughput`; updates are relaxed atomics. Only error outcomes (a per-operation
//!   mutex over a short list) and throttled requests (a node-wide map; the request was
//!   refused anyway) take a lock.
//! - **Counters never decrease** while their owner lives. A table's counters live with the
//!   table: deleting it removes its series and re-creating it starts them at 0, which
//!   Prometheus reads as a counter reset.
//! - Labels are never item keys or values (STYLE §8): operation, outcome, error type and
//!   table name only.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use crate::catalog::Table;
use crate::node::Node;
use crate::ops::KNOWN_OPERATIONS;

/// A monotonic integer counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A monotonic counter of fractional units (capacity units), an `f64` kept as bits.
///
/// NOTE: sums of multiples of 0.5 are exact in an `f64` up to 2^52, far beyond what a
/// process consumes, so the exported value is exact, not rounded.
#[derive(Debug, Default)]
pub struct UnitsCounter(AtomicU64);

impl UnitsCounter {
    /// Adds `units` (ignored unless finite and positive, so the counter never decreases).
    pub fn add(&self, units: f64) {
        if !(units.is_finite() && units > 0.0) {
            return;
        }
        // A compare-and-swap loop: there is no atomic f64 add. Uncontended it is one CAS.
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + units).to_bits())
            });
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// Upper bounds of the latency buckets, in nanoseconds and as exported (`le`), from
/// 0.1 ms to 10 s in 1-2.5-5 steps; slower requests land in `+Inf` only.
const BOUNDS: [(u64, &str); 16] = [
    (100_000, "0.0001"),
    (250_000, "0.00025"),
    (500_000, "0.0005"),
    (1_000_000, "0.001"),
    (2_500_000, "0.0025"),
    (5_000_000, "0.005"),
    (10_000_000, "0.01"),
    (25_000_000, "0.025"),
    (50_000_000, "0.05"),
    (100_000_000, "0.1"),
    (250_000_000, "0.25"),
    (500_000_000, "0.5"),
    (1_000_000_000, "1"),
    (2_500_000_000, "2.5"),
    (5_000_000_000, "5"),
    (10_000_000_000, "10"),
];

/// A latency histogram with the fixed bounds (0.1 ms to 10 s).
#[derive(Debug, Default)]
pub struct Histogram {
    /// Per-bucket (not cumulative) counts; the last one is above every bound.
    buckets: [AtomicU64; BOUNDS.len() + 1],
    sum_ns: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        // `le` buckets: the first bound not below the value.
        let i = BOUNDS.partition_point(|&(b, _)| b < ns);
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        // NOTE: `_count` and `+Inf` are the sum of the buckets read here rather than a
        // separate counter, so a scrape racing an observation stays consistent (a
        // cumulative series that never exceeds its `+Inf`).
        let mut cumulative = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Ordering::Relaxed);
            let le = BOUNDS.get(i).map_or("+Inf", |&(_, le)| le);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
        }
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
}

/// What one table consumed and was refused, kept by its `TableThroughput`.
#[derive(Debug, Default)]
pub struct TableUsage {
    /// Read capacity units charged.
    pub consumed_read: UnitsCounter,
    /// Write capacity units charged.
    pub consumed_write: UnitsCounter,
    /// Reads refused admission (whole requests and batch entries).
    pub read_throttle_events: Counter,
    /// Writes refused admission (whole requests and batch entries).
    pub write_throttle_events: Counter,
}

/// One operation's request series.
#[derive(Debug, Default)]
struct OpMetrics {
    ok: Counter,
    /// (error type, count), in order of first occurrence; a handful at most.
    errors: Mutex<Vec<(&'static str, u64)>>,
    latency: Histogram,
}

/// The label of requests refused before their operation was known (bad target, content
/// type or method).
const UNKNOWN_OPERATION: &str = "Unknown";

/// Request metrics of the DynamoDB API.
#[derive(Debug)]
pub struct ApiMetrics {
    /// Indexed like `KNOWN_OPERATIONS`, plus one last entry for [`UNKNOWN_OPERATION`].
    ops: Box<[OpMetrics]>,
    /// (table, operation index, error type) -> requests.
    throttled: Mutex<BTreeMap<(String, usize, &'static str), u64>>,
}

impl Default for ApiMetrics {
    fn default() -> Self {
        ApiMetrics {
            ops: (0..=KNOWN_OPERATIONS.len())
                .map(|_| OpMetrics::default())
                .collect(),
            throttled: Mutex::default(),
        }
    }
}

fn operation_name(i: usize) -> &'static str {
    KNOWN_OPERATIONS
        .get(i)
        .copied()
        .unwrap_or(UNKNOWN_OPERATION)
}

impl ApiMetrics {
    /// Records a finished request: its operation (an index into `KNOWN_OPERATIONS`, or
    /// `None` when refused before it was known), its outcome (the error type when it
    /// failed) and how long it took.
    pub fn record(&self, op: Option<usize>, outcome: Result<(), &'static str>, took: Duration) {
        let i = op
            .filter(|&i| i < KNOWN_OPERATIONS.len())
            .unwrap_or(KNOWN_OPERATIONS.len());
        let Some(m) = self.ops.get(i) else {
            return;
        };
        match outcome {
            Ok(()) => m.ok.inc(),
            Err(error_type) => {
                let mut errors = m.errors.lock();
                match errors.iter_mut().find(|(t, _)| *t == error_type) {
                    Some((_, n)) => *n += 1,
                    None => errors.push((error_type, 1)),
                }
            }
        }
        m.latency.observe(took);
    }

    /// Records a request refused by throttling. `table` is the request's `TableName`
    /// (empty when it has none, e.g. batches).
    pub fn throttled(&self, table: &str, op: usize, error_type: &'static str) {
        *self
            .throttled
            .lock()
            .entry((table.to_string(), op, error_type))
            .or_insert(0) += 1;
    }
}

/// Writes a label value with the text format's escapes (backslash, quote, newline).
fn escaped(v: &str) -> std::borrow::Cow<'_, str> {
    if !v.contains(['\\', '"', '\n']) {
        return v.into();
    }
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .into()
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The body of `GET /metrics`: every family, series sorted by their labels' order of
/// appearance (operations in `KNOWN_OPERATIONS` order, tables by name).
pub fn render(node: &Node) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let api = &node.metrics;

    header(
        &mut out,
        "shoal_api_requests_total",
        "counter",
        "DynamoDB API requests by operation and outcome (ok or the error type).",
    );
    for (i, m) in api.ops.iter().enumerate() {
        let op = operation_name(i);
        let ok = m.ok.get();
        if ok > 0 {
            let _ = writeln!(
                out,
                "shoal_api_requests_total{{operation=\"{op}\",outcome=\"ok\"}} {ok}"
            );
        }
        for (error_type, n) in m.errors.lock().iter() {
            let _ = writeln!(
                out,
                "shoal_api_requests_total{{operation=\"{op}\",outcome=\"{error_type}\"}} {n}"
            );
        }
    }

    header(
        &mut out,
        "shoal_api_request_duration_seconds",
        "histogram",
        "Time from a request's arrival to its response, by operation.",
    );
    for (i, m) in api.ops.iter().enumerate() {
        if m.latency.count() > 0 {
            let labels = format!("operation=\"{}\"", operation_name(i));
            m.latency
                .write(&mut out, "shoal_api_request_duration_seconds", &labels);
        }
    }

    header(
        &mut out,
        "shoal_api_throttled_requests_total",
        "counter",
        "Requests refused with ProvisionedThroughputExceededException or ThrottlingException.",
    );
    for ((table, op, error_type), n) in api.throttled.lock().iter() {
        let _ = writeln!(
            out,
            "shoal_api_throttled_requests_total{{table=\"{}\",operation=\"{}\",error_type=\"{error_type}\"}} {n}",
            escaped(table),
            operation_name(*op),
        );
    }

    let cache = node.catalog.store().item_cache_stats();
    for (name, kind, help, value) in [
        (
            "shoal_item_cache_entries",
            "gauge",
            "Items in the item cache.",
            cache.entries,
        ),
        (
            "shoal_item_cache_bytes",
            "gauge",
            "Bytes the item cache's entries weigh (keys, images and overhead).",
            cache.bytes,
        ),
        (
            "shoal_item_cache_hits_total",
            "counter",
            "Point reads answered from the item cache.",
            cache.hits,
        ),
        (
            "shoal_item_cache_misses_total",
            "counter",
            "Point reads that went to the storage engine.",
            cache.misses,
        ),
    ] {
        header(&mut out, name, kind, help);
        let _ = writeln!(out, "{name} {value}");
    }

    let (inline, pool) = node.engine_reads().totals();
    header(
        &mut out,
        "shoal_engine_point_reads_total",
        "counter",
        "Point reads that missed the item cache, by where their engine read ran: inline on the request worker, or on the blocking pool while engine reads waited for the disk.",
    );
    for (placement, n) in [("inline", inline), ("pool", pool)] {
        let _ = writeln!(
            out,
            "shoal_engine_point_reads_total{{placement=\"{placement}\"}} {n}"
        );
    }

    // Catalog-derived families are computed now, so a deleted table's series vanish.
    type Value = fn(&Table) -> String;
    let families: [(&str, &str, &str, Value); 9] = [
        (
            "shoal_table_consumed_read_capacity_units_total",
            "counter",
            "Read capacity units consumed.",
            |t| t.throughput.usage().consumed_read.get().to_string(),
        ),
        (
            "shoal_table_consumed_write_capacity_units_total",
            "counter",
            "Write capacity units consumed.",
            |t| t.throughput.usage().consumed_write.get().to_string(),
        ),
        (
            "shoal_table_read_throttle_events_total",
            "counter",
            "Reads refused admission, including batch entries returned unprocessed.",
            |t| t.throughput.usage().read_throttle_events.get().to_string(),
        ),
        (
            "shoal_table_write_throttle_events_total",
            "counter",
            "Writes refused admission, including batch entries returned unprocessed.",
            |t| t.throughput.usage().write_throttle_events.get().to_string(),
        ),
        (
            "shoal_table_provisioned_read_capacity_units",
            "gauge",
            "Provisioned read capacity units (0 for on-demand tables).",
            |t| t.meta.read_capacity.to_string(),
        ),
        (
            "shoal_table_provisioned_write_capacity_units",
            "gauge",
            "Provisioned write capacity units (0 for on-demand tables).",
            |t| t.meta.write_capacity.to_string(),
        ),
        (
            "shoal_table_partitions",
            "gauge",
            "Partitions of the table.",
            |t| t.meta.partitions.len().to_string(),
        ),
        (
            "shoal_table_items",
            "gauge",
            "Items stored in the table.",
            |t| t.stats().0.to_string(),
        ),
        (
            "shoal_table_size_bytes",
            "gauge",
            "Sum of the table's item sizes, by DynamoDB's rules.",
            |t| t.stats().1.to_string(),
        ),
    ];
    let tables = node.catalog.all();
    for (name, kind, help, value) in families {
        header(&mut out, name, kind, help);
        for t in &tables {
            let _ = writeln!(
                out,
                "{name}{{table=\"{}\"}} {}",
                escaped(&t.meta.name),
                value(t)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_le_inclusive() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(100)); // exactly the first bound
        h.observe(Duration::from_micros(101));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(11)); // above every bound
        let mut out = String::new();
        h.write(&mut out, "x", "operation=\"GetItem\"");
        let line = |le: &str| {
            out.lines()
                .find(|l| l.starts_with(&format!("x_bucket{{operation=\"GetItem\",le=\"{le}\"}} ")))
                .and_then(|l| l.rsplit(' ').next())
                .map(str::to_string)
        };
        assert_eq!(line("0.0001").as_deref(), Some("1"));
        assert_eq!(line("0.00025").as_deref(), Some("2"));
        assert_eq!(line("0.0025").as_deref(), Some("2"));
        assert_eq!(line("0.005").as_deref(), Some("3"));
        assert_eq!(line("10").as_deref(), Some("3"));
        assert_eq!(line("+Inf").as_deref(), Some("4"));
        assert!(out.contains("x_count{operation=\"GetItem\"} 4\n"), "{out}");
        assert!(
            out.contains("x_sum{operation=\"GetItem\"} 11.003201\n"),
            "{out}"
        );
    }

    #[test]
    fn units_counter_keeps_halves_exactly_and_never_decreases() {
        let c = UnitsCounter::default();
        for _ in 0..3 {
            c.add(0.5);
        }
        c.add(-4.0);
        c.add(f64::NAN);
        c.add(98.0);
        assert_eq!(c.get(), 99.5);
        assert_eq!(c.get().to_string(), "99.5");
    }

    #[test]
    fn outcomes_are_counted_per_operation_and_error_type() {
        let m = ApiMetrics::default();
        let get = KNOWN_OPERATIONS.iter().position(|o| *o == "GetItem");
        m.record(get, Ok(()), Duration::ZERO);
        m.record(get, Err("ValidationException"), Duration::ZERO);
        m.record(get, Err("ValidationException"), Duration::ZERO);
        m.record(None, Err("UnknownOperationException"), Duration::ZERO);
        let i = get.unwrap();
        assert_eq!(m.ops[i].ok.get(), 1);
        assert_eq!(*m.ops[i].errors.lock(), vec![("ValidationException", 2)]);
        assert_eq!(m.ops[i].latency.count(), 3);
        let unknown = &m.ops[KNOWN_OPERATIONS.len()];
        assert_eq!(
            *unknown.errors.lock(),
            vec![("UnknownOperationException", 1)]
        );
        assert_eq!(operation_name(KNOWN_OPERATIONS.len()), "Unknown");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escaped("plain.name-1_x"), "plain.name-1_x");
        assert_eq!(escaped("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
