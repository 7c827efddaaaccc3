//! Response bodies written piece by piece: [`RequestContext::stream_with`] hands a
//! [`BodyWriter`] to a producer future that runs while the response is being sent.
//!
//! The handler chain returns first (so middleware still sees and can amend the head), the
//! driver sends the head, and then the producer runs on the connection's task, concurrently
//! with the sending: what it [`write`](BodyWriter::write)s collects in the writer's buffer and
//! leaves as one chunk on [`flush`](BodyWriter::flush) (or when the buffer fills, or when the
//! producer ends). A one-slot channel between the two gives back-pressure, and once the client
//! is gone every write fails with [`ClientGone`] and the producer is dropped — a producer never
//! runs on for a peer that left. `BodyWriter` is also a [`tokio::io::AsyncWrite`], so
//! `tokio::io::copy` and friends can write into it.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http::header::{self, HeaderValue};
use http::StatusCode;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::PollSender;

use super::context::RequestContext;
use super::handler::BoxFuture;
use crate::protocol::{Body, BoxError};

/// Buffered bytes past which a write flushes on its own.
const AUTO_FLUSH: usize = 64 * 1024;

/// The client went away (or the response was abandoned): nothing more can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientGone;

impl fmt::Display for ClientGone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the client is gone")
    }
}

impl std::error::Error for ClientGone {}

impl From<ClientGone> for io::Error {
    fn from(_: ClientGone) -> io::Error {
        io::Error::new(io::ErrorKind::BrokenPipe, ClientGone)
    }
}

type Chunk = Result<Bytes, BoxError>;

/// Writes a streamed response body; see [`RequestContext::stream_with`].
pub struct BodyWriter {
    buf: BytesMut,
    tx: PollSender<Chunk>,
    /// Takes the unflushed rest when the writer is dropped (never blocks, unlike the channel).
    leftover: Option<oneshot::Sender<Bytes>>,
}

impl Drop for BodyWriter {
    fn drop(&mut self) {
        if let Some(tx) = self.leftover.take() {
            if !self.buf.is_empty() {
                let _ = tx.send(self.buf.split().freeze());
            }
        }
    }
}

impl fmt::Debug for BodyWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyWriter")
            .field("buffered", &self.buf.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl BodyWriter {
    /// Appends `data` to the body. It leaves on the next [`flush`](Self::flush), or at once
    /// when more than 64 KiB are buffered.
    pub async fn write(&mut self, data: impl AsRef<[u8]>) -> Result<(), ClientGone> {
        if self.is_closed() {
            return Err(ClientGone);
        }
        self.buf.extend_from_slice(data.as_ref());
        if self.buf.len() >= AUTO_FLUSH {
            self.flush().await?;
        }
        Ok(())
    }

    /// Sends everything written so far to the client now (one chunk on HTTP/1.1), waiting
    /// while the connection is still busy with the previous chunk.
    pub async fn flush(&mut self) -> Result<(), ClientGone> {
        std::future::poll_fn(|cx| self.poll_send(cx)).await
    }

    /// Ends the body with an error: the client sees an incomplete response (the connection is
    /// closed before the end of the body), never a clean end of a truncated one.
    pub async fn fail(mut self, error: impl Into<BoxError>) {
        let _ = self.flush().await;
        self.buf.clear();
        let error = error.into();
        let _ = std::future::poll_fn(|cx| self.tx.poll_reserve(cx)).await;
        let _ = self.tx.send_item(Err(error));
    }

    /// Whether the client is gone (writes would fail).
    pub fn is_closed(&self) -> bool {
        self.tx.get_ref().is_none_or(mpsc::Sender::is_closed)
    }

    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ClientGone>> {
        if self.buf.is_empty() {
            return Poll::Ready(if self.is_closed() {
                Err(ClientGone)
            } else {
                Ok(())
            });
        }
        ready!(self.tx.poll_reserve(cx)).map_err(|_| ClientGone)?;
        let chunk = self.buf.split().freeze();
        self.tx.send_item(Ok(chunk)).map_err(|_| ClientGone)?;
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for BodyWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.buf.len() >= AUTO_FLUSH {
            ready!(self.poll_send(cx))?;
        } else if self.is_closed() {
            return Poll::Ready(Err(ClientGone.into()));
        }
        self.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_send(cx).map_err(Into::into)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

/// The body stream: polls the producer and forwards what its writer sends, then whatever the
/// writer still held when it was dropped.
pub(crate) struct ProducerStream {
    producer: Option<BoxFuture<'static, ()>>,
    rx: mpsc::Receiver<Chunk>,
    leftover: Option<oneshot::Receiver<Bytes>>,
}

impl ProducerStream {
    /// A stream fed by `producer`, which gets the writer for it.
    pub(crate) fn new<F, Fut>(producer: F) -> ProducerStream
    where
        F: FnOnce(BodyWriter) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(1);
        let (leftover_tx, leftover_rx) = oneshot::channel();
        let writer = BodyWriter {
            buf: BytesMut::new(),
            tx: PollSender::new(tx),
            leftover: Some(leftover_tx),
        };
        ProducerStream {
            producer: Some(Box::pin(producer(writer))),
            rx,
            leftover: Some(leftover_rx),
        }
    }
}

impl Stream for ProducerStream {
    type Item = Chunk;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Chunk>> {
        if let Some(fut) = self.producer.as_mut() {
            if fut.as_mut().poll(cx).is_ready() {
                self.producer = None;
            }
        }
        if let Some(item) = ready!(self.rx.poll_recv(cx)) {
            return Poll::Ready(Some(item));
        }
        // Every writer is gone: send what the last one left unflushed.
        let Some(leftover) = self.leftover.as_mut() else {
            return Poll::Ready(None);
        };
        let rest = ready!(Pin::new(leftover).poll(cx));
        self.leftover = None;
        Poll::Ready(rest.ok().map(Ok))
    }
}

impl RequestContext {
    /// Answers `status` with a body written by `producer` while the response is sent
    /// (chunked on HTTP/1.1) — Hertz's chunked writer with `Flush`.
    ///
    /// The producer runs after the handler chain has returned, so it must own what it uses
    /// (copy values out of the context first). Its writes leave on each
    /// [`flush`](BodyWriter::flush); what is left buffered when it ends is sent then.
    ///
    /// ```
    /// use khz::prelude::*;
    ///
    /// async fn countdown(ctx: &mut RequestContext) {
    ///     ctx.stream_with(StatusCode::OK, "text/plain", |mut w| async move {
    ///         for i in (1..=3).rev() {
    ///             if w.write(format!("{i}...\n")).await.is_err() {
    ///                 return; // client gone
    ///             }
    ///             let _ = w.flush().await;
    ///         }
    ///         let _ = w.write("liftoff\n").await;
    ///     });
    /// }
    /// ```
    pub fn stream_with<F, Fut>(
        &mut self,
        status: StatusCode,
        content_type: impl TryInto<HeaderValue>,
        producer: F,
    ) where
        F: FnOnce(BodyWriter) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.resp.set_status(status);
        self.set_header(header::CONTENT_TYPE, content_type);
        self.resp
            .set_body(Body::Stream(Box::pin(ProducerStream::new(producer))));
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    #[tokio::test]
    async fn writes_fail_once_the_stream_is_dropped() {
        let (tx, rx) = oneshot::channel();
        let stream = ProducerStream::new(|w| async move {
            let _ = tx.send(w);
        });
        let mut stream = Box::pin(stream);
        // Poll once so the producer runs and hands its writer out.
        let first = futures_util::FutureExt::now_or_never(stream.next());
        assert!(first.is_none(), "the writer is alive: the stream waits");
        let mut writer = rx.await.unwrap();
        writer.write("kept").await.unwrap();
        drop(stream);
        assert!(writer.is_closed());
        assert_eq!(writer.flush().await, Err(ClientGone));
        assert_eq!(writer.write("more").await, Err(ClientGone));
    }

    #[tokio::test]
    async fn leftovers_follow_flushed_chunks_in_order() {
        let stream = ProducerStream::new(|mut w| async move {
            w.write("one").await.unwrap();
            w.flush().await.unwrap();
            w.write("two").await.unwrap();
        });
        let chunks: Vec<Bytes> = stream.map(|c| c.unwrap()).collect().await;
        assert_eq!(chunks, [Bytes::from("one"), Bytes::from("two")]);
    }
}
