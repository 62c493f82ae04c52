//! Committed throughput of global secondary indexes (BillingMode PROVISIONED): each GSI
//! holds its own ProvisionedThroughput as read and write token buckets
//! (`shoal-admission`), apart from the table's ([`crate::throughput`]).
//!
//! As in DynamoDB:
//! - a table write that would write an entry of a GSI whose write bucket is used up is
//!   refused (ProvisionedThroughputExceededException with [`GSI_EXCEEDED`]), checked
//!   under the partition's write lock, where the item before and after the write is
//!   known, so a write that does not touch the GSI (a sparse index whose key the item
//!   lacks) still passes; the GSI is charged its units after the write;
//! - a Query or Scan on a GSI is admitted and charged on the GSI's read bucket;
//! - local secondary indexes have no buckets: they draw on the table's capacity;
//! - on-demand tables have no GSI buckets.
//!
//! NOTE: a GSI's entries live in one keyspace range of the node, not in the table's
//! partitions, so each GSI has a single bucket set holding its whole throughput (one
//! partition of share 1.0, with per-partition ceilings raised to the per-table limits so
//! the provisioned rate is what binds). Splitting a GSI's capacity by its own key ranges
//! comes with GSI partitioning.
//!
//! Invariant: the buckets cover exactly the GSIs of the table's current definition that
//! are not DELETING (CREATING ones included: writes maintain them while they backfill),
//! keyed by index id, at the rates of that definition.

use parking_lot::Mutex;
use shoal_admission::{BillingMode, PartitionLimits, TableCapacity, Throughput};

use crate::api::error::{ApiError, ApiResult};
use crate::catalog::{self, TableMeta};
use crate::ops::tables::{TABLE_MAX_RCU, TABLE_MAX_WCU};
use crate::throughput::{now_us, EXCEEDED};

/// DynamoDB's message when a table write is refused because a GSI it writes to has used
/// up its provisioned write capacity.
pub const GSI_EXCEEDED: &str = "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API";

/// The id of the single bucket set of a GSI inside its [`TableCapacity`].
const WHOLE: u64 = 0;

/// One GSI's buckets and the rates they were made for.
#[derive(Debug)]
struct IndexBuckets {
    rates: Throughput,
    capacity: TableCapacity,
}

/// The GSI buckets of one table. See the module docs.
#[derive(Debug, Default)]
pub struct IndexThroughput {
    buckets: Mutex<shoal_admission::IdMap<IndexBuckets>>,
}

fn limits() -> PartitionLimits {
    PartitionLimits {
        max_rcu: TABLE_MAX_RCU as f64,
        max_wcu: TABLE_MAX_WCU as f64,
        ..PartitionLimits::default()
    }
}

/// The GSIs that get buckets, by id, with their rates.
fn wanted(meta: &TableMeta) -> Vec<(u64, Throughput)> {
    if meta.billing_mode != catalog::BillingMode::Provisioned {
        return Vec::new();
    }
    meta.gsis
        .iter()
        .filter(|g| g.status != "DELETING")
        // NOTE: DynamoDB requires at least 1 unit of each on a provisioned GSI; 0/0 is a
        // definition from before its throughput was known, left unenforced.
        .filter(|g| g.read_capacity > 0 || g.write_capacity > 0)
        .map(|g| {
            let rates = Throughput::new(g.read_capacity as f64, g.write_capacity as f64);
            (g.id, rates)
        })
        .collect()
}

impl IndexThroughput {
    /// Buckets for a table's GSIs as defined now, full (a new index may burst).
    pub fn new(meta: &TableMeta) -> ApiResult<IndexThroughput> {
        let t = IndexThroughput::default();
        t.update(meta)?;
        Ok(t)
    }

    /// Follows a changed definition (UpdateTable, an index created, built or deleted):
    /// a new GSI starts full, a changed rate applies at once keeping the burst up to the
    /// new cap (and any debt), a removed GSI or a switch to on demand drops the buckets.
    pub fn update(&self, meta: &TableMeta) -> ApiResult<()> {
        let now = now_us();
        let wanted = wanted(meta);
        let mut b = self.buckets.lock();
        b.retain(|id, _| wanted.iter().any(|(w, _)| w == id));
        for (id, rates) in wanted {
            let mode = BillingMode::Provisioned(rates);
            match b.get_mut(&id) {
                Some(e) if e.rates == rates => {}
                Some(e) => {
                    e.capacity.set_mode(mode, now).map_err(ApiError::internal)?;
                    e.rates = rates;
                }
                None => {
                    let capacity = TableCapacity::new(mode, &[(WHOLE, 1.0)], limits(), now)
                        .map_err(ApiError::internal)?;
                    b.insert(id, IndexBuckets { rates, capacity });
                }
            }
        }
        Ok(())
    }

    /// Admits a table write that writes entries of the GSIs `ids`, or refuses it when
    /// any of them has no write capacity left.
    pub fn admit_write(&self, ids: impl IntoIterator<Item = u64>) -> ApiResult<()> {
        if !crate::throughput::is_enforced() {
            return Ok(());
        }
        let mut b = self.buckets.lock();
        let now = now_us();
        for id in ids {
            let Some(p) = b.get_mut(&id).and_then(|e| e.capacity.partition_mut(WHOLE)) else {
                continue;
            };
            if p.try_admit_write(now).is_err() {
                return Err(ApiError::ProvisionedThroughputExceeded(GSI_EXCEEDED.into()));
            }
        }
        Ok(())
    }

    /// Admits a Query or Scan page on a GSI, or refuses it.
    ///
    /// NOTE: DynamoDB's message for a read throttled on a GSI is taken to be the table's
    /// (from memory; not checked against DynamoDB).
    pub fn admit_read(&self, id: u64) -> ApiResult<()> {
        if !crate::throughput::is_enforced() {
            return Ok(());
        }
        let mut b = self.buckets.lock();
        let Some(p) = b.get_mut(&id).and_then(|e| e.capacity.partition_mut(WHOLE)) else {
            return Ok(());
        };
        p.try_admit_read(now_us())
            .map_err(|_| ApiError::ProvisionedThroughputExceeded(EXCEEDED.into()))
    }

    /// Charges the write units a table write consumed on a GSI.
    pub fn charge_write(&self, id: u64, units: f64) {
        self.charge(id, units, false);
    }

    /// Charges the read units a page consumed on a GSI.
    pub fn charge_read(&self, id: u64, units: f64) {
        self.charge(id, units, true);
    }

    fn charge(&self, id: u64, units: f64, read: bool) {
        let mut b = self.buckets.lock();
        let Some(p) = b.get_mut(&id).and_then(|e| e.capacity.partition_mut(WHOLE)) else {
            return;
        };
        if read {
            p.charge_read(units, now_us());
        } else {
            p.charge_write(units, now_us());
        }
    }

    /// The rates a GSI's buckets serve now.
    #[cfg(test)]
    fn rates(&self, id: u64) -> Option<Throughput> {
        self.buckets.lock().get(&id).map(|e| e.capacity.effective())
    }

    /// The current write balance of a GSI (negative while in debt); `None` when it has no
    /// buckets.
    #[cfg(test)]
    fn write_available(&self, id: u64) -> Option<f64> {
        let b = self.buckets.lock();
        b.get(&id)
            .and_then(|e| e.capacity.partition(WHOLE))
            .map(|p| p.available(now_us()).wcu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::IndexMeta;

    fn gsi(id: u64, rcu: u64, wcu: u64, status: &str) -> IndexMeta {
        IndexMeta {
            name: format!("g{id}"),
            id,
            key_schema: Vec::new(),
            projection_type: "ALL".into(),
            non_key_attributes: Vec::new(),
            read_capacity: rcu,
            write_capacity: wcu,
            status: status.into(),
            last_increase: None,
            last_decrease: None,
            decreases_today: 0,
        }
    }

    fn meta(billing: catalog::BillingMode, gsis: Vec<IndexMeta>) -> TableMeta {
        let json = serde_json::json!({
            "version": 1, "name": "t", "id": 1, "uuid": "u", "created": 0.0,
            "key_schema": [], "attribute_definitions": [], "billing_mode": billing,
            "read_capacity": 100, "write_capacity": 100, "last_increase": null,
            "last_decrease": null, "decreases_today": 0, "last_pay_per_request": null,
            "lsis": [], "gsis": gsis, "stream": null, "sse": null,
            "deletion_protection": false, "table_class": null, "tags": [],
            "ttl_attribute": null, "partitions": [],
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_used_up_gsi_refuses_only_writes_that_touch_it() {
        let m = meta(
            catalog::BillingMode::Provisioned,
            vec![gsi(10, 5, 1, "ACTIVE"), gsi(11, 5, 1000, "CREATING")],
        );
        let t = IndexThroughput::new(&m).unwrap();
        tracing::info!("1 WCU: 300 units of burst, then debt");
        t.admit_write([10, 11]).unwrap();
        t.charge_write(10, 400.0);
        let err = t.admit_write([11, 10]).unwrap_err();
        assert!(
            matches!(&err, ApiError::ProvisionedThroughputExceeded(m) if m == GSI_EXCEEDED),
            "{err:?}"
        );
        tracing::info!("a write that does not touch the used-up GSI passes");
        t.admit_write([11]).unwrap();
        t.admit_write([]).unwrap();
        tracing::info!("reads draw on the read bucket only");
        t.admit_read(10).unwrap();
    }

    #[test]
    fn definitions_add_change_and_drop_buckets() {
        let mut m = meta(
            catalog::BillingMode::Provisioned,
            vec![gsi(10, 5, 1, "ACTIVE")],
        );
        let t = IndexThroughput::new(&m).unwrap();
        t.charge_write(10, 400.0);
        assert!(t.write_available(10).unwrap() < 0.0);
        tracing::info!("a new rate applies at once and keeps the debt (50 s to refill)");
        m.gsis[0].write_capacity = 2;
        t.update(&m).unwrap();
        assert_eq!(t.rates(10), Some(Throughput::new(5.0, 2.0)));
        let after = t.write_available(10).unwrap();
        assert!(after < -50.0, "{after}");
        tracing::info!("DELETING and zero-throughput GSIs have no buckets");
        m.gsis.push(gsi(12, 0, 0, "ACTIVE"));
        m.gsis[0].status = "DELETING".into();
        t.update(&m).unwrap();
        assert_eq!(t.write_available(10), None);
        assert_eq!(t.write_available(12), None);
        tracing::info!("on-demand tables have none at all");
        let m = meta(
            catalog::BillingMode::PayPerRequest,
            vec![gsi(13, 5, 5, "ACTIVE")],
        );
        let t = IndexThroughput::new(&m).unwrap();
        assert_eq!(t.write_available(13), None);
        t.charge_write(13, 1e9);
        t.admit_write([13]).unwrap();
    }
}
