//! The `aws-sdk-dynamodb` side of the harness: a client wired to a test server, error
//! helpers, and short constructors for attribute values, items and tables.
//!
//! The workspace builds the SDK without its default HTTPS client, so the SDK gets a tiny
//! HTTP/1.1 connector over tokio's `TcpStream` (one connection per request,
//! `Connection: close`); everything above the socket (signing, serialisation, error
//! parsing) is the real SDK.

use std::collections::HashMap;
use std::fmt::Debug;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Region, SharedHttpClient};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An SDK client for `url` with static credentials and retries disabled (errors surface
/// at once).
pub fn client(url: &str, key: &str, secret: &str) -> Client {
    let creds = aws_credential_types::Credentials::new(key, secret, None, None, "test");
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(creds)
        .http_client(tcp_http_client())
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

fn tcp_http_client() -> SharedHttpClient {
    http_client_fn(|_settings, _components| SharedHttpConnector::new(TcpConnector))
}

#[derive(Debug)]
struct TcpConnector;

impl HttpConnector for TcpConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::new(async move {
            send(request)
                .await
                .map_err(|e| ConnectorError::io(e.into()))
        })
    }
}

async fn send(request: HttpRequest) -> Result<HttpResponse, String> {
    let uri = request.uri().to_string();
    let rest = uri
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// endpoints: {uri}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let body = request
        .body()
        .bytes()
        .ok_or("streaming request bodies are not supported")?
        .to_vec();
    let mut head = format!("{} {path} HTTP/1.1\r\n", request.method());
    let mut has_host = false;
    let mut has_len = false;
    for (k, v) in request.headers().iter() {
        has_host |= k.eq_ignore_ascii_case("host");
        has_len |= k.eq_ignore_ascii_case("content-length");
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has_host {
        head.push_str(&format!("Host: {authority}\r\n"));
    }
    if !has_len {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("connect {authority}: {e}"))?;
    let mut out = head.into_bytes();
    out.extend_from_slice(&body);
    stream
        .write_all(&out)
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut buf = Vec::new();
    stream
        .read_to_end(&mut buf)
        .await
        .map_err(|e| format!("read: {e}"))?;
    let raw = super::http::parse_response(&buf)?;
    let status = StatusCode::try_from(raw.status).map_err(|e| format!("status: {e}"))?;
    let mut resp = HttpResponse::new(status, raw.body.into());
    for (k, v) in raw.headers {
        resp.headers_mut().append(k.to_ascii_lowercase(), v);
    }
    Ok(resp)
}

/// The error code and message of a service error; panics on any other failure.
pub fn service_error<E, R>(e: SdkError<E, R>) -> (String, String)
where
    E: ProvideErrorMetadata + Debug,
    R: Debug,
{
    match e {
        SdkError::ServiceError(se) => {
            let err = se.into_err();
            (
                err.code().unwrap_or_default().to_string(),
                err.message().unwrap_or_default().to_string(),
            )
        }
        other => panic!("expected a service error, got {other:?}"),
    }
}

/// Asserts that a call failed with this error code and exact message.
#[track_caller]
pub fn assert_err<T, E, R>(result: Result<T, SdkError<E, R>>, code: &str, message: &str)
where
    T: Debug,
    E: ProvideErrorMetadata + Debug,
    R: Debug,
{
    match result {
        Ok(v) => panic!("expected {code} ({message}), got success: {v:?}"),
        Err(e) => {
            let (c, m) = service_error(e);
            assert_eq!((c.as_str(), m.as_str()), (code, message));
        }
    }
}

/// Asserts a ValidationException with this exact message.
#[track_caller]
pub fn assert_validation<T, E, R>(result: Result<T, SdkError<E, R>>, message: &str)
where
    T: Debug,
    E: ProvideErrorMetadata + Debug,
    R: Debug,
{
    assert_err(result, "ValidationException", message);
}

/// `S`.
pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// `N`.
pub fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// An item from pairs.
pub fn item<const K: usize>(pairs: [(&str, AttributeValue); K]) -> HashMap<String, AttributeValue> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A key element.
pub fn key_elem(name: &str, kt: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kt)
        .build()
        .expect("key schema element")
}

/// An attribute definition.
pub fn attr_def(name: &str, t: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(t)
        .build()
        .expect("attribute definition")
}

/// Creates an on-demand table keyed by `pk` (S) only.
pub async fn create_hash_table(c: &Client, name: &str) {
    create_table(c, name, ("pk", ScalarAttributeType::S), None).await;
}

/// Creates an on-demand table keyed by `pk` (S) and `sk` (S).
pub async fn create_hash_range_table(c: &Client, name: &str) {
    create_table(
        c,
        name,
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::S)),
    )
    .await;
}

/// Creates an on-demand table with the given key attributes.
pub async fn create_table(
    c: &Client,
    name: &str,
    hash: (&str, ScalarAttributeType),
    range: Option<(&str, ScalarAttributeType)>,
) {
    let mut req = c
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_elem(hash.0, KeyType::Hash))
        .attribute_definitions(attr_def(hash.0, hash.1));
    if let Some((rn, rt)) = range {
        req = req
            .key_schema(key_elem(rn, KeyType::Range))
            .attribute_definitions(attr_def(rn, rt));
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("create table {name}: {e:?}"));
}

/// GetItem (strongly consistent) by `pk` on a hash-only table.
pub async fn get_pk(c: &Client, table: &str, pk: &str) -> Option<HashMap<String, AttributeValue>> {
    c.get_item()
        .table_name(table)
        .key("pk", s(pk))
        .consistent_read(true)
        .send()
        .await
        .expect("get item")
        .item
}

/// The ARN shoal gives a table.
/// DescribeTable's `Table`.
pub async fn describe(c: &Client, name: &str) -> aws_sdk_dynamodb::types::TableDescription {
    c.describe_table()
        .table_name(name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
}

pub fn table_arn(name: &str) -> String {
    format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}")
}
