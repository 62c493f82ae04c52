//! DynamoDB's wire protocol: JSON 1.0 over HTTP, `X-Amz-Target` dispatch, SigV4, the
//! `x-amz-crc32` and `x-amzn-RequestId` headers, and DynamoDB's error bodies.
//!
//! Checks run in the order DynamoDB runs them, so a request with several problems gets
//! the error DynamoDB would give: body size, content type, target, authentication, body
//! decoding (gzip, JSON), then the operation's own validation. A PutItem body, and the
//! body of a GetItem, UpdateItem or DeleteItem, is parsed the fast way first
//! ([`direct`]), which declines whatever it would answer differently.
//!
//! Connections are served by [`serve_http`]: `POST /` goes straight to `handle`, the
//! GET routes through the [`router`]; a connection idle for `[http] idle_timeout_secs`
//! is closed ([`idle`]), and a stopping server closes what is still open after
//! [`SHUTDOWN_GRACE`].
//!
//! Every `POST /` is counted and timed once, in `handle`, by operation and outcome
//! ([`crate::metrics`]). Two GET routes sit beside the API: `/metrics` (Prometheus text,
//! unauthenticated like the health check, since scrapers do not sign) and
//! `/admin/tables/{name}/partitions` ([`crate::admin`], signed under `--auth enforce`).

mod direct;
pub mod error;
mod idle;
pub mod input;

use std::convert::Infallible;
use std::future::Future;
use std::io::Read;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri};
use axum::routing::{any, get};
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
use tower::ServiceExt;

use crate::node::{AuthMode, Node};
use error::ApiError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Every response shoal builds: one buffer, never boxed (axum boxes it on the router's
/// routes).
type Reply = Response<Full<Bytes>>;

/// How long a stopping server waits for open connections to finish their request.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);
/// Largest request body DynamoDB accepts.
pub const MAX_BODY: usize = 16 * 1024 * 1024;
const JSON_10: &str = "application/x-amz-json-1.0";
const TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// Serves HTTP/1.1 on `listener` until `shutdown` resolves, then stops accepting and
/// waits for every open connection to finish the request it is serving: idle keep-alive
/// connections close at once, and whatever is still open after [`SHUTDOWN_GRACE`] (a
/// client that stopped halfway through a request) is closed then, so that a stopping
/// server never waits on a client.
///
/// Each connection is a bare hyper HTTP/1.1 connection, and `POST /` (the whole
/// DynamoDB API) goes straight to [`handle`]; only the other paths go through the
/// [`router`]. axum's own `serve` wraps every connection for protocol detection and
/// upgrades, and routes every request: per request, on two cores shared with the
/// clients, that showed in profiles.
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    node: Arc<Node>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let routes = router(Arc::clone(&node));
    let idle_timeout = node.config.idle_timeout;
    // Stopping: every connection is asked to close gracefully (at once if idle, after
    // its response if a request is in progress).
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, or a connection reset before it was accepted:
                // back off briefly rather than spin, and keep serving.
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let node = Arc::clone(&node);
        let routes = routes.clone();
        let activity = Arc::new(idle::Activity::default());
        let requests = Arc::clone(&activity);
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let node = Arc::clone(&node);
            let routes = routes.clone();
            let busy = requests.busy();
            async move {
                let _busy = busy;
                if request.uri().path() == "/" {
                    Ok::<_, Infallible>(handle(State(node), request).await.map(Either::Left))
                } else {
                    let response = routes.oneshot(request.map(Body::new)).await?;
                    Ok(response.map(Either::Right))
                }
            }
        });
        let stream = idle::Watched::new(stream, Arc::clone(&activity));
        let connection = hyper::server::conn::http1::Builder::new()
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let mut stop = stop_rx.clone();
        let own = Arc::clone(&activity);
        let served = connections.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => Some(ended),
                _ = stop.changed() => None,
                () = own.close_asked() => None,
            };
            let ended = match ended {
                Some(ended) => ended,
                None => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = ended {
                tracing::trace!(error = %e, "connection ended");
            }
            own.end();
        });
        if let Some(timeout) = idle_timeout {
            connections.spawn(idle::watch(activity, timeout, served));
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Connections end, and their watches with them; what is still open after the grace
    // (a half-sent request head never completes) is cut.
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drained).await.is_err() {
        tracing::info!(
            open = connections.len(),
            "closing the connections still open {SHUTDOWN_GRACE:?} after the stop signal"
        );
    }
    connections.shutdown().await;
}

/// The node's HTTP routes.
pub fn router(node: Arc<Node>) -> Router {
    Router::new()
        .route("/", any(handle::<Body>))
        .route("/metrics", get(metrics).fallback(not_found))
        .route(
            "/admin/tables/{name}/partitions",
            get(admin_partitions).fallback(not_found),
        )
        .fallback(not_found)
        .with_state(node)
}

async fn not_found(State(node): State<Arc<Node>>, method: Method) -> Reply {
    if method == Method::GET {
        return health(&node);
    }
    error_response(&ApiError::UnknownOperation {
        message: "Unknown operation".into(),
        status: 404,
    })
}

fn health(node: &Node) -> Reply {
    let body = format!("healthy: dynamodb.{}.amazonaws.com ", node.catalog.region);
    finish(StatusCode::OK, "text/plain", body.into_bytes())
}

async fn metrics(State(node): State<Arc<Node>>) -> Reply {
    let body = crate::metrics::render(&node);
    finish(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        body.into_bytes(),
    )
}

async fn admin_partitions(
    State(node): State<Arc<Node>>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Reply {
    if node.config.auth == AuthMode::Enforce {
        let verified = shoal_auth::parse_request_auth(&headers).and_then(|auth| {
            shoal_auth::verify(
                &auth,
                &node.config.keys,
                &method,
                &uri,
                &headers,
                b"",
                std::time::SystemTime::now(),
            )
        });
        if let Err(e) = verified {
            return error_response(&ApiError::from(e));
        }
    }
    match crate::admin::describe_partitions(&node, &name) {
        Ok(report) => match serde_json::to_vec(&report) {
            Ok(body) => finish(StatusCode::OK, "application/json", body),
            Err(e) => error_response(&ApiError::internal(e)),
        },
        // A missing resource is a 404 on a REST-style route (the API's own is a 400).
        Err(e @ ApiError::ResourceNotFound(_)) => finish(StatusCode::NOT_FOUND, JSON_10, e.body()),
        Err(e) => error_response(&e),
    }
}

async fn handle<B>(State(node): State<Arc<Node>>, request: Request<B>) -> Reply
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    // The whole request, not its parts as extractors: those clone the header map.
    let (parts, body) = request.into_parts();
    if parts.method == Method::GET {
        return health(&node);
    }
    let started = Instant::now();
    let mut operation = None;
    let result = serve(
        &node,
        &parts.method,
        &parts.uri,
        &parts.headers,
        body,
        &mut operation,
    )
    .await;
    let outcome = result.as_ref().map(|_| ()).map_err(ApiError::type_name);
    let response = match result {
        Ok(bytes) => finish(StatusCode::OK, JSON_10, bytes),
        Err(e) => {
            if e.status() >= 500 {
                tracing::warn!(error_type = e.type_name(), message = %e, "request failed");
            } else {
                tracing::debug!(error_type = e.type_name(), message = %e, "request refused");
            }
            error_response(&e)
        }
    };
    node.metrics.record(operation, outcome, started.elapsed());
    response
}

/// Serves one API request. `operation` is set to the operation's index in
/// `KNOWN_OPERATIONS` as soon as the target is known, for the caller's metrics.
async fn serve<B>(
    node: &Node,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: B,
    operation: &mut Option<usize>,
) -> Result<Vec<u8>, ApiError>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(len) = header("content-length").and_then(|l| l.parse::<u64>().ok()) {
        if len > MAX_BODY as u64 {
            return Err(ApiError::RequestTooLarge);
        }
    }
    let content_type = header("content-type").unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if method != Method::POST
        || !(media.eq_ignore_ascii_case(JSON_10) || media.eq_ignore_ascii_case("application/json"))
    {
        return Err(ApiError::UnknownOperation {
            message: "Unknown operation".into(),
            status: 404,
        });
    }
    let known = crate::ops::KNOWN_OPERATIONS;
    let index = header("x-amz-target")
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .and_then(|op| known.iter().position(|k| *k == op))
        .ok_or_else(|| ApiError::UnknownOperation {
            message: "Unknown operation".into(),
            status: 400,
        })?;
    *operation = Some(index);
    let op_name = known.get(index).copied().unwrap_or_default();
    let raw = if node.config.auth == AuthMode::Enforce {
        let auth = shoal_auth::parse_request_auth(headers)?;
        let raw = read_limited(body, node.config.idle_timeout).await?;
        shoal_auth::verify(
            &auth,
            &node.config.keys,
            method,
            uri,
            headers,
            &raw,
            std::time::SystemTime::now(),
        )?;
        raw
    } else {
        shoal_auth::check_request_auth(headers)?;
        read_limited(body, node.config.idle_timeout).await?
    };
    let decoded = match header("content-encoding") {
        Some(enc) if enc.eq_ignore_ascii_case("gzip") => bytes::Bytes::from(gunzip(&raw)?),
        Some(enc) if !enc.is_empty() && !enc.eq_ignore_ascii_case("identity") => {
            return Err(ApiError::Serialization(format!(
                "Unsupported Content-Encoding: {enc}"
            )))
        }
        _ => raw,
    };
    let fast = match op_name {
        "PutItem" => direct::put_item(&decoded),
        "GetItem" | "UpdateItem" | "DeleteItem" => direct::keyed(&decoded),
        _ => None,
    };
    let (json, item) = match fast {
        Some(parsed) => (parsed.rest, Some(parsed.item)),
        None => {
            let json: serde_json::Value = serde_json::from_slice(&decoded).map_err(|e| {
                ApiError::Serialization(format!("Could not parse request body into json: {e}"))
            })?;
            (json, None)
        }
    };
    let span = tracing::debug_span!("request", operation = %op_name);
    let _entered = span.enter();
    let out = crate::ops::dispatch_bytes(node, op_name, &json, item).await;
    if let Err(e @ (ApiError::ProvisionedThroughputExceeded(_) | ApiError::Throttling(_))) = &out {
        let table = json.get("TableName").and_then(|t| t.as_str()).unwrap_or("");
        node.metrics.throttled(table, index, e.type_name());
    }
    out
}

/// Reads the body, refusing more than [`MAX_BODY`] bytes whatever Content-Length said,
/// and giving up after `timeout` (a client that stopped sending would otherwise hold the
/// connection and its task forever). The collected `Bytes` are returned as they are, not
/// copied into a new buffer.
async fn read_limited<B>(body: B, timeout: Option<std::time::Duration>) -> Result<Bytes, ApiError>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let mut collect = std::pin::pin!(collect(http_body_util::Limited::new(body, MAX_BODY)));
    // Nearly every body arrives with its head: only one still on its way gets a timer.
    let first = std::future::poll_fn(|cx| Poll::Ready(collect.as_mut().poll(cx))).await;
    let collected = match (first, timeout) {
        (Poll::Ready(collected), _) => collected,
        (Poll::Pending, None) => collect.await,
        (Poll::Pending, Some(t)) => tokio::time::timeout(t, collect).await.map_err(|_| {
            ApiError::Serialization(format!(
                "Could not read request body: it did not arrive within {} s",
                t.as_secs()
            ))
        })?,
    };
    match collected {
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(ApiError::RequestTooLarge)
            } else {
                Err(ApiError::Serialization(format!(
                    "Could not read request body: {e}"
                )))
            }
        }
    }
}

/// A body's data frames as one `Bytes`; trailers are ignored. Nearly every request body
/// arrives as one frame, which is returned as it is: `BodyExt::collect` put even that one
/// in a `VecDeque` of frames, an allocation (and, when nothing else used its size, a
/// fresh allocator page) per request, up to 7% of a GetItem's instructions
/// (bench/README.md, twentieth round).
async fn collect<B: hyper::body::Body<Data = Bytes>>(body: B) -> Result<Bytes, B::Error> {
    let mut body = std::pin::pin!(body);
    let mut first = Bytes::new();
    let mut joined: Option<bytes::BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if let Some(joined) = &mut joined {
            joined.extend_from_slice(&data);
        } else if first.is_empty() {
            first = data;
        } else if !data.is_empty() {
            let mut both = bytes::BytesMut::with_capacity(first.len() + data.len());
            both.extend_from_slice(&first);
            both.extend_from_slice(&data);
            joined = Some(both);
        }
    }
    Ok(joined.map_or(first, bytes::BytesMut::freeze))
}

/// Decodes a gzip body, every member of it: a gzip stream may be several members one
/// after the other (what `cat a.gz b.gz` makes), and their contents concatenated are the
/// body.
fn gunzip(raw: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    // One byte past the limit tells an oversized body from one exactly at it.
    flate2::read::MultiGzDecoder::new(raw)
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| ApiError::Serialization(format!("Could not decompress gzip body: {e}")))?;
    if out.len() > MAX_BODY {
        return Err(ApiError::RequestTooLarge);
    }
    Ok(out)
}

fn error_response(e: &ApiError) -> Reply {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let ct = if matches!(e, ApiError::RequestTooLarge) {
        "text/html"
    } else {
        JSON_10
    };
    finish(status, ct, e.body())
}

fn finish(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Reply {
    let crc = crc32fast::hash(&body);
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    // Names DynamoDB adds are not among `http`'s standard ones: built from a `&str` at
    // each insert, each would be copied to the heap per response.
    const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
    const CRC32: HeaderName = HeaderName::from_static("x-amz-crc32");
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_bytes(&request_id()) {
        h.insert(REQUEST_ID, v);
    }
    h.insert(CRC32, HeaderValue::from(crc));
    resp
}

/// A request id shaped like DynamoDB's: 52 upper-case alphanumerics, unique per process
/// (a random prefix drawn once, then a counter in hex). Built in a fixed buffer: drawing
/// randomness, and then `format!`, per request both showed up in profiles.
fn request_id() -> [u8; 52] {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static PREFIX: OnceLock<[u8; 36]> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| {
        let mut p = [b'0'; 36];
        let random =
            uuid::Uuid::new_v4().simple().to_string() + &uuid::Uuid::new_v4().simple().to_string();
        for (d, s) in p.iter_mut().zip(random.bytes()) {
            *d = s.to_ascii_uppercase();
        }
        p
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut id = [0u8; 52];
    let (head, tail) = id.split_at_mut(36);
    head.copy_from_slice(prefix);
    for (i, d) in tail.iter_mut().enumerate() {
        let nibble = (n >> (60 - 4 * i)) & 0xf;
        *d = b"0123456789ABCDEF"
            .get(nibble as usize)
            .copied()
            .unwrap_or(b'0');
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_dynamodbs_and_differ() {
        let a = request_id();
        let b = request_id();
        for id in [&a, &b] {
            assert!(id
                .iter()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
            assert!(HeaderValue::from_bytes(id).is_ok());
        }
        assert_eq!(a[..36], b[..36], "the prefix is drawn once");
        assert_ne!(a, b);
        // The counter is written in full: consecutive ids differ in their last digits.
        let n = |id: &[u8; 52]| {
            u64::from_str_radix(std::str::from_utf8(&id[36..]).unwrap(), 16).unwrap()
        };
        assert!(n(&b) > n(&a));
    }

    /// A body that yields the given frames, one per poll.
    struct Frames(std::collections::VecDeque<Result<hyper::body::Frame<Bytes>, &'static str>>);

    impl hyper::body::Body for Frames {
        type Data = Bytes;
        type Error = &'static str;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop_front())
        }
    }

    fn frames(parts: &[&'static str]) -> Frames {
        Frames(
            parts
                .iter()
                .map(|p| Ok(hyper::body::Frame::data(Bytes::from_static(p.as_bytes()))))
                .collect(),
        )
    }

    #[tokio::test]
    async fn collect_joins_every_data_frame_and_keeps_a_single_one_as_it_is() {
        let one = Bytes::from_static(b"{\"TableName\":\"movies\"}");
        let got = collect(frames(&["{\"TableName\":\"movies\"}"]))
            .await
            .unwrap();
        assert_eq!(got, one);
        let single = frames(&["", "{}"]);
        let first = match &single.0[1] {
            Ok(f) => f.data_ref().unwrap().as_ptr(),
            Err(_) => unreachable!(),
        };
        assert_eq!(collect(single).await.unwrap().as_ptr(), first, "not copied");

        let mut parts = frames(&["{\"Table", "", "Name\":", "\"movies\"}"]);
        let mut trailers = HeaderMap::new();
        trailers.insert("x-trailer", HeaderValue::from_static("1"));
        parts
            .0
            .insert(2, Ok(hyper::body::Frame::trailers(trailers)));
        assert_eq!(collect(parts).await.unwrap(), one);

        assert_eq!(collect(frames(&[])).await.unwrap(), Bytes::new());
        let mut failing = frames(&["{", "}"]);
        failing.0.insert(1, Err("reset"));
        assert_eq!(collect(failing).await.unwrap_err(), "reset");
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gunzip_reads_every_member_and_refuses_too_much() {
        let mut body = gzip(br#"{"TableName":"#);
        body.extend(gzip(br#""movies"}"#));
        assert_eq!(gunzip(&body).unwrap(), br#"{"TableName":"movies"}"#);

        let at_limit = gzip(&vec![b' '; MAX_BODY]);
        assert_eq!(gunzip(&at_limit).unwrap().len(), MAX_BODY);
        let mut over = at_limit;
        over.extend(gzip(b" "));
        assert!(matches!(gunzip(&over), Err(ApiError::RequestTooLarge)));

        let e = gunzip(b"not gzip").unwrap_err();
        assert!(matches!(e, ApiError::Serialization(m) if m.starts_with("Could not decompress")));
    }
}
