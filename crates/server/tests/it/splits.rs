//! Online partition splits (issue 5, items 4 and 6): a table with 5 WCU uses up its
//! burst, is raised to 20,000 WCU, and splits online into the 20 partitions the planner
//! gives while writers keep going; every item written before, during and after the
//! split is then readable exactly once, by GetItem and by a full Scan, also after a
//! restart.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{temp_dir, Launch, Server};

const TABLE: &str = "tp_split";

fn put(server: &Server, key: &str) -> crate::common::RawResponse {
    server.post(
        "PutItem",
        &json!({"TableName": TABLE, "Item": {"pk": {"S": key}, "v": {"S": "x".repeat(200)}},
                "ReturnConsumedCapacity": "TOTAL"}),
    )
}

fn is_throttle(body: &Value) -> bool {
    body["__type"] == "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
}

fn status(server: &Server) -> String {
    let r = server.post("DescribeTable", &json!({"TableName": TABLE}));
    assert_eq!(r.status, 200);
    r.json()["Table"]["TableStatus"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every key a full paged Scan returns, asserting none twice.
fn scan_keys(server: &Server) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut start: Option<Value> = None;
    loop {
        let mut body = json!({"TableName": TABLE, "Limit": 700, "ConsistentRead": true});
        if let Some(s) = &start {
            body["ExclusiveStartKey"] = s.clone();
        }
        let r = server.post("Scan", &body);
        if r.status != 200 && is_throttle(&r.json()) {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let page = r.json();
        for item in page["Items"].as_array().unwrap() {
            let k = item["pk"]["S"].as_str().unwrap().to_string();
            assert!(keys.insert(k.clone()), "{k} scanned twice");
        }
        match page.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => return keys,
        }
    }
}

/// `shoal admin partitions TABLE --json` against the server.
fn partitions(server: &Server) -> Vec<Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shoal"))
        .args([
            "admin",
            "partitions",
            TABLE,
            "--endpoint",
            &server.url,
            "--json",
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .expect("run shoal admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    report["Partitions"].as_array().unwrap().clone()
}

/// Creates [`TABLE`], keyed by the string `pk`, with the billing members given.
fn create(server: &Server, billing: Value) {
    let mut body = json!({
        "TableName": TABLE,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    });
    if let (Some(b), Some(extra)) = (body.as_object_mut(), billing.as_object()) {
        b.extend(extra.clone());
    }
    let r = server.post("CreateTable", &body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// A server started with `config` (TOML) and an on-demand table [`TABLE`] on it.
fn on_demand_table(config: &str) -> (tempfile::TempDir, Server) {
    let dir = temp_dir();
    let path = dir.path().join("shoal.toml");
    std::fs::write(&path, config).unwrap();
    let server = Launch::in_memory()
        .args(&["--config", path.to_str().unwrap()])
        .start();
    create(&server, json!({"BillingMode": "PAY_PER_REQUEST"}));
    (dir, server)
}

fn partition_splits_logged(server: &Server) -> usize {
    server.logs().matches("partition split").count()
}

#[test]
fn raising_5_wcu_to_20000_splits_online_and_keeps_every_item_once() {
    let dir = temp_dir();
    let server = Launch::data_dir(dir.path()).start();
    create(
        &server,
        json!({"ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}),
    );

    // Before: writes of one unit each are served from the 1,500 units of burst, then
    // refused.
    let mut written = BTreeSet::new();
    loop {
        let key = format!("before-{}", written.len());
        let r = put(&server, &key);
        if r.status != 200 {
            assert!(
                is_throttle(&r.json()),
                "{}",
                String::from_utf8_lossy(&r.body)
            );
            break;
        }
        assert_eq!(
            r.json()["ConsumedCapacity"],
            json!({"TableName": TABLE, "CapacityUnits": 1.0})
        );
        written.insert(key);
        assert!(written.len() < 3_000, "never throttled");
    }
    assert!(
        written.len() >= 1_500,
        "burst served {} writes",
        written.len()
    );

    // During: writers keep going (retrying throttled writes, as the SDKs do) while the
    // table is raised and splits.
    let stop = AtomicBool::new(false);
    let during = Mutex::new(BTreeSet::new());
    std::thread::scope(|s| {
        for w in 0..4 {
            let (server, stop, during) = (&server, &stop, &during);
            s.spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let key = format!("during-{w}-{n}");
                    let r = put(server, &key);
                    if r.status == 200 {
                        during.lock().unwrap().insert(key);
                        n += 1;
                    } else {
                        assert!(
                            is_throttle(&r.json()),
                            "{}",
                            String::from_utf8_lossy(&r.body)
                        );
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(200));
        let r = server.post(
            "UpdateTable",
            &json!({"TableName": TABLE,
                    "ProvisionedThroughput": {"ReadCapacityUnits": 6000,
                                              "WriteCapacityUnits": 20000}}),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["TableDescription"]["TableStatus"], "UPDATING");
        let deadline = Instant::now() + Duration::from_secs(120);
        while status(&server) != "ACTIVE" {
            assert!(Instant::now() < deadline, "the table never became ACTIVE");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(200));
        stop.store(true, Ordering::Relaxed);
    });
    let during = during.into_inner().unwrap();
    assert!(!during.is_empty(), "no write landed during the split");
    written.extend(during);

    // The planner's answer for one partition going to 20,000 WCU: 20 partitions, made
    // by 19 binary splits in five generations (20 -> 10+10 -> 5+5 -> 2+3 -> ...): 12
    // final partitions of generation 4 and 8 of generation 5, 1,000 WCU each.
    assert_eq!(partition_splits_logged(&server), 19, "{}", server.logs());
    let parts = partitions(&server);
    assert_eq!(parts.len(), 20);
    let point = |p: &Value, k: &str| u64::from_str_radix(p[k].as_str().unwrap(), 16).unwrap();
    assert_eq!(point(&parts[0], "Start"), 0);
    assert_eq!(point(&parts[19], "End"), u64::MAX);
    for w in parts.windows(2) {
        assert_eq!(point(&w[0], "End") + 1, point(&w[1], "Start"));
    }
    let generation = |g: u64| parts.iter().filter(|p| p["Generation"] == g).count();
    assert_eq!((generation(4), generation(5)), (12, 8));
    for p in &parts {
        let wcu = p["WriteUnitsPerSecond"].as_f64().unwrap();
        assert!((wcu - 1000.0).abs() < 1e-6, "{p}");
        assert!(p["Parent"].is_u64(), "lineage recorded: {p}");
    }

    // After: the new capacity admits writes at once.
    for i in 0..500 {
        let key = format!("after-{i}");
        let r = put(&server, &key);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        written.insert(key);
    }

    let check = |server: &Server| {
        for key in &written {
            let r = server.post(
                "GetItem",
                &json!({"TableName": TABLE, "Key": {"pk": {"S": key}}, "ConsistentRead": true}),
            );
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            assert_eq!(r.json()["Item"]["pk"]["S"], key.as_str(), "{key} lost");
        }
        assert_eq!(scan_keys(server), written);
        let r = server.post("DescribeTable", &json!({"TableName": TABLE}));
        assert_eq!(r.json()["Table"]["ItemCount"], written.len());
    };
    check(&server);

    // The split partitions, their statistics and their logs survive a restart.
    server.terminate();
    let server = Launch::data_dir(dir.path()).start();
    assert_eq!(status(&server), "ACTIVE");
    check(&server);
    assert_eq!(partition_splits_logged(&server), 0, "nothing left to split");
}

#[test]
fn a_hot_on_demand_partition_splits_for_heat_and_keeps_every_item() {
    // Hot means 0.5% of the 1,000 WCU ceiling (5 write units per second) for 2 seconds.
    let (_dir, server) = on_demand_table(
        "[storage]\non_demand_partitions = 1\nheat_split_fraction = 0.005\nheat_split_secs = 2\n",
    );
    let mut written = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    // One partition splits into two, then both split again: three splits.
    while partition_splits_logged(&server) < 3 {
        assert!(
            Instant::now() < deadline,
            "no split for heat: {}",
            server.logs()
        );
        let key = format!("hot-{}", written.len());
        let r = put(&server, &key);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        written.insert(key);
    }
    assert_eq!(scan_keys(&server), written);
    let r = server.post("DescribeTable", &json!({"TableName": TABLE}));
    assert_eq!(r.json()["Table"]["ItemCount"], written.len());
    assert_eq!(r.json()["Table"]["TableStatus"], "ACTIVE");
}

#[test]
fn a_partition_past_the_size_limit_splits() {
    let (_dir, server) =
        on_demand_table("[storage]\non_demand_partitions = 1\npartition_split_bytes = 1048576\n");
    // 400 items of about 4 KB: 1.6 MB, so the one partition must become two (of about
    // 0.8 MB each, under the limit).
    let mut written = BTreeSet::new();
    for i in 0..400 {
        let key = format!("big-{i}");
        let r = server.post(
            "PutItem",
            &json!({"TableName": TABLE,
                    "Item": {"pk": {"S": key}, "v": {"S": "x".repeat(4_000)}}}),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        written.insert(key);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while partition_splits_logged(&server) < 1 || status(&server) != "ACTIVE" {
        assert!(
            Instant::now() < deadline,
            "no split for size: {}",
            server.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(partition_splits_logged(&server), 1, "{}", server.logs());
    assert_eq!(scan_keys(&server), written);
}
