//! Property tests for shoal-types: codec and key round trips, number text and order.
//!
//! Pin any shrunk failure as a named regression test in the module's unit tests.

// Strategy helpers are not `#[test]` functions, so clippy's test exemption misses them.
#![allow(clippy::unwrap_used)]

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use shoal_types::codec::{
    decode_item, decode_value, encode_item, encode_value, write_item_image_json,
};
use shoal_types::direct::DirectItem;
use shoal_types::json::{
    attribute_value_from_json, attribute_value_to_json, item_from_json, item_to_json,
    write_item_json,
};
use shoal_types::key::{decode_item_key, encode_item_key, encode_key_value, KeyAttr};
use shoal_types::size::item_size;
use shoal_types::{AttributeValue, Item, KeySchema, Number, ScalarType};

/// Any valid number: zero, small integers, or 1..=38 random digits at any exponent in range.
fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        Just(Number::zero()),
        (-1000i64..1000).prop_map(Number::from_i64),
        any::<i64>().prop_map(Number::from_i64),
        (any::<bool>(), 1u32..=38, any::<u128>(), -130i64..=125).prop_map(
            |(neg, digits, raw, adj)| {
                let low = 10u128.pow(digits - 1);
                let coef = low + raw % (10u128.pow(digits) - low);
                // Put the leading digit at `adj`.
                let exp = adj - i64::from(digits - 1);
                let s = format!("{}{coef}e{exp}", if neg { "-" } else { "" });
                Number::parse(&s).unwrap()
            }
        ),
        // Near-boundary magnitudes.
        (
            any::<bool>(),
            prop_oneof![Just(-130i64), Just(125i64), -130i64..-120, 115i64..=125]
        )
            .prop_map(|(neg, e)| Number::parse(&format!(
                "{}1e{e}",
                if neg { "-" } else { "" }
            ))
            .unwrap()),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z]{1,6}", ".{0,8}"]
}

fn leaf() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        ".{0,12}".prop_map(AttributeValue::S),
        number().prop_map(AttributeValue::N),
        prop::collection::vec(any::<u8>(), 0..12).prop_map(AttributeValue::B),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null),
        prop::collection::btree_set(".{0,6}", 1..5)
            .prop_map(|s| AttributeValue::Ss(s.into_iter().collect())),
        prop::collection::vec(number(), 1..5).prop_map(|v| {
            // Sets hold no duplicates.
            let set: BTreeSet<Number> = v.into_iter().collect();
            AttributeValue::Ns(set.into_iter().collect())
        }),
        prop::collection::btree_set(prop::collection::vec(any::<u8>(), 0..6), 1..5)
            .prop_map(|s| AttributeValue::Bs(s.into_iter().collect())),
    ]
}

fn value() -> impl Strategy<Value = AttributeValue> {
    leaf().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(AttributeValue::L),
            prop::collection::btree_map(name(), inner, 0..6).prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    prop::collection::btree_map(name(), value(), 0..10)
}

/// JSON that is often almost an item: attribute-value-like objects with right and wrong
/// members, member values of right and wrong types, valid and invalid texts.
fn item_like_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let text = prop_oneof![
        Just("1".to_string()),
        Just("-0.50".to_string()),
        Just("1e200".to_string()),
        Just("AA==".to_string()),
        Just("AAE".to_string()),
        Just(String::new()),
        "[a-z0-9]{0,4}",
    ];
    let scalar = prop_oneof![
        text.prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        Just(Value::from(1)),
    ];
    let member = prop_oneof![
        Just("S"),
        Just("N"),
        Just("B"),
        Just("BOOL"),
        Just("NULL"),
        Just("M"),
        Just("L"),
        Just("SS"),
        Just("NS"),
        Just("BS"),
        Just("X"),
    ];
    let one_member =
        |(k, v): (&str, Value)| Value::Object(std::iter::once((k.to_string(), v)).collect());
    // Attribute values one step from valid, each declined by the plain-shape decoder.
    let near_miss = prop::sample::select(vec![
        r#"{"NULL":false}"#,
        r#"{"S":1}"#,
        r#"{"N":"1e200"}"#,
        r#"{"N":"x"}"#,
        r#"{"B":"AAE"}"#,
        r#"{"SS":[]}"#,
        r#"{"SS":["x","x"]}"#,
        r#"{"NS":["1","1.0"]}"#,
        r#"{"BS":["AA==","AA=="]}"#,
        r#"{"S":"x","X":null}"#,
        r#"{"S":"x","N":"1"}"#,
        r#"{"S":null,"N":"1"}"#,
        r#"{"X":"1"}"#,
        r#"{}"#,
    ])
    .prop_map(|t| serde_json::from_str::<Value>(t).unwrap());
    let leaf = prop_oneof![
        2 => value().prop_map(|v| attribute_value_to_json(&v)),
        2 => near_miss,
        2 => (member.clone(), scalar.clone()).prop_map(one_member),
        1 => scalar,
    ];
    leaf.prop_recursive(5, 48, 4, move |inner| {
        prop_oneof![
            // One member: the plain shape when the member fits its value.
            3 => (member.clone(), inner.clone()).prop_map(one_member),
            1 => prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            1 => prop::collection::btree_map(member.clone(), inner.clone(), 0..3).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
            2 => prop::collection::btree_map("[a-c]", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn ordered(n: &Number) -> Vec<u8> {
    let mut v = Vec::new();
    n.encode_ordered(&mut v);
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn codec_round_trip(item in item()) {
        let mut buf = Vec::new();
        encode_item(&item, &mut buf);
        prop_assert_eq!(decode_item(&buf).unwrap(), item);
    }

    #[test]
    fn codec_value_round_trip(v in value()) {
        let mut buf = Vec::new();
        encode_value(&v, &mut buf);
        prop_assert_eq!(decode_value(&buf).unwrap(), v);
    }

    #[test]
    fn image_json_matches_decoding_then_writing(item in item()) {
        let mut image = Vec::new();
        encode_item(&item, &mut image);
        let mut direct = Vec::new();
        let size = write_item_image_json(&image, &mut direct).unwrap();
        let mut via_item = Vec::new();
        write_item_json(&item, &mut via_item);
        prop_assert_eq!(direct, via_item);
        prop_assert_eq!(size, item_size(&item));
        // Every truncation or one-byte change is refused exactly when decoding refuses it.
        for cut in 0..image.len() {
            prop_assert!(write_item_image_json(&image[..cut], &mut Vec::new()).is_err());
        }
        for i in 0..image.len() {
            let mut bent = image.clone();
            bent[i] ^= 0x41;
            prop_assert_eq!(
                write_item_image_json(&bent, &mut Vec::new()).is_ok(),
                decode_item(&bent).is_ok()
            );
        }
    }

    #[test]
    fn codec_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = write_item_image_json(&bytes, &mut Vec::new());
        let _ = decode_item(&bytes);
        let _ = decode_value(&bytes);
        let _ = Number::decode_ordered(&bytes);
    }

    #[test]
    fn json_round_trip_and_direct_writer(item in item()) {
        let j = item_to_json(&item);
        let mut direct = Vec::new();
        write_item_json(&item, &mut direct);
        prop_assert_eq!(&direct, &serde_json::to_vec(&j).unwrap());
        prop_assert_eq!(item_from_json(&j).unwrap(), item.clone());
        let reparsed: serde_json::Value = serde_json::from_slice(&direct).unwrap();
        prop_assert_eq!(item_from_json(&reparsed).unwrap(), item);
    }

    #[test]
    fn direct_item_reads_every_valid_item(item in item()) {
        let mut text = Vec::new();
        write_item_json(&item, &mut text);
        let DirectItem(read) = serde_json::from_slice(&text).unwrap();
        prop_assert_eq!(read, item);
    }

    #[test]
    fn number_text_round_trip(n in number()) {
        let text = n.to_string();
        prop_assert_eq!(Number::parse(&text).unwrap(), n.clone());
        prop_assert!(!text.contains(['e', 'E', '+']));
        // JSON form round trips too.
        let j = serde_json::json!({"N": text});
        prop_assert_eq!(attribute_value_from_json(&j).unwrap(), AttributeValue::N(n));
    }

    #[test]
    fn number_parse_never_panics(s in "[-+0-9.eE]{0,20}|.{0,20}") {
        let _ = Number::parse(&s);
    }

    #[test]
    fn ordered_encoding_matches_ord(a in number(), b in number()) {
        let (ea, eb) = (ordered(&a), ordered(&b));
        prop_assert_eq!(ea.cmp(&eb), a.cmp(&b), "{} vs {}", a, b);
        prop_assert_eq!(Number::decode_ordered(&ea).unwrap(), a.clone());
        // Weak independent oracles: f64 is monotonic, and a - b has the sign of a.cmp(b).
        if a < b {
            prop_assert!(a.to_f64() <= b.to_f64());
        }
        if let Ok(d) = a.checked_sub(&b) {
            let sign = if d.is_zero() { Ordering::Equal } else if d.is_negative() { Ordering::Less } else { Ordering::Greater };
            prop_assert_eq!(sign, a.cmp(&b));
            // And the subtraction is exact.
            prop_assert_eq!(d.checked_add(&b).unwrap(), a);
        }
    }

    #[test]
    fn key_round_trip(
        pk in prop_oneof![
            "[a-z0-9]{1,10}".prop_map(AttributeValue::S),
            number().prop_map(AttributeValue::N),
            prop::collection::vec(any::<u8>(), 1..10).prop_map(AttributeValue::B),
        ],
        sk in prop::option::of(prop_oneof![
            ".{1,10}".prop_map(AttributeValue::S),
            number().prop_map(AttributeValue::N),
            prop::collection::vec(any::<u8>(), 1..10).prop_map(AttributeValue::B),
        ]),
    ) {
        let ty = |v: &AttributeValue| match v {
            AttributeValue::S(_) => ScalarType::S,
            AttributeValue::N(_) => ScalarType::N,
            _ => ScalarType::B,
        };
        let schema = KeySchema {
            partition: KeyAttr { name: "p".into(), ty: ty(&pk) },
            sort: sk.as_ref().map(|s| KeyAttr { name: "s".into(), ty: ty(s) }),
        };
        let mut key = BTreeMap::from([("p".to_string(), pk)]);
        if let Some(s) = sk {
            key.insert("s".to_string(), s);
        }
        prop_assert_eq!(schema.validate_key(&key), Ok(()));
        let bytes = encode_item_key(&schema, &key);
        prop_assert_eq!(decode_item_key(&schema, &bytes).unwrap(), key);
    }

    #[test]
    fn sort_key_order_is_preserved(a in number(), b in number(), sa in ".{1,8}", sb in ".{1,8}") {
        let schema = KeySchema {
            partition: KeyAttr { name: "p".into(), ty: ScalarType::S },
            sort: Some(KeyAttr { name: "s".into(), ty: ScalarType::N }),
        };
        let key = |n: &Number| BTreeMap::from([
            ("p".to_string(), AttributeValue::S("same".into())),
            ("s".to_string(), AttributeValue::N(n.clone())),
        ]);
        prop_assert_eq!(encode_item_key(&schema, &key(&a)).cmp(&encode_item_key(&schema, &key(&b))), a.cmp(&b));
        // Strings order by UTF-8 bytes, which is code point order.
        let (mut ea, mut eb) = (Vec::new(), Vec::new());
        encode_key_value(&AttributeValue::S(sa.clone()), &mut ea);
        encode_key_value(&AttributeValue::S(sb.clone()), &mut eb);
        prop_assert_eq!(ea.cmp(&eb), sa.cmp(&sb));
    }
}

proptest! {
    // Cheap cases, and the near misses must each come up alone often enough.
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn direct_item_declines_or_agrees_with_the_general_decoder(
        members in prop::collection::btree_map("[a-c]", prop_oneof![
            3 => value().prop_map(|v| attribute_value_to_json(&v)),
            2 => item_like_json(),
        ], 1..4)
    ) {
        let json = serde_json::Value::Object(members.into_iter().collect());
        let text = serde_json::to_vec(&json).unwrap();
        if let Ok(DirectItem(direct)) = serde_json::from_slice(&text) {
            prop_assert_eq!(Some(direct), item_from_json(&json).ok());
        }
    }

    #[test]
    fn direct_item_of_one_attribute_declines_or_agrees(v in item_like_json()) {
        let json = serde_json::json!({ "a": v });
        let text = serde_json::to_vec(&json).unwrap();
        if let Ok(DirectItem(direct)) = serde_json::from_slice(&text) {
            prop_assert_eq!(Some(direct), item_from_json(&json).ok());
        }
    }
}
