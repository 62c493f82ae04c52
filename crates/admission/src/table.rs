//! [`TableCapacity`]: a table's (or a global index's) partitions' buckets, with the
//! table's rate split across them by key-space share and re-split on every change.
//!
//! Shares are given by the caller (usually [`crate::KeyRange::share`] of each partition's
//! range). They must be positive and sum to 1 (within 1e-6; they are then normalised).
//!
//! Changes never interrupt traffic: a rate change or billing-mode switch keeps each
//! partition's burst (cut to its new cap) and debt; a split hands the parent's balance to
//! its children by share, so a split neither creates nor forgives capacity.

use crate::{BillingMode, Error, PartitionCapacity, PartitionLimits, Result, Throughput};

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    share: f64,
    capacity: PartitionCapacity,
}

/// A table's partitions' capacity. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct TableCapacity {
    mode: BillingMode,
    limits: PartitionLimits,
    partitions: crate::IdMap<Entry>,
}

fn check_shares(shares: &[(u64, f64)]) -> Result<Vec<(u64, f64)>> {
    if shares.is_empty() {
        return Err(Error::Invalid(
            "a table needs at least one partition".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut sum = 0.0;
    for &(id, s) in shares {
        if !(s.is_finite() && s > 0.0) {
            return Err(Error::Invalid(format!("partition {id} has share {s}")));
        }
        if !seen.insert(id) {
            return Err(Error::Invalid(format!("partition {id} is listed twice")));
        }
        sum += s;
    }
    if (sum - 1.0).abs() > 1e-6 {
        return Err(Error::Invalid(format!("shares sum to {sum}, not 1")));
    }
    Ok(shares.iter().map(|&(id, s)| (id, s / sum)).collect())
}

fn check_mode(mode: &BillingMode) -> Result<()> {
    match mode {
        BillingMode::Provisioned(t) if !t.is_valid() => Err(Error::Invalid(format!(
            "invalid provisioned throughput {t:?}"
        ))),
        _ => Ok(()),
    }
}

impl TableCapacity {
    /// A new table's capacity: every partition `(id, share)` starts with full buckets.
    pub fn new(
        mode: BillingMode,
        shares: &[(u64, f64)],
        limits: PartitionLimits,
        now_us: u64,
    ) -> Result<Self> {
        check_mode(&mode)?;
        if !limits.is_valid() {
            return Err(Error::Invalid(format!(
                "invalid partition limits {limits:?}"
            )));
        }
        let partitions = check_shares(shares)?
            .into_iter()
            .map(|(id, share)| {
                let capacity = PartitionCapacity::new(&mode, share, &limits, now_us);
                (id, Entry { share, capacity })
            })
            .collect();
        Ok(Self {
            mode,
            limits,
            partitions,
        })
    }

    /// The billing mode (and provisioned throughput).
    pub fn mode(&self) -> BillingMode {
        self.mode
    }

    /// The per-partition limits.
    pub fn limits(&self) -> PartitionLimits {
        self.limits
    }

    /// Number of partitions.
    pub fn len(&self) -> usize {
        self.partitions.len()
    }

    /// Always false: a table has at least one partition.
    pub fn is_empty(&self) -> bool {
        self.partitions.is_empty()
    }

    /// The partition's share, if it belongs to the table.
    pub fn share(&self, id: u64) -> Option<f64> {
        self.partitions.get(&id).map(|e| e.share)
    }

    /// The partition's buckets, for the hot path (`try_read`, `try_admit_read`, ...).
    pub fn partition_mut(&mut self, id: u64) -> Option<&mut PartitionCapacity> {
        self.partitions.get_mut(&id).map(|e| &mut e.capacity)
    }

    /// The partition's buckets.
    pub fn partition(&self, id: u64) -> Option<&PartitionCapacity> {
        self.partitions.get(&id).map(|e| &e.capacity)
    }

    /// Sum of the partitions' current rates: the throughput the table can serve now
    /// (below the provisioned one while a needed split has not happened yet).
    pub fn effective(&self) -> Throughput {
        self.partitions
            .values()
            .fold(Throughput::default(), |acc, e| acc + e.capacity.rates())
    }

    /// Takes read units on partition `id`.
    pub fn try_read(&mut self, id: u64, units: f64, now_us: u64) -> Result<()> {
        let p = self.partition_mut(id).ok_or(Error::UnknownPartition(id))?;
        Ok(p.try_read(units, now_us)?)
    }

    /// Takes write units on partition `id`.
    pub fn try_write(&mut self, id: u64, units: f64, now_us: u64) -> Result<()> {
        let p = self.partition_mut(id).ok_or(Error::UnknownPartition(id))?;
        Ok(p.try_write(units, now_us)?)
    }

    /// Changes the billing mode or provisioned throughput (UpdateTable) from `now_us` on;
    /// every partition's rate is re-split, keeping burst up to the new cap, and debt.
    pub fn set_mode(&mut self, mode: BillingMode, now_us: u64) -> Result<()> {
        check_mode(&mode)?;
        self.mode = mode;
        for e in self.partitions.values_mut() {
            e.capacity.set_mode(&mode, e.share, &self.limits, now_us);
        }
        Ok(())
    }

    /// Replaces `parent` by `children` `(id, share)` (shares of the whole table, summing
    /// to the parent's). Each child gets its rate and the parent's balance (burst or
    /// debt) in proportion to its share.
    pub fn apply_split(&mut self, parent: u64, children: &[(u64, f64)], now_us: u64) -> Result<()> {
        let Some(entry) = self.partitions.get(&parent) else {
            return Err(Error::UnknownPartition(parent));
        };
        let total: f64 = children.iter().map(|c| c.1).sum();
        if children.is_empty()
            || (total - entry.share).abs() > 1e-6
            || children.iter().any(|c| !(c.1.is_finite() && c.1 > 0.0))
        {
            return Err(Error::Invalid(format!(
                "children of partition {parent} must have positive shares summing to {}",
                entry.share
            )));
        }
        if children
            .iter()
            .any(|c| c.0 != parent && self.partitions.contains_key(&c.0))
        {
            return Err(Error::Invalid("a child id is already a partition".into()));
        }
        let Some(mut old) = self.partitions.remove(&parent) else {
            return Err(Error::UnknownPartition(parent));
        };
        let scale = old.share / total;
        let mut left = old.share;
        for &(id, share) in children {
            let share = share * scale;
            let mut capacity = PartitionCapacity::empty(&self.mode, share, &self.limits, now_us);
            // Fraction of what the parent still holds, so the whole balance is handed on.
            let fraction = if left > 0.0 { share / left } else { 1.0 };
            old.capacity.give_fraction(fraction, &mut capacity, now_us);
            left -= share;
            self.partitions.insert(id, Entry { share, capacity });
        }
        Ok(())
    }

    /// Re-declares the partition set `(id, share)`: known partitions keep their balance
    /// and get their new share's rate; unknown ones start empty; missing ones are
    /// dropped. For a split prefer [`TableCapacity::apply_split`], which hands the
    /// parent's balance on.
    pub fn set_partitions(&mut self, shares: &[(u64, f64)], now_us: u64) -> Result<()> {
        let shares = check_shares(shares)?;
        let mut next = crate::IdMap::with_capacity_and_hasher(shares.len(), Default::default());
        for (id, share) in shares {
            let entry = match self.partitions.remove(&id) {
                Some(mut e) => {
                    e.capacity.set_mode(&self.mode, share, &self.limits, now_us);
                    e.share = share;
                    e
                }
                None => Entry {
                    share,
                    capacity: PartitionCapacity::empty(&self.mode, share, &self.limits, now_us),
                },
            };
            next.insert(id, entry);
        }
        self.partitions = next;
        Ok(())
    }
}

#[cfg(test)]
#[path = "table_test.rs"]
mod tests;
