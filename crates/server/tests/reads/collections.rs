//! Item collections of tables with local secondary indexes: ReturnItemCollectionMetrics
//! and the item-collection size limit (10 GB in DynamoDB; lowered through the config
//! file here so the test can reach it).

use serde_json::{json, Value};

use crate::common::{temp_dir, Launch, Server};

fn start_with_limit(limit: u64) -> (tempfile::TempDir, Server) {
    let dir = temp_dir();
    let cfg = dir.path().join("shoal.toml");
    std::fs::write(
        &cfg,
        format!("[storage]\nitem_collection_limit_bytes = {limit}\n"),
    )
    .unwrap();
    let server = Launch::in_memory()
        .args(&["--config", cfg.to_str().unwrap()])
        .start();
    (dir, server)
}

fn create(server: &Server, name: &str, with_lsi: bool) {
    let mut body = json!({
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
    });
    if with_lsi {
        body["AttributeDefinitions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"AttributeName": "lsk", "AttributeType": "S"}));
        body["LocalSecondaryIndexes"] = json!([{
            "IndexName": "bylsk",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lsk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }]);
    }
    let r = server.post("CreateTable", &body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn put(server: &Server, table: &str, pk: &str, sk: &str, bytes: usize) -> (u16, Value) {
    let r = server.post(
        "PutItem",
        &json!({
            "TableName": table,
            "Item": {
                "pk": {"S": pk}, "sk": {"S": sk}, "lsk": {"S": sk},
                "payload": {"S": "x".repeat(bytes)},
            },
            "ReturnItemCollectionMetrics": "SIZE",
        }),
    );
    (r.status, r.json())
}

#[test]
fn metrics_are_returned_for_tables_with_local_indexes_only() {
    let (_dir, server) = start_with_limit(10 << 30);
    create(&server, "with_lsi", true);
    create(&server, "without_lsi", false);
    let (status, body) = put(&server, "with_lsi", "a", "1", 100);
    assert_eq!(status, 200);
    assert_eq!(
        body["ItemCollectionMetrics"],
        json!({"ItemCollectionKey": {"pk": {"S": "a"}}, "SizeEstimateRangeGB": [0.0, 1.0]})
    );
    let (status, body) = put(&server, "without_lsi", "a", "1", 100);
    assert_eq!(status, 200);
    assert!(body.get("ItemCollectionMetrics").is_none(), "{body}");
    // Asked for NONE: absent even with an LSI.
    let r = server.post(
        "DeleteItem",
        &json!({"TableName": "with_lsi", "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                "ReturnItemCollectionMetrics": "NONE"}),
    );
    assert_eq!(r.status, 200);
    assert!(r.json().get("ItemCollectionMetrics").is_none());
}

#[test]
fn a_collection_cannot_grow_past_the_limit_but_may_shrink() {
    // Each item counts twice (the table and the ALL-projected LSI): ~2 KB per 1 KB item.
    let (_dir, server) = start_with_limit(9_000);
    create(&server, "limited", true);
    let mut refused = None;
    for i in 0..10 {
        let (status, body) = put(&server, "limited", "a", &format!("{i:02}"), 1000);
        if status != 200 {
            refused = Some((i, body));
            break;
        }
    }
    let (i, body) = refused.expect("the limit was never reached");
    assert_eq!(
        i, 4,
        "four items of ~2 KB fit in 9,000 bytes, the fifth does not"
    );
    assert_eq!(
        body["__type"],
        "com.amazonaws.dynamodb.v20120810#ItemCollectionSizeLimitExceededException"
    );
    // The refused write changed nothing.
    let r = server.post(
        "GetItem",
        &json!({"TableName": "limited", "Key": {"pk": {"S": "a"}, "sk": {"S": "04"}}}),
    );
    assert!(r.json().get("Item").is_none());
    // Another collection is unaffected.
    assert_eq!(put(&server, "limited", "b", "00", 1000).0, 200);
    // Shrinking an item of the full collection is allowed, and frees room.
    assert_eq!(put(&server, "limited", "a", "00", 10).0, 200);
    assert_eq!(put(&server, "limited", "a", "04", 900).0, 200);
    // Deleting frees room too.
    let r = server.post(
        "DeleteItem",
        &json!({"TableName": "limited", "Key": {"pk": {"S": "a"}, "sk": {"S": "01"}}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(put(&server, "limited", "a", "05", 1000).0, 200);
}
