//! Closing client connections that have gone quiet (`[http] idle_timeout_secs`).
//!
//! A connection is idle when it has read nothing from its client and served no request
//! for a whole timeout period: an idle keep-alive connection, a client that sent half a
//! request head, or one that vanished without closing. Its [`watch`], a task of its own
//! beside the connection's, then asks the connection to close gracefully: hyper closes an
//! idle connection at once, and one whose request arrived in that very instant after
//! answering it (so a request is never dropped once read). A connection still open a
//! period later, without a read (a half-sent head, which a graceful close waits for), is
//! aborted. A request that is being served (a slow Scan, a write waiting for its sync)
//! never counts as idle; a request whose body stops arriving is ended by the body read's
//! own timeout (`read_limited`).
//!
//! Why a task beside the connection: hyper's header read timeout boxes a new timer for
//! every request head, registers it and drops it once the head is parsed (measured: 26.9
//! allocations per GetItem against 25.9 without it, and about 1.5% more server CPU per
//! request), and a timer raced against the connection inside its task is polled at every
//! wake-up of the connection. The watch wakes once per period; a read costs an atomic
//! increment and a request a guard.
//!
//! Invariants: every read from the client goes through [`Watched`]; every request is
//! served while a [`Busy`] guard from the same [`Activity`] is alive; a connection task
//! closes gracefully when [`Activity::close_asked`] resolves, and calls [`Activity::end`]
//! when it is over, so that its watch stops at once.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

/// What one connection has been doing, shared by its reader, its requests and its watch.
#[derive(Debug, Default)]
pub(super) struct Activity {
    /// Reads that returned data.
    reads: AtomicU64,
    /// Requests being served.
    busy: AtomicUsize,
    /// Signalled when the connection is over.
    ended: Notify,
    /// Signalled when the watch wants the connection closed.
    close: Notify,
}

impl Activity {
    /// Marks a request as being served until the guard is dropped.
    pub(super) fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::Relaxed);
        Busy(Arc::clone(self))
    }

    /// Tells the watch that the connection is over.
    pub(super) fn end(&self) {
        self.ended.notify_one();
    }

    /// Resolves when the watch asks the connection to close.
    pub(super) async fn close_asked(&self) {
        self.close.notified().await;
    }
}

/// A request in progress on a connection (see [`Activity::busy`]).
pub(super) struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Asks the connection to close once it has been idle for a whole `timeout` period (so
/// between one and two timeouts after its last sign of life), and aborts it if it is
/// still open and idle a period later; returns early when it ends.
pub(super) async fn watch(activity: Arc<Activity>, timeout: Duration, connection: AbortHandle) {
    let mut seen = activity.reads.load(Ordering::Relaxed);
    let mut asked = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep(timeout) => {}
            () = activity.ended.notified() => return,
        }
        let now = activity.reads.load(Ordering::Relaxed);
        if now == seen && activity.busy.load(Ordering::Relaxed) == 0 {
            if asked {
                tracing::trace!("aborting a connection idle since it was asked to close");
                connection.abort();
                return;
            }
            tracing::trace!("closing an idle connection");
            activity.close.notify_one();
            asked = true;
        }
        seen = now;
    }
}

/// A client stream that counts its reads in an [`Activity`].
pub(super) struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    pub(super) fn new(inner: S, activity: Arc<Activity>) -> Self {
        Watched { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.reads.fetch_add(1, Ordering::Relaxed);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
