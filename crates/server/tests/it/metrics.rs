//! Seeing a node (issue 5): `GET /metrics` counts requests, consumed capacity and
//! throttles exactly, and `shoal admin partitions` shows a table's partition map as the
//! node holds it, signed under `--auth enforce`.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use serde_json::{json, Value};

use crate::common::{Launch, RawRequest, Server};

/// A GET to the server without DynamoDB's headers (what a scraper or curl sends).
fn get(server: &Server, path: &str) -> crate::common::RawResponse {
    RawRequest::new(server.addr)
        .method("GET")
        .path(path)
        .without("Content-Type")
        .without("Authorization")
        .without("X-Amz-Date")
        .body(Vec::new())
        .send()
}

/// Scrapes `/metrics` into `series -> value`, checking the text format on the way: every
/// sample's family was announced by `# TYPE` first.
fn scrape(server: &Server) -> BTreeMap<String, String> {
    let r = get(server, "/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let mut typed = Vec::new();
    let mut samples = BTreeMap::new();
    for line in r.text().lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            typed.push(rest.split(' ').next().unwrap().to_string());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample line");
        let family = series.split('{').next().unwrap();
        assert!(
            typed.iter().any(|t| family == t
                || family
                    .strip_prefix(t.as_str())
                    .is_some_and(|s| ["_bucket", "_sum", "_count"].contains(&s))),
            "{family} sampled before its # TYPE"
        );
        assert!(
            samples
                .insert(series.to_string(), value.to_string())
                .is_none(),
            "{series} twice"
        );
    }
    samples
}

fn create(server: &Server, name: &str, throughput: Option<(u64, u64)>) {
    let mut body = json!({
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    });
    match throughput {
        Some((r, w)) => {
            body["ProvisionedThroughput"] = json!({"ReadCapacityUnits": r, "WriteCapacityUnits": w})
        }
        None => body["BillingMode"] = json!("PAY_PER_REQUEST"),
    }
    let r = server.post("CreateTable", &body);
    assert_eq!(r.status, 200, "{}", r.text());
}

/// An item of exactly `bytes` bytes by DynamoDB's rules.
fn sized_item(pk: &str, bytes: usize) -> Value {
    let payload = bytes - "pk".len() - pk.len() - "payload".len();
    json!({"pk": {"S": pk}, "payload": {"S": "x".repeat(payload)}})
}

#[test]
fn metrics_count_requests_capacity_and_throttles_exactly() {
    let server = Server::start();
    create(&server, "m_prov", Some((1, 1)));
    create(&server, "m_demand", None);

    // 1 WCU with 300 s of burst: writes of 98 units leave 202, 104, 6, then -92; the
    // fifth is refused (the bucket is in debt for 92 s).
    let mut admitted = 0;
    loop {
        let r = server.post(
            "PutItem",
            &json!({"TableName": "m_prov", "Item": sized_item(&format!("k{admitted}"), 100_000)}),
        );
        if r.status != 200 {
            assert_eq!(
                r.json()["__type"],
                "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
            );
            break;
        }
        admitted += 1;
        assert!(admitted < 10, "never throttled");
    }
    assert_eq!(admitted, 4);
    // A batch entry refused admission comes back unprocessed: a throttle event, but the
    // request itself succeeds.
    let r = server.post(
        "BatchWriteItem",
        &json!({"RequestItems": {"m_prov": [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["UnprocessedItems"]["m_prov"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Reads of a 100,000-byte item: 25 units consistent, 12.5 eventually consistent.
    for consistent in [true, false] {
        let r = server.post(
            "GetItem",
            &json!({"TableName": "m_prov", "Key": {"pk": {"S": "k0"}},
                    "ConsistentRead": consistent}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // On demand: charged too, never throttled.
    let r = server.post(
        "PutItem",
        &json!({"TableName": "m_demand", "Item": {"pk": {"S": "a"}}}),
    );
    assert_eq!(r.status, 200);
    let r = server.post(
        "GetItem",
        &json!({"TableName": "m_demand", "Key": {"pk": {"S": "a"}}}),
    );
    assert_eq!(r.status, 200);
    // Failures are counted by error type, also before the operation is known.
    let r = server.post(
        "GetItem",
        &json!({"TableName": "m_none", "Key": {"pk": {"S": "a"}}}),
    );
    assert_eq!(r.status, 400);
    let r = server.raw("NoSuchOperation").json(&json!({})).send();
    assert_eq!(r.status, 400);

    let m = scrape(&server);
    let expect = [
        // Requests by operation and outcome.
        (
            r#"shoal_api_requests_total{operation="CreateTable",outcome="ok"}"#,
            "2",
        ),
        (
            r#"shoal_api_requests_total{operation="PutItem",outcome="ok"}"#,
            "5",
        ),
        (
            r#"shoal_api_requests_total{operation="PutItem",outcome="ProvisionedThroughputExceededException"}"#,
            "1",
        ),
        (
            r#"shoal_api_requests_total{operation="BatchWriteItem",outcome="ok"}"#,
            "1",
        ),
        (
            r#"shoal_api_requests_total{operation="GetItem",outcome="ok"}"#,
            "3",
        ),
        (
            r#"shoal_api_requests_total{operation="GetItem",outcome="ResourceNotFoundException"}"#,
            "1",
        ),
        (
            r#"shoal_api_requests_total{operation="Unknown",outcome="UnknownOperationException"}"#,
            "1",
        ),
        // Throttled requests by table, operation and error type.
        (
            r#"shoal_api_throttled_requests_total{table="m_prov",operation="PutItem",error_type="ProvisionedThroughputExceededException"}"#,
            "1",
        ),
        // Capacity consumed and refused, per table.
        (
            r#"shoal_table_consumed_write_capacity_units_total{table="m_prov"}"#,
            "392",
        ),
        (
            r#"shoal_table_consumed_read_capacity_units_total{table="m_prov"}"#,
            "37.5",
        ),
        (
            r#"shoal_table_write_throttle_events_total{table="m_prov"}"#,
            "2",
        ),
        (
            r#"shoal_table_read_throttle_events_total{table="m_prov"}"#,
            "0",
        ),
        (
            r#"shoal_table_consumed_write_capacity_units_total{table="m_demand"}"#,
            "1",
        ),
        (
            r#"shoal_table_consumed_read_capacity_units_total{table="m_demand"}"#,
            "0.5",
        ),
        (
            r#"shoal_table_write_throttle_events_total{table="m_demand"}"#,
            "0",
        ),
        // The catalog, at scrape time.
        (
            r#"shoal_table_provisioned_read_capacity_units{table="m_prov"}"#,
            "1",
        ),
        (
            r#"shoal_table_provisioned_write_capacity_units{table="m_prov"}"#,
            "1",
        ),
        (
            r#"shoal_table_provisioned_read_capacity_units{table="m_demand"}"#,
            "0",
        ),
        (
            r#"shoal_table_provisioned_write_capacity_units{table="m_demand"}"#,
            "0",
        ),
        (r#"shoal_table_partitions{table="m_prov"}"#, "1"),
        // A new on-demand table starts with four partitions (4,000 WCU / 12,000 RCU).
        (r#"shoal_table_partitions{table="m_demand"}"#, "4"),
        (r#"shoal_table_items{table="m_prov"}"#, "4"),
        (r#"shoal_table_size_bytes{table="m_prov"}"#, "400000"),
        (r#"shoal_table_items{table="m_demand"}"#, "1"),
        // Latency: every PutItem observed once; buckets are cumulative up to +Inf.
        (
            r#"shoal_api_request_duration_seconds_count{operation="PutItem"}"#,
            "6",
        ),
        (
            r#"shoal_api_request_duration_seconds_bucket{operation="PutItem",le="+Inf"}"#,
            "6",
        ),
        (
            r#"shoal_api_request_duration_seconds_count{operation="GetItem"}"#,
            "4",
        ),
    ];
    for (series, value) in expect {
        assert_eq!(m.get(series).map(String::as_str), Some(value), "{series}");
    }
    // The item cache: the first read of k0 went to the engine and filled the cache, the
    // second was answered from it.
    let n = |series: &str| m[series].parse::<u64>().unwrap();
    assert!(n("shoal_item_cache_hits_total") >= 1);
    assert!(n("shoal_item_cache_misses_total") >= 2);
    assert!(n("shoal_item_cache_entries") >= 2);
    // That first read ran inline: reads start there, and go to the blocking pool only
    // once engine reads have been slow.
    assert!(n(r#"shoal_engine_point_reads_total{placement="inline"}"#) >= 1);
    assert!(m.contains_key(r#"shoal_engine_point_reads_total{placement="pool"}"#));
    assert!(
        n("shoal_item_cache_bytes") > 100_000,
        "k0 alone weighs 100 KB"
    );
    // Nothing else was throttled, and no request outcome is unaccounted for.
    let throttled: Vec<_> = m
        .keys()
        .filter(|k| k.starts_with("shoal_api_throttled_requests_total"))
        .collect();
    assert_eq!(throttled.len(), 1, "{throttled:?}");
    let requests: u64 = m
        .iter()
        .filter(|(k, _)| k.starts_with("shoal_api_requests_total"))
        .map(|(_, v)| v.parse::<u64>().unwrap())
        .sum();
    assert_eq!(requests, 14);
    let buckets: Vec<u64> = m
        .iter()
        .filter(|(k, _)| {
            k.starts_with(r#"shoal_api_request_duration_seconds_bucket{operation="PutItem","#)
        })
        .map(|(_, v)| v.parse().unwrap())
        .collect();
    assert_eq!(buckets.len(), 17, "16 bounds and +Inf");
    assert!(buckets.iter().all(|&b| b <= 6));
    assert!(
        m[r#"shoal_api_request_duration_seconds_sum{operation="PutItem"}"#]
            .parse::<f64>()
            .unwrap()
            > 0.0
    );

    // Deleting a table removes its series.
    let r = server.post("DeleteTable", &json!({"TableName": "m_demand"}));
    assert_eq!(r.status, 200);
    let m = scrape(&server);
    assert!(!m.keys().any(|k| k.contains(r#"table="m_demand""#)));
    assert_eq!(
        m[r#"shoal_table_consumed_write_capacity_units_total{table="m_prov"}"#],
        "392"
    );
}

/// Runs `shoal admin partitions ARGS` with no AWS variables but `env`.
fn admin(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shoal"));
    cmd.arg("admin").arg("partitions").args(args);
    for k in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "SHOAL_ENDPOINT",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run shoal admin")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn admin_partitions_shows_a_provisioned_tables_partition_map() {
    let server = Server::start();
    // 6,000 WCU at 1,000 per partition: six partitions.
    create(&server, "m_parts", Some((5, 6000)));
    for batch in 0..3 {
        let puts: Vec<Value> = (0..20)
            .map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("item-{batch}-{i}")}}}}))
            .collect();
        let r = server.post(
            "BatchWriteItem",
            &json!({"RequestItems": {"m_parts": puts}}),
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["UnprocessedItems"], json!({}));
    }

    let out = admin(&["m_parts", "--endpoint", &server.url, "--json"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(report["TableName"], "m_parts");
    assert_eq!(report["BillingMode"], "PROVISIONED");
    assert_eq!(report["WriteCapacityUnits"], 6000);
    assert_eq!(report["ItemCount"], 60);
    let parts = report["Partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 6);
    let point = |p: &Value, k: &str| u64::from_str_radix(p[k].as_str().unwrap(), 16).unwrap();
    assert_eq!(parts[0]["Start"], "0000000000000000");
    assert_eq!(parts[5]["End"], "ffffffffffffffff");
    for w in parts.windows(2) {
        assert_eq!(point(&w[0], "End") + 1, point(&w[1], "Start"), "{w:?}");
    }
    let mut items = 0;
    let mut share = 0.0;
    for p in parts {
        assert!(point(p, "Start") < point(p, "End"));
        assert_eq!(p["Generation"], 0);
        assert_eq!(p["Parent"], Value::Null);
        assert_eq!(p["WriteUnitsPerSecond"], 1000.0);
        let rcu = p["ReadUnitsPerSecond"].as_f64().unwrap();
        assert!((rcu - 5.0 / 6.0).abs() < 1e-9, "{rcu}");
        items += p["ItemCount"].as_u64().unwrap();
        share += p["KeySpaceShare"].as_f64().unwrap();
    }
    assert_eq!(items, 60);
    assert!((share - 1.0).abs() < 1e-9);
    // 60 keys hashed over six equal ranges: not all in one partition.
    assert!(parts.iter().filter(|p| p["ItemCount"] != 0).count() > 1);

    // The table view: a summary line, a header and one row per partition, in order.
    let out = admin(&["m_parts", "--endpoint", &server.url], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "table m_parts: PROVISIONED (5 RCU / 6000 WCU), partitions: 6, items: 60, bytes: {}",
            report["TableSizeBytes"]
        )
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["ID", "START", "END", "ITEMS", "BYTES", "GEN", "PARENT", "SHARE", "RCU/S", "WCU/S"]
    );
    assert_eq!(lines.len(), 8, "{text}");
    for (line, p) in lines[2..].iter().zip(parts) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[0], p["PartitionId"].to_string());
        assert_eq!(cols[1], p["Start"]);
        assert_eq!(cols[2], p["End"]);
        assert_eq!(cols[3], p["ItemCount"].to_string());
        assert_eq!(&cols[5..], ["0", "-", "16.67%", "0.83", "1000.00"]);
    }

    // The route itself: JSON, and a DynamoDB-style 404 for an unknown table.
    let r = get(&server, "/admin/tables/m_parts/partitions");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), report);
    let r = get(&server, "/admin/tables/nope_table/partitions");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
               "message": "Requested resource not found: Table: nope_table not found"})
    );

    let out = admin(&["nope_table", "--endpoint", &server.url], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("ResourceNotFoundException (HTTP 404): Requested resource not found: Table: nope_table not found"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn admin_partitions_fails_clearly_without_a_node() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = admin(&["some_table", "--endpoint", &url], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("cannot reach {url}: connect: connection refused")),
        "{}",
        stderr(&out)
    );
    let out = admin(&["a/b/c", "--endpoint", &url], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("invalid table name"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn admin_routes_need_a_valid_signature_under_enforce() {
    let server = Launch::in_memory()
        .args(&["--auth", "enforce"])
        .env("SHOAL_ACCESS_KEY_ID", "AKIDADMIN")
        .env("SHOAL_SECRET_ACCESS_KEY", "admin/secret")
        .start();
    let r = server
        .raw("CreateTable")
        .json(&json!({
            "TableName": "m_secure",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        }))
        .sign("AKIDADMIN", "admin/secret")
        .send();
    assert_eq!(r.status, 200, "{}", r.text());

    let r = get(&server, "/admin/tables/m_secure/partitions");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["__type"],
        "com.amazon.coral.service#MissingAuthenticationTokenException"
    );
    let good = [
        ("AWS_ACCESS_KEY_ID", "AKIDADMIN"),
        ("AWS_SECRET_ACCESS_KEY", "admin/secret"),
    ];
    let out = admin(&["m_secure", "--endpoint", &server.url], &good);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with(
        "table m_secure: PAY_PER_REQUEST (on demand), partitions: 4, items: 0, bytes: 0\n"
    ));
    // On demand: a quarter of the key space each, at DynamoDB's per-partition ceilings.
    let line = stdout(&out).lines().nth(2).unwrap().to_string();
    assert!(
        line.ends_with("25.00%  3000.00  1000.00"),
        "{}",
        stdout(&out)
    );
    let wrong = [
        ("AWS_ACCESS_KEY_ID", "AKIDADMIN"),
        ("AWS_SECRET_ACCESS_KEY", "not-the-secret"),
    ];
    let out = admin(&["m_secure", "--endpoint", &server.url], &wrong);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("InvalidSignatureException (HTTP 400)"),
        "{}",
        stderr(&out)
    );
    let out = admin(&["m_secure", "--endpoint", &server.url], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("UnrecognizedClientException"),
        "{}",
        stderr(&out)
    );
    // Scrapers do not sign: /metrics stays open, like the health check.
    assert_eq!(get(&server, "/metrics").status, 200);
}
