//! shoal's throughput control, as pure and synchronous logic: how many capacity units a
//! request costs, whether a partition may serve it now, whether the node should shed it,
//! and how a table's partitions must split when its provisioned throughput changes.
//!
//! It is not: a clock, a request handler or a metrics exporter. Nothing here sleeps,
//! spawns or reads the time: every call that depends on time takes `now_us`, a count of
//! microseconds from any origin the caller picks (e.g. `origin.elapsed().as_micros()`),
//! so tests are deterministic. It holds no locks either: the server wraps each value in
//! the lock it wants (one `Mutex<TableCapacity>` per table, one for the node).
//!
//! Key types (the seeds are in `../shared/seeds/`, described in issue 5):
//! - [`units`]: capacity units exactly as DynamoDB counts them (reads per 4 KB, writes
//!   per 1 KB, Query/Scan pages rounded once).
//! - [`TokenBucket`]: a rate with DynamoDB's 300 seconds of burst and with debt, for
//!   requests whose cost is known only after they ran.
//! - [`PartitionCapacity`] / [`TableCapacity`]: a partition's read and write buckets,
//!   committed (PROVISIONED, its key-space share of the table's rate) or best-effort
//!   (PAY_PER_REQUEST, DynamoDB's per-partition ceilings). Throttles here are
//!   ProvisionedThroughputExceededException.
//! - [`NodeAdmission`] (US10257288B2, US20210200446A1): committed capacity reserved on
//!   the node, and a maximum best-effort request rate adjusted in increments against the
//!   node's measured work. Its [`Shed`] is ThrottlingException; its
//!   [`CapacityExceeded`] is LimitExceededException.
//! - [`planner`] (US09996573B1): the fewest partitions and splits for a new throughput
//!   or a size limit, as binary generations of splits with capacity per generation.
//!
//! Invariants a reader must keep:
//! 1. A partition owns the inclusive point range `[start, end]` of the 64-bit key space
//!    ([`KeyRange`]), as in `shoal-storage`; its share of the table is its width / 2^64.
//! 2. A committed partition's rate is `table rate × share`, never above the
//!    per-partition ceiling; the planner makes sure the ceiling is not what binds.
//! 3. Committed traffic is never shed by [`NodeAdmission`]: only best-effort traffic is.
//! 4. Partitions never merge: the planner only splits or reallocates.
//!
//! Related crates: `shoal-storage` (partitions and their ranges), the server (catalog,
//! UpdateTable, error mapping).

#![deny(missing_docs)]

pub mod bucket;
pub mod error;
pub mod node;
pub mod partition;
pub mod planner;
pub mod range;
pub mod table;
pub mod units;

pub use bucket::{TokenBucket, DEFAULT_BURST_SECONDS};
pub use error::{CapacityExceeded, Direction, Error, Result, Shed, ShedReason, Throttled};
pub use node::{
    Cost, Measurement, NodeAdmission, NodeConfig, NodeStats, RateDecision, RateReason, TrafficClass,
};
pub use partition::{BillingMode, PartitionCapacity, PartitionLimits, Throughput};
pub use planner::{plan, PartitionInfo, SplitPlan};
pub use range::KeyRange;

/// Hashes the `u64` ids of partitions, tables and indexes with one multiply: they are
/// unique integers chosen by the node, so SipHash's resistance to chosen keys buys
/// nothing on this path and costs tens of nanoseconds a lookup on every request.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

/// A map keyed by ids, hashed with [`IdHasher`].
pub type IdMap<V> = std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<IdHasher>>;
pub use table::TableCapacity;

/// Tolerance for comparing capacity amounts, in units. Rates and shares are `f64`; this
/// keeps `0.1 + 0.2`-style rounding from turning an exact fit into a throttle.
pub(crate) const EPSILON: f64 = 1e-9;

/// `x` if it is a finite, non-negative number, else 0. Capacity inputs pass through it so
/// that a NaN can never poison a bucket.
pub(crate) fn sane(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}
