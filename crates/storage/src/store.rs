//! [`Store`]: the node's one fjall database, its keyspaces, and the group committer.

use std::ops::Bound;
use std::path::PathBuf;
use std::sync::Arc;

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use parking_lot::{Mutex, RwLock};

use crate::cache::{ItemCache, ItemCacheStats};
use crate::journal::JournalSync;
use crate::keys;
use crate::log::{log_key, LogRecord};
use crate::partition::{prefix_successor, Partition, PartitionDesc, PartitionStats};
use crate::{Durability, Error, Result};

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Directory of the database (created if missing).
    pub path: PathBuf,
    /// Block cache size in bytes.
    pub cache_bytes: u64,
    /// Item cache size in bytes (encoded items of point reads; 0 disables it).
    pub item_cache_bytes: u64,
}

/// Threads fjall gets for flushes and compactions: one per core as fjall would choose (at
/// most 4), but never fewer than 3. fjall keeps its first worker free for flushes by
/// handing every compaction request it receives back to the queue; with only one other
/// worker, that first worker spins on the request for as long as the other compacts
/// (measured on 2 cores: a third of fjall's CPU time during a 1M-record load, taken from
/// request handling). With two others, one of them is nearly always free to take it.
fn background_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(3, 4)
}

/// Item images of at least this many bytes are moved out of the data keyspace's tables
/// into blob files when a memtable is flushed; the tables keep the key and a pointer.
///
/// Why: compactions rewrite every table entry several times over its life, and for
/// items of a kilobyte and more that rewriting was most of the engine's work. With the
/// images in blob files, compactions move keys and pointers only (measured on 2 cores,
/// 1M-record loads of 1 KB items, alternated: server CPU per PutItem 52.1 / 52.2 ->
/// 45.6 / 44.9 µs, 22.0k / 22.3k -> 24.8k / 25.1k PutItem/s; uniform-update runs of
/// workload A 3-7% faster). What it costs: a point read that misses both caches makes
/// one more block read (no change measured in cold GetItem), a Scan over such items
/// reads each from its blob file (workload E 10% slower), and overwritten images stay
/// in their blob file until it is wholly stale or a compaction rewrites it (fjall's
/// defaults: the oldest quarter of the files at least a quarter stale that the
/// compaction's tables alone refer to). After 14 uniform overwrites per key the
/// directory was 1.4 times the size it reaches without separation, and not growing.
/// Smaller items, the common case, stay in the tables and pay nothing.
///
/// fjall records a keyspace's options when it creates it: a data directory created
/// before separation keeps its tables as they were.
const BLOB_THRESHOLD: u32 = 1024;

/// Tables the data keyspace's first level gathers before they are merged into the level
/// below (the engine's default is 4).
///
/// Why: keys are hashes of the partition key, so every flushed table spans the whole key
/// range and every merge rewrites the whole level below it; with large images in blob
/// files, that level (keys and pointers, about 50 MB for 1M items) is one or a few tables
/// rewritten whole for a few MB of new entries. Merging twice as many tables at a time
/// halves that work. Measured on 2 cores, fresh 1M-record data sets of 1 KB items,
/// alternated rounds of load, two C runs and A: workload A 26.5k / 27.6k / 25.4k
/// operations/s against 24.6k / 25.9k / 23.7k with 4 (server CPU per operation 3-11%
/// lower), and with the builds before and after this change 24.9k / 21.8k against
/// 23.5k / 20.8k; loads and GetItem within noise; 16 was no better than 8. What it
/// costs: a point read that misses the caches checks up to 7 more tables' filters.
///
/// Like the other creation options, fjall records it when it creates the keyspace: a
/// data directory created before keeps the threshold it was created with.
const L0_THRESHOLD: u8 = 8;

/// The data keyspace: items and index entries, large images in blob files.
fn data_options() -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default()
        .compaction_strategy(Arc::new(
            fjall::compaction::Leveled::default().with_l0_threshold(L0_THRESHOLD),
        ))
        .with_kv_separation(Some(
            fjall::KvSeparationOptions::default()
                .separation_threshold(BLOB_THRESHOLD)
                // Compressing blobs cost 10% of a PutItem's CPU on the load generator's
                // values; small items' table blocks stay compressed.
                .compression(fjall::CompressionType::None),
        ))
}

/// Handles shared by the store and its partitions.
pub(crate) struct Inner {
    pub(crate) db: Database,
    pub(crate) data: Keyspace,
    pub(crate) log: Keyspace,
    pub(crate) meta: Keyspace,
    pub(crate) durability: Arc<Durability>,
    pub(crate) items: ItemCache,
    /// Held for reading by every call that writes the journal, and for writing (tried,
    /// never awaited) by the committer while it zero-fills ahead of the engine
    /// (journal.rs).
    pub(crate) journal_gate: RwLock<()>,
}

impl Inner {
    /// Commits a batch. Every write to the engine goes through this method,
    /// [`Inner::meta_insert`] or [`Inner::meta_remove`], which hold the journal gate.
    pub(crate) fn commit(&self, batch: fjall::OwnedWriteBatch) -> fjall::Result<()> {
        let _gate = self.journal_gate.read();
        batch.commit()
    }

    /// Writes one metadata entry (not synced).
    pub(crate) fn meta_insert(&self, key: Vec<u8>, value: Vec<u8>) -> fjall::Result<()> {
        let _gate = self.journal_gate.read();
        self.meta.insert(key, value)
    }

    /// Removes one metadata entry (not synced).
    pub(crate) fn meta_remove(&self, key: Vec<u8>) -> fjall::Result<()> {
        let _gate = self.journal_gate.read();
        self.meta.remove(key)
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

/// The node's storage. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
    committer: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

const STATS_PREFIX: &[u8] = b"stats/";
const DELETE_CHUNK: usize = 1024;

/// The meta entry that names the data keyspace's key layout. A data directory written
/// before it existed has none and owners of 8 bytes big-endian (layout 1).
const KEY_LAYOUT: &[u8] = b"layout/data-keys";
/// Owners in keys.rs's variable-length code.
const KEY_LAYOUT_VERSION: u8 = 2;
/// Entries moved per batch when a data directory is brought to the current layout, and
/// the bytes at which a batch ends early (entries hold items of up to 400 KB).
const MIGRATE_CHUNK: usize = 1024;
const MIGRATE_CHUNK_BYTES: usize = 8 << 20;

impl Store {
    /// Opens (or creates) the database and starts the group committer thread.
    pub fn open(config: StoreConfig) -> Result<Store> {
        std::fs::create_dir_all(&config.path).map_err(|e| Error::Engine(fjall::Error::Io(e)))?;
        let db = Database::builder(&config.path)
            .cache_size(config.cache_bytes)
            // Group commit decides when the journal reaches the disk (durability.rs).
            .manual_journal_persist(true)
            .worker_threads(background_workers())
            .open()?;
        let data = db.keyspace("data", data_options)?;
        let log = db.keyspace("log", KeyspaceCreateOptions::default)?;
        let meta = db.keyspace("meta", KeyspaceCreateOptions::default)?;
        let durability = Durability::new();
        let inner = Arc::new(Inner {
            db,
            data,
            log,
            meta,
            durability,
            items: ItemCache::new(config.item_cache_bytes),
            journal_gate: RwLock::new(()),
        });
        migrate_keys(&inner)?;
        let committer_inner = Arc::clone(&inner);
        let handle = std::thread::Builder::new()
            .name("shoal-commit".into())
            .spawn(move || {
                if !crate::sched::prefer_short_slices() {
                    tracing::debug!("the committer keeps the scheduler's default time slice");
                }
                let mut journal = JournalSync::new(config.path.clone());
                committer_inner
                    .durability
                    .run_committer(|| journal.sync(&committer_inner).map_err(|e| e.to_string()));
            })
            .map_err(|e| Error::Engine(fjall::Error::Io(e)))?;
        Ok(Store {
            inner,
            committer: Arc::new(Mutex::new(Some(handle))),
        })
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    /// The group-commit state; await [`Durability::wait`] on a write's ticket.
    pub fn durability(&self) -> &Arc<Durability> {
        &self.inner.durability
    }

    /// Stops the committer after a final sync and syncs everything. Idempotent.
    pub fn close(&self) -> Result<()> {
        self.inner.durability.shutdown();
        if let Some(h) = self.committer.lock().take() {
            let _ = h.join();
        }
        self.inner.db.persist(PersistMode::SyncAll)?;
        Ok(())
    }

    /// Reads a metadata value.
    pub fn meta_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.inner.meta.get(key)?.map(|v| v.to_vec()))
    }

    /// Every metadata entry whose key starts with `prefix`, in key order.
    pub fn meta_scan(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        for guard in self.inner.meta.prefix(prefix) {
            let (k, v) = guard.into_inner()?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    /// Applies puts (`Some`) and deletes (`None`) of metadata atomically and durably
    /// (fsync before returning): catalog changes are rare and must survive a crash.
    pub fn meta_write(&self, entries: &[(Vec<u8>, Option<Vec<u8>>)]) -> Result<()> {
        let mut batch = self.inner.db.batch().durability(Some(PersistMode::SyncAll));
        for (k, v) in entries {
            match v {
                Some(v) => batch.insert(&self.inner.meta, k.as_slice(), v.as_slice()),
                None => batch.remove(&self.inner.meta, k.as_slice()),
            }
        }
        self.inner.commit(batch)?;
        Ok(())
    }

    /// Opens a partition: recovers its last sequence number and statistics from the
    /// latest checkpoint plus the log records after it.
    pub fn open_partition(&self, desc: PartitionDesc) -> Result<Arc<Partition>> {
        let mut stats = self.read_checkpoint(desc.id)?;
        let mut from = stats.last_seq + 1;
        loop {
            let p = Partition::new(desc.clone(), Arc::clone(&self.inner), stats);
            let records = p.read_log(from, 4096)?;
            if records.is_empty() {
                break;
            }
            for r in &records {
                apply_record_stats(&mut stats, r);
                from = r.seq + 1;
            }
        }
        Ok(Arc::new(Partition::new(
            desc,
            Arc::clone(&self.inner),
            stats,
        )))
    }

    fn read_checkpoint(&self, partition_id: u64) -> Result<PartitionStats> {
        let Some(v) = self.inner.meta.get(stats_key(partition_id))? else {
            return Ok(PartitionStats::default());
        };
        let word = |i: usize| -> Result<u64> {
            v.get(i * 8..i * 8 + 8)
                .and_then(|s| <[u8; 8]>::try_from(s).ok())
                .map(u64::from_le_bytes)
                .ok_or_else(|| Error::Corrupt("short stats checkpoint".into()))
        };
        Ok(PartitionStats {
            last_seq: word(0)?,
            items: word(1)?,
            bytes: word(2)?,
        })
    }

    /// Records the partition's current statistics so that the next open replays only
    /// the log after this point. Written without fsync: a lost checkpoint only means a
    /// longer replay.
    pub fn checkpoint(&self, partition: &Partition) -> Result<PartitionStats> {
        // Counters and sequence must be read together (under the write lock), or a
        // replay from `last_seq` would count a write twice or not at all.
        let stats = partition.stats_consistent();
        let (k, v) = stats_entry(partition.desc().id, &stats);
        if let Some(v) = v {
            self.inner.meta_insert(k, v)?;
        }
        Ok(stats)
    }

    /// Deletes log records of the partition with sequence numbers below `before_seq`,
    /// never past its last checkpoint (taken here first). Returns how many were removed.
    pub fn trim_log(&self, partition: &Partition, before_seq: u64) -> Result<u64> {
        let stats = self.checkpoint(partition)?;
        let bound = before_seq.min(stats.last_seq + 1);
        let lo = log_key(partition.desc().id, 0);
        let hi = log_key(partition.desc().id, bound);
        self.delete_range(&self.inner.log, &lo, &hi)
    }

    /// The oldest retained log record of the partition.
    pub fn oldest_log_record(&self, partition: &Partition) -> Result<Option<LogRecord>> {
        Ok(partition.read_log(0, 1)?.into_iter().next())
    }

    /// Removes every item, log record and checkpoint of a partition (after its table
    /// was deleted). Safe to call again after a crash part way.
    pub fn purge_partition(&self, desc: &PartitionDesc) -> Result<u64> {
        let lo = keys::point_prefix(desc.table_id, desc.start);
        let hi_prefix = keys::point_prefix(desc.table_id, desc.end);
        let hi = prefix_successor(&hi_prefix).unwrap_or_else(|| vec![0xff; hi_prefix.len() + 1]);
        let mut n = self.delete_range(&self.inner.data, &lo, &hi)?;
        self.inner.items.clear();
        n += self.delete_range(
            &self.inner.log,
            &log_key(desc.id, 0),
            &prefix_successor(&desc.id.to_be_bytes()).unwrap_or_else(|| vec![0xff; 17]),
        )?;
        self.inner.meta_remove(stats_key(desc.id))?;
        Ok(n)
    }

    /// Removes the log records and checkpoint of a partition that split, once its log
    /// is past the retention (its data belongs to its children). Idempotent.
    pub fn purge_log(&self, partition_id: u64) -> Result<u64> {
        let n = self.delete_range(
            &self.inner.log,
            &log_key(partition_id, 0),
            &prefix_successor(&partition_id.to_be_bytes()).unwrap_or_else(|| vec![0xff; 17]),
        )?;
        self.inner.meta_remove(stats_key(partition_id))?;
        Ok(n)
    }

    fn delete_range(&self, ks: &Keyspace, lo: &[u8], hi: &[u8]) -> Result<u64> {
        let mut removed = 0u64;
        loop {
            let mut keys = Vec::with_capacity(DELETE_CHUNK);
            for guard in ks.range::<&[u8], _>(lo..hi).take(DELETE_CHUNK) {
                keys.push(guard.key()?);
            }
            if keys.is_empty() {
                return Ok(removed);
            }
            let mut batch = self.inner.db.batch();
            for k in &keys {
                batch.remove(ks, k.clone());
            }
            self.inner.commit(batch)?;
            removed += keys.len() as u64;
        }
    }

    /// Visits data entries inside `(lower, upper)` (secondary index entries, whose keys
    /// are not owned by a table partition) in key order or reverse, until `visit`
    /// returns `false`. Values are handed over undecoded.
    pub fn range_data(
        &self,
        lower: std::ops::Bound<&[u8]>,
        upper: std::ops::Bound<&[u8]>,
        reverse: bool,
        mut visit: impl FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<()> {
        let iter = self.inner.data.range::<&[u8], _>((lower, upper));
        if reverse {
            for guard in iter.rev() {
                let (k, v) = guard.into_inner()?;
                if !visit(&k, &v) {
                    break;
                }
            }
        } else {
            for guard in iter {
                let (k, v) = guard.into_inner()?;
                if !visit(&k, &v) {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Whether a data entry exists (an index backfill asks before re-deriving one).
    pub fn data_contains(&self, key: &[u8]) -> Result<bool> {
        Ok(self.inner.data.contains_key(key)?)
    }

    /// Deletes every data entry whose key starts with `prefix` (a dropped index).
    pub fn purge_prefix(&self, prefix: &[u8]) -> Result<u64> {
        let hi = prefix_successor(prefix).unwrap_or_else(|| vec![0xff; prefix.len() + 1]);
        let n = self.delete_range(&self.inner.data, prefix, &hi);
        self.inner.items.clear();
        n
    }

    /// What the item cache holds and how often it answered.
    pub fn item_cache_stats(&self) -> ItemCacheStats {
        self.inner.items.stats()
    }

    /// Bytes the database occupies on disk.
    pub fn disk_space(&self) -> u64 {
        self.inner.db.disk_space().unwrap_or(0)
    }

    /// Writes the data keyspace's memtables to tables and, with `compact`, merges all its
    /// tables into one, waiting for both. Normally the engine does this by itself as
    /// memtables fill; tests use it to reach the table and blob-file paths with little
    /// data.
    pub fn flush_data(&self, compact: bool) -> Result<()> {
        self.inner.data.rotate_memtable_and_wait()?;
        if compact {
            self.inner.data.major_compact()?;
        }
        Ok(())
    }

    /// Tables in the data keyspace's first level (see [`L0_THRESHOLD`]).
    pub fn data_l0_tables(&self) -> usize {
        self.inner.data.l0_table_count()
    }

    /// Blob files of the data keyspace (see [`BLOB_THRESHOLD`]).
    pub fn data_blob_files(&self) -> usize {
        self.inner.data.blob_file_count()
    }
}

/// Brings a data directory written with the first key layout (8-byte big-endian owners)
/// to keys.rs's layout, then records the layout; a new directory is only marked. Runs at
/// open, before the committer and before any partition is read.
///
/// Resumable: each chunk moves its entries in one batch (the new key in, the old out), and
/// the first layout's keys are exactly the keys that start with a zero byte (keys.rs,
/// invariant 3), so a run cut short by a crash leaves keys that the next run either
/// moves or leaves alone. The layout is recorded only after the moved entries are synced.
fn migrate_keys(inner: &Inner) -> Result<()> {
    match inner.meta.get(KEY_LAYOUT)? {
        Some(v) if *v == [KEY_LAYOUT_VERSION] => return Ok(()),
        Some(v) => {
            let layout = match &*v {
                [n] => n.to_string(),
                other => format!("{other:02x?}"),
            };
            return Err(Error::Corrupt(format!(
                "the data directory's keys are in layout {layout}; this shoal reads layout \
                 {KEY_LAYOUT_VERSION} (and upgrades layout 1)"
            )));
        }
        None => {}
    }
    let first_layout_end: &[u8] = &[1];
    let mut after: Option<Vec<u8>> = None;
    let mut moved = 0u64;
    loop {
        let lower = match &after {
            Some(a) => Bound::Excluded(a.as_slice()),
            None => Bound::Included(&[0u8][..]),
        };
        let mut chunk = Vec::new();
        let mut bytes = 0;
        for guard in inner
            .data
            .range::<&[u8], _>((lower, Bound::Excluded(first_layout_end)))
        {
            let (k, v) = guard.into_inner()?;
            bytes += k.len() + v.len();
            chunk.push((k, v));
            if chunk.len() >= MIGRATE_CHUNK || bytes >= MIGRATE_CHUNK_BYTES {
                break;
            }
        }
        let Some((last, _)) = chunk.last() else {
            break;
        };
        after = Some(last.to_vec());
        let mut batch = inner.db.batch();
        for (old, v) in &chunk {
            let owner = old
                .get(..8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .filter(|&id| id > 0)
                .ok_or_else(|| {
                    Error::Corrupt(format!("data key {old:02x?} has no owner of layout 1"))
                })?;
            let mut new = keys::Owner::new(owner).to_vec();
            new.extend_from_slice(&old[8..]);
            batch.insert(&inner.data, new, v.clone());
            batch.remove(&inner.data, old.clone());
        }
        inner.commit(batch)?;
        moved += chunk.len() as u64;
    }
    if moved > 0 {
        inner.db.persist(PersistMode::SyncAll)?;
        tracing::info!(
            entries = moved,
            "data keys moved to key layout {KEY_LAYOUT_VERSION}"
        );
    }
    let mut batch = inner.db.batch().durability(Some(PersistMode::SyncAll));
    batch.insert(&inner.meta, KEY_LAYOUT, [KEY_LAYOUT_VERSION]);
    inner.commit(batch)?;
    Ok(())
}

/// The checkpoint entry of a partition's statistics.
pub(crate) fn stats_entry(partition_id: u64, stats: &PartitionStats) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut v = Vec::with_capacity(24);
    v.extend_from_slice(&stats.last_seq.to_le_bytes());
    v.extend_from_slice(&stats.items.to_le_bytes());
    v.extend_from_slice(&stats.bytes.to_le_bytes());
    (stats_key(partition_id), Some(v))
}

pub(crate) fn apply_record_stats(stats: &mut PartitionStats, r: &LogRecord) {
    let new = matches!(r.op, crate::LogOp::Put);
    if r.old_size.is_some() {
        stats.items = stats.items.saturating_sub(1);
        stats.bytes = stats
            .bytes
            .saturating_sub(u64::from(r.old_size.unwrap_or(0)));
    }
    if new {
        stats.items += 1;
        stats.bytes += u64::from(r.new_size);
    }
    stats.last_seq = r.seq;
}

fn stats_key(partition_id: u64) -> Vec<u8> {
    let mut k = STATS_PREFIX.to_vec();
    k.extend_from_slice(&partition_id.to_be_bytes());
    k
}

#[cfg(test)]
#[path = "store_test.rs"]
mod tests;
