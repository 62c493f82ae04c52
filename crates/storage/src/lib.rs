//! shoal's storage: one embedded LSM engine (fjall) per node, the partitions of every
//! table laid out in it, each partition's command log, and group commit.
//!
//! It is not: a request handler, an expression evaluator, or the catalog's schema (the
//! server keeps table metadata and stores it here as opaque bytes through [`Store::meta_write`]).
//! It has no async runtime: callers run it on a blocking pool and await durability
//! through [`Durability::wait`], a plain `Future`.
//!
//! Layout (three keyspaces in one fjall database, so that one journal and one fsync
//! cover every partition):
//!
//! ```text
//! data: table_or_index_id (keys.rs) | point u64 BE | item key suffix -> encoded item
//! log:  partition_id u64 BE | sequence u64 BE                      -> log record (log.rs)
//! meta: opaque keys owned by the server's catalog, plus "stats/<partition id>"
//! ```
//!
//! The data keyspace keeps encoded items of 1 KiB and more in blob files beside its tables
//! (key-value separation, `BLOB_THRESHOLD` in store.rs), so compactions move their keys
//! and pointers, not their images.
//!
//! Invariants a reader must keep:
//! 1. A partition owns the contiguous, inclusive point range `[start, end]` of its table.
//! 2. Every write to a partition is one atomic fjall batch holding its log record at the
//!    next sequence number and the data change; the sequence only grows. There is no
//!    separate replay step: data and log can never disagree.
//! 3. A write is acknowledged only after [`Durability::wait`] returns for its ticket,
//!    which happens after a journal fsync that covers it (group commit).
//! 4. Writes to one partition are serialised by the partition's write lock, so log order
//!    is apply order and conditional writes see the latest committed item.
//! 5. Point reads go through the item cache (cache.rs): anything that changes data keys
//!    outside [`Partition::write`] must forget the keys it changed or clear the cache.
//! 6. Every write to the engine goes through `Inner::commit`, `Inner::meta_insert` or
//!    `Inner::meta_remove` (store.rs), which hold the journal gate: the committer
//!    zero-fills the journal ahead of the engine only while no write is in flight
//!    (journal.rs).

mod cache;
mod durability;
mod error;
mod journal;
pub mod keys;
mod log;
mod partition;
mod sched;
mod split;
mod store;

pub use cache::ItemCacheStats;
pub use durability::{Durability, DurableFuture, Ticket};
pub use error::{Error, Result};
pub use log::{LogOp, LogRecord};
pub use partition::{
    prefix_successor, Change, Current, Derived, DerivedWrite, ItemImage, Partition, PartitionDesc,
    PartitionStats, ScanBatch, Written,
};
pub use split::{PreparedSplit, SplitChildren};
pub use store::{Store, StoreConfig};
