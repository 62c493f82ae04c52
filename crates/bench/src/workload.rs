//! YCSB core workloads and the DynamoDB requests they map to.
//!
//! Table layout (documented in `bench/README.md`): one table (default `usertable`), hash key
//! `pk` of type S holding `user<n>`, and `FIELD_COUNT` string attributes `field0`..`field9`
//! of `value_size / 10` bytes each, as YCSB's defaults (10 fields x 100 bytes = 1 KB).
//!
//! | YCSB op            | DynamoDB request                                                 |
//! |--------------------|------------------------------------------------------------------|
//! | read               | `GetItem` of `pk` (all fields, eventually consistent)            |
//! | update             | `UpdateItem` `SET #f = :v` of one random field                   |
//! | insert             | `PutItem` of a new record with all fields                        |
//! | scan               | `Scan` with `Limit` uniform in 1..=100 from `ExclusiveStartKey`  |
//! | read-modify-write  | `GetItem` then `UpdateItem` of one field (both also reported)    |
//!
//! Every value is alphanumeric and every key is `user<digits>`, so bodies are built by string
//! formatting with no escaping (the invariant [`crate::generator::Values`] guarantees).

use crate::generator::{Distribution, Rng, Values};

/// Number of attributes besides the key, as in YCSB.
pub const FIELD_COUNT: usize = 10;
/// YCSB workload E's `maxscanlength`.
pub const MAX_SCAN_LENGTH: u64 = 100;

/// A YCSB core workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// Insert `--records` records (creates the table if missing).
    Load,
    /// 50% read, 50% update (zipfian).
    A,
    /// 95% read, 5% update (zipfian).
    B,
    /// 100% read (zipfian).
    C,
    /// 95% read, 5% insert (latest).
    D,
    /// 95% short scan, 5% insert (zipfian).
    E,
    /// 50% read, 50% read-modify-write (zipfian).
    F,
}

/// One kind of operation, as reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// GetItem.
    Read,
    /// UpdateItem of one field.
    Update,
    /// PutItem of a new record.
    Insert,
    /// Scan with a small Limit.
    Scan,
    /// GetItem followed by UpdateItem.
    ReadModifyWrite,
}

impl Op {
    /// All kinds, in report order.
    pub const ALL: [Op; 5] = [
        Op::Read,
        Op::Update,
        Op::Insert,
        Op::Scan,
        Op::ReadModifyWrite,
    ];

    /// The YCSB name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Op::Read => "READ",
            Op::Update => "UPDATE",
            Op::Insert => "INSERT",
            Op::Scan => "SCAN",
            Op::ReadModifyWrite => "READ-MODIFY-WRITE",
        }
    }

    /// Position in [`Op::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl Workload {
    /// The lowercase name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Load => "load",
            Self::A => "a",
            Self::B => "b",
            Self::C => "c",
            Self::D => "d",
            Self::E => "e",
            Self::F => "f",
        }
    }

    /// The operation mix as (operation, proportion) pairs summing to 1.
    pub fn mix(self) -> &'static [(Op, f64)] {
        match self {
            Self::Load => &[(Op::Insert, 1.0)],
            Self::A => &[(Op::Read, 0.5), (Op::Update, 0.5)],
            Self::B => &[(Op::Read, 0.95), (Op::Update, 0.05)],
            Self::C => &[(Op::Read, 1.0)],
            Self::D => &[(Op::Read, 0.95), (Op::Insert, 0.05)],
            Self::E => &[(Op::Scan, 0.95), (Op::Insert, 0.05)],
            Self::F => &[(Op::Read, 0.5), (Op::ReadModifyWrite, 0.5)],
        }
    }

    /// YCSB's request distribution for this workload.
    pub fn default_distribution(self) -> Distribution {
        match self {
            Self::D => Distribution::Latest,
            Self::Load => Distribution::Uniform,
            _ => Distribution::Zipfian,
        }
    }

    /// Picks the next operation according to [`Workload::mix`].
    pub fn choose(self, rng: &mut Rng) -> Op {
        let mix = self.mix();
        let mut u = rng.next_f64();
        for (op, p) in mix {
            if u < *p {
                return *op;
            }
            u -= p;
        }
        mix.last().map(|(op, _)| *op).unwrap_or(Op::Read)
    }
}

/// Builds request bodies for one table and item shape.
#[derive(Clone, Debug)]
pub struct Requests {
    table: String,
    field_len: usize,
}

impl Requests {
    /// Bodies for `table` with items of about `value_size` bytes of field data.
    pub fn new(table: &str, value_size: usize) -> Self {
        Self {
            table: table.to_owned(),
            field_len: (value_size / FIELD_COUNT).max(1),
        }
    }

    /// Bytes per field.
    pub fn field_len(&self) -> usize {
        self.field_len
    }

    /// `GetItem` body.
    pub fn get_item(&self, key: &str) -> String {
        format!(
            r#"{{"TableName":"{}","Key":{{"pk":{{"S":"{key}"}}}}}}"#,
            self.table
        )
    }

    /// `PutItem` body with all fields.
    pub fn put_item(&self, key: &str, values: &Values, rng: &mut Rng) -> String {
        let mut s = String::with_capacity(64 + FIELD_COUNT * (self.field_len + 24));
        s.push_str(r#"{"TableName":""#);
        s.push_str(&self.table);
        s.push_str(r#"","Item":{"pk":{"S":""#);
        s.push_str(key);
        s.push('"');
        s.push('}');
        for f in 0..FIELD_COUNT {
            s.push_str(&format!(r#","field{f}":{{"S":""#));
            s.push_str(values.value(rng, self.field_len));
            s.push_str("\"}");
        }
        s.push_str("}}");
        s
    }

    /// `UpdateItem` body setting one random field.
    pub fn update_item(&self, key: &str, values: &Values, rng: &mut Rng) -> String {
        let field = rng.below(FIELD_COUNT as u64);
        format!(
            r##"{{"TableName":"{}","Key":{{"pk":{{"S":"{key}"}}}},"UpdateExpression":"SET #f = :v","ExpressionAttributeNames":{{"#f":"field{field}"}},"ExpressionAttributeValues":{{":v":{{"S":"{}"}}}}}}"##,
            self.table,
            values.value(rng, self.field_len)
        )
    }

    /// `Scan` body reading `limit` items after `start_key`.
    pub fn scan(&self, start_key: &str, limit: u64) -> String {
        format!(
            r#"{{"TableName":"{}","Limit":{limit},"ExclusiveStartKey":{{"pk":{{"S":"{start_key}"}}}}}}"#,
            self.table
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes_sum_to_one_and_proportions_hold() {
        let all = [
            Workload::Load,
            Workload::A,
            Workload::B,
            Workload::C,
            Workload::D,
            Workload::E,
            Workload::F,
        ];
        let mut rng = Rng::new(11);
        for w in all {
            let total: f64 = w.mix().iter().map(|(_, p)| p).sum();
            assert!((total - 1.0).abs() < 1e-9, "{w:?}");
            let n = 100_000;
            let mut counts = [0u64; 5];
            for _ in 0..n {
                counts[w.choose(&mut rng).index()] += 1;
            }
            for (op, p) in w.mix() {
                let got = counts[op.index()] as f64 / n as f64;
                assert!((got - p).abs() < 0.01, "{w:?} {op:?} {got} vs {p}");
            }
            let listed: u64 = w.mix().iter().map(|(op, _)| counts[op.index()]).sum();
            assert_eq!(listed, n, "{w:?} chose an op outside its mix");
        }
    }

    #[test]
    fn bodies_are_valid_json_of_the_right_size() {
        let mut rng = Rng::new(1);
        let values = Values::new(&mut rng, 100);
        let r = Requests::new("usertable", 1000);
        let put: serde_json::Value =
            serde_json::from_str(&r.put_item("user1", &values, &mut rng)).expect("put json");
        let item = put["Item"].as_object().expect("item");
        assert_eq!(item.len(), FIELD_COUNT + 1);
        assert_eq!(item["field9"]["S"].as_str().map(str::len), Some(100));
        let upd: serde_json::Value =
            serde_json::from_str(&r.update_item("user1", &values, &mut rng)).expect("update");
        assert_eq!(upd["UpdateExpression"], "SET #f = :v");
        let get: serde_json::Value = serde_json::from_str(&r.get_item("user2")).expect("get");
        assert_eq!(get["Key"]["pk"]["S"], "user2");
        let scan: serde_json::Value = serde_json::from_str(&r.scan("user3", 7)).expect("scan");
        assert_eq!(scan["Limit"], 7);
    }
}
