//! DynamoDB's item size rules: what counts toward the 400 KB item limit, the key size
//! limits and capacity units.
//!
//! Formulas (bytes):
//! - `S`: UTF-8 length. `B`: raw (decoded) length.
//! - `N`: `(significant digits + 1) / 2 + 1`, i.e. one byte per two significant digits
//!   (rounded up) plus one. Leading and trailing zeros are not significant; zero counts as
//!   one digit. This is DynamoDB's documented approximation ("1 byte per two significant
//!   digits + 1 byte"); the exact internal size also depends on the sign and the decimal
//!   point's position, which DynamoDB does not document.
//! - `BOOL`, `NULL`: 1.
//! - `SS`, `NS`, `BS`: the sum of the members' sizes by the rules above.
//! - `M`: 3 + for each entry, its key's UTF-8 length + its value's size.
//! - `L`: 3 + for each element, its size + 1.
//! - An item: for each attribute, its name's UTF-8 length + its value's size.
//!
//! Sizes recurse through maps and lists; values are at most [`crate::MAX_NESTING_DEPTH`]
//! deep when validated (and bounded when decoded), so the recursion is bounded.

use crate::{AttributeValue, Item, Number};

/// Overhead of a map or list value.
pub(crate) const CONTAINER_OVERHEAD: usize = 3;
/// Per-element overhead inside a list.
pub(crate) const LIST_ELEMENT_OVERHEAD: usize = 1;

/// Size of a number: `(significant digits + 1) / 2 + 1`.
pub fn number_size(n: &Number) -> usize {
    (n.significant_digits() as usize).div_ceil(2) + 1
}

/// Size of one attribute value (its name not included).
pub fn attribute_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Bool(_) | AttributeValue::Null => 1,
        AttributeValue::M(m) => {
            CONTAINER_OVERHEAD
                + m.iter()
                    .map(|(k, v)| k.len() + attribute_size(v))
                    .sum::<usize>()
        }
        AttributeValue::L(l) => {
            CONTAINER_OVERHEAD
                + l.iter()
                    .map(|v| attribute_size(v) + LIST_ELEMENT_OVERHEAD)
                    .sum::<usize>()
        }
        AttributeValue::Ss(s) => s.iter().map(String::len).sum(),
        AttributeValue::Ns(s) => s.iter().map(number_size).sum(),
        AttributeValue::Bs(s) => s.iter().map(Vec::len).sum(),
    }
}

/// Size of an item: the sum over attributes of name length + value size.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + attribute_size(v)).sum()
}

/// Nesting depth of a value: 0 for scalars and sets, 1 + the deepest child for maps and
/// lists. DynamoDB rejects values deeper than [`crate::MAX_NESTING_DEPTH`] with
/// "Nesting Levels have exceeded supported limits"; `shoal-expr` uses this to check the
/// results of update expressions.
pub fn nesting_depth(v: &AttributeValue) -> usize {
    if !matches!(v, AttributeValue::M(_) | AttributeValue::L(_)) {
        // Most attributes: no stack to allocate.
        return 0;
    }
    // Iterative, so even a value built without validation cannot overflow the stack.
    let mut max = 0;
    let mut stack: Vec<(&AttributeValue, usize)> = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        match v {
            AttributeValue::M(m) => {
                max = max.max(d + 1);
                stack.extend(m.values().map(|c| (c, d + 1)));
            }
            AttributeValue::L(l) => {
                max = max.max(d + 1);
                stack.extend(l.iter().map(|c| (c, d + 1)));
            }
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }

    #[test]
    fn scalar_sizes() {
        assert_eq!(attribute_size(&AttributeValue::S("héllo".into())), 6);
        assert_eq!(attribute_size(&AttributeValue::B(vec![1, 2, 3])), 3);
        assert_eq!(attribute_size(&AttributeValue::Bool(false)), 1);
        assert_eq!(attribute_size(&AttributeValue::Null), 1);
        assert_eq!(attribute_size(&n("0")), 2);
        assert_eq!(attribute_size(&n("7")), 2);
        assert_eq!(attribute_size(&n("12")), 2);
        assert_eq!(attribute_size(&n("123")), 3);
        assert_eq!(attribute_size(&n("1000000")), 2); // trailing zeros are not significant
        assert_eq!(attribute_size(&n("0.00012")), 2); // nor are leading zeros
        assert_eq!(
            attribute_size(&n("-12345678901234567890123456789012345678")),
            20
        );
    }

    #[test]
    fn container_and_set_sizes() {
        let l = AttributeValue::L(vec![AttributeValue::S("ab".into()), AttributeValue::Null]);
        assert_eq!(attribute_size(&l), 3 + (2 + 1) + (1 + 1));
        let m = AttributeValue::M(BTreeMap::from([("key".to_string(), n("12"))]));
        assert_eq!(attribute_size(&m), 3 + 3 + 2);
        assert_eq!(attribute_size(&AttributeValue::M(BTreeMap::new())), 3);
        assert_eq!(attribute_size(&AttributeValue::L(vec![])), 3);
        assert_eq!(
            attribute_size(&AttributeValue::Ss(vec!["a".into(), "bcd".into()])),
            4
        );
        let ns = AttributeValue::Ns(vec![Number::from_i64(1), Number::from_i64(123)]);
        assert_eq!(attribute_size(&ns), 2 + 3);
        assert_eq!(
            attribute_size(&AttributeValue::Bs(vec![vec![0; 5], vec![1]])),
            6
        );
        let item: Item = BTreeMap::from([
            ("pk".to_string(), AttributeValue::S("abc".into())),
            ("l".to_string(), l),
        ]);
        assert_eq!(item_size(&item), 2 + 3 + 1 + 3 + 3 + 2);
    }

    #[test]
    fn depth() {
        assert_eq!(nesting_depth(&AttributeValue::Null), 0);
        let mut v = AttributeValue::Null;
        for _ in 0..5 {
            v = AttributeValue::L(vec![v]);
        }
        assert_eq!(nesting_depth(&v), 5);
        let m = AttributeValue::M(BTreeMap::from([
            ("a".to_string(), v),
            ("b".to_string(), AttributeValue::L(vec![])),
        ]));
        assert_eq!(nesting_depth(&m), 6);
    }
}
