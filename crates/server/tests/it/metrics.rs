//! Seeing a node (issue 5): `GET /metrics` counts requests, consumed capacity and
//! throttles exactly.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::common::{RawRequest, Server};

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
        (r#"shoal_table_partitions{table="m_demand"}"#, "1"),
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
