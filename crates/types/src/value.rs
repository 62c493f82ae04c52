//! [`AttributeValue`]: the ten DynamoDB attribute types.

use std::collections::BTreeMap;

use crate::Number;

/// An item: attribute name to value. Ordered so encodings and responses are stable.
pub type Item = BTreeMap<String, AttributeValue>;

/// One DynamoDB attribute value.
///
/// Sets keep the order the client sent (DynamoDB does not promise an order) and never
/// hold duplicates or nothing: constructors in [`crate::json`] and [`crate::codec`]
/// enforce it.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// `S`: UTF-8 string.
    S(String),
    /// `N`: number.
    N(Number),
    /// `B`: binary (base64 on the wire).
    B(Vec<u8>),
    /// `BOOL`.
    Bool(bool),
    /// `NULL` (always true on the wire).
    Null,
    /// `M`: map of attribute values.
    M(BTreeMap<String, AttributeValue>),
    /// `L`: list of attribute values.
    L(Vec<AttributeValue>),
    /// `SS`: string set.
    Ss(Vec<String>),
    /// `NS`: number set.
    Ns(Vec<Number>),
    /// `BS`: binary set.
    Bs(Vec<Vec<u8>>),
}

impl AttributeValue {
    /// The DynamoDB type descriptor: `S`, `N`, `B`, `BOOL`, `NULL`, `M`, `L`, `SS`, `NS`
    /// or `BS` (as in the wire form and in error messages).
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null => "NULL",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
        }
    }
}
