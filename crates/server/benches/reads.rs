//! Read paths through the operation layer (no HTTP): Query pages of 100 items of 1 KB,
//! and a full Scan of a large table paged as a client pages it.
//!
//! `SHOAL_BENCH_SCAN_ITEMS` sets the Scan table's size (default 1,000,000).

// A bench that cannot set up has nothing to measure: failing loudly is the point.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};
use shoal::catalog::Catalog;
use shoal::node::{AuthMode, Node, NodeConfig};
use shoal_storage::{Change, Store, StoreConfig};
use shoal_types::{key, AttributeValue, Item, Number};

fn node(dir: &std::path::Path) -> Arc<Node> {
    let store = Store::open(StoreConfig {
        path: dir.to_path_buf(),
        cache_bytes: 256 << 20,
        item_cache_bytes: 64 << 20,
    })
    .expect("store");
    let catalog = Catalog::open(store, "us-east-1".into()).expect("catalog");
    Node::new(
        catalog,
        NodeConfig {
            region: "us-east-1".into(),
            advertised_address: "127.0.0.1:0".into(),
            on_demand_partitions: 1,
            item_collection_limit: 10 << 30,
            auth: AuthMode::Accept,
            keys: shoal_auth::KeyStore::new(),
            split: shoal::splits::SplitPolicy::default(),
            admission: shoal_admission::NodeConfig::default(),
            idle_timeout: None,
        },
    )
    .expect("node")
}

async fn call(node: &Node, op: &str, body: Value) -> Value {
    shoal::ops::dispatch(node, op, &body, None).await.expect(op)
}

/// Loads items straight into the partitions (no acknowledgement wait) and syncs once.
fn load(node: &Node, table: &str, pks: u64, per_pk: u64) {
    let t = node.catalog.get(table).expect("table");
    let mut last = None;
    for p in 0..pks {
        for s in 0..per_pk {
            let mut item = Item::new();
            item.insert("pk".into(), AttributeValue::S(format!("user{p:08}")));
            item.insert("sk".into(), AttributeValue::N(Number::from_i64(s as i64)));
            item.insert("payload".into(), AttributeValue::B(vec![b'x'; 1000]));
            let point = key::point(&item["pk"]);
            let suffix = key::encode_item_key(&t.schema, &t.schema.key_of(&item));
            let w = t
                .route(point)
                .write(point, &suffix, |_| {
                    Ok::<_, shoal_storage::Error>(Change::Put(item))
                })
                .expect("write");
            last = Some(w.ticket);
        }
    }
    if let Some(t) = last {
        node.catalog
            .store()
            .durability()
            .wait_blocking(t)
            .expect("sync");
    }
}

async fn create(node: &Node, name: &str) {
    call(
        node,
        "CreateTable",
        json!({
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        }),
    )
    .await;
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let node = node(dir.path());

    rt.block_on(create(&node, "query_bench"));
    load(&node, "query_bench", 100, 1000);
    let mut g = c.benchmark_group("query");
    g.throughput(Throughput::Elements(100));
    let mut i = 0u64;
    g.bench_function("page_of_100_1kb_items", |b| {
        b.iter(|| {
            i = (i + 37) % 100;
            let out = rt.block_on(call(
                &node,
                "Query",
                json!({
                    "TableName": "query_bench",
                    "KeyConditionExpression": "pk = :p AND sk >= :s",
                    "ExpressionAttributeValues": {":p": {"S": format!("user{i:08}")}, ":s": {"N": "400"}},
                    "Limit": 100,
                }),
            ));
            assert_eq!(out["Count"], 100);
        })
    });
    g.finish();

    // Admission control's share of a GetItem (issue 5: under 2%): the work every
    // best-effort GetItem does for it (node limiter, partition buckets, charge), against
    // a whole GetItem through `dispatch` (without HTTP, which only adds to the total).
    let mut g = c.benchmark_group("admission");
    let table = node.catalog.get("query_bench").expect("table");
    let pid = table.partitions[0].desc().id;
    let get = json!({"TableName": "query_bench",
                     "Key": {"pk": {"S": "user00000042"}, "sk": {"N": "7"}}});
    g.bench_function("admission_of_one_get_item", |b| {
        // Far more requests per second than the limits allow: most are refused here,
        // which costs the same checks as an admission.
        b.iter(|| {
            let shed = shoal::shedding::admit_table(&node, &table);
            let throttled = table.throughput.admit_read(pid);
            table.throughput.charge_read(pid, 0.5);
            std::hint::black_box((shed.is_ok(), throttled.is_ok()))
        })
    });
    g.bench_function("get_item_without_admission", |b| {
        shoal::throughput::set_enforced(false);
        b.iter(|| rt.block_on(call(&node, "GetItem", get.clone())));
        shoal::throughput::set_enforced(true);
    });
    g.finish();

    let n: u64 = std::env::var("SHOAL_BENCH_SCAN_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    rt.block_on(create(&node, "scan_bench"));
    let t0 = Instant::now();
    load(&node, "scan_bench", n / 100, 100);
    eprintln!("loaded {n} items of 1 KB in {:?}", t0.elapsed());
    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Elements(n));
    g.bench_function("full_scan_1kb_items", |b| {
        b.iter(|| {
            let mut seen = 0u64;
            let mut start: Option<Value> = None;
            loop {
                let mut body = json!({"TableName": "scan_bench"});
                if let Some(s) = start.take() {
                    body["ExclusiveStartKey"] = s;
                }
                let out = rt.block_on(call(&node, "Scan", body));
                seen += out["Count"].as_u64().unwrap_or(0);
                match out.get("LastEvaluatedKey") {
                    Some(k) => start = Some(k.clone()),
                    None => break,
                }
            }
            assert_eq!(seen, n);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
