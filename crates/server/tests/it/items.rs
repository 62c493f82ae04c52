//! Single-item operations through the SDK: PutItem, GetItem (projections, consistent
//! reads), DeleteItem, UpdateItem (SET/REMOVE/ADD/DELETE and legacy AttributeUpdates),
//! ReturnValues, and the key, expression and not-found errors DynamoDB gives. Failing
//! requests are followed by a read proving they changed nothing. Conditional writes are
//! in `conditions`, consumed capacity in `capacity`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeAction, AttributeValue, AttributeValueUpdate, ReturnItemCollectionMetrics,
    ReturnValue, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;

use crate::common::*;

type Item = HashMap<String, AttributeValue>;

async fn put(c: &Client, table: &str, it: Item) {
    c.put_item()
        .table_name(table)
        .set_item(Some(it))
        .send()
        .await
        .unwrap();
}

fn ss(v: &[&str]) -> AttributeValue {
    AttributeValue::Ss(v.iter().map(|s| s.to_string()).collect())
}

fn sorted_ss(v: Option<&AttributeValue>) -> Vec<String> {
    let mut out = v.unwrap().as_ss().unwrap().clone();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_delete_round_trip() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_range_table(&c, "items").await;
    let it = item([("pk", s("p")), ("sk", s("s")), ("v", n("1"))]);
    let out = c
        .put_item()
        .table_name("items")
        .set_item(Some(it.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes, None);
    let got = c
        .get_item()
        .table_name("items")
        .key("pk", s("p"))
        .key("sk", s("s"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item, Some(it.clone()));
    // Another sort key under the same partition key is another item.
    let other = c
        .get_item()
        .table_name("items")
        .key("pk", s("p"))
        .key("sk", s("t"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.item, None);

    // Overwrite, returning the old item.
    let it2 = item([("pk", s("p")), ("sk", s("s")), ("w", s("2"))]);
    let out = c
        .put_item()
        .table_name("items")
        .set_item(Some(it2.clone()))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes, Some(it));

    let del = c
        .delete_item()
        .table_name("items")
        .key("pk", s("p"))
        .key("sk", s("s"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(del.attributes, Some(it2));
    let gone = c
        .get_item()
        .table_name("items")
        .key("pk", s("p"))
        .key("sk", s("s"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.item, None);
    // Deleting a missing item succeeds and returns nothing.
    let del = c
        .delete_item()
        .table_name("items")
        .key("pk", s("p"))
        .key("sk", s("s"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(del.attributes, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_and_delete_only_return_all_old_or_none() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "rvt").await;
    for rv in [
        ReturnValue::AllNew,
        ReturnValue::UpdatedOld,
        ReturnValue::UpdatedNew,
    ] {
        assert_validation(
            c.put_item()
                .table_name("rvt")
                .set_item(Some(item([("pk", s("a"))])))
                .return_values(rv.clone())
                .send()
                .await,
            "ReturnValues can only be ALL_OLD or NONE",
        );
        assert_validation(
            c.delete_item()
                .table_name("rvt")
                .key("pk", s("a"))
                .return_values(rv)
                .send()
                .await,
            "ReturnValues can only be ALL_OLD or NONE",
        );
    }
    assert_eq!(
        get_pk(&c, "rvt", "a").await,
        None,
        "refused put wrote nothing"
    );
    let out = c
        .put_item()
        .table_name("rvt")
        .set_item(Some(item([("pk", s("a"))])))
        .return_values(ReturnValue::None)
        .return_item_collection_metrics(ReturnItemCollectionMetrics::Size)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_item_projections() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "proj").await;
    let full = item([
        ("pk", s("k")),
        ("a", s("A")),
        ("b", n("2")),
        ("m", AttributeValue::M(item([("x", n("1")), ("y", s("Y"))]))),
        ("l", AttributeValue::L(vec![s("l0"), s("l1"), s("l2")])),
        ("weird name", s("W")),
    ]);
    put(&c, "proj", full).await;

    let got = c
        .get_item()
        .table_name("proj")
        .key("pk", s("k"))
        .projection_expression("a, m.y, l[1], #w")
        .expression_attribute_names("#w", "weird name")
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        got,
        item([
            ("a", s("A")),
            ("m", AttributeValue::M(item([("y", s("Y"))]))),
            ("l", AttributeValue::L(vec![s("l1")])),
            ("weird name", s("W")),
        ])
    );
    // Legacy AttributesToGet; unknown names are skipped.
    let got = c
        .get_item()
        .table_name("proj")
        .key("pk", s("k"))
        .attributes_to_get("b")
        .attributes_to_get("pk")
        .attributes_to_get("missing")
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(got, item([("b", n("2")), ("pk", s("k"))]));
    // A projection that matches nothing yields an empty item.
    let got = c
        .get_item()
        .table_name("proj")
        .key("pk", s("k"))
        .projection_expression("nothing")
        .send()
        .await
        .unwrap();
    assert!(got.item.unwrap_or_default().is_empty());

    assert_validation(
        c.get_item()
            .table_name("proj")
            .key("pk", s("k"))
            .projection_expression("a")
            .attributes_to_get("a")
            .send()
            .await,
        "Can not use both expression and non-expression parameters in the same request: \
         Non-expression parameters: {AttributesToGet} Expression parameters: \
         {ProjectionExpression}",
    );
    assert_validation(
        c.get_item()
            .table_name("proj")
            .key("pk", s("k"))
            .projection_expression("#nope")
            .send()
            .await,
        "Invalid ProjectionExpression: An expression attribute name used in the document path \
         is not defined; attribute name: #nope",
    );
    assert_validation(
        c.get_item()
            .table_name("proj")
            .key("pk", s("k"))
            .projection_expression("name")
            .send()
            .await,
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: \
         name",
    );
    assert_validation(
        c.get_item()
            .table_name("proj")
            .key("pk", s("k"))
            .projection_expression("a")
            .expression_attribute_names("#unused", "x")
            .send()
            .await,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_expression_actions() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "upd").await;
    put(
        &c,
        "upd",
        item([
            ("pk", s("k")),
            ("count", n("5")),
            ("gone", s("x")),
            ("tags", ss(&["a", "b", "c"])),
            ("lst", AttributeValue::L(vec![n("1")])),
            ("m", AttributeValue::M(item([("part", s("old"))]))),
        ]),
    )
    .await;
    let out = c
        .update_item()
        .table_name("upd")
        .key("pk", s("k"))
        .update_expression(
            "SET #c = #c + :two, lst = list_append(lst, :more), m.part = :new, \
             fresh = if_not_exists(fresh, :init), kept = if_not_exists(#c, :init) \
             REMOVE gone \
             ADD added :five, labels :d \
             DELETE tags :rm",
        )
        .expression_attribute_names("#c", "count")
        .expression_attribute_values(":two", n("2"))
        .expression_attribute_values(":more", AttributeValue::L(vec![n("2"), n("3")]))
        .expression_attribute_values(":new", s("new"))
        .expression_attribute_values(":init", n("0"))
        .expression_attribute_values(":five", n("5"))
        .expression_attribute_values(":d", ss(&["d"]))
        .expression_attribute_values(":rm", ss(&["a", "zzz"]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let new = out.attributes.unwrap();
    assert_eq!(new["count"], n("7"));
    assert_eq!(new["lst"], AttributeValue::L(vec![n("1"), n("2"), n("3")]));
    assert_eq!(new["m"], AttributeValue::M(item([("part", s("new"))])));
    assert_eq!(new["fresh"], n("0"));
    assert_eq!(new["kept"], n("5"), "if_not_exists reads the old value");
    assert_eq!(new["added"], n("5"));
    assert!(!new.contains_key("gone"));
    assert_eq!(sorted_ss(new.get("tags")), ["b", "c"]);
    assert_eq!(sorted_ss(new.get("labels")), ["d"]);
    assert_eq!(get_pk(&c, "upd", "k").await, Some(new));

    // DELETE of every member removes the attribute.
    let out = c
        .update_item()
        .table_name("upd")
        .key("pk", s("k"))
        .update_expression("DELETE tags :all")
        .expression_attribute_values(":all", ss(&["b", "c"]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    assert!(!out.attributes.unwrap().contains_key("tags"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_return_values() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "urv").await;
    let base = item([("pk", s("k")), ("a", n("1")), ("b", s("keep"))]);
    let cases = [
        (ReturnValue::None, None),
        (ReturnValue::AllOld, Some(base.clone())),
        (
            ReturnValue::AllNew,
            Some(item([
                ("pk", s("k")),
                ("a", n("2")),
                ("b", s("keep")),
                ("c", s("C")),
            ])),
        ),
        (ReturnValue::UpdatedOld, Some(item([("a", n("1"))]))),
        (
            ReturnValue::UpdatedNew,
            Some(item([("a", n("2")), ("c", s("C"))])),
        ),
    ];
    for (rv, expected) in cases {
        put(&c, "urv", base.clone()).await;
        let out = c
            .update_item()
            .table_name("urv")
            .key("pk", s("k"))
            .update_expression("SET a = a + :one, c = :c")
            .expression_attribute_values(":one", n("1"))
            .expression_attribute_values(":c", s("C"))
            .return_values(rv.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(out.attributes, expected, "ReturnValues {rv:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_creates_missing_item() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_range_table(&c, "ups").await;
    let out = c
        .update_item()
        .table_name("ups")
        .key("pk", s("p"))
        .key("sk", s("s"))
        .update_expression("ADD visits :one")
        .expression_attribute_values(":one", n("1"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.attributes,
        Some(item([("pk", s("p")), ("sk", s("s")), ("visits", n("1"))]))
    );
    // ALL_OLD of an item that did not exist returns nothing.
    let out = c
        .update_item()
        .table_name("ups")
        .key("pk", s("p"))
        .key("sk", s("new"))
        .update_expression("SET x = :one")
        .expression_attribute_values(":one", n("1"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes, None);
    // An update without actions creates the item with just its key.
    c.update_item()
        .table_name("ups")
        .key("pk", s("bare"))
        .key("sk", s("s"))
        .send()
        .await
        .unwrap();
    let got = c
        .get_item()
        .table_name("ups")
        .key("pk", s("bare"))
        .key("sk", s("s"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.item, Some(item([("pk", s("bare")), ("sk", s("s"))])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_expression_errors_change_nothing() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "uerr").await;
    let base = item([("pk", s("k")), ("str", s("text"))]);
    put(&c, "uerr", base.clone()).await;
    let upd = |expr: &str| {
        c.update_item()
            .table_name("uerr")
            .key("pk", s("k"))
            .update_expression(expr)
    };
    assert_validation(
        upd("SET pk = :v")
            .expression_attribute_values(":v", s("x"))
            .send()
            .await,
        "Cannot update attribute pk. This attribute is part of the key",
    );
    assert_validation(
        upd("SET a = nothere + :one")
            .expression_attribute_values(":one", n("1"))
            .send()
            .await,
        "The provided expression refers to an attribute that does not exist in the item",
    );
    assert_validation(
        upd("SET a = :one REMOVE a")
            .expression_attribute_values(":one", n("1"))
            .send()
            .await,
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or \
         rewrite one of these paths; path one: [a], path two: [a]",
    );
    assert_validation(
        upd("SET a = :undefined").send().await,
        "Invalid UpdateExpression: An expression attribute value used in expression is not \
         defined; attribute value: :undefined",
    );
    assert_validation(
        upd("SET name = :v")
            .expression_attribute_values(":v", s("x"))
            .send()
            .await,
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name",
    );
    assert_validation(
        upd("SET a = :v")
            .expression_attribute_values(":v", s("x"))
            .expression_attribute_values(":extra", s("y"))
            .send()
            .await,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:extra}",
    );
    assert_validation(
        upd("ADD str :one")
            .expression_attribute_values(":one", n("1"))
            .send()
            .await,
        "An operand in the update expression has an incorrect data type",
    );
    let (code, msg) = service_error(upd("SET = :v").send().await.unwrap_err());
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with("Invalid UpdateExpression: Syntax error; token: "),
        "{msg}"
    );
    assert_eq!(get_pk(&c, "uerr", "k").await, Some(base));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_attribute_updates() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "legacy").await;
    put(
        &c,
        "legacy",
        item([
            ("pk", s("k")),
            ("n", n("1")),
            ("drop", s("x")),
            ("set", ss(&["a", "b"])),
        ]),
    )
    .await;
    let au = |action: AttributeAction, v: Option<AttributeValue>| {
        AttributeValueUpdate::builder()
            .action(action)
            .set_value(v)
            .build()
    };
    let out = c
        .update_item()
        .table_name("legacy")
        .key("pk", s("k"))
        .attribute_updates("n", au(AttributeAction::Add, Some(n("41"))))
        .attribute_updates("p", au(AttributeAction::Put, Some(s("put"))))
        .attribute_updates("drop", au(AttributeAction::Delete, None))
        .attribute_updates("set", au(AttributeAction::Delete, Some(ss(&["a"]))))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(out["n"], n("42"));
    assert_eq!(out["p"], s("put"));
    assert!(!out.contains_key("drop"));
    assert_eq!(sorted_ss(out.get("set")), ["b"]);
    assert_validation(
        c.update_item()
            .table_name("legacy")
            .key("pk", s("k"))
            .attribute_updates("p", au(AttributeAction::Put, Some(s("x"))))
            .update_expression("SET q = :v")
            .expression_attribute_values(":v", s("x"))
            .send()
            .await,
        "Can not use both expression and non-expression parameters in the same request: \
         Non-expression parameters: {AttributeUpdates} Expression parameters: \
         {UpdateExpression}",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_errors() {
    let srv = Server::start();
    let c = srv.client();
    create_table(
        &c,
        "keys",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::N)),
    )
    .await;
    assert_validation(
        c.put_item()
            .table_name("keys")
            .set_item(Some(item([("sk", n("1"))])))
            .send()
            .await,
        "One or more parameter values were invalid: Missing the key pk in the item",
    );
    assert_validation(
        c.put_item()
            .table_name("keys")
            .set_item(Some(item([("pk", s("a"))])))
            .send()
            .await,
        "One or more parameter values were invalid: Missing the key sk in the item",
    );
    assert_validation(
        c.put_item()
            .table_name("keys")
            .set_item(Some(item([("pk", n("1")), ("sk", n("1"))])))
            .send()
            .await,
        "One or more parameter values were invalid: Type mismatch for key pk expected: S \
         actual: N",
    );
    let mismatch = "The provided key element does not match the schema";
    // Missing sort key, wrong type, extra attribute, wrong name.
    for key in [
        item([("pk", s("a"))]),
        item([("pk", s("a")), ("sk", s("1"))]),
        item([("pk", s("a")), ("sk", n("1")), ("x", s("x"))]),
        item([("pk", s("a")), ("other", n("1"))]),
    ] {
        assert_validation(
            c.get_item()
                .table_name("keys")
                .set_key(Some(key.clone()))
                .send()
                .await,
            mismatch,
        );
        assert_validation(
            c.delete_item()
                .table_name("keys")
                .set_key(Some(key.clone()))
                .send()
                .await,
            mismatch,
        );
        assert_validation(
            c.update_item()
                .table_name("keys")
                .set_key(Some(key))
                .update_expression("SET v = :v")
                .expression_attribute_values(":v", n("1"))
                .send()
                .await,
            mismatch,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_operations_on_missing_table() {
    let srv = Server::start();
    let c = srv.client();
    let nf = "Requested resource not found";
    assert_err(
        c.put_item()
            .table_name("nope")
            .set_item(Some(item([("pk", s("a"))])))
            .send()
            .await,
        "ResourceNotFoundException",
        nf,
    );
    assert_err(
        c.get_item()
            .table_name("nope")
            .key("pk", s("a"))
            .send()
            .await,
        "ResourceNotFoundException",
        nf,
    );
    assert_err(
        c.delete_item()
            .table_name("nope")
            .key("pk", s("a"))
            .send()
            .await,
        "ResourceNotFoundException",
        nf,
    );
    assert_err(
        c.update_item()
            .table_name("nope")
            .key("pk", s("a"))
            .update_expression("SET v = :v")
            .expression_attribute_values(":v", n("1"))
            .send()
            .await,
        "ResourceNotFoundException",
        nf,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_count_and_size_follow_writes() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "count").await;
    for i in 0..10 {
        put(
            &c,
            "count",
            item([("pk", s(&format!("k{i}"))), ("v", s("0123456789"))]),
        )
        .await;
    }
    c.delete_item()
        .table_name("count")
        .key("pk", s("k0"))
        .send()
        .await
        .unwrap();
    let d = c
        .describe_table()
        .table_name("count")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(d.item_count(), Some(9));
    // Each item: "pk" (2) + "kN" (2) + "v" (1) + 10 = 15 bytes.
    assert_eq!(d.table_size_bytes(), Some(9 * 15));
}
