//! Capacity units exactly as DynamoDB counts them.
//!
//! - A read unit is one strongly consistent read of up to 4 KB; an eventually consistent
//!   read costs half, a transactional read double. Every read costs at least one 4 KB
//!   block, even of an item that does not exist.
//! - A write unit is one write of up to 1 KB; a transactional write costs double. Every
//!   write costs at least one 1 KB block, even a delete of an absent item.
//! - Query and Scan sum the sizes of the items a page *read* (before any filter) and
//!   round up to 4 KB once per page, not per item.
//! - Batches are a series of single-item operations: each item is rounded on its own.
//! - Each index an item write touches costs write units on that index.
//!
//! Sizes are DynamoDB item sizes in bytes (`shoal_types::size`). Units are `f64` because
//! eventually consistent reads cost halves.

/// Bytes per read unit.
pub const READ_BLOCK: u64 = 4 * 1024;
/// Bytes per write unit.
pub const WRITE_BLOCK: u64 = 1024;

/// How a read is served, which sets its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode {
    /// `ConsistentRead: false` (the default): half price.
    Eventual,
    /// `ConsistentRead: true`.
    Strong,
    /// Inside TransactGetItems: double price.
    Transactional,
}

impl ReadMode {
    /// `Strong` when `consistent_read` is set, else `Eventual`.
    pub fn from_consistent(consistent_read: bool) -> Self {
        if consistent_read {
            ReadMode::Strong
        } else {
            ReadMode::Eventual
        }
    }

    fn factor(self) -> f64 {
        match self {
            ReadMode::Eventual => 0.5,
            ReadMode::Strong => 1.0,
            ReadMode::Transactional => 2.0,
        }
    }
}

/// How a write is made, which sets its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// PutItem, UpdateItem, DeleteItem, BatchWriteItem.
    Standard,
    /// Inside TransactWriteItems: double price.
    Transactional,
}

impl WriteMode {
    fn factor(self) -> f64 {
        match self {
            WriteMode::Standard => 1.0,
            WriteMode::Transactional => 2.0,
        }
    }
}

/// `ceil(bytes / block)`, at least 1.
fn blocks(bytes: u64, block: u64) -> u64 {
    bytes.div_ceil(block).max(1)
}

/// Read units of one single-item read (GetItem, one BatchGetItem key, one TransactGetItems
/// item) of an item of `bytes` (0 when the item does not exist).
pub fn read_units(bytes: u64, mode: ReadMode) -> f64 {
    blocks(bytes, READ_BLOCK) as f64 * mode.factor()
}

/// Read units of one Query or Scan page: the sizes of every item the page read (matched
/// by the key condition, before FilterExpression) summed, then rounded up to 4 KB once.
/// An empty page still costs one block.
pub fn page_read_units<I: IntoIterator<Item = u64>>(item_bytes: I, mode: ReadMode) -> f64 {
    let total = item_bytes
        .into_iter()
        .fold(0u64, |acc, b| acc.saturating_add(b));
    read_units(total, mode)
}

/// Read units of a BatchGetItem: each item rounded on its own (absent keys pass 0).
pub fn batch_read_units<I: IntoIterator<Item = u64>>(item_bytes: I, mode: ReadMode) -> f64 {
    item_bytes.into_iter().map(|b| read_units(b, mode)).sum()
}

/// Write units of writing `bytes`.
pub fn write_units(bytes: u64, mode: WriteMode) -> f64 {
    blocks(bytes, WRITE_BLOCK) as f64 * mode.factor()
}

/// Write units of an item write on the table: PutItem and UpdateItem cost the larger of
/// the item before and after, DeleteItem the item deleted; an absent item counts 0, so a
/// delete of nothing still costs one unit.
pub fn item_write_units(old_bytes: Option<u64>, new_bytes: Option<u64>, mode: WriteMode) -> f64 {
    let bytes = old_bytes.unwrap_or(0).max(new_bytes.unwrap_or(0));
    write_units(bytes, mode)
}

/// Write units of a BatchWriteItem: each put or delete rounded on its own (pass the
/// larger of the old and new size of each).
pub fn batch_write_units<I: IntoIterator<Item = u64>>(item_bytes: I, mode: WriteMode) -> f64 {
    item_bytes.into_iter().map(|b| write_units(b, mode)).sum()
}

/// Write units one item write costs on one secondary index, from the size of the item's
/// index entry before and after the write (`None` when the item is not in the index, e.g.
/// it lacks the index key). Pass `None, None` when the write leaves the entry unchanged
/// (no indexed or projected attribute changed): DynamoDB does not write the index then.
///
/// - enters the index: one write of the new entry;
/// - leaves the index: one write (a delete) of the old entry;
/// - stays, index key changed: a delete of the old entry plus a put of the new one;
/// - stays, same index key: one write of the larger entry.
pub fn index_write_units(
    old_entry: Option<u64>,
    new_entry: Option<u64>,
    index_key_changed: bool,
    mode: WriteMode,
) -> f64 {
    match (old_entry, new_entry) {
        (None, None) => 0.0,
        (None, Some(n)) => write_units(n, mode),
        (Some(o), None) => write_units(o, mode),
        (Some(o), Some(n)) if index_key_changed => write_units(o, mode) + write_units(n, mode),
        (Some(o), Some(n)) => write_units(o.max(n), mode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_round_per_4kb_and_scale_by_mode() {
        assert_eq!(read_units(0, ReadMode::Strong), 1.0);
        assert_eq!(read_units(1, ReadMode::Strong), 1.0);
        assert_eq!(read_units(4096, ReadMode::Strong), 1.0);
        assert_eq!(read_units(4097, ReadMode::Strong), 2.0);
        assert_eq!(read_units(4097, ReadMode::Eventual), 1.0);
        assert_eq!(read_units(100, ReadMode::Eventual), 0.5);
        assert_eq!(read_units(4097, ReadMode::Transactional), 4.0);
        assert_eq!(read_units(400 * 1024, ReadMode::Strong), 100.0);
        assert_eq!(ReadMode::from_consistent(true), ReadMode::Strong);
        assert_eq!(ReadMode::from_consistent(false), ReadMode::Eventual);
    }

    #[test]
    fn writes_round_per_1kb_and_double_in_transactions() {
        assert_eq!(write_units(0, WriteMode::Standard), 1.0);
        assert_eq!(write_units(1024, WriteMode::Standard), 1.0);
        assert_eq!(write_units(1025, WriteMode::Standard), 2.0);
        assert_eq!(write_units(1025, WriteMode::Transactional), 4.0);
        assert_eq!(write_units(400 * 1024, WriteMode::Standard), 400.0);
    }

    #[test]
    fn item_writes_cost_the_larger_image() {
        // Update that shrinks a 3 KB item to 500 bytes: priced on the 3 KB image.
        assert_eq!(
            item_write_units(Some(3000), Some(500), WriteMode::Standard),
            3.0
        );
        // Put of a new 1.5 KB item.
        assert_eq!(item_write_units(None, Some(1500), WriteMode::Standard), 2.0);
        // Delete of an absent item still costs one unit.
        assert_eq!(item_write_units(None, None, WriteMode::Standard), 1.0);
        assert_eq!(
            item_write_units(Some(2048), None, WriteMode::Transactional),
            4.0
        );
    }

    #[test]
    fn pages_sum_then_round_once() {
        // 10 items of 1 KB: 10 KB -> 3 blocks, not 10.
        assert_eq!(page_read_units([1024; 10], ReadMode::Strong), 3.0);
        assert_eq!(page_read_units([1024; 10], ReadMode::Eventual), 1.5);
        // Per-item rounding would give 10; the batch rounds per item.
        assert_eq!(batch_read_units([1024; 10], ReadMode::Strong), 10.0);
        // An empty page still costs one block.
        assert_eq!(page_read_units([], ReadMode::Eventual), 0.5);
        // Exactly 4 KB in total.
        assert_eq!(page_read_units([2048, 2048], ReadMode::Strong), 1.0);
        assert_eq!(page_read_units([2048, 2049], ReadMode::Strong), 2.0);
        // Saturates rather than overflowing.
        assert!(page_read_units([u64::MAX, 1], ReadMode::Strong) > 1e15);
    }

    #[test]
    fn batch_writes_round_per_item() {
        assert_eq!(batch_write_units([100, 1025, 0], WriteMode::Standard), 4.0);
    }

    #[test]
    fn index_writes_follow_entry_transitions() {
        let s = WriteMode::Standard;
        assert_eq!(index_write_units(None, None, false, s), 0.0);
        assert_eq!(index_write_units(None, Some(300), false, s), 1.0);
        assert_eq!(index_write_units(Some(2000), None, false, s), 2.0);
        assert_eq!(index_write_units(Some(2000), Some(300), true, s), 3.0);
        assert_eq!(index_write_units(Some(2000), Some(300), false, s), 2.0);
        let t = WriteMode::Transactional;
        assert_eq!(index_write_units(Some(100), Some(100), true, t), 4.0);
    }
}
