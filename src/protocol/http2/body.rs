//! Request bodies of HTTP/2 streams, with flow control.
//!
//! Buffered ([`collect`]): DATA frames are gathered up to the body-size limit, their flow
//! control capacity released as they arrive (the limit, not the window, bounds memory), and the
//! trailers, if any, are read at the end. Streamed ([`pump`]): frames are handed to the
//! handler's [`RequestBody`](crate::protocol::RequestBody) through a one-slot channel, and a
//! frame's capacity is released only once the channel took it — so the client can never have
//! more than about one stream window plus one frame in flight ahead of the handler.

use bytes::Bytes;
use h2::RecvStream;
use http::HeaderMap;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub(crate) use crate::protocol::request_body::BodyStop;
use crate::protocol::request_body::{BodyChunk, Collector};

/// Reads the next DATA frame, bounded by `deadline`.
async fn next_frame(recv: &mut RecvStream, deadline: Instant) -> Result<Option<Bytes>, BodyStop> {
    match tokio::time::timeout_at(deadline, recv.data()).await {
        Err(_) => Err(BodyStop::Timeout),
        Ok(None) => Ok(None),
        Ok(Some(Ok(b))) => Ok(Some(b)),
        Ok(Some(Err(_))) => Err(BodyStop::Gone),
    }
}

/// Reads the whole body (at most `limit` bytes) and its trailers by `deadline`.
pub(crate) async fn collect(
    recv: &mut RecvStream,
    limit: usize,
    deadline: Instant,
) -> Result<(Bytes, Option<HeaderMap>), BodyStop> {
    let mut body = Collector::new(limit);
    while let Some(frame) = next_frame(recv, deadline).await? {
        let n = frame.len();
        if !body.push(frame) {
            return Err(BodyStop::TooLarge);
        }
        // The bytes are ours now: the window may open again.
        let _ = recv.flow_control().release_capacity(n);
    }
    let body = body.finish();
    let trailers = match tokio::time::timeout_at(deadline, recv.trailers()).await {
        Err(_) => return Err(BodyStop::Timeout),
        Ok(Ok(t)) => t,
        Ok(Err(_)) => return Err(BodyStop::Gone),
    };
    Ok((body, trailers))
}

/// Feeds the body to a streaming handler. Each frame waits at most `read_timeout`. Returns
/// how the body ended; on a failure the handler's stream ends with the matching error.
pub(crate) async fn pump(
    mut recv: RecvStream,
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
        let n = frame.len();
        total = total.saturating_add(n as u64);
        if limit.is_some_and(|max| total > max) {
            break Err(BodyStop::TooLarge);
        }
        if tx.send(Ok(frame)).await.is_err() {
            return Err(BodyStop::Dropped);
        }
        let _ = recv.flow_control().release_capacity(n);
    };
    if let Err(stop) = result {
        // The handler must see why its body ended short.
        let _ = tx.send(Err(stop.error())).await;
    }
    result
}
