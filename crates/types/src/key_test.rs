use super::*;

fn schema(sort: Option<ScalarType>) -> KeySchema {
    KeySchema {
        partition: KeyAttr {
            name: "pk".into(),
            ty: ScalarType::S,
        },
        sort: sort.map(|ty| KeyAttr {
            name: "sk".into(),
            ty,
        }),
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(v).unwrap())
}

fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn verr(r: Result<()>) -> String {
    match r {
        Err(Error::Validation(m)) => m,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn type_names() {
    for t in [ScalarType::S, ScalarType::N, ScalarType::B] {
        assert_eq!(ScalarType::parse(t.as_str()), Some(t));
    }
    assert_eq!(ScalarType::parse("BOOL"), None);
    assert_eq!(ScalarType::parse("s"), None);
    for t in [KeyType::Hash, KeyType::Range] {
        assert_eq!(KeyType::parse(t.as_str()), Some(t));
    }
    assert_eq!(KeyType::Hash.as_str(), "HASH");
    assert_eq!(KeyType::Range.as_str(), "RANGE");
    assert_eq!(KeyType::parse("hash"), None);
    assert!(ScalarType::N.matches(&n("1")));
    assert!(!ScalarType::N.matches(&s("1")));
    assert!(!ScalarType::S.matches(&AttributeValue::Ss(vec!["a".into()])));
    assert!(ScalarType::B.matches(&AttributeValue::B(vec![1])));
}

#[test]
fn put_item_key_rules() {
    let sch = schema(Some(ScalarType::N));
    let ok = item(&[
        ("pk", s("a")),
        ("sk", n("1")),
        ("other", AttributeValue::Null),
    ]);
    assert_eq!(sch.validate_item_key(&ok), Ok(()));
    assert_eq!(
        verr(sch.validate_item_key(&item(&[("sk", n("1"))]))),
        "One or more parameter values were invalid: Missing the key pk in the item"
    );
    assert_eq!(
        verr(sch.validate_item_key(&item(&[("pk", s("a"))]))),
        "One or more parameter values were invalid: Missing the key sk in the item"
    );
    assert_eq!(
        verr(sch.validate_item_key(&item(&[("pk", n("1")), ("sk", n("1"))]))),
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    );
    assert_eq!(
        verr(sch.validate_item_key(&item(&[("pk", s("a")), ("sk", AttributeValue::Ns(vec![Number::zero()]))]))),
        "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: NS"
    );
    assert_eq!(
        verr(sch.validate_item_key(&item(&[("pk", s("")), ("sk", n("1"))]))),
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
    );
    let bsch = KeySchema {
        partition: KeyAttr {
            name: "id".into(),
            ty: ScalarType::B,
        },
        sort: None,
    };
    assert_eq!(
        verr(bsch.validate_item_key(&item(&[("id", AttributeValue::B(vec![]))]))),
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: id"
    );
}

#[test]
fn key_size_limits() {
    let sch = schema(Some(ScalarType::S));
    let pk_max = "x".repeat(2048);
    let sk_max = "y".repeat(1024);
    assert_eq!(
        sch.validate_item_key(&item(&[("pk", s(&pk_max)), ("sk", s(&sk_max))])),
        Ok(())
    );
    let hash_msg = "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes";
    let range_msg = "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes";
    let big_pk = item(&[("pk", s(&format!("{pk_max}x"))), ("sk", s("a"))]);
    assert_eq!(verr(sch.validate_item_key(&big_pk)), hash_msg);
    assert_eq!(verr(sch.validate_key(&big_pk)), hash_msg);
    let big_sk = item(&[("pk", s("a")), ("sk", s(&format!("{sk_max}y")))]);
    assert_eq!(verr(sch.validate_item_key(&big_sk)), range_msg);
    assert_eq!(verr(sch.validate_key(&big_sk)), range_msg);
    // Multi-byte characters count in bytes.
    let wide = item(&[("pk", s("a")), ("sk", s(&"é".repeat(513)))]);
    assert_eq!(verr(sch.validate_item_key(&wide)), range_msg);
}

#[test]
fn key_map_rules() {
    let msg = "The provided key element does not match the schema";
    let sch = schema(Some(ScalarType::N));
    assert_eq!(
        sch.validate_key(&item(&[("pk", s("a")), ("sk", n("1"))])),
        Ok(())
    );
    assert_eq!(verr(sch.validate_key(&item(&[("pk", s("a"))]))), msg);
    assert_eq!(verr(sch.validate_key(&item(&[]))), msg);
    assert_eq!(
        verr(sch.validate_key(&item(&[("pk", s("a")), ("sk", n("1")), ("x", s("b"))]))),
        msg
    );
    assert_eq!(
        verr(sch.validate_key(&item(&[("pk", s("a")), ("other", n("1"))]))),
        msg
    );
    assert_eq!(
        verr(sch.validate_key(&item(&[("pk", s("a")), ("sk", s("1"))]))),
        msg
    );
    let hash_only = schema(None);
    assert_eq!(hash_only.validate_key(&item(&[("pk", s("a"))])), Ok(()));
    assert_eq!(
        verr(hash_only.validate_key(&item(&[("pk", s("a")), ("sk", n("1"))]))),
        msg
    );
    assert_eq!(verr(hash_only.validate_key(&item(&[("pk", n("1"))]))), msg);
    assert_eq!(
        verr(hash_only.validate_key(&item(&[("pk", s(""))]))),
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
    );
}

#[test]
fn key_of_and_membership() {
    let sch = schema(Some(ScalarType::N));
    let it = item(&[
        ("pk", s("a")),
        ("sk", n("1")),
        ("other", AttributeValue::Null),
    ]);
    assert_eq!(sch.key_of(&it), item(&[("pk", s("a")), ("sk", n("1"))]));
    assert!(sch.is_key_attribute("pk") && sch.is_key_attribute("sk"));
    assert!(!sch.is_key_attribute("other"));
    assert!(!schema(None).is_key_attribute("sk"));
}

#[test]
fn item_key_encoding_pinned() {
    // ON DISK: these bytes must never change.
    let sch = schema(Some(ScalarType::N));
    let k = item(&[("pk", s("ab")), ("sk", n("-1"))]);
    assert_eq!(
        encode_item_key(&sch, &k),
        [0, 2, b'a', b'b', 0x01, 125, 89, 0xFF]
    );
    assert_eq!(
        decode_item_key(&sch, &encode_item_key(&sch, &k)).unwrap(),
        k
    );
    let hk = item(&[("pk", s("ab"))]);
    assert_eq!(encode_item_key(&schema(None), &hk), [0, 2, b'a', b'b']);
    assert_eq!(point(&s("ab")), xxhash_rust::xxh3::xxh3_64(b"ab"));
    assert_eq!(point(&n("1")), xxhash_rust::xxh3::xxh3_64(&[0x03, 130, 10]));
    assert_eq!(point(&n("1.0")), point(&n("1")));
}

#[test]
fn item_key_order_within_partition() {
    let sch = schema(Some(ScalarType::N));
    let keys: Vec<Vec<u8>> = ["-10", "-1", "0", "0.5", "1", "10"]
        .iter()
        .map(|v| encode_item_key(&sch, &item(&[("pk", s("p")), ("sk", n(v))])))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn item_key_decoding_rejects_garbage() {
    let sch = schema(Some(ScalarType::N));
    for bad in [
        &[][..],
        &[0],
        &[0, 5, b'a'],
        &[0, 1, 0xff, 0x02],
        &[0, 1, b'a'],
        &[0, 1, b'a', 0x09],
    ] {
        assert!(
            matches!(decode_item_key(&sch, bad), Err(Error::Corrupt(_))),
            "{bad:?}"
        );
    }
    assert!(matches!(
        decode_item_key(&schema(None), &[0, 1, b'a', b'b']),
        Err(Error::Corrupt(_))
    ));
}
