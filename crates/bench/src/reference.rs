//! The reference server: the ceiling any HTTP server can reach on this machine.
//!
//! A bare hyper HTTP/1.1 server on `127.0.0.1:0` that reads each request body whole and answers
//! every request with the same small DynamoDB-shaped `GetItem` response (with
//! `x-amzn-RequestId` and a correct `x-amz-crc32`). It does no parsing, no auth and no storage,
//! so its throughput measures only the client, the kernel's loopback and HTTP framing. Figures
//! are then reported as ratios to it, which makes runs on different (noisy) machines compare.
//!
//! It runs on its own 2-thread tokio runtime on its own OS threads, like a separate server
//! process would, rather than sharing the client's runtime. It listens on loopback only and
//! stops when its [`ReferenceServer`] handle is dropped (all connections are cancelled with the
//! runtime).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

/// The fixed response body.
pub const RESPONSE_BODY: &str =
    r#"{"Item":{"pk":{"S":"user1"},"field0":{"S":"0123456789abcdefghij"}}}"#;

/// A running reference server; dropping it stops it.
pub struct ReferenceServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ReferenceServer {
    /// Starts the server on an ephemeral loopback port.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with(200, RESPONSE_BODY)
    }

    /// A server answering every request with `status` and `body` instead (tests use it to
    /// play a throttling or failing DynamoDB).
    pub fn start_with(status: u16, body: &'static str) -> anyhow::Result<Self> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")
            .context("reference server: binding 127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bench-reference")
            .enable_all()
            .build()
            .context("reference server runtime")?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let crc = crc32fast::hash(body.as_bytes()).to_string();
        let status = hyper::StatusCode::from_u16(status).context("reference server status")?;
        let thread = std::thread::Builder::new()
            .name("bench-reference-main".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                        return;
                    };
                    serve(listener, status, body, crc, stop_rx).await;
                });
                // Dropping the runtime cancels every connection task.
                runtime.shutdown_background();
            })
            .context("reference server thread")?;
        Ok(Self {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    status: hyper::StatusCode,
    body: &'static str,
    crc: String,
    mut stop: oneshot::Receiver<()>,
) {
    let body = Bytes::from_static(body.as_bytes());
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => return,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else {
            // e.g. EMFILE: back off briefly rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let crc = crc.clone();
        let body = body.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let crc = crc.clone();
                    let body = body.clone();
                    async move {
                        // Read the whole request, as a real server must.
                        let _ = req.into_body().collect().await;
                        let response = hyper::Response::builder()
                            .status(status)
                            .header("content-type", "application/x-amz-json-1.0")
                            .header(
                                "x-amzn-RequestId",
                                "REFERENCE0000000000000000000000000000000000000000000",
                            )
                            .header("x-amz-crc32", crc)
                            .body(Full::new(body))
                            .unwrap_or_default();
                        Ok::<_, Infallible>(response)
                    }
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
