//! A keep-alive HTTP/1.1 DynamoDB client: one connection, one request at a time.
//!
//! Each worker task owns one [`Conn`]; there is no pool and no locking on the hot path. A
//! connection that fails or times out is dropped and re-established on the next call, so a
//! request never runs on a connection in an unknown state.
//!
//! Every call is bounded: connecting by `connect_timeout`, the request (send, headers, whole
//! body) by `request_timeout`. Outcomes are classified into [`Outcome`] so the report can
//! count DynamoDB error types (`__type` after `#`) and transport errors separately.
//!
//! [`Conn::get`] also sends signed `GET` requests, for shoal's operator routes (`shoal
//! admin`); everything else here is the public DynamoDB protocol.
//!
//! It is **not**: TLS (plain `http://` only; put a TLS-terminating proxy in front of an
//! `https` endpoint), retrying (YCSB counts failures rather than hiding them), or a general
//! DynamoDB SDK.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use time::OffsetDateTime;

use crate::sigv4::{Signer, CONTENT_TYPE};

/// Where requests go.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// The `host[:port]` sent as `Host` and signed.
    pub authority: String,
    /// Resolved socket addresses, tried in order.
    pub addrs: Vec<SocketAddr>,
}

impl Endpoint {
    /// Parses `http://host[:port][/]` and resolves the host.
    pub async fn resolve(url: &str) -> anyhow::Result<Self> {
        let uri: http::Uri = url
            .parse()
            .with_context(|| format!("invalid endpoint URL {url:?}"))?;
        match uri.scheme_str() {
            Some("http") | None => {}
            Some(other) => bail!(
                "endpoint scheme {other:?} is not supported: use http:// (put a TLS proxy in \
                 front of an https endpoint)"
            ),
        }
        let Some(authority) = uri.authority() else {
            bail!("endpoint URL {url:?} has no host");
        };
        let port = authority.port_u16().unwrap_or(80);
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let addrs: Vec<SocketAddr> = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::lookup_host((host, port)),
        )
        .await
        .with_context(|| format!("resolving {host} timed out"))?
        .with_context(|| format!("cannot resolve {host}"))?
        .collect();
        if addrs.is_empty() {
            bail!("{host} resolves to no address");
        }
        Ok(Self {
            authority: authority.as_str().to_owned(),
            addrs,
        })
    }
}

/// The result of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// HTTP 200 with the body.
    Ok(Bytes),
    /// A DynamoDB error: the `__type` after `#` (or `HTTP <status>` if the body has none).
    Service(String),
    /// No response: connect failure, reset, timeout, bad CRC.
    Transport(String),
}

/// Per-client settings.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Bound on establishing a TCP connection.
    pub connect_timeout: Duration,
    /// Bound on one request, from send to the last body byte.
    pub request_timeout: Duration,
}

/// One keep-alive connection plus a signer.
///
/// NOTE: the hyper connection future is spawned as its own task (on the worker's
/// current-thread runtime). Driving it inline in the worker's task, selected against the
/// request, was measured slower (about 10% fewer requests/s against the reference server).
pub struct Conn {
    endpoint: Endpoint,
    config: ClientConfig,
    signer: Signer,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    /// A client that connects lazily on the first request.
    pub fn new(endpoint: Endpoint, config: ClientConfig, signer: Signer) -> Self {
        Self {
            endpoint,
            config,
            signer,
            sender: None,
        }
    }

    async fn connect(&mut self) -> Result<SendRequest<Full<Bytes>>, String> {
        let mut last = String::from("no address");
        for addr in &self.endpoint.addrs {
            let stream = match tokio::time::timeout(
                self.config.connect_timeout,
                tokio::net::TcpStream::connect(addr),
            )
            .await
            {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    last = format!("connect: {}", io_kind(&e));
                    continue;
                }
                Err(_) => {
                    last = "connect: timed out".to_owned();
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
                Ok((sender, conn)) => {
                    // The connection task ends when the sender is dropped or the peer closes.
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                    return Ok(sender);
                }
                Err(e) => last = format!("handshake: {e}"),
            }
        }
        Err(last)
    }

    /// Whether a connection is currently established.
    pub fn is_connected(&self) -> bool {
        self.sender.as_ref().is_some_and(|s| !s.is_closed())
    }

    /// Sends one signed request for `op` (e.g. `GetItem`) and classifies the answer.
    pub async fn call(&mut self, op: &str, body: String) -> Outcome {
        let target = format!("DynamoDB_20120810.{op}");
        let sig = self.signer.sign(
            &self.endpoint.authority,
            &target,
            body.as_bytes(),
            OffsetDateTime::now_utc(),
        );
        let request = match http::Request::post("/")
            .header(http::header::HOST, &self.endpoint.authority)
            .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("x-amz-date", &sig.amz_date)
            .header("x-amz-target", &target)
            .header(http::header::AUTHORIZATION, &sig.authorization)
            .body(Full::new(Bytes::from(body)))
        {
            Ok(r) => r,
            Err(e) => return Outcome::Transport(format!("building request: {e}")),
        };
        let (status, bytes) = match self.send(request).await {
            Ok(r) => r,
            Err(e) => return Outcome::Transport(e),
        };
        if status == http::StatusCode::OK {
            Outcome::Ok(bytes)
        } else {
            Outcome::Service(error_type(status, &bytes))
        }
    }

    /// Sends a signed `GET path` (shoal's admin routes; `path` must be made of unreserved
    /// characters and `/`, see [`Signer::sign_get`]) and returns the status and body, or a
    /// transport error.
    pub async fn get(&mut self, path: &str) -> Result<(http::StatusCode, Bytes), String> {
        let sig = self
            .signer
            .sign_get(&self.endpoint.authority, path, OffsetDateTime::now_utc());
        let request = http::Request::get(path)
            .header(http::header::HOST, &self.endpoint.authority)
            .header("x-amz-date", &sig.amz_date)
            .header(http::header::AUTHORIZATION, &sig.authorization)
            .body(Full::new(Bytes::new()))
            .map_err(|e| format!("building request: {e}"))?;
        self.send(request).await
    }

    /// Sends a request on the kept connection (or a new one), bounded by the request
    /// timeout, and checks `x-amz-crc32`.
    async fn send(
        &mut self,
        request: http::Request<Full<Bytes>>,
    ) -> Result<(http::StatusCode, Bytes), String> {
        let mut sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.connect().await?,
        };
        let timeout = self.config.request_timeout;
        let result = tokio::time::timeout(timeout, async {
            sender
                .ready()
                .await
                .map_err(|e| format!("connection: {}", hyper_kind(&e)))?;
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| format!("request: {}", hyper_kind(&e)))?;
            let (parts, body) = response.into_parts();
            let bytes = body
                .collect()
                .await
                .map_err(|e| format!("response body: {}", hyper_kind(&e)))?
                .to_bytes();
            Ok::<_, String>((parts, bytes))
        })
        .await;
        let (parts, bytes) = match result {
            Ok(Ok(r)) => r,
            // The connection is dropped (not put back): its state is unknown.
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err("request timed out".to_owned()),
        };

        if let Some(crc) = parts.headers.get("x-amz-crc32") {
            let expected = crc.to_str().ok().and_then(|s| s.parse::<u32>().ok());
            if expected != Some(crc32fast::hash(&bytes)) {
                return Err("x-amz-crc32 mismatch".to_owned());
            }
        }
        self.sender = Some(sender);
        Ok((parts.status, bytes))
    }
}

/// The DynamoDB error name: `__type` after the last `#`, else `HTTP <status>`.
pub fn error_type(status: http::StatusCode, body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("__type")
                .and_then(|t| t.as_str())
                .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned())
        })
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()))
}

fn io_kind(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        std::io::ErrorKind::ConnectionReset => "connection reset".to_owned(),
        std::io::ErrorKind::TimedOut => "timed out".to_owned(),
        _ => e.to_string(),
    }
}

fn hyper_kind(e: &hyper::Error) -> String {
    if e.is_incomplete_message() {
        "connection closed before the response".to_owned()
    } else if e.is_closed() || e.is_canceled() {
        "connection closed".to_owned()
    } else if e.is_parse() {
        "malformed HTTP response".to_owned()
    } else if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_type_takes_the_part_after_hash() {
        let s = http::StatusCode::BAD_REQUEST;
        assert_eq!(
            error_type(
                s,
                br#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"x"}"#
            ),
            "ResourceNotFoundException"
        );
        assert_eq!(
            error_type(s, br#"{"__type":"ThrottlingException"}"#),
            "ThrottlingException"
        );
        assert_eq!(
            error_type(http::StatusCode::SERVICE_UNAVAILABLE, b"<html>"),
            "HTTP 503"
        );
    }
}
