//! The catalog: every table's definition and partition map, durable in the store's
//! `meta` keyspace, cached in memory for the request path.
//!
//! Invariants a reader must keep:
//! - Table, index and partition ids come from one counter (`next_id`) and are never
//!   reused, so data of a deleted table can be purged lazily without ever being mistaken
//!   for a new table's.
//! - Every change to a table's definition is a read-modify-write under the DDL lock and
//!   is durable (fsynced) before the request that made it is acknowledged.
//! - The node's capacity reservations ([`crate::reservation`]) change with the
//!   definitions, under the same lock: checked before a change is persisted (a refusal
//!   leaves both untouched), recorded after.
//! - A table's partitions cover the whole 64-bit point space without gaps or overlaps,
//!   sorted by start (checked by [`Table::validate`] in tests and debug builds).
//! - A deleted table leaves a `dropped/<id>` record naming its partitions until the purge
//!   worker has removed their data and logs.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use shoal_admission::NodeAdmission;
use shoal_storage::{Partition, PartitionDesc, Store};
use shoal_types::hash::SeededState;
use shoal_types::key::KeyAttr;
use shoal_types::{KeySchema, ScalarType};

use crate::api::error::{ApiError, ApiResult};
use crate::collection::CollectionSizes;
use crate::index::TableIndexes;
use crate::index_throughput::IndexThroughput;
use crate::reservation;
use crate::throughput::TableThroughput;

/// How a table pays for throughput.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    /// Committed capacity (`PROVISIONED`).
    Provisioned,
    /// On demand, best effort (`PAY_PER_REQUEST`).
    PayPerRequest,
}

impl BillingMode {
    /// The wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

/// One `KeySchemaElement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyElem {
    /// `AttributeName`.
    pub name: String,
    /// `HASH` or `RANGE`.
    pub key_type: String,
}

/// A secondary index definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexMeta {
    /// `IndexName`.
    pub name: String,
    /// Data id of the index's items (same id space as tables).
    pub id: u64,
    /// `KeySchema`.
    pub key_schema: Vec<KeyElem>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    /// `NonKeyAttributes` for `INCLUDE`.
    pub non_key_attributes: Vec<String>,
    /// Provisioned read units (GSIs of provisioned tables).
    pub read_capacity: u64,
    /// Provisioned write units.
    pub write_capacity: u64,
    /// `CREATING` (global index backfilling), `ACTIVE` or `DELETING`.
    #[serde(default = "active")]
    pub status: String,
    /// Last throughput increase, epoch seconds.
    #[serde(default)]
    pub last_increase: Option<f64>,
    /// Last throughput decrease, epoch seconds.
    #[serde(default)]
    pub last_decrease: Option<f64>,
    /// Decreases on the UTC day of `last_decrease` (read it through
    /// [`crate::ops::provisioning::decreases_today`]).
    #[serde(default)]
    pub decreases_today: u32,
}

fn active() -> String {
    "ACTIVE".into()
}

/// A partition in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionMeta {
    /// Partition id.
    pub id: u64,
    /// First point, inclusive.
    pub start: u64,
    /// Last point, inclusive.
    pub end: u64,
    /// The partition this one was split from (lineage, DESIGN invariant 5); `None` for
    /// a partition laid out when the table was created.
    #[serde(default)]
    pub parent: Option<u64>,
    /// Splits between the table's creation and this partition (0 for the first ones).
    #[serde(default)]
    pub generation: u32,
}

/// A partition that split: kept as lineage (DESIGN invariant 5) so that readers of the
/// log (streams, point-in-time restore) can follow a range across splits, and so that
/// its log is purged with the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetiredPartition {
    /// Partition id.
    pub id: u64,
    /// First point, inclusive.
    pub start: u64,
    /// Last point, inclusive.
    pub end: u64,
    /// Its own parent, if it had one.
    pub parent: Option<u64>,
    /// Its generation.
    pub generation: u32,
    /// The partitions that replaced it, in point order.
    pub children: Vec<u64>,
    /// Its last log sequence number; its children's logs continue after it.
    pub last_seq: u64,
    /// When it split, epoch seconds.
    pub retired_at: f64,
}

/// Stream settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamMeta {
    /// `StreamViewType`.
    pub view_type: String,
    /// `LatestStreamLabel` (creation time as DynamoDB formats it).
    pub label: String,
}

/// Server-side encryption settings as the client asked for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SseMeta {
    /// `SSEType` (`KMS` or `AES256`).
    pub sse_type: String,
    /// `KMSMasterKeyId`, if given.
    pub kms_key: Option<String>,
}

/// Everything DynamoDB knows about a table, as stored in the catalog (version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableMeta {
    /// Format version of this record.
    pub version: u32,
    /// `TableName`.
    pub name: String,
    /// Data id (first 8 bytes of every storage key of the table).
    pub id: u64,
    /// `TableId` (a UUID).
    pub uuid: String,
    /// Seconds since the epoch, with fraction.
    pub created: f64,
    /// `KeySchema`.
    pub key_schema: Vec<KeyElem>,
    /// `AttributeDefinitions` as (name, type).
    pub attribute_definitions: Vec<(String, String)>,
    /// Billing mode.
    pub billing_mode: BillingMode,
    /// Provisioned read units (0 when on demand).
    pub read_capacity: u64,
    /// Provisioned write units (0 when on demand).
    pub write_capacity: u64,
    /// Last throughput increase, epoch seconds.
    pub last_increase: Option<f64>,
    /// Last throughput decrease, epoch seconds.
    pub last_decrease: Option<f64>,
    /// Decreases on the UTC day of `last_decrease` (read it through
    /// [`crate::ops::provisioning::decreases_today`]: it is not reset at midnight).
    pub decreases_today: u32,
    /// Last switch to on demand, epoch seconds.
    pub last_pay_per_request: Option<f64>,
    /// Switches to on demand that still count against DynamoDB's limit, oldest first
    /// (see [`crate::ops::provisioning::record_on_demand_switch`]).
    #[serde(default)]
    pub on_demand_switches: Vec<f64>,
    /// `LocalSecondaryIndexes`.
    pub lsis: Vec<IndexMeta>,
    /// `GlobalSecondaryIndexes`.
    pub gsis: Vec<IndexMeta>,
    /// Stream, when enabled.
    pub stream: Option<StreamMeta>,
    /// Encryption settings, when the client gave them.
    pub sse: Option<SseMeta>,
    /// `DeletionProtectionEnabled`.
    pub deletion_protection: bool,
    /// `TableClass`, when given.
    pub table_class: Option<String>,
    /// Tags in the order they were added.
    pub tags: Vec<(String, String)>,
    /// TTL attribute, when TTL is enabled.
    pub ttl_attribute: Option<String>,
    /// The partition map, sorted by start.
    pub partitions: Vec<PartitionMeta>,
    /// Partitions that split, oldest first.
    #[serde(default)]
    pub retired: Vec<RetiredPartition>,
}

impl TableMeta {
    /// The key schema in typed form.
    pub fn key_schema_typed(&self) -> ApiResult<KeySchema> {
        key_schema_of(&self.key_schema, &self.attribute_definitions)
    }

    /// `arn:aws:dynamodb:<region>:<account>:table/<name>`.
    pub fn arn(&self, region: &str) -> String {
        format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/{}", self.name)
    }
}

/// Builds a typed key schema from elements and definitions.
pub fn key_schema_of(elems: &[KeyElem], defs: &[(String, String)]) -> ApiResult<KeySchema> {
    let ty = |name: &str| -> ApiResult<ScalarType> {
        defs.iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, t)| ScalarType::parse(t))
            .ok_or_else(|| ApiError::internal(format!("key attribute {name} undefined")))
    };
    let hash = elems
        .iter()
        .find(|e| e.key_type == "HASH")
        .ok_or_else(|| ApiError::internal("key schema without HASH"))?;
    let sort = match elems.iter().find(|e| e.key_type == "RANGE") {
        Some(r) => Some(KeyAttr {
            name: r.name.clone(),
            ty: ty(&r.name)?,
        }),
        None => None,
    };
    Ok(KeySchema {
        partition: KeyAttr {
            name: hash.name.clone(),
            ty: ty(&hash.name)?,
        },
        sort,
    })
}

/// The account id shoal reports in ARNs (as DynamoDB Local does, a fixed one).
pub const ACCOUNT: &str = "000000000000";

/// A table on this node: its definition and its open partitions.
#[derive(Debug)]
pub struct Table {
    /// The definition.
    pub meta: TableMeta,
    /// The primary key.
    pub schema: KeySchema,
    /// Open partitions, in the order of `meta.partitions`.
    pub partitions: Vec<Arc<Partition>>,
    /// Secondary indexes, maintained by every partition write.
    pub indexes: Arc<TableIndexes>,
    /// Sizes of large item collections (tables with local indexes).
    pub collections: Arc<CollectionSizes>,
    /// Committed-capacity buckets of the partitions.
    pub throughput: Arc<TableThroughput>,
    /// Committed-capacity buckets of the global secondary indexes.
    pub index_throughput: Arc<IndexThroughput>,
}

impl Table {
    /// The partition owning a point.
    pub fn route(&self, point: u64) -> &Arc<Partition> {
        let i = self
            .partitions
            .partition_point(|p| p.desc().start <= point)
            .saturating_sub(1);
        // The map covers the whole point space (validated), so `i` is always in range.
        &self.partitions[i.min(self.partitions.len() - 1)]
    }

    /// Item count and size over all partitions.
    pub fn stats(&self) -> (u64, u64) {
        self.partitions.iter().fold((0, 0), |(n, b), p| {
            let s = p.stats();
            (n + s.items, b + s.bytes)
        })
    }

    /// Checks that the partition map covers the point space exactly.
    pub fn validate(&self) -> Result<(), String> {
        let mut expect = 0u64;
        for (i, p) in self.meta.partitions.iter().enumerate() {
            if p.start != expect {
                return Err(format!("partition {i} starts at {} not {expect}", p.start));
            }
            if p.end < p.start {
                return Err(format!("partition {i} ends before it starts"));
            }
            if i + 1 == self.meta.partitions.len() {
                if p.end != u64::MAX {
                    return Err("last partition does not end at u64::MAX".into());
                }
            } else {
                expect = p.end + 1;
            }
        }
        if self.meta.partitions.is_empty() {
            return Err("no partitions".into());
        }
        Ok(())
    }
}

/// Splits the point space into `n` equal contiguous ranges.
pub fn even_ranges(n: u64) -> Vec<(u64, u64)> {
    let n = n.max(1);
    let width = u64::MAX / n;
    (0..n)
        .map(|i| {
            let start = i * width;
            let end = if i + 1 == n {
                u64::MAX
            } else {
                (i + 1) * width - 1
            };
            (start, end)
        })
        .collect()
}

/// The node's catalog.
pub struct Catalog {
    store: Store,
    /// By name; [`SeededState`] because every request looks its table up (SipHash was
    /// ~200 instructions of it).
    tables: RwLock<HashMap<String, Arc<Table>, SeededState>>,
    ddl: Mutex<()>,
    /// Region reported in ARNs.
    pub region: String,
}

const TABLE_PREFIX: &[u8] = b"table/";
const DROPPED_PREFIX: &[u8] = b"dropped/";
const NEXT_ID: &[u8] = b"next_id";

impl Catalog {
    /// Loads every table and opens its partitions.
    pub fn open(store: Store, region: String) -> anyhow::Result<Catalog> {
        let mut tables = HashMap::with_hasher(SeededState::new());
        for (k, v) in store.meta_scan(TABLE_PREFIX)? {
            let meta: TableMeta = serde_json::from_slice(&v).map_err(|e| {
                anyhow::anyhow!("catalog entry {:?}: {e}", String::from_utf8_lossy(&k))
            })?;
            let table = open_table(&store, meta)?;
            tables.insert(table.meta.name.clone(), Arc::new(table));
        }
        Ok(Catalog {
            store,
            tables: RwLock::new(tables),
            ddl: Mutex::new(()),
            region,
        })
    }

    /// The store the catalog lives in.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A table by name.
    pub fn get(&self, name: &str) -> Option<Arc<Table>> {
        self.tables.read().get(name).cloned()
    }

    /// A table by name, or DynamoDB's item-operation not-found error.
    pub fn require(&self, name: &str) -> ApiResult<Arc<Table>> {
        self.get(name)
            .ok_or_else(|| ApiError::ResourceNotFound("Requested resource not found".into()))
    }

    /// All tables.
    pub fn all(&self) -> Vec<Arc<Table>> {
        let mut v: Vec<_> = self.tables.read().values().cloned().collect();
        v.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
        v
    }

    /// Table names in DynamoDB's (byte) order.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.tables.read().keys().cloned().collect();
        v.sort();
        v
    }

    /// Reserves `n` consecutive ids (durably) and returns the first.
    pub fn allocate_ids(&self, n: u64) -> ApiResult<u64> {
        let cur = match self.store.meta_get(NEXT_ID)? {
            Some(b) => <[u8; 8]>::try_from(b.as_slice())
                .map(u64::from_le_bytes)
                .map_err(|_| ApiError::internal("corrupt next_id"))?,
            None => 1,
        };
        self.store
            .meta_write(&[(NEXT_ID.to_vec(), Some((cur + n).to_le_bytes().to_vec()))])?;
        Ok(cur)
    }

    /// Creates a table: assigns ids, lays out `partitions` partitions, reserves its
    /// capacity in `admission` (or refuses), persists it. `meta.id`, `meta.partitions`
    /// and index ids are filled in here.
    pub fn create(
        &self,
        mut meta: TableMeta,
        partitions: u64,
        admission: &Mutex<NodeAdmission>,
    ) -> ApiResult<Arc<Table>> {
        let _ddl = self.ddl.lock();
        if self.tables.read().contains_key(&meta.name) {
            return Err(ApiError::ResourceInUse(format!(
                "Table already exists: {}",
                meta.name
            )));
        }
        let ranges = even_ranges(partitions);
        let n_ids = 1 + ranges.len() as u64 + (meta.lsis.len() + meta.gsis.len()) as u64;
        let mut id = self.allocate_ids(n_ids)?;
        let mut next = || {
            id += 1;
            id - 1
        };
        meta.id = next();
        meta.partitions = ranges
            .into_iter()
            .map(|(start, end)| PartitionMeta {
                id: next(),
                start,
                end,
                parent: None,
                generation: 0,
            })
            .collect();
        for ix in meta.lsis.iter_mut().chain(meta.gsis.iter_mut()) {
            ix.id = next();
        }
        // NOTE: after the ids (a refused table wastes them, harmlessly: ids are never
        // reused) and before anything is opened or written.
        reservation::check(admission, &meta)?;
        let table = open_table(&self.store, meta)?;
        self.persist(&table.meta, &[])?;
        let table = Arc::new(table);
        self.tables
            .write()
            .insert(table.meta.name.clone(), Arc::clone(&table));
        reservation::record(admission, &table.meta);
        Ok(table)
    }

    /// Changes a table's definition; `change` sees the current definition and may refuse.
    /// The node must be able to hold the changed definition's capacity reservation in
    /// `admission`, or the change is refused with nothing changed.
    pub fn update(
        &self,
        name: &str,
        admission: &Mutex<NodeAdmission>,
        change: impl FnOnce(&mut TableMeta) -> ApiResult<()>,
    ) -> ApiResult<Arc<Table>> {
        let _ddl = self.ddl.lock();
        let current = self.get(name).ok_or_else(|| not_found_table(name))?;
        let mut meta = current.meta.clone();
        change(&mut meta)?;
        reservation::check(admission, &meta)?;
        let indexes = if meta.lsis == current.meta.lsis && meta.gsis == current.meta.gsis {
            Arc::clone(&current.indexes)
        } else {
            Arc::new(TableIndexes::build(
                &meta,
                Some(&current.indexes),
                &self.store,
            )?)
        };
        self.persist(&meta, &[])?;
        // Recorded as soon as the definition is durable: it is what a restart reserves.
        reservation::record(admission, &meta);
        if !Arc::ptr_eq(&indexes, &current.indexes) {
            for p in &current.partitions {
                p.set_derived(derived_of(&indexes));
            }
        }
        if meta.billing_mode != current.meta.billing_mode
            || meta.read_capacity != current.meta.read_capacity
            || meta.write_capacity != current.meta.write_capacity
        {
            current.throughput.update(&meta)?;
        }
        // Cheap when nothing changed: only new, removed or re-rated GSIs are touched.
        current.index_throughput.update(&meta)?;
        let table = Arc::new(Table {
            schema: current.schema.clone(),
            partitions: current.partitions.clone(),
            indexes,
            collections: Arc::clone(&current.collections),
            throughput: Arc::clone(&current.throughput),
            index_throughput: Arc::clone(&current.index_throughput),
            meta,
        });
        self.tables
            .write()
            .insert(name.to_string(), Arc::clone(&table));
        Ok(table)
    }

    /// Splits partition `parent_id` of a table into children covering `ranges` (in
    /// point order, covering the parent's range), online: writes to the parent continue
    /// until the switch and are then forwarded (see `shoal_storage::split`). Returns
    /// the children's ids, or `None` when the table or the partition is gone (deleted,
    /// or split by someone else meanwhile).
    pub fn split(
        &self,
        name: &str,
        parent_id: u64,
        ranges: &[(u64, u64)],
    ) -> ApiResult<Option<Vec<u64>>> {
        let Some(table) = self.get(name) else {
            return Ok(None);
        };
        let Some(parent) = table
            .partitions
            .iter()
            .find(|p| p.desc().id == parent_id)
            .cloned()
        else {
            return Ok(None);
        };
        let first = {
            let _ddl = self.ddl.lock();
            self.allocate_ids(ranges.len() as u64)?
        };
        let descs: Vec<PartitionDesc> = ranges
            .iter()
            .zip(first..)
            .map(|(&(start, end), id)| PartitionDesc {
                id,
                table_id: table.meta.id,
                start,
                end,
                log_old_images: parent.desc().log_old_images,
                log_new_images: parent.desc().log_new_images,
            })
            .collect();
        // The long part (counting the children's items) runs without any lock.
        let prepared = self.store.prepare_split(&parent, descs)?;
        let _ddl = self.ddl.lock();
        let Some(current) = self.get(name) else {
            return Ok(None);
        };
        if current.meta.id != table.meta.id
            || !current.partitions.iter().any(|p| Arc::ptr_eq(p, &parent))
        {
            return Ok(None);
        }
        let next_meta = std::cell::RefCell::new(None);
        let children = self.store.finish_split(
            prepared,
            |children| -> ApiResult<_> {
                let mut meta = current.meta.clone();
                let Some(pos) = meta.partitions.iter().position(|p| p.id == parent_id) else {
                    return Err(ApiError::internal("split parent missing from the catalog"));
                };
                let old = meta.partitions.remove(pos);
                let last_seq = children.first().map(|(_, s)| s.last_seq).unwrap_or(0);
                for (i, (d, _)) in children.iter().enumerate() {
                    meta.partitions.insert(
                        pos + i,
                        PartitionMeta {
                            id: d.id,
                            start: d.start,
                            end: d.end,
                            parent: Some(parent_id),
                            generation: old.generation + 1,
                        },
                    );
                }
                meta.retired.push(RetiredPartition {
                    id: old.id,
                    start: old.start,
                    end: old.end,
                    parent: old.parent,
                    generation: old.generation,
                    children: children.iter().map(|(d, _)| d.id).collect(),
                    last_seq,
                    retired_at: crate::node::now_secs(),
                });
                let bytes = serde_json::to_vec(&meta).map_err(ApiError::internal)?;
                *next_meta.borrow_mut() = Some(meta);
                Ok(vec![(table_key(name), Some(bytes))])
            },
            |opened| {
                let Some(meta) = next_meta.borrow_mut().take() else {
                    return Err(ApiError::internal("split installed before it was recorded"));
                };
                let mut partitions = current.partitions.clone();
                let Some(pos) = partitions.iter().position(|p| Arc::ptr_eq(p, &parent)) else {
                    return Err(ApiError::internal("split parent missing from the table"));
                };
                partitions.splice(pos..=pos, opened.iter().map(|(c, _)| Arc::clone(c)));
                let shares: Vec<(u64, f64)> = opened
                    .iter()
                    .map(|(c, _)| (c.desc().id, crate::throughput::share_of(c.desc())))
                    .collect();
                // The catalog is already durable with the children, so installing them
                // must not fail: buckets that cannot be handed on are rebuilt instead.
                if let Err(e) = current.throughput.apply_split(parent_id, &shares) {
                    tracing::warn!(table = %name, parent_id, error = %e, "rebuilding capacity buckets after a split");
                    current.throughput.rebuild(&meta);
                }
                let table = Arc::new(Table {
                    meta,
                    schema: current.schema.clone(),
                    partitions,
                    indexes: Arc::clone(&current.indexes),
                    collections: Arc::clone(&current.collections),
                    throughput: Arc::clone(&current.throughput),
                    index_throughput: Arc::clone(&current.index_throughput),
                });
                debug_assert!(table.validate().is_ok());
                self.tables.write().insert(name.to_string(), table);
                Ok(())
            },
        )?;
        Ok(Some(children.iter().map(|(c, _)| c.desc().id).collect()))
    }

    /// Removes a table from the catalog, releases its capacity reservation in
    /// `admission` and records its partitions for purging.
    pub fn delete(&self, name: &str, admission: &Mutex<NodeAdmission>) -> ApiResult<Arc<Table>> {
        let _ddl = self.ddl.lock();
        let table = self.get(name).ok_or_else(|| not_found_table(name))?;
        if table.meta.deletion_protection {
            return Err(ApiError::Validation(
                "Resource cannot be deleted as it is currently protected against deletion. \
                 Disable deletion protection first."
                    .into(),
            ));
        }
        // Retired partitions are listed too: their logs go with the table. Their data
        // ranges are covered by their descendants, so purging them again is harmless.
        let mut descs: Vec<PartitionMeta> = table.meta.partitions.clone();
        descs.extend(table.meta.retired.iter().map(|r| PartitionMeta {
            id: r.id,
            start: r.start,
            end: r.end,
            parent: r.parent,
            generation: r.generation,
        }));
        let dropped = serde_json::to_vec(&(table.meta.id, descs)).map_err(ApiError::internal)?;
        let mut dkey = DROPPED_PREFIX.to_vec();
        dkey.extend_from_slice(&table.meta.id.to_be_bytes());
        self.store
            .meta_write(&[(table_key(name), None), (dkey, Some(dropped))])?;
        self.tables.write().remove(name);
        reservation::release(admission, &table.meta);
        Ok(table)
    }

    /// Partitions of deleted tables still to purge: (dropped record key, partitions).
    pub fn dropped(&self) -> anyhow::Result<Vec<(Vec<u8>, Vec<PartitionDesc>)>> {
        let mut out = Vec::new();
        for (k, v) in self.store.meta_scan(DROPPED_PREFIX)? {
            let (table_id, parts): (u64, Vec<PartitionMeta>) = serde_json::from_slice(&v)?;
            let descs = parts
                .into_iter()
                .map(|p| PartitionDesc {
                    id: p.id,
                    table_id,
                    start: p.start,
                    end: p.end,
                    log_old_images: false,
                    log_new_images: false,
                })
                .collect();
            out.push((k, descs));
        }
        Ok(out)
    }

    /// Forgets a purged table's record.
    pub fn forget_dropped(&self, key: Vec<u8>) -> anyhow::Result<()> {
        self.store.meta_write(&[(key, None)])?;
        Ok(())
    }

    fn persist(&self, meta: &TableMeta, extra: &[(Vec<u8>, Option<Vec<u8>>)]) -> ApiResult<()> {
        let bytes = serde_json::to_vec(meta).map_err(ApiError::internal)?;
        let mut entries = vec![(table_key(&meta.name), Some(bytes))];
        entries.extend_from_slice(extra);
        self.store.meta_write(&entries)?;
        Ok(())
    }
}

fn table_key(name: &str) -> Vec<u8> {
    let mut k = TABLE_PREFIX.to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

/// DynamoDB's not-found message for control-plane operations on a table.
pub fn not_found_table(name: &str) -> ApiError {
    ApiError::ResourceNotFound(format!(
        "Requested resource not found: Table: {name} not found"
    ))
}

fn open_table(store: &Store, meta: TableMeta) -> ApiResult<Table> {
    let schema = meta.key_schema_typed()?;
    let log_old_images = meta.stream.is_some() || !meta.lsis.is_empty() || !meta.gsis.is_empty();
    // Streams are the one reader of new images; indexes are kept in the write's batch.
    let log_new_images = meta.stream.is_some();
    let partitions = meta
        .partitions
        .iter()
        .map(|p| {
            store.open_partition(PartitionDesc {
                id: p.id,
                table_id: meta.id,
                start: p.start,
                end: p.end,
                log_old_images,
                log_new_images,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let indexes = Arc::new(TableIndexes::build(&meta, None, store)?);
    indexes.recount(store).map_err(ApiError::internal)?;
    for p in &partitions {
        p.set_derived(derived_of(&indexes));
    }
    let throughput = Arc::new(TableThroughput::new(&meta)?);
    let index_throughput = Arc::new(IndexThroughput::new(&meta)?);
    let table = Table {
        meta,
        schema,
        partitions,
        indexes,
        collections: Arc::default(),
        throughput,
        index_throughput,
    };
    table.validate().map_err(ApiError::internal)?;
    Ok(table)
}

fn derived_of(indexes: &Arc<TableIndexes>) -> Option<Arc<dyn shoal_storage::Derived>> {
    if indexes.defs.is_empty() {
        None
    } else {
        Some(Arc::clone(indexes) as Arc<dyn shoal_storage::Derived>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_ranges_cover_the_point_space() {
        for n in [1u64, 2, 3, 7, 40, 1000] {
            let r = even_ranges(n);
            assert_eq!(r.len() as u64, n);
            assert_eq!(r[0].0, 0);
            assert_eq!(r[r.len() - 1].1, u64::MAX);
            for w in r.windows(2) {
                assert_eq!(w[0].1 + 1, w[1].0, "{n}: {w:?}");
                assert!(w[0].0 <= w[0].1);
            }
        }
    }
}
