//! BatchGetItem and BatchWriteItem: several tables per call, per-table projections and
//! read consistency, consumed capacity lists, the 16 MB response limit with
//! UnprocessedKeys, and DynamoDB's errors for oversized, duplicate and unknown requests.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{
    KeysAndAttributes, ReturnConsumedCapacity, ScalarAttributeType as T,
};
use aws_sdk_dynamodb::Client;

use crate::common::*;
use crate::support::*;

fn left_key(i: usize) -> Item {
    item([("pk", s(&format!("l{i}")))])
}

fn right_key(i: usize) -> Item {
    item([("pk", s("r")), ("sk", n(&i.to_string()))])
}

async fn two_tables(c: &Client) {
    create_hash_table(c, "left").await;
    create_table(c, "right", ("pk", T::S), Some(("sk", T::N))).await;
    let left: Vec<Item> = (0..30)
        .map(|i| {
            let mut it = left_key(i);
            it.insert("a".into(), n(&i.to_string()));
            it.insert("b".into(), s("bee"));
            // One item over 4 KB: it costs two read units by itself.
            let c_len = if i == 20 { 5000 } else { 10 };
            it.insert("c".into(), s(&"c".repeat(c_len)));
            it
        })
        .collect();
    load(c, "left", left, 1).await;
    let right: Vec<Item> = (0..30)
        .map(|i| {
            let mut it = right_key(i);
            it.insert("x".into(), n(&(i * 10).to_string()));
            it.insert("y".into(), s("why"));
            it
        })
        .collect();
    load(c, "right", right, 1).await;
}

fn keys(list: Vec<Item>) -> KeysAndAttributes {
    KeysAndAttributes::builder()
        .set_keys(Some(list))
        .build()
        .unwrap()
}

#[tokio::test]
async fn batch_get_reads_two_tables_with_projections() {
    let server = Server::start();
    let c = server.client();
    two_tables(&c).await;

    let left_keys: Vec<Item> = (0..9).chain([20]).map(left_key).collect();
    let right_keys: Vec<Item> = (0..10).map(right_key).collect();
    let out = c
        .batch_get_item()
        .request_items(
            "left",
            KeysAndAttributes::builder()
                .set_keys(Some(left_keys))
                .projection_expression("pk, a")
                .consistent_read(true)
                .build()
                .unwrap(),
        )
        .request_items(
            "right",
            KeysAndAttributes::builder()
                .set_keys(Some(right_keys))
                .projection_expression("#x")
                .expression_attribute_names("#x", "x")
                .build()
                .unwrap(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let resp = out.responses().unwrap();
    let left = &resp["left"];
    assert_eq!(left.len(), 10);
    let mut got: Vec<i64> = left.iter().map(|i| get_i(i, "a")).collect();
    got.sort();
    assert_eq!(got, vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 20]);
    for it in left {
        assert_eq!(names(it), sorted(&["a", "pk"]));
        assert_eq!(get_s(it, "pk"), format!("l{}", get_i(it, "a")));
    }
    let right = &resp["right"];
    assert_eq!(right.len(), 10);
    let mut got: Vec<i64> = right.iter().map(|i| get_i(i, "x")).collect();
    got.sort();
    assert_eq!(got, (0..10).map(|i| i * 10).collect::<Vec<_>>());
    for it in right {
        assert_eq!(names(it), sorted(&["x"]));
    }
    assert!(out.unprocessed_keys().is_none_or(|u| u.is_empty()));
    // One entry per table: items rounded up to 4 KB each; halved when eventual.
    let cap: HashMap<String, f64> = out
        .consumed_capacity()
        .iter()
        .map(|cc| {
            (
                cc.table_name().unwrap().to_string(),
                cc.capacity_units().unwrap(),
            )
        })
        .collect();
    assert_eq!(cap.len(), 2, "{:?}", out.consumed_capacity());
    assert_eq!(
        cap["left"],
        9.0 + 2.0,
        "10 strongly consistent reads, one of 5 KB"
    );
    assert_eq!(cap["right"], 5.0, "10 eventually consistent reads");

    // Keys that do not exist are simply absent; a table with no hits is listed empty.
    let out = c
        .batch_get_item()
        .request_items("left", keys(vec![left_key(1), left_key(99)]))
        .request_items("right", keys(vec![right_key(99)]))
        .send()
        .await
        .unwrap();
    let resp = out.responses().unwrap();
    assert_eq!(resp["left"].len(), 1);
    assert_eq!(get_s(&resp["left"][0], "pk"), "l1");
    assert_eq!(names(&resp["left"][0]), sorted(&["a", "b", "c", "pk"]));
    assert!(resp.get("right").is_none_or(|r| r.is_empty()));

    // Legacy AttributesToGet works too.
    let out = c
        .batch_get_item()
        .request_items(
            "right",
            KeysAndAttributes::builder()
                .keys(right_key(3))
                .attributes_to_get("y")
                .attributes_to_get("sk")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        names(&out.responses().unwrap()["right"][0]),
        sorted(&["sk", "y"])
    );
}

#[tokio::test]
async fn batch_get_errors() {
    let server = Server::start();
    let c = server.client();
    two_tables(&c).await;

    // More than 100 keys over the request.
    let out = c
        .batch_get_item()
        .request_items("left", keys((0..50).map(left_key).collect()))
        .request_items("right", keys((0..51).map(right_key).collect()))
        .send()
        .await;
    assert_validation(out, "Too many items requested for the BatchGetItem call");
    // Exactly 100 is fine.
    let out = c
        .batch_get_item()
        .request_items("left", keys((0..50).map(left_key).collect()))
        .request_items("right", keys((0..50).map(right_key).collect()))
        .send()
        .await
        .unwrap();
    let resp = out.responses().unwrap();
    assert_eq!(resp["left"].len() + resp["right"].len(), 60);
    // 101 keys of one table.
    let (code, _) = service_error(
        c.batch_get_item()
            .request_items("left", keys((0..101).map(left_key).collect()))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    // Duplicate keys.
    assert_validation(
        c.batch_get_item()
            .request_items("left", keys(vec![left_key(1), left_key(2), left_key(1)]))
            .send()
            .await,
        "Provided list of item keys contains duplicates",
    );
    // The same key in two tables is not a duplicate.
    let out = c
        .batch_get_item()
        .request_items("left", keys(vec![item([("pk", s("r"))])]))
        .request_items("right", keys(vec![right_key(1)]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.responses().unwrap()["right"].len(), 1);
    // A table that does not exist.
    assert_err(
        c.batch_get_item()
            .request_items("left", keys(vec![left_key(1)]))
            .request_items("nope", keys(vec![left_key(1)]))
            .send()
            .await,
        "ResourceNotFoundException",
        "Requested resource not found",
    );
    // A key that does not match the schema.
    assert_validation(
        c.batch_get_item()
            .request_items("right", keys(vec![item([("pk", s("r"))])]))
            .send()
            .await,
        "The provided key element does not match the schema",
    );
}

#[tokio::test]
async fn batch_get_splits_responses_over_16_megabytes() {
    let server = Server::start();
    let c = server.client();
    create_hash_table(&c, "huge").await;
    // 50 items of ~350 KB: about 17.5 MB in all.
    let items: Vec<Item> = (0..50)
        .map(|i| {
            item([
                ("pk", s(&format!("h{i:02}"))),
                ("blob", s(&"z".repeat(350_000))),
            ])
        })
        .collect();
    for chunk in items.chunks(10) {
        batch_write(&c, "huge", chunk.iter().cloned().map(put_req).collect()).await;
    }
    let all: Vec<Item> = (0..50)
        .map(|i| item([("pk", s(&format!("h{i:02}")))]))
        .collect();
    let mut pending = KeysAndAttributes::builder()
        .set_keys(Some(all))
        .consistent_read(true)
        .build()
        .unwrap();
    let mut got: HashSet<String> = HashSet::new();
    let mut rounds = 0;
    loop {
        let out = c
            .batch_get_item()
            .request_items("huge", pending.clone())
            .send()
            .await
            .unwrap();
        let items = out
            .responses()
            .unwrap()
            .get("huge")
            .cloned()
            .unwrap_or_default();
        let bytes: usize = items.iter().map(|i| get_s(i, "blob").len()).sum();
        assert!(bytes <= 16 * 1024 * 1024, "a response of {bytes} bytes");
        for it in &items {
            assert_eq!(get_s(it, "blob").len(), 350_000);
            assert!(got.insert(get_s(it, "pk").to_string()), "returned twice");
        }
        rounds += 1;
        match out.unprocessed_keys().and_then(|u| u.get("huge")) {
            Some(left) if !left.keys().is_empty() => {
                assert!(!items.is_empty(), "no progress in round {rounds}");
                // The unprocessed entry keeps the table's request parameters.
                assert_eq!(left.consistent_read(), Some(true));
                pending = left.clone();
            }
            _ => break,
        }
        assert!(rounds < 10);
    }
    assert!(
        rounds >= 2,
        "17.5 MB cannot come back in one 16 MB response"
    );
    assert_eq!(got.len(), 50);
}

#[tokio::test]
async fn batch_write_over_two_tables() {
    let server = Server::start();
    let c = server.client();
    two_tables(&c).await;

    let out = c
        .batch_write_item()
        .request_items(
            "left",
            vec![
                put_req(item([("pk", s("new1")), ("a", n("1"))])),
                put_req(item([("pk", s("new2")), ("big", s(&"q".repeat(2500)))])),
                delete_req(left_key(5)),
            ],
        )
        .request_items(
            "right",
            vec![
                delete_req(right_key(1)),
                delete_req(right_key(2)),
                put_req(item([("pk", s("r")), ("sk", n("100")), ("x", n("7"))])),
            ],
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().is_some_and(|u| u.is_empty()));
    let cap: HashMap<String, f64> = out
        .consumed_capacity()
        .iter()
        .map(|cc| {
            (
                cc.table_name().unwrap().to_string(),
                cc.capacity_units().unwrap(),
            )
        })
        .collect();
    // 1 KB units by the larger of the old and new item: 1 + 3 + 1, and 1 + 1 + 1.
    assert_eq!(cap.get("left"), Some(&5.0), "{cap:?}");
    assert_eq!(cap.get("right"), Some(&3.0), "{cap:?}");
    let got = c
        .get_item()
        .table_name("left")
        .key("pk", s("new2"))
        .send()
        .await
        .unwrap();
    assert_eq!(get_s(got.item().unwrap(), "big").len(), 2500);
    assert!(get_pk(&c, "left", "l5").await.is_none());
    let out = c
        .query()
        .table_name("right")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("r"))
        .send()
        .await
        .unwrap();
    let sks: Vec<i64> = out.items().iter().map(|i| get_i(i, "sk")).collect();
    let mut want: Vec<i64> = (0..30).filter(|i| *i != 1 && *i != 2).collect();
    want.push(100);
    assert_eq!(sks, want);

    // 26 requests over two tables.
    let out = c
        .batch_write_item()
        .request_items(
            "left",
            (0..13)
                .map(|i| put_req(item([("pk", s(&format!("m{i}")))])))
                .collect(),
        )
        .request_items("right", (0..13).map(|i| delete_req(right_key(i))).collect())
        .send()
        .await;
    assert_validation(out, "Too many items requested for the BatchWriteItem call");
    // 26 requests to one table: also refused (DynamoDB words this as a constraint
    // violation on requestItems).
    let (code, _) = service_error(
        c.batch_write_item()
            .request_items(
                "left",
                (0..26)
                    .map(|i| put_req(item([("pk", s(&format!("m{i}")))])))
                    .collect(),
            )
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    // A put and a delete of the same key.
    assert_validation(
        c.batch_write_item()
            .request_items(
                "left",
                vec![
                    put_req(item([("pk", s("dup")), ("a", n("1"))])),
                    delete_req(item([("pk", s("dup"))])),
                ],
            )
            .send()
            .await,
        "Provided list of item keys contains duplicates",
    );
    // Two puts of the same key (other attributes differ).
    assert_validation(
        c.batch_write_item()
            .request_items(
                "right",
                vec![
                    put_req(item([("pk", s("r")), ("sk", n("5")), ("x", n("1"))])),
                    put_req(item([("pk", s("r")), ("sk", n("5.0")), ("x", n("2"))])),
                ],
            )
            .send()
            .await,
        "Provided list of item keys contains duplicates",
    );
    // An unknown table: nothing is written, not even to the table that exists.
    assert_err(
        c.batch_write_item()
            .request_items("left", vec![put_req(item([("pk", s("ghost"))]))])
            .request_items("nope", vec![put_req(item([("pk", s("x"))]))])
            .send()
            .await,
        "ResourceNotFoundException",
        "Requested resource not found",
    );
    // One invalid item fails the whole batch before anything is written.
    let (code, _) = service_error(
        c.batch_write_item()
            .request_items(
                "left",
                vec![
                    put_req(item([("pk", s("ghost"))])),
                    put_req(item([("a", s("no key"))])),
                ],
            )
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(
        get_pk(&c, "left", "ghost").await.is_none(),
        "a failed batch wrote an item"
    );
    assert!(get_pk(&c, "left", "dup").await.is_none());
    assert!(get_pk(&c, "left", "m0").await.is_none());
}

/// Exact error bodies over the raw protocol for what the SDK will not send.
#[tokio::test]
async fn batch_errors_on_the_wire() {
    let server = Server::start();
    let c = server.client();
    create_hash_table(&c, "tbl").await;
    let r = server.post(
        "BatchGetItem",
        &serde_json::json!({"RequestItems": {"tbl": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "a"}}]}}}),
    );
    r.assert_error(
        400,
        "com.amazon.coral.validate#ValidationException",
        "Provided list of item keys contains duplicates",
    );
}

/// DynamoDB quotes the empty map in this message (`Value '{}' at 'requestItems'`), as it
/// quotes `'[]'` for an empty list.
#[tokio::test]
async fn empty_request_items_message() {
    let server = Server::start();
    for op in ["BatchWriteItem", "BatchGetItem"] {
        let r = server.post(op, &serde_json::json!({"RequestItems": {}}));
        r.assert_error(
            400,
            "com.amazon.coral.validate#ValidationException",
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        );
    }
}
