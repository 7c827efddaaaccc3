//! Writing one response into the connection: the head, then the body as its kind asks — bytes
//! in memory are queued (sent with the next flush), a stream is sent chunk by chunk with a flush
//! after each, an in-memory body with trailers goes out as one chunk and the last chunk. The
//! connection driver uses it for every answer, the service's and the rejections' alike.

use futures_util::StreamExt;
use http::Version;
use tokio::io::{AsyncRead, AsyncWrite};

use super::config::H1Config;
use super::encode::{self, Framing};
use crate::protocol::response::{Body, BodyStream, Response};
use crate::transport::Conn;

/// Encodes `resp` with `framing`; a HEAD request (`head_only`) or a status without a body gets
/// the head alone. A streamed body is taken out of `resp` and sent before this returns. Returns
/// false if the connection must be dropped (a stream failed or a flush did).
pub(super) async fn write_response<S>(
    conn: &mut Conn<S>,
    resp: &mut Response,
    cfg: &H1Config,
    (framing, keep_alive, version): (Framing, bool, Version),
    head_only: bool,
) -> bool
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    encode::encode_head(conn.writer(), resp, cfg, framing, keep_alive, version);
    if head_only || framing == Framing::NoBody {
        true
    } else if matches!(resp.body(), Body::Stream(_) | Body::SizedStream(..)) {
        match resp.take_body() {
            Body::Stream(stream) | Body::SizedStream(_, stream) => {
                write_stream(conn, stream, framing, resp.trailers(), cfg).await
            }
            _ => true,
        }
    } else if framing == Framing::Chunked {
        // A body in memory sent chunked: it has trailers.
        encode::encode_body_chunked(conn.writer(), resp);
        true
    } else {
        encode::encode_body(conn.writer(), resp);
        true
    }
}

/// Streams a body, flushing each chunk. With `Content-Length` framing exactly that many bytes
/// are sent: the stream is not polled past them, a longer chunk is cut (and the connection
/// closed), a stream that ends short closes the connection. Returns false if the connection
/// must be dropped.
async fn write_stream<S>(
    conn: &mut Conn<S>,
    mut stream: BodyStream,
    framing: Framing,
    trailers: &[(http::HeaderName, http::HeaderValue)],
    cfg: &H1Config,
) -> bool
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    if conn.flush_within(cfg.write_timeout).await.is_err() {
        return false;
    }
    let mut left = match framing {
        Framing::Length(n) => Some(n),
        _ => None,
    };
    while left != Some(0) {
        let Some(item) = stream.next().await else {
            break;
        };
        match item {
            Ok(chunk) if framing == Framing::Chunked => encode::encode_chunk(conn.writer(), chunk),
            Ok(mut chunk) => {
                if let Some(left) = left.as_mut() {
                    if chunk.len() > *left {
                        tracing::warn!(peer = %conn.peer_addr(), "response stream longer than its Content-Length; cut, closing");
                        chunk.truncate(*left);
                        conn.writer().write_bytes(chunk);
                        let _ = conn.flush_within(cfg.write_timeout).await;
                        return false;
                    }
                    *left -= chunk.len();
                }
                conn.writer().write_bytes(chunk);
            }
            Err(e) => {
                // The head is gone already; the only honest signal left is an incomplete body.
                tracing::warn!(peer = %conn.peer_addr(), error = %e, "response stream failed; closing");
                return false;
            }
        }
        if conn.flush_within(cfg.write_timeout).await.is_err() {
            return false;
        }
    }
    if let Some(short) = left.filter(|&n| n > 0) {
        tracing::warn!(peer = %conn.peer_addr(), missing = short, "response stream ended before its Content-Length; closing");
        return false;
    }
    if framing == Framing::Chunked {
        encode::encode_last_chunk(conn.writer(), trailers);
    }
    true
}
