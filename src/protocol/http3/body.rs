//! Request bodies of HTTP/3 streams, with QUIC flow control.
//!
//! Buffered ([`collect`]): DATA frames are gathered up to the body-size limit by the deadline,
//! then the trailers, if any. Streamed ([`pump`]): each frame goes to the handler's
//! [`RequestBody`](crate::protocol::RequestBody) through a one-slot channel and the next is
//! read only once the channel took it. `quinn` extends a stream's window only as the
//! application reads, so a client can never be more than one stream window ahead of the
//! handler.

use bytes::{Buf, Bytes};
use h3::server::RequestStream;
use http::HeaderMap;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::protocol::request_body::{BodyChunk, BodyStop, Collector};

/// The receiving half of a request stream.
pub(crate) type Recv = RequestStream<h3_quinn::RecvStream, Bytes>;

/// Reads the next DATA frame, bounded by `deadline`.
async fn next_frame(recv: &mut Recv, deadline: Instant) -> Result<Option<Bytes>, BodyStop> {
    match tokio::time::timeout_at(deadline, recv.recv_data()).await {
        Err(_) => Err(BodyStop::Timeout),
        Ok(Ok(None)) => Ok(None),
        // h3-quinn hands out `Bytes`: taking them whole is not a copy.
        Ok(Ok(Some(mut b))) => Ok(Some(b.copy_to_bytes(b.remaining()))),
        Ok(Err(_)) => Err(BodyStop::Gone),
    }
}

/// Reads the whole body (at most `limit` bytes) and its trailers by `deadline`.
pub(crate) async fn collect(
    recv: &mut Recv,
    limit: usize,
    deadline: Instant,
) -> Result<(Bytes, Option<HeaderMap>), BodyStop> {
    let mut body = Collector::new(limit);
    while let Some(frame) = next_frame(recv, deadline).await? {
        if !body.push(frame) {
            return Err(BodyStop::TooLarge);
        }
    }
    let body = body.finish();
    let trailers = match tokio::time::timeout_at(deadline, recv.recv_trailers()).await {
        Err(_) => return Err(BodyStop::Timeout),
        Ok(Ok(t)) => t,
        Ok(Err(_)) => return Err(BodyStop::Gone),
    };
    Ok((body, trailers))
}

/// Feeds the body to a streaming handler; each frame waits at most `read_timeout`. Returns how
/// the body ended; on a failure the handler's stream ends with the matching error.
pub(crate) async fn pump(
    mut recv: Recv,
    tx: mpsc::Sender<BodyChunk>,
    limit: Option<u64>,
    read_timeout: std::time::Duration,
) -> Result<(), BodyStop> {
    let mut total = 0u64;
    let result = loop {
        let frame = match next_frame(&mut recv, Instant::now() + read_timeout).await {
            Ok(Some(f)) => f,
            Ok(None) => break Ok(()),
            Err(stop) => break Err(stop),
        };
        total = total.saturating_add(frame.len() as u64);
        if limit.is_some_and(|max| total > max) {
            break Err(BodyStop::TooLarge);
        }
        if tx.send(Ok(frame)).await.is_err() {
            return Err(BodyStop::Dropped);
        }
    };
    if let Err(stop) = result {
        // The handler must see why its body ended short; the client is told to stop sending.
        // After a timed-out read the QUIC stream sits in h3-quinn's cancelled read, where
        // `stop_sending` would panic (h3-quinn 0.0.10 unwraps it): dropping `recv` stops it.
        if matches!(stop, BodyStop::Timeout) {
            drop(recv);
        } else {
            recv.stop_sending(h3::error::Code::H3_REQUEST_CANCELLED);
        }
        let _ = tx.send(Err(stop.error())).await;
    }
    result
}
