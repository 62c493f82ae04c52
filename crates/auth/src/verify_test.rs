//! Verification against AWS's published SigV4 test suite (see
//! `tests/aws-sig-v4-test-suite/README.md`) and hand-built requests.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

use super::*;
use crate::authorization::parse_for_service;
use crate::date::parse_iso_basic;

const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct Case {
    name: &'static str,
    signed_request: &'static str,
    canonical_request: &'static str,
    string_to_sign: &'static str,
}

macro_rules! suite_file {
    ($name:literal, $file:literal) => {
        include_str!(concat!(
            "../tests/aws-sig-v4-test-suite/",
            $name,
            "/",
            $file
        ))
    };
}

macro_rules! cases {
    ($($name:literal),* $(,)?) => {
        [$(Case {
            name: $name,
            signed_request: suite_file!($name, "header-signed-request.txt"),
            canonical_request: suite_file!($name, "header-canonical-request.txt"),
            string_to_sign: suite_file!($name, "header-string-to-sign.txt"),
        }),*]
    };
}

fn suite() -> Vec<Case> {
    cases![
        "get-vanilla",
        "get-vanilla-query",
        "get-vanilla-empty-query-key",
        "get-vanilla-query-order-key-case",
        "get-vanilla-query-order-encoded",
        "get-vanilla-query-unreserved",
        "get-unreserved",
        "get-header-key-duplicate",
        "get-header-value-order",
        "get-header-value-trim",
        "get-relative-normalized",
        "get-relative-relative-normalized",
        "get-slash-dot-slash-normalized",
        "get-slash-normalized",
        "get-slash-pointless-dot-normalized",
        "get-slashes-normalized",
        "get-vanilla-with-session-token",
        "post-header-key-case",
        "post-header-key-sort",
        "post-header-value-case",
        "post-sts-header-after",
        "post-sts-header-before",
        "post-vanilla",
        "post-vanilla-empty-query-value",
        "post-vanilla-query",
        "post-x-www-form-urlencoded",
        "post-x-www-form-urlencoded-parameters",
        "double-url-encode",
    ]
    .into_iter()
    .collect()
}

struct Request {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Parses the suite's `METHOD URI HTTP/1.1 \n Name:value ... \n\n body` files the way an HTTP
/// server would hand them over (header values with surrounding whitespace stripped).
fn parse_request(text: &str) -> Request {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap().split_whitespace();
    let method: Method = request_line.next().unwrap().parse().unwrap();
    let uri: Uri = request_line.next().unwrap().parse().unwrap();
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value.trim_matches([' ', '\t'])).unwrap(),
        );
    }
    Request {
        method,
        uri,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn request_now(headers: &HeaderMap) -> SystemTime {
    let t = crate::date::request_time(headers).unwrap();
    UNIX_EPOCH + Duration::from_secs(u64::try_from(t.unix_timestamp()).unwrap())
}

fn suite_keys() -> KeyStore {
    let mut keys = KeyStore::new();
    keys.insert("AKIDEXAMPLE".into(), SUITE_SECRET.into());
    keys
}

#[test]
fn aws_test_suite_canonical_request_and_string_to_sign() {
    for case in suite() {
        let req = parse_request(case.signed_request);
        let auth = parse_for_service(&req.headers, "service")
            .or_else(|_| parse_for_service(&req.headers, "lambda"))
            .unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
        let payload = req
            .headers
            .get("x-amz-content-sha256")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_else(|| sha256_hex(&req.body));
        let creq = canonical_request(
            &req.method,
            &req.uri,
            &req.headers,
            &auth.signed_headers,
            &payload,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(creq.clone()).unwrap(),
            case.canonical_request,
            "{}",
            case.name
        );
        let amz_date = format_iso_basic(crate::date::request_time(&req.headers).unwrap());
        // NOTE: one suite file (double-url-encode) ends with a newline the format does not have.
        assert_eq!(
            string_to_sign(&amz_date, &auth.scope(), &creq),
            case.string_to_sign.trim_end_matches('\n'),
            "{}",
            case.name
        );
    }
}

#[test]
fn aws_test_suite_signatures_verify() {
    let keys = suite_keys();
    for case in suite() {
        let req = parse_request(case.signed_request);
        let auth = parse_for_service(&req.headers, "service")
            .or_else(|_| parse_for_service(&req.headers, "lambda"))
            .unwrap();
        let now = request_now(&req.headers);
        assert_eq!(
            verify_signature(
                &auth,
                &keys,
                &req.method,
                &req.uri,
                &req.headers,
                &req.body,
                now
            ),
            Ok(()),
            "{}",
            case.name
        );

        // The same request with one signature digit changed must fail: the test can fail.
        let mut forged = auth.clone();
        let last = if forged.signature.ends_with('0') {
            '1'
        } else {
            '0'
        };
        forged.signature.pop();
        forged.signature.push(last);
        assert_eq!(
            verify_signature(
                &forged,
                &keys,
                &req.method,
                &req.uri,
                &req.headers,
                &req.body,
                now
            ),
            Err(AuthError::mismatch()),
            "{}",
            case.name
        );

        // And so must a change of method.
        let other = if req.method == Method::GET {
            Method::POST
        } else {
            Method::GET
        };
        assert_eq!(
            verify_signature(&auth, &keys, &other, &req.uri, &req.headers, &req.body, now),
            Err(AuthError::mismatch()),
            "{}",
            case.name
        );
    }
}

#[test]
fn signing_key_matches_aws_documentation() {
    // "Deriving a signing key for Signature Version 4" example from the AWS General Reference.
    let key = signing_key(SUITE_SECRET, "20120215", "us-east-1", "iam").unwrap();
    assert_eq!(
        hex::encode(key),
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
    );
}

// --- Hand-built DynamoDB requests, signed by this crate's own signer ------------------------

const AKID: &str = "AKIDDYNAMO";
const SECRET: &str = "dynamo/secret+key";
const BODY: &[u8] = br#"{"TableName":"t"}"#;

/// Signs a DynamoDB-shaped request with the functions under test (consistency with a real
/// client is proved in `tests/sdk_signing.rs`).
fn signed(date: &str) -> (Authorization, HeaderMap) {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost:8000"));
    headers.insert("x-amz-date", HeaderValue::from_str(date).unwrap());
    headers.insert(
        "x-amz-target",
        HeaderValue::from_static("DynamoDB_20120810.GetItem"),
    );
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    let mut auth = Authorization {
        access_key: AKID.into(),
        date: date[..8].into(),
        region: "us-east-1".into(),
        service: "dynamodb".into(),
        signed_headers: ["content-type", "host", "x-amz-date", "x-amz-target"]
            .map(String::from)
            .to_vec(),
        signature: String::new(),
    };
    let uri: Uri = "/".parse().unwrap();
    let creq = canonical_request(
        &Method::POST,
        &uri,
        &headers,
        &auth.signed_headers,
        &sha256_hex(BODY),
    )
    .unwrap();
    let sts = string_to_sign(date, &auth.scope(), &creq);
    auth.signature = signature(SECRET, &auth.date, &auth.region, &auth.service, &sts).unwrap();
    (auth, headers)
}

fn keys() -> KeyStore {
    let mut k = KeyStore::new();
    k.insert(AKID.into(), SECRET.into());
    k
}

fn at(s: &str) -> SystemTime {
    UNIX_EPOCH
        + Duration::from_secs(u64::try_from(parse_iso_basic(s).unwrap().unix_timestamp()).unwrap())
}

fn run(auth: &Authorization, headers: &HeaderMap, body: &[u8], now: &str) -> Result<(), AuthError> {
    verify(
        auth,
        &keys(),
        &Method::POST,
        &"/".parse().unwrap(),
        headers,
        body,
        at(now),
    )
}

#[test]
fn own_signature_round_trips() {
    let (auth, headers) = signed("20240101T120000Z");
    assert_eq!(run(&auth, &headers, BODY, "20240101T120000Z"), Ok(()));
}

#[test]
fn scope_date_must_match_request_date() {
    let (mut auth, headers) = signed("20240101T120000Z");
    auth.date = "20231231".into();
    assert_eq!(
        run(&auth, &headers, BODY, "20240101T120000Z"),
        Err(AuthError::InvalidSignature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '20231231' != '20240101', from '20240101T120000Z'."
                .into()
        ))
    );
}

#[test]
fn date_header_is_used_when_x_amz_date_is_absent() {
    // Sign with the ISO form, then carry the time in an RFC 7231 `Date` header instead; the
    // string to sign still uses ISO-8601 basic, so the signature must hold if `date` is signed.
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost:8000"));
    headers.insert(
        "date",
        HeaderValue::from_static("Mon, 01 Jan 2024 12:00:00 GMT"),
    );
    let mut auth = Authorization {
        access_key: AKID.into(),
        date: "20240101".into(),
        region: "us-east-1".into(),
        service: "dynamodb".into(),
        signed_headers: vec!["date".into(), "host".into()],
        signature: String::new(),
    };
    let uri: Uri = "/".parse().unwrap();
    let creq = canonical_request(
        &Method::POST,
        &uri,
        &headers,
        &auth.signed_headers,
        &sha256_hex(BODY),
    )
    .unwrap();
    let sts = string_to_sign("20240101T120000Z", &auth.scope(), &creq);
    auth.signature = signature(SECRET, &auth.date, &auth.region, &auth.service, &sts).unwrap();
    assert_eq!(run(&auth, &headers, BODY, "20240101T120500Z"), Ok(()));
    assert!(run(&auth, &headers, BODY, "20240101T121501Z").is_err());
}

#[test]
fn content_sha256_header_must_match_the_body() {
    let (auth, mut headers) = signed("20240101T120000Z");
    // Unsigned header naming the right hash: the canonical request is unchanged, still valid.
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_str(&sha256_hex(BODY)).unwrap(),
    );
    assert_eq!(run(&auth, &headers, BODY, "20240101T120000Z"), Ok(()));
    // A claimed hash for some other body is refused even though it is what would be signed.
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_str(&sha256_hex(b"{}")).unwrap(),
    );
    assert_eq!(
        run(&auth, &headers, BODY, "20240101T120000Z"),
        Err(AuthError::mismatch())
    );
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    assert_eq!(
        run(&auth, &headers, BODY, "20240101T120000Z"),
        Err(AuthError::mismatch())
    );
}

#[test]
fn wrong_service_is_refused_by_verify_too() {
    let (mut auth, headers) = signed("20240101T120000Z");
    auth.service = "s3".into();
    assert_eq!(
        run(&auth, &headers, BODY, "20240101T120000Z"),
        Err(AuthError::IncompleteSignature(
            "Credential should be scoped to correct service: 'dynamodb'. ".into()
        ))
    );
}

#[test]
fn unsigned_host_is_refused_by_verify_too() {
    let (mut auth, headers) = signed("20240101T120000Z");
    auth.signed_headers.retain(|h| h != "host");
    assert!(matches!(
        run(&auth, &headers, BODY, "20240101T120000Z"),
        Err(AuthError::InvalidSignature(m)) if m.starts_with("'Host'")
    ));
}

#[test]
fn uppercase_or_short_signatures_do_not_verify() {
    let (mut auth, headers) = signed("20240101T120000Z");
    let good = auth.signature.clone();
    auth.signature = good.to_ascii_uppercase();
    assert_eq!(
        run(&auth, &headers, BODY, "20240101T120000Z"),
        Err(AuthError::mismatch())
    );
    auth.signature = good[..63].to_owned();
    assert_eq!(
        run(&auth, &headers, BODY, "20240101T120000Z"),
        Err(AuthError::mismatch())
    );
    auth.signature = String::new();
    assert_eq!(
        run(&auth, &headers, BODY, "20240101T120000Z"),
        Err(AuthError::mismatch())
    );
}

#[test]
fn checks_run_in_order_date_then_key_then_signature() {
    // Unknown key and stale date: the date is reported (no key lookup before it).
    let (mut auth, headers) = signed("20240101T120000Z");
    auth.access_key = "NOBODY".into();
    assert!(matches!(
        run(&auth, &headers, BODY, "20240101T130000Z"),
        Err(AuthError::InvalidSignature(m)) if m.starts_with("Signature expired")
    ));
    // Unknown key with a good date: unrecognized client, even though the body is wrong too.
    assert_eq!(
        run(&auth, &headers, b"other", "20240101T120000Z"),
        Err(AuthError::UnrecognizedClient(
            "The security token included in the request is invalid.".into()
        ))
    );
}
