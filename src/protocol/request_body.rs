//! [`RequestBody`]: a request body read as a stream of chunks.
//!
//! A body the driver has already read whole is handed out as one chunk; a body the app asked to
//! stream arrives chunk by chunk from the connection while the handler runs, with back-pressure
//! (the driver reads the next chunk from the socket only when the previous one was taken). Errors
//! say precisely why the body stopped ([`BodyError`]), so a handler can answer 400/408/413.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use http::StatusCode;
use tokio::sync::mpsc;

/// Why a request body could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    status: StatusCode,
    reason: &'static str,
}

impl BodyError {
    pub(crate) const fn new(status: StatusCode, reason: &'static str) -> BodyError {
        BodyError { status, reason }
    }

    /// The status that describes the failure: 400 (malformed framing or the peer stopped
    /// sending), 408 (read timeout), 413 (over the size limit).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// A short human-readable reason.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "request body: {} ({})",
            self.reason,
            self.status.as_u16()
        )
    }
}

impl std::error::Error for BodyError {}

/// One item of a streamed body.
pub(crate) type BodyChunk = Result<Bytes, BodyError>;

/// A request body as a [`Stream`] of [`Bytes`] chunks.
pub struct RequestBody {
    inner: Inner,
}

enum Inner {
    Once(Option<Bytes>),
    Channel(mpsc::Receiver<BodyChunk>),
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Once(b) => write!(
                f,
                "RequestBody::Once({:?} bytes)",
                b.as_ref().map(Bytes::len)
            ),
            Inner::Channel(_) => f.write_str("RequestBody::Streaming"),
        }
    }
}

impl RequestBody {
    /// A body that is already complete in memory (yields it as one chunk, none if empty).
    pub fn once(bytes: Bytes) -> RequestBody {
        RequestBody {
            inner: Inner::Once((!bytes.is_empty()).then_some(bytes)),
        }
    }

    /// A body fed by the protocol driver through a bounded channel.
    pub(crate) fn channel(rx: mpsc::Receiver<BodyChunk>) -> RequestBody {
        RequestBody {
            inner: Inner::Channel(rx),
        }
    }

    /// Reads the whole body into memory, failing with 413 once it exceeds `limit` bytes.
    pub async fn collect(mut self, limit: usize) -> Result<Bytes, BodyError> {
        if let Inner::Once(b) = &mut self.inner {
            let b = b.take().unwrap_or_default();
            if b.len() > limit {
                return Err(BodyError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body too large",
                ));
            }
            return Ok(b);
        }
        let mut body = Collector::new(limit);
        while let Some(chunk) = self.next().await {
            if !body.push(chunk?) {
                return Err(BodyError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body too large",
                ));
            }
        }
        Ok(body.finish())
    }
}

/// Gathers a body's chunks into one [`Bytes`], up to a limit. A body that arrives in one
/// chunk is returned without a copy.
pub(crate) struct Collector {
    first: Option<Bytes>,
    rest: bytes::BytesMut,
    total: usize,
    limit: usize,
}

impl Collector {
    pub(crate) fn new(limit: usize) -> Collector {
        Collector {
            first: None,
            rest: bytes::BytesMut::new(),
            total: 0,
            limit,
        }
    }

    /// Adds a chunk; false once the total passes the limit.
    pub(crate) fn push(&mut self, chunk: Bytes) -> bool {
        self.total = self.total.saturating_add(chunk.len());
        if self.total > self.limit {
            return false;
        }
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(chunk);
            return true;
        }
        if let Some(first) = self.first.take() {
            self.rest.extend_from_slice(&first);
        }
        self.rest.extend_from_slice(&chunk);
        true
    }

    /// The whole body.
    pub(crate) fn finish(self) -> Bytes {
        self.first.unwrap_or_else(|| self.rest.freeze())
    }
}

impl Stream for RequestBody {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match &mut self.inner {
            Inner::Once(b) => Poll::Ready(b.take().map(Ok)),
            Inner::Channel(rx) => rx.poll_recv(cx),
        }
    }
}

/// Why an HTTP/2 or HTTP/3 request body was not read to its end.
#[cfg(any(feature = "http2", feature = "http3"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyStop {
    /// Over the size limit (413).
    TooLarge,
    /// Not complete by the deadline (408).
    Timeout,
    /// The client reset the stream or the connection failed: nobody to answer.
    Gone,
    /// The handler dropped its body stream.
    Dropped,
}

#[cfg(any(feature = "http2", feature = "http3"))]
impl BodyStop {
    pub(crate) fn error(self) -> BodyError {
        match self {
            BodyStop::TooLarge => {
                BodyError::new(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
            }
            BodyStop::Timeout => {
                BodyError::new(StatusCode::REQUEST_TIMEOUT, "request not received in time")
            }
            BodyStop::Gone | BodyStop::Dropped => BodyError::new(
                StatusCode::BAD_REQUEST,
                "stream reset before the body was complete",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn once_yields_one_chunk_and_collects_without_copy() {
        let b = Bytes::from_static(b"hello");
        let got = RequestBody::once(b.clone()).collect(10).await.unwrap();
        assert_eq!(got.as_ptr(), b.as_ptr());
        let err = RequestBody::once(b).collect(4).await.unwrap_err();
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn channel_chunks_are_joined_and_errors_surface() {
        let (tx, rx) = mpsc::channel(4);
        tx.send(Ok(Bytes::from_static(b"ab"))).await.unwrap();
        tx.send(Ok(Bytes::from_static(b"cd"))).await.unwrap();
        drop(tx);
        assert_eq!(
            &RequestBody::channel(rx).collect(4).await.unwrap()[..],
            b"abcd"
        );

        let (tx, rx) = mpsc::channel(4);
        tx.send(Ok(Bytes::from_static(b"ab"))).await.unwrap();
        tx.send(Err(BodyError::new(StatusCode::REQUEST_TIMEOUT, "timeout")))
            .await
            .unwrap();
        let err = RequestBody::channel(rx).collect(100).await.unwrap_err();
        assert_eq!(err.status(), StatusCode::REQUEST_TIMEOUT);
    }

    #[test]
    fn collector_keeps_a_single_chunk_and_enforces_the_limit() {
        let chunk = Bytes::from_static(b"abc");
        let mut c = Collector::new(3);
        assert!(c.push(chunk.clone()));
        assert_eq!(c.finish().as_ptr(), chunk.as_ptr(), "one chunk: no copy");
        let mut c = Collector::new(3);
        assert!(c.push(Bytes::from_static(b"ab")));
        assert!(!c.push(Bytes::from_static(b"cd")), "4 bytes > 3");
    }
}
