//! Capacity of secondary indexes (issue 5): every item write costs write units on each
//! index whose entry it puts, changes or deletes (entry size per 1 KB; two writes when an
//! index key changes; nothing for an item a sparse index does not hold), reported by
//! ReturnConsumedCapacity INDEXES under `Table`, `LocalSecondaryIndexes` and
//! `GlobalSecondaryIndexes` and summed by TOTAL; index reads report under the index (and
//! under `Table` for the items an LSI query fetches). A GSI of a PROVISIONED table has
//! its own throughput: writes that would write it are refused once it is used up.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConsumedCapacity, DeleteRequest, PutRequest, ReturnConsumedCapacity, Select,
    WriteRequest,
};
use aws_sdk_dynamodb::Client;
use serde_json::json;

use crate::common::*;

const GSI_EXCEEDED: &str = "The level of configured provisioned throughput for one or more \
                            global secondary indexes of the table was exceeded. Consider \
                            increasing your provisioning level for the under-provisioned \
                            global secondary indexes with the UpdateTable API";
const TABLE_EXCEEDED: &str = "The level of configured provisioned throughput for the table \
                              was exceeded. Consider increasing your provisioning level with \
                              the UpdateTable API.";

/// Table `icx` (pk, sk) with LSI `lsi` (pk, lsk) KEYS_ONLY, GSI `gsi_all` (gk) ALL and GSI
/// `gsi_sparse` (sp) KEYS_ONLY, on demand.
fn create_indexed(srv: &Server) {
    let r = srv.post(
        "CreateTable",
        &json!({
            "TableName": "icx",
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "lsk", "AttributeType": "S"},
                {"AttributeName": "gk", "AttributeType": "S"},
                {"AttributeName": "sp", "AttributeType": "S"}],
            "LocalSecondaryIndexes": [{
                "IndexName": "lsi",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "lsk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            "GlobalSecondaryIndexes": [
                {"IndexName": "gsi_all",
                 "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "ALL"}},
                {"IndexName": "gsi_sparse",
                 "KeySchema": [{"AttributeName": "sp", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

/// An item of `icx` with `data` of `pad` bytes; `sp` only when given. Its size is
/// 2 + len(pk) + 2 + len(sk) + 3 + len(lsk) + 2 + len(gk) + 4 + pad (+ 2 + len(sp)).
fn ic_item(
    pk: &str,
    sk: &str,
    lsk: &str,
    gk: &str,
    sp: Option<&str>,
    pad: usize,
) -> HashMap<String, AttributeValue> {
    let mut i = item([
        ("pk", s(pk)),
        ("sk", s(sk)),
        ("lsk", s(lsk)),
        ("gk", s(gk)),
        ("data", s(&"x".repeat(pad))),
    ]);
    if let Some(sp) = sp {
        i.insert("sp".into(), s(sp));
    }
    i
}

/// The INDEXES breakdown as `(part, units)`: "total", "table", "lsi <name>", "gsi <name>".
/// Checks on the way that each part gives its units both as CapacityUnits and as
/// Read/WriteCapacityUnits (`read` says which) and never the other kind.
fn parts(cc: Option<&ConsumedCapacity>, table: &str, read: bool) -> Vec<(String, f64)> {
    let cc = cc.expect("ConsumedCapacity returned");
    assert_eq!(cc.table_name(), Some(table));
    let units = |part: &str, total: Option<f64>, r: Option<f64>, w: Option<f64>| -> f64 {
        let (this, other) = if read { (r, w) } else { (w, r) };
        assert_eq!(this, total, "{part}: Read/WriteCapacityUnits");
        assert_eq!(other, None, "{part}: the other kind of units");
        total.unwrap_or_else(|| panic!("{part}: CapacityUnits"))
    };
    let mut out = vec![(
        "total".to_string(),
        units(
            "total",
            cc.capacity_units,
            cc.read_capacity_units,
            cc.write_capacity_units,
        ),
    )];
    let t = cc.table().expect("Table");
    out.push((
        "table".into(),
        units(
            "table",
            t.capacity_units,
            t.read_capacity_units,
            t.write_capacity_units,
        ),
    ));
    for (prefix, map) in [
        ("lsi", cc.local_secondary_indexes()),
        ("gsi", cc.global_secondary_indexes()),
    ] {
        let mut v: Vec<(String, f64)> = map
            .into_iter()
            .flatten()
            .map(|(name, c)| {
                let part = format!("{prefix} {name}");
                let u = units(
                    &part,
                    c.capacity_units,
                    c.read_capacity_units,
                    c.write_capacity_units,
                );
                (part, u)
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(v);
    }
    out
}

fn expect(list: &[(&str, f64)]) -> Vec<(String, f64)> {
    list.iter().map(|(p, u)| (p.to_string(), *u)).collect()
}

/// CapacityUnits of a TOTAL report, checking it carries nothing else.
fn total_only(cc: Option<&ConsumedCapacity>, table: &str) -> f64 {
    let cc = cc.expect("ConsumedCapacity returned");
    assert_eq!(cc.table_name(), Some(table));
    assert!(cc.table().is_none(), "{cc:?}");
    assert!(cc.local_secondary_indexes().is_none(), "{cc:?}");
    assert!(cc.global_secondary_indexes().is_none(), "{cc:?}");
    assert!(cc.write_capacity_units.is_none() && cc.read_capacity_units.is_none());
    cc.capacity_units.expect("CapacityUnits")
}

async fn update(c: &Client, pk: &str, sk: &str, expr: &str, v: Option<&str>) -> Vec<(String, f64)> {
    let mut req = c
        .update_item()
        .table_name("icx")
        .key("pk", s(pk))
        .key("sk", s(sk))
        .update_expression(expr)
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes);
    if let Some(v) = v {
        req = req.expression_attribute_values(":v", s(v));
    }
    // `data` is a reserved word.
    if expr.contains("#d") {
        req = req.expression_attribute_names("#d", "data");
    }
    let out = req.send().await.unwrap();
    parts(out.consumed_capacity.as_ref(), "icx", false)
}

async fn delete(c: &Client, pk: &str, sk: &str) -> Vec<(String, f64)> {
    let out = c
        .delete_item()
        .table_name("icx")
        .key("pk", s(pk))
        .key("sk", s(sk))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    parts(out.consumed_capacity.as_ref(), "icx", false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_writes_cost_units_on_each_index_they_touch() {
    let srv = Server::start();
    let c = srv.client();
    create_indexed(&srv);

    tracing::info!("put: 1,521 bytes on the table and gsi_all, 13-byte LSI entry, no sp");
    // 2+2 + 2+2 + 3+2 + 2+2 + 4+1500 = 1,521 bytes; the LSI entry (pk, sk, lsk) 13.
    let big = ic_item("p1", "s1", "l1", "g1", None, 1500);
    let out = c
        .put_item()
        .table_name("icx")
        .set_item(Some(big.clone()))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    assert_eq!(
        parts(out.consumed_capacity.as_ref(), "icx", false),
        expect(&[
            ("total", 5.0),
            ("table", 2.0),
            ("lsi lsi", 1.0),
            ("gsi gsi_all", 2.0)
        ]),
        "the sparse index, which the item is not in, is not reported"
    );
    tracing::info!("TOTAL: the same sum, no breakdown");
    let out = c
        .put_item()
        .table_name("icx")
        .set_item(Some(ic_item("p1", "s1", "l1", "g1", None, 1501)))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    // Table 2; LSI unchanged (KEYS_ONLY): 0; gsi_all changed in place: 2.
    assert_eq!(total_only(out.consumed_capacity.as_ref(), "icx"), 4.0);

    tracing::info!("a small item that is in all three indexes");
    // 2+2 + 2+2 + 3+2 + 2+2 + 4+10 + 2+1 = 34 bytes.
    let out = c
        .put_item()
        .table_name("icx")
        .set_item(Some(ic_item("p2", "s2", "l2", "g2", Some("y"), 10)))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    assert_eq!(
        parts(out.consumed_capacity.as_ref(), "icx", false),
        expect(&[
            ("total", 4.0),
            ("table", 1.0),
            ("lsi lsi", 1.0),
            ("gsi gsi_all", 1.0),
            ("gsi gsi_sparse", 1.0)
        ])
    );

    tracing::info!("an update changing gsi_all's key: a delete plus a put on it");
    assert_eq!(
        update(&c, "p2", "s2", "SET gk = :v", Some("g9")).await,
        expect(&[("total", 3.0), ("table", 1.0), ("gsi gsi_all", 2.0)])
    );
    tracing::info!("an update of an attribute only gsi_all projects: one write on it");
    assert_eq!(
        update(&c, "p2", "s2", "SET #d = :v", Some("z")).await,
        expect(&[("total", 2.0), ("table", 1.0), ("gsi gsi_all", 1.0)])
    );
    tracing::info!("an update changing the LSI key: a delete plus a put on the LSI");
    assert_eq!(
        update(&c, "p2", "s2", "SET lsk = :v", Some("l9")).await,
        expect(&[
            ("total", 4.0),
            ("table", 1.0),
            ("lsi lsi", 2.0),
            ("gsi gsi_all", 1.0)
        ])
    );
    tracing::info!("removing the sparse key: the item leaves gsi_sparse, one delete there");
    assert_eq!(
        update(&c, "p2", "s2", "REMOVE sp", None).await,
        expect(&[
            ("total", 3.0),
            ("table", 1.0),
            ("gsi gsi_all", 1.0),
            ("gsi gsi_sparse", 1.0)
        ])
    );

    tracing::info!("a delete: one write on each index holding the item, per entry size");
    assert_eq!(
        delete(&c, "p1", "s1").await,
        expect(&[
            ("total", 5.0),
            ("table", 2.0),
            ("lsi lsi", 1.0),
            ("gsi gsi_all", 2.0)
        ])
    );
    tracing::info!("a delete of nothing: the table's minimum, nothing on the indexes");
    assert_eq!(
        delete(&c, "p1", "s1").await,
        expect(&[("total", 1.0), ("table", 1.0)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_and_index_reads_report_per_table_and_per_index() {
    let srv = Server::start();
    let c = srv.client();
    create_indexed(&srv);
    create_hash_table(&c, "ic_plain").await;
    c.put_item()
        .table_name("icx")
        .set_item(Some(ic_item("p2", "s2", "l2", "g2", None, 10)))
        .send()
        .await
        .unwrap();

    tracing::info!("a batch: three 1,517-byte puts under pk q, a delete of p2, and a plain table");
    // 2+1 + 2+1 + 3+2 + 2+2 + 4+1498 = 1,517 bytes; LSI entries (pk, sk, lsk) 11 bytes.
    let mut writes: Vec<WriteRequest> = ["1", "2", "3"]
        .iter()
        .map(|sk| {
            let i = ic_item("q", sk, &format!("l{sk}"), "g3", None, 1498);
            let put = PutRequest::builder().set_item(Some(i)).build().unwrap();
            WriteRequest::builder().put_request(put).build()
        })
        .collect();
    let del = DeleteRequest::builder()
        .key("pk", s("p2"))
        .key("sk", s("s2"))
        .build()
        .unwrap();
    writes.push(WriteRequest::builder().delete_request(del).build());
    let plain = PutRequest::builder().item("pk", s("a")).build().unwrap();
    let out = c
        .batch_write_item()
        .request_items("icx", writes)
        .request_items(
            "ic_plain",
            vec![WriteRequest::builder().put_request(plain).build()],
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    let list = out.consumed_capacity();
    assert_eq!(list.len(), 2, "one ConsumedCapacity per table: {list:?}");
    let of = |t: &str| list.iter().find(|c| c.table_name() == Some(t)).unwrap();
    // Puts: 3 x (table 2, LSI 1, gsi_all 2); the 31-byte p2: table 1, LSI 1, gsi_all 1.
    assert_eq!(
        parts(Some(of("icx")), "icx", false),
        expect(&[
            ("total", 18.0),
            ("table", 7.0),
            ("lsi lsi", 4.0),
            ("gsi gsi_all", 7.0)
        ])
    );
    assert_eq!(
        parts(Some(of("ic_plain")), "ic_plain", false),
        expect(&[("total", 1.0), ("table", 1.0)])
    );

    tracing::info!("a Query on a GSI: its entries summed and rounded once, on the GSI");
    let query_gsi = |rcc: ReturnConsumedCapacity| {
        c.query()
            .table_name("icx")
            .index_name("gsi_all")
            .key_condition_expression("gk = :g")
            .expression_attribute_values(":g", s("g3"))
            .return_consumed_capacity(rcc)
            .send()
    };
    // 3 x 1,517 = 4,551 bytes: 2 blocks of 4 KB, eventually consistent: 1 unit.
    let out = query_gsi(ReturnConsumedCapacity::Indexes).await.unwrap();
    assert_eq!(out.count(), 3);
    assert_eq!(
        parts(out.consumed_capacity.as_ref(), "icx", true),
        expect(&[("total", 1.0), ("table", 0.0), ("gsi gsi_all", 1.0)])
    );
    let out = query_gsi(ReturnConsumedCapacity::Total).await.unwrap();
    assert_eq!(total_only(out.consumed_capacity.as_ref(), "icx"), 1.0);

    tracing::info!("a Query on the LSI reading only what it projects: on the LSI only");
    let query_lsi = |select: Select| {
        c.query()
            .table_name("icx")
            .index_name("lsi")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("q"))
            .consistent_read(true)
            .select(select)
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
    };
    let out = query_lsi(Select::AllProjectedAttributes).await.unwrap();
    assert_eq!(out.count(), 3);
    assert_eq!(
        parts(out.consumed_capacity.as_ref(), "icx", true),
        expect(&[("total", 1.0), ("table", 0.0), ("lsi lsi", 1.0)])
    );
    tracing::info!("... and fetching every attribute: each fetched item charged on the table");
    let out = query_lsi(Select::AllAttributes).await.unwrap();
    assert_eq!(out.count(), 3);
    assert!(out.items().iter().all(|i| i.contains_key("data")));
    // Entries 3 x 11 bytes: 1 unit on the LSI; 3 items of 1,517 bytes fetched: 3 units.
    assert_eq!(
        parts(out.consumed_capacity.as_ref(), "icx", true),
        expect(&[("total", 4.0), ("table", 3.0), ("lsi lsi", 1.0)])
    );

    tracing::info!("a Scan of the sparse GSI, which holds nothing: the minimum, on it");
    let out = c
        .scan()
        .table_name("icx")
        .index_name("gsi_sparse")
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 0);
    assert_eq!(
        parts(out.consumed_capacity.as_ref(), "icx", true),
        expect(&[("total", 0.5), ("table", 0.0), ("gsi gsi_sparse", 0.5)])
    );
}

/// An item of `ict` of exactly 100,000 bytes (98 write units), in GSI `tiny` when `gk`
/// is given.
fn big_item(pk: &str, gk: Option<&str>) -> serde_json::Value {
    let gk_bytes = gk.map_or(0, |g| "gk".len() + g.len());
    let payload = 100_000 - "pk".len() - pk.len() - "payload".len() - gk_bytes;
    let mut i = json!({"pk": {"S": pk}, "payload": {"S": "x".repeat(payload)}});
    if let Some(g) = gk {
        i["gk"] = json!({"S": g});
    }
    i
}

#[test]
fn a_used_up_gsi_throttles_the_writes_that_touch_it() {
    let srv = Server::start();
    // Plenty on the table; GSI `tiny` (ALL) has 1 RCU and 1 WCU: 300 units of burst each.
    let r = srv.post(
        "CreateTable",
        &json!({
            "TableName": "ict",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "gk", "AttributeType": "S"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 1000, "WriteCapacityUnits": 1000},
            "GlobalSecondaryIndexes": [{
                "IndexName": "tiny",
                "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}],
        }),
    );
    assert_eq!(r.status, 200, "{}", r.text());

    tracing::info!("writes into the GSI: 98 units each on it, admitted while not in debt");
    // 3 writes leave 6 units, the 4th is admitted and leaves -92 (92 s to refill).
    let mut admitted = 0;
    let refused = loop {
        let r = srv.post(
            "PutItem",
            &json!({"TableName": "ict", "Item": big_item(&format!("k{admitted}"), Some("hot")),
                    "ReturnConsumedCapacity": "TOTAL"}),
        );
        if r.status != 200 {
            break r;
        }
        assert_eq!(
            r.json()["ConsumedCapacity"],
            json!({"TableName": "ict", "CapacityUnits": 196.0})
        );
        admitted += 1;
        assert!(admitted < 50, "never throttled");
    };
    assert_eq!(
        admitted, 4,
        "300 units of GSI burst serve 3 writes of 98 and one more"
    );
    refused.assert_error(
        400,
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        GSI_EXCEEDED,
    );
    let r = srv.post(
        "GetItem",
        &json!({"TableName": "ict", "Key": {"pk": {"S": "k4"}}, "ConsistentRead": true}),
    );
    assert!(
        r.json().get("Item").is_none(),
        "the refused write was not applied"
    );

    tracing::info!("a delete of an item in the GSI writes it too: refused");
    srv.post(
        "DeleteItem",
        &json!({"TableName": "ict", "Key": {"pk": {"S": "k0"}}}),
    )
    .assert_error(
        400,
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        GSI_EXCEEDED,
    );

    tracing::info!("writes the GSI does not see (no gk: sparse) still pass, large or not");
    for i in 0..3 {
        let r = srv.post(
            "PutItem",
            &json!({"TableName": "ict", "Item": big_item(&format!("n{i}"), None),
                    "ReturnConsumedCapacity": "INDEXES"}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.json()["ConsumedCapacity"],
            json!({"TableName": "ict", "CapacityUnits": 98.0, "WriteCapacityUnits": 98.0,
                   "Table": {"CapacityUnits": 98.0, "WriteCapacityUnits": 98.0}})
        );
    }

    tracing::info!("a batch hands the GSI-throttled put back and applies the other");
    let hot = json!({"PutRequest": {"Item": {"pk": {"S": "b1"}, "gk": {"S": "hot"}}}});
    let cold = json!({"PutRequest": {"Item": {"pk": {"S": "b2"}}}});
    let r = srv.post(
        "BatchWriteItem",
        &json!({"RequestItems": {"ict": [hot.clone(), cold]}, "ReturnConsumedCapacity": "INDEXES"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["UnprocessedItems"], json!({"ict": [hot]}));
    assert_eq!(
        body["ConsumedCapacity"],
        json!([{"TableName": "ict", "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0,
                "Table": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}])
    );

    tracing::info!("Query on the GSI draws on its read buckets");
    // 4 entries of 100,000 bytes: 98 blocks, eventually consistent: 49 units. 300 units
    // serve 6 queries and a 7th that leaves -43 (43 s to refill).
    let mut admitted = 0;
    let refused = loop {
        let r = srv.post(
            "Query",
            &json!({"TableName": "ict", "IndexName": "tiny",
                    "KeyConditionExpression": "gk = :g",
                    "ExpressionAttributeValues": {":g": {"S": "hot"}},
                    "Select": "COUNT", "ReturnConsumedCapacity": "INDEXES"}),
        );
        if r.status != 200 {
            break r;
        }
        assert_eq!(
            r.json()["ConsumedCapacity"],
            json!({"TableName": "ict", "CapacityUnits": 49.0, "ReadCapacityUnits": 49.0,
                   "Table": {"CapacityUnits": 0.0, "ReadCapacityUnits": 0.0},
                   "GlobalSecondaryIndexes": {"tiny": {"CapacityUnits": 49.0,
                                                       "ReadCapacityUnits": 49.0}}})
        );
        admitted += 1;
        assert!(admitted < 50, "never throttled");
    };
    assert_eq!(
        admitted, 7,
        "300 units of GSI read burst serve 6 queries of 49 and one more"
    );
    refused.assert_error(
        400,
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        TABLE_EXCEEDED,
    );
    // The table's own reads are untouched.
    let r = srv.post(
        "GetItem",
        &json!({"TableName": "ict", "Key": {"pk": {"S": "k0"}}}),
    );
    assert_eq!(r.status, 200, "{}", r.text());

    tracing::info!("raising the GSI's write capacity takes effect at once");
    let r = srv.post(
        "UpdateTable",
        &json!({"TableName": "ict", "GlobalSecondaryIndexUpdates": [{"Update": {
            "IndexName": "tiny",
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1000}}}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // The debt of 92 units refills in ~92 ms at 1,000 WCU (and in 92 s at 1).
    std::thread::sleep(Duration::from_millis(300));
    let r = srv.post(
        "PutItem",
        &json!({"TableName": "ict", "Item": big_item("after", Some("hot"))}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}
