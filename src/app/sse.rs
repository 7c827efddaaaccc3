//! Server-Sent Events: [`RequestContext::sse`] answers `text/event-stream` and hands an
//! [`SseWriter`] to a producer that sends [`Event`]s while the response is open.
//!
//! Events are encoded as the WHATWG spec reads them: `event:`, `id:`, `retry:` and one `data:`
//! line per line of data (so multi-line data survives), comments as `: …` lines, each event
//! ended by a blank line and flushed at once. While the producer is quiet, a comment line is
//! sent every keep-alive interval (15 s by default) so proxies and load balancers do not cut
//! the stream. The client's `Last-Event-ID` (sent when it reconnects) is read with
//! [`RequestContext::last_event_id`]. The response carries `Cache-Control: no-cache` and
//! `X-Accel-Buffering: no` (nginx would otherwise buffer the stream).

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::header::{self, HeaderValue};
use http::StatusCode;
use tokio::time::{Instant, Sleep};

use super::body_writer::{BodyWriter, ClientGone, ProducerStream};
use super::context::{ByteString, RequestContext};
use crate::protocol::{Body, BoxError};

/// The default interval of keep-alive comments.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One event. Fields left unset are not sent.
///
/// ```
/// use khz::app::sse::Event;
/// let e = Event::new().event("update").id("42").data("line one\nline two");
/// assert_eq!(
///     e.encode(),
///     "event: update\nid: 42\ndata: line one\ndata: line two\n\n"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    event: Option<String>,
    id: Option<String>,
    retry: Option<Duration>,
    data: Option<String>,
}

/// Removes the characters that would end an `event:`/`id:` line early (and NUL, which makes a
/// browser ignore an id).
fn single_line(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\r' | '\n' | '\0'))
        .collect()
}

impl Event {
    /// An empty event (add data, a name, an id…).
    pub fn new() -> Self {
        Event::default()
    }

    /// The event type (`addEventListener(name)` on the client). Line breaks are removed.
    pub fn event(mut self, name: impl AsRef<str>) -> Self {
        self.event = Some(single_line(name.as_ref()));
        self
    }

    /// The event id, which the client sends back as `Last-Event-ID` when it reconnects. Line
    /// breaks and NULs are removed.
    pub fn id(mut self, id: impl AsRef<str>) -> Self {
        self.id = Some(single_line(id.as_ref()));
        self
    }

    /// How long the client waits before reconnecting (`retry:` in milliseconds).
    pub fn retry(mut self, after: Duration) -> Self {
        self.retry = Some(after);
        self
    }

    /// The data; each line becomes its own `data:` line (`\n`, `\r\n` and `\r` all split).
    pub fn data(mut self, data: impl Into<String>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// The data as JSON (serialized with sonic-rs; JSON has no raw line breaks).
    pub fn json_data<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Self, BoxError> {
        Ok(self.data(sonic_rs::to_string(value)?))
    }

    /// The encoded event, blank line included.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Some(e) = &self.event {
            out.push_str("event: ");
            out.push_str(e);
            out.push('\n');
        }
        if let Some(id) = &self.id {
            out.push_str("id: ");
            out.push_str(id);
            out.push('\n');
        }
        if let Some(r) = self.retry {
            out.push_str("retry: ");
            out.push_str(&r.as_millis().to_string());
            out.push('\n');
        }
        if let Some(data) = &self.data {
            let data = data.replace("\r\n", "\n").replace('\r', "\n");
            for line in data.split('\n') {
                out.push_str("data: ");
                out.push_str(line);
                out.push('\n');
            }
        }
        out.push('\n');
        out
    }
}

/// Sends events; see [`RequestContext::sse`].
#[derive(Debug)]
pub struct SseWriter {
    inner: BodyWriter,
}

impl SseWriter {
    /// Sends one event now. Fails once the client is gone.
    pub async fn send(&mut self, event: Event) -> Result<(), ClientGone> {
        self.inner.write(event.encode()).await?;
        self.inner.flush().await
    }

    /// Sends a comment line (`: text`), ignored by clients; line breaks are removed.
    pub async fn comment(&mut self, text: &str) -> Result<(), ClientGone> {
        self.inner
            .write(format!(": {}\n\n", single_line(text)))
            .await?;
        self.inner.flush().await
    }

    /// Whether the client is gone.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

/// Interleaves keep-alive comments into a quiet event stream.
struct KeepAlive<S> {
    inner: S,
    every: Duration,
    timer: Pin<Box<Sleep>>,
}

const PING: &[u8] = b":\n\n";

impl<S> Stream for KeepAlive<S>
where
    S: Stream<Item = Result<Bytes, BoxError>> + Unpin,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            let next = Instant::now() + self.every;
            self.timer.as_mut().reset(next);
            return Poll::Ready(item);
        }
        ready!(self.timer.as_mut().poll(cx));
        let next = Instant::now() + self.every;
        self.timer.as_mut().reset(next);
        Poll::Ready(Some(Ok(Bytes::from_static(PING))))
    }
}

impl RequestContext {
    /// Answers with a Server-Sent Events stream written by `producer`, with a keep-alive
    /// comment every 15 s of silence. The producer runs after the handler chain returns, so
    /// copy what it needs out of the context first.
    ///
    /// ```
    /// use khz::app::sse::Event;
    /// use khz::prelude::*;
    ///
    /// async fn ticks(ctx: &mut RequestContext) {
    ///     let start: u64 = ctx.last_event_id().and_then(|id| id.parse().ok()).unwrap_or(0);
    ///     ctx.sse(move |mut sse| async move {
    ///         for i in start + 1..=start + 3 {
    ///             let event = Event::new().event("tick").id(i.to_string()).data(i.to_string());
    ///             if sse.send(event).await.is_err() {
    ///                 return; // client gone
    ///             }
    ///         }
    ///     });
    /// }
    /// ```
    pub fn sse<F, Fut>(&mut self, producer: F)
    where
        F: FnOnce(SseWriter) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.sse_with_keep_alive(Some(DEFAULT_KEEP_ALIVE), producer);
    }

    /// [`sse`](Self::sse) with another keep-alive interval (`None`: no keep-alive comments).
    pub fn sse_with_keep_alive<F, Fut>(&mut self, keep_alive: Option<Duration>, producer: F)
    where
        F: FnOnce(SseWriter) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let events = ProducerStream::new(move |inner| producer(SseWriter { inner }));
        let body: crate::protocol::BodyStream = match keep_alive {
            Some(every) if !every.is_zero() => Box::pin(KeepAlive {
                inner: events,
                every,
                timer: Box::pin(tokio::time::sleep(every)),
            }),
            _ => Box::pin(events),
        };
        self.resp.set_status(StatusCode::OK);
        self.resp.set_header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        self.resp
            .set_header(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        self.set_header("x-accel-buffering", "no");
        self.resp.set_body(Body::Stream(body));
    }

    /// The `Last-Event-ID` request header: the id of the last event a reconnecting SSE client
    /// saw.
    pub fn last_event_id(&self) -> Option<ByteString> {
        self.header("last-event-id")
    }
}
