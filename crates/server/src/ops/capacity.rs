//! Capacity units as DynamoDB counts them, and the `ConsumedCapacity` member.
//!
//! Reads cost one unit per 4 KB (rounded up, at least one), half for eventually
//! consistent reads; writes cost one unit per 1 KB of the larger of the item before and
//! after the write (at least one).
//!
//! Every item write also costs write units on each secondary index whose entry it puts,
//! changes or deletes ([`crate::index::IndexDef::write_units`]). A request's units are
//! kept apart by table and index in [`Consumed`]: `TOTAL` reports their sum, `INDEXES`
//! the breakdown. Where they are drawn from: the table's and its local indexes' units
//! from the table's partition buckets (an LSI shares its table's throughput), each global
//! index's units from its own buckets ([`crate::index_throughput`]).

use serde_json::{json, Map, Value};
use shoal_types::{size, Item};

use crate::api::error::ApiResult;
use crate::api::input::Input;
use crate::catalog::Table;

/// `ReturnConsumedCapacity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnConsumed {
    /// Not asked for.
    None,
    /// Total only.
    Total,
    /// Total plus the table/index breakdown.
    Indexes,
}

impl ReturnConsumed {
    /// Reads the member (violations recorded on `input`).
    pub fn parse(input: &mut Input<'_>) -> ApiResult<ReturnConsumed> {
        Ok(
            match input.enum_value(
                "ReturnConsumedCapacity",
                "returnConsumedCapacity",
                &["INDEXES", "TOTAL", "NONE"],
            )? {
                Some("TOTAL") => ReturnConsumed::Total,
                Some("INDEXES") => ReturnConsumed::Indexes,
                _ => ReturnConsumed::None,
            },
        )
    }

    /// The `ConsumedCapacity` member for units consumed on a table alone, or `None` when
    /// not asked for.
    pub fn member(self, table: &str, units: f64, read: bool) -> Option<Value> {
        let consumed = if read {
            Consumed::reads(units)
        } else {
            Consumed::writes(units)
        };
        self.report(table, &consumed)
    }

    /// The `ConsumedCapacity` member for what a request consumed on a table and its
    /// indexes, or `None` when not asked for. `TOTAL` gives the sum; `INDEXES` adds the
    /// read or write units, the table's part under `Table` (present even when 0) and each
    /// index that consumed units under `LocalSecondaryIndexes` or
    /// `GlobalSecondaryIndexes` (each map only when not empty).
    pub fn report(self, table: &str, consumed: &Consumed) -> Option<Value> {
        let kind = if consumed.read {
            "ReadCapacityUnits"
        } else {
            "WriteCapacityUnits"
        };
        let total = consumed.total();
        match self {
            ReturnConsumed::None => None,
            ReturnConsumed::Total => Some(json!({
                "TableName": table,
                "CapacityUnits": total,
            })),
            ReturnConsumed::Indexes => {
                let part = |units: f64| json!({ "CapacityUnits": units, kind: units });
                let mut out = Map::new();
                out.insert("TableName".into(), json!(table));
                out.insert("CapacityUnits".into(), json!(total));
                out.insert(kind.into(), json!(total));
                out.insert("Table".into(), part(consumed.table));
                for (local, member) in [
                    (true, "LocalSecondaryIndexes"),
                    (false, "GlobalSecondaryIndexes"),
                ] {
                    let map: Map<String, Value> = consumed
                        .indexes
                        .iter()
                        .filter(|i| i.local == local)
                        .map(|i| (i.name.clone(), part(i.units)))
                        .collect();
                    if !map.is_empty() {
                        out.insert(member.into(), Value::Object(map));
                    }
                }
                Some(Value::Object(out))
            }
        }
    }
}

/// Units one index consumed.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexUnits {
    /// `IndexName`.
    pub name: String,
    /// Index id (which buckets a global index's units are charged to).
    pub id: u64,
    /// Local (draws on the table's capacity) or global (its own).
    pub local: bool,
    /// Capacity units.
    pub units: f64,
}

/// What a request consumed on one table and its indexes. See the module docs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consumed {
    /// Read units (else write units).
    pub read: bool,
    /// Units on the table itself (for a local index read, the items fetched from it).
    pub table: f64,
    /// Units on each index that consumed any, in the order they first did.
    pub indexes: Vec<IndexUnits>,
}

impl Consumed {
    /// Read units on the table alone.
    pub fn reads(table: f64) -> Consumed {
        Consumed {
            read: true,
            table,
            indexes: Vec::new(),
        }
    }

    /// Write units on the table alone.
    pub fn writes(table: f64) -> Consumed {
        Consumed {
            read: false,
            table,
            indexes: Vec::new(),
        }
    }

    /// Adds units on an index; zero units leave no entry (an index the request did not
    /// touch is not reported).
    pub fn add_index(&mut self, name: &str, id: u64, local: bool, units: f64) {
        if units <= 0.0 {
            return;
        }
        match self.indexes.iter_mut().find(|i| i.id == id) {
            Some(i) => i.units += units,
            None => self.indexes.push(IndexUnits {
                name: name.to_string(),
                id,
                local,
                units,
            }),
        }
    }

    /// Adds another request part's units on the same table (batches).
    pub fn merge(&mut self, other: &Consumed) {
        self.table += other.table;
        for i in &other.indexes {
            self.add_index(&i.name, i.id, i.local, i.units);
        }
    }

    /// Everything consumed: `CapacityUnits`.
    pub fn total(&self) -> f64 {
        self.table + self.indexes.iter().map(|i| i.units).sum::<f64>()
    }

    /// What draws on the table's own capacity: the table and its local indexes.
    pub fn on_table(&self) -> f64 {
        self.table
            + self
                .indexes
                .iter()
                .filter(|i| i.local)
                .map(|i| i.units)
                .sum::<f64>()
    }

    /// Each global index's units, by index id.
    pub fn global(&self) -> impl Iterator<Item = (u64, f64)> + '_ {
        self.indexes
            .iter()
            .filter(|i| !i.local)
            .map(|i| (i.id, i.units))
    }
}

/// What an item write from `old` to `new` (`None`: no item) consumes: the larger image
/// on the table (at least one unit, even for a delete of nothing), and each index's
/// entry writes. `larger`: the larger of the two items' sizes (0 when neither exists),
/// which the write path knows already.
pub fn write_consumed(
    table: &Table,
    old: Option<&Item>,
    new: Option<&Item>,
    larger: usize,
) -> Consumed {
    let mut c = Consumed::writes(write_units(larger));
    for d in &table.indexes.defs {
        c.add_index(&d.meta.name, d.meta.id, d.local, d.write_units(old, new));
    }
    c
}

/// Prices an item write from `old` to `new` and admits it on the global indexes it
/// writes to: refused when any has no write capacity left. Call it where `old` is
/// current, i.e. under the partition's write lock.
pub fn admit_write(
    table: &Table,
    old: Option<&Item>,
    new: Option<&Item>,
    larger: usize,
) -> ApiResult<Consumed> {
    let c = write_consumed(table, old, new, larger);
    table
        .index_throughput
        .admit_write(c.global().map(|(id, _)| id))?;
    Ok(c)
}

/// Charges a committed write's units: the table's and its local indexes' on the
/// partition `pid`, each global index's on its own buckets.
pub fn charge_write(table: &Table, pid: u64, c: &Consumed) {
    table.throughput.charge_write(pid, c.on_table());
    for (id, units) in c.global() {
        table.index_throughput.charge_write(id, units);
    }
}

/// Read units for reading `bytes` (0 for an absent item still costs the minimum).
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// Write units for a write whose larger image is `bytes`.
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// Charges a TTL deletion of `old` (accounting only: it is never refused and reported to
/// no one). The deletion itself is free on the table, as DynamoDB's TTL deletions are;
/// the index entries it removes are charged like any index write: local ones on the
/// partition `pid`, global ones on their own buckets.
///
/// NOTE: that TTL's index deletions cost index write units is the brief of issue 5;
/// DynamoDB documents TTL deletions as free and is not explicit about the indexes.
pub fn charge_expiry(table: &Table, pid: u64, old: Option<&Item>) {
    let mut c = write_consumed(table, old, None, old.map(size::item_size).unwrap_or(0));
    c.table = 0.0;
    if c.indexes.is_empty() {
        return;
    }
    charge_write(table, pid, &c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_dynamodb_rounding() {
        assert_eq!(read_units(0, true), 1.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(4097, false), 1.0);
        assert_eq!(read_units(100, false), 0.5);
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(write_units(400 * 1024), 400.0);
    }

    #[test]
    fn consumed_sums_and_splits_by_where_units_are_drawn() {
        let mut c = Consumed::writes(2.0);
        c.add_index("l", 1, true, 1.0);
        c.add_index("g", 2, false, 2.0);
        c.add_index("sparse", 3, false, 0.0);
        let mut other = Consumed::writes(1.0);
        other.add_index("g", 2, false, 1.0);
        other.add_index("h", 4, false, 1.0);
        c.merge(&other);
        assert_eq!(c.total(), 8.0);
        assert_eq!(c.on_table(), 4.0);
        assert_eq!(c.global().collect::<Vec<_>>(), vec![(2, 3.0), (4, 1.0)]);
        assert!(c.indexes.iter().all(|i| i.name != "sparse"));
    }

    #[test]
    fn consumed_capacity_members_have_dynamodb_shapes() {
        let mut c = Consumed::writes(1.0);
        c.add_index("l", 1, true, 1.0);
        c.add_index("g", 2, false, 2.0);
        assert_eq!(ReturnConsumed::None.report("t", &c), None);
        assert_eq!(
            ReturnConsumed::Total.report("t", &c),
            Some(json!({"TableName": "t", "CapacityUnits": 4.0}))
        );
        assert_eq!(
            ReturnConsumed::Indexes.report("t", &c),
            Some(json!({
                "TableName": "t",
                "CapacityUnits": 4.0,
                "WriteCapacityUnits": 4.0,
                "Table": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0},
                "LocalSecondaryIndexes": {"l": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}},
                "GlobalSecondaryIndexes": {"g": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}},
            }))
        );
        // A GSI read: nothing on the table, which is still reported; no LSI map.
        let mut r = Consumed::reads(0.0);
        r.add_index("g", 2, false, 0.5);
        assert_eq!(
            ReturnConsumed::Indexes.report("t", &r),
            Some(json!({
                "TableName": "t",
                "CapacityUnits": 0.5,
                "ReadCapacityUnits": 0.5,
                "Table": {"CapacityUnits": 0.0, "ReadCapacityUnits": 0.0},
                "GlobalSecondaryIndexes": {"g": {"CapacityUnits": 0.5, "ReadCapacityUnits": 0.5}},
            }))
        );
    }
}
