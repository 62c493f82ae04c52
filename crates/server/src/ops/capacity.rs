//! Capacity units as DynamoDB counts them, and the `ConsumedCapacity` member.
//!
//! Reads cost one unit per 4 KB (rounded up, at least one), half for eventually
//! consistent reads; writes cost one unit per 1 KB of the larger of the item before and
//! after the write (at least one).

use serde_json::{json, Value};

use crate::api::error::ApiResult;
use crate::api::input::Input;

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

    /// The `ConsumedCapacity` member for a table, or `None` when not asked for.
    pub fn member(self, table: &str, units: f64, read: bool) -> Option<Value> {
        let kind = if read {
            "ReadCapacityUnits"
        } else {
            "WriteCapacityUnits"
        };
        match self {
            ReturnConsumed::None => None,
            ReturnConsumed::Total => Some(json!({
                "TableName": table,
                "CapacityUnits": units,
            })),
            ReturnConsumed::Indexes => Some(json!({
                "TableName": table,
                "CapacityUnits": units,
                kind: units,
                "Table": { "CapacityUnits": units, kind: units },
            })),
        }
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
}
