//! Online partition splits: a partition's range is divided among children that take
//! over its writes, while reads and writes continue.
//!
//! Data keys are `table id | point | suffix` and do not name a partition, so a split
//! moves no data: it gives each child a log of its own, exact statistics and a
//! checkpoint, and retires the parent. It runs in two phases so that the parent's write
//! lock is held only briefly:
//!
//! 1. [`Store::prepare_split`] takes a snapshot at the parent's sequence number `S`
//!    and the parent's counters (both read under its write lock, so they hold exactly
//!    the writes up to `S`), counts the items and bytes of every child's range but the
//!    widest in the snapshot, without any lock, and gives the widest child the parent's
//!    counters minus its siblings' counts. Counting reads every item's image, so a
//!    binary split reads half of the parent, not all of it.
//! 2. [`Store::finish_split`] takes the parent's write lock, applies the parent's log
//!    records after `S` to the children's counts (records carry the sizes before and
//!    after each write), and commits in one durable metadata batch the children's
//!    checkpoints (their last sequence number is the parent's, invariant 5 of DESIGN:
//!    a child continues its parent's log position) together with the caller's catalog
//!    entries. Then the caller installs the new partition map, and the parent is
//!    retired: writers waiting on its lock are forwarded to the child owning their
//!    point.
//!
//! Invariants a reader must keep:
//! - Children cover the parent's range exactly, in order, without gaps or overlaps.
//! - The catalog entries naming the children and the children's checkpoints are written
//!   in the same atomic, fsynced batch: after a crash either the parent or all of its
//!   children exist, never a child without its starting statistics.
//! - The metadata batch is fsynced, and the journal is shared, so every write of the
//!   parent up to the split is durable when the children take over.
//! - The parent's log is kept (streams and point-in-time restore read it); only its
//!   writes stop.

use std::sync::Arc;

use fjall::Readable;
use shoal_types::codec;

use crate::keys::{self, point_of_data_key};
use crate::partition::{prefix_successor, Partition, PartitionDesc, PartitionStats};
use crate::store::{stats_entry, Store};
use crate::{Error, Result};

/// A split whose children's statistics were counted at the parent's sequence number
/// `at_seq`; [`Store::finish_split`] completes it.
#[derive(Debug)]
pub struct PreparedSplit {
    parent: Arc<Partition>,
    children: Vec<(PartitionDesc, PartitionStats)>,
    at_seq: u64,
}

impl PreparedSplit {
    /// The children, in point order.
    pub fn children(&self) -> impl Iterator<Item = &PartitionDesc> {
        self.children.iter().map(|(d, _)| d)
    }
}

/// A finished split's children, with the statistics they start from.
pub type SplitChildren = Vec<(Arc<Partition>, PartitionStats)>;

impl Store {
    /// Phase 1: checks the children and counts their items in a snapshot.
    pub fn prepare_split(
        &self,
        parent: &Arc<Partition>,
        children: Vec<PartitionDesc>,
    ) -> Result<PreparedSplit> {
        check_children(parent.desc(), &children)?;
        let inner = self.inner();
        let (at_seq, snapshot, at_stats) = {
            let guard = parent.lock_writes();
            if parent.is_retired() {
                return Err(Error::Corrupt(format!(
                    "partition {} already split",
                    parent.desc().id
                )));
            }
            // Under the write lock the counters match the snapshot's writes exactly.
            (*guard - 1, inner.db.snapshot(), parent.stats())
        };
        // The widest child is not counted: counting reads every item of a range, image
        // and all (a kilobyte item from its blob file), and a binary split would read
        // the whole parent for figures the parent's counters already hold.
        let derived = children
            .iter()
            .enumerate()
            .max_by_key(|(_, d)| d.end - d.start)
            .map(|(i, _)| i);
        let mut counted = Vec::with_capacity(children.len());
        for (i, d) in children.into_iter().enumerate() {
            let stats = if Some(i) == derived {
                PartitionStats::default()
            } else {
                count_range(self, &snapshot, &d)?
            };
            counted.push((d, stats));
        }
        if let Some(i) = derived {
            let (items, bytes) = counted
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .fold((0u64, 0u64), |(n, b), (_, (_, s))| {
                    (n + s.items, b + s.bytes)
                });
            let rest = match (
                at_stats.items.checked_sub(items),
                at_stats.bytes.checked_sub(bytes),
            ) {
                (Some(items), Some(bytes)) => PartitionStats {
                    items,
                    bytes,
                    last_seq: 0,
                },
                // Counters below what the siblings hold cannot come from exact counters:
                // count this child too rather than hand it a wrong start.
                _ => {
                    tracing::warn!(
                        partition = parent.desc().id,
                        "partition counters below its children's count; counting every child"
                    );
                    count_range(self, &snapshot, &counted[i].0)?
                }
            };
            counted[i].1 = rest;
        }
        Ok(PreparedSplit {
            parent: Arc::clone(parent),
            children: counted,
            at_seq,
        })
    }

    /// Phase 2: catches the children's statistics up with the parent's log, commits
    /// their checkpoints with `catalog` (metadata entries the caller builds from the
    /// children's starting statistics) in one durable batch, lets `install` publish the
    /// new partition map, and retires the parent. The parent's write lock is held
    /// throughout, so no write is lost between the count and the switch.
    pub fn finish_split<E: From<Error>>(
        &self,
        prepared: PreparedSplit,
        catalog: impl FnOnce(
            &[(PartitionDesc, PartitionStats)],
        ) -> std::result::Result<Vec<(Vec<u8>, Option<Vec<u8>>)>, E>,
        install: impl FnOnce(&SplitChildren) -> std::result::Result<(), E>,
    ) -> std::result::Result<SplitChildren, E> {
        let PreparedSplit {
            parent,
            mut children,
            at_seq,
        } = prepared;
        let guard = parent.lock_writes();
        if parent.is_retired() {
            return Err(
                Error::Corrupt(format!("partition {} already split", parent.desc().id)).into(),
            );
        }
        let last_seq = *guard - 1;
        let mut from = at_seq + 1;
        while from <= last_seq {
            let records = parent.read_log(from, 4096)?;
            if records.is_empty() {
                break;
            }
            for r in &records {
                from = r.seq + 1;
                let point = r
                    .key
                    .get(..8)
                    .and_then(|s| <[u8; 8]>::try_from(s).ok())
                    .map(u64::from_be_bytes)
                    .ok_or_else(|| Error::Corrupt("short log record key".into()))?;
                if let Some((_, stats)) = children.iter_mut().find(|(d, _)| d.contains(point)) {
                    crate::store::apply_record_stats(stats, r);
                }
            }
        }
        for (_, stats) in &mut children {
            stats.last_seq = last_seq;
        }
        let mut entries = catalog(&children)?;
        for (d, stats) in &children {
            entries.push(stats_entry(d.id, stats));
        }
        self.meta_write(&entries)?;
        let opened: SplitChildren = children
            .into_iter()
            .map(|(d, stats)| (Arc::new(Partition::child_of(&parent, d, stats)), stats))
            .collect();
        install(&opened)?;
        parent.retire(&guard, opened.iter().map(|(c, _)| Arc::clone(c)).collect());
        drop(guard);
        Ok(opened)
    }
}

/// Items and bytes of a child's range in the snapshot.
fn count_range(
    store: &Store,
    snapshot: &fjall::Snapshot,
    d: &PartitionDesc,
) -> Result<PartitionStats> {
    let inner = store.inner();
    let lo = keys::point_prefix(d.table_id, d.start);
    let hi = keys::point_prefix(d.table_id, d.end);
    let iter = match prefix_successor(&hi) {
        Some(upper) => snapshot.range(&inner.data, lo.as_slice()..upper.as_slice()),
        None => snapshot.range(&inner.data, lo.as_slice()..),
    };
    let mut stats = PartitionStats::default();
    // Sizes come from the walk GetItem answers with, into one reused buffer: it checks
    // the image as strictly as decoding and builds no item (no allocation per item).
    let mut scratch = Vec::new();
    for guard in iter {
        let (k, v) = guard.into_inner()?;
        let point = point_of_data_key(&k).ok_or_else(|| Error::Corrupt("short data key".into()))?;
        if d.contains(point) {
            scratch.clear();
            stats.items += 1;
            stats.bytes += codec::write_item_image_json(&v, &mut scratch)? as u64;
        }
    }
    Ok(stats)
}

fn check_children(parent: &PartitionDesc, children: &[PartitionDesc]) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::Corrupt(format!(
            "split of partition {}: {why}",
            parent.id
        )))
    };
    let (Some(first), Some(last)) = (children.first(), children.last()) else {
        return bad("no children");
    };
    if first.start != parent.start || last.end != parent.end {
        return bad("children do not cover the parent's range");
    }
    for w in children.windows(2) {
        if w[0].end.checked_add(1) != Some(w[1].start) {
            return bad("children are not contiguous");
        }
    }
    if children
        .iter()
        .any(|c| c.start > c.end || c.table_id != parent.table_id || c.id == parent.id)
    {
        return bad("a child's range or ids are invalid");
    }
    Ok(())
}
