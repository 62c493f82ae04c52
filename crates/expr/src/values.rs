//! DynamoDB's value semantics used by conditions and updates: type names, equality
//! (sets are unordered), ordering (only within S, N, B), `size`, `contains`,
//! `begins_with`.

use std::cmp::Ordering;

use shoal_types::AttributeValue;

/// The wire type code: `S`, `N`, `B`, `BOOL`, `NULL`, `M`, `L`, `SS`, `NS`, `BS`.
pub(crate) fn type_code(v: &AttributeValue) -> &'static str {
    match v {
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

/// The spelled-out type name DynamoDB uses in ADD/DELETE operand messages.
pub(crate) fn type_long_name(v: &AttributeValue) -> &'static str {
    match v {
        AttributeValue::S(_) => "STRING",
        AttributeValue::N(_) => "NUMBER",
        AttributeValue::B(_) => "BINARY",
        AttributeValue::Bool(_) => "BOOLEAN",
        AttributeValue::Null => "NULL",
        AttributeValue::M(_) => "MAP",
        AttributeValue::L(_) => "LIST",
        AttributeValue::Ss(_) => "STRING_SET",
        AttributeValue::Ns(_) => "NUMBER_SET",
        AttributeValue::Bs(_) => "BINARY_SET",
    }
}

/// All type codes, as `attribute_type` accepts them.
pub(crate) const TYPE_CODES: [&str; 10] =
    ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

/// DynamoDB's rendering of a scalar operand in messages: `AttributeValue: {N:1}`.
pub(crate) fn describe(v: &AttributeValue) -> String {
    let body = match v {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        AttributeValue::B(b) => format!("{b:?}"),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Null => "true".to_owned(),
        other => format!("{other:?}"),
    };
    format!("AttributeValue: {{{}:{}}}", type_code(v), body)
}

/// Set equality ignores order; everything else is structural. Values of different types
/// are never equal.
pub(crate) fn values_equal(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue as V;
    fn same_set<T: PartialEq>(x: &[T], y: &[T]) -> bool {
        // Sets hold no duplicates, so equal length plus inclusion is equality.
        x.len() == y.len() && x.iter().all(|e| y.contains(e))
    }
    match (a, b) {
        (V::S(x), V::S(y)) => x == y,
        (V::N(x), V::N(y)) => x == y,
        (V::B(x), V::B(y)) => x == y,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Null, V::Null) => true,
        (V::M(x), V::M(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        (V::L(x), V::L(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| values_equal(v, w))
        }
        (V::Ss(x), V::Ss(y)) => same_set(x, y),
        (V::Ns(x), V::Ns(y)) => same_set(x, y),
        (V::Bs(x), V::Bs(y)) => same_set(x, y),
        _ => false,
    }
}

/// Order within S (code points, which is UTF-8 byte order), N (numeric) and B
/// (unsigned bytes); `None` for any other pair.
pub(crate) fn compare_values(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Whether `v` is of a type the ordering operators accept.
pub(crate) fn is_orderable(v: &AttributeValue) -> bool {
    matches!(
        v,
        AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
    )
}

/// `size()`: string length in bytes, binary length, element count of sets, lists and
/// maps; undefined (`None`) for N, BOOL and NULL.
pub(crate) fn size_of(v: &AttributeValue) -> Option<usize> {
    match v {
        AttributeValue::S(s) => Some(s.len()),
        AttributeValue::B(b) => Some(b.len()),
        AttributeValue::Ss(s) => Some(s.len()),
        AttributeValue::Ns(s) => Some(s.len()),
        AttributeValue::Bs(s) => Some(s.len()),
        AttributeValue::L(l) => Some(l.len()),
        AttributeValue::M(m) => Some(m.len()),
        AttributeValue::N(_) | AttributeValue::Bool(_) | AttributeValue::Null => None,
    }
}

fn contains_slice(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// `contains(a, b)`: substring of S or B, member of a set, element of a list.
pub(crate) fn contains(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (a, b) {
        (V::S(x), V::S(y)) => x.contains(y.as_str()),
        (V::B(x), V::B(y)) => contains_slice(x, y),
        (V::Ss(x), V::S(y)) => x.contains(y),
        (V::Ns(x), V::N(y)) => x.contains(y),
        (V::Bs(x), V::B(y)) => x.contains(y),
        (V::L(x), y) => x.iter().any(|e| values_equal(e, y)),
        _ => false,
    }
}

/// `begins_with(a, b)`: prefix within S or within B.
pub(crate) fn begins_with(a: &AttributeValue, b: &AttributeValue) -> bool {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => x.starts_with(y.as_str()),
        (AttributeValue::B(x), AttributeValue::B(y)) => x.starts_with(y),
        _ => false,
    }
}
