//! Every refusal `parse_request_auth` can produce, with its exact message, and the same from
//! `check_request_auth`.

use http::{HeaderMap, HeaderValue};

use super::*;

const GOOD: &str = "AWS4-HMAC-SHA256 \
    Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request, \
    SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
    Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn headers(auth: Option<&str>, amz_date: Option<&str>, date: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("localhost:8000"));
    if let Some(a) = auth {
        h.insert("authorization", HeaderValue::from_str(a).unwrap());
    }
    if let Some(d) = amz_date {
        h.insert("x-amz-date", HeaderValue::from_str(d).unwrap());
    }
    if let Some(d) = date {
        h.insert("date", HeaderValue::from_str(d).unwrap());
    }
    h
}

/// [`parse_request_auth`], checking that [`check_request_auth`] (the path of a server that
/// does not verify signatures) answers the same.
fn parsed(h: &HeaderMap) -> Result<Authorization, AuthError> {
    let full = parse_request_auth(h);
    assert_eq!(check_request_auth(h), full.clone().map(|_| ()), "{h:?}");
    full
}

fn parse(auth: &str) -> Result<Authorization, AuthError> {
    parsed(&headers(Some(auth), Some("20240101T000000Z"), None))
}

fn with_credential(credential: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=x")
}

fn incomplete(msg: &str) -> Result<Authorization, AuthError> {
    Err(AuthError::IncompleteSignature(msg.to_owned()))
}

#[test]
fn parses_a_well_formed_header() {
    let auth = parse(GOOD).unwrap();
    assert_eq!(
        auth,
        Authorization {
            access_key: "AKIDEXAMPLE".into(),
            date: "20240101".into(),
            region: "us-east-1".into(),
            service: "dynamodb".into(),
            signed_headers: vec![
                "content-type".into(),
                "host".into(),
                "x-amz-date".into(),
                "x-amz-target".into()
            ],
            signature: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
        }
    );
    assert_eq!(auth.scope(), "20240101/us-east-1/dynamodb/aws4_request");
}

#[test]
fn tolerates_spacing_order_and_case_of_signed_headers() {
    let auth = parse(
        "AWS4-HMAC-SHA256   Signature=abc,SignedHeaders=Host;X-Amz-Date,,\
         Credential=K/20240101/eu-west-3/dynamodb/aws4_request",
    )
    .unwrap();
    assert_eq!(auth.access_key, "K");
    assert_eq!(auth.region, "eu-west-3");
    assert_eq!(
        auth.signed_headers,
        vec!["host".to_owned(), "x-amz-date".to_owned()]
    );
    assert_eq!(auth.signature, "abc");
}

#[test]
fn missing_header_is_missing_token() {
    let err = parsed(&headers(None, Some("20240101T000000Z"), None));
    assert_eq!(
        err,
        Err(AuthError::MissingAuthenticationToken(
            "Request is missing Authentication Token".into()
        ))
    );
    assert_eq!(
        err.unwrap_err().type_name(),
        "MissingAuthenticationTokenException"
    );
    assert_eq!(
        parsed(&headers(Some(""), Some("20240101T000000Z"), None)),
        Err(AuthError::MissingAuthenticationToken(
            "Request is missing Authentication Token".into()
        ))
    );
}

#[test]
fn missing_every_part() {
    assert_eq!(
        parsed(&headers(Some("AWS4-HMAC-SHA256"), None, None)),
        incomplete(
            "Authorization header requires 'Credential' parameter. Authorization header \
             requires 'Signature' parameter. Authorization header requires 'SignedHeaders' \
             parameter. Authorization header requires existence of either a 'X-Amz-Date' or a \
             'Date' header. Authorization=AWS4-HMAC-SHA256"
        )
    );
}

#[test]
fn missing_some_parts_names_only_those() {
    let auth = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, \
                SignedHeaders=host";
    assert_eq!(
        parse(auth),
        incomplete(&format!(
            "Authorization header requires 'Signature' parameter. Authorization={auth}"
        ))
    );
    let auth = "AWS4-HMAC-SHA256 Signature=abc, Credential=, SignedHeaders";
    assert_eq!(
        parse(auth),
        incomplete(&format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires \
             'SignedHeaders' parameter. Authorization={auth}"
        ))
    );
}

#[test]
fn missing_date_header_alone() {
    assert_eq!(
        parsed(&headers(Some(GOOD), None, None)),
        incomplete(&format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' \
             header. Authorization={GOOD}"
        ))
    );
}

#[test]
fn date_header_can_stand_in_for_x_amz_date() {
    let h = headers(Some(GOOD), None, Some("Mon, 01 Jan 2024 00:00:00 GMT"));
    assert!(parsed(&h).is_ok());
}

#[test]
fn malformed_dates() {
    assert_eq!(
        parsed(&headers(Some(GOOD), Some("2024-01-01T00:00:00Z"), None)),
        incomplete(
            "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. See \
             http://en.wikipedia.org/wiki/ISO_8601"
        )
    );
    // X-Amz-Date wins over Date, so a bad X-Amz-Date is refused even beside a good Date.
    assert_eq!(
        parsed(&headers(
            Some(GOOD),
            Some("yesterday"),
            Some("Mon, 01 Jan 2024 00:00:00 GMT")
        )),
        incomplete(
            "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See \
             http://en.wikipedia.org/wiki/ISO_8601"
        )
    );
    assert_eq!(
        parsed(&headers(Some(GOOD), None, Some("Mon, 01 Jan 2024"))),
        incomplete(
            "Date must be in ISO-8601 'basic format'. Got 'Mon, 01 Jan 2024'. See \
             http://en.wikipedia.org/wiki/ISO_8601"
        )
    );
}

#[test]
fn unsupported_algorithm() {
    assert_eq!(
        parse("AWS4-HMAC-SHA512 Credential=a/b/c/d/e, SignedHeaders=host, Signature=x"),
        incomplete("Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'")
    );
    assert_eq!(
        parse("Bearer abc"),
        incomplete("Unsupported AWS 'algorithm': 'Bearer'")
    );
    assert_eq!(parse(",,"), incomplete("Unsupported AWS 'algorithm': ''"));
}

#[test]
fn credential_with_wrong_element_count() {
    assert_eq!(
        parse(
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1, SignedHeaders=host, Signature=x"
        ),
        incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. \
             keyid/date/region/service/term, got 'AKID/20240101/us-east-1'"
        )
    );
    assert_eq!(
        parse(
            "AWS4-HMAC-SHA256 Credential=A/B/20240101/us-east-1/dynamodb/aws4_request, \
             SignedHeaders=host, Signature=x"
        ),
        incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. \
             keyid/date/region/service/term, got 'A/B/20240101/us-east-1/dynamodb/aws4_request'"
        )
    );
}

#[test]
fn credential_scope_problems() {
    assert_eq!(
        parse(&with_credential("AKID/20240101//dynamodb/aws4_request")),
        incomplete("Credential should be scoped to a valid region. ")
    );
    assert_eq!(
        parse(&with_credential("AKID/20240101/us-east-1/dynamodb/xyz")),
        incomplete(
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'xyz'. "
        )
    );
    assert_eq!(
        parse(&with_credential("AKID/20240101/us-east-1/s3/aws4_request")),
        incomplete("Credential should be scoped to correct service: 'dynamodb'. ")
    );
    assert_eq!(
        parse(&with_credential("AKID/20240101//s3/aws4")),
        incomplete(
            "Credential should be scoped to a valid region. Credential should be scoped to \
             correct service: 'dynamodb'. Credential should be scoped with a valid terminator: \
             'aws4_request', not 'aws4'. "
        )
    );
}

#[test]
fn host_must_be_signed() {
    let err = parse(
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, \
         SignedHeaders=content-type;x-amz-date, Signature=x",
    )
    .unwrap_err();
    assert_eq!(
        err,
        AuthError::InvalidSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into()
        )
    );
}

#[test]
fn non_utf8_header_does_not_panic() {
    let mut h = headers(None, Some("20240101T000000Z"), None);
    h.insert(
        "authorization",
        HeaderValue::from_bytes(b"AWS4-HMAC-SHA256 Credential=\xff\xfe").unwrap(),
    );
    let err = parsed(&h).unwrap_err();
    assert!(matches!(err, AuthError::IncompleteSignature(_)), "{err:?}");
    let mut h = headers(Some(GOOD), None, None);
    h.insert("x-amz-date", HeaderValue::from_bytes(b"\xff\xff").unwrap());
    assert!(matches!(parsed(&h), Err(AuthError::IncompleteSignature(_))));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic fuzz: every byte value in every position of a short header.
    let base = GOOD.as_bytes();
    for pos in (0..base.len()).step_by(7) {
        for byte in [0x09u8, b' ', b',', b'=', b'/', b';', 0x7f, 0x80, 0xff] {
            let mut v = base.to_vec();
            v[pos] = byte;
            if let Ok(value) = HeaderValue::from_bytes(&v) {
                let mut h = headers(None, Some("20240101T000000Z"), None);
                h.insert("authorization", value);
                let _ = parsed(&h);
            }
            v.truncate(pos);
            if let Ok(value) = HeaderValue::from_bytes(&v) {
                let mut h = headers(None, Some("20240101T000000Z"), None);
                h.insert("authorization", value);
                let _ = parsed(&h);
            }
        }
    }
}

#[test]
fn tokens_split_as_dynamodb_does() {
    // The byte scan must cut exactly where splitting the text on ',', ' ' and '\t' and
    // dropping empty pieces does, around non-ASCII text too.
    let cases = [
        GOOD,
        "",
        " ",
        ",\t, ",
        "a",
        " a",
        "a ",
        "a,,b\t\tc  d",
        ",lead and trail,",
        "é,ü ß\tΩ=ω",
        "AWS4-HMAC-SHA256\tCredential=é/x,Signature=",
    ];
    for case in cases {
        let expected: Vec<&str> = case
            .split([',', ' ', '\t'])
            .filter(|t| !t.is_empty())
            .collect();
        assert_eq!(tokens(case).collect::<Vec<_>>(), expected, "{case:?}");
    }
}

#[test]
fn byte_splits_match_str_split() {
    let cases = [
        "",
        "/",
        "a",
        "a/",
        "/a",
        "a//b",
        "AKID/20240101/us-east-1/dynamodb/aws4_request",
        "é/ü/",
        "k=v=w",
    ];
    for case in cases {
        for sep in [b'/', b';', b'='] {
            let expected: Vec<&str> = case.split(char::from(sep)).collect();
            assert_eq!(
                split_at_byte(case, sep).collect::<Vec<_>>(),
                expected,
                "{case:?} {sep}"
            );
        }
    }
}
