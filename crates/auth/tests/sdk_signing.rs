//! Requests signed by the real `aws-sigv4` crate (what the Rust SDK uses) must verify, and every
//! single tampering must be refused with DynamoDB's exact error.

// Test helpers outside `#[test]` fns are not covered by clippy's allow-unwrap-in-tests.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
};
use aws_sigv4::sign::v4::SigningParams;
use aws_smithy_runtime_api::client::identity::Identity;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use shoal_auth::{parse_request_auth, verify, AuthError, Authorization, KeyStore};

const AKID: &str = "AKIDSHOALTEST";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] = br#"{"TableName":"Music","Key":{"Artist":{"S":"No One You Know"}}}"#;
/// 2024-01-01T12:00:00Z
const T0: u64 = 1_704_110_400;

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0)
}

struct Signed {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Vec<u8>,
}

struct Spec<'a> {
    uri: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
    region: &'a str,
    session_token: Option<&'a str>,
    settings: SigningSettings,
    time: SystemTime,
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Spec {
            uri: "http://localhost:8000/",
            headers: vec![
                ("host", "localhost:8000"),
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", "DynamoDB_20120810.GetItem"),
                ("user-agent", "aws-sdk-rust/1.0 os/linux"),
            ],
            body: BODY,
            region: "us-east-1",
            session_token: None,
            settings: SigningSettings::default(),
            time: t0(),
        }
    }
}

/// Signs like the DynamoDB client does (service `dynamodb`, default settings unless changed)
/// and returns the request as the server would see it.
fn sign_request(spec: Spec<'_>) -> Signed {
    let identity: Identity = Credentials::new(
        AKID,
        SECRET,
        spec.session_token.map(str::to_owned),
        None,
        "test",
    )
    .into();
    let params = SigningParams::builder()
        .identity(&identity)
        .region(spec.region)
        .name("dynamodb")
        .time(spec.time)
        .settings(spec.settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "POST",
        spec.uri,
        spec.headers.iter().copied(),
        SignableBody::Bytes(spec.body),
    )
    .unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();

    let uri: Uri = spec.uri.parse().unwrap();
    let mut headers = HeaderMap::new();
    for (name, value) in &spec.headers {
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    for (name, value) in instructions.headers() {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    // What the server sees: an origin-form path, not the absolute URI the client dialled.
    let path_and_query: Uri = uri.path_and_query().unwrap().as_str().parse().unwrap();
    Signed {
        method: Method::POST,
        uri: path_and_query,
        headers,
        body: spec.body.to_vec(),
    }
}

fn keys() -> KeyStore {
    let mut k = KeyStore::new();
    k.insert(AKID.into(), SECRET.into());
    k.insert("OTHERKEY".into(), "other-secret".into());
    k
}

fn check_with(req: &Signed, keys: &KeyStore, now: SystemTime) -> Result<(), AuthError> {
    let auth = parse_request_auth(&req.headers)?;
    verify(
        &auth,
        keys,
        &req.method,
        &req.uri,
        &req.headers,
        &req.body,
        now,
    )
}

fn check(req: &Signed) -> Result<(), AuthError> {
    check_with(req, &keys(), t0())
}

fn mismatch() -> Result<(), AuthError> {
    Err(AuthError::InvalidSignature(
        "The request signature we calculated does not match the signature you provided. Check \
         your AWS Secret Access Key and signing method. Consult the service documentation for \
         details."
            .into(),
    ))
}

#[test]
fn sdk_signed_dynamodb_request_verifies() {
    let req = sign_request(Spec::default());
    let auth = parse_request_auth(&req.headers).unwrap();
    assert_eq!(
        auth,
        Authorization {
            access_key: AKID.into(),
            date: "20240101".into(),
            region: "us-east-1".into(),
            service: "dynamodb".into(),
            // user-agent is excluded by the SDK's default settings.
            signed_headers: ["content-type", "host", "x-amz-date", "x-amz-target"]
                .map(String::from)
                .to_vec(),
            signature: auth.signature.clone(),
        }
    );
    assert_eq!(auth.signature.len(), 64);
    assert_eq!(check(&req), Ok(()));
}

#[test]
fn unsigned_headers_may_change() {
    let mut req = sign_request(Spec::default());
    req.headers
        .insert("user-agent", HeaderValue::from_static("curl/8"));
    req.headers
        .insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
    assert_eq!(check(&req), Ok(()));
}

#[test]
fn body_changed_is_refused() {
    let mut req = sign_request(Spec::default());
    req.body = br#"{"TableName":"Music","Key":{"Artist":{"S":"Someone Else"}}}"#.to_vec();
    assert_eq!(check(&req), mismatch());
    req.body.clear();
    assert_eq!(check(&req), mismatch());
}

#[test]
fn signed_header_changed_is_refused() {
    let mut req = sign_request(Spec::default());
    req.headers.insert(
        "x-amz-target",
        HeaderValue::from_static("DynamoDB_20120810.DeleteItem"),
    );
    assert_eq!(check(&req), mismatch());

    let mut req = sign_request(Spec::default());
    req.headers
        .insert("host", HeaderValue::from_static("evil.example:8000"));
    assert_eq!(check(&req), mismatch());

    // A second value for a signed header changes its canonical form too.
    let mut req = sign_request(Spec::default());
    req.headers
        .append("content-type", HeaderValue::from_static("text/plain"));
    assert_eq!(check(&req), mismatch());
}

#[test]
fn signed_header_missing_is_refused() {
    let mut req = sign_request(Spec::default());
    req.headers.remove("x-amz-target");
    assert_eq!(check(&req), mismatch());
    let mut req = sign_request(Spec::default());
    req.headers.remove("content-type");
    assert_eq!(check(&req), mismatch());
}

#[test]
fn wrong_secret_is_refused() {
    let req = sign_request(Spec::default());
    let mut keys = KeyStore::new();
    keys.insert(AKID.into(), "not-the-secret".into());
    assert_eq!(check_with(&req, &keys, t0()), mismatch());
}

#[test]
fn unknown_key_is_refused() {
    let req = sign_request(Spec::default());
    let mut keys = KeyStore::new();
    keys.insert("SOMEONEELSE".into(), SECRET.into());
    let err = check_with(&req, &keys, t0()).unwrap_err();
    assert_eq!(
        err,
        AuthError::UnrecognizedClient(
            "The security token included in the request is invalid.".into()
        )
    );
    assert_eq!(err.type_name(), "UnrecognizedClientException");
    assert_eq!(check_with(&req, &KeyStore::new(), t0()), Err(err));
}

#[test]
fn clock_skew_beyond_15_minutes_is_refused() {
    let req = sign_request(Spec::default());
    // Within the window either way: fine.
    assert_eq!(
        check_with(&req, &keys(), t0() + Duration::from_secs(14 * 60)),
        Ok(())
    );
    assert_eq!(
        check_with(&req, &keys(), t0() - Duration::from_secs(14 * 60)),
        Ok(())
    );
    // Server clock 16 minutes ahead: the request is too old.
    assert_eq!(
        check_with(&req, &keys(), t0() + Duration::from_secs(16 * 60)),
        Err(AuthError::InvalidSignature(
            "Signature expired: 20240101T120000Z is now earlier than 20240101T120100Z \
             (20240101T121600Z - 15 min.)"
                .into()
        ))
    );
    // Server clock 16 minutes behind: the request is from the future.
    assert_eq!(
        check_with(&req, &keys(), t0() - Duration::from_secs(16 * 60)),
        Err(AuthError::InvalidSignature(
            "Signature not yet current: 20240101T120000Z is still later than 20240101T115900Z \
             (20240101T114400Z + 15 min.)"
                .into()
        ))
    );
}

#[test]
fn client_clock_skewed_is_refused_too() {
    let req = sign_request(Spec {
        time: t0() - Duration::from_secs(16 * 60),
        ..Spec::default()
    });
    assert!(matches!(
        check(&req),
        Err(AuthError::InvalidSignature(m)) if m.starts_with("Signature expired: 20240101T114400Z")
    ));
    let req = sign_request(Spec {
        time: t0() + Duration::from_secs(16 * 60),
        ..Spec::default()
    });
    assert!(matches!(
        check(&req),
        Err(AuthError::InvalidSignature(m))
            if m.starts_with("Signature not yet current: 20240101T121600Z")
    ));
}

#[test]
fn altered_signature_is_refused() {
    let req = sign_request(Spec::default());
    let auth_value = req
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let sig_start = auth_value.find("Signature=").unwrap() + "Signature=".len();
    for pos in [sig_start, sig_start + 31, auth_value.len() - 1] {
        let mut bytes = auth_value.clone().into_bytes();
        bytes[pos] = if bytes[pos] == b'a' { b'b' } else { b'a' };
        let mut tampered = sign_request(Spec::default());
        tampered
            .headers
            .insert("authorization", HeaderValue::from_bytes(&bytes).unwrap());
        assert_eq!(check(&tampered), mismatch(), "position {pos}");
    }
}

#[test]
fn x_amz_date_changed_is_refused() {
    // Moving the date by a second keeps it in the window but breaks the signature.
    let mut req = sign_request(Spec::default());
    req.headers
        .insert("x-amz-date", HeaderValue::from_static("20240101T120001Z"));
    assert_eq!(check(&req), mismatch());
    // Moving it to another day breaks the scope first.
    let mut req = sign_request(Spec::default());
    req.headers
        .insert("x-amz-date", HeaderValue::from_static("20240102T000000Z"));
    assert_eq!(
        check_with(
            &req,
            &keys(),
            UNIX_EPOCH + Duration::from_secs(T0 + 12 * 3600)
        ),
        Err(AuthError::InvalidSignature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '20240101' != '20240102', from '20240102T000000Z'."
                .into()
        ))
    );
}

#[test]
fn other_regions_and_hosts_verify() {
    let req = sign_request(Spec {
        uri: "https://dynamodb.eu-central-1.amazonaws.com/",
        headers: vec![
            ("host", "dynamodb.eu-central-1.amazonaws.com"),
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.ListTables"),
        ],
        body: b"{}",
        region: "eu-central-1",
        ..Spec::default()
    });
    assert_eq!(
        parse_request_auth(&req.headers).unwrap().region,
        "eu-central-1"
    );
    assert_eq!(check(&req), Ok(()));
}

#[test]
fn host_from_uri_authority_when_no_host_header() {
    // The SDK derives `host` from the URI when the caller sets none; with HTTP/2 the server
    // sees it only as the URI authority.
    let mut req = sign_request(Spec {
        headers: vec![
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.GetItem"),
        ],
        ..Spec::default()
    });
    assert_eq!(req.headers.get("host"), None);
    req.uri = "http://localhost:8000/".parse().unwrap();
    assert_eq!(check(&req), Ok(()));
    req.uri = "http://localhost:9000/".parse().unwrap();
    assert_eq!(check(&req), mismatch());
}

#[test]
fn session_token_is_signed_and_accepted() {
    let req = sign_request(Spec {
        session_token: Some("FQoGZXIvYXdzEXAMPLE=="),
        ..Spec::default()
    });
    let auth = parse_request_auth(&req.headers).unwrap();
    assert!(auth
        .signed_headers
        .contains(&"x-amz-security-token".to_owned()));
    assert_eq!(check(&req), Ok(()));
    let mut req = req;
    req.headers
        .insert("x-amz-security-token", HeaderValue::from_static("FORGED"));
    assert_eq!(check(&req), mismatch());
}

#[test]
fn content_sha256_header_signed_by_client() {
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let req = sign_request(Spec {
        settings,
        ..Spec::default()
    });
    assert!(req.headers.contains_key("x-amz-content-sha256"));
    assert_eq!(check(&req), Ok(()));
    let mut changed = req;
    changed.body = b"{}".to_vec();
    assert_eq!(check(&changed), mismatch());
}

#[test]
fn compressed_body_is_verified_as_received() {
    // Any bytes: the signature covers the body as sent (e.g. gzip), not a decoded form.
    let gzipish: &[u8] = &[
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xab, 0xae, 0x05, 0x00,
    ];
    let req = sign_request(Spec {
        headers: vec![
            ("host", "localhost:8000"),
            ("content-type", "application/x-amz-json-1.0"),
            ("content-encoding", "gzip"),
            ("x-amz-target", "DynamoDB_20120810.GetItem"),
        ],
        body: gzipish,
        ..Spec::default()
    });
    assert_eq!(check(&req), Ok(()));
}

#[test]
fn paths_and_queries_match_the_sdk_encoding() {
    for uri in [
        "http://localhost:8000/some/path",
        "http://localhost:8000/a%20b/c%3Ad",
        "http://localhost:8000/x/./y/../z",
        "http://localhost:8000/?b=2&a=1&a=0&c=%2F%20+&empty=&flag",
        "http://localhost:8000/p~._-/?x=%E1%88%B4",
    ] {
        let req = sign_request(Spec {
            uri,
            ..Spec::default()
        });
        assert_eq!(check(&req), Ok(()), "{uri}");
    }
    // And the path is covered by the signature.
    let mut req = sign_request(Spec {
        uri: "http://localhost:8000/a",
        ..Spec::default()
    });
    req.uri = "/b".parse().unwrap();
    assert_eq!(check(&req), mismatch());
    let mut req = sign_request(Spec {
        uri: "http://localhost:8000/?a=1",
        ..Spec::default()
    });
    req.uri = "/?a=2".parse().unwrap();
    assert_eq!(check(&req), mismatch());
}

#[test]
fn method_is_covered() {
    let mut req = sign_request(Spec::default());
    req.method = Method::PUT;
    assert_eq!(check(&req), mismatch());
}

#[test]
fn header_whitespace_is_canonicalized_like_the_sdk() {
    let req = sign_request(Spec {
        headers: vec![
            ("host", "localhost:8000"),
            ("content-type", "  application/x-amz-json-1.0  "),
            ("x-amz-target", "DynamoDB_20120810.GetItem"),
            ("x-custom", "a    b  c"),
            ("x-multi", "one"),
            ("x-multi", "two"),
        ],
        ..Spec::default()
    });
    assert_eq!(check(&req), Ok(()));
}
