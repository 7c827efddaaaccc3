//! Sending a [`Response`] on an HTTP/2 stream.
//!
//! The head: the status, `Content-Type` (or the default plain-text type for a non-empty body,
//! as on HTTP/1.1), the handler's headers minus the connection-specific ones HTTP/2 forbids
//! (`Connection`, `Keep-Alive`, `Proxy-Connection`, `Transfer-Encoding`, `Upgrade`, `TE`), then
//! `Server`, `Date` and `Content-Length` the way the HTTP/1.1 encoder adds them. The body: a
//! body already in memory is handed to `h2` whole (no copy; `h2` sends it as the client's
//! window allows); a streamed body is sent chunk by chunk, each waiting for window capacity
//! (bounded by the write timeout) so a slow client slows the producer instead of filling
//! memory, and a client reset stops the producer at once.

use std::cell::RefCell;
use std::future::poll_fn;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use h2::server::SendResponse;
use h2::{Reason, SendStream};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::StatusCode;
use tokio::time::Instant;

use crate::common::date;
use crate::protocol::http1::encode::status_has_body;
use crate::protocol::http1::H1Config;
use crate::protocol::response::{Body, BodyStream, Response};

const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// Header fields that are meaningless or forbidden in HTTP/2 (RFC 9113 §8.2.2), plus
/// `Content-Length`, which the driver sets itself.
fn is_dropped(name: &HeaderName) -> bool {
    name == header::CONNECTION
        || name == header::TRANSFER_ENCODING
        || name == header::UPGRADE
        || name == header::TE
        || name == header::CONTENT_LENGTH
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

/// The current `Date` as a header value, rebuilt only when the formatted second changes (a
/// clone of a cached value is a reference-count bump, not an allocation).
fn date_value() -> Option<HeaderValue> {
    thread_local! {
        static CACHED: RefCell<Option<([u8; date::DATE_LEN], HeaderValue)>> =
            const { RefCell::new(None) };
    }
    date::with_date(|now| {
        CACHED.with(|c| {
            let mut c = c.borrow_mut();
            match &*c {
                Some((bytes, v)) if bytes == now => Some(v.clone()),
                _ => {
                    let v = HeaderValue::from_bytes(now).ok()?;
                    *c = Some((*now, v.clone()));
                    Some(v)
                }
            }
        })
    })
}

/// The response head for `resp`, whose body has `len` bytes (`None`: streamed).
fn head(resp: &Response, cfg: &H1Config, len: Option<u64>) -> http::Response<()> {
    let mut out = http::Response::new(());
    *out.status_mut() = resp.status();
    let has_body = status_has_body(resp.status());
    let headers = out.headers_mut();
    match resp.content_type() {
        Some(ct) => {
            headers.insert(header::CONTENT_TYPE, ct.clone());
        }
        None if has_body && len != Some(0) && cfg.default_content_type => {
            headers.insert(header::CONTENT_TYPE, TEXT_PLAIN);
        }
        None => {}
    }
    for (name, value) in resp.other_headers() {
        if !is_dropped(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    if let Some(server) = cfg.server_header {
        if !headers.contains_key(header::SERVER) {
            headers.insert(header::SERVER, HeaderValue::from_static(server));
        }
    }
    if cfg.date_header && !headers.contains_key(header::DATE) {
        if let Some(v) = date_value() {
            headers.insert(header::DATE, v);
        }
    }
    if let (true, Some(n)) = (has_body, len) {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    out
}

/// A response body ready to go out.
enum Payload {
    /// In memory (the scratch buffer is copied, every other kind is handed over as it is).
    Bytes(Bytes),
    /// A stream, of exactly this many bytes when sized.
    Stream(BodyStream, Option<u64>),
}

fn payload(resp: &mut Response) -> Payload {
    match resp.take_body() {
        Body::Empty => Payload::Bytes(Bytes::new()),
        Body::Static(b) => Payload::Bytes(Bytes::from_static(b)),
        Body::Bytes(b) => Payload::Bytes(b),
        Body::Vec(v) => Payload::Bytes(Bytes::from(v)),
        Body::Scratch => {
            resp.set_body(Body::Scratch);
            Payload::Bytes(Bytes::copy_from_slice(resp.body_bytes()))
        }
        Body::Stream(s) => Payload::Stream(s, None),
        Body::SizedStream(n, s) => Payload::Stream(s, Some(n)),
    }
}

/// Sends `resp` on the stream. `head_only` (a HEAD request) sends the head with the body's
/// length but no body. Failures mean the client is gone; they are logged at debug level.
pub(crate) async fn send(
    resp: &mut Response,
    mut respond: SendResponse<Bytes>,
    cfg: &H1Config,
    head_only: bool,
) {
    if resp.take_upgrade().is_some() {
        tracing::error!(
            "a handler asked to take over the connection (upgrade/hijack) on an HTTP/2 stream: \
             that is HTTP/1.1-only; answering 500"
        );
        resp.clear();
        resp.set_status(StatusCode::INTERNAL_SERVER_ERROR);
        resp.set_header(header::CONTENT_TYPE, TEXT_PLAIN);
        resp.set_body("connection upgrade is not available over HTTP/2");
    }
    let no_body = !status_has_body(resp.status());
    let body = if no_body {
        resp.take_body();
        Payload::Bytes(Bytes::new())
    } else {
        payload(resp)
    };
    let len = match &body {
        Payload::Bytes(b) => Some(b.len() as u64),
        Payload::Stream(_, sized) => *sized,
    };
    let trailers = if no_body || head_only {
        None
    } else {
        trailer_map(resp)
    };
    let end_now = no_body || head_only || (len == Some(0) && trailers.is_none());
    let send_head = respond.send_response(head(resp, cfg, len), end_now);
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

/// The response's trailer fields as a header map (connection-specific names dropped), if any.
fn trailer_map(resp: &Response) -> Option<HeaderMap> {
    if !resp.has_trailers() {
        return None;
    }
    let mut map = HeaderMap::with_capacity(resp.trailers().len());
    for (name, value) in resp.trailers() {
        if !is_dropped(name) {
            map.append(name.clone(), value.clone());
        }
    }
    Some(map)
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
