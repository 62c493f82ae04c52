//! Committed throughput (BillingMode PROVISIONED) on the request path: every partition
//! holds its share of the table's read and write capacity as token buckets
//! (`shoal-admission`), with DynamoDB's 300 seconds of burst.
//!
//! A request is admitted while its partition's bucket is not in debt and is charged its
//! exact units after it ran (its cost, e.g. the size of the item it replaced, is only
//! known then); the next request waits for the bucket to refill. A refused request gets
//! ProvisionedThroughputExceededException, which the SDKs retry with backoff.
//!
//! On-demand tables (PAY_PER_REQUEST) have no table rate but DynamoDB's per-partition
//! ceilings (3,000 read and 1,000 write units per second, with the same burst); a
//! refusal there gets DynamoDB's on-demand message. The units each partition consumes
//! are also summed per interval ([`TableThroughput::take_heat`]) for the split worker,
//! which splits on-demand partitions that stay hot.
//!
//! Every charge and every refused admission is also counted in the table's
//! [`TableUsage`] (exported at `GET /metrics`): this is the one place every operation's
//! consumed capacity passes through.
//!
//! Invariant: a table's buckets are keyed by partition id and cover exactly the table's
//! partitions; shares are each partition's fraction of the 64-bit point space. A split
//! hands the parent's buckets to its children ([`TableThroughput::apply_split`]) in the
//! same step that installs them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use parking_lot::Mutex;
use shoal_admission::{BillingMode, PartitionLimits, TableCapacity, Throughput};

use crate::api::error::{ApiError, ApiResult};
use crate::catalog::{self, PartitionMeta, TableMeta};
use crate::metrics::TableUsage;

/// DynamoDB's message when a table's provisioned capacity is used up.
pub const EXCEEDED: &str = "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.";

/// Whether throughput is enforced on this node (`[throughput] enforce`). Process-wide
/// because it is a mode of the whole server, set once at start before any request.
static ENFORCED: AtomicBool = AtomicBool::new(true);

/// Turns admission control on or off for the whole process. Off, every request is
/// admitted (as DynamoDB Local does) and capacity is still counted and reported.
pub fn set_enforced(on: bool) {
    ENFORCED.store(on, Ordering::Relaxed);
}

/// Whether admission control is on.
pub fn is_enforced() -> bool {
    ENFORCED.load(Ordering::Relaxed)
}

/// Microseconds since the first call (the buckets' clock).
pub fn now_us() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// DynamoDB's message when an on-demand table's partition is over its ceiling.
pub const ON_DEMAND_EXCEEDED: &str = "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html";

/// One table's capacity buckets and the units each partition consumed since the split
/// worker last looked.
#[derive(Debug)]
pub struct TableThroughput {
    buckets: Mutex<Buckets>,
    usage: TableUsage,
}

#[derive(Debug)]
struct Buckets {
    /// `None` only if buckets could not be rebuilt after a split (then nothing is
    /// refused until the next UpdateTable rebuilds them).
    caps: Option<TableCapacity>,
    committed: bool,
    /// Read and write units per partition since the last [`TableThroughput::take_heat`].
    heat: shoal_admission::IdMap<Throughput>,
}

fn mode_of(meta: &TableMeta) -> BillingMode {
    match meta.billing_mode {
        catalog::BillingMode::Provisioned => BillingMode::Provisioned(Throughput::new(
            meta.read_capacity as f64,
            meta.write_capacity as f64,
        )),
        catalog::BillingMode::PayPerRequest => BillingMode::PayPerRequest,
    }
}

/// Full buckets for the table as defined now.
fn fresh(meta: &TableMeta) -> ApiResult<TableCapacity> {
    TableCapacity::new(
        mode_of(meta),
        &shares(meta),
        PartitionLimits::default(),
        now_us(),
    )
    .map_err(ApiError::internal)
}

/// A partition's share of the 64-bit point space.
pub fn share_of(p: &shoal_storage::PartitionDesc) -> f64 {
    range_share(p.start, p.end)
}

fn range_share(start: u64, end: u64) -> f64 {
    ((end - start) as f64 + 1.0) / 2f64.powi(64)
}

/// A partition's fraction of the 64-bit point space.
pub fn key_space_share(p: &PartitionMeta) -> f64 {
    range_share(p.start, p.end)
}

fn shares(meta: &TableMeta) -> Vec<(u64, f64)> {
    meta.partitions
        .iter()
        .map(|p| (p.id, key_space_share(p)))
        .collect()
}

impl TableThroughput {
    /// Buckets for a table as defined now, full (a new or reopened table may burst).
    pub fn new(meta: &TableMeta) -> ApiResult<TableThroughput> {
        Ok(TableThroughput {
            buckets: Mutex::new(Buckets {
                caps: Some(fresh(meta)?),
                committed: meta.billing_mode == catalog::BillingMode::Provisioned,
                heat: shoal_admission::IdMap::default(),
            }),
            usage: TableUsage::default(),
        })
    }

    /// Follows a changed definition (UpdateTable): new rates at once, burst kept up to
    /// the new cap.
    pub fn update(&self, meta: &TableMeta) -> ApiResult<()> {
        let mut b = self.buckets.lock();
        b.committed = meta.billing_mode == catalog::BillingMode::Provisioned;
        match b.caps.as_mut() {
            Some(caps) => caps
                .set_mode(mode_of(meta), now_us())
                .map_err(ApiError::internal),
            None => {
                b.caps = Some(fresh(meta)?);
                Ok(())
            }
        }
    }

    /// Replaces every bucket with full ones for the table as defined now.
    pub fn rebuild(&self, meta: &TableMeta) {
        self.buckets.lock().caps = fresh(meta).ok();
    }

    /// Hands a split partition's buckets to its children `(id, share of the table)`:
    /// rates by share, and the parent's balance (burst or debt) divided among them.
    pub fn apply_split(&self, parent: u64, children: &[(u64, f64)]) -> ApiResult<()> {
        let mut b = self.buckets.lock();
        b.heat.remove(&parent);
        match b.caps.as_mut() {
            Some(caps) => caps
                .apply_split(parent, children, now_us())
                .map_err(ApiError::internal),
            None => Ok(()),
        }
    }

    /// Admits a read on a partition, or refuses it.
    pub fn admit_read(&self, partition: u64) -> ApiResult<()> {
        self.admit(partition, true)
    }

    /// Admits a write on a partition, or refuses it.
    pub fn admit_write(&self, partition: u64) -> ApiResult<()> {
        self.admit(partition, false)
    }

    fn admit(&self, partition: u64, read: bool) -> ApiResult<()> {
        if !is_enforced() {
            return Ok(());
        }
        let mut b = self.buckets.lock();
        let committed = b.committed;
        let Some(p) = b.caps.as_mut().and_then(|c| c.partition_mut(partition)) else {
            return Ok(());
        };
        let r = if read {
            p.try_admit_read(now_us())
        } else {
            p.try_admit_write(now_us())
        };
        r.map_err(|_| {
            if read {
                self.usage.read_throttle_events.inc();
            } else {
                self.usage.write_throttle_events.inc();
            }
            ApiError::ProvisionedThroughputExceeded(
                if committed {
                    EXCEEDED
                } else {
                    ON_DEMAND_EXCEEDED
                }
                .into(),
            )
        })
    }

    /// Charges the read units a request consumed.
    pub fn charge_read(&self, partition: u64, units: f64) {
        self.charge(partition, units, true);
    }

    /// Charges the write units a request consumed.
    pub fn charge_write(&self, partition: u64, units: f64) {
        self.charge(partition, units, false);
    }

    fn charge(&self, partition: u64, units: f64, read: bool) {
        if read {
            self.usage.consumed_read.add(units);
        } else {
            self.usage.consumed_write.add(units);
        }
        let mut b = self.buckets.lock();
        let heat = b.heat.entry(partition).or_insert(Throughput::new(0.0, 0.0));
        if read {
            heat.rcu += units;
        } else {
            heat.wcu += units;
        }
        let Some(p) = b.caps.as_mut().and_then(|c| c.partition_mut(partition)) else {
            return;
        };
        if read {
            p.charge_read(units, now_us());
        } else {
            p.charge_write(units, now_us());
        }
    }

    /// What the table consumed and was refused so far.
    pub fn usage(&self) -> &TableUsage {
        &self.usage
    }

    /// A partition's current read and write rates (units/s) from its buckets, or `None`
    /// when the table's capacity is not enforced (on demand) or the partition is not the
    /// table's.
    pub fn partition_rates(&self, partition: u64) -> Option<(f64, f64)> {
        self.rates(partition).map(|r| (r.rcu, r.wcu))
    }
}

impl TableThroughput {
    /// The units each partition consumed since the last call, and resets them.
    pub fn take_heat(&self) -> shoal_admission::IdMap<Throughput> {
        std::mem::take(&mut self.buckets.lock().heat)
    }

    /// A partition's current rates (units per second), if it has buckets.
    pub fn rates(&self, partition: u64) -> Option<Throughput> {
        self.buckets
            .lock()
            .caps
            .as_ref()
            .and_then(|c| c.partition(partition))
            .map(|p| p.rates())
    }
}
