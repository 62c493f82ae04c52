//! Node-level protection for best-effort traffic (US10257288B2): the node measures the
//! work it completes against a target and moves a maximum best-effort request rate up or
//! down in increments (`shoal_admission::NodeAdmission::observe`); requests on on-demand
//! tables above that rate are shed at the door with ThrottlingException, before any
//! work is done for them, instead of slowing every request down.
//!
//! - Committed traffic (PROVISIONED tables) is never shed here: its partitions' buckets
//!   already hold it to what the table reserved on the node.
//! - Work is the capacity units every table consumed (committed and best-effort), read
//!   from the tables' usage counters once per interval by [`LoadWorker`].
//! - Best-effort requests draw only on the adaptive request rate, not on a static share
//!   of the node's unit capacity: that figure bounds what the node *promises* to
//!   provisioned tables (reservations), while what it can actually serve is measured.
//!   The exact units of each request are charged to its partition's buckets, which
//!   hold DynamoDB's per-partition ceilings.
//!
//! When `[throughput] enforce = false` nothing is admitted or shed anywhere (see
//! [`crate::throughput::set_enforced`]), as with DynamoDB Local.

use std::collections::HashMap;

use serde_json::Value;
use shoal_admission::{Cost, Measurement, RateDecision, TrafficClass};

use crate::api::error::{ApiError, ApiResult};
use crate::catalog::BillingMode;
use crate::node::Node;
use crate::throughput::{is_enforced, now_us};
use crate::workers::{Worker, WorkerState};

/// DynamoDB's message for a request shed by the service.
pub const THROTTLED: &str = "Rate of requests exceeds the allowed throughput.";

/// Admits a data-plane request at the door, or sheds it when it is best-effort (names
/// an on-demand table) and the node's best-effort rate is used up.
pub fn admit(node: &Node, operation: &str, body: &Value) -> ApiResult<()> {
    if !matches!(
        operation,
        "GetItem"
            | "Query"
            | "Scan"
            | "BatchGetItem"
            | "PutItem"
            | "UpdateItem"
            | "DeleteItem"
            | "BatchWriteItem"
    ) || !is_enforced()
    {
        return Ok(());
    }
    let on_demand = |name: &str| {
        node.catalog
            .get(name)
            .is_some_and(|t| t.meta.billing_mode == BillingMode::PayPerRequest)
    };
    let best_effort = match body.get("TableName").and_then(Value::as_str) {
        Some(name) => on_demand(name),
        None => body
            .get("RequestItems")
            .and_then(Value::as_object)
            .is_some_and(|tables| tables.keys().any(|t| on_demand(t))),
    };
    if !best_effort {
        return Ok(());
    }
    admit_best_effort(node)
}

/// [`admit`] for a request whose table the caller already looked up (GetItem, the
/// hottest path, looks it up once).
pub fn admit_table(node: &Node, table: &crate::catalog::Table) -> ApiResult<()> {
    if table.meta.billing_mode != BillingMode::PayPerRequest || !is_enforced() {
        return Ok(());
    }
    admit_best_effort(node)
}

/// One best-effort request through the node's limiter.
fn admit_best_effort(node: &Node) -> ApiResult<()> {
    node.admission
        .lock()
        .admit(TrafficClass::BestEffort, Cost::default(), now_us())
        .map_err(|_| ApiError::Throttling(THROTTLED.into()))
}

/// Once per interval: reports the work the node completed to the best-effort limiter,
/// which raises or lowers the best-effort request rate.
#[derive(Debug, Default)]
pub struct LoadWorker {
    /// Units each table had consumed at the last interval, by table id.
    seen: HashMap<u64, f64>,
    last_us: Option<u64>,
}

impl Worker for LoadWorker {
    fn name(&self) -> &'static str {
        "load"
    }

    fn work(&mut self, node: &Node) -> anyhow::Result<WorkerState> {
        let now = now_us();
        let mut work = 0.0;
        let mut seen = HashMap::with_capacity(self.seen.len());
        for t in node.catalog.all() {
            let u = t.throughput.usage();
            let total = u.consumed_read.get() + u.consumed_write.get();
            work += total - self.seen.get(&t.meta.id).copied().unwrap_or(0.0);
            seen.insert(t.meta.id, total);
        }
        self.seen = seen;
        let Some(last) = self.last_us.replace(now) else {
            return Ok(WorkerState::Idle);
        };
        let decision = node.admission.lock().observe(
            Measurement {
                interval_us: now.saturating_sub(last),
                work: work.max(0.0),
                latency_us: None,
                queue_depth: None,
            },
            now,
        );
        match decision {
            RateDecision::Lowered { from, to, reason } => {
                tracing::info!(from, to, ?reason, "best-effort request rate lowered");
            }
            RateDecision::Raised { from, to } => {
                tracing::debug!(from, to, "best-effort request rate raised");
            }
            RateDecision::Held { .. } => {}
        }
        Ok(WorkerState::Idle)
    }
}
