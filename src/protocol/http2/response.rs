//! Sending a [`Response`] on an HTTP/2 stream.
//!
//! The head is built as for HTTP/3 (`parts_response`: status, content type, the handler's
//! headers minus the connection-specific ones, `Server`, `Date`, `Content-Length`). The body: a
//! body already in memory is handed to `h2` whole (no copy; `h2` sends it as the client's
//! window allows); a streamed body is sent chunk by chunk, each waiting for window capacity
//! (bounded by the write timeout) so a slow client slows the producer instead of filling
//! memory, and a client reset stops the producer at once.

use std::future::poll_fn;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use h2::server::SendResponse;
use h2::{Reason, SendStream};
use http::header::HeaderMap;
use tokio::time::Instant;

use crate::protocol::http1::H1Config;
use crate::protocol::parts_response::{head, prepare, Payload, Prepared};
use crate::protocol::response::{BodyStream, Response};

/// Sends `resp` on the stream. `head_only` (a HEAD request) sends the head with the body's
/// length but no body. Failures mean the client is gone; they are logged at debug level.
pub(crate) async fn send(
    resp: &mut Response,
    mut respond: SendResponse<Bytes>,
    cfg: &H1Config,
    head_only: bool,
) {
    let Prepared {
        body,
        len,
        trailers,
        no_body,
    } = prepare(resp, "HTTP/2", head_only);
    let end_now = no_body || head_only || (len == Some(0) && trailers.is_none());
    let send_head = respond.send_response(head(resp, cfg, len, true), end_now);
    let mut stream = match send_head {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(error = %e, "HTTP/2 response head not sent");
            return;
        }
    };
    if end_now {
        return;
    }
    match body {
        Payload::Bytes(bytes) => {
            let sent = match trailers {
                None => stream.send_data(bytes, true),
                Some(map) => stream
                    .send_data(bytes, false)
                    .and_then(|()| stream.send_trailers(map)),
            };
            if let Err(e) = sent {
                tracing::debug!(error = %e, "HTTP/2 response body not sent");
            }
        }
        Payload::Stream(body, sized) => {
            send_stream(&mut stream, body, sized, trailers, cfg.write_timeout).await
        }
    }
}

/// Ends a streamed body: with the trailers when there are some.
fn finish(stream: &mut SendStream<Bytes>, trailers: Option<HeaderMap>) -> Result<(), h2::Error> {
    match trailers {
        None => stream.send_data(Bytes::new(), true),
        Some(map) => stream.send_trailers(map),
    }
}

/// Why sending a streamed body stopped early.
enum Stop {
    /// The client reset the stream or the connection is gone.
    Gone,
    /// The client's window stayed closed past the write timeout.
    Stalled,
}

/// Waits until `stream` may send at least one byte of `want`; returns how many.
async fn capacity(
    stream: &mut SendStream<Bytes>,
    want: usize,
    write_timeout: Duration,
) -> Result<usize, Stop> {
    stream.reserve_capacity(want);
    let wait = poll_fn(|cx| stream.poll_capacity(cx));
    let deadline = Instant::now() + write_timeout;
    let mut wait = std::pin::pin!(wait);
    loop {
        match tokio::time::timeout_at(deadline, wait.as_mut()).await {
            Err(_) => return Err(Stop::Stalled),
            Ok(Some(Ok(n))) if n > 0 => return Ok(n),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(_))) | Ok(None) => return Err(Stop::Gone),
        }
    }
}

/// Sends one chunk, split to the capacity the window grants.
async fn send_chunk(
    stream: &mut SendStream<Bytes>,
    mut chunk: Bytes,
    write_timeout: Duration,
) -> Result<(), Stop> {
    while !chunk.is_empty() {
        let n = capacity(stream, chunk.len(), write_timeout).await?;
        let part = chunk.split_to(n.min(chunk.len()));
        stream.send_data(part, false).map_err(|_| Stop::Gone)?;
    }
    Ok(())
}

/// Sends a streamed body. A failing producer — or a sized one that ends short of its length —
/// resets the stream with `INTERNAL_ERROR`, so the client sees an incomplete body, never a
/// clean end; bytes past a sized stream's length are cut and the stream ends there.
async fn send_stream(
    stream: &mut SendStream<Bytes>,
    mut body: BodyStream,
    sized: Option<u64>,
    mut trailers: Option<HeaderMap>,
    write_timeout: Duration,
) {
    let mut left = sized;
    loop {
        if left == Some(0) {
            let _ = finish(stream, trailers.take());
            return;
        }
        // A client that resets the stream stops the producer even while it waits for data.
        let next = tokio::select! {
            biased;
            reset = poll_fn(|cx| stream.poll_reset(cx)) => {
                tracing::debug!(reason = ?reset.ok(), "client reset a streamed response");
                return;
            }
            item = body.next() => item,
        };
        let done = next.is_none();
        let result = match next {
            None if left.is_some() => {
                tracing::warn!(
                    missing = left,
                    "response stream ended before its length; resetting the HTTP/2 stream"
                );
                stream.send_reset(Reason::INTERNAL_ERROR);
                return;
            }
            None => finish(stream, trailers.take()).map_err(|_| Stop::Gone),
            Some(Ok(mut chunk)) => {
                if let Some(left) = left.as_mut() {
                    if chunk.len() as u64 > *left {
                        tracing::warn!("response stream longer than its length; cut");
                        chunk.truncate(*left as usize);
                    }
                    *left -= chunk.len() as u64;
                }
                send_chunk(stream, chunk, write_timeout).await
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "response stream failed; resetting the HTTP/2 stream");
                stream.send_reset(Reason::INTERNAL_ERROR);
                return;
            }
        };
        match (result, done) {
            (Ok(()), true) => return,
            (Ok(()), false) => {}
            (Err(Stop::Gone), _) => return,
            (Err(Stop::Stalled), _) => {
                tracing::debug!("client window closed past the write timeout; resetting");
                stream.send_reset(Reason::CANCEL);
                return;
            }
        }
    }
}
