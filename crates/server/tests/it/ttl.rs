//! The TTL sweeper: with TTL enabled, items whose TTL attribute (a Number of epoch
//! seconds) is in the past are deleted in the background; items with a future, missing,
//! non-numeric or more-than-five-years-old TTL stay, and tables without TTL are left
//! alone. The setting survives a restart and the sweeper keeps working after it.

use std::time::Duration;

use aws_sdk_dynamodb::types::TimeToLiveSpecification;
use aws_sdk_dynamodb::Client;

use crate::common::*;

async fn enable_ttl(c: &Client, table: &str, attr: &str) {
    c.update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(attr)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

async fn put_with(
    c: &Client,
    table: &str,
    pk: &str,
    ttl: Option<aws_sdk_dynamodb::types::AttributeValue>,
) {
    let mut req = c.put_item().table_name(table).item("pk", s(pk));
    if let Some(v) = ttl {
        req = req.item("exp", v);
    }
    req.send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweeper_deletes_only_expired_items() {
    let srv = Launch::in_memory()
        .args(&["--ttl-interval-secs", "1"])
        .start();
    let c = srv.client();
    create_hash_table(&c, "ttl").await;
    create_hash_table(&c, "nottl").await;
    enable_ttl(&c, "ttl", "exp").await;
    let now = now_secs();
    let past = n(&(now - 10).to_string());
    put_with(&c, "ttl", "expired", Some(past.clone())).await;
    put_with(&c, "ttl", "future", Some(n(&(now + 3600).to_string()))).await;
    put_with(&c, "ttl", "no-attr", None).await;
    put_with(&c, "ttl", "string", Some(s(&(now - 10).to_string()))).await;
    put_with(
        &c,
        "ttl",
        "ancient",
        Some(n(&(now - 6 * 365 * 86_400).to_string())),
    )
    .await;
    put_with(&c, "nottl", "expired", Some(past)).await;

    let gone = eventually(Duration::from_secs(20), || async {
        get_pk(&c, "ttl", "expired").await.is_none()
    })
    .await;
    assert!(
        gone,
        "expired items still present after 20 s; logs:\n{}",
        srv.logs()
    );
    // Give the sweeper another round to be sure it leaves the rest alone.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for pk in ["future", "no-attr", "string", "ancient"] {
        assert!(get_pk(&c, "ttl", pk).await.is_some(), "{pk} was deleted");
    }
    assert!(
        get_pk(&c, "nottl", "expired").await.is_some(),
        "a table without TTL was swept"
    );
    let d = c.describe_table().table_name("ttl").send().await.unwrap();
    assert_eq!(d.table.unwrap().item_count(), Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_setting_and_sweeper_survive_restart() {
    let dir = temp_dir();
    let srv = Launch::data_dir(dir.path())
        .args(&["--ttl-interval-secs", "1"])
        .start();
    let c = srv.client();
    create_hash_table(&c, "ttl").await;
    enable_ttl(&c, "ttl", "exp").await;
    // Expires a few seconds from now: still there at shutdown.
    let soon = now_secs() + 3;
    put_with(&c, "ttl", "soon", Some(n(&soon.to_string()))).await;
    put_with(&c, "ttl", "later", Some(n(&(soon + 3600).to_string()))).await;
    assert!(srv.terminate().success());

    let srv = Launch::data_dir(dir.path())
        .args(&["--ttl-interval-secs", "1"])
        .start();
    let c = srv.client();
    let d = c
        .describe_time_to_live()
        .table_name("ttl")
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(d.attribute_name(), Some("exp"));
    let gone = eventually(Duration::from_secs(25), || async {
        get_pk(&c, "ttl", "soon").await.is_none()
    })
    .await;
    assert!(gone, "item not swept after restart; logs:\n{}", srv.logs());
    assert!(get_pk(&c, "ttl", "later").await.is_some());
}
