//! Response helpers of [`RequestContext`]: status, headers, and renderers (`string`, `data`,
//! `json`, `redirect`, streams). JSON is serialized with `sonic-rs` straight into the
//! response's reusable scratch buffer, so rendering allocates nothing in steady state.

use futures_core::Stream;
use http::header::{self, HeaderName, HeaderValue};
use http::StatusCode;
use serde::Serialize;

use super::context::RequestContext;
use crate::protocol::{Body, BoxError, Response};

const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

impl RequestContext {
    /// Sets the response status.
    pub fn status(&mut self, status: StatusCode) {
        self.resp.set_status(status);
    }

    /// Sets response header `name` to `value`, replacing earlier values. Invalid names or
    /// values (e.g. containing CR/LF) are refused and logged, never sent.
    pub fn set_header<K, V>(&mut self, name: K, value: V)
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        match (name.try_into(), value.try_into()) {
            (Ok(n), Ok(v)) => self.resp.set_header(n, v),
            _ => tracing::error!(route = self.full_path(), "invalid response header refused"),
        }
    }

    /// Adds a value to response header `name`, keeping earlier ones. Invalid input is refused
    /// and logged.
    pub fn append_header<K, V>(&mut self, name: K, value: V)
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        match (name.try_into(), value.try_into()) {
            (Ok(n), Ok(v)) => self.resp.append_header(n, v),
            _ => tracing::error!(route = self.full_path(), "invalid response header refused"),
        }
    }

    /// Adds a trailer field, sent after the body (e.g. a checksum of a streamed body): a
    /// trailing HEADERS frame on HTTP/2; on HTTP/1.1 the body goes out chunked with the fields
    /// after the last chunk, announced by a `Trailer` header. HTTP/1.0 clients and HEAD
    /// requests get none. Invalid names or values are refused and logged.
    ///
    /// ```
    /// use khz::prelude::*;
    ///
    /// async fn report(ctx: &mut RequestContext) {
    ///     ctx.append_trailer("x-checksum", "42");
    ///     ctx.string(StatusCode::OK, "body");
    /// }
    /// ```
    pub fn append_trailer<K, V>(&mut self, name: K, value: V)
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        match (name.try_into(), value.try_into()) {
            (Ok(n), Ok(v)) => self.resp.append_trailer(n, v),
            _ => tracing::error!(route = self.full_path(), "invalid response trailer refused"),
        }
    }

    /// Sets the `Content-Type` of the response.
    pub fn set_content_type(&mut self, content_type: impl TryInto<HeaderValue>) {
        self.set_header(header::CONTENT_TYPE, content_type);
    }

    /// Answers `status` with a `text/plain; charset=utf-8` body.
    pub fn string(&mut self, status: StatusCode, body: impl Into<Body>) {
        self.resp.set_status(status);
        self.resp.set_header(header::CONTENT_TYPE, TEXT_PLAIN);
        self.resp.set_body(body);
    }

    /// Answers `status` with `body` of the given content type.
    pub fn data(
        &mut self,
        status: StatusCode,
        content_type: impl TryInto<HeaderValue>,
        body: impl Into<Body>,
    ) {
        self.resp.set_status(status);
        self.set_header(header::CONTENT_TYPE, content_type);
        self.resp.set_body(body);
    }

    /// Answers `status` with `value` serialized as JSON (`application/json; charset=utf-8`).
    /// A value that fails to serialize yields a 500 and a logged error.
    ///
    /// Like Hertz's `c.JSON`, `<`, `>`, `&`, U+2028 and U+2029 inside strings are escaped
    /// (`\u003c` …) so the output is safe to embed in HTML; use
    /// [`pure_json`](RequestContext::pure_json) to keep them as they are.
    pub fn json<T: Serialize + ?Sized>(&mut self, status: StatusCode, value: &T) {
        self.render_json(status, value, super::render::json::Style::Compact);
    }

    /// Redirects to `location` with `status` (301, 302, 303, 307 or 308).
    pub fn redirect(&mut self, status: StatusCode, location: impl TryInto<HeaderValue>) {
        self.resp.set_status(status);
        self.set_header(header::LOCATION, location);
    }

    /// Streams the body: each item is sent as it arrives (chunked on HTTP/1.1). The head is
    /// sent when the handler chain returns.
    pub fn stream<S>(&mut self, status: StatusCode, stream: S)
    where
        S: Stream<Item = Result<bytes::Bytes, BoxError>> + Send + 'static,
    {
        self.resp.set_status(status);
        self.resp.set_body(Body::Stream(Box::pin(stream)));
    }

    /// Asks for the connection to be closed after this response.
    pub fn set_connection_close(&mut self) {
        self.resp.set_connection_close(true);
    }

    /// The response built so far.
    pub fn response(&self) -> &Response {
        &self.resp
    }

    /// The response built so far, mutable.
    pub fn response_mut(&mut self) -> &mut Response {
        &mut self.resp
    }

    /// Discards status, headers and body set so far.
    pub fn reset_response(&mut self) {
        self.resp.clear();
    }
}
