//! ReturnConsumedCapacity on the single-item operations, at the unit boundaries:
//! reads cost ceil(size / 4 KB) units (half when eventually consistent, at least 0.5/1),
//! writes ceil(max(old, new) / 1 KB) units (at least 1), where an item's size is the sum
//! of its attribute names' and values' bytes.

use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity, ReturnValue};
use aws_sdk_dynamodb::Client;

use crate::common::*;

/// An item of exactly `size` bytes: `pk` (2) + key (`k.len()`) + `d` (1) + the padding.
fn sized(
    k: &str,
    size: usize,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    let pad = size - 2 - k.len() - 1;
    item([("pk", s(k)), ("d", s(&"x".repeat(pad)))])
}

async fn put_units(c: &Client, size: usize, key: &str) -> f64 {
    let out = c
        .put_item()
        .table_name("cap")
        .set_item(Some(sized(key, size)))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    total(out.consumed_capacity.as_ref())
}

async fn get_units(c: &Client, key: &str, consistent: bool) -> f64 {
    let out = c
        .get_item()
        .table_name("cap")
        .key("pk", s(key))
        .consistent_read(consistent)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    total(out.consumed_capacity.as_ref())
}

fn total(cc: Option<&ConsumedCapacity>) -> f64 {
    let cc = cc.expect("ConsumedCapacity returned");
    assert_eq!(cc.table_name(), Some("cap"));
    cc.capacity_units().expect("CapacityUnits")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_units_round_up_per_kilobyte() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "cap").await;
    assert_eq!(put_units(&c, 5, "a").await, 1.0);
    assert_eq!(put_units(&c, 1024, "b").await, 1.0);
    assert_eq!(put_units(&c, 1025, "c").await, 2.0);
    assert_eq!(put_units(&c, 10 * 1024, "d").await, 10.0);
    // Overwriting a large item with a small one costs the larger image.
    assert_eq!(put_units(&c, 5, "d").await, 10.0);

    // Attribute names count: a 100-byte name.
    let long_name = "n".repeat(100);
    let out = c
        .put_item()
        .table_name("cap")
        .item("pk", s("e"))
        .item(long_name.as_str(), s(&"x".repeat(1024 - 2 - 1 - 100)))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(total(out.consumed_capacity.as_ref()), 1.0);
    let out = c
        .put_item()
        .table_name("cap")
        .item("pk", s("f"))
        .item(long_name.as_str(), s(&"x".repeat(1025 - 2 - 1 - 100)))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(total(out.consumed_capacity.as_ref()), 2.0);

    // Deletes cost the deleted item's size, a missing item the minimum.
    let del = |k: &'static str| {
        c.delete_item()
            .table_name("cap")
            .key("pk", s(k))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
    };
    assert_eq!(
        total(del("c").await.unwrap().consumed_capacity.as_ref()),
        2.0
    );
    assert_eq!(
        total(del("b").await.unwrap().consumed_capacity.as_ref()),
        1.0
    );
    assert_eq!(
        total(del("zz").await.unwrap().consumed_capacity.as_ref()),
        1.0
    );

    // Updates cost max(old, new).
    put_units(&c, 3000, "u").await;
    let out = c
        .update_item()
        .table_name("cap")
        .key("pk", s("u"))
        .update_expression("REMOVE d")
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(total(out.consumed_capacity.as_ref()), 3.0);
    let out = c
        .update_item()
        .table_name("cap")
        .key("pk", s("u"))
        .update_expression("SET d = :v")
        .expression_attribute_values(":v", s(&"x".repeat(2000)))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .return_values(ReturnValue::None)
        .send()
        .await
        .unwrap();
    // "pk" + "u" + "d" + 2000.
    assert_eq!(total(out.consumed_capacity.as_ref()), 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_units_round_up_per_4kb_and_halve_when_eventual() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "cap").await;
    put_units(&c, 10, "small").await;
    put_units(&c, 4096, "at").await;
    put_units(&c, 4097, "over").await;
    put_units(&c, 3 * 4096 + 1, "big").await;
    assert_eq!(get_units(&c, "small", true).await, 1.0);
    assert_eq!(get_units(&c, "small", false).await, 0.5);
    assert_eq!(get_units(&c, "at", true).await, 1.0);
    assert_eq!(get_units(&c, "at", false).await, 0.5);
    assert_eq!(get_units(&c, "over", true).await, 2.0);
    assert_eq!(get_units(&c, "over", false).await, 1.0);
    assert_eq!(get_units(&c, "big", true).await, 4.0);
    assert_eq!(get_units(&c, "big", false).await, 2.0);
    // A missing item still costs the minimum.
    assert_eq!(get_units(&c, "missing", true).await, 1.0);
    assert_eq!(get_units(&c, "missing", false).await, 0.5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumed_capacity_shapes() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "cap").await;
    // NONE and absent: no ConsumedCapacity.
    let out = c
        .put_item()
        .table_name("cap")
        .set_item(Some(sized("a", 100)))
        .send()
        .await
        .unwrap();
    assert!(out.consumed_capacity.is_none());
    let out = c
        .get_item()
        .table_name("cap")
        .key("pk", s("a"))
        .return_consumed_capacity(ReturnConsumedCapacity::None)
        .send()
        .await
        .unwrap();
    assert!(out.consumed_capacity.is_none());
    // TOTAL: no per-table breakdown.
    let out = c
        .get_item()
        .table_name("cap")
        .key("pk", s("a"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let cc = out.consumed_capacity.unwrap();
    assert_eq!(cc.capacity_units(), Some(0.5));
    assert!(cc.table().is_none());
    // INDEXES: the table's share as well.
    let out = c
        .get_item()
        .table_name("cap")
        .key("pk", s("a"))
        .consistent_read(true)
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let cc = out.consumed_capacity.unwrap();
    assert_eq!(cc.table_name(), Some("cap"));
    assert_eq!(cc.capacity_units(), Some(1.0));
    assert_eq!(cc.table().and_then(|t| t.capacity_units()), Some(1.0));
    let out = c
        .put_item()
        .table_name("cap")
        .set_item(Some(sized("b", 2048)))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let cc = out.consumed_capacity.unwrap();
    assert_eq!(cc.capacity_units(), Some(2.0));
    assert_eq!(cc.table().and_then(|t| t.capacity_units()), Some(2.0));
}
