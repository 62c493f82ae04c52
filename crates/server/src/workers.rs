//! Background workers: the TTL sweeper, the maintenance worker (statistics checkpoints
//! and log trimming), the index backfill, and the purge worker (data of deleted tables).
//! The split worker lives in `splits.rs`.
//!
//! A [`Worker`] does its storage work synchronously on the blocking pool, one bounded
//! step at a time, and is paced by [`run`]: straight on while it reports more work,
//! otherwise until its interval passes, it is woken, or the node shuts down.
//! Cancellation contract: a step is never interrupted; shutdown is observed between
//! steps, so every step must leave storage consistent on its own.

use std::sync::Arc;
use std::time::Duration;

use shoal_storage::{keys, Change};
use shoal_types::AttributeValue;
use tokio::sync::watch;

use crate::node::Node;

/// What a step found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerState {
    /// More work is ready now.
    Busy,
    /// Nothing to do until the next interval or wake-up.
    Idle,
}

/// A background loop over storage.
pub trait Worker: Send + 'static {
    /// Name for logs.
    fn name(&self) -> &'static str;
    /// One bounded step of work.
    fn work(&mut self, node: &Node) -> anyhow::Result<WorkerState>;
}

/// Which wake-up a worker listens to.
#[derive(Debug, Clone, Copy)]
pub enum Wake {
    /// TTL settings changed.
    Ttl,
    /// A table was deleted.
    Purge,
    /// A global index is to be built or dropped.
    Index,
    /// A table's throughput changed.
    Split,
    /// Only the interval.
    None,
}

/// Runs a worker until `shutdown` turns true.
pub async fn run<W: Worker>(
    node: Arc<Node>,
    mut worker: W,
    interval: Duration,
    wake: Wake,
    mut shutdown: watch::Receiver<bool>,
) {
    let name = worker.name();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let n = Arc::clone(&node);
        let step = tokio::task::spawn_blocking(move || {
            let r = worker.work(&n);
            (worker, r)
        })
        .await;
        let state = match step {
            Ok((w, r)) => {
                worker = w;
                r.unwrap_or_else(|e| {
                    tracing::error!(worker = name, error = %e, "worker step failed");
                    WorkerState::Idle
                })
            }
            Err(e) => {
                tracing::error!(worker = name, error = %e, "worker panicked; stopping it");
                return;
            }
        };
        if state == WorkerState::Busy {
            continue;
        }
        let woken = async {
            match wake {
                Wake::Ttl => node.ttl_notified().await,
                Wake::Purge => node.purge_notified().await,
                Wake::Index => node.index_notified().await,
                Wake::Split => node.split_notified().await,
                Wake::None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = woken => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Where a walk over a table's partitions resumes: the partition owning the last data
/// key scanned (or `point` when there is none), and that key. Cursors hold points and
/// keys, never partition positions, so a walk continues correctly across splits.
fn resume_at(
    table: &crate::catalog::Table,
    point: u64,
    after: Option<Vec<u8>>,
) -> (&Arc<shoal_storage::Partition>, Option<Vec<u8>>) {
    let at = after
        .as_deref()
        .and_then(keys::point_of_data_key)
        .unwrap_or(point);
    (table.route(at), after)
}

/// Deletes items whose TTL attribute holds an epoch-seconds time that has passed.
///
/// As DynamoDB does, it ignores items whose TTL attribute is not a number, and items
/// whose time is more than five years in the past. Each deletion is an ordinary write
/// (logged as an expiry) that re-checks the item under the partition lock, so an item
/// updated after the scan read it is not deleted by mistake.
#[derive(Default)]
pub struct TtlWorker {
    /// (table name, point to resume at, last data key scanned)
    cursor: Option<(String, u64, Option<Vec<u8>>)>,
}

const TTL_BATCH: usize = 1000;
const FIVE_YEARS_SECS: f64 = 5.0 * 365.0 * 24.0 * 3600.0;

/// Whether an item has expired at `now` under TTL attribute `attr`.
pub fn expired(item: &shoal_types::Item, attr: &str, now: f64) -> bool {
    match item.get(attr) {
        Some(AttributeValue::N(n)) => {
            let t = n.to_f64();
            t <= now && t >= now - FIVE_YEARS_SECS
        }
        _ => false,
    }
}

impl Worker for TtlWorker {
    fn name(&self) -> &'static str {
        "ttl"
    }

    fn work(&mut self, node: &Node) -> anyhow::Result<WorkerState> {
        let tables: Vec<_> = node
            .catalog
            .all()
            .into_iter()
            .filter(|t| t.meta.ttl_attribute.is_some())
            .collect();
        let (name, point, after) = match self.cursor.take() {
            Some(c) => c,
            None => match tables.first() {
                Some(t) => (t.meta.name.clone(), 0, None),
                None => return Ok(WorkerState::Idle),
            },
        };
        let Some(pos) = tables.iter().position(|t| t.meta.name == name) else {
            // The table was deleted or TTL disabled: move to the next table, if any.
            return Ok(self.advance(&tables, &name));
        };
        let table = &tables[pos];
        let Some(attr) = table.meta.ttl_attribute.clone() else {
            return Ok(self.advance(&tables, &name));
        };
        let (partition, after) = resume_at(table, point, after);
        let batch = partition.scan(after.as_deref(), TTL_BATCH)?;
        let now = crate::node::now_secs();
        let mut deleted = 0u64;
        for (data_key, item) in &batch.items {
            if !expired(item, &attr, now) {
                continue;
            }
            let Some(keys::DataKey { point, suffix, .. }) = keys::split_data_key(data_key) else {
                continue;
            };
            let r = partition.write(point, suffix, |cur| match cur.item() {
                Some(cur) if expired(cur, &attr, now) => Ok(Change::Expire),
                _ => Err(SkipWrite),
            });
            // The worker does not wait for the fsync: a lost expiry is redone by the
            // next sweep.
            if let Ok(written) = r {
                deleted += 1;
                crate::ops::capacity::charge_expiry(
                    table,
                    partition.desc().id,
                    written.old.as_ref(),
                );
            }
        }
        if deleted > 0 {
            tracing::debug!(table = %name, deleted, "expired items deleted");
        }
        if batch.done {
            if let Some(next) = partition.desc().end.checked_add(1) {
                self.cursor = Some((name, next, None));
                return Ok(WorkerState::Busy);
            }
            return Ok(self.advance(&tables, &name));
        }
        let last = batch.items.last().map(|(k, _)| k.clone());
        self.cursor = Some((name, partition.desc().start, last));
        Ok(WorkerState::Busy)
    }
}

/// A TTL re-check that found the item no longer expired (or a storage error, which the
/// next sweep retries).
struct SkipWrite;

impl From<shoal_storage::Error> for SkipWrite {
    fn from(e: shoal_storage::Error) -> Self {
        tracing::warn!(error = %e, "ttl delete failed; will retry next sweep");
        SkipWrite
    }
}

impl TtlWorker {
    fn advance(&mut self, tables: &[Arc<crate::catalog::Table>], name: &str) -> WorkerState {
        match tables.iter().find(|t| t.meta.name.as_str() > name) {
            Some(next) => {
                self.cursor = Some((next.meta.name.clone(), 0, None));
                WorkerState::Busy
            }
            None => {
                self.cursor = None;
                WorkerState::Idle
            }
        }
    }
}

/// Checkpoints partition statistics and trims log records older than the retention.
pub struct MaintenanceWorker {
    /// How long log records are kept.
    pub retention: Duration,
}

impl Worker for MaintenanceWorker {
    fn name(&self) -> &'static str {
        "maintenance"
    }

    fn work(&mut self, node: &Node) -> anyhow::Result<WorkerState> {
        let store = node.catalog.store();
        let cutoff = shoal_storage_now_micros().saturating_sub(self.retention.as_micros() as u64);
        for table in node.catalog.all() {
            for p in &table.partitions {
                let mut bound = None;
                let mut from = 0u64;
                'scan: loop {
                    let recs = p.read_log(from, 1024)?;
                    if recs.is_empty() {
                        break;
                    }
                    for r in &recs {
                        if r.timestamp_micros >= cutoff {
                            bound = Some(r.seq);
                            break 'scan;
                        }
                        bound = Some(r.seq + 1);
                        from = r.seq + 1;
                    }
                }
                match bound {
                    Some(b) => {
                        store.trim_log(p, b)?;
                    }
                    None => {
                        store.checkpoint(p)?;
                    }
                }
            }
            // A partition that split wrote nothing after it retired: once that is past
            // the retention, its whole log goes (its lineage record stays).
            let cutoff_secs = cutoff as f64 / 1e6;
            for r in table
                .meta
                .retired
                .iter()
                .filter(|r| r.retired_at < cutoff_secs)
            {
                store.purge_log(r.id)?;
            }
        }
        Ok(WorkerState::Idle)
    }
}

fn shoal_storage_now_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Removes the data and logs of deleted tables.
#[derive(Default)]
pub struct PurgeWorker;

impl Worker for PurgeWorker {
    fn name(&self) -> &'static str {
        "purge"
    }

    fn work(&mut self, node: &Node) -> anyhow::Result<WorkerState> {
        for (key, parts) in node.catalog.dropped()? {
            let mut removed = 0;
            for p in &parts {
                removed += node.catalog.store().purge_partition(p)?;
            }
            node.catalog.forget_dropped(key)?;
            tracing::debug!(removed, "purged deleted table");
        }
        Ok(WorkerState::Idle)
    }
}

/// Builds global indexes added to tables that hold data (backfill) and removes the
/// entries of dropped ones.
///
/// A backfill walks the table's partitions in storage order and, batch by batch, writes
/// each item's entry under the partition's write lock ([`shoal_storage::Partition::rederive`]),
/// while every write since the index was added maintains it too. Re-deriving an entry that
/// a write already made writes the same bytes, so the walk is idempotent and simply
/// restarts from the beginning after a crash. Entries that exist already are skipped, so
/// each is counted once. When the walk ends the index becomes ACTIVE.
#[derive(Default)]
pub struct IndexWorker {
    /// See [`BackfillCursor`].
    cursor: Option<BackfillCursor>,
}

/// Where a backfill resumes: (table id, index id, point to resume at or `None` when
/// every partition was walked, last data key).
type BackfillCursor = (u64, u64, Option<u64>, Option<Vec<u8>>);

const BACKFILL_BATCH: usize = 1000;

impl Worker for IndexWorker {
    fn name(&self) -> &'static str {
        "index"
    }

    fn work(&mut self, node: &Node) -> anyhow::Result<WorkerState> {
        let pending = node.catalog.all().into_iter().find_map(|t| {
            t.meta
                .gsis
                .iter()
                .find(|g| g.status != "ACTIVE")
                .map(|g| (Arc::clone(&t), g.clone()))
        });
        let Some((table, ix)) = pending else {
            self.cursor = None;
            return Ok(WorkerState::Idle);
        };
        let name = table.meta.name.clone();
        if ix.status == "DELETING" {
            let removed = node
                .catalog
                .store()
                .purge_prefix(&keys::Owner::new(ix.id))?;
            node.catalog
                .update(&name, &node.admission, |m| {
                    m.gsis.retain(|g| g.id != ix.id);
                    Ok(())
                })
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            tracing::info!(table = %name, index = %ix.name, removed, "index deleted");
            return Ok(WorkerState::Busy);
        }
        let (point, after) = match self.cursor.take() {
            Some((t, i, p, a)) if t == table.meta.id && i == ix.id => (p, a),
            _ => (Some(0), None),
        };
        let Some(def) = table.indexes.defs.iter().find(|d| d.meta.id == ix.id) else {
            return Ok(WorkerState::Idle);
        };
        if let Some(point) = point {
            let (partition, after) = resume_at(&table, point, after);
            let batch = partition.scan(after.as_deref(), BACKFILL_BATCH)?;
            let keys: Vec<Vec<u8>> = batch.items.iter().map(|(k, _)| k.clone()).collect();
            partition.rederive(
                &keys,
                &crate::index::Backfill {
                    def,
                    store: node.catalog.store(),
                },
            )?;
            self.cursor = Some(if batch.done {
                (
                    table.meta.id,
                    ix.id,
                    partition.desc().end.checked_add(1),
                    None,
                )
            } else {
                (
                    table.meta.id,
                    ix.id,
                    Some(partition.desc().start),
                    keys.last().cloned(),
                )
            });
            return Ok(WorkerState::Busy);
        }
        // Every partition walked: recount and open the index for reads.
        node.catalog
            .update(&name, &node.admission, |m| {
                if let Some(g) = m.gsis.iter_mut().find(|g| g.id == ix.id) {
                    g.status = "ACTIVE".into();
                }
                Ok(())
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        self.cursor = None;
        tracing::info!(table = %name, index = %ix.name, "index backfill finished");
        Ok(WorkerState::Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_types::Number;

    #[test]
    fn expiry_follows_dynamodb_rules() {
        let now = 2_000_000_000.0;
        let mut item = shoal_types::Item::new();
        item.insert(
            "ttl".into(),
            AttributeValue::N(Number::from_i64(1_999_999_999)),
        );
        assert!(expired(&item, "ttl", now));
        item.insert(
            "ttl".into(),
            AttributeValue::N(Number::from_i64(2_000_000_001)),
        );
        assert!(!expired(&item, "ttl", now));
        // More than five years in the past: ignored, as DynamoDB ignores it.
        item.insert(
            "ttl".into(),
            AttributeValue::N(Number::from_i64(1_000_000_000)),
        );
        assert!(!expired(&item, "ttl", now));
        // Not a number: ignored.
        item.insert("ttl".into(), AttributeValue::S("1".into()));
        assert!(!expired(&item, "ttl", now));
        assert!(!expired(&item, "other", now));
    }
}
