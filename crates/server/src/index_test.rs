//! Tests of index entry keys and of the write units a table write costs on an index.

use super::*;
use shoal_types::Number;

#[test]
fn escaped_sort_keys_keep_order_whatever_follows() {
    let vals = [
        AttributeValue::B(vec![1]),
        AttributeValue::B(vec![1, 0]),
        AttributeValue::B(vec![1, 0, 0]),
        AttributeValue::B(vec![1, 0, 1]),
        AttributeValue::B(vec![1, 1]),
        AttributeValue::B(vec![2]),
    ];
    let mut keys: Vec<Vec<u8>> = vals
        .iter()
        .map(|v| {
            let mut k = Vec::new();
            push_sort(&mut k, v);
            // A table key suffix that would break a naive encoding.
            k.extend_from_slice(&[0xFF, 0xFF]);
            k
        })
        .collect();
    let orig = keys.clone();
    keys.sort();
    assert_eq!(keys, orig);

    let nums = ["-10", "-1", "0", "0.5", "1", "10", "1e10"];
    let enc: Vec<Vec<u8>> = nums
        .iter()
        .map(|n| {
            let mut k = Vec::new();
            push_sort(&mut k, &AttributeValue::N(Number::parse(n).unwrap()));
            k.push(0);
            k
        })
        .collect();
    let mut sorted = enc.clone();
    sorted.sort();
    assert_eq!(sorted, enc);
}

/// A global index on `gk` (string) of a table keyed by `pk`, projecting `projection`.
fn def(projection: ProjectionKind) -> IndexDef {
    let attr = |name: &str| KeyAttr {
        name: name.into(),
        ty: shoal_types::ScalarType::S,
    };
    IndexDef {
        meta: IndexMeta {
            name: "g".into(),
            id: 7,
            key_schema: Vec::new(),
            projection_type: String::new(),
            non_key_attributes: Vec::new(),
            read_capacity: 0,
            write_capacity: 0,
            status: "ACTIVE".into(),
            last_increase: None,
            last_decrease: None,
            decreases_today: 0,
        },
        local: false,
        schema: KeySchema {
            partition: attr("gk"),
            sort: None,
        },
        table_schema: KeySchema {
            partition: attr("pk"),
            sort: None,
        },
        projection,
        stats: Arc::default(),
    }
}

fn item(attrs: &[(&str, &str)]) -> Item {
    attrs
        .iter()
        .map(|(n, v)| (n.to_string(), AttributeValue::S(v.to_string())))
        .collect()
}

#[test]
fn index_writes_cost_by_entry_transition() {
    let d = def(ProjectionKind::All);
    let a = item(&[("pk", "1"), ("gk", "a"), ("x", "1")]);
    let a2 = item(&[("pk", "1"), ("gk", "a"), ("x", "2")]);
    let b = item(&[("pk", "1"), ("gk", "b"), ("x", "1")]);
    let sparse = item(&[("pk", "1"), ("x", "1")]);
    tracing::info!("enter, leave and delete: one write each");
    assert_eq!(d.write_units(None, Some(&a)), 1.0);
    assert_eq!(d.write_units(Some(&a), Some(&sparse)), 1.0);
    assert_eq!(d.write_units(Some(&a), None), 1.0);
    tracing::info!("an index key change deletes the old entry and puts the new one");
    assert_eq!(d.write_units(Some(&a), Some(&b)), 2.0);
    tracing::info!("same key, projected attribute changed: one write");
    assert_eq!(d.write_units(Some(&a), Some(&a2)), 1.0);
    tracing::info!("nothing in the index changed, or the item is never in it: free");
    assert_eq!(d.write_units(Some(&a), Some(&a.clone())), 0.0);
    assert_eq!(d.write_units(None, Some(&sparse)), 0.0);
    assert_eq!(d.write_units(Some(&sparse), None), 0.0);
    assert_eq!(d.write_units(None, None), 0.0);
    tracing::info!("a key of the wrong type is not in the index");
    let mut wrong = a.clone();
    wrong.insert("gk".into(), AttributeValue::N(Number::from_i64(1)));
    assert_eq!(d.write_units(None, Some(&wrong)), 0.0);
}

#[test]
fn index_writes_cost_the_projected_entry_size() {
    // 3,000 bytes of "big" (3,011 bytes in all), not projected by KEYS_ONLY or INCLUDE(x).
    let big = "y".repeat(3000);
    let old = item(&[("pk", "1"), ("gk", "a"), ("x", "1"), ("big", &big)]);
    let grown = item(&[
        ("pk", "1"),
        ("gk", "a"),
        ("x", "1"),
        ("big", &"z".repeat(3000)),
    ]);
    let all = def(ProjectionKind::All);
    let keys = def(ProjectionKind::KeysOnly);
    let include = def(ProjectionKind::Include(["x".to_string()].into()));
    tracing::info!("ALL carries the whole item: 3 KB entries");
    assert_eq!(all.write_units(None, Some(&old)), 3.0);
    assert_eq!(all.write_units(Some(&old), None), 3.0);
    assert_eq!(all.write_units(Some(&old), Some(&grown)), 3.0);
    tracing::info!("KEYS_ONLY and INCLUDE carry keys (and x) only: 1 unit");
    assert_eq!(keys.write_units(None, Some(&old)), 1.0);
    assert_eq!(include.write_units(None, Some(&old)), 1.0);
    tracing::info!("a change to an attribute the index does not project costs nothing");
    assert_eq!(keys.write_units(Some(&old), Some(&grown)), 0.0);
    assert_eq!(include.write_units(Some(&old), Some(&grown)), 0.0);
    let mut x2 = old.clone();
    x2.insert("x".into(), AttributeValue::S("2".into()));
    assert_eq!(keys.write_units(Some(&old), Some(&x2)), 0.0);
    assert_eq!(include.write_units(Some(&old), Some(&x2)), 1.0);
    tracing::info!("a key change on a 3 KB ALL entry: a 3-unit delete plus a 3-unit put");
    let mut moved = old.clone();
    moved.insert("gk".into(), AttributeValue::S("b".into()));
    assert_eq!(all.write_units(Some(&old), Some(&moved)), 6.0);
    assert_eq!(keys.write_units(Some(&old), Some(&moved)), 2.0);
}
