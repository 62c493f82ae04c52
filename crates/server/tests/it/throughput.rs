//! Committed throughput (BillingMode PROVISIONED): a table's partitions hold its capacity
//! as token buckets with 300 seconds of burst; beyond it requests get
//! ProvisionedThroughputExceededException (batches hand throttled entries back as
//! unprocessed), and raising the capacity with UpdateTable admits writes again at once.

use std::time::Duration;

use serde_json::json;

use crate::common::Server;

const EXCEEDED: &str = "The level of configured provisioned throughput for the table was \
                        exceeded. Consider increasing your provisioning level with the \
                        UpdateTable API.";

fn create(server: &Server, name: &str, rcu: u64, wcu: u64) {
    let r = server.post(
        "CreateTable",
        &json!({
            "TableName": name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu},
        }),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// An item of exactly `bytes` bytes by DynamoDB's rules (100,000 bytes: 98 write units).
fn sized_item(pk: &str, bytes: usize) -> serde_json::Value {
    let payload = bytes - "pk".len() - pk.len() - "payload".len();
    json!({"pk": {"S": pk}, "payload": {"S": "x".repeat(payload)}})
}

fn big_item(pk: &str) -> serde_json::Value {
    sized_item(pk, 100_000)
}

#[test]
fn a_burst_is_served_then_writes_are_throttled_until_capacity_is_raised() {
    let server = Server::start();
    create(&server, "tp_burst", 5, 5);
    // 5 WCU with 300 s of burst: 1,500 units. Writes of 98 units are admitted while the
    // bucket is not in debt: 15 leave 30 units, the 16th is admitted and leaves -68.
    let mut admitted = 0;
    let refused = loop {
        let r = server.post(
            "PutItem",
            &json!({"TableName": "tp_burst", "Item": big_item(&format!("k{admitted}")),
                    "ReturnConsumedCapacity": "TOTAL"}),
        );
        if r.status != 200 {
            break r;
        }
        assert_eq!(
            r.json()["ConsumedCapacity"],
            json!({"TableName": "tp_burst", "CapacityUnits": 98.0})
        );
        admitted += 1;
        assert!(admitted < 100, "never throttled");
    };
    assert_eq!(
        admitted, 16,
        "burst capacity served exactly 1,500 units and one more write"
    );
    assert_eq!(refused.status, 400);
    let body = refused.json();
    assert_eq!(
        body["__type"],
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
    );
    assert_eq!(body["message"], EXCEEDED);

    // A batch on the throttled table hands its writes back instead of failing.
    let r = server.post(
        "BatchWriteItem",
        &json!({"RequestItems": {"tp_burst": [{"PutRequest": {"Item": {"pk": {"S": "b1"}}}}]}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["UnprocessedItems"],
        json!({"tp_burst": [{"PutRequest": {"Item": {"pk": {"S": "b1"}}}}]})
    );
    let r = server.post(
        "GetItem",
        &json!({"TableName": "tp_burst", "Key": {"pk": {"S": "b1"}}, "ConsistentRead": true}),
    );
    assert!(
        r.json().get("Item").is_none(),
        "the unprocessed write was not applied"
    );

    // Raising the capacity takes effect at once: the debt of 68 units refills in ~68 ms.
    let r = server.post(
        "UpdateTable",
        &json!({"TableName": "tp_burst",
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 1000}}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    std::thread::sleep(Duration::from_millis(300));
    let r = server.post(
        "PutItem",
        &json!({"TableName": "tp_burst", "Item": big_item("after")}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn reads_draw_on_read_capacity_only() {
    let server = Server::start();
    create(&server, "tp_reads", 1, 1000);
    let r = server.post(
        "PutItem",
        &json!({"TableName": "tp_reads", "Item": sized_item("a", 90_000)}),
    );
    assert_eq!(r.status, 200);
    // 1 RCU, 300 units of burst; a strongly consistent read of 90,000 bytes costs 22:
    // 13 reads leave 14 units, the 14th is admitted and leaves -8 (8 s to refill).
    let mut admitted = 0;
    loop {
        let r = server.post(
            "GetItem",
            &json!({"TableName": "tp_reads", "Key": {"pk": {"S": "a"}}, "ConsistentRead": true}),
        );
        if r.status != 200 {
            assert_eq!(
                r.json()["__type"],
                "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
            );
            break;
        }
        admitted += 1;
        assert!(admitted < 100, "never throttled");
    }
    assert_eq!(
        admitted, 14,
        "300 units of burst serve 13 reads of 22 units and one more"
    );
    // Writes still pass: they draw on the write bucket.
    let r = server.post(
        "PutItem",
        &json!({"TableName": "tp_reads", "Item": {"pk": {"S": "b"}}}),
    );
    assert_eq!(r.status, 200);
}

/// A best-effort flood on an on-demand table, on a node whose work target it exceeds, is
/// shed with ThrottlingException, while a provisioned table's writes within its capacity
/// are all admitted throughout (committed traffic is never shed).
#[test]
fn a_best_effort_flood_is_shed_and_committed_writes_keep_their_rate() {
    let dir = crate::common::temp_dir();
    let config = dir.path().join("shoal.toml");
    // The node aims at 200 units/s and admits 50 best-effort requests/s at start.
    std::fs::write(
        &config,
        "[throughput]\ntarget_work_units = 200\nbest_effort_initial_rate = 50\n",
    )
    .unwrap();
    let server = crate::common::Launch::in_memory()
        .args(&["--config", config.to_str().unwrap()])
        .start();
    create(&server, "tp_committed", 5, 20);
    let r = server.post(
        "CreateTable",
        &json!({
            "TableName": "tp_flood",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (shed, admitted) = (
        std::sync::atomic::AtomicU64::new(0),
        std::sync::atomic::AtomicU64::new(0),
    );
    let mut committed = Vec::new();
    std::thread::scope(|s| {
        for w in 0..6 {
            let (server, stop, shed, admitted) = (&server, &stop, &shed, &admitted);
            s.spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = server.post(
                        "PutItem",
                        &json!({"TableName": "tp_flood",
                                "Item": {"pk": {"S": format!("f{w}-{n}")}}}),
                    );
                    n += 1;
                    if r.status == 200 {
                        admitted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        continue;
                    }
                    let body = r.json();
                    assert_eq!(
                        body["__type"], "com.amazon.coral.service#ThrottlingException",
                        "{body}"
                    );
                    assert_eq!(
                        body["message"],
                        "Rate of requests exceeds the allowed throughput."
                    );
                    shed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
        // The committed table writes 20 one-unit items per second, its provisioned rate,
        // for six seconds while the flood runs.
        let start = std::time::Instant::now();
        for i in 0..120u32 {
            let due = start + Duration::from_millis(50) * i;
            if let Some(wait) = due.checked_duration_since(std::time::Instant::now()) {
                std::thread::sleep(wait);
            }
            let r = server.post(
                "PutItem",
                &json!({"TableName": "tp_committed", "Item": {"pk": {"S": format!("c{i}")}}}),
            );
            committed.push((r.status, String::from_utf8_lossy(&r.body).to_string()));
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    for (status, body) in &committed {
        assert_eq!(*status, 200, "a committed write was refused: {body}");
    }
    let shed = shed.into_inner();
    assert!(shed > 0, "the flood was never shed");
    assert!(admitted.into_inner() > 0, "the flood was shed entirely");
    // The limiter followed the measured work: raised while under the target, lowered
    // once the admitted flood pushed the node past it.
    assert!(
        server.logs().contains("best-effort request rate lowered"),
        "{}",
        server.logs()
    );
}

#[test]
fn with_enforcement_off_nothing_is_throttled_and_capacity_is_still_reported() {
    let dir = crate::common::temp_dir();
    let config = dir.path().join("shoal.toml");
    std::fs::write(&config, "[throughput]\nenforce = false\n").unwrap();
    let server = crate::common::Launch::in_memory()
        .args(&["--config", config.to_str().unwrap()])
        .start();
    create(&server, "tp_free", 1, 1);
    // 30 writes of 98 units on a 1 WCU table: ten times its burst, all admitted.
    for i in 0..30 {
        let r = server.post(
            "PutItem",
            &json!({"TableName": "tp_free", "Item": big_item(&format!("k{i}")),
                    "ReturnConsumedCapacity": "TOTAL"}),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["ConsumedCapacity"]["CapacityUnits"], 98.0);
    }
}
