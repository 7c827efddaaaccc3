//! Sending a [`Response`] on an HTTP/3 stream: the head built as for HTTP/2
//! (`parts_response`), then the body — in memory as one DATA frame, streamed chunk by chunk —
//! then the trailers, if any, and the end of the stream. Every write waits for the client's
//! flow-control window, bounded by the write timeout: a client that stops reading gets its
//! stream cancelled (`H3_REQUEST_CANCELLED`) instead of holding the producer forever. A failing
//! producer, or a sized stream that ends short, also cancels the stream, so the client sees an
//! incomplete body, never a clean end; bytes past a sized stream's length are cut.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use h3::error::Code;
use h3::server::RequestStream;

use crate::protocol::http1::H1Config;
use crate::protocol::parts_response::{head, prepare, Payload, Prepared};
use crate::protocol::response::{BodyStream, Response};

/// The sending half of a request stream.
pub(crate) type Send = RequestStream<h3_quinn::SendStream<Bytes>, Bytes>;

/// Why sending stopped early.
enum Stop {
    /// The client stopped the stream or the connection is gone.
    Gone,
    /// The client's window stayed closed past the write timeout.
    Stalled,
}

/// Runs one write of the stream, bounded by the write timeout.
async fn write<F>(op: F, write_timeout: Duration) -> Result<(), Stop>
where
    F: Future<Output = Result<(), h3::error::StreamError>>,
{
    match super::stream::deadline(write_timeout, op).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "HTTP/3 response not sent");
            Err(Stop::Gone)
        }
        Err(_) => Err(Stop::Stalled),
    }
}

/// Sends `resp` on `stream`. `head_only` (a HEAD request) sends the head with the body's
/// length but no body. Failures mean the client is gone or stalled; they are logged at debug.
pub(crate) async fn send(resp: &mut Response, stream: &mut Send, cfg: &H1Config, head_only: bool) {
    let Prepared {
        body,
        len,
        trailers,
        no_body,
    } = prepare(resp, "HTTP/3", head_only);
    let wt = cfg.write_timeout;
    let head = head(resp, cfg, len, false);
    let body = if no_body || head_only {
        Payload::Bytes(Bytes::new())
    } else {
        body
    };
    let sent = match body {
        // In memory: one deadline for the whole response (one timer, not one per write).
        Payload::Bytes(bytes) => {
            let all = async {
                stream.send_response(head).await?;
                if !bytes.is_empty() {
                    stream.send_data(bytes).await?;
                }
                if let Some(map) = trailers {
                    stream.send_trailers(map).await?;
                }
                stream.finish().await
            };
            write(all, wt).await
        }
        // Streamed (SSE may last hours): each write has the deadline.
        Payload::Stream(body, sized) => {
            async {
                write(stream.send_response(head), wt).await?;
                send_stream(stream, body, sized, wt).await?;
                if let Some(map) = trailers {
                    write(stream.send_trailers(map), wt).await?;
                }
                write(stream.finish(), wt).await
            }
            .await
        }
    };
    if let Err(Stop::Stalled) = sent {
        tracing::debug!("client window closed past the write timeout; cancelling the stream");
        stream.stop_stream(Code::H3_REQUEST_CANCELLED);
    }
}

/// Sends a streamed body (not its end). A producer that fails or ends short of its length
/// cancels the stream.
async fn send_stream(
    stream: &mut Send,
    mut body: BodyStream,
    sized: Option<u64>,
    write_timeout: Duration,
) -> Result<(), Stop> {
    let mut left = sized;
    loop {
        if left == Some(0) {
            return Ok(());
        }
        match body.next().await {
            None if left.is_some() => {
                tracing::warn!(
                    missing = left,
                    "response stream ended before its length; cancelling the HTTP/3 stream"
                );
                stream.stop_stream(Code::H3_INTERNAL_ERROR);
                return Err(Stop::Gone);
            }
            None => return Ok(()),
            Some(Ok(mut chunk)) => {
                if let Some(left) = left.as_mut() {
                    if chunk.len() as u64 > *left {
                        tracing::warn!("response stream longer than its length; cut");
                        chunk.truncate(*left as usize);
                    }
                    *left -= chunk.len() as u64;
                }
                if !chunk.is_empty() {
                    write(stream.send_data(chunk), write_timeout).await?;
                }
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "response stream failed; cancelling the HTTP/3 stream");
                stream.stop_stream(Code::H3_INTERNAL_ERROR);
                return Err(Stop::Gone);
            }
        }
    }
}
