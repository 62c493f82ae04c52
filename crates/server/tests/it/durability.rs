//! Durability and process behaviour: a clean restart on the same `--data-dir` brings
//! back every table, setting and item; a `kill -9` during a stream of concurrent writes
//! loses no acknowledged write; SIGTERM and SIGINT exit 0; `--in-memory` removes its
//! directory at exit; configuration from a TOML file (unknown keys refused by name) and
//! from `SHOAL_*` environment variables is honoured.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, KeyType, ProvisionedThroughput, ScalarAttributeType,
    StreamSpecification, StreamViewType, TableClass, Tag, TimeToLiveSpecification,
    TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;

use crate::common::*;

async fn all_items(
    c: &Client,
    table: &str,
    keys: &[String],
) -> Vec<Option<HashMap<String, AttributeValue>>> {
    let mut out = Vec::new();
    for k in keys {
        out.push(
            c.get_item()
                .table_name(table)
                .key("pk", s(k))
                .key("sk", n("1"))
                .consistent_read(true)
                .send()
                .await
                .unwrap()
                .item,
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_restores_tables_settings_and_items() {
    let dir = temp_dir();
    let srv = Launch::data_dir(dir.path()).start();
    let c = srv.client();
    c.create_table()
        .table_name("prov")
        .key_schema(key_elem("pk", KeyType::Hash))
        .key_schema(key_elem("sk", KeyType::Range))
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("sk", ScalarAttributeType::N))
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(5)
                .write_capacity_units(7)
                .build()
                .unwrap(),
        )
        .tags(Tag::builder().key("env").value("prod").build().unwrap())
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .unwrap(),
        )
        .deletion_protection_enabled(true)
        .table_class(TableClass::StandardInfrequentAccess)
        .send()
        .await
        .unwrap();
    c.update_time_to_live()
        .table_name("prov")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("exp")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    create_hash_table(&c, "ondemand").await;
    create_hash_table(&c, "dropped").await;
    c.delete_table().table_name("dropped").send().await.unwrap();

    let keys: Vec<String> = (0..40).map(|i| format!("key-{i:02}")).collect();
    for (i, k) in keys.iter().enumerate() {
        c.put_item()
            .table_name("prov")
            .item("pk", s(k))
            .item("sk", n("1"))
            .item("i", n(&i.to_string()))
            .item(
                "m",
                AttributeValue::M(item([(
                    "l",
                    AttributeValue::L(vec![s("x"), AttributeValue::Null(true)]),
                )])),
            )
            .item("ss", AttributeValue::Ss(vec![format!("a{i}"), "b".into()]))
            .send()
            .await
            .unwrap();
    }
    c.update_item()
        .table_name("prov")
        .key("pk", s("key-03"))
        .key("sk", n("1"))
        .update_expression("SET i = i + :k REMOVE m")
        .expression_attribute_values(":k", n("1000"))
        .send()
        .await
        .unwrap();
    c.delete_item()
        .table_name("prov")
        .key("pk", s("key-07"))
        .key("sk", n("1"))
        .send()
        .await
        .unwrap();
    for i in 0..25 {
        c.put_item()
            .table_name("ondemand")
            .item("pk", s(&format!("od-{i}")))
            .send()
            .await
            .unwrap();
    }
    let before_prov = describe(&c, "prov").await;
    let before_items = all_items(&c, "prov", &keys).await;
    assert_eq!(before_prov.item_count(), Some(39));
    assert!(srv.terminate().success(), "SIGTERM exits 0");

    for round in 0..2 {
        let srv = Launch::data_dir(dir.path()).start();
        let c = srv.client();
        let names = c.list_tables().send().await.unwrap();
        assert_eq!(names.table_names(), ["ondemand", "prov"], "round {round}");
        let d = describe(&c, "prov").await;
        assert_eq!(d.table_status().map(|s| s.as_str()), Some("ACTIVE"));
        assert_eq!(d.table_id(), before_prov.table_id());
        assert_eq!(d.creation_date_time(), before_prov.creation_date_time());
        assert_eq!(d.key_schema(), before_prov.key_schema());
        let pt = d.provisioned_throughput().unwrap();
        assert_eq!(pt.read_capacity_units(), Some(5));
        assert_eq!(pt.write_capacity_units(), Some(7));
        assert_eq!(d.deletion_protection_enabled(), Some(true));
        assert_eq!(
            d.table_class_summary().and_then(|t| t.table_class()),
            Some(&TableClass::StandardInfrequentAccess)
        );
        assert_eq!(d.latest_stream_arn(), before_prov.latest_stream_arn());
        assert_eq!(d.item_count(), Some(39), "ItemCount after restart");
        assert_eq!(d.table_size_bytes(), before_prov.table_size_bytes());
        let tags = c
            .list_tags_of_resource()
            .resource_arn(table_arn("prov"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            tags.tags(),
            [Tag::builder().key("env").value("prod").build().unwrap()]
        );
        let ttl = c
            .describe_time_to_live()
            .table_name("prov")
            .send()
            .await
            .unwrap()
            .time_to_live_description
            .unwrap();
        assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
        assert_eq!(ttl.attribute_name(), Some("exp"));
        assert_eq!(
            describe(&c, "ondemand")
                .await
                .billing_mode_summary()
                .and_then(|b| b.billing_mode()),
            Some(&BillingMode::PayPerRequest)
        );
        assert_eq!(
            describe(&c, "ondemand").await.item_count(),
            Some(25 + round)
        );

        let after = all_items(&c, "prov", &keys).await;
        assert_eq!(after.len(), before_items.len());
        for (k, (a, b)) in keys.iter().zip(after.iter().zip(before_items.iter())) {
            let canon = |i: &Option<HashMap<String, AttributeValue>>| {
                i.as_ref().map(|m| {
                    let mut v: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                    v.sort();
                    v
                })
            };
            // Sets may come back in another order.
            if let (Some(a), Some(b)) = (a, b) {
                let mut sa = a["ss"].as_ss().unwrap().clone();
                let mut sb = b["ss"].as_ss().unwrap().clone();
                sa.sort();
                sb.sort();
                assert_eq!(sa, sb, "{k}");
                let strip = |m: &HashMap<String, AttributeValue>| {
                    let mut m = m.clone();
                    m.remove("ss");
                    Some(m)
                };
                assert_eq!(canon(&strip(a)), canon(&strip(b)), "{k}");
            } else {
                assert_eq!(a, b, "{k}");
            }
        }
        assert_eq!(after[3].as_ref().unwrap()["i"], n("1003"));
        assert!(after[7].is_none());
        // The deleted table stays deleted and its name is free.
        assert_err(
            c.describe_table().table_name("dropped").send().await,
            "ResourceNotFoundException",
            "Requested resource not found: Table: dropped not found",
        );
        // Writes work after the restart (and survive the next one).
        c.put_item()
            .table_name("ondemand")
            .item("pk", s(&format!("after-{round}")))
            .send()
            .await
            .unwrap();
        if round == 1 {
            assert!(get_pk(&c, "ondemand", "after-0").await.is_some());
        }
        c.delete_item()
            .table_name("ondemand")
            .key("pk", s(&format!("after-{round}")))
            .send()
            .await
            .unwrap();
        c.put_item()
            .table_name("ondemand")
            .item("pk", s(&format!("after-{round}")))
            .send()
            .await
            .unwrap();
        assert!(srv.terminate().success());
    }
}

/// 16 concurrent writers, `kill -9` mid-stream, restart: every acknowledged write is
/// there with its value, and every acknowledged counter increment is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_write() {
    const WRITERS: usize = 16;
    let dir = temp_dir();
    let srv = Launch::data_dir(dir.path()).start();
    let c = srv.client();
    create_hash_table(&c, "crash").await;

    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let counters: Arc<Mutex<Vec<u64>>> = Arc::new(Mutex::new(vec![0; WRITERS]));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (c, acked, counters, stop) = (c.clone(), acked.clone(), counters.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let key = format!("w{w:02}-{i:06}");
                let value = format!("value-{w}-{i}-{}", "x".repeat((i % 7) as usize * 100));
                let put = c
                    .put_item()
                    .table_name("crash")
                    .item("pk", s(&key))
                    .item("v", s(&value))
                    .send()
                    .await;
                if put.is_err() {
                    return;
                }
                acked.lock().unwrap().push((key, value));
                let add = c
                    .update_item()
                    .table_name("crash")
                    .key("pk", s(&format!("counter-{w:02}")))
                    .update_expression("ADD hits :one")
                    .expression_attribute_values(":one", n("1"))
                    .send()
                    .await;
                if add.is_err() {
                    return;
                }
                counters.lock().unwrap()[w] += 1;
                i += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let in_flight_before = acked.lock().unwrap().len();
    srv.kill9();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let counters = counters.lock().unwrap().clone();
    assert!(
        in_flight_before > 0,
        "no write was acknowledged before the kill"
    );
    eprintln!(
        "kill -9 after {} acknowledged puts and {} increments",
        acked.len(),
        counters.iter().sum::<u64>()
    );
    assert!(
        acked.len() >= 50,
        "only {} writes acknowledged: too few to test",
        acked.len()
    );

    let srv = Launch::data_dir(dir.path()).start();
    let c = srv.client();
    let mut missing = Vec::new();
    for (key, value) in &acked {
        match get_pk(&c, "crash", key).await {
            Some(it) if it.get("v") == Some(&s(value)) => {}
            other => missing.push(format!("{key}: {other:?}")),
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost after kill -9, e.g. {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    for (w, &count) in counters.iter().enumerate() {
        let got = get_pk(&c, "crash", &format!("counter-{w:02}"))
            .await
            .map(|it| it["hits"].as_n().unwrap().parse::<u64>().unwrap())
            .unwrap_or(0);
        assert!(
            got == count || got == count + 1,
            "counter {w}: {count} increments acknowledged, {got} stored"
        );
    }
    // ItemCount counts what is there: every acknowledged item, at most one extra per writer
    // for the put in flight, plus the counters.
    let count = describe(&c, "crash").await.item_count().unwrap() as usize;
    assert!(
        count >= acked.len() && count <= acked.len() + 2 * WRITERS,
        "ItemCount {count} with {} acknowledged puts",
        acked.len()
    );
    // The recovered node takes writes.
    c.put_item()
        .table_name("crash")
        .item("pk", s("after"))
        .send()
        .await
        .unwrap();
    assert!(srv.terminate().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_exits_cleanly_and_in_memory_dir_is_removed() {
    let srv = Server::start();
    let dir = srv
        .data_line
        .split(" (in memory")
        .next()
        .unwrap()
        .trim()
        .to_string();
    assert!(
        std::path::Path::new(&dir).is_dir(),
        "{dir} should exist while running"
    );
    create_hash_table(&srv.client(), "tmp").await;
    assert!(srv.interrupt().success(), "SIGINT exits 0");
    assert!(!std::path::Path::new(&dir).exists(), "{dir} left behind");
}

/// Open connections do not hold a stopping server: an idle keep-alive connection and one
/// that never sent a byte are closed at once; one stopped halfway through a request head
/// is closed after the grace period (5 s), well within the stop timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_connections_do_not_hold_a_stopping_server() {
    use std::io::Write;
    use std::time::Instant;
    let connect = |srv: &Server| {
        let c = std::net::TcpStream::connect(srv.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c
    };
    // SIGTERM once the server has accepted the connections; how long the exit took.
    let stop = |srv: Server| {
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        assert!(srv.terminate().success(), "SIGTERM exits 0");
        started.elapsed()
    };

    let srv = Server::start();
    let mut idle = connect(&srv);
    http::health_check_on(
        &mut idle,
        "health check answered on a keep-alive connection",
    );
    let _silent = connect(&srv);
    let took = stop(srv);
    assert!(
        took < Duration::from_secs(4),
        "idle connections held the exit for {took:?}"
    );

    let srv = Server::start();
    let mut partial = connect(&srv);
    partial
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let took = stop(srv);
    assert!(
        took < Duration::from_secs(12),
        "a half-sent request held the exit for {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_unknown_keys_are_refused_by_name() {
    let dir = temp_dir();
    for (text, key) in [
        ("listen = \"127.0.0.1:0\"\nbogus_key = 1\n", "bogus_key"),
        ("[storage]\ncache_size_mb = 5\n", "cache_size_mb"),
        ("[workers]\nttl_every = 5\n", "ttl_every"),
    ] {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let (status, out) = Launch::in_memory()
            .args(&["--config", path.to_str().unwrap()])
            .run_to_exit(Duration::from_secs(20));
        assert!(!status.success(), "{text}: {out}");
        assert!(out.contains(key), "message should name {key}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_settings_apply_and_flags_override() {
    let dir = temp_dir();
    let path = dir.path().join("shoal.toml");
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:0\"\nin_memory = true\nregion = \"eu-west-2\"\n\n[workers]\nttl_interval_secs = 5\n",
    )
    .unwrap();
    let srv = Launch::bare(&["--config", path.to_str().unwrap()]).start();
    assert!(srv.addr.ip().is_loopback());
    let r = RawRequest::new(srv.addr).method("GET").body("").send();
    assert_eq!(r.text(), "healthy: dynamodb.eu-west-2.amazonaws.com ");
    drop(srv);
    // The shipped template is a valid configuration.
    let template = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../etc/config-template.toml"
    );
    let srv = Launch::bare(&[
        "--config",
        template,
        "--listen",
        "127.0.0.1:0",
        "--in-memory",
        "--region",
        "ap-south-1",
    ])
    .start();
    let r = RawRequest::new(srv.addr).method("GET").body("").send();
    assert_eq!(r.text(), "healthy: dynamodb.ap-south-1.amazonaws.com ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_variables_are_honoured() {
    let srv = Launch::bare(&["--in-memory"])
        .env("SHOAL_LISTEN", "127.0.0.1:0")
        .start();
    assert!(srv.addr.ip().is_loopback());
    assert_ne!(srv.addr.port(), 8000, "SHOAL_LISTEN was ignored");
    create_hash_table(&srv.client(), "env").await;
    drop(srv);

    let dir = temp_dir();
    let data = dir.path().join("data");
    let srv = Launch::bare(&[])
        .env("SHOAL_LISTEN", "127.0.0.1:0")
        .env("SHOAL_DATA_DIR", data.to_str().unwrap())
        .start();
    assert!(
        srv.data_line.starts_with(data.to_str().unwrap()),
        "listening line names the data dir: {}",
        srv.data_line
    );
    create_hash_table(&srv.client(), "persisted").await;
    assert!(srv.terminate().success());
    assert!(
        std::fs::read_dir(&data).unwrap().next().is_some(),
        "nothing written to SHOAL_DATA_DIR"
    );
    let srv = Launch::data_dir(&data).start();
    let names = srv.client().list_tables().send().await.unwrap();
    assert_eq!(names.table_names(), ["persisted"]);
}
