//! [`Partition`]: one contiguous point range of a table, its write lock, its log and its
//! statistics.
//!
//! The write path is `write()`: under the partition's write lock it reads the current
//! item, lets the caller decide the change (conditions and updates are evaluated there,
//! against the latest committed item), and commits the log record and the data change as
//! one atomic batch at the next sequence number. The caller then awaits the returned
//! ticket before acknowledging (invariant 3 of the crate).

use std::ops::Bound;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::{Mutex, RwLock};
use shoal_types::{codec, size, Item};

use crate::keys::{self, point_of_data_key};
use crate::log::{log_key, LogOp, LogRecord, NewRecord};
use crate::store::Inner;
use crate::{Result, Ticket};

/// Where a partition sits. Stored by the catalog; immutable for the partition's life (a
/// split makes new partitions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionDesc {
    /// Unique across the node, never reused.
    pub id: u64,
    /// The table (or index) whose items it holds; the first 8 bytes of its data keys.
    pub table_id: u64,
    /// First point it owns (inclusive).
    pub start: u64,
    /// Last point it owns (inclusive).
    pub end: u64,
    /// Whether log records carry the item's previous image (needed by streams and
    /// index maintenance).
    pub log_old_images: bool,
    /// Whether log records carry the item's new image (needed by streams). Without it
    /// the data keyspace holds the only copy of each image (see `log.rs`).
    pub log_new_images: bool,
}

impl PartitionDesc {
    /// Whether the point falls in the range.
    pub fn contains(&self, point: u64) -> bool {
        self.start <= point && point <= self.end
    }
}

/// What the caller of [`Partition::write`] decided to do with the item.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Store this item (create or replace).
    Put(Item),
    /// Delete the item (a no-op delete of an absent item is still logged, as DynamoDB
    /// still counts it as a write).
    Delete,
    /// Delete the item because its TTL expired.
    Expire,
}

/// The item a write found, as the decision of [`Partition::write`] sees it.
#[derive(Debug)]
pub struct Current {
    item: Option<Item>,
    size: Option<usize>,
    /// The partition reads the item again after the decision (to derive index entries).
    kept: bool,
}

impl Current {
    /// The item, unless the decision took it.
    pub fn item(&self) -> Option<&Item> {
        self.item.as_ref()
    }

    /// The item's DynamoDB size (`None` when there was no item), also after a take.
    pub fn size(&self) -> Option<usize> {
        self.size
    }

    /// The item, to build the new one from without copying it. Afterwards [`item`] and
    /// [`Written::old`] may be `None`: take it only when nothing after the decision reads
    /// the old item. What the partition itself reads afterwards (index maintenance) is
    /// copied for it, so the caller need not know about that.
    ///
    /// [`item`]: Current::item
    pub fn take(&mut self) -> Option<Item> {
        if self.kept {
            self.item.clone()
        } else {
            self.item.take()
        }
    }
}

/// The outcome of a committed write.
#[derive(Debug)]
pub struct Written {
    /// The item before the write (`None` also when the decision took it, see
    /// [`Current::take`]).
    pub old: Option<Item>,
    /// The item after the write.
    pub new: Option<Item>,
    /// The log sequence number of the write.
    pub seq: u64,
    /// Await this (through [`crate::Durability::wait`]) before acknowledging.
    pub ticket: Ticket,
}

/// Counters of a partition, maintained on every write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PartitionStats {
    /// Items stored.
    pub items: u64,
    /// Sum of DynamoDB item sizes.
    pub bytes: u64,
    /// Last applied log sequence number (0 before the first write).
    pub last_seq: u64,
}

/// Entries derived from a write (secondary index entries), committed in the same atomic
/// batch as the write and its log record, so a derived entry can never show an item the
/// table never had nor outlive the item it came from.
///
/// Contract: `derive` is a pure function of the item before and after the write (both
/// are in the write's log record when the partition logs old images), it pushes
/// `(data key, Some(value))` to write and `(data key, None)` to delete, and it never
/// touches keys of the table's own id.
pub trait Derived: Send + Sync {
    /// Entries to write or delete because the item went from `old` to `new`.
    fn derive(&self, old: Option<&Item>, new: Option<&Item>, out: &mut Vec<DerivedWrite>);
}

/// A derived entry to write (`Some`) or delete (`None`).
pub type DerivedWrite = (Vec<u8>, Option<Vec<u8>>);

/// An item's encoded image ([`shoal_types::codec`]) as a point read found it: shared
/// with the item cache, or the engine's own buffer.
pub struct ItemImage(Image);

enum Image {
    Cached(Arc<[u8]>),
    Engine(fjall::UserValue),
}

impl std::ops::Deref for ItemImage {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            Image::Cached(b) => b,
            Image::Engine(b) => b,
        }
    }
}

/// One page of a partition scan.
#[derive(Debug, Default)]
pub struct ScanBatch {
    /// `(data key, item)` in storage order.
    pub items: Vec<(Vec<u8>, Item)>,
    /// True when the partition's range is exhausted.
    pub done: bool,
}

/// A partition of a table on this node.
pub struct Partition {
    desc: PartitionDesc,
    inner: Arc<Inner>,
    /// Next sequence number to assign; holding it serialises writes (invariant 4).
    write_lock: Mutex<u64>,
    derived: RwLock<Option<Arc<dyn Derived>>>,
    /// Ticket of the latest committed write; readers wait for it so they never return a
    /// write that a crash could still take back.
    last_ticket: AtomicU64,
    /// Latest ticket of the writes to the points hashing to each slot: a point read
    /// waits only for writes that could have touched its item (or collide with it),
    /// not for every write of the partition.
    point_tickets: Box<[AtomicU64]>,
    /// Tickets inherited from a split parent, which the point slots do not know.
    inherited_ticket: AtomicU64,
    last_seq: AtomicU64,
    items: AtomicI64,
    bytes: AtomicI64,
    /// The children that replaced this partition when it split (set once, under the
    /// write lock). A retired partition forwards writes to them, so a request that
    /// routed with an older partition map still lands on the partition that owns its
    /// point; its data keys are unchanged, so reads through it stay correct.
    successors: OnceLock<Vec<Arc<Partition>>>,
}

impl std::fmt::Debug for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partition")
            .field("desc", &self.desc)
            .field("last_seq", &self.last_seq.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Partition {
    /// Sets what every later write derives (secondary index entries). Writes already
    /// committed are not revisited; see [`Partition::rederive`].
    pub fn set_derived(&self, derived: Option<Arc<dyn Derived>>) {
        *self.derived.write() = derived;
    }

    /// What this partition derives on every write.
    pub(crate) fn derived(&self) -> Option<Arc<dyn Derived>> {
        self.derived.read().clone()
    }

    /// Whether the partition split and its children own its range now.
    pub fn is_retired(&self) -> bool {
        self.successors.get().is_some()
    }

    /// The child of a retired partition that owns `point`.
    fn successor_for(&self, point: u64) -> Option<&Arc<Partition>> {
        self.successors.get()?.iter().find(|c| c.contains(point))
    }

    /// Retires the partition in favour of `children` (which cover its range). The caller
    /// holds the write lock (`guard`), so no write of this partition is in flight.
    pub(crate) fn retire(
        &self,
        _guard: &parking_lot::MutexGuard<'_, u64>,
        children: Vec<Arc<Partition>>,
    ) {
        let _ = self.successors.set(children);
    }

    /// Takes the write lock; the guard holds the next sequence number.
    pub(crate) fn lock_writes(&self) -> parking_lot::MutexGuard<'_, u64> {
        self.write_lock.lock()
    }

    /// Writes the entries `derived` gives for the current version of each item at the
    /// given data keys, under the write lock so that no concurrent write can interleave
    /// (an index backfill uses this after the index was added to [`set_derived`]).
    /// Not logged: it adds no information the log does not already hold.
    ///
    /// [`set_derived`]: Partition::set_derived
    pub fn rederive(&self, data_keys: &[Vec<u8>], derived: &dyn Derived) -> Result<usize> {
        let _guard = self.write_lock.lock();
        if let Some(children) = self.successors.get() {
            // Split meanwhile: each child re-derives its own keys under its own lock.
            drop(_guard);
            let mut n = 0;
            for c in children {
                let mine: Vec<Vec<u8>> = data_keys
                    .iter()
                    .filter(|k| point_of_data_key(k).is_some_and(|p| c.contains(p)))
                    .cloned()
                    .collect();
                if !mine.is_empty() {
                    n += c.rederive(&mine, derived)?;
                }
            }
            return Ok(n);
        }
        let mut batch = self.inner.db.batch();
        let mut out = Vec::new();
        for k in data_keys {
            if let Some(bytes) = self.inner.data.get(k)? {
                let item = codec::decode_item(&bytes)?;
                derived.derive(None, Some(&item), &mut out);
            }
        }
        let n = out.len();
        let mut changed = Vec::with_capacity(n);
        for (k, v) in out {
            match v {
                Some(v) => batch.insert(&self.inner.data, k.as_slice(), v),
                None => batch.remove(&self.inner.data, k.as_slice()),
            }
            changed.push(k);
        }
        let committed = self.inner.commit(batch);
        for k in &changed {
            self.inner.items.forget(k);
        }
        committed?;
        Ok(n)
    }

    pub(crate) fn new(desc: PartitionDesc, inner: Arc<Inner>, stats: PartitionStats) -> Self {
        Partition {
            desc,
            inner,
            write_lock: Mutex::new(stats.last_seq + 1),
            derived: RwLock::new(None),
            last_ticket: AtomicU64::new(0),
            point_tickets: (0..POINT_SLOTS).map(|_| AtomicU64::new(0)).collect(),
            inherited_ticket: AtomicU64::new(0),
            last_seq: AtomicU64::new(stats.last_seq),
            items: AtomicI64::new(stats.items as i64),
            bytes: AtomicI64::new(stats.bytes as i64),
            successors: OnceLock::new(),
        }
    }

    /// A child of a split: it continues its parent's sequence numbers and inherits the
    /// parent's latest ticket, so a reader of the child waits for the parent's last
    /// writes too.
    pub(crate) fn child_of(
        parent: &Partition,
        desc: PartitionDesc,
        stats: PartitionStats,
    ) -> Partition {
        let child = Partition::new(desc, Arc::clone(&parent.inner), stats);
        child.last_ticket.store(
            parent.last_ticket.load(Ordering::Acquire),
            Ordering::Release,
        );
        *child.derived.write() = parent.derived();
        child
    }

    /// The ticket a reader must see durable before answering with what it read. Call it
    /// after reading: a write stores its ticket before its batch becomes visible, so
    /// this covers every write the read could have seen. Never blocks.
    pub fn read_ticket(&self) -> Ticket {
        let own = Ticket(self.last_ticket.load(Ordering::Acquire));
        match self.successors.get() {
            // A reader through a retired partition may have seen its children's writes.
            Some(children) => children
                .iter()
                .map(|c| c.read_ticket())
                .fold(own, Ticket::max),
            None => own,
        }
    }

    /// Like [`Partition::read_ticket`], for a reader of the single item at `point`: it
    /// covers every write that could have touched that item, and usually fewer others.
    pub fn read_ticket_for(&self, point: u64) -> Ticket {
        if self.successors.get().is_some() {
            return self.read_ticket();
        }
        let slot = self.point_tickets[point_slot(point)].load(Ordering::Acquire);
        Ticket(slot.max(self.inherited_ticket.load(Ordering::Acquire)))
    }

    /// Where the partition sits.
    pub fn desc(&self) -> &PartitionDesc {
        &self.desc
    }

    /// Whether the point falls in this partition's range.
    pub fn contains(&self, point: u64) -> bool {
        self.desc.start <= point && point <= self.desc.end
    }

    /// The full data key of an item: `table id | point | key suffix`.
    pub fn data_key(&self, point: u64, suffix: &[u8]) -> Vec<u8> {
        keys::data_key(self.desc.table_id, point, suffix)
    }

    /// Reads the latest committed item at the key (through the item cache).
    pub fn get(&self, point: u64, suffix: &[u8]) -> Result<Option<Item>> {
        self.get_key(&self.data_key(point, suffix), true)
    }

    /// [`Partition::get`] without decoding: the item's encoded image, for a caller that
    /// turns it straight into its response ([`codec::write_item_image_json`]).
    pub fn get_image(&self, point: u64, suffix: &[u8]) -> Result<Option<ItemImage>> {
        self.image(&self.data_key(point, suffix), true)
    }

    /// The item cache's image of the item, without reading the engine (`None` when it
    /// is not cached, or the cache is disabled): for a caller that chooses where the
    /// engine read of a miss ([`Partition::get_image`]) runs.
    pub fn cached_image(&self, point: u64, suffix: &[u8]) -> Option<ItemImage> {
        let image = self.inner.items.peek(&self.data_key(point, suffix))?;
        Some(ItemImage(Image::Cached(image)))
    }

    /// [`Partition::get`] by full data key.
    fn get_key(&self, key: &[u8], fill: bool) -> Result<Option<Item>> {
        match self.image(key, fill)? {
            Some(image) => Ok(Some(codec::decode_item(&image)?)),
            None => Ok(None),
        }
    }

    /// The image at a data key. `fill`: cache what a miss reads from the engine. The
    /// write path does not: it replaces the item at once, and the write refreshes the
    /// entry only if reads had cached it.
    fn image(&self, key: &[u8], fill: bool) -> Result<Option<ItemImage>> {
        let stamp = match self.inner.items.get(key) {
            Ok(image) => return Ok(Some(ItemImage(Image::Cached(image)))),
            Err(stamp) => stamp,
        };
        let Some(image) = self.inner.data.get(key)? else {
            return Ok(None);
        };
        #[cfg(test)]
        crate::cache::tests::between_read_and_fill();
        if let Some(stamp) = stamp.filter(|_| fill) {
            self.inner.items.fill(key, stamp, &image);
        }
        Ok(Some(ItemImage(Image::Engine(image))))
    }

    /// Reads the item, lets `decide` choose the change, and commits it with its log
    /// record. An error from `decide` writes nothing and is returned as is.
    pub fn write<E: From<crate::Error>>(
        &self,
        point: u64,
        suffix: &[u8],
        decide: impl FnOnce(&mut Current) -> std::result::Result<Change, E>,
    ) -> std::result::Result<Written, E> {
        let key = self.data_key(point, suffix);
        let mut next_seq = self.write_lock.lock();
        if self.successors.get().is_some() {
            drop(next_seq);
            return match self.successor_for(point) {
                Some(child) => child.write(point, suffix, decide),
                None => Err(crate::Error::Corrupt(format!(
                    "point {point:#x} outside the children of partition {}",
                    self.desc.id
                ))
                .into()),
            };
        }
        let found = self.image(&key, false)?;
        let old = match &found {
            Some(image) => Some(codec::decode_item(image).map_err(crate::Error::from)?),
            None => None,
        };
        // What the log keeps of the old item is read before the decision, which may take
        // the item (`Current::take`); the image as stored is the item encoded.
        let old_image = match &found {
            Some(image) if self.desc.log_old_images => image.to_vec(),
            _ => Vec::new(),
        };
        drop(found);
        // Read once under the write lock, as `rederive` takes it too: an index added
        // meanwhile is backfilled after this write.
        let derived = self.derived();
        let mut current = Current {
            size: old.as_ref().map(size::item_size),
            item: old,
            kept: derived.is_some(),
        };
        let change = decide(&mut current)?;
        let Current {
            item: old,
            size: old_size,
            ..
        } = current;
        let old_size = old_size.map(|s| s as u32);
        let seq = *next_seq;
        let mut batch = self.inner.db.batch();
        let (op, new, new_size, image) = match change {
            Change::Put(item) => {
                let s = size::item_size(&item);
                // The image is about the item's size (a tag and a length more per
                // attribute): grown from empty, it was reallocated 7-8 times per put.
                let mut image = Vec::with_capacity(s + s / 8 + 16);
                codec::encode_item(&item, &mut image);
                batch.insert(&self.inner.data, key.as_slice(), image.as_slice());
                (LogOp::Put, Some(item), s as u32, image)
            }
            Change::Delete => {
                batch.remove(&self.inner.data, key.as_slice());
                (LogOp::Delete, None, 0, Vec::new())
            }
            Change::Expire => {
                batch.remove(&self.inner.data, key.as_slice());
                (LogOp::ExpireDelete, None, 0, Vec::new())
            }
        };
        let mut derived_keys = Vec::new();
        if let Some(d) = &derived {
            let mut out = Vec::new();
            d.derive(old.as_ref(), new.as_ref(), &mut out);
            for (k, v) in out {
                match v {
                    Some(v) => batch.insert(&self.inner.data, k.as_slice(), v),
                    None => batch.remove(&self.inner.data, k.as_slice()),
                }
                derived_keys.push(k);
            }
        }
        let mut rec = Vec::new();
        NewRecord {
            op,
            timestamp_micros: now_micros(),
            key: keys::split_data_key(&key)
                .map(|k| k.within_owner)
                .unwrap_or_default(),
            old_size,
            new_size,
            new_image: if self.desc.log_new_images {
                &image
            } else {
                &[]
            },
            old_image: &old_image,
        }
        .encode(&mut rec);
        batch.insert(&self.inner.log, log_key(self.desc.id, seq), rec);
        // The ticket is recorded before the write becomes visible, so a reader that sees
        // the write also sees a ticket that covers it (see `read_ticket`).
        let ticket = self.inner.durability.reserve();
        self.last_ticket.store(ticket.0, Ordering::Release);
        self.point_tickets[point_slot(point)].fetch_max(ticket.0, Ordering::AcqRel);
        let committed = self.inner.commit(batch);
        // Before the ticket completes, so no reader can see this write durable and then
        // read the cache's older item (cache.rs, invariant 1).
        match &committed {
            Ok(()) => self
                .inner
                .items
                .written(&key, new.is_some().then_some(image.as_slice())),
            Err(_) => self.inner.items.forget(&key),
        }
        for k in &derived_keys {
            self.inner.items.forget(k);
        }
        self.inner.durability.complete(ticket);
        committed.map_err(crate::Error::from)?;
        *next_seq = seq + 1;
        self.last_seq.store(seq, Ordering::Release);
        self.apply_stats(old_size, new.as_ref().map(|_| new_size));
        drop(next_seq);
        Ok(Written {
            old,
            new,
            seq,
            ticket,
        })
    }

    fn apply_stats(&self, old_size: Option<u32>, new_size: Option<u32>) {
        let d_items = i64::from(new_size.is_some()) - i64::from(old_size.is_some());
        let d_bytes = i64::from(new_size.unwrap_or(0)) - i64::from(old_size.unwrap_or(0));
        self.items.fetch_add(d_items, Ordering::Relaxed);
        self.bytes.fetch_add(d_bytes, Ordering::Relaxed);
    }

    /// Item count, byte size and last sequence number.
    pub fn stats(&self) -> PartitionStats {
        PartitionStats {
            items: self.items.load(Ordering::Relaxed).max(0) as u64,
            bytes: self.bytes.load(Ordering::Relaxed).max(0) as u64,
            last_seq: self.last_seq.load(Ordering::Acquire),
        }
    }

    /// Stats read under the write lock, so counters match `last_seq` exactly.
    pub(crate) fn stats_consistent(&self) -> PartitionStats {
        let _guard = self.write_lock.lock();
        self.stats()
    }

    /// Up to `limit` items in storage order, starting after the data key `after` (or at
    /// the start of the partition's range).
    pub fn scan(&self, after: Option<&[u8]>, limit: usize) -> Result<ScanBatch> {
        let lo = self.data_key(self.desc.start, &[]);
        let hi = keys::point_prefix(self.desc.table_id, self.desc.end);
        // Every key of the range starts with table|point; the successor of `table|end`
        // as a prefix is its increment, or the next table id when `end` is u64::MAX.
        let upper = prefix_successor(&hi);
        let mut batch = ScanBatch::default();
        let iter = match (after, &upper) {
            (Some(a), Some(u)) => self.inner.data.range::<&[u8], _>((
                std::ops::Bound::Excluded(a),
                std::ops::Bound::Excluded(u.as_slice()),
            )),
            (Some(a), None) => self
                .inner
                .data
                .range::<&[u8], _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)),
            (None, Some(u)) => self
                .inner
                .data
                .range::<&[u8], _>(lo.as_slice()..u.as_slice()),
            (None, None) => self.inner.data.range::<&[u8], _>(lo.as_slice()..),
        };
        for guard in iter {
            if batch.items.len() >= limit {
                return Ok(batch);
            }
            let (k, v) = guard.into_inner()?;
            batch.items.push((k.to_vec(), codec::decode_item(&v)?));
        }
        batch.done = true;
        Ok(batch)
    }

    /// Visits items with data keys inside `(lower, upper)` in key order (or reverse),
    /// until `visit` returns `false`. Bounds are full data keys; the caller keeps them
    /// inside this partition's range. The iteration reads one consistent snapshot.
    pub fn range(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        mut visit: impl FnMut(&[u8], Item) -> bool,
    ) -> Result<()> {
        let iter = self.inner.data.range::<&[u8], _>((lower, upper));
        let mut step = |guard: fjall::Guard| -> Result<bool> {
            let (k, v) = guard.into_inner()?;
            let item = codec::decode_item(&v)?;
            Ok(visit(&k, item))
        };
        if reverse {
            for guard in iter.rev() {
                if !step(guard)? {
                    break;
                }
            }
        } else {
            for guard in iter {
                if !step(guard)? {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Log records with sequence numbers from `from_seq` on, at most `limit`.
    pub fn read_log(&self, from_seq: u64, limit: usize) -> Result<Vec<LogRecord>> {
        let lo = log_key(self.desc.id, from_seq);
        let hi = log_key(self.desc.id, u64::MAX);
        let mut out = Vec::new();
        for guard in self
            .inner
            .log
            .range::<&[u8], _>(lo.as_slice()..=hi.as_slice())
        {
            if out.len() >= limit {
                break;
            }
            let (k, v) = guard.into_inner()?;
            let seq = k
                .get(8..16)
                .and_then(|s| <[u8; 8]>::try_from(s).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| crate::Error::Corrupt("short log key".into()))?;
            out.push(LogRecord::decode(seq, &v)?);
        }
        Ok(out)
    }
}

/// Slots of [`Partition::read_ticket_for`]: enough that unrelated hot points rarely
/// share one, small enough (4 KB) for thousands of partitions.
const POINT_SLOTS: usize = 512;

fn point_slot(point: u64) -> usize {
    // Points are hashes, so their low bits are evenly spread.
    (point as usize) & (POINT_SLOTS - 1)
}

/// The smallest byte string greater than every string with this prefix, if any.
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut p = prefix.to_vec();
    while let Some(last) = p.pop() {
        if last < u8::MAX {
            p.push(last + 1);
            return Some(p);
        }
    }
    None
}

pub(crate) fn now_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}
