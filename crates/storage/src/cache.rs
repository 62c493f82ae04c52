//! [`ItemCache`]: the encoded items of recent point reads, in front of the engine.
//!
//! A point read (GetItem, BatchGetItem, and the read of the current item that every write
//! makes) otherwise searches every memtable, then a block per table level: under a skewed
//! GetItem load that was ~17% of the server's samples (bench/README.md). The cache keeps
//! each item's encoded image, one contiguous allocation, by data key. Decoded items were
//! tried and measured slower: a `BTreeMap` of scattered strings that sat in the cache for
//! seconds costs a cache miss per attribute to serialise or clone, more than decoding
//! the contiguous image again.
//!
//! It is sharded by the key's point (points are hashes), each shard a readers-writer lock
//! around a weighted CLOCK-style cache (`quick_cache::unsync`, whose lookups need only a
//! shared reference) and a generation counter. Hits take the lock shared: under a
//! zipfian load the hottest key alone draws ~8% of the reads, and an exclusive lock on
//! its shard stalled a worker whenever the holder was preempted.
//!
//! Invariants a reader must keep:
//! 1. An entry is never older than the engine's committed item at its key once the write
//!    that changed it can be acknowledged: a writer replaces or drops the entry after its
//!    batch is committed and before it completes its ticket (so before any reader can
//!    see that ticket durable), and bumps the shard's generation in the same critical
//!    section.
//! 2. A reader that missed fills the entry only if the shard's generation is unchanged
//!    since before it read the engine (checked under the shard's lock): a write that
//!    committed meanwhile turns the fill into a no-op, so a fill never puts back an item
//!    a write already replaced.
//! 3. Every path that changes data keys outside [`crate::Partition::write`] forgets the keys
//!    it changed, or clears the cache (purges of whole tables and indexes).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use shoal_types::hash::SeededState;

/// Shards: enough that two workers rarely meet on one lock.
const SHARDS: usize = 64;

/// What an entry costs beyond its key and image: two allocation headers, the `Arc`'s
/// counts and the cache's slot and table entry.
const ENTRY_OVERHEAD: u64 = 96;

#[derive(Clone, Copy)]
struct EntryWeight;

impl quick_cache::Weighter<Box<[u8]>, Arc<[u8]>> for EntryWeight {
    fn weight(&self, key: &Box<[u8]>, image: &Arc<[u8]>) -> u64 {
        (key.len() + image.len()) as u64 + ENTRY_OVERHEAD
    }
}

/// Items by data key. Keys are hashed with [`SeededState`]: std's SipHash was ~300
/// instructions per lookup, and every write makes one.
type Items = quick_cache::unsync::Cache<
    Box<[u8]>,
    Arc<[u8]>,
    EntryWeight,
    SeededState,
    quick_cache::unsync::DefaultLifecycle<Box<[u8]>, Arc<[u8]>>,
>;

struct Shard {
    generation: u64,
    items: Items,
    /// Lookups answered here, and lookups that went to the engine (counted under the
    /// shared lock, hence atomics; one pair per shard so workers do not share a line).
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What the cache holds and how often it answered, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ItemCacheStats {
    /// Items cached.
    pub entries: u64,
    /// Their weight: key, image and per-entry overhead, in bytes.
    pub bytes: u64,
    /// Point reads answered from the cache.
    pub hits: u64,
    /// Point reads that went to the engine.
    pub misses: u64,
}

/// Proof of a miss: fill the entry with what the engine returned only if no write to the
/// shard committed since.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp {
    shard: usize,
    generation: u64,
}

/// The cache of encoded items (see the module docs).
pub(crate) struct ItemCache {
    /// Empty when the cache is disabled (capacity 0).
    shards: Box<[RwLock<Shard>]>,
}

impl ItemCache {
    /// A cache holding about `bytes` of items; 0 disables it.
    pub(crate) fn new(bytes: u64) -> ItemCache {
        if bytes == 0 {
            return ItemCache {
                shards: Box::new([]),
            };
        }
        let per_shard = (bytes / SHARDS as u64).max(1);
        // An estimate for the table sizes only; entries are weighed by their real size.
        let estimated = (per_shard / 1024).max(16) as usize;
        let shards = (0..SHARDS)
            .map(|_| {
                RwLock::new(Shard {
                    generation: 0,
                    items: Items::with(
                        estimated,
                        per_shard,
                        EntryWeight,
                        SeededState::new(),
                        Default::default(),
                    ),
                    hits: AtomicU64::new(0),
                    misses: AtomicU64::new(0),
                })
            })
            .collect();
        ItemCache { shards }
    }

    fn shard_of(&self, key: &[u8]) -> Option<usize> {
        if self.shards.is_empty() {
            return None;
        }
        // Data keys are `table | point | suffix` and points are hashes: their bits spread
        // keys evenly. A key too short to hold a point goes to shard 0.
        let point = crate::keys::point_of_data_key(key).unwrap_or(0);
        Some((point >> 9) as usize % self.shards.len())
    }

    /// The cached image of the item at `key`, if any, without a stamp: for a reader that
    /// reads a miss elsewhere. Counts hits only; the [`ItemCache::get`] of the read that
    /// follows a miss counts it.
    pub(crate) fn peek(&self, key: &[u8]) -> Option<Arc<[u8]>> {
        let shard = self.shards.get(self.shard_of(key)?)?;
        let guard = shard.read();
        let image = Arc::clone(guard.items.get(key)?);
        guard.hits.fetch_add(1, Ordering::Relaxed);
        Some(image)
    }

    /// The cached image of the item at `key`, or the stamp to [`ItemCache::fill`] it
    /// with after reading the engine. `Err(None)` when the cache is disabled.
    pub(crate) fn get(&self, key: &[u8]) -> Result<Arc<[u8]>, Option<Stamp>> {
        let shard = self.shard_of(key).ok_or(None)?;
        let guard = self.shards.get(shard).ok_or(None)?.read();
        match guard.items.get(key) {
            Some(image) => {
                guard.hits.fetch_add(1, Ordering::Relaxed);
                Ok(Arc::clone(image))
            }
            None => {
                guard.misses.fetch_add(1, Ordering::Relaxed);
                Err(Some(Stamp {
                    shard,
                    generation: guard.generation,
                }))
            }
        }
    }

    /// Caches what a reader that missed read from the engine, unless a write to the
    /// shard committed since the miss (invariant 2).
    pub(crate) fn fill(&self, key: &[u8], stamp: Stamp, image: &[u8]) {
        let Some(shard) = self.shards.get(stamp.shard) else {
            return;
        };
        // Copied before taking the lock: the engine's value may share a whole block.
        let image: Arc<[u8]> = Arc::from(image);
        let mut guard = shard.write();
        if guard.generation != stamp.generation {
            return;
        }
        guard.items.insert(key.into(), image);
    }

    /// Records a committed write of `key` (invariant 1): a cached entry becomes `new`
    /// (or goes, for a delete), and fills of misses from before the write are refused.
    /// A key that is not cached stays uncached: a bulk load does not push out what reads
    /// made hot.
    pub(crate) fn written(&self, key: &[u8], new_image: Option<&[u8]>) {
        let Some(shard) = self.shard_of(key).and_then(|s| self.shards.get(s)) else {
            return;
        };
        let mut guard = shard.write();
        guard.generation += 1;
        // An uncached key, the common case of a write, costs one lookup. (`replace`, not a
        // change through `get_mut`, so that an entry that grows is weighed against the
        // capacity at once.)
        let replaced = match new_image {
            Some(image) => {
                if guard.items.contains_key(key) {
                    let _ = guard.items.replace(key.into(), Arc::from(image), false);
                }
                None
            }
            None => guard.items.remove(key),
        };
        // The old image is freed after the lock is released.
        drop(guard);
        drop(replaced);
    }

    /// Drops `key` (a derived entry written outside the item's own key, or a write whose
    /// outcome is unknown).
    pub(crate) fn forget(&self, key: &[u8]) {
        self.written(key, None);
    }

    /// Drops everything (a purge of a whole table or index).
    pub(crate) fn clear(&self) {
        for shard in self.shards.iter() {
            let mut guard = shard.write();
            guard.generation += 1;
            guard.items.clear();
        }
    }

    /// Entries, their weight, hits and misses (all zero when disabled).
    pub(crate) fn stats(&self) -> ItemCacheStats {
        self.shards
            .iter()
            .fold(ItemCacheStats::default(), |total, shard| {
                let guard = shard.read();
                ItemCacheStats {
                    entries: total.entries + guard.items.len() as u64,
                    bytes: total.bytes + guard.items.weight(),
                    hits: total.hits + guard.hits.load(Ordering::Relaxed),
                    misses: total.misses + guard.misses.load(Ordering::Relaxed),
                }
            })
    }
}

#[cfg(test)]
#[path = "cache_test.rs"]
pub(crate) mod tests;
