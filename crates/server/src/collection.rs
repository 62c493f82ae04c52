//! Item collections of tables with local secondary indexes: the items sharing a
//! partition key value plus their local index entries, capped at 10 GB by DynamoDB.
//!
//! A collection's size is measured by a prefix scan under the partition's write lock.
//! Small collections are cheap to measure and are scanned each time; collections of
//! at least [`CACHE_FROM`] bytes are cached and kept exact by every write (which holds
//! the same lock), so memory stays bounded by the number of large collections and no
//! write ever scans a large collection twice.
//!
//! Invariant: a cached size is only read or changed under the write lock of the
//! partition that owns the collection's partition key.

use std::collections::HashMap;
use std::ops::Bound;

use parking_lot::Mutex;
use shoal_storage::{keys, prefix_successor, Partition};
use shoal_types::{key, size, AttributeValue, Item, KeySchema};

use crate::index::TableIndexes;

/// Collections at least this large are cached.
pub const CACHE_FROM: u64 = 64 * 1024;

/// Cached sizes of a table's large item collections, by encoded partition key.
#[derive(Debug, Default)]
pub struct CollectionSizes {
    sizes: Mutex<HashMap<Vec<u8>, u64>>,
}

/// What an item contributes to its collection: itself plus its local index entries.
pub fn contribution(item: &Item, indexes: &TableIndexes) -> u64 {
    let mut n = size::item_size(item) as u64;
    for d in indexes.defs.iter().filter(|d| d.local) {
        if d.entry_key(item).is_some() {
            n += size::item_size(&d.project(item)) as u64;
        }
    }
    n
}

fn pk_key(table_id: u64, schema: &KeySchema, pk: &AttributeValue) -> Vec<u8> {
    let mut one = Item::new();
    one.insert(schema.partition.name.clone(), pk.clone());
    let pk_only = KeySchema {
        partition: schema.partition.clone(),
        sort: None,
    };
    let mut k = keys::point_prefix(table_id, key::point(pk));
    k.extend_from_slice(&key::encode_item_key(&pk_only, &one));
    k
}

impl CollectionSizes {
    /// The collection's current size. Call under the partition's write lock (from a
    /// `Partition::write` decision).
    pub fn current(
        &self,
        partition: &Partition,
        table_id: u64,
        schema: &KeySchema,
        indexes: &TableIndexes,
        pk: &AttributeValue,
    ) -> shoal_storage::Result<u64> {
        let k = pk_key(table_id, schema, pk);
        if let Some(n) = self.sizes.lock().get(&k) {
            return Ok(*n);
        }
        let mut total = 0u64;
        let upper = prefix_successor(&k);
        partition.range(
            Bound::Included(k.as_slice()),
            match &upper {
                Some(u) => Bound::Excluded(u.as_slice()),
                None => Bound::Unbounded,
            },
            false,
            |_, item| {
                total += contribution(&item, indexes);
                true
            },
        )?;
        if total >= CACHE_FROM {
            self.sizes.lock().insert(k, total);
        }
        Ok(total)
    }

    /// Records a collection's new size (under the same lock).
    pub fn apply(&self, table_id: u64, schema: &KeySchema, pk: &AttributeValue, new_total: u64) {
        let k = pk_key(table_id, schema, pk);
        let mut sizes = self.sizes.lock();
        if new_total >= CACHE_FROM {
            sizes.insert(k, new_total);
        } else {
            sizes.remove(&k);
        }
    }
}

/// Under the partition's write lock: refuses a write that would grow a collection past
/// `limit`, records the collection's new size, and returns it (`None` for tables without
/// local indexes, which have no item collections to bound).
pub fn track(
    table: &crate::catalog::Table,
    partition: &Partition,
    limit: u64,
    pk: &AttributeValue,
    old: Option<&Item>,
    new: Option<&Item>,
) -> crate::api::error::ApiResult<Option<u64>> {
    if !table.indexes.defs.iter().any(|d| d.local) {
        return Ok(None);
    }
    let current =
        table
            .collections
            .current(partition, table.meta.id, &table.schema, &table.indexes, pk)?;
    let before = old.map(|o| contribution(o, &table.indexes)).unwrap_or(0);
    let after = new.map(|n| contribution(n, &table.indexes)).unwrap_or(0);
    let total = current.saturating_sub(before) + after;
    if after > before && total > limit {
        return Err(
            crate::api::error::ApiError::ItemCollectionSizeLimitExceeded(
                "Collection size exceeded.".into(),
            ),
        );
    }
    // Recorded before the commit: a failed commit poisons the engine, so the cache can
    // never describe a write that did not happen in a running node.
    table
        .collections
        .apply(table.meta.id, &table.schema, pk, total);
    Ok(Some(total))
}

/// The `ItemCollectionMetrics` member for a collection of `bytes`.
pub fn metrics_member(pk_name: &str, pk: &AttributeValue, bytes: u64) -> serde_json::Value {
    let mut key = Item::new();
    key.insert(pk_name.to_string(), pk.clone());
    serde_json::json!({
        "ItemCollectionKey": shoal_types::json::item_to_json(&key),
        "SizeEstimateRangeGB": size_estimate_gb(bytes),
    })
}

/// DynamoDB's `SizeEstimateRangeGB`: the collection's size as a range of whole GB.
pub fn size_estimate_gb(bytes: u64) -> [f64; 2] {
    let gb = bytes as f64 / (1u64 << 30) as f64;
    let lo = gb.floor();
    [lo, lo + 1.0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_bracket_the_size() {
        assert_eq!(size_estimate_gb(0), [0.0, 1.0]);
        assert_eq!(size_estimate_gb(3 << 30), [3.0, 4.0]);
        assert_eq!(size_estimate_gb((3 << 30) + 1), [3.0, 4.0]);
    }
}
