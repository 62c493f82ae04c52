//! Secondary indexes: how an index entry is keyed, what it holds, and how entries are
//! derived from a write's old and new item.
//!
//! Entry key (in the `data` keyspace, under the index's own id):
//!
//! ```text
//! index id u64 BE | point(index partition key) u64 BE | u16 len | partition key bytes
//!     | escaped sort key bytes | 00 00            (only when the index has a sort key)
//!     | table item key suffix                     (makes non-unique index keys unique)
//! ```
//!
//! The sort key is escaped (`00` becomes `00 FF`) and terminated by `00 00` so that it is
//! prefix-free and still order-preserving: entries of one index partition key sort by
//! index sort key exactly as DynamoDB orders them, whatever bytes the table key adds
//! after it. ON DISK: never change it.
//!
//! Invariants a reader must keep:
//! - An item has an entry in an index exactly when it has every key attribute of the
//!   index with the declared type (sparse indexes); writes with an index key of the wrong
//!   type are refused before they reach storage ([`TableIndexes::validate_item`]).
//! - Entries are written in the same atomic batch as the table write (via
//!   [`shoal_storage::Derived`]), so an index never shows an item the table never had.
//! - An entry's value is the projected item, which always holds the table's and the
//!   index's key attributes.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use shoal_admission::units;
use shoal_storage::{keys, prefix_successor, Derived, DerivedWrite};
use shoal_types::key::KeyAttr;
use shoal_types::{codec, key, size, AttributeValue, Item, KeySchema};

use crate::api::error::{ApiError, ApiResult};
use crate::catalog::{key_schema_of, IndexMeta, TableMeta};

/// What an index copies from the item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectionKind {
    /// Every attribute.
    All,
    /// Only key attributes.
    KeysOnly,
    /// Key attributes plus these.
    Include(HashSet<String>),
}

/// Running counts of an index's entries.
#[derive(Debug, Default)]
pub struct IndexStats {
    /// Entries.
    pub items: AtomicI64,
    /// Sum of DynamoDB sizes of the projected items.
    pub bytes: AtomicI64,
}

/// One index of a table, ready to key, project and read entries.
#[derive(Debug)]
pub struct IndexDef {
    /// The catalog definition.
    pub meta: IndexMeta,
    /// Local (same partition key as the table) or global.
    pub local: bool,
    /// The index's key schema.
    pub schema: KeySchema,
    /// The table's key schema.
    pub table_schema: KeySchema,
    /// What entries hold.
    pub projection: ProjectionKind,
    /// Entry counts.
    pub stats: Arc<IndexStats>,
}

impl IndexDef {
    fn new(
        meta: &IndexMeta,
        local: bool,
        table: &TableMeta,
        stats: Arc<IndexStats>,
    ) -> ApiResult<IndexDef> {
        let schema = key_schema_of(&meta.key_schema, &table.attribute_definitions)?;
        let projection = match meta.projection_type.as_str() {
            "KEYS_ONLY" => ProjectionKind::KeysOnly,
            "INCLUDE" => ProjectionKind::Include(meta.non_key_attributes.iter().cloned().collect()),
            _ => ProjectionKind::All,
        };
        Ok(IndexDef {
            meta: meta.clone(),
            local,
            schema,
            table_schema: table.key_schema_typed()?,
            projection,
            stats,
        })
    }

    fn key_attrs(&self) -> impl Iterator<Item = &KeyAttr> {
        std::iter::once(&self.schema.partition).chain(self.schema.sort.iter())
    }

    /// Whether an attribute name is a key attribute of the table or the index.
    pub fn is_key(&self, name: &str) -> bool {
        self.table_schema.is_key_attribute(name) || self.schema.is_key_attribute(name)
    }

    /// The entry key of an item, or `None` when the item is not in the index.
    pub fn entry_key(&self, item: &Item) -> Option<Vec<u8>> {
        let pk = item.get(&self.schema.partition.name)?;
        if !self.schema.partition.ty.matches(pk) {
            return None;
        }
        let sk = match &self.schema.sort {
            Some(s) => {
                let v = item.get(&s.name)?;
                if !s.ty.matches(v) {
                    return None;
                }
                Some(v)
            }
            None => None,
        };
        let mut k = self.partition_prefix(pk);
        if let Some(sk) = sk {
            push_sort(&mut k, sk);
        }
        k.extend_from_slice(&key::encode_item_key(&self.table_schema, item));
        Some(k)
    }

    /// `index id | point | partition key`: the prefix of one index partition key's entries.
    pub fn partition_prefix(&self, pk: &AttributeValue) -> Vec<u8> {
        let mut k = keys::point_prefix(self.meta.id, key::point(pk));
        let pk_only = KeySchema {
            partition: self.schema.partition.clone(),
            sort: None,
        };
        let mut one = Item::new();
        one.insert(self.schema.partition.name.clone(), pk.clone());
        k.extend_from_slice(&key::encode_item_key(&pk_only, &one));
        k
    }

    /// The attributes an entry keeps.
    pub fn project(&self, item: &Item) -> Item {
        match &self.projection {
            ProjectionKind::All => item.clone(),
            _ => self
                .projected(item)
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
        }
    }

    /// Whether an entry keeps the attribute `name`.
    fn keeps(&self, name: &str) -> bool {
        match &self.projection {
            ProjectionKind::All => true,
            ProjectionKind::KeysOnly => self.is_key(name),
            ProjectionKind::Include(extra) => self.is_key(name) || extra.contains(name),
        }
    }

    /// The attributes of `item` its entry keeps, in name order, without copying them.
    fn projected<'a>(
        &'a self,
        item: &'a Item,
    ) -> impl Iterator<Item = (&'a String, &'a AttributeValue)> + 'a {
        item.iter().filter(|(n, _)| self.keeps(n))
    }

    /// Whether an item has an entry in the index (the same test as [`IndexDef::entry_key`],
    /// without building the key).
    pub fn holds(&self, item: &Item) -> bool {
        self.key_attrs()
            .all(|a| item.get(&a.name).is_some_and(|v| a.ty.matches(v)))
    }

    /// Write units a table write from `old` to `new` (`None`: no item) costs on this
    /// index, as DynamoDB counts them ([`units::index_write_units`]): an entry put when the
    /// item enters the index, a delete when it leaves, a delete plus a put when an index
    /// key attribute changes, one write when only projected attributes change, and
    /// nothing when the entry stays as it was (or the item is in the index neither before
    /// nor after, e.g. it lacks a sparse index's key). Each write costs the entry's size
    /// (keys plus projected attributes) per 1 KB, at least one unit.
    ///
    /// An index still backfilling is priced as if built: the write maintains it either
    /// way (`derive_one`), even when the backfill has not reached the item yet.
    ///
    /// NOTE: set attributes compare in the order the client sent them, so re-sending a set
    /// in another order counts as a change; DynamoDB documents no such case.
    pub fn write_units(&self, old: Option<&Item>, new: Option<&Item>) -> f64 {
        let old = old.filter(|o| self.holds(o));
        let new = new.filter(|n| self.holds(n));
        let key_changed = match (old, new) {
            (Some(o), Some(n)) => self.key_attrs().any(|a| o.get(&a.name) != n.get(&a.name)),
            _ => false,
        };
        if let (Some(o), Some(n), false) = (old, new, key_changed) {
            if self.projected(o).eq(self.projected(n)) {
                return 0.0;
            }
        }
        let entry_size = |i: &Item| {
            self.projected(i)
                .map(|(n, v)| n.len() + size::attribute_size(v))
                .sum::<usize>() as u64
        };
        units::index_write_units(
            old.map(entry_size),
            new.map(entry_size),
            key_changed,
            units::WriteMode::Standard,
        )
    }

    /// Whether every attribute in `names` is in the index's entries.
    pub fn projects_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.keeps(n))
    }

    /// The key an index page stops at: the table's and the index's key attributes.
    pub fn last_key(&self, item: &Item) -> Item {
        item.iter()
            .filter(|(n, _)| self.is_key(n))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect()
    }

    /// Whether the index can be read (global indexes are not while backfilling).
    pub fn readable(&self) -> bool {
        self.meta.status == "ACTIVE"
    }
}

/// Appends the escaped, terminated encoding of an index sort key value.
pub fn push_sort(out: &mut Vec<u8>, v: &AttributeValue) {
    let mut raw = Vec::new();
    key::encode_key_value(v, &mut raw);
    push_escaped(out, &raw);
    out.extend_from_slice(&[0, 0]);
}

/// Appends bytes with `00` escaped as `00 FF` (no terminator).
pub fn push_escaped(out: &mut Vec<u8>, raw: &[u8]) {
    for &b in raw {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
}

/// The indexes of one table, as one [`Derived`] for its partitions.
#[derive(Debug)]
pub struct TableIndexes {
    /// Every index, local then global, in definition order.
    pub defs: Vec<IndexDef>,
    /// Where entries live (consulted while an index is being backfilled).
    store: shoal_storage::Store,
}

impl TableIndexes {
    /// Builds the index set of a table; `stats` carries counters over from a previous
    /// version of the table's definition, by index id.
    pub fn build(
        meta: &TableMeta,
        previous: Option<&TableIndexes>,
        store: &shoal_storage::Store,
    ) -> ApiResult<TableIndexes> {
        let stats_of = |id: u64| {
            previous
                .and_then(|p| p.defs.iter().find(|d| d.meta.id == id))
                .map(|d| Arc::clone(&d.stats))
                .unwrap_or_default()
        };
        let mut defs = Vec::new();
        for ix in &meta.lsis {
            defs.push(IndexDef::new(ix, true, meta, stats_of(ix.id))?);
        }
        for ix in &meta.gsis {
            if ix.status == "DELETING" {
                continue;
            }
            defs.push(IndexDef::new(ix, false, meta, stats_of(ix.id))?);
        }
        Ok(TableIndexes {
            defs,
            store: store.clone(),
        })
    }

    /// An index by name.
    pub fn get(&self, name: &str) -> Option<&IndexDef> {
        self.defs.iter().find(|d| d.meta.name == name)
    }

    /// Refuses an item whose index key attributes have the wrong type or are empty, with
    /// DynamoDB's messages.
    pub fn validate_item(&self, item: &Item) -> ApiResult<()> {
        for d in &self.defs {
            for attr in d.key_attrs() {
                let Some(v) = item.get(&attr.name) else {
                    continue;
                };
                if !attr.ty.matches(v) {
                    return Err(ApiError::Validation(format!(
                        "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                        attr.name,
                        attr.ty.as_str(),
                        type_name(v),
                        d.meta.name
                    )));
                }
                let empty = matches!(v, AttributeValue::S(s) if s.is_empty())
                    || matches!(v, AttributeValue::B(b) if b.is_empty());
                if empty {
                    return Err(ApiError::Validation(format!(
                        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {}",
                        if matches!(v, AttributeValue::S(_)) { "string" } else { "binary" },
                        d.meta.name,
                        attr.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// Recounts every index's entries (at startup).
    pub fn recount(&self, store: &shoal_storage::Store) -> anyhow::Result<()> {
        for d in &self.defs {
            recount_def(d, store)?;
        }
        Ok(())
    }
}

fn recount_def(d: &IndexDef, store: &shoal_storage::Store) -> anyhow::Result<()> {
    {
        let prefix = keys::Owner::new(d.meta.id);
        let upper = prefix_successor(&prefix);
        let (mut n, mut b) = (0i64, 0i64);
        let mut err = None;
        store.range_data(
            std::ops::Bound::Included(&prefix[..]),
            match &upper {
                Some(u) => std::ops::Bound::Excluded(u.as_slice()),
                None => std::ops::Bound::Unbounded,
            },
            false,
            |_, v| match codec::decode_item(v) {
                Ok(item) => {
                    n += 1;
                    b += size::item_size(&item) as i64;
                    true
                }
                Err(e) => {
                    err = Some(e);
                    false
                }
            },
        )?;
        if let Some(e) = err {
            anyhow::bail!("index {}: {e}", d.meta.name);
        }
        d.stats.items.store(n, Ordering::Relaxed);
        d.stats.bytes.store(b, Ordering::Relaxed);
    }
    Ok(())
}

fn type_name(v: &AttributeValue) -> &'static str {
    match v {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null => "NULL",
        AttributeValue::M(_) => "M",
        AttributeValue::L(_) => "L",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
    }
}

/// The backfill's view of one index: it writes only the entries that do not exist yet.
///
/// It runs under the partition's write lock (`Partition::rederive`) after the index was
/// added to the table's derived set, so an existing entry was derived by a write from
/// the item as it is now: skipping it leaves the same bytes and keeps the counts exact
/// (each entry is counted once, by whichever of the write or the backfill made it).
pub struct Backfill<'a> {
    /// The index being built.
    pub def: &'a IndexDef,
    /// Where its entries live.
    pub store: &'a shoal_storage::Store,
}

/// Derives one index's entries for a write. `store` is given while the index is still
/// being backfilled: then the old item's entry may not exist yet, and it is only counted
/// as removed if it does.
fn derive_one(
    d: &IndexDef,
    store: Option<&shoal_storage::Store>,
    old: Option<&Item>,
    new: Option<&Item>,
    out: &mut Vec<DerivedWrite>,
) {
    let old_key = old.and_then(|o| d.entry_key(o));
    let new_key = new.and_then(|n| d.entry_key(n));
    let old_exists = match (&old_key, store) {
        (Some(k), Some(store)) => store.data_contains(k).unwrap_or(true),
        (Some(_), None) => true,
        (None, _) => false,
    };
    let old_size = match (old_exists, old) {
        (true, Some(o)) => Some(size::item_size(&d.project(o)) as i64),
        _ => None,
    };
    if let Some(ok) = &old_key {
        if new_key.as_ref() != Some(ok) {
            out.push((ok.clone(), None));
        }
    }
    let mut new_size = None;
    if let (Some(nk), Some(n)) = (new_key, new) {
        let projected = d.project(n);
        new_size = Some(size::item_size(&projected) as i64);
        let mut v = Vec::new();
        codec::encode_item(&projected, &mut v);
        out.push((nk, Some(v)));
    }
    // Counts follow the derived entries; a commit that fails afterwards poisons the
    // engine, so in a running node they cannot drift from what is stored.
    let d_items = i64::from(new_size.is_some()) - i64::from(old_size.is_some());
    d.stats.items.fetch_add(d_items, Ordering::Relaxed);
    d.stats.bytes.fetch_add(
        new_size.unwrap_or(0) - old_size.unwrap_or(0),
        Ordering::Relaxed,
    );
}

impl Derived for TableIndexes {
    fn derive(&self, old: Option<&Item>, new: Option<&Item>, out: &mut Vec<DerivedWrite>) {
        for d in &self.defs {
            let backfilling = (!d.readable()).then_some(&self.store);
            derive_one(d, backfilling, old, new, out);
        }
    }
}

impl Derived for Backfill<'_> {
    fn derive(&self, old: Option<&Item>, new: Option<&Item>, out: &mut Vec<DerivedWrite>) {
        let Some(item) = new else { return };
        if let Some(k) = self.def.entry_key(item) {
            // On an engine error, write the entry anyway: a duplicate count is better than
            // a missing entry, and the engine error will surface on the commit.
            if self.store.data_contains(&k).unwrap_or(false) {
                return;
            }
        }
        derive_one(self.def, Some(self.store), old, new, out);
    }
}

#[cfg(test)]
#[path = "index_test.rs"]
mod tests;
