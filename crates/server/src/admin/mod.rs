//! Operator views of a running node, outside the DynamoDB API: what `shoal admin` asks
//! for over HTTP.
//!
//! ```text
//! shoal admin partitions T ──GET /admin/tables/T/partitions (SigV4 in enforce mode)──▶
//!     api::admin_partitions ──▶ describe_partitions(node, T) ──▶ JSON (TablePartitions)
//! ```
//!
//! The JSON is the contract between node and CLI ([`TablePartitions`] on both sides);
//! `shoal admin partitions --json` prints it unchanged for scripts. Points are 16 hex
//! digits rather than JSON numbers, which lose precision above 2^53 in many parsers.
//!
//! It is **not** a control plane: every route here only reads. Under `--auth enforce` the
//! routes require a valid signature like any DynamoDB request; under `accept` they are
//! open, as the API is to any key.

pub mod client;

use serde::{Deserialize, Serialize};

use crate::api::error::ApiResult;
use crate::catalog::{self, BillingMode};
use crate::node::Node;
use crate::throughput::key_space_share;

/// A table's partitions, as `GET /admin/tables/{name}/partitions` returns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TablePartitions {
    /// `TableName`.
    pub table_name: String,
    /// `PROVISIONED` or `PAY_PER_REQUEST`.
    pub billing_mode: String,
    /// Provisioned read units (0 when on demand).
    pub read_capacity_units: u64,
    /// Provisioned write units (0 when on demand).
    pub write_capacity_units: u64,
    /// Items over all partitions.
    pub item_count: u64,
    /// Bytes over all partitions (DynamoDB's item sizes).
    pub table_size_bytes: u64,
    /// The partition map, sorted by start point.
    pub partitions: Vec<PartitionInfo>,
}

/// One partition of [`TablePartitions`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartitionInfo {
    /// Partition id.
    pub partition_id: u64,
    /// First point, inclusive, 16 hex digits.
    pub start: String,
    /// Last point, inclusive, 16 hex digits.
    pub end: String,
    /// Items stored.
    pub item_count: u64,
    /// Sum of the items' sizes.
    pub size_bytes: u64,
    /// Splits between the table's creation and this partition.
    pub generation: u32,
    /// The partition it was split from, if any.
    pub parent: Option<u64>,
    /// Fraction of the 64-bit point space it owns.
    pub key_space_share: f64,
    /// Read rate of its buckets (units/s) when the table's capacity is enforced
    /// (PROVISIONED), `null` otherwise.
    pub read_units_per_second: Option<f64>,
    /// Write rate of its buckets (units/s), like `read_units_per_second`.
    pub write_units_per_second: Option<f64>,
}

/// Formats a point as the 16 hex digits the report uses.
pub fn hex_point(p: u64) -> String {
    format!("{p:016x}")
}

/// Describes a table's partitions, or ResourceNotFound for an unknown table.
pub fn describe_partitions(node: &Node, name: &str) -> ApiResult<TablePartitions> {
    let table = node
        .catalog
        .get(name)
        .ok_or_else(|| catalog::not_found_table(name))?;
    // `table.partitions` is in the order of `meta.partitions` (catalog invariant).
    let partitions: Vec<PartitionInfo> = table
        .meta
        .partitions
        .iter()
        .zip(&table.partitions)
        .map(|(meta, open)| {
            let stats = open.stats();
            let rates = table.throughput.partition_rates(meta.id);
            PartitionInfo {
                partition_id: meta.id,
                start: hex_point(meta.start),
                end: hex_point(meta.end),
                item_count: stats.items,
                size_bytes: stats.bytes,
                generation: meta.generation,
                parent: meta.parent,
                key_space_share: key_space_share(meta),
                read_units_per_second: rates.map(|r| r.0),
                write_units_per_second: rates.map(|r| r.1),
            }
        })
        .collect();
    Ok(TablePartitions {
        table_name: table.meta.name.clone(),
        billing_mode: table.meta.billing_mode.as_str().to_string(),
        read_capacity_units: match table.meta.billing_mode {
            BillingMode::Provisioned => table.meta.read_capacity,
            BillingMode::PayPerRequest => 0,
        },
        write_capacity_units: match table.meta.billing_mode {
            BillingMode::Provisioned => table.meta.write_capacity,
            BillingMode::PayPerRequest => 0,
        },
        item_count: partitions.iter().map(|p| p.item_count).sum(),
        table_size_bytes: partitions.iter().map(|p| p.size_bytes).sum(),
        partitions,
    })
}
