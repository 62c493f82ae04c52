//! The data model as a client sees it: all ten attribute types round-trip; numbers are
//! normalised, compared numerically and limited to 38 digits and 1E-130..<1E+126; sets
//! are non-empty without duplicates; empty strings and binaries are fine outside keys;
//! key, item and nesting limits hold at their exact boundaries.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ScalarAttributeType};
use aws_sdk_dynamodb::Client;
use serde_json::json;

use crate::common::*;

type Item = HashMap<String, AttributeValue>;

/// Sorts set members so sets compare regardless of order.
fn canon(v: &AttributeValue) -> AttributeValue {
    match v {
        AttributeValue::Ss(x) => {
            let mut x = x.clone();
            x.sort();
            AttributeValue::Ss(x)
        }
        AttributeValue::Ns(x) => {
            let mut x = x.clone();
            x.sort();
            AttributeValue::Ns(x)
        }
        AttributeValue::Bs(x) => {
            let mut x = x.clone();
            x.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
            AttributeValue::Bs(x)
        }
        AttributeValue::M(m) => {
            AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), canon(v))).collect())
        }
        AttributeValue::L(l) => AttributeValue::L(l.iter().map(canon).collect()),
        other => other.clone(),
    }
}

fn canon_item(i: &Item) -> Item {
    i.iter().map(|(k, v)| (k.clone(), canon(v))).collect()
}

fn b(bytes: &[u8]) -> AttributeValue {
    AttributeValue::B(Blob::new(bytes.to_vec()))
}

async fn put_item(c: &Client, table: &str, it: Item) -> Result<(), (String, String)> {
    c.put_item()
        .table_name(table)
        .set_item(Some(it))
        .send()
        .await
        .map(|_| ())
        .map_err(service_error)
}

/// Puts `{pk: "k", v: N value}` and reads back the stored number.
async fn store_number(c: &Client, value: &str) -> Result<String, (String, String)> {
    put_item(c, "nums", item([("pk", s("k")), ("v", n(value))])).await?;
    let got = get_pk(c, "nums", "k").await.unwrap();
    Ok(got["v"].as_n().unwrap().clone())
}

fn validation(msg: &str) -> Result<String, (String, String)> {
    Err(("ValidationException".into(), msg.into()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_ten_types_round_trip() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "types").await;
    let all_bytes: Vec<u8> = (0..=255).collect();
    let scalars = vec![
        s("text ✓ ünïcode"),
        n("-12.5"),
        b(&all_bytes),
        AttributeValue::Bool(true),
        AttributeValue::Bool(false),
        AttributeValue::Null(true),
        AttributeValue::Ss(vec!["x".into(), "y".into(), "z".into()]),
        AttributeValue::Ns(vec!["1".into(), "2.5".into(), "-3".into()]),
        AttributeValue::Bs(vec![Blob::new(vec![0u8]), Blob::new(vec![1u8, 2])]),
    ];
    let nested = AttributeValue::M(item([
        ("list", AttributeValue::L(scalars.clone())),
        (
            "deeper",
            AttributeValue::M(item([(
                "l",
                AttributeValue::L(vec![AttributeValue::M(item([("x", n("1"))]))]),
            )])),
        ),
        ("empty_map", AttributeValue::M(HashMap::new())),
        ("empty_list", AttributeValue::L(vec![])),
        ("empty_s", s("")),
        ("empty_b", b(b"")),
    ]));
    let it = item([
        ("pk", s("k")),
        ("S", scalars[0].clone()),
        ("N", scalars[1].clone()),
        ("B", scalars[2].clone()),
        ("BOOL_T", scalars[3].clone()),
        ("BOOL_F", scalars[4].clone()),
        ("NULL", scalars[5].clone()),
        ("SS", scalars[6].clone()),
        ("NS", scalars[7].clone()),
        ("BS", scalars[8].clone()),
        ("M", nested),
        ("L", AttributeValue::L(scalars.clone())),
        ("empty_s", s("")),
        ("empty_b", b(b"")),
    ]);
    put_item(&c, "types", it.clone()).await.unwrap();
    let got = get_pk(&c, "types", "k").await.unwrap();
    assert_eq!(canon_item(&got), canon_item(&it));
    // Strongly and eventually consistent reads agree, and so does ReturnValues.
    let ev = c
        .get_item()
        .table_name("types")
        .key("pk", s("k"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(canon_item(&ev), canon_item(&it));
    let old = c
        .delete_item()
        .table_name("types")
        .key("pk", s("k"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(canon_item(&old), canon_item(&it));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_are_normalised() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "nums").await;
    for (input, stored) in [
        ("1.50", "1.5"),
        ("0100", "100"),
        ("1e2", "100"),
        ("1E+2", "100"),
        ("0.0100", "0.01"),
        ("-1.500", "-1.5"),
        ("5.0", "5"),
        ("1E-5", "0.00001"),
        ("-0.0", "0"),
        (
            "123456789012345678901234567890.12345678",
            "123456789012345678901234567890.12345678",
        ),
    ] {
        assert_eq!(
            store_number(&c, input).await.as_deref(),
            Ok(stored),
            "{input}"
        );
    }
    let big = format!("1{}", "0".repeat(125));
    assert_eq!(store_number(&c, "1E+125").await, Ok(big));
    // Numbers in sets are normalised too, and duplicates are found numerically.
    put_item(
        &c,
        "nums",
        item([
            ("pk", s("set")),
            ("v", AttributeValue::Ns(vec!["1.50".into(), "2".into()])),
        ]),
    )
    .await
    .unwrap();
    let got = get_pk(&c, "nums", "set").await.unwrap();
    let mut ns = got["v"].as_ns().unwrap().clone();
    ns.sort();
    assert_eq!(ns, ["1.5", "2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn number_precision_and_range() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "nums").await;
    let d38 = "12345678901234567890123456789012345678";
    assert_eq!(store_number(&c, d38).await.as_deref(), Ok(d38));
    let precision = "Attempting to store more than 38 significant digits in a Number";
    assert_eq!(
        store_number(&c, &format!("{d38}9")).await,
        validation(precision)
    );
    assert_eq!(
        store_number(&c, &format!("0.{d38}9")).await,
        validation(precision)
    );
    // Zeros around the digits are not significant.
    let padded = format!("{d38}00");
    assert_eq!(
        store_number(&c, &padded).await.as_deref(),
        Ok(padded.as_str())
    );
    assert_eq!(
        store_number(&c, &format!("000{d38}")).await.as_deref(),
        Ok(d38)
    );

    let max = "9.9999999999999999999999999999999999999E+125";
    let max_plain = format!("{}{}", "9".repeat(38), "0".repeat(88));
    assert_eq!(store_number(&c, max).await, Ok(max_plain.clone()));
    assert_eq!(
        store_number(&c, &format!("-{max}")).await,
        Ok(format!("-{max_plain}"))
    );
    let overflow =
        "Number overflow. Attempting to store a number with magnitude larger than supported range";
    let underflow =
        "Number underflow. Attempting to store a number with magnitude smaller than supported range";
    assert_eq!(store_number(&c, "1E+126").await, validation(overflow));
    assert_eq!(store_number(&c, "-1E+126").await, validation(overflow));
    assert_eq!(store_number(&c, "1E-130").await.map(|v| v.len()), Ok(132));
    assert_eq!(store_number(&c, "1E-131").await, validation(underflow));
    assert_eq!(store_number(&c, "-1E-131").await, validation(underflow));
    // The last accepted value is still there: refused writes changed nothing.
    let last = get_pk(&c, "nums", "k").await.unwrap();
    assert_eq!(last["v"].as_n().unwrap().len(), 132);

    for bad in ["abc", "1..2", "NaN", "Infinity", "1e", "--1", " "] {
        let (code, msg) = store_number(&c, bad).await.unwrap_err();
        assert_eq!(code, "ValidationException", "{bad}");
        assert!(
            msg.starts_with("The parameter cannot be converted to a numeric value"),
            "{bad}: {msg}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_compare_numerically() {
    let srv = Server::start();
    let c = srv.client();
    create_table(&c, "numkeys", ("id", ScalarAttributeType::N), None).await;
    c.put_item()
        .table_name("numkeys")
        .item("id", n("1.0"))
        .item("v", n("10"))
        .send()
        .await
        .unwrap();
    // The key 1.0 is the key 1 and the key 1e0.
    for key in ["1", "1e0", "1.000"] {
        let got = c
            .get_item()
            .table_name("numkeys")
            .key("id", n(key))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .unwrap_or_else(|| panic!("key {key} not found"));
        assert_eq!(got["id"], n("1"));
    }
    // 10 > 9 numerically (as strings "10" < "9").
    c.update_item()
        .table_name("numkeys")
        .key("id", n("1"))
        .update_expression("SET ok = :t")
        .condition_expression("v > :nine AND v = :ten")
        .expression_attribute_values(":nine", n("9"))
        .expression_attribute_values(":ten", n("10.00"))
        .expression_attribute_values(":t", AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
    // Overwriting 1e0 replaces the item stored as 1.0.
    c.put_item()
        .table_name("numkeys")
        .item("id", n("1e0"))
        .send()
        .await
        .unwrap();
    let d = c
        .describe_table()
        .table_name("numkeys")
        .send()
        .await
        .unwrap();
    assert_eq!(d.table.unwrap().item_count(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sets_must_be_non_empty_and_distinct() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "sets").await;
    let with = |v: AttributeValue| item([("pk", s("k")), ("v", v)]);
    let invalid = |m: &str| Err(("ValidationException".to_string(), m.to_string()));
    assert_eq!(
        put_item(&c, "sets", with(AttributeValue::Ss(vec![]))).await,
        invalid("One or more parameter values were invalid: An string set  may not be empty")
    );
    assert_eq!(
        put_item(&c, "sets", with(AttributeValue::Ns(vec![]))).await,
        invalid("One or more parameter values were invalid: An number set  may not be empty")
    );
    assert_eq!(
        put_item(&c, "sets", with(AttributeValue::Bs(vec![]))).await,
        invalid("One or more parameter values were invalid: An binary set  may not be empty")
    );
    assert_eq!(
        put_item(&c, "sets", with(AttributeValue::Ss(vec!["a".into(), "b".into(), "a".into()]))).await,
        invalid("One or more parameter values were invalid: Input collection [a, b, a] contains duplicates.")
    );
    let dup_n = put_item(
        &c,
        "sets",
        with(AttributeValue::Ns(vec!["1".into(), "1.0".into()])),
    )
    .await;
    assert_eq!(dup_n.unwrap_err().0, "ValidationException");
    let dup_b = put_item(
        &c,
        "sets",
        with(AttributeValue::Bs(vec![
            Blob::new(vec![1u8]),
            Blob::new(vec![1u8]),
        ])),
    )
    .await;
    assert_eq!(dup_b.unwrap_err().0, "ValidationException");
    // Also inside maps and lists.
    let nested = with(AttributeValue::L(vec![AttributeValue::M(item([(
        "s",
        AttributeValue::Ss(vec![]),
    )]))]));
    assert_eq!(
        put_item(&c, "sets", nested).await,
        invalid("One or more parameter values were invalid: An string set  may not be empty")
    );
    assert_eq!(get_pk(&c, "sets", "k").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_values_allowed_except_in_keys() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "empty").await;
    create_table(
        &c,
        "bkeys",
        ("pk", ScalarAttributeType::B),
        Some(("sk", ScalarAttributeType::S)),
    )
    .await;
    let it = item([
        ("pk", s("k")),
        ("s", s("")),
        ("b", b(b"")),
        ("l", AttributeValue::L(vec![s("")])),
    ]);
    put_item(&c, "empty", it.clone()).await.unwrap();
    assert_eq!(get_pk(&c, "empty", "k").await, Some(it));

    let empty_s =
        "One or more parameter values are not valid. The AttributeValue for a key attribute \
                   cannot contain an empty string value. Key: pk";
    assert_eq!(
        put_item(&c, "empty", item([("pk", s(""))])).await,
        validation(empty_s).map(|_| ())
    );
    assert_validation(
        c.get_item()
            .table_name("empty")
            .key("pk", s(""))
            .send()
            .await,
        empty_s,
    );
    assert_eq!(
        put_item(&c, "bkeys", item([("pk", b(b"")), ("sk", s("x"))])).await,
        validation(
            "One or more parameter values are not valid. The AttributeValue for a key attribute \
             cannot contain an empty binary value. Key: pk"
        )
        .map(|_| ())
    );
    assert_eq!(
        put_item(&c, "bkeys", item([("pk", b(b"\x00")), ("sk", s(""))])).await,
        validation(
            "One or more parameter values are not valid. The AttributeValue for a key attribute \
             cannot contain an empty string value. Key: sk"
        )
        .map(|_| ())
    );
    put_item(&c, "bkeys", item([("pk", b(b"\x00\xff")), ("sk", s("x"))]))
        .await
        .unwrap();
    let got = c
        .get_item()
        .table_name("bkeys")
        .key("pk", b(b"\x00\xff"))
        .key("sk", s("x"))
        .send()
        .await
        .unwrap();
    assert!(got.item.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_size_limits() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_range_table(&c, "ksize").await;
    let put =
        |pk: String, sk: String| put_item(&c, "ksize", item([("pk", s(&pk)), ("sk", s(&sk))]));
    put("p".repeat(2048), "s".into()).await.unwrap();
    put("p".into(), "s".repeat(1024)).await.unwrap();
    let hash_msg =
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum \
                    size limit of 2048 bytes";
    let range_msg =
        "One or more parameter values were invalid: Aggregated size of all range keys has \
                     exceeded the size limit of 1024 bytes";
    assert_eq!(
        put("p".repeat(2049), "s".into()).await,
        validation(hash_msg).map(|_| ())
    );
    assert_eq!(
        put("p".into(), "s".repeat(1025)).await,
        validation(range_msg).map(|_| ())
    );
    // Multi-byte characters count in bytes: 683 × 3 bytes = 2049.
    assert_eq!(
        put("€".repeat(683), "s".into()).await,
        validation(hash_msg).map(|_| ())
    );
    assert_validation(
        c.get_item()
            .table_name("ksize")
            .key("pk", s(&"p".repeat(2049)))
            .key("sk", s("s"))
            .send()
            .await,
        hash_msg,
    );
    let got = c
        .get_item()
        .table_name("ksize")
        .key("pk", s(&"p".repeat(2048)))
        .key("sk", s("s"))
        .send()
        .await
        .unwrap();
    assert!(got.item.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_size_limit_is_400_kb() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "big").await;
    let limit = 400 * 1024;
    // "pk" + "k" + "d" + padding.
    let sized = |total: usize| item([("pk", s("k")), ("d", s(&"x".repeat(total - 4)))]);
    put_item(&c, "big", sized(limit)).await.unwrap();
    assert_eq!(
        put_item(&c, "big", sized(limit + 1)).await,
        validation("Item size has exceeded the maximum allowed size").map(|_| ())
    );
    assert_eq!(
        get_pk(&c, "big", "k").await.unwrap()["d"]
            .as_s()
            .unwrap()
            .len(),
        limit - 4
    );
    // Growing the item past the limit with UpdateItem is refused too.
    assert_validation(
        c.update_item()
            .table_name("big")
            .key("pk", s("k"))
            .update_expression("SET e = :v")
            .expression_attribute_values(":v", s("y"))
            .send()
            .await,
        "Item size to update has exceeded the maximum allowed size",
    );
    assert!(!get_pk(&c, "big", "k").await.unwrap().contains_key("e"));
}

fn nested_maps(depth: usize) -> AttributeValue {
    let mut v = s("leaf");
    for _ in 0..depth {
        v = AttributeValue::M(item([("m", v)]));
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nesting_depth_limit_is_32() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "deep").await;
    let ok = item([("pk", s("k")), ("v", nested_maps(32))]);
    put_item(&c, "deep", ok.clone()).await.unwrap();
    assert_eq!(get_pk(&c, "deep", "k").await, Some(ok));
    let msg = "Nesting Levels have exceeded supported limits";
    assert_eq!(
        put_item(&c, "deep", item([("pk", s("k2")), ("v", nested_maps(33))])).await,
        validation(msg).map(|_| ())
    );
    let mut list = s("leaf");
    for _ in 0..33 {
        list = AttributeValue::L(vec![list]);
    }
    assert_eq!(
        put_item(&c, "deep", item([("pk", s("k3")), ("v", list)])).await,
        validation(msg).map(|_| ())
    );
}

/// Malformed attribute values only a raw client can send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_attribute_values() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "raw").await;
    let put = |v: serde_json::Value| {
        srv.post(
            "PutItem",
            &json!({"TableName": "raw", "Item": {"pk": {"S": "k"}, "v": v}}),
        )
    };
    let validate = "com.amazon.coral.validate#ValidationException";
    put(json!({"S": "a", "N": "1"})).assert_error(
        400,
        validate,
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of \
         the supported datatypes",
    );
    put(json!({})).assert_error(
        400,
        validate,
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
    );
    put(json!({"NULL": false})).assert_error(
        400,
        validate,
        "One or more parameter values were invalid: Null attribute value types must have the \
         value of true",
    );
    let r = put(json!({"S": 5}));
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    let r = put(json!({"B": "not base64!"}));
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    assert_eq!(get_pk(&c, "raw", "k").await, None);
}
