//! The HTTP/3 connection driver: the `h3` connection over a QUIC connection from the transport
//! layer, its request streams, the idle timeout, 0-RTT and graceful shutdown.
//!
//! As for HTTP/2, **streams run on the connection's task**, as futures in a
//! `FuturesUnordered`: QUIC itself is driven by `quinn`'s own connection task, and the requests
//! of one connection share one core while different connections spread over the runtime. Each
//! stream gets an [`Exchange`](crate::protocol::Exchange) from a per-connection pool, returned
//! (reset, allocations kept) when the stream is done.
//!
//! Deadlines: the client's control stream and SETTINGS must arrive within the read timeout,
//! each request head too; a connection without requests for the idle timeout is sent GOAWAY
//! and closed (QUIC's own idle timeout ends one that carries no packets at all). On graceful
//! shutdown the driver sends GOAWAY (its ID one past the last accepted request; later streams
//! are refused with `H3_REQUEST_REJECTED`), serves the open streams to their end, gives the
//! client a few round trips to receive the last responses and close, and closes the connection
//! with `H3_NO_ERROR`. A client's
//! protocol error is answered by `h3` with the RFC 9114 code, logged at `warn`; the other
//! connections are not disturbed.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt;
use h3::error::ConnectionError;
use tokio::time::{sleep_until, Instant};

use super::config::H3Config;
use super::stream::serve_stream;
use crate::protocol::http1::H1Config;
use crate::protocol::service::{ConnInfo, HttpService};
use crate::transport::quic::QuicConn;
use crate::transport::Shutdown;

/// `H3_NO_ERROR` as a QUIC application close code.
const H3_NO_ERROR: quinn::VarInt = quinn::VarInt::from_u32(0x100);

/// Bounds of the wait for the client to close, after the last response, before the server
/// closes the connection itself (see the end of [`serve`]).
const MIN_LINGER: Duration = Duration::from_millis(250);
const MAX_LINGER: Duration = Duration::from_secs(2);

/// The GOAWAY argument of `h3`'s `shutdown`: `h3` sends the last accepted stream's ID plus
/// this many requests. With 0 it named the last accepted request itself, which tells the
/// client that request was *not* processed (RFC 9114 §5.2: the ID is the first request not
/// processed), inviting a retry of a request the server serves anyway. With 1 the ID is one
/// past it; `h3` still takes that one stream, which [`serve`] then refuses.
const GOAWAY_AFTER_LAST: usize = 1;

/// Serves HTTP/3 on `qc` until the connection closes.
pub(crate) async fn serve<H: HttpService>(
    qc: QuicConn,
    service: &H,
    cfg: &H3Config,
    h1: &H1Config,
    shutdown: &Shutdown,
) {
    let quic = qc.conn.clone();
    let info = ConnInfo {
        peer: quic.remote_address(),
        local: qc.local,
    };
    let early = AtomicBool::new(qc.handshake.is_some());
    let mut handshake = qc.handshake;
    let builder = cfg.builder(h1.max_header_bytes);
    let build = builder.build::<_, Bytes>(h3_quinn::Connection::new(qc.conn));
    let mut conn = match tokio::time::timeout(h1.read_timeout, build).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            log_connection_error(&e, info);
            return;
        }
        Err(_) => {
            tracing::debug!(peer = %info.peer, "HTTP/3 control stream not received in time");
            quic.close(H3_NO_ERROR, b"");
            return;
        }
    };
    let mut streams = FuturesUnordered::new();
    let mut pool = Vec::new();
    // Heap slots of finished streams, reused by the next ones (see `Slot`).
    let mut spare = Vec::new();
    let mut closing = false;
    let idle = sleep_until(Instant::now() + h1.idle_timeout);
    let draining = shutdown.draining();
    tokio::pin!(idle, draining);
    loop {
        // After our GOAWAY (sent with the last accepted stream as the limit) `h3` takes no new
        // request: once the accepted ones are answered, the connection is done.
        if closing && streams.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            Some((ex, slot)) = streams.next(), if !streams.is_empty() => {
                pool.push(ex);
                spare.push(slot);
                if streams.is_empty() {
                    idle.as_mut().reset(Instant::now() + h1.idle_timeout);
                }
            }
            _ = async { handshake.as_mut().expect("guarded").await }, if handshake.is_some() => {
                // From now on the client's data is no longer early (replayable) data.
                early.store(false, Ordering::Release);
                handshake = None;
            }
            accepted = conn.accept() => match accepted {
                Ok(Some(resolver)) => {
                    let ex = pool
                        .pop()
                        .unwrap_or_else(|| Box::new(service.new_exchange(info)));
                    // After our GOAWAY every new stream is at or past its ID, i.e. one the
                    // client was told is not processed: refused (H3_REQUEST_REJECTED).
                    let refused = closing;
                    let fut = serve_stream(service, ex, resolver, &early, h1, info, refused);
                    streams.push(Slot::fill(spare.pop(), fut));
                }
                // GOAWAY exchanged and every accepted request answered.
                Ok(None) => break,
                Err(e) => {
                    log_connection_error(&e, info);
                    break;
                }
            },
            _ = &mut draining, if !closing => {
                closing = true;
                if let Err(e) = conn.shutdown(GOAWAY_AFTER_LAST).await {
                    log_connection_error(&e, info);
                    break;
                }
            }
            _ = &mut idle, if streams.is_empty() && !closing => {
                tracing::debug!(peer = %info.peer, "idle HTTP/3 connection closed");
                closing = true;
                if let Err(e) = conn.shutdown(GOAWAY_AFTER_LAST).await {
                    log_connection_error(&e, info);
                    break;
                }
            }
        }
    }
    // A connection error ends the streams too; let them finish what they can.
    while streams.next().await.is_some() {}
    // A finished response is only queued in `quinn`, not yet delivered, and closing the
    // connection discards whatever is unsent or unacknowledged: closing at once cut the last
    // responses short (seen on graceful shutdown with large responses in flight). Neither `h3`
    // nor `h3-quinn` exposes the streams' acknowledgement, so give the client time to receive
    // them — it usually closes the connection itself once it holds its responses after a
    // GOAWAY — bounded by a few round trips (a client that never closes costs that long).
    // `conn` is still alive here: dropping it closes the connection too.
    let linger = (quic.rtt() * 8).clamp(MIN_LINGER, MAX_LINGER);
    let _ = tokio::time::timeout(linger, quic.closed()).await;
    quic.close(H3_NO_ERROR, b"");
    drop(conn);
}

/// A stream's future in a heap slot that outlives it: the slot comes back with the stream's
/// output and takes the connection's next stream. A stream's future is a few KiB (the service
/// call, the body, the response, all inline); allocating and freeing that per request cost
/// more than the rest of the driver (malloc's large-chunk path), so a connection allocates it
/// once per concurrent stream instead.
struct Slot<F>(Option<Pin<Box<Option<F>>>>);

impl<F: Future> Slot<F> {
    /// `fut` in `spare` (a slot a finished stream gave back), or in a new slot.
    fn fill(spare: Option<Pin<Box<Option<F>>>>, fut: F) -> Self {
        match spare {
            Some(mut slot) => {
                slot.set(Some(fut));
                Slot(Some(slot))
            }
            None => Slot(Some(Box::pin(Some(fut)))),
        }
    }
}

impl<F: Future> Future for Slot<F> {
    type Output = (F::Output, Pin<Box<Option<F>>>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(slot) = self.0.as_mut() else {
            return Poll::Pending; // polled after completion: FuturesUnordered never does
        };
        let Some(fut) = slot.as_mut().as_pin_mut() else {
            return Poll::Pending;
        };
        let out = std::task::ready!(fut.poll(cx));
        slot.set(None);
        match self.0.take() {
            Some(slot) => Poll::Ready((out, slot)),
            None => Poll::Pending,
        }
    }
}

/// Logs why a connection ended: at `warn` when the client broke the protocol, at `debug`
/// when it simply went away.
fn log_connection_error(e: &ConnectionError, info: ConnInfo) {
    use h3::quic::ConnectionErrorIncoming as Incoming;
    // The variants are `non_exhaustive`: matched in braces.
    let quiet = e.is_h3_no_error()
        || matches!(
            e,
            ConnectionError::Timeout { .. }
                | ConnectionError::Remote {
                    0: Incoming::ApplicationClose { .. } | Incoming::Timeout,
                    ..
                }
        );
    if quiet {
        tracing::debug!(peer = %info.peer, error = %e, "HTTP/3 connection ended");
    } else {
        tracing::warn!(peer = %info.peer, error = %e, "HTTP/3 connection error");
    }
}
