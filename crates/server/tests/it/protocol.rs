//! The wire protocol as a raw HTTP client sees it: `x-amzn-RequestId` and a correct
//! `x-amz-crc32` on every response (checked inside `RawRequest::send`), the health check,
//! DynamoDB's error bodies (type prefix, status, message) for unknown operations, wrong
//! content types, malformed JSON, oversized bodies, missing or malformed Authorization
//! headers and validation failures, the order those checks run in, gzip bodies, the
//! idle timeout that closes silent connections, and how many request workers serve them.

use serde_json::json;

use crate::common::http::gzip;
use crate::common::*;

const MAX_BODY: usize = 16 * 1024 * 1024;
const SERVICE: &str = "com.amazon.coral.service#";
const VALIDATE: &str = "com.amazon.coral.validate#ValidationException";
const DDB: &str = "com.amazonaws.dynamodb.v20120810#";

fn create_body(name: &str) -> serde_json::Value {
    json!({
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_and_success_headers() {
    let srv = Server::start();
    let r = RawRequest::new(srv.addr).method("GET").body("").send();
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "healthy: dynamodb.us-east-1.amazonaws.com ");

    let a = srv.post("ListTables", &json!({}));
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("application/x-amz-json-1.0"));
    assert_eq!(a.json(), json!({"TableNames": []}));
    let b = srv.post("ListTables", &json!({}));
    let (ida, idb) = (
        a.header("x-amzn-RequestId").unwrap(),
        b.header("x-amzn-RequestId").unwrap(),
    );
    assert_ne!(ida, idb, "request ids are unique");
    for id in [ida, idb] {
        assert_eq!(id.len(), 52, "{id}");
        assert!(
            id.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
            "{id}"
        );
    }
    // An error response carries both headers as well (checked by send()).
    let e = srv.post("DescribeTable", &json!({"TableName": "nope"}));
    assert_eq!(e.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_operation() {
    let srv = Server::start();
    let unknown = format!("{SERVICE}UnknownOperationException");
    srv.raw("Frobnicate")
        .send()
        .assert_error(400, &unknown, "Unknown operation");
    srv.raw("ListTables")
        .without("X-Amz-Target")
        .send()
        .assert_error(400, &unknown, "Unknown operation");
    srv.raw("ListTables")
        .header("X-Amz-Target", "DynamoDBStreams_20120810.ListTables")
        .send()
        .assert_error(400, &unknown, "Unknown operation");
    // Another path is not the API either.
    RawRequest::new(srv.addr)
        .target("ListTables")
        .path("/other")
        .send()
        .assert_error(404, &unknown, "Unknown operation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_missing_content_type() {
    let srv = Server::start();
    let unknown = format!("{SERVICE}UnknownOperationException");
    srv.raw("ListTables")
        .header("Content-Type", "text/plain")
        .send()
        .assert_error(404, &unknown, "Unknown operation");
    srv.raw("ListTables")
        .without("Content-Type")
        .send()
        .assert_error(404, &unknown, "Unknown operation");
    srv.raw("ListTables")
        .header("Content-Type", "application/x-amz-json-1.1")
        .send()
        .assert_error(404, &unknown, "Unknown operation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_serialization_exception() {
    let srv = Server::start();
    let ser = format!("{SERVICE}SerializationException");
    for body in ["{not json", "{\"TableName\": ", "", "nul"] {
        let r = srv.raw("ListTables").body(body).send();
        assert_eq!(r.status, 400, "{body:?}: {}", r.text());
        let v = r.json();
        assert_eq!(v["__type"], ser.as_str(), "{body:?}");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .starts_with("Could not parse request body into json"),
            "{v}"
        );
    }
    // Well-formed JSON of the wrong shape.
    srv.raw("ListTables").body("[1]").send().assert_error(
        400,
        &ser,
        "Start of list found where not expected",
    );
    let r = srv.post("DescribeTable", &json!({"TableName": 5}));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], ser.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_body_limit_is_16_mb() {
    let srv = Server::start();
    // Announced as too large: refused before the body is sent.
    let r = srv
        .raw("ListTables")
        .header("Content-Length", &(MAX_BODY + 1).to_string())
        .header("Expect", "100-continue")
        .body(vec![b' '; MAX_BODY + 1])
        .send();
    assert_eq!(r.status, 413, "{}", r.text());
    // A gzip body that inflates past the limit.
    let mut big = b"{}".to_vec();
    big.resize(MAX_BODY + 1, b' ');
    let r = srv
        .raw("ListTables")
        .body(gzip(&big))
        .header("Content-Encoding", "gzip")
        .send();
    assert_eq!(r.status, 413, "{}", r.text());
    // Exactly at the limit is fine, plain and gzipped.
    big.truncate(MAX_BODY);
    let r = srv.raw("ListTables").body(big.clone()).send();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = srv.raw("ListTables").body(big).gzip().send();
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_request_bodies_are_accepted() {
    let srv = Server::start();
    let r = srv
        .raw("CreateTable")
        .json(&create_body("zipped"))
        .gzip()
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["TableDescription"]["TableName"], "zipped");
    let r = srv
        .raw("PutItem")
        .json(&json!({"TableName": "zipped", "Item": {"pk": {"S": "k"}, "v": {"N": "1"}}}))
        .gzip()
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = srv.post(
        "GetItem",
        &json!({"TableName": "zipped", "Key": {"pk": {"S": "k"}}, "ConsistentRead": true}),
    );
    assert_eq!(
        r.json(),
        json!({"Item": {"pk": {"S": "k"}, "v": {"N": "1"}}})
    );
    // A body that claims gzip but is not.
    let r = srv
        .raw("ListTables")
        .body("{}")
        .header("Content-Encoding", "gzip")
        .send();
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.json()["__type"],
        format!("{SERVICE}SerializationException")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_authorization() {
    let srv = Server::start();
    let missing = format!("{SERVICE}MissingAuthenticationTokenException");
    srv.raw("ListTables")
        .without("Authorization")
        .send()
        .assert_error(400, &missing, "Request is missing Authentication Token");
    srv.raw("ListTables")
        .header("Authorization", "")
        .send()
        .assert_error(400, &missing, "Request is missing Authentication Token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_authorization() {
    let srv = Server::start();
    let incomplete = format!("{SERVICE}IncompleteSignatureException");
    let with_auth = |auth: &str| srv.raw("ListTables").header("Authorization", auth).send();
    with_auth("Basic dXNlcjpwYXNz").assert_error(
        400,
        &incomplete,
        "Unsupported AWS 'algorithm': 'Basic'",
    );
    let no_sig = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, \
                  SignedHeaders=host;x-amz-date";
    with_auth(no_sig).assert_error(
        400,
        &incomplete,
        &format!("Authorization header requires 'Signature' parameter. Authorization={no_sig}"),
    );
    let short = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1, \
                 SignedHeaders=host;x-amz-date, Signature=abcd";
    with_auth(short).assert_error(
        400,
        &incomplete,
        "Credential must have exactly 5 slash-delimited elements, e.g. \
         keyid/date/region/service/term, got 'AKID/20240101/us-east-1'",
    );
    let s3 = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, \
              SignedHeaders=host;x-amz-date, Signature=abcd";
    with_auth(s3).assert_error(
        400,
        &incomplete,
        "Credential should be scoped to correct service: 'dynamodb'. ",
    );
    srv.raw("ListTables")
        .without("X-Amz-Date")
        .send()
        .assert_error(
            400,
            &incomplete,
            &format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' \
                 header. Authorization={}",
                crate::common::http::DUMMY_AUTH
            ),
        );
    let unsigned_host =
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, \
                         SignedHeaders=x-amz-date, Signature=abcd";
    with_auth(unsigned_host).assert_error(
        400,
        &format!("{SERVICE}InvalidSignatureException"),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
}

/// Content type, then target, then authentication, then the body: a request with
/// several problems gets the first one's error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_run_in_dynamodb_order() {
    let srv = Server::start();
    let r = srv
        .raw("Frobnicate")
        .header("Content-Type", "text/plain")
        .without("Authorization")
        .body("{bad")
        .send();
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["__type"],
        format!("{SERVICE}UnknownOperationException")
    );
    let r = srv
        .raw("Frobnicate")
        .without("Authorization")
        .body("{bad")
        .send();
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["__type"],
        format!("{SERVICE}UnknownOperationException")
    );
    let r = srv
        .raw("ListTables")
        .without("Authorization")
        .body("{bad")
        .send();
    assert_eq!(
        r.json()["__type"],
        format!("{SERVICE}MissingAuthenticationTokenException")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_bodies_are_dynamodbs() {
    let srv = Server::start();
    let r = srv.post("CreateTable", &create_body("ab"));
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"}"#
    );
    let r = srv.post("DescribeTable", &json!({"TableName": "nope"}));
    assert_eq!(
        r.text(),
        r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found: Table: nope not found"}"#
    );
    let r = srv.post(
        "GetItem",
        &json!({"TableName": "nope", "Key": {"pk": {"S": "a"}}}),
    );
    r.assert_error(
        400,
        &format!("{DDB}ResourceNotFoundException"),
        "Requested resource not found",
    );
    assert_eq!(srv.post("CreateTable", &create_body("tbl")).status, 200);
    srv.post("CreateTable", &create_body("tbl")).assert_error(
        400,
        &format!("{DDB}ResourceInUseException"),
        "Table already exists: tbl",
    );
    // ConditionalCheckFailed carries the item when asked.
    let put = json!({"TableName": "tbl", "Item": {"pk": {"S": "k"}, "v": {"N": "1.50"}}});
    assert_eq!(srv.post("PutItem", &put).status, 200);
    let r = srv.post(
        "PutItem",
        &json!({
            "TableName": "tbl",
            "Item": {"pk": {"S": "k"}},
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"
        }),
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({
            "__type": format!("{DDB}ConditionalCheckFailedException"),
            "message": "The conditional request failed",
            "Item": {"pk": {"S": "k"}, "v": {"N": "1.5"}}
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_validation_collects_every_violation() {
    let srv = Server::start();
    srv.post("DescribeTable", &json!({})).assert_error(
        400,
        VALIDATE,
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: \
         Member must not be null",
    );
    srv.post("PutItem", &json!({})).assert_error(
        400,
        VALIDATE,
        "2 validation errors detected: Value null at 'tableName' failed to satisfy constraint: \
         Member must not be null; Value null at 'item' failed to satisfy constraint: Member \
         must not be null",
    );
    assert_eq!(srv.post("CreateTable", &create_body("tbl")).status, 200);
    // A request that fails validation changes nothing.
    let r = srv.post(
        "PutItem",
        &json!({"TableName": "tbl", "Item": {"pk": {"S": "k"}}, "ReturnValues": "BOGUS"}),
    );
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["__type"], VALIDATE);
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "1 validation error detected: Value 'BOGUS' at 'returnValues' failed to satisfy \
             constraint: Member must satisfy enum value set: ["
        ),
        "{msg}"
    );
    let r = srv.post(
        "GetItem",
        &json!({"TableName": "tbl", "Key": {"pk": {"S": "k"}}, "ConsistentRead": true}),
    );
    assert_eq!(r.json(), json!({}));
}

/// `[http] idle_timeout_secs`: a connection that waits longer than that for its next
/// request's headers, or that stops in the middle of a request's body, is closed (the
/// body with an error first); one whose requests come more often stays open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_stalled_connections_are_closed() {
    use std::io::{ErrorKind, Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};
    let dir = temp_dir();
    let config = dir.path().join("shoal.toml");
    std::fs::write(&config, "[http]\nidle_timeout_secs = 1\n").unwrap();
    let srv = Launch::in_memory()
        .args(&["--config", config.to_str().unwrap()])
        .start();
    let connect = || {
        let c = TcpStream::connect(srv.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c
    };
    // Reads until the server closes the connection: how long that took, and what came.
    let until_closed = |c: &mut TcpStream| {
        let started = Instant::now();
        let (mut got, mut buf) = (Vec::new(), [0u8; 4096]);
        loop {
            match c.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
                Err(e) => panic!("still open after {:?}: {e}", started.elapsed()),
            }
        }
        (started.elapsed(), got)
    };

    let mut busy = connect();
    for i in 0..3 {
        http::health_check_on(&mut busy, &format!("request {i} on the same connection"));
        std::thread::sleep(Duration::from_millis(600));
    }
    let (took, rest) = until_closed(&mut busy);
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    assert!(
        took < Duration::from_secs(3),
        "idle connection closed after {took:?}"
    );

    let mut partial = connect();
    partial
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // Asked to close after one to two periods; a graceful close waits for the head, so
    // it is cut a period later.
    let (took, _) = until_closed(&mut partial);
    assert!(
        took < Duration::from_secs(5),
        "half-sent head closed after {took:?}"
    );

    let mut stalled = connect();
    let head = RawRequest::new(srv.addr)
        .target("ListTables")
        .header("Content-Length", "100")
        .head();
    stalled.write_all(&head).unwrap();
    stalled.write_all(b"{\"Limit\"").unwrap();
    let (took, got) = until_closed(&mut stalled);
    assert!(
        took < Duration::from_secs(4),
        "stalled body closed after {took:?}"
    );
    http::parse_response(&got).unwrap().assert_error(
        400,
        &format!("{SERVICE}SerializationException"),
        "Could not read request body: it did not arrive within 1 s",
    );
}

/// `[http] workers` (`--http-workers`, `SHOAL_HTTP_WORKERS`): the node runs that many
/// request workers, by default one fewer than the cores (at least one), as its listening
/// line reports; more than 1024 is refused before anything starts.
#[test]
fn request_workers_are_one_fewer_than_the_cores_unless_configured() {
    let workers = |srv: &Server| -> usize {
        let logs = srv.logs();
        let n = logs
            .split(" request worker")
            .next()
            .and_then(|before| before.rsplit('(').next())
            .and_then(|n| n.parse().ok());
        n.unwrap_or_else(|| panic!("no request worker count in:\n{logs}"))
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let srv = Launch::in_memory().start();
    assert_eq!(workers(&srv), cores.saturating_sub(1).max(1));
    drop(srv);
    let srv = Launch::in_memory().args(&["--http-workers", "3"]).start();
    assert_eq!(workers(&srv), 3);
    drop(srv);
    let srv = Launch::in_memory().env("SHOAL_HTTP_WORKERS", "2").start();
    assert_eq!(workers(&srv), 2);
    drop(srv);
    let (status, out) = Launch::in_memory()
        .args(&["--http-workers", "5000"])
        .run_to_exit(std::time::Duration::from_secs(30));
    assert!(!status.success(), "{out}");
    assert!(out.contains("http.workers must be at most 1024"), "{out}");
}
