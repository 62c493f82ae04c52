use super::*;
use serde_json::json;

fn av(v: Value) -> Result<AttributeValue> {
    attribute_value_from_json(&v)
}

fn verr(v: Value) -> String {
    match av(v.clone()) {
        Err(Error::Validation(m)) => m,
        other => panic!("{v}: expected a validation error, got {other:?}"),
    }
}

fn serr(v: Value) -> String {
    match av(v.clone()) {
        Err(Error::Serialization(m)) => m,
        other => panic!("{v}: expected a serialization error, got {other:?}"),
    }
}

fn num(s: &str) -> Number {
    Number::parse(s).unwrap()
}

#[test]
fn decodes_every_type() {
    assert_eq!(
        av(json!({"S": "x"})).unwrap(),
        AttributeValue::S("x".into())
    );
    assert_eq!(
        av(json!({"S": ""})).unwrap(),
        AttributeValue::S(String::new())
    );
    assert_eq!(
        av(json!({"N": "1.50"})).unwrap(),
        AttributeValue::N(num("1.5"))
    );
    assert_eq!(
        av(json!({"B": "AQI="})).unwrap(),
        AttributeValue::B(vec![1, 2])
    );
    assert_eq!(av(json!({"B": ""})).unwrap(), AttributeValue::B(vec![]));
    assert_eq!(
        av(json!({"BOOL": false})).unwrap(),
        AttributeValue::Bool(false)
    );
    assert_eq!(av(json!({"NULL": true})).unwrap(), AttributeValue::Null);
    assert_eq!(
        av(json!({"M": {"a": {"N": "1"}, "b": {"M": {}}}})).unwrap(),
        AttributeValue::M(BTreeMap::from([
            ("a".to_string(), AttributeValue::N(num("1"))),
            ("b".to_string(), AttributeValue::M(BTreeMap::new())),
        ]))
    );
    assert_eq!(
        av(json!({"L": [{"S": "a"}, {"L": []}]})).unwrap(),
        AttributeValue::L(vec![
            AttributeValue::S("a".into()),
            AttributeValue::L(vec![])
        ])
    );
    assert_eq!(
        av(json!({"SS": ["b", "a"]})).unwrap(),
        AttributeValue::Ss(vec!["b".into(), "a".into()])
    );
    assert_eq!(
        av(json!({"NS": ["2", "-1"]})).unwrap(),
        AttributeValue::Ns(vec![num("2"), num("-1")])
    );
    assert_eq!(
        av(json!({"BS": ["AQ==", "Ag=="]})).unwrap(),
        AttributeValue::Bs(vec![vec![1], vec![2]])
    );
    // Null members are absent and unknown members are ignored.
    assert_eq!(
        av(json!({"S": "x", "N": null, "X": 1})).unwrap(),
        AttributeValue::S("x".into())
    );
}

#[test]
fn type_member_count() {
    let empty =
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
    let multi = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes";
    assert_eq!(verr(json!({})), empty);
    assert_eq!(verr(json!({"X": "1"})), empty);
    assert_eq!(verr(json!({"S": null})), empty);
    assert_eq!(verr(json!({"s": "lowercase"})), empty);
    assert_eq!(verr(json!({"S": "a", "N": "1"})), multi);
    assert_eq!(verr(json!({"NULL": true, "BOOL": true})), multi);
    assert_eq!(verr(json!({"L": [{}]})), empty);
}

#[test]
fn sets() {
    let prefix = "One or more parameter values were invalid: ";
    assert_eq!(
        verr(json!({"SS": []})),
        format!("{prefix}An string set  may not be empty")
    );
    assert_eq!(
        verr(json!({"NS": []})),
        format!("{prefix}An number set  may not be empty")
    );
    assert_eq!(
        verr(json!({"BS": []})),
        format!("{prefix}An binary set  may not be empty")
    );
    assert_eq!(
        verr(json!({"SS": ["a", "a"]})),
        format!("{prefix}Input collection [a, a] contains duplicates.")
    );
    assert_eq!(
        verr(json!({"SS": ["a", "b", "a"]})),
        format!("{prefix}Input collection [a, b, a] contains duplicates.")
    );
    assert_eq!(
        verr(json!({"NS": ["1", "1.0"]})),
        format!("{prefix}Input collection [1, 1.0] contains duplicates.")
    );
    assert_eq!(
        verr(json!({"BS": ["AQ==", "AQ=="]})),
        format!("{prefix}Input collection [AQ==, AQ==] contains duplicates.")
    );
    assert_eq!(
        verr(json!({"NS": ["1", "x"]})),
        "The parameter cannot be converted to a numeric value"
    );
    assert_eq!(serr(json!({"SS": "a"})), "Unexpected value type in payload");
    assert_eq!(
        serr(json!({"SS": {}})),
        "Start of structure or map found where not expected"
    );
    assert_eq!(
        serr(json!({"SS": [1]})),
        "NUMBER_VALUE cannot be converted to String"
    );
    assert_eq!(
        serr(json!({"NS": [1]})),
        "NUMBER_VALUE cannot be converted to String"
    );
    assert_eq!(
        serr(json!({"SS": ["a", null]})),
        "Unexpected null value in set"
    );
}

#[test]
fn scalar_rules() {
    assert_eq!(
        verr(json!({"NULL": false})),
        "One or more parameter values were invalid: Null attribute value types must have the value of true"
    );
    assert_eq!(
        verr(json!({"N": "abc"})),
        "The parameter cannot be converted to a numeric value"
    );
    assert_eq!(
        verr(json!({"N": ""})),
        "The parameter cannot be converted to a numeric value"
    );
    assert_eq!(
        verr(json!({"N": "1E+126"})),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
    assert_eq!(
        verr(json!({"N": "1E-131"})),
        "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    );
    assert_eq!(
        verr(json!({"N": "1".repeat(39)})),
        "Attempting to store more than 38 significant digits in a Number"
    );
    assert_eq!(
        serr(json!({"B": "abc"})),
        "Base64 encoded length is expected a multiple of 4 bytes but found: 3"
    );
    assert!(serr(json!({"B": "ab!="})).starts_with("Invalid Base64 encoded value"));
    assert_eq!(
        serr(json!({"BS": ["AQ==", "A"]})),
        "Base64 encoded length is expected a multiple of 4 bytes but found: 1"
    );
}

#[test]
fn wrong_shapes() {
    assert_eq!(
        serr(json!({"N": 5})),
        "NUMBER_VALUE cannot be converted to String"
    );
    assert_eq!(
        serr(json!({"S": 5})),
        "NUMBER_VALUE cannot be converted to String"
    );
    assert_eq!(
        serr(json!({"S": true})),
        "TRUE_VALUE cannot be converted to String"
    );
    assert_eq!(
        serr(json!({"S": {}})),
        "Start of structure or map found where not expected"
    );
    assert_eq!(
        serr(json!({"S": []})),
        "Start of list found where not expected"
    );
    assert_eq!(
        serr(json!({"BOOL": "true"})),
        "STRING_VALUE cannot be converted to Boolean"
    );
    assert_eq!(
        serr(json!({"NULL": 1})),
        "NUMBER_VALUE cannot be converted to Boolean"
    );
    assert_eq!(
        serr(json!({"M": []})),
        "Start of list found where not expected"
    );
    assert_eq!(serr(json!({"M": "x"})), "Unexpected value type in payload");
    assert_eq!(
        serr(json!({"L": {}})),
        "Start of structure or map found where not expected"
    );
    assert_eq!(serr(json!("x")), "Unexpected value type in payload");
    assert_eq!(serr(json!([])), "Start of list found where not expected");
    assert_eq!(serr(json!({"L": [5]})), "Unexpected value type in payload");
    // A shape error anywhere wins over a validation error found first.
    assert_eq!(
        serr(json!({"L": [{"S": "a", "N": "1"}, {"N": 5}]})),
        "NUMBER_VALUE cannot be converted to String"
    );
    assert_eq!(
        serr(json!({"S": "a", "N": 5})),
        "NUMBER_VALUE cannot be converted to String"
    );
}

#[test]
fn items() {
    let item = item_from_json(&json!({"pk": {"S": "a"}, "n": {"N": "1"}})).unwrap();
    assert_eq!(item.len(), 2);
    assert_eq!(item.get("n"), Some(&AttributeValue::N(num("1"))));
    let e = |v: Value| item_from_json(&v).unwrap_err();
    assert_eq!(
        e(json!([])),
        Error::Serialization("Start of list found where not expected".into())
    );
    assert_eq!(
        e(json!("x")),
        Error::Serialization("Unexpected value type in payload".into())
    );
    assert_eq!(
        e(json!({"a": null})),
        Error::Validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
                .into()
        )
    );
    // Shape errors win across attributes too.
    assert_eq!(
        e(json!({"a": {}, "b": {"N": 5}})),
        Error::Serialization("NUMBER_VALUE cannot be converted to String".into())
    );
    assert_eq!(item_from_json(&json!({})).unwrap(), Item::new());
}

fn nested(levels: usize, wrap_map: bool) -> Value {
    let mut v = json!({"S": "leaf"});
    for _ in 0..levels {
        v = if wrap_map {
            json!({"M": {"k": v}})
        } else {
            json!({"L": [v]})
        };
    }
    v
}

#[test]
fn nesting_depth() {
    let msg = "Nesting Levels have exceeded supported limits";
    for wrap_map in [false, true] {
        assert!(av(nested(MAX_NESTING_DEPTH, wrap_map)).is_ok());
        assert_eq!(verr(nested(MAX_NESTING_DEPTH + 1, wrap_map)), msg);
    }
    // An empty container at level 33 is still too deep.
    let mut v = json!({"L": []});
    for _ in 0..MAX_NESTING_DEPTH {
        v = json!({"L": [v]});
    }
    assert_eq!(verr(v), msg);
}

const DEEP: usize = 100_000;

/// `{"L": [inner]}` without `json!`, which would re-serialize `inner` recursively.
fn wrap_in_list(inner: Value) -> Value {
    let mut m = Map::new();
    m.insert("L".into(), Value::Array(vec![inner]));
    Value::Object(m)
}

/// Drops a deep `{"L": [...]}` chain iteratively: serde_json's drop recurses.
fn drop_deep(mut v: Value) {
    while let Some(next) = v
        .get_mut("L")
        .and_then(|l| l.as_array_mut())
        .and_then(|a| a.pop())
    {
        v = next;
    }
}

#[test]
fn very_deep_input_does_not_overflow_the_stack() {
    // Built by hand (serde_json's parser stops at 128 levels, but a Value can be deeper).
    // No clones, `json!` or panicking asserts while the deep values are alive: serde_json's
    // clone, serialization and drop all recurse.
    let mut good = json!({"S": "leaf"});
    let mut bad = json!({"N": 5});
    for _ in 0..DEEP {
        good = wrap_in_list(good);
        bad = wrap_in_list(bad);
    }
    let good_result = attribute_value_from_json(&good);
    // The fallback shape scan walks all of `bad` and finds the shape error at the bottom.
    let bad_result = attribute_value_from_json(&bad);
    drop_deep(good);
    drop_deep(bad);
    assert_eq!(
        good_result,
        Err(Error::Validation(
            "Nesting Levels have exceeded supported limits".into()
        ))
    );
    assert_eq!(
        bad_result,
        Err(Error::Serialization(
            "NUMBER_VALUE cannot be converted to String".into()
        ))
    );
}

#[test]
fn to_json() {
    let v = AttributeValue::M(BTreeMap::from([
        ("b".to_string(), AttributeValue::B(vec![1, 2])),
        ("n".to_string(), AttributeValue::N(num("100"))),
        (
            "l".to_string(),
            AttributeValue::L(vec![AttributeValue::Null, AttributeValue::Bool(true)]),
        ),
        (
            "ns".to_string(),
            AttributeValue::Ns(vec![num("1.50"), num("-2")]),
        ),
        ("bs".to_string(), AttributeValue::Bs(vec![vec![255]])),
        (
            "ss".to_string(),
            AttributeValue::Ss(vec!["z".into(), "a".into()]),
        ),
    ]));
    let j = attribute_value_to_json(&v);
    assert_eq!(
        j,
        json!({"M": {
            "b": {"B": "AQI="},
            "n": {"N": "100"},
            "l": {"L": [{"NULL": true}, {"BOOL": true}]},
            "ns": {"NS": ["1.5", "-2"]},
            "bs": {"BS": ["/w=="]},
            "ss": {"SS": ["z", "a"]},
        }})
    );
    assert_eq!(attribute_value_from_json(&j).unwrap(), v);
}

#[test]
fn direct_writer_matches_serde_json() {
    let item: Item = BTreeMap::from([
        ("plain".to_string(), AttributeValue::S("hello".into())),
        (
            "esc".to_string(),
            AttributeValue::S("q\"b\\s/\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é😀".into()),
        ),
        ("k\"ey\u{0}".to_string(), AttributeValue::Bool(false)),
        ("n".to_string(), AttributeValue::N(num("-0.00123"))),
        ("b".to_string(), AttributeValue::B(vec![0, 1, 2, 3, 4])),
        ("e".to_string(), AttributeValue::B(vec![])),
        (
            "m".to_string(),
            AttributeValue::M(BTreeMap::from([("x".to_string(), AttributeValue::Null)])),
        ),
        ("em".to_string(), AttributeValue::M(BTreeMap::new())),
        (
            "l".to_string(),
            AttributeValue::L(vec![AttributeValue::Bool(true), AttributeValue::L(vec![])]),
        ),
        (
            "ss".to_string(),
            AttributeValue::Ss(vec!["a\"".into(), "b".into()]),
        ),
        (
            "ns".to_string(),
            AttributeValue::Ns(vec![num("1"), num("1E+10")]),
        ),
        (
            "bs".to_string(),
            AttributeValue::Bs(vec![vec![9], vec![8, 7]]),
        ),
    ]);
    let mut out = Vec::new();
    write_item_json(&item, &mut out);
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        serde_json::to_string(&item_to_json(&item)).unwrap()
    );
    let parsed: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(item_from_json(&parsed).unwrap(), item);
    let mut empty = Vec::new();
    write_item_json(&Item::new(), &mut empty);
    assert_eq!(empty, b"{}");
}

#[test]
fn string_escaping_matches_serde_json_at_every_offset() {
    // The writer tests 32 and eight bytes at a time; put each byte that needs escaping
    // (and its neighbours in value, which must not) at every offset of strings around
    // those widths.
    let specials = [
        "\u{0}", "\u{1f}", " ", "!", "\"", "#", "[", "\\", "]", "\u{7f}", "é", "\n", "😀",
    ];
    for len in 0..72 {
        for at in 0..=len {
            for special in specials {
                let mut s: String = "abcdefghijklmnopqrstuvwxyz"
                    .repeat(3)
                    .chars()
                    .take(len)
                    .collect();
                s.insert_str(at, special);
                let mut out = Vec::new();
                write_json_str(&s, &mut out);
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    serde_json::to_string(&s).unwrap(),
                    "{s:?}"
                );
            }
        }
    }
}

#[test]
fn stored_text_is_checked_as_utf8_while_escaped() {
    // Valid text writes as `write_json_str` writes it, wherever its first non-ASCII byte is.
    for s in [
        "",
        "plain",
        "é",
        "abcdefghé",
        "abcdefgh\"é\\",
        "😀abcdefghijklmnop\u{1}",
        "abcdefghijklmnopqrstuvwxyzabcdefé\"",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz😀abcdefghijklmnop\n",
    ] {
        let (mut text, mut string) = (Vec::new(), Vec::new());
        assert!(write_json_text(s.as_bytes(), &mut text), "{s:?}");
        write_json_str(s, &mut string);
        assert_eq!(text, string, "{s:?}");
    }
    // Not UTF-8 before, at or after a word boundary, after valid non-ASCII text, and a
    // char cut short at the end.
    let bad: [&[u8]; 9] = [
        b"\xff",
        b"abcdefgh\xff",
        b"abc\x80defghijk",
        "é".as_bytes().split_last().unwrap().1,
        b"\xc3\xa9abcdefgh\xc3",
        b"abcdefghijklmnop\xed\xa0\x80",
        b"abcdefghijklmnopqrstuvwxyzabcdef\xff",
        b"abcdefghijklmnopqrstuvwxyzabcde\xffghijklmnopqrstuvwxyzabcdefghijklmnop",
        b"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\xc3\xa9abcdefghijk\xc3",
    ];
    for bytes in bad {
        assert!(!write_json_text(bytes, &mut Vec::new()), "{bytes:?}");
    }
}
