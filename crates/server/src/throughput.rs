//! Committed throughput (BillingMode PROVISIONED) on the request path: every partition
//! holds its share of the table's read and write capacity as token buckets
//! (`shoal-admission`), with DynamoDB's 300 seconds of burst.
//!
//! A request is admitted while its partition's bucket is not in debt and is charged its
//! exact units after it ran (its cost, e.g. the size of the item it replaced, is only
//! known then); the next request waits for the bucket to refill. A refused request gets
//! ProvisionedThroughputExceededException, which the SDKs retry with backoff.
//!
//! Every charge and every refused admission is also counted in the table's
//! [`TableUsage`] (exported at `GET /metrics`), for on-demand tables too: this is the one
//! place every operation's consumed capacity passes through.
//!
//! Not yet here (issue 5): on-demand per-partition ceilings and node load shedding,
//! splits when capacity grows.
//!
//! Invariant: a table's buckets are keyed by partition id and cover exactly the table's
//! partitions; shares are each partition's fraction of the 64-bit point space.

use std::sync::OnceLock;
use std::time::Instant;

use parking_lot::Mutex;
use shoal_admission::{BillingMode, PartitionLimits, TableCapacity, Throughput};

use crate::api::error::{ApiError, ApiResult};
use crate::catalog::{self, PartitionMeta, TableMeta};
use crate::metrics::TableUsage;

/// DynamoDB's message when a table's provisioned capacity is used up.
pub const EXCEEDED: &str = "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.";

/// Microseconds since the first call (the buckets' clock).
pub fn now_us() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// One table's capacity buckets; `None` inside for on-demand tables (not enforced yet).
/// Also what the table consumed, for metrics.
#[derive(Debug)]
pub struct TableThroughput {
    buckets: Mutex<Option<TableCapacity>>,
    usage: TableUsage,
}

fn mode_of(meta: &TableMeta) -> Option<BillingMode> {
    match meta.billing_mode {
        catalog::BillingMode::Provisioned => Some(BillingMode::Provisioned(Throughput::new(
            meta.read_capacity as f64,
            meta.write_capacity as f64,
        ))),
        catalog::BillingMode::PayPerRequest => None,
    }
}

/// A partition's fraction of the 64-bit point space.
pub fn key_space_share(p: &PartitionMeta) -> f64 {
    ((p.end - p.start) as f64 + 1.0) / 2f64.powi(64)
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
        let buckets = match mode_of(meta) {
            Some(mode) => Some(
                TableCapacity::new(mode, &shares(meta), PartitionLimits::default(), now_us())
                    .map_err(ApiError::internal)?,
            ),
            None => None,
        };
        Ok(TableThroughput {
            buckets: Mutex::new(buckets),
            usage: TableUsage::default(),
        })
    }

    /// Follows a changed definition (UpdateTable): new rates at once, burst kept up to
    /// the new cap.
    pub fn update(&self, meta: &TableMeta) -> ApiResult<()> {
        let mut b = self.buckets.lock();
        match (mode_of(meta), b.as_mut()) {
            (Some(mode), Some(caps)) => caps.set_mode(mode, now_us()).map_err(ApiError::internal),
            (Some(mode), None) => {
                *b = Some(
                    TableCapacity::new(mode, &shares(meta), PartitionLimits::default(), now_us())
                        .map_err(ApiError::internal)?,
                );
                Ok(())
            }
            (None, _) => {
                *b = None;
                Ok(())
            }
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
        let mut b = self.buckets.lock();
        let Some(p) = b.as_mut().and_then(|c| c.partition_mut(partition)) else {
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
            ApiError::ProvisionedThroughputExceeded(EXCEEDED.into())
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
        let Some(p) = b.as_mut().and_then(|c| c.partition_mut(partition)) else {
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
        let b = self.buckets.lock();
        let r = b.as_ref()?.partition(partition)?.rates();
        Some((r.rcu, r.wcu))
    }
}
