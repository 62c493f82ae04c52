//! Committed capacity reserved on the node for provisioned tables (US20210200446A1),
//! kept in step with the catalog.
//!
//! A PROVISIONED table reserves its read and write units plus those of its global
//! secondary indexes that are not being deleted ([`committed`]); an on-demand table
//! reserves nothing. The reservations live in the node's [`NodeAdmission`]
//! (`Node::admission`), keyed by table id, where best-effort admission reads what they
//! leave over.
//!
//! It is not: the per-table quota (40,000 units, checked by the operations first) nor
//! the partitions' token buckets (`crate::throughput`), which enforce each table's rate.
//!
//! Invariants a reader must keep:
//! - Reservations change only under the catalog's DDL lock, in two steps: [`check`]
//!   before the catalog change is made durable (a refusal changes nothing), [`record`]
//!   or [`release`] once it is. Nothing else reserves in between, so what was checked is
//!   what is recorded, and the admission lock is never held across the catalog's fsync
//!   (the request path takes it for load shedding).
//! - Once the node has started ([`reserve_existing`]), its reservations are exactly
//!   [`committed`] of every table in the catalog.
//! - Only growth is refused past the node's capacity. A node started with less capacity
//!   than its tables hold loads them all (with a warning) and lets them shrink.

use std::sync::Arc;

use parking_lot::Mutex;
use shoal_admission::{NodeAdmission, Throughput};

use crate::api::error::{ApiError, ApiResult};
use crate::catalog::{BillingMode, Table, TableMeta};

/// What a table commits on the node: nothing when on demand, else its units plus those of
/// its global indexes that are not being deleted (a deleted index frees its capacity at
/// once, as a deleted table does, while its data is purged in the background).
pub fn committed(meta: &TableMeta) -> Throughput {
    if meta.billing_mode == BillingMode::PayPerRequest {
        return Throughput::default();
    }
    meta.gsis.iter().filter(|g| g.status != "DELETING").fold(
        Throughput::new(meta.read_capacity as f64, meta.write_capacity as f64),
        |acc, g| acc + Throughput::new(g.read_capacity as f64, g.write_capacity as f64),
    )
}

/// Refuses a new or changed definition whose reservation the node cannot hold, with a
/// LimitExceededException naming what it asks for, what other tables hold and the node's
/// capacity. Changes nothing.
pub fn check(admission: &Mutex<NodeAdmission>, meta: &TableMeta) -> ApiResult<()> {
    let want = committed(meta);
    let a = admission.lock();
    if a.check_reserve(meta.id, want.rcu, want.wcu).is_ok() {
        return Ok(());
    }
    let previous = a.reservation(meta.id).unwrap_or_default();
    let reserved = a.reserved();
    let capacity = a.config().capacity;
    Err(ApiError::LimitExceeded(format!(
        "Subscriber limit exceeded: Provisioned throughput for table {} (global secondary \
         indexes included) would be {} read and {} write capacity units, but other tables on \
         this node already reserve {} read and {} write capacity units of the node's {} read \
         and {} write capacity units",
        meta.name,
        want.rcu,
        want.wcu,
        (reserved.rcu - previous.rcu).max(0.0),
        (reserved.wcu - previous.wcu).max(0.0),
        capacity.rcu,
        capacity.wcu,
    )))
}

/// Records a definition's reservation once it is durable (after [`check`] passed).
pub fn record(admission: &Mutex<NodeAdmission>, meta: &TableMeta) {
    let want = committed(meta);
    let mut a = admission.lock();
    if meta.billing_mode == BillingMode::PayPerRequest {
        // On-demand tables keep no entry at all, so the map holds provisioned tables only.
        a.release(meta.id);
    } else {
        a.reserve_unchecked(meta.id, want.rcu, want.wcu);
    }
}

/// Releases a deleted table's reservation.
pub fn release(admission: &Mutex<NodeAdmission>, meta: &TableMeta) {
    admission.lock().release(meta.id);
}

/// Reserves for every table found at startup, never refusing: the tables exist, and
/// refusing them would only hide them. Warns, and returns true, when they hold more than
/// the node's capacity (it was lowered since they were created); best-effort traffic then
/// gets nothing and growth is refused until tables shrink or are deleted.
pub fn reserve_existing(admission: &Mutex<NodeAdmission>, tables: &[Arc<Table>]) -> bool {
    for t in tables {
        record(admission, &t.meta);
    }
    let a = admission.lock();
    let (reserved, capacity) = (a.reserved(), a.config().capacity);
    let over = reserved.rcu > capacity.rcu || reserved.wcu > capacity.wcu;
    if over {
        tracing::warn!(
            reserved_rcu = reserved.rcu,
            reserved_wcu = reserved.wcu,
            capacity_rcu = capacity.rcu,
            capacity_wcu = capacity.wcu,
            "provisioned tables reserve more than the node's capacity: new or raised \
             provisioned throughput will be refused until they shrink"
        );
    }
    over
}
