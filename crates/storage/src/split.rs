//! Online partition splits: a partition's range is divided among children that take
//! over its writes, while reads and writes continue.
//!
//! Data keys are `table id | point | suffix` and do not name a partition, so a split
//! moves no data: it gives each child a log of its own, exact statistics and a
//! checkpoint, and retires the parent. It runs in two phases so that the parent's write
//! lock is held only briefly:
//!
//! 1. [`Store::prepare_split`] takes a snapshot at the parent's sequence number `S`
//!    (read under its write lock, so the snapshot holds exactly the writes up to `S`)
//!    and counts the items and bytes of each child's range in it, without any lock.
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
use shoal_types::{codec, size};

use crate::partition::{
    point_of_data_key, prefix_successor, Partition, PartitionDesc, PartitionStats,
};
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
        let (at_seq, snapshot) = {
            let guard = parent.lock_writes();
            if parent.is_retired() {
                return Err(Error::Corrupt(format!(
                    "partition {} already split",
                    parent.desc().id
                )));
            }
            (*guard - 1, inner.db.snapshot())
        };
        let mut counted: Vec<(PartitionDesc, PartitionStats)> = children
            .into_iter()
            .map(|d| (d, PartitionStats::default()))
            .collect();
        let p = parent.desc();
        let lo = parent.data_key(p.start, &[]);
        let mut hi = p.table_id.to_be_bytes().to_vec();
        hi.extend_from_slice(&p.end.to_be_bytes());
        let iter = match prefix_successor(&hi) {
            Some(upper) => snapshot.range(&inner.data, lo.as_slice()..upper.as_slice()),
            None => snapshot.range(&inner.data, lo.as_slice()..),
        };
        for guard in iter {
            let (k, v) = guard.into_inner()?;
            let point =
                point_of_data_key(&k).ok_or_else(|| Error::Corrupt("short data key".into()))?;
            let item = codec::decode_item(&v)?;
            if let Some((_, stats)) = counted.iter_mut().find(|(d, _)| d.contains(point)) {
                stats.items += 1;
                stats.bytes += size::item_size(&item) as u64;
            }
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
